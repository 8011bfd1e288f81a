//! `[tenancy.apps]`, the app catalog: which apps every tenant runs, and the host suffix of each.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::error::AppError;

/// The app whose hosts serve the console (`http::console`).
pub const ADMIN_CONSOLE: &str = "ADMIN_CONSOLE";

/// App catalog keys mapped to their system-subdomain suffix: `TAXI_PASSENGER` → `rides` gives
/// `acme-rides.example.io` to tenant `acme`. Configuration, not code, so it is checked at start-up.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct AppCatalog(BTreeMap<String, String>);

impl Default for AppCatalog {
    fn default() -> Self {
        Self(
            [
                ("TAXI_PASSENGER", "rides"),
                ("TAXI_DRIVER", "drive"),
                ("SHOP_CUSTOMER", "shop"),
                ("SHOP_VENDOR", "vendor"),
                ("PARKING_APP", "parking"),
                ("SERVICE_CUSTOMER", "service"),
                ("SERVICE_PROVIDER", "provider"),
                (ADMIN_CONSOLE, "admin"),
            ]
            .into_iter()
            .map(|(app, suffix)| (app.to_owned(), suffix.to_owned()))
            .collect(),
        )
    }
}

impl AppCatalog {
    /// Refuses a catalog whose keys are not `UPPER_SNAKE` or whose suffixes are not host labels.
    pub fn validated(self) -> Result<Self, String> {
        if self.0.is_empty() {
            return Err("the app catalog is empty".into());
        }
        for (app, suffix) in &self.0 {
            let key_ok = !app.is_empty()
                && app.len() <= 64
                && app
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
            if !key_ok {
                return Err(format!("app key '{app}' must be UPPER_SNAKE_CASE"));
            }
            let suffix_ok = !suffix.is_empty()
                && suffix.len() < 63
                && !suffix.starts_with('-')
                && !suffix.ends_with('-')
                && suffix
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !suffix_ok {
                return Err(format!(
                    "suffix '{suffix}' of app {app} is not a host label"
                ));
            }
        }
        Ok(self)
    }

    pub fn suffix(&self, app: &str) -> Option<&str> {
        self.0.get(app).map(String::as_str)
    }

    /// The app served on a host label equal to its suffix (`admin` → `ADMIN_CONSOLE`).
    pub fn app_with_suffix(&self, label: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(_, suffix)| *suffix == label)
            .map(|(app, _)| app.as_str())
    }

    pub fn apps(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    pub fn longest_suffix(&self) -> usize {
        self.0.values().map(String::len).max().unwrap_or(0)
    }

    /// The catalog key for `app`, or a `BAD_USER_INPUT` naming the field and the valid keys.
    pub fn check(&self, field: &str, app: &str) -> Result<String, AppError> {
        if self.0.contains_key(app) {
            Ok(app.to_owned())
        } else {
            let known: Vec<&str> = self.apps().collect();
            Err(AppError::invalid(
                field,
                format!("unknown app '{app}' (known: {})", known.join(", ")),
            ))
        }
    }
}
