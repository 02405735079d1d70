//! The account-token adapter against real databases: only the hash is stored, a newer token
//! spends the account's earlier one, spending is single use under a race (two adapters on
//! one database, as two instances), an expired token cannot be spent, and a reset changes
//! the password, verifies the address and revokes sessions in the same transaction.

mod common;

use chrono::TimeDelta;
use domain::account::{AccountToken, AccountTokenRepository, TokenEffect, TokenPurpose};
use domain::job::{Job, JobKind};
use domain::user::{PasswordHash, UserRepository};
use infra::repositories::{SeaOrmAccountTokenRepository, SeaOrmUserRepository};
use sea_orm::{ConnectionTrait, Statement};
use uuid::Uuid;

fn mail(user_id: Uuid, token: &str) -> Job {
    Job::now(JobKind::PasswordResetEmail {
        user_id,
        email: "t@example.com".into(),
        name: "T".into(),
        token: token.into(),
    })
}

fn token(user_id: Uuid, hash: &str, lifetime: TimeDelta) -> AccountToken {
    AccountToken::new(user_id, TokenPurpose::PasswordReset, hash.into(), lifetime)
}

async fn tokens_cover(url: &str) {
    let db = common::migrated_db(url).await;
    let users = SeaOrmUserRepository::new(db.clone());
    let ann = common::members(&users, "tokens", 1).await.remove(0);
    let repo = SeaOrmAccountTokenRepository::new(db.clone());
    let other = SeaOrmAccountTokenRepository::new(common::migrated_db(url).await);

    // Stored by hash only; the plain token appears in no token row.
    let hash = "a".repeat(64);
    let first = token(ann.id, &hash, TimeDelta::minutes(30));
    repo.issue(&first, &mail(ann.id, "plain-one"))
        .await
        .unwrap();
    let conn = infra::db::connect(url, 1).await.unwrap();
    let rows = conn
        .query_all_raw(Statement::from_string(
            conn.get_database_backend(),
            "SELECT token_hash FROM account_tokens",
        ))
        .await
        .unwrap();
    let stored: Vec<String> = rows
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).unwrap())
        .collect();
    assert_eq!(stored, vec![hash.clone()]);
    let found = repo.find_live(&hash, TokenPurpose::PasswordReset).await;
    assert_eq!(found.unwrap().map(|t| t.id), Some(first.id));
    assert!(
        repo.find_live(&hash, TokenPurpose::EmailVerification)
            .await
            .unwrap()
            .is_none(),
        "a token works only for its purpose"
    );

    // A newer token spends the earlier one.
    let second = token(ann.id, &"b".repeat(64), TimeDelta::minutes(30));
    repo.issue(&second, &mail(ann.id, "plain-two"))
        .await
        .unwrap();
    assert!(
        repo.find_live(&hash, TokenPurpose::PasswordReset)
            .await
            .unwrap()
            .is_none()
    );
    assert!(!repo.spend(&first, &TokenEffect::VerifyEmail).await.unwrap());

    // Two instances racing on one token: exactly one wins, and its effect is applied once.
    let effect = TokenEffect::ResetPassword {
        password_hash: PasswordHash::new("new-hash"),
        notice: Job::now(JobKind::PasswordChangedEmail {
            user_id: ann.id,
            email: "t@example.com".into(),
            name: "T".into(),
        }),
    };
    let (a, b) = tokio::join!(repo.spend(&second, &effect), other.spend(&second, &effect));
    let wins = [a.unwrap(), b.unwrap()];
    assert_eq!(wins.iter().filter(|w| **w).count(), 1, "{wins:?}");
    let after = users.find_by_id(ann.id).await.unwrap().unwrap();
    assert_eq!(after.password_hash.as_str(), "new-hash");
    assert!(after.email_verified);
    let notices = conn
        .query_one_raw(Statement::from_string(
            conn.get_database_backend(),
            "SELECT COUNT(*) FROM jobs WHERE kind = 'password_changed_email'",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap();
    assert_eq!(notices, 1, "one notice for one reset");

    // An expired token is neither found nor spent.
    let expired = token(ann.id, &"c".repeat(64), TimeDelta::seconds(-1));
    repo.issue(&expired, &mail(ann.id, "plain-three"))
        .await
        .unwrap();
    assert!(
        repo.find_live(&"c".repeat(64), TokenPurpose::PasswordReset)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        !repo
            .spend(&expired, &TokenEffect::VerifyEmail)
            .await
            .unwrap()
    );
}

on_both_backends!(tokens_cover: tokens_on_sqlite, tokens_on_postgres);
