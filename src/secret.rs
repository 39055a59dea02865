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
