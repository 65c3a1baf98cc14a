//! `harness faults`: every fault scenario under every chosen runtime × guest, into a
//! [`FaultReport`]. The scenarios themselves live in [`crate::scenarios::faults`].

use std::time::Duration;

use anyhow::Context;

use crate::guest::Guest;
use crate::matrix::RuntimeChoice;
use crate::model::{FaultReport, FaultResult, GuestFaults, RuntimeFaults, FAULTS_SCHEMA_VERSION};
use crate::progress::Progress;
use crate::runtime::{self, Installed};
use crate::scenarios::faults::{self, Fault, Sizes};

pub mod markdown;

pub struct FaultPlan {
    pub runtimes: Vec<RuntimeChoice>,
    pub guests: Vec<Guest>,
    pub faults: Vec<&'static Fault>,
    pub sizes: Sizes,
    pub startup_timeout: Duration,
}

/// The faults named on the command line (all when none is named).
pub fn select(names: &[String]) -> anyhow::Result<Vec<&'static Fault>> {
    if names.is_empty() {
        return Ok(faults::all());
    }
    names
        .iter()
        .map(|name| {
            faults::all()
                .into_iter()
                .find(|f| f.name == name.as_str())
                .with_context(|| {
                    format!(
                        "unknown fault {name:?} (known: {})",
                        faults::names().join(", ")
                    )
                })
        })
        .collect()
}

pub fn run(plan: &FaultPlan) -> FaultReport {
    let generated_unix = crate::model::unix_now();
    let steps = plan.runtimes.len() * plan.guests.len() * plan.faults.len();
    let progress = Progress::new(steps as u64);
    let runtimes = plan
        .runtimes
        .iter()
        .map(|choice| run_runtime(plan, choice, &progress))
        .collect();
    progress.done();
    FaultReport {
        schema_version: FAULTS_SCHEMA_VERSION,
        harness_version: env!("CARGO_PKG_VERSION").to_string(),
        generated_unix,
        host: crate::model::host(),
        quick: plan.sizes != Sizes::FULL,
        runtimes,
    }
}

fn run_runtime(plan: &FaultPlan, choice: &RuntimeChoice, progress: &Progress) -> RuntimeFaults {
    let name = choice.adapter.name().to_string();
    match runtime::probe(choice.adapter, choice.binary.clone()) {
        Ok(installed) => RuntimeFaults {
            runtime: name,
            version: Some(installed.version.clone()),
            binary: Some(installed.binary.display().to_string()),
            installed: true,
            not_installed: None,
            guests: plan
                .guests
                .iter()
                .map(|guest| run_guest(plan, &installed, guest, progress))
                .collect(),
        },
        Err(why) => {
            progress.finish(&name, &format!("NOT INSTALLED: {why}"));
            RuntimeFaults {
                runtime: name,
                version: None,
                binary: None,
                installed: false,
                not_installed: Some(why.to_string()),
                guests: Vec::new(),
            }
        }
    }
}

fn run_guest(
    plan: &FaultPlan,
    installed: &Installed,
    guest: &Guest,
    progress: &Progress,
) -> GuestFaults {
    let prefix = format!(
        "{} {} / {}",
        installed.adapter.name(),
        installed.version,
        guest.info.name
    );
    let mut results: Vec<FaultResult> = Vec::new();
    for fault in &plan.faults {
        let step = format!("{prefix} / {}", fault.name);
        progress.start(&step);
        // A guest that could not start (or relay) for one fault will not for the
        // next: record that outcome for the rest instead of waiting for it again.
        let result = match results.iter().find(|r| !r.injected) {
            Some(earlier) => FaultResult {
                fault: fault.name.to_string(),
                duration_ms: 0,
                ..earlier.clone()
            },
            None => faults::run(fault, installed, guest, &plan.sizes, plan.startup_timeout),
        };
        progress.finish(&step, &one_line(&result));
        results.push(result);
    }
    GuestFaults {
        guest: guest.info.clone(),
        faults: results,
    }
}

/// What a progress line says about one fault.
pub fn one_line(result: &FaultResult) -> String {
    let verdict = match (result.injected, result.survived) {
        (false, _) => format!("not injected: {}", result.outcome.summary()),
        (true, true) => "survived".to_string(),
        (true, false) => format!("NOT SURVIVED: {}", result.outcome.summary()),
    };
    match &result.client_saw {
        Some(saw) if result.injected => format!("{verdict} ({saw})"),
        _ => verdict,
    }
}

/// Whether every fault that was injected was survived.
pub fn all_survived(report: &FaultReport) -> bool {
    report
        .runtimes
        .iter()
        .flat_map(|r| &r.guests)
        .flat_map(|g| &g.faults)
        .all(|f| !f.injected || f.survived)
}

/// Writes the report as pretty JSON.
pub fn write_json(report: &FaultReport, path: &std::path::Path) -> anyhow::Result<()> {
    let mut text = serde_json::to_string_pretty(report)
        .with_context(|| format!("cannot write {}", path.display()))?;
    text.push('\n');
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_faults_are_named() {
        let e = select(&["upstream-resets".into(), "upstream-reset".into()]).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("unknown fault \"upstream-reset\" (known: upstream-closes-early, "),
            "{e}"
        );
        assert_eq!(select(&[]).unwrap().len(), faults::FAULTS.len());
    }
}
