//! What a person is shown to tell their sessions apart: the browser and system a session began
//! on, read from the `User-Agent` it was started with ("Chrome on macOS"). The header is the
//! client's own words, so it is kept only cleaned and bounded, and the name is only a hint: a
//! client may claim to be anything.
//!
//! The reading itself is woothee's (the Woothee project's rules, shared by its ports to other
//! languages); this module only puts its answers into plain words.

use woothee::parser::{Parser, WootheeResult};

/// The most of a `User-Agent` kept, in bytes: real ones are a few hundred at most.
pub const MAX_USER_AGENT: usize = 512;

/// A `User-Agent` as the client sent it, without control characters (which could forge lines in
/// a log or a terminal), trimmed and cut to [`MAX_USER_AGENT`] bytes on a character boundary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserAgent(String);

impl UserAgent {
    /// The cleaned header; `None` when nothing is left of it.
    pub fn parse(raw: &str) -> Option<Self> {
        let mut kept = String::with_capacity(raw.len().min(MAX_USER_AGENT));
        for c in raw.chars().filter(|c| !c.is_control()) {
            if kept.len() + c.len_utf8() > MAX_USER_AGENT {
                break;
            }
            kept.push(c);
        }
        let kept = kept.trim();
        (!kept.is_empty()).then(|| UserAgent(kept.to_owned()))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// The device a `User-Agent` names, in plain words: "Firefox on Windows", "Safari on iPhone";
/// a client that is no browser by the name it gives first ("curl"); "Unknown browser on Linux"
/// or "Unknown device" when it says too little.
pub fn name(user_agent: &str) -> String {
    let parsed = Parser::new().parse(user_agent);
    let browser = parsed
        .as_ref()
        .and_then(browser)
        .or_else(|| product(user_agent));
    let system = parsed.as_ref().and_then(system);
    match (browser, system) {
        (Some(browser), Some(system)) => format!("{browser} on {system}"),
        (Some(browser), None) => browser.to_owned(),
        (None, Some(system)) => format!("Unknown browser on {system}"),
        (None, None) => "Unknown device".to_owned(),
    }
}

/// Woothee's value for a field it could not read.
const UNKNOWN: &str = "UNKNOWN";

fn browser<'a>(parsed: &WootheeResult<'a>) -> Option<&'a str> {
    if parsed.browser_type != "browser" || parsed.name == UNKNOWN {
        return None;
    }
    Some(match parsed.name {
        "SamsungBrowser" => "Samsung Internet",
        "Webview" => "An app",
        name => name,
    })
}

fn system<'a>(parsed: &WootheeResult<'a>) -> Option<&'a str> {
    Some(match parsed.os {
        UNKNOWN | "" => return None,
        "Mac OSX" => "macOS",
        "Mac OS Classic" => "Mac OS",
        "Windows Phone OS" => "Windows Phone",
        "Windows CE" => "Windows CE",
        windows if windows.starts_with("Windows") => "Windows",
        os => os,
    })
}

/// The first product token (RFC 9110 §10.1.5: `product = token ["/" product-version]`) of a
/// client that is not a browser, such as `curl/8.5.0` or `okhttp/4.12`. `Mozilla` says nothing:
/// nearly every browser and crawler starts with it.
fn product(user_agent: &str) -> Option<&str> {
    let token = user_agent.split(['/', ' ']).next()?;
    // RFC 9110 §5.6.2 `tchar`.
    let tchar = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    let plausible = !token.is_empty() && token.len() <= 64 && token.chars().all(tchar);
    (plausible && !token.eq_ignore_ascii_case("mozilla")).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAC_CHROME: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 \
        (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
    const MAC_SAFARI: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) \
        AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15";
    const WINDOWS_CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \
        (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

    #[test]
    fn browsers_and_systems_are_named() {
        let cases = [
            (MAC_CHROME, "Chrome on macOS"),
            (MAC_SAFARI, "Safari on macOS"),
            (WINDOWS_CHROME, "Chrome on Windows"),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
                "Firefox on Windows",
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
                "Firefox on Linux",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 \
                 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
                "Safari on iPhone",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 \
                 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1",
                "Chrome on iPhone",
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, \
                 like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
                "Samsung Internet on Android",
            ),
            (
                "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) \
                 Chrome/131.0.0.0 Safari/537.36",
                "Chrome on ChromeOS",
            ),
        ];
        for (ua, expected) in cases {
            assert_eq!(name(ua), expected, "{ua}");
        }
    }

    /// Edge and Opera are Chromium and say "Chrome" too; their own token comes later and wins.
    #[test]
    fn chromium_browsers_are_told_from_chrome() {
        assert_eq!(
            name(&format!("{WINDOWS_CHROME} Edg/131.0.2903.70")),
            "Edge on Windows"
        );
        assert_eq!(
            name(&format!("{WINDOWS_CHROME} OPR/115.0.0.0")),
            "Opera on Windows"
        );
        assert_eq!(
            name(&format!("{MAC_CHROME} Edg/131.0.2903.70")),
            "Edge on macOS"
        );
    }

    /// An iPad says "like Mac OS X" and an Android phone says "Linux": the more specific one wins.
    #[test]
    fn ipad_is_not_a_mac_and_android_is_not_linux() {
        let ipad = "Mozilla/5.0 (iPad; CPU OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, \
            like Gecko) Version/17.2 Mobile/15E148 Safari/604.1";
        assert_eq!(name(ipad), "Safari on iPad");
        let android = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like \
            Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";
        assert_eq!(name(android), "Chrome on Android");
        let linux = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
            Chrome/131.0.0.0 Safari/537.36";
        assert_eq!(name(linux), "Chrome on Linux");
    }

    /// Headless Chromium is Chrome driven by a program; its owner knows it as Chrome.
    #[test]
    fn headless_chrome_is_chrome() {
        let headless = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
            HeadlessChrome/131.0.0.0 Safari/537.36";
        assert_eq!(name(headless), "Chrome on Linux");
    }

    #[test]
    fn what_is_no_browser_is_named_by_its_product_or_not_at_all() {
        let cases = [
            ("curl/8.5.0", "curl"),
            ("okhttp/4.12.0", "okhttp"),
            ("python-requests/2.32.3", "python-requests"),
            ("Mozilla/5.0", "Unknown device"),
            ("Mozilla/5.0 (compatible)", "Unknown device"),
            ("(((", "Unknown device"),
            ("", "Unknown device"),
            (
                "Mozilla/5.0 (X11; Linux x86_64) SomethingNew/1.0",
                "Unknown browser on Linux",
            ),
        ];
        for (ua, expected) in cases {
            assert_eq!(name(ua), expected, "{ua:?}");
        }
    }

    #[test]
    fn a_user_agent_is_kept_cleaned_and_bounded() {
        assert_eq!(
            UserAgent::parse("  curl/8.5.0\r\nX-Forged: yes\u{7f}  ").unwrap(),
            UserAgent("curl/8.5.0X-Forged: yes".into())
        );
        assert_eq!(UserAgent::parse(" \t\n"), None);
        assert_eq!(UserAgent::parse(""), None);
        let long = "é".repeat(MAX_USER_AGENT);
        let kept = UserAgent::parse(&long).unwrap().into_inner();
        assert_eq!(kept.len(), MAX_USER_AGENT, "whole two-byte characters only");
        assert!(long.starts_with(&kept));
        let odd = format!("a{}", "é".repeat(MAX_USER_AGENT));
        assert_eq!(UserAgent::parse(&odd).unwrap().0.len(), MAX_USER_AGENT - 1);
    }
}
