//! A scripted transport for multi-step workflows: each request must match
//! the next expected one exactly (method, path with query, JSON body,
//! `Authorization`, `Content-Type`), and gets the scripted answer. httpmock
//! cannot answer the same path differently over time; this can, and it
//! proves the exact order of the requests sent.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use opsgenie_users::transport::{Transport, TransportError, TransportErrorKind};
use opsgenie_users::{Client, RetryPolicy};
use serde_json::Value;

/// One expected request and its answer.
pub struct Step {
    pub method: &'static str,
    /// Path and query exactly as sent, e.g. `/v2/teams/sre?identifierType=name`.
    pub target: String,
    pub body: Option<Value>,
    pub status: u16,
    pub answer: Value,
    /// Instead of answering, fail as a connection reset after sending.
    pub reset: bool,
}

/// `GET target` answered 200 with `answer`.
pub fn get(target: &str, answer: Value) -> Step {
    step("GET", target, None, 200, answer)
}

/// Any request.
pub fn step(
    method: &'static str,
    target: &str,
    body: Option<Value>,
    status: u16,
    answer: Value,
) -> Step {
    Step {
        method,
        target: target.to_string(),
        body,
        status,
        answer,
        reset: false,
    }
}

/// `method target` with `body`, met by a connection reset (no answer).
pub fn reset(method: &'static str, target: &str, body: Option<Value>) -> Step {
    Step {
        reset: true,
        ..step(method, target, body, 0, Value::Null)
    }
}

/// `{"data": data, "took": 0.01, "requestId": "req"}`.
pub fn data(data: Value) -> Value {
    serde_json::json!({"data": data, "took": 0.01, "requestId": "req"})
}

/// A write answer.
pub fn written(result: &str) -> Value {
    serde_json::json!({"result": result, "took": 0.01, "requestId": "req"})
}

/// An error answer.
pub fn error(message: &str) -> Value {
    serde_json::json!({"message": message, "took": 0.01, "requestId": "req-err"})
}

#[derive(Default)]
pub struct Script {
    steps: Mutex<VecDeque<Step>>,
    /// `METHOD target` of every request received, in order.
    pub seen: Mutex<Vec<String>>,
}

impl Script {
    /// A client whose every request must follow `steps`.
    pub fn client(steps: Vec<Step>) -> (Client, Arc<Script>) {
        Self::client_with(steps, RetryPolicy::none())
    }

    /// [`client`](Self::client) with this retry policy.
    pub fn client_with(steps: Vec<Step>, policy: RetryPolicy) -> (Client, Arc<Script>) {
        let script = Arc::new(Script {
            steps: Mutex::new(steps.into()),
            seen: Mutex::new(Vec::new()),
        });
        let client = Client::builder()
            .api_key(super::common::KEY)
            .base_url("http://127.0.0.1:9")
            .transport_arc(script.clone())
            .retry_policy(policy)
            // Every request must be in the script: no limits read first.
            .discover_rate_limits(false)
            .build()
            .expect("client");
        (client, script)
    }

    /// Adds more expected steps.
    pub fn push(&self, steps: Vec<Step>) {
        self.steps.lock().unwrap().extend(steps);
    }

    /// Fails unless every scripted step was used.
    pub fn assert_done(&self) {
        let left: Vec<String> = self
            .steps
            .lock()
            .unwrap()
            .iter()
            .map(|s| format!("{} {}", s.method, s.target))
            .collect();
        assert!(left.is_empty(), "requests expected but not sent: {left:#?}");
    }

    /// The requests received so far (and forgets them).
    pub fn take_seen(&self) -> Vec<String> {
        std::mem::take(&mut *self.seen.lock().unwrap())
    }
}

#[async_trait::async_trait]
impl Transport for Script {
    async fn send(
        &self,
        req: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, TransportError> {
        let target = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_default();
        let what = format!("{} {}", req.method(), target);
        self.seen.lock().unwrap().push(what.clone());
        let step = self
            .steps
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or_else(|| panic!("unexpected request (script finished): {what}"));
        assert_eq!(
            what,
            format!("{} {}", step.method, step.target),
            "request out of script"
        );
        assert_eq!(
            req.headers()
                .get("authorization")
                .and_then(|v| v.to_str().ok()),
            Some(super::common::auth().as_str()),
            "{what}: Authorization"
        );
        let body: Option<Value> = if req.body().is_empty() {
            None
        } else {
            Some(serde_json::from_slice(req.body()).expect("request body is JSON"))
        };
        assert_eq!(body, step.body, "{what}: body");
        let ct = req
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok());
        if body.is_some() {
            assert_eq!(ct, Some("application/json"), "{what}: Content-Type");
        } else {
            assert_eq!(ct, None, "{what}: Content-Type without body");
        }
        if step.reset {
            return Err(TransportError::new(
                TransportErrorKind::Io,
                "connection reset by peer",
            ));
        }
        Ok(http::Response::builder()
            .status(step.status)
            .header("content-type", "application/json")
            .body(Bytes::from(serde_json::to_vec(&step.answer).unwrap()))
            .unwrap())
    }
}
