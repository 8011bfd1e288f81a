//! Outgoing mail: SMTP when `SMTP_URL` is set, else the `outbox` table (read it with
//! `tenantry outbox list`), so sign-in works with no mail server at all.

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::config::Config;
use crate::db;
use crate::entities::outbox_message;
use crate::error::AppError;
use crate::services::branding::{self, BrandingFields};
use crate::tenancy::context::PlatformContext;
use crate::tenancy::resolver::HostTenant;

pub enum Mailer {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        from: Mailbox,
    },
    /// Kept in the `outbox` table; with `echo`, also printed to stdout (the demo, where the
    /// person running it is the one waiting for the code).
    Outbox { echo: bool },
}

/// One message, in words and in the tenant's colours.
pub struct Mail {
    pub tenant_id: Uuid,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl Mailer {
    pub fn from_config(config: &Config, echo: bool) -> Result<Self, AppError> {
        let Some(url) = &config.mail.smtp_url else {
            return Ok(Mailer::Outbox { echo });
        };
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| AppError::internal(format!("SMTP_URL is not usable: {e}")))?
            .build();
        let from = config
            .mail
            .from
            .parse()
            .map_err(|e| AppError::internal(format!("mail.from is not an address: {e}")))?;
        Ok(Mailer::Smtp { transport, from })
    }

    /// Sends (or keeps) `mail`. Logs the recipient and subject, never the body: it holds secrets.
    pub async fn send(&self, db: &impl ConnectionTrait, mail: Mail) -> Result<(), AppError> {
        match self {
            Mailer::Outbox { echo } => {
                if *echo {
                    println!(
                        "\n--- mail to {} ---\nSubject: {}\n\n{}",
                        mail.to, mail.subject, mail.text
                    );
                }
                outbox_message::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    tenant_id: Set(mail.tenant_id),
                    recipient: Set(mail.to.clone()),
                    subject: Set(mail.subject.clone()),
                    body: Set(mail.text),
                    created_at: Set(db::now()),
                }
                .insert(db)
                .await?;
                tracing::info!(to = %mail.to, subject = %mail.subject, "mail queued in the outbox");
            }
            Mailer::Smtp { transport, from } => {
                let to: Mailbox = mail
                    .to
                    .parse()
                    .map_err(|e| AppError::internal(format!("recipient is not an address: {e}")))?;
                let message = Message::builder()
                    .from(from.clone())
                    .to(to)
                    .subject(&mail.subject)
                    .multipart(MultiPart::alternative_plain_html(mail.text, mail.html))
                    .map_err(AppError::internal)?;
                transport.send(message).await.map_err(AppError::internal)?;
                tracing::info!(to = %mail.to, subject = %mail.subject, "mail sent");
            }
        }
        Ok(())
    }
}

/// Mails `to` a message in the host's tenant's name and its app's colours, with `highlight` (a
/// code or a token) set apart.
pub async fn send_branded(
    db: &impl ConnectionTrait,
    mailer: &Mailer,
    host: &HostTenant,
    to: String,
    subject: impl FnOnce(&str) -> String,
    paragraphs: &[String],
    highlight: &str,
) -> Result<(), AppError> {
    let look = branding::effective(db, &host.tenant, host.app.as_deref()).await?;
    let name = look
        .display_name
        .clone()
        .unwrap_or_else(|| host.tenant.name().to_owned());
    let (subject, text, html) = branded(
        host.tenant.name(),
        &look,
        subject(&name),
        paragraphs,
        highlight,
    );
    let mail = Mail {
        tenant_id: host.tenant.id(),
        to,
        subject,
        text,
        html,
    };
    mailer.send(db, mail).await
}

/// Tells `to` of a change to their account (a passkey added, a password changed), in the host's
/// tenant's name: the person learns of it even when someone else made it.
pub async fn send_notice(
    db: &impl ConnectionTrait,
    mailer: &Mailer,
    host: &HostTenant,
    to: String,
    subject: &str,
    paragraphs: &[String],
) -> Result<(), AppError> {
    let subject = subject.to_owned();
    send_branded(db, mailer, host, to, |_| subject, paragraphs, "").await
}

/// How long a message stays in the outbox: as long as what it can carry stays valid (a sign-in
/// code or a reset token), and never more than a day.
pub fn outbox_lifetime(config: &Config) -> std::time::Duration {
    config
        .sign_in
        .otp_ttl
        .max(config.sign_in.password_reset_ttl)
        .min(std::time::Duration::from_secs(24 * 3600))
}

/// Deletes outbox messages older than `lifetime`; answers how many went.
pub async fn delete_expired(
    db: &impl ConnectionTrait,
    _: &PlatformContext,
    lifetime: std::time::Duration,
) -> Result<u64, AppError> {
    let lifetime = chrono::Duration::from_std(lifetime).map_err(AppError::internal)?;
    let deleted = outbox_message::Entity::delete_many()
        .filter(outbox_message::Column::CreatedAt.lt(db::now() - lifetime))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected)
}

/// The newest messages in the outbox.
pub async fn outbox(
    db: &impl ConnectionTrait,
    _: &PlatformContext,
    limit: u64,
) -> Result<Vec<outbox_message::Model>, AppError> {
    Ok(outbox_message::Entity::find()
        .order_by_desc(outbox_message::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// A message from the tenant, in its name and colours: a heading, paragraphs, and one
/// highlighted value (the code or token).
pub fn branded(
    tenant_name: &str,
    branding: &BrandingFields,
    subject: String,
    paragraphs: &[String],
    highlight: &str,
) -> (String, String, String) {
    let name = branding.display_name.as_deref().unwrap_or(tenant_name);
    let primary = branding.primary_color.as_deref().unwrap_or("#111111");
    let background = branding.background_color.as_deref().unwrap_or("#ffffff");
    let text_color = branding.text_color.as_deref().unwrap_or("#111111");
    let text = match highlight {
        "" => format!("{name}\n\n{}\n", paragraphs.join("\n\n")),
        _ => format!("{name}\n\n{}\n\n    {highlight}\n", paragraphs.join("\n\n")),
    };
    let highlighted = match highlight {
        "" => String::new(),
        _ => format!(
            "<p style=\"font-size:24px;letter-spacing:4px;color:{primary}\"><strong>{}</strong></p>",
            escape(highlight)
        ),
    };
    let body: String = paragraphs
        .iter()
        .map(|p| format!("<p>{}</p>", escape(p)))
        .collect();
    let html = format!(
        "<!doctype html><html><body style=\"background:{background};color:{text_color};font-family:sans-serif\">\
         <h1 style=\"color:{primary}\">{}</h1>{body}{highlighted}</body></html>",
        escape(name),
    );
    (subject, text, html)
}

/// HTML-escapes text a tenant or a visitor controls.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_text_is_escaped_in_html() {
        let branding = BrandingFields {
            display_name: Some("<script>x</script>".into()),
            primary_color: Some("#123456".into()),
            ..Default::default()
        };
        let (_, text, html) = branded(
            "Acme",
            &branding,
            "s".into(),
            &["Hi & bye".into()],
            "123456",
        );
        assert!(html.contains("&lt;script&gt;") && !html.contains("<script>"));
        assert!(html.contains("Hi &amp; bye") && html.contains("#123456"));
        assert!(text.contains("123456"));
    }
}
