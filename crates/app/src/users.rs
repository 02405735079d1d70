//! Users: one's own account, and administration of everyone's.

use crate::error::AppError;
use crate::login_throttle::{LoginThrottle, Throttled};
use crate::rewrite::rewrite;
use crate::service_error;
use domain::auth::{PasswordHasher, Principal, SessionRepository};
use domain::concurrency::{IfMatch, Versioned, version_to_delete};
use domain::error::RepoError;
use domain::event::{Audience, Event, EventPublisher, Notification};
use domain::pagination::{BY_TIME_THEN_ID, Page, PageRequest};
use domain::user::{
    Email, LAST_ADMIN, Password, PasswordHash, Role, User, UserFilter, UserName, UserRepository,
    UserView,
};
use domain::validation::{ValidationError, Validator, required, search_text};
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

service_error! {
    pub enum UserError for "user" {
        #[error("an account with this email already exists")]
        EmailTaken,
        #[error("the current password is incorrect")]
        WrongPassword,
        #[error("this is the last active admin: promote another user first")]
        LastAdmin,
        /// The account's budget of failed password checks is spent.
        #[error("too many failed password checks for this account; retry later")]
        TooManyAttempts { retry_after: Duration },
    }
    conflict(constraint) => if constraint == LAST_ADMIN {
        UserError::LastAdmin
    } else {
        UserError::EmailTaken
    },
}

/// Changes a user makes to its own account.
#[derive(Debug, Clone, Default)]
pub struct UpdateMe {
    pub name: Option<String>,
    pub password: Option<String>,
    pub current_password: Option<String>,
}

/// An account an admin creates.
#[derive(Debug, Clone)]
pub struct NewUserInput {
    pub email: String,
    pub password: String,
    pub name: Option<String>,
    pub role: Option<String>,
}

/// Changes an admin makes to any account.
#[derive(Debug, Clone, Default)]
pub struct AdminUpdate {
    pub name: Option<String>,
    pub role: Option<String>,
    pub is_active: Option<bool>,
}

/// Result of bootstrapping the first admin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminBootstrap {
    Created(Uuid),
    /// An account with that email exists and was left as it is.
    AlreadyExists(Uuid),
}

impl From<Throttled> for UserError {
    fn from(e: Throttled) -> Self {
        match e {
            Throttled::Wait(retry_after) => Self::TooManyAttempts { retry_after },
            Throttled::Unavailable(source) => AppError::Unavailable(source).into(),
        }
    }
}

pub struct UserService {
    users: Arc<dyn UserRepository>,
    sessions: Arc<dyn SessionRepository>,
    hasher: Arc<dyn PasswordHasher>,
    events: Arc<dyn EventPublisher>,
    throttle: Arc<LoginThrottle>,
}

impl UserService {
    pub fn new(
        users: Arc<dyn UserRepository>,
        sessions: Arc<dyn SessionRepository>,
        hasher: Arc<dyn PasswordHasher>,
        events: Arc<dyn EventPublisher>,
        throttle: Arc<LoginThrottle>,
    ) -> Self {
        Self {
            users,
            sessions,
            hasher,
            events,
            throttle,
        }
    }

    pub async fn me(&self, caller: &Principal) -> Result<User, UserError> {
        self.load(caller.user_id).await
    }

    /// Renames the caller or changes its password (which needs the current one, checked
    /// against the account's login budget). A new password ends every other session of the
    /// account, on every instance: whoever knew the old one is out.
    pub async fn update_me(
        &self,
        caller: &Principal,
        input: UpdateMe,
        if_match: Option<&IfMatch>,
    ) -> Result<User, UserError> {
        let mut v = Validator::new();
        let name = v.check_opt("name", input.name.as_deref(), UserName::new);
        let password = v.check_opt("password", input.password.as_deref(), Password::new);
        if input.password.is_some() && input.current_password.is_none() {
            v.push("current_password", "is required to change the password");
        }
        v.finish()?;
        let (name, password) = (required(name, "name")?, required(password, "password")?);

        let new_hash = match password {
            Some(password) => {
                let current = input.current_password.unwrap_or_default();
                Some(self.new_password(caller, &current, &password).await?)
            }
            None => None,
        };
        let user = rewrite(if_match, || async {
            let mut user = self.load(caller.user_id).await?;
            let expected = user.expected_version(if_match)?;
            if let Some(hash) = &new_hash {
                user.password_hash = hash.clone();
            }
            if let Some(name) = &name {
                user.name = name.clone();
            }
            user.touch();
            self.users.update(&user, expected).await?;
            Ok::<_, UserError>(user)
        })
        .await?;
        if new_hash.is_some() {
            self.sessions
                .revoke_all_for_user(user.id, Some(caller.session_id))
                .await?;
            self.events.publish(Notification::new(
                Audience::UserExcept {
                    user: user.id,
                    session: caller.session_id,
                },
                Event::SessionEnded,
            ));
        }
        Ok(user)
    }

    /// The hash of `password`, once `current` proved to be the caller's password. Each
    /// check counts against the account's login budget like a login does.
    async fn new_password(
        &self,
        caller: &Principal,
        current: &str,
        password: &Password,
    ) -> Result<PasswordHash, UserError> {
        let user = self.load(caller.user_id).await?;
        let account = user.email.as_str();
        self.throttle.check(account).await?;
        let ok = self
            .hasher
            .verify(current, Some(user.password_hash))
            .await
            .map_err(AppError::Unexpected)?;
        if !ok {
            self.throttle.failed(account).await?;
            return Err(UserError::WrongPassword);
        }
        Ok(self
            .hasher
            .hash(password)
            .await
            .map_err(AppError::Unexpected)?)
    }

    /// The admin's list of accounts.
    pub async fn list(
        &self,
        caller: &Principal,
        filter: UserFilter,
        page: PageRequest,
    ) -> Result<Page<User>, UserError> {
        caller.require_admin()?;
        page.check_key(BY_TIME_THEN_ID)
            .map_err(ValidationError::from)?;
        let filter = UserFilter {
            q: search_text(filter.q),
        };
        Ok(self.users.list(&filter, page).await?)
    }

    /// An admin creates an account with any role.
    pub async fn create(&self, caller: &Principal, input: NewUserInput) -> Result<User, UserError> {
        caller.require_admin()?;
        let user = self.build_user(input).await?;
        self.users.create(&user, None).await?;
        Ok(user)
    }

    /// Everything to the user itself and to admins, `{id, name}` to anyone else.
    pub async fn get(&self, caller: &Principal, id: Uuid) -> Result<UserView, UserError> {
        let user = self.load(id).await?;
        if caller.user_id == id || caller.is_admin() {
            Ok(UserView::Full(user))
        } else {
            Ok(UserView::Public {
                etag: user.etag(),
                id: user.id,
                name: user.name,
            })
        }
    }

    /// An admin renames, promotes, demotes, deactivates or reactivates an account.
    /// Deactivation ends every session of the account, so reactivation starts clean; a
    /// role change reaches every instance's sessions at once.
    pub async fn update(
        &self,
        caller: &Principal,
        id: Uuid,
        input: AdminUpdate,
        if_match: Option<&IfMatch>,
    ) -> Result<User, UserError> {
        caller.require_admin()?;
        let mut v = Validator::new();
        let name = v.check_opt("name", input.name.as_deref(), UserName::new);
        let role = v.check_opt("role", input.role.as_deref(), str::parse::<Role>);
        v.finish()?;
        let (name, role) = (required(name, "name")?, required(role, "role")?);

        let (user, deactivated, role_changed) = rewrite(if_match, || async {
            let mut user = self.load(id).await?;
            let expected = user.expected_version(if_match)?;
            let (was_active, old_role) = (user.is_active, user.role);
            if let Some(name) = &name {
                user.name = name.clone();
            }
            if let Some(role) = role {
                user.role = role;
            }
            if let Some(active) = input.is_active {
                user.is_active = active;
            }
            user.touch();
            self.users.update(&user, expected).await?;
            let deactivated = was_active && !user.is_active;
            let role_changed = old_role != user.role;
            Ok::<_, UserError>((user, deactivated, role_changed))
        })
        .await?;
        if deactivated {
            self.sessions.revoke_all_for_user(user.id, None).await?;
            self.sockets_close(user.id);
        } else if role_changed {
            self.events.publish(Notification::new(
                Audience::User(user.id),
                Event::AccountChanged,
            ));
        }
        Ok(user)
    }

    /// An admin deletes an account with its posts, comments and votes.
    pub async fn delete(
        &self,
        caller: &Principal,
        id: Uuid,
        if_match: Option<&IfMatch>,
    ) -> Result<(), UserError> {
        caller.require_admin()?;
        let expected = version_to_delete(if_match, self.load(id)).await?;
        self.users.delete(id, expected).await?;
        self.sockets_close(id);
        Ok(())
    }

    /// The account's sessions are gone: its open sockets close, on every instance.
    fn sockets_close(&self, user_id: Uuid) {
        self.events.publish(Notification::new(
            Audience::User(user_id),
            Event::SessionEnded,
        ));
    }

    /// Creates the first admin from configuration or the CLI; an existing account with
    /// that email is never overwritten.
    pub async fn bootstrap_admin(
        &self,
        email: &str,
        password: &str,
    ) -> Result<AdminBootstrap, UserError> {
        let mut v = Validator::new();
        let parsed = v.check("email", Email::parse(email));
        v.check("password", Password::new(password));
        v.finish()?;
        let parsed = required(parsed, "email")?;
        if let Some(existing) = self.users.find_by_email(&parsed).await? {
            return Ok(AdminBootstrap::AlreadyExists(existing.id));
        }
        let input = NewUserInput {
            email: email.to_owned(),
            password: password.to_owned(),
            name: None,
            role: Some(Role::Admin.as_str().to_owned()),
        };
        let user = self.build_user(input).await?;
        match self.users.create(&user, None).await {
            Ok(()) => Ok(AdminBootstrap::Created(user.id)),
            // Another instance bootstrapped it at the same moment.
            Err(RepoError::Conflict(_)) => {
                let existing = self
                    .users
                    .find_by_email(&user.email)
                    .await?
                    .ok_or_else(UserError::not_found)?;
                Ok(AdminBootstrap::AlreadyExists(existing.id))
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn build_user(&self, input: NewUserInput) -> Result<User, UserError> {
        let mut v = Validator::new();
        let email = v.check("email", Email::parse(&input.email));
        let password = v.check("password", Password::new(&input.password));
        let name = v.check_opt("name", input.name.as_deref(), UserName::new);
        let role = v.check_opt("role", input.role.as_deref(), str::parse::<Role>);
        v.finish()?;
        let email = required(email, "email")?;
        let password = required(password, "password")?;
        let name = required(name, "name")?;
        let role = required(role, "role")?.unwrap_or_default();
        let hash = self
            .hasher
            .hash(&password)
            .await
            .map_err(AppError::Unexpected)?;
        // An admin vouches for the address (SPEC: admin-created accounts start verified).
        let mut user = User::new(email, name, role, hash);
        user.email_verified = true;
        Ok(user)
    }

    async fn load(&self, id: Uuid) -> Result<User, UserError> {
        self.users
            .find_by_id(id)
            .await?
            .ok_or_else(UserError::not_found)
    }
}
