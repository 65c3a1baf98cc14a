//! `wasi:sockets` (WASI 0.2 components, wasm32-wasip2), e.g. for wasmtime.
//!
//! Executor and reactor are wstd's: one thread, every wait is a wasi:io pollable and
//! the reactor blocks in `wasi:io/poll.poll` over all of them, so many connections
//! progress at once without threads. The sockets themselves go through the raw
//! `wasip2` bindings rather than wstd's `TcpStream`, because wstd 0.6.8 panics
//! (`todo!`) on an IPv6 connect, resolves names with a blocking std lookup, reports
//! addresses only as debug strings, and offers no way to half-close a stream other
//! than dropping a borrowed write half.
//!
//! WASI 0.2's `wasi:cli/exit` carries only success or failure, so the configuration
//! error status 2 that `main` asks for leaves the runtime as a plain failure (1).

use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::rc::Rc;

use wasip2::io::streams::{InputStream, OutputStream};
use wasip2::sockets::instance_network::instance_network;
use wasip2::sockets::ip_name_lookup::resolve_addresses;
use wasip2::sockets::network::{
    ErrorCode, IpAddress, IpAddressFamily, IpSocketAddress, Ipv4SocketAddress, Ipv6SocketAddress,
};
use wasip2::sockets::tcp::{ShutdownType, TcpSocket};
use wasip2::sockets::tcp_create_socket::create_tcp_socket;
use wstd::io::{AsyncInputStream, AsyncOutputStream};
use wstd::runtime::AsyncPollable;

use crate::config::Remote;
use crate::net::{Connection, ReadHalf, SocketLayer, WriteHalf};

pub struct Wasip2Layer;

/// A listening socket. Field order is drop order: the pollable is a child resource
/// of the socket and must go first, or the host traps.
pub struct Listener {
    ready: AsyncPollable,
    socket: TcpSocket,
}

/// Both halves share the socket; each holds its own stream, dropped before the
/// socket (a child resource outliving its parent traps).
pub struct Wasip2Read {
    input: AsyncInputStream,
    _socket: Rc<TcpSocket>,
}

pub struct Wasip2Write {
    output: AsyncOutputStream,
    socket: Rc<TcpSocket>,
}

impl ReadHalf for Wasip2Read {
    async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.input.read(buf).await.map_err(stream_error)
    }
}

impl WriteHalf for Wasip2Write {
    async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.output.write_all(buf).await.map_err(stream_error)
    }

    async fn shutdown(&mut self) -> io::Result<()> {
        // Writes are queued in the host; shutting down before they are flushed can
        // cut off the tail of the stream.
        self.output.flush().await.map_err(stream_error)?;
        self.socket.shutdown(ShutdownType::Send).map_err(to_io)
    }
}

type Wasip2Connection = Connection<Wasip2Read, Wasip2Write>;

fn connection(
    socket: TcpSocket,
    input: InputStream,
    output: OutputStream,
) -> io::Result<Wasip2Connection> {
    let local = from_wasi(socket.local_address().map_err(to_io)?);
    let peer = from_wasi(socket.remote_address().map_err(to_io)?);
    let socket = Rc::new(socket);
    Ok(Connection {
        read: Wasip2Read {
            input: AsyncInputStream::new(input),
            _socket: Rc::clone(&socket),
        },
        write: Wasip2Write {
            output: AsyncOutputStream::new(output),
            socket,
        },
        local,
        peer,
    })
}

/// Calls `attempt` until it stops saying `would-block`, waiting on `ready` in between.
async fn retry<T>(
    ready: &AsyncPollable,
    mut attempt: impl FnMut() -> Result<T, ErrorCode>,
) -> io::Result<T> {
    loop {
        match attempt() {
            Err(ErrorCode::WouldBlock) => ready.wait_for().await,
            other => return other.map_err(to_io),
        }
    }
}

async fn connect_addr(addr: SocketAddr) -> io::Result<Wasip2Connection> {
    let socket = create_tcp_socket(family(addr)).map_err(to_io)?;
    socket
        .start_connect(&instance_network(), to_wasi(addr))
        .map_err(to_io)?;
    let ready = AsyncPollable::new(socket.subscribe());
    let (input, output) = retry(&ready, || socket.finish_connect()).await?;
    drop(ready);
    connection(socket, input, output)
}

/// All addresses of `host`, via wasi:sockets/ip-name-lookup without blocking the
/// other connections. An IP literal resolves to itself.
async fn resolve(host: &str) -> io::Result<Vec<IpAddr>> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![ip]);
    }
    let stream = resolve_addresses(&instance_network(), host).map_err(to_io)?;
    let ready = AsyncPollable::new(stream.subscribe());
    let mut found = Vec::new();
    while let Some(ip) = retry(&ready, || stream.resolve_next_address()).await? {
        found.push(match ip {
            IpAddress::Ipv4((a, b, c, d)) => IpAddr::V4(Ipv4Addr::new(a, b, c, d)),
            IpAddress::Ipv6((a, b, c, d, e, f, g, h)) => {
                IpAddr::V6(Ipv6Addr::new(a, b, c, d, e, f, g, h))
            }
        });
    }
    Ok(found)
}

impl SocketLayer for Wasip2Layer {
    type Listener = Listener;
    type Read = Wasip2Read;
    type Write = Wasip2Write;

    fn run<F: Future>(future: F) -> io::Result<F::Output> {
        Ok(wstd::runtime::block_on(future))
    }

    fn spawn(task: impl Future<Output = ()> + 'static) {
        wstd::runtime::spawn(task).detach();
    }

    async fn listen(addr: SocketAddr) -> io::Result<(Listener, SocketAddr)> {
        let socket = create_tcp_socket(family(addr)).map_err(to_io)?;
        let ready = AsyncPollable::new(socket.subscribe());
        socket
            .start_bind(&instance_network(), to_wasi(addr))
            .map_err(to_io)?;
        retry(&ready, || socket.finish_bind()).await?;
        socket.start_listen().map_err(to_io)?;
        retry(&ready, || socket.finish_listen()).await?;
        let bound = from_wasi(socket.local_address().map_err(to_io)?);
        Ok((Listener { ready, socket }, bound))
    }

    async fn accept(listener: &Listener) -> io::Result<Wasip2Connection> {
        let (socket, input, output) = retry(&listener.ready, || listener.socket.accept()).await?;
        connection(socket, input, output)
    }

    async fn connect(remote: &Remote) -> io::Result<Wasip2Connection> {
        crate::net::connect_any(resolve(&remote.host).await?, remote.port, connect_addr).await
    }

    async fn pause(millis: u64) {
        let clock = wasip2::clocks::monotonic_clock::subscribe_duration(millis * 1_000_000);
        AsyncPollable::new(clock).wait_for().await;
    }
}

fn family(addr: SocketAddr) -> IpAddressFamily {
    match addr {
        SocketAddr::V4(_) => IpAddressFamily::Ipv4,
        SocketAddr::V6(_) => IpAddressFamily::Ipv6,
    }
}

fn to_wasi(addr: SocketAddr) -> IpSocketAddress {
    match addr {
        SocketAddr::V4(v4) => {
            let [a, b, c, d] = v4.ip().octets();
            IpSocketAddress::Ipv4(Ipv4SocketAddress {
                port: v4.port(),
                address: (a, b, c, d),
            })
        }
        SocketAddr::V6(v6) => {
            let [a, b, c, d, e, f, g, h] = v6.ip().segments();
            IpSocketAddress::Ipv6(Ipv6SocketAddress {
                port: v6.port(),
                flow_info: v6.flowinfo(),
                address: (a, b, c, d, e, f, g, h),
                scope_id: v6.scope_id(),
            })
        }
    }
}

fn from_wasi(addr: IpSocketAddress) -> SocketAddr {
    match addr {
        IpSocketAddress::Ipv4(v4) => {
            let (a, b, c, d) = v4.address;
            SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::new(a, b, c, d), v4.port))
        }
        IpSocketAddress::Ipv6(v6) => {
            let (a, b, c, d, e, f, g, h) = v6.address;
            SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::new(a, b, c, d, e, f, g, h),
                v6.port,
                v6.flow_info,
                v6.scope_id,
            ))
        }
    }
}

/// A failed stream operation as wstd reports it: the host's debug string of the error,
/// e.g. `connection-reset (error 15)`, which wasmtime follows with a multi-line stack
/// backtrace when RUST_BACKTRACE is set. Keeps the first line, and a kind for it.
fn stream_error(e: io::Error) -> io::Error {
    let text = e.to_string();
    let first = text.lines().next().unwrap_or_default();
    let kind = match first.split([' ', ':']).next().unwrap_or_default() {
        "connection-reset" => io::ErrorKind::ConnectionReset,
        "connection-aborted" => io::ErrorKind::ConnectionAborted,
        "connection-refused" => io::ErrorKind::ConnectionRefused,
        "timeout" => io::ErrorKind::TimedOut,
        "invalid-state" => io::ErrorKind::NotConnected,
        _ => e.kind(),
    };
    io::Error::new(kind, first.to_string())
}

/// wasi:sockets error codes as the io::ErrorKind a POSIX program would have seen.
fn to_io(code: ErrorCode) -> io::Error {
    use io::ErrorKind as K;
    let kind = match code {
        ErrorCode::AccessDenied => K::PermissionDenied,
        ErrorCode::NotSupported => K::Unsupported,
        ErrorCode::InvalidArgument => K::InvalidInput,
        ErrorCode::OutOfMemory => K::OutOfMemory,
        ErrorCode::Timeout => K::TimedOut,
        ErrorCode::WouldBlock => K::WouldBlock,
        ErrorCode::InvalidState => K::NotConnected,
        ErrorCode::AddressNotBindable => K::AddrNotAvailable,
        ErrorCode::AddressInUse => K::AddrInUse,
        ErrorCode::RemoteUnreachable => K::HostUnreachable,
        ErrorCode::ConnectionRefused => K::ConnectionRefused,
        ErrorCode::ConnectionReset => K::ConnectionReset,
        ErrorCode::ConnectionAborted => K::ConnectionAborted,
        ErrorCode::NameUnresolvable => K::NotFound,
        _ => K::Other,
    };
    // The binding's message is the WIT doc comment, often several lines: keep the first.
    let message = code.message().lines().next().unwrap_or_default();
    io::Error::new(kind, format!("{message} ({})", code.name()))
}
