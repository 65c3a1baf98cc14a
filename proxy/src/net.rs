//! What a socket ABI must provide to the proxy. One implementation per ABI; the
//! proxy logic in [`crate::serve`] and [`crate::relay`] is written only against this.

use std::future::Future;
use std::io;
use std::net::SocketAddr;

use crate::config::Remote;

/// The receiving half of a TCP connection.
#[allow(async_fn_in_trait)] // guests are single-threaded: no Send bound wanted
pub trait ReadHalf {
    /// Reads what is available now (at least one byte), or 0 at end of stream.
    async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize>;
}

/// The sending half of a TCP connection.
#[allow(async_fn_in_trait)]
pub trait WriteHalf {
    async fn write_all(&mut self, buf: &[u8]) -> io::Result<()>;
    /// Sends FIN: the peer reads end of stream while it can still send to us.
    async fn shutdown(&mut self) -> io::Result<()>;
}

/// An established connection, split so both directions can run at once.
pub struct Connection<R, W> {
    pub read: R,
    pub write: W,
    pub local: SocketAddr,
    pub peer: SocketAddr,
}

#[allow(async_fn_in_trait)]
pub trait SocketLayer: 'static {
    type Listener;
    type Read: ReadHalf + 'static;
    type Write: WriteHalf + 'static;

    /// Drives the proxy's top-level future to completion on this ABI's executor.
    fn run<F: Future>(future: F) -> io::Result<F::Output>;

    /// Runs a connection's task concurrently with the accept loop.
    fn spawn(task: impl Future<Output = ()> + 'static);

    /// Binds and listens; returns the bound address (the real port when asked for 0).
    async fn listen(addr: SocketAddr) -> io::Result<(Self::Listener, SocketAddr)>;

    async fn accept(listener: &Self::Listener) -> io::Result<Connection<Self::Read, Self::Write>>;

    /// Resolves `remote` (names included) and connects to the first address that answers.
    async fn connect(remote: &Remote) -> io::Result<Connection<Self::Read, Self::Write>>;

    /// Waits a little; used to back off when accept keeps failing (e.g. out of fds).
    async fn pause(millis: u64);
}

/// Connects to the first of `ips` that answers on `port`, in the resolver's order; if
/// none does, the last error. Layers whose host API resolves names separately share
/// this rule instead of each writing it again.
pub async fn connect_any<C, F, Fut>(
    ips: impl IntoIterator<Item = std::net::IpAddr>,
    port: u16,
    mut connect: F,
) -> io::Result<C>
where
    F: FnMut(SocketAddr) -> Fut,
    Fut: Future<Output = io::Result<C>>,
{
    let mut last_error = None;
    for ip in ips {
        match connect(SocketAddr::new(ip, port)).await {
            Ok(connection) => return Ok(connection),
            Err(e) => last_error = Some(e),
        }
    }
    Err(last_error
        .unwrap_or_else(|| io::Error::new(io::ErrorKind::NotFound, "the name has no addresses")))
}
