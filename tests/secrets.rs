//! Secrets never leave through logs or formatting: every `tracing` event at
//! TRACE level of successful and failed REST and SCIM calls is captured, and
//! neither the API key nor the SCIM token may appear in it, nor in the
//! `Debug`/`Display` of clients, builders, requests, responses and errors.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use httpmock::prelude::*;
use opsgenie_users::ratelimit::{AdaptiveLimiter, LimiterConfig};
use opsgenie_users::scim::ScimClient;
use opsgenie_users::{ApiRequest, Client, Domain, Error, RetryPolicy};

const KEY: &str = "K3y-s3cr3t-REST-0042";
const TOKEN: &str = "T0ken-s3cr3t-SCIM-0043";

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

fn assert_clean(what: &str, text: &str) {
    assert!(!text.contains(KEY), "{what} shows the API key: {text}");
    assert!(!text.contains(TOKEN), "{what} shows the SCIM token: {text}");
}

/// `Debug` (plain and pretty) and `Display` of `e`, checked.
fn check_error(e: &Error) {
    assert_clean("an error", &format!("{e} {e:?} {e:#?}"));
}

fn limiter() -> Arc<AdaptiveLimiter> {
    let mut cfg = LimiterConfig::default();
    // A statistics event after every grant.
    cfg.stats_interval = Duration::ZERO;
    Arc::new(AdaptiveLimiter::new(cfg))
}

#[tokio::test]
async fn no_secret_in_trace_output_or_formatting() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v2/users/jane@example.com");
            then.status(200)
                .header("content-type", "application/json")
                .body(r#"{"data":{"id":"u1","username":"jane@example.com"},"requestId":"r1"}"#);
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v2/users/nobody@example.com");
            then.status(401)
                .header("www-authenticate", "GenieKey")
                .body(r#"{"message":"Could not authenticate","requestId":"r2"}"#);
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v2/teams");
            then.status(503).body("<html>down</html>");
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/scim/Users");
            then.status(200)
                .header("content-type", "application/scim+json")
                .body(r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":1,"startIndex":1,"itemsPerPage":1,"Resources":[{"id":"s1","userName":"jane@example.com"}]}"#);
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/scim/Users");
            then.status(409)
                .header("content-type", "application/scim+json")
                .body(r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"409","scimType":"uniqueness","detail":"userName taken"}"#);
        })
        .await;

    let builder = Client::builder()
        .api_key(KEY)
        .base_url(server.base_url())
        .rate_limiter(limiter())
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(2)
                .base_delay(Duration::from_millis(1)),
        );
    assert_clean("ClientBuilder", &format!("{builder:?} {builder:#?}"));
    let client = builder.build().unwrap();
    assert_clean("Client", &format!("{client:?} {client:#?}"));

    // REST: a success, a 401, a 503 retried once, a refused connection.
    let req = ApiRequest::get(Domain::Configuration)
        .path("v2/users")
        .segment("username", "jane@example.com");
    assert_clean("ApiRequest", &format!("{req:?}"));
    let resp = client.send(req).await.unwrap();
    assert_clean("ApiResponse", &format!("{resp:?} {resp:#?}"));
    let e = client
        .send(
            ApiRequest::get(Domain::Configuration)
                .path("v2/users")
                .segment("username", "nobody@example.com"),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Unauthorized(_)), "{e:?}");
    check_error(&e);
    let e = client
        .send(ApiRequest::get(Domain::Configuration).path("v2/teams"))
        .await
        .unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(503));
    check_error(&e);
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let offline = Client::builder()
        .api_key(KEY)
        .base_url(&closed)
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let e = offline
        .send(ApiRequest::get(Domain::Configuration).path("v2/users"))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Transport(_)), "{e:?}");
    check_error(&e);

    // SCIM: a list, a refused create (409), a refused connection.
    let scim_builder = ScimClient::builder()
        .base_url(format!("{}/scim", server.base_url()))
        .token(TOKEN)
        .rate_limiter(limiter());
    assert_clean("ScimClientBuilder", &format!("{scim_builder:?}"));
    let scim = scim_builder.build().unwrap();
    assert_clean("ScimClient", &format!("{scim:?} {scim:#?}"));
    let users = scim.users().list().all().await.unwrap();
    assert_eq!(users.len(), 1);
    assert_clean("SCIM users", &format!("{users:?}"));
    let e = scim
        .users()
        .create(opsgenie_users::scim::ScimUser::new("jane@example.com"))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Conflict(_)), "{e:?}");
    check_error(&e);
    let scim_offline = ScimClient::builder()
        .base_url(format!("{closed}/scim"))
        .token(TOKEN)
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let e = scim_offline.users().list().all().await.unwrap_err();
    check_error(&e);
    let shared = ScimClient::from_client(
        &client,
        &format!("{}/scim", server.base_url()),
        opsgenie_users::BearerToken::new(TOKEN),
    )
    .unwrap();
    assert_clean("ScimClient::from_client", &format!("{shared:?}"));
    shared.users().list().all().await.unwrap();

    drop(_guard);
    let log = captured.text();
    println!("{} bytes of TRACE output captured", log.len());
    if std::env::var_os("SHOW_LOG").is_some() {
        println!("{log}");
    }
    // The capture works: the client's events are there.
    for expected in ["sending", "retrying", "rate limit stats", "/v2/users"] {
        assert!(log.contains(expected), "no {expected:?} in the log:\n{log}");
    }
    assert_clean("the TRACE log", &log);
    // A granted caller is out of the queue when the statistics are taken.
    assert!(!log.contains("queued=1"), "{log}");
}

/// Personal data in a search never reaches the logs (issue 11): the TRACE
/// output of failing REST user lists with `query=username:...` (a 503
/// retried, a 400, a refused connection) and failing SCIM searches with
/// `filter=userName eq "..."` (a 503, a refused connection) shows neither
/// the query string nor the filter, nor the value searched for; nor do the
/// errors.
#[tokio::test]
async fn no_search_query_or_filter_in_trace_output_or_errors() {
    const WHO: &str = "private.person@example.com";
    let captured = Captured::default();
    let writer = captured.clone();
    // Everything at TRACE but the mock server's own events (it logs the
    // requests it receives, query included).
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("trace,httpmock=off"))
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = MockServer::start_async().await;
    let unavailable = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v2/users")
                .query_param("query", format!("username:{WHO}"));
            then.status(503).body("<html>down</html>");
        })
        .await;
    let refused = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v2/users")
                .query_param("query", "username:x");
            then.status(400)
                .header("content-type", "application/json")
                .body(r#"{"message":"bad query","requestId":"r3"}"#);
        })
        .await;
    let scim_unavailable = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/scim/Users")
                .query_param("filter", format!("userName eq \"{WHO}\""));
            then.status(503).body("<html>down</html>");
        })
        .await;
    let retry = RetryPolicy::default()
        .max_attempts(2)
        .base_delay(Duration::from_millis(1));
    let client = Client::builder()
        .api_key(KEY)
        .base_url(server.base_url())
        .rate_limiter(limiter())
        .retry_policy(retry.clone())
        .build()
        .unwrap();
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let offline = Client::builder()
        .api_key(KEY)
        .base_url(&closed)
        .retry_policy(retry.clone())
        .build()
        .unwrap();
    let scim = ScimClient::builder()
        .base_url(format!("{}/scim", server.base_url()))
        .token(TOKEN)
        .retry_policy(retry.clone())
        .build()
        .unwrap();
    let scim_offline = ScimClient::builder()
        .base_url(format!("{closed}/scim"))
        .token(TOKEN)
        .retry_policy(retry)
        .build()
        .unwrap();

    let mut errors = Vec::new();
    let e = client
        .users()
        .list()
        .query(format!("username:{WHO}"))
        .await
        .unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(503), "{e:?}");
    errors.push(e);
    let e = client.users().list().query("username:x").await.unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(400), "{e:?}");
    errors.push(e);
    let e = offline
        .users()
        .list()
        .query(format!("username:{WHO}"))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Transport(_)), "{e:?}");
    errors.push(e);
    let e = scim.users().find_by_user_name(WHO).await.unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(503), "{e:?}");
    errors.push(e);
    let e = scim_offline
        .users()
        .find_by_user_name(WHO)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Transport(_)), "{e:?}");
    errors.push(e);
    assert_eq!(unavailable.calls_async().await, 2, "the 503 was retried");
    assert_eq!(refused.calls_async().await, 1);
    assert_eq!(scim_unavailable.calls_async().await, 2);

    drop(_guard);
    let log = captured.text();
    if std::env::var_os("SHOW_LOG").is_some() {
        println!("{log}");
    }
    // The capture works: the failing calls are logged, with their paths.
    for expected in ["path=/v2/users ", "path=/Users ", "retrying", "hyper"] {
        assert!(log.contains(expected), "no {expected:?} in the log:\n{log}");
    }
    let personal = [
        WHO,
        "private.person",
        "username:",
        "username%3A",
        "userName eq",
        "userName%20eq",
        "userName+eq",
        "query=",
        "filter=",
    ];
    for p in personal {
        assert!(!log.contains(p), "{p:?} in the TRACE log:\n{log}");
    }
    for e in &errors {
        let text = format!("{e} {e:?} {e:#?}");
        for p in personal {
            assert!(!text.contains(p), "{p:?} in an error: {text}");
        }
        check_error(e);
    }
}
