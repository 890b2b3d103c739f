//! Which network addresses an upstream may not have: loopback, private,
//! link-local (cloud metadata at 169.254.169.254 included), shared and
//! unspecified ranges. An administrator who could point a channel there
//! could make taskcenter reach the host's own services; so could a user
//! whose webhook endpoint were there.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, ToSocketAddrs};

use super::Invalid;

/// Whether `ip` is one an upstream may not have.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_private_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_private_v4(v4),
            None => is_private_v6(v6),
        },
    }
}

fn is_private_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || a == 0
        // 100.64.0.0/10, shared address space (carrier-grade NAT).
        || (a == 100 && (64..128).contains(&b))
}

fn is_private_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        // fc00::/7 unique local (fd00:ec2::254 is a metadata address).
        || (first & 0xfe00) == 0xfc00
        // fe80::/10 link-local.
        || (first & 0xffc0) == 0xfe80
}

/// Refuses a base URL whose host is, or resolves to, a private address.
/// A name that does not resolve now passes: every connection checks the
/// addresses it resolves to again.
pub fn check_public_base_url(base_url: &str) -> Result<(), Invalid> {
    match private_address_of(base_url)? {
        Some(ip) => Err(Invalid::new(format!(
            "base_url {base_url} points to a private address ({ip}); start the server with \
             --allow-private-upstreams to allow loopback, private and link-local upstreams"
        ))),
        None => Ok(()),
    }
}

/// The first private address the host of `url` is or resolves to now, if
/// any (a name that does not resolve has none).
pub fn private_address_of(url: &str) -> Result<Option<IpAddr>, Invalid> {
    let uri: warp::http::Uri = url
        .parse()
        .map_err(|_| Invalid::new(format!("invalid URL '{url}'")))?;
    let host = uri.host().unwrap_or("").trim_matches(['[', ']']);
    let port = uri
        .port_u16()
        .unwrap_or(if uri.scheme_str() == Some("https") {
            443
        } else {
            80
        });
    let addrs: Vec<IpAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![ip],
        Err(_) => (host, port)
            .to_socket_addrs()
            .map(|it| it.map(|a| a.ip()).collect())
            .unwrap_or_default(),
    };
    Ok(addrs.into_iter().find(|ip| is_private(*ip)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_ranges_are_recognised() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "::ffff:127.0.0.1",
            "fd00:ec2::254",
            "fe80::1",
        ] {
            assert!(is_private(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "1.1.1.1", "2606:4700::1111", "100.128.0.1"] {
            assert!(!is_private(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn base_urls_on_private_hosts_are_refused() {
        assert!(check_public_base_url("http://127.0.0.1:4000").is_err());
        assert!(check_public_base_url("http://[::1]:4000").is_err());
        assert!(check_public_base_url("http://localhost:4000").is_err());
        assert!(check_public_base_url("https://93.184.216.34/v1").is_ok());
    }
}
