//! Users: accounts, their value objects and the repository port.

use crate::account::AccountToken;
use crate::concurrency::{ETag, ExpectedVersion, versioned};
use crate::error::RepoError;
use crate::job::Job;
use crate::pagination::{Page, PageRequest};
use crate::time::{self, Timestamp};
use crate::validation::{Invalid, named_enum, text_value};
use async_trait::async_trait;
use std::fmt;
use uuid::Uuid;

versioned!(User);

/// A syntactically valid e-mail address, trimmed and lower-cased so that uniqueness is
/// case-insensitive.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub const MAX_LEN: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let email = raw.trim().to_lowercase();
        if email.is_empty() {
            return Err(Invalid::new("must not be empty"));
        }
        if email.len() > Self::MAX_LEN {
            return Err(Invalid::new(format!(
                "must be at most {} characters",
                Self::MAX_LEN
            )));
        }
        // Display-name forms such as "A <a@b.c>" are valid RFC 5322 but not an address.
        if email.contains(['<', '>', ' ']) || !email_address::EmailAddress::is_valid(&email) {
            return Err(Invalid::new("must be a valid e-mail address"));
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part before the `@`, the default display name.
    pub fn local_part(&self) -> &str {
        self.0.split('@').next().unwrap_or(&self.0)
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

text_value!(
    /// A display name: 1 to 100 characters after trimming.
    UserName, bounded_name, 1, UserName::MAX_CHARS
);

impl UserName {
    pub const MAX_CHARS: usize = 100;

    /// The default name for a new account: the address's local part, cut to fit.
    pub fn from_email(email: &Email) -> Self {
        Self(email.local_part().chars().take(Self::MAX_CHARS).collect())
    }
}

/// A plain-text password as a client sent it: 8 to 72 bytes, since bcrypt ignores
/// everything after byte 72 and a silently truncated password is a weaker one.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub const MIN_BYTES: usize = 8;
    pub const MAX_BYTES: usize = 72;

    pub fn new(raw: &str) -> Result<Self, Invalid> {
        if raw.len() < Self::MIN_BYTES {
            return Err(Invalid::new(format!(
                "must be at least {} bytes",
                Self::MIN_BYTES
            )));
        }
        if raw.len() > Self::MAX_BYTES {
            return Err(Invalid::new(format!(
                "must be at most {} bytes",
                Self::MAX_BYTES
            )));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// A stored password hash (bcrypt's modular crypt format).
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    pub fn new(hash: impl Into<String>) -> Self {
        Self(hash.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(***)")
    }
}

named_enum! {
    #[derive(Default)]
    pub enum Role {
        #[default]
        Member = "member",
        Admin = "admin",
    }
}

/// An account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: Uuid,
    pub email: Email,
    pub name: UserName,
    pub role: Role,
    pub is_active: bool,
    /// Whether a mail sent to `email` came back (a verification link or a password reset).
    pub email_verified: bool,
    pub password_hash: PasswordHash,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl User {
    /// A new active account with a time-ordered id, its address not yet verified.
    pub fn new(
        email: Email,
        name: Option<UserName>,
        role: Role,
        password_hash: PasswordHash,
    ) -> Self {
        let now = time::now();
        let name = name.unwrap_or_else(|| UserName::from_email(&email));
        Self {
            id: Uuid::now_v7(),
            email,
            name,
            role,
            is_active: true,
            email_verified: false,
            password_hash,
            created_at: now,
            updated_at: now,
        }
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// What a caller may see of a user: everything about itself (or as an admin), only
/// `{id, name}` about anyone else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserView {
    Full(User),
    Public {
        id: Uuid,
        name: UserName,
        etag: ETag,
    },
}

/// Filters of the admin's user list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserFilter {
    /// Case-insensitive substring of the email or the name.
    pub q: Option<String>,
}

/// What a registration stores beside the account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Welcome {
    /// The e-mail verification token the welcome mail carries.
    pub token: AccountToken,
    /// The welcome e-mail.
    pub mail: Job,
}

/// The conflict a user write reports (`RepoError::Conflict(LAST_ADMIN)`) when it would
/// leave no active admin: nobody could then administer the service.
pub const LAST_ADMIN: &str = "last_active_admin";

/// Storage of users. Every write that must be atomic is one method.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait UserRepository: Send + Sync {
    /// Inserts the user and, in the same transaction, its welcome (the verification token
    /// and the welcome e-mail that carries it) so none exists without the others. A taken
    /// email is `RepoError::Conflict`.
    async fn create(&self, user: &User, welcome: Option<Welcome>) -> Result<(), RepoError>;
    async fn find_by_id(&self, id: Uuid) -> Result<Option<User>, RepoError>;
    async fn find_by_email(&self, email: &Email) -> Result<Option<User>, RepoError>;
    async fn list(&self, filter: &UserFilter, page: PageRequest) -> Result<Page<User>, RepoError>;
    /// Saves the changed user. With `expected`, the write only applies while the
    /// stored version is still that one (else `RepoError::Stale`). Demoting or deactivating
    /// the last active admin is `RepoError::Conflict(LAST_ADMIN)`, decided atomically with
    /// the write (two admins demoting each other cannot both succeed).
    async fn update(&self, user: &User, expected: ExpectedVersion) -> Result<(), RepoError>;
    /// Deletes the user with everything it owns (`RepoError::NotFound` if absent,
    /// `RepoError::Stale` if `expected` no longer matches,
    /// `RepoError::Conflict(LAST_ADMIN)` for the last active admin).
    async fn delete(&self, id: Uuid, expected: ExpectedVersion) -> Result<(), RepoError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::concurrency::Versioned;

    #[test]
    fn email_is_trimmed_lowercased_and_validated() {
        assert_eq!(
            Email::parse("  Ann@Example.COM ").unwrap().as_str(),
            "ann@example.com"
        );
        for bad in [
            "",
            "ann",
            "ann@",
            "@example.com",
            "a b@example.com",
            "Ann <ann@example.com>",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} accepted");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(Email::parse(&long).is_err());
    }

    #[test]
    fn name_bounds_count_characters_not_bytes() {
        assert_eq!(UserName::new("  Ann ").unwrap().as_str(), "Ann");
        assert!(UserName::new("   ").is_err());
        assert!(UserName::new(&"é".repeat(100)).is_ok());
        assert!(UserName::new(&"é".repeat(101)).is_err());
        assert!(UserName::new("a\u{0}b").is_err());
    }

    #[test]
    fn default_name_is_the_local_part() {
        let email = Email::parse("Grace.Hopper@navy.mil").unwrap();
        assert_eq!(UserName::from_email(&email).as_str(), "grace.hopper");
    }

    #[test]
    fn password_bounds_are_bytes() {
        assert!(Password::new("1234567").is_err());
        assert!(Password::new("12345678").is_ok());
        assert!(Password::new(&"x".repeat(72)).is_ok());
        assert!(Password::new(&"x".repeat(73)).is_err());
        // 36 two-byte characters are 72 bytes; one more is over bcrypt's limit.
        assert!(Password::new(&"é".repeat(36)).is_ok());
        assert!(Password::new(&"é".repeat(37)).is_err());
        assert_eq!(
            format!("{:?}", Password::new("secret-pw").unwrap()),
            "Password(***)"
        );
    }

    #[test]
    fn roles_parse_and_print() {
        assert_eq!("admin".parse::<Role>().unwrap(), Role::Admin);
        assert_eq!(Role::Member.to_string(), "member");
        assert!("root".parse::<Role>().is_err());
        assert!("Admin".parse::<Role>().is_err());
    }

    #[test]
    fn new_users_are_active_members_with_fresh_versions() {
        let email = Email::parse("a@b.co").unwrap();
        let mut user = User::new(email, None, Role::Member, PasswordHash::new("h"));
        assert!(user.is_active && !user.is_admin());
        assert_eq!(user.name.as_str(), "a");
        let before = user.etag();
        user.touch();
        assert_ne!(before, user.etag());
    }
}
