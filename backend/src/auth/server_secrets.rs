//! Random secrets every instance must share (not configuration: nobody chooses them), stored
//! sealed under the master key. The first instance to ask makes one; a racing instance's insert is
//! ignored and both read the winner's.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait};

use crate::auth::master_key::{self, MasterKey};
use crate::auth::secrets;
use crate::db;
use crate::entities::server_secret;
use crate::error::AppError;

/// The 32-byte secret called `name`, made now if there is none yet.
pub async fn get_or_create(
    db: &impl ConnectionTrait,
    master: &MasterKey,
    name: &str,
) -> Result<Vec<u8>, AppError> {
    let fresh = server_secret::ActiveModel {
        name: Set(name.to_owned()),
        secret: Set(master.seal(name, &secrets::random_bytes::<32>())?),
        created_at: Set(db::now()),
    };
    server_secret::Entity::insert(fresh)
        .on_conflict(
            OnConflict::column(server_secret::Column::Name)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    let row = server_secret::Entity::find_by_id(name.to_owned())
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal(format!("server secret {name} is missing")))?;
    match master_key::is_sealed(&row.secret) {
        true => master.open(name, &row.secret),
        false => URL_SAFE_NO_PAD
            .decode(row.secret.as_bytes())
            .map_err(|e| AppError::internal(format!("server secret {name} is not base64url: {e}"))),
    }
}

/// Re-seals every server secret under `new` (`masterkey rotate`), within the caller's transaction.
pub async fn reseal(
    db: &impl ConnectionTrait,
    old: &MasterKey,
    new: &MasterKey,
) -> Result<usize, AppError> {
    let rows = server_secret::Entity::find().all(db).await?;
    let count = rows.len();
    for row in rows {
        let plain = match master_key::is_sealed(&row.secret) {
            true => old.open(&row.name, &row.secret)?,
            false => URL_SAFE_NO_PAD
                .decode(row.secret.as_bytes())
                .map_err(AppError::internal)?,
        };
        let sealed = new.seal(&row.name, &plain)?;
        let mut active: server_secret::ActiveModel = row.into();
        active.secret = Set(sealed);
        active.update(db).await?;
    }
    Ok(count)
}
