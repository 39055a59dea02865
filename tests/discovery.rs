//! Reading the account's limits from `GET /v2/request-limits/` before a
//! client's first call: exactly one read for concurrent first calls, never an
//! error to the caller, off when asked; and the simulator's answers to it.
mod common;

use std::sync::Arc;
use std::time::Duration;

use httpmock::prelude::*;
use opsgenie_users::ratelimit::{AdaptiveLimiter, BucketStats, LimitSource, Limits};
use opsgenie_users::{ApiRequest, Client, Domain, Error, RetryPolicy};
use opsgenie_users_sim::{RequestLimits, Server};
use serde_json::json;

const LIMITS: &str = "/v2/request-limits/";

fn advertised() -> serde_json::Value {
    json!({"data": {"rateLimits": [
        {"domain": "configuration", "limits": [
            {"limit": 600, "periodInSeconds": 60}, {"limit": 10, "periodInSeconds": 1}]},
        {"domain": "search", "limits": [
            {"limit": 300, "periodInSeconds": 60}, {"limit": 5, "periodInSeconds": 1}]}
    ]}, "took": 0.001, "requestId": "rq-limits"})
}

/// A client with the default limiter and discovery, no retries.
fn client(base: &str) -> Client {
    Client::builder()
        .api_key(common::KEY)
        .base_url(base)
        .retry_policy(RetryPolicy::none())
        .request_timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

fn get_user() -> ApiRequest {
    ApiRequest::get(Domain::Configuration).path("v2/users/jane@example.com")
}

async fn user_mock(server: &MockServer) -> httpmock::Mock<'_> {
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v2/users/jane@example.com")
                .header("authorization", common::auth());
            then.status(200)
                .header("content-type", "application/json")
                .json_body(json!({"data": {"id": "u1", "username": "jane@example.com"}, "took": 0.0, "requestId": "rq"}));
        })
        .await
}

fn bucket(stats: &[BucketStats], domain: Domain) -> Option<&BucketStats> {
    stats.iter().find(|s| s.key.domain == domain)
}

#[tokio::test]
async fn concurrent_first_calls_share_one_read_and_the_limiter_uses_it() {
    let server = MockServer::start_async().await;
    let limits = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(LIMITS)
                .header("authorization", common::auth())
                .header("accept", "application/json");
            then.status(200)
                .header("content-type", "application/json")
                // Slow enough that every first call arrives while it runs.
                .delay(Duration::from_millis(200))
                .json_body(advertised());
        })
        .await;
    let users = user_mock(&server).await;
    let c = client(&server.base_url());
    let calls: Vec<_> = (0..8)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.send(get_user()).await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    c.send(get_user()).await.unwrap();
    assert_eq!(
        limits.calls_async().await,
        1,
        "one read for all first calls"
    );
    assert_eq!(users.calls_async().await, 9);
    let stats = c.rate_limit_stats();
    let conf = bucket(&stats, Domain::Configuration).unwrap();
    assert_eq!(
        (conf.per_minute, conf.per_second),
        (Some(600.0), Some(10.0))
    );
    assert_eq!(conf.per_minute_source, Some(LimitSource::Discovered));
    assert_eq!(conf.per_second_source, Some(LimitSource::Discovered));
    // The read went through the limiter in the Configuration domain.
    assert_eq!(conf.sent, 10);
    // A domain first used after the read starts with the advertised limits.
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v2/users");
            then.status(200).json_body(
                json!({"data": [], "totalCount": 0, "paging": {}, "took": 0.0, "requestId": "rq"}),
            );
        })
        .await;
    c.send(ApiRequest::get(Domain::Search).path("v2/users"))
        .await
        .unwrap();
    let stats = c.rate_limit_stats();
    let search = bucket(&stats, Domain::Search).unwrap();
    assert_eq!(
        (search.per_minute, search.per_second),
        (Some(300.0), Some(5.0))
    );
    assert_eq!(search.source, Some(LimitSource::Discovered));
}

#[tokio::test]
async fn a_missing_refused_or_odd_answer_leaves_the_limits_unknown() {
    let answers: [(u16, &str, &str); 5] = [
        (
            404,
            "application/json",
            r#"{"message":"No handler found","took":0.0,"requestId":"r"}"#,
        ),
        (
            403,
            "application/json",
            r#"{"message":"Forbidden","took":0.0,"requestId":"r"}"#,
        ),
        (200, "text/html", "<html><body>Welcome</body></html>"),
        (200, "application/json", r#"{"data":{"rateLimits":"none"}}"#),
        (502, "text/html", "<html>502 Bad Gateway</html>"),
    ];
    for (status, content_type, body) in answers {
        let server = MockServer::start_async().await;
        let limits = server
            .mock_async(|when, then| {
                when.method(GET).path(LIMITS);
                then.status(status)
                    .header("content-type", content_type)
                    .body(body);
            })
            .await;
        let users = user_mock(&server).await;
        let c = client(&server.base_url());
        let resp = c.send(get_user()).await;
        assert!(resp.is_ok(), "{status} {body}: {resp:?}");
        c.send(get_user()).await.unwrap();
        assert_eq!(limits.calls_async().await, 1, "{status} {body}");
        assert_eq!(users.calls_async().await, 2);
        let stats = c.rate_limit_stats();
        let conf = bucket(&stats, Domain::Configuration).unwrap();
        assert_eq!((conf.per_minute, conf.per_second), (None, None), "{body}");
        assert_eq!(conf.source, None);
    }
}

#[tokio::test]
async fn a_read_that_times_out_does_not_hold_the_caller() {
    let server = MockServer::start_async().await;
    let limits = server
        .mock_async(|when, then| {
            when.method(GET).path(LIMITS);
            then.status(200)
                .delay(Duration::from_secs(3))
                .json_body(advertised());
        })
        .await;
    let users = user_mock(&server).await;
    // The read gets at most the request timeout (under the 5 s cap).
    let c = Client::builder()
        .api_key(common::KEY)
        .base_url(server.base_url())
        .request_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    c.send(get_user()).await.unwrap();
    assert!(limits.calls_async().await >= 1);
    assert_eq!(users.calls_async().await, 1);
    let stats = c.rate_limit_stats();
    let conf = bucket(&stats, Domain::Configuration).unwrap();
    assert_eq!((conf.per_minute, conf.per_second), (None, None));
    // Tried once per client: later calls go straight through.
    let before = limits.calls_async().await;
    c.send(get_user()).await.unwrap();
    assert_eq!(limits.calls_async().await, before);
}

#[tokio::test]
async fn discovery_off_sends_no_read_and_an_explicit_read_counts_as_the_first() {
    let server = MockServer::start_async().await;
    let limits = server
        .mock_async(|when, then| {
            when.method(GET).path(LIMITS);
            then.status(200).json_body(advertised());
        })
        .await;
    let users = user_mock(&server).await;
    let off = Client::builder()
        .api_key(common::KEY)
        .base_url(server.base_url())
        .discover_rate_limits(false)
        .build()
        .unwrap();
    for _ in 0..3 {
        off.send(get_user()).await.unwrap();
    }
    assert_eq!(limits.calls_async().await, 0);
    assert_eq!(users.calls_async().await, 3);
    let stats = off.rate_limit_stats();
    assert_eq!(bucket(&stats, Domain::Configuration).unwrap().source, None);

    // On demand, it still reads (with discovery off or on)...
    let found = off.discover_rate_limits().await.unwrap();
    assert_eq!(found.len(), 2);
    assert_eq!(limits.calls_async().await, 1);
    // ... and a client that read explicitly does not read again by itself.
    let on = client(&server.base_url());
    assert_eq!(
        on.discover_rate_limits().await.unwrap()[0],
        (
            Domain::Configuration,
            Limits::per_minute(600).and_per_second(10)
        )
    );
    on.send(get_user()).await.unwrap();
    assert_eq!(limits.calls_async().await, 2);
}

#[tokio::test]
async fn an_invalid_call_sends_nothing_not_even_the_read() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|_when, then| {
            then.status(200);
        })
        .await;
    let c = client(&server.base_url());
    let e = c
        .send(
            ApiRequest::get(Domain::Configuration)
                .path("v2/users")
                .segment("user", ".."),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, Error::InvalidInput(_)), "{e:?}");
    assert_eq!(any.calls_async().await, 0);
}

#[tokio::test]
async fn advertised_limits_stay_with_their_account_in_a_shared_limiter() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path(LIMITS)
                .header("authorization", common::auth());
            then.status(200).json_body(advertised());
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path(LIMITS)
                .header("authorization", "GenieKey other-account");
            then.status(404)
                .json_body(json!({"message": "No handler found"}));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v2/users/jane@example.com");
            then.status(200).json_body(json!({"data": {}}));
        })
        .await;
    let limiter = Arc::new(AdaptiveLimiter::default());
    let build = |key: &str| {
        Client::builder()
            .api_key(key)
            .base_url(server.base_url())
            .rate_limiter(limiter.clone())
            .build()
            .unwrap()
    };
    let (ours, theirs) = (build(common::KEY), build("other-account"));
    ours.send(get_user()).await.unwrap();
    theirs.send(get_user()).await.unwrap();
    let stats = ours.rate_limit_stats();
    let sources: Vec<Option<LimitSource>> = stats
        .iter()
        .filter(|s| s.key.domain == Domain::Configuration)
        .map(|s| s.per_second_source)
        .collect();
    assert_eq!(sources.len(), 2, "one bucket per account");
    assert!(sources.contains(&Some(LimitSource::Discovered)));
    assert!(sources.contains(&None), "{sources:?}");
}

// ---- the simulator's request-limits endpoint and other consumers -------------

fn raw(server: &Server) -> Client {
    server
        .client_builder()
        .retry_policy(RetryPolicy::none())
        .discover_rate_limits(false)
        .build()
        .unwrap()
}

fn limits_req() -> ApiRequest {
    ApiRequest::get(Domain::Configuration).path("v2/request-limits/")
}

#[tokio::test]
async fn the_simulator_advertises_enforced_other_or_no_limits() {
    let enforced = Limits::per_minute(600).and_per_second(10);
    let server = Server::builder()
        .limit(Domain::Configuration, enforced)
        .start()
        .await
        .unwrap();
    let c = raw(&server);
    let found = c.discover_rate_limits().await.unwrap();
    assert_eq!(found, vec![(Domain::Configuration, enforced)]);
    // The read counts against Configuration, like any call.
    let log = server.requests();
    assert_eq!(log.len(), 1);
    assert_eq!(
        (log[0].method.as_str(), log[0].path.as_str()),
        ("GET", LIMITS)
    );
    assert_eq!(log[0].domain, Domain::Configuration);

    let wrong = Limits::per_minute(2400).and_per_second(40);
    let server = Server::builder()
        .limit(Domain::Configuration, enforced)
        .limit(Domain::Search, Limits::per_minute(300).and_per_second(5))
        .advertise(Domain::Configuration, wrong)
        .start()
        .await
        .unwrap();
    let found = raw(&server).discover_rate_limits().await.unwrap();
    assert_eq!(found, vec![(Domain::Configuration, wrong)]);

    let server = Server::builder()
        .limit(Domain::Configuration, enforced)
        .request_limits(RequestLimits::NotFound)
        .start()
        .await
        .unwrap();
    let e = raw(&server).send(limits_req()).await.unwrap_err();
    assert!(matches!(e, Error::NotFound(_)), "{e:?}");
    // A client's own first call still succeeds, after one read.
    server.client().users().list().limit(10).await.unwrap();
    let reads = server
        .requests()
        .iter()
        .filter(|r| r.path == LIMITS)
        .count();
    assert_eq!(reads, 2);
}

#[tokio::test]
async fn another_consumer_fills_the_same_windows() {
    let server = Server::builder()
        .limit(Domain::Configuration, Limits::per_minute(5))
        .start()
        .await
        .unwrap();
    assert_eq!(server.other_consumer(Domain::Configuration, 4), 4);
    let c = raw(&server);
    c.send(limits_req()).await.unwrap();
    let e = c.send(limits_req()).await.unwrap_err();
    let rl = e.api_error().unwrap().rate_limit.clone().unwrap();
    assert_eq!(rl.period_secs, Some(60));
    assert_eq!(server.others(Domain::Configuration), (4, 0));
    assert_eq!(server.throttled(Domain::Configuration), 1);
    assert_eq!(server.other_consumer(Domain::Configuration, 2), 0);
    assert_eq!(server.others(Domain::Configuration), (4, 2));
    // Their requests are not in the request log.
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn a_background_load_uses_the_quota_while_the_server_runs() {
    let server = Server::builder()
        .limit(Domain::Configuration, Limits::per_minute(1000))
        .background_load(Domain::Configuration, 200.0)
        .start()
        .await
        .unwrap();
    // Wait until the other consumer has sent something (no timing asserted).
    for _ in 0..200 {
        if server.others(Domain::Configuration).0 >= 5 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(server.others(Domain::Configuration).0 >= 5);
    assert!(server.requests().is_empty());
    server.shutdown().await;
}
