//! Bad input to the `harness` binary: files that are not (complete) wasm, runtimes
//! that hang or say nothing, expectation files with typos. Each must end in bounded
//! time with one clear line and a non-zero exit, never a panic. Fake runtimes are
//! shell scripts pinned with `--runtime wasmtime=SCRIPT`; they answer `--version`
//! (so probing is quick) and misbehave when asked to run something.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use harness::proc_group::processes_mentioning;
use tempfile::TempDir;

/// A safety net far above what any case here needs: a hang fails instead of blocking.
const CASE_LIMIT: Duration = Duration::from_secs(180);

fn harness(args: &[&str]) -> Output {
    let started = Instant::now();
    let output = Command::cargo_bin("harness")
        .expect("the harness binary is built")
        .args(args)
        .timeout(CASE_LIMIT)
        .output()
        .expect("the harness runs");
    eprintln!(
        "harness {args:?}: {:?} in {:?}\nstdout: {}\nstderr: {}",
        output.status.code(),
        started.elapsed(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Exit `code`, and stderr is exactly one `harness: error:` line containing `needle`.
fn one_line_error(output: &Output, code: i32, needle: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(output.status.code(), Some(code), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].starts_with("harness: error: "), "{stderr}");
    assert!(lines[0].contains(needle), "{needle:?} not in {stderr}");
}

fn no_panic(output: &Output) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
}

struct Scratch {
    dir: TempDir,
}

impl Scratch {
    fn new() -> Scratch {
        Scratch {
            dir: tempfile::Builder::new()
                .prefix("harness-cli-")
                .tempdir()
                .unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn file(&self, name: &str, bytes: &[u8]) -> String {
        let path = self.path(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
        path.display().to_string()
    }

    /// A fake runtime: answers `--version` like wasmtime, then runs `behaviour`.
    fn runtime(&self, name: &str, behaviour: &str) -> String {
        let script = format!(
            "#!/bin/bash\nif [ \"$1\" = --version ]; then echo 'wasmtime 49.0.3'; exit 0; fi\n{behaviour}\n"
        );
        let path = self.file(name, script.as_bytes());
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    /// A copy of the built-in WasmEdge guest, named `g.wasm` (guest name `g`).
    fn guest(&self) -> String {
        let built = harness::guest::built_in().unwrap();
        self.file("g.wasm", &built[0].bytes)
    }

    /// Nothing the harness started from this scratch directory is still running.
    fn assert_nothing_left(&self) {
        let needle = self.dir.path().display().to_string();
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let left = processes_mentioning(&needle);
            if left.is_empty() {
                return;
            }
            assert!(Instant::now() < deadline, "left running: {left:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Sleeps forever under its own script name, so /proc shows where it came from.
const HANG: &str = "exec -a \"$0\" sleep 1000";

#[test]
fn a_file_that_is_not_wasm_is_one_line() {
    let scratch = Scratch::new();
    let text = scratch.file("notes.wasm", b"hello, I am text\n");
    for args in [
        vec!["matrix", "--guest", &text, "--no-imports"],
        vec!["imports", &text],
        vec!["faults", "--quick", "--guest", &text],
    ] {
        one_line_error(&harness(&args), 2, "is not a WebAssembly binary");
    }
    let missing = scratch.path("missing.wasm").display().to_string();
    one_line_error(
        &harness(&["matrix", "--guest", &missing]),
        2,
        "cannot read guest",
    );
}

#[test]
fn a_truncated_wasm_is_one_line_with_the_offset() {
    let scratch = Scratch::new();
    let whole = harness::guest::built_in().unwrap().remove(0);
    let cut = scratch.file("cut.wasm", &whole.bytes[..whole.bytes.len() / 3]);
    for args in [
        vec!["matrix", "--guest", &cut, "--no-imports"],
        vec!["imports", &cut],
        vec!["faults", "--quick", "--guest", &cut],
    ] {
        let output = harness(&args);
        one_line_error(&output, 2, "is not a complete WebAssembly binary");
        one_line_error(&output, 2, "unexpected end-of-file");
    }
}

#[test]
fn a_runtime_that_hangs_on_run_times_out_and_is_reported() {
    let scratch = Scratch::new();
    let hang = scratch.runtime("hang.sh", HANG);
    let guest = scratch.guest();
    let expectations = scratch.file(
        "expect/wasmtime.toml",
        b"runtime = \"wasmtime\"\n[guest.g]\noutcome = \"relayed\"\n",
    );
    let expect_dir = Path::new(&expectations).parent().unwrap().to_str().unwrap();
    let pinned = format!("wasmtime={hang}");
    let started = Instant::now();
    let output = harness(&[
        "matrix",
        "--runtime",
        &pinned,
        "--guest",
        &guest,
        "--scenario",
        "echo",
        "--no-imports",
        "--startup-timeout",
        "2",
        "--check",
        "--expectations",
        expect_dir,
    ]);
    no_panic(&output);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("wasmtime 49.0.3 / g / echo: expected relayed, got timeout after 2000 ms"),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("❌ timeout after 2000 ms"), "{stdout}");
    // Startup timeout plus the capability probe's own 20 s bound, nothing more.
    assert!(started.elapsed() < Duration::from_secs(60));
    scratch.assert_nothing_left();
}

#[test]
fn probing_imports_of_a_hanging_runtime_costs_one_timeout() {
    let scratch = Scratch::new();
    let hang = scratch.runtime("hang.sh", HANG);
    let guest = scratch.guest();
    let started = Instant::now();
    let output = harness(&["imports", &guest, "--runtime", &format!("wasmtime={hang}")]);
    no_panic(&output);
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("| unknown |"), "{stdout}");
    // One probe timeout (30 s), not one per import.
    assert!(started.elapsed() < Duration::from_secs(60));
    scratch.assert_nothing_left();
}

#[test]
fn a_runtime_that_never_answers_version_is_not_installed() {
    let scratch = Scratch::new();
    let path = scratch.file(
        "mute-forever.sh",
        b"#!/bin/bash\nexec -a \"$0\" sleep 1000\n",
    );
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    let output = harness(&["runtimes", "--runtime", &format!("wasmtime={path}")]);
    no_panic(&output);
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(
        stdout.contains("not-installed") && stdout.contains("no answer within 20 s"),
        "{stdout}"
    );
    scratch.assert_nothing_left();
}

#[test]
fn a_runtime_that_prints_nothing_and_exits_1() {
    let scratch = Scratch::new();
    let path = scratch.file("mute.sh", b"#!/bin/sh\nexit 1\n");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    let pinned = format!("wasmtime={path}");
    let output = harness(&["runtimes", "--runtime", &pinned]);
    no_panic(&output);
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(
        stdout.contains("--version` failed: exit code 1, printing nothing"),
        "{stdout}"
    );

    // In a matrix it is a runtime that is not installed; --check says so and fails.
    let guest = scratch.guest();
    let expectations = scratch.file(
        "expect/wasmtime.toml",
        b"runtime = \"wasmtime\"\n[guest.g]\noutcome = \"relayed\"\n",
    );
    let expect_dir = Path::new(&expectations).parent().unwrap().to_str().unwrap();
    let output = harness(&[
        "matrix",
        "--runtime",
        &pinned,
        "--guest",
        &guest,
        "--no-imports",
        "--check",
        "--expectations",
        expect_dir,
    ]);
    no_panic(&output);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("wasmtime: not installed, but expectations exist for it"),
        "{stderr}"
    );

    // A runtime that answers --version but prints nothing and exits 1 on run.
    let quiet = scratch.runtime("quiet.sh", "exit 1");
    let output = harness(&[
        "matrix",
        "--runtime",
        &format!("wasmtime={quiet}"),
        "--guest",
        &guest,
        "--scenario",
        "echo",
        "--no-imports",
    ]);
    no_panic(&output);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("❌ exited with 1"), "{stdout}");
}

#[test]
fn an_expectations_file_with_a_typo_is_one_line_naming_the_file() {
    let scratch = Scratch::new();
    let guest = scratch.guest();
    let mute = scratch.file("mute.sh", b"#!/bin/sh\nexit 1\n");
    std::fs::set_permissions(&mute, std::fs::Permissions::from_mode(0o755)).unwrap();
    let typos: [(&str, &[u8], &str); 4] = [
        (
            "outcome",
            b"runtime = \"wasmtime\"\n[guest.g]\noutcome = \"relayd\"\n",
            "wasmtime.toml:3: guest g: unknown outcome \"relayd\"",
        ),
        (
            "key",
            b"runtime = \"wasmtime\"\n[guest.g]\noutcom = \"relayed\"\n",
            "wasmtime.toml:3: unknown field `outcom`",
        ),
        (
            "scenario",
            b"runtime = \"wasmtime\"\n[guest.g]\noutcome = \"relayed\"\n[guest.g.scenario.ecoh]\noutcome = \"relayed\"\n",
            "wasmtime.toml:4: guest g: unknown scenario \"ecoh\"",
        ),
        (
            "syntax",
            b"runtime = \"wasmtime\n",
            "wasmtime.toml:1:",
        ),
    ];
    for (what, text, needle) in typos {
        let file = scratch.file(&format!("{what}/wasmtime.toml"), text);
        let dir = Path::new(&file).parent().unwrap().to_str().unwrap();
        let output = harness(&[
            "matrix",
            "--check",
            "--expectations",
            dir,
            "--runtime",
            &format!("wasmtime={mute}"),
            "--guest",
            &guest,
            "--no-imports",
        ]);
        one_line_error(&output, 2, &format!("{dir}/{needle}"));
    }
}
