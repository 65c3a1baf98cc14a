//! Scenarios: real traffic through the proxy under one runtime. Each scenario starts
//! its own proxy process (so one crash cannot spill into the next) and talks to a
//! native upstream on loopback.

use std::cell::RefCell;
use std::net::SocketAddr;
use std::time::Duration;

use crate::guest::Guest;
use crate::model::Outcome;
use crate::process::{ChildGuard, StdoutWait};
use crate::runtime::{excerpt, Installed};

pub mod basic;
pub mod bystanders;
pub mod client;
pub mod faults;
pub mod scripted;
pub mod upstream;

pub struct Scenario {
    pub name: &'static str,
    pub about: &'static str,
    pub run: fn(&Launch) -> Result<(), Outcome>,
}

/// Every scenario, in the order reports list them.
pub fn all() -> Vec<&'static Scenario> {
    basic::SCENARIOS.iter().collect()
}

pub fn names() -> Vec<&'static str> {
    all().iter().map(|s| s.name).collect()
}

/// How to start the guest under one runtime; remembers the last proxy's stderr so a
/// failed scenario can show what the runtime said.
pub struct Launch<'a> {
    pub installed: &'a Installed,
    pub guest: &'a Guest,
    pub startup_timeout: Duration,
    last_stderr: RefCell<String>,
}

impl<'a> Launch<'a> {
    pub fn new(installed: &'a Installed, guest: &'a Guest, startup_timeout: Duration) -> Self {
        Launch {
            installed,
            guest,
            startup_timeout,
            last_stderr: RefCell::new(String::new()),
        }
    }

    /// Starts the proxy with `LOCAL=127.0.0.1:0` and this `REMOTE`, and waits for the
    /// address it reports listening on. A proxy that never gets there is explained by
    /// the runtime's classifier (missing import, trap, ...).
    pub fn start(&self, remote: &str) -> Result<RunningProxy<'_>, Outcome> {
        let env = [("LOCAL", "127.0.0.1:0"), ("REMOTE", remote)];
        let command = self.installed.adapter.command(
            &self.installed.binary,
            &self.guest.path,
            self.guest.kind,
            &env,
        );
        let mut child = ChildGuard::spawn(command).map_err(|e| Outcome::CannotLoad {
            detail: format!("cannot start {}: {e}", self.installed.binary.display()),
        })?;
        let waited = child.wait_for_stdout(self.startup_timeout, listening_address);
        match waited {
            StdoutWait::Found(addr) => Ok(RunningProxy {
                child,
                addr,
                launch: self,
            }),
            StdoutWait::Exited(exit) => {
                let output = runtime_output(&child);
                *self.last_stderr.borrow_mut() = output.clone();
                Err(self.installed.adapter.classify(exit, &output))
            }
            StdoutWait::TimedOut => {
                *self.last_stderr.borrow_mut() = runtime_output(&child);
                Err(Outcome::Timeout {
                    waited_ms: self.startup_timeout.as_millis() as u64,
                    waiting_for: "the proxy to print `listening on ADDR`".into(),
                })
            }
        }
    }

    /// The tail of the stderr of the last proxy that failed, if any.
    pub fn stderr_excerpt(&self) -> Option<String> {
        let stderr = self.last_stderr.borrow();
        (!stderr.trim().is_empty()).then(|| excerpt(&stderr, 12))
    }
}

/// What a runtime said: stderr, then stdout (WasmEdge prints its `[error]` lines on
/// stdout; the proxy's own stdout lines do not match any classifier pattern).
fn runtime_output(child: &ChildGuard) -> String {
    format!("{}{}", child.stderr(), child.stdout())
}

/// `listening on 127.0.0.1:PORT, relaying to ...` as printed by the proxy.
pub fn listening_address(line: &str) -> Option<SocketAddr> {
    let rest = line.split("listening on ").nth(1)?;
    rest.split([',', ' ']).next()?.parse().ok()
}

pub struct RunningProxy<'a> {
    child: ChildGuard,
    pub addr: SocketAddr,
    launch: &'a Launch<'a>,
}

impl RunningProxy<'_> {
    /// Turns a traffic failure into the scenario's outcome: if the proxy process died
    /// meanwhile, that death (trap, signal, exit) is the real story.
    pub fn failed(&mut self, detail: String) -> Outcome {
        let died = self.child.try_exit();
        if died.is_some() {
            self.child.drain_after_exit();
        }
        let output = runtime_output(&self.child);
        *self.launch.last_stderr.borrow_mut() = output.clone();
        match died {
            Some(exit) => match self.launch.installed.adapter.classify(exit, &output) {
                Outcome::Exit { .. } | Outcome::Signal { .. } => Outcome::Failed {
                    detail: format!("{detail}; the proxy process ended ({exit:?})"),
                },
                explained => explained,
            },
            None => Outcome::Failed { detail },
        }
    }

    /// Fails unless the proxy is still serving: a scenario's traffic must not kill it.
    pub fn still_running(&mut self) -> Result<(), Outcome> {
        match self.child.try_exit() {
            None => Ok(()),
            Some(_) => Err(self.failed("the proxy exited while it should keep serving".into())),
        }
    }

    pub fn stdout(&self) -> String {
        self.child.stdout()
    }

    /// The runtime's process id, which is also its process group's id (for memory
    /// sampling and for faults that kill the whole group).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits up to `timeout` for the proxy process to end (e.g. after a fault killed
    /// it) and explains how it ended; `None` if it is still running.
    pub fn wait_ended(&mut self, timeout: Duration) -> Option<Outcome> {
        let exit = self.child.wait_timeout(timeout)?;
        let output = runtime_output(&self.child);
        *self.launch.last_stderr.borrow_mut() = output.clone();
        Some(self.launch.installed.adapter.classify(exit, &output))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_listening_line() {
        assert_eq!(
            listening_address("listening on 127.0.0.1:4242, relaying to localhost:1"),
            Some("127.0.0.1:4242".parse().unwrap())
        );
        assert_eq!(
            listening_address("listening on [::1]:80, relaying to x:1"),
            Some("[::1]:80".parse().unwrap())
        );
        assert_eq!(listening_address("#1 open a <-> b"), None);
    }

    #[test]
    fn scenario_names_are_unique() {
        let mut names = names();
        let count = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), count);
    }
}
