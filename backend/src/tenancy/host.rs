//! Which host a request was sent to, normalised so that one name has one spelling.
//!
//! Rules, pinned down case by case by the shared test vectors:
//! - the authority is `host[:port]` (RFC 3986 §3.2.2): no user info, path, query or fragment, and
//!   never a list (RFC 7230 §5.4); the port, when present, is a number from 1 to 65535 (an empty
//!   port is allowed, as RFC 3986 allows it) and is dropped;
//! - internationalised names become their ASCII form (UTS 46, non-transitional, STD3 rules), which
//!   also lower-cases them; one trailing dot (the DNS root) is dropped;
//! - what remains must be a DNS name (RFC 1123 §2.1): labels of letters, digits and inner
//!   hyphens, 1–63 octets each, 253 in all, and a last label that is not all digits;
//! - IPv4 and bracketed IPv6 literals are recognised as addresses, which never name a tenant.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use axum::http::{HeaderMap, HeaderValue, header};

use crate::config::ForwardingHeader;
use idna::uts46::{AsciiDenyList, DnsLength, Hyphens, Uts46};

/// RFC 1123 and RFC 2181: a name of at most 253 octets, labels of at most 63.
const MAX_NAME_LEN: usize = 253;
const MAX_LABEL_LEN: usize = 63;
/// Far above any valid authority (a 253-octet name, a port, IDNA's longer Unicode forms); longer
/// input is refused before any work is spent on it.
const MAX_RAW_LEN: usize = 1024;

/// A request's host after normalisation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestHost {
    /// A DNS name in its normalised ASCII form.
    Name(String),
    /// An address literal: answered, but never a tenant.
    Ip(IpAddr),
}

impl fmt::Display for RequestHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestHost::Name(name) => f.write_str(name),
            RequestHost::Ip(IpAddr::V4(ip)) => write!(f, "{ip}"),
            RequestHost::Ip(IpAddr::V6(ip)) => write!(f, "[{ip}]"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostError {
    /// No host was sent at all.
    Missing,
    /// Something was sent, and it is not a host.
    Invalid,
}

/// The host of a request: from the header of the trusted proxy's forwarding scheme (`forwarded`,
/// given only when the peer is a trusted proxy): `X-Forwarded-Host` for `x-forwarded-for` and
/// `x-real-ip`, `Forwarded: host=` for `forwarded`; otherwise, or when that header is absent, from
/// `Host`, or the HTTP/2 `:authority`.
///
/// A trusted proxy's forwarded host that is invalid is refused, never replaced by `Host`: the
/// proxy saw the client's real host, and guessing could route the request to another tenant.
pub fn from_request(
    headers: &HeaderMap,
    authority: Option<&str>,
    forwarded: ForwardingHeader,
) -> Result<RequestHost, HostError> {
    match forwarded {
        ForwardingHeader::XForwardedFor | ForwardingHeader::XRealIp => {
            if let Some(value) = headers.get("x-forwarded-host") {
                return from_x_forwarded_host(text(value)?);
            }
        }
        ForwardingHeader::Forwarded => {
            if let Some(value) = headers.get(header::FORWARDED)
                && let Some(host) = from_forwarded(text(value)?)?
            {
                return Ok(host);
            }
        }
        ForwardingHeader::None => {}
    }
    let mut hosts = headers.get_all(header::HOST).iter();
    match (hosts.next(), hosts.next()) {
        (Some(_), Some(_)) => Err(HostError::Invalid),
        (Some(value), None) => normalise(text(value)?),
        (None, _) => authority.map_or(Err(HostError::Missing), normalise),
    }
}

/// Every value of parameter `name` in an RFC 7239 `Forwarded` header, element by element, quoted
/// strings honoured (a quoted `,` or `;` separates nothing).
pub fn forwarded_parameters(name: &'static str) -> impl Fn(&str) -> Vec<String> {
    move |header: &str| {
        split_unquoted(header, ',')
            .flat_map(|element| split_unquoted(element, ';'))
            .filter_map(|pair| pair.split_once('='))
            .filter(|(key, _)| key.trim().eq_ignore_ascii_case(name))
            .filter_map(|(_, value)| unquote(value.trim()).ok())
            .collect()
    }
}

/// The first element of an `X-Forwarded-Host` list, which the edge proxy wrote. An empty first
/// element means a misconfigured proxy, so it is refused rather than skipped.
pub fn from_x_forwarded_host(value: &str) -> Result<RequestHost, HostError> {
    let first = value.split(',').next().unwrap_or_default().trim();
    normalise(first).map_err(|_| HostError::Invalid)
}

/// The `host` parameter of the first element of an RFC 7239 `Forwarded` header, or `None` when
/// that element carries none.
pub fn from_forwarded(value: &str) -> Result<Option<RequestHost>, HostError> {
    let first = split_unquoted(value, ',').next().unwrap_or_default();
    for pair in split_unquoted(first, ';') {
        let (name, raw) = pair.split_once('=').ok_or(HostError::Invalid)?;
        if name.trim().eq_ignore_ascii_case("host") {
            let host = unquote(raw.trim())?;
            return normalise(&host).map(Some).map_err(|_| HostError::Invalid);
        }
    }
    Ok(None)
}

/// The port of an authority (`host:port`, `[v6]:port`), when it names one.
pub fn port_of(authority: &str) -> Option<u16> {
    let authority = authority.trim();
    let after_host = match authority.strip_prefix('[') {
        Some(rest) => rest.split_once(']')?.1,
        None => authority,
    };
    let (_, port) = after_host.rsplit_once(':')?;
    if after_host.matches(':').count() > 1 && !authority.starts_with('[') {
        return None; // a bare IPv6 address: no port
    }
    port.parse().ok()
}

/// Normalises one authority (`host[:port]`) as sent in `Host`.
pub fn normalise(raw: &str) -> Result<RequestHost, HostError> {
    if raw.is_empty() {
        return Err(HostError::Missing);
    }
    if raw.len() > MAX_RAW_LEN {
        return Err(HostError::Invalid);
    }
    if let Some(bracketed) = raw.strip_prefix('[') {
        let (address, rest) = bracketed.split_once(']').ok_or(HostError::Invalid)?;
        let ip: Ipv6Addr = address.parse().map_err(|_| HostError::Invalid)?;
        match rest.strip_prefix(':') {
            Some(port) => check_port(port)?,
            None if rest.is_empty() => {}
            None => return Err(HostError::Invalid),
        }
        return Ok(RequestHost::Ip(IpAddr::V6(ip)));
    }
    let name = match raw.split_once(':') {
        Some((name, port)) => {
            check_port(port)?;
            name
        }
        None => raw,
    };
    if let Ok(ip) = name.parse::<Ipv4Addr>() {
        return Ok(RequestHost::Ip(IpAddr::V4(ip)));
    }
    normalise_name(name).map(RequestHost::Name)
}

/// Normalises a bare DNS name (no port, no address literal): what operators type for a domain.
pub fn normalise_name(name: &str) -> Result<String, HostError> {
    // UTS 46 would map some of these away (or pass `%`-escapes through); in an authority they only
    // ever mean user info, a path, a list or an escape, so they are refused before mapping.
    if name
        .bytes()
        .any(|b| b.is_ascii() && !(b.is_ascii_alphanumeric() || b == b'-' || b == b'.'))
    {
        return Err(HostError::Invalid);
    }
    let ascii = Uts46::new()
        .to_ascii(
            name.as_bytes(),
            AsciiDenyList::STD3,
            Hyphens::Allow,
            DnsLength::Ignore,
        )
        .map_err(|_| HostError::Invalid)?;
    let ascii = ascii.strip_suffix('.').unwrap_or(&ascii);
    if is_dns_name(ascii) {
        Ok(ascii.to_owned())
    } else {
        Err(HostError::Invalid)
    }
}

/// RFC 1123 §2.1 host name syntax on an already lower-cased ASCII name.
fn is_dns_name(name: &str) -> bool {
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return false;
    }
    let labels_ok = name.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= MAX_LABEL_LEN
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    });
    // RFC 3696 §2: a top-level label is never all digits, so `127.1` is no name.
    let last = name.rsplit('.').next().unwrap_or_default();
    labels_ok && !last.bytes().all(|b| b.is_ascii_digit())
}

fn check_port(port: &str) -> Result<(), HostError> {
    if port.is_empty() {
        return Ok(());
    }
    if port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) {
        return Err(HostError::Invalid);
    }
    match port.parse::<u16>() {
        Ok(0) | Err(_) => Err(HostError::Invalid),
        Ok(_) => Ok(()),
    }
}

/// Header bytes as text. Hosts may arrive in UTF-8 (an internationalised name sent as is).
fn text(value: &HeaderValue) -> Result<&str, HostError> {
    std::str::from_utf8(value.as_bytes()).map_err(|_| HostError::Invalid)
}

/// Splits on `separator` where it is not inside a quoted string (RFC 7230 §3.2.6).
fn split_unquoted(value: &str, separator: char) -> std::vec::IntoIter<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in value.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            c if c == separator && !quoted => {
                parts.push(value[start..i].trim());
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(value[start..].trim());
    parts.into_iter()
}

/// A token or quoted-string value (RFC 7230 §3.2.6), unescaped.
fn unquote(value: &str) -> Result<String, HostError> {
    let Some(inner) = value.strip_prefix('"') else {
        return Ok(value.to_owned());
    };
    let inner = inner.strip_suffix('"').ok_or(HostError::Invalid)?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(chars.next().ok_or(HostError::Invalid)?),
            '"' => return Err(HostError::Invalid),
            c => out.push(c),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_port_of_an_authority() {
        assert_eq!(port_of("acme-admin.localhost:8080"), Some(8080));
        assert_eq!(port_of("acme-admin.localhost"), None);
        assert_eq!(port_of("[::1]:8443"), Some(8443));
        assert_eq!(port_of("[::1]"), None);
        assert_eq!(port_of("::1"), None);
        assert_eq!(port_of("host:notaport"), None);
        assert_eq!(port_of("host:99999"), None);
    }

    use super::*;
    use proptest::prelude::*;

    // The shared test vectors are checked, directly and over HTTP, by `tests/api/host_rules.rs`.

    #[test]
    fn two_host_headers_are_invalid() {
        let mut headers = HeaderMap::new();
        headers.append(header::HOST, HeaderValue::from_static("a.example"));
        headers.append(header::HOST, HeaderValue::from_static("b.example"));
        assert_eq!(
            from_request(&headers, None, ForwardingHeader::None),
            Err(HostError::Invalid)
        );
    }

    #[test]
    fn forwarded_headers_count_only_from_trusted_peers() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("real.example"));
        headers.insert(
            "x-forwarded-host",
            HeaderValue::from_static("claimed.example"),
        );
        let name = |h: &str| Ok(RequestHost::Name(h.into()));
        assert_eq!(
            from_request(&headers, None, ForwardingHeader::None),
            name("real.example")
        );
        assert_eq!(
            from_request(&headers, None, ForwardingHeader::XForwardedFor),
            name("claimed.example")
        );
    }

    #[test]
    fn forwarded_without_host_falls_back_to_host_header() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("real.example"));
        headers.insert(header::FORWARDED, HeaderValue::from_static("for=192.0.2.1"));
        let got = from_request(&headers, None, ForwardingHeader::XForwardedFor);
        assert_eq!(got, Ok(RequestHost::Name("real.example".into())));
    }

    #[test]
    fn http2_authority_is_used_without_host() {
        let got = from_request(
            &HeaderMap::new(),
            Some("Acme.Example:443"),
            ForwardingHeader::None,
        );
        assert_eq!(got, Ok(RequestHost::Name("acme.example".into())));
        assert_eq!(
            from_request(&HeaderMap::new(), None, ForwardingHeader::None),
            Err(HostError::Missing)
        );
    }

    proptest! {
        /// Normalising is idempotent: a normalised name normalises to itself.
        #[test]
        fn normalised_names_are_fixed_points(raw in "[a-zA-Z0-9.-]{1,80}(:[0-9]{1,5})?") {
            if let Ok(RequestHost::Name(name)) = normalise(&raw) {
                prop_assert_eq!(normalise(&name), Ok(RequestHost::Name(name.clone())));
                prop_assert!(name.len() <= MAX_NAME_LEN);
            }
        }

        /// Case, a port and one trailing dot never change which host is meant.
        #[test]
        fn case_port_and_root_dot_are_ignored(
            labels in proptest::collection::vec("[a-z][a-z0-9]{0,10}", 1..5),
            port in 1u16..,
        ) {
            let name = labels.join(".") + ".example";
            let variant = format!("{}.:{port}", name.to_uppercase());
            prop_assert_eq!(normalise(&variant), Ok(RequestHost::Name(name)));
        }

        /// Nothing outside letters, digits, hyphens and dots survives in an ASCII host.
        #[test]
        fn ascii_punctuation_is_refused(
            prefix in "[a-z]{1,8}",
            bad in "[!-,/;-@\\[-`{-~ ]",
            suffix in "[a-z]{1,8}",
        ) {
            let raw = format!("{prefix}{bad}{suffix}.example");
            prop_assert_eq!(normalise(&raw), Err(HostError::Invalid));
        }

        /// Arbitrary input never panics and never yields an over-long name.
        #[test]
        fn arbitrary_input_is_total(raw in "\\PC{0,300}") {
            if let Ok(RequestHost::Name(name)) = normalise(&raw) {
                prop_assert!(is_dns_name(&name));
            }
        }
    }
}
