//! Proving who one is: signing in and stepping up, each a whole use-case. A proof is checked by
//! the service that owns it (email codes, passwords, passkeys); this module decides what a proof
//! earns, starts the session or mints the elevated token, and writes the audit event, so the
//! routes only extract a request and shape the answer.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, TransactionTrait};
use uuid::Uuid;
use webauthn_rs::prelude::PublicKeyCredential;

use crate::auth::jwt::TokenService;
use crate::auth::password::Passwords;
use crate::config::Config;
use crate::entities::account;
use crate::error::AppError;
use crate::services::audit::{self, Actor};
use crate::services::devices::UserAgent;
use crate::services::sessions::{self, Origin, TokenResponse};
use crate::services::{email_codes, passkeys, passwords};
use crate::tenancy::resolver::HostTenant;

/// What proves a person: one of these, checked against the host's tenant.
pub enum Proof {
    EmailCode {
        email: String,
        code: String,
    },
    Password {
        email: String,
        password: String,
    },
    Passkey {
        ceremony: Uuid,
        credential: Box<PublicKeyCredential>,
    },
}

impl Proof {
    /// How the audit trail names the method.
    fn method(&self) -> &'static str {
        match self {
            Proof::EmailCode { .. } => "email code",
            Proof::Password { .. } => "password",
            Proof::Passkey { .. } => "passkey",
        }
    }
}

/// What the identity use-cases need from the server.
pub struct Identity<'a> {
    pub db: &'a DatabaseConnection,
    pub config: &'a Config,
    pub tokens: &'a TokenService,
    pub passwords: &'a Passwords,
}

/// An access token that may do sensitive things until `until`.
pub struct Elevated {
    pub access_token: String,
    pub until: DateTime<Utc>,
}

impl Identity<'_> {
    /// The account `proof` proves on `host`'s tenant (an email code may create a `USER` where
    /// sign-up is open), or the refusal; a wrong proof is refused alike for every cause.
    async fn check(&self, host: &HostTenant, proof: Proof) -> Result<account::Model, AppError> {
        match proof {
            Proof::EmailCode { email, code } => {
                email_codes::verify(self.db, self.config, host, &email, &code).await
            }
            Proof::Password { email, password } => {
                passwords::login(self.db, self.passwords, &host.tenant, &email, &password).await
            }
            Proof::Passkey {
                ceremony,
                credential,
            } => passkeys::finish_login(self.db, host, ceremony, &credential).await,
        }
    }

    /// Signs in with `proof`: a new session and its tokens, and the attempt in the audit trail
    /// either way (a failure names no account: it may not exist). The session keeps `ip` and
    /// `user_agent`, so its owner can tell it from their others.
    pub async fn sign_in(
        &self,
        host: &HostTenant,
        ip: Option<IpAddr>,
        user_agent: Option<UserAgent>,
        proof: Proof,
    ) -> Result<TokenResponse, AppError> {
        let method = proof.method();
        let account = match self.check(host, proof).await {
            Ok(account) => account,
            Err(err) => {
                if matches!(err, AppError::Unauthenticated { .. }) {
                    let anonymous = Actor {
                        ip,
                        ..Actor::PLATFORM
                    };
                    let detail = format!("{method} sign-in failed");
                    audit::record(self.db, &host.tenant, &anonymous, "login.failed", detail)
                        .await?;
                }
                return Err(err);
            }
        };
        let txn = self.db.begin().await?;
        let origin = Origin {
            app: host.app.clone(),
            ip,
            user_agent,
        };
        let tokens = sessions::start(&txn, self.config, self.tokens, &account, origin).await?;
        let detail = format!("{} signed in with {method}", account.email);
        let actor = Actor::account(account.id, ip);
        audit::record(&txn, &host.tenant, &actor, "login.succeeded", detail).await?;
        txn.commit().await?;
        Ok(tokens)
    }

    /// Steps up session `session` of `account` with a fresh `proof` of the same account: an
    /// access token with an elevation. A proof of anyone else is as wrong as a wrong one.
    pub async fn elevate(
        &self,
        host: &HostTenant,
        ip: Option<IpAddr>,
        account: &account::Model,
        session: Uuid,
        proof: Proof,
    ) -> Result<Elevated, AppError> {
        let actor = Actor::account(account.id, ip);
        match self.check(host, proof).await {
            Ok(proven) if proven.id == account.id => {}
            Ok(_) | Err(AppError::Unauthenticated { .. }) => {
                let detail = "step-up proof was wrong";
                audit::record(self.db, &host.tenant, &actor, "elevation.failed", detail).await?;
                return Err(AppError::unauthenticated(
                    "wrong_proof",
                    "the proof is wrong",
                ));
            }
            Err(err) => return Err(err),
        }
        let txn = self.db.begin().await?;
        let (access_token, until) =
            sessions::elevated_token(&txn, self.config, self.tokens, account, session).await?;
        let detail = format!("{} stepped up", account.email);
        audit::record(&txn, &host.tenant, &actor, "elevation.granted", detail).await?;
        txn.commit().await?;
        Ok(Elevated {
            access_token,
            until,
        })
    }
}
