//! Property tests over every response decoder: each REST and SCIM call,
//! answered (through a canned [`Transport`](opsgenie_users::transport::Transport),
//! so the status check, the error classification and the decoding all run
//! as in real use) by valid answers with random mutations (wrong types,
//! missing and unknown fields, unknown enum values, huge numbers and
//! strings, deep nesting), cut short, spliced, wrapped in HTML, or by raw
//! bytes; and every model type decoded directly with `serde_json`.
//!
//! Every case must end, quickly, without a panic, in a value or a typed
//! error: a non-success status keeps its status; a success answer that does
//! not decode is [`Error::Decode`] (or an error wrapping one); errors are
//! bounded in size and never show the credentials. A decoded model
//! serializes and decodes back to the same value. The same checks run as
//! cargo-fuzz targets in `fuzz/`.
//!
//! Case counts (set explicitly below; with `tests/input_props.rs` over
//! 100,000 per run): `rest_calls_survive_mutated_answers` 14,000,
//! `rest_calls_survive_raw_bodies` 6,000,
//! `scim_calls_survive_mutated_answers` 10,000,
//! `scim_calls_survive_raw_bodies` 5,000,
//! `error_answers_keep_their_status` 7,000,
//! `models_decode_or_fail_typed` 12,000 (each decoded into 25 types),
//! `request_limits_and_paging_links_parse` 5,000: 59,000. With the
//! `atlassian` feature (as CI runs them, `--all-features`) also
//! `atlassian_calls_survive_mutated_answers` 8,000,
//! `atlassian_calls_survive_raw_bodies` 3,000 and
//! `atlassian_models_decode_or_fail_typed` 6,000 (each decoded into 19
//! types): 76,000.

#[cfg(feature = "atlassian")]
#[path = "support/atlassian.rs"]
mod atlassian;
#[path = "support/canned.rs"]
mod canned;
#[path = "support/decoders.rs"]
mod decoders;
#[path = "support/hostile_json.rs"]
mod hostile_json;

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use opsgenie_users::models::common::Paging;
use opsgenie_users::pagination::Page;
use opsgenie_users::ratelimit::parse_request_limits;
use opsgenie_users::scim::ScimClient;
use opsgenie_users::{ApiError, Client, Error};
use proptest::prelude::*;
use serde_json::json;

use canned::{clients, runtime, watched, Answer, Canned, KEY, MAX_REQUESTS, TOKEN};
use decoders::{
    check_outcome, decode_every_model, model_templates, request_limits, rest_error, scim_error,
    secrets_not_in, Rest, Scim, MAX_ERROR_TEXT, REST, SCIM,
};
use hostile_json::{apply_wrap, content_type, mutate, mutation, raw_body, render, status, wrap};

/// Runs `run` (one call) as a case and checks its outcome.
fn case<F>(
    rt: &tokio::runtime::Runtime,
    canned: &Canned,
    what: String,
    answer: Answer,
    run: F,
) -> Result<(), TestCaseError>
where
    F: std::future::Future<Output = Result<String, Error>>,
{
    let status = answer.status;
    let secrets = secrets_not_in(&answer.body, &[KEY, TOKEN]);
    canned.reset(answer);
    let outcome = watched(&what, || {
        rt.block_on(async { tokio::time::timeout(Duration::from_secs(10), run).await })
    })
    .map_err(|_| TestCaseError::fail(format!("{what}: no result in 10 s")))?;
    check_outcome(
        &what,
        status,
        canned.hits(),
        MAX_REQUESTS,
        &secrets,
        &outcome,
    )
    .map_err(TestCaseError::fail)
}

fn run_rest(
    rt: &tokio::runtime::Runtime,
    canned: &Canned,
    client: &Client,
    call: Rest,
    answer: Answer,
) -> Result<(), TestCaseError> {
    case(rt, canned, format!("{call:?}"), answer, call.run(client))
}

fn run_scim(
    rt: &tokio::runtime::Runtime,
    canned: &Canned,
    scim: &ScimClient,
    call: Scim,
    answer: Answer,
) -> Result<(), TestCaseError> {
    case(rt, canned, format!("SCIM {call:?}"), answer, call.run(scim))
}

fn answer(status: u16, content_type: Option<&'static str>, body: Vec<u8>) -> Answer {
    Answer {
        status,
        content_type,
        body: Bytes::from(body),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(14_000))]
    #[test]
    fn rest_calls_survive_mutated_answers(
        call in prop::sample::select(REST),
        mutations in prop::collection::vec(mutation(), 0..4),
        w in wrap(),
        status in status(),
        ct in content_type(),
    ) {
        thread_local!(static ENV: (tokio::runtime::Runtime, std::sync::Arc<Canned>, Client) = {
            let rt = runtime();
            let (canned, client, _) = rt.block_on(async { clients() });
            (rt, canned, client)
        });
        let body = apply_wrap(render(&mutate(&call.template(), &mutations)), &w);
        ENV.with(|(rt, canned, client)| run_rest(rt, canned, client, call, answer(status, ct, body)))?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(6_000))]
    #[test]
    fn rest_calls_survive_raw_bodies(
        call in prop::sample::select(REST),
        body in raw_body(),
        status in status(),
        ct in content_type(),
    ) {
        thread_local!(static ENV: (tokio::runtime::Runtime, std::sync::Arc<Canned>, Client) = {
            let rt = runtime();
            let (canned, client, _) = rt.block_on(async { clients() });
            (rt, canned, client)
        });
        ENV.with(|(rt, canned, client)| run_rest(rt, canned, client, call, answer(status, ct, body)))?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]
    #[test]
    fn scim_calls_survive_mutated_answers(
        call in prop::sample::select(SCIM),
        mutations in prop::collection::vec(mutation(), 0..4),
        w in wrap(),
        status in status(),
        ct in content_type(),
    ) {
        thread_local!(static ENV: (tokio::runtime::Runtime, std::sync::Arc<Canned>, ScimClient) = {
            let rt = runtime();
            let (canned, _, scim) = rt.block_on(async { clients() });
            (rt, canned, scim)
        });
        let body = apply_wrap(render(&mutate(&call.template(), &mutations)), &w);
        ENV.with(|(rt, canned, scim)| run_scim(rt, canned, scim, call, answer(status, ct, body)))?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(5_000))]
    #[test]
    fn scim_calls_survive_raw_bodies(
        call in prop::sample::select(SCIM),
        body in raw_body(),
        status in status(),
        ct in content_type(),
    ) {
        thread_local!(static ENV: (tokio::runtime::Runtime, std::sync::Arc<Canned>, ScimClient) = {
            let rt = runtime();
            let (canned, _, scim) = rt.block_on(async { clients() });
            (rt, canned, scim)
        });
        ENV.with(|(rt, canned, scim)| run_scim(rt, canned, scim, call, answer(status, ct, body)))?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(7_000))]
    /// Error bodies (Opsgenie's, SCIM's, Atlassian's, or junk) on every
    /// non-success status: the status survives into the typed error, and the
    /// error's text stays bounded whatever the body holds.
    #[test]
    fn error_answers_keep_their_status(
        scim_error_body in any::<bool>(),
        mutations in prop::collection::vec(mutation(), 0..4),
        w in wrap(),
        status in prop_oneof![
            prop::sample::select(&[400u16, 401, 403, 404, 409, 422, 428, 429, 500, 503][..]),
            300u16..600,
        ],
        method in prop::sample::select(&[http::Method::GET, http::Method::POST, http::Method::DELETE, http::Method::PATCH][..]),
        header in prop::option::of("[ -~]{0,40}"),
    ) {
        let template = if scim_error_body { scim_error() } else { rest_error() };
        let body = apply_wrap(render(&mutate(&template, &mutations)), &w);
        let mut headers = HeaderMap::new();
        if let Some(h) = header.and_then(|h| http::HeaderValue::from_str(&h).ok()) {
            headers.insert("x-request-id", h.clone());
            headers.insert("x-ratelimit-period-in-sec", h.clone());
            headers.insert("x-ratelimit-state", h);
        }
        let code = StatusCode::from_u16(status).expect("a status");
        let e = opsgenie_users::ApiResponse::new(method, code, headers.clone(), Bytes::from(body.clone()))
            .error_for_status()
            .expect_err("not a success");
        prop_assert_eq!(e.status(), Some(code));
        let text = e.to_string();
        prop_assert!(text.len() <= MAX_ERROR_TEXT, "{} bytes", text.len());
        let api = ApiError::from_parts(code, &headers, &body);
        let _ = (api.is_non_json(), format!("{api:?}"), api.to_string());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12_000))]
    /// Every model type decoded straight from bytes: a value that
    /// round-trips, or a serde error.
    #[test]
    fn models_decode_or_fail_typed(
        template in prop::sample::select(model_templates()),
        mutations in prop::collection::vec(mutation(), 0..4),
        w in wrap(),
        raw in prop::option::weighted(0.2, raw_body()),
    ) {
        let bytes = match raw {
            Some(raw) => raw,
            None => apply_wrap(render(&mutate(&template, &mutations)), &w),
        };
        watched("models", || decode_every_model(&bytes)).map_err(TestCaseError::fail)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(5_000))]
    /// `GET /v2/request-limits/` answers and `paging.next` links: parsed or
    /// ignored, never a panic; paging never goes backwards.
    #[test]
    fn request_limits_and_paging_links_parse(
        mutations in prop::collection::vec(mutation(), 0..5),
        w in wrap(),
        next in prop_oneof![
            prop::sample::select(hostile_json::WORDS).prop_map(str::to_string),
            "\\PC{0,40}",
            (any::<u64>(), any::<i64>()).prop_map(|(o, l)| format!("/v2/users?offset={o}&limit={l}")),
        ],
        offset in any::<u32>(),
        limit in any::<u32>(),
        items in 0usize..4,
        total in prop::option::of(any::<u64>()),
    ) {
        let body = apply_wrap(render(&mutate(&request_limits(), &mutations)), &w);
        for (_, limits) in parse_request_limits(&body) {
            let _ = format!("{limits:?}");
        }
        let paging: Paging = serde_json::from_value(json!({"next": next})).expect("a paging object");
        let _ = paging.next_offset_limit();
        let mut page: Page<u8> = Page::new(vec![0; items], offset, limit);
        page.paging = Some(paging);
        page.total_count = total;
        let _ = page.next_position();
    }
}

/// The Atlassian clients (feature `atlassian`): every Admin, Teams and JSM
/// Operations call through the same canned transport and checks, and every
/// Atlassian model type decoded directly.
#[cfg(feature = "atlassian")]
mod atlassian_props {
    use super::*;
    use atlassian::{
        atlassian_model_templates, decode_every_atlassian_model, Atl, Clients, ADMIN_KEY,
        API_TOKEN, ATL, BASIC,
    };

    fn run_atl(
        rt: &tokio::runtime::Runtime,
        canned: &Canned,
        clients: &Clients,
        call: Atl,
        answer: Answer,
    ) -> Result<(), TestCaseError> {
        let status = answer.status;
        let what = format!("Atlassian {call:?}");
        let secrets = secrets_not_in(&answer.body, &[KEY, TOKEN, ADMIN_KEY, API_TOKEN, BASIC]);
        canned.reset(answer);
        let outcome = watched(&what, || {
            rt.block_on(async {
                tokio::time::timeout(Duration::from_secs(10), call.run(clients)).await
            })
        })
        .map_err(|_| TestCaseError::fail(format!("{what}: no result in 10 s")))?;
        check_outcome(
            &what,
            status,
            canned.hits(),
            MAX_REQUESTS,
            &secrets,
            &outcome,
        )
        .map_err(TestCaseError::fail)
    }

    thread_local!(static ENV: (tokio::runtime::Runtime, std::sync::Arc<Canned>, Clients) = {
        let rt = runtime();
        let (canned, client, _) = rt.block_on(async { clients() });
        let atl = atlassian::clients(&client);
        (rt, canned, atl)
    });

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(8_000))]
        #[test]
        fn atlassian_calls_survive_mutated_answers(
            call in prop::sample::select(ATL),
            mutations in prop::collection::vec(mutation(), 0..4),
            w in wrap(),
            status in status(),
            ct in content_type(),
        ) {
            let body = apply_wrap(render(&mutate(&call.template(), &mutations)), &w);
            ENV.with(|(rt, canned, atl)| run_atl(rt, canned, atl, call, answer(status, ct, body)))?;
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3_000))]
        #[test]
        fn atlassian_calls_survive_raw_bodies(
            call in prop::sample::select(ATL),
            body in raw_body(),
            status in status(),
            ct in content_type(),
        ) {
            ENV.with(|(rt, canned, atl)| run_atl(rt, canned, atl, call, answer(status, ct, body)))?;
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(6_000))]
        /// Every Atlassian model type decoded straight from bytes: a value
        /// that round-trips, or a serde error.
        #[test]
        fn atlassian_models_decode_or_fail_typed(
            template in prop::sample::select(atlassian_model_templates()),
            mutations in prop::collection::vec(mutation(), 0..4),
            w in wrap(),
            raw in prop::option::weighted(0.2, raw_body()),
        ) {
            let bytes = match raw {
                Some(raw) => raw,
                None => apply_wrap(render(&mutate(&template, &mutations)), &w),
            };
            watched("atlassian models", || decode_every_atlassian_model(&bytes))
                .map_err(TestCaseError::fail)?;
        }
    }
}

// ---------------------------------------------------------------------------
// Regression tests for what the properties above found.

fn scim_all_users(body: &str) -> (Result<usize, Error>, usize) {
    let rt = runtime();
    let (canned, _, scim) = rt.block_on(async { clients() });
    canned.reset(answer(
        200,
        Some("application/scim+json"),
        body.as_bytes().to_vec(),
    ));
    let result = rt.block_on(async {
        tokio::time::timeout(Duration::from_secs(10), scim.users().list().count(2).all())
            .await
            .expect("the listing ends")
    });
    (result.map(|v| v.len()), canned.hits())
}

#[test]
fn scim_listing_ends_at_a_start_index_near_u64_max() {
    // The next index overflowed: a panic in debug builds.
    let (users, hits) = scim_all_users(
        r#"{"startIndex":18446744073709551615,"Resources":[{"id":"a","userName":"a"}]}"#,
    );
    assert_eq!(users.unwrap(), 1);
    assert_eq!(hits, 1);
}

#[test]
fn scim_listing_ends_when_a_page_without_ids_comes_again() {
    // Resources without ids escaped the "page of ids already seen" stop: a
    // server answering the same page forever kept the listing going.
    let (users, hits) = scim_all_users(r#"{"Resources":[{"userName":"a"},{"userName":"b"}]}"#);
    assert_eq!(users.unwrap(), 2);
    assert_eq!(hits, 2);
    // Distinct pages without ids still all arrive (until an empty page).
    let (users, _) =
        scim_all_users(r#"{"totalResults":2,"Resources":[{"userName":"a"},{"userName":"b"}]}"#);
    assert_eq!(users.unwrap(), 2);
}

#[test]
fn unknown_fields_keep_their_floats_when_written_back() {
    // serde_json's default float parsing could change the last digit.
    let body = br#"{"id":"r-1","name":"Ops","x":[1.2345678901234567e59,0.30000000000000004]}"#;
    decoders::round_trips::<opsgenie_users::models::role::CustomRole>(body).unwrap();
    let role: opsgenie_users::models::role::CustomRole = serde_json::from_slice(body).unwrap();
    assert_eq!(
        serde_json::to_value(&role).unwrap()["x"],
        json!([1.2345678901234567e59, 0.30000000000000004])
    );
}
