//! The client's address: the TCP peer, or, when the peer is a trusted proxy, the address it
//! reports (`X-Forwarded-For`, then `Forwarded: for=`): the rightmost one that is not itself a
//! trusted proxy, since everything left of it could have been written by the client.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;
use ipnet::IpNet;

use crate::state::AppState;

pub struct ClientIp(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip().to_canonical());
        Ok(ClientIp(peer.map(|peer| {
            client_ip(parts, peer, &state.config.trusted_proxies)
        })))
    }
}

pub fn is_trusted(ip: IpAddr, trusted: &[IpNet]) -> bool {
    trusted.iter().any(|net| net.contains(&ip))
}

fn client_ip(parts: &Parts, peer: IpAddr, trusted: &[IpNet]) -> IpAddr {
    if !is_trusted(peer, trusted) {
        return peer;
    }
    let forwarded_for = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|v| v.trim().to_owned());
    let forwarded = parts
        .headers
        .get_all(header::FORWARDED)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .flat_map(|element| element.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(name, _)| name.eq_ignore_ascii_case("for"))
        .map(|(_, value)| value.trim_matches('"').to_owned());
    let chain: Vec<IpAddr> = forwarded_for
        .chain(forwarded)
        .filter_map(|v| parse_address(&v))
        .collect();
    chain
        .into_iter()
        .rev()
        .find(|ip| !is_trusted(*ip, trusted))
        .unwrap_or(peer)
}

/// `192.0.2.1`, `192.0.2.1:4711`, `[2001:db8::1]:4711` or `2001:db8::1`.
fn parse_address(value: &str) -> Option<IpAddr> {
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
    use axum::http::Request;

    fn parts(headers: &[(&str, &str)]) -> Parts {
        let mut request = Request::builder();
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.body(()).unwrap().into_parts().0
    }

    #[test]
    fn the_rightmost_untrusted_address_is_the_client() {
        let trusted: Vec<IpNet> = vec![
            "127.0.0.0/8".parse().unwrap(),
            "10.0.0.0/8".parse().unwrap(),
        ];
        let local: IpAddr = "127.0.0.1".parse().unwrap();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let cases = [
            (vec![], local),
            (vec![("x-forwarded-for", "203.0.113.9")], ip("203.0.113.9")),
            (
                vec![("x-forwarded-for", "198.51.100.1, 203.0.113.9, 10.1.2.3")],
                ip("203.0.113.9"),
            ),
            (
                vec![("forwarded", "for=\"[2001:db8::1]:4711\";proto=https")],
                ip("2001:db8::1"),
            ),
            (vec![("x-forwarded-for", "not-an-ip")], local),
        ];
        for (headers, expected) in cases {
            assert_eq!(
                client_ip(&parts(&headers), local, &trusted),
                expected,
                "{headers:?}"
            );
        }
        // An untrusted peer's headers are ignored.
        let stranger = ip("198.51.100.7");
        assert_eq!(
            client_ip(
                &parts(&[("x-forwarded-for", "1.2.3.4")]),
                stranger,
                &trusted
            ),
            stranger
        );
    }
}
