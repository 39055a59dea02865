//! Every identifier kind, with the fuzzer's bytes (first byte: which kind;
//! the rest, as UTF-8: the value), in a real call: refused before sending,
//! or sent as exactly one encoded path segment. Also the Atlassian
//! directory id of the SCIM base URL.
#![no_main]

#[path = "../../tests/support/canned.rs"]
mod canned;
#[path = "../../tests/support/identifiers.rs"]
mod identifiers;

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;

struct Env {
    rt: tokio::runtime::Runtime,
    canned: Arc<canned::Canned>,
    client: opsgenie_users::Client,
    scim: opsgenie_users::scim::ScimClient,
}

fn env() -> &'static Env {
    static ENV: OnceLock<Env> = OnceLock::new();
    ENV.get_or_init(|| {
        let rt = canned::runtime();
        let (canned, client, scim) = rt.block_on(async { canned::clients() });
        Env {
            rt,
            canned,
            client,
            scim,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let [k, rest @ ..] = data else { return };
    let Ok(v) = std::str::from_utf8(rest) else {
        return;
    };
    if let Err(e) = identifiers::check_atlassian_base_url(v) {
        panic!("{e}");
    }
    let kind = identifiers::KINDS[usize::from(*k) % identifiers::KINDS.len()];
    let env = env();
    let send = |v: &str| {
        env.canned.reset(canned::Answer {
            status: 404,
            content_type: None,
            body: bytes::Bytes::from_static(b"{}"),
        });
        let result = env.rt.block_on(kind.call(&env.client, &env.scim, v));
        (result, env.canned.uris())
    };
    let (_, reference) = send(identifiers::REFERENCE);
    let (result, sent) = send(v);
    if identifiers::acceptable(v) {
        assert_eq!(sent.len(), 1, "{kind:?} {v:?}: {result:?}");
        assert!(
            matches!(result, Err(opsgenie_users::Error::NotFound(_))),
            "{result:?}"
        );
        if let Err(e) = identifiers::check_uri(&reference[0], &sent[0], v) {
            panic!("{kind:?}: {e}");
        }
    } else {
        assert!(sent.is_empty(), "{kind:?} {v:?} was sent: {sent:?}");
        assert!(
            matches!(result, Err(opsgenie_users::Error::InvalidInput(_))),
            "{result:?}"
        );
    }
});
