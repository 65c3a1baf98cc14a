//! Builds the proxy guests once per harness build, like wasmtime's test-programs:
//! a nested cargo with its own target dir (so it never waits on the outer cargo's
//! lock), rebuilt only when the guest's sources change. Each guest's path reaches
//! the harness as a compile-time env var `GUEST_<NAME>`.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{exit, Command};

/// (guest name, rust target, proxy features: the complete list, defaults are off so
/// a guest compiles only its own socket layer). The name is what reports show.
const GUESTS: &[(&str, &str, &[&str])] = &[
    ("proxy-wasmedge", "wasm32-wasip1", &["wasmedge"]),
    ("proxy-wasip2", "wasm32-wasip2", &[]),
    ("proxy-wasix", "wasm32-wasip1", &["wasix"]),
];

/// Capability probes (name = package, built for wasm32-wasip1), each a tiny program
/// that tells whether a runtime offers one thing (see harness/src/capabilities.rs).
const PROBES: &[(&str, &str)] = &[("preopened-echo", "preopened-echo")];

/// The outer build's settings: they are for the host, and none must leak into a
/// nested build.
const OUTER_BUILD_ENV: &[&str] = &[
    "CARGO_ENCODED_RUSTFLAGS",
    "RUSTFLAGS",
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET",
    "RUSTC_WORKSPACE_WRAPPER",
    "RUSTC_WRAPPER",
    "CARGO_PRIMARY_PACKAGE",
    "CARGO_MAKEFLAGS",
    "MAKEFLAGS",
    "MFLAGS",
];

fn main() {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let workspace = manifest
        .parent()
        .expect("harness/ sits in the workspace")
        .to_path_buf();
    let guest_target = workspace.join("target/guests");
    for watched in [
        "proxy/src",
        "proxy/Cargo.toml",
        "Cargo.lock",
        ".cargo/config.toml",
    ] {
        println!(
            "cargo:rerun-if-changed={}",
            workspace.join(watched).display()
        );
    }
    let toolchain = GuestToolchain::from_setup();
    if let Some(file) = &toolchain.source {
        println!("cargo:rerun-if-changed={}", file.display());
    }
    for (name, target, features) in GUESTS {
        let wasm = build_wasm(
            &workspace,
            &guest_target,
            &toolchain,
            name,
            "proxy",
            target,
            features,
        );
        let var = format!("GUEST_{}", name.replace('-', "_").to_uppercase());
        println!("cargo:rustc-env={var}={}", wasm.display());
    }
    for (name, package) in PROBES {
        println!(
            "cargo:rerun-if-changed={}",
            manifest.join("probes").join(package).display()
        );
        let wasm = build_wasm(
            &workspace,
            &guest_target,
            &toolchain,
            name,
            package,
            "wasm32-wasip1",
            &[],
        );
        let var = format!("PROBE_{}", name.replace('-', "_").to_uppercase());
        println!("cargo:rustc-env={var}={}", wasm.display());
    }
    // The same proxy built for this machine: `harness bench`'s native baseline.
    let native = build_native_proxy(&workspace, &guest_target);
    println!("cargo:rustc-env=NATIVE_PROXY={}", native.display());
}

/// Which Rust builds the guests: rustup's targets, or the Debian fallback that
/// ci/setup.sh records in its cache when rustup could not add the wasm targets.
struct GuestToolchain {
    source: Option<PathBuf>,
    cargo: String,
    rustc: Option<String>,
    build_std: bool,
    linker: Option<String>,
    libdir: Option<String>,
}

impl GuestToolchain {
    fn from_setup() -> GuestToolchain {
        let outer_cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let file = setup_cache_dir().map(|dir| dir.join("guest-toolchain.env"));
        let values = file
            .as_ref()
            .and_then(|f| fs::read_to_string(f).ok())
            .map(|text| parse_env_file(&text))
            .unwrap_or_default();
        let get = |key: &str| {
            values
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
        };
        if get("GUEST_TOOLCHAIN").as_deref() != Some("debian") {
            return GuestToolchain {
                source: file,
                cargo: outer_cargo,
                rustc: None,
                build_std: false,
                linker: None,
                libdir: None,
            };
        }
        GuestToolchain {
            source: file,
            cargo: get("GUEST_CARGO").unwrap_or_else(|| "/usr/bin/cargo".into()),
            rustc: get("GUEST_RUSTC"),
            build_std: get("GUEST_BUILD_STD").as_deref() == Some("1"),
            linker: get("GUEST_LINKER"),
            libdir: get("GUEST_LIBDIR"),
        }
    }
}

fn setup_cache_dir() -> Option<PathBuf> {
    if let Some(dir) = env::var_os("WASI_PROXY_CACHE") {
        return Some(PathBuf::from(dir));
    }
    let cache = env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))?;
    Some(cache.join("wasi-proxy-matrix"))
}

fn parse_env_file(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().trim_matches('"').to_string()))
        .collect()
}

fn build_wasm(
    workspace: &Path,
    guest_target: &Path,
    toolchain: &GuestToolchain,
    name: &str,
    package: &str,
    target: &str,
    features: &[&str],
) -> PathBuf {
    let mut command = Command::new(&toolchain.cargo);
    command
        .current_dir(workspace)
        .args([
            "build",
            "--release",
            "--locked",
            "-p",
            package,
            "--target",
            target,
        ])
        .arg("--target-dir")
        .arg(guest_target);
    command.arg("--no-default-features");
    if !features.is_empty() {
        command.arg("--features").arg(features.join(","));
    }
    for var in OUTER_BUILD_ENV {
        command.env_remove(var);
    }
    // Same bytes on every machine: no home or checkout paths inside the wasm.
    let mut rustflags = vec![
        format!("--remap-path-prefix={}=/src", workspace.display()),
        format!(
            "--remap-path-prefix={}=/cargo",
            env::var("CARGO_HOME")
                .unwrap_or_else(|_| format!("{}/.cargo", env::var("HOME").unwrap_or_default()))
        ),
    ];
    match &toolchain.rustc {
        Some(rustc) => {
            command.env("RUSTC", rustc);
        }
        None => {
            command.env_remove("RUSTC");
        }
    }
    if toolchain.build_std {
        command
            .env("RUSTC_BOOTSTRAP", "1")
            .arg("-Zbuild-std=std,panic_abort");
        if let Some(linker) = &toolchain.linker {
            rustflags.push(format!("-Clinker={linker}"));
        }
        if let Some(libdir) = &toolchain.libdir {
            rustflags.extend(["-L".into(), format!("native={libdir}")]);
        }
        rustflags.push("-Clink-arg=-lwasi-emulated-pthread".into());
    }
    command.env("CARGO_ENCODED_RUSTFLAGS", rustflags.join("\x1f"));
    let output = match command.output() {
        Ok(output) => output,
        Err(e) => fail(name, &format!("cannot run {}: {e}", toolchain.cargo)),
    };
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        for line in stderr
            .lines()
            .rev()
            .take(40)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
        {
            eprintln!("{line}");
        }
        let hint = if stderr.contains("target may not be installed") {
            " (the wasm target is missing: run ci/setup.sh)"
        } else {
            ""
        };
        fail(name, &format!("cargo build --target {target} failed{hint}"));
    }
    let built = guest_target
        .join(target)
        .join("release")
        .join(format!("{package}.wasm"));
    // Several guests share a target triple; each gets its own stable file name.
    let named = guest_target.join(format!("{name}.wasm"));
    if let Err(e) = fs::copy(&built, &named) {
        fail(name, &format!("cannot copy {}: {e}", built.display()));
    }
    named
}

fn fail(guest: &str, why: &str) -> ! {
    eprintln!("error: building guest {guest}: {why}");
    exit(1);
}

/// The proxy for the machine the harness runs on, in release, as `target/guests/proxy-native`.
/// The outer cargo and rustc build it (never the wasm fallback toolchain's settings).
fn build_native_proxy(workspace: &Path, guest_target: &Path) -> PathBuf {
    let name = "proxy-native";
    let target = env::var("TARGET").expect("set by cargo");
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(&cargo);
    command
        .current_dir(workspace)
        .args(["build", "--release", "--locked", "-p", "proxy", "--target"])
        .arg(&target)
        .arg("--target-dir")
        .arg(guest_target);
    for var in OUTER_BUILD_ENV {
        command.env_remove(var);
    }
    let output = match command.output() {
        Ok(output) => output,
        Err(e) => fail(name, &format!("cannot run {cargo}: {e}")),
    };
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let lines: Vec<&str> = stderr.lines().collect();
        for line in &lines[lines.len().saturating_sub(40)..] {
            eprintln!("{line}");
        }
        fail(name, &format!("cargo build --target {target} failed"));
    }
    let built = guest_target.join(&target).join("release/proxy");
    let named = guest_target.join(name);
    // Copy, then rename over: a bench may be running the previous binary right now.
    let partial = guest_target.join(format!("{name}.partial"));
    if let Err(e) = fs::copy(&built, &partial).and_then(|_| fs::rename(&partial, &named)) {
        fail(name, &format!("cannot copy {}: {e}", built.display()));
    }
    named
}
