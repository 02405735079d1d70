use crate::db::Db;
use crate::db::{
    DbResultExt, Keyset, Listing, any_contains, corrupt, delete_versioned, list, update_versioned,
};
use crate::entities::employees;
use async_trait::async_trait;
use domain::RepoError;
use domain::concurrency::ExpectedVersion;
use domain::employee::{Employee, EmployeeFilter, EmployeeRepository, FullName};
use domain::pagination::{Page, PageRequest, time_then_id};
use domain::user::Email;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

pub struct SeaOrmEmployeeRepository {
    db: Db,
}

impl SeaOrmEmployeeRepository {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

fn to_domain(m: employees::Model) -> Result<Employee, RepoError> {
    Ok(Employee {
        id: m.id,
        full_name: FullName::new(&m.full_name).map_err(|e| corrupt("name", e))?,
        email: Email::parse(&m.email).map_err(|e| corrupt("email", e))?,
        is_active: m.is_active,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

fn to_active(e: &Employee) -> employees::ActiveModel {
    employees::ActiveModel {
        id: Set(e.id),
        full_name: Set(e.full_name.as_str().to_owned()),
        email: Set(e.email.to_string()),
        is_active: Set(e.is_active),
        created_at: Set(e.created_at),
        updated_at: Set(e.updated_at),
    }
}

#[async_trait]
impl EmployeeRepository for SeaOrmEmployeeRepository {
    async fn create(&self, employee: &Employee) -> Result<(), RepoError> {
        let insert = employees::Entity::insert(to_active(employee));
        self.db.write(&insert).await.db_err()?;
        Ok(())
    }

    async fn find_by_id(&self, id: Uuid) -> Result<Option<Employee>, RepoError> {
        let row = self.db.find_by_id::<employees::Entity>(id).await.db_err()?;
        row.map(to_domain).transpose()
    }

    async fn list(
        &self,
        filter: &EmployeeFilter,
        page: PageRequest,
    ) -> Result<Page<Employee>, RepoError> {
        use employees::Column as C;
        let mut query = employees::Entity::find();
        if let Some(q) = &filter.q {
            query = query.filter(any_contains::<employees::Entity>(
                self.db.backend(),
                &[C::FullName, C::Email],
                q,
            ));
        }
        if let Some(active) = filter.is_active {
            query = query.filter(C::IsActive.eq(active));
        }
        let order = Keyset::newest_first::<employees::Entity>(C::CreatedAt, C::Id);
        let key = |m: &employees::Model| time_then_id(m.created_at, m.id);
        list(&self.db, Listing::of(query, order), page, key, to_domain).await
    }

    async fn update(
        &self,
        employee: &Employee,
        expected: ExpectedVersion,
    ) -> Result<(), RepoError> {
        let update = employees::Entity::update_many().set(to_active(employee));
        update_versioned(&self.db, update, employee.id, expected).await
    }

    async fn delete(&self, id: Uuid, expected: ExpectedVersion) -> Result<(), RepoError> {
        delete_versioned::<employees::Entity>(&self.db, id, expected).await
    }
}
