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
}

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
        validation.leeway = 5;
        Self {
            algorithm,
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            access_ttl: TimeDelta::minutes(i64::from(access_minutes)),
            refresh_ttl: TimeDelta::days(i64::from(refresh_days)),
        }
    }
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

    fn new_refresh_token(&self) -> (String, String) {
        let token = random_token(32);
        let hash = self.hash_refresh_token(&token);
        (token, hash)
    }

    fn hash_refresh_token(&self, token: &str) -> String {
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
    fn refresh_tokens_are_random_and_hashed() {
        let svc = service(JwtAlgorithm::HS256);
        let (a, hash_a) = svc.new_refresh_token();
        let (b, _) = svc.new_refresh_token();
        assert_ne!(a, b);
        assert_eq!(hash_a.len(), 64);
        assert_eq!(svc.hash_refresh_token(&a), hash_a);
        assert_ne!(hash_a, a);
    }
}
