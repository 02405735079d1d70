//! JWT access tokens (HMAC, algorithm pinned) and opaque refresh tokens stored as SHA-256.

use crate::config::JwtAlgorithm;
pub use crate::secret::random_token;
use chrono::TimeDelta;
use domain::BoxError;
use domain::auth::{AccessClaims, AccessToken, Principal, TokenError, TokenService};
use domain::user::Role;
use jsonwebtoken::{
    Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode, errors::ErrorKind,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use uuid::Uuid;

pub const ISSUER: &str = "rust-rest-api";
pub const AUDIENCE: &str = "rust-rest-api";

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: Uuid,
    sid: Uuid,
    jti: Uuid,
    /// `Role::as_str`: the claim's format is this adapter's, not the domain's.
    role: String,
    iat: i64,
    exp: i64,
    iss: String,
    aud: String,
}

pub struct JwtTokenService {
    algorithm: Algorithm,
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    access_ttl: TimeDelta,
    refresh_ttl: TimeDelta,
    verified: Verified,
}

/// Seconds past `exp` a token is still accepted (clock skew between instances).
const LEEWAY_SECS: i64 = 5;

impl JwtTokenService {
    pub fn new(
        secret: &[u8],
        algorithm: JwtAlgorithm,
        access_minutes: u32,
        refresh_days: u32,
    ) -> Self {
        let algorithm = match algorithm {
            JwtAlgorithm::HS256 => Algorithm::HS256,
            JwtAlgorithm::HS384 => Algorithm::HS384,
            JwtAlgorithm::HS512 => Algorithm::HS512,
        };
        // Only the configured algorithm verifies: `none` and every other one are refused.
        let mut validation = Validation::new(algorithm);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = LEEWAY_SECS.unsigned_abs();
        Self {
            algorithm,
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            access_ttl: TimeDelta::minutes(i64::from(access_minutes)),
            refresh_ttl: TimeDelta::days(i64::from(refresh_days)),
            verified: Verified::default(),
        }
    }

    fn decode_access(&self, token: &str) -> Result<AccessClaims, TokenError> {
        let data =
            decode::<Claims>(token, &self.decoding, &self.validation).map_err(|e| {
                match e.kind() {
                    ErrorKind::ExpiredSignature => TokenError::Expired,
                    other => TokenError::Invalid(format!("{other:?}")),
                }
            })?;
        let c = data.claims;
        let role = c
            .role
            .parse::<Role>()
            .map_err(|_| TokenError::Invalid(format!("unknown role {:?}", c.role)))?;
        Ok(AccessClaims {
            user_id: c.sub,
            session_id: c.sid,
            token_id: c.jti,
            role,
            expires_at: c.exp,
        })
    }
}

/// Access tokens that verified, with their claims. A client sends the same token on every
/// request for its lifetime, and checking the signature and parsing the claims again was a
/// tenth of a signed-in list page's instructions (callgrind). Keyed by the whole token, so
/// only the very bytes that verified are taken on trust; expiry is checked on every use as
/// `decode` checks it. Revocation is not this cache's concern: the session is still looked
/// up for every request.
#[derive(Default)]
struct Verified(Mutex<HashMap<String, AccessClaims>>);

impl Verified {
    /// Tokens kept at most; when full, the expired ones go, or else all of them.
    const MAX: usize = 4096;

    fn get(&self, token: &str) -> Option<AccessClaims> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(token)
            .cloned()
    }

    fn keep(&self, token: &str, claims: &AccessClaims, now: i64) {
        let mut tokens = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if tokens.len() >= Self::MAX {
            tokens.retain(|_, c| !expired(c, now));
            if tokens.len() >= Self::MAX {
                tokens.clear();
            }
        }
        tokens.insert(token.to_owned(), claims.clone());
    }
}

fn expired(claims: &AccessClaims, now: i64) -> bool {
    claims.expires_at < now - LEEWAY_SECS
}

impl TokenService for JwtTokenService {
    fn issue_access(&self, principal: &Principal) -> Result<AccessToken, BoxError> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: principal.user_id,
            sid: principal.session_id,
            jti: Uuid::now_v7(),
            role: principal.role.as_str().to_owned(),
            iat: now,
            exp: now + self.access_ttl.num_seconds(),
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
        };
        let token = encode(&Header::new(self.algorithm), &claims, &self.encoding)?;
        Ok(AccessToken {
            token,
            expires_in: self.access_ttl.num_seconds(),
        })
    }

    fn verify_access(&self, token: &str) -> Result<AccessClaims, TokenError> {
        let now = chrono::Utc::now().timestamp();
        if let Some(claims) = self.verified.get(token) {
            return if expired(&claims, now) {
                Err(TokenError::Expired)
            } else {
                Ok(claims)
            };
        }
        let claims = self.decode_access(token)?;
        self.verified.keep(token, &claims, now);
        Ok(claims)
    }

    fn new_opaque_token(&self) -> (String, String) {
        let token = random_token(32);
        let hash = self.hash_opaque_token(&token);
        (token, hash)
    }

    fn hash_opaque_token(&self, token: &str) -> String {
        let digest = Sha256::digest(token.as_bytes());
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn refresh_ttl(&self) -> TimeDelta {
        self.refresh_ttl
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(alg: JwtAlgorithm) -> JwtTokenService {
        JwtTokenService::new(b"0123456789abcdef0123456789abcdef", alg, 15, 30)
    }

    fn principal() -> Principal {
        Principal {
            user_id: Uuid::now_v7(),
            session_id: Uuid::now_v7(),
            role: Role::Admin,
            email_verified: true,
        }
    }

    #[test]
    fn round_trip_keeps_the_claims() {
        for alg in [
            JwtAlgorithm::HS256,
            JwtAlgorithm::HS384,
            JwtAlgorithm::HS512,
        ] {
            let svc = service(alg);
            let p = principal();
            let issued = svc.issue_access(&p).unwrap();
            assert_eq!(issued.expires_in, 900);
            let claims = svc.verify_access(&issued.token).unwrap();
            assert_eq!(
                (claims.user_id, claims.session_id, claims.role),
                (p.user_id, p.session_id, p.role)
            );
        }
    }

    #[test]
    fn the_role_claim_is_its_name_and_an_unknown_one_is_refused() {
        let svc = service(JwtAlgorithm::HS256);
        let issued = svc.issue_access(&principal()).unwrap();
        let raw = decode::<serde_json::Value>(&issued.token, &svc.decoding, &svc.validation);
        assert_eq!(raw.unwrap().claims["role"], "admin");
        let mut forged = decode::<Claims>(&issued.token, &svc.decoding, &svc.validation)
            .unwrap()
            .claims;
        forged.role = "superuser".into();
        let token = encode(&Header::new(svc.algorithm), &forged, &svc.encoding).unwrap();
        assert!(matches!(
            svc.verify_access(&token),
            Err(TokenError::Invalid(_))
        ));
    }

    #[test]
    fn another_algorithm_or_key_is_refused() {
        let token = service(JwtAlgorithm::HS512)
            .issue_access(&principal())
            .unwrap()
            .token;
        assert!(matches!(
            service(JwtAlgorithm::HS256).verify_access(&token),
            Err(TokenError::Invalid(_))
        ));
        let other = JwtTokenService::new(
            b"another-secret-another-secret-xx",
            JwtAlgorithm::HS256,
            15,
            30,
        );
        let token = other.issue_access(&principal()).unwrap().token;
        assert!(service(JwtAlgorithm::HS256).verify_access(&token).is_err());
    }

    #[test]
    fn a_remembered_token_still_expires_and_only_its_exact_bytes_are_remembered() {
        let svc = service(JwtAlgorithm::HS256);
        let token = svc.issue_access(&principal()).unwrap().token;
        let claims = svc.verify_access(&token).unwrap();
        assert_eq!(svc.verified.get(&token), Some(claims.clone()));
        // The same token with its signature's first character changed: verified afresh.
        let at = token.rfind('.').unwrap() + 1;
        let first = if token[at..].starts_with('A') {
            "B"
        } else {
            "A"
        };
        let tampered = format!("{}{first}{}", &token[..at], &token[at + 1..]);
        assert!(matches!(
            svc.verify_access(&tampered),
            Err(TokenError::Invalid(_))
        ));
        // Time passes for a remembered token: past `exp` and the leeway it is refused.
        let now = chrono::Utc::now().timestamp();
        let stale = AccessClaims {
            expires_at: now - LEEWAY_SECS - 1,
            ..claims.clone()
        };
        svc.verified.keep(&token, &stale, now);
        assert_eq!(svc.verify_access(&token), Err(TokenError::Expired));
        let within_leeway = AccessClaims {
            expires_at: now - LEEWAY_SECS + 1,
            ..claims
        };
        svc.verified.keep(&token, &within_leeway, now);
        assert!(svc.verify_access(&token).is_ok());
    }

    #[test]
    fn remembered_tokens_are_bounded_and_the_expired_go_first() {
        let verified = Verified::default();
        let now = 1_000_000;
        let claims = |expires_at| AccessClaims {
            user_id: Uuid::nil(),
            session_id: Uuid::nil(),
            token_id: Uuid::nil(),
            role: Role::Member,
            expires_at,
        };
        verified.keep("old", &claims(now - 60), now);
        for i in 1..Verified::MAX {
            verified.keep(&format!("t{i}"), &claims(now + 60), now);
        }
        verified.keep("new", &claims(now + 60), now);
        assert!(verified.get("old").is_none(), "the expired one made room");
        assert!(verified.get("t1").is_some() && verified.get("new").is_some());
        // Full of live tokens: all go, so memory stays bounded.
        verified.keep("newer", &claims(now + 60), now);
        assert!(verified.get("t1").is_none() && verified.get("newer").is_some());
    }

    #[test]
    fn refresh_tokens_are_random_and_hashed() {
        let svc = service(JwtAlgorithm::HS256);
        let (a, hash_a) = svc.new_opaque_token();
        let (b, _) = svc.new_opaque_token();
        assert_ne!(a, b);
        assert_eq!(hash_a.len(), 64);
        assert_eq!(svc.hash_opaque_token(&a), hash_a);
        assert_ne!(hash_a, a);
    }
}
