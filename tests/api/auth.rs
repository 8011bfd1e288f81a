//! The `/graphql` guard: identity headers never count, every bad credential is refused with 401.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use serde_json::{Value, json};
use tenantry::entities::account::Role;
use tenantry::entities::api_key::{self, KeyKind};
use tenantry::entities::jwt_key;
use tenantry::entities::tenant::TenantStatus;

use crate::helpers::{Backend, Credential, TestApp, db_tests, error_code, eventually, spawn_app};

const VIEWER: &str =
    "{ viewer { role tenant { id slug } account { id email } apiKey { id kind } } }";

db_tests!(
    identity_headers_never_change_who_the_caller_is,
    bad_tokens_are_refused,
    bad_keys_are_refused,
    suspended_tenants_credentials_are_refused,
    revoked_key_is_refused_at_once,
    public_key_answers_only_its_tenants_origins,
    roles_guard_fields,
    jwks_serves_the_verifying_keys,
);

/// Tenants `acme` (the caller's) and `beta` (the one claimed through headers).
struct World {
    app: TestApp,
    beta_id: String,
    beta_admin_id: String,
    credentials: Vec<(&'static str, Credential)>,
}

async fn world(backend: Backend) -> World {
    let app = spawn_app(backend).await;
    let acme = app.provision("acme", "Acme").await.tenant;
    let beta = app.provision("beta", "Beta").await.tenant;
    let (_, token) = app
        .sign_in(acme.id, "member@acme.example", Role::Member)
        .await;
    let (beta_admin, _) = app
        .sign_in(beta.id, "admin@beta.example", Role::Admin)
        .await;
    let (_, secret) = app
        .api_key(acme.id, KeyKind::Secret, Some(Role::Member), None)
        .await;
    let (_, public) = app.api_key(acme.id, KeyKind::Public, None, None).await;
    World {
        app,
        beta_id: beta.id.to_string(),
        beta_admin_id: beta_admin.id.to_string(),
        credentials: vec![
            ("none", Credential::None),
            ("jwt", Credential::Bearer(token)),
            ("btk", Credential::Key(secret)),
            ("bpk", Credential::Key(public)),
        ],
    }
}

async fn identity_headers_never_change_who_the_caller_is(backend: Backend) {
    let World {
        app,
        beta_id,
        beta_admin_id,
        credentials,
    } = world(backend).await;
    let claims = [
        ("x-tenant-id", beta_id.as_str()),
        ("x-account-id", beta_admin_id.as_str()),
        ("x-session-id", "00000000-0000-0000-0000-000000000001"),
        ("x-role", "OPERATOR"),
        ("x-partnership-id", "partner-of-beta"),
        ("x-elevation-jti", "forged-elevation"),
    ];
    for (kind, credential) in &credentials {
        let (status, honest) = app.graphql_with(credential, &[], VIEWER, json!({})).await;
        assert_eq!(status, StatusCode::OK, "{kind}: {honest}");
        match *kind {
            "none" => assert_eq!(honest["data"]["viewer"], Value::Null),
            _ => assert_eq!(honest["data"]["viewer"]["tenant"]["slug"], "acme", "{kind}"),
        }
        for (header, value) in claims {
            // Each header alone, in another case too: header names are case-insensitive.
            for name in [header.to_owned(), header.to_uppercase()] {
                let (status, claimed) = app
                    .graphql_with(credential, &[(&name, value)], VIEWER, json!({}))
                    .await;
                assert_eq!(status, StatusCode::OK, "{kind} + {name}");
                assert_eq!(claimed, honest, "{kind} + {name}: {value}");
            }
        }
        // All at once, and an operator-only field besides.
        let (_, claimed) = app
            .graphql_with(
                credential,
                &claims,
                "{ tenants { edges { node { slug } } } }",
                json!({}),
            )
            .await;
        let expected = if *kind == "none" {
            "UNAUTHENTICATED"
        } else {
            "FORBIDDEN"
        };
        assert_eq!(error_code(&claimed), expected, "{kind}");
    }
}

/// The database's signing key, to craft tokens the service would never issue.
async fn signing_key(app: &TestApp) -> (String, EncodingKey) {
    let key = jwt_key::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .remove(0);
    let master = &app.master();
    let der = master.open(&key.kid, &key.private_key).unwrap();
    (key.kid, EncodingKey::from_ed_der(&der))
}

fn claims(account: &tenantry::entities::account::Model, iss: &str, aud: &str, exp: i64) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({
        "iss": iss, "aud": aud, "sub": account.id, "tid": account.tenant_id,
        "sid": uuid::Uuid::now_v7(), "role": "MEMBER", "exp": exp, "iat": now,
        "jti": uuid::Uuid::now_v7(),
    })
}

async fn bad_tokens_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let acme = app.provision("acme", "Acme").await.tenant;
    let (account, valid) = app.sign_in(acme.id, "a@acme.example", Role::Member).await;
    let (kid, key) = signing_key(&app).await;
    let now = chrono::Utc::now().timestamp();
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(kid.clone());
    let sign =
        |claims: &Value, header: &Header| jsonwebtoken::encode(header, claims, &key).unwrap();

    let mut unknown_kid = header.clone();
    unknown_kid.kid = Some("ed25519-0000000000000000".into());
    let mut hmac = Header::new(Algorithm::HS256);
    hmac.kid = Some(kid.clone());
    let hs256 = jsonwebtoken::encode(
        &hmac,
        &claims(&account, "tenantry", "tenantry", now + 600),
        &EncodingKey::from_secret(b"guess"),
    )
    .unwrap();
    let (payload_start, signature_start) =
        (valid.find('.').unwrap() + 1, valid.rfind('.').unwrap() + 1);
    let mut tampered_signature = valid.clone();
    tampered_signature.replace_range(signature_start..signature_start + 4, "AAAA");
    // Another account's claims under this token's signature.
    let other = app.sign_in(acme.id, "b@acme.example", Role::Admin).await.1;
    let spliced = format!(
        "{}{}{}",
        &valid[..payload_start],
        &other[other.find('.').unwrap() + 1..other.rfind('.').unwrap()],
        &valid[valid.rfind('.').unwrap()..]
    );

    let cases = [
        ("not.a.jwt".to_owned(), "token is malformed"),
        ("Zm9v".to_owned(), "token is malformed"),
        (tampered_signature, "token signature is invalid"),
        (spliced, "token signature is invalid"),
        (
            sign(
                &claims(&account, "tenantry", "tenantry", now - 3600),
                &header,
            ),
            "token has expired",
        ),
        (
            sign(
                &claims(&account, "someone-else", "tenantry", now + 600),
                &header,
            ),
            "token issuer is not accepted",
        ),
        (
            sign(
                &claims(&account, "tenantry", "another-api", now + 600),
                &header,
            ),
            "token audience is not accepted",
        ),
        (
            sign(
                &claims(&account, "tenantry", "tenantry", now + 600),
                &unknown_kid,
            ),
            "token is signed by an unknown key",
        ),
        (hs256, "token algorithm must be EdDSA"),
    ];
    for (token, message) in cases {
        let (status, body) = app
            .graphql_with(&Credential::Bearer(token), &[], VIEWER, json!({}))
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{message}: {body}");
        assert_eq!(error_code(&body), "UNAUTHENTICATED");
        assert_eq!(body["errors"][0]["message"], message);
        assert_eq!(body["data"], Value::Null);
    }

    let (status, body) = app
        .graphql_with(
            &Credential::None,
            &[("authorization", &format!("Basic {valid}"))],
            VIEWER,
            json!({}),
        )
        .await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::UNAUTHORIZED, "UNAUTHENTICATED")
    );

    // The valid token still works, and its claims are its own.
    let body = app.gql(&Credential::Bearer(valid), VIEWER, json!({})).await;
    assert_eq!(body["data"]["viewer"]["account"]["email"], "a@acme.example");
    assert_eq!(body["data"]["viewer"]["role"], "MEMBER");
}

async fn bad_keys_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let acme = app.provision("acme", "Acme").await.tenant;
    let (expiring, expired_secret) = app
        .api_key(acme.id, KeyKind::Secret, Some(Role::Admin), None)
        .await;
    let mut row: api_key::ActiveModel = expiring.into();
    row.expires_at = Set(Some(chrono::Utc::now() - chrono::Duration::minutes(1)));
    row.update(&app.db).await.unwrap();
    let unknown = tenantry::auth::api_key_format::generate(KeyKind::Secret);
    let (_, valid) = app
        .api_key(acme.id, KeyKind::Secret, Some(Role::Admin), None)
        .await;
    let mut typo = valid.clone().into_bytes();
    typo[10] = if typo[10] == b'a' { b'b' } else { b'a' };

    let cases = [
        (
            "sk_live_123".to_owned(),
            "API key must start with btk_ or bpk_",
        ),
        ("btk_short".to_owned(), "API key is malformed"),
        (
            String::from_utf8(typo).unwrap(),
            "API key checksum does not match (a typo?)",
        ),
        (unknown, "API key is not recognised"),
        (expired_secret, "API key has expired"),
    ];
    for (key, message) in cases {
        let (status, body) = app
            .graphql_with(&Credential::Key(key), &[], VIEWER, json!({}))
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{message}: {body}");
        assert_eq!(error_code(&body), "UNAUTHENTICATED");
        assert_eq!(body["errors"][0]["message"], message);
    }
}

async fn suspended_tenants_credentials_are_refused(backend: Backend) {
    let World {
        app, credentials, ..
    } = world(backend).await;
    app.set_status("acme", TenantStatus::Suspended).await;
    for (kind, credential) in credentials.iter().filter(|(kind, _)| *kind != "none") {
        eventually("suspension reaches the guard", || async {
            app.graphql_with(credential, &[], VIEWER, json!({})).await.0 == StatusCode::UNAUTHORIZED
        })
        .await;
        let (_, body) = app.graphql_with(credential, &[], VIEWER, json!({})).await;
        assert_eq!(
            body["errors"][0]["message"], "the credential's tenant is suspended",
            "{kind}"
        );
    }
}

async fn revoked_key_is_refused_at_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let acme = app.provision("acme", "Acme").await.tenant;
    let (_, admin) = app
        .api_key(acme.id, KeyKind::Secret, Some(Role::Admin), None)
        .await;
    let (victim, victim_secret) = app
        .api_key(acme.id, KeyKind::Secret, Some(Role::Member), None)
        .await;
    let admin = Credential::Key(admin);
    let victim_credential = Credential::Key(victim_secret);
    // Used once, so the server has it cached.
    app.gql(&victim_credential, VIEWER, json!({})).await;

    let body = app
        .gql(
            &admin,
            "mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }",
            json!({ "id": victim.id }),
        )
        .await;
    assert!(
        body["data"]["revokeApiKey"]["revokedAt"].is_string(),
        "{body}"
    );

    let (status, body) = app
        .graphql_with(&victim_credential, &[], VIEWER, json!({}))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["errors"][0]["message"], "API key has been revoked");
}

async fn public_key_answers_only_its_tenants_origins(backend: Backend) {
    let app = spawn_app(backend).await;
    let acme = app.provision("acme", "Acme").await.tenant;
    app.provision("beta", "Beta").await;
    let (_, public) = app
        .api_key(acme.id, KeyKind::Public, None, Some("TAXI_PASSENGER"))
        .await;
    let public = Credential::Key(public);
    let query = "{ viewer { tenant { slug } } branding { displayName } }";

    for origin in [
        "https://acme-rides.localhost",
        "http://acme-admin.localhost:8080",
    ] {
        let (status, body) = app
            .graphql_with(&public, &[("origin", origin)], query, json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{origin}: {body}");
    }
    // No Origin: a native app.
    assert_eq!(
        app.graphql_with(&public, &[], query, json!({})).await.0,
        StatusCode::OK
    );
    for origin in [
        "https://beta-rides.localhost",
        "https://evil.example",
        "null",
    ] {
        let (status, body) = app
            .graphql_with(&public, &[("origin", origin)], query, json!({}))
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{origin}");
        assert_eq!(error_code(&body), "UNAUTHENTICATED");
    }

    // Browsers get CORS answers for verified tenant hosts only.
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/graphql"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "x-api-key, content-type")
            .send()
    };
    let allowed = preflight("https://acme-rides.localhost").await.unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://acme-rides.localhost"
    );
    let refused = preflight("https://evil.example").await.unwrap();
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    // A page's script may read how long to wait after a 429, and the request id to report.
    let answered = app
        .client
        .post(app.url("/graphql"))
        .header("origin", "https://acme-rides.localhost")
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();
    let exposed = answered
        .headers()
        .get("access-control-expose-headers")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert!(
        exposed.contains("retry-after") && exposed.contains("x-request-id"),
        "exposed: {exposed:?}"
    );
}

async fn roles_guard_fields(backend: Backend) {
    let app = spawn_app(backend).await;
    let acme = app.provision("acme", "Acme").await.tenant;
    let (_, user) = app.sign_in(acme.id, "user@acme.example", Role::User).await;
    let (_, member) = app
        .sign_in(acme.id, "member@acme.example", Role::Member)
        .await;
    let (_, admin) = app
        .sign_in(acme.id, "admin@acme.example", Role::Admin)
        .await;
    let (_, public) = app.api_key(acme.id, KeyKind::Public, None, None).await;
    let main = tenantry::services::tenants::get(&app.db, "main")
        .await
        .unwrap();
    let (_, operator) = app
        .api_key(main.id, KeyKind::Secret, Some(Role::Operator), None)
        .await;

    let leads = "{ leads { edges { node { id } } } }";
    let keys = "{ apiKeys { id } }";
    let tenants = "{ tenants { edges { node { slug } } } }";
    let cases = [
        (Credential::None, leads, Some("UNAUTHENTICATED")),
        (Credential::Key(public.clone()), leads, Some("FORBIDDEN")),
        (Credential::Bearer(user.clone()), leads, Some("FORBIDDEN")),
        (Credential::Bearer(member.clone()), leads, None),
        (Credential::Bearer(member.clone()), keys, Some("FORBIDDEN")),
        (Credential::Bearer(admin.clone()), keys, None),
        (
            Credential::Bearer(admin.clone()),
            tenants,
            Some("FORBIDDEN"),
        ),
        (Credential::Key(operator.clone()), tenants, None),
        (
            Credential::Key(operator.clone()),
            "{ apiKeys(tenantSlug: \"acme\") { id } }",
            None,
        ),
        (
            Credential::Bearer(admin.clone()),
            "{ apiKeys(tenantSlug: \"acme\") { id } }",
            Some("FORBIDDEN"),
        ),
        (
            Credential::Key(operator),
            "{ apiKeys(tenantSlug: \"nobody\") { id } }",
            Some("NOT_FOUND"),
        ),
    ];
    for (credential, query, expected) in cases {
        let body = app.gql(&credential, query, json!({})).await;
        match expected {
            None => assert!(
                body.get("errors").is_none(),
                "{credential:?} {query}: {body}"
            ),
            Some(code) => {
                assert_eq!(error_code(&body), code, "{credential:?} {query}");
                assert_eq!(
                    body["data"],
                    Value::Null,
                    "{query}: no data leaks beside the error"
                );
            }
        }
    }
}

async fn jwks_serves_the_verifying_keys(backend: Backend) {
    let app = spawn_app(backend).await;
    // On every host, with no tenant resolution.
    for host in ["localhost", "unknown.example"] {
        let response = app.get("/.well-known/jwks.json", &[("host", host)]).await;
        assert_eq!(response.status(), StatusCode::OK);
        let jwks: Value = response.json().await.unwrap();
        let key = &jwks["keys"][0];
        assert_eq!(
            (
                key["kty"].as_str(),
                key["crv"].as_str(),
                key["alg"].as_str()
            ),
            (Some("OKP"), Some("Ed25519"), Some("EdDSA"))
        );
        let stored = jwt_key::Entity::find().all(&app.db).await.unwrap();
        assert_eq!(key["kid"], stored[0].kid.as_str());
        // The key verifies what the service signs.
        let decoding =
            jsonwebtoken::DecodingKey::from_ed_components(key["x"].as_str().unwrap()).unwrap();
        let acme = app.provision(&format!("t{}", host.len()), "T").await.tenant;
        let (_, token) = app.sign_in(acme.id, "a@t.example", Role::Admin).await;
        let mut validation = jsonwebtoken::Validation::new(Algorithm::EdDSA);
        validation.set_audience(&["tenantry"]);
        assert!(jsonwebtoken::decode::<Value>(&token, &decoding, &validation).is_ok());
    }
}
