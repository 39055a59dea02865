//! The CSV readers of the examples (`bulk_sync`, `scim_sync`), fed the
//! fuzzer's bytes: rows or an error, never a panic.
#![no_main]
// Both examples include their shared `common` module.
#![allow(clippy::duplicate_mod)]

#[allow(dead_code)]
#[path = "../../examples/bulk_sync.rs"]
mod bulk_sync;
#[allow(dead_code)]
#[path = "../../examples/scim_sync.rs"]
mod scim_sync;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(rows) = bulk_sync::read_rows("fuzz.csv", data) {
        for row in rows.values() {
            let _ = (bulk_sync::desired_teams(row), bulk_sync::role_of(row));
        }
    }
    let _ = scim_sync::parse_csv(&String::from_utf8_lossy(data));
});
