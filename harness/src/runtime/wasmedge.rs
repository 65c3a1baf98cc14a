//! WasmEdge: its own `sock_*` functions in `wasi_snapshot_preview1`, always allowed.

use std::path::Path;
use std::process::Command;
use std::sync::LazyLock;

use regex::Regex;

use super::{classify_plain_exit, runtime_command, BinaryKind, RuntimeAdapter};
use crate::model::Outcome;
use crate::process::Exit;

pub struct WasmEdge;

static LINKING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"When linking module: "([^"]*)" , (?:function|memory|table|global) name: "([^"]*)""#,
    )
    .expect("valid regex")
});
static ERROR_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\[error\] ([a-z ]+) failed: ([^,]+), Code: (0x[0-9a-f]+)").expect("valid regex")
});

impl RuntimeAdapter for WasmEdge {
    fn name(&self) -> &'static str {
        "wasmedge"
    }

    fn command(
        &self,
        binary: &Path,
        guest: &Path,
        _kind: BinaryKind,
        env: &[(&str, &str)],
    ) -> Command {
        let mut command = runtime_command(binary);
        // Sockets need no flag in WasmEdge; no --dir, so no filesystem access.
        for (key, value) in env {
            command.arg("--env").arg(format!("{key}={value}"));
        }
        command.arg(guest);
        command
    }

    fn granted(&self) -> Vec<String> {
        vec![
            "env: LOCAL, REMOTE".into(),
            "network: always on (WasmEdge sock_* have no switch)".into(),
            "filesystem: none".into(),
        ]
    }

    fn classify(&self, exit: Exit, stderr: &str) -> Outcome {
        let Some(error) = ERROR_LINE.captures(stderr) else {
            return classify_plain_exit(exit);
        };
        let (phase, what) = (&error[1], error[2].trim());
        let linking = LINKING.captures(stderr);
        match (what, linking) {
            ("unknown import", Some(link)) => Outcome::MissingImport {
                module: link[1].to_string(),
                name: link[2].to_string(),
                expected: None,
            },
            ("incompatible import type", Some(link)) => Outcome::ImportTypeMismatch {
                module: link[1].to_string(),
                name: link[2].to_string(),
                detail: stderr
                    .lines()
                    .find(|l| l.contains("Mismatched"))
                    .map(|l| l.split("[error]").last().unwrap_or(l).trim().to_string())
                    .unwrap_or_else(|| what.to_string()),
            },
            _ if phase == "execution" => Outcome::Trap {
                message: what.to_string(),
            },
            _ if phase == "loading" || phase == "validation" => Outcome::CannotLoad {
                detail: format!("{phase} failed: {what}"),
            },
            _ => classify_plain_exit(exit),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Verbatim from WasmEdge 0.14.1, which prints these on stdout.
    const MISSING: &str = "[2026-11-24 16:59:01.356] [error] instantiation failed: unknown import, Code: 0x302
[2026-11-24 16:59:01.356] [error]     When linking module: \"wasi_snapshot_preview1\" , function name: \"no_such_function\"
[2026-11-24 16:59:01.356] [error]     At AST node: import description
";
    const MISMATCH: &str = "[2026-11-24 16:59:01.316] [error] instantiation failed: incompatible import type, Code: 0x301
[2026-11-24 16:59:01.316] [error]     Mismatched function type. Expected: FuncType {params{i64} returns{}} , Got: FuncType {params{i32 , i32 , i32 , i32} returns{i32}}
[2026-11-24 16:59:01.316] [error]     When linking module: \"wasi_snapshot_preview1\" , function name: \"fd_write\"
";

    #[test]
    fn names_a_missing_import() {
        assert_eq!(
            WasmEdge.classify(Exit::Code(1), MISSING),
            Outcome::MissingImport {
                module: "wasi_snapshot_preview1".into(),
                name: "no_such_function".into(),
                expected: None
            }
        );
    }

    #[test]
    fn names_a_type_mismatch_with_both_types() {
        match WasmEdge.classify(Exit::Code(1), MISMATCH) {
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
                    detail.starts_with("Mismatched function type. Expected: FuncType {params{i64}"),
                    "{detail}"
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_plain_exit_stays_an_exit() {
        assert_eq!(
            WasmEdge.classify(Exit::Code(2), "proxy: LOCAL is not set: expected ..."),
            Outcome::Exit { code: 2 }
        );
    }

    #[test]
    fn reads_its_version() {
        assert_eq!(
            WasmEdge
                .parse_version(
                    "wasmedge version 0.14.1\n (plugin \"wasi_logging\") version 0.1.0.0\n"
                )
                .as_deref(),
            Some("0.14.1")
        );
    }
}
