//! What a bench run produces: the JSON written by `--json`, read back by the renderers.

use serde::{Deserialize, Serialize};

use super::precompile::Compile;
use super::traffic::Direction;

pub const BENCH_SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BenchReport {
    pub schema_version: u32,
    pub harness_version: String,
    pub generated_unix: u64,
    pub quick: bool,
    pub machine: Machine,
    pub settings: Settings,
    pub targets: Vec<TargetResult>,
    /// Each optimisation measured before and after in this same run.
    pub experiments: Vec<Experiment>,
    pub goals: Vec<Goal>,
    /// Runtime x guest pairs left out because they do not relay, and why.
    pub not_relaying: Vec<NotRelaying>,
    pub duration_s: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Machine {
    pub nproc: usize,
    pub cpu_model: String,
    pub kernel: String,
    pub host: String,
    /// /proc/loadavg when the run started: other work on the machine shows here.
    pub load_average: String,
    pub socat_version: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Settings {
    /// Every measurement is taken this many times, the targets taking turns, so load
    /// from elsewhere on the machine spreads over all of them; the median is reported.
    pub repetitions: usize,
    pub warmup_ms: u64,
    pub measure_ms: u64,
    pub parallel_streams: usize,
    pub latency_message_bytes: usize,
    pub latency_rounds: usize,
    pub connection_rate_clients: usize,
    pub connection_rate_ms: u64,
    pub held_connections: usize,
    pub held_rounds: usize,
    pub startup_runs: usize,
    pub buffer_sizes: Vec<usize>,
    pub default_buffer_bytes: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TargetResult {
    pub id: String,
    pub label: String,
    /// `baseline`, `native` or `wasm`.
    pub kind: String,
    pub runtime: Option<String>,
    pub runtime_version: Option<String>,
    pub guest: Option<String>,
    pub compile: Option<Compile>,
    pub buffer_bytes: Option<usize>,
    /// Milliseconds an ahead-of-time compile took in this run (absent: cached or none).
    pub compile_ms: Option<f64>,
    pub throughput: Vec<Throughput>,
    pub latency: Option<Latency>,
    pub connection_rate: Option<ConnectionRate>,
    pub held: Option<Held>,
    pub startup: Option<Startup>,
    /// Failures outside one measurement (could not start, died between measurements).
    pub errors: Vec<String>,
}

impl TargetResult {
    pub fn rate(&self, streams: usize, direction: Direction) -> Option<f64> {
        self.throughput
            .iter()
            .find(|t| t.streams == streams && t.direction == direction)
            .and_then(|t| t.gbit_per_s)
    }

    /// The one-way figure the goals use: the mean of `up` and `down` (None unless both
    /// were measured).
    pub fn one_way(&self, streams: usize) -> Option<f64> {
        Some((self.rate(streams, Direction::Up)? + self.rate(streams, Direction::Down)?) / 2.0)
    }

    pub fn is_wasm(&self) -> bool {
        self.kind == "wasm"
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Throughput {
    pub streams: usize,
    pub direction: Direction,
    /// Median of the repetitions that succeeded.
    pub gbit_per_s: Option<f64>,
    pub samples_gbit_per_s: Vec<f64>,
    /// The first failure, if any repetition failed.
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Latency {
    pub rounds: usize,
    pub p50_us: Option<f64>,
    pub p99_us: Option<f64>,
    pub mean_us: Option<f64>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConnectionRate {
    pub completed: u64,
    pub errors: u64,
    pub per_second: f64,
    pub first_error: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Held {
    pub requested: usize,
    pub opened: usize,
    pub echoed: usize,
    pub errors: usize,
    pub open_ms: f64,
    pub round_ms: f64,
    pub first_error: Option<String>,
    /// Whether the proxy was still running afterwards.
    pub survived: bool,
    /// Resident memory of the target's processes while all connections were held.
    #[serde(default)]
    pub rss_kib: Option<u64>,
}

impl Held {
    pub fn clean(&self, rounds: usize) -> bool {
        self.errors == 0
            && self.survived
            && self.opened == self.requested
            && self.echoed == self.requested * rounds
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Startup {
    /// Process start to the first byte relayed back, each run.
    pub samples_ms: Vec<f64>,
    pub median_ms: Option<f64>,
    pub min_ms: Option<f64>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Experiment {
    pub name: String,
    pub about: String,
    pub rows: Vec<ExperimentRow>,
}

/// One metric of one target, before and after a change, measured in this run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExperimentRow {
    pub target: String,
    pub metric: String,
    /// `higher` or `lower` is better.
    pub better: String,
    pub before_label: String,
    pub before: Option<f64>,
    pub after_label: String,
    pub after: Option<f64>,
    /// after / before.
    pub ratio: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GoalStatus {
    Pass,
    FallsShort,
    NotMeasured,
}

impl GoalStatus {
    pub fn label(self) -> &'static str {
        match self {
            GoalStatus::Pass => "PASS",
            GoalStatus::FallsShort => "FALLS SHORT",
            GoalStatus::NotMeasured => "NOT MEASURED",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Goal {
    pub goal: String,
    pub status: GoalStatus,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NotRelaying {
    pub runtime: String,
    pub guest: String,
    pub why: String,
}
