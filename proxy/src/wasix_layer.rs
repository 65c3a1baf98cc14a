//! WASIX sockets (`wasix_32v1`, wasm32-wasip1) for Wasmer.
//!
//! WASIX has no async runtime on crates.io (no tokio, no mio), so this layer brings
//! the smallest one that serves the proxy: [`crate::local_rt`]'s executor, and a
//! reactor that is one `poll_oneoff` call. Every socket is non-blocking; an operation
//! that answers EAGAIN registers its fd and direction and yields, and when no task can
//! run, all registered fds (plus the nearest timer) go into a single `poll_oneoff`,
//! whose events wake exactly the tasks waiting on them.
//!
//! Socket calls: `sock_open`/`sock_bind`/`sock_listen`/`sock_accept_v2`/`sock_connect`/
//! `sock_status`/`sock_addr_*`/`resolve` from `wasix_32v1`; `sock_recv`/`sock_send`/
//! `sock_shutdown`/`fd_close`/`fd_fdstat_set_flags`/`poll_oneoff` from preview 1,
//! which Wasmer implements for sockets too. Address structs are laid out by hand
//! ([`crate::wasix_abi`]) because the `wasix` crate's generated ones do not match
//! Wasmer 7.4.2.

use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::rc::Rc;

use wasix::wasi;

use crate::config::Remote;
use crate::local_rt::{Direction, Executor, Interests, Park, Readiness};
use crate::net::{Connection, ReadHalf, SocketLayer, WriteHalf};
use crate::wasix_abi::{self, ADDR_LEN, ADDR_PORT_LEN};

pub struct WasixLayer;

thread_local! {
    // One per (single-threaded) instance, alive as long as it: leaking it gives
    // futures a plain reference to hold across awaits.
    static INTERESTS: &'static Interests = Box::leak(Box::default());
}

fn interests() -> &'static Interests {
    INTERESTS.with(|i| *i)
}

/// An owned socket descriptor; closing it first removes it from the reactor, so no
/// later `poll_oneoff` names a closed (or reused) fd.
pub struct Socket(u32);

impl Drop for Socket {
    fn drop(&mut self) {
        interests().forget(self.0);
        // SAFETY: plain host call on a descriptor this value owns.
        let _ = unsafe { wasi::fd_close(self.0) };
    }
}

impl Socket {
    fn open(addr: &SocketAddr) -> io::Result<Socket> {
        let family = match addr {
            SocketAddr::V4(_) => wasix::ADDRESS_FAMILY_INET4,
            SocketAddr::V6(_) => wasix::ADDRESS_FAMILY_INET6,
        };
        // SAFETY: plain host calls with scalar arguments.
        let fd = unsafe {
            wasix::sock_open(
                family,
                wasix::SOCK_TYPE_SOCKET_STREAM,
                wasix::SOCK_PROTO_TCP,
            )
        }
        .map_err(wasix_error)?;
        let socket = Socket(fd);
        // SAFETY: as above.
        unsafe { wasi::fd_fdstat_set_flags(fd, wasi::FDFLAGS_NONBLOCK) }.map_err(wasi_error)?;
        Ok(socket)
    }

    fn set_flag(&self, option: wasix::SockOption) {
        // Best effort: nodelay and reuseaddr only tune the socket.
        // SAFETY: plain host call with scalar arguments.
        let _ = unsafe { wasix::sock_set_opt_flag(self.0, option, wasix::BOOL_TRUE) };
    }

    /// Waits until `fd` may be ready in `direction` (a hint: the caller retries).
    async fn ready(&self, direction: Direction) {
        Readiness::new(interests(), self.0, direction).await;
    }

    fn address(
        &self,
        call: unsafe extern "C" fn(i32, i32) -> i32,
        what: &str,
    ) -> io::Result<SocketAddr> {
        let mut raw = [0u8; ADDR_PORT_LEN];
        // SAFETY: the host writes at most ADDR_PORT_LEN bytes into `raw`.
        check(unsafe { call(self.0 as i32, raw.as_mut_ptr() as i32) })?;
        wasix_abi::decode_addr_port(&raw).ok_or_else(|| bad_family(what))
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.address(wasix::wasix_32v1::sock_addr_local, "local address")
    }

    fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.address(wasix::wasix_32v1::sock_addr_peer, "peer address")
    }
}

pub struct WasixRead(Rc<Socket>);
pub struct WasixWrite(Rc<Socket>);

impl ReadHalf for WasixRead {
    async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let iovec = [wasi::Iovec {
                buf: buf.as_mut_ptr(),
                buf_len: buf.len(),
            }];
            // SAFETY: the iovec describes `buf`, which outlives the call.
            match unsafe { wasi::sock_recv(self.0 .0, &iovec, 0) } {
                Ok((n, _)) => return Ok(n),
                Err(wasi::ERRNO_AGAIN) => self.0.ready(Direction::Read).await,
                Err(e) => return Err(wasi_error(e)),
            }
        }
    }
}

impl WriteHalf for WasixWrite {
    async fn write_all(&mut self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            let ciovec = [wasi::Ciovec {
                buf: buf.as_ptr(),
                buf_len: buf.len(),
            }];
            // SAFETY: the ciovec describes `buf`, which outlives the call.
            match unsafe { wasi::sock_send(self.0 .0, &ciovec, 0) } {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => buf = &buf[n..],
                Err(wasi::ERRNO_AGAIN) => self.0.ready(Direction::Write).await,
                Err(e) => return Err(wasi_error(e)),
            }
        }
        Ok(())
    }

    async fn shutdown(&mut self) -> io::Result<()> {
        // SAFETY: plain host call with scalar arguments.
        unsafe { wasi::sock_shutdown(self.0 .0, wasi::SDFLAGS_WR) }.map_err(wasi_error)
    }
}

type WasixConnection = Connection<WasixRead, WasixWrite>;

fn connection(socket: Socket, peer: Option<SocketAddr>) -> io::Result<WasixConnection> {
    // Relayed bytes should leave at once, not wait for Nagle to batch them.
    socket.set_flag(wasix::SOCK_OPTION_NO_DELAY);
    let local = socket.local_addr()?;
    let peer = match peer {
        Some(peer) => peer,
        None => socket.peer_addr()?,
    };
    let socket = Rc::new(socket);
    Ok(Connection {
        read: WasixRead(Rc::clone(&socket)),
        write: WasixWrite(socket),
        local,
        peer,
    })
}

async fn connect_addr(addr: SocketAddr) -> io::Result<WasixConnection> {
    let socket = Socket::open(&addr)?;
    let raw = wasix_abi::encode_addr_port(addr);
    // SAFETY: the host reads ADDR_PORT_LEN bytes from `raw`.
    match check(unsafe { wasix::wasix_32v1::sock_connect(socket.0 as i32, raw.as_ptr() as i32) }) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(i32::from(wasi::ERRNO_INPROGRESS.raw())) => loop {
            socket.ready(Direction::Write).await;
            // SAFETY: plain host call; the status is returned by value.
            let status = unsafe { wasix::sock_status(socket.0) }.map_err(wasix_error)?;
            if status == wasix::SOCK_STATUS_OPENED {
                break;
            }
            if status != wasix::SOCK_STATUS_OPENING {
                return Err(last_error(&socket));
            }
        },
        Err(e) => return Err(e),
    }
    connection(socket, Some(addr))
}

/// Why a non-blocking connect failed, as the socket's latched error.
fn last_error(socket: &Socket) -> io::Error {
    // SAFETY: plain host call; the size is returned by value.
    match unsafe { wasix::sock_get_opt_size(socket.0, wasix::SOCK_OPTION_LAST_ERROR) } {
        Ok(errno) if errno != 0 => io::Error::from_raw_os_error(errno as i32),
        _ => io::Error::new(io::ErrorKind::ConnectionRefused, "connect failed"),
    }
}

/// All addresses of `host`. An IP literal resolves to itself; a name goes to the
/// host's resolver through WASIX `resolve`, which blocks the instance meanwhile
/// (WASIX has no asynchronous lookup).
fn resolve(host: &str, port: u16) -> io::Result<Vec<IpAddr>> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![ip]);
    }
    let mut raw = [[0u8; ADDR_LEN]; 16];
    let mut found: u32 = 0;
    // SAFETY: the host writes at most `raw.len()` entries of ADDR_LEN bytes into `raw`
    // and the count into `found`; `host` is read for `host.len()` bytes.
    check(unsafe {
        wasix::wasix_32v1::resolve(
            host.as_ptr() as i32,
            host.len() as i32,
            i32::from(port),
            raw.as_mut_ptr() as i32,
            raw.len() as i32,
            &mut found as *mut u32 as i32,
        )
    })?;
    Ok(raw
        .iter()
        .take(found as usize)
        .filter_map(wasix_abi::decode_addr)
        .collect())
}

/// The reactor's blocking wait: one `poll_oneoff` over every registered interest.
struct PollOneoff;

const TIMER: u64 = u64::MAX;

/// Wasmer's default cap on subscriptions per `poll_oneoff` (more fail with E2BIG).
const MAX_SUBSCRIPTIONS: usize = 1024;

/// Wasmer reads a relative clock timeout of 1 ns as "do not block" (and 0 as "never").
const DONT_BLOCK: u64 = 1;
/// How long to nap when the interests exceed one poll and none of them is ready.
const NAP: u64 = 1_000_000;

fn now() -> u64 {
    // SAFETY: plain host call; the time is returned by value.
    unsafe { wasi::clock_time_get(wasi::CLOCKID_MONOTONIC, 1) }.unwrap_or(0)
}

fn fd_subscription(userdata: usize, fd: u32, direction: Direction) -> wasi::Subscription {
    wasi::Subscription {
        userdata: userdata as u64,
        u: wasi::SubscriptionU {
            tag: match direction {
                Direction::Read => wasi::EVENTTYPE_FD_READ.raw(),
                Direction::Write => wasi::EVENTTYPE_FD_WRITE.raw(),
            },
            u: wasi::SubscriptionUU {
                fd_read: wasi::SubscriptionFdReadwrite {
                    file_descriptor: fd,
                },
            },
        },
    }
}

fn clock_subscription(timeout: u64) -> wasi::Subscription {
    wasi::Subscription {
        userdata: TIMER,
        u: wasi::SubscriptionU {
            tag: wasi::EVENTTYPE_CLOCK.raw(),
            u: wasi::SubscriptionUU {
                clock: wasi::SubscriptionClock {
                    id: wasi::CLOCKID_MONOTONIC,
                    timeout,
                    precision: 0,
                    flags: 0,
                },
            },
        },
    }
}

/// One `poll_oneoff`; returns the userdata of the fd subscriptions that fired.
fn poll(subscriptions: &[wasi::Subscription]) -> io::Result<Vec<u64>> {
    let mut events: Vec<wasi::Event> = Vec::with_capacity(subscriptions.len());
    // SAFETY: `events` has room for one event per subscription, as poll_oneoff
    // requires; only the `n` it reports are then treated as initialised.
    unsafe {
        let n = wasi::poll_oneoff(
            subscriptions.as_ptr(),
            events.as_mut_ptr(),
            subscriptions.len(),
        )
        .map_err(wasi_error)?;
        events.set_len(n.min(subscriptions.len()));
    }
    // An event with an error counts too: the woken task's retried call reports it.
    Ok(events
        .iter()
        .map(|e| e.userdata)
        .filter(|&u| u != TIMER)
        .collect())
}

impl Park for PollOneoff {
    fn park(&self) -> io::Result<()> {
        let interests = interests();
        let waiting = interests.snapshot();
        let subscriptions: Vec<wasi::Subscription> = waiting
            .iter()
            .enumerate()
            .map(|(i, &(fd, direction))| fd_subscription(i, fd, direction))
            .collect();
        // Wait at least a millisecond for a timer: see DONT_BLOCK.
        let timer = interests
            .next_deadline()
            .map(|deadline| deadline.saturating_sub(now()).max(NAP));
        let fired = if subscriptions.len() < MAX_SUBSCRIPTIONS {
            let mut all = subscriptions;
            all.extend(timer.map(clock_subscription));
            if all.is_empty() {
                return Err(io::Error::other("every task waits, but on nothing"));
            }
            poll(&all)?
        } else {
            // Too many for one call: sweep them in chunks without blocking; if none is
            // ready, nap on the first chunk. Only this many idle connections pay the
            // millisecond of latency.
            let chunks: Vec<&[wasi::Subscription]> =
                subscriptions.chunks(MAX_SUBSCRIPTIONS - 1).collect();
            let mut fired = Vec::new();
            for chunk in &chunks {
                let mut sweep = chunk.to_vec();
                sweep.push(clock_subscription(DONT_BLOCK));
                fired.extend(poll(&sweep)?);
            }
            if fired.is_empty() {
                let mut nap = chunks[0].to_vec();
                nap.push(clock_subscription(timer.unwrap_or(NAP).min(NAP)));
                fired = poll(&nap)?;
            }
            fired
        };
        for userdata in fired {
            if let Some(&(fd, direction)) =
                usize::try_from(userdata).ok().and_then(|i| waiting.get(i))
            {
                interests.fire(fd, direction);
            }
        }
        interests.fire_timers(now());
        Ok(())
    }
}

/// Waits until the monotonic clock passes `deadline`.
struct Sleep(u64);

impl Future for Sleep {
    type Output = ();

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        if now() >= self.0 {
            return std::task::Poll::Ready(());
        }
        interests().add_timer(self.0, cx.waker());
        std::task::Poll::Pending
    }
}

impl SocketLayer for WasixLayer {
    type Listener = Socket;
    type Read = WasixRead;
    type Write = WasixWrite;

    fn run<F: Future>(future: F) -> io::Result<F::Output> {
        Executor::block_on(future, &PollOneoff)
    }

    fn spawn(task: impl Future<Output = ()> + 'static) {
        Executor::spawn(task);
    }

    async fn listen(addr: SocketAddr) -> io::Result<(Socket, SocketAddr)> {
        let socket = Socket::open(&addr)?;
        socket.set_flag(wasix::SOCK_OPTION_REUSE_ADDR);
        let raw = wasix_abi::encode_addr_port(addr);
        // SAFETY: the host reads ADDR_PORT_LEN bytes from `raw`.
        check(unsafe { wasix::wasix_32v1::sock_bind(socket.0 as i32, raw.as_ptr() as i32) })?;
        // SAFETY: plain host call with scalar arguments.
        unsafe { wasix::sock_listen(socket.0, 1024) }.map_err(wasix_error)?;
        let bound = socket.local_addr()?;
        Ok((socket, bound))
    }

    async fn accept(listener: &Socket) -> io::Result<WasixConnection> {
        loop {
            let mut fd: u32 = 0;
            let mut raw = [0u8; ADDR_PORT_LEN];
            // SAFETY: the host writes the new fd into `fd` and at most ADDR_PORT_LEN
            // bytes into `raw`.
            let result = check(unsafe {
                wasix::wasix_32v1::sock_accept_v2(
                    listener.0 as i32,
                    i32::from(wasi::FDFLAGS_NONBLOCK),
                    &mut fd as *mut u32 as i32,
                    raw.as_mut_ptr() as i32,
                )
            });
            match result {
                Ok(()) => {
                    let socket = Socket(fd);
                    let peer = wasix_abi::decode_addr_port(&raw);
                    return connection(socket, peer);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    listener.ready(Direction::Read).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    async fn connect(remote: &Remote) -> io::Result<WasixConnection> {
        crate::net::connect_any(
            resolve(&remote.host, remote.port)?,
            remote.port,
            connect_addr,
        )
        .await
    }

    async fn pause(millis: u64) {
        Sleep(now().saturating_add(millis * 1_000_000)).await;
    }
}

/// WASI/WASIX errno values are what std uses as raw OS errors on wasm32-wasip1, so
/// std supplies the ErrorKind and the message.
fn check(errno: i32) -> io::Result<()> {
    match errno {
        0 => Ok(()),
        e => Err(io::Error::from_raw_os_error(e)),
    }
}

fn wasi_error(errno: wasi::Errno) -> io::Error {
    io::Error::from_raw_os_error(i32::from(errno.raw()))
}

fn wasix_error(errno: wasix::Errno) -> io::Error {
    io::Error::from_raw_os_error(i32::from(errno.raw()))
}

fn bad_family(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("the host returned a {what} of an unknown family"),
    )
}
