//! The client's address for rate limiting: the peer address, or, when the peer is a trusted
//! reverse proxy (`DRIMS_TRUSTED_PROXIES`), the right-most untrusted `X-Forwarded-For` entry.
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderMap;

use crate::state::AppState;

/// An address range: an address and a prefix length (a single address is /32 or /128).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IpRange {
    addr: IpAddr,
    prefix: u8,
}

impl IpRange {
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("'{text}' is not an IP address or CIDR range"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("'{text}' has an invalid prefix length"))?,
        };
        Ok(Self { addr, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                masked(u32::from(net) as u128, 32, self.prefix)
                    == masked(u32::from(ip) as u128, 32, self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                masked(u128::from(net), 128, self.prefix)
                    == masked(u128::from(ip), 128, self.prefix)
            }
            _ => false,
        }
    }
}

fn masked(value: u128, bits: u8, prefix: u8) -> u128 {
    if prefix == 0 {
        0
    } else {
        value >> (bits - prefix)
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) count as the IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

pub fn parse_ranges(text: &str) -> Result<Vec<IpRange>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(IpRange::parse)
        .collect()
}

/// The client address given the peer and the proxies trusted: walk `X-Forwarded-For` from the
/// right while the hop is a trusted proxy; the first untrusted hop is the client.
pub fn resolve(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpRange]) -> String {
    let Some(peer) = peer.map(canonical) else {
        return "unknown".into();
    };
    let is_trusted = |ip: IpAddr| trusted.iter().any(|r| r.contains(ip));
    if !is_trusted(peer) {
        return peer.to_string();
    }
    let hops: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|h| h.trim().parse::<IpAddr>().map(canonical))
        .collect::<Result<_, _>>()
        .unwrap_or_default();
    hops.iter()
        .rev()
        .find(|ip| !is_trusted(**ip))
        .or(hops.first())
        .unwrap_or(&peer)
        .to_string()
}

/// The client's IP address as text (see the module comment).
pub struct ClientAddress(pub String);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        Ok(ClientAddress(resolve(
            peer,
            &parts.headers,
            &state.config.trusted_proxies,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", xff.parse().unwrap());
        h
    }

    #[test]
    fn only_trusted_peers_forward() {
        let trusted = parse_ranges("10.0.0.0/8, ::1").unwrap();
        let peer = |s: &str| Some(s.parse().unwrap());
        assert_eq!(
            resolve(peer("203.0.113.9"), &headers("1.2.3.4"), &trusted),
            "203.0.113.9"
        );
        assert_eq!(
            resolve(peer("10.1.2.3"), &headers("1.2.3.4"), &trusted),
            "1.2.3.4"
        );
        // A client cannot hide behind a spoofed left-most entry.
        assert_eq!(
            resolve(
                peer("10.1.2.3"),
                &headers("6.6.6.6, 1.2.3.4, 10.9.9.9"),
                &trusted
            ),
            "1.2.3.4"
        );
        assert_eq!(
            resolve(peer("10.1.2.3"), &headers("junk"), &trusted),
            "10.1.2.3"
        );
        assert_eq!(
            resolve(peer("::ffff:10.1.2.3"), &HeaderMap::new(), &trusted),
            "10.1.2.3"
        );
        assert!(IpRange::parse("10.0.0.0/33").is_err());
        assert!(IpRange::parse("0.0.0.0/0")
            .unwrap()
            .contains("8.8.8.8".parse().unwrap()));
    }
}
