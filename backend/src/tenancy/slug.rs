//! Tenant slugs: the `acme` in `acme-rides.example.io`.

/// Checks a slug against the host-label rules (RFC 1123 §2.1) and the reserved names, given the
/// longest length that still leaves room for `-{suffix}` in a 63-octet label.
///
/// Returns what is wrong, in words, for a `BAD_USER_INPUT` on the `slug` field.
pub fn check(slug: &str, max_len: usize, reserved: &[String]) -> Result<(), String> {
    if slug.is_empty() {
        return Err("must not be empty".into());
    }
    if slug.len() > max_len {
        return Err(format!("must be at most {max_len} characters"));
    }
    if !slug
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err("may contain only lower-case letters, digits and hyphens".into());
    }
    if slug.starts_with('-') || slug.ends_with('-') {
        return Err("must start and end with a letter or digit".into());
    }
    // `xn--` and its kin: a hyphen pair in positions 3–4 marks an encoded label (RFC 5891 §4.2.3.1).
    if slug.get(2..4) == Some("--") {
        return Err("must not have '--' in positions 3 and 4".into());
    }
    if reserved.iter().any(|r| r == slug) {
        return Err(format!("'{slug}' is reserved"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn reserved() -> Vec<String> {
        ["www", "main", "admin"].map(String::from).to_vec()
    }

    #[test]
    fn accepts_plain_slugs() {
        for slug in ["acme", "a", "acme-taxi", "a1", "1a", "abc-d"] {
            assert_eq!(check(slug, 54, &reserved()), Ok(()), "{slug}");
        }
    }

    #[test]
    fn refuses_each_broken_rule_with_its_reason() {
        let cases = [
            ("", "must not be empty"),
            (
                "Acme",
                "may contain only lower-case letters, digits and hyphens",
            ),
            (
                "acme_taxi",
                "may contain only lower-case letters, digits and hyphens",
            ),
            (
                "acmé",
                "may contain only lower-case letters, digits and hyphens",
            ),
            ("-acme", "must start and end with a letter or digit"),
            ("acme-", "must start and end with a letter or digit"),
            ("xn--acme", "must not have '--' in positions 3 and 4"),
            ("ab--c", "must not have '--' in positions 3 and 4"),
            ("www", "'www' is reserved"),
            ("main", "'main' is reserved"),
        ];
        for (slug, reason) in cases {
            assert_eq!(
                check(slug, 54, &reserved()),
                Err(reason.to_owned()),
                "{slug:?}"
            );
        }
        assert_eq!(
            check(&"a".repeat(55), 54, &reserved()),
            Err("must be at most 54 characters".to_owned())
        );
        assert_eq!(check(&"a".repeat(54), 54, &reserved()), Ok(()));
    }

    proptest! {
        /// Every accepted slug makes a valid host label once a suffix is appended.
        #[test]
        fn accepted_slugs_make_valid_labels(slug in "[a-z0-9-]{0,70}", suffix in "[a-z]{1,9}") {
            let max_len = 63 - 1 - suffix.len();
            if check(&slug, max_len, &[]).is_ok() {
                let host = format!("{slug}-{suffix}.example.io");
                let normalised = crate::tenancy::host::normalise_name(&host);
                prop_assert_eq!(normalised, Ok(host));
            }
        }
    }
}
