//! The processes of one process group, read from `/proc`: which are still alive (so a
//! run can prove it left no orphan) and how much memory they hold (so a fault can
//! show the proxy's memory stays bounded). Every runtime is started as the leader of
//! its own group ([`crate::process::ChildGuard`]), so the group is the runtime plus
//! any helper it forked.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// One line of `/proc/<pid>/stat` reduced to what we need.
struct Stat {
    state: char,
    pgrp: u32,
}

fn stat(pid: u32) -> Option<Stat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name in parentheses may itself contain spaces and ')': the fields
    // that follow start after the last ')'.
    let (_, rest) = text.rsplit_once(')')?;
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let _ppid = fields.next()?;
    let pgrp = fields.next()?.parse().ok()?;
    Some(Stat { state, pgrp })
}

fn all_pids() -> Vec<u32> {
    std::fs::read_dir("/proc")
        .map(|dir| {
            dir.filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// Live members of process group `pgid`. Zombies are left out: they hold no memory
/// or sockets, and inside a container nobody may ever reap a reparented one.
pub fn members(pgid: u32) -> Vec<u32> {
    all_pids()
        .into_iter()
        .filter(|&pid| stat(pid).is_some_and(|s| s.pgrp == pgid && s.state != 'Z'))
        .collect()
}

/// Waits up to `timeout` for group `pgid` to have no live member; returns the ones
/// still there at the end.
pub fn wait_until_gone(pgid: u32, timeout: Duration) -> Vec<u32> {
    let deadline = Instant::now() + timeout;
    loop {
        let left = members(pgid);
        if left.is_empty() || Instant::now() >= deadline {
            return left;
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// Live processes whose command line contains `needle` (with arguments joined by
/// spaces), as (pid, command line). Used to find leftovers of a run by a unique path.
pub fn processes_mentioning(needle: &str) -> Vec<(u32, String)> {
    all_pids()
        .into_iter()
        .filter(|&pid| stat(pid).is_some_and(|s| s.state != 'Z'))
        .filter_map(|pid| {
            let raw = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
            let line = String::from_utf8_lossy(&raw).replace('\0', " ");
            line.contains(needle)
                .then(|| (pid, line.trim_end().to_string()))
        })
        .collect()
}

/// Resident memory of one process in KiB (`VmRSS`), if it still exists.
pub fn rss_kib_of(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.split_whitespace().next()?.parse().ok())
}

/// Resident memory of the whole group in KiB; `None` once no member is left.
pub fn group_rss_kib(pgid: u32) -> Option<u64> {
    let sizes: Vec<u64> = members(pgid).into_iter().filter_map(rss_kib_of).collect();
    (!sizes.is_empty()).then(|| sizes.iter().sum())
}

/// What a sampler saw: the first sample and the highest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RssStats {
    pub baseline_kib: u64,
    pub peak_kib: u64,
    pub samples: u32,
}

impl RssStats {
    pub fn growth_kib(&self) -> u64 {
        self.peak_kib.saturating_sub(self.baseline_kib)
    }
}

/// Samples a group's RSS on a thread until stopped. The first sample is the baseline,
/// so start it once the process is warmed up (compiled, first connections served).
pub struct RssSampler {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Option<RssStats>>,
}

impl RssSampler {
    pub fn start(pgid: u32, every: Duration) -> RssSampler {
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let sample = move |stats: &mut Option<RssStats>| {
            if let Some(kib) = group_rss_kib(pgid) {
                let s = stats.get_or_insert(RssStats {
                    baseline_kib: kib,
                    peak_kib: kib,
                    samples: 0,
                });
                s.peak_kib = s.peak_kib.max(kib);
                s.samples += 1;
            }
        };
        // The baseline is taken here, before the caller goes on to hurt the process.
        let mut stats = None;
        sample(&mut stats);
        let thread = thread::spawn(move || loop {
            thread::sleep(every);
            sample(&mut stats);
            if stopping.load(Ordering::SeqCst) {
                return stats;
            }
        });
        RssSampler { stop, thread }
    }

    /// Takes one last sample and returns what was seen (`None` if the group was gone
    /// before the first sample).
    pub fn stop(self) -> Option<RssStats> {
        self.stop.store(true, Ordering::SeqCst);
        self.thread.join().ok().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process::ChildGuard;
    use std::process::Command;

    #[test]
    fn sees_a_group_grow_and_go() {
        let mut command = Command::new("sh");
        // A shell plus one forked helper, both in the guard's group.
        command.args(["-c", "sleep 30 & sleep 30"]);
        let guard = ChildGuard::spawn(command).unwrap();
        let pgid = guard.id();
        let deadline = Instant::now() + Duration::from_secs(5);
        while members(pgid).len() < 2 && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(10));
        }
        assert!(members(pgid).len() >= 2, "{:?}", members(pgid));
        assert!(group_rss_kib(pgid).unwrap() > 0);
        let sampler = RssSampler::start(pgid, Duration::from_millis(5));
        thread::sleep(Duration::from_millis(30));
        let stats = sampler.stop().unwrap();
        assert!(stats.samples >= 2 && stats.peak_kib >= stats.baseline_kib);
        drop(guard);
        assert_eq!(
            wait_until_gone(pgid, Duration::from_secs(5)),
            Vec::<u32>::new()
        );
        assert_eq!(group_rss_kib(pgid), None);
    }

    #[test]
    fn finds_processes_by_a_unique_argument() {
        let marker = format!("proc-group-marker-{}", std::process::id());
        let mut command = Command::new("sh");
        command.args(["-c", "sleep 30", &marker]);
        let guard = ChildGuard::spawn(command).unwrap();
        let found = processes_mentioning(&marker);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, guard.id());
        drop(guard);
        assert!(processes_mentioning(&marker).is_empty());
    }
}
