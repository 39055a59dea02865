//! The CSV readers of the examples (`bulk_sync`, `scim_sync`) and the resume
//! reader of `export` (JSON lines and CSV), fed the fuzzer's bytes: rows or
//! an error, never a panic; a resume keeps UTF-8 up to a line break.
#![no_main]
// Both examples include their shared `common` module.
#![allow(clippy::duplicate_mod)]

#[allow(dead_code)]
#[path = "../../examples/bulk_sync.rs"]
mod bulk_sync;
#[allow(dead_code)]
#[path = "../../examples/export.rs"]
mod export;
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
    for csv in [false, true] {
        if let Ok(r) = export::resume_from(data, csv) {
            assert!(r.keep == 0 || data[r.keep - 1] == b'\n', "{r:?}");
            assert!(std::str::from_utf8(&data[..r.keep]).is_ok(), "{r:?}");
        }
    }
});
