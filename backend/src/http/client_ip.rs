//! What a trusted proxy says about the client: its address, the host it asked for, the scheme it
//! used. One configured header (`client_ip_header`) is the only source of all three; a request
//! from a peer outside `trusted_proxies` is taken as it came (TCP peer, `Host`, plain HTTP).
//!
//! Of a list of addresses, the client is the rightmost one that is not itself a trusted proxy:
//! everything left of it could have been written by the client. Only the chosen header is read,
//! so a client cannot add a second one that the proxy passes on untouched.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use ipnet::IpNet;

use crate::config::{Config, ForwardingHeader};
use crate::state::AppState;
use crate::tenancy::host;

/// The client's address, as the configured forwarding header tells it.
pub struct ClientIp(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(peer(parts).map(|peer| {
            client_ip(&parts.headers, peer, &state.config)
        })))
    }
}

/// The TCP peer, with IPv4-mapped IPv6 addresses in their IPv4 form so IPv4 CIDRs match them.
pub fn peer(parts: &Parts) -> Option<IpAddr> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_canonical())
}

pub fn is_trusted(ip: IpAddr, trusted: &[IpNet]) -> bool {
    trusted.iter().any(|net| net.contains(&ip))
}

/// The forwarding header to believe for a request from `peer`: the configured one when the peer
/// is a trusted proxy, none otherwise.
pub fn believed(peer: Option<IpAddr>, config: &Config) -> ForwardingHeader {
    match peer {
        Some(peer) if is_trusted(peer, &config.http.trusted_proxies) => {
            config.http.client_ip_header
        }
        _ => ForwardingHeader::None,
    }
}

pub fn client_ip(headers: &HeaderMap, peer: IpAddr, config: &Config) -> IpAddr {
    let trusted = &config.http.trusted_proxies;
    let listed: Vec<IpAddr> = match believed(Some(peer), config) {
        ForwardingHeader::None => return peer,
        ForwardingHeader::XRealIp => {
            let mut values = headers.get_all("x-real-ip").iter();
            return match (values.next(), values.next()) {
                (Some(value), None) => value.to_str().ok().and_then(parse_address),
                _ => None,
            }
            .unwrap_or(peer);
        }
        ForwardingHeader::XForwardedFor => headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(parse_address)
            .collect(),
        ForwardingHeader::Forwarded => headers
            .get_all("forwarded")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(host::forwarded_parameters("for"))
            .filter_map(|value| parse_address(&value))
            .collect(),
    };
    listed
        .into_iter()
        .rev()
        .find(|ip| !is_trusted(*ip, trusted))
        .unwrap_or(peer)
}

/// The scheme the client used, for origins and links the server writes.
pub struct PublicScheme(pub &'static str);

impl FromRequestParts<AppState> for PublicScheme {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(PublicScheme(scheme(
            &parts.headers,
            peer(parts),
            &state.config,
        )))
    }
}

/// The port the client asked for in the believed host header (`X-Forwarded-Host`, `Forwarded:
/// host=` or `Host`), when it named one: links the server writes for the client keep it.
pub fn public_port(headers: &HeaderMap, peer: Option<IpAddr>, config: &Config) -> Option<u16> {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &axum::http::HeaderValue| v.to_str().ok())
    };
    // The believed header, when present, names the port (or none); else `Host` does.
    let forwarded = match believed(peer, config) {
        ForwardingHeader::XForwardedFor | ForwardingHeader::XRealIp => {
            text("x-forwarded-host").map(|v| host::port_of(v.split(',').next().unwrap_or_default()))
        }
        ForwardingHeader::Forwarded => text("forwarded").and_then(|v| {
            host::forwarded_parameters("host")(v)
                .first()
                .map(|authority| host::port_of(authority))
        }),
        ForwardingHeader::None => None,
    };
    forwarded.unwrap_or_else(|| text("host").and_then(host::port_of))
}

/// `https` or `http`: what the client used, as `public_scheme` or the believed header says.
pub fn scheme(headers: &HeaderMap, peer: Option<IpAddr>, config: &Config) -> &'static str {
    if let Some(scheme) = &config.http.public_scheme {
        return if scheme == "https" { "https" } else { "http" };
    }
    let proto = match believed(peer, config) {
        ForwardingHeader::None => None,
        ForwardingHeader::XForwardedFor | ForwardingHeader::XRealIp => headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(|v| v.trim().to_ascii_lowercase()),
        ForwardingHeader::Forwarded => headers
            .get("forwarded")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| host::forwarded_parameters("proto")(v).into_iter().next())
            .map(|v| v.to_ascii_lowercase()),
    };
    match proto.as_deref() {
        Some("https") => "https",
        _ => "http",
    }
}

/// `192.0.2.1`, `192.0.2.1:4711`, `[2001:db8::1]:4711` or `2001:db8::1`.
fn parse_address(value: &str) -> Option<IpAddr> {
    let value = value.trim();
    if let Ok(ip) = value.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    if let Ok(addr) = value.parse::<SocketAddr>() {
        return Some(addr.ip().to_canonical());
    }
    value
        .strip_prefix('[')
        .and_then(|v| v.split_once(']'))
        .and_then(|(ip, _)| ip.parse::<IpAddr>().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    fn config(source: ForwardingHeader) -> Config {
        let mut config = Config::default();
        config.http.trusted_proxies = vec![
            "127.0.0.0/8".parse().unwrap(),
            "10.0.0.0/8".parse().unwrap(),
        ];
        config.http.client_ip_header = source;
        config
    }

    #[test]
    fn only_the_configured_header_names_the_client() {
        let local: IpAddr = "127.0.0.1".parse().unwrap();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let both = [
            ("x-forwarded-for", "198.51.100.1, 203.0.113.9, 10.1.2.3"),
            ("forwarded", "for=\"[2001:db8::1]:4711\";proto=https"),
            ("x-real-ip", "192.0.2.77"),
        ];
        let cases = [
            (
                ForwardingHeader::XForwardedFor,
                &both[..],
                ip("203.0.113.9"),
            ),
            (ForwardingHeader::Forwarded, &both[..], ip("2001:db8::1")),
            (ForwardingHeader::XRealIp, &both[..], ip("192.0.2.77")),
            (ForwardingHeader::None, &both[..], local),
            // A client-sent header of another kind changes nothing.
            (
                ForwardingHeader::XForwardedFor,
                &[("forwarded", "for=5.6.7.8")][..],
                local,
            ),
            (
                ForwardingHeader::XForwardedFor,
                &[("x-forwarded-for", "not-an-ip")][..],
                local,
            ),
            (
                ForwardingHeader::Forwarded,
                &[("forwarded", "for=1.2.3.4, for=\"5.6.7.8\";host=\"a,b\"")][..],
                ip("5.6.7.8"),
            ),
            // Two X-Real-IP values: which one the proxy wrote is unknown, so neither.
            (
                ForwardingHeader::XRealIp,
                &[("x-real-ip", "1.2.3.4"), ("x-real-ip", "5.6.7.8")][..],
                local,
            ),
        ];
        for (source, pairs, expected) in cases {
            assert_eq!(
                client_ip(&headers(pairs), local, &config(source)),
                expected,
                "{source:?} {pairs:?}"
            );
        }
        // An untrusted peer's headers are ignored.
        let stranger = ip("198.51.100.7");
        let sent = headers(&[("x-forwarded-for", "1.2.3.4")]);
        let default = config(ForwardingHeader::XForwardedFor);
        assert_eq!(client_ip(&sent, stranger, &default), stranger);
    }

    #[test]
    fn the_scheme_follows_the_same_header() {
        let local = Some("127.0.0.1".parse().unwrap());
        let sent = headers(&[("x-forwarded-proto", "https"), ("forwarded", "proto=http")]);
        assert_eq!(
            scheme(&sent, local, &config(ForwardingHeader::XForwardedFor)),
            "https"
        );
        assert_eq!(
            scheme(&sent, local, &config(ForwardingHeader::Forwarded)),
            "http"
        );
        assert_eq!(
            scheme(&sent, local, &config(ForwardingHeader::None)),
            "http"
        );
        let stranger = Some("198.51.100.7".parse().unwrap());
        assert_eq!(
            scheme(&sent, stranger, &config(ForwardingHeader::XForwardedFor)),
            "http"
        );
        let mut fixed = config(ForwardingHeader::None);
        fixed.http.public_scheme = Some("https".into());
        assert_eq!(scheme(&HeaderMap::new(), None, &fixed), "https");
    }
}
