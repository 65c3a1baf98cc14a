//! Well-behaved connections kept busy while a fault hits another connection of the
//! same proxy: each echoes blocks of its own pattern until told to stop, does a few
//! more rounds (traffic after the fault), then closes cleanly. Whatever they lose is
//! the fault's collateral damage, and must be zero.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::client::{self, Pattern};
use super::scripted::{End, Role};

/// Bytes per round trip: big enough to be real traffic, small enough that the rounds
/// keep coming during a fault.
const BLOCK: usize = 16 * 1024;
/// Pause between rounds, so a crowd is in flight for the whole fault without
/// saturating a small machine.
const PAUSE: Duration = Duration::from_millis(20);
/// Rounds each connection still makes after `finish` is called.
const ROUNDS_AFTER_STOP: u32 = 2;

/// What one connection did.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    pub sent: u64,
    /// Bytes that came back byte-exact, in order.
    pub echoed: u64,
    /// How and when the connection broke, if it did.
    pub broke: Option<(End, Instant)>,
    pub error: Option<String>,
}

/// What the whole crowd saw.
#[derive(Debug, Clone)]
pub struct Summary {
    pub tallies: Vec<Tally>,
}

impl Summary {
    pub fn connections(&self) -> u32 {
        self.tallies.len() as u32
    }

    /// Bytes sent that did not come back intact.
    pub fn bytes_lost(&self) -> u64 {
        self.tallies.iter().map(|t| t.sent - t.echoed).sum()
    }

    /// `Err` naming the first failure, if any connection failed.
    pub fn check(&self) -> Result<(), String> {
        let failed: Vec<&String> = self
            .tallies
            .iter()
            .filter_map(|t| t.error.as_ref())
            .collect();
        match failed.first() {
            None => Ok(()),
            Some(first) => Err(format!(
                "{} of {} bystander connections failed ({} bytes lost); first: {first}",
                failed.len(),
                self.tallies.len(),
                self.bytes_lost()
            )),
        }
    }
}

pub struct Crowd {
    stop: Arc<AtomicBool>,
    in_flight: Arc<AtomicUsize>,
    workers: Vec<JoinHandle<Tally>>,
}

impl Crowd {
    /// Starts `count` echo connections through the proxy at `proxy`.
    pub fn start(proxy: SocketAddr, count: usize) -> Crowd {
        let stop = Arc::new(AtomicBool::new(false));
        let in_flight = Arc::new(AtomicUsize::new(0));
        let workers = (0..count)
            .map(|i| {
                let (stop, in_flight) = (Arc::clone(&stop), Arc::clone(&in_flight));
                thread::spawn(move || work(proxy, i as u64 + 1, &stop, &in_flight))
            })
            .collect();
        Crowd {
            stop,
            in_flight,
            workers,
        }
    }

    /// Waits until every connection has made one full round trip, so the fault hits
    /// a proxy with traffic really in flight.
    pub fn wait_in_flight(&self, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        while self.in_flight.load(Ordering::SeqCst) < self.workers.len() {
            if Instant::now() >= deadline || self.workers.iter().any(|w| w.is_finished()) {
                return Err(format!(
                    "only {} of {} bystander connections got an echo through before the fault",
                    self.in_flight.load(Ordering::SeqCst),
                    self.workers.len()
                ));
            }
            thread::sleep(Duration::from_millis(5));
        }
        Ok(())
    }

    /// Lets every connection finish its last rounds and close; returns what they saw.
    pub fn finish(self) -> Summary {
        self.stop.store(true, Ordering::SeqCst);
        let tallies = self
            .workers
            .into_iter()
            .map(|w| {
                w.join().unwrap_or_else(|_| Tally {
                    error: Some("bystander thread panicked".into()),
                    ..Tally::default()
                })
            })
            .collect();
        Summary { tallies }
    }
}

fn work(proxy: SocketAddr, seed: u64, stop: &AtomicBool, in_flight: &AtomicUsize) -> Tally {
    let mut tally = Tally::default();
    let mut stream = match client::connect(proxy) {
        Ok(stream) => stream,
        Err(e) => {
            tally.error = Some(e);
            return tally;
        }
    };
    let fail = |tally: &mut Tally, what: String, end: End| {
        tally.error = Some(format!("bystander {seed}: {what}: {end}"));
        tally.broke = Some((end, Instant::now()));
    };
    if let Err(e) = stream.write_all(Role::Echo.line().as_bytes()) {
        fail(&mut tally, "sending its role".into(), End::of(&e));
        return tally;
    }
    let mut pattern = Pattern::new(seed);
    let mut block = vec![0u8; BLOCK];
    let mut rounds_after_stop = 0;
    for round in 0u64.. {
        pattern.fill(&mut block);
        tally.sent += BLOCK as u64;
        if let Err(e) = stream.write_all(&block) {
            fail(&mut tally, format!("sending round {round}"), End::of(&e));
            return tally;
        }
        let (good, end) = read_echo(&mut stream, &block);
        tally.echoed += good as u64;
        if let Some(end) = end {
            let what = format!("round {round}: {good} of {BLOCK} bytes echoed, then");
            fail(&mut tally, what, end);
            return tally;
        }
        if round == 0 {
            in_flight.fetch_add(1, Ordering::SeqCst);
        }
        if stop.load(Ordering::SeqCst) {
            rounds_after_stop += 1;
            if rounds_after_stop > ROUNDS_AFTER_STOP {
                break;
            }
        }
        thread::sleep(PAUSE);
    }
    if let Err(e) = client::half_close(&stream) {
        tally.error = Some(format!("bystander {seed}: {e}"));
        return tally;
    }
    if let Err(e) = client::expect_eof(&mut stream, &format!("bystander {seed} at its end")) {
        tally.error = Some(e);
    }
    tally
}

/// Reads `expected.len()` bytes; returns how many matched before the first difference
/// or break, and how the stream broke (`None` if all matched).
fn read_echo(stream: &mut TcpStream, expected: &[u8]) -> (usize, Option<End>) {
    let mut got = vec![0u8; expected.len()];
    let mut filled = 0;
    while filled < got.len() {
        match stream.read(&mut got[filled..]) {
            Ok(0) => return (filled, Some(End::Eof)),
            Ok(n) => {
                if let Some(at) = client::first_difference(
                    &got[filled..filled + n],
                    &expected[filled..filled + n],
                ) {
                    let what = format!("corrupted at byte {}", filled + at);
                    return (filled + at, Some(End::Error(what)));
                }
                filled += n;
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return (filled, Some(End::of(&e))),
        }
    }
    (filled, None)
}

#[cfg(test)]
mod tests {
    use super::super::scripted::ScriptedUpstream;
    use super::*;

    #[test]
    fn a_crowd_against_a_direct_upstream_loses_nothing() {
        let upstream = ScriptedUpstream::start().unwrap();
        let crowd = Crowd::start(upstream.addr(), 3);
        crowd.wait_in_flight(Duration::from_secs(10)).unwrap();
        let summary = crowd.finish();
        summary.check().unwrap();
        assert_eq!(summary.connections(), 3);
        assert_eq!(summary.bytes_lost(), 0);
        assert!(summary.tallies.iter().all(|t| t.sent >= 3 * BLOCK as u64));
    }

    #[test]
    fn a_crowd_cut_off_reports_how_it_broke() {
        // Nothing listens here: every connection fails and says so.
        let closed = super::super::upstream::unused_port().unwrap();
        let crowd = Crowd::start(closed, 2);
        assert!(crowd.wait_in_flight(Duration::from_secs(10)).is_err());
        let summary = crowd.finish();
        assert!(summary.check().is_err());
        assert_eq!(summary.bytes_lost(), 0);
    }
}
