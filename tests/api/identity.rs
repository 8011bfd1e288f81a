//! Signing in from a tenant's host: email codes through real SMTP, passwords and resets, refresh
//! rotation, step-up, and the limits around them.

use reqwest::StatusCode;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use tenantry::entities::account::Role;
use tenantry::entities::{account, email_challenge};

use crate::helpers::{
    Backend, Credential, TestApp, db_tests, error_code, eventually, spawn_app_with,
};
use crate::smtp_sink::SmtpSink;

db_tests!(
    the_viewer_knows_whether_it_has_a_password,
    email_code_signs_in_through_real_smtp,
    unknown_addresses_get_the_same_answer,
    five_wrong_codes_kill_the_challenge,
    expired_code_is_refused,
    password_reset_ends_every_session,
    refresh_rotates_and_reuse_ends_the_session,
    step_up_is_required_and_honoured,
    credentials_of_one_tenant_fail_on_another,
    sign_in_routes_are_rate_limited,
    people_see_and_end_their_sessions,
    sessions_are_named_by_device_and_address,
    outbox_keeps_mail_without_smtp,
    sign_up_is_a_tenant_setting_and_off_on_main,
);

pub(crate) async fn app_with_mail(backend: Backend) -> (TestApp, SmtpSink) {
    let sink = SmtpSink::start().await;
    let url = sink.url();
    let app = spawn_app_with(backend, move |config| {
        config.mail.smtp_url = Some(url);
        // Cheap hashes keep the suite fast; the cost is configuration, not code.
        config.passwords.memory_kib = 64;
        config.passwords.iterations = 1;
    })
    .await;
    (app, sink)
}

/// Subjects of the notices an account is sent when it changes (no secret in them).
const NOTICES: [&str; 2] = [
    "Subject: Your password was changed",
    "Subject: A passkey was added to your account",
];

/// The mail to `address` that asked for something (a code, a token), not a notice.
pub(crate) fn requested(sink: &SmtpSink, address: &str) -> Vec<String> {
    sink.to(address)
        .into_iter()
        .map(|m| m.data)
        .filter(|data| !NOTICES.iter().any(|notice| data.contains(notice)))
        .collect()
}

/// The newest mail to `address` that carries a code or token, once `count` such have arrived.
/// Notices are left out: they may arrive at any moment around it.
pub(crate) async fn mail_to(sink: &SmtpSink, address: &str, count: usize) -> String {
    eventually("mail delivered", || async {
        requested(sink, address).len() >= count
    })
    .await;
    requested(sink, address).pop().unwrap()
}

/// The notice to `address` with this subject, once it has arrived.
pub(crate) async fn notice_to(sink: &SmtpSink, address: &str, subject: &str) -> String {
    let line = format!("Subject: {subject}");
    eventually("notice delivered", || async {
        sink.to(address).iter().any(|m| m.data.contains(&line))
    })
    .await;
    sink.to(address)
        .into_iter()
        .map(|m| m.data)
        .rfind(|data| data.contains(&line))
        .unwrap()
}

/// The six-digit code, or the `bpr_` token, in a delivered message.
pub(crate) fn secret_in(mail: &str, prefix: &str) -> String {
    mail.lines()
        .map(str::trim)
        .find(|line| {
            if prefix.is_empty() {
                line.len() == 6 && line.bytes().all(|b| b.is_ascii_digit())
            } else {
                line.starts_with(prefix)
            }
        })
        .unwrap_or_else(|| panic!("no secret in:\n{mail}"))
        .to_owned()
}

pub(crate) async fn sign_in_by_code(
    app: &TestApp,
    sink: &SmtpSink,
    host: &str,
    email: &str,
) -> Value {
    let before = requested(sink, email).len();
    let (status, _) = app.post_email_start(host, json!({ "email": email })).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let code = secret_in(&mail_to(sink, email, before + 1).await, "");
    let (status, body) = app
        .post_email_verify(host, json!({ "email": email, "code": code }))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn email_code_signs_in_through_real_smtp(backend: Backend) {
    let (app, sink) = app_with_mail(backend).await;
    app.provision("acme", "Acme").await;
    let host = app.host("acme", "TAXI_PASSENGER");

    let (status, started) = app
        .post_email_start(&host, json!({ "email": "Ana@Example.com" }))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let mail = mail_to(&sink, "ana@example.com", 1).await;
    assert!(mail.contains("Subject: Your code for Acme"), "{mail}");
    let code = secret_in(&mail, "");

    let (status, tokens) = app
        .post_email_verify(&host, json!({ "email": "ana@example.com", "code": code }))
        .await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 900);
    assert!(
        tokens["refresh_token"]
            .as_str()
            .unwrap()
            .starts_with("brt_")
    );
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let viewer = app
        .gql(
            &Credential::Bearer(access),
            "{ viewer { role account { email } tenant { slug } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        viewer["data"]["viewer"],
        json!({ "role": "USER", "account": { "email": "ana@example.com" }, "tenant": { "slug": "acme" } })
    );

    // A used code never works again.
    let (status, body) = app
        .post_email_verify(&host, json!({ "email": "ana@example.com", "code": code }))
        .await;
    assert_eq!(
        (status, body["detail"].as_str()),
        (
            StatusCode::UNAUTHORIZED,
            Some(
                "the code is wrong or has expired (five wrong tries end a code: ask for a new one)"
            )
        )
    );
    assert_eq!(started["status"], "accepted");
}

async fn unknown_addresses_get_the_same_answer(backend: Backend) {
    let (app, sink) = app_with_mail(backend).await;
    let acme = app.provision("acme", "Acme").await.tenant;
    tenantry::services::tenants::set_signup(
        &app.db,
        &app.context(acme.id).await,
        false,
        &tenantry::services::audit::Actor::PLATFORM,
    )
    .await
    .unwrap();
    app.sign_in(acme.id, "known@example.com", Role::Member)
        .await;
    let host = app.host("acme", "TAXI_PASSENGER");

    let unknown = app
        .post_email_start(&host, json!({ "email": "nobody@example.com" }))
        .await;
    let known = app
        .post_email_start(&host, json!({ "email": "known@example.com" }))
        .await;
    assert_eq!(unknown, known);
    let unknown = app
        .post_reset_start(&host, json!({ "email": "nobody@example.com" }))
        .await;
    let known = app
        .post_reset_start(&host, json!({ "email": "known@example.com" }))
        .await;
    assert_eq!(unknown, known);

    // Both messages to the known address arrive; by then the unknown one would have, too.
    mail_to(&sink, "known@example.com", 2).await;
    assert!(sink.to("nobody@example.com").is_empty());
    let count = account::Entity::find().all(&app.db).await.unwrap().len();
    assert_eq!(count, 1, "sign-up is off: no account was made");

    let bad = app
        .post_email_start(&host, json!({ "email": "not an address" }))
        .await;
    assert_eq!(bad.0, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn five_wrong_codes_kill_the_challenge(backend: Backend) {
    let (app, sink) = app_with_mail(backend).await;
    app.provision("acme", "Acme").await;
    let host = app.host("acme", "TAXI_PASSENGER");
    app.post_email_start(&host, json!({ "email": "ana@example.com" }))
        .await;
    let code = secret_in(&mail_to(&sink, "ana@example.com", 1).await, "");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        let (status, _) = app
            .post_email_verify(&host, json!({ "email": "ana@example.com", "code": wrong }))
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, body) = app
        .post_email_verify(&host, json!({ "email": "ana@example.com", "code": code }))
        .await;
    assert_eq!(
        (status, body["detail"].as_str()),
        (
            StatusCode::UNAUTHORIZED,
            Some(
                "the code is wrong or has expired (five wrong tries end a code: ask for a new one)"
            )
        )
    );
}

async fn expired_code_is_refused(backend: Backend) {
    let (app, sink) = app_with_mail(backend).await;
    app.provision("acme", "Acme").await;
    let host = app.host("acme", "TAXI_PASSENGER");
    app.post_email_start(&host, json!({ "email": "ana@example.com" }))
        .await;
    let code = secret_in(&mail_to(&sink, "ana@example.com", 1).await, "");
    email_challenge::Entity::update_many()
        .col_expr(
            email_challenge::Column::ExpiresAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::seconds(1)),
        )
        .filter(email_challenge::Column::Email.eq("ana@example.com"))
        .exec(&app.db)
        .await
        .unwrap();
    let (status, _) = app
        .post_email_verify(&host, json!({ "email": "ana@example.com", "code": code }))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// Sets a password through the emailed reset token; returns the reset's answer.
async fn reset_password(
    app: &TestApp,
    sink: &SmtpSink,
    host: &str,
    email: &str,
    password: &str,
) -> (StatusCode, Value) {
    let before = requested(sink, email).len();
    app.post_reset_start(host, json!({ "email": email })).await;
    let token = secret_in(&mail_to(sink, email, before + 1).await, "bpr_");
    app.post_reset_finish(host, json!({ "token": token, "new_password": password }))
        .await
}

async fn password_reset_ends_every_session(backend: Backend) {
    let (app, sink) = app_with_mail(backend).await;
    let acme = app.provision("acme", "Acme").await.tenant;
    app.sign_in(acme.id, "ana@example.com", Role::Member).await;
    let host = app.host("acme", "TAXI_PASSENGER");

    let (status, body) = reset_password(&app, &sink, &host, "ana@example.com", "short").await;
    assert_eq!(
        (status, body["detail"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("new_password: must be at least 10 characters")
        )
    );
    let (status, _) = reset_password(
        &app,
        &sink,
        &host,
        "ana@example.com",
        "correct horse battery",
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let login = |password: &'static str| {
        app.post_password_login(
            &host,
            json!({ "email": "ana@example.com", "password": password }),
        )
    };
    let (status, body) = login("wrong horse battery").await;
    assert_eq!(
        (status, body["detail"].as_str()),
        (
            StatusCode::UNAUTHORIZED,
            Some("the email or the password is wrong")
        )
    );
    let (status, unknown) = app
        .post_password_login(
            &host,
            json!({ "email": "nobody@example.com", "password": "whatever it is" }),
        )
        .await;
    assert_eq!(
        (status, &unknown),
        (StatusCode::UNAUTHORIZED, &body),
        "unknown addresses answer alike"
    );
    let (status, first) = login("correct horse battery").await;
    assert_eq!(status, StatusCode::OK);
    let (_, second) = login("correct horse battery").await;

    // A reset ends both sessions: their access and refresh tokens stop working.
    let (status, _) = reset_password(
        &app,
        &sink,
        &host,
        "ana@example.com",
        "battery staple horse",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    for session in [&first, &second] {
        let access = Credential::Bearer(session["access_token"].as_str().unwrap().into());
        let (status, _) = app
            .graphql_with(&access, &[], "{ viewer { role } }", json!({}))
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, _) = app
            .post_refresh(&host, json!({ "refresh_token": session["refresh_token"] }))
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(login("battery staple horse").await.0, StatusCode::OK);
    // The reset token was single-use.
    let mail = requested(&sink, "ana@example.com").pop().unwrap();
    let used = secret_in(&mail, "bpr_");
    let (status, _) = app
        .post_reset_finish(
            &host,
            json!({ "token": used, "new_password": "yet another password" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

async fn refresh_rotates_and_reuse_ends_the_session(backend: Backend) {
    let (app, sink) = app_with_mail(backend).await;
    app.provision("acme", "Acme").await;
    let host = app.host("acme", "TAXI_PASSENGER");
    let first = sign_in_by_code(&app, &sink, &host, "ana@example.com").await;

    let (status, second) = app
        .post_refresh(&host, json!({ "refresh_token": first["refresh_token"] }))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    let access = Credential::Bearer(second["access_token"].as_str().unwrap().into());
    assert_eq!(
        app.graphql_with(&access, &[], "{ viewer { role } }", json!({}))
            .await
            .0,
        StatusCode::OK
    );

    // The first token again: stolen. The whole session ends, the new pair included.
    let (status, body) = app
        .post_refresh(&host, json!({ "refresh_token": first["refresh_token"] }))
        .await;
    assert_eq!(
        (status, body["detail"].as_str()),
        (
            StatusCode::UNAUTHORIZED,
            Some("refresh token was already used; the session has been ended")
        )
    );
    let (status, _) = app
        .post_refresh(&host, json!({ "refresh_token": second["refresh_token"] }))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.graphql_with(&access, &[], "{ viewer { role } }", json!({}))
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
}

async fn step_up_is_required_and_honoured(backend: Backend) {
    let (app, sink) = app_with_mail(backend).await;
    let acme = app.provision("acme", "Acme").await.tenant;
    app.sign_in(acme.id, "boss@acme.example", Role::Admin).await;
    let host = app.host("acme", "ADMIN_CONSOLE");
    reset_password(
        &app,
        &sink,
        &host,
        "boss@acme.example",
        "correct horse battery",
    )
    .await;
    let (_, session) = app
        .post_password_login(
            &host,
            json!({ "email": "boss@acme.example", "password": "correct horse battery" }),
        )
        .await;
    let access = session["access_token"].as_str().unwrap().to_owned();
    let create =
        "mutation { createApiKey(input: { kind: SECRET, name: \"ci\", role: MEMBER }) { secret } }";

    let body = app
        .gql(&Credential::Bearer(access.clone()), create, json!({}))
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN");
    assert_eq!(
        body["errors"][0]["extensions"]["reason"],
        "ELEVATION_REQUIRED"
    );

    let (status, _) = app
        .post_elevate(
            &host,
            json!({ "password": "not the password" }),
            Some(&access),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, elevated) = app
        .post_elevate(
            &host,
            json!({ "password": "correct horse battery" }),
            Some(&access),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{elevated}");
    assert!(elevated["elevation_expires_in"].as_u64().unwrap() > 0);
    let stepped_up = Credential::Bearer(elevated["access_token"].as_str().unwrap().into());
    let body = app.gql(&stepped_up, create, json!({})).await;
    assert!(body["data"]["createApiKey"]["secret"].is_string(), "{body}");

    // Also by emailed code.
    app.post_email_start(&host, json!({ "email": "boss@acme.example" }))
        .await;
    let code = secret_in(&mail_to(&sink, "boss@acme.example", 2).await, "");
    let (status, _) = app
        .post_elevate(&host, json!({ "code": code }), Some(&access))
        .await;
    assert_eq!(status, StatusCode::OK);

    let events = app
        .gql(
            &stepped_up,
            "{ auditEvents(first: 50) { edges { node { kind } } } }",
            json!({}),
        )
        .await;
    let kinds: Vec<&str> = events["data"]["auditEvents"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["kind"].as_str().unwrap())
        .collect();
    for kind in [
        "login.succeeded",
        "elevation.failed",
        "elevation.granted",
        "password.reset",
    ] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
}

async fn credentials_of_one_tenant_fail_on_another(backend: Backend) {
    let (app, sink) = app_with_mail(backend).await;
    app.provision("acme", "Acme").await;
    app.provision("beta", "Beta").await;
    let acme = app.host("acme", "TAXI_PASSENGER");
    let beta = app.host("beta", "TAXI_PASSENGER");
    let session = sign_in_by_code(&app, &sink, &acme, "ana@example.com").await;
    let access = session["access_token"].as_str().unwrap();

    let (status, body) = app.post_logout(&beta, json!({}), Some(access)).await;
    assert_eq!(
        (status, body["detail"].as_str()),
        (
            StatusCode::UNAUTHORIZED,
            Some("this token belongs to another tenant")
        )
    );
    let (status, _) = app
        .post_refresh(&beta, json!({ "refresh_token": session["refresh_token"] }))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app
        .post_elevate(&beta, json!({ "code": "123456" }), Some(access))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // The same address on beta is another person: no account there until it signs in there.
    let viewer = app
        .gql(
            &Credential::Bearer(access.into()),
            "{ viewer { tenant { slug } } }",
            json!({}),
        )
        .await;
    assert_eq!(viewer["data"]["viewer"]["tenant"]["slug"], "acme");

    let (status, _) = app.post_logout(&acme, json!({}), Some(access)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app
        .graphql_with(
            &Credential::Bearer(access.into()),
            &[],
            "{ viewer { role } }",
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

async fn sign_in_routes_are_rate_limited(backend: Backend) {
    let app = spawn_app_with(backend, |config| {
        config.limits.address_per_minute = 3;
        config.limits.ip_per_minute = 5;
    })
    .await;
    app.provision("acme", "Acme").await;
    let host = app.host("acme", "TAXI_PASSENGER");
    for _ in 0..3 {
        let (status, _) = app
            .post_email_start(&host, json!({ "email": "ana@example.com" }))
            .await;
        assert_eq!(status, StatusCode::ACCEPTED);
    }
    let response = app
        .client
        .post(app.url("/auth/email/start"))
        .header("host", &host)
        .json(&json!({ "email": "ANA@example.com" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait >= 1);
    // The refused request still counted against the IP (four so far): one more, then its limit.
    let login = |email: &'static str| {
        app.post_password_login(
            &host,
            json!({ "email": email, "password": "whatever you like" }),
        )
    };
    assert_eq!(login("bo@example.com").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        login("cy@example.com").await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
}

async fn people_see_and_end_their_sessions(backend: Backend) {
    let (app, sink) = app_with_mail(backend).await;
    app.provision("acme", "Acme").await;
    let host = app.host("acme", "TAXI_PASSENGER");
    let phone = sign_in_by_code(&app, &sink, &host, "ana@example.com").await;
    let laptop = sign_in_by_code(&app, &sink, &host, "ana@example.com").await;
    let phone_access = Credential::Bearer(phone["access_token"].as_str().unwrap().into());
    let laptop_access = Credential::Bearer(laptop["access_token"].as_str().unwrap().into());

    let listed = app
        .gql(&laptop_access, "{ sessions { id current app } }", json!({}))
        .await;
    let sessions = listed["data"]["sessions"].as_array().unwrap().clone();
    assert_eq!(sessions.len(), 2, "{listed}");
    assert_eq!(sessions[0]["current"], true, "newest first: the laptop");
    assert_eq!(sessions[0]["app"], "TAXI_PASSENGER");
    let phone_session = sessions[1]["id"].clone();

    let revoked = app
        .gql(
            &laptop_access,
            "mutation($id: ID!) { revokeSession(id: $id) }",
            json!({ "id": phone_session }),
        )
        .await;
    assert_eq!(revoked["data"]["revokeSession"], phone_session);
    assert_eq!(
        app.graphql_with(&phone_access, &[], "{ viewer { role } }", json!({}))
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    let again = app
        .gql(
            &laptop_access,
            "mutation($id: ID!) { revokeSession(id: $id) }",
            json!({ "id": uuid::Uuid::now_v7() }),
        )
        .await;
    assert_eq!(error_code(&again), "NOT_FOUND");
}

/// A session is shown by the browser and system of its sign-in and the address it came from, so
/// its owner can tell which one to end. The address is the one the trusted proxy saw, whatever
/// the client claims for itself.
async fn sessions_are_named_by_device_and_address(backend: Backend) {
    let (app, sink) = app_with_mail(backend).await;
    app.provision("acme", "Acme").await;
    let host = app.host("acme", "TAXI_PASSENGER");
    let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
    let (status, _) = app
        .post_email_start(&host, json!({ "email": "ana@example.com" }))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let code = secret_in(&mail_to(&sink, "ana@example.com", 1).await, "");
    let response = app
        .client
        .post(app.url("/auth/email/verify"))
        .header("host", &host)
        .header("user-agent", firefox)
        .header("x-forwarded-for", "203.0.113.7")
        .header("forwarded", "for=198.51.100.200")
        .json(&json!({ "email": "ana@example.com", "code": code }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let laptop: Value = response.json().await.unwrap();
    // No `User-Agent` and no proxy in between: no device, and the peer's own address.
    sign_in_by_code(&app, &sink, &host, "ana@example.com").await;

    let laptop_access = Credential::Bearer(laptop["access_token"].as_str().unwrap().into());
    let query = "{ sessions { current device ipAddress } }";
    let listed = app.gql(&laptop_access, query, json!({})).await;
    assert_eq!(
        listed["data"]["sessions"],
        json!([
            { "current": false, "device": null, "ipAddress": "127.0.0.1" },
            { "current": true, "device": "Firefox on Linux", "ipAddress": "203.0.113.7" },
        ]),
        "{listed}"
    );
}

async fn outbox_keeps_mail_without_smtp(backend: Backend) {
    let app = crate::helpers::spawn_app(backend).await;
    app.provision("acme", "Acme").await;
    let host = app.host("acme", "TAXI_PASSENGER");
    let (status, _) = app
        .post_email_start(&host, json!({ "email": "ana@example.com" }))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);

    let outbox = || async {
        let listed = crate::cli::cli(&app, &["outbox", "list"]).await;
        String::from_utf8_lossy(&listed.stdout).into_owned()
    };
    eventually("mail kept in the outbox", || async {
        outbox().await.contains("ana@example.com")
    })
    .await;
    let listing = outbox().await;
    let code = secret_in(&listing, "");
    let (status, _) = app
        .post_email_verify(&host, json!({ "email": "ana@example.com", "code": code }))
        .await;
    assert_eq!(status, StatusCode::OK);
}

async fn sign_up_is_a_tenant_setting_and_off_on_main(backend: Backend) {
    let (app, sink) = app_with_mail(backend).await;
    let acme = app.provision("acme", "Acme").await.tenant;
    let (admin, _) = app.sign_in(acme.id, "boss@acme.example", Role::Admin).await;
    let admin = Credential::Bearer(app.elevated_token_for(&admin).await);
    let host = app.host("acme", "TAXI_PASSENGER");

    let closed = app
        .gql(
            &admin,
            "mutation { updateTenantSettings(signupEnabled: false) { signupEnabled } }",
            json!({}),
        )
        .await;
    assert_eq!(
        closed["data"]["updateTenantSettings"]["signupEnabled"], false,
        "{closed}"
    );
    let read = app
        .gql(&admin, "{ tenantSettings { signupEnabled } }", json!({}))
        .await;
    assert_eq!(read["data"]["tenantSettings"]["signupEnabled"], false);
    // A known address still gets a code; an unknown one gets none, with the same answer.
    app.post_email_start(&host, json!({ "email": "stranger@example.com" }))
        .await;
    app.post_email_start(&host, json!({ "email": "boss@acme.example" }))
        .await;
    mail_to(&sink, "boss@acme.example", 1).await;
    assert!(sink.to("stranger@example.com").is_empty());

    // The platform tenant never signs anyone up.
    app.post_email_start("localhost", json!({ "email": "stranger@example.com" }))
        .await;
    app.post_email_start(&host, json!({ "email": "boss@acme.example" }))
        .await;
    mail_to(&sink, "boss@acme.example", 2).await;
    assert!(sink.to("stranger@example.com").is_empty());
    let main = tenantry::services::tenants::get(&app.db, "main")
        .await
        .unwrap();
    let (_, operator) = app
        .api_key(
            main.id,
            tenantry::entities::api_key::KeyKind::Secret,
            Some(Role::Operator),
            None,
        )
        .await;
    let body = app
        .gql(
            &Credential::Key(operator),
            "mutation { updateTenantSettings(signupEnabled: true) { signupEnabled } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
}

/// A real WebAuthn ceremony with a software authenticator, as a browser on `origin` would run it.
mod passkey_ceremonies {
    use webauthn_authenticator_rs::softpasskey::SoftPasskey;
    use webauthn_authenticator_rs::{AuthenticatorBackend, WebauthnAuthenticator};
    use webauthn_rs::prelude::{CreationChallengeResponse, RequestChallengeResponse, Url};

    use super::*;

    db_tests!(passkeys_register_and_sign_in);

    async fn passkeys_register_and_sign_in(backend: Backend) {
        let (app, sink) = app_with_mail(backend).await;
        app.provision("acme", "Acme").await;
        let host = app.host("acme", "TAXI_PASSENGER");
        let origin = Url::parse(&format!("https://{host}")).unwrap();
        let session = sign_in_by_code(&app, &sink, &host, "ana@example.com").await;
        let access = session["access_token"].as_str().unwrap().to_owned();
        let mut authenticator = SoftPasskey::new(true);
        // Adding a passkey needs a step-up: here with a second emailed code.
        app.post_email_start(&host, json!({ "email": "ana@example.com" }))
            .await;
        let code = secret_in(&mail_to(&sink, "ana@example.com", 2).await, "");
        let (status, elevated) = app
            .post_elevate(&host, json!({ "code": code }), Some(&access))
            .await;
        assert_eq!(status, StatusCode::OK, "{elevated}");
        let access = elevated["access_token"].as_str().unwrap().to_owned();

        // Registration needs a signed-in person.
        let (status, _) = app
            .post_passkey_register_start(&host, json!({}), None)
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, started) = app
            .post_passkey_register_start(&host, json!({}), Some(&access))
            .await;
        assert_eq!(status, StatusCode::OK, "{started}");
        let options: CreationChallengeResponse =
            serde_json::from_value(started["options"].clone()).unwrap();
        assert_eq!(
            options.public_key.rp.id, host,
            "the relying party is the app's system host"
        );
        let credential = authenticator
            .do_registration(origin.clone(), options)
            .expect("the authenticator registers");
        let finish = json!({ "ceremony_id": started["ceremony_id"], "credential": credential });
        // Finished on another instance than the one that started it.
        let other = app.another_instance().await;
        let response = app
            .client
            .post(format!("http://{other}/auth/passkey/register/finish"))
            .header("host", &host)
            .bearer_auth(&access)
            .json(&finish)
            .send()
            .await
            .unwrap();
        let status = response.status();
        assert_eq!(
            status,
            StatusCode::CREATED,
            "{}",
            response.text().await.unwrap()
        );
        // Each challenge is answered once.
        let (status, _) = app
            .post_passkey_register_finish(&host, finish, Some(&access))
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);

        let (status, started) = app
            .post_passkey_login_start(&host, json!({ "email": "ana@example.com" }))
            .await;
        assert_eq!(status, StatusCode::OK, "{started}");
        let options: RequestChallengeResponse =
            serde_json::from_value(started["options"].clone()).unwrap();
        let assertion = authenticator
            .do_authentication(origin.clone(), options)
            .expect("the authenticator signs");
        let (status, tokens) = app
            .post_passkey_login_finish(
                &host,
                json!({ "ceremony_id": started["ceremony_id"], "credential": assertion }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{tokens}");
        let viewer = app
            .gql(
                &Credential::Bearer(tokens["access_token"].as_str().unwrap().into()),
                "{ viewer { account { email } } }",
                json!({}),
            )
            .await;
        assert_eq!(
            viewer["data"]["viewer"]["account"]["email"],
            "ana@example.com"
        );

        // A step-up by passkey.
        let (_, started) = app
            .post_passkey_login_start(&host, json!({ "email": "ana@example.com" }))
            .await;
        let options: RequestChallengeResponse =
            serde_json::from_value(started["options"].clone()).unwrap();
        let assertion = authenticator.do_authentication(origin, options).unwrap();
        let proof = json!({ "ceremony_id": started["ceremony_id"], "credential": assertion });
        let (status, elevated) = app.post_elevate(&host, proof, Some(&access)).await;
        assert_eq!(status, StatusCode::OK, "{elevated}");

        // On the app's custom domain the relying party is still the system host: a browser that
        // read the system host's /.well-known/webauthn (related origins) signs for it from there.
        tenantry::services::domains::add_verified(
            &app.db,
            &app.config,
            &app.tenant_context("acme").await,
            "TAXI_PASSENGER",
            "rides.acme.example",
            false,
            &tenantry::services::audit::Actor::PLATFORM,
        )
        .await
        .unwrap();
        app.changed().await;
        let well_known: Value = app
            .get(
                "/.well-known/webauthn",
                &[("host", &host), ("x-forwarded-proto", "https")],
            )
            .await
            .json()
            .await
            .unwrap();
        assert!(
            well_known["origins"]
                .as_array()
                .unwrap()
                .contains(&json!("https://rides.acme.example"))
        );
        for (origin, expected) in [
            ("https://rides.acme.example", StatusCode::OK),
            ("https://evil.example", StatusCode::UNAUTHORIZED),
        ] {
            let custom = "rides.acme.example";
            let (status, started) = app
                .post_passkey_login_start(custom, json!({ "email": "ana@example.com" }))
                .await;
            assert_eq!(status, StatusCode::OK, "{started}");
            let options: RequestChallengeResponse =
                serde_json::from_value(started["options"].clone()).unwrap();
            assert_eq!(options.public_key.rp_id, host);
            let assertion = AuthenticatorBackend::perform_auth(
                &mut authenticator,
                Url::parse(origin).unwrap(),
                options.public_key,
                60_000,
            )
            .unwrap();
            let finish = json!({ "ceremony_id": started["ceremony_id"], "credential": assertion });
            let (status, body) = app.post_passkey_login_finish(custom, finish).await;
            assert_eq!(status, expected, "{origin}: {body}");
        }

        // An address without passkeys gets a challenge nobody can answer.
        let (status, _) = app
            .post_passkey_login_start(&host, json!({ "email": "nobody@example.com" }))
            .await;
        assert_eq!(status, StatusCode::OK);
        let events = tenantry::services::audit::page(&app.db, &app_tenant(&app).await, 50, None)
            .await
            .unwrap()
            .0;
        assert!(events.iter().any(|e| e.kind == "passkey.added"));
    }

    async fn app_tenant(app: &TestApp) -> tenantry::tenancy::context::TenantContext {
        app.tenant_context("acme").await
    }
}

/// `viewer.account.hasPassword`, which the console's step-up reads to offer a password only to
/// whom can use one: false for a person who signs in by code, true once a password is set.
async fn the_viewer_knows_whether_it_has_a_password(backend: Backend) {
    let (app, sink) = app_with_mail(backend).await;
    app.provision("acme", "Acme").await;
    let host = app.host("acme", "TAXI_PASSENGER");
    let tokens = sign_in_by_code(&app, &sink, &host, "ana@example.com").await;
    let ana = Credential::Bearer(tokens["access_token"].as_str().unwrap().into());
    let has = || async {
        app.gql(&ana, "{ viewer { account { hasPassword } } }", json!({}))
            .await["data"]["viewer"]["account"]["hasPassword"]
            .clone()
    };
    assert_eq!(has().await, json!(false));
    account::Entity::update_many()
        .col_expr(account::Column::PasswordHash, Expr::value("$argon2id$set"))
        .filter(account::Column::Email.eq("ana@example.com"))
        .exec(&app.db)
        .await
        .unwrap();
    assert_eq!(has().await, json!(true));
}
