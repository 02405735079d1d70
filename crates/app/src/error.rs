//! The failures every use case shares. A service's own error wraps this one and adds only
//! its business rules (`EmailTaken`, `StockOutOfRange`, ...), so the edge maps these once.

use domain::BoxError;
use domain::auth::AdminRequired;
use domain::concurrency::PreconditionFailed;
use domain::error::RepoError;
use domain::validation::ValidationError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// The named resource does not exist, or is hidden from the caller.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Why the caller may not do this.
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("the resource changed since it was read")]
    PreconditionFailed,
    /// Writes without `If-Match` kept losing to other writers of the same resource.
    #[error("the resource is being changed by others right now; retry")]
    Contended,
    #[error("a required dependency is unavailable")]
    Unavailable(#[source] BoxError),
    #[error("unexpected failure")]
    Unexpected(#[source] BoxError),
}

impl AppError {
    /// A repository failure in a use case about `resource` (`"product"`). A conflict the
    /// use case did not claim as one of its business rules is a bug, hence unexpected.
    pub fn from_repo(e: RepoError, resource: &'static str) -> Self {
        match e {
            RepoError::NotFound => Self::NotFound(resource),
            RepoError::Stale => Self::PreconditionFailed,
            RepoError::Unavailable(source) => Self::Unavailable(source),
            other @ (RepoError::Conflict(_) | RepoError::Unexpected(_)) => {
                Self::Unexpected(other.into())
            }
        }
    }
}

impl From<PreconditionFailed> for AppError {
    fn from(_: PreconditionFailed) -> Self {
        Self::PreconditionFailed
    }
}

impl From<AdminRequired> for AppError {
    fn from(_: AdminRequired) -> Self {
        Self::Forbidden(ADMIN_REQUIRED)
    }
}

/// The refusal of an admin-only action.
pub const ADMIN_REQUIRED: &str = "this action needs the admin role";

/// Declares a service's error: the shared [`AppError`] plus the business variants given,
/// with `?` conversions from everything a use case meets. `conflict`, if given, says what a
/// repository's uniqueness conflict means to this service.
///
/// ```ignore
/// service_error! {
///     /// What the employee use cases can answer.
///     pub enum EmployeeError for "employee" {
///         #[error("an employee with this email already exists")]
///         EmailTaken,
///     }
///     conflict(_constraint) => EmployeeError::EmailTaken,
/// }
/// ```
#[macro_export]
macro_rules! service_error {
    (
        $(#[$meta:meta])*
        pub enum $name:ident for $resource:literal {
            $($(#[$vmeta:meta])* $variant:ident $({ $($field:ident: $ty:ty),* $(,)? })?,)*
        }
        $(conflict($constraint:pat) => $conflict:expr $(,)?)?
    ) => {
        $(#[$meta])*
        #[derive(Debug, thiserror::Error)]
        pub enum $name {
            #[error(transparent)]
            App(#[from] $crate::error::AppError),
            $($(#[$vmeta])* $variant $({ $($field: $ty),* })?,)*
        }

        impl From<::domain::error::RepoError> for $name {
            fn from(e: ::domain::error::RepoError) -> Self {
                match e {
                    $(::domain::error::RepoError::Conflict($constraint) => $conflict,)?
                    other => Self::App($crate::error::AppError::from_repo(other, $resource)),
                }
            }
        }

        impl From<::domain::validation::ValidationError> for $name {
            fn from(e: ::domain::validation::ValidationError) -> Self {
                Self::App(e.into())
            }
        }

        impl From<::domain::concurrency::PreconditionFailed> for $name {
            fn from(e: ::domain::concurrency::PreconditionFailed) -> Self {
                Self::App(e.into())
            }
        }

        impl From<::domain::auth::AdminRequired> for $name {
            fn from(e: ::domain::auth::AdminRequired) -> Self {
                Self::App(e.into())
            }
        }

        impl $crate::rewrite::LostRace for $name {
            fn lost_race(&self) -> bool {
                matches!(self, Self::App($crate::error::AppError::PreconditionFailed))
            }
        }

        impl $name {
            /// The resource these use cases are about was not found.
            #[allow(dead_code)]
            pub(crate) fn not_found() -> Self {
                Self::App($crate::error::AppError::NotFound($resource))
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    service_error! {
        pub enum ThingError for "thing" {
            #[error("taken")]
            Taken,
        }
        conflict(_) => ThingError::Taken,
    }

    #[test]
    fn repository_failures_become_the_shared_answers() {
        let as_thing = |e| ThingError::from(e);
        assert!(matches!(
            as_thing(RepoError::Conflict("ux".into())),
            ThingError::Taken
        ));
        assert!(matches!(
            as_thing(RepoError::NotFound),
            ThingError::App(AppError::NotFound("thing"))
        ));
        assert!(matches!(
            as_thing(RepoError::Stale),
            ThingError::App(AppError::PreconditionFailed)
        ));
        assert!(matches!(
            as_thing(RepoError::Unavailable("down".into())),
            ThingError::App(AppError::Unavailable(_))
        ));
        assert!(matches!(
            ThingError::from(AdminRequired),
            ThingError::App(AppError::Forbidden(ADMIN_REQUIRED))
        ));
        assert_eq!(ThingError::not_found().to_string(), "thing not found");
    }

    #[test]
    fn an_unclaimed_conflict_is_a_bug_not_an_answer() {
        let e = AppError::from_repo(RepoError::Conflict("ux_other".into()), "thing");
        assert!(matches!(e, AppError::Unexpected(_)));
    }
}
