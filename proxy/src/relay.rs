//! The relay core: both directions at once, each in real time, half-close preserved.

use std::cell::Cell;
use std::fmt;
use std::io;

use futures_util::future::try_join;

use crate::net::{ReadHalf, WriteHalf};

/// The most bytes read per call by default (`PROXY_BUFFER_BYTES` overrides it); large
/// enough that bulk transfers are not call-bound. `harness bench` compared 16 KiB to
/// 1 MiB in one run: native, WasmEdge and wasmtime were level from 64 KiB up, Wasmer
/// relayed 1.25-1.4x faster with 256 KiB than with 64 KiB. Buffers start small (see
/// [`INITIAL_BUFFER`]), so the size costs memory only on connections that fill it.
pub const BUFFER_SIZE: usize = 256 * 1024;

/// What each direction's buffer starts at. It grows (x4 at a time, up to the configured
/// size) only when a read fills it, so a connection that carries little costs little:
/// 1000 idle connections hold 8 MiB of buffers, not 2 x 1000 x the full size (in a wasm
/// guest, linear memory that never shrinks), and a new connection zeroes only 8 KiB.
pub const INITIAL_BUFFER: usize = 4 * 1024;

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
    buffer_bytes: usize,
) -> Result<(), RelayError> {
    let limit = buffer_bytes.max(1);
    let mut buf = vec![0u8; INITIAL_BUFFER.min(limit)];
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
        if n == buf.len() && buf.len() < limit {
            buf.resize((buf.len() * 4).min(limit), 0);
        }
    }
}

/// Relays until both directions reached end of stream, or either failed. On failure the
/// other direction is dropped with it, so both sockets close and nothing hangs half-dead.
/// `buffer_bytes` caps each direction's buffer (see [`BUFFER_SIZE`]).
pub async fn relay<CR, CW, UR, UW>(
    client: (CR, CW),
    upstream: (UR, UW),
    transfer: &Transfer,
    buffer_bytes: usize,
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
        buffer_bytes,
    );
    let inbound = pump(
        upstream_read,
        client_write,
        &transfer.upstream_to_client,
        (Leg::UpstreamRead, Leg::ClientWrite),
        buffer_bytes,
    );
    try_join(outbound, inbound).await.map(|_| ())
}

#[cfg(all(test, not(target_os = "wasi")))]
mod tests {
    use super::*;
    use crate::tokio_layer::{TokioRead, TokioWrite};
    use tokio::io::{duplex, split, AsyncReadExt, AsyncWriteExt, DuplexStream};

    /// A relay between two in-memory pipes; returns the far ends (client, upstream).
    fn relayed(
        transfer: &Transfer,
    ) -> (
        DuplexStream,
        DuplexStream,
        impl std::future::Future<Output = Result<(), RelayError>> + '_,
    ) {
        let (client, proxy_client_side) = duplex(1024);
        let (upstream, proxy_upstream_side) = duplex(1024);
        let (cr, cw) = split(proxy_client_side);
        let (ur, uw) = split(proxy_upstream_side);
        let running = relay(
            (TokioRead(cr), TokioWrite(cw)),
            (TokioRead(ur), TokioWrite(uw)),
            transfer,
            BUFFER_SIZE,
        );
        (client, upstream, running)
    }

    fn run<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(future)
    }

    #[test]
    fn both_directions_flow_at_once_and_half_close_passes_through() {
        run(async {
            let transfer = Transfer::default();
            let (mut client, mut upstream, running) = relayed(&transfer);
            let peers = async {
                // More than the pipes hold, both ways at once: a one-direction-at-a-time
                // relay would deadlock here.
                let payload: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
                let (mut client_read, mut client_write) = split(&mut client);
                let (mut upstream_read, mut upstream_write) = split(&mut upstream);
                let send_up = async {
                    client_write.write_all(&payload).await.unwrap();
                    client_write.shutdown().await.unwrap();
                };
                let send_down = async {
                    upstream_write.write_all(&payload).await.unwrap();
                };
                let mut at_upstream = Vec::new();
                let mut at_client = vec![0u8; payload.len()];
                let receive_up = upstream_read.read_to_end(&mut at_upstream);
                let receive_down = client_read.read_exact(&mut at_client);
                let (_, _, up, down) = tokio::join!(send_up, send_down, receive_up, receive_down);
                up.unwrap();
                down.unwrap();
                // The client's FIN reached the upstream (read_to_end returned) while
                // the upstream could still send: half-close is preserved.
                assert_eq!(at_upstream, payload);
                assert_eq!(at_client, payload);
                upstream_write.shutdown().await.unwrap();
                let mut rest = Vec::new();
                client_read.read_to_end(&mut rest).await.unwrap();
                assert!(rest.is_empty());
            };
            let (result, ()) = tokio::join!(running, peers);
            result.unwrap();
            assert_eq!(transfer.client_to_upstream.get(), 200_000);
            assert_eq!(transfer.upstream_to_client.get(), 200_000);
        });
    }

    /// Fills every read it is given and records how large each read's buffer was.
    struct Firehose {
        left: usize,
        sizes: std::rc::Rc<std::cell::RefCell<Vec<usize>>>,
    }

    impl ReadHalf for Firehose {
        async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.sizes.borrow_mut().push(buf.len());
            let n = buf.len().min(self.left);
            self.left -= n;
            Ok(n)
        }
    }

    struct Discard;

    impl WriteHalf for Discard {
        async fn write_all(&mut self, _: &[u8]) -> io::Result<()> {
            Ok(())
        }

        async fn shutdown(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_buffer_starts_small_and_grows_only_while_reads_fill_it() {
        let sizes = std::rc::Rc::default();
        let counter = Cell::new(0);
        let from = Firehose {
            left: 1_000_000,
            sizes: std::rc::Rc::clone(&sizes),
        };
        let legs = (Leg::ClientRead, Leg::UpstreamWrite);
        run(pump(from, Discard, &counter, legs, 100_000)).unwrap();
        let sizes = sizes.borrow();
        assert_eq!(sizes[..4], [4096, 16384, 65536, 100_000]);
        assert!(sizes[4..].iter().all(|&n| n == 100_000), "{sizes:?}");
        assert_eq!(counter.get(), 1_000_000);
    }

    #[test]
    fn a_failing_side_ends_the_whole_relay() {
        run(async {
            let transfer = Transfer::default();
            let (client, upstream, running) = relayed(&transfer);
            // The upstream vanishes while the client still has its side open: writing
            // to it fails, and the relay must end rather than wait on the client.
            drop(upstream);
            let mut client = client;
            client.write_all(b"lost cause").await.unwrap();
            let result = tokio::time::timeout(std::time::Duration::from_secs(5), running)
                .await
                .expect("the relay ended");
            let error = result.unwrap_err();
            assert!(
                matches!(error.leg, Leg::UpstreamWrite | Leg::UpstreamRead),
                "{error}"
            );
        });
    }
}
