//! What the bench measures: the baselines (no proxy, socat as shipped and tuned, the
//! native build of the proxy) and the wasm proxy under each runtime. Each target
//! starts as a child process on an OS-picked loopback port and says where it listens.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use super::precompile::{self, Compile, Prepared};
use crate::guest::Guest;
use crate::process::{ChildGuard, StdoutWait};
use crate::runtime::Installed;
use crate::scenarios::listening_address;

/// The native proxy build.rs made for this machine.
pub const NATIVE_PROXY: &str = env!("NATIVE_PROXY");

/// socat's buffer when tuned (its default is 8192).
pub const SOCAT_TUNED_BUFFER: usize = 131_072;

// A handful of targets per run: the size of the Wasm variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Clone)]
pub enum Kind {
    /// No proxy: the client talks to the upstream itself.
    Direct,
    /// `socat TCP-LISTEN:port,fork,reuseaddr TCP:upstream`, with `-b N` when tuned.
    Socat { buffer: Option<usize> },
    /// The proxy built natively (tokio).
    Native,
    /// The proxy wasm under a runtime, compiled one way or the other.
    Wasm {
        installed: Installed,
        guest: Guest,
        compile: Compile,
        prepared: Prepared,
    },
}

#[derive(Clone)]
pub struct Target {
    /// Stable key in the JSON: `direct`, `socat`, `wasmedge/proxy-wasmedge/aot`.
    pub id: String,
    /// What a reader sees.
    pub label: String,
    pub kind: Kind,
    /// `PROXY_BUFFER_BYTES` for the proxy (native or wasm); None = its default.
    pub buffer_bytes: Option<usize>,
}

impl Target {
    pub fn direct() -> Target {
        Target {
            id: "direct".into(),
            label: "direct (no proxy)".into(),
            kind: Kind::Direct,
            buffer_bytes: None,
        }
    }

    pub fn socat(buffer: Option<usize>) -> Target {
        Target {
            id: if buffer.is_some() {
                "socat-tuned"
            } else {
                "socat"
            }
            .into(),
            label: match buffer {
                Some(n) => format!("socat -b {n}"),
                None => "socat (default)".into(),
            },
            kind: Kind::Socat { buffer },
            buffer_bytes: None,
        }
    }

    pub fn native() -> Target {
        Target {
            id: "native".into(),
            label: "proxy, native build".into(),
            kind: Kind::Native,
            buffer_bytes: None,
        }
    }

    pub fn wasm(
        installed: &Installed,
        guest: &Guest,
        compile: Compile,
        prepared: Prepared,
    ) -> Target {
        let runtime = installed.adapter.name();
        Target {
            id: format!(
                "{runtime}/{}/{}",
                guest.info.name,
                match compile {
                    Compile::Cold => "cold",
                    Compile::Ahead => "ahead",
                }
            ),
            label: format!(
                "{runtime} {} {} ({})",
                installed.version,
                precompile::label(runtime, compile),
                guest.info.name
            ),
            kind: Kind::Wasm {
                installed: installed.clone(),
                guest: guest.clone(),
                compile,
                prepared,
            },
            buffer_bytes: None,
        }
    }

    /// The same target with the proxy's relay buffer set.
    pub fn with_buffer(&self, bytes: usize) -> Target {
        let mut target = self.clone();
        target.id = format!("{}@{bytes}", self.id);
        target.label = format!("{} [buffer {}]", self.label, human_bytes(bytes));
        target.buffer_bytes = Some(bytes);
        target
    }

    pub fn runtime(&self) -> Option<&Installed> {
        match &self.kind {
            Kind::Wasm { installed, .. } => Some(installed),
            _ => None,
        }
    }

    pub fn is_wasm(&self) -> bool {
        matches!(self.kind, Kind::Wasm { .. })
    }

    /// Starts the target relaying to `upstream`; waits up to `timeout` for it to say
    /// where it listens.
    pub fn start(&self, upstream: SocketAddr, timeout: Duration) -> Result<Running, String> {
        let remote = upstream.to_string();
        let mut fresh_cache = None;
        let command = match &self.kind {
            Kind::Direct => {
                return Ok(Running {
                    addr: upstream,
                    child: None,
                    _fresh_cache: None,
                })
            }
            Kind::Socat { buffer } => socat_command(*buffer, &remote),
            Kind::Native => {
                let mut command = Command::new(NATIVE_PROXY);
                command.env("LOCAL", "127.0.0.1:0").env("REMOTE", &remote);
                if let Some(bytes) = self.buffer_bytes {
                    command.env("PROXY_BUFFER_BYTES", bytes.to_string());
                }
                command
            }
            Kind::Wasm {
                installed,
                guest,
                prepared,
                ..
            } => {
                let buffer = self.buffer_bytes.map(|b| b.to_string());
                let mut env = vec![("LOCAL", "127.0.0.1:0"), ("REMOTE", remote.as_str())];
                if let Some(bytes) = &buffer {
                    env.push(("PROXY_BUFFER_BYTES", bytes));
                }
                let file: PathBuf = prepared.file.clone().unwrap_or_else(|| guest.path.clone());
                let command = installed
                    .adapter
                    .command(&installed.binary, &file, guest.kind, &env);
                let mut command = precompile::with_run_args(command, &prepared.run_args);
                for (key, value) in &prepared.env {
                    command.env(key, value);
                }
                if let Some(var) = &prepared.fresh_cache_env {
                    let dir = tempfile::tempdir().map_err(|e| format!("cache dir: {e}"))?;
                    command.env(var, dir.path());
                    fresh_cache = Some(dir);
                }
                command
            }
        };
        let mut child = ChildGuard::spawn(command).map_err(|e| format!("cannot start: {e}"))?;
        let found = match &self.kind {
            Kind::Socat { .. } => child.wait_for_stdout(timeout, socat_address),
            _ => child.wait_for_stdout(timeout, listening_address),
        };
        match found {
            StdoutWait::Found(addr) => Ok(Running {
                addr,
                child: Some(child),
                _fresh_cache: fresh_cache,
            }),
            StdoutWait::Exited(exit) => Err(format!(
                "exited ({exit:?}) before listening: {}",
                crate::runtime::excerpt(&format!("{}{}", child.stderr(), child.stdout()), 4)
            )),
            StdoutWait::TimedOut => Err(format!(
                "did not say where it listens within {} s",
                timeout.as_secs()
            )),
        }
    }
}

/// socat listening on an OS-picked port; `-d -d` makes it log the port it got, and
/// `-lf /dev/stdout` puts that where the harness reads (a few lines per connection).
fn socat_command(buffer: Option<usize>, remote: &str) -> Command {
    let mut command = Command::new("socat");
    command.args(["-d", "-d", "-lf", "/dev/stdout"]);
    if let Some(bytes) = buffer {
        command.arg("-b").arg(bytes.to_string());
    }
    command
        .arg("TCP-LISTEN:0,bind=127.0.0.1,fork,reuseaddr")
        .arg(format!("TCP:{remote}"));
    command
}

/// `... N listening on AF=2 127.0.0.1:45299` as socat 1.7 logs it.
pub fn socat_address(line: &str) -> Option<SocketAddr> {
    let rest = line.split("listening on ").nth(1)?;
    rest.split_whitespace().last()?.parse().ok()
}

/// A started target; the process (and the group it made) ends when this drops.
pub struct Running {
    pub addr: SocketAddr,
    child: Option<ChildGuard>,
    _fresh_cache: Option<tempfile::TempDir>,
}

impl Running {
    /// Resident memory of the target's whole process group (socat forks one process
    /// per connection), in KiB; None for `direct` or when /proc cannot tell.
    pub fn group_rss_kib(&self) -> Option<u64> {
        let pgid = self.child.as_ref()?.id();
        let mut total = None;
        for entry in std::fs::read_dir("/proc").ok()?.flatten() {
            let path = entry.path();
            let Ok(stat) = std::fs::read_to_string(path.join("stat")) else {
                continue;
            };
            // Fields after the parenthesised name: state, ppid, pgrp, ...
            let in_group = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(2)?.parse::<u32>().ok())
                == Some(pgid);
            if !in_group {
                continue;
            }
            let rss = std::fs::read_to_string(path.join("status"))
                .ok()
                .and_then(|status| {
                    status
                        .lines()
                        .find_map(|l| l.strip_prefix("VmRSS:"))?
                        .split_whitespace()
                        .next()?
                        .parse::<u64>()
                        .ok()
                });
            if let Some(kib) = rss {
                total = Some(total.unwrap_or(0) + kib);
            }
        }
        total
    }

    /// None while serving; how it ended otherwise (Direct never ends).
    pub fn exited(&mut self) -> Option<String> {
        let child = self.child.as_mut()?;
        let exit = child.try_exit()?;
        Some(format!(
            "the proxy process ended ({exit:?}): {}",
            crate::runtime::excerpt(&child.stderr(), 3)
        ))
    }
}

pub fn human_bytes(bytes: usize) -> String {
    match bytes {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} B"),
    }
}

/// The socat binary's version, or why there is none.
pub fn socat_version() -> Result<String, String> {
    let mut command = Command::new("socat");
    command.arg("-V");
    match crate::process::run_with_timeout(command, Duration::from_secs(10)) {
        Ok(Some((_, stdout, _))) => stdout
            .lines()
            .find_map(|l| l.strip_prefix("socat version "))
            .and_then(|rest| rest.split_whitespace().next())
            .map(str::to_owned)
            .ok_or_else(|| "socat -V printed no version".into()),
        Ok(None) => Err("socat -V did not answer".into()),
        Err(e) => Err(format!(
            "socat is not installed ({e}); ci/setup.sh installs it"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_socats_listening_line() {
        assert_eq!(
            socat_address("2026/11/24 17:04:54 socat[4576] N listening on AF=2 127.0.0.1:45299"),
            Some("127.0.0.1:45299".parse().unwrap())
        );
        assert_eq!(
            socat_address("socat[1] N accepting connection from AF=2"),
            None
        );
    }

    #[test]
    fn sizes_read_like_people_write_them() {
        assert_eq!(human_bytes(65_536), "64 KiB");
        assert_eq!(human_bytes(1 << 20), "1 MiB");
        assert_eq!(human_bytes(1000), "1000 B");
    }
}
