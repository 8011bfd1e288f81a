//! Passkeys (WebAuthn). The relying party is the app's system host (`acme-rides.example.io`),
//! whichever of the app's verified hosts the ceremony runs on; those hosts are the allowed origins,
//! and `/.well-known/webauthn` on the system host lists them, so a passkey made on the system host
//! also works on `rides.acme.com`. Ceremony state lives in the database with a short expiry, so any
//! instance can finish a ceremony another started.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, ModelTrait,
    QueryFilter, QueryOrder, TransactionSession, TransactionTrait,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;
use webauthn_rs::fake::{FakePasskeyDistribution, WebauthnFakeCredentialGenerator};
use webauthn_rs::prelude::{
    CreationChallengeResponse, Passkey, PasskeyAuthentication, PasskeyRegistration,
    PublicKeyCredential, RegisterPublicKeyCredential, RequestChallengeResponse, Url, Webauthn,
    WebauthnBuilder,
};
use webauthn_rs_proto::AllowCredentials;

use crate::db;
use crate::entities::{account, passkey, webauthn_ceremony};
use crate::error::AppError;
use crate::services::audit::{self, Actor};
use crate::services::mail::{self, Mailer};
use crate::services::{accounts, app_links, domains, tenants};
use crate::tenancy::context::TenantContext;
use crate::tenancy::resolver::HostTenant;

/// How long a started ceremony can be finished.
const CEREMONY_TTL_SECS: i64 = 300;
const REGISTER: &str = "register";
const LOGIN: &str = "login";

/// The relying party of the host's app.
async fn relying_party(
    db: &impl ConnectionTrait,
    host: &HostTenant,
) -> Result<(Webauthn, String), AppError> {
    let app = host
        .app
        .as_deref()
        .ok_or_else(|| AppError::BadRequest("passkeys are used on an app's host".into()))?;
    let mut hosts = domains::verified_hosts(db, &host.tenant, app).await?;
    if hosts.is_empty() && host.tenant.slug() == tenants::MAIN_SLUG {
        // The platform's own console lives on `admin.<base>`, a reserved name with no domain row.
        hosts.push(host.host.clone());
    }
    let rp_id = hosts
        .first()
        .cloned()
        .ok_or_else(|| AppError::internal("an app without a system host"))?;
    let origin = |host: &str| {
        Url::parse(&format!("https://{host}"))
            .map_err(|e| AppError::internal(format!("origin of {host}: {e}")))
    };
    let rp_origin = origin(&rp_id)?;
    let mut builder = WebauthnBuilder::new(&rp_id, &rp_origin)
        .map_err(|e| AppError::internal(format!("relying party {rp_id}: {e}")))?
        .rp_name(host.tenant.name());
    for other in &hosts[1..] {
        builder = builder.append_allowed_origin(&origin(other)?);
    }
    // `*.localhost` names only ever reach this machine (RFC 6761) and browsers count them as
    // secure over plain HTTP, so a deployment on the `localhost` base domain (the demo, a laptop)
    // accepts its own hosts' `http://` origins on whatever port it listens.
    if is_loopback_name(&rp_id) {
        builder = builder.allow_any_port(true);
        for local in hosts.iter().filter(|h| is_loopback_name(h)) {
            let url = Url::parse(&format!("http://{local}"))
                .map_err(|e| AppError::internal(format!("origin of {local}: {e}")))?;
            builder = builder.append_allowed_origin(&url);
        }
    }
    for extra in app_links::get(db, &host.tenant, app)
        .await?
        .webauthn_origins
    {
        if let Ok(url) = Url::parse(&extra) {
            builder = builder.append_allowed_origin(&url);
        }
    }
    let webauthn = builder
        .build()
        .map_err(|e| AppError::internal(format!("relying party: {e}")))?;
    Ok((webauthn, rp_id))
}

/// Decoy credential ids for addresses without passkeys, from webauthn-rs's fake-credential
/// generator: derived from the address with a secret every instance shares (HMAC-SHA256 seeding a
/// distribution of counts and lengths observed on real authenticators), so they are the same on
/// every call and every instance and look like a real person's passkeys. Without the secret they
/// cannot be told from real ids.
pub struct Decoys {
    generator: WebauthnFakeCredentialGenerator<FakePasskeyDistribution>,
}

/// Name of the shared secret in `server_secrets`.
const DECOY_SECRET: &str = "passkey_decoys";

impl Decoys {
    /// The shared secret, made by whichever instance starts first.
    pub async fn load(
        db: &impl ConnectionTrait,
        master: &crate::auth::master_key::MasterKey,
    ) -> Result<Self, AppError> {
        let secret = crate::auth::server_secrets::get_or_create(db, master, DECOY_SECRET).await?;
        Self::from_secret(&secret)
    }

    pub fn from_secret(secret: &[u8]) -> Result<Self, AppError> {
        let generator = WebauthnFakeCredentialGenerator::new(secret)
            .map_err(|e| AppError::internal(format!("decoy passkey secret: {e}")))?;
        Ok(Self { generator })
    }

    /// The decoys of `email` at one tenant: the same on every host of the tenant, as a real
    /// person's list is.
    pub fn for_address(&self, tenant_id: Uuid, email: &str) -> Vec<AllowCredentials> {
        let mut name = Vec::with_capacity(16 + email.len());
        name.extend_from_slice(tenant_id.as_bytes());
        name.extend_from_slice(email.as_bytes());
        self.generator
            .generate(&name)
            .unwrap_or_default()
            .into_iter()
            .map(|id| AllowCredentials {
                type_: "public-key".into(),
                id,
                transports: None,
            })
            .collect()
    }
}

fn is_loopback_name(host: &str) -> bool {
    host == "localhost" || host.ends_with(".localhost")
}

/// Starts adding a passkey to a signed-in account.
pub async fn start_registration(
    db: &impl ConnectionTrait,
    host: &HostTenant,
    account: &account::Model,
) -> Result<(Uuid, CreationChallengeResponse), AppError> {
    let (webauthn, rp_id) = relying_party(db, host).await?;
    let existing: Vec<_> = stored(db, &host.tenant, account.id)
        .await?
        .into_iter()
        .map(|(_, key)| key.cred_id().clone())
        .collect();
    let (challenge, state) = webauthn
        .start_passkey_registration(account.id, &account.email, &account.email, Some(existing))
        .map_err(|e| AppError::internal(format!("passkey registration: {e}")))?;
    let ceremony =
        save_ceremony(db, &host.tenant, Some(account.id), REGISTER, &rp_id, &state).await?;
    Ok((ceremony, challenge))
}

/// Longest passkey name.
const MAX_NAME: usize = 100;

/// Checks the authenticator's answer, stores the new passkey under `name` ("Passkey <date>" when
/// none is given) and tells the account by mail, so a passkey planted by someone else is noticed.
#[allow(clippy::too_many_arguments)]
pub async fn finish_registration<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    mailer: &Mailer,
    host: &HostTenant,
    account: &account::Model,
    ceremony: Uuid,
    credential: &RegisterPublicKeyCredential,
    name: Option<&str>,
    ip: Option<std::net::IpAddr>,
) -> Result<passkey::Model, AppError> {
    let name = match name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(name) if name.chars().count() > MAX_NAME => {
            return Err(AppError::invalid(
                "name",
                format!("must be at most {MAX_NAME} characters"),
            ));
        }
        Some(name) if name.chars().any(char::is_control) => {
            return Err(AppError::invalid(
                "name",
                "must not hold control characters",
            ));
        }
        Some(name) => name.to_owned(),
        None => format!("Passkey {}", db::now().format("%Y-%m-%d")),
    };
    let (webauthn, rp_id) = relying_party(db, host).await?;
    let (row, state): (_, PasskeyRegistration) =
        take_ceremony(db, &host.tenant, ceremony, REGISTER).await?;
    if row.account_id != Some(account.id) || row.rp_id != rp_id {
        return Err(refused());
    }
    let key = webauthn
        .finish_passkey_registration(credential, &state)
        .map_err(|e| {
            AppError::unauthenticated(
                "passkey_rejected",
                format!("the passkey was not accepted: {e}"),
            )
        })?;
    let txn = db.begin().await?;
    let stored = passkey::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(host.tenant.id()),
        account_id: Set(account.id),
        credential_id: Set(URL_SAFE_NO_PAD.encode(key.cred_id())),
        rp_id: Set(rp_id),
        name: Set(name),
        passkey: Set(serde_json::to_string(&key).map_err(AppError::internal)?),
        created_at: Set(db::now()),
        last_used_at: Set(None),
    }
    .insert(&txn)
    .await
    .map_err(|err| match crate::error::is_unique_violation(&err) {
        true => AppError::invalid("credential", "this passkey is already registered"),
        false => err.into(),
    })?;
    let detail = format!(
        "{} added the passkey \"{}\" for {}",
        account.email, stored.name, stored.rp_id
    );
    let actor = Actor::account(account.id, ip);
    audit::record(&txn, &host.tenant, &actor, "passkey.added", detail).await?;
    txn.commit().await?;
    let paragraphs = [
        format!(
            "A passkey named \"{}\" was added to your account; it can sign in as you.",
            stored.name
        ),
        "If you did not add it, remove it under \"My account\" at once and change your password."
            .to_owned(),
    ];
    let notice = mail::send_notice(
        db,
        mailer,
        host,
        account.email.clone(),
        "A passkey was added to your account",
        &paragraphs,
    )
    .await;
    if let Err(err) = notice {
        tracing::error!(error = %err.chain(), "cannot send the passkey-added notice");
    }
    Ok(stored)
}

/// The passkeys of account `account_id` of `tenant`, newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    tenant: &TenantContext,
    account_id: Uuid,
) -> Result<Vec<passkey::Model>, AppError> {
    Ok(passkey::Entity::find()
        .filter(passkey::Column::TenantId.eq(tenant.id()))
        .filter(passkey::Column::AccountId.eq(account_id))
        .order_by_desc(passkey::Column::Id)
        .all(db)
        .await?)
}

/// Removes one of the person's own passkeys; it never signs in again. Another account's passkey
/// is not found.
pub async fn remove<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    tenant: &TenantContext,
    account_id: Uuid,
    id: Uuid,
    actor: &Actor,
) -> Result<passkey::Model, AppError> {
    let row = passkey::Entity::find_by_id(id)
        .filter(passkey::Column::TenantId.eq(tenant.id()))
        .filter(passkey::Column::AccountId.eq(account_id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("passkey not found".into()))?;
    let txn = db.begin().await?;
    row.clone().delete(&txn).await?;
    let detail = format!("the passkey \"{}\" was removed", row.name);
    audit::record(&txn, tenant, actor, "passkey.removed", detail).await?;
    txn.commit().await?;
    Ok(row)
}

/// Starts a passkey sign-in for `email`. An address with no passkeys here (unknown, or known
/// without passkeys) is answered with decoy credential ids (see [`Decoys`]), so the answer does
/// not tell whether the address has an account.
pub async fn start_login(
    db: &impl ConnectionTrait,
    decoys: &Decoys,
    host: &HostTenant,
    email: &str,
) -> Result<(Uuid, RequestChallengeResponse), AppError> {
    let (webauthn, rp_id) = relying_party(db, host).await?;
    let email = super::email_codes::normalise(email)?;
    let account = accounts::find_by_email(db, &host.tenant, &email).await?;
    let keys: Vec<Passkey> = match &account {
        Some(account) => stored(db, &host.tenant, account.id)
            .await?
            .into_iter()
            .map(|(_, key)| key)
            .collect(),
        None => Vec::new(),
    };
    // With no passkeys the challenge still goes out, naming decoys; it can never be answered, as
    // the ceremony's state names no credential.
    let (mut challenge, state) = webauthn
        .start_passkey_authentication(&keys)
        .map_err(|e| AppError::internal(format!("passkey sign-in: {e}")))?;
    if keys.is_empty() {
        challenge.public_key.allow_credentials = decoys.for_address(host.tenant.id(), &email);
    }
    let account_id = account.map(|a| a.id);
    let ceremony = save_ceremony(db, &host.tenant, account_id, LOGIN, &rp_id, &state).await?;
    Ok((ceremony, challenge))
}

/// The account whose passkey answered the challenge.
pub async fn finish_login(
    db: &impl ConnectionTrait,
    host: &HostTenant,
    ceremony: Uuid,
    credential: &PublicKeyCredential,
) -> Result<account::Model, AppError> {
    let (webauthn, rp_id) = relying_party(db, host).await?;
    let (row, state): (_, PasskeyAuthentication) =
        take_ceremony(db, &host.tenant, ceremony, LOGIN).await?;
    let account_id = row
        .account_id
        .filter(|_| row.rp_id == rp_id)
        .ok_or_else(refused)?;
    let result = webauthn
        .finish_passkey_authentication(credential, &state)
        .map_err(|_| refused())?;
    let used = URL_SAFE_NO_PAD.encode(result.cred_id());
    let (row, mut key) = stored(db, &host.tenant, account_id)
        .await?
        .into_iter()
        .find(|(row, _)| row.credential_id == used)
        .ok_or_else(refused)?;
    key.update_credential(&result);
    let mut active: passkey::ActiveModel = row.into();
    active.passkey = Set(serde_json::to_string(&key).map_err(AppError::internal)?);
    active.last_used_at = Set(Some(db::now()));
    active.update(db).await?;
    accounts::get(db, &host.tenant, account_id).await
}

fn refused() -> AppError {
    AppError::unauthenticated(
        "passkey_rejected",
        "the passkey sign-in failed or has expired",
    )
}

async fn stored(
    db: &impl ConnectionTrait,
    tenant: &TenantContext,
    account_id: Uuid,
) -> Result<Vec<(passkey::Model, Passkey)>, AppError> {
    let rows = passkey::Entity::find()
        .filter(passkey::Column::TenantId.eq(tenant.id()))
        .filter(passkey::Column::AccountId.eq(account_id))
        .all(db)
        .await?;
    rows.into_iter()
        .map(|row| {
            let key: Passkey = serde_json::from_str(&row.passkey).map_err(AppError::internal)?;
            Ok((row, key))
        })
        .collect()
}

async fn save_ceremony(
    db: &impl ConnectionTrait,
    tenant: &TenantContext,
    account_id: Option<Uuid>,
    kind: &str,
    rp_id: &str,
    state: &impl Serialize,
) -> Result<Uuid, AppError> {
    let id = Uuid::now_v7();
    webauthn_ceremony::ActiveModel {
        id: Set(id),
        tenant_id: Set(tenant.id()),
        account_id: Set(account_id),
        kind: Set(kind.to_owned()),
        rp_id: Set(rp_id.to_owned()),
        state: Set(serde_json::to_string(state).map_err(AppError::internal)?),
        expires_at: Set(db::now() + chrono::Duration::seconds(CEREMONY_TTL_SECS)),
        created_at: Set(db::now()),
    }
    .insert(db)
    .await?;
    Ok(id)
}

/// A live ceremony, deleted as it is read: each challenge is answered once.
async fn take_ceremony<S: DeserializeOwned>(
    db: &impl ConnectionTrait,
    tenant: &TenantContext,
    id: Uuid,
    kind: &str,
) -> Result<(webauthn_ceremony::Model, S), AppError> {
    let row = webauthn_ceremony::Entity::find_by_id(id)
        .filter(webauthn_ceremony::Column::TenantId.eq(tenant.id()))
        .filter(webauthn_ceremony::Column::Kind.eq(kind))
        .one(db)
        .await?
        .ok_or_else(refused)?;
    let deleted = row.clone().delete(db).await?;
    if deleted.rows_affected == 0 || row.expires_at <= db::now() {
        return Err(refused());
    }
    let state = serde_json::from_str(&row.state).map_err(AppError::internal)?;
    Ok((row, state))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoys_are_stable_per_address_and_secret() {
        let decoys = Decoys::from_secret(&[7; 32]).unwrap();
        let tenant = Uuid::now_v7();
        let ids = |decoys: &Decoys, email: &str| -> Vec<Vec<u8>> {
            decoys
                .for_address(tenant, email)
                .into_iter()
                .map(|c| c.id)
                .collect()
        };
        let addresses: Vec<String> = (0..40).map(|i| format!("user{i}@example.com")).collect();
        let first: Vec<_> = addresses.iter().map(|a| ids(&decoys, a)).collect();
        let again: Vec<_> = addresses.iter().map(|a| ids(&decoys, a)).collect();
        assert_eq!(first, again, "the same on every call");
        assert!(
            first.iter().filter(|set| !set.is_empty()).count() > 20,
            "most addresses get decoys, as most people have a passkey"
        );
        let other = Decoys::from_secret(&[8; 32]).unwrap();
        let theirs: Vec<_> = addresses.iter().map(|a| ids(&other, a)).collect();
        assert_ne!(first, theirs, "nobody without the secret can derive them");
    }

    #[test]
    fn only_localhost_names_count_as_loopback() {
        assert!(is_loopback_name("localhost"));
        assert!(is_loopback_name("acme-admin.localhost"));
        assert!(!is_loopback_name("localhost.example.com"));
        assert!(!is_loopback_name("evillocalhost"));
        assert!(!is_loopback_name("acme-admin.example.io"));
    }
}
