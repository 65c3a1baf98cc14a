//! The report as one self-contained HTML page: inline CSS, no scripts, nothing fetched.
//! The matrix cells are coloured by result; each cell's per-scenario outcomes and
//! stderr excerpts open in place (`<details>`), and each runtime has a full section.

use std::fmt::Write as _;

use super::{
    cell, duration, guest_names, guest_run, runtime_title, scenario_names, scenario_result,
    support_of, CellKind, GuestImports,
};
use crate::model::{GuestRun, Outcome, Report, RuntimeReport, ScenarioResult, Support};

const STYLE: &str = r#"
:root { --pass:#1a7f37; --pass-bg:#dafbe1; --fail:#cf222e; --fail-bg:#ffebe9;
  --partial:#9a6700; --partial-bg:#fff8c5; --absent:#6e7781; --absent-bg:#eaeef2;
  --line:#d0d7de; --head:#f6f8fa; --text:#1f2328; --muted:#59636e; }
* { box-sizing: border-box; }
body { font: 14px/1.5 -apple-system, BlinkMacSystemFont, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif;
  color: var(--text); margin: 0; background: #fff; }
main { max-width: 1360px; margin: 0 auto; padding: 24px 32px 48px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 36px 0 10px; padding-bottom: 6px; border-bottom: 1px solid var(--line); }
h3 { font-size: 16px; margin: 22px 0 8px; }
.meta { color: var(--muted); margin: 0 0 18px; }
code, pre { font-family: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace; font-size: 12.5px; }
table { border-collapse: collapse; margin: 8px 0 12px; }
th, td { border: 1px solid var(--line); padding: 8px 12px; text-align: left; vertical-align: top; }
thead th { background: var(--head); font-weight: 600; white-space: nowrap; }
thead th .ver { display: block; font-weight: 400; color: var(--muted); font-size: 12px; }
tbody th { background: var(--head); font-weight: 600; white-space: nowrap; }
.abi { font-weight: 400; color: var(--muted); font-size: 12px; }
.matrix td { min-width: 240px; max-width: 420px; }
.matrix .head { display: flex; align-items: flex-start; gap: 8px; font-weight: 600; font-size: 15px; overflow-wrap: break-word; }
.ico { flex: none; display: inline-flex; align-items: center; justify-content: center; width: 20px; height: 20px; margin-top: 1px;
  border-radius: 50%; color: #fff; font-size: 12px; font-weight: 700; background: var(--absent); }
td.pass .ico { background: var(--pass); } td.fail .ico { background: var(--fail); } td.partial .ico { background: var(--partial); }
.matrix .sub { color: var(--muted); font-size: 12.5px; margin: 2px 0 0 28px; }
ul.fails { margin: 4px 0 0 28px; padding: 0; list-style: none; font-size: 12.5px; }
ul.fails li { margin: 2px 0; overflow-wrap: break-word; }
td.pass { background: var(--pass-bg); border-left: 4px solid var(--pass); }
td.fail { background: var(--fail-bg); border-left: 4px solid var(--fail); }
td.partial { background: var(--partial-bg); border-left: 4px solid var(--partial); }
td.absent, td.notrun { background: var(--absent-bg); border-left: 4px solid var(--absent); color: var(--muted); }
td.pass .head { color: var(--pass); } td.fail .head { color: var(--fail); } td.partial .head { color: var(--partial); }
.matrix details { margin: 6px 0 0 28px; }
summary { cursor: pointer; color: var(--muted); font-size: 12.5px; user-select: none; }
summary:hover { color: var(--text); }
ul.outcomes { list-style: none; margin: 6px 0 0; padding: 0; }
ul.outcomes li { padding: 3px 0; border-top: 1px dashed rgba(0,0,0,.12); overflow-wrap: anywhere; }
ul.outcomes .name { font-weight: 600; }
.dur { color: var(--muted); font-size: 12px; white-space: nowrap; }
.ok { color: var(--pass); } .bad { color: var(--fail); } .na { color: var(--absent); }
pre { background: #f6f8fa; border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; margin: 6px 0;
  max-height: 320px; overflow: auto; white-space: pre-wrap; overflow-wrap: anywhere; }
.matrix pre { max-width: 400px; }
.legend { display: flex; gap: 16px; flex-wrap: wrap; color: var(--muted); font-size: 13px; margin: 4px 0 0; padding: 0; list-style: none; }
.legend span { display: inline-block; width: 12px; height: 12px; border-radius: 3px; vertical-align: -1px; margin-right: 6px; }
.lg-pass { background: var(--pass); } .lg-fail { background: var(--fail); } .lg-partial { background: var(--partial); } .lg-absent { background: var(--absent); }
.scen td.pass, .scen td.fail, .scen td.absent, .imports td.pass, .imports td.fail, .imports td.partial, .imports td.absent { border-left-width: 1px; }
.scen td { min-width: 170px; max-width: 480px; overflow-wrap: anywhere; }
.imports td { white-space: nowrap; }
.imports td.partial { white-space: normal; max-width: 360px; }
.note { color: var(--muted); margin: 4px 0; }
ul.lacks { margin: 6px 0 10px; padding-left: 20px; }
ul.lacks li { margin: 3px 0; }
.chip { display: inline-block; background: var(--head); border: 1px solid var(--line); border-radius: 12px; padding: 0 9px; margin: 2px 4px 2px 0; }
a { color: #0969da; text-decoration: none; } a:hover { text-decoration: underline; }
a.more { font-size: 12px; }
"#;

/// Renders the whole report as one HTML document. Same report, same bytes.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str("<title>WASI proxy runtime matrix</title>\n<style>");
    out.push_str(STYLE);
    out.push_str("</style>\n</head>\n<body>\n<main>\n<h1>WASI proxy runtime matrix</h1>\n");
    let _ = writeln!(
        out,
        "<p class=\"meta\">harness {} · host <code>{}</code> · {}</p>",
        esc(&report.harness_version),
        esc(&report.host),
        super::format_unix_utc(report.generated_unix)
    );
    let guests = guest_names(report);
    if report.runtimes.is_empty() {
        out.push_str("<p>No runtimes in this report.</p>\n");
    } else {
        matrix(&mut out, report, &guests);
        for (index, runtime) in report.runtimes.iter().enumerate() {
            runtime_section(&mut out, index, runtime);
        }
        imports(&mut out, report, &guests);
        capabilities(&mut out, report);
        granted(&mut out, report);
    }
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

fn runtime_head(runtime: &RuntimeReport) -> String {
    match &runtime.version {
        Some(v) => format!(
            "{}<span class=\"ver\">{}</span>",
            esc(&runtime.runtime),
            esc(v)
        ),
        None => format!(
            "{}<span class=\"ver\">{}</span>",
            esc(&runtime.runtime),
            if runtime.installed {
                "version unknown"
            } else {
                "not installed"
            }
        ),
    }
}

fn matrix(out: &mut String, report: &Report, guests: &[&str]) {
    out.push_str("<h2 id=\"matrix\">Guests × runtimes</h2>\n");
    if guests.is_empty() {
        out.push_str("<p>No guest was run.</p>\n");
        return;
    }
    out.push_str("<table class=\"matrix\">\n<thead><tr><th>guest</th>");
    for runtime in &report.runtimes {
        let _ = write!(out, "<th>{}</th>", runtime_head(runtime));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for guest in guests {
        let abi = report
            .runtimes
            .iter()
            .find_map(|rt| guest_run(rt, guest))
            .map(|run| format!("<div class=\"abi\">{}</div>", esc(&run.guest.abi)))
            .unwrap_or_default();
        let _ = write!(
            out,
            "<tr><th scope=\"row\"><code>{}</code>{abi}</th>",
            esc(guest)
        );
        for (index, runtime) in report.runtimes.iter().enumerate() {
            let summary = cell(runtime, guest);
            let _ = write!(
                out,
                "<td class=\"{}\"><div class=\"head\"><span class=\"ico\">{}</span><span>{}</span></div>",
                summary.kind.class(),
                icon(summary.kind),
                breakable(&headline(&summary))
            );
            if summary.shared_failure.is_some() && summary.total > 1 {
                let _ = write!(
                    out,
                    "<div class=\"sub\">all {} scenarios</div>",
                    summary.total
                );
            } else if !summary.failures.is_empty() {
                out.push_str("<ul class=\"fails\">");
                for (scenario, what) in &summary.failures {
                    let _ = write!(
                        out,
                        "<li><b>{}</b> {}</li>",
                        esc(scenario),
                        breakable(&super::truncate(what, 90))
                    );
                }
                out.push_str("</ul>");
            }
            if let Some(run) = guest_run(runtime, guest).filter(|r| !r.scenarios.is_empty()) {
                let open = match summary.kind {
                    CellKind::AllRelayed => "scenarios",
                    _ => "what happened",
                };
                let _ = write!(out, "<details><summary>{open}</summary>");
                outcome_list(out, run);
                let _ = write!(
                    out,
                    "<a class=\"more\" href=\"#{}\">all of {} →</a></details>",
                    runtime_anchor(index),
                    esc(&runtime_title(runtime))
                );
            }
            out.push_str("</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
    out.push_str(
        "<ul class=\"legend\"><li><span class=\"lg-pass\"></span>every scenario relayed</li>\
         <li><span class=\"lg-partial\"></span>some scenarios failed</li>\
         <li><span class=\"lg-fail\"></span>no scenario relayed</li>\
         <li><span class=\"lg-absent\"></span>runtime not installed / guest not run</li></ul>\n",
    );
}

/// The cell's main line, without icon.
fn headline(cell: &super::Cell) -> String {
    match (&cell.kind, &cell.shared_failure) {
        (_, Some(shared)) => super::truncate(shared, 120),
        (CellKind::AllRelayed | CellKind::Partial | CellKind::Failed, None) => {
            format!("{}/{} relayed", cell.passed, cell.total)
        }
        _ => cell.text.clone(),
    }
}

/// Glyphs every common font has (no emoji: a screenshot must not show empty boxes).
fn icon(kind: CellKind) -> &'static str {
    match kind {
        CellKind::AllRelayed => "✓",
        CellKind::Failed => "✗",
        CellKind::Partial => "!",
        CellKind::NotInstalled | CellKind::NotRun => "–",
    }
}

/// Escaped text that may wrap after `::` (import names) rather than inside a word.
fn breakable(s: &str) -> String {
    esc(s).replace("::", "::<wbr>")
}

/// Per-scenario outcomes; failures that are alike (same summary, same stderr) are
/// listed once with all their scenario names.
fn outcome_list(out: &mut String, run: &GuestRun) {
    let mut items: Vec<(Vec<&ScenarioResult>, bool)> = Vec::new();
    for result in &run.scenarios {
        let alike = |other: &ScenarioResult| {
            other.outcome.summary() == result.outcome.summary()
                && other.stderr_excerpt == result.stderr_excerpt
        };
        let group = (!result.outcome.is_pass())
            .then(|| items.iter_mut().find(|(g, failed)| *failed && alike(g[0])))
            .flatten();
        match group {
            Some((members, _)) => members.push(result),
            None => items.push((vec![result], !result.outcome.is_pass())),
        }
    }
    out.push_str("<ul class=\"outcomes\">");
    for (members, _) in items {
        let first = members[0];
        let names = if members.len() == run.scenarios.len() && members.len() > 1 {
            format!("all {} scenarios", members.len())
        } else {
            members
                .iter()
                .map(|r| esc(&r.scenario))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let took = if members.len() == 1 {
            duration(first.duration_ms)
        } else {
            let min = members.iter().map(|r| r.duration_ms).min().unwrap_or(0);
            let max = members.iter().map(|r| r.duration_ms).max().unwrap_or(0);
            format!("{}–{}", duration(min), duration(max))
        };
        let _ = write!(
            out,
            "<li><span class=\"name\">{names}</span> <span class=\"{}\">{}</span> <span class=\"dur\">{took}</span>",
            outcome_class(&first.outcome),
            breakable(&first.outcome.summary()),
        );
        stderr(out, first);
        out.push_str("</li>");
    }
    out.push_str("</ul>");
}

fn stderr(out: &mut String, result: &ScenarioResult) {
    if let Some(text) = result
        .stderr_excerpt
        .as_deref()
        .filter(|s| !s.trim().is_empty())
    {
        let _ = write!(out, "<pre>{}</pre>", esc(text.trim_end()));
    }
}

fn runtime_anchor(index: usize) -> String {
    format!("runtime-{index}")
}

fn runtime_section(out: &mut String, index: usize, runtime: &RuntimeReport) {
    let title = runtime_title(runtime);
    let _ = writeln!(
        out,
        "<h2 id=\"{}\">{}</h2>",
        runtime_anchor(index),
        esc(&title)
    );
    if !runtime.installed {
        out.push_str("<p class=\"note\">Not installed: nothing was run.</p>\n");
        return;
    }
    if let Some(binary) = &runtime.binary {
        let _ = writeln!(
            out,
            "<p class=\"note\">binary <code>{}</code></p>",
            esc(binary)
        );
    }
    let names = scenario_names(runtime);
    if names.is_empty() {
        out.push_str("<p class=\"note\">No scenario was run.</p>\n");
        return;
    }
    out.push_str("<table class=\"scen\">\n<thead><tr><th>scenario</th>");
    for run in &runtime.guests {
        let _ = write!(out, "<th><code>{}</code></th>", esc(&run.guest.name));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for scenario in names {
        let _ = write!(out, "<tr><th scope=\"row\">{}</th>", esc(scenario));
        for run in &runtime.guests {
            match scenario_result(run, scenario) {
                Some(result) => {
                    let class = match &result.outcome {
                        Outcome::Relayed => "pass",
                        Outcome::NotInstalled => "absent",
                        _ => "fail",
                    };
                    let _ = write!(
                        out,
                        "<td class=\"{class}\">{} <span class=\"dur\">{}</span>",
                        esc(&result.outcome.summary()),
                        duration(result.duration_ms)
                    );
                    if result
                        .stderr_excerpt
                        .as_deref()
                        .is_some_and(|s| !s.trim().is_empty())
                    {
                        out.push_str("<details><summary>stderr</summary>");
                        stderr(out, result);
                        out.push_str("</details>");
                    }
                    out.push_str("</td>");
                }
                None => out.push_str("<td class=\"notrun\">—</td>"),
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
}

fn imports(out: &mut String, report: &Report, guests: &[&str]) {
    out.push_str("<h2 id=\"imports\">Imports</h2>\n");
    out.push_str(
        "<p class=\"note\">Each import of a guest, probed on its own under each runtime; \
         listed here when at least one runtime does not provide it.</p>\n",
    );
    for guest in guests {
        let _ = writeln!(out, "<h3><code>{}</code></h3>", esc(guest));
        let summary = GuestImports::of(report, guest);
        let probed = &summary.probed;
        if probed.is_empty() {
            out.push_str("<p class=\"note\">No import data.</p>\n");
            continue;
        }
        let all = &summary.all;

        let counts: Vec<String> = probed
            .iter()
            .map(|(rt, run)| {
                let ok = GuestImports::supported_count(run);
                format!(
                    "{} <b>{ok}/{}</b>",
                    esc(&runtime_title(rt)),
                    run.imports.len()
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "<p>{} imports. Supported: {}.</p>",
            all.len(),
            counts.join(" · ")
        );

        let socket = &summary.socket;
        if !socket.is_empty() {
            out.push_str("<ul class=\"lacks\">");
            for (rt, run) in probed {
                let lacking = summary.lacking_sockets(run);
                let title = esc(&runtime_title(rt));
                if lacking.is_empty() {
                    let _ = write!(
                        out,
                        "<li><b>{title}</b> provides all {} socket imports.</li>",
                        socket.len()
                    );
                } else {
                    let names: Vec<String> = lacking
                        .iter()
                        .map(|(i, s)| {
                            let mut item =
                                format!("<code>{}::{}</code>", esc(&i.module), esc(&i.name));
                            if **s != Support::Missing {
                                item.push_str(&format!(" ({})", s.label()));
                            }
                            item
                        })
                        .collect();
                    let _ = write!(
                        out,
                        "<li><b>{title}</b> lacks {} of {} socket imports: {}</li>",
                        lacking.len(),
                        socket.len(),
                        names.join(", ")
                    );
                }
            }
            out.push_str("</ul>\n");
        }

        let unsupported = &summary.unsupported;
        if unsupported.is_empty() {
            out.push_str("<p class=\"note\">Every runtime provides every import.</p>\n");
            continue;
        }
        out.push_str("<table class=\"imports\">\n<thead><tr><th>import</th><th>type</th>");
        for (rt, _) in probed {
            let _ = write!(out, "<th>{}</th>", runtime_head(rt));
        }
        out.push_str("</tr></thead>\n<tbody>\n");
        for import in unsupported.iter().copied() {
            let _ = write!(
                out,
                "<tr><th scope=\"row\"><code>{}::{}</code></th><td><code>{}</code></td>",
                esc(&import.module),
                esc(&import.name),
                esc(&import.ty)
            );
            for (_, run) in probed {
                match support_of(run, import) {
                    Some(Support::Supported) => out.push_str("<td class=\"pass\">supported</td>"),
                    Some(Support::Missing) => out.push_str("<td class=\"fail\">missing</td>"),
                    Some(Support::TypeMismatch { detail }) => {
                        let _ = write!(
                            out,
                            "<td class=\"partial\">type mismatch<details><summary>detail</summary><pre>{}</pre></details></td>",
                            esc(detail)
                        );
                    }
                    Some(Support::Unknown { detail }) => {
                        let _ = write!(
                            out,
                            "<td class=\"absent\">unknown<details><summary>detail</summary><pre>{}</pre></details></td>",
                            esc(detail)
                        );
                    }
                    None => out.push_str("<td class=\"notrun\">—</td>"),
                }
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</tbody>\n</table>\n");
    }
}

fn capabilities(out: &mut String, report: &Report) {
    let names = super::capability_names(report);
    if names.is_empty() {
        return;
    }
    out.push_str("<h2 id=\"capabilities\">Capabilities</h2>\n");
    out.push_str(
        "<p class=\"note\">Runtime features probed on their own with small probe guests.</p>\n",
    );
    let probed: Vec<&RuntimeReport> = report
        .runtimes
        .iter()
        .filter(|rt| !rt.capabilities.is_empty())
        .collect();
    out.push_str("<table class=\"imports\">\n<thead><tr><th>capability</th>");
    for rt in &probed {
        let _ = write!(out, "<th>{}</th>", runtime_head(rt));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for name in names {
        let _ = write!(out, "<tr><th scope=\"row\"><code>{}</code></th>", esc(name));
        for rt in &probed {
            match rt.capabilities.iter().find(|c| c.name == name) {
                Some(c) => {
                    let (class, word) = if c.supported {
                        ("pass", "yes")
                    } else {
                        ("fail", "no")
                    };
                    let _ = write!(out, "<td class=\"{class}\">{word}");
                    if !c.detail.trim().is_empty() {
                        let _ = write!(
                            out,
                            "<details><summary>detail</summary><pre>{}</pre></details>",
                            esc(c.detail.trim_end())
                        );
                    }
                    out.push_str("</td>");
                }
                None => out.push_str("<td class=\"notrun\">—</td>"),
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
}

fn granted(out: &mut String, report: &Report) {
    out.push_str("<h2 id=\"granted\">Granted to the guest</h2>\n<table>\n<tbody>\n");
    for runtime in &report.runtimes {
        let _ = write!(
            out,
            "<tr><th scope=\"row\">{}</th><td>",
            esc(&runtime_title(runtime))
        );
        if !runtime.installed {
            out.push_str("<span class=\"na\">not installed</span>");
        } else if runtime.granted.is_empty() {
            out.push_str("nothing");
        } else {
            for grant in &runtime.granted {
                let _ = write!(
                    out,
                    "<span class=\"chip\"><code>{}</code></span>",
                    esc(grant)
                );
            }
        }
        out.push_str("</td></tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
}

fn outcome_class(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Relayed => "ok",
        Outcome::NotInstalled => "na",
        _ => "bad",
    }
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            esc("<script>alert(\"x\" & 'y')</script>"),
            "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;"
        );
    }
}
