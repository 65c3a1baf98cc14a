//! The report's data model: what every producer (runner, import prober) fills in and
//! every consumer (JSON, Markdown, HTML, expectations, diff) reads. Serialized as the
//! versioned JSON report; bump [`SCHEMA_VERSION`] on any incompatible change.

use serde::{Deserialize, Serialize};

pub const SCHEMA_VERSION: u32 = 1;

/// Seconds since the Unix epoch, for every report's `generated_unix`.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `x86_64-linux`: the machine a report was taken on, for every report's `host`.
pub fn host() -> String {
    format!("{}-{}", std::env::consts::ARCH, std::env::consts::OS)
}

/// What happened when a guest ran one scenario under one runtime.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Outcome {
    /// The scenario's traffic went through byte-exact and the checks held.
    Relayed,
    /// Instantiation stopped on an import the runtime does not provide.
    MissingImport {
        module: String,
        name: String,
        /// The import's type as the runtime printed it (the guest's declaration).
        expected: Option<String>,
    },
    /// The runtime has the import, but with another type.
    ImportTypeMismatch {
        module: String,
        name: String,
        detail: String,
    },
    /// The runtime refused to load the binary at all (e.g. a component on a core-only runtime).
    CannotLoad { detail: String },
    /// The guest trapped (unreachable, out-of-bounds, ...).
    Trap { message: String },
    /// The process exited on its own before or while serving.
    Exit { code: i32 },
    /// The process died from a signal it did not ask for.
    Signal { signal: i32 },
    /// Something the harness waited for did not happen in time.
    Timeout { waited_ms: u64, waiting_for: String },
    /// It ran and accepted traffic, but what came out was wrong (lost, corrupted,
    /// reordered bytes; a half-close not passed on; a client left hanging).
    Failed { detail: String },
    /// The runtime binary was not found; never counted as a pass.
    NotInstalled,
}

impl Outcome {
    /// Short stable label, used in expectations files and table cells.
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Relayed => "relayed",
            Outcome::MissingImport { .. } => "missing-import",
            Outcome::ImportTypeMismatch { .. } => "import-type-mismatch",
            Outcome::CannotLoad { .. } => "cannot-load",
            Outcome::Trap { .. } => "trap",
            Outcome::Exit { .. } => "exit",
            Outcome::Signal { .. } => "signal",
            Outcome::Timeout { .. } => "timeout",
            Outcome::Failed { .. } => "failed",
            Outcome::NotInstalled => "not-installed",
        }
    }

    pub fn is_pass(&self) -> bool {
        matches!(self, Outcome::Relayed)
    }

    /// One line for a person: the label plus what makes this failure specific.
    pub fn summary(&self) -> String {
        match self {
            Outcome::Relayed => "relayed".into(),
            Outcome::MissingImport { module, name, .. } => {
                format!("missing import {module}::{name}")
            }
            Outcome::ImportTypeMismatch { module, name, .. } => {
                format!("import type mismatch {module}::{name}")
            }
            Outcome::CannotLoad { detail } => format!("cannot load: {detail}"),
            Outcome::Trap { message } => format!("trap: {message}"),
            Outcome::Exit { code } => format!("exited with {code}"),
            Outcome::Signal { signal } => format!("killed by signal {signal}"),
            Outcome::Timeout {
                waited_ms,
                waiting_for,
            } => format!("timeout after {waited_ms} ms waiting for {waiting_for}"),
            Outcome::Failed { detail } => format!("failed: {detail}"),
            Outcome::NotInstalled => "not installed".into(),
        }
    }
}

/// Whether a runtime provides one import of a guest, probed on its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "support", rename_all = "kebab-case")]
pub enum Support {
    Supported,
    Missing,
    TypeMismatch {
        detail: String,
    },
    /// The probe ran but its result could not be classified (message kept).
    Unknown {
        detail: String,
    },
}

impl Support {
    pub fn label(&self) -> &'static str {
        match self {
            Support::Supported => "supported",
            Support::Missing => "missing",
            Support::TypeMismatch { .. } => "type-mismatch",
            Support::Unknown { .. } => "unknown",
        }
    }
}

/// One import of a guest, as declared in its binary.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Import {
    pub module: String,
    pub name: String,
    /// `func(i32, i32) -> i32`, `memory`, `table`, `global`, ...
    pub ty: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportSupport {
    #[serde(flatten)]
    pub import: Import,
    #[serde(flatten)]
    pub support: Support,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuestInfo {
    /// Stable name, e.g. `proxy-wasmedge` (the tokio_wasi build).
    pub name: String,
    /// Which socket ABI the guest speaks, e.g. `wasmedge-sock`.
    pub abi: String,
    pub path: String,
    pub sha256: String,
    pub size_bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScenarioResult {
    pub scenario: String,
    pub outcome: Outcome,
    pub duration_ms: u64,
    /// The runtime's stderr (tail) when the scenario did not pass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stderr_excerpt: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuestRun {
    pub guest: GuestInfo,
    pub scenarios: Vec<ScenarioResult>,
    /// Every import of the guest and whether this runtime provides it.
    pub imports: Vec<ImportSupport>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuntimeReport {
    /// Adapter name: `wasmedge`, `wasmtime`, `wasmer`.
    pub runtime: String,
    /// `None` when not installed.
    pub version: Option<String>,
    pub binary: Option<String>,
    pub installed: bool,
    /// What the adapter grants a guest (network, env; never preopened directories).
    pub granted: Vec<String>,
    /// Runtime features probed on their own (e.g. a pre-opened listener for wasip1).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capabilities: Vec<Capability>,
    pub guests: Vec<GuestRun>,
}

/// Whether a runtime offers one feature, found by running a probe guest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capability {
    /// Stable name, e.g. `wasip1-preopened-listener`.
    pub name: String,
    pub supported: bool,
    /// What the probe saw (the runtime's own words when unsupported).
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    pub harness_version: String,
    /// Seconds since the Unix epoch when the run started.
    pub generated_unix: u64,
    pub host: String,
    pub runtimes: Vec<RuntimeReport>,
}

/// Version of the fault report (`harness faults --json`), a document of its own: the
/// matrix [`Report`] is unchanged by it.
pub const FAULTS_SCHEMA_VERSION: u32 = 1;

/// One fault injected into a running proxy (or not: see `injected`) and what it did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultResult {
    /// Stable name, e.g. `upstream-resets`.
    pub fault: String,
    /// The proxy started and relayed and the fault was applied; false when the guest
    /// could not even start (then `outcome` says why).
    pub injected: bool,
    /// Injected, and everything held: the hurt client saw a prompt close, the other
    /// connections lost nothing, the proxy kept serving (or, when the fault kills it,
    /// the crash was recorded and no process was left).
    pub survived: bool,
    /// How the proxy fared: `relayed` when it kept serving, `signal` when the fault
    /// killed it, otherwise what went wrong or why it could not start.
    pub outcome: Outcome,
    /// What the hurt client (or, for a client reset, the upstream) saw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_saw: Option<String>,
    /// Connections the fault did not target whose every byte was checked.
    pub unfaulted_connections: u32,
    /// Bytes those connections sent that did not come back intact.
    pub bytes_lost: u64,
    /// Highest resident memory of the runtime's process group during the fault.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_rss_kib: Option<u64>,
    /// Peak minus the first sample, taken once traffic was flowing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rss_growth_kib: Option<u64>,
    pub duration_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stderr_excerpt: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuestFaults {
    pub guest: GuestInfo,
    pub faults: Vec<FaultResult>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuntimeFaults {
    pub runtime: String,
    pub version: Option<String>,
    pub binary: Option<String>,
    pub installed: bool,
    /// Why the runtime counts as not installed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_installed: Option<String>,
    pub guests: Vec<GuestFaults>,
}

/// What `harness faults` writes with `--json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultReport {
    pub schema_version: u32,
    pub harness_version: String,
    pub generated_unix: u64,
    pub host: String,
    /// Run with the quick sizes (a faster slow reader) rather than the full ones.
    pub quick: bool,
    pub runtimes: Vec<RuntimeFaults>,
}
