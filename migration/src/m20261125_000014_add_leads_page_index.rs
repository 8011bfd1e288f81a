use sea_orm_migration::prelude::*;

/// Leads are listed newest first by id (UUIDv7, in creation order) within a tenant: without this
/// index every page sorted all of the tenant's leads.
#[derive(DeriveMigrationName)]
pub struct Migration;

const NAME: &str = "idx_leads_tenant_id";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(NAME)
                    .table(Alias::new("leads"))
                    .col(Alias::new("tenant_id"))
                    .col(Alias::new("id"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(NAME)
                    .table(Alias::new("leads"))
                    .to_owned(),
            )
            .await
    }
}
