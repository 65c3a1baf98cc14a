//! No process of the harness or of a runtime outlives a run: not after a normal run
//! (matrix and faults, the kill fault included), and not after the harness itself is
//! killed. Runtimes and guests are reached through a fresh temporary directory
//! (symlinked binaries, copied guests), so any leftover shows that path in /proc.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use harness::proc_group::processes_mentioning;
use harness::runtime;

fn scratch() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("harness-orphans-")
        .tempdir()
        .unwrap()
}

/// Every built-in guest copied into `dir`, as `--guest` arguments.
fn guests_in(dir: &Path) -> Vec<String> {
    let mut args = Vec::new();
    for guest in harness::guest::built_in().unwrap() {
        let copy = dir.join(format!("{}.wasm", guest.info.name));
        std::fs::write(&copy, guest.bytes.as_slice()).unwrap();
        args.extend(["--guest".to_string(), copy.display().to_string()]);
    }
    args
}

/// Every installed runtime linked into `dir`, as `--runtime NAME=LINK` arguments.
fn runtimes_in(dir: &Path) -> Vec<String> {
    let mut args = Vec::new();
    for adapter in runtime::ALL {
        let Ok(installed) = runtime::probe(*adapter, None) else {
            continue;
        };
        let link: PathBuf = dir.join(adapter.binary_name());
        std::os::unix::fs::symlink(&installed.binary, &link).unwrap();
        args.extend([
            "--runtime".to_string(),
            format!("{}={}", adapter.name(), link.display()),
        ]);
    }
    args
}

fn leftovers(dir: &Path, patience: Duration) -> Vec<(u32, String)> {
    let needle = dir.display().to_string();
    let deadline = Instant::now() + patience;
    loop {
        let left = processes_mentioning(&needle);
        if left.is_empty() || Instant::now() >= deadline {
            return left;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn nothing_outlives_a_matrix_or_a_faults_run() {
    let dir = scratch();
    let runtimes = runtimes_in(dir.path());
    if runtimes.is_empty() {
        common::runtime_or_skip("wasmedge");
        return;
    }
    let guests = guests_in(dir.path());
    let runs: [&[&str]; 2] = [
        &["matrix", "--scenario", "echo", "--no-imports"],
        &[
            "faults",
            "--quick",
            "--fault",
            "upstream-resets",
            "--fault",
            "proxy-killed",
        ],
    ];
    for run in runs {
        let output = Command::cargo_bin("harness")
            .unwrap()
            .args(run)
            .args(&runtimes)
            .args(&guests)
            .timeout(Duration::from_secs(300))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(
            output.status.code().is_some(),
            "{run:?} was killed: {stderr}"
        );
        let left = leftovers(dir.path(), Duration::from_secs(2));
        assert!(left.is_empty(), "after {run:?}: {left:?}");
    }
}

#[test]
fn a_killed_harness_takes_its_runtime_along() {
    let dir = scratch();
    // A runtime that answers --version, then hangs under its own script name.
    let fake = dir.path().join("hang.sh");
    std::fs::write(
        &fake,
        "#!/bin/bash\nif [ \"$1\" = --version ]; then echo 'wasmedge version 0.14.1'; exit 0; fi\nexec -a \"$0\" sleep 1000\n",
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let guests = guests_in(dir.path());
    let mut harness = StdCommand::new(assert_cmd::cargo::cargo_bin("harness"))
        .args(["matrix", "--scenario", "echo", "--no-imports"])
        .args(["--startup-timeout", "120"])
        .arg("--runtime")
        .arg(format!("wasmedge={}", fake.display()))
        .args(&guests[..2])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let needle = fake.display().to_string();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !processes_mentioning(&needle)
        .iter()
        .any(|(pid, _)| *pid != harness.id())
    {
        assert!(Instant::now() < deadline, "the fake runtime never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    // SIGKILL: no destructor runs, only the kernel can end the runtime now.
    harness.kill().unwrap();
    harness.wait().unwrap();
    let left = leftovers(dir.path(), Duration::from_secs(5));
    assert!(left.is_empty(), "outlived the harness: {left:?}");
}
