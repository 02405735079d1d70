//! Use cases. Each public method is one thing a caller can do; ports come in as
//! `Arc<dyn Port>` so the composition root picks the adapters and tests pick mocks.

pub mod account;
pub mod auth;
pub mod blog;
pub mod employees;
pub mod error;
pub mod idempotency;
pub mod jobs;
pub mod login_throttle;
pub mod mails;
pub mod maintenance;
pub mod notifications;
pub mod products;
pub mod rewrite;
pub mod users;

pub use account::{AccountError, AccountService};
pub use auth::{AuthError, AuthService, Registered};
pub use blog::{BlogError, BlogService};
pub use employees::{EmployeeError, EmployeeService};
pub use error::AppError;
pub use jobs::{JobError, JobService};
pub use maintenance::MaintenanceService;
pub use notifications::{NotificationError, NotificationService};
pub use products::{ProductError, ProductService};
pub use users::{UserError, UserService};

#[cfg(test)]
mod tests;
