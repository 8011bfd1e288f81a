//! Invitations arrive: `inviteAccount` and `provisionTenant` mail the invitee, in the tenant's
//! name, the console's address (as the inviter reached the server) and no secret;
//! `resendInvitation` mails a pending invitation again, within the address's mail budget.

use serde_json::{Value, json};
use tenantry::entities::account::Role;
use tenantry::entities::api_key::KeyKind;

use crate::helpers::{
    Backend, Credential, TestApp, db_tests, error_code, eventually, spawn_app_with,
};
use crate::identity::sign_in_by_code;
use crate::smtp_sink::SmtpSink;

db_tests!(
    many_invitations_in_one_request_cannot_flood_a_mailbox,
    an_invitation_arrives_with_the_consoles_address_and_no_secret,
    a_pending_invitation_can_be_sent_again_and_an_accepted_one_not,
    a_new_tenants_first_admin_is_invited_by_mail,
);

const INVITE: &str = "mutation($email: String!, $role: Role!) { inviteAccount(email: $email, role: $role) { id status } }";
const RESEND: &str = "mutation($id: ID!) { resendInvitation(id: $id) { id email status } }";

async fn app(backend: Backend, address_per_minute: u32) -> (TestApp, SmtpSink) {
    let sink = SmtpSink::start().await;
    let url = sink.url();
    let app = spawn_app_with(backend, move |config| {
        config.mail.smtp_url = Some(url);
        config.limits.address_per_minute = address_per_minute;
    })
    .await;
    (app, sink)
}

/// An ADMIN secret key of a new tenant `slug`.
async fn admin_of(app: &TestApp, slug: &str) -> Credential {
    let tenant = app.provision(slug, "Acme Mobility").await.tenant;
    let (_, secret) = app
        .api_key(tenant.id, KeyKind::Secret, Some(Role::Admin), None)
        .await;
    Credential::Key(secret)
}

/// The messages delivered to `address`, once there are `count`.
async fn mail_to(sink: &SmtpSink, address: &str, count: usize) -> Vec<String> {
    eventually("the invitation is delivered", || async {
        sink.to(address).len() >= count
    })
    .await;
    sink.to(address)
        .into_iter()
        .map(|m| m.data.replace("=\r\n", "").replace("=3D", "="))
        .collect()
}

async fn an_invitation_arrives_with_the_consoles_address_and_no_secret(backend: Backend) {
    let (app, sink) = app(backend, 10).await;
    let admin = admin_of(&app, "acme").await;
    let invited = app
        .gql(
            &admin,
            INVITE,
            json!({ "email": "dana@example.com", "role": "ADMIN" }),
        )
        .await;
    assert_eq!(
        invited["data"]["inviteAccount"]["status"], "INVITED",
        "{invited}"
    );
    let mail = mail_to(&sink, "dana@example.com", 1).await.remove(0);
    assert!(
        mail.contains("Subject: You are invited to Acme Mobility"),
        "{mail}"
    );
    assert!(mail.contains("as an admin"), "{mail}");
    // The console of the tenant, on the port the inviter reached the server on.
    let console = format!("http://acme-admin.localhost:{}/", app.addr.port());
    assert!(mail.contains(&console), "no link to {console} in:\n{mail}");
    // No secret travels: nothing that looks like a code or a token.
    assert!(
        !mail.lines().any(|line| {
            let line = line.trim();
            (line.len() == 6 && line.bytes().all(|b| b.is_ascii_digit()))
                || line.contains("btk_")
                || line.contains("brt_")
        }),
        "{mail}"
    );

    // The invitee signs in on that console with a code, and is a member from then on.
    let host = app.host("acme", "ADMIN_CONSOLE");
    let tokens = sign_in_by_code(&app, &sink, &host, "dana@example.com").await;
    let viewer = app
        .gql(
            &Credential::Bearer(tokens["access_token"].as_str().unwrap().into()),
            "{ viewer { role } }",
            json!({}),
        )
        .await;
    assert_eq!(viewer["data"]["viewer"]["role"], "ADMIN");
    let accounts = app
        .gql(&admin, "{ accounts { email status } }", json!({}))
        .await;
    let dana = accounts["data"]["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["email"] == "dana@example.com")
        .cloned();
    assert_eq!(dana.unwrap()["status"], "ACTIVE");
}

async fn a_pending_invitation_can_be_sent_again_and_an_accepted_one_not(backend: Backend) {
    let (app, sink) = app(backend, 4).await;
    let admin = admin_of(&app, "acme").await;
    let invited = app
        .gql(
            &admin,
            INVITE,
            json!({ "email": "sam@example.com", "role": "MEMBER" }),
        )
        .await;
    let id = invited["data"]["inviteAccount"]["id"].clone();
    mail_to(&sink, "sam@example.com", 1).await;

    let again = app.gql(&admin, RESEND, json!({ "id": id })).await;
    assert_eq!(
        again["data"]["resendInvitation"]["status"], "INVITED",
        "{again}"
    );
    let mails = mail_to(&sink, "sam@example.com", 2).await;
    assert!(mails[1].contains("as a member"), "{}", mails[1]);
    let audit = app
        .gql(
            &admin,
            "{ auditEvents(first: 20) { nodes { kind detail } } }",
            json!({}),
        )
        .await;
    assert!(
        audit["data"]["auditEvents"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "account.invitation_resent"),
        "{audit}"
    );

    // Attack: many resends released together cannot flood the address. The invitation and the
    // first resend spent two of its four mails a minute; twenty more get two through.
    let requests = (0..20).map(|_| {
        let (client, url, key, id) = (
            app.client.clone(),
            app.url("/graphql"),
            match &admin {
                Credential::Key(key) => key.clone(),
                _ => unreachable!(),
            },
            id.clone(),
        );
        tokio::spawn(async move {
            let body: Value = client
                .post(url)
                .header("x-api-key", key)
                .json(&json!({ "query": RESEND, "variables": { "id": id } }))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            body
        })
    });
    let mut sent = 0;
    let mut limited = 0;
    for request in requests.collect::<Vec<_>>() {
        let body = request.await.unwrap();
        if body["errors"].is_null() {
            sent += 1;
        } else {
            assert_eq!(error_code(&body), "RATE_LIMITED", "{body}");
            limited += 1;
        }
    }
    assert_eq!((sent, limited), (2, 18));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(sink.to("sam@example.com").len(), 4);

    // Once accepted, there is nothing to resend.
    let (app2, sink2) = self::app(Backend::Sqlite, 10).await;
    let admin2 = admin_of(&app2, "globex").await;
    let invited = app2
        .gql(
            &admin2,
            INVITE,
            json!({ "email": "kim@example.com", "role": "MEMBER" }),
        )
        .await;
    let kim = invited["data"]["inviteAccount"]["id"].clone();
    mail_to(&sink2, "kim@example.com", 1).await;
    sign_in_by_code(
        &app2,
        &sink2,
        &app2.host("globex", "ADMIN_CONSOLE"),
        "kim@example.com",
    )
    .await;
    let refused = app2.gql(&admin2, RESEND, json!({ "id": kim })).await;
    assert_eq!(error_code(&refused), "BAD_USER_INPUT", "{refused}");
    // Another tenant's account is not found, and nothing is sent.
    let before = sink.messages().len();
    let foreign = app.gql(&admin, RESEND, json!({ "id": kim })).await;
    assert_eq!(error_code(&foreign), "NOT_FOUND", "{foreign}");
    assert_eq!(sink.messages().len(), before);
}

async fn a_new_tenants_first_admin_is_invited_by_mail(backend: Backend) {
    let (app, sink) = app(backend, 10).await;
    let main = tenantry::services::tenants::get(&app.db, "main")
        .await
        .unwrap();
    let (_, operator) = app
        .api_key(main.id, KeyKind::Secret, Some(Role::Operator), None)
        .await;
    let provisioned = app
        .gql(
            &Credential::Key(operator),
            "mutation { provisionTenant(slug: \"initech\", name: \"Initech\", adminEmail: \"boss@initech.example\") { admin { email status } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        provisioned["data"]["provisionTenant"]["admin"]["status"], "INVITED",
        "{provisioned}"
    );
    let mail = mail_to(&sink, "boss@initech.example", 1).await.remove(0);
    assert!(
        mail.contains("Subject: You are invited to Initech"),
        "{mail}"
    );
    let console = format!("http://initech-admin.localhost:{}/", app.addr.port());
    assert!(mail.contains(&console), "{mail}");
}

/// Attack: thirty aliased `inviteAccount`s in one request, each to another plus-address of one
/// mailbox, send no more than one address may get in a minute; the rest are RATE_LIMITED and
/// leave no account behind.
async fn many_invitations_in_one_request_cannot_flood_a_mailbox(backend: Backend) {
    let (app, sink) = app(backend, 4).await;
    let admin = admin_of(&app, "acme").await;
    let fields: String = (0..30)
        .map(|i| {
            format!(
                "i{i}: inviteAccount(email: \"victim+{i}@example.com\", role: MEMBER) {{ id }} "
            )
        })
        .collect();
    let body = app
        .gql(&admin, &format!("mutation {{ {fields} }}"), json!({}))
        .await;
    let invited = (0..30)
        .filter(|i| !body["data"][format!("i{i}")].is_null())
        .count();
    assert_eq!(invited, 4, "{body}");
    let errors = body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 26);
    assert!(
        errors
            .iter()
            .all(|e| e["extensions"]["code"] == "RATE_LIMITED"),
        "{body}"
    );
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let mailed = sink
        .messages()
        .iter()
        .filter(|m| m.data.contains("You are invited"))
        .count();
    assert_eq!(mailed, 4);
    let accounts = app.gql(&admin, "{ accounts { email } }", json!({})).await;
    assert_eq!(
        accounts["data"]["accounts"].as_array().unwrap().len(),
        4,
        "{accounts}"
    );
}
