//! Every model type decoded straight from the bytes (a value that
//! round-trips, or a serde error), the error-body parser on every status,
//! the request-limits parser and the paging-link reader.
#![no_main]

#[path = "../../tests/support/decoders.rs"]
mod decoders;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = decoders::decode_every_model(data) {
        panic!("{e}");
    }
    let status = data.first().map_or(500, |b| 400 + u16::from(*b) % 200);
    let status = http::StatusCode::from_u16(status).expect("a status");
    let e = opsgenie_users::ApiError::from_parts(status, &http::HeaderMap::new(), data);
    let text = e.to_string();
    assert!(
        text.len() <= decoders::MAX_ERROR_TEXT,
        "{} bytes",
        text.len()
    );
    let _ = (e.is_non_json(), format!("{e:?}"));
    let _ = opsgenie_users::ratelimit::parse_request_limits(data);
    if let Ok(paging) = serde_json::from_slice::<opsgenie_users::models::common::Paging>(data) {
        let _ = paging.next_offset_limit();
    }
});
