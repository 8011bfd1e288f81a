//! What an address or an answer is worth: only globally reachable addresses are probed, and a
//! well-known file passes only as a successful JSON answer.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// What a probe got back: the status, the media type and the start of the body.
pub(super) struct Answer {
    pub(super) status: reqwest::StatusCode,
    pub(super) content_type: Option<String>,
    pub(super) body: Vec<u8>,
}

/// 2xx, `application/json`, and a body that starts like JSON.
pub(super) fn judge(file: &str, answer: Answer) -> Result<String, String> {
    if !answer.status.is_success() {
        return Err(format!("{file} answered {}", answer.status.as_u16()));
    }
    let essence = answer.content_type.as_deref().map(|ct| {
        ct.split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
    });
    match essence.as_deref() {
        Some("application/json") => {}
        Some(other) => return Err(format!("{file} answered {other}")),
        None => return Err(format!("{file} answered with no Content-Type")),
    }
    match answer.body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{' | b'[') => Ok(format!("{file} answered JSON")),
        Some(other) => Err(format!(
            "{file} is not JSON (it starts with {:?})",
            char::from(*other)
        )),
        None => Err(format!("{file} answered an empty body")),
    }
}

/// IPv4 blocks of the IANA IPv4 Special-Purpose Address Registry that are not globally reachable
/// (plus multicast and the whole of 192.0.0.0/24, two of whose anycast addresses are reachable but
/// never a tenant's proxy). <https://www.iana.org/assignments/iana-ipv4-special-registry/>
const NON_PUBLIC_V4: &[&str] = &[
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.88.99.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",
    "240.0.0.0/4",
    "255.255.255.255/32",
];

/// IPv6 blocks of the IANA IPv6 Special-Purpose Address Registry that are not globally reachable,
/// plus the deprecated site-local block and multicast. Forms that embed an IPv4 address (mapped,
/// compatible, NAT64, 6to4) are judged by that address first; Teredo lies in 2001::/23.
/// <https://www.iana.org/assignments/iana-ipv6-special-registry/>
const NON_PUBLIC_V6: &[&str] = &[
    "::/128",
    "::1/128",
    "64:ff9b:1::/48",
    "100::/64",
    "100:0:0:1::/64",
    "2001::/23",
    "2001:db8::/32",
    "3fff::/20",
    "5f00::/16",
    "fc00::/7",
    "fe80::/10",
    "fec0::/10",
    "ff00::/8",
];

/// Addresses inside 2001::/23 that the registry marks globally reachable.
const PUBLIC_IN_2001_23: &[&str] = &[
    "2001:1::1/128",
    "2001:1::2/128",
    "2001:3::/32",
    "2001:4:112::/48",
    "2001:20::/28",
    "2001:30::/28",
];

fn within(ip: IpAddr, nets: &[&str]) -> bool {
    nets.iter()
        .filter_map(|net| net.parse::<ipnet::IpNet>().ok())
        .any(|net| net.contains(&ip))
}

/// The IPv4 address an IPv6 address carries in a form that routes to it: IPv4-mapped
/// (`::ffff:a.b.c.d`), IPv4-translated (`::ffff:0:a.b.c.d`, RFC 2765), IPv4-compatible
/// (`::a.b.c.d`), NAT64 (`64:ff9b::a.b.c.d`) or 6to4 (`2002:aabb:ccdd::`).
fn embedded_v4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = v6.segments();
    let v4 = |high: u16, low: u16| Ipv4Addr::from((u32::from(high) << 16) | u32::from(low));
    match s {
        [0, 0, 0, 0, 0, 0xffff, high, low] => Some(v4(high, low)),
        [0, 0, 0, 0, 0xffff, 0, high, low] => Some(v4(high, low)),
        // `::` and `::1` are their own entries, not IPv4 addresses.
        [0, 0, 0, 0, 0, 0, high, low] if (high, low) > (0, 1) => Some(v4(high, low)),
        [0x64, 0xff9b, 0, 0, 0, 0, high, low] => Some(v4(high, low)),
        [0x2002, high, low, ..] => Some(v4(high, low)),
        _ => None,
    }
}

/// Whether the platform may connect to `ip` on a tenant's behalf: only the public internet, never
/// its own network or anything the special-purpose registries hold back.
pub(super) fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(_) => !within(ip, NON_PUBLIC_V4),
        IpAddr::V6(v6) => {
            if let Some(v4) = embedded_v4(v6) {
                return is_public(IpAddr::V4(v4));
            }
            !within(ip, NON_PUBLIC_V6) || within(ip, PUBLIC_IN_2001_23)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_probed() {
        // (address, public?) — one row per registry entry and embedded form.
        let table = [
            ("93.184.216.34", true),
            ("8.8.8.8", true),
            ("2606:4700::1111", true),
            ("2001:4860:4860::8888", true),
            ("0.1.2.3", false),
            ("10.1.2.3", false),
            ("100.64.0.1", false),
            ("127.0.0.1", false),
            ("169.254.169.254", false),
            ("172.16.0.1", false),
            ("172.31.255.255", false),
            ("172.32.0.1", true),
            ("192.0.0.8", false),
            ("192.0.0.170", false),
            ("192.0.2.1", false),
            ("192.88.99.1", false),
            ("192.168.1.1", false),
            ("198.18.0.1", false),
            ("198.19.255.255", false),
            ("198.51.100.1", false),
            ("203.0.113.1", false),
            ("224.0.0.1", false),
            ("240.0.0.1", false),
            ("255.255.255.255", false),
            ("::", false),
            ("::1", false),
            ("::ffff:10.0.0.1", false),
            ("::ffff:8.8.8.8", true),
            ("::ffff:0:7f00:1", false),
            ("::ffff:0:a9fe:a9fe", false),
            ("::ffff:0:808:808", true),
            ("::127.0.0.1", false),
            ("::8.8.8.8", true),
            ("64:ff9b::7f00:1", false),
            ("64:ff9b::a00:1", false),
            ("64:ff9b::808:808", true),
            ("64:ff9b:1::1", false),
            ("100::1", false),
            ("2001::1", false),
            ("2001:0:4136:e378:8000:63bf:3fff:fdd2", false),
            ("2001:2::1", false),
            ("2001:db8::1", false),
            ("2001:20::1", true),
            ("2002:7f00:1::", false),
            ("2002:c0a8:101::", false),
            ("2002:808:808::", true),
            ("3fff::1", false),
            ("5f00::1", false),
            ("fc00::1", false),
            ("fd12:3456::1", false),
            ("fe80::1", false),
            ("fec0::1", false),
            ("ff02::1", false),
        ];
        for (ip, public) in table {
            assert_eq!(is_public(ip.parse().unwrap()), public, "{ip}");
        }
    }

    #[test]
    fn probes_need_success_json_type_and_a_json_body() {
        let answer = |status: u16, ct: Option<&str>, body: &str| Answer {
            status: reqwest::StatusCode::from_u16(status).unwrap(),
            content_type: ct.map(str::to_owned),
            body: body.as_bytes().to_vec(),
        };
        let json = Some("application/json; charset=utf-8");
        assert!(judge("f", answer(200, json, " \n{\"a\":1}")).is_ok());
        assert!(judge("f", answer(200, json, "[]")).is_ok());
        assert_eq!(
            judge("f", answer(404, json, "{}")),
            Err("f answered 404".into())
        );
        assert_eq!(
            judge("f", answer(200, Some("text/html"), "{}")),
            Err("f answered text/html".into())
        );
        assert_eq!(
            judge("f", answer(200, None, "{}")),
            Err("f answered with no Content-Type".into())
        );
        assert_eq!(
            judge("f", answer(200, json, "<html>")),
            Err("f is not JSON (it starts with '<')".into())
        );
        assert_eq!(
            judge("f", answer(200, json, "  ")),
            Err("f answered an empty body".into())
        );
    }
}
