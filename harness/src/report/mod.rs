//! Turning a [`Report`] into something to read: the versioned JSON file ([`json`]), a
//! GitHub job summary ([`markdown`]) and one self-contained page ([`html`]). The
//! helpers here are what the renderers share, so that the Markdown and the HTML
//! matrix always say the same thing about a cell.

use std::cmp::Ordering;

use crate::model::{GuestRun, Import, Outcome, Report, RuntimeReport, ScenarioResult, Support};

pub mod html;
pub mod json;
pub mod markdown;

/// Column title for a runtime: `wasmtime 49.0.3`, or just `wasmer` when no version is known.
pub fn runtime_title(runtime: &RuntimeReport) -> String {
    match &runtime.version {
        Some(version) => format!("{} {version}", runtime.runtime),
        None => runtime.runtime.clone(),
    }
}

/// Every guest name in the report, in order of first appearance.
pub fn guest_names(report: &Report) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    for runtime in &report.runtimes {
        for run in &runtime.guests {
            if !names.contains(&run.guest.name.as_str()) {
                names.push(&run.guest.name);
            }
        }
    }
    names
}

/// Every scenario name run under `runtime`, in order of first appearance.
pub fn scenario_names(runtime: &RuntimeReport) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    for run in &runtime.guests {
        for result in &run.scenarios {
            if !names.contains(&result.scenario.as_str()) {
                names.push(&result.scenario);
            }
        }
    }
    names
}

/// Every capability name in the report, in order of first appearance.
pub fn capability_names(report: &Report) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    for runtime in &report.runtimes {
        for capability in &runtime.capabilities {
            if !names.contains(&capability.name.as_str()) {
                names.push(&capability.name);
            }
        }
    }
    names
}

pub fn guest_run<'a>(runtime: &'a RuntimeReport, guest: &str) -> Option<&'a GuestRun> {
    runtime.guests.iter().find(|run| run.guest.name == guest)
}

pub fn scenario_result<'a>(run: &'a GuestRun, scenario: &str) -> Option<&'a ScenarioResult> {
    run.scenarios
        .iter()
        .find(|result| result.scenario == scenario)
}

/// Whether an import belongs to a socket API: WasmEdge's and WASIX's `sock_*`
/// functions, or a `wasi:sockets` interface.
pub fn is_socket_import(import: &Import) -> bool {
    import.name.starts_with("sock_") || import.module.contains("sockets")
}

/// Imports of all runs, sorted by module then name, each (module, name) once.
pub fn union_of_imports<'a>(runs: impl Iterator<Item = &'a GuestRun>) -> Vec<&'a Import> {
    let mut all: Vec<&Import> = runs
        .flat_map(|run| run.imports.iter().map(|i| &i.import))
        .collect();
    all.sort_by(|a, b| (&a.module, &a.name).cmp(&(&b.module, &b.name)));
    all.dedup_by(|a, b| a.module == b.module && a.name == b.name);
    all
}

/// How `run`'s runtime supports `import` (matched by module and name).
pub fn support_of<'a>(run: &'a GuestRun, import: &Import) -> Option<&'a Support> {
    run.imports
        .iter()
        .find(|i| i.import.module == import.module && i.import.name == import.name)
        .map(|i| &i.support)
}

/// What both renderers' Imports sections say about one guest, computed once so the
/// Markdown and the HTML cannot disagree.
pub struct GuestImports<'a> {
    /// Runtimes with import data for the guest, each with its run.
    pub probed: Vec<(&'a RuntimeReport, &'a GuestRun)>,
    /// Every import of the guest, each (module, name) once.
    pub all: Vec<&'a Import>,
    /// The socket imports among them.
    pub socket: Vec<&'a Import>,
    /// The imports at least one probed runtime does not provide.
    pub unsupported: Vec<&'a Import>,
}

impl<'a> GuestImports<'a> {
    pub fn of(report: &'a Report, guest: &str) -> GuestImports<'a> {
        let probed: Vec<(&RuntimeReport, &GuestRun)> = report
            .runtimes
            .iter()
            .filter_map(|rt| guest_run(rt, guest).map(|run| (rt, run)))
            .filter(|(_, run)| !run.imports.is_empty())
            .collect();
        let all = union_of_imports(probed.iter().map(|(_, run)| *run));
        let socket = all
            .iter()
            .copied()
            .filter(|i| is_socket_import(i))
            .collect();
        let unsupported = all
            .iter()
            .copied()
            .filter(|i| {
                probed
                    .iter()
                    .any(|(_, run)| support_of(run, i).is_some_and(|s| *s != Support::Supported))
            })
            .collect();
        GuestImports {
            probed,
            all,
            socket,
            unsupported,
        }
    }

    /// How many of `run`'s imports its runtime provides.
    pub fn supported_count(run: &GuestRun) -> usize {
        run.imports
            .iter()
            .filter(|i| i.support == Support::Supported)
            .count()
    }

    /// The socket imports `run`'s runtime does not provide, with how.
    pub fn lacking_sockets(&self, run: &'a GuestRun) -> Vec<(&'a Import, &'a Support)> {
        self.socket
            .iter()
            .filter_map(|i| support_of(run, i).map(|s| (*i, s)))
            .filter(|(_, s)| **s != Support::Supported)
            .collect()
    }
}

/// `850 ms`, `12.4 s`.
pub fn duration(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        format!("{}.{} s", ms / 1000, ms % 1000 / 100)
    }
}

/// The colour class of a matrix cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellKind {
    /// Every scenario relayed.
    AllRelayed,
    /// Some relayed, some did not.
    Partial,
    /// None relayed.
    Failed,
    /// The runtime binary was not found.
    NotInstalled,
    /// The runtime is installed but this guest was not run under it (or ran no scenario).
    NotRun,
}

impl CellKind {
    pub fn icon(self) -> &'static str {
        match self {
            CellKind::AllRelayed => "✅",
            CellKind::Partial => "⚠️",
            CellKind::Failed => "❌",
            CellKind::NotInstalled => "➖",
            CellKind::NotRun => "▫️",
        }
    }

    /// CSS class name used by the HTML page.
    pub fn class(self) -> &'static str {
        match self {
            CellKind::AllRelayed => "pass",
            CellKind::Partial => "partial",
            CellKind::Failed => "fail",
            CellKind::NotInstalled => "absent",
            CellKind::NotRun => "notrun",
        }
    }
}

/// What the matrix says about one guest under one runtime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    pub kind: CellKind,
    pub passed: usize,
    pub total: usize,
    /// The text after the icon: `7/7`, `missing import m::n`, `5/7 (half-close: failed: ...)`.
    pub text: String,
    /// When no scenario relayed and all failed alike: that failure's [`Outcome::summary`].
    pub shared_failure: Option<String>,
    /// (scenario, outcome summary) of every scenario that did not relay, in run order.
    pub failures: Vec<(String, String)>,
}

impl Cell {
    /// Icon and text, e.g. `✅ 7/7`.
    pub fn line(&self) -> String {
        format!("{} {}", self.kind.icon(), self.text)
    }
}

/// How many failing scenarios a partial cell names before saying `+N more`.
const CELL_FAILURES_NAMED: usize = 2;
/// Longest outcome summary a matrix cell quotes (the tables below have it in full).
const CELL_SUMMARY_CHARS: usize = 120;

/// Summarises `guest` under `runtime` for the matrix.
pub fn cell(runtime: &RuntimeReport, guest: &str) -> Cell {
    let not = |kind, text: &str| Cell {
        kind,
        passed: 0,
        total: 0,
        text: text.into(),
        shared_failure: None,
        failures: Vec::new(),
    };
    if !runtime.installed {
        return not(CellKind::NotInstalled, "not installed");
    }
    let Some(run) = guest_run(runtime, guest) else {
        return not(CellKind::NotRun, "not run");
    };
    let total = run.scenarios.len();
    if total == 0 {
        return not(CellKind::NotRun, "no scenarios");
    }
    if run
        .scenarios
        .iter()
        .all(|r| r.outcome == Outcome::NotInstalled)
    {
        return not(CellKind::NotInstalled, "not installed");
    }
    let passed = run.scenarios.iter().filter(|r| r.outcome.is_pass()).count();
    let failures: Vec<&ScenarioResult> = run
        .scenarios
        .iter()
        .filter(|r| !r.outcome.is_pass())
        .collect();
    let mut shared_failure = None;
    let (kind, text) = if failures.is_empty() {
        (CellKind::AllRelayed, format!("{passed}/{total}"))
    } else {
        let first = failures[0].outcome.summary();
        let shared = failures.iter().all(|r| r.outcome.summary() == first);
        if passed == 0 && shared {
            let text = truncate(&first, CELL_SUMMARY_CHARS);
            shared_failure = Some(first);
            (CellKind::Failed, text)
        } else {
            let kind = if passed == 0 {
                CellKind::Failed
            } else {
                CellKind::Partial
            };
            (
                kind,
                format!("{passed}/{total} ({})", name_failures(&failures)),
            )
        }
    };
    Cell {
        kind,
        passed,
        total,
        text,
        shared_failure,
        failures: failures
            .iter()
            .map(|r| (r.scenario.clone(), r.outcome.summary()))
            .collect(),
    }
}

/// `half-close: failed: ...; echo: trap: ...; +3 more`
fn name_failures(failures: &[&ScenarioResult]) -> String {
    let mut parts: Vec<String> = failures
        .iter()
        .take(CELL_FAILURES_NAMED)
        .map(|r| {
            format!(
                "{}: {}",
                r.scenario,
                truncate(&r.outcome.summary(), CELL_SUMMARY_CHARS)
            )
        })
        .collect();
    if failures.len() > CELL_FAILURES_NAMED {
        parts.push(format!("+{} more", failures.len() - CELL_FAILURES_NAMED));
    }
    parts.join("; ")
}

/// At most `max` characters, with `…` when cut; multi-line text is joined with ` ⏎ `.
pub fn truncate(text: &str, max: usize) -> String {
    let one_line = text.trim().replace("\r\n", "\n").replace('\n', " ⏎ ");
    if one_line.chars().count() <= max {
        return one_line;
    }
    let mut cut: String = one_line.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// Orders version strings by their numeric parts (`9.0` < `10.0`), then as text.
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    fn parts(v: &str) -> Vec<u64> {
        v.trim_start_matches('v')
            .split(|c: char| !c.is_ascii_digit())
            .take_while(|p| !p.is_empty())
            .map(|p| p.parse().unwrap_or(u64::MAX))
            .collect()
    }
    parts(a).cmp(&parts(b)).then_with(|| a.cmp(b))
}

/// `2025-06-01 12:00 UTC` for seconds since the Unix epoch.
pub fn format_unix_utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(format_unix_utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_unix_utc(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(format_unix_utc(1_750_000_000), "2025-06-15 15:06 UTC");
    }

    #[test]
    fn versions_order_numerically() {
        assert_eq!(compare_versions("9.0.0", "10.0.0"), Ordering::Less);
        assert_eq!(compare_versions("46.0.1", "49.0.3"), Ordering::Less);
        assert_eq!(compare_versions("0.14.1", "0.14.1"), Ordering::Equal);
    }

    #[test]
    fn durations() {
        assert_eq!(duration(850), "850 ms");
        assert_eq!(duration(12_480), "12.4 s");
    }

    #[test]
    fn truncation_is_one_line() {
        assert_eq!(truncate("a\nb", 10), "a ⏎ b");
        assert_eq!(truncate("abcdef", 4), "abc…");
    }
}
