//! The fault report as Markdown: one summary row per runtime × guest (faults injected,
//! survived, bytes lost, peak RSS), then per runtime what each fault did.

use std::fmt::Write as _;

use crate::model::{FaultReport, FaultResult, GuestFaults, RuntimeFaults};

/// Longest text put in one table cell, in characters (the JSON has it all).
const CELL_CHARS: usize = 240;

pub fn render(report: &FaultReport) -> String {
    let mut out = String::new();
    out.push_str("## Faults: nothing hangs, nothing is lost\n\n");
    let _ = writeln!(
        out,
        "harness {} · host `{}` · {} sizes\n",
        cell(&report.harness_version),
        cell(&report.host),
        if report.quick { "quick" } else { "full" }
    );
    if report.runtimes.is_empty() {
        out.push_str("No runtimes in this report.\n");
        return out;
    }
    out.push_str(
        "| runtime | guest | faults injected | survived | bytes lost | peak RSS | slow-reader RSS growth |\n\
         | :-- | :-- | --: | --: | --: | --: | --: |\n",
    );
    for runtime in &report.runtimes {
        summary_rows(&mut out, runtime);
    }
    out.push('\n');
    for runtime in report.runtimes.iter().filter(|r| r.installed) {
        details(&mut out, runtime);
    }
    out
}

fn title(runtime: &RuntimeFaults) -> String {
    match &runtime.version {
        Some(version) => format!("{} {version}", runtime.runtime),
        None => runtime.runtime.clone(),
    }
}

fn summary_rows(out: &mut String, runtime: &RuntimeFaults) {
    let title = cell(&title(runtime));
    if !runtime.installed {
        let why = runtime.not_installed.as_deref().unwrap_or("not installed");
        let _ = writeln!(
            out,
            "| {title} | — | not installed: {} | | | | |",
            cell(why)
        );
        return;
    }
    for run in &runtime.guests {
        let injected: Vec<&FaultResult> = run.faults.iter().filter(|f| f.injected).collect();
        let guest = format!("`{}`", cell(&run.guest.name));
        if injected.is_empty() {
            let why = run
                .faults
                .first()
                .map_or("no fault was run".to_string(), |f| {
                    // Could not start, or started but relayed nothing.
                    format!("0 (not injected: {})", f.outcome.summary())
                });
            let _ = writeln!(out, "| {title} | {guest} | {} | | | | |", cell(&why));
            continue;
        }
        let survived = injected.iter().filter(|f| f.survived).count();
        let lost: u64 = injected.iter().map(|f| f.bytes_lost).sum();
        let peak = injected.iter().filter_map(|f| f.peak_rss_kib).max();
        let growth = run
            .faults
            .iter()
            .find(|f| f.fault == "slow-reader" && f.injected)
            .and_then(|f| f.rss_growth_kib);
        let mark = if survived == injected.len() {
            "✅"
        } else {
            "❌"
        };
        let _ = writeln!(
            out,
            "| {title} | {guest} | {} | {mark} {survived} | {lost} | {} | {} |",
            injected.len(),
            peak.map_or("—".into(), mib),
            growth.map_or("—".into(), |g| format!("+{}", mib(g)))
        );
    }
}

fn details(out: &mut String, runtime: &RuntimeFaults) {
    let runs: Vec<&GuestFaults> = runtime
        .guests
        .iter()
        .filter(|g| g.faults.iter().any(|f| f.injected))
        .collect();
    if runs.is_empty() {
        return;
    }
    let _ = writeln!(out, "### Faults under {}\n", cell(&title(runtime)));
    out.push_str("| fault |");
    for run in &runs {
        let _ = write!(out, " `{}` |", cell(&run.guest.name));
    }
    out.push_str("\n| :-- |");
    out.push_str(&" :-- |".repeat(runs.len()));
    out.push('\n');
    let names: Vec<&str> = runs[0].faults.iter().map(|f| f.fault.as_str()).collect();
    for name in names {
        let _ = write!(out, "| {name} |");
        for run in &runs {
            let text = run
                .faults
                .iter()
                .find(|f| f.fault == name)
                .map_or("not run".to_string(), describe);
            let _ = write!(out, " {} |", cell(&text));
        }
        out.push('\n');
    }
    out.push('\n');
}

/// One cell: verdict, what the client saw, and any loss.
fn describe(result: &FaultResult) -> String {
    let mut text = match (result.injected, result.survived) {
        (false, _) => format!("➖ not injected: {}", result.outcome.summary()),
        (true, true) if result.outcome.is_pass() => "✅ survived".to_string(),
        (true, true) => format!("✅ survived ({})", result.outcome.summary()),
        (true, false) => format!("❌ {}", result.outcome.summary()),
    };
    if result.injected {
        if let Some(saw) = &result.client_saw {
            let _ = write!(text, " · {saw}");
        }
        if result.bytes_lost > 0 {
            let _ = write!(
                text,
                " · {} bytes lost on {} other connections",
                result.bytes_lost, result.unfaulted_connections
            );
        }
    }
    text
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// Text safe inside a table cell: one line, `|` escaped, shortened.
fn cell(text: &str) -> String {
    let flat = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|");
    if flat.chars().count() <= CELL_CHARS {
        return flat;
    }
    let mut cut: String = flat.chars().take(CELL_CHARS - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{GuestInfo, Outcome};

    fn result(fault: &str, injected: bool, survived: bool, outcome: Outcome) -> FaultResult {
        FaultResult {
            fault: fault.into(),
            injected,
            survived,
            outcome,
            client_saw: injected.then(|| "saw | things".into()),
            unfaulted_connections: 5,
            bytes_lost: 0,
            peak_rss_kib: injected.then_some(20 * 1024),
            rss_growth_kib: injected.then_some(512),
            duration_ms: 1,
            stderr_excerpt: None,
        }
    }

    fn guest(name: &str, faults: Vec<FaultResult>) -> GuestFaults {
        GuestFaults {
            guest: GuestInfo {
                name: name.into(),
                abi: "x".into(),
                path: "/x.wasm".into(),
                sha256: "0".into(),
                size_bytes: 1,
            },
            faults,
        }
    }

    #[test]
    fn summarises_per_runtime_and_guest() {
        let report = FaultReport {
            schema_version: 1,
            harness_version: "0.1.0".into(),
            generated_unix: 0,
            host: "x86_64-linux".into(),
            quick: true,
            runtimes: vec![
                RuntimeFaults {
                    runtime: "wasmedge".into(),
                    version: Some("0.14.1".into()),
                    binary: None,
                    installed: true,
                    not_installed: None,
                    guests: vec![
                        guest(
                            "good",
                            vec![
                                result("slow-reader", true, true, Outcome::Relayed),
                                result("proxy-killed", true, true, Outcome::Signal { signal: 9 }),
                            ],
                        ),
                        guest(
                            "bad",
                            vec![result(
                                "slow-reader",
                                false,
                                false,
                                Outcome::CannotLoad {
                                    detail: "nope".into(),
                                },
                            )],
                        ),
                    ],
                },
                RuntimeFaults {
                    runtime: "wasmer".into(),
                    version: None,
                    binary: None,
                    installed: false,
                    not_installed: Some("wasmer: no `wasmer` found".into()),
                    guests: vec![],
                },
            ],
        };
        let text = render(&report);
        assert!(
            text.contains("| wasmedge 0.14.1 | `good` | 2 | ✅ 2 | 0 | 20.0 MiB | +0.5 MiB |"),
            "{text}"
        );
        assert!(
            text.contains("| wasmedge 0.14.1 | `bad` | 0 (not injected: cannot load: nope) |"),
            "{text}"
        );
        assert!(text.contains("| wasmer | — | not installed: wasmer: no `wasmer` found |"));
        assert!(
            text.contains("| proxy-killed | ✅ survived (killed by signal 9) · saw \\| things |")
        );
        // The guest that never started gets no column of its own.
        assert!(!text.contains("`bad` |\n| :--"), "{text}");
    }
}
