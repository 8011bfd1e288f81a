//! Access tokens: Ed25519-signed JWTs whose keys live in the database, so every instance signs and
//! verifies with the same keys; served as JWKS for other services. The private halves are stored
//! sealed under the master key ([`super::master_key`]), never as plain PKCS#8.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use moka::future::Cache;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, TransactionSession, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::master_key::{self, MasterKey};
use crate::cache::events::{self, CacheEvent};
use crate::config::Config;
use crate::db;
use crate::entities::jwt_key;
use crate::error::AppError;

const ALGORITHM: &str = "EdDSA";

/// The claims of an access token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    /// The account.
    pub sub: Uuid,
    /// The tenant.
    pub tid: Uuid,
    /// The session the token belongs to.
    pub sid: Uuid,
    pub role: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: Uuid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elev: Option<ElevationClaim>,
}

/// A recent re-proof of identity: its id and when it lapses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElevationClaim {
    pub jti: String,
    pub exp: i64,
}

/// What a new token says; the service adds issuer, audience, times and id.
pub struct TokenRequest {
    pub account_id: Uuid,
    pub tenant_id: Uuid,
    pub session_id: Uuid,
    pub role: String,
    pub partnership_id: Option<String>,
    pub elevation: Option<ElevationClaim>,
}

struct KeySet {
    signing: Option<(String, EncodingKey)>,
    verifying: HashMap<String, DecodingKey>,
    jwks: Value,
}

pub struct TokenService {
    issuer: String,
    audience: String,
    ttl: Duration,
    leeway: Duration,
    keys: RwLock<Option<Arc<KeySet>>>,
    /// Opens the private halves; without it (one-shot commands) tokens can be verified, not issued.
    master: Option<MasterKey>,
    /// Tokens already verified, by the SHA-256 of the token: a signature check costs tens of
    /// microseconds, a hash a fraction of one. Expiry is checked on every hit.
    verified: Cache<[u8; 32], Arc<Claims>>,
}

impl TokenService {
    pub fn new(config: &Config, master: Option<MasterKey>) -> Self {
        Self {
            issuer: config.tokens.issuer.clone(),
            audience: config.tokens.audience.clone(),
            ttl: config.tokens.access_ttl,
            leeway: config.tokens.leeway,
            keys: RwLock::new(None),
            master,
            verified: Cache::builder()
                .max_capacity(config.tenancy.cache_capacity)
                .time_to_live(config.tokens.access_ttl + config.tokens.leeway)
                .build(),
        }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Creates the first signing key if there is none. Two instances starting at once may both
    /// create one; the newer signs and both verify, which is harmless.
    pub async fn ensure_signing_key(
        db: &impl ConnectionTrait,
        master: &MasterKey,
    ) -> Result<(), AppError> {
        let active = jwt_key::Entity::find()
            .filter(jwt_key::Column::RetiredAt.is_null())
            .one(db)
            .await?;
        if active.is_none() {
            insert_new_key(db, master).await?;
        }
        Ok(())
    }

    /// Seals, in one transaction, every signing key still stored plain (a database from before
    /// encryption at rest), and checks that every sealed one opens with `master`: a key sealed
    /// under another master key is an error now, not a garbled token later. Answers how many
    /// keys were sealed.
    pub async fn seal_keys_at_rest<C: ConnectionTrait + TransactionTrait>(
        db: &C,
        master: &MasterKey,
    ) -> Result<usize, AppError> {
        let txn = db.begin().await?;
        let mut sealed = 0;
        for row in jwt_key::Entity::find().all(&txn).await? {
            if master_key::is_sealed(&row.private_key) {
                master.open(&row.kid, &row.private_key)?;
                continue;
            }
            let der = URL_SAFE_NO_PAD
                .decode(&row.private_key)
                .map_err(AppError::internal)?;
            let value = master.seal(&row.kid, &der)?;
            let mut active: jwt_key::ActiveModel = row.into();
            active.private_key = Set(value);
            active.update(&txn).await?;
            sealed += 1;
        }
        txn.commit().await?;
        Ok(sealed)
    }

    /// Re-seals every signing key under `new`, in one transaction; tokens signed before keep
    /// verifying, as the keys themselves do not change. Answers how many keys were re-sealed.
    pub async fn reseal_keys<C: ConnectionTrait + TransactionTrait>(
        db: &C,
        old: &MasterKey,
        new: &MasterKey,
    ) -> Result<usize, AppError> {
        let txn = db.begin().await?;
        let rows = jwt_key::Entity::find().all(&txn).await?;
        let count = rows.len();
        for row in rows {
            let der = match master_key::is_sealed(&row.private_key) {
                true => old.open(&row.kid, &row.private_key)?,
                false => URL_SAFE_NO_PAD
                    .decode(&row.private_key)
                    .map_err(AppError::internal)?,
            };
            let value = new.seal(&row.kid, &der)?;
            let mut active: jwt_key::ActiveModel = row.into();
            active.private_key = Set(value);
            active.update(&txn).await?;
        }
        // The other secrets sealed under the master key go along, in the same transaction.
        crate::auth::server_secrets::reseal(&txn, old, new).await?;
        txn.commit().await?;
        Ok(count)
    }

    /// Makes a new key the signing key; older keys keep verifying until their tokens expire.
    pub async fn rotate<C: ConnectionTrait + TransactionTrait>(
        db: &C,
        master: &MasterKey,
    ) -> Result<String, AppError> {
        let txn = db.begin().await?;
        jwt_key::Entity::update_many()
            .col_expr(jwt_key::Column::RetiredAt, Expr::value(db::now()))
            .filter(jwt_key::Column::RetiredAt.is_null())
            .exec(&txn)
            .await?;
        let kid = insert_new_key(&txn, master).await?;
        events::record(&txn, CacheEvent::SigningKeysChanged).await?;
        txn.commit().await?;
        tracing::info!(%kid, "JWT signing key rotated");
        Ok(kid)
    }

    /// Forgets the loaded keys; the next use reads them again.
    pub fn invalidate_keys(&self) {
        *self.keys.write().unwrap_or_else(|e| e.into_inner()) = None;
    }

    pub async fn issue(
        &self,
        db: &impl ConnectionTrait,
        request: TokenRequest,
    ) -> Result<String, AppError> {
        let keys = self.key_set(db).await?;
        let (kid, key) = keys
            .signing
            .as_ref()
            .ok_or_else(|| AppError::internal("no JWT signing key"))?;
        let now = chrono::Utc::now().timestamp();
        let ttl = i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX);
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: request.account_id,
            tid: request.tenant_id,
            sid: request.session_id,
            role: request.role,
            exp: now.saturating_add(ttl),
            iat: now,
            jti: Uuid::now_v7(),
            pid: request.partnership_id,
            elev: request.elevation,
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(kid.clone());
        jsonwebtoken::encode(&header, &claims, key).map_err(AppError::internal)
    }

    /// The claims of a valid token, or `UNAUTHENTICATED` saying what is wrong with it.
    pub async fn verify(
        &self,
        db: &impl ConnectionTrait,
        token: &str,
    ) -> Result<Arc<Claims>, AppError> {
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        if let Some(claims) = self.verified.get(&digest).await {
            let leeway = i64::try_from(self.leeway.as_secs()).unwrap_or(0);
            if claims.exp + leeway < chrono::Utc::now().timestamp() {
                return Err(AppError::unauthenticated(
                    "expired_token",
                    "token has expired",
                ));
            }
            return Ok(claims);
        }
        let kid = signing_key_id(token)?;
        let keys = self.key_set(db).await?;
        let key = keys
            .verifying
            .get(&kid)
            .ok_or_else(|| refused("token is signed by an unknown key"))?;
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.leeway = self.leeway.as_secs();
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let data = jsonwebtoken::decode::<Claims>(token, key, &validation).map_err(|err| {
            refused(match err.kind() {
                ErrorKind::ExpiredSignature => "token has expired",
                ErrorKind::InvalidSignature => "token signature is invalid",
                ErrorKind::InvalidIssuer => "token issuer is not accepted",
                ErrorKind::InvalidAudience => "token audience is not accepted",
                ErrorKind::InvalidAlgorithm => "token algorithm must be EdDSA",
                ErrorKind::ImmatureSignature => "token is not valid yet",
                ErrorKind::MissingRequiredClaim(_) => "token lacks a required claim",
                _ => "token is malformed",
            })
        })?;
        let claims = Arc::new(data.claims);
        self.verified.insert(digest, claims.clone()).await;
        Ok(claims)
    }

    /// The public keys that verify tokens, as a JSON Web Key Set (RFC 7517, RFC 8037).
    pub async fn jwks(&self, db: &impl ConnectionTrait) -> Result<Value, AppError> {
        Ok(self.key_set(db).await?.jwks.clone())
    }

    async fn key_set(&self, db: &impl ConnectionTrait) -> Result<Arc<KeySet>, AppError> {
        if let Some(keys) = self.keys.read().unwrap_or_else(|e| e.into_inner()).clone() {
            return Ok(keys);
        }
        let keys = Arc::new(self.load(db).await?);
        *self.keys.write().unwrap_or_else(|e| e.into_inner()) = Some(keys.clone());
        Ok(keys)
    }

    async fn load(&self, db: &impl ConnectionTrait) -> Result<KeySet, AppError> {
        // Retired keys verify for as long as a token they signed can still be valid.
        let window =
            chrono::Duration::from_std(self.ttl + self.leeway).map_err(AppError::internal)?;
        let oldest = db::now() - window;
        let rows = jwt_key::Entity::find()
            .filter(
                jwt_key::Column::RetiredAt
                    .is_null()
                    .or(jwt_key::Column::RetiredAt.gt(oldest)),
            )
            .order_by_desc(jwt_key::Column::CreatedAt)
            .all(db)
            .await?;
        let mut signing = None;
        let mut verifying = HashMap::new();
        let mut jwks = Vec::new();
        for row in rows {
            let public =
                DecodingKey::from_ed_components(&row.public_key).map_err(AppError::internal)?;
            if signing.is_none()
                && row.retired_at.is_none()
                && let Some(master) = &self.master
            {
                let der = master.open(&row.kid, &row.private_key)?;
                signing = Some((row.kid.clone(), EncodingKey::from_ed_der(&der)));
            }
            jwks.push(json!({
                "kty": "OKP",
                "crv": "Ed25519",
                "alg": ALGORITHM,
                "use": "sig",
                "kid": row.kid,
                "x": row.public_key,
            }));
            verifying.insert(row.kid, public);
        }
        Ok(KeySet {
            signing,
            verifying,
            jwks: json!({ "keys": jwks }),
        })
    }
}

/// The key id of a token's header, read before any key is looked up: the header is the attacker's
/// text, so anything but an EdDSA header with a `kid` is refused here, without a panic.
fn signing_key_id(token: &str) -> Result<String, AppError> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| refused("token is malformed"))?;
    if header.alg != Algorithm::EdDSA {
        return Err(refused("token algorithm must be EdDSA"));
    }
    header
        .kid
        .ok_or_else(|| refused("token has no key id (kid)"))
}

fn refused(why: &str) -> AppError {
    AppError::unauthenticated("invalid_token", why)
}

async fn insert_new_key(db: &impl ConnectionTrait, master: &MasterKey) -> Result<String, AppError> {
    let rng = SystemRandom::new();
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng)
        .map_err(|_| AppError::internal("cannot generate an Ed25519 key"))?;
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref())
        .map_err(|_| AppError::internal("cannot read the generated Ed25519 key"))?;
    let public = pair.public_key().as_ref().to_vec();
    // RFC 7638-style: the key id is derived from the public key, so it names the key exactly.
    let kid = format!("ed25519-{}", &hex::encode(Sha256::digest(&public))[..16]);
    jwt_key::ActiveModel {
        kid: Set(kid.clone()),
        algorithm: Set(ALGORITHM.to_owned()),
        private_key: Set(master.seal(&kid, pkcs8.as_ref())?),
        public_key: Set(URL_SAFE_NO_PAD.encode(&public)),
        created_at: Set(db::now()),
        retired_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(kid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn segment(json: &str) -> String {
        URL_SAFE_NO_PAD.encode(json)
    }

    #[test]
    fn only_eddsa_headers_with_a_key_id_pass() {
        let token = |header: &str| format!("{}.e30.sig", segment(header));
        assert_eq!(
            signing_key_id(&token(r#"{"alg":"EdDSA","kid":"k1"}"#)).unwrap(),
            "k1"
        );
        for (header, why) in [
            (
                r#"{"alg":"HS256","kid":"k1"}"#,
                "token algorithm must be EdDSA",
            ),
            (r#"{"alg":"none","kid":"k1"}"#, "token is malformed"),
            (r#"{"alg":"EdDSA"}"#, "token has no key id (kid)"),
            (r#"{"kid":"k1"}"#, "token is malformed"),
            ("not json", "token is malformed"),
        ] {
            let err = signing_key_id(&token(header)).unwrap_err();
            assert_eq!(err.to_string(), why, "{header}");
        }
    }

    proptest! {
        /// Any text at all, and any JSON-ish header: an answer, never a panic.
        #[test]
        fn arbitrary_tokens_are_refused_without_panicking(token in "\\PC{0,200}") {
            let _ = signing_key_id(&token);
        }

        #[test]
        fn arbitrary_headers_are_refused_or_named(
            alg in "[A-Za-z0-9]{0,8}",
            kid in proptest::option::of("[ -~]{0,40}"),
            extra in "[ -~]{0,40}",
            rest in "[A-Za-z0-9_.-]{0,60}",
        ) {
            let mut header = serde_json::json!({ "alg": alg, "x": extra });
            if let Some(kid) = &kid {
                header["kid"] = serde_json::Value::String(kid.clone());
            }
            let token = format!("{}.{rest}", segment(&header.to_string()));
            match signing_key_id(&token) {
                Ok(found) => {
                    prop_assert_eq!(alg, "EdDSA");
                    prop_assert_eq!(Some(found), kid);
                }
                Err(err) => prop_assert_eq!(err.code(), "UNAUTHENTICATED"),
            }
        }
    }
}
