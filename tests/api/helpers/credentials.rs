//! Credentials a test hands out: accounts with tokens, stepped-up tokens, API keys.

use tenantry::auth::jwt::TokenService;
use tenantry::entities::account::{self, AccountStatus, Role};
use tenantry::entities::api_key::{self, KeyKind};
use tenantry::services::api_keys::{self, NewKey};
use tenantry::services::tenants;
use tenantry::services::{accounts, sessions};

use super::*;

impl TestApp {
    /// An account in `tenant_id`, and a signed access token for it.
    pub async fn sign_in(
        &self,
        tenant_id: uuid::Uuid,
        email: &str,
        role: Role,
    ) -> (account::Model, String) {
        let tenant = self.context(tenant_id).await;
        let account = accounts::create(&self.db, &tenant, email, role, AccountStatus::Active)
            .await
            .expect("account created");
        let token = self.token_for(&account).await;
        (account, token)
    }

    /// An access token of a new session of `account`, as a sign-in would hand out.
    pub async fn token_for(&self, account: &account::Model) -> String {
        let tokens = TokenService::new(&self.config, Some(self.master()));
        sessions::start(&self.db, &self.config, &tokens, account, Default::default())
            .await
            .expect("session started")
            .access_token
    }

    /// As [`TestApp::token_for`], with a fresh step-up elevation.
    pub async fn elevated_token_for(&self, account: &account::Model) -> String {
        let tokens = TokenService::new(&self.config, Some(self.master()));
        let plain = self.token_for(account).await;
        let session = tokens.verify(&self.db, &plain).await.expect("valid").sid;
        sessions::elevated_token(&self.db, &self.config, &tokens, account, session)
            .await
            .expect("elevated")
            .0
    }

    /// A new operator key of the platform tenant.
    pub async fn operator(&self) -> Credential {
        let main = tenants::get(&self.db, "main").await.unwrap();
        Credential::Key(
            self.api_key(main.id, KeyKind::Secret, Some(Role::Operator), None)
                .await
                .1,
        )
    }

    /// A new API key of `tenant_id`; returns its row and its secret.
    pub async fn api_key(
        &self,
        tenant_id: uuid::Uuid,
        kind: KeyKind,
        role: Option<Role>,
        app: Option<&str>,
    ) -> (api_key::Model, String) {
        let new = NewKey {
            kind,
            name: "test".into(),
            role,
            app: app.map(str::to_owned),
            expires_at: None,
        };
        let created = api_keys::create(
            &self.db,
            &self.config,
            &self.context(tenant_id).await,
            new,
            &tenantry::services::audit::Actor::PLATFORM,
        )
        .await
        .expect("key created");
        (created.key, created.secret)
    }
}
