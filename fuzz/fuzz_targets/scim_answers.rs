//! Every SCIM call, answered with the fuzzer's bytes (first byte: which
//! call; second: which status; the rest: the body) through the client's own
//! path: status check, error classification, decoding.
#![no_main]

#[path = "../../tests/support/canned.rs"]
mod canned;
#[path = "../../tests/support/decoders.rs"]
mod decoders;

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;

const STATUSES: &[u16] = &[
    200, 200, 200, 201, 202, 204, 400, 401, 403, 404, 409, 422, 428, 429, 500, 503, 302, 102,
];

struct Env {
    rt: tokio::runtime::Runtime,
    canned: Arc<canned::Canned>,
    client: opsgenie_users::scim::ScimClient,
}

fn env() -> &'static Env {
    static ENV: OnceLock<Env> = OnceLock::new();
    ENV.get_or_init(|| {
        let rt = canned::runtime();
        let (canned, _, client) = rt.block_on(async { canned::clients() });
        Env { rt, canned, client }
    })
}

fuzz_target!(|data: &[u8]| {
    let [a, b, body @ ..] = data else { return };
    let call = decoders::SCIM[usize::from(*a) % decoders::SCIM.len()];
    let status = STATUSES[usize::from(*b) % STATUSES.len()];
    let env = env();
    env.canned.reset(canned::Answer {
        status,
        content_type: Some("application/json"),
        body: bytes::Bytes::copy_from_slice(body),
    });
    let outcome = env.rt.block_on(call.run(&env.client));
    let what = format!("SCIM {call:?}");
    if let Err(e) = decoders::check_outcome(
        &what,
        status,
        env.canned.hits(),
        canned::MAX_REQUESTS,
        &decoders::secrets_not_in(body, &[canned::KEY, canned::TOKEN]),
        &outcome,
    ) {
        panic!("{e}");
    }
});
