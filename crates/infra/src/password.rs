//! bcrypt password hashing, run on the blocking pool so logins never stall async workers.

use async_trait::async_trait;
use domain::BoxError;
use domain::auth::PasswordHasher;
use domain::user::{Password, PasswordHash};

pub struct BcryptHasher {
    cost: u32,
    /// Verified against when the account does not exist, so that costs the same.
    dummy: String,
}

impl BcryptHasher {
    /// Computes the dummy hash once, at start-up.
    pub fn new(cost: u32) -> Result<Self, BoxError> {
        let dummy = bcrypt::hash("not-a-real-password", cost)?;
        Ok(Self { cost, dummy })
    }
}

#[async_trait]
impl PasswordHasher for BcryptHasher {
    async fn hash(&self, password: &Password) -> Result<PasswordHash, BoxError> {
        let plain = password.expose().to_owned();
        let cost = self.cost;
        let hash = tokio::task::spawn_blocking(move || bcrypt::hash(plain, cost)).await??;
        Ok(PasswordHash::new(hash))
    }

    async fn verify(&self, password: &str, hash: Option<PasswordHash>) -> Result<bool, BoxError> {
        let known = hash.is_some();
        let hash = hash.map_or_else(|| self.dummy.clone(), |h| h.as_str().to_owned());
        // bcrypt would silently ignore bytes past 72; such a password never matches.
        let too_long = password.len() > Password::MAX_BYTES;
        let plain = password.as_bytes()[..password.len().min(Password::MAX_BYTES)].to_vec();
        let ok = tokio::task::spawn_blocking(move || bcrypt::verify(plain, &hash)).await??;
        Ok(ok && known && !too_long)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_unknown_accounts_never_match() {
        let hasher = BcryptHasher::new(4).unwrap();
        let pw = Password::new("correct horse").unwrap();
        let hash = hasher.hash(&pw).await.unwrap();
        assert_ne!(hash.as_str(), pw.expose());
        assert!(
            hasher
                .verify("correct horse", Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(!hasher.verify("wrong horse!", Some(hash)).await.unwrap());
        assert!(!hasher.verify("not-a-real-password", None).await.unwrap());
    }

    #[tokio::test]
    async fn bytes_past_72_are_not_ignored() {
        let hasher = BcryptHasher::new(4).unwrap();
        let base = "a".repeat(72);
        let hash = hasher.hash(&Password::new(&base).unwrap()).await.unwrap();
        assert!(
            !hasher
                .verify(&format!("{base}extra"), Some(hash))
                .await
                .unwrap()
        );
    }
}
