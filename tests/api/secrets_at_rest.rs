//! Secrets at rest: the signing keys' private halves are sealed under the master key, a database
//! from before is sealed at start-up, a wrong key stops the server before it serves, the master key
//! can be rotated without invalidating a token, and the dev outbox forgets expired codes.

use std::time::Duration;

use aws_lc_rs::signature::Ed25519KeyPair;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use serde_json::json;
use tenantry::Application;
use tenantry::auth::master_key::MasterKey;
use tenantry::config::Secret;
use tenantry::entities::account::Role;
use tenantry::entities::{jwt_key, outbox_message};

use crate::cli::cli;
use crate::helpers::{Backend, db_tests, eventually, spawn_app, spawn_app_with};

db_tests!(
    signing_keys_are_sealed_under_the_master_key,
    a_database_of_plain_keys_is_sealed_at_start_up,
    a_wrong_master_key_stops_the_server_before_it_serves,
    rotating_the_master_key_keeps_every_token_valid,
    expired_mail_leaves_the_outbox,
);

async fn signing_keys_are_sealed_under_the_master_key(backend: Backend) {
    let app = spawn_app(backend).await;
    let row = jwt_key::Entity::find().one(&app.db).await.unwrap().unwrap();
    // Whoever reads the database reads no key.
    let as_pkcs8 = URL_SAFE_NO_PAD
        .decode(&row.private_key)
        .ok()
        .and_then(|der| Ed25519KeyPair::from_pkcs8(&der).ok());
    assert!(as_pkcs8.is_none(), "the stored value is not a PKCS#8 key");
    assert!(row.private_key.starts_with("v1:"));
    // The same key material sealed under another master key looks nothing alike.
    let master = &app.master();
    let plain = master.open(&row.kid, &row.private_key).unwrap();
    assert!(Ed25519KeyPair::from_pkcs8(&plain).is_ok());
    let other = MasterKey::parse(&MasterKey::generate()).unwrap();
    let elsewhere = other.seal(&row.kid, &plain).unwrap();
    assert_ne!(elsewhere, row.private_key);
    assert!(master.open(&row.kid, &elsewhere).is_err());
}

async fn a_database_of_plain_keys_is_sealed_at_start_up(backend: Backend) {
    // A server of the version before: its key stored plain, a token signed with it.
    let app = spawn_app(backend).await;
    let acme = app.provision("acme", "Acme").await.tenant;
    let (_, before) = app.sign_in(acme.id, "ana@example.com", Role::Admin).await;
    let master = app.master();
    for row in jwt_key::Entity::find().all(&app.db).await.unwrap() {
        let plain = master.open(&row.kid, &row.private_key).unwrap();
        let mut active: jwt_key::ActiveModel = row.into();
        active.private_key = Set(URL_SAFE_NO_PAD.encode(plain));
        active.update(&app.db).await.unwrap();
    }
    // A server started with the master key seals it in place and honours the old token.
    let upgraded = Application::build(app.config.clone(), false).await.unwrap();
    let addr = upgraded.local_addr();
    tokio::spawn(upgraded.run_until(std::future::pending()));
    let rows = jwt_key::Entity::find().all(&app.db).await.unwrap();
    assert!(rows.iter().all(|row| row.private_key.starts_with("v1:")));
    let viewer = |token: String| {
        app.client
            .post(format!("http://{addr}/graphql"))
            .bearer_auth(token)
            .json(&json!({ "query": "{ viewer { role } }" }))
            .send()
    };
    assert_eq!(viewer(before).await.unwrap().status(), StatusCode::OK);
    let (_, after) = app.sign_in(acme.id, "bo@example.com", Role::Admin).await;
    assert_eq!(viewer(after).await.unwrap().status(), StatusCode::OK);
}

async fn a_wrong_master_key_stops_the_server_before_it_serves(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut config = app.config.clone();
    config.secrets.master_key = Some(Secret::new(MasterKey::generate()));
    let refused = Application::build(config, false).await.err().unwrap();
    assert!(
        refused
            .chain()
            .contains("does not open with this master key"),
        "{}",
        refused.chain()
    );
    let mut config = app.config.clone();
    config.secrets.master_key = None;
    let refused = Application::build(config, false).await.err().unwrap();
    assert!(
        refused
            .chain()
            .contains("TENANTRY_MASTER_KEY or secrets.master_key_file")
    );
    // `serve` without a key says so in one line, naming both settings.
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_tenantry-cli"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("DATABASE_URL", &app.database_url)
        .env_remove("TENANTRY_MASTER_KEY")
        .env_remove("TENANTRY_MASTER_KEY_FILE")
        .env_remove("TENANTRY_CONFIG")
        .current_dir(std::env::temp_dir())
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].contains("TENANTRY_MASTER_KEY") && lines[0].contains("master_key_file"));
}

async fn rotating_the_master_key_keeps_every_token_valid(backend: Backend) {
    let app = spawn_app(backend).await;
    let acme = app.provision("acme", "Acme").await.tenant;
    let (_, token) = app.sign_in(acme.id, "ana@example.com", Role::Admin).await;
    let dir = tempfile::tempdir().unwrap();
    let new_key = MasterKey::generate();
    let file = dir.path().join("new.key");
    std::fs::write(&file, &new_key).unwrap();
    let rotated = cli(
        &app,
        &[
            "masterkey",
            "rotate",
            "--new-key-file",
            file.to_str().unwrap(),
        ],
    )
    .await;
    assert!(rotated.status.success(), "{rotated:?}");
    // A server with the new key serves the old token; one with the old key no longer starts.
    let mut config = app.config.clone();
    config.secrets.master_key = Some(Secret::new(new_key.clone()));
    let renewed = Application::build(config, false).await.unwrap();
    let addr = renewed.local_addr();
    tokio::spawn(renewed.run_until(std::future::pending()));
    let response = app
        .client
        .post(format!("http://{addr}/graphql"))
        .bearer_auth(&token)
        .json(&json!({ "query": "{ viewer { role } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(Application::build(app.config.clone(), false).await.is_err());
    let generated = cli(&app, &["masterkey", "generate"]).await;
    let printed = String::from_utf8_lossy(&generated.stdout);
    assert!(MasterKey::parse(printed.trim()).is_ok(), "{printed}");
}

async fn expired_mail_leaves_the_outbox(backend: Backend) {
    let app = spawn_app_with(backend, |config| {
        config.sign_in.otp_ttl = Duration::from_secs(1);
        config.sign_in.password_reset_ttl = Duration::from_secs(1);
    })
    .await;
    app.provision("acme", "Acme").await;
    let host = app.host("acme", "TAXI_PASSENGER");
    let (status, _) = app
        .post_email_start(&host, json!({ "email": "ana@example.com" }))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    eventually("the code is kept while it is valid", || async {
        !outbox_message::Entity::find()
            .all(&app.db)
            .await
            .unwrap()
            .is_empty()
    })
    .await;
    eventually("the expired code leaves the outbox", || async {
        outbox_message::Entity::find()
            .all(&app.db)
            .await
            .unwrap()
            .is_empty()
    })
    .await;
}
