//! Client-side helpers: every connect, read and write has a timeout, and every
//! mismatch is described precisely (offset, expected vs got).

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::Duration;

/// A single blocking read or write may take this long before the scenario fails.
pub const IO_TIMEOUT: Duration = Duration::from_secs(30);

pub fn connect(addr: SocketAddr) -> Result<TcpStream, String> {
    let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(10))
        .map_err(|e| format!("cannot connect to the proxy at {addr}: {e}"))?;
    stream
        .set_read_timeout(Some(IO_TIMEOUT))
        .and_then(|_| stream.set_write_timeout(Some(IO_TIMEOUT)))
        .and_then(|_| stream.set_nodelay(true))
        .map_err(|e| format!("cannot configure client socket: {e}"))?;
    Ok(stream)
}

pub fn send(stream: &mut TcpStream, bytes: &[u8], what: &str) -> Result<(), String> {
    stream
        .write_all(bytes)
        .map_err(|e| format!("sending {what}: {}", describe(&e)))
}

pub fn half_close(stream: &TcpStream) -> Result<(), String> {
    stream
        .shutdown(Shutdown::Write)
        .map_err(|e| format!("shutting down the client's write half: {e}"))
}

/// Reads exactly `expected.len()` bytes and compares them.
pub fn expect(stream: &mut TcpStream, expected: &[u8], what: &str) -> Result<(), String> {
    let mut got = vec![0u8; expected.len()];
    let mut filled = 0;
    while filled < got.len() {
        match stream.read(&mut got[filled..]) {
            Ok(0) => {
                return Err(format!(
                    "{what}: connection closed after {filled} of {} bytes",
                    expected.len()
                ))
            }
            Ok(n) => filled += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => {
                return Err(format!(
                    "{what}: {} after {filled} of {} bytes",
                    describe(&e),
                    expected.len()
                ))
            }
        }
    }
    match first_difference(&got, expected) {
        None => Ok(()),
        Some(at) => Err(format!(
            "{what}: corrupted at byte {at}: expected {:?}, got {:?}",
            preview(&expected[at..]),
            preview(&got[at..])
        )),
    }
}

/// Expects the peer to have finished sending: a read returns 0.
pub fn expect_eof(stream: &mut TcpStream, what: &str) -> Result<(), String> {
    let mut extra = [0u8; 256];
    match stream.read(&mut extra) {
        Ok(0) => Ok(()),
        Ok(n) => Err(format!(
            "{what}: {n} unexpected extra bytes {:?}",
            preview(&extra[..n])
        )),
        Err(e) => Err(format!(
            "{what}: expected end of stream, got {}",
            describe(&e)
        )),
    }
}

/// Expects the proxy to close this client (EOF or reset) instead of leaving it open.
pub fn expect_closed(stream: &mut TcpStream, what: &str) -> Result<(), String> {
    let mut buf = [0u8; 256];
    match stream.read(&mut buf) {
        Ok(0) => Ok(()),
        Err(e) if matches!(e.kind(), ErrorKind::ConnectionReset | ErrorKind::BrokenPipe) => Ok(()),
        Ok(n) => Err(format!(
            "{what}: expected the connection closed, got {n} bytes"
        )),
        Err(e) => Err(format!(
            "{what}: expected the connection closed, got {}",
            describe(&e)
        )),
    }
}

fn describe(e: &std::io::Error) -> String {
    match e.kind() {
        ErrorKind::WouldBlock | ErrorKind::TimedOut => {
            format!("no data within {} s (hung)", IO_TIMEOUT.as_secs())
        }
        _ => e.to_string(),
    }
}

pub fn first_difference(a: &[u8], b: &[u8]) -> Option<usize> {
    a.iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .or((a.len() != b.len()).then_some(a.len().min(b.len())))
}

fn preview(bytes: &[u8]) -> String {
    String::from_utf8_lossy(&bytes[..bytes.len().min(24)]).into_owned()
}

/// Deterministic pseudo-random bytes (xorshift64*), so a payload can be regenerated
/// on the receiving side instead of kept twice in memory.
pub struct Pattern(u64);

impl Pattern {
    pub fn new(seed: u64) -> Pattern {
        Pattern(seed | 1)
    }

    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            let word = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_are_located() {
        assert_eq!(first_difference(b"abc", b"abc"), None);
        assert_eq!(first_difference(b"abc", b"abd"), Some(2));
        assert_eq!(first_difference(b"ab", b"abc"), Some(2));
    }

    #[test]
    fn pattern_is_reproducible_across_chunkings() {
        let (mut a, mut b) = (Pattern::new(7), Pattern::new(7));
        let mut whole = vec![0u8; 64];
        a.fill(&mut whole);
        let mut parts = vec![0u8; 64];
        b.fill(&mut parts[..32]);
        b.fill(&mut parts[32..]);
        assert_eq!(whole, parts);
        assert_ne!(whole, vec![0u8; 64]);
    }
}
