//! The versioned JSON report: writing, reading (with a schema check), and merging the
//! reports of several jobs (e.g. one per runtime version) into one.

use std::path::Path;

use anyhow::anyhow;
use serde::Deserialize;

use super::compare_versions;
use crate::model::{Report, RuntimeReport, SCHEMA_VERSION};

/// Writes `report` as pretty JSON (with a final newline), creating parent directories.
pub fn write(report: &Report, path: &Path) -> anyhow::Result<()> {
    let fail = |e: &dyn std::fmt::Display| anyhow!("cannot write report {}: {e}", path.display());
    let mut text = serde_json::to_string_pretty(report).map_err(|e| fail(&e))?;
    text.push('\n');
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| fail(&e))?;
    }
    std::fs::write(path, text).map_err(|e| fail(&e))
}

/// Reads a report written by [`write`]. Every error is one line starting with
/// `cannot read report <path>: `.
pub fn read(path: &Path) -> anyhow::Result<Report> {
    let fail = |e: &dyn std::fmt::Display| anyhow!("cannot read report {}: {e}", path.display());
    let text = std::fs::read_to_string(path).map_err(|e| fail(&e))?;
    from_str(&text).map_err(|e| fail(&e))
}

/// Parses a report from JSON text, checking `schema_version` before anything else so
/// that a report from another harness version says so instead of naming a field.
pub fn from_str(text: &str) -> anyhow::Result<Report> {
    #[derive(Deserialize)]
    struct Head {
        schema_version: Option<serde_json::Value>,
    }
    let head: Head = serde_json::from_str(text).map_err(|e| anyhow!("invalid JSON: {e}"))?;
    match head.schema_version {
        None => return Err(anyhow!("no schema_version (not a harness report?)")),
        Some(v) if v.as_u64() != Some(u64::from(SCHEMA_VERSION)) => {
            return Err(anyhow!(
                "schema_version is {v}, this harness reads {SCHEMA_VERSION} \
                 (re-run the harness that wrote it, or use a matching harness)"
            ))
        }
        Some(_) => {}
    }
    serde_json::from_str(text).map_err(|e| anyhow!("not a valid report: {e}"))
}

/// Combines reports into one, e.g. the reports of CI jobs that each ran one runtime
/// version.
///
/// - Runtime entries are keyed by (name, version). The same key from several reports
///   becomes one entry: guests are combined by name, a later report's run of a guest
///   replacing an earlier one (capabilities likewise by name); `granted` is the union.
/// - A not-installed entry is dropped when the merged report has an installed entry
///   of the same runtime (the job that skipped it is not news), and kept once otherwise.
/// - Runtimes keep the order in which their names first appear; several versions of
///   one runtime sit next to each other, oldest first.
/// - `generated_unix` is the earliest start; `harness_version` and `host` list the
///   distinct values joined with `, `.
pub fn merge(reports: &[Report]) -> Report {
    let mut runtimes: Vec<RuntimeReport> = Vec::new();
    for report in reports {
        for runtime in &report.runtimes {
            let same = runtimes.iter_mut().find(|r| {
                r.runtime == runtime.runtime
                    && r.version == runtime.version
                    && r.installed == runtime.installed
            });
            match same {
                Some(into) => merge_runtime(into, runtime),
                None => runtimes.push(runtime.clone()),
            }
        }
    }
    let mut names: Vec<String> = Vec::new();
    for runtime in &runtimes {
        if !names.contains(&runtime.runtime) {
            names.push(runtime.runtime.clone());
        }
    }
    let installed: Vec<String> = runtimes
        .iter()
        .filter(|r| r.installed)
        .map(|r| r.runtime.clone())
        .collect();
    runtimes.retain(|r| r.installed || !installed.contains(&r.runtime));

    let rank = |r: &RuntimeReport| names.iter().position(|n| *n == r.runtime);
    let mut order: Vec<usize> = (0..runtimes.len()).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&runtimes[a], &runtimes[b]);
        rank(a)
            .cmp(&rank(b))
            .then_with(|| match (&a.version, &b.version) {
                (Some(x), Some(y)) => compare_versions(x, y),
                (x, y) => x.is_none().cmp(&y.is_none()),
            })
    });
    let runtimes = order.into_iter().map(|i| runtimes[i].clone()).collect();

    let distinct = |values: Vec<&str>| {
        let mut seen: Vec<&str> = Vec::new();
        for v in values {
            if !seen.contains(&v) {
                seen.push(v);
            }
        }
        seen.join(", ")
    };
    Report {
        schema_version: SCHEMA_VERSION,
        harness_version: distinct(reports.iter().map(|r| r.harness_version.as_str()).collect()),
        generated_unix: reports.iter().map(|r| r.generated_unix).min().unwrap_or(0),
        host: distinct(reports.iter().map(|r| r.host.as_str()).collect()),
        runtimes,
    }
}

fn merge_runtime(into: &mut RuntimeReport, from: &RuntimeReport) {
    if into.binary.is_none() {
        into.binary = from.binary.clone();
    }
    for grant in &from.granted {
        if !into.granted.contains(grant) {
            into.granted.push(grant.clone());
        }
    }
    for capability in &from.capabilities {
        match into
            .capabilities
            .iter_mut()
            .find(|c| c.name == capability.name)
        {
            Some(existing) => *existing = capability.clone(),
            None => into.capabilities.push(capability.clone()),
        }
    }
    for run in &from.guests {
        match into
            .guests
            .iter_mut()
            .find(|g| g.guest.name == run.guest.name)
        {
            Some(existing) => *existing = run.clone(),
            None => into.guests.push(run.clone()),
        }
    }
}
