//! Wasmer: WASIX (`wasix_32v1`) sockets; networking only with `--net`.

use std::path::Path;
use std::process::Command;
use std::sync::LazyLock;

use regex::Regex;

use super::{classify_plain_exit, runtime_command, BinaryKind, RuntimeAdapter};
use crate::model::Outcome;
use crate::process::Exit;

pub struct Wasmer;

static IMPORT_ERROR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"Error while importing "([^"]+)"\."([^"]+)": ([a-z ]+)\.(?: Expected (.*?)(?: but received (.*))?)?\s*$"#)
        .expect("valid regex")
});

impl RuntimeAdapter for Wasmer {
    fn name(&self) -> &'static str {
        "wasmer"
    }

    fn command(
        &self,
        binary: &Path,
        guest: &Path,
        _kind: BinaryKind,
        env: &[(&str, &str)],
    ) -> Command {
        let mut command = runtime_command(binary);
        // Without --net Wasmer asks on the terminal before the first socket call and,
        // with stdin closed, the call fails with EIO: networking must be granted up front.
        command.args(["run", "--net"]);
        for (key, value) in env {
            command.arg("--env").arg(format!("{key}={value}"));
        }
        command.arg(guest);
        command
    }

    fn granted(&self) -> Vec<String> {
        vec![
            "env: LOCAL, REMOTE".into(),
            "network: --net (all)".into(),
            "filesystem: none".into(),
        ]
    }

    fn classify(&self, exit: Exit, stderr: &str) -> Outcome {
        for line in stderr.lines() {
            let Some(found) = IMPORT_ERROR.captures(line) else {
                continue;
            };
            let (module, name) = (found[1].to_string(), found[2].to_string());
            let expected = found.get(4).map(|m| m.as_str().trim().to_string());
            return match &found[3] {
                "unknown import" => Outcome::MissingImport {
                    module,
                    name,
                    expected,
                },
                _ => Outcome::ImportTypeMismatch {
                    module,
                    name,
                    detail: line[found.get(3).map_or(0, |m| m.start())..]
                        .trim()
                        .to_string(),
                },
            };
        }
        if let Some(line) = stderr.lines().find(|l| l.contains("RuntimeError:")) {
            let message = line.split("RuntimeError:").nth(1).unwrap_or(line).trim();
            return Outcome::Trap {
                message: message.to_string(),
            };
        }
        if let Some(line) = stderr.lines().find(|l| {
            l.contains("component model feature is not enabled")
                || l.contains("magic header not detected")
                || l.contains("Validation error")
                || l.contains("Compile error")
        }) {
            // Drop Wasmer's tree-drawing prefix ("╰─▶ 1: ") to keep the cause.
            let detail = line
                .trim()
                .trim_start_matches(|c: char| !c.is_ascii_alphabetic());
            return Outcome::CannotLoad {
                detail: detail.to_string(),
            };
        }
        classify_plain_exit(exit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_missing_sock_import_and_its_expected_type() {
        // As printed by Wasmer 7.4.2 (`wasmer run --net`) for the tokio_wasi proxy.
        let stderr = "error: Unable to run\n╰─▶ 1: Failed to create the instance - Error while importing \"wasi_snapshot_preview1\".\"sock_setsockopt\": unknown import. Expected Function(FunctionType { params: [I32, I32, I32, I32, I32], results: [I32] })\n";
        assert_eq!(
            Wasmer.classify(Exit::Code(1), stderr),
            Outcome::MissingImport {
                module: "wasi_snapshot_preview1".into(),
                name: "sock_setsockopt".into(),
                expected: Some(
                    "Function(FunctionType { params: [I32, I32, I32, I32, I32], results: [I32] })"
                        .into()
                ),
            }
        );
    }

    #[test]
    fn names_a_type_mismatch() {
        // Verbatim from Wasmer 7.4.2.
        let stderr = "error: Spawn failed\n╰─▶ 1: Failed to create the instance - Error while importing \"wasi_snapshot_preview1\".\"fd_write\": incompatible import type. Expected Function(FunctionType { params: [I64], results: [] }) but received Function(FunctionType { params: [I32, I32, I32, I32], results: [I32] })\n";
        match Wasmer.classify(Exit::Code(1), stderr) {
            Outcome::ImportTypeMismatch {
                module,
                name,
                detail,
            } => {
                assert_eq!(
                    (module.as_str(), name.as_str()),
                    ("wasi_snapshot_preview1", "fd_write")
                );
                assert!(
                    detail.starts_with("incompatible import type. Expected Function"),
                    "{detail}"
                );
                assert!(detail.contains("but received"), "{detail}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn names_a_missing_memory() {
        let stderr = "error: Unable to instantiate the WebAssembly module\n╰─▶ 1: Error while importing \"env\".\"memory\": unknown import. Expected Memory(MemoryType { minimum: 1 pages, maximum: None, shared: false })\n";
        assert!(matches!(
            Wasmer.classify(Exit::Code(1), stderr),
            Outcome::MissingImport { ref module, ref name, .. } if module == "env" && name == "memory"
        ));
    }

    #[test]
    fn reads_its_version() {
        assert_eq!(
            Wasmer.parse_version("wasmer 7.4.2\n").as_deref(),
            Some("7.4.2")
        );
    }
}
