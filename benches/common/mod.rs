//! Fixtures shared by the benches: Opsgenie-shaped users and List Users pages.
#![allow(dead_code)]

use serde_json::{json, Value};

/// One user as `GET /v2/users` returns it (every field the model reads).
pub fn user(i: usize) -> Value {
    json!({
        "id": format!("00000000-0000-4000-8000-{i:012}"), "username": format!("user{i}@example.com"),
        "fullName": format!("User {i}"), "role": {"id": "User", "name": "User"},
        "timeZone": "Europe/Berlin", "locale": "en_US", "tags": ["oncall"],
        "details": {"team": ["sre"]}, "blocked": false, "verified": true,
        "createdAt": "2024-05-11T12:36:07.217Z",
        "userAddress": {"country": "DE", "state": "", "city": "Berlin", "line": "", "zipCode": ""}
    })
}

/// The List Users answer for `offset`/`limit` of an account of `total` users.
pub fn page(offset: usize, limit: usize, total: usize) -> Vec<u8> {
    let end = (offset + limit).min(total);
    let mut body = json!({
        "data": (offset..end).map(user).collect::<Vec<_>>(),
        "totalCount": total, "took": 0.1, "requestId": "r",
        "paging": {"first": format!("https://api.opsgenie.com/v2/users?limit={limit}&offset=0")}
    });
    if end < total {
        body["paging"]["next"] = json!(format!(
            "https://api.opsgenie.com/v2/users?limit={limit}&offset={end}"
        ));
    }
    serde_json::to_vec(&body).unwrap()
}

/// `GET /v2/users/{id}`'s answer.
pub fn get_answer() -> Vec<u8> {
    serde_json::to_vec(&json!({"data": user(1), "took": 0.001, "requestId": "r"})).unwrap()
}

/// `POST /v2/users`'s answer.
pub fn create_answer() -> Vec<u8> {
    serde_json::to_vec(&json!({
        "result": "Created", "data": {"id": "00000000-0000-4000-8000-000000000001", "name": "user1@example.com"},
        "took": 0.01, "requestId": "r"
    }))
    .unwrap()
}

/// The process's CPU time so far (user + system, every live thread), in
/// nanoseconds, from `/proc/self/task/*/schedstat`; falls back to
/// `/proc/self/stat` (10 ms ticks). `None` off Linux.
pub fn cpu_ns() -> Option<u64> {
    let mut total = 0u64;
    let mut any = false;
    if let Ok(dir) = std::fs::read_dir("/proc/self/task") {
        for t in dir.flatten() {
            if let Ok(s) = std::fs::read_to_string(t.path().join("schedstat")) {
                if let Some(ns) = s
                    .split_whitespace()
                    .next()
                    .and_then(|v| v.parse::<u64>().ok())
                {
                    total += ns;
                    any = true;
                }
            }
        }
    }
    if any {
        return Some(total);
    }
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(ticks * 10_000_000)
}

/// The median of `v` (sorted in place).
pub fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}
