//! Each runtime's way of not compiling a guest at every start, and the way to make it
//! compile from scratch (the cold start). Artefacts are cached under the setup cache
//! dir by the runtime's version and the wasm's sha256, so a bench run compiles once.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::guest::Guest;
use crate::process::{run_with_timeout, Exit};
use crate::runtime::{self, runtime_command, Installed};

/// How a wasm target is compiled before it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Compile {
    /// What a first run costs: WasmEdge interprets, wasmtime compiles with its cache
    /// off, Wasmer compiles into an empty cache.
    Cold,
    /// The runtime's artefact made ahead of time: `wasmedge compile` (AOT),
    /// `wasmtime compile` (.cwasm), Wasmer's own module cache, warmed.
    Ahead,
}

/// Whether the bench knows `runtime`'s ahead-of-time artefact.
pub fn has_ahead(runtime: &str) -> bool {
    matches!(runtime, "wasmedge" | "wasmtime" | "wasmer")
}

/// The words a reader knows for each runtime's two ways.
pub fn label(runtime: &str, compile: Compile) -> &'static str {
    match (runtime, compile) {
        ("wasmedge", Compile::Cold) => "interpreter",
        ("wasmedge", Compile::Ahead) => "AOT",
        ("wasmtime", Compile::Cold) => "JIT, no cache",
        ("wasmtime", Compile::Ahead) => "precompiled .cwasm",
        ("wasmer", Compile::Cold) => "empty cache",
        ("wasmer", Compile::Ahead) => "warm cache",
        (_, Compile::Cold) => "as the matrix runs it",
        (_, Compile::Ahead) => "ahead",
    }
}

/// What to change in the runtime's normal command to run a guest one way or the other.
#[derive(Debug, Clone, Default)]
pub struct Prepared {
    /// Run this file instead of the guest.
    pub file: Option<PathBuf>,
    /// Flags inserted right after the runtime's `run` subcommand (or first, without one).
    pub run_args: Vec<String>,
    pub env: Vec<(String, String)>,
    /// A fresh directory per start (Wasmer's cache for a cold start), removed afterwards.
    pub fresh_cache_env: Option<String>,
    /// Milliseconds the ahead-of-time compile took in this run (None: it was cached).
    pub compile_ms: Option<f64>,
}

/// Where artefacts live: `<setup cache>/aot/<runtime>-<version>/`.
pub fn artefact_dir(installed: &Installed) -> Option<PathBuf> {
    Some(runtime::setup_cache_dir()?.join("aot").join(format!(
        "{}-{}",
        installed.adapter.name(),
        installed.version
    )))
}

/// Prepares `guest` under `installed` for `compile`, compiling (once) if needed.
pub fn prepare(installed: &Installed, guest: &Guest, compile: Compile) -> Result<Prepared, String> {
    let runtime = installed.adapter.name();
    match (runtime, compile) {
        ("wasmedge", Compile::Cold) => Ok(Prepared::default()),
        ("wasmtime", Compile::Cold) => Ok(Prepared {
            run_args: vec!["-C".into(), "cache=n".into()],
            ..Prepared::default()
        }),
        ("wasmer", Compile::Cold) => Ok(Prepared {
            fresh_cache_env: Some("WASMER_CACHE_DIR".into()),
            ..Prepared::default()
        }),
        ("wasmedge", Compile::Ahead) => {
            let (file, compile_ms) = cached_artefact(installed, guest, "aot.wasm", |out| {
                let mut command = runtime_command(&installed.binary);
                command.arg("compile").arg(&guest.path).arg(out);
                command
            })?;
            Ok(Prepared {
                file: Some(file),
                compile_ms,
                ..Prepared::default()
            })
        }
        ("wasmtime", Compile::Ahead) => {
            let (file, compile_ms) = cached_artefact(installed, guest, "cwasm", |out| {
                let mut command = runtime_command(&installed.binary);
                command.arg("compile").arg(&guest.path).arg("-o").arg(out);
                command
            })?;
            Ok(Prepared {
                file: Some(file),
                run_args: vec!["--allow-precompiled".into()],
                compile_ms,
                ..Prepared::default()
            })
        }
        ("wasmer", Compile::Ahead) => {
            let dir = artefact_dir(installed)
                .ok_or("no cache directory (HOME is not set)")?
                .join("wasmer-cache");
            std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            // The first start fills it; the runner warms it before timing anything.
            Ok(Prepared {
                env: vec![("WASMER_CACHE_DIR".into(), dir.display().to_string())],
                ..Prepared::default()
            })
        }
        // A runtime the bench knows no artefact for runs as the matrix runs it.
        (_, Compile::Cold) => Ok(Prepared::default()),
        (other, Compile::Ahead) => Err(format!("no ahead-of-time artefact known for {other}")),
    }
}

/// `<dir>/<sha256>.<ext>`, made by `make(temporary path)` when missing; returns the
/// path and how long compiling took when it happened now.
fn cached_artefact(
    installed: &Installed,
    guest: &Guest,
    ext: &str,
    make: impl Fn(&Path) -> Command,
) -> Result<(PathBuf, Option<f64>), String> {
    let dir = artefact_dir(installed).ok_or("no cache directory (HOME is not set)")?;
    let file = dir.join(format!("{}.{ext}", guest.info.sha256));
    if file.is_file() {
        return Ok((file, None));
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    // Compile beside the final name and rename: a half-written artefact is never used.
    let partial = dir.join(format!(
        "{}.{}.partial.{ext}",
        guest.info.sha256,
        std::process::id()
    ));
    let started = Instant::now();
    let result = run_with_timeout(make(&partial), Duration::from_secs(600))
        .map_err(|e| format!("cannot run {}: {e}", installed.binary.display()))?;
    let compile_ms = started.elapsed().as_secs_f64() * 1e3;
    match result {
        Some((Exit::Code(0), _, _)) if partial.is_file() => {
            std::fs::rename(&partial, &file).map_err(|e| format!("{}: {e}", file.display()))?;
            Ok((file, Some(compile_ms)))
        }
        Some((exit, stdout, stderr)) => {
            let _ = std::fs::remove_file(&partial);
            Err(format!(
                "{} compile failed ({exit:?}): {}",
                installed.adapter.name(),
                runtime::excerpt(&format!("{stderr}{stdout}"), 3)
            ))
        }
        None => {
            let _ = std::fs::remove_file(&partial);
            Err(format!(
                "{} compile took over 600 s",
                installed.adapter.name()
            ))
        }
    }
}

/// `command` with `extra` inserted after its subcommand (`run`), or first when it has
/// none (WasmEdge), keeping program, env changes and directory.
pub fn with_run_args(command: Command, extra: &[String]) -> Command {
    if extra.is_empty() {
        return command;
    }
    let args: Vec<_> = command.get_args().map(|a| a.to_os_string()).collect();
    let at = usize::from(args.first().is_some_and(|a| a == "run"));
    let mut rebuilt = Command::new(command.get_program());
    rebuilt.args(&args[..at]).args(extra).args(&args[at..]);
    for (key, value) in command.get_envs() {
        match value {
            Some(value) => rebuilt.env(key, value),
            None => rebuilt.env_remove(key),
        };
    }
    if let Some(dir) = command.get_current_dir() {
        rebuilt.current_dir(dir);
    }
    rebuilt
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(command: &Command) -> Vec<String> {
        command
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn run_args_go_after_the_subcommand() {
        let mut command = Command::new("wasmtime");
        command
            .args(["run", "-S", "x", "guest.wasm"])
            .env("A", "1")
            .env_remove("B");
        let rebuilt = with_run_args(command, &["--allow-precompiled".into()]);
        assert_eq!(
            args(&rebuilt),
            ["run", "--allow-precompiled", "-S", "x", "guest.wasm"]
        );
        let envs: Vec<_> = rebuilt.get_envs().collect();
        assert!(envs.contains(&("A".as_ref(), Some("1".as_ref()))));
        assert!(envs.contains(&("B".as_ref(), None)));
    }

    #[test]
    fn without_a_subcommand_they_go_first() {
        let mut command = Command::new("wasmedge");
        command.args(["--env", "K=V", "guest.wasm"]);
        let rebuilt = with_run_args(command, &["--flag".into()]);
        assert_eq!(args(&rebuilt), ["--flag", "--env", "K=V", "guest.wasm"]);
    }
}
