//! Leases shared by every instance, so a periodic task (pruning) runs on one of them per
//! round.

use crate::kit::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Leases {
    Table,
    Name,
    HeldUntil,
}

impl NewTable for Migration {
    fn table(&self) -> CreateTable {
        CreateTable::keyed_by_its_columns(Leases::Table)
            .col(string_len(Leases::Name, 64))
            .col(timestamp_with_time_zone(Leases::HeldUntil))
            .primary_key([Leases::Name])
    }
}
