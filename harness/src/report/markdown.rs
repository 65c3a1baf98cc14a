//! The report as GitHub-flavoured Markdown, sized for a GitHub Actions job summary:
//! the guest × runtime matrix, then per runtime the scenario table, then the imports
//! some runtime lacks, then what each runtime was granted.

use std::fmt::Write as _;

use super::{
    cell, duration, guest_names, guest_run, runtime_title, scenario_names, scenario_result,
    support_of, GuestImports,
};
use crate::model::{GuestRun, Import, Outcome, Report, RuntimeReport, Support};

/// Longest stderr excerpt quoted per failure, in characters (the JSON has it all).
const STDERR_CHARS: usize = 4000;

/// Renders the whole report. Same report, same bytes.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let guests = guest_names(report);
    out.push_str("## WASI proxy runtime matrix\n\n");
    let _ = writeln!(
        out,
        "harness {} · host {} · {}\n",
        text(&report.harness_version),
        code(&report.host),
        super::format_unix_utc(report.generated_unix)
    );
    if report.runtimes.is_empty() {
        out.push_str("No runtimes in this report.\n");
        return out;
    }
    if guests.is_empty() {
        out.push_str("No guest was run.\n\n");
    } else {
        matrix(&mut out, report, &guests);
    }
    for runtime in &report.runtimes {
        scenarios(&mut out, runtime);
    }
    imports(&mut out, report, &guests);
    capabilities(&mut out, report);
    granted(&mut out, report);
    out
}

fn matrix(out: &mut String, report: &Report, guests: &[&str]) {
    let titles: Vec<String> = report
        .runtimes
        .iter()
        .map(|rt| text(&runtime_title(rt)))
        .collect();
    table_head(out, "guest", &titles);
    for guest in guests {
        let mut row = vec![code(guest)];
        row.extend(
            report
                .runtimes
                .iter()
                .map(|rt| cell_text(&cell(rt, guest).line())),
        );
        table_row(out, &row);
    }
    out.push('\n');
}

fn scenarios(out: &mut String, runtime: &RuntimeReport) {
    let title = runtime_title(runtime);
    if !runtime.installed {
        let _ = writeln!(out, "### {}: not installed\n", text(&title));
        return;
    }
    let _ = writeln!(out, "### Scenarios under {}\n", text(&title));
    if let Some(binary) = &runtime.binary {
        let _ = writeln!(out, "Binary: {}\n", code(binary));
    }
    let names = scenario_names(runtime);
    if names.is_empty() {
        out.push_str("No scenario was run.\n\n");
        return;
    }
    let guests: Vec<&GuestRun> = runtime.guests.iter().collect();
    let heads: Vec<String> = guests.iter().map(|g| code(&g.guest.name)).collect();
    table_head(out, "scenario", &heads);
    for scenario in &names {
        let mut row = vec![text(scenario)];
        for run in &guests {
            row.push(match scenario_result(run, scenario) {
                Some(r) => cell_text(&format!(
                    "{} {} · {}",
                    outcome_icon(&r.outcome),
                    r.outcome.label(),
                    duration(r.duration_ms)
                )),
                None => "—".into(),
            });
        }
        table_row(out, &row);
    }
    out.push('\n');

    let failures: usize = guests
        .iter()
        .map(|run| {
            run.scenarios
                .iter()
                .filter(|r| !r.outcome.is_pass())
                .count()
        })
        .sum();
    if failures == 0 {
        return;
    }
    let _ = writeln!(
        out,
        "<details><summary>{failures} failure{} under {}</summary>\n",
        if failures == 1 { "" } else { "s" },
        html_text(&title)
    );
    for run in &guests {
        // Scenarios that failed the same way with the same stderr are listed once.
        let mut groups: Vec<(String, Option<&str>, Vec<&str>)> = Vec::new();
        for result in run.scenarios.iter().filter(|r| !r.outcome.is_pass()) {
            let summary = result.outcome.summary();
            let stderr = result
                .stderr_excerpt
                .as_deref()
                .filter(|s| !s.trim().is_empty());
            match groups
                .iter_mut()
                .find(|(s, e, _)| *s == summary && *e == stderr)
            {
                Some((_, _, names)) => names.push(&result.scenario),
                None => groups.push((summary, stderr, vec![&result.scenario])),
            }
        }
        for (summary, stderr, names) in groups {
            let which = if names.len() == run.scenarios.len() && names.len() > 1 {
                format!("all {} scenarios", names.len())
            } else {
                text(&names.join(", "))
            };
            let _ = writeln!(
                out,
                "**{} / {which}**: {}\n",
                code(&run.guest.name),
                text(&summary)
            );
            if let Some(stderr) = stderr {
                fenced(out, &tail_chars(stderr, STDERR_CHARS));
            }
        }
    }
    out.push_str("</details>\n\n");
}

fn imports(out: &mut String, report: &Report, guests: &[&str]) {
    out.push_str("### Imports\n\n");
    if guests.is_empty() {
        out.push_str("No guest was run.\n\n");
        return;
    }
    for guest in guests {
        let summary = GuestImports::of(report, guest);
        let probed = &summary.probed;
        let abi = report
            .runtimes
            .iter()
            .find_map(|rt| guest_run(rt, guest))
            .map(|run| format!(" ({})", text(&run.guest.abi)))
            .unwrap_or_default();
        if probed.is_empty() {
            let _ = writeln!(out, "{}{abi}: no import data.\n", code(guest));
            continue;
        }
        let all = &summary.all;
        let counts: Vec<String> = probed
            .iter()
            .map(|(rt, run)| {
                let ok = GuestImports::supported_count(run);
                format!("{} {ok}/{}", text(&runtime_title(rt)), run.imports.len())
            })
            .collect();
        let no_data: Vec<String> = report
            .runtimes
            .iter()
            .filter(|rt| rt.installed && guest_run(rt, guest).is_some())
            .filter(|rt| !probed.iter().any(|(p, _)| std::ptr::eq(*p, *rt)))
            .map(|rt| text(&runtime_title(rt)))
            .collect();
        let no_data = if no_data.is_empty() {
            String::new()
        } else {
            format!(" No import data from {}.", no_data.join(", "))
        };
        let _ = writeln!(
            out,
            "{}{abi}: {} imports. Supported: {}.{no_data}\n",
            code(guest),
            all.len(),
            counts.join(" · ")
        );

        let socket = &summary.socket;
        if !socket.is_empty() {
            for (rt, run) in probed {
                let lacking = summary.lacking_sockets(run);
                let title = text(&runtime_title(rt));
                if lacking.is_empty() {
                    let _ = writeln!(
                        out,
                        "- {title} provides all {} socket imports.",
                        socket.len()
                    );
                } else {
                    let _ = writeln!(
                        out,
                        "- {title} lacks {} of {} socket imports: {}.",
                        lacking.len(),
                        socket.len(),
                        by_module(&lacking)
                    );
                }
            }
            out.push('\n');
        }

        let unsupported = &summary.unsupported;
        if unsupported.is_empty() {
            out.push_str("Every runtime provides every import.\n\n");
            continue;
        }
        let titles: Vec<String> = probed
            .iter()
            .map(|(rt, _)| text(&runtime_title(rt)))
            .collect();
        table_head(out, "import", &titles);
        for import in unsupported.iter().copied() {
            let mut row = vec![code(&format!("{}::{}", import.module, import.name))];
            for (_, run) in probed {
                row.push(match support_of(run, import) {
                    Some(support) => cell_text(&support_cell(support)),
                    None => "—".into(),
                });
            }
            table_row(out, &row);
        }
        out.push('\n');
    }
}

/// Runtime features probed on their own; only when some runtime has any.
fn capabilities(out: &mut String, report: &Report) {
    let names = super::capability_names(report);
    if names.is_empty() {
        return;
    }
    out.push_str("### Capabilities\n\n");
    let probed: Vec<&RuntimeReport> = report
        .runtimes
        .iter()
        .filter(|rt| !rt.capabilities.is_empty())
        .collect();
    let titles: Vec<String> = probed.iter().map(|rt| text(&runtime_title(rt))).collect();
    table_head(out, "capability", &titles);
    for name in names {
        let mut row = vec![code(name)];
        for rt in &probed {
            row.push(match rt.capabilities.iter().find(|c| c.name == name) {
                Some(c) if c.supported => "✅ yes".into(),
                Some(c) if c.detail.trim().is_empty() => "❌ no".into(),
                Some(c) => cell_text(&format!("❌ no: {}", super::truncate(&c.detail, 100))),
                None => "—".into(),
            });
        }
        table_row(out, &row);
    }
    out.push('\n');
}

fn granted(out: &mut String, report: &Report) {
    out.push_str("### Granted\n\n");
    for runtime in &report.runtimes {
        let title = text(&runtime_title(runtime));
        let what = if !runtime.installed {
            "not installed".to_string()
        } else if runtime.granted.is_empty() {
            "nothing".to_string()
        } else {
            runtime
                .granted
                .iter()
                .map(|g| code(g))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(out, "- **{title}**: {what}");
    }
}

/// `from \`m\`: \`a\`, \`b\` (type-mismatch); from \`n\`: ...`
fn by_module(lacking: &[(&Import, &Support)]) -> String {
    let mut groups: Vec<(&str, Vec<String>)> = Vec::new();
    for (import, support) in lacking {
        let mut item = code(&import.name);
        if **support != Support::Missing {
            item.push_str(&format!(" ({})", support.label()));
        }
        match groups.iter_mut().find(|(m, _)| *m == import.module) {
            Some((_, items)) => items.push(item),
            None => groups.push((&import.module, vec![item])),
        }
    }
    groups
        .into_iter()
        .map(|(module, items)| format!("from {}: {}", code(module), items.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}

fn support_cell(support: &Support) -> String {
    match support {
        Support::Supported => "✅ supported".into(),
        Support::Missing => "❌ missing".into(),
        Support::TypeMismatch { detail } => {
            format!("⚠️ type-mismatch: {}", super::truncate(detail, 100))
        }
        Support::Unknown { detail } => format!("❔ unknown: {}", super::truncate(detail, 100)),
    }
}

fn outcome_icon(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Relayed => "✅",
        Outcome::NotInstalled => "➖",
        _ => "❌",
    }
}

/// `heads` must already be escaped.
fn table_head(out: &mut String, first: &str, heads: &[String]) {
    let mut row = vec![first.to_string()];
    row.extend(heads.iter().cloned());
    table_row(out, &row);
    let rule: Vec<String> = row.iter().map(|_| ":--".to_string()).collect();
    table_row(out, &rule);
}

/// Cells must already be escaped.
fn table_row(out: &mut String, cells: &[String]) {
    out.push_str("| ");
    out.push_str(&cells.join(" | "));
    out.push_str(" |\n");
}

/// Escapes text for inline Markdown (also inside a table cell): `|`, backslashes and
/// the characters that would start emphasis, code, links or HTML; newlines become `<br>`.
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let s = s.trim_end().replace("\r\n", "\n");
    for c in s.chars() {
        match c {
            '\\' | '|' | '*' | '`' | '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' => out.push_str("<br>"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Text that is already a cell's content, with our own icons: escaped like [`text`].
fn cell_text(s: &str) -> String {
    text(s)
}

/// A code span that survives any content: fenced with more backticks than it contains,
/// newlines flattened, and `|` escaped (GitHub splits table cells before code spans).
pub fn code(s: &str) -> String {
    let flat = s.replace(['\r', '\n'], " ").replace('|', "\\|");
    let longest = longest_run(&flat, '`');
    let fence = "`".repeat(longest + 1);
    let pad = if flat.starts_with('`') || flat.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{flat}{pad}{fence}")
}

/// Text for an HTML element's content in the Markdown (e.g. `<summary>`).
fn html_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn fenced(out: &mut String, body: &str) {
    let fence = "`".repeat(longest_run(body, '`').max(2) + 1);
    let _ = writeln!(out, "{fence}text\n{}\n{fence}\n", body.trim_end());
}

fn longest_run(s: &str, c: char) -> usize {
    let (mut best, mut run) = (0, 0);
    for ch in s.chars() {
        run = if ch == c { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}

/// The last `max` characters of `s`, from a line start when possible.
fn tail_chars(s: &str, max: usize) -> String {
    let count = s.chars().count();
    if count <= max {
        return s.to_string();
    }
    let tail: String = s.chars().skip(count - max).collect();
    match tail.split_once('\n') {
        Some((_, rest)) if !rest.is_empty() => format!("…\n{rest}"),
        _ => format!("…{tail}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_cells() {
        assert_eq!(text("a|b\nc <d> `e`"), "a\\|b<br>c &lt;d&gt; \\`e\\`");
        assert_eq!(code("x`y"), "``x`y``");
        assert_eq!(code("a|b"), "`a\\|b`");
    }

    #[test]
    fn fences_outgrow_content() {
        let mut out = String::new();
        fenced(&mut out, "has ```` four");
        assert!(out.starts_with("`````text\n"), "{out}");
    }
}
