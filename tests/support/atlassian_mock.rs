//! The httpmock expectation shared by the Atlassian HTTP tests
//! (`atlassian_http.rs`, `atlassian_writes.rs`), and their credentials.
#![allow(dead_code)]

use httpmock::prelude::*;
use httpmock::Mock;
use serde_json::Value;

/// The organization API key of the Admin clients under test.
pub const ADMIN_KEY: &str = "org-key-0000";
/// base64("me@example.com:tok-123"), computed outside the crate.
pub const BASIC: &str = "Basic bWVAZXhhbXBsZS5jb206dG9rLTEyMw==";

/// A mock matching only this exact request: method, path, exactly these
/// query parameters, this `Authorization`, and the exact JSON body (or no
/// `Content-Type` at all).
#[allow(clippy::too_many_arguments)]
pub async fn expect<'a>(
    server: &'a MockServer,
    method: httpmock::Method,
    path: &str,
    query: &[(&str, &str)],
    auth: &str,
    body: Option<Value>,
    status: u16,
    answer: Option<Value>,
) -> Mock<'a> {
    let query: Vec<(String, String)> = query
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let auth = auth.to_string();
    server
        .mock_async(move |mut when, then| {
            when = when
                .method(method)
                .path(path)
                .header("authorization", auth)
                .header("accept", "application/json")
                .query_param_count(".*", ".*", query.len());
            for (k, v) in &query {
                when = when.query_param(k, v);
            }
            match body {
                Some(b) => {
                    when.header("content-type", "application/json").json_body(b);
                }
                None => {
                    when.header_missing("content-type");
                }
            }
            let then = then.status(status);
            if let Some(a) = answer {
                then.header("content-type", "application/json").json_body(a);
            }
        })
        .await
}

/// The Admin clients' `Authorization`.
pub fn bearer() -> String {
    format!("Bearer {ADMIN_KEY}")
}
