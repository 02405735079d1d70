//! Document-only schemas of the closed sets the API accepts and answers, built from the
//! domain's own lists so that the document and the parsers cannot drift apart. Fields keep
//! their wire type (a string, parsed by the use case into the domain value, which names
//! the field when it is wrong) and point their schema here with `value_type`.

use domain::product::{Category, ProductSort};
use domain::{blog::PostSort, user::Role};
use std::borrow::Cow;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};

/// A schema named `$name` of type `$kind` whose values are `$values`.
macro_rules! closed_set {
    ($(#[$doc:meta])* $ty:ident, $name:literal, $kind:expr, $values:expr) => {
        $(#[$doc])*
        pub struct $ty;

        impl PartialSchema for $ty {
            fn schema() -> RefOr<Schema> {
                ObjectBuilder::new()
                    .schema_type($kind)
                    .enum_values(Some($values))
                    .into()
            }
        }

        impl ToSchema for $ty {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed($name)
            }
        }
    };
}

closed_set!(
    /// A product's category.
    CategoryName,
    "Category",
    Type::String,
    Category::ALL.map(Category::as_str)
);
closed_set!(
    /// A user's role.
    RoleName,
    "Role",
    Type::String,
    Role::ALL.map(Role::as_str)
);
closed_set!(
    /// A product list's order; `-` sorts descending.
    ProductSortKey,
    "ProductSort",
    Type::String,
    ProductSort::ALL.map(ProductSort::as_str)
);
closed_set!(
    /// A post list's order; `-` sorts descending.
    PostSortKey,
    "PostSort",
    Type::String,
    PostSort::ALL.map(PostSort::as_str)
);

closed_set!(
    /// A vote's direction: `1` adds the caller's vote, `0` takes it back.
    VoteDirection,
    "VoteDirection",
    Type::Integer,
    [0, 1]
);
