use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A session remembers the `User-Agent` and client address it began with, so its owner can tell
/// their sessions apart ("Firefox on Linux · 192.0.2.7") and end the one they do not recognise.
/// Both are null for sessions begun before this, and wherever a client sent nothing.
#[derive(DeriveIden, Clone, Copy)]
enum Sessions {
    Table,
    UserAgent,
    IpAddress,
}

const ADDED: [Sessions; 2] = [Sessions::UserAgent, Sessions::IpAddress];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE takes one change at a time.
        for column in ADDED {
            manager
                .alter_table(
                    Table::alter()
                        .table(Sessions::Table)
                        .add_column(text_null(column))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ADDED {
            manager
                .alter_table(
                    Table::alter()
                        .table(Sessions::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
