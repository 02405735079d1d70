//! What the table migrations share: SeaORM's column helpers (`uuid`, `text_null`,
//! `timestamp_with_time_zone`, ...: not null unless the name says `_null`) and
//! [`CreateTable`], so a table's migration says only its table's shape: columns, keys,
//! indexes. Its `up` and `down` are written once, here.

pub use sea_orm_migration::prelude::*;
pub use sea_orm_migration::schema::*;
pub use sea_orm_migration::sea_query::ForeignKeyAction::{Cascade, SetNull};

/// A plain index over `cols`, in order.
pub fn index<T, C>(name: &str, table: T, cols: impl IntoIterator<Item = C>) -> IndexCreateStatement
where
    T: IntoTableRef,
    C: IntoIden + 'static,
{
    let mut index = Index::create();
    index.name(name).table(table);
    for col in cols {
        index.col(col);
    }
    index
}

/// One table and what is built on it. `up` creates the table, then its indexes and
/// statements in order; `down` drops the table (and with it everything built on it).
pub struct CreateTable {
    name: DynIden,
    table: TableCreateStatement,
    indexes: Vec<IndexCreateStatement>,
    statements: Vec<&'static str>,
}

impl CreateTable {
    /// The table `name`, starting with its UUID primary key `id`.
    pub fn new(name: impl IntoIden, id: impl IntoIden) -> Self {
        let mut table = Self::keyed_by_its_columns(name);
        table.table.col(pk_uuid(id));
        table
    }

    /// The table `name` without an `id`; give it a `primary_key`.
    pub fn keyed_by_its_columns(name: impl IntoIden) -> Self {
        let name = name.into_iden();
        Self {
            table: Table::create().table(name.clone()).take(),
            name,
            indexes: Vec::new(),
            statements: Vec::new(),
        }
    }

    pub fn col(mut self, col: impl IntoColumnDef) -> Self {
        self.table.col(col);
        self
    }

    /// A rule the database holds every row to.
    pub fn check(mut self, rule: impl Into<Check>) -> Self {
        self.table.check(rule);
        self
    }

    pub fn primary_key<C: IntoIden + 'static>(mut self, cols: impl IntoIterator<Item = C>) -> Self {
        let mut key = Index::create();
        for col in cols {
            key.col(col);
        }
        self.table.primary_key(&mut key);
        self
    }

    /// A named foreign key: `col` references `parent`'s `id`, and `on_delete` says what
    /// a parent's deletion does to this row.
    pub fn references(
        mut self,
        name: &str,
        col: impl IntoIden + 'static,
        parent: impl IntoIden + 'static,
        on_delete: ForeignKeyAction,
    ) -> Self {
        self.table.foreign_key(
            ForeignKey::create()
                .name(name)
                .from_col(col)
                .to(parent, Alias::new("id"))
                .on_delete(on_delete),
        );
        self
    }

    /// A plain index over `cols`: every foreign key and filter column has one.
    pub fn index<C: IntoIden + 'static>(
        mut self,
        name: &str,
        cols: impl IntoIterator<Item = C>,
    ) -> Self {
        self.indexes.push(index(name, self.name.clone(), cols));
        self
    }

    /// A unique index over `cols`.
    pub fn unique<C: IntoIden + 'static>(
        mut self,
        name: &str,
        cols: impl IntoIterator<Item = C>,
    ) -> Self {
        self.indexes
            .push(index(name, self.name.clone(), cols).unique().take());
        self
    }

    /// SQL the builder cannot say (an index on an expression), the same on both databases.
    pub fn sql(mut self, statement: &'static str) -> Self {
        self.statements.push(statement);
        self
    }
}

/// A migration that creates one table; it is listed as `Box::new(Creates(m::Migration))`.
pub trait NewTable: MigrationName + Send + Sync {
    fn table(&self) -> CreateTable;
}

/// Gives a [`NewTable`] its `up` and `down`.
pub struct Creates<M>(pub M);

impl<M: NewTable> MigrationName for Creates<M> {
    fn name(&self) -> &str {
        self.0.name()
    }
}

#[async_trait::async_trait]
impl<M: NewTable> MigrationTrait for Creates<M> {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let CreateTable {
            table,
            indexes,
            statements,
            ..
        } = self.0.table();
        manager.create_table(table).await?;
        for index in indexes {
            manager.create_index(index).await?;
        }
        for statement in statements {
            manager
                .get_connection()
                .execute_unprepared(statement)
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let name = self.0.table().name;
        manager.drop_table(Table::drop().table(name).take()).await
    }
}
