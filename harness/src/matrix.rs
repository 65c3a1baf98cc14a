//! Runs every guest × scenario under every chosen runtime and builds the report.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::capabilities;
use crate::guest::Guest;
use crate::imports;
use crate::model::{
    GuestRun, ImportSupport, Outcome, Report, RuntimeReport, ScenarioResult, Support,
    SCHEMA_VERSION,
};
use crate::progress::Progress;
use crate::runtime::{self, Installed, RuntimeAdapter};
use crate::scenarios::{Launch, Scenario};

/// A runtime to include, optionally pinned to a specific binary (several versions of
/// one runtime can then sit side by side in one report).
#[derive(Clone)]
pub struct RuntimeChoice {
    pub adapter: &'static dyn RuntimeAdapter,
    pub binary: Option<PathBuf>,
}

pub struct MatrixPlan {
    pub runtimes: Vec<RuntimeChoice>,
    pub guests: Vec<Guest>,
    pub scenarios: Vec<&'static Scenario>,
    pub startup_timeout: Duration,
    pub probe_imports: bool,
}

pub fn run(plan: &MatrixPlan) -> Report {
    let generated_unix = crate::model::unix_now();
    let cells = plan.runtimes.len() * plan.guests.len() * plan.scenarios.len();
    let progress = Progress::new(cells as u64);
    let runtimes = plan
        .runtimes
        .iter()
        .map(|choice| run_runtime(plan, choice, &progress))
        .collect();
    progress.done();
    Report {
        schema_version: SCHEMA_VERSION,
        harness_version: env!("CARGO_PKG_VERSION").to_string(),
        generated_unix,
        host: crate::model::host(),
        runtimes,
    }
}

fn run_runtime(plan: &MatrixPlan, choice: &RuntimeChoice, progress: &Progress) -> RuntimeReport {
    let adapter = choice.adapter;
    match runtime::probe(adapter, choice.binary.clone()) {
        Ok(installed) => RuntimeReport {
            runtime: adapter.name().to_string(),
            version: Some(installed.version.clone()),
            binary: Some(installed.binary.display().to_string()),
            installed: true,
            granted: adapter.granted(),
            capabilities: capabilities::probe_all(&installed),
            guests: plan
                .guests
                .iter()
                .map(|guest| run_guest(plan, &installed, guest, progress))
                .collect(),
        },
        Err(why) => {
            progress.finish(adapter.name(), &format!("NOT INSTALLED: {why}"));
            RuntimeReport {
                runtime: adapter.name().to_string(),
                version: None,
                binary: None,
                installed: false,
                granted: adapter.granted(),
                capabilities: Vec::new(),
                guests: plan
                    .guests
                    .iter()
                    .map(|guest| GuestRun {
                        guest: guest.info.clone(),
                        scenarios: plan
                            .scenarios
                            .iter()
                            .map(|s| ScenarioResult {
                                scenario: s.name.to_string(),
                                outcome: Outcome::NotInstalled,
                                duration_ms: 0,
                                stderr_excerpt: None,
                            })
                            .collect(),
                        imports: Vec::new(),
                    })
                    .collect(),
            }
        }
    }
}

fn run_guest(
    plan: &MatrixPlan,
    installed: &Installed,
    guest: &Guest,
    progress: &Progress,
) -> GuestRun {
    let prefix = format!(
        "{} {} / {}",
        installed.adapter.name(),
        installed.version,
        guest.info.name
    );
    let imports = if plan.probe_imports {
        progress.start(&format!("{prefix} / probing imports"));
        probe_imports(installed, guest)
    } else {
        Vec::new()
    };
    let scenarios = plan
        .scenarios
        .iter()
        .map(|scenario| {
            let step = format!("{prefix} / {}", scenario.name);
            progress.start(&step);
            let result = run_scenario(installed, guest, scenario, plan.startup_timeout);
            progress.finish(&step, &result.outcome.summary());
            result
        })
        .collect();
    GuestRun {
        guest: guest.info.clone(),
        scenarios,
        imports,
    }
}

pub fn run_scenario(
    installed: &Installed,
    guest: &Guest,
    scenario: &Scenario,
    startup_timeout: Duration,
) -> ScenarioResult {
    let launch = Launch::new(installed, guest, startup_timeout);
    let started = Instant::now();
    let outcome = match (scenario.run)(&launch) {
        Ok(()) => Outcome::Relayed,
        Err(outcome) => outcome,
    };
    ScenarioResult {
        scenario: scenario.name.to_string(),
        duration_ms: started.elapsed().as_millis() as u64,
        stderr_excerpt: if outcome.is_pass() {
            None
        } else {
            launch.stderr_excerpt()
        },
        outcome,
    }
}

/// Per-import support; an analysis failure is recorded on every import rather than
/// hiding the table.
fn probe_imports(installed: &Installed, guest: &Guest) -> Vec<ImportSupport> {
    match imports::probe_imports(installed, &guest.bytes, Duration::from_secs(30)) {
        Ok(support) => support,
        Err(e) => match imports::list_imports(&guest.bytes) {
            Ok(list) => list
                .into_iter()
                .map(|import| ImportSupport {
                    import,
                    support: Support::Unknown {
                        detail: format!("probing failed: {e:#}"),
                    },
                })
                .collect(),
            Err(_) => Vec::new(),
        },
    }
}
