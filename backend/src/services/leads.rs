//! Leads: contact-form submissions, stored for the tenant whose host received them.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbBackend,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::cache::live::LiveLeads;
use crate::db;
use crate::entities::lead;
use crate::error::{AppError, is_unique_violation};
use crate::services::text::is_invisible;
use crate::tenancy::context::TenantContext;
use crate::tenancy::host;
use crate::tenancy::resolver::HostTenant;

pub const MAX_EMAIL: usize = 255;
pub const MAX_NAME: usize = 100;
pub const MAX_SOURCE_PAGE: usize = 500;
pub const MAX_MESSAGE: usize = 10_000;
const MAX_IDEMPOTENCY_KEY: usize = 255;

/// A contact form as sent; every field optional here so that a missing one gets its own message.
#[derive(Debug, Default, Deserialize)]
pub struct ContactForm {
    /// The sender's address.
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub message: Option<String>,
    /// The page the form was sent from.
    pub source_page: Option<String>,
}

/// A stored lead, and whether it was stored by an earlier request with the same idempotency key.
pub struct Captured {
    pub lead: lead::Model,
    pub replayed: bool,
}

/// Stores a lead for the host's tenant and app. With an idempotency key, a retry of the same form
/// answers the lead the first attempt stored; the same key with another form is a conflict.
#[tracing::instrument(skip_all, fields(tenant = %host.tenant.slug()))]
pub async fn capture(
    db: &impl ConnectionTrait,
    live: &LiveLeads,
    host: &HostTenant,
    form: ContactForm,
    idempotency_key: Option<&str>,
) -> Result<Captured, AppError> {
    if let Some(key) = idempotency_key {
        check_idempotency_key(key)?;
    }
    let form = validate(form)?;
    let request_hash = idempotency_key.map(|_| request_hash(host, &form));
    let inserted = lead::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(host.tenant.id()),
        app: Set(host.app.clone()),
        email: Set(form.email),
        first_name: Set(form.first_name),
        last_name: Set(form.last_name),
        message: Set(form.message),
        source_page: Set(form.source_page),
        host: Set(host.host.clone()),
        idempotency_key: Set(idempotency_key.map(str::to_owned)),
        request_hash: Set(request_hash.clone()),
        created_at: Set(db::now()),
    }
    .insert(db)
    .await;
    match (inserted, idempotency_key) {
        (Ok(lead), _) => {
            // Subscribers hear of a lead once; a replay announces nothing.
            live.announce(db, &lead).await;
            Ok(Captured {
                lead,
                replayed: false,
            })
        }
        (Err(err), Some(key)) if is_unique_violation(&err) => {
            replay(db, &host.tenant, key, request_hash.as_deref()).await
        }
        (Err(err), _) => Err(err.into()),
    }
}

/// Which leads to list.
#[derive(Debug, Default)]
pub struct LeadFilter {
    pub app: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub email: Option<String>,
    /// Any part of the email address, first or last name, compared lower-case.
    pub search: Option<String>,
}

/// The longest `search` text: it is compared with every lead of the tenant.
const MAX_SEARCH: usize = 100;

/// One page of a tenant's leads, newest first, after the lead `after` (a cursor from a previous
/// page); and whether more follow.
pub async fn page(
    db: &impl ConnectionTrait,
    tenant: &TenantContext,
    filter: &LeadFilter,
    first: u64,
    after: Option<Uuid>,
) -> Result<(Vec<lead::Model>, bool), AppError> {
    let mut query = lead::Entity::find().filter(lead::Column::TenantId.eq(tenant.id()));
    if let Some(app) = &filter.app {
        query = query.filter(lead::Column::App.eq(app));
    }
    if let Some(since) = filter.since {
        query = query.filter(lead::Column::CreatedAt.gte(since));
    }
    if let Some(email) = &filter.email {
        query = query.filter(lead::Column::Email.eq(email.trim()));
    }
    if let Some(search) = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        if search.chars().count() > MAX_SEARCH {
            return Err(AppError::invalid(
                "search",
                format!("must be at most {MAX_SEARCH} characters"),
            ));
        }
        query = query.filter(containing(search));
    }
    // Ids are UUIDv7: ordered by creation time, unique, so they page without gaps or repeats.
    if let Some(after) = after {
        query = query.filter(lead::Column::Id.lt(after));
    }
    super::page_of(db, query.order_by_desc(lead::Column::Id), first).await
}

/// Leads whose address or name holds `text`, whatever its case. `%`, `_` and a backslash in `text`
/// match themselves.
fn containing(text: &str) -> Condition {
    let mut pattern = String::from("%");
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    [
        lead::Column::Email,
        lead::Column::FirstName,
        lead::Column::LastName,
    ]
    .into_iter()
    .fold(Condition::any(), |any, column| {
        any.add(
            Expr::expr(Func::lower(Expr::col(column)))
                .like(LikeExpr::new(pattern.clone()).escape('\\')),
        )
    })
}

/// Lead `id` of `tenant`; another tenant's lead is not found, never shown.
pub async fn get(
    db: &impl ConnectionTrait,
    tenant: &TenantContext,
    id: Uuid,
) -> Result<lead::Model, AppError> {
    lead::Entity::find_by_id(id)
        .filter(lead::Column::TenantId.eq(tenant.id()))
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("lead not found".into()))
}

/// The lead an earlier request with `key` stored, if it asked for the same thing.
async fn replay(
    db: &impl ConnectionTrait,
    tenant: &TenantContext,
    key: &str,
    request_hash: Option<&str>,
) -> Result<Captured, AppError> {
    let earlier = lead::Entity::find()
        .filter(lead::Column::TenantId.eq(tenant.id()))
        .filter(lead::Column::IdempotencyKey.eq(key))
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal("idempotency key conflicted, yet no lead holds it"))?;
    if earlier.request_hash.as_deref() != request_hash {
        return Err(AppError::Conflict(
            "Idempotency-Key was already used for a different request".into(),
        ));
    }
    Ok(Captured {
        lead: earlier,
        replayed: true,
    })
}

fn check_idempotency_key(key: &str) -> Result<(), AppError> {
    let visible = key.bytes().all(|b| b.is_ascii_graphic());
    if key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY || !visible {
        return Err(AppError::BadRequest(format!(
            "Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} visible ASCII characters"
        )));
    }
    Ok(())
}

/// A form whose every field passed its rule, trimmed, with blanks as `None`.
#[derive(serde::Serialize)]
struct ValidForm {
    email: String,
    first_name: Option<String>,
    last_name: Option<String>,
    message: Option<String>,
    source_page: Option<String>,
}

fn validate(form: ContactForm) -> Result<ValidForm, AppError> {
    let email = optional("email", form.email, MAX_EMAIL)?
        .ok_or_else(|| AppError::invalid("email", "is required"))?;
    Ok(ValidForm {
        email: normalise_email(&email)
            .ok_or_else(|| AppError::invalid("email", "is not a valid email address"))?,
        first_name: optional("first_name", form.first_name, MAX_NAME)?,
        last_name: optional("last_name", form.last_name, MAX_NAME)?,
        message: optional("message", form.message, MAX_MESSAGE)?,
        source_page: optional("source_page", form.source_page, MAX_SOURCE_PAGE)?,
    })
}

fn optional(field: &str, value: Option<String>, max: usize) -> Result<Option<String>, AppError> {
    let Some(value) = value else { return Ok(None) };
    let value = value.trim();
    if value.chars().count() > max {
        return Err(AppError::invalid(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(AppError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok((!value.is_empty()).then(|| value.to_owned()))
}

/// A pragmatic address check: one `@`, a plain local part (RFC 5321 §4.5.3.1.1: at most 64
/// octets), and a domain that is a DNS name with at least two labels, stored in its ASCII form.
pub fn normalise_email(email: &str) -> Option<String> {
    let (local, domain) = email.rsplit_once('@')?;
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.chars().all(|c| {
            !c.is_whitespace()
                && !c.is_control()
                && !is_invisible(c)
                && !"@\"(),:;<>[\\]".contains(c)
        });
    let domain = host::normalise_name(domain).ok()?;
    (local_ok && domain.contains('.')).then(|| format!("{local}@{domain}"))
}

/// What an idempotent retry must repeat exactly: the app it was sent to and the validated form.
fn request_hash(host: &HostTenant, form: &ValidForm) -> String {
    let canonical = serde_json::to_vec(&(&host.app, form)).unwrap_or_default();
    hex::encode(Sha256::digest(&canonical))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_addresses() {
        assert_eq!(
            normalise_email("Ana@Example.COM").as_deref(),
            Some("Ana@example.com")
        );
        assert_eq!(
            normalise_email("ana@bücher.example").as_deref(),
            Some("ana@xn--bcher-kva.example")
        );
        for bad in [
            "",
            "ana",
            "@example.com",
            "ana@",
            "ana@localhost",
            "a b@example.com",
            "ana@exa mple.com",
            "ana..b@example.com",
            "<a>@example.com",
            "ad\u{AD}min@example.com",
            "admin\u{200B}@example.com",
            "\u{202E}nimda@example.com",
        ] {
            assert_eq!(normalise_email(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn each_field_is_checked_with_its_name() {
        let long = |n: usize| Some("x".repeat(n));
        let base = || ContactForm {
            email: Some("a@example.com".into()),
            ..Default::default()
        };
        let cases = [
            (ContactForm::default(), "email: is required"),
            (
                ContactForm {
                    email: Some("   ".into()),
                    ..Default::default()
                },
                "email: is required",
            ),
            (
                ContactForm {
                    email: Some("nope".into()),
                    ..Default::default()
                },
                "email: is not a valid email address",
            ),
            (
                ContactForm {
                    first_name: long(101),
                    ..base()
                },
                "first_name: must be at most 100 characters",
            ),
            (
                ContactForm {
                    last_name: long(101),
                    ..base()
                },
                "last_name: must be at most 100 characters",
            ),
            (
                ContactForm {
                    source_page: long(501),
                    ..base()
                },
                "source_page: must be at most 500 characters",
            ),
            (
                ContactForm {
                    message: long(10_001),
                    ..base()
                },
                "message: must be at most 10000 characters",
            ),
            (
                ContactForm {
                    first_name: Some("a\u{0}b".into()),
                    ..base()
                },
                "first_name: must not contain control characters",
            ),
        ];
        for (form, expected) in cases {
            let err = validate(form).err().expect("refused");
            assert_eq!(err.to_string(), expected);
        }
        assert!(
            validate(ContactForm {
                message: long(10_000),
                first_name: long(100),
                ..base()
            })
            .is_ok()
        );
    }

    #[test]
    fn idempotency_keys() {
        assert!(check_idempotency_key("order-123_ABC").is_ok());
        assert!(check_idempotency_key("").is_err());
        assert!(check_idempotency_key("has space").is_err());
        assert!(check_idempotency_key(&"k".repeat(256)).is_err());
    }
}

/// The most days [`per_day`] looks back over.
pub const MAX_DAYS: u32 = 90;

/// How many leads one app received on one day (UTC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayCount {
    pub day: NaiveDate,
    pub app: Option<String>,
    pub leads: u64,
}

/// The tenant's leads counted by UTC day and app over the last `days` days, today included, oldest
/// first; days without leads are left out. Counted by the database, so the overview's chart costs
/// one grouped query whatever the volume.
pub async fn per_day(
    db: &impl ConnectionTrait,
    tenant: &TenantContext,
    days: u32,
    now: DateTime<Utc>,
) -> Result<Vec<DayCount>, AppError> {
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(AppError::invalid(
            "days",
            format!("must be between 1 and {MAX_DAYS}"),
        ));
    }
    let first_day = now.date_naive() - chrono::Days::new(u64::from(days - 1));
    let since = first_day.and_time(NaiveTime::MIN).and_utc();
    // The UTC calendar day of `created_at` as `YYYY-MM-DD`, in each database's own words.
    let day = || match db.get_database_backend() {
        DbBackend::Postgres => Expr::cust("to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')"),
        _ => Expr::cust("date(created_at)"),
    };
    let rows: Vec<(String, Option<String>, i64)> = lead::Entity::find()
        .select_only()
        .column_as(day(), "day")
        .column(lead::Column::App)
        .column_as(lead::Column::Id.count(), "leads")
        .filter(lead::Column::TenantId.eq(tenant.id()))
        .filter(lead::Column::CreatedAt.gte(since))
        .group_by(day())
        .group_by(lead::Column::App)
        .order_by_asc(day())
        .order_by_asc(lead::Column::App)
        .into_tuple()
        .all(db)
        .await?;
    rows.into_iter()
        .map(|(day, app, leads)| {
            let day = NaiveDate::parse_from_str(&day, "%Y-%m-%d")
                .map_err(|_| AppError::internal("the database gave a day that is not a date"))?;
            Ok(DayCount {
                day,
                app,
                leads: u64::try_from(leads).unwrap_or_default(),
            })
        })
        .collect()
}
