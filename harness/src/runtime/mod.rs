//! Runtime adapters: one file per runtime. An adapter knows how to find its binary,
//! read its version, run a guest with env vars and network access, and turn a failed
//! run's exit and stderr into a typed [`Outcome`]. Adding a runtime = adding a file
//! and a line in [`ALL`].

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::model::Outcome;
use crate::process::{run_with_timeout, Exit};

pub mod jco;
pub mod wasmedge;
pub mod wasmer;
pub mod wasmtime;

/// What kind of binary a guest is; runtimes differ in which they can load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryKind {
    CoreModule,
    Component,
}

pub trait RuntimeAdapter: Sync {
    /// Stable name used in reports and expectations: `wasmtime`.
    fn name(&self) -> &'static str;

    /// Environment variable naming the binary to use: the name in capitals, `WASMTIME`.
    fn env_override(&self) -> String {
        self.name().to_uppercase()
    }

    /// File name looked up on PATH and in the setup prefix: the name itself.
    fn binary_name(&self) -> &'static str {
        self.name()
    }

    /// Extracts the version from `<binary> --version` output (every runtime so far
    /// prints it as the first `X.Y.Z` token).
    fn parse_version(&self, version_output: &str) -> Option<String> {
        first_version_token(version_output)
    }

    /// The command that runs `guest` with `env` set inside it and network access.
    fn command(
        &self,
        binary: &Path,
        guest: &Path,
        kind: BinaryKind,
        env: &[(&str, &str)],
    ) -> Command;

    /// A command that runs a wasip1 `guest` with a listening socket on `addr` pre-opened
    /// as fd 3, if this runtime (version) has such an option; `None` if it has none.
    fn preopened_listener_command(
        &self,
        _binary: &Path,
        _guest: &Path,
        _addr: std::net::SocketAddr,
    ) -> Option<Command> {
        None
    }

    /// What `command` grants the guest, for the report (least privilege is checked here).
    fn granted(&self) -> Vec<String>;

    /// Explains a run that ended (or failed to start) with `exit`; `output` is what
    /// the runtime printed, stderr then stdout.
    fn classify(&self, exit: Exit, output: &str) -> Outcome;
}

pub static ALL: &[&dyn RuntimeAdapter] = &[
    &wasmedge::WasmEdge,
    &wasmtime::Wasmtime,
    &wasmer::Wasmer,
    &jco::Jco,
];

pub fn by_name(name: &str) -> Option<&'static dyn RuntimeAdapter> {
    ALL.iter().copied().find(|adapter| adapter.name() == name)
}

/// A runtime that was found and answered `--version`.
#[derive(Clone)]
pub struct Installed {
    pub adapter: &'static dyn RuntimeAdapter,
    pub binary: PathBuf,
    pub version: String,
}

/// Where `ci/setup.sh` installs runtimes (kept in step with it).
pub fn setup_cache_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("WASI_PROXY_CACHE") {
        return Some(PathBuf::from(dir));
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))?;
    Some(cache.join("wasi-proxy-matrix"))
}

/// The binary to use: the env override, else PATH, else the setup prefix.
pub fn locate(adapter: &dyn RuntimeAdapter) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(adapter.env_override()) {
        return Some(PathBuf::from(path));
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(adapter.binary_name()))
            .find(|candidate| is_executable(candidate))
    });
    on_path.or_else(|| {
        let candidate = setup_cache_dir()?
            .join("runtimes/bin")
            .join(adapter.binary_name());
        is_executable(&candidate).then_some(candidate)
    })
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

/// Why a runtime counts as not installed.
#[derive(Debug, thiserror::Error)]
pub enum NotInstalled {
    #[error("{runtime}: no `{binary}` found (set {env}, put it on PATH, or run ci/setup.sh)")]
    NotFound {
        runtime: &'static str,
        binary: &'static str,
        env: String,
    },
    #[error("{runtime}: `{path} --version` failed: {why}")]
    Broken {
        runtime: &'static str,
        path: String,
        why: String,
    },
}

/// Finds the adapter's binary (or uses `binary`) and asks it for its version.
pub fn probe(
    adapter: &'static dyn RuntimeAdapter,
    binary: Option<PathBuf>,
) -> Result<Installed, NotInstalled> {
    let binary = binary
        .or_else(|| locate(adapter))
        .ok_or(NotInstalled::NotFound {
            runtime: adapter.name(),
            binary: adapter.binary_name(),
            env: adapter.env_override(),
        })?;
    let broken = |why: String| NotInstalled::Broken {
        runtime: adapter.name(),
        path: binary.display().to_string(),
        why,
    };
    let mut command = Command::new(&binary);
    command.arg("--version");
    let (exit, stdout, stderr) = run_with_timeout(command, Duration::from_secs(20))
        .map_err(|e| broken(e.to_string()))?
        .ok_or_else(|| broken("no answer within 20 s".into()))?;
    if exit != Exit::Code(0) {
        // One line: the report and `harness runtimes` print this in a table row.
        let said = excerpt(&format!("{stderr}{stdout}"), 1);
        return Err(broken(match said.as_str() {
            "" => format!("{exit}, printing nothing"),
            _ => format!("{exit}: {said}"),
        }));
    }
    let version = adapter
        .parse_version(&stdout)
        .ok_or_else(|| broken(format!("unrecognised version text {:?}", stdout.trim())))?;
    Ok(Installed {
        adapter,
        binary,
        version,
    })
}

/// A command for a runtime binary with the harness's own debugging settings removed:
/// a runtime that inherits RUST_BACKTRACE prints host stack traces into its errors.
pub fn runtime_command(binary: &Path) -> Command {
    let mut command = Command::new(binary);
    command.env_remove("RUST_BACKTRACE").env_remove("RUST_LOG");
    command
}

/// The first whitespace-separated token that looks like `MAJOR.MINOR.PATCH[...]`.
pub fn first_version_token(text: &str) -> Option<String> {
    text.split_whitespace()
        .map(|token| token.trim_start_matches('v'))
        .find(|token| {
            let mut parts = token.split('.');
            parts.clone().count() >= 3
                && parts.all(|part| part.starts_with(|c: char| c.is_ascii_digit()))
        })
        .map(str::to_owned)
}

/// What every adapter falls back to once its runtime-specific texts did not match.
pub fn classify_plain_exit(exit: Exit) -> Outcome {
    match exit {
        Exit::Code(code) => Outcome::Exit { code },
        Exit::Signal(signal) => Outcome::Signal { signal },
    }
}

/// The last few non-empty lines of a stderr, for reports.
pub fn excerpt(stderr: &str, lines: usize) -> String {
    let kept: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    kept[kept.len().saturating_sub(lines)..].join("\n")
}
