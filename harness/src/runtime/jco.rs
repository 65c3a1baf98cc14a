//! jco: `jco run` transpiles a WASI 0.2 component to JavaScript and runs it on Node.js
//! with the preview2-shim host. Components only; core modules cannot load.

use std::path::Path;
use std::process::Command;

use super::{classify_plain_exit, runtime_command, BinaryKind, RuntimeAdapter};
use crate::model::Outcome;
use crate::process::Exit;

pub struct Jco;

impl RuntimeAdapter for Jco {
    fn name(&self) -> &'static str {
        "jco"
    }

    fn command(
        &self,
        binary: &Path,
        guest: &Path,
        _kind: BinaryKind,
        env: &[(&str, &str)],
    ) -> Command {
        let mut command = runtime_command(binary);
        command.arg("run").arg(guest);
        // jco run has no flag for guest env vars: preview2-shim hands the component
        // Node's process environment, so the variables are set on the process.
        for (key, value) in env {
            command.env(key, value);
        }
        command
    }

    fn granted(&self) -> Vec<String> {
        vec![
            "env: the whole process environment (jco run has no env filter)".into(),
            "network: unrestricted (Node.js sockets, no switch)".into(),
            "filesystem: preview2-shim's default preopens (jco run has no flag to remove them)"
                .into(),
        ]
    }

    fn classify(&self, exit: Exit, output: &str) -> Outcome {
        if output.contains("attempted to parse a wasm module with a component parser") {
            return Outcome::CannotLoad {
                detail: "jco runs only components; this is a core module".into(),
            };
        }
        if let Some(line) = output.lines().find(|l| l.contains("RuntimeError:")) {
            let message = line.split("RuntimeError:").nth(1).unwrap_or(line).trim();
            return Outcome::Trap {
                message: message.to_string(),
            };
        }
        if let Some(line) = output.lines().find(|l| {
            l.contains("Unable to transpile") || l.contains("failed to translate component")
        }) {
            let cause = output
                .lines()
                .skip_while(|l| !l.contains("Caused by:"))
                .nth(1)
                .map(str::trim)
                .unwrap_or(line.trim());
            return Outcome::CannotLoad {
                detail: cause.to_string(),
            };
        }
        classify_plain_exit(exit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_core_module_cannot_load() {
        // Verbatim (abridged stack) from jco 1.35.0 given a wasip1 module.
        let output = "(jco run) Error: Unable to transpile command for execution\n    at runComponent (file:///x/run.js:248:19) {\n  [cause]: ComponentError: failed to translate component\n  \n  Caused by:\n      attempted to parse a wasm module with a component parser\n";
        assert_eq!(
            Jco.classify(Exit::Code(1), output),
            Outcome::CannotLoad {
                detail: "jco runs only components; this is a core module".into()
            }
        );
    }

    #[test]
    fn reads_its_version() {
        assert_eq!(Jco.parse_version("1.35.0\n").as_deref(), Some("1.35.0"));
    }
}
