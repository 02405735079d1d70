use crate::db::Db;
use crate::db::{
    DbResultExt, Key, Keyset, Listing, any_contains, corrupt, delete_versioned, list,
    update_versioned,
};
use crate::entities::{products, stock_movements};
use async_trait::async_trait;
use domain::RepoError;
use domain::concurrency::ExpectedVersion;
use domain::money::Money;
use domain::pagination::{KeyValue, Page, PageRequest, time_then_id};
use domain::product::{
    Description, Product, ProductFilter, ProductName, ProductRepository, ProductSort, Quantity,
    StockChange, StockDelta, StockMovement, StockOutcome, StockReason,
};
use domain::time;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, NotSet, QueryFilter, Set};
use uuid::Uuid;

/// A product list's order by `sort`; every order ends with the id, so pages are stable
/// under ties.
fn product_order(sort: ProductSort) -> Keyset {
    use products::Column as C;
    let col = Key::col::<products::Entity>;
    let name = || Key::lower::<products::Entity>(C::Name);
    let id = || col(C::Id);
    match sort {
        ProductSort::Name => Keyset::asc(vec![name()], id()),
        ProductSort::NameDesc => Keyset::desc(vec![name()], id()),
        ProductSort::Price => Keyset::asc(vec![col(C::PriceCents)], id()),
        ProductSort::PriceDesc => Keyset::desc(vec![col(C::PriceCents)], id()),
        ProductSort::CreatedAt => Keyset::asc(vec![col(C::CreatedAt)], id()),
        ProductSort::CreatedAtDesc => Keyset::newest_first::<products::Entity>(C::CreatedAt, C::Id),
    }
}

/// A product's values of the order key (see [`product_order`]).
fn product_key(sort: ProductSort, m: &products::Model) -> Vec<KeyValue> {
    let sorted = match sort {
        ProductSort::Name | ProductSort::NameDesc => KeyValue::Text(m.name.clone()),
        ProductSort::Price | ProductSort::PriceDesc => KeyValue::Int(m.price_cents),
        ProductSort::CreatedAt | ProductSort::CreatedAtDesc => KeyValue::Time(m.created_at),
    };
    vec![sorted, KeyValue::Id(m.id)]
}

pub struct SeaOrmProductRepository {
    db: Db,
}

impl SeaOrmProductRepository {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

fn to_domain(m: products::Model) -> Result<Product, RepoError> {
    Ok(Product {
        id: m.id,
        name: ProductName::new(&m.name).map_err(|e| corrupt("name", e))?,
        description: m
            .description
            .as_deref()
            .map(Description::new)
            .transpose()
            .map_err(|e| corrupt("description", e))?
            .flatten(),
        category: m.category.parse().map_err(|e| corrupt("category", e))?,
        price: Money::from_cents(m.price_cents).map_err(|e| corrupt("price", e))?,
        quantity: Quantity::new(m.quantity).map_err(|e| corrupt("quantity", e))?,
        is_active: m.is_active,
        created_by: m.created_by,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

/// The writable columns; `quantity` only when inserting, since afterwards only stock
/// movements change it.
fn to_active(p: &Product, with_quantity: bool) -> products::ActiveModel {
    products::ActiveModel {
        id: Set(p.id),
        name: Set(p.name.as_str().to_owned()),
        description: Set(p.description.as_ref().map(|d| d.as_str().to_owned())),
        category: Set(p.category.as_str().to_owned()),
        price_cents: Set(p.price.cents()),
        quantity: if with_quantity {
            Set(p.quantity.value())
        } else {
            NotSet
        },
        is_active: Set(p.is_active),
        created_by: if with_quantity {
            Set(p.created_by)
        } else {
            NotSet
        },
        created_at: if with_quantity {
            Set(p.created_at)
        } else {
            NotSet
        },
        updated_at: Set(p.updated_at),
    }
}

fn movement_to_domain(m: stock_movements::Model) -> Result<StockMovement, RepoError> {
    Ok(StockMovement {
        id: m.id,
        product_id: m.product_id,
        delta: m.delta,
        quantity_after: m.quantity_after,
        reason: m
            .reason
            .as_deref()
            .map(StockReason::new)
            .transpose()
            .map_err(|e| corrupt("reason", e))?
            .flatten(),
        user_id: m.user_id,
        created_at: m.created_at,
    })
}

fn movement_model(m: &StockMovement) -> stock_movements::ActiveModel {
    stock_movements::ActiveModel {
        id: Set(m.id),
        product_id: Set(m.product_id),
        delta: Set(m.delta),
        quantity_after: Set(m.quantity_after),
        reason: Set(m.reason.as_ref().map(|r| r.as_str().to_owned())),
        user_id: Set(m.user_id),
        created_at: Set(m.created_at),
    }
}

#[async_trait]
impl ProductRepository for SeaOrmProductRepository {
    async fn create(
        &self,
        product: &Product,
        initial: Option<StockMovement>,
    ) -> Result<(), RepoError> {
        let txn = self.db.transaction().await.db_err()?;
        products::Entity::insert(to_active(product, true))
            .exec_without_returning(&*txn)
            .await
            .db_err()?;
        if let Some(movement) = initial {
            movement_model(&movement).insert(&*txn).await.db_err()?;
        }
        txn.commit().await.db_err()
    }

    async fn find_by_id(&self, id: Uuid) -> Result<Option<Product>, RepoError> {
        let row = self.db.find_by_id::<products::Entity>(id).await.db_err()?;
        row.map(to_domain).transpose()
    }

    async fn list(
        &self,
        filter: &ProductFilter,
        page: PageRequest,
    ) -> Result<Page<Product>, RepoError> {
        use products::Column as C;
        let mut query = products::Entity::find();
        if let Some(q) = &filter.q {
            query = query.filter(any_contains::<products::Entity>(
                self.db.backend(),
                &[C::Name],
                q,
            ));
        }
        if let Some(category) = filter.category {
            query = query.filter(C::Category.eq(category.as_str()));
        }
        if let Some(active) = filter.is_active {
            query = query.filter(C::IsActive.eq(active));
        }
        match filter.in_stock {
            Some(true) => query = query.filter(C::Quantity.gt(0)),
            Some(false) => query = query.filter(C::Quantity.eq(0)),
            None => {}
        }
        if let Some(min) = filter.min_price {
            query = query.filter(C::PriceCents.gte(min.cents()));
        }
        if let Some(max) = filter.max_price {
            query = query.filter(C::PriceCents.lte(max.cents()));
        }
        let listing = Listing::of(query, product_order(filter.sort));
        list(
            &self.db,
            listing,
            page,
            |m| product_key(filter.sort, m),
            to_domain,
        )
        .await
    }

    async fn update(&self, product: &Product, expected: ExpectedVersion) -> Result<(), RepoError> {
        let update = products::Entity::update_many().set(to_active(product, false));
        update_versioned(&self.db, update, product.id, expected).await
    }

    async fn delete(&self, id: Uuid, expected: ExpectedVersion) -> Result<(), RepoError> {
        delete_versioned::<products::Entity>(&self.db, id, expected).await
    }

    async fn adjust_stock(
        &self,
        product_id: Uuid,
        delta: StockDelta,
        reason: Option<StockReason>,
        user_id: Uuid,
    ) -> Result<StockOutcome, RepoError> {
        use products::Column as C;
        let d = delta.value();
        let now = time::now();
        let txn = self.db.transaction().await.db_err()?;
        // One conditional UPDATE does the arithmetic in the database: concurrent changes
        // queue on the row (PostgreSQL re-checks the condition on the newest version; SQLite
        // serialises writers), so none is lost and none takes the stock out of range.
        let updated = products::Entity::update_many()
            .col_expr(C::Quantity, Expr::col(C::Quantity).add(d))
            .col_expr(C::UpdatedAt, Expr::value(now))
            .filter(C::Id.eq(product_id))
            .filter(Expr::col(C::Quantity).add(d).gte(0))
            .filter(Expr::col(C::Quantity).add(d).lte(Quantity::MAX))
            .exec_with_returning(&*txn)
            .await
            .db_err()?
            .pop();
        // RETURNING hands back the changed row, so the row lock is held for one statement
        // fewer; only a refused change reads the product to say why.
        let Some(current) = updated else {
            let found = products::Entity::find_by_id(product_id)
                .one(&*txn)
                .await
                .db_err()?;
            txn.rollback().await.db_err()?;
            return Ok(match found {
                None => StockOutcome::NotFound,
                Some(p) => StockOutcome::OutOfRange {
                    quantity: p.quantity,
                },
            });
        };
        // Stamped while this transaction holds the row, so the ledger's time order is the
        // order in which the changes were applied.
        let movement = StockMovement {
            id: Uuid::now_v7(),
            product_id,
            delta: d,
            quantity_after: current.quantity,
            reason,
            user_id: Some(user_id),
            created_at: time::now(),
        };
        movement_model(&movement).insert(&*txn).await.db_err()?;
        txn.commit().await.db_err()?;
        Ok(StockOutcome::Applied(Box::new(StockChange {
            product: to_domain(current)?,
            movement,
        })))
    }

    async fn list_movements(
        &self,
        product_id: Uuid,
        page: PageRequest,
    ) -> Result<Page<StockMovement>, RepoError> {
        use stock_movements::Column as C;
        let query = stock_movements::Entity::find().filter(C::ProductId.eq(product_id));
        let order = Keyset::newest_first::<stock_movements::Entity>(C::CreatedAt, C::Id);
        let key = |m: &stock_movements::Model| time_then_id(m.created_at, m.id);
        list(
            &self.db,
            Listing::of(query, order),
            page,
            key,
            movement_to_domain,
        )
        .await
    }
}
