//! The one list of what needs a recent step-up (`POST /auth/elevate`): everything that adds a way
//! into an account or a tenant, or removes a defender. A token left in a browser or lifted from a
//! log may read, but it cannot plant a passkey, mint a key, invite an admin or open sign-up.
//!
//! Every GraphQL mutation is on one side of this list: [`MUTATIONS`] or [`EXEMPT_MUTATIONS`], each
//! exemption with its reason. A test walks the schema's SDL and fails on a mutation in neither, so
//! a new mutation cannot forget to choose. The GraphQL side is enforced for the whole `Mutation`
//! type in one place (`graphql::step_up`); the REST actions call [`require`].

use crate::auth::principal::Principal;
use crate::error::AppError;

/// GraphQL mutations that need a recent step-up when a person calls them.
pub const MUTATIONS: &[&str] = &[
    "addCustomDomain",
    "createApiKey",
    "inviteAccount",
    "removeAccount",
    "removeCustomDomain",
    "removePasskey",
    "revokeApiKey",
    "setAccountRole",
    "setTenantRateLimit",
    "setTenantStatus",
    "updateAppLinks",
    "updateTenantSettings",
];

/// GraphQL mutations that need no step-up, and why.
pub const EXEMPT_MUTATIONS: &[(&str, &str)] = &[
    (
        "provisionTenant",
        "creates a new tenant and its first admin; it opens no way into an existing tenant",
    ),
    (
        "resendInvitation",
        "mails a pending invitation again; it grants nothing the stepped-up inviteAccount did not",
    ),
    (
        "revokeSession",
        "only ends the caller's own sessions; a person must be able to end a thief's session at once",
    ),
    (
        "updateBranding",
        "changes how the apps look; it grants no access and removes no defence",
    ),
    (
        "verifyCustomDomain",
        "only runs the checks of a claim that a stepped-up addCustomDomain made",
    ),
];

/// REST actions that need a recent step-up, named as their routes.
pub const REST_ACTIONS: &[&str] = &["POST /auth/passkey/register/start"];

/// The machine-readable reason of the refusal, for clients that then step up and retry.
pub const ELEVATION_REQUIRED: &str = "ELEVATION_REQUIRED";

/// Whether the GraphQL mutation `name` needs a step-up.
pub fn mutation_needs_step_up(name: &str) -> bool {
    MUTATIONS.contains(&name)
}

/// Passes API keys (a machine has nothing to re-prove; keys are made with a step-up) and people
/// whose token carries an unexpired elevation; refuses other people with `ELEVATION_REQUIRED`.
pub fn require(principal: &Principal) -> Result<(), AppError> {
    let is_person = principal.account_id.is_some();
    let elevated = principal
        .elevation
        .as_ref()
        .is_some_and(|e| e.expires_at > crate::db::now());
    if is_person && !elevated {
        return Err(AppError::Forbidden {
            message: "this change needs a recent step-up: POST /auth/elevate, then retry with the new token".into(),
            reason: Some(ELEVATION_REQUIRED),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::principal::Elevation;

    fn person(elevation: Option<Elevation>) -> Principal {
        Principal {
            account_id: Some(uuid::Uuid::now_v7()),
            elevation,
            ..Principal::default()
        }
    }

    #[test]
    fn people_need_an_unexpired_elevation() {
        assert!(require(&person(None)).is_err());
        let expired = Elevation {
            jti: "x".into(),
            expires_at: crate::db::now() - chrono::Duration::seconds(1),
        };
        assert!(require(&person(Some(expired))).is_err());
        let fresh = Elevation {
            jti: "x".into(),
            expires_at: crate::db::now() + chrono::Duration::seconds(60),
        };
        assert!(require(&person(Some(fresh))).is_ok());
        // A key names no account.
        assert!(require(&Principal::default()).is_ok());
    }

    #[test]
    fn no_mutation_is_on_both_sides() {
        for (name, reason) in EXEMPT_MUTATIONS {
            assert!(!mutation_needs_step_up(name), "{name} is on both lists");
            assert!(!reason.is_empty(), "{name} is exempt without a reason");
        }
    }
}
