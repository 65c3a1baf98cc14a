//! Fault scenarios: one connection (or the whole proxy) is hurt on purpose while other
//! connections are in flight. Each records what the hurt client saw, proves the other
//! connections lost nothing, and that the proxy keeps serving — nothing hangs, nothing
//! is lost. A guest that cannot even start (or relay) under a runtime is recorded with
//! that outcome and counts as not injected, never as a fault survived.

use std::io::{ErrorKind, Read};
use std::net::{SocketAddr, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use super::bystanders::Crowd;
use super::client;
use super::scripted::{reset, set_buffer, End, PatternStream, Role, ScriptedUpstream};
use super::{Launch, RunningProxy};
use crate::guest::Guest;
use crate::limits;
use crate::model::{FaultResult, Outcome};
use crate::proc_group::{self, RssSampler, RssStats};
use crate::runtime::Installed;

/// How long a hurt client may wait to see its connection end. Far below the 30 s a
/// client read may block in the relay scenarios: a proxy that leaves a client open
/// until then has left it hanging.
pub const PROMPT: Duration = Duration::from_secs(10);

/// How often the runtime's memory is sampled during a fault.
const RSS_EVERY: Duration = Duration::from_millis(50);

/// How long the thousand clients may take, from the first connect to the last echo.
const LOAD_PATIENCE: Duration = Duration::from_secs(90);

/// Bytes of a reply an upstream sends before it closes or resets.
const PARTIAL: u64 = 96 * 1024;

const MIB: u64 = 1024 * 1024;

/// Load sizes. `harness faults` uses [`Sizes::FULL`]; tests (and `--quick`) use
/// [`Sizes::QUICK`], which keeps every fault but makes the slow reader faster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sizes {
    /// Well-behaved connections in flight around each fault.
    pub bystanders: usize,
    /// Bytes pushed at the slow reader.
    pub slow_bytes: u64,
    /// How fast the slow reader reads, bytes per second.
    pub slow_rate: u64,
    /// Clients open at once in the load fault.
    pub concurrent: usize,
}

impl Sizes {
    pub const FULL: Sizes = Sizes {
        bystanders: 8,
        slow_bytes: 64 * MIB,
        slow_rate: MIB,
        concurrent: 1000,
    };
    pub const QUICK: Sizes = Sizes {
        bystanders: 4,
        slow_bytes: 24 * MIB,
        slow_rate: 12 * MIB,
        concurrent: 1000,
    };

    /// How much the proxy's memory may grow while the slow reader lags: a quarter of
    /// the payload. A proxy that reads ahead without bound grows by most of the
    /// payload (the kernel holds only a few MiB in socket buffers); one that applies
    /// backpressure grows by its relay buffers.
    pub fn slow_growth_limit_kib(&self) -> u64 {
        self.slow_bytes / 4 / 1024
    }
}

#[derive(Debug)]
pub struct Fault {
    pub name: &'static str,
    pub about: &'static str,
    run: fn(&Launch, &Sizes, &mut Record) -> Result<(), Outcome>,
}

pub static FAULTS: [Fault; 7] = [
    Fault {
        name: "upstream-closes-early",
        about: "the upstream sends part of a reply, then closes: the client gets those bytes, then EOF",
        run: upstream_closes_early,
    },
    Fault {
        name: "upstream-resets",
        about: "the upstream sends part of a reply, then resets (RST): the client's connection ends promptly",
        run: upstream_resets,
    },
    Fault {
        name: "client-resets",
        about: "a client resets mid-stream: the proxy closes its upstream connection promptly",
        run: client_resets,
    },
    Fault {
        name: "upstream-down-then-up",
        about: "the upstream stops listening: a new client is closed; it comes back: the next client is served",
        run: upstream_down_then_up,
    },
    Fault {
        name: "slow-reader",
        about: "the upstream pushes a large payload at a client reading slowly: the proxy's memory stays bounded",
        run: slow_reader,
    },
    Fault {
        name: "concurrent-1000",
        about: "a thousand clients open at once, all served byte-exact",
        run: many_clients,
    },
    Fault {
        name: "proxy-killed",
        about: "the runtime is killed (SIGKILL) mid-transfer: a crash is recorded, clients see EOF or reset promptly, no process is left",
        run: proxy_killed,
    },
];

pub fn all() -> Vec<&'static Fault> {
    FAULTS.iter().collect()
}

pub fn names() -> Vec<&'static str> {
    FAULTS.iter().map(|f| f.name).collect()
}

/// What a fault found out as it went; becomes a [`FaultResult`].
#[derive(Debug, Default)]
pub struct Record {
    /// The proxy started and relayed, and the fault was applied.
    injected: bool,
    client_saw: Option<String>,
    /// Connections not hurt by the fault whose every byte was checked.
    unfaulted: u32,
    bytes_lost: u64,
    rss: Option<RssStats>,
    /// How the proxy ended when the fault itself ends it (killed).
    proxy_outcome: Option<Outcome>,
}

/// Runs one fault against `guest` under `installed`.
pub fn run(
    fault: &Fault,
    installed: &Installed,
    guest: &Guest,
    sizes: &Sizes,
    startup_timeout: Duration,
) -> FaultResult {
    let launch = Launch::new(installed, guest, startup_timeout);
    let started = Instant::now();
    let mut record = Record::default();
    let result = (fault.run)(&launch, sizes, &mut record);
    let survived = record.injected && result.is_ok() && record.bytes_lost == 0;
    let outcome = match result {
        Ok(()) => record.proxy_outcome.take().unwrap_or(Outcome::Relayed),
        Err(outcome) => outcome,
    };
    FaultResult {
        fault: fault.name.to_string(),
        injected: record.injected,
        survived,
        stderr_excerpt: if survived && outcome.is_pass() {
            None
        } else {
            launch.stderr_excerpt()
        },
        outcome,
        client_saw: record.client_saw,
        unfaulted_connections: record.unfaulted,
        bytes_lost: record.bytes_lost,
        peak_rss_kib: record.rss.map(|r| r.peak_kib),
        rss_growth_kib: record.rss.map(|r| r.growth_kib()),
        duration_ms: started.elapsed().as_millis() as u64,
    }
}

fn scripted() -> Result<ScriptedUpstream, Outcome> {
    ScriptedUpstream::start().map_err(|e| Outcome::Failed {
        detail: format!("harness could not start its upstream server: {e}"),
    })
}

/// The frame every fault but the kill shares: start the proxy in front of `remote`,
/// get a crowd of bystanders flowing, apply the fault (`inject`), then check that the
/// crowd lost nothing, that the proxy still runs and that a new client gets through.
fn around_crowd(
    launch: &Launch,
    sizes: &Sizes,
    record: &mut Record,
    remote: SocketAddr,
    inject: impl FnOnce(&mut RunningProxy, &mut Record) -> Result<(), String>,
) -> Result<(), Outcome> {
    let mut proxy = launch.start(&remote.to_string())?;
    let crowd = Crowd::start(proxy.addr, sizes.bystanders);
    let mut sampler = None;
    let injected = crowd.wait_in_flight(PROMPT).and_then(|()| {
        record.injected = true;
        sampler = Some(RssSampler::start(proxy.pid(), RSS_EVERY));
        inject(&mut proxy, record)
    });
    let summary = crowd.finish();
    record.rss = sampler.and_then(RssSampler::stop);
    record.unfaulted += summary.connections();
    record.bytes_lost += summary.bytes_lost();
    injected
        .and_then(|()| summary.check())
        .and_then(|()| {
            echo_once(proxy.addr).map_err(|e| format!("after the fault, a new client failed: {e}"))
        })
        .map_err(|detail| proxy.failed(detail))?;
    record.unfaulted += 1;
    proxy.still_running()
}

/// One short echo exchange through the proxy, closed cleanly.
fn echo_once(proxy: SocketAddr) -> Result<(), String> {
    let mut stream = client::connect(proxy)?;
    let message = b"are you still there?\n";
    client::send(&mut stream, Role::Echo.line().as_bytes(), "the role line")?;
    client::send(&mut stream, message, "a message")?;
    client::expect(&mut stream, message, "its echo")?;
    client::half_close(&stream)?;
    client::expect_eof(&mut stream, "after the client's close")
}

/// What a client saw of a pattern stream until its connection ended.
struct Saw {
    bytes: u64,
    corrupt_at: Option<u64>,
    end: End,
    after: Duration,
}

impl Saw {
    fn describe(&self, sent: u64) -> String {
        let corrupt = match self.corrupt_at {
            Some(at) => format!(" (corrupted from byte {at})"),
            None => String::new(),
        };
        format!(
            "{} of {} bytes{corrupt}, then {} after {} ms",
            self.bytes,
            sent,
            self.end,
            self.after.as_millis()
        )
    }
}

/// Reads the pattern of a `total`-byte role until EOF, reset, or `patience` passes.
fn read_until_closed(stream: &mut TcpStream, total: u64, patience: Duration) -> Saw {
    let started = Instant::now();
    let deadline = started + patience;
    let mut expected = PatternStream::new(total);
    let mut buf = vec![0u8; 64 * 1024];
    let mut saw = Saw {
        bytes: 0,
        corrupt_at: None,
        end: End::TimedOut,
        after: Duration::ZERO,
    };
    saw.end = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            break End::TimedOut;
        }
        match stream.read(&mut buf) {
            Ok(0) => break End::Eof,
            Ok(n) => {
                if saw.corrupt_at.is_none() {
                    saw.corrupt_at = expected.check(&buf[..n]).map(|at| saw.bytes + at as u64);
                }
                saw.bytes += n as u64;
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => break End::of(&e),
        }
    };
    saw.after = started.elapsed();
    saw
}

/// Opens a client that announces `role` to the upstream.
fn client_with_role(proxy: SocketAddr, role: Role) -> Result<TcpStream, String> {
    let mut stream = client::connect(proxy)?;
    client::send(&mut stream, role.line().as_bytes(), "the role line")?;
    Ok(stream)
}

fn upstream_closes_early(
    launch: &Launch,
    sizes: &Sizes,
    record: &mut Record,
) -> Result<(), Outcome> {
    let server = scripted()?;
    around_crowd(launch, sizes, record, server.addr(), |proxy, record| {
        let mut victim = client_with_role(proxy.addr, Role::CloseAfter(PARTIAL))?;
        let saw = read_until_closed(&mut victim, PARTIAL, PROMPT);
        let told = saw.describe(PARTIAL);
        record.client_saw = Some(told.clone());
        // A FIN is orderly: every byte sent before it must arrive, then EOF.
        if saw.bytes == PARTIAL && saw.corrupt_at.is_none() && saw.end == End::Eof {
            Ok(())
        } else {
            Err(format!(
                "the upstream sent {PARTIAL} bytes and closed; its client saw {told}"
            ))
        }
    })
}

fn upstream_resets(launch: &Launch, sizes: &Sizes, record: &mut Record) -> Result<(), Outcome> {
    let server = scripted()?;
    around_crowd(launch, sizes, record, server.addr(), |proxy, record| {
        let mut victim = client_with_role(proxy.addr, Role::ResetAfter(PARTIAL))?;
        let saw = read_until_closed(&mut victim, PARTIAL, PROMPT);
        let told = saw.describe(PARTIAL);
        record.client_saw = Some(told.clone());
        // A reset may discard bytes still in flight; what did arrive must be right,
        // and the connection must end rather than hang.
        if saw.bytes <= PARTIAL && saw.corrupt_at.is_none() && saw.end.is_close() {
            Ok(())
        } else {
            Err(format!(
                "the upstream sent {PARTIAL} bytes and reset; its client saw {told}"
            ))
        }
    })
}

fn client_resets(launch: &Launch, sizes: &Sizes, record: &mut Record) -> Result<(), Outcome> {
    let server = scripted()?;
    around_crowd(launch, sizes, record, server.addr(), |proxy, record| {
        let mut victim = client_with_role(proxy.addr, Role::Victim)?;
        // Data in flight both ways at the moment of the reset: 64 KiB sent, 16 KiB of
        // its echo read back.
        let mut block = vec![0u8; 64 * 1024];
        client::Pattern::new(42).fill(&mut block);
        client::send(&mut victim, &block, "the victim's data")?;
        client::expect(
            &mut victim,
            &block[..16 * 1024],
            "the start of the victim's echo",
        )?;
        let reset_at = Instant::now();
        reset(victim);
        let Some(ended) = server.next_ended(Role::Victim, PROMPT) else {
            record.client_saw = Some("the upstream connection stayed open".into());
            return Err(format!(
                "{} s after the client reset, the proxy still held its upstream connection open",
                PROMPT.as_secs()
            ));
        };
        let after = ended.at.saturating_duration_since(reset_at).as_millis();
        record.client_saw = Some(format!(
            "the upstream saw {} {after} ms after the client's reset",
            ended.end
        ));
        if ended.end.is_close() {
            Ok(())
        } else {
            Err(format!(
                "after the client's reset the upstream saw {}",
                ended.end
            ))
        }
    })
}

fn upstream_down_then_up(
    launch: &Launch,
    sizes: &Sizes,
    record: &mut Record,
) -> Result<(), Outcome> {
    let mut server = scripted()?;
    let addr = server.addr();
    let mut revived = None;
    around_crowd(launch, sizes, record, addr, |proxy, record| {
        server.stop_accepting();
        let mut refused = client::connect(proxy.addr)?;
        let saw = read_until_closed(&mut refused, 0, PROMPT);
        if saw.bytes != 0 || !saw.end.is_close() {
            return Err(format!(
                "with the upstream down, a client should be closed; it saw {}",
                saw.describe(0)
            ));
        }
        revived =
            Some(ScriptedUpstream::start_on(addr).map_err(|e| {
                format!("harness could not bring the upstream back on {addr}: {e}")
            })?);
        echo_once(proxy.addr)
            .map_err(|e| format!("once the upstream was back, the next client failed: {e}"))?;
        record.unfaulted += 1;
        record.client_saw = Some(format!(
            "upstream down: a new client got {} after {} ms; upstream back: the next client was served",
            saw.end,
            saw.after.as_millis()
        ));
        Ok(())
    })
}

fn slow_reader(launch: &Launch, sizes: &Sizes, record: &mut Record) -> Result<(), Outcome> {
    let server = scripted()?;
    let total = sizes.slow_bytes;
    around_crowd(launch, sizes, record, server.addr(), |proxy, record| {
        let mut reader = client_with_role(proxy.addr, Role::Push(total))?;
        // A small, fixed receive buffer: what the client does not read waits in the
        // proxy (or the proxy's socket), not in this socket.
        set_buffer(&reader, libc::SO_RCVBUF, 128 * 1024);
        let read = read_slowly(&mut reader, total, sizes.slow_rate)?;
        record.client_saw = Some(format!(
            "{} MiB read at {} KiB/s in {:.1} s, byte-exact, then EOF",
            total / MIB,
            sizes.slow_rate / 1024,
            read.as_secs_f64()
        ));
        Ok(())
    })?;
    let limit = sizes.slow_growth_limit_kib();
    match record.rss {
        Some(rss) if rss.growth_kib() > limit => Err(Outcome::Failed {
            detail: format!(
                "the runtime's memory grew by {} MiB (limit {} MiB) while {} MiB waited for a slow reader: \
                 the proxy reads ahead instead of applying backpressure",
                rss.growth_kib() / 1024,
                limit / 1024,
                total / MIB
            ),
        }),
        Some(_) => Ok(()),
        None => Err(Outcome::Failed {
            detail: "could not read the runtime's memory use from /proc".into(),
        }),
    }
}

/// Reads `total` pattern bytes at no more than `rate` bytes per second, then EOF.
fn read_slowly(stream: &mut TcpStream, total: u64, rate: u64) -> Result<Duration, String> {
    let started = Instant::now();
    let mut expected = PatternStream::new(total);
    let mut buf = vec![0u8; 64 * 1024];
    let mut got = 0u64;
    loop {
        let n = match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(format!(
                    "the slow reader got {got} of {total} bytes, then {}",
                    End::of(&e)
                ))
            }
        };
        if let Some(at) = expected.check(&buf[..n]) {
            return Err(format!(
                "the slow reader's bytes are corrupted at byte {}",
                got + at as u64
            ));
        }
        got += n as u64;
        let due = Duration::from_secs_f64(got as f64 / rate as f64);
        if let Some(wait) = due.checked_sub(started.elapsed()) {
            thread::sleep(wait);
        }
    }
    if got != total {
        return Err(format!(
            "the slow reader got {got} of {total} bytes, then EOF"
        ));
    }
    Ok(started.elapsed())
}

fn many_clients(launch: &Launch, sizes: &Sizes, record: &mut Record) -> Result<(), Outcome> {
    let count = sizes.concurrent;
    // Each client costs two descriptors here (client and upstream side) and two in
    // the proxy, which inherits this limit.
    let needed = 2 * count as u64 + 256;
    let limit = limits::raise_nofile_limit().unwrap_or(0);
    if limit < needed {
        return Err(Outcome::Failed {
            detail: format!(
                "the harness may open only {limit} descriptors; {count} clients need about {needed} \
                 (raise the hard RLIMIT_NOFILE)"
            ),
        });
    }
    let server = scripted()?;
    let mut proxy = launch.start(&server.addr().to_string())?;
    // The load itself is the fault: the proxy started, so it is applied.
    record.injected = true;
    let sampler = RssSampler::start(proxy.pid(), RSS_EVERY);
    let served = serve_many(proxy.addr, count);
    record.rss = sampler.stop();
    let (lost, failures) = match served {
        Ok(result) => result,
        Err(detail) => return Err(proxy.failed(detail)),
    };
    record.unfaulted = count as u32;
    record.bytes_lost = lost;
    record.client_saw = Some(format!(
        "{} of {count} clients open at once served byte-exact",
        count - failures.len()
    ));
    if let Some(first) = failures.first() {
        return Err(proxy.failed(format!(
            "{} of {count} clients failed ({lost} bytes lost); first: {first}",
            failures.len()
        )));
    }
    echo_once(proxy.addr)
        .map_err(|e| proxy.failed(format!("after the load, a new client failed: {e}")))?;
    proxy.still_running()
}

/// Opens `count` clients (all before any byte flows), then has a few threads each
/// send on all of theirs before reading any echo back. Returns bytes lost and the
/// failures; `Err` if the clients could not even be opened.
fn serve_many(proxy: SocketAddr, count: usize) -> Result<(u64, Vec<String>), String> {
    const WORKERS: usize = 8;
    // One deadline for the whole load, not a timeout per read: a proxy that stalls
    // would otherwise cost 30 s per client, one after the other.
    let deadline = Instant::now() + LOAD_PATIENCE;
    let mut streams = Vec::with_capacity(count);
    for i in 0..count {
        if Instant::now() >= deadline {
            return Err(format!(
                "only {i} of {count} clients could connect within {} s",
                LOAD_PATIENCE.as_secs()
            ));
        }
        let stream = client::connect(proxy)
            .map_err(|e| format!("opening client {} of {count}: {e}", i + 1))?;
        streams.push((i, stream));
    }
    let mut groups: Vec<Vec<(usize, TcpStream)>> = (0..WORKERS).map(|_| Vec::new()).collect();
    for (n, item) in streams.into_iter().enumerate() {
        groups[n % WORKERS].push(item);
    }
    let workers: Vec<_> = groups
        .into_iter()
        .map(|mut group| {
            thread::spawn(move || {
                let mut lost = 0u64;
                let mut failures = Vec::new();
                let message = |i: usize| format!("client {i} {}\n", "y".repeat(512 + i % 1024));
                for (i, stream) in &mut group {
                    let line = Role::Echo.line() + &message(*i);
                    if let Err(e) = client::send(stream, line.as_bytes(), &format!("client {i}")) {
                        failures.push(e);
                    }
                }
                for (i, stream) in &mut group {
                    let expected = message(*i);
                    let what = format!("client {i}");
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
                        lost += expected.len() as u64;
                        failures.push(format!(
                            "{what}: not served within {} s",
                            LOAD_PATIENCE.as_secs()
                        ));
                        continue;
                    }
                    let checked = client::expect(stream, expected.as_bytes(), &what)
                        .and_then(|()| client::half_close(stream))
                        .and_then(|()| client::expect_eof(stream, &what));
                    if let Err(e) = checked {
                        lost += expected.len() as u64;
                        failures.push(e);
                    }
                }
                (lost, failures)
            })
        })
        .collect();
    let mut lost = 0;
    let mut failures = Vec::new();
    for worker in workers {
        match worker.join() {
            Ok((l, f)) => {
                lost += l;
                failures.extend(f);
            }
            Err(_) => failures.push("a client thread panicked".into()),
        }
    }
    Ok((lost, failures))
}

fn proxy_killed(launch: &Launch, sizes: &Sizes, record: &mut Record) -> Result<(), Outcome> {
    let server = scripted()?;
    let mut proxy = launch.start(&server.addr().to_string())?;
    let crowd = Crowd::start(proxy.addr, sizes.bystanders.max(1));
    if let Err(detail) = crowd.wait_in_flight(PROMPT) {
        drop(crowd.finish());
        return Err(proxy.failed(detail));
    }
    let pgid = proxy.pid();
    let sampler = RssSampler::start(pgid, RSS_EVERY);
    record.injected = true;
    let killed_at = Instant::now();
    kill_group(pgid);
    // Every client is mid-transfer: each must see its connection end.
    let summary = crowd.finish();
    record.rss = sampler.stop();
    let mut slowest = Duration::ZERO;
    let mut problems = Vec::new();
    for tally in &summary.tallies {
        match &tally.broke {
            Some((end, at)) if end.is_close() => {
                slowest = slowest.max(at.saturating_duration_since(killed_at));
            }
            Some((end, _)) => problems.push(format!("a client saw {end}")),
            None => problems.push("a client went on as if the proxy were alive".into()),
        }
    }
    let clients = summary.tallies.len();
    record.client_saw = Some(format!(
        "{} of {clients} clients saw EOF or reset, the last {} ms after the kill",
        clients - problems.len(),
        slowest.as_millis()
    ));
    if slowest > PROMPT {
        problems.push(format!(
            "a client waited {} ms to see its connection end",
            slowest.as_millis()
        ));
    }
    let Some(ended) = proxy.wait_ended(PROMPT) else {
        return Err(Outcome::Timeout {
            waited_ms: PROMPT.as_millis() as u64,
            waiting_for: "the killed runtime process to be reaped".into(),
        });
    };
    record.proxy_outcome = Some(ended.clone());
    let left = proc_group::wait_until_gone(pgid, Duration::from_secs(5));
    if !left.is_empty() {
        problems.push(format!(
            "processes {left:?} of the killed runtime's group are still alive"
        ));
    }
    if !matches!(ended, Outcome::Signal { signal } if signal == libc::SIGKILL) {
        problems.push(format!(
            "the harness recorded {} instead of the crash",
            ended.summary()
        ));
    }
    match problems.first() {
        None => Ok(()),
        Some(_) => Err(Outcome::Failed {
            detail: problems.join("; "),
        }),
    }
}

fn kill_group(pgid: u32) {
    // SAFETY: kill(2) on the negative pgid signals only the group the harness created
    // for this runtime (ChildGuard spawns it as a group leader); no memory is touched.
    unsafe {
        libc::kill(-(pgid as libc::pid_t), libc::SIGKILL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_names_are_unique_and_distinct_from_scenarios() {
        let mut names = names();
        let count = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), count);
        for name in names {
            assert!(!super::super::names().contains(&name), "{name}");
        }
    }

    #[test]
    fn quick_sizes_still_catch_a_buffering_proxy() {
        // The kernel can hold some MiB in socket buffers on loopback; the limit must
        // stay well below what a proxy that buffers everything would add.
        for sizes in [Sizes::FULL, Sizes::QUICK] {
            assert!(sizes.slow_bytes >= 24 * MIB);
            assert!(sizes.slow_growth_limit_kib() * 1024 <= sizes.slow_bytes / 4);
        }
    }

    #[test]
    fn a_closed_stream_is_read_to_its_end() {
        let upstream = ScriptedUpstream::start().unwrap();
        let mut stream = client_with_role(upstream.addr(), Role::CloseAfter(1000)).unwrap();
        let saw = read_until_closed(&mut stream, 1000, Duration::from_secs(5));
        assert_eq!(
            (saw.bytes, saw.corrupt_at, &saw.end),
            (1000, None, &End::Eof)
        );
        assert!(saw
            .describe(1000)
            .starts_with("1000 of 1000 bytes, then EOF after "));
    }

    #[test]
    fn the_slow_reader_keeps_its_pace() {
        let upstream = ScriptedUpstream::start().unwrap();
        let mut stream = client_with_role(upstream.addr(), Role::Push(512 * 1024)).unwrap();
        let took = read_slowly(&mut stream, 512 * 1024, 2 * MIB).unwrap();
        assert!(took >= Duration::from_millis(240), "{took:?}");
    }
}
