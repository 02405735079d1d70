//! Auth use cases: refresh, logout and authentication of a session.

use super::*;

#[tokio::test]
async fn refresh_rotates_a_fresh_token() {
    let sid = Uuid::now_v7();
    let rec = record(sid, false, TimeDelta::days(1));
    let used_id = rec.id;
    let mut m = refresh_mocks(Some(rec)).with_tokens();
    let p = Principal {
        user_id: Uuid::now_v7(),
        session_id: sid,
        role: Role::Member,
        email_verified: true,
    };
    m.sessions
        .expect_find_principal()
        .with(eq(sid))
        .returning(move |_| Ok(Some(p)));
    m.sessions
        .expect_rotate_refresh_token()
        .withf(move |used, next| {
            *used == used_id && next.session_id == sid && next.token_hash == "hashed-refresh"
        })
        .times(1)
        .returning(|_, _| Ok(true));
    let pair = m.service().refresh("plain").await.unwrap();
    assert_eq!(pair.refresh_token, "plain-refresh");
}

/// Expects `sid` revoked once, and exactly one `session.ended` for it: its sockets close on
/// every instance.
fn expect_revoked(m: &mut Mocks, sid: Uuid) {
    m.sessions
        .expect_revoke()
        .with(eq(sid))
        .times(1)
        .returning(|_| Ok(()));
    m.events
        .expect_publish()
        .withf(move |n| n.audience == Audience::Session(sid) && n.event == Event::SessionEnded)
        .times(1)
        .return_const(());
}

#[tokio::test]
async fn refresh_reuse_revokes_the_session() {
    let sid = Uuid::now_v7();
    let mut m = refresh_mocks(Some(record(sid, true, TimeDelta::days(1))));
    expect_revoked(&mut m, sid);
    assert!(matches!(
        m.service().refresh("plain").await,
        Err(AuthError::InvalidToken)
    ));
}

#[tokio::test]
async fn refresh_losing_a_race_is_reuse_too() {
    let sid = Uuid::now_v7();
    let mut m = refresh_mocks(Some(record(sid, false, TimeDelta::days(1)))).with_tokens();
    let p = Principal {
        user_id: Uuid::now_v7(),
        session_id: sid,
        role: Role::Member,
        email_verified: true,
    };
    m.sessions
        .expect_find_principal()
        .returning(move |_| Ok(Some(p)));
    m.sessions
        .expect_rotate_refresh_token()
        .returning(|_, _| Ok(false));
    expect_revoked(&mut m, sid);
    assert!(matches!(
        m.service().refresh("plain").await,
        Err(AuthError::InvalidToken)
    ));
}

#[tokio::test]
async fn refresh_refuses_unknown_expired_and_dead_sessions() {
    let m = refresh_mocks(None);
    assert!(matches!(
        m.service().refresh("x").await,
        Err(AuthError::InvalidToken)
    ));

    let m = refresh_mocks(Some(record(Uuid::now_v7(), false, TimeDelta::seconds(-1))));
    assert!(matches!(
        m.service().refresh("x").await,
        Err(AuthError::InvalidToken)
    ));

    let mut m =
        refresh_mocks(Some(record(Uuid::now_v7(), false, TimeDelta::days(1)))).with_tokens();
    m.sessions.expect_find_principal().returning(|_| Ok(None));
    assert!(matches!(
        m.service().refresh("x").await,
        Err(AuthError::InvalidToken)
    ));
}

#[tokio::test]
async fn logout_revokes_the_callers_session() {
    let p = principal_of(&user("a@b.co", Role::Member));
    let mut m = Mocks::new();
    expect_revoked(&mut m, p.session_id);
    m.service().logout(&p).await.unwrap();

    // Nothing revoked, nothing announced.
    let mut m = Mocks::new();
    m.sessions
        .expect_revoke()
        .returning(|_| Err(RepoError::Unavailable("down".into())));
    assert!(matches!(
        m.service().logout(&p).await,
        Err(AuthError::Unavailable(_))
    ));
}

fn claims(user_id: Uuid, session_id: Uuid) -> AccessClaims {
    AccessClaims {
        user_id,
        session_id,
        token_id: Uuid::now_v7(),
        role: Role::Member,
        expires_at: 0,
    }
}

#[tokio::test]
async fn authenticate_needs_a_valid_token_and_a_live_session_of_the_same_user() {
    let p = principal_of(&user("a@b.co", Role::Admin));
    let mut m = Mocks::new();
    m.tokens
        .expect_verify_access()
        .returning(move |_| Ok(claims(p.user_id, p.session_id)));
    m.sessions
        .expect_find_principal()
        .with(eq(p.session_id))
        .returning(move |_| Ok(Some(p)));
    assert_eq!(m.service().authenticate("t").await.unwrap(), p);

    let mut m = Mocks::new();
    m.tokens
        .expect_verify_access()
        .returning(|_| Err(TokenError::Expired));
    assert!(matches!(
        m.service().authenticate("t").await,
        Err(AuthError::InvalidToken)
    ));

    let mut m = Mocks::new();
    m.tokens
        .expect_verify_access()
        .returning(move |_| Ok(claims(p.user_id, p.session_id)));
    m.sessions.expect_find_principal().returning(|_| Ok(None));
    assert!(matches!(
        m.service().authenticate("t").await,
        Err(AuthError::InvalidToken)
    ));

    // A session that belongs to someone else than the token's subject.
    let mut m = Mocks::new();
    m.tokens
        .expect_verify_access()
        .returning(move |_| Ok(claims(Uuid::now_v7(), p.session_id)));
    m.sessions
        .expect_find_principal()
        .returning(move |_| Ok(Some(p)));
    assert!(matches!(
        m.service().authenticate("t").await,
        Err(AuthError::InvalidToken)
    ));
}
