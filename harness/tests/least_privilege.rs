//! Least privilege: the command lines the adapters build give a guest network access
//! and its two env vars, and nothing else — no preopened directory, no inherited
//! environment. Checked on the built `Command`s, so no runtime needs to be installed.

use std::ffi::OsStr;
use std::path::Path;

use harness::runtime::{self, BinaryKind, RuntimeAdapter};

/// Flags that hand a guest part of the host's filesystem, in any runtime's spelling.
const FILESYSTEM_FLAGS: &[&str] = &["--dir", "--mapdir", "--volume", "--mount", "--preopen"];

/// Flags (or `-S` options) that hand a guest the host's whole environment.
const INHERIT_ENV: &[&str] = &[
    "inherit-env",
    "--inherit-env",
    "--forward-host-env",
    "--env-inherit",
];

const ENV: &[(&str, &str)] = &[("LOCAL", "127.0.0.1:0"), ("REMOTE", "127.0.0.1:9")];

/// Adapters whose runtime offers no way to drop filesystem or environment access;
/// they must say so in `granted()` (checked below), so the report shows it.
const DECLARED_EXCEPTIONS: &[&str] = &["jco"];

fn args(command: &std::process::Command) -> Vec<String> {
    command
        .get_args()
        .map(|a| a.to_string_lossy().into_owned())
        .collect()
}

fn commands(adapter: &dyn RuntimeAdapter) -> Vec<(String, std::process::Command)> {
    let binary = Path::new("/opt/runtime/bin/runtime");
    let guest = Path::new("/guests/proxy.wasm");
    let mut built = vec![
        (
            "module".to_string(),
            adapter.command(binary, guest, BinaryKind::CoreModule, ENV),
        ),
        (
            "component".to_string(),
            adapter.command(binary, guest, BinaryKind::Component, ENV),
        ),
    ];
    if let Some(command) =
        adapter.preopened_listener_command(binary, guest, "127.0.0.1:4000".parse().unwrap())
    {
        built.push(("preopened listener".to_string(), command));
    }
    built
}

#[test]
fn no_adapter_preopens_a_directory_or_inherits_the_environment() {
    for adapter in runtime::ALL {
        for (what, command) in commands(*adapter) {
            let args = args(&command);
            let context = format!("{} ({what}): {args:?}", adapter.name());
            for arg in &args {
                let flag = arg.split('=').next().unwrap_or(arg);
                assert!(!FILESYSTEM_FLAGS.contains(&flag), "{context}");
                assert!(
                    !INHERIT_ENV.iter().any(|bad| arg.contains(bad)),
                    "{context}"
                );
            }
            // The guest path is the only path on the command line.
            assert_eq!(
                args.iter().filter(|a| a.contains('/')).count(),
                1,
                "{context}"
            );
        }
    }
}

#[test]
fn only_the_proxys_variables_are_passed() {
    for adapter in runtime::ALL {
        for (what, command) in commands(*adapter) {
            let args = args(&command);
            let context = format!("{} ({what}): {args:?}", adapter.name());
            // Variables given as `--env KEY=VALUE`: only LOCAL and REMOTE.
            let passed: Vec<&str> = args
                .windows(2)
                .filter(|w| w[0] == "--env" || w[0] == "-e")
                .map(|w| w[1].split('=').next().unwrap_or(""))
                .collect();
            assert!(
                passed.iter().all(|k| *k == "LOCAL" || *k == "REMOTE"),
                "{context}"
            );
            // Variables set on the runtime process itself: only LOCAL/REMOTE, and
            // removals of the harness's own debugging settings.
            for (key, value) in command.get_envs() {
                let set = value.is_some();
                assert!(
                    !set || key == OsStr::new("LOCAL") || key == OsStr::new("REMOTE"),
                    "{context}: sets {key:?}"
                );
            }
        }
    }
}

#[test]
fn granted_says_no_filesystem_unless_declared() {
    for adapter in runtime::ALL {
        let granted = adapter.granted();
        let filesystem: Vec<&String> = granted
            .iter()
            .filter(|g| g.starts_with("filesystem:"))
            .collect();
        assert_eq!(filesystem.len(), 1, "{}: {granted:?}", adapter.name());
        if DECLARED_EXCEPTIONS.contains(&adapter.name()) {
            // No hiding: the report must show what the runtime cannot take away.
            assert_ne!(filesystem[0], "filesystem: none", "{}", adapter.name());
            continue;
        }
        assert_eq!(filesystem[0], "filesystem: none", "{}", adapter.name());
        assert!(
            granted.iter().any(|g| g.starts_with("env: LOCAL, REMOTE")),
            "{}: {granted:?}",
            adapter.name()
        );
        assert!(
            granted.iter().any(|g| g.starts_with("network:")),
            "{}: {granted:?}",
            adapter.name()
        );
    }
}
