//! Custom domains: claimed, proven and verified the way the real edge would see them, against a
//! real HTTP server on loopback standing in for each tenant's proxy.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::extract::Request;
use axum::http::{StatusCode as AxumStatus, header};
use axum::response::IntoResponse;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tenantry::entities::account::Role;
use tenantry::services::custom_domains;
use tenantry::services::domain_checks::{DomainChecker, StaticDns};

use crate::helpers::{
    Backend, Credential, TestApp, db_tests, error_code, eventually, spawn_app_with,
};

db_tests!(
    a_claim_routes_only_once_every_check_passes,
    each_probe_failure_is_reported_in_words,
    hanging_probes_are_waited_for_side_by_side,
    a_verified_host_belongs_to_one_tenant,
    removal_and_repeated_failed_rechecks_stop_routing,
    probes_never_reach_private_addresses,
    claims_expire_and_one_custom_domain_per_app,
);

/// A tenant's proxy: serves the three well-known files, or misbehaves as its host name says:
/// `<file>-<fault>.example`, file `aasa|assetlinks|webauthn|all`, fault `404|html|text|hang`.
async fn proxy() -> u16 {
    async fn answer(request: Request) -> axum::response::Response {
        let host = request
            .headers()
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .split(':')
            .next()
            .unwrap_or_default()
            .to_owned();
        let path = request.uri().path();
        let file = match path {
            "/.well-known/apple-app-site-association" => "aasa",
            "/.well-known/assetlinks.json" => "assetlinks",
            "/.well-known/webauthn" => "webauthn",
            _ => return AxumStatus::NOT_FOUND.into_response(),
        };
        let label = host.split('.').next().unwrap_or_default();
        let fault = label
            .split_once('-')
            .filter(|(target, _)| *target == file || *target == "all")
            .map(|(_, fault)| fault.to_owned());
        let json = [(header::CONTENT_TYPE, "application/json")];
        match fault.as_deref() {
            Some("404") => (AxumStatus::NOT_FOUND, json, "{}").into_response(),
            Some("html") => {
                ([(header::CONTENT_TYPE, "text/html")], "<html></html>").into_response()
            }
            Some("text") => (json, "not json at all").into_response(),
            Some("hang") => {
                tokio::time::sleep(Duration::from_secs(60)).await;
                (json, "{}").into_response()
            }
            _ => (json, if file == "assetlinks" { "[]" } else { "{}" }).into_response(),
        }
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, axum::Router::new().fallback(answer)).await });
    port
}

pub(crate) struct Lab {
    pub app: TestApp,
    dns: Arc<RwLock<StaticDns>>,
    pub admin: Credential,
}

impl Lab {
    pub fn point(&self, host: &str) {
        self.dns
            .write()
            .unwrap()
            .a
            .insert(host.into(), vec!["127.0.0.1".parse().unwrap()]);
    }

    pub fn unpoint(&self, host: &str) {
        self.dns.write().unwrap().a.remove(host);
    }

    /// One run of the background re-check of every verified custom domain, as the platform.
    pub async fn recheck(&self) {
        let checker = DomainChecker::new(&self.app.config);
        let platform = tenantry::tenancy::context::PlatformContext::process();
        custom_domains::recheck_all(&self.app.db, &self.app.config, &checker, &platform)
            .await
            .unwrap();
    }

    pub fn publish(&self, host: &str, value: &str) {
        let name = format!("_tenantry-challenge.{host}");
        self.dns
            .write()
            .unwrap()
            .txt
            .insert(name, vec![value.into()]);
    }

    pub async fn add(&self, host: &str, alias: bool) -> Value {
        let body = self
            .app
            .gql(
                &self.admin,
                "mutation($host: String!, $alias: Boolean!) { addCustomDomain(app: \"TAXI_PASSENGER\", host: $host, alias: $alias) { id host verified ownershipToken txtRecord kind } }",
                json!({ "host": host, "alias": alias }),
            )
            .await;
        body["data"]["addCustomDomain"].clone()
    }

    /// Runs verification; returns the domain with its checks, and how long the run took.
    pub async fn verify(&self, id: &Value) -> (Value, Duration) {
        let started = Instant::now();
        let body = self
            .app
            .gql(
                &self.admin,
                "mutation($id: ID!) { verifyCustomDomain(id: $id) { verified checks { name passed reason durationMs } } }",
                json!({ "id": id }),
            )
            .await;
        (
            body["data"]["verifyCustomDomain"].clone(),
            started.elapsed(),
        )
    }
}

pub(crate) async fn lab(
    backend: Backend,
    configure: impl FnOnce(&mut tenantry::config::Config),
) -> Lab {
    let port = proxy().await;
    let app = spawn_app_with(backend, move |config| {
        config.domains.dns_static = Some(StaticDns::default());
        config.domains.probe_scheme = "http".into();
        config.domains.probe_port = Some(port);
        config.domains.probe_allow_private = true;
        config.domains.probe_timeout = Duration::from_secs(2);
        configure(config);
    })
    .await;
    let dns = app
        .state
        .domain_checker
        .static_dns()
        .expect("fixed records");
    let acme = app.provision("acme", "Acme").await.tenant;
    let (admin, _) = app.sign_in(acme.id, "boss@acme.example", Role::Admin).await;
    let admin = Credential::Bearer(app.elevated_token_for(&admin).await);
    Lab { app, dns, admin }
}

fn failed(domain: &Value) -> Vec<(String, String)> {
    domain["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["passed"] == false)
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_owned(),
                c["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn a_claim_routes_only_once_every_check_passes(backend: Backend) {
    let lab = lab(backend, |_| {}).await;
    let host = "rides.acme.example";
    let claim = lab.add("Rides.ACME.example", false).await;
    assert_eq!(claim["host"], host);
    assert_eq!(claim["verified"], false);
    assert_eq!(claim["txtRecord"], format!("_tenantry-challenge.{host}"));
    let token = claim["ownershipToken"].as_str().unwrap().to_owned();
    // Another instance on the same database has the host as unknown, in its caches and filter.
    let other = lab.app.another_instance().await;
    let on_other = || {
        lab.app
            .client
            .get(format!("http://{other}/api/branding"))
            .header("host", host)
            .send()
    };
    assert_eq!(on_other().await.unwrap().status(), StatusCode::NOT_FOUND);
    let branding = lab.app.get_branding(host).await;
    assert_eq!(
        branding.status(),
        StatusCode::NOT_FOUND,
        "an unverified claim does not route"
    );

    let (domain, _) = lab.verify(&claim["id"]).await;
    assert_eq!(
        failed(&domain),
        [(
            "dns".to_owned(),
            format!("{host} does not resolve (no A, AAAA or CNAME record)")
        )]
    );

    lab.point(host);
    let (domain, _) = lab.verify(&claim["id"]).await;
    assert_eq!(
        failed(&domain),
        [(
            "ownership".to_owned(),
            format!("TXT record _tenantry-challenge.{host} not found")
        )]
    );

    lab.publish(host, "tenantry-verify=someone-elses-token");
    let (domain, _) = lab.verify(&claim["id"]).await;
    assert_eq!(
        failed(&domain),
        [(
            "ownership".to_owned(),
            format!("TXT record _tenantry-challenge.{host} does not hold this domain's token")
        )]
    );
    assert_eq!(
        lab.app.get_branding(host).await.status(),
        StatusCode::NOT_FOUND
    );

    lab.publish(host, &token);
    let (domain, _) = lab.verify(&claim["id"]).await;
    assert_eq!(domain["verified"], true, "{domain}");
    let names: Vec<&str> = domain["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "dns",
            "ownership",
            "apple-app-site-association",
            "assetlinks.json",
            "webauthn"
        ]
    );

    // It routes at once, to the right tenant and app.
    let branding: Value = lab.app.get_branding(host).await.json().await.unwrap();
    assert_eq!(
        (branding["tenant_slug"].as_str(), branding["app"].as_str()),
        (Some("acme"), Some("TAXI_PASSENGER"))
    );
    let lead = lab
        .app
        .post_contact(host, &json!({ "email": "a@example.com" }), &[])
        .await;
    assert_eq!(lead.status(), StatusCode::CREATED);
    let lead: Value = lead.json().await.unwrap();
    assert_eq!(lead["app"], "TAXI_PASSENGER");
    eventually("the other instance routes the verified host", || async {
        on_other().await.unwrap().status() == StatusCode::OK
    })
    .await;

    // Adding one needs a step-up for people.
    let acme = tenantry::services::tenants::get(&lab.app.db, "acme")
        .await
        .unwrap();
    let (plain, _) = lab
        .app
        .sign_in(acme.id, "other@acme.example", Role::Admin)
        .await;
    let plain = Credential::Bearer(lab.app.token_for(&plain).await);
    let body = lab
        .app
        .gql(&plain, "mutation { addCustomDomain(app: \"TAXI_DRIVER\", host: \"drive.acme.example\") { id } }", json!({}))
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["reason"],
        "ELEVATION_REQUIRED"
    );
}

async fn each_probe_failure_is_reported_in_words(backend: Backend) {
    let lab = lab(backend, |config| config.domains.check_ownership = false).await;
    // A custom domain first; the faulty hosts are its aliases.
    lab.add("www.acme.example", false).await;
    let files = [
        ("aasa", "apple-app-site-association"),
        ("assetlinks", "assetlinks.json"),
        ("webauthn", "webauthn"),
    ];
    for (short, file) in files {
        for (fault, reason) in [
            ("404", format!("{file} answered 404")),
            ("html", format!("{file} answered text/html")),
            ("text", format!("{file} is not JSON (it starts with 'n')")),
            ("hang", format!("{file} did not answer within 2 s")),
        ] {
            let host = format!("{short}-{fault}.example");
            lab.point(&host);
            let claim = lab.add(&host, true).await;
            let (domain, _) = lab.verify(&claim["id"]).await;
            assert_eq!(domain["verified"], false, "{host}");
            assert_eq!(failed(&domain), [(file.to_owned(), reason)], "{host}");
        }
    }
}

async fn hanging_probes_are_waited_for_side_by_side(backend: Backend) {
    let lab = lab(backend, |config| config.domains.check_ownership = false).await;
    lab.add("www.acme.example", false).await;
    lab.point("all-hang.example");
    let claim = lab.add("all-hang.example", true).await;
    let (domain, took) = lab.verify(&claim["id"]).await;
    assert_eq!(failed(&domain).len(), 3);
    // Three 2-second timeouts one after another would take 6 s or more.
    assert!(
        took < Duration::from_secs(5),
        "the probes ran one after another: {took:?}"
    );
}

async fn a_verified_host_belongs_to_one_tenant(backend: Backend) {
    let lab = lab(backend, |_| {}).await;
    let beta = lab.app.provision("beta", "Beta").await.tenant;
    let (beta_admin, _) = lab
        .app
        .sign_in(beta.id, "boss@beta.example", Role::Admin)
        .await;
    let beta_admin = Credential::Bearer(lab.app.elevated_token_for(&beta_admin).await);
    let host = "shared.example";
    lab.point(host);

    // Both claim; the one who proves ownership first gets it and the other claim goes.
    let mine = lab.add(host, false).await;
    let theirs = lab
        .app
        .gql(&beta_admin, "mutation { addCustomDomain(app: \"TAXI_PASSENGER\", host: \"shared.example\") { id } }", json!({}))
        .await;
    assert!(
        theirs["data"]["addCustomDomain"]["id"].is_string(),
        "{theirs}"
    );
    lab.publish(host, mine["ownershipToken"].as_str().unwrap());
    let (domain, _) = lab.verify(&mine["id"]).await;
    assert_eq!(domain["verified"], true);

    let listed = lab
        .app
        .gql(&beta_admin, "{ domains { host } }", json!({}))
        .await;
    assert!(
        !listed.to_string().contains(host),
        "beta's claim was dropped: {listed}"
    );
    let again = lab
        .app
        .gql(&beta_admin, "mutation { addCustomDomain(app: \"TAXI_PASSENGER\", host: \"shared.example\") { id } }", json!({}))
        .await;
    assert_eq!(error_code(&again), "BAD_USER_INPUT");
    assert_eq!(
        again["errors"][0]["message"],
        "host: 'shared.example' is already attached to another tenant"
    );
    let verify_theirs = lab
        .app
        .gql(
            &beta_admin,
            "mutation($id: ID!) { verifyCustomDomain(id: $id) { verified } }",
            json!({ "id": mine["id"] }),
        )
        .await;
    assert_eq!(
        error_code(&verify_theirs),
        "NOT_FOUND",
        "another tenant's domain id is not found"
    );

    for bad in ["localhost", "acme-rides.localhost", "10.0.0.1", "a..b"] {
        let body = lab
            .app
            .gql(&lab.admin, "mutation($host: String!) { addCustomDomain(app: \"TAXI_DRIVER\", host: $host) { id } }", json!({ "host": bad }))
            .await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{bad}");
    }
}

async fn removal_and_repeated_failed_rechecks_stop_routing(backend: Backend) {
    let lab = lab(backend, |config| config.domains.recheck_failures = 3).await;
    let verified = |host: &'static str| {
        let lab = &lab;
        async move {
            lab.point(host);
            let claim = lab.add(host, host.starts_with("www")).await;
            lab.publish(host, claim["ownershipToken"].as_str().unwrap());
            let (domain, _) = lab.verify(&claim["id"]).await;
            assert_eq!(domain["verified"], true, "{host}: {domain}");
            claim["id"].clone()
        }
    };
    let rides = verified("rides.acme.example").await;
    verified("www.rides.acme.example").await;

    let removed = lab
        .app
        .gql(
            &lab.admin,
            "mutation($id: ID!) { removeCustomDomain(id: $id) }",
            json!({ "id": rides }),
        )
        .await;
    assert_eq!(removed["data"]["removeCustomDomain"], rides);
    assert_eq!(
        lab.app.get_branding("rides.acme.example").await.status(),
        StatusCode::NOT_FOUND,
        "removal stops routing at once"
    );

    // The alias stops answering: it keeps routing through two failed re-checks, not the third.
    let alias = "www.rides.acme.example";
    lab.unpoint(alias);
    for run in 1..=3 {
        lab.recheck().await;
        if run < 3 {
            assert_eq!(
                lab.app.get_branding(alias).await.status(),
                StatusCode::OK,
                "after {run} failed re-checks"
            );
        }
    }
    eventually("unrouted after three failures", || async {
        lab.app.get_branding(alias).await.status() == StatusCode::NOT_FOUND
    })
    .await;
    let events = lab
        .app
        .gql(
            &lab.admin,
            "{ auditEvents { edges { node { kind detail } } } }",
            json!({}),
        )
        .await;
    assert!(events.to_string().contains("domain.unverified"), "{events}");
}

async fn probes_never_reach_private_addresses(backend: Backend) {
    let lab = lab(backend, |config| {
        config.domains.probe_allow_private = false;
        config.domains.check_ownership = false;
    })
    .await;
    lab.point("inside.example");
    let claim = lab.add("inside.example", false).await;
    let (domain, _) = lab.verify(&claim["id"]).await;
    let reasons = failed(&domain);
    // The DNS check and the three probes fail, saying the address is not public, never which.
    assert_eq!(reasons.len(), 4, "{domain}");
    assert!(
        reasons
            .iter()
            .all(|(_, r)| r == "inside.example resolves to a non-public address"),
        "{reasons:?}"
    );
    assert!(!domain.to_string().contains("127.0.0.1"), "{domain}");
}

async fn claims_expire_and_one_custom_domain_per_app(backend: Backend) {
    use sea_orm::EntityTrait;
    use sea_orm::sea_query::Expr;
    use tenantry::entities::domain_claim;

    let lab = lab(backend, |_| {}).await;
    let first = lab.add("one.example", false).await;
    let second = lab
        .app
        .gql(
            &lab.admin,
            "mutation { addCustomDomain(app: \"TAXI_PASSENGER\", host: \"two.example\") { id } }",
            json!({}),
        )
        .await;
    assert_eq!(
        second["errors"][0]["message"],
        "host: TAXI_PASSENGER already has a custom domain; add further hosts as aliases"
    );
    let alias = lab
        .app
        .gql(&lab.admin, "mutation { addCustomDomain(app: \"TAXI_DRIVER\", host: \"two.example\", alias: true) { id } }", json!({}))
        .await;
    assert_eq!(alias["errors"][0]["extensions"]["field"], "alias");

    // A week later (here: now), the claim has lapsed: gone from the list, not verifiable.
    domain_claim::Entity::update_many()
        .col_expr(
            domain_claim::Column::ExpiresAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::seconds(1)),
        )
        .exec(&lab.app.db)
        .await
        .unwrap();
    let listed = lab
        .app
        .gql(&lab.admin, "{ domains { host kind } }", json!({}))
        .await;
    assert!(!listed.to_string().contains("one.example"), "{listed}");
    // Each app's system host leads its hosts.
    let hosts = listed["data"]["domains"].as_array().unwrap();
    let passenger: Vec<_> = hosts
        .iter()
        .filter(|d| d["host"].as_str().unwrap().contains("-rides."))
        .collect();
    assert_eq!(passenger[0]["kind"], "SYSTEM", "{listed}");
    let body = lab
        .app
        .gql(
            &lab.admin,
            "mutation($id: ID!) { verifyCustomDomain(id: $id) { verified } }",
            json!({ "id": first["id"] }),
        )
        .await;
    assert_eq!(error_code(&body), "NOT_FOUND");
    // And the app is free for a new custom domain.
    assert!(lab.add("two.example", false).await["id"].is_string());
}
