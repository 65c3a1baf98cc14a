//! Byte layouts of the WASIX address structs as Wasmer 7.4.2 reads and writes them
//! (wasmer-wasix `net::read_ip_port` / `write_ip_port` / `write_ip`). Kept free of the
//! `wasix` crate so the layouts are tested natively.
//!
//! `addr_port` is 20 bytes: family tag, a zero pad byte, then 18 bytes: a 2-byte port
//! and the address (4 or 16 bytes, network order). The port's byte order differs by
//! direction: Wasmer reads a guest's port in little-endian (`from_ne_bytes` on its
//! x86/ARM hosts) but writes ports back big-endian. The `wasix` crate's generated
//! `AddrPort` (28 bytes, an IPv6 of eight u16 plus flow and scope) matches neither,
//! so the layer passes these byte arrays to the raw imports instead.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

pub const ADDR_PORT_LEN: usize = 20;
/// `addr`, as `resolve` writes it: tag, pad, 16 address bytes.
pub const ADDR_LEN: usize = 18;

const TAG_INET4: u8 = 1;
const TAG_INET6: u8 = 2;

/// An address for `sock_bind` / `sock_connect`.
pub fn encode_addr_port(addr: SocketAddr) -> [u8; ADDR_PORT_LEN] {
    let mut out = [0u8; ADDR_PORT_LEN];
    out[2..4].copy_from_slice(&addr.port().to_le_bytes());
    match addr.ip() {
        IpAddr::V4(ip) => {
            out[0] = TAG_INET4;
            out[4..8].copy_from_slice(&ip.octets());
        }
        IpAddr::V6(ip) => {
            out[0] = TAG_INET6;
            out[4..20].copy_from_slice(&ip.octets());
        }
    }
    out
}

/// An address from `sock_addr_local` / `sock_addr_peer` / `sock_accept_v2`.
pub fn decode_addr_port(raw: &[u8; ADDR_PORT_LEN]) -> Option<SocketAddr> {
    let port = u16::from_be_bytes([raw[2], raw[3]]);
    let ip = decode_ip(raw[0], &raw[4..20])?;
    Some(SocketAddr::new(ip, port))
}

/// An address from `resolve`.
pub fn decode_addr(raw: &[u8; ADDR_LEN]) -> Option<IpAddr> {
    decode_ip(raw[0], &raw[2..18])
}

fn decode_ip(tag: u8, bytes: &[u8]) -> Option<IpAddr> {
    match tag {
        TAG_INET4 => Some(IpAddr::V4(Ipv4Addr::new(
            bytes[0], bytes[1], bytes[2], bytes[3],
        ))),
        TAG_INET6 => {
            let octets: [u8; 16] = bytes[..16].try_into().ok()?;
            Some(IpAddr::V6(Ipv6Addr::from(octets)))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_go_in_little_endian_and_come_back_big_endian() {
        let addr: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let sent = encode_addr_port(addr);
        assert_eq!(sent[..8], [1, 0, 0x90, 0x1f, 127, 0, 0, 1]);
        // What Wasmer's write_ip_port produces for the same address.
        let mut received = [0u8; ADDR_PORT_LEN];
        received[..8].copy_from_slice(&[1, 0, 0x1f, 0x90, 127, 0, 0, 1]);
        assert_eq!(decode_addr_port(&received), Some(addr));
    }

    #[test]
    fn ipv6_round_trips_through_the_host_layout() {
        let addr: SocketAddr = "[2001:db8::1]:443".parse().unwrap();
        let sent = encode_addr_port(addr);
        assert_eq!(sent[0], 2);
        assert_eq!(
            &sent[4..20],
            &"2001:db8::1".parse::<Ipv6Addr>().unwrap().octets()
        );
        let mut received = sent;
        received[2..4].copy_from_slice(&443u16.to_be_bytes());
        assert_eq!(decode_addr_port(&received), Some(addr));
    }

    #[test]
    fn resolved_addresses_and_unknown_families() {
        let mut raw = [0u8; ADDR_LEN];
        raw[0] = 1;
        raw[2..6].copy_from_slice(&[10, 1, 2, 3]);
        assert_eq!(decode_addr(&raw), Some("10.1.2.3".parse().unwrap()));
        raw[0] = 2;
        raw[2..18].copy_from_slice(&Ipv6Addr::LOCALHOST.octets());
        assert_eq!(decode_addr(&raw), Some(IpAddr::V6(Ipv6Addr::LOCALHOST)));
        raw[0] = 3; // unix
        assert_eq!(decode_addr(&raw), None);
        assert_eq!(decode_addr_port(&[0; ADDR_PORT_LEN]), None);
    }
}
