//! SeaORM implementations of the repository ports.

mod account;
mod blog;
mod employee;
mod idempotency;
mod job;
mod lease;
mod notification;
mod product;
mod session;
mod user;

pub use account::SeaOrmAccountTokenRepository;
pub use blog::{SeaOrmCommentRepository, SeaOrmPostRepository, SeaOrmVoteRepository};
pub use employee::SeaOrmEmployeeRepository;
pub use idempotency::SeaOrmIdempotencyStore;
pub use job::SeaOrmJobQueue;
pub use lease::SeaOrmLeases;
pub use notification::SeaOrmNotificationRepository;
pub use product::SeaOrmProductRepository;
pub use session::SeaOrmSessionRepository;
pub use user::SeaOrmUserRepository;

/// `impl Versioned` for entity modules whose columns are `Id` and `UpdatedAt`.
macro_rules! versioned_tables {
    ($($table:ident),+ $(,)?) => {$(
        impl crate::db::Versioned for crate::entities::$table::Entity {
            const ID: Self::Column = crate::entities::$table::Column::Id;
            const UPDATED_AT: Self::Column = crate::entities::$table::Column::UpdatedAt;
        }
    )+};
}

versioned_tables!(comments, employees, posts, products, users);
