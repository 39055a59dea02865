//! Credentials that never print themselves.

use std::fmt;

/// An Opsgenie API key, sent as `Authorization: GenieKey <key>`.
///
/// `Debug` and `Display` print `***`, so the key cannot leak through logs,
/// error messages or `{:?}` of a struct that holds it.
///
/// ```
/// use opsgenie_users::GenieKey;
/// let key = GenieKey::new("0123-secret");
/// assert_eq!(format!("{key:?} {key}"), "GenieKey(***) ***");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct GenieKey(String);

impl GenieKey {
    /// Wraps a key. Surrounding white space (a common copy-paste accident) is trimmed.
    pub fn new(key: impl Into<String>) -> Self {
        let key: String = key.into();
        GenieKey(key.trim().to_string())
    }

    /// The key itself. Only the transport layer should need this.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// A stable, non-reversible fingerprint of the key, used to key rate-limit
    /// buckets per credential without holding the key itself.
    pub fn fingerprint(&self) -> u64 {
        fingerprint(&self.0)
    }
}

impl fmt::Debug for GenieKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("GenieKey(***)")
    }
}

impl fmt::Display for GenieKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// A bearer token (SCIM directory API key), sent as `Authorization: Bearer <token>`.
/// Redacted like [`GenieKey`].
///
/// ```
/// use opsgenie_users::BearerToken;
/// assert_eq!(format!("{:?}", BearerToken::new("t")), "BearerToken(***)");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct BearerToken(String);

impl BearerToken {
    /// Wraps a token; surrounding white space is trimmed.
    pub fn new(token: impl Into<String>) -> Self {
        let token: String = token.into();
        BearerToken(token.trim().to_string())
    }

    /// The token itself.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// A stable, non-reversible fingerprint of the token.
    pub fn fingerprint(&self) -> u64 {
        fingerprint(&self.0)
    }
}

impl fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BearerToken(***)")
    }
}

impl fmt::Display for BearerToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// An Atlassian account e-mail and API token, sent as
/// `Authorization: Basic base64(email:token)` (the Teams public API and the
/// JSM Operations REST API). The e-mail is shown by `Debug`, the token never.
///
/// ```
/// use opsgenie_users::BasicAuth;
/// let auth = BasicAuth::new("ops@example.com", "atl-token");
/// assert_eq!(format!("{auth:?}"), r#"BasicAuth { email: "ops@example.com", token: *** }"#);
/// assert_eq!(format!("{auth}"), "ops@example.com:***");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct BasicAuth {
    email: String,
    token: String,
}

impl BasicAuth {
    /// Wraps an account e-mail and its API token; surrounding white space is trimmed.
    pub fn new(email: impl Into<String>, token: impl Into<String>) -> Self {
        let email: String = email.into();
        let token: String = token.into();
        BasicAuth {
            email: email.trim().to_string(),
            token: token.trim().to_string(),
        }
    }

    /// The account e-mail.
    pub fn email(&self) -> &str {
        &self.email
    }

    /// The API token itself.
    pub fn expose_token(&self) -> &str {
        &self.token
    }

    /// True when the e-mail or the token is empty.
    pub fn is_empty(&self) -> bool {
        self.email.is_empty() || self.token.is_empty()
    }

    /// `base64(email:token)`, the credential part of the header.
    pub(crate) fn encoded(&self) -> String {
        base64(format!("{}:{}", self.email, self.token).as_bytes())
    }

    /// A stable, non-reversible fingerprint of the pair.
    pub fn fingerprint(&self) -> u64 {
        fingerprint(&format!("{}\u{0}{}", self.email, self.token))
    }
}

impl fmt::Debug for BasicAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BasicAuth {{ email: {:?}, token: *** }}", self.email)
    }
}

impl fmt::Display for BasicAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:***", self.email)
    }
}

/// Standard base64 with padding (RFC 4648 section 4): a few lines here
/// rather than a dependency for one header.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// FNV-1a over the secret: deterministic across processes and Rust versions
/// (so a shared limiter store can use it), and 64 bits reveal nothing useful.
fn fingerprint(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacted_everywhere() {
        let k = GenieKey::new(" abc-123 ");
        assert_eq!(k.expose(), "abc-123");
        assert!(!format!("{k:?}{k}{k:#?}").contains("abc"));
        let t = BearerToken::new("tok");
        assert!(!format!("{t:?}{t}").contains("tok"));
    }

    #[test]
    fn basic_auth_encodes_and_redacts() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        let a = BasicAuth::new(" me@example.com ", " s3cret ");
        assert_eq!(a.encoded(), base64(b"me@example.com:s3cret"));
        assert!(!format!("{a:?}{a}{a:#?}").contains("s3cret"));
        assert!(BasicAuth::new("me@example.com", "").is_empty());
        assert_ne!(
            a.fingerprint(),
            BasicAuth::new("me@example.com", "other").fingerprint()
        );
    }

    #[test]
    fn fingerprint_differs_per_key_and_is_stable() {
        assert_eq!(
            GenieKey::new("a").fingerprint(),
            GenieKey::new("a").fingerprint()
        );
        assert_ne!(
            GenieKey::new("a").fingerprint(),
            GenieKey::new("b").fingerprint()
        );
    }
}
