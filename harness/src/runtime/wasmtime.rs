//! wasmtime: standard WASI; sockets only through `wasi:sockets` (WASI 0.2 components).

use std::path::Path;
use std::process::Command;
use std::sync::LazyLock;

use regex::Regex;

use super::{classify_plain_exit, runtime_command, BinaryKind, RuntimeAdapter};
use crate::model::Outcome;
use crate::process::Exit;

pub struct Wasmtime;

static UNKNOWN_IMPORT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"unknown import: `([^`]+)::([^`]+)` has not been defined").expect("valid regex")
});
static INCOMPATIBLE_IMPORT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"incompatible import type for `([^`]+)::([^`]+)`").expect("valid regex")
});
static MISSING_INSTANCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:component imports instance|import) `([^`]+)`(?:, but a matching implementation was not found| has the wrong type)")
        .expect("valid regex")
});

impl RuntimeAdapter for Wasmtime {
    fn name(&self) -> &'static str {
        "wasmtime"
    }

    fn command(
        &self,
        binary: &Path,
        guest: &Path,
        _kind: BinaryKind,
        env: &[(&str, &str)],
    ) -> Command {
        let mut command = runtime_command(binary);
        // inherit-network grants wasi:sockets (TCP included); name lookup is needed for
        // REMOTE=localhost:PORT. No --dir: the proxy needs no files.
        command.args([
            "run",
            "-S",
            "inherit-network=y",
            "-S",
            "allow-ip-name-lookup=y",
        ]);
        for (key, value) in env {
            command.arg("--env").arg(format!("{key}={value}"));
        }
        command.arg(guest);
        command
    }

    fn preopened_listener_command(
        &self,
        binary: &Path,
        guest: &Path,
        addr: std::net::SocketAddr,
    ) -> Option<Command> {
        // The legacy preview-1 host (preview2=n) pre-opens `tcplisten` as fd 3; wasmtime
        // 47 removed both. The command is offered to every version: the probe's result
        // is what tells them apart.
        let mut command = runtime_command(binary);
        command
            .args(["run", "-S", "preview2=n", "-S"])
            .arg(format!("tcplisten={addr}"))
            .arg(guest);
        Some(command)
    }

    fn granted(&self) -> Vec<String> {
        vec![
            "env: LOCAL, REMOTE".into(),
            "network: -S inherit-network=y (wasi:sockets)".into(),
            "name lookup: -S allow-ip-name-lookup=y".into(),
            "filesystem: none".into(),
        ]
    }

    fn classify(&self, exit: Exit, stderr: &str) -> Outcome {
        if let Some(found) = UNKNOWN_IMPORT.captures(stderr) {
            return Outcome::MissingImport {
                module: found[1].to_string(),
                name: found[2].to_string(),
                expected: None,
            };
        }
        if let Some(found) = INCOMPATIBLE_IMPORT.captures(stderr) {
            return Outcome::ImportTypeMismatch {
                module: found[1].to_string(),
                name: found[2].to_string(),
                detail: line_after(stderr, found.get(0).map_or(0, |m| m.end())),
            };
        }
        if let Some(found) = MISSING_INSTANCE.captures(stderr) {
            return Outcome::MissingImport {
                module: found[1].to_string(),
                name: "*".to_string(),
                expected: None,
            };
        }
        if let Some(line) = stderr.lines().find(|l| l.contains("wasm trap:")) {
            let message = line.split("wasm trap:").nth(1).unwrap_or(line).trim();
            return Outcome::Trap {
                message: message.to_string(),
            };
        }
        if let Some(line) = stderr.lines().find(|l| {
            l.contains("failed to parse WebAssembly")
                || l.contains("magic header not detected")
                || l.contains("component model")
                || l.contains("failed to compile")
        }) {
            return Outcome::CannotLoad {
                detail: line
                    .trim()
                    .trim_start_matches(|c: char| c.is_ascii_digit() || c == ':')
                    .trim()
                    .to_string(),
            };
        }
        classify_plain_exit(exit)
    }
}

/// The rest of the message after a match, where wasmtime puts the "Caused by" detail.
fn line_after(stderr: &str, offset: usize) -> String {
    stderr[offset..]
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
        .trim_start_matches(|c: char| c.is_ascii_digit() || c == ':')
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_missing_sock_import() {
        // As printed by wasmtime 49.0.3 for the tokio_wasi proxy.
        let stderr = "Error: failed to run main module `proxy.wasm`\n\nCaused by:\n    0: failed to instantiate \"proxy.wasm\"\n    1: unknown import: `wasi_snapshot_preview1::sock_setsockopt` has not been defined\n";
        assert_eq!(
            Wasmtime.classify(Exit::Code(1), stderr),
            Outcome::MissingImport {
                module: "wasi_snapshot_preview1".into(),
                name: "sock_setsockopt".into(),
                expected: None
            }
        );
    }

    #[test]
    fn names_a_type_mismatch_with_the_types() {
        // Verbatim from wasmtime 49.0.3 (46.0.1 prints the same).
        let stderr = "Error: failed to run main module `/tmp/import-probe-Cv3rJB.wasm`\n\nCaused by:\n    0: failed to instantiate \"/tmp/import-probe-Cv3rJB.wasm\"\n    1: incompatible import type for `wasi_snapshot_preview1::fd_write`\n    2: types incompatible: expected type `(func (param i64))`, found type `(func (param i32 i32 i32 i32) (result i32))`\n";
        assert_eq!(
            Wasmtime.classify(Exit::Code(1), stderr),
            Outcome::ImportTypeMismatch {
                module: "wasi_snapshot_preview1".into(),
                name: "fd_write".into(),
                detail: "types incompatible: expected type `(func (param i64))`, found type `(func (param i32 i32 i32 i32) (result i32))`".into(),
            }
        );
    }

    #[test]
    fn falls_back_to_the_exit() {
        assert_eq!(
            Wasmtime.classify(Exit::Code(2), "proxy: LOCAL is not set"),
            Outcome::Exit { code: 2 }
        );
        assert_eq!(
            Wasmtime.classify(Exit::Signal(9), ""),
            Outcome::Signal { signal: 9 }
        );
    }

    #[test]
    fn reads_its_version() {
        assert_eq!(
            Wasmtime
                .parse_version("wasmtime 49.0.3 (5ea2d4b1f 2025-11-20)\n")
                .as_deref(),
            Some("49.0.3")
        );
    }
}
