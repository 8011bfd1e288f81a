//! GraphQL over HTTP as the README's "Transport" section states it: queries over `GET`, media
//! types, status codes, caching headers, automatic persisted queries and the error codes. The
//! working group's own audit (`graphql-http`) runs against a live server in `conformance.rs`.

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use tenantry::entities::account::Role;
use tenantry::entities::api_key::KeyKind;

use crate::helpers::{Backend, Credential, TestApp, db_tests, error_code, spawn_app_with};

db_tests!(
    queries_run_over_get_and_mutations_are_refused,
    get_without_a_query_is_graphiql_for_a_browser_and_400_otherwise,
    answers_speak_the_media_type_the_client_accepts,
    request_errors_are_400_without_data_for_graphql_response_json,
    answers_say_how_they_may_be_cached,
    persisted_queries_round_trip,
    every_error_code_is_the_one_apollo_users_know,
    malformed_requests_are_refused_with_400,
    a_document_sent_by_its_hash_costs_what_its_text_costs,
);

const RESPONSE_JSON: &str = "application/graphql-response+json";

/// The SHA-256 of `text`, in lower-case hex, as Apollo's clients send it.
pub fn sha256_hex(text: &str) -> String {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, text.as_bytes())
        .as_ref()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// `GET /graphql` with `params` in the query string; the status, headers and body (JSON when it
/// is JSON, else a string).
pub async fn get_graphql(
    app: &TestApp,
    params: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> (StatusCode, HeaderMap, Value) {
    let url = reqwest::Url::parse_with_params(&app.url("/graphql"), params).unwrap();
    let mut request = app.client.get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    read(request.send().await.expect("request sent")).await
}

async fn post_graphql(
    app: &TestApp,
    body: String,
    headers: &[(&str, &str)],
) -> (StatusCode, HeaderMap, Value) {
    let mut request = app.client.post(app.url("/graphql")).body(body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    read(request.send().await.expect("request sent")).await
}

async fn read(response: reqwest::Response) -> (StatusCode, HeaderMap, Value) {
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, headers, body)
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> &'h str {
    headers
        .get(name)
        .map(|value| value.to_str().unwrap())
        .unwrap_or_default()
}

async fn admin_key(app: &TestApp) -> String {
    acme_and_admin_key(app).await.1
}

async fn acme_and_admin_key(app: &TestApp) -> (uuid::Uuid, String) {
    let acme = app.provision("acme", "Acme").await;
    let key = app
        .api_key(acme.tenant.id, KeyKind::Secret, Some(Role::Admin), None)
        .await
        .1;
    (acme.tenant.id, key)
}

async fn key_names(app: &TestApp, key: &str) -> Vec<Value> {
    let body = app
        .gql(
            &Credential::Key(key.into()),
            "{ apiKeys { name } }",
            json!({}),
        )
        .await;
    body["data"]["apiKeys"].as_array().unwrap().clone()
}

async fn queries_run_over_get_and_mutations_are_refused(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    let key = admin_key(&app).await;

    let (status, headers, body) = get_graphql(
        &app,
        &[
            (
                "query",
                "query Who($n: Int) { viewer { role } leads(first: $n) { edges { node { id } } } }",
            ),
            ("operationName", "Who"),
            ("variables", r#"{"n": 5}"#),
        ],
        &[("x-api-key", &key)],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["viewer"]["role"], "ADMIN", "{body}");
    assert!(header(&headers, "content-type").starts_with("application/json"));

    // A mutation, alone or picked by name from a document that also holds a query, never runs
    // over GET: a link or an image tag must not change anything.
    let before = key_names(&app, &key).await;
    let create = r#"mutation { createApiKey(input: { kind: SECRET, name: "via-get", role: ADMIN }) { secret } }"#;
    let picked = r#"query Q { apiVersion } mutation M { createApiKey(input: { kind: SECRET, name: "via-get", role: ADMIN }) { secret } }"#;
    for params in [
        vec![("query", create)],
        vec![("query", picked), ("operationName", "M")],
    ] {
        for accept in ["application/json", RESPONSE_JSON] {
            let (status, headers, body) =
                get_graphql(&app, &params, &[("x-api-key", &key), ("accept", accept)]).await;
            assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{body}");
            assert_eq!(header(&headers, "allow"), "POST");
            assert!(body.get("data").is_none(), "{body}");
            assert_eq!(error_code(&body), "BAD_USER_INPUT");
        }
    }
    assert_eq!(key_names(&app, &key).await, before, "nothing was created");

    // The query of the same document still runs over GET.
    let (status, _, body) = get_graphql(
        &app,
        &[("query", picked), ("operationName", "Q")],
        &[("x-api-key", &key)],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["data"]["apiVersion"].is_string(), "{body}");
}

async fn get_without_a_query_is_graphiql_for_a_browser_and_400_otherwise(backend: Backend) {
    let browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    let app = spawn_app_with(backend.clone(), |config| {
        config.graphql.introspection = true
    })
    .await;
    let (status, headers, _) = get_graphql(&app, &[], &[("accept", browser)]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(header(&headers, "content-type").starts_with("text/html"));
    for accept in ["application/json", RESPONSE_JSON, "*/*"] {
        let (status, _, body) = get_graphql(&app, &[], &[("accept", accept)]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{accept}: {body}");
        assert_eq!(error_code(&body), "BAD_USER_INPUT");
    }

    // Never on a console's host, even one whose tenant is suspended (it may hold a session).
    app.provision("acme", "Acme").await;
    let console = app.host("acme", "ADMIN_CONSOLE");
    app.set_status("acme", tenantry::entities::tenant::TenantStatus::Suspended)
        .await;
    let (status, _, body) =
        get_graphql(&app, &[], &[("accept", browser), ("host", &console)]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    // An empty query is no query.
    let (status, _, body) = get_graphql(&app, &[("query", "")], &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    // Without introspection there is no GraphiQL: a browser gets the same 400.
    let app = spawn_app_with(backend, |config| config.graphql.introspection = false).await;
    let (status, _, body) = get_graphql(&app, &[], &[("accept", browser)]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}

async fn answers_speak_the_media_type_the_client_accepts(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    let query = json!({ "query": "{ apiVersion }" }).to_string();
    for (accept, expected) in [
        (None, "application/json"),
        (Some("application/json"), "application/json"),
        (Some("*/*"), "application/json"),
        (Some(RESPONSE_JSON), RESPONSE_JSON),
        (
            Some("application/graphql-response+json, application/json;q=0.9"),
            RESPONSE_JSON,
        ),
        (
            Some("application/json, application/graphql-response+json"),
            "application/json",
        ),
    ] {
        let mut headers = vec![("content-type", "application/json")];
        headers.extend(accept.map(|accept| ("accept", accept)));
        let (status, response, body) = post_graphql(&app, query.clone(), &headers).await;
        assert_eq!(status, StatusCode::OK, "{accept:?}: {body}");
        let content_type = header(&response, "content-type");
        assert!(
            content_type.starts_with(expected),
            "{accept:?} answered {content_type}"
        );
        assert!(content_type.contains("charset=utf-8"), "{content_type}");
    }
}

async fn request_errors_are_400_without_data_for_graphql_response_json(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    for (query, variables, code) in [
        ("{ apiVersion", json!({}), "GRAPHQL_PARSE_FAILED"),
        ("{ noSuchField }", json!({}), "GRAPHQL_VALIDATION_FAILED"),
        (
            "query L($n: Int) { leads(first: $n) { edges { node { id } } } }",
            json!({ "n": "many" }),
            "BAD_USER_INPUT",
        ),
    ] {
        let body = json!({ "query": query, "variables": variables }).to_string();
        let json_headers = [("content-type", "application/json")];
        let (status, _, answer) = post_graphql(&app, body.clone(), &json_headers).await;
        assert_eq!(status, StatusCode::OK, "{query}: {answer}");
        assert_eq!(error_code(&answer), code, "{query}: {answer}");

        let strict = [
            ("content-type", "application/json"),
            ("accept", RESPONSE_JSON),
        ];
        let (status, _, answer) = post_graphql(&app, body, &strict).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {answer}");
        assert!(answer.get("data").is_none(), "{query}: {answer}");
        assert_eq!(error_code(&answer), code, "{query}: {answer}");
    }

    // An error while executing is not a request error: 200, with data, in either media type.
    let strict = [
        ("content-type", "application/json"),
        ("accept", RESPONSE_JSON),
    ];
    let body = json!({ "query": "{ apiVersion leads(first: 1) { edges { node { id } } } }" });
    let (status, _, answer) = post_graphql(&app, body.to_string(), &strict).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert!(answer["data"]["apiVersion"].is_string(), "{answer}");
    assert_eq!(error_code(&answer), "UNAUTHENTICATED");
}

async fn answers_say_how_they_may_be_cached(backend: Backend) {
    let app = spawn_app_with(backend.clone(), |_| {}).await;
    let (acme, key) = acme_and_admin_key(&app).await;
    let (_, token) = app.sign_in(acme, "ann@acme.example", Role::Admin).await;
    let query = [("query", "{ apiVersion viewer { role } }")];

    // A credential, over GET or POST: only the client may keep the answer, and never on disk.
    for credential in [
        ("x-api-key".to_owned(), key.clone()),
        ("authorization".to_owned(), format!("Bearer {token}")),
    ] {
        let headers = [(credential.0.as_str(), credential.1.as_str())];
        let (status, get, body) = get_graphql(&app, &query, &headers).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let post = app
            .client
            .post(app.url("/graphql"))
            .header(credential.0.as_str(), credential.1.as_str())
            .json(&json!({ "query": query[0].1 }))
            .send()
            .await
            .unwrap();
        for headers in [&get, post.headers()] {
            assert_eq!(header(headers, "cache-control"), "private, no-store");
            let vary = header(headers, "vary").to_ascii_lowercase();
            for name in ["authorization", "x-api-key", "accept"] {
                assert!(vary.contains(name), "Vary: {vary}");
            }
        }
    }

    // Anonymous query answers over GET may be cached for the configured time (0 by default).
    let (_, headers, _) = get_graphql(&app, &[("query", "{ apiVersion }")], &[]).await;
    assert_eq!(header(&headers, "cache-control"), "public, max-age=0");
    let app = spawn_app_with(backend, |config| config.graphql.public_max_age_secs = 60).await;
    let (_, headers, _) = get_graphql(&app, &[("query", "{ apiVersion }")], &[]).await;
    assert_eq!(header(&headers, "cache-control"), "public, max-age=60");
    // Not an answer with errors, and not a POST.
    let (_, headers, _) = get_graphql(&app, &[("query", "{ apiVersion")], &[]).await;
    assert_eq!(header(&headers, "cache-control"), "no-store");
    let (_, headers, _) = post_graphql(
        &app,
        json!({ "query": "{ apiVersion }" }).to_string(),
        &[("content-type", "application/json")],
    )
    .await;
    assert_eq!(header(&headers, "cache-control"), "no-store");
}

fn persisted(hash: &str) -> String {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } }).to_string()
}

async fn persisted_queries_round_trip(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    let key = admin_key(&app).await;
    let query = "query Viewer { viewer { role tenant { slug } } }";
    let hash = sha256_hex(query);
    let by_hash = [("extensions", persisted(&hash))];
    let by_hash: Vec<(&str, &str)> = by_hash.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let auth = [("x-api-key", key.as_str())];

    // Unknown: the client is told to send the document.
    let (status, _, body) = get_graphql(&app, &by_hash, &auth).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["errors"][0]["message"], "PersistedQueryNotFound");
    assert_eq!(error_code(&body), "PERSISTED_QUERY_NOT_FOUND");
    let strict = [("x-api-key", key.as_str()), ("accept", RESPONSE_JSON)];
    let (status, _, body) = get_graphql(&app, &by_hash, &strict).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.get("data").is_none(), "{body}");

    // Hash and document: checked, registered and run.
    let register = json!({
        "query": query,
        "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash } },
    });
    let (status, _, body) = post_graphql(
        &app,
        register.to_string(),
        &[("content-type", "application/json"), ("x-api-key", &key)],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["viewer"]["tenant"]["slug"], "acme", "{body}");

    // From now on the hash alone runs it, over GET, and for any caller (a document is no secret).
    let (status, _, body) = get_graphql(&app, &by_hash, &auth).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["viewer"]["role"], "ADMIN", "{body}");
    let (status, _, body) = get_graphql(&app, &by_hash, &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["viewer"], Value::Null, "{body}");

    // A version other than 1, or a document that is not the hash's, is a malformed request.
    let v2 = json!({ "persistedQuery": { "version": 2, "sha256Hash": hash } }).to_string();
    let (status, _, body) = get_graphql(&app, &[("extensions", v2.as_str())], &auth).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    let by_hash = persisted(&hash);
    let (status, _, body) = get_graphql(
        &app,
        &[
            ("query", "{ apiVersion }"),
            ("extensions", by_hash.as_str()),
        ],
        &auth,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
}

async fn every_error_code_is_the_one_apollo_users_know(backend: Backend) {
    let app = spawn_app_with(backend, |config| {
        config.graphql.max_depth = 3;
        config.graphql.max_batch = 2;
    })
    .await;
    let acme = app.provision("acme", "Acme").await;
    let member = app
        .api_key(acme.tenant.id, KeyKind::Secret, Some(Role::Member), None)
        .await
        .1;
    let admin = app
        .api_key(acme.tenant.id, KeyKind::Secret, Some(Role::Admin), None)
        .await
        .1;
    let anonymous = Credential::None;
    let member = Credential::Key(member);
    let admin = Credential::Key(admin);
    let deep = "{ tenants { edges { node { slug } } } }";
    for (credential, query, code) in [
        (&anonymous, "{ apiVersion", "GRAPHQL_PARSE_FAILED"),
        (
            &anonymous,
            "{ apiVersion(x: 1) }",
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (&anonymous, deep, "GRAPHQL_VALIDATION_FAILED"),
        (
            &anonymous,
            "{ a1: apiVersion a2: apiVersion a3: apiVersion a4: apiVersion a5: apiVersion a6: apiVersion a7: apiVersion a8: apiVersion a9: apiVersion a10: apiVersion a11: apiVersion a12: apiVersion a13: apiVersion a14: apiVersion a15: apiVersion a16: apiVersion a17: apiVersion a18: apiVersion a19: apiVersion a20: apiVersion a21: apiVersion a22: apiVersion a23: apiVersion a24: apiVersion a25: apiVersion a26: apiVersion a27: apiVersion a28: apiVersion a29: apiVersion a30: apiVersion a31: apiVersion }",
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (
            &admin,
            "{ leads(first: -1) { pageInfo { hasNextPage } } }",
            "BAD_USER_INPUT",
        ),
        (
            &admin,
            r#"{ lead(id: "not-an-id") { id } }"#,
            "BAD_USER_INPUT",
        ),
        (
            &anonymous,
            "{ leads(first: 1) { pageInfo { hasNextPage } } }",
            "UNAUTHENTICATED",
        ),
        (&member, "{ apiKeys { name } }", "FORBIDDEN"),
        (
            &admin,
            r#"{ lead(id: "00000000-0000-7000-8000-000000000000") { id } }"#,
            "NOT_FOUND",
        ),
    ] {
        let (status, body) = app.graphql_with(credential, &[], query, json!({})).await;
        assert_eq!(status, StatusCode::OK, "{query}: {body}");
        assert_eq!(error_code(&body), code, "{query}: {body}");
    }

    // A batch over the limit is refused whole, before anything runs.
    let batch: Vec<Value> = (0..3)
        .map(|_| json!({ "query": "{ apiVersion }" }))
        .collect();
    let response = app
        .client
        .post(app.url("/graphql"))
        .json(&batch)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "GRAPHQL_VALIDATION_FAILED");
}

async fn malformed_requests_are_refused_with_400(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    let json = [("content-type", "application/json")];
    for body in [
        r#"{ "not JSON"#.to_owned(),
        json!({ "qeury": "{ apiVersion }" }).to_string(),
        json!({ "query": 0 }).to_string(),
        json!({ "query": ["{ apiVersion }"] }).to_string(),
        json!({ "query": "{ apiVersion }", "operationName": false }).to_string(),
        json!({ "query": "{ apiVersion }", "variables": "string" }).to_string(),
        json!({ "query": "{ apiVersion }", "variables": ["array"] }).to_string(),
        json!({ "query": "{ apiVersion }", "extensions": 0 }).to_string(),
        String::new(),
    ] {
        let (status, _, answer) = post_graphql(&app, body.clone(), &json).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert_eq!(error_code(&answer), "BAD_USER_INPUT", "{body}: {answer}");
    }
    // A POST must say its body is JSON: a form or plain text a page can send without a
    // preflight is no GraphQL request.
    let body = json!({ "query": "{ apiVersion }" }).to_string();
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
    ] {
        let headers: Vec<(&str, &str)> = content_type
            .map(|c| ("content-type", c))
            .into_iter()
            .collect();
        let (status, _, answer) = post_graphql(&app, body.clone(), &headers).await;
        assert_eq!(
            status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type:?}: {answer}"
        );
    }
    // Bad JSON in GET's parameters.
    for params in [
        vec![("query", "{ apiVersion }"), ("variables", "{nope")],
        vec![("query", "{ apiVersion }"), ("extensions", "[1]")],
    ] {
        let (status, _, answer) = get_graphql(&app, &params, &[]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{params:?}: {answer}");
    }
}

/// Each 2 KiB of a document costs a request of the anonymous per-IP budget, whether the client
/// sends the text or only its persisted-query hash.
async fn a_document_sent_by_its_hash_costs_what_its_text_costs(backend: Backend) {
    let app = spawn_app_with(backend, |config| {
        config.limits.anonymous_graphql_per_minute = 20;
    })
    .await;
    // 10,215 bytes: 1 request and 4 more for its text.
    let query = format!(
        "{{ apiVersion }}\n{}",
        "# padding padding padding padding\n".repeat(300)
    );
    let hash = sha256_hex(&query);
    let register = json!({
        "query": query,
        "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash } },
    });
    let (status, _, body) = post_graphql(
        &app,
        register.to_string(),
        &[("content-type", "application/json")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let by_hash = persisted(&hash);
    let mut answered = 0;
    for _ in 0..10 {
        let (status, _, body) = get_graphql(&app, &[("extensions", by_hash.as_str())], &[]).await;
        match status {
            StatusCode::OK => answered += 1,
            StatusCode::TOO_MANY_REQUESTS => assert_eq!(error_code(&body), "RATE_LIMITED"),
            other => panic!("{other}: {body}"),
        }
    }
    // 20 a minute, 5 spent registering, 5 a request: three more, not ten.
    assert!(answered <= 3, "{answered} answered by hash");
}
