//! Runtime support over versions: the committed history (one report per runtime
//! version) rendered as one Markdown page: which guests relay on which version, which
//! capabilities and which socket imports each version provides.

use std::path::Path;

use anyhow::Context;

use crate::expectations::lenient_version;
use crate::model::{Report, RuntimeReport, Support};
use crate::report::{self, json, markdown};

/// Every runtime version found in the reports of `dir`, sorted by runtime then version.
pub fn load(dir: &Path) -> anyhow::Result<Vec<RuntimeReport>> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read history directory {}", dir.display()))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    let mut runtimes = Vec::new();
    for file in files {
        let report: Report = json::read(&file)?;
        runtimes.extend(report.runtimes.into_iter().filter(|r| r.installed));
    }
    runtimes.sort_by(|a, b| {
        a.runtime.cmp(&b.runtime).then_with(|| {
            let version = |r: &RuntimeReport| r.version.as_deref().and_then(lenient_version);
            version(a).cmp(&version(b))
        })
    });
    Ok(runtimes)
}

pub fn render(runtimes: &[RuntimeReport]) -> String {
    let mut guests: Vec<&str> = Vec::new();
    let mut capabilities: Vec<&str> = Vec::new();
    for runtime in runtimes {
        for run in &runtime.guests {
            if !guests.contains(&run.guest.name.as_str()) {
                guests.push(&run.guest.name);
            }
        }
        for capability in &runtime.capabilities {
            if !capabilities.contains(&capability.name.as_str()) {
                capabilities.push(&capability.name);
            }
        }
    }
    let mut out = String::from("# Runtime support over versions\n\n");
    out.push_str(
        "Refreshed by `ci/versions-matrix.sh` from the reports in this directory \
         (one per runtime version).\n\n",
    );
    let mut header = vec!["runtime".to_string()];
    header.extend(guests.iter().map(|g| markdown::code(g)));
    header.extend(capabilities.iter().map(|c| markdown::code(c)));
    table_header(&mut out, &header);
    for runtime in runtimes {
        let mut row = vec![report::runtime_title(runtime)];
        row.extend(
            guests
                .iter()
                .map(|guest| markdown::text(&report::cell(runtime, guest).line())),
        );
        row.extend(capabilities.iter().map(|name| {
            match runtime.capabilities.iter().find(|c| c.name == *name) {
                Some(c) if c.supported => "✅ yes".to_string(),
                Some(c) => format!(
                    "❌ no ({})",
                    markdown::text(&report::truncate(&c.detail, 80))
                ),
                None => "▫️ not probed".to_string(),
            }
        }));
        table_row(&mut out, &row);
    }
    out.push('\n');
    render_socket_imports(&mut out, runtimes, &guests);
    out
}

/// Per guest, each socket import × runtime version: which versions provide it.
fn render_socket_imports(out: &mut String, runtimes: &[RuntimeReport], guests: &[&str]) {
    for guest in guests {
        let runs: Vec<_> = runtimes
            .iter()
            .filter_map(|runtime| report::guest_run(runtime, guest))
            .collect();
        let imports: Vec<_> = report::union_of_imports(runs.iter().copied())
            .into_iter()
            .filter(|import| report::is_socket_import(import))
            .collect();
        if imports.is_empty() {
            continue;
        }
        out.push_str(&format!(
            "## Socket imports of {}\n\n",
            markdown::code(guest)
        ));
        let mut header = vec!["import".to_string()];
        header.extend(runtimes.iter().map(report::runtime_title));
        table_header(out, &header);
        for import in imports {
            let mut row = vec![markdown::code(&format!(
                "{}::{}",
                import.module, import.name
            ))];
            row.extend(runtimes.iter().map(|runtime| {
                let support = report::guest_run(runtime, guest)
                    .and_then(|run| report::support_of(run, import));
                match support {
                    Some(Support::Supported) => "✅".to_string(),
                    Some(Support::Missing) => "❌".to_string(),
                    Some(Support::TypeMismatch { .. }) => "⚠️ type".to_string(),
                    Some(Support::Unknown { .. }) => "?".to_string(),
                    None => "▫️".to_string(),
                }
            }));
            table_row(out, &row);
        }
        out.push('\n');
    }
}

fn table_header(out: &mut String, cells: &[String]) {
    table_row(out, cells);
    out.push('|');
    out.push_str(&" :-- |".repeat(cells.len()));
    out.push('\n');
}

fn table_row(out: &mut String, cells: &[String]) {
    out.push_str("| ");
    out.push_str(&cells.join(" | "));
    out.push_str(" |\n");
}
