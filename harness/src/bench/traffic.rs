//! Traffic generators: one native upstream that can sink, source, do both or echo (the
//! client's first byte picks), and the clients that drive it through a target. Every
//! socket has read/write timeouts and every loop is bounded in time, so a stuck proxy
//! turns into an error, never a hang.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::stats;

/// What the upstream does on a connection, chosen by the client's first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Reads and discards, counting what arrived.
    Sink,
    /// Sends as fast as it can until the client goes away.
    Source,
    /// Both at once.
    Duplex,
    /// Echoes every byte back; on EOF, half-closes back.
    Echo,
}

impl Mode {
    fn byte(self) -> u8 {
        match self {
            Mode::Sink => b'S',
            Mode::Source => b'R',
            Mode::Duplex => b'D',
            Mode::Echo => b'E',
        }
    }

    fn from_byte(byte: u8) -> Option<Mode> {
        [Mode::Sink, Mode::Source, Mode::Duplex, Mode::Echo]
            .into_iter()
            .find(|mode| mode.byte() == byte)
    }
}

/// Which way bulk data flows, seen from the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    /// Client to upstream.
    Up,
    /// Upstream to client.
    Down,
    /// Both at once; the rate is the sum of the two.
    Both,
}

impl Direction {
    pub const ALL: [Direction; 3] = [Direction::Up, Direction::Down, Direction::Both];

    pub fn label(self) -> &'static str {
        match self {
            Direction::Up => "up",
            Direction::Down => "down",
            Direction::Both => "both",
        }
    }
}

/// A single read or write may block this long before the stream counts as failed.
const IO_TIMEOUT: Duration = Duration::from_secs(15);
/// The upstream's echo may wait this long for the next message: held connections sit
/// idle while a slow target opens the other 999 (WasmEdge's interpreter needs ~20 s).
const ECHO_IDLE_TIMEOUT: Duration = Duration::from_secs(600);
const CHUNK: usize = 256 * 1024;

/// The bench's upstream on 127.0.0.1 with an OS-picked port; stops when dropped.
pub struct BenchUpstream {
    addr: SocketAddr,
    stopping: Arc<AtomicBool>,
    received: Arc<AtomicU64>,
    acceptor: Option<JoinHandle<()>>,
}

impl BenchUpstream {
    pub fn start() -> io::Result<BenchUpstream> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let stopping = Arc::new(AtomicBool::new(false));
        let received = Arc::new(AtomicU64::new(0));
        let (stop, counter) = (Arc::clone(&stopping), Arc::clone(&received));
        // A blocking accept: a polled one would add its poll interval to every connect
        // and distort the connection rate. Drop wakes it with a connection of its own.
        let acceptor = thread::Builder::new()
            .name("bench-upstream".into())
            .spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else {
                        thread::sleep(Duration::from_millis(5));
                        continue;
                    };
                    let counter = Arc::clone(&counter);
                    let _ = thread::Builder::new()
                        .stack_size(256 * 1024)
                        .spawn(move || serve(stream, &counter));
                }
            })?;
        Ok(BenchUpstream {
            addr,
            stopping,
            received,
            acceptor: Some(acceptor),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Bytes every sink (and the sinking half of every duplex) has received so far.
    pub fn received(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }
}

impl Drop for BenchUpstream {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

fn serve(mut stream: TcpStream, received: &AtomicU64) -> io::Result<()> {
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    stream.set_nodelay(true)?;
    let mut first = [0u8; 1];
    stream.read_exact(&mut first)?;
    match Mode::from_byte(first[0]) {
        Some(Mode::Sink) => sink(&mut stream, received),
        Some(Mode::Source) => source(&mut stream, None),
        Some(Mode::Duplex) => {
            let mut reader = stream.try_clone()?;
            thread::scope(|scope| {
                scope.spawn(|| sink(&mut reader, received));
                source(&mut stream, None)
            })
        }
        Some(Mode::Echo) => {
            stream.set_read_timeout(Some(ECHO_IDLE_TIMEOUT))?;
            echo(&mut stream)
        }
        None => Ok(()),
    }
}

fn sink(stream: &mut TcpStream, received: &AtomicU64) -> io::Result<()> {
    let mut buf = vec![0u8; CHUNK];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => {
                received.fetch_add(n as u64, Ordering::Relaxed);
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Writes until the peer goes away or `stop` is set.
fn source(stream: &mut TcpStream, stop: Option<&AtomicBool>) -> io::Result<()> {
    let buf = payload(CHUNK);
    while !stop.is_some_and(|s| s.load(Ordering::Relaxed)) {
        stream.write_all(&buf)?;
    }
    Ok(())
}

fn echo(stream: &mut TcpStream) -> io::Result<()> {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match stream.read(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if n == 0 {
            return stream.shutdown(Shutdown::Write);
        }
        stream.write_all(&buf[..n])?;
    }
}

/// Not all zeros, so nothing on the way can cheat by compressing.
fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 131 % 251) as u8).collect()
}

/// Connects with a timeout and the bench's socket settings, and says which mode.
pub fn open(addr: SocketAddr, mode: Mode) -> io::Result<TcpStream> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(10))?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    stream.set_nodelay(true)?;
    stream.write_all(&[mode.byte()])?;
    Ok(stream)
}

/// One throughput measurement.
#[derive(Debug, Clone, PartialEq)]
pub struct Rate {
    pub bytes: u64,
    pub elapsed: Duration,
    pub gbit_per_s: f64,
}

/// `streams` connections moving bulk data in `direction` through `addr`; after
/// `warmup`, bytes delivered during `measure` are counted where they arrive (the
/// upstream for `up`, the client for `down`, both for `both`).
pub fn throughput(
    addr: SocketAddr,
    upstream: &BenchUpstream,
    streams: usize,
    direction: Direction,
    warmup: Duration,
    measure: Duration,
) -> Result<Rate, String> {
    let mode = match direction {
        Direction::Up => Mode::Sink,
        Direction::Down => Mode::Source,
        Direction::Both => Mode::Duplex,
    };
    let sockets = (0..streams)
        .map(|i| open(addr, mode).map_err(|e| format!("stream {i}: cannot connect: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    let stop = Arc::new(AtomicBool::new(false));
    let downloaded = Arc::new(AtomicU64::new(0));
    let failure: Arc<Mutex<Option<String>>> = Arc::default();
    let mut workers = Vec::new();
    for (i, socket) in sockets.iter().enumerate() {
        let sends = direction != Direction::Down;
        let receives = direction != Direction::Up;
        if sends {
            let mut socket = socket.try_clone().map_err(|e| e.to_string())?;
            let (stop, failure) = (Arc::clone(&stop), Arc::clone(&failure));
            workers.push(thread::spawn(move || {
                if let Err(e) = source(&mut socket, Some(&stop)) {
                    note_failure(&failure, &stop, format!("stream {i} sending: {e}"));
                }
            }));
        }
        if receives {
            let mut socket = socket.try_clone().map_err(|e| e.to_string())?;
            let (stop, failure, downloaded) = (
                Arc::clone(&stop),
                Arc::clone(&failure),
                Arc::clone(&downloaded),
            );
            workers.push(thread::spawn(move || {
                let mut buf = vec![0u8; CHUNK];
                while !stop.load(Ordering::Relaxed) {
                    match socket.read(&mut buf) {
                        Ok(0) => {
                            note_failure(&failure, &stop, format!("stream {i}: closed early"));
                            return;
                        }
                        Ok(n) => {
                            downloaded.fetch_add(n as u64, Ordering::Relaxed);
                        }
                        Err(e) if e.kind() == ErrorKind::Interrupted => {}
                        Err(e) => {
                            note_failure(&failure, &stop, format!("stream {i} receiving: {e}"));
                            return;
                        }
                    }
                }
            }));
        }
    }
    let delivered = || upstream.received() + downloaded.load(Ordering::Relaxed);
    thread::sleep(warmup);
    let (start_bytes, start) = (delivered(), Instant::now());
    thread::sleep(measure);
    let (end_bytes, elapsed) = (delivered(), start.elapsed());
    let failed_during = failure.lock().map(|f| f.clone()).unwrap_or(None);
    stop.store(true, Ordering::SeqCst);
    // Wake every blocked read and write at once.
    for socket in &sockets {
        let _ = socket.shutdown(Shutdown::Both);
    }
    for worker in workers {
        let _ = worker.join();
    }
    if let Some(why) = failed_during {
        return Err(why);
    }
    let bytes = end_bytes.saturating_sub(start_bytes);
    if bytes == 0 {
        return Err(format!("no bytes arrived in {} ms", measure.as_millis()));
    }
    Ok(Rate {
        bytes,
        elapsed,
        gbit_per_s: stats::gbit_per_s(bytes, elapsed),
    })
}

fn note_failure(slot: &Mutex<Option<String>>, stop: &AtomicBool, why: String) {
    // A failure after the bench asked to stop is the bench's own shutdown.
    if stop.load(Ordering::SeqCst) {
        return;
    }
    if let Ok(mut slot) = slot.lock() {
        slot.get_or_insert(why);
    }
}

/// Round-trip times of `size`-byte messages on one connection, in microseconds:
/// `warmup` untimed rounds, then up to `rounds` timed ones or until `limit` passes.
pub fn ping_pong(
    addr: SocketAddr,
    size: usize,
    warmup: usize,
    rounds: usize,
    limit: Duration,
) -> Result<Vec<f64>, String> {
    let mut stream = open(addr, Mode::Echo).map_err(|e| format!("cannot connect: {e}"))?;
    let message = payload(size);
    let mut back = vec![0u8; size];
    let mut samples = Vec::with_capacity(rounds);
    let started = Instant::now();
    for round in 0..warmup + rounds {
        let sent = Instant::now();
        stream
            .write_all(&message)
            .and_then(|_| stream.read_exact(&mut back))
            .map_err(|e| format!("round {round}: {e}"))?;
        if round >= warmup {
            samples.push(sent.elapsed().as_secs_f64() * 1e6);
            if started.elapsed() > limit {
                break;
            }
        }
    }
    if back != message {
        return Err("the echo differs from the message".into());
    }
    Ok(samples)
}

/// Connections completed per second by `clients` threads, each looping connect, one
/// round trip of one byte, close, for `measure`.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectionRate {
    pub completed: u64,
    pub errors: u64,
    pub per_second: f64,
    pub first_error: Option<String>,
}

pub fn connection_rate(addr: SocketAddr, clients: usize, measure: Duration) -> ConnectionRate {
    let completed = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let first_error: Arc<Mutex<Option<String>>> = Arc::default();
    let started = Instant::now();
    let deadline = started + measure;
    let workers: Vec<_> = (0..clients)
        .map(|_| {
            let (completed, errors, first_error) = (
                Arc::clone(&completed),
                Arc::clone(&errors),
                Arc::clone(&first_error),
            );
            thread::spawn(move || {
                while Instant::now() < deadline {
                    match one_exchange(addr) {
                        Ok(()) => completed.fetch_add(1, Ordering::Relaxed),
                        Err(e) => {
                            if let Ok(mut slot) = first_error.lock() {
                                slot.get_or_insert(e.to_string());
                            }
                            // Back off a little so a refusing target cannot spin.
                            thread::sleep(Duration::from_millis(10));
                            errors.fetch_add(1, Ordering::Relaxed)
                        }
                    };
                }
            })
        })
        .collect();
    for worker in workers {
        let _ = worker.join();
    }
    let elapsed = started.elapsed();
    let completed = completed.load(Ordering::Relaxed);
    ConnectionRate {
        completed,
        errors: errors.load(Ordering::Relaxed),
        per_second: stats::per_second(completed, elapsed),
        first_error: first_error.lock().ok().and_then(|f| f.clone()),
    }
}

fn one_exchange(addr: SocketAddr) -> io::Result<()> {
    let mut stream = open(addr, Mode::Echo)?;
    stream.write_all(b"x")?;
    let mut back = [0u8; 1];
    stream.read_exact(&mut back)?;
    Ok(())
}

/// `count` connections opened one after the other (each echoing once as it opens) and
/// held at once, then every one echoing a message of its own again, `rounds` echoes
/// per connection in all.
#[derive(Debug, Clone, PartialEq)]
pub struct Held {
    pub requested: usize,
    pub opened: usize,
    pub echoed: usize,
    pub errors: usize,
    pub open_ms: f64,
    pub round_ms: f64,
    pub first_error: Option<String>,
}

/// `while_held` runs once every connection has echoed again, before any is closed (to
/// sample the target's memory, say).
pub fn hold_open<T>(
    addr: SocketAddr,
    count: usize,
    rounds: usize,
    workers: usize,
    while_held: impl FnOnce() -> T,
) -> (Held, T) {
    let started = Instant::now();
    let mut sockets = Vec::with_capacity(count);
    let mut first_error = None;
    let (mut errors, mut echoed) = (0, 0);
    // Round 0 right after each connect: the next connection waits until this one is
    // relayed end to end, so a small listen backlog (socat's is 5) costs queueing, not
    // dropped SYNs and one-second retransmits.
    for i in 0..count {
        match open(addr, Mode::Echo)
            .map_err(|e| format!("opening: {e}"))
            .and_then(|mut socket| echo_check(&mut socket, i, 0).map(|()| socket))
        {
            Ok(socket) => {
                echoed += 1;
                sockets.push((i, socket));
            }
            Err(e) => {
                errors += 1;
                first_error.get_or_insert(format!("connection {i}: {e}"));
            }
        }
    }
    let open_ms = started.elapsed().as_secs_f64() * 1e3;
    let opened = sockets.len();
    // Then every connection again while all are open, dealt out to a few threads.
    let mut shares: Vec<Vec<(usize, TcpStream)>> =
        (0..workers.max(1)).map(|_| Vec::new()).collect();
    for (n, socket) in sockets.into_iter().enumerate() {
        let share = n % shares.len();
        shares[share].push(socket);
    }
    let rounds_started = Instant::now();
    let results: Vec<(usize, usize, Option<String>)> = thread::scope(|scope| {
        let handles: Vec<_> = shares
            .iter_mut()
            .map(|share| {
                scope.spawn(move || {
                    let (mut echoed, mut errors, mut first) = (0, 0, None);
                    for round in 1..rounds {
                        for (i, socket) in share.iter_mut() {
                            match echo_check(socket, *i, round) {
                                Ok(()) => echoed += 1,
                                Err(e) => {
                                    errors += 1;
                                    first.get_or_insert(format!(
                                        "connection {i}, round {round}: {e}"
                                    ));
                                }
                            }
                        }
                    }
                    (echoed, errors, first)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or((0, 1, Some("worker panicked".into()))))
            .collect()
    });
    let round_ms =
        rounds_started.elapsed().as_secs_f64() * 1e3 / rounds.saturating_sub(1).max(1) as f64;
    let sampled = while_held();
    drop(shares);
    for (ok, bad, first) in results {
        echoed += ok;
        errors += bad;
        if first_error.is_none() {
            first_error = first;
        }
    }
    let held = Held {
        requested: count,
        opened,
        echoed,
        errors,
        open_ms,
        round_ms,
        first_error,
    };
    (held, sampled)
}

fn echo_check(socket: &mut TcpStream, i: usize, round: usize) -> Result<(), String> {
    let message = format!("connection {i:05} round {round:03} says hi\n");
    socket
        .write_all(message.as_bytes())
        .map_err(|e| format!("sending: {e}"))?;
    let mut back = vec![0u8; message.len()];
    socket
        .read_exact(&mut back)
        .map_err(|e| format!("receiving: {e}"))?;
    if back != message.as_bytes() {
        return Err("the echo differs from the message".into());
    }
    Ok(())
}

/// Connects repeatedly until one echo round trip succeeds or `timeout` passes; the
/// instant the echoed byte arrived. For startup: the target may still be coming up.
pub fn first_echo(addr: SocketAddr, timeout: Duration) -> Result<Instant, String> {
    let deadline = Instant::now() + timeout;
    let mut last = String::new();
    while Instant::now() < deadline {
        match one_exchange(addr) {
            Ok(()) => return Ok(Instant::now()),
            Err(e) => last = e.to_string(),
        }
        thread::sleep(Duration::from_millis(1));
    }
    Err(format!(
        "no echo within {} ms (last error: {last})",
        timeout.as_millis()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mode_round_trips_its_byte() {
        for mode in [Mode::Sink, Mode::Source, Mode::Duplex, Mode::Echo] {
            assert_eq!(Mode::from_byte(mode.byte()), Some(mode));
        }
        assert_eq!(Mode::from_byte(b'?'), None);
    }

    #[test]
    fn direct_traffic_works_in_every_shape() {
        let upstream = BenchUpstream::start().unwrap();
        let short = Duration::from_millis(100);
        for direction in Direction::ALL {
            let rate = throughput(upstream.addr(), &upstream, 2, direction, short, short)
                .unwrap_or_else(|e| panic!("{direction:?}: {e}"));
            assert!(rate.gbit_per_s > 0.0, "{direction:?}: {rate:?}");
        }
        let samples = ping_pong(upstream.addr(), 64, 5, 50, Duration::from_secs(5)).unwrap();
        assert_eq!(samples.len(), 50);
        let rate = connection_rate(upstream.addr(), 2, short);
        assert!(rate.completed > 0 && rate.errors == 0, "{rate:?}");
        let (held, sampled) = hold_open(upstream.addr(), 20, 3, 3, || 7);
        assert_eq!(sampled, 7);
        assert_eq!(
            (held.opened, held.echoed, held.errors),
            (20, 60, 0),
            "{held:?}"
        );
        first_echo(upstream.addr(), Duration::from_secs(5)).unwrap();
    }
}
