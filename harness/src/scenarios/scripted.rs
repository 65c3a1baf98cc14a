//! A native upstream whose clients pick its behaviour: the first line a client sends
//! through the proxy (`echo`, `close-after 65536`, ...) is its [`Role`]. One proxy
//! has one REMOTE, so this is how a fault scenario puts a misbehaving connection next
//! to well-behaved ones on the same proxy. Every connection reports how it ended.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::client::Pattern;

/// Payloads are generated in blocks of this size on both sides, so a receiver can
/// regenerate exactly what a sender wrote ([`PatternStream`]).
pub const PATTERN_BLOCK: usize = 64 * 1024;

/// Longer than any fault's patience, so a connection the proxy leaves open shows up
/// as "not ended in time" in the scenario rather than as an upstream timeout.
const IO_TIMEOUT: Duration = Duration::from_secs(120);

/// What the upstream does with one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Echo until EOF, then half-close back.
    Echo,
    /// Echo too, but reported under its own name (the connection a fault targets).
    Victim,
    /// Send this many pattern bytes, then close normally (FIN) without reading more.
    CloseAfter(u64),
    /// Send this many pattern bytes, then reset (SO_LINGER 0, close: RST).
    ResetAfter(u64),
    /// Send this many pattern bytes as fast as the proxy takes them, then half-close.
    Push(u64),
}

impl Role {
    /// The line a client sends first, newline included.
    pub fn line(&self) -> String {
        match self {
            Role::Echo => "echo\n".into(),
            Role::Victim => "victim\n".into(),
            Role::CloseAfter(n) => format!("close-after {n}\n"),
            Role::ResetAfter(n) => format!("reset-after {n}\n"),
            Role::Push(n) => format!("push {n}\n"),
        }
    }

    pub fn parse(line: &str) -> Option<Role> {
        let mut words = line.split_whitespace();
        let role = match (words.next()?, words.next().map(str::parse::<u64>)) {
            ("echo", None) => Role::Echo,
            ("victim", None) => Role::Victim,
            ("close-after", Some(Ok(n))) => Role::CloseAfter(n),
            ("reset-after", Some(Ok(n))) => Role::ResetAfter(n),
            ("push", Some(Ok(n))) => Role::Push(n),
            _ => return None,
        };
        words.next().is_none().then_some(role)
    }
}

/// How a connection (or a read on one) ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    Eof,
    Reset,
    /// A read or write waited longer than its timeout.
    TimedOut,
    Error(String),
}

impl End {
    pub fn of(e: &io::Error) -> End {
        match e.kind() {
            ErrorKind::ConnectionReset | ErrorKind::BrokenPipe | ErrorKind::ConnectionAborted => {
                End::Reset
            }
            ErrorKind::WouldBlock | ErrorKind::TimedOut => End::TimedOut,
            _ => End::Error(e.to_string()),
        }
    }

    /// EOF or reset: the peer really went away (as opposed to a timeout or odd error).
    pub fn is_close(&self) -> bool {
        matches!(self, End::Eof | End::Reset)
    }
}

impl std::fmt::Display for End {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            End::Eof => f.write_str("EOF"),
            End::Reset => f.write_str("reset"),
            End::TimedOut => f.write_str("nothing (timed out)"),
            End::Error(e) => write!(f, "error {e}"),
        }
    }
}

/// One served connection, once it is over.
#[derive(Debug, Clone)]
pub struct Ended {
    pub role: Option<Role>,
    pub end: End,
    pub bytes_in: u64,
    pub at: Instant,
}

pub struct ScriptedUpstream {
    addr: SocketAddr,
    stopping: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
    ended: Receiver<Ended>,
}

impl ScriptedUpstream {
    pub fn start() -> io::Result<ScriptedUpstream> {
        ScriptedUpstream::start_on("127.0.0.1:0".parse().expect("literal address"))
    }

    /// Listens on `addr` (e.g. the port of an upstream that was stopped earlier).
    pub fn start_on(addr: SocketAddr) -> io::Result<ScriptedUpstream> {
        let listener = TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        listener.set_nonblocking(true)?;
        let stopping = Arc::new(AtomicBool::new(false));
        let (report, ended) = mpsc::channel();
        let stop = Arc::clone(&stopping);
        // Accept is polled against the stop flag so that stopping closes the port at a
        // known moment (when the thread is joined) while served connections go on.
        let acceptor = thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => spawn_connection(stream, report.clone()),
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {
                        thread::sleep(Duration::from_millis(2))
                    }
                    Err(_) => thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Ok(ScriptedUpstream {
            addr,
            stopping,
            acceptor: Some(acceptor),
            ended,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Closes the listening socket (new connections are refused from now on); the
    /// connections already served carry on.
    pub fn stop_accepting(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }

    /// The next connection of `role` to end, waiting up to `timeout`. Connections of
    /// other roles that end meanwhile are skipped.
    pub fn next_ended(&self, role: Role, timeout: Duration) -> Option<Ended> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.ended.recv_timeout(left) {
                Ok(ended) if ended.role == Some(role) => return Some(ended),
                Ok(_) => {}
                Err(_) => return None,
            }
        }
    }
}

impl Drop for ScriptedUpstream {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
    }
}

fn spawn_connection(stream: TcpStream, report: Sender<Ended>) {
    // Small stacks: the thousand-connection fault runs a thousand of these at once.
    let _ = thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || {
            let mut bytes_in = 0;
            let (role, end) = serve(stream, &mut bytes_in);
            let _ = report.send(Ended {
                role,
                end,
                bytes_in,
                at: Instant::now(),
            });
        });
}

fn serve(mut stream: TcpStream, bytes_in: &mut u64) -> (Option<Role>, End) {
    let setup = stream
        .set_nonblocking(false)
        .and_then(|_| stream.set_read_timeout(Some(IO_TIMEOUT)))
        .and_then(|_| stream.set_write_timeout(Some(IO_TIMEOUT)))
        .and_then(|_| stream.set_nodelay(true));
    if let Err(e) = setup {
        return (None, End::of(&e));
    }
    let role = match read_role(&mut stream) {
        Ok(role) => role,
        Err(end) => return (None, end),
    };
    let end = match role {
        Role::Echo | Role::Victim => echo(&mut stream, bytes_in),
        Role::CloseAfter(n) => match send_pattern(&mut stream, n) {
            // Dropping the socket closes both directions with a FIN.
            Ok(()) => End::Eof,
            Err(e) => End::of(&e),
        },
        Role::ResetAfter(n) => {
            let sent = send_pattern(&mut stream, n);
            reset(stream);
            match sent {
                Ok(()) => End::Reset,
                Err(e) => End::of(&e),
            }
        }
        Role::Push(n) => {
            // A slow reader downstream: the kernel's send buffer is kept small so the
            // bytes wait in the proxy (if it buffers) rather than in this socket.
            set_buffer(&stream, libc::SO_SNDBUF, 128 * 1024);
            match send_pattern(&mut stream, n).and_then(|_| stream.shutdown(Shutdown::Write)) {
                // Wait for the client's close; whatever it still sends is ignored.
                Ok(()) => match stream.read_to_end(&mut Vec::new()) {
                    Ok(_) => End::Eof,
                    Err(e) => End::of(&e),
                },
                Err(e) => End::of(&e),
            }
        }
    };
    (Some(role), end)
}

/// Reads the first line byte by byte, so nothing after it is consumed here.
fn read_role(stream: &mut TcpStream) -> Result<Role, End> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while line.len() < 64 {
        match stream.read(&mut byte) {
            Ok(0) => return Err(End::Eof),
            Ok(_) if byte[0] == b'\n' => {
                let text = String::from_utf8_lossy(&line);
                return Role::parse(&text)
                    .ok_or_else(|| End::Error(format!("unknown role line {text:?}")));
            }
            Ok(_) => line.push(byte[0]),
            Err(e) => return Err(End::of(&e)),
        }
    }
    Err(End::Error("role line longer than 64 bytes".into()))
}

fn echo(stream: &mut TcpStream, bytes_in: &mut u64) -> End {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match stream.read(&mut buf) {
            Ok(0) => {
                let _ = stream.shutdown(Shutdown::Write);
                return End::Eof;
            }
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return End::of(&e),
        };
        *bytes_in += n as u64;
        if let Err(e) = stream.write_all(&buf[..n]) {
            return End::of(&e);
        }
    }
}

/// Writes `total` bytes of the pattern seeded with `total`.
fn send_pattern(stream: &mut TcpStream, total: u64) -> io::Result<()> {
    let mut pattern = Pattern::new(total);
    let mut block = vec![0u8; PATTERN_BLOCK];
    let mut left = total;
    while left > 0 {
        pattern.fill(&mut block);
        let n = left.min(PATTERN_BLOCK as u64) as usize;
        stream.write_all(&block[..n])?;
        left -= n as u64;
    }
    Ok(())
}

/// What a receiver of [`Role::CloseAfter`] / [`Role::ResetAfter`] / [`Role::Push`]
/// bytes should see: the same pattern, regenerated block by block.
pub struct PatternStream {
    pattern: Pattern,
    block: Vec<u8>,
    used: usize,
}

impl PatternStream {
    pub fn new(total: u64) -> PatternStream {
        PatternStream {
            pattern: Pattern::new(total),
            block: vec![0u8; PATTERN_BLOCK],
            used: PATTERN_BLOCK,
        }
    }

    /// Compares `got` with the next bytes of the stream; returns the index of the
    /// first differing byte.
    pub fn check(&mut self, mut got: &[u8]) -> Option<usize> {
        let mut offset = 0;
        while !got.is_empty() {
            if self.used == self.block.len() {
                self.pattern.fill(&mut self.block);
                self.used = 0;
            }
            let n = got.len().min(self.block.len() - self.used);
            let expected = &self.block[self.used..self.used + n];
            if let Some(at) = got[..n].iter().zip(expected).position(|(a, b)| a != b) {
                return Some(offset + at);
            }
            self.used += n;
            offset += n;
            got = &got[n..];
        }
        None
    }
}

/// Closes `stream` with a reset instead of a FIN: SO_LINGER with a zero timeout makes
/// close(2) discard unsent data and send RST.
pub fn reset(stream: TcpStream) {
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: setsockopt reads `linger` (a live local of the size we pass) and touches
    // only the descriptor `stream` owns, which stays open until the drop below.
    unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
    drop(stream);
}

/// Pins a socket buffer (`SO_RCVBUF` / `SO_SNDBUF`) to `bytes`, which also turns off
/// the kernel's autotuning for it: loopback may otherwise grow buffers to tens of MiB
/// and hide a proxy that buffers everything in memory.
pub fn set_buffer(stream: &TcpStream, option: libc::c_int, bytes: libc::c_int) {
    // SAFETY: setsockopt reads the int we pass by pointer and size; the descriptor is
    // borrowed from a live TcpStream.
    unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            option,
            (&bytes as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(addr: SocketAddr, role: Role) -> TcpStream {
        let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        stream.write_all(role.line().as_bytes()).unwrap();
        stream
    }

    #[test]
    fn roles_round_trip() {
        for role in [
            Role::Echo,
            Role::Victim,
            Role::CloseAfter(7),
            Role::ResetAfter(0),
            Role::Push(1 << 40),
        ] {
            assert_eq!(Role::parse(role.line().trim_end()), Some(role));
        }
        assert_eq!(Role::parse("push"), None);
        assert_eq!(Role::parse("echo 3"), None);
        assert_eq!(Role::parse("push 1 2"), None);
    }

    #[test]
    fn close_after_sends_the_pattern_then_eof() {
        let upstream = ScriptedUpstream::start().unwrap();
        let mut stream = client(upstream.addr(), Role::CloseAfter(100_000));
        let mut got = Vec::new();
        stream.read_to_end(&mut got).unwrap();
        assert_eq!(got.len(), 100_000);
        assert_eq!(PatternStream::new(100_000).check(&got), None);
        let ended = upstream
            .next_ended(Role::CloseAfter(100_000), Duration::from_secs(5))
            .unwrap();
        assert_eq!(ended.end, End::Eof);
    }

    #[test]
    fn pattern_stream_finds_a_flipped_byte_across_blocks() {
        let mut sent = vec![0u8; PATTERN_BLOCK * 2];
        let mut pattern = Pattern::new(9);
        pattern.fill(&mut sent[..PATTERN_BLOCK]);
        pattern.fill(&mut sent[PATTERN_BLOCK..]);
        let mut stream = PatternStream::new(9);
        assert_eq!(stream.check(&sent[..1000]), None);
        sent[PATTERN_BLOCK + 5] ^= 1;
        assert_eq!(stream.check(&sent[1000..]), Some(PATTERN_BLOCK + 5 - 1000));
    }

    #[test]
    fn reset_reaches_the_peer_as_a_reset() {
        let upstream = ScriptedUpstream::start().unwrap();
        let mut stream = client(upstream.addr(), Role::Victim);
        stream.write_all(b"x").unwrap();
        reset(stream);
        let ended = upstream
            .next_ended(Role::Victim, Duration::from_secs(5))
            .unwrap();
        assert_eq!(ended.end, End::Reset, "{ended:?}");
    }

    #[test]
    fn a_stopped_upstream_refuses_and_can_come_back() {
        let mut upstream = ScriptedUpstream::start().unwrap();
        let addr = upstream.addr();
        let mut kept = client(addr, Role::Echo);
        // Served (not just queued for accept, which closing the listener would reset).
        kept.write_all(b"?").unwrap();
        kept.read_exact(&mut [0u8; 1]).unwrap();
        upstream.stop_accepting();
        assert!(TcpStream::connect_timeout(&addr, Duration::from_secs(5)).is_err());
        kept.write_all(b"still served").unwrap();
        let mut back = [0u8; 12];
        kept.read_exact(&mut back).unwrap();
        assert_eq!(&back, b"still served");
        let again = ScriptedUpstream::start_on(addr).unwrap();
        let mut fresh = client(again.addr(), Role::Echo);
        fresh.write_all(b"hi").unwrap();
        let mut back = [0u8; 2];
        fresh.read_exact(&mut back).unwrap();
        assert_eq!(&back, b"hi");
    }
}
