//! Attacks on the promises of the README's "Security" section, one test per promise, each
//! performed over real HTTP the way an attacker would (concurrently where a race could win).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use tenantry::auth::step_up;
use tenantry::config::Config;
use tenantry::entities::account::{self, Role};
use tenantry::entities::api_key::KeyKind;
use tenantry::entities::email_challenge;
use tenantry::services::accounts;
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_authenticator_rs::softpasskey::SoftPasskey;
use webauthn_rs::prelude::{CreationChallengeResponse, Url};

use crate::cli::cli;
use crate::custom_domains::lab;
use crate::deployment::Topology;
use crate::helpers::{
    Backend, Credential, TestApp, db_tests, error_code, eventually, spawn_app_with,
};
use crate::identity::{mail_to, notice_to, requested, secret_in, sign_in_by_code};
use crate::smtp_sink::SmtpSink;

db_tests!(
    a_nul_in_any_text_is_bad_input,
    scans_of_a_tenants_leads_are_few_per_document,
    an_address_that_only_looks_like_another_is_refused,
    accounts_without_a_password_never_pass_a_password_check,
    every_password_attempt_costs_one_argon2_verification,
    password_checks_wait_their_turn_and_refuse_past_the_wait,
    sensitive_changes_need_a_recent_step_up,
    passkeys_are_named_listed_removed_and_announced,
    finishing_a_reset_spends_every_other_way_in_and_tells_the_owner,
    forty_simultaneous_wrong_codes_evaluate_at_most_five,
    every_spelling_of_an_address_shares_one_sign_in_budget,
    wrong_passwords_cannot_lock_the_owner_out_of_a_code,
    passkey_sign_in_tells_nothing_about_an_address,
    an_unrouted_custom_domain_is_a_claim_again,
    repeating_a_revocation_flushes_no_cache,
    slow_clients_are_cut_off,
    a_declared_oversized_body_is_refused_at_once,
    huge_documents_are_refused_before_validation,
    deeply_nested_values_cannot_bring_the_server_down,
    wrong_codes_tell_nothing_about_an_address,
    a_client_cannot_choose_its_address,
    an_anonymous_flood_cannot_drain_a_tenants_budget,
    anonymous_graphql_is_limited_per_client,
    made_up_credentials_spend_the_anonymous_budget,
    batches_and_big_documents_cost_what_they_weigh,
    a_self_signed_up_user_cannot_drain_the_tenants_budget,
    signing_out_is_in_the_audit_trail,
    a_link_cannot_act_and_a_cache_keeps_no_ones_answer,
);

/// What every refused email code is told.
const REFUSED_CODE: &str =
    "the code is wrong or has expired (five wrong tries end a code: ask for a new one)";

/// A server mailing through a real SMTP sink, with cheap password hashes and sign-in limits high
/// enough that the defence under test, not a limit, is what answers.
async fn mailing_app(backend: Backend, configure: impl FnOnce(&mut Config)) -> (TestApp, SmtpSink) {
    let sink = SmtpSink::start().await;
    let url = sink.url();
    let app = spawn_app_with(backend, move |config| {
        config.mail.smtp_url = Some(url);
        config.passwords.memory_kib = 64;
        config.passwords.iterations = 1;
        config.limits.ip_per_minute = 10_000;
        config.limits.address_per_minute = 10_000;
        configure(config);
    })
    .await;
    (app, sink)
}

async fn account_of(app: &TestApp, tenant_slug: &str, email: &str) -> account::Model {
    let tenant = tenantry::services::tenants::get(&app.db, tenant_slug)
        .await
        .unwrap();
    accounts::find_by_email(&app.db, &app.context(tenant.id).await, email)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{email} has an account at {tenant_slug}"))
}

/// Gives `account` a password, as a finished reset would.
async fn set_password(app: &TestApp, account: &account::Model, password: &str) {
    let hash = app.state.passwords.hash(password.into()).await.unwrap();
    let mut active: account::ActiveModel = account.clone().into();
    active.password_hash = Set(Some(hash));
    active.update(&app.db).await.unwrap();
}

async fn password_login(app: &TestApp, host: &str, email: &str, password: &str) -> StatusCode {
    let body = json!({ "email": email, "password": password });
    app.post_password_login(host, body).await.0
}

/// An elevated access token of `email`, stepped up with an emailed code through the API.
async fn stepped_up(
    app: &TestApp,
    sink: &SmtpSink,
    host: &str,
    email: &str,
    token: &str,
) -> String {
    let before = requested(sink, email).len();
    let (status, _) = app.post_email_start(host, json!({ "email": email })).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let code = secret_in(&mail_to(sink, email, before + 1).await, "");
    let (status, body) = app
        .post_elevate(host, json!({ "code": code }), Some(token))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["access_token"].as_str().unwrap().to_owned()
}

/// Registers a passkey of `authenticator` for the holder of `token` (which must be elevated).
async fn register_passkey(
    app: &TestApp,
    host: &str,
    token: &str,
    authenticator: &mut SoftPasskey,
    name: Option<&str>,
) -> Value {
    let (status, started) = app
        .post_passkey_register_start(host, json!({}), Some(token))
        .await;
    assert_eq!(status, StatusCode::OK, "{started}");
    let options: CreationChallengeResponse =
        serde_json::from_value(started["options"].clone()).unwrap();
    let origin = Url::parse(&format!("https://{host}")).unwrap();
    let credential = authenticator.do_registration(origin, options).unwrap();
    let mut finish = json!({ "ceremony_id": started["ceremony_id"], "credential": credential });
    if let Some(name) = name {
        finish["name"] = json!(name);
    }
    let (status, added) = app
        .post_passkey_register_finish(host, finish, Some(token))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    added
}

/// The `allowCredentials` of a passkey sign-in challenge for `email`.
async fn passkey_challenge(app: &TestApp, host: &str, email: &str) -> Value {
    let (status, started) = app
        .post_passkey_login_start(host, json!({ "email": email }))
        .await;
    assert_eq!(status, StatusCode::OK, "{started}");
    started["options"]["publicKey"].clone()
}

/// Promise: an account without a password never passes a password check, whatever is sent —
/// not the string the dummy hash was once made of, not an empty or blank one.
async fn accounts_without_a_password_never_pass_a_password_check(backend: Backend) {
    let (app, sink) = mailing_app(backend, |_| {}).await;
    app.provision("acme", "Acme").await;
    let rides = app.host("acme", "TAXI_PASSENGER");
    let admin_host = app.host("acme", "ADMIN_CONSOLE");
    // An operator from the CLI, an invited admin, and a person who signed up with an email code.
    let created = cli(&app, &["operator", "create", "--email", "op@example.com"]).await;
    assert!(created.status.success(), "{created:?}");
    let invited = app
        .gql(
            &app.operator().await,
            "mutation { inviteAccount(tenantSlug: \"acme\", email: \"boss@acme.example\", role: ADMIN) { id } }",
            json!({}),
        )
        .await;
    assert!(
        invited["data"]["inviteAccount"]["id"].is_string(),
        "{invited}"
    );
    sign_in_by_code(&app, &sink, &rides, "rider@example.com").await;
    let people = [
        ("main", "admin.localhost".to_owned(), "op@example.com"),
        ("acme", admin_host, "boss@acme.example"),
        ("acme", rides.clone(), "rider@example.com"),
    ];
    let guesses = [
        "no account has this password",
        "",
        "   ",
        "0123456789",
        "\u{0}",
    ];
    for (slug, host, email) in &people {
        let account = account_of(&app, slug, email).await;
        assert!(account.password_hash.is_none(), "{email} has no password");
        let token = app.token_for(&account).await;
        for guess in guesses {
            let status = password_login(&app, host, email, guess).await;
            assert!(
                status == StatusCode::UNAUTHORIZED || status == StatusCode::UNPROCESSABLE_ENTITY,
                "{email} signed in with {guess:?}: {status}"
            );
            let (status, body) = app
                .post_elevate(host, json!({ "password": guess }), Some(&token))
                .await;
            assert!(
                status == StatusCode::UNAUTHORIZED || status == StatusCode::UNPROCESSABLE_ENTITY,
                "{email} stepped up with {guess:?}: {status} {body}"
            );
        }
    }
}

/// Promise: every password attempt costs exactly one argon2 verification, on every path, so
/// neither the time nor the memory of an answer tells known addresses from unknown ones.
async fn every_password_attempt_costs_one_argon2_verification(backend: Backend) {
    let (app, _sink) = mailing_app(backend, |_| {}).await;
    let acme = app.provision("acme", "Acme").await.tenant;
    let host = app.host("acme", "TAXI_PASSENGER");
    let (with_password, token) = app.sign_in(acme.id, "ana@example.com", Role::User).await;
    set_password(&app, &with_password, "correct horse battery").await;
    app.sign_in(acme.id, "bo@example.com", Role::User).await;

    let attempts = [
        ("ana@example.com", "correct horse battery", StatusCode::OK),
        (
            "ana@example.com",
            "wrong horse battery",
            StatusCode::UNAUTHORIZED,
        ),
        (
            "bo@example.com",
            "no password at all",
            StatusCode::UNAUTHORIZED,
        ),
        (
            "nobody@example.com",
            "whatever it is",
            StatusCode::UNAUTHORIZED,
        ),
        ("not an address", "whatever it is", StatusCode::UNAUTHORIZED),
    ];
    for (email, password, expected) in attempts {
        let before = app.state.passwords.verifications();
        assert_eq!(
            password_login(&app, &host, email, password).await,
            expected,
            "{email}"
        );
        assert_eq!(
            app.state.passwords.verifications() - before,
            1,
            "{email}: one verification per attempt"
        );
    }
    for password in ["correct horse battery", "wrong horse battery"] {
        let before = app.state.passwords.verifications();
        app.post_elevate(&host, json!({ "password": password }), Some(&token))
            .await;
        assert_eq!(app.state.passwords.verifications() - before, 1, "step-up");
    }
}

/// Promise: password hashing runs a few at a time; a flood of sign-ins waits its turn and, past
/// the wait, is told to come back (`503`, `Retry-After`) instead of taking all the memory.
async fn password_checks_wait_their_turn_and_refuse_past_the_wait(backend: Backend) {
    let (app, _sink) = mailing_app(backend, |config| {
        config.passwords.memory_kib = 64 * 1024;
        config.passwords.iterations = 4;
        config.passwords.hash_concurrency = 1;
        config.passwords.hash_wait = Duration::ZERO;
    })
    .await;
    app.provision("acme", "Acme").await;
    let host = Arc::new(app.host("acme", "TAXI_PASSENGER"));
    let app = Arc::new(app);
    let barrier = Arc::new(tokio::sync::Barrier::new(8));
    let mut flood = tokio::task::JoinSet::new();
    for i in 0..8 {
        let (app, host, barrier) = (app.clone(), host.clone(), barrier.clone());
        flood.spawn(async move {
            barrier.wait().await;
            app.client
                .post(app.url("/auth/password/login"))
                .header("host", host.as_str())
                .json(&json!({ "email": format!("guess{i}@example.com"), "password": "a guess at it" }))
                .send()
                .await
                .unwrap()
        });
    }
    let (mut refused, mut checked) = (0, 0);
    while let Some(response) = flood.join_next().await {
        let response = response.unwrap();
        match response.status() {
            StatusCode::SERVICE_UNAVAILABLE => {
                assert_eq!(response.headers()["retry-after"], "1");
                let body: Value = response.json().await.unwrap();
                assert_eq!(
                    body["detail"],
                    "Too many sign-ins at once; try again in 1 seconds"
                );
                refused += 1;
            }
            StatusCode::UNAUTHORIZED => checked += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert!(refused > 0, "someone waited past the (zero) wait");
    assert!(checked > 0, "someone was checked");
    assert_eq!(
        app.state.passwords.verifications(),
        checked,
        "a refused attempt did no hashing"
    );
    // The line is empty again: the next attempt is checked.
    assert_eq!(
        password_login(&app, &host, "late@example.com", "a guess at it").await,
        StatusCode::UNAUTHORIZED
    );
}

/// The mutations of the SDL the code exports (not introspection, which can be turned off).
fn schema_mutations() -> BTreeSet<String> {
    let sdl = tenantry::graphql::sdl();
    let body = sdl
        .split("type Mutation {")
        .nth(1)
        .and_then(|rest| rest.split("\n}").next())
        .expect("a Mutation type");
    body.lines()
        .filter(|line| line.starts_with('\t') && !line.starts_with("\t\t"))
        .map(str::trim)
        .filter(|line| !line.starts_with("\"\"\"") && !line.is_empty())
        .filter_map(|line| line.split(['(', ':']).next())
        .filter(|name| name.chars().all(|c| c.is_ascii_alphanumeric()))
        .map(str::to_owned)
        .collect()
}

/// Promise: a stolen access token without a fresh proof cannot add a way in or remove a defender.
/// Every mutation is on one side of the step-up list, and every one on the list refuses a person
/// whose token carries no elevation, and works once it does.
async fn sensitive_changes_need_a_recent_step_up(backend: Backend) {
    let (app, sink) = mailing_app(backend, |_| {}).await;
    let acme = app.provision("acme", "Acme").await.tenant;
    let host = app.host("acme", "TAXI_PASSENGER");
    let main = tenantry::services::tenants::get(&app.db, "main")
        .await
        .unwrap();

    // Every mutation of the schema chose a side.
    let mutations = schema_mutations();
    assert!(
        mutations.contains("createApiKey") && mutations.len() > 10,
        "{mutations:?}"
    );
    let listed: BTreeSet<String> = step_up::MUTATIONS
        .iter()
        .chain(step_up::EXEMPT_MUTATIONS.iter().map(|(name, _)| name))
        .map(|name| name.to_string())
        .collect();
    let unlisted: Vec<_> = mutations.difference(&listed).collect();
    assert!(
        unlisted.is_empty(),
        "add these mutations to auth::step_up::MUTATIONS, or to EXEMPT_MUTATIONS with a reason: {unlisted:?}"
    );
    let stale: Vec<_> = listed.difference(&mutations).collect();
    assert!(stale.is_empty(), "listed but not in the schema: {stale:?}");

    // A stolen, plain token of an admin, and of an operator.
    let (admin, admin_token) = app.sign_in(acme.id, "boss@acme.example", Role::Admin).await;
    let (operator, operator_token) = app.sign_in(main.id, "op@example.com", Role::Operator).await;
    let some_id = uuid::Uuid::now_v7().to_string();
    let calls: Vec<(&str, bool, String)> = vec![
        ("addCustomDomain", false, "mutation { addCustomDomain(app: \"TAXI_PASSENGER\", host: \"rides.acme.example\") { id } }".into()),
        ("createApiKey", false, "mutation { createApiKey(input: { kind: SECRET, name: \"x\", role: ADMIN }) { secret } }".into()),
        ("inviteAccount", false, "mutation { inviteAccount(email: \"mole@example.com\", role: ADMIN) { id } }".into()),
        ("removeAccount", false, format!("mutation {{ removeAccount(id: \"{some_id}\") }}")),
        ("removeCustomDomain", false, format!("mutation {{ removeCustomDomain(id: \"{some_id}\") }}")),
        ("removePasskey", false, format!("mutation {{ removePasskey(id: \"{some_id}\") }}")),
        ("revokeApiKey", false, format!("mutation {{ revokeApiKey(id: \"{some_id}\") {{ id }} }}")),
        ("setAccountRole", false, format!("mutation {{ setAccountRole(id: \"{some_id}\", role: ADMIN) {{ id }} }}")),
        ("setTenantRateLimit", true, "mutation { setTenantRateLimit(slug: \"acme\", perMinute: 1000000) { slug } }".into()),
        ("setTenantStatus", true, "mutation { setTenantStatus(slug: \"acme\", status: SUSPENDED) { slug } }".into()),
        ("updateAppLinks", false, "mutation { updateAppLinks(app: \"TAXI_PASSENGER\", input: { iosAppIds: [], androidApps: [], webauthnOrigins: [\"https://evil.example\"] }) { webauthnOrigins } }".into()),
        ("updateTenantSettings", false, "mutation { updateTenantSettings(signupEnabled: true) { signupEnabled } }".into()),
    ];
    let attacked: BTreeSet<&str> = calls.iter().map(|(name, _, _)| *name).collect();
    let expected: BTreeSet<&str> = step_up::MUTATIONS.iter().copied().collect();
    assert_eq!(
        attacked, expected,
        "each mutation of the step-up list is attacked here"
    );
    for (name, as_operator, query) in &calls {
        let token = if *as_operator {
            &operator_token
        } else {
            &admin_token
        };
        let body = app
            .gql(&Credential::Bearer(token.clone()), query, json!({}))
            .await;
        assert_eq!(error_code(&body), "FORBIDDEN", "{name}: {body}");
        assert_eq!(
            body["errors"][0]["extensions"]["reason"], "ELEVATION_REQUIRED",
            "{name}: {body}"
        );
        assert!(
            body["data"].is_null() || body["data"][name].is_null(),
            "{name}: {body}"
        );
    }
    // Nothing they asked for happened.
    assert!(
        accounts::find_by_email(&app.db, &app.context(acme.id).await, "mole@example.com")
            .await
            .unwrap()
            .is_none()
    );
    let acme_now = tenantry::services::tenants::get(&app.db, "acme")
        .await
        .unwrap();
    assert_eq!(
        acme_now.status,
        tenantry::entities::tenant::TenantStatus::Active
    );

    // The same calls go through once the token carries a step-up.
    let elevated = Credential::Bearer(app.elevated_token_for(&admin).await);
    let invited = app.gql(&elevated, &calls[2].2, json!({})).await;
    assert!(
        invited["data"]["inviteAccount"]["id"].is_string(),
        "{invited}"
    );
    let elevated_operator = Credential::Bearer(app.elevated_token_for(&operator).await);
    let limited = app.gql(&elevated_operator, &calls[8].2, json!({})).await;
    assert_eq!(
        limited["data"]["setTenantRateLimit"]["slug"], "acme",
        "{limited}"
    );

    // REST: adding a passkey is on the list too.
    assert_eq!(step_up::REST_ACTIONS, ["POST /auth/passkey/register/start"]);
    let (person, plain) = app.sign_in(acme.id, "ana@example.com", Role::User).await;
    let (status, body) = app
        .post_passkey_register_start(&host, json!({}), Some(&plain))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["reason"], "ELEVATION_REQUIRED", "{body}");
    let fresh = stepped_up(&app, &sink, &host, &person.email, &plain).await;
    let (status, body) = app
        .post_passkey_register_start(&host, json!({}), Some(&fresh))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// Promise: a person sees every passkey of their account by name, removes any of them (with a
/// step-up), and hears by mail when one is added.
async fn passkeys_are_named_listed_removed_and_announced(backend: Backend) {
    let (app, sink) = mailing_app(backend, |_| {}).await;
    let acme = app.provision("acme", "Acme").await.tenant;
    let host = app.host("acme", "TAXI_PASSENGER");
    let (ana, plain) = app.sign_in(acme.id, "ana@example.com", Role::User).await;
    let elevated = stepped_up(&app, &sink, &host, &ana.email, &plain).await;
    let mut authenticator = SoftPasskey::new(true);

    let named = register_passkey(
        &app,
        &host,
        &elevated,
        &mut authenticator,
        Some("Work laptop"),
    )
    .await;
    assert_eq!(named["name"], "Work laptop");
    let notice = notice_to(
        &sink,
        "ana@example.com",
        "A passkey was added to your account",
    )
    .await;
    assert!(notice.contains("Work laptop"), "{notice}");
    let unnamed = register_passkey(&app, &host, &elevated, &mut authenticator, None).await;
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    assert_eq!(unnamed["name"], format!("Passkey {today}"));

    let me = Credential::Bearer(plain.clone());
    let listed = app
        .gql(
            &me,
            "{ passkeys { id name rpId createdAt lastUsedAt } }",
            json!({}),
        )
        .await;
    let names: Vec<&str> = listed["data"]["passkeys"]
        .as_array()
        .unwrap_or_else(|| panic!("{listed}"))
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, [format!("Passkey {today}").as_str(), "Work laptop"]);
    assert_eq!(listed["data"]["passkeys"][0]["rpId"], host.as_str());

    // Someone else's passkey is not found, even stepped up.
    let (bo, bo_plain) = app.sign_in(acme.id, "bo@example.com", Role::User).await;
    let bo_elevated = stepped_up(&app, &sink, &host, &bo.email, &bo_plain).await;
    let remove = "mutation($id: ID!) { removePasskey(id: $id) }";
    let theirs = app
        .gql(
            &Credential::Bearer(bo_elevated),
            remove,
            json!({ "id": named["id"] }),
        )
        .await;
    assert_eq!(error_code(&theirs), "NOT_FOUND", "{theirs}");
    // Removing needs a step-up; then the passkey is gone from the list and from sign-in.
    let refused = app.gql(&me, remove, json!({ "id": named["id"] })).await;
    assert_eq!(
        refused["errors"][0]["extensions"]["reason"],
        "ELEVATION_REQUIRED"
    );
    let removed = app
        .gql(
            &Credential::Bearer(elevated),
            remove,
            json!({ "id": named["id"] }),
        )
        .await;
    assert_eq!(removed["data"]["removePasskey"], named["id"], "{removed}");
    let listed = app.gql(&me, "{ passkeys { id } }", json!({})).await;
    assert_eq!(listed["data"]["passkeys"].as_array().unwrap().len(), 1);
    let challenge = passkey_challenge(&app, &host, "ana@example.com").await;
    assert_eq!(challenge["allowCredentials"].as_array().unwrap().len(), 1);
}

/// Promise: finishing a password reset spends every other reset token and pending sign-in code
/// of the account (someone else may have asked for them), and tells the owner by mail.
async fn finishing_a_reset_spends_every_other_way_in_and_tells_the_owner(backend: Backend) {
    let (app, sink) = mailing_app(backend, |_| {}).await;
    let acme = app.provision("acme", "Acme").await.tenant;
    let host = app.host("acme", "TAXI_PASSENGER");
    app.sign_in(acme.id, "ana@example.com", Role::User).await;
    let email = "ana@example.com";
    let mut tokens = Vec::new();
    for _ in 0..2 {
        let before = requested(&sink, email).len();
        app.post_reset_start(&host, json!({ "email": email })).await;
        tokens.push(secret_in(&mail_to(&sink, email, before + 1).await, "bpr_"));
    }
    let before = requested(&sink, email).len();
    app.post_email_start(&host, json!({ "email": email })).await;
    let code = secret_in(&mail_to(&sink, email, before + 1).await, "");

    let finish = |token: &str| json!({ "token": token, "new_password": "a brand new passphrase" });
    let (status, body) = app.post_reset_finish(&host, finish(&tokens[1])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let notice = notice_to(&sink, email, "Your password was changed").await;
    assert!(notice.contains("every session was signed out"), "{notice}");

    let (status, _) = app.post_reset_finish(&host, finish(&tokens[0])).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the other reset token is spent"
    );
    let (status, _) = app
        .post_email_verify(&host, json!({ "email": email, "code": code }))
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the pending code is spent"
    );
    assert_eq!(
        password_login(&app, &host, email, "a brand new passphrase").await,
        StatusCode::OK
    );
}

/// Promise: five wrong codes kill a challenge, even when forty are sent at the same moment: at
/// most five are ever compared, and the right code sent after them is refused.
async fn forty_simultaneous_wrong_codes_evaluate_at_most_five(backend: Backend) {
    let (app, sink) = mailing_app(backend, |_| {}).await;
    app.provision("acme", "Acme").await;
    let host = Arc::new(app.host("acme", "TAXI_PASSENGER"));
    let email = "ana@example.com";
    app.post_email_start(&host, json!({ "email": email })).await;
    let code = secret_in(&mail_to(&sink, email, 1).await, "");
    let wrong: u32 = (code.parse::<u32>().unwrap() + 1) % 1_000_000;

    let app = Arc::new(app);
    let barrier = Arc::new(tokio::sync::Barrier::new(40));
    let mut guesses = tokio::task::JoinSet::new();
    for i in 0..40u32 {
        let (app, host, barrier) = (app.clone(), host.clone(), barrier.clone());
        let guess = format!("{:06}", (wrong + i * 7) % 1_000_000);
        let guess = if guess == code {
            format!("{:06}", (wrong + 500_000) % 1_000_000)
        } else {
            guess
        };
        guesses.spawn(async move {
            barrier.wait().await;
            app.post_email_verify(&host, json!({ "email": email, "code": guess }))
                .await
        });
    }
    while let Some(answer) = guesses.join_next().await {
        let (status, body) = answer.unwrap();
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        // One answer for all, so the answers cannot tell an existing challenge from none.
        assert_eq!(body["detail"], REFUSED_CODE, "{body}");
    }
    let (status, body) = app
        .post_email_verify(&host, json!({ "email": email, "code": code }))
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the right code came too late: {body}"
    );
    let challenge = email_challenge::Entity::find()
        .filter(email_challenge::Column::Email.eq(email))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    // A guess is compared only after it took a try: five tries, so five comparisons at most.
    assert_eq!(challenge.attempts, 5, "forty guesses, five compared");
    assert!(challenge.consumed_at.is_none());
}

/// Promise: the per-address sign-in limit counts the address as account look-up reads it, so
/// sixteen spellings of one address meet `429` as sixteen tries of one spelling do.
async fn every_spelling_of_an_address_shares_one_sign_in_budget(backend: Backend) {
    let (app, _sink) = mailing_app(backend, |config| config.limits.address_per_minute = 5).await;
    let acme = app.provision("acme", "Acme").await.tenant;
    let host = app.host("acme", "TAXI_PASSENGER");
    let (ana, _) = app.sign_in(acme.id, "ana@example.com", Role::User).await;
    set_password(&app, &ana, "correct horse battery").await;
    let spellings = [
        "ana@example.com",
        "ANA@example.co\u{FF4D}",
        "ana@example.com.",
        "ana@ex\u{AD}ample.com",
        "ana@exa\u{AD}mple.com",
        "ana@exam\u{AD}ple.com",
        "ana@examp\u{AD}le.com",
        "ana@exampl\u{AD}e.com",
        "ana@\u{FF45}xample.com",
        "ana@e\u{FF58}ample.com",
        "ana@ex\u{FF41}mple.com",
        "ana@exa\u{FF4D}ple.com",
        "ana@exam\u{FF50}le.com",
        "ana@examp\u{FF4C}e.com",
        "ana@exampl\u{FF45}.com",
        "ana@example.\u{FF43}om",
    ];
    // Each spelling reaches the account: the right password signs in with it.
    let unique: BTreeSet<String> = spellings.iter().map(|s| s.to_lowercase()).collect();
    assert_eq!(unique.len(), 16, "sixteen different spellings");
    let mut statuses = Vec::new();
    for spelling in spellings {
        statuses.push(password_login(&app, &host, spelling, "wrong horse battery").await);
    }
    let limited = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert!(
        limited >= 10,
        "one budget of five for every spelling: {statuses:?}"
    );
    assert!(
        statuses[..5].iter().all(|s| *s == StatusCode::UNAUTHORIZED),
        "{statuses:?}"
    );
}

/// Promise: wrong passwords sent for someone's address, enough to spend its password budget,
/// do not stop its owner from asking for a code and signing in with it.
async fn wrong_passwords_cannot_lock_the_owner_out_of_a_code(backend: Backend) {
    let (app, sink) = mailing_app(backend, |config| config.limits.address_per_minute = 5).await;
    let acme = app.provision("acme", "Acme").await.tenant;
    let host = app.host("acme", "TAXI_PASSENGER");
    let (ana, _) = app.sign_in(acme.id, "ana@example.com", Role::Admin).await;
    set_password(&app, &ana, "correct horse battery").await;
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(password_login(&app, &host, "ANA@example.com", "wrong horse battery").await);
    }
    assert_eq!(
        statuses.last(),
        Some(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    let signed_in = sign_in_by_code(&app, &sink, &host, "ana@example.com").await;
    assert!(signed_in["access_token"].is_string(), "{signed_in}");
    // The password budget itself still holds.
    assert_eq!(
        password_login(&app, &host, "ana@example.com", "correct horse battery").await,
        StatusCode::TOO_MANY_REQUESTS
    );
}

/// Promise: a passkey sign-in answers an unknown address as it answers a known one: addresses
/// without passkeys get stable decoy credential ids shaped like real ones.
async fn passkey_sign_in_tells_nothing_about_an_address(backend: Backend) {
    let (app, sink) = mailing_app(backend, |_| {}).await;
    let acme = app.provision("acme", "Acme").await.tenant;
    let host = app.host("acme", "TAXI_PASSENGER");
    let (ana, plain) = app.sign_in(acme.id, "ana@example.com", Role::User).await;
    let elevated = stepped_up(&app, &sink, &host, &ana.email, &plain).await;
    let mut authenticator = SoftPasskey::new(true);
    register_passkey(&app, &host, &elevated, &mut authenticator, None).await;
    app.sign_in(acme.id, "bo@example.com", Role::User).await;

    let keys = |v: &Value| -> Vec<String> {
        let mut keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        keys
    };
    let real = passkey_challenge(&app, &host, "ana@example.com").await;
    let real_entry = real["allowCredentials"][0].clone();
    let lengths = [16, 20, 32, 64, 65, 128];
    let mut with_decoys = 0;
    let strangers: Vec<String> = (0..12)
        .map(|i| format!("stranger{i}@example.com"))
        .collect();
    for email in ["bo@example.com", "nobody@example.com"]
        .into_iter()
        .chain(strangers.iter().map(String::as_str))
    {
        let answer = passkey_challenge(&app, &host, email).await;
        assert_eq!(keys(&answer), keys(&real), "{email}: the same fields");
        assert_eq!(answer["rpId"], real["rpId"]);
        assert_eq!(answer["userVerification"], real["userVerification"]);
        let again = passkey_challenge(&app, &host, email).await;
        assert_eq!(
            answer["allowCredentials"], again["allowCredentials"],
            "{email}: stable"
        );
        assert_ne!(
            answer["challenge"], again["challenge"],
            "a fresh challenge each time"
        );
        let decoys = answer["allowCredentials"].as_array().unwrap();
        with_decoys += usize::from(!decoys.is_empty());
        for decoy in decoys {
            assert_eq!(
                keys(decoy),
                keys(&real_entry),
                "{email}: decoys shaped like real ids"
            );
            let id = base64::Engine::decode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                decoy["id"].as_str().unwrap(),
            )
            .unwrap();
            assert!(
                lengths.contains(&id.len()),
                "{email}: a real authenticator's length"
            );
        }
    }
    assert!(
        with_decoys >= 7,
        "most addresses seem to have passkeys: {with_decoys} of 14"
    );
    // A real id is no more "taken" than a decoy: another account may hold a passkey with the same
    // credential id (sign-in always names the account first), so registering one tells nothing.
    let real_row = tenantry::entities::passkey::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let bo = account_of(&app, "acme", "bo@example.com").await;
    let copy = tenantry::entities::passkey::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        account_id: Set(bo.id),
        ..real_row.into()
    };
    copy.insert(&app.db)
        .await
        .expect("the same id on another account is not a conflict");
    // A real list is the same on every host of the tenant; so is a decoy list.
    let drive = app.host("acme", "TAXI_DRIVER");
    for email in [
        "ana@example.com",
        "nobody@example.com",
        "stranger3@example.com",
    ] {
        let here = passkey_challenge(&app, &host, email).await;
        let there = passkey_challenge(&app, &drive, email).await;
        assert_eq!(
            here["allowCredentials"], there["allowCredentials"],
            "{email}"
        );
    }
    let other = passkey_challenge(&app, &host, "stranger0@example.com").await;
    let first = passkey_challenge(&app, &host, "stranger1@example.com").await;
    if !other["allowCredentials"].as_array().unwrap().is_empty() {
        assert_ne!(
            other["allowCredentials"], first["allowCredentials"],
            "per address"
        );
    }
}

/// Promise: a custom domain that stopped answering goes back to being a claim: it stops routing,
/// needs a new TXT proof to route again, and meanwhile another tenant may prove and take it.
async fn an_unrouted_custom_domain_is_a_claim_again(backend: Backend) {
    let lab = lab(backend, |config| config.domains.recheck_failures = 2).await;
    let host = "rides.acme.example";
    lab.point(host);
    let claim = lab.add(host, false).await;
    let old_token = claim["ownershipToken"].as_str().unwrap().to_owned();
    lab.publish(host, &old_token);
    let (domain, _) = lab.verify(&claim["id"]).await;
    assert_eq!(domain["verified"], true, "{domain}");

    lab.unpoint(host);
    for _ in 0..2 {
        lab.recheck().await;
    }
    eventually("unrouted", || async {
        lab.app.get_branding(host).await.status() == StatusCode::NOT_FOUND
    })
    .await;
    let listed = lab
        .app
        .gql(
            &lab.admin,
            "{ domains { id host verified ownershipToken expiresAt } }",
            json!({}),
        )
        .await;
    let lapsed = listed["data"]["domains"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["host"] == host)
        .unwrap_or_else(|| panic!("{listed}"))
        .clone();
    assert_eq!(lapsed["id"], claim["id"], "the same id");
    assert_eq!(lapsed["verified"], false);
    let new_token = lapsed["ownershipToken"]
        .as_str()
        .expect("a claim again")
        .to_owned();
    assert_ne!(new_token, old_token, "a new ownership token");
    assert!(lapsed["expiresAt"].is_string());

    // The name answers again, but the old proof is not enough.
    lab.point(host);
    let (domain, _) = lab.verify(&claim["id"]).await;
    assert_eq!(
        domain["verified"], false,
        "the old TXT no longer proves it: {domain}"
    );
    assert_eq!(
        lab.app.get_branding(host).await.status(),
        StatusCode::NOT_FOUND
    );

    // Meanwhile another tenant claims the host, proves it, and takes it.
    let beta = lab.app.provision("beta", "Beta").await.tenant;
    let (beta_admin, _) = lab
        .app
        .sign_in(beta.id, "boss@beta.example", Role::Admin)
        .await;
    let beta_admin = Credential::Bearer(lab.app.elevated_token_for(&beta_admin).await);
    let theirs = lab
        .app
        .gql(
            &beta_admin,
            "mutation { addCustomDomain(app: \"TAXI_PASSENGER\", host: \"rides.acme.example\") { id ownershipToken } }",
            json!({}),
        )
        .await;
    let theirs = theirs["data"]["addCustomDomain"].clone();
    assert!(
        theirs["id"].is_string(),
        "another tenant may claim a lapsed host: {theirs}"
    );
    lab.publish(host, theirs["ownershipToken"].as_str().unwrap());
    let verified = lab
        .app
        .gql(
            &beta_admin,
            "mutation($id: ID!) { verifyCustomDomain(id: $id) { verified } }",
            json!({ "id": theirs["id"] }),
        )
        .await;
    assert_eq!(
        verified["data"]["verifyCustomDomain"]["verified"], true,
        "{verified}"
    );
    let branding: Value = lab.app.get_branding(host).await.json().await.unwrap();
    assert_eq!(branding["tenant_slug"], "beta");
    let listed = lab
        .app
        .gql(&lab.admin, "{ domains { host } }", json!({}))
        .await;
    assert!(
        !listed.to_string().contains(host),
        "acme's lapsed claim went: {listed}"
    );
}

/// `tenantry_db_statements_total{kind="read"}` of a server started with a metrics address.
async fn database_reads(app: &TestApp) -> u64 {
    let text = app.metrics().await;
    text.lines()
        .find_map(|line| line.strip_prefix("tenantry_db_statements_total{kind=\"read\"} "))
        .map_or(0, |n| n.trim().parse().unwrap())
}

/// Host resolutions answered from memory (ruled out by the known-host filter, or found in the
/// hosts cache) and those that had to read the database.
async fn host_lookups(app: &TestApp) -> (u64, u64) {
    let text = app.metrics().await;
    let count = |series: &str| -> u64 {
        text.lines()
            .find_map(|line| line.strip_prefix(series))
            .map_or(0, |n| n.trim().parse().unwrap())
    };
    let lookups = "tenantry_cache_lookups_total";
    let ruled_out = count(&format!(
        "{lookups}{{cache=\"known_hosts\",result=\"hit\"}} "
    ));
    let cached = count(&format!("{lookups}{{cache=\"hosts\",result=\"hit\"}} "));
    let read = count(&format!("{lookups}{{cache=\"hosts\",result=\"miss\"}} "));
    (ruled_out + cached, read)
}

/// How many cache events have been recorded.
async fn cache_events(app: &TestApp) -> u64 {
    use sea_orm::PaginatorTrait;
    tenantry::entities::cache_event::Entity::find()
        .count(&app.db)
        .await
        .unwrap()
}

/// Promise: a write that changes nothing announces nothing. Revoking an ended session three
/// hundred times (aliased, batched) records no cache event and flushes no cache: unknown hosts
/// asked for before are still answered from memory afterwards, with no database read.
async fn repeating_a_revocation_flushes_no_cache(backend: Backend) {
    let app = spawn_app_with(backend, |config| {
        config.http.metrics_bind = Some("127.0.0.1:0".parse().unwrap());
        // Only the writes under test may move anything; no poll of the events meanwhile.
        config.tenancy.cache_poll_interval = Duration::from_secs(3600);
    })
    .await;
    let acme = app.provision("acme", "Acme").await.tenant;
    let (ana, token) = app.sign_in(acme.id, "ana@example.com", Role::User).await;
    let other = app.token_for(&ana).await;
    let me = Credential::Bearer(token);
    let sessions = app.gql(&me, "{ sessions { id current } }", json!({})).await;
    let ended = sessions["data"]["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == false)
        .unwrap()["id"]
        .clone();
    let revoke = "mutation($id: ID!) { revokeSession(id: $id) }";
    let first = app.gql(&me, revoke, json!({ "id": ended })).await;
    assert_eq!(first["data"]["revokeSession"], ended, "{first}");
    let (status, _) = app
        .graphql_with(
            &Credential::Bearer(other),
            &[],
            "{ viewer { role } }",
            json!({}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the first revocation took effect"
    );
    let unknown = |i: usize| format!("nobody-{i}.localhost");
    eventually("the unknown-host filter is rebuilt", || async {
        let before = database_reads(&app).await;
        app.get_branding(&unknown(0)).await;
        database_reads(&app).await == before
    })
    .await;

    // Each unknown host once: ruled out by the filter, or (one in a few hundred slips through its
    // fingerprints) read once and kept in the hosts cache. From here on, only a flush would read.
    for i in 1..=20 {
        app.get_branding(&unknown(i)).await;
    }
    // And a host that routes: cached in the resolver, where a flush would drop it.
    let rides = app.host("acme", "TAXI_PASSENGER");
    assert_eq!(app.get_branding(&rides).await.status(), StatusCode::OK);

    let events = cache_events(&app).await;
    let aliases: String = (0..10)
        .map(|i| format!("a{i}: revokeSession(id: $id) "))
        .collect();
    let again = format!("mutation($id: ID!) {{ {aliases}}}");
    for _ in 0..30 {
        let body = app.gql(&me, &again, json!({ "id": ended })).await;
        assert!(body["errors"].is_null(), "{body}");
    }
    assert_eq!(
        cache_events(&app).await,
        events,
        "nothing changed, nothing announced"
    );
    // Counted on the resolver's caches rather than on all reads: the cache-event follower may
    // read its table at any moment, and that is no flush.
    let before = host_lookups(&app).await;
    for i in 1..=20 {
        assert_eq!(
            app.get_branding(&unknown(i)).await.status(),
            StatusCode::NOT_FOUND
        );
    }
    assert_eq!(app.get_branding(&rides).await.status(), StatusCode::OK);
    let after = host_lookups(&app).await;
    assert_eq!(
        (after.0 - before.0, after.1 - before.1),
        (21, 0),
        "unknown hosts are still answered from memory: (from memory, read from the database)"
    );
    let events = tenantry::services::audit::page(&app.db, &app.context(acme.id).await, 500, None)
        .await
        .unwrap()
        .0;
    let revoked = events
        .iter()
        .filter(|e| e.kind == "session.revoked")
        .count();
    assert_eq!(revoked, 1, "one revocation, one audit row");
}

/// Promise: a body over the limit is refused with `413`. One that only declares its size (a
/// `Content-Length` past the limit, then a byte) is refused at once, not held until the deadline.
async fn a_declared_oversized_body_is_refused_at_once(backend: Backend) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app_with(backend, |_| {}).await;
    app.provision("acme", "Acme").await;
    let host = app.host("acme", "TAXI_PASSENGER");
    // Far below the deadline (30 s), far above any honest answer.
    let ceiling = Duration::from_secs(10);
    for (path, declared) in [
        ("/graphql", 2_000_000),
        ("/api/contact", 100_000),
        ("/auth/email/start", 100_000),
    ] {
        let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
             Content-Length: {declared}\r\n\r\n{{"
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        let mut answer = vec![0u8; 4096];
        let read = tokio::time::timeout(ceiling, stream.read(&mut answer)).await;
        let Ok(Ok(n)) = read else {
            panic!("{path}: no answer within {ceiling:?} to a body declared at {declared} bytes");
        };
        let text = String::from_utf8_lossy(&answer[..n]);
        assert!(
            text.starts_with("HTTP/1.1 413"),
            "{path}: a body declared at {declared} bytes answered {text}"
        );
    }
}

/// Promise: a client cannot hold a connection by trickling its header lines, nor keep an idle
/// one forever: the connection is closed once `header_read_timeout` has passed.
async fn slow_clients_are_cut_off(backend: Backend) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app_with(backend, |config| {
        config.http.header_read_timeout = Duration::from_secs(1);
    })
    .await;
    let ceiling = Duration::from_secs(20);

    // Header lines, one every 200 ms, never finished.
    let mut trickle = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    trickle
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let mut closed = false;
    while started.elapsed() < ceiling {
        tokio::time::sleep(Duration::from_millis(200)).await;
        if trickle.write_all(b"X-Slow: yes\r\n").await.is_err() {
            closed = true;
            break;
        }
        let mut buf = [0u8; 512];
        match tokio::time::timeout(Duration::from_millis(1), trickle.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => {
                closed = true;
                break;
            }
            Ok(Ok(_)) => {
                // An error answer (408) is fine too, as long as the connection then closes.
            }
            Err(_) => {}
        }
    }
    assert!(
        closed,
        "the trickling connection was still open after {ceiling:?}"
    );

    // A connection that says nothing at all is closed too.
    let mut silent = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let mut buf = [0u8; 64];
    let closed = tokio::time::timeout(ceiling, silent.read(&mut buf)).await;
    assert!(
        matches!(closed, Ok(Ok(0)) | Ok(Err(_))),
        "the silent connection was still open after {ceiling:?}"
    );

    // A finished request is answered; then the idle connection is closed.
    let mut idle = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut answer = vec![0u8; 4096];
    let n = idle.read(&mut answer).await.unwrap();
    assert!(String::from_utf8_lossy(&answer[..n]).starts_with("HTTP/1.1 200"));
    let rest = tokio::time::timeout(ceiling, async {
        loop {
            match idle.read(&mut answer).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(
        rest.is_ok(),
        "the idle connection was still open after {ceiling:?}"
    );
}

/// Promise: no document brings the server down. A few kilobytes of nested list or object values
/// (in an argument, a variable's default, a directive) once overflowed a worker's stack in the
/// parser and ended the process for every tenant; they are refused from the text, anonymous or
/// not, and the server keeps answering.
async fn deeply_nested_values_cannot_bring_the_server_down(backend: Backend) {
    let app = crate::helpers::spawn_app(backend).await;
    let deep = |open: &str, close: &str| (open.repeat(1_500), close.repeat(1_500));
    let (lists, unlists) = deep("[", "]");
    let (objects, unobjects) = deep("{a:", "}");
    let documents = [
        format!("{{a(x:{lists}{unlists})}}"),
        format!("{{a(x:{objects}1{unobjects})}}"),
        format!("query($v:[Int]={lists}{unlists}) {{ apiVersion }}"),
        format!("{{ apiVersion @include(if:{lists}{unlists}) }}"),
        format!("{}{}", "{ viewer ".repeat(1_500), "}".repeat(1_500)),
    ];
    for document in &documents {
        let (status, body) = app
            .graphql_with(&Credential::None, &[], document, json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(error_code(&body), "GRAPHQL_VALIDATION_FAILED", "{body}");
        assert_eq!(
            body["errors"][0]["message"], "a document may nest brackets at most 64 deep",
            "{body}"
        );
    }
    // Nesting as real queries use it still runs.
    let body = app
        .gql(
            &Credential::None,
            "query($slug: String = \"nobody\") { found: tenantDiscovery(slug: $slug) { slug branding { displayName } } apiVersion }",
            json!({}),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    assert!(body["data"]["apiVersion"].is_string(), "{body}");
    let health = app.get("/healthz", &[]).await;
    assert_eq!(health.status(), StatusCode::OK);
}

/// Promise: an anonymous caller cannot make the server spend seconds of CPU on one document:
/// documents past the node or byte limit are refused before they are validated.
async fn huge_documents_are_refused_before_validation(backend: Backend) {
    let app = crate::helpers::spawn_app(backend).await;
    let documents = [
        format!("{{ apiVersion {} }}", "@skip(if: false) ".repeat(3_000)),
        format!("{{ {} }}", "__typename ".repeat(3_000)),
        format!(
            "query Q({}) {{ apiVersion }}",
            (0..2_100)
                .map(|i| format!("$v{i}: Int "))
                .collect::<String>()
        ),
        format!(
            "{{ apiVersion }} {}",
            (0..2_100)
                .map(|i| format!("fragment F{i} on Query {{ apiVersion }} "))
                .collect::<String>()
        ),
        format!("{{ apiVersion }} # {}", "x".repeat(70_000)),
        // Small as written, astronomical as walked: each level spreads the next one twice.
        (0..30).fold("query { ...F0 }".to_owned(), |doc, level| {
            format!(
                "{doc} fragment F{level} on Query {{ ...F{} ...F{} }}",
                level + 1,
                level + 1
            )
        }) + " fragment F30 on Query { apiVersion }",
    ];
    for document in &documents {
        let (status, body) = app
            .graphql_with(&Credential::None, &[], document, json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(error_code(&body), "GRAPHQL_VALIDATION_FAILED", "{body}");
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(message.starts_with("a document may "), "{message}");
        // Validation never ran: it would have answered one error per repeated directive.
        assert!(
            body.to_string().len() < 1_000,
            "one short error, not one per node"
        );
    }
}

/// Promise: wrong email codes tell nothing about an address. Where sign-up is closed, an address
/// with an account has a challenge to exhaust and one without has none; both get the same answer
/// to every guess, the sixth included.
async fn wrong_codes_tell_nothing_about_an_address(backend: Backend) {
    let (app, sink) = mailing_app(backend, |_| {}).await;
    let main = tenantry::services::tenants::get(&app.db, "main")
        .await
        .unwrap();
    app.sign_in(main.id, "op@example.com", Role::Operator).await;
    let host = "admin.localhost";
    let mut answers = Vec::new();
    for email in ["op@example.com", "nobody@example.com"] {
        let (status, _) = app.post_email_start(host, json!({ "email": email })).await;
        assert_eq!(status, StatusCode::ACCEPTED);
        let mut seen = Vec::new();
        for _ in 0..7 {
            let guess = json!({ "email": email, "code": "000000" });
            let (status, body) = app.post_email_verify(host, guess).await;
            seen.push((status, body["detail"].clone()));
        }
        answers.push(seen);
    }
    assert_eq!(
        answers[0], answers[1],
        "known and unknown addresses answered alike"
    );
    assert!(!mail_to(&sink, "op@example.com", 1).await.is_empty());
    assert!(
        sink.to("nobody@example.com").is_empty(),
        "no mail to an unknown address"
    );
    // The platform's own console host signs operators in with passkeys too (no 500 there).
    let (status, body) = app
        .post_passkey_login_start(host, json!({ "email": "op@example.com" }))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["options"]["publicKey"]["rpId"], host);
}

/// Promise: a client cannot choose the address its limits and audit trail are kept under. Behind
/// the documented edge, only the configured header (`X-Forwarded-For`, which the edge overwrites)
/// names the client; a `Forwarded` or `X-Real-IP` header the client adds changes nothing.
async fn a_client_cannot_choose_its_address(backend: Backend) {
    let (app, _sink) = mailing_app(backend, |config| config.limits.ip_per_minute = 3).await;
    let acme = app.provision("acme", "Acme").await.tenant;
    let host = app.host("acme", "TAXI_PASSENGER");
    let edge_saw = "203.0.113.7";
    let send = |path: &'static str, body: Value, chosen: String| {
        let request = app
            .client
            .post(app.url(path))
            .header("host", &host)
            .header("x-forwarded-for", edge_saw)
            .header("forwarded", format!("for={chosen}"))
            .header("x-real-ip", chosen)
            .json(&body);
        async move { request.send().await.unwrap().status() }
    };
    let login = json!({ "email": "ana@example.com", "password": "a wrong guess" });
    let status = send("/auth/password/login", login, "198.51.100.200".into()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let mut statuses = Vec::new();
    for i in 0..5 {
        let body = json!({ "email": format!("user{i}@example.com") });
        statuses.push(send("/auth/email/start", body, format!("198.51.100.{i}")).await);
    }
    let limited = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(
        limited, 3,
        "one budget of three for one client: {statuses:?}"
    );
    let events = tenantry::services::audit::page(&app.db, &app.context(acme.id).await, 10, None)
        .await
        .unwrap()
        .0;
    let failed = events.iter().find(|e| e.kind == "login.failed").unwrap();
    assert_eq!(
        failed.ip.as_deref(),
        Some(edge_saw),
        "the audit trail names the real client"
    );
}

/// The same promise at the README's edge (`deploy/nginx.conf` in front of two instances sharing
/// Redis): forty contact-form posts released together, each claiming another address in every
/// forwarding header, share the one budget of the address nginx saw across both instances, and
/// the audit trail names that address.
#[tokio::test]
async fn behind_the_readmes_nginx_a_client_cannot_choose_its_address() {
    let Some(topology) = Topology::start().await else {
        return;
    };
    let forged = |i: usize, request: reqwest::RequestBuilder| {
        request
            .header("x-forwarded-for", format!("203.0.113.{i}"))
            .header("forwarded", format!("for=198.51.100.{i}"))
            .header("x-real-ip", format!("192.0.2.{i}"))
    };
    let login = forged(
        250,
        topology
            .client
            .post(topology.url("acme-rides", "/auth/password/login")),
    )
    .json(&json!({ "email": "ana@example.com", "password": "a wrong guess" }))
    .send()
    .await
    .unwrap();
    assert_eq!(login.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        topology.audited_ips("login.failed").await,
        [topology.client_ip.to_string()],
        "the audit trail names the address nginx saw"
    );

    let gate = Arc::new(tokio::sync::Barrier::new(40));
    let posts = (0..40).map(|i| {
        let request = forged(
            i,
            topology
                .client
                .post(topology.url("acme-drive", "/api/contact")),
        )
        .json(&json!({ "email": format!("flood{i}@example.com") }));
        let gate = gate.clone();
        tokio::spawn(async move {
            gate.wait().await;
            request.send().await.unwrap().status()
        })
    });
    let mut statuses = Vec::new();
    for post in posts.collect::<Vec<_>>() {
        statuses.push(post.await.unwrap());
    }
    let created = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    let limited = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(created + limited, 40, "{statuses:?}");
    // limits.ip_per_minute (30) for the one client, less the sign-in it already spent.
    assert_eq!(created, 29, "one budget for one client: {statuses:?}");
}

/// Promise: every bad input gets a clear error and changes nothing. A NUL character in a GraphQL
/// string (a variable, or an escape in the document) made PostgreSQL fail the query, anonymously
/// through `tenantDiscovery`, and made SQLite cut the text at it (a search for "\\u0000" found
/// every lead): it is `BAD_USER_INPUT` before anything runs.
async fn a_nul_in_any_text_is_bad_input(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    let acme = app.provision("acme", "Acme").await.tenant;
    let (_, member) = app
        .api_key(acme.id, KeyKind::Secret, Some(Role::Member), None)
        .await;
    let member = Credential::Key(member);
    let discovery = "query($s: String!) { tenantDiscovery(slug: $s) { apps } }";
    let cases = [
        (
            Credential::None,
            discovery.to_owned(),
            json!({ "s": "acme\u{0}" }),
        ),
        (
            Credential::None,
            r#"{ tenantDiscovery(slug: "acme\u0000") { apps } }"#.to_owned(),
            json!({}),
        ),
        (
            Credential::None,
            r#"{ tenantDiscovery(slug: "acme\u{0}") { apps } }"#.to_owned(),
            json!({}),
        ),
        (
            member.clone(),
            "query($f: LeadsFilter) { leads(first: 5, filter: $f) { nodes { id } } }".to_owned(),
            json!({ "f": { "search": "a\u{0}" } }),
        ),
        (
            member.clone(),
            "mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret } }".to_owned(),
            json!({ "i": { "name": "k\u{0}", "kind": "SECRET", "role": "MEMBER" } }),
        ),
    ];
    for (credential, query, variables) in cases {
        let (status, body) = app.graphql_with(&credential, &[], &query, variables).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{query}: {body}");
        assert!(body.get("data").is_none_or(Value::is_null), "{body}");
    }
    // Over GET too, and an escape of anything else is still text.
    let url = format!(
        "{}?query={}",
        app.url("/graphql"),
        "%7B%20tenantDiscovery(slug%3A%20%22acme%5Cu0000%22)%20%7B%20apps%20%7D%20%7D"
    );
    let body: Value = app
        .client
        .get(url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    let fine = app
        .gql(
            &Credential::None,
            r#"{ tenantDiscovery(slug: "\u0061cme") { apps } }"#,
            json!({}),
        )
        .await;
    assert!(fine["errors"].is_null(), "{fine}");
}

/// Promise: nothing a client sends grows what the server keeps. Made-up HTTP methods, each
/// answered 405 or 404, once each became a label of the request metrics, so a few anonymous
/// requests put megabytes into every scrape: a method outside the standard ones is `OTHER`.
#[tokio::test]
async fn made_up_methods_cannot_grow_the_metrics() {
    let app = spawn_app_with(Backend::Sqlite, |config| {
        config.http.metrics_bind = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    app.provision("acme", "Acme").await;
    let host = app.host("acme", "TAXI_PASSENGER");
    let before = app.metrics().await.len();
    for i in 0..50 {
        let method = format!("M{i:04}{}", "X".repeat(2000));
        let (status, _) = app
            .raw(&format!(
                "{method} /api/branding HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
            ))
            .await;
        assert!(status >= 400, "{status}");
    }
    let metrics = app.metrics().await;
    assert!(
        !metrics.contains("M0001XX"),
        "a client's method became a label"
    );
    assert!(
        metrics.contains(r#"method="OTHER""#),
        "made-up methods are counted as OTHER"
    );
    assert!(
        metrics.len() < before + 20_000,
        "the metrics grew from {before} to {} bytes",
        metrics.len()
    );
}

/// Promise: anonymous traffic on a tenant's hosts cannot lock the tenant out of its own API: it
/// is limited per client IP and never spends the tenant's budget, which only authenticated
/// `/graphql` traffic spends. `/.well-known/*` stays open to the few fetchers that read it.
async fn an_anonymous_flood_cannot_drain_a_tenants_budget(backend: Backend) {
    let app = spawn_app_with(backend, |config| {
        config.limits.tenant_per_minute = 5;
        config.limits.public_ip_per_minute = 3;
    })
    .await;
    let acme = app.provision("acme", "Acme").await.tenant;
    let host = app.host("acme", "TAXI_PASSENGER");
    let (_, key) = app
        .api_key(
            acme.id,
            tenantry::entities::api_key::KeyKind::Secret,
            Some(Role::Admin),
            None,
        )
        .await;
    let get = |ip: String, path: &'static str| {
        let request = app
            .client
            .get(app.url(path))
            .header("host", &host)
            .header("x-forwarded-for", ip);
        async move { request.send().await.unwrap().status() }
    };
    // Twenty visitors, three pages each: every one answered, none of it the tenant's.
    for visitor in 0..20 {
        for _ in 0..3 {
            let status = get(format!("198.51.100.{visitor}"), "/api/branding").await;
            assert_eq!(status, StatusCode::OK);
        }
    }
    let viewer = app
        .gql(
            &Credential::Key(key.clone()),
            "{ viewer { role } }",
            json!({}),
        )
        .await;
    assert_eq!(viewer["data"]["viewer"]["role"], "ADMIN", "{viewer}");
    // One visitor past its own budget is refused; the well-known files are not behind it.
    let visitor = || "203.0.113.5".to_owned();
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(get(visitor(), "/api/branding").await);
    }
    assert_eq!(statuses[3], StatusCode::TOO_MANY_REQUESTS, "{statuses:?}");
    // The console's page and files, on the admin host, share the same per-client budget.
    let console = app.host("acme", "ADMIN_CONSOLE");
    for path in ["/", "/console/main.js"] {
        let status = app
            .client
            .get(app.url(path))
            .header("host", &console)
            .header("x-forwarded-for", visitor())
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{path}");
    }
    for _ in 0..10 {
        let status = get(visitor(), "/.well-known/assetlinks.json").await;
        assert_eq!(status, StatusCode::OK);
    }
    // The key still answers, and its own tenant budget is what limits it.
    let mut answers = Vec::new();
    for _ in 0..6 {
        let (status, _) = app
            .graphql_with(
                &Credential::Key(key.clone()),
                &[],
                "{ viewer { role } }",
                json!({}),
            )
            .await;
        answers.push(status);
    }
    assert!(
        answers.contains(&StatusCode::TOO_MANY_REQUESTS),
        "{answers:?}"
    );
}

/// Promise: a credential that is refused counts against its client's anonymous budget, and a key
/// the server has not seen lately is looked up only within that budget: a key's checksum is
/// public, so anyone can make well-formed keys, and each unknown one costs a database read.
async fn made_up_credentials_spend_the_anonymous_budget(backend: Backend) {
    let app = spawn_app_with(backend, |config| {
        config.limits.anonymous_graphql_per_minute = 5;
        config.http.metrics_bind = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    let acme = app.provision("acme", "Acme").await.tenant;
    let (_, secret) = app
        .api_key(acme.id, KeyKind::Secret, Some(Role::Admin), None)
        .await;
    let reads = |metrics: &str| {
        metrics
            .lines()
            .find(|l| l.starts_with("tenantry_db_statements_total{kind=\"read\"}"))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|n| n.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    let ask = |credential: Credential, ip: &'static str| {
        let app = &app;
        async move {
            app.graphql_with(
                &credential,
                &[("x-forwarded-for", ip)],
                "{ apiVersion }",
                json!({}),
            )
            .await
            .0
        }
    };
    let before = reads(&app.metrics().await);
    let mut answers = Vec::new();
    for _ in 0..20 {
        let made_up = tenantry::auth::api_key_format::generate(KeyKind::Secret);
        answers.push(ask(Credential::Key(made_up), "198.51.100.20").await);
    }
    let unauthorized = answers
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let limited = answers
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert!(unauthorized <= 5 && limited >= 15, "{answers:?}");
    let looked_up = reads(&app.metrics().await) - before;
    assert!(
        looked_up <= 8.0,
        "{looked_up} reads for twenty made-up keys"
    );

    // Forged tokens are refused within the same kind of budget, another client's.
    let mut answers = Vec::new();
    for i in 0..12 {
        let forged = Credential::Bearer(format!("eyJhbGciOiJFZERTQSJ9.e30.{i}"));
        answers.push(ask(forged, "198.51.100.21").await);
    }
    assert_eq!(
        answers.last(),
        Some(&StatusCode::TOO_MANY_REQUESTS),
        "{answers:?}"
    );

    // A real key, known to the server, is still served from a spent address.
    assert_eq!(
        ask(Credential::Key(secret.clone()), "198.51.100.22").await,
        StatusCode::OK
    );
    for _ in 0..6 {
        ask(Credential::None, "198.51.100.22").await;
    }
    assert_eq!(
        ask(Credential::Key(secret), "198.51.100.22").await,
        StatusCode::OK
    );
}

/// Promise: anonymous and public-key `/graphql` is limited per client IP (an IPv6 client per
/// /64), and each aliased discovery field counts as one request.
async fn anonymous_graphql_is_limited_per_client(backend: Backend) {
    let app = spawn_app_with(backend, |config| {
        config.limits.anonymous_graphql_per_minute = 5
    })
    .await;
    let acme = app.provision("acme", "Acme").await.tenant;
    let (_, public) = app
        .api_key(
            acme.id,
            tenantry::entities::api_key::KeyKind::Public,
            None,
            None,
        )
        .await;
    let ask = |credential: Credential, ip: &'static str, query: String| {
        let app = &app;
        async move {
            app.graphql_with(&credential, &[("x-forwarded-for", ip)], &query, json!({}))
                .await
        }
    };
    let aliases: String = (0..8)
        .map(|i| format!("d{i}: subdomainAvailable(slug: \"free{i}\") {{ available }} "))
        .collect();
    let (status, body) = ask(Credential::None, "192.0.2.10", format!("{{ {aliases}}}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let limited = body["errors"].as_array().map_or(0, |errors| {
        errors
            .iter()
            .filter(|e| e["extensions"]["code"] == "RATE_LIMITED")
            .count()
    });
    assert!(limited >= 3, "eight fields from a budget of five: {body}");
    let (status, _) = ask(Credential::None, "192.0.2.10", "{ apiVersion }".into()).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let (status, _) = ask(
        Credential::Key(public),
        "192.0.2.10",
        "{ apiVersion }".into(),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "a public key is anyone's"
    );
    let (status, _) = ask(Credential::None, "192.0.2.11", "{ apiVersion }".into()).await;
    assert_eq!(status, StatusCode::OK, "another client has its own budget");

    // An IPv6 client cannot step around its budget inside its /64.
    for _ in 0..5 {
        ask(Credential::None, "2001:db8:1:2::1", "{ apiVersion }".into()).await;
    }
    let (status, _) = ask(
        Credential::None,
        "2001:db8:1:2::99",
        "{ apiVersion }".into(),
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let (status, _) = ask(Credential::None, "2001:db8:1:3::1", "{ apiVersion }".into()).await;
    assert_eq!(status, StatusCode::OK);
}

/// Promise: anyone may sign themselves up as a USER, so a USER's traffic has a budget of its own
/// and never spends the tenant's: one account cannot lock the tenant's keys out.
async fn a_self_signed_up_user_cannot_drain_the_tenants_budget(backend: Backend) {
    let app = spawn_app_with(backend, |config| {
        config.limits.tenant_per_minute = 5;
        config.limits.user_per_minute = 3;
    })
    .await;
    let acme = app.provision("acme", "Acme").await.tenant;
    let (_, user) = app.sign_in(acme.id, "anyone@example.net", Role::User).await;
    let (_, key) = app
        .api_key(
            acme.id,
            tenantry::entities::api_key::KeyKind::Secret,
            Some(Role::Admin),
            None,
        )
        .await;
    let mut statuses = Vec::new();
    for _ in 0..10 {
        let (status, _) = app
            .graphql_with(
                &Credential::Bearer(user.clone()),
                &[],
                "{ apiVersion }",
                json!({}),
            )
            .await;
        statuses.push(status);
    }
    let limited = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(
        limited, 7,
        "the account's own budget of three: {statuses:?}"
    );
    let (status, body) = app
        .graphql_with(&Credential::Key(key), &[], "{ viewer { role } }", json!({}))
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the tenant's budget is untouched: {body}"
    );
}

/// Promise (no visitor can lock a tenant out): a batch costs a client's per-IP budget one request
/// per operation, and a document one more per 2 KiB, so neither batching nor documents near the
/// size limits buy a client more work than as many small requests would. Before, a batch of ten
/// 10 KB documents cost one request and kept both cores busy for over half a second.
async fn batches_and_big_documents_cost_what_they_weigh(backend: Backend) {
    // Counted in memory, and in the shared Redis where the test environment has one.
    let redis = crate::helpers::shared_redis();
    for redis_url in [None, redis] {
        let app = spawn_app_with(backend.clone(), |config| {
            config.limits.anonymous_graphql_per_minute = 30;
            config.limits.redis_url = redis_url;
        })
        .await;
        weigh_batches_and_documents(&app).await;
    }
}

async fn weigh_batches_and_documents(app: &TestApp) {
    // Fresh client addresses each run: Redis keeps its counters across tests.
    let client = |n: u8| {
        let id = uuid::Uuid::new_v4().into_bytes();
        format!("198.18.{}.{}", id[0], id[1].wrapping_add(n))
    };
    let (batcher, big, bystander) = (client(0), client(1), client(2));
    let ask = |ip: &str, body: Value| {
        let ip = ip.to_owned();
        async move {
            app.client
                .post(app.url("/graphql"))
                .header("x-forwarded-for", ip)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    // Ten small operations: ten requests of the budget, so the fourth batch is refused.
    let batch = json!(vec![json!({ "query": "{ apiVersion }" }); 10]);
    for round in 1..=3 {
        assert_eq!(
            ask(&batcher, batch.clone()).await,
            StatusCode::OK,
            "batch {round}"
        );
    }
    assert_eq!(
        ask(&batcher, batch.clone()).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // A 40 KiB document (under the 64 KiB limit) costs 21 requests: the second is refused.
    let padding = " ".repeat(40 * 1024);
    let document = json!({ "query": format!("{{ apiVersion }}{padding}") });
    assert_eq!(ask(&big, document.clone()).await, StatusCode::OK);
    assert_eq!(ask(&big, document).await, StatusCode::TOO_MANY_REQUESTS);
    // A refused weight spends nothing beyond the request itself: small requests still pass.
    for _ in 0..5 {
        assert_eq!(
            ask(&big, json!({ "query": "{ apiVersion }" })).await,
            StatusCode::OK
        );
    }
    // Another client is untouched.
    assert_eq!(
        ask(&bystander, json!({ "query": "{ apiVersion }" })).await,
        StatusCode::OK
    );
}

/// Promise (every session revocation is in the audit trail): signing out writes `session.ended`,
/// naming the account and its address; signing out again writes nothing.
async fn signing_out_is_in_the_audit_trail(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    let acme = app.provision("acme", "Acme").await.tenant;
    let (ana, token) = app.sign_in(acme.id, "ana@example.com", Role::User).await;
    let logout = || {
        app.client
            .post(app.url("/auth/logout"))
            .header("host", "acme-rides.localhost")
            .header("x-forwarded-for", "192.0.2.30")
            .bearer_auth(&token)
            .send()
    };
    assert_eq!(logout().await.unwrap().status(), StatusCode::NO_CONTENT);
    let events = tenantry::entities::audit_event::Entity::find()
        .filter(tenantry::entities::audit_event::Column::Kind.eq("session.ended"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].account_id, Some(ana.id));
    assert_eq!(events[0].ip.as_deref(), Some("192.0.2.30"));
    assert_eq!(logout().await.unwrap().status(), StatusCode::UNAUTHORIZED);
}

/// A mutation reached through a link (`GET`) or a form (`POST` without a JSON content type) runs
/// nothing; answers to a credential are never shareable; and a persisted query's hash cannot be
/// made to stand for another document, even by requests racing the real registration.
async fn a_link_cannot_act_and_a_cache_keeps_no_ones_answer(backend: Backend) {
    use crate::graphql_http::{get_graphql, sha256_hex};

    let app = spawn_app_with(backend, |_| {}).await;
    let acme = app.provision("acme", "Acme").await;
    let (_, key) = app
        .api_key(acme.tenant.id, KeyKind::Secret, Some(Role::Admin), None)
        .await;
    let keys = || async {
        let body = app
            .gql(
                &Credential::Key(key.clone()),
                "{ apiKeys { name } }",
                json!({}),
            )
            .await;
        body["data"]["apiKeys"].as_array().unwrap().len()
    };
    let before = keys().await;
    let create =
        r#"mutation { createApiKey(input: { kind: SECRET, name: "x", role: ADMIN }) { secret } }"#;

    let (status, headers, _) =
        get_graphql(&app, &[("query", create)], &[("x-api-key", &key)]).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(headers["cache-control"], "private, no-store");
    let body = json!({ "query": create }).to_string();
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let response = app
            .client
            .post(app.url("/graphql"))
            .header("x-api-key", &key)
            .header("content-type", content_type)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type}"
        );
    }
    // HEAD is routed with GET, and held to GET's rules whatever body it carries.
    let response = app
        .client
        .head(app.url("/graphql"))
        .header("x-api-key", &key)
        .header("content-type", "application/json")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_ne!(response.status(), StatusCode::OK);
    assert_eq!(keys().await, before, "nothing was created");

    // Whatever the answer (data, an error, a refusal), a credential's is the caller's alone:
    // refusals by the guard and the limits included.
    for (name, value) in [
        ("x-api-key", "btk_not-a-key"),
        ("authorization", "Basic Zm9vOmJhcg=="),
    ] {
        let (status, headers, _) =
            get_graphql(&app, &[("query", "{ apiVersion }")], &[(name, value)]).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(headers["cache-control"], "private, no-store");
        let vary = headers
            .get_all("vary")
            .iter()
            .map(|v| v.to_str().unwrap().to_ascii_lowercase())
            .collect::<Vec<_>>()
            .join(",");
        assert!(vary.contains(name), "{vary}");
    }
    let (_, token) = app
        .sign_in(acme.tenant.id, "ann@acme.example", Role::Admin)
        .await;
    for query in [
        "{ viewer { role } }",
        "{ tenants { edges { node { slug } } } }",
        "{ nope",
    ] {
        for credential in [
            ("x-api-key", key.clone()),
            ("authorization", format!("Bearer {token}")),
        ] {
            let (_, headers, body) =
                get_graphql(&app, &[("query", query)], &[(credential.0, &credential.1)]).await;
            assert_eq!(
                headers["cache-control"], "private, no-store",
                "{query}: {body}"
            );
            let vary = headers["vary"].to_str().unwrap().to_ascii_lowercase();
            assert!(vary.contains(credential.0), "{vary}");
        }
    }

    // 30 requests that register other documents under the hash of the one the apps send, released
    // together with the real registration: every one of them is refused, and the hash runs the
    // real document afterwards.
    let real = "query Mine { viewer { role tenant { slug } } }";
    let hash = sha256_hex(real);
    let extensions = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });
    let start = Arc::new(tokio::sync::Barrier::new(31));
    let mut racing = Vec::new();
    for n in 0..31 {
        let (client, url, start) = (app.client.clone(), app.url("/graphql"), start.clone());
        let query = match n {
            0 => real.to_owned(),
            n => format!("query Mine {{ apiVersion a{n}: apiVersion }}"),
        };
        let body = json!({ "query": query, "extensions": extensions });
        racing.push(tokio::spawn(async move {
            start.wait().await;
            let response = client.post(url).json(&body).send().await.unwrap();
            (
                n,
                response.status(),
                response.json::<Value>().await.unwrap(),
            )
        }));
    }
    for race in racing {
        let (n, status, body) = race.await.unwrap();
        match n {
            0 => assert!(body.get("errors").is_none(), "{body}"),
            _ => {
                assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
                assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
            }
        }
    }
    let by_hash = extensions.to_string();
    let (_, _, body) = get_graphql(&app, &[("extensions", &by_hash)], &[("x-api-key", &key)]).await;
    assert_eq!(body["data"]["viewer"]["tenant"]["slug"], "acme", "{body}");
}

/// Promise: no tenant starves the others of the database. Each `leadsPerDay` and each `leads`
/// search reads every lead of the tenant in its window; thirty aliases of one in a document ran
/// thirty scans at once and held the shared pool until other tenants' requests timed out. They
/// weigh enough in the complexity budget that a document holds at most nine, and two still run.
async fn scans_of_a_tenants_leads_are_few_per_document(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    let acme = app.provision("acme", "Acme").await.tenant;
    let (_, member) = app
        .api_key(acme.id, KeyKind::Secret, Some(Role::Member), None)
        .await;
    let member = Credential::Key(member);
    let aliased = |field: &str, times: usize| {
        let fields: String = (0..times).map(|i| format!(" a{i}: {field}")).collect();
        format!("{{{fields} }}")
    };
    let per_day = "leadsPerDay(days: 90) { day app leads }";
    let search = r#"leads(first: 1, filter: { search: "a" }) { nodes { id } }"#;
    for field in [per_day, search] {
        let (_, body) = app
            .graphql_with(&member, &[], &aliased(field, 10), json!({}))
            .await;
        assert!(
            body.get("data").is_none_or(Value::is_null),
            "{field}: {body}"
        );
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .is_some_and(|m| m.contains("complex")),
            "{field}: {body}"
        );
        let (status, body) = app
            .graphql_with(&member, &[], &aliased(field, 2), json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.get("errors").is_none(), "{field}: {body}");
    }
}

/// Promise: nobody reaches another person's account, whatever they send. An address with a soft
/// hyphen or another invisible character in its local part ("ad\u{AD}min@acme.example") was
/// mailed a code and became an account of its own that reads exactly like the admin's in the
/// members list; such an address is now not an address, wherever one is taken.
async fn an_address_that_only_looks_like_another_is_refused(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    let acme = app.provision("acme", "Acme").await.tenant;
    let (_, admin) = app
        .api_key(acme.id, KeyKind::Secret, Some(Role::Admin), None)
        .await;
    let admin = Credential::Key(admin);
    let invite = "mutation($e: String!) { inviteAccount(email: $e, role: MEMBER) { id } }";
    for look_alike in [
        "ad\u{AD}min@acme.example",
        "admin\u{200B}@acme.example",
        "\u{202E}nimda@acme.example",
        "admin\u{FEFF}@acme.example",
    ] {
        let (status, _) = app
            .post_email_start(
                &app.host("acme", "ADMIN_CONSOLE"),
                json!({ "email": look_alike }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{look_alike:?}");
        let (_, body) = app
            .graphql_with(&admin, &[], invite, json!({ "e": look_alike }))
            .await;
        assert_eq!(
            error_code(&body),
            "BAD_USER_INPUT",
            "{look_alike:?}: {body}"
        );
        assert_eq!(body["errors"][0]["extensions"]["field"], "email", "{body}");
        let response = app
            .post_contact(
                &app.host("acme", "TAXI_PASSENGER"),
                &json!({ "email": look_alike }),
                &[],
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{look_alike:?}"
        );
    }
    let accounts = account::Entity::find().all(&app.db).await.unwrap();
    assert!(
        accounts.iter().all(|a| a.email.is_ascii()),
        "{:?}",
        accounts.iter().map(|a| &a.email).collect::<Vec<_>>()
    );
    let challenges = email_challenge::Entity::find().all(&app.db).await.unwrap();
    assert!(challenges.is_empty(), "a code was made for a look-alike");
}
