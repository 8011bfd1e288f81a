//! Invitations: a person added to a tenant (by an admin, or as the first admin of a new tenant)
//! hears of it by mail, in the tenant's name, with the address of the tenant's console.
//!
//! The mail carries no secret: the invitee signs in on the console with a code sent to the
//! invited address, so a forwarded or intercepted invitation opens nothing. Mail to one address
//! shares the sign-in mail budget of that address (`limits.address_per_minute`), which the caller
//! spends before asking for a mail here.

use sea_orm::{ConnectionTrait, TransactionTrait};
use uuid::Uuid;

use crate::config::apps::ADMIN_CONSOLE;
use crate::entities::account::{self, AccountStatus, Role};
use crate::error::AppError;
use crate::services::audit::{self, Actor};
use crate::services::mail::{self, Mailer};
use crate::services::{accounts, domains};
use crate::tenancy::context::TenantContext;
use crate::tenancy::resolver::HostTenant;

/// How the person who acted reached the server: the invitation's link is written the same way,
/// so a console on `http://…:8080` (the demo) links to `http://…:8080` and one behind TLS to
/// `https://…`.
#[derive(Clone, Copy, Debug)]
pub struct PublicOrigin {
    pub scheme: &'static str,
    pub port: Option<u16>,
}

impl PublicOrigin {
    /// `scheme://host[:port]/`, the port left out where it is the scheme's own.
    pub fn url(&self, host: &str) -> String {
        match (self.scheme, self.port) {
            (_, None) | ("https", Some(443)) | ("http", Some(80)) => {
                format!("{}://{host}/", self.scheme)
            }
            (scheme, Some(port)) => format!("{scheme}://{host}:{port}/"),
        }
    }
}

/// Adds `email` to `tenant` as `role`, invited, and mails them the invitation.
pub async fn invite<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    mailer: &Mailer,
    tenant: &TenantContext,
    invitation: Invitation<'_>,
    email: &str,
    role: Role,
) -> Result<account::Model, AppError> {
    let account = accounts::invite(db, tenant, email, role, invitation.actor).await?;
    send(db, mailer, tenant, &invitation, &account).await?;
    Ok(account)
}

/// Mails the invitation of account `id` again, while it is still pending.
pub async fn resend<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    mailer: &Mailer,
    tenant: &TenantContext,
    invitation: Invitation<'_>,
    id: Uuid,
) -> Result<account::Model, AppError> {
    let account = accounts::get(db, tenant, id).await?;
    if account.status != AccountStatus::Invited {
        return Err(AppError::BadRequest(format!(
            "{} has already accepted the invitation",
            account.email
        )));
    }
    let detail = format!("the invitation of {} was sent again", account.email);
    audit::record(
        db,
        tenant,
        invitation.actor,
        "account.invitation_resent",
        detail,
    )
    .await?;
    send(db, mailer, tenant, &invitation, &account).await?;
    Ok(account)
}

/// Who invites, and how they reached the server.
pub struct Invitation<'a> {
    pub actor: &'a Actor,
    /// The inviter's address, named in the mail; `None` for the platform (an operator's CLI).
    pub inviter: Option<&'a str>,
    pub origin: PublicOrigin,
}

/// The invitation of `account` to `tenant`'s console, in the tenant's name and the console's
/// colours.
pub async fn send(
    db: &impl ConnectionTrait,
    mailer: &Mailer,
    tenant: &TenantContext,
    invitation: &Invitation<'_>,
    account: &account::Model,
) -> Result<(), AppError> {
    let console = domains::verified_hosts(db, tenant, ADMIN_CONSOLE)
        .await?
        .into_iter()
        .next();
    let who = invitation.inviter.unwrap_or("An administrator");
    let role = match account.role {
        Role::Operator => "an operator",
        Role::Admin => "an admin",
        Role::Member => "a member",
        Role::User => "a user",
    };
    let mut paragraphs = vec![format!(
        "{who} invited you to {}'s console as {role}.",
        tenant.name()
    )];
    paragraphs.push(match &console {
        Some(host) => format!(
            "Sign in at {} with this address ({}): we will email you a code. No password is needed.",
            invitation.origin.url(host),
            account.email
        ),
        None => format!(
            "Sign in on {}'s console with this address ({}); your administrator will tell you where it is.",
            tenant.name(),
            account.email
        ),
    });
    paragraphs.push("If you did not expect this, you can ignore this message.".to_owned());
    let host = HostTenant {
        tenant: tenant.clone(),
        app: Some(ADMIN_CONSOLE.to_owned()),
        host: console.unwrap_or_default(),
    };
    let subject = |name: &str| format!("You are invited to {name}");
    mail::send_branded(
        db,
        mailer,
        &host,
        account.email.clone(),
        subject,
        &paragraphs,
        "",
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keep_a_port_that_is_not_the_schemes_own() {
        let origin = |scheme, port| PublicOrigin { scheme, port };
        let host = "acme-admin.example.io";
        assert_eq!(
            origin("https", None).url(host),
            "https://acme-admin.example.io/"
        );
        assert_eq!(
            origin("https", Some(443)).url(host),
            "https://acme-admin.example.io/"
        );
        assert_eq!(
            origin("http", Some(80)).url(host),
            "http://acme-admin.example.io/"
        );
        assert_eq!(
            origin("http", Some(8080)).url(host),
            "http://acme-admin.example.io:8080/"
        );
        assert_eq!(
            origin("https", Some(80)).url(host),
            "https://acme-admin.example.io:80/"
        );
    }
}
