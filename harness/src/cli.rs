//! Command-line interface: parsing and the plain checks that turn bad input into one
//! clear line instead of a panic deeper down.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};

use crate::matrix::RuntimeChoice;
use crate::runtime;
use crate::scenarios::{self, Scenario};

#[derive(Parser)]
#[command(
    name = "harness",
    version,
    about = "Runs the WASI proxy under every WebAssembly runtime and records what happens"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Runs every guest x scenario under every runtime; prints the Markdown matrix.
    Matrix(MatrixArgs),
    /// Lists a wasm's imports and, per runtime, whether each is provided.
    Imports(ImportsArgs),
    /// Lists the guests this harness build carries (path, size, sha256).
    Guests,
    /// Lists the runtimes found and their versions.
    Runtimes(RuntimeArgs),
    /// Compares two JSON reports cell by cell; exits 1 on a regression.
    Diff(DiffArgs),
    /// Merges JSON reports (e.g. one per runtime version) into one report.
    Merge(MergeArgs),
    /// Renders support over versions from a directory of reports (tests/history).
    History(HistoryArgs),
    /// Injects faults (resets, early closes, upstream down, a slow reader, 1000 clients,
    /// a kill) under every runtime; prints a Markdown summary; exits 1 if one was not survived.
    Faults(FaultsArgs),
    /// Measures throughput, latency, connection rate, 1000 held connections and startup
    /// through the proxy under each runtime, against direct, socat and the native build.
    Bench(crate::bench::BenchArgs),
}

#[derive(Args)]
pub struct FaultsArgs {
    #[command(flatten)]
    pub targets: TargetArgs,
    /// Only these faults. Repeatable; default: all.
    #[arg(long = "fault", value_name = "NAME")]
    pub faults: Vec<String>,
    /// Quick sizes: the slow reader gets 24 MiB at 12 MiB/s instead of 64 MiB at 1 MiB/s.
    #[arg(long)]
    pub quick: bool,
    /// Writes the JSON fault report here.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Writes the Markdown summary here (it is also printed).
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    /// Seconds a proxy may take to start listening.
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub startup_timeout: u64,
}

#[derive(Args)]
pub struct HistoryArgs {
    /// Directory with one JSON report per runtime version.
    pub dir: PathBuf,
    /// Also writes the Markdown here.
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
}

#[derive(Args)]
pub struct DiffArgs {
    /// The earlier report (e.g. the older runtime version).
    pub old: PathBuf,
    /// The later report.
    pub new: PathBuf,
    /// Also writes the Markdown here.
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
}

#[derive(Args)]
pub struct MergeArgs {
    /// The reports to merge.
    #[arg(required = true)]
    pub reports: Vec<PathBuf>,
    /// Where the merged JSON report goes.
    #[arg(long, value_name = "FILE")]
    pub json: PathBuf,
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

#[derive(Args)]
pub struct RuntimeArgs {
    /// A runtime to use, by name (`wasmtime`) or pinned to a binary
    /// (`wasmtime=/opt/wasmtime-46/wasmtime`). Repeatable; default: all known runtimes.
    #[arg(long = "runtime", value_name = "NAME[=BINARY]")]
    pub runtimes: Vec<String>,
}

/// Which runtimes and guests a run covers (matrix, faults, bench).
#[derive(Args)]
pub struct TargetArgs {
    #[command(flatten)]
    pub runtimes: RuntimeArgs,
    /// A wasm file to use instead of the built-in guests. Repeatable.
    #[arg(long = "guest", value_name = "FILE")]
    pub guests: Vec<PathBuf>,
}

#[derive(Args)]
pub struct MatrixArgs {
    #[command(flatten)]
    pub targets: TargetArgs,
    /// Only these scenarios. Repeatable; default: all.
    #[arg(long = "scenario", value_name = "NAME")]
    pub scenarios: Vec<String>,
    /// Writes the JSON report here.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Writes the Markdown matrix here (it is also printed).
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    /// Writes the self-contained HTML page here.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Compares against the expectations; exits 1 on any unexpected result.
    #[arg(long)]
    pub check: bool,
    /// Where the expectations files are.
    #[arg(long, value_name = "DIR", default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/expectations"))]
    pub expectations: PathBuf,
    /// With --check: a runtime that is not installed is not an error.
    #[arg(long)]
    pub allow_not_installed: bool,
    /// Skips probing each import on its own (faster).
    #[arg(long)]
    pub no_imports: bool,
    /// Seconds a proxy may take to start listening.
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub startup_timeout: u64,
}

#[derive(Args)]
pub struct ImportsArgs {
    /// The wasm file to analyse.
    pub file: PathBuf,
    #[command(flatten)]
    pub runtimes: RuntimeArgs,
}

impl RuntimeArgs {
    pub fn choices(&self) -> anyhow::Result<Vec<RuntimeChoice>> {
        if self.runtimes.is_empty() {
            return Ok(runtime::ALL
                .iter()
                .map(|&adapter| RuntimeChoice {
                    adapter,
                    binary: None,
                })
                .collect());
        }
        self.runtimes
            .iter()
            .map(|spec| parse_runtime(spec))
            .collect()
    }
}

pub fn parse_runtime(spec: &str) -> anyhow::Result<RuntimeChoice> {
    let (name, binary) = match spec.split_once('=') {
        Some((name, path)) if !path.is_empty() => (name, Some(PathBuf::from(path))),
        Some(_) => bail!("--runtime {spec:?}: the binary after `=` is empty"),
        None => (spec, None),
    };
    let adapter = runtime::by_name(name).with_context(|| {
        let known: Vec<_> = runtime::ALL.iter().map(|a| a.name()).collect();
        format!("unknown runtime {name:?} (known: {})", known.join(", "))
    })?;
    Ok(RuntimeChoice { adapter, binary })
}

pub fn select_scenarios(names: &[String]) -> anyhow::Result<Vec<&'static Scenario>> {
    let all = scenarios::all();
    if names.is_empty() {
        return Ok(all);
    }
    names
        .iter()
        .map(|name| {
            all.iter()
                .copied()
                .find(|s| s.name == name)
                .with_context(|| {
                    format!(
                        "unknown scenario {name:?} (known: {})",
                        scenarios::names().join(", ")
                    )
                })
        })
        .collect()
}
