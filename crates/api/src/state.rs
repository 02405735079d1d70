//! The application state shared by every handler: use cases and adapters behind ports.

use crate::ws::Hub;
use app::{AuthService, BlogService, EmployeeService, JobService, ProductService, UserService};
use domain::health::DependencyProbe;
use domain::rate_limit::RateLimiter;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

pub struct AppState {
    pub auth: Arc<AuthService>,
    pub users: Arc<UserService>,
    pub products: Arc<ProductService>,
    pub employees: Arc<EmployeeService>,
    pub blog: Arc<BlogService>,
    pub jobs: Arc<JobService>,
    /// This instance's WebSocket connections.
    pub hub: Arc<Hub>,
    /// Cancelled on SIGTERM: sockets close with 1001, the worker stops claiming.
    pub shutdown: CancellationToken,
    pub rate_limiter: Arc<dyn RateLimiter>,
    /// Attempts per client IP and minute for login and for register; 0 is off.
    pub auth_rate_limit_per_minute: u32,
    /// Required dependencies checked by `/health/ready`.
    pub probes: Vec<Arc<dyn DependencyProbe>>,
    /// For pool statistics in `/metrics`.
    pub db: infra::db::Db,
    pub db_max_connections: u32,
}
