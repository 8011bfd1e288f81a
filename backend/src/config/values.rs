//! How settings are written: durations as whole seconds or milliseconds (the unit is in the key's
//! name), lists as lists or as comma-separated text (what an environment variable can hold).

use std::fmt::Display;
use std::str::FromStr;
use std::time::Duration;

use serde::de::Error;
use serde::{Deserialize, Deserializer};

pub(super) fn secs<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    u64::deserialize(deserializer).map(Duration::from_secs)
}

pub(super) fn millis<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    u64::deserialize(deserializer).map(Duration::from_millis)
}

/// A list, or one text of comma-separated items (`10.0.0.0/8,192.168.0.0/16`).
pub(super) fn list<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: Display,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Written {
        List(Vec<String>),
        Text(String),
    }
    let items = match Written::deserialize(deserializer)
        .map_err(|_| D::Error::custom("expected a list of text, or comma-separated text"))?
    {
        Written::List(items) => items,
        Written::Text(text) => text
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(str::to_owned)
            .collect(),
    };
    items
        .iter()
        .map(|item| {
            item.parse()
                .map_err(|e| D::Error::custom(format!("'{item}': {e}")))
        })
        .collect()
}
