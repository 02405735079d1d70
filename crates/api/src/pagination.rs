//! The one list shape: `?limit=&offset=` in, `{items, total, limit, offset}` out.

use crate::error::ApiError;
use domain::pagination::{Page, PageRequest};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Pagination parameters, validated into a [`PageRequest`].
#[derive(Debug, Clone, Copy, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Items per page, 1 to 100.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub limit: Option<i64>,
    /// Items to skip, 0 or more.
    #[param(minimum = 0, default = 0)]
    pub offset: Option<i64>,
}

impl PageParams {
    pub fn page(&self) -> Result<PageRequest, ApiError> {
        Ok(PageRequest::new(self.limit, self.offset)?)
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PageResponse<T: ToSchema> {
    pub items: Vec<T>,
    pub total: u64,
    pub limit: u64,
    pub offset: u64,
}

impl<T: ToSchema> PageResponse<T> {
    pub fn from_page<U>(page: Page<U>, f: impl FnMut(U) -> T) -> Self {
        let request = page.request;
        let page = page.map(f);
        Self {
            items: page.items,
            total: page.total,
            limit: request.limit(),
            offset: request.offset(),
        }
    }
}
