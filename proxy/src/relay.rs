//! The relay core: both directions at once, each in real time, half-close preserved.

use std::cell::Cell;
use std::fmt;
use std::io;

use futures_util::future::try_join;

use crate::net::{ReadHalf, WriteHalf};

/// Bytes read per system call; large enough that bulk transfers are not syscall-bound.
pub const BUFFER_SIZE: usize = 64 * 1024;

/// Which leg of a relayed connection an I/O error happened on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leg {
    ClientRead,
    ClientWrite,
    UpstreamRead,
    UpstreamWrite,
}

impl fmt::Display for Leg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Leg::ClientRead => "reading from client",
            Leg::ClientWrite => "writing to client",
            Leg::UpstreamRead => "reading from upstream",
            Leg::UpstreamWrite => "writing to upstream",
        })
    }
}

#[derive(Debug)]
pub struct RelayError {
    pub leg: Leg,
    pub source: io::Error,
}

impl fmt::Display for RelayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.leg, self.source)
    }
}

/// Bytes relayed so far, readable even when the relay ended in an error.
#[derive(Debug, Default)]
pub struct Transfer {
    pub client_to_upstream: Cell<u64>,
    pub upstream_to_client: Cell<u64>,
}

/// Copies one direction until end of stream, then half-closes the destination.
async fn pump(
    mut from: impl ReadHalf,
    mut to: impl WriteHalf,
    counter: &Cell<u64>,
    (read_leg, write_leg): (Leg, Leg),
) -> Result<(), RelayError> {
    let mut buf = vec![0u8; BUFFER_SIZE];
    loop {
        let n = from.read(&mut buf).await.map_err(|source| RelayError {
            leg: read_leg,
            source,
        })?;
        if n == 0 {
            return match to.shutdown().await {
                // The peer already closed both ways; the other direction will see it.
                Err(e) if e.kind() != io::ErrorKind::NotConnected => Err(RelayError {
                    leg: write_leg,
                    source: e,
                }),
                _ => Ok(()),
            };
        }
        to.write_all(&buf[..n]).await.map_err(|source| RelayError {
            leg: write_leg,
            source,
        })?;
        counter.set(counter.get() + n as u64);
    }
}

/// Relays until both directions reached end of stream, or either failed. On failure the
/// other direction is dropped with it, so both sockets close and nothing hangs half-dead.
pub async fn relay<CR, CW, UR, UW>(
    client: (CR, CW),
    upstream: (UR, UW),
    transfer: &Transfer,
) -> Result<(), RelayError>
where
    CR: ReadHalf,
    CW: WriteHalf,
    UR: ReadHalf,
    UW: WriteHalf,
{
    let (client_read, client_write) = client;
    let (upstream_read, upstream_write) = upstream;
    let outbound = pump(
        client_read,
        upstream_write,
        &transfer.client_to_upstream,
        (Leg::ClientRead, Leg::UpstreamWrite),
    );
    let inbound = pump(
        upstream_read,
        client_write,
        &transfer.upstream_to_client,
        (Leg::UpstreamRead, Leg::ClientWrite),
    );
    try_join(outbound, inbound).await.map(|_| ())
}
