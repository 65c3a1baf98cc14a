//! `harness bench`: how fast the proxy is under each runtime that relays it, against
//! the baselines measured in the same run (no proxy, socat as shipped and tuned, the
//! native build of the same proxy), and each optimisation before and after.
//!
//! traffic.rs drives bytes, targets.rs starts what is measured, precompile.rs makes
//! each runtime's ahead-of-time artefact, runner.rs runs it all, goals.rs judges the
//! issue's goals, render.rs and svg.rs show the result; model.rs is the JSON.

pub mod goals;
pub mod model;
pub mod precompile;
pub mod render;
pub mod runner;
pub mod stats;
pub mod svg;
pub mod targets;
pub mod traffic;

pub use runner::{run, BenchOptions};

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Args;

use crate::cli::TargetArgs;
use crate::guest;

#[derive(Args)]
pub struct BenchArgs {
    #[command(flatten)]
    pub targets: TargetArgs,
    /// CI-sized: every measurement, but short and small (proves the bench runs end to
    /// end in well under two minutes; the numbers are rough).
    #[arg(long)]
    pub quick: bool,
    /// Writes the results as JSON here.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Writes the Markdown tables here (they are also printed).
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    /// Writes the chart (SVG) here.
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
    /// Relay buffer sizes (PROXY_BUFFER_BYTES) to compare with the default (256 KiB).
    /// Repeatable; default 16384, 65536, 1048576 (quick: 65536).
    #[arg(long = "buffer", value_name = "BYTES")]
    pub buffers: Vec<usize>,
    /// Renders an earlier run's JSON instead of measuring.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["quick", "json"])]
    pub render: Option<PathBuf>,
    /// Seconds a target may take to start listening.
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub startup_timeout: u64,
}

/// `harness bench`: measures (or re-renders), prints the Markdown, writes the files.
pub fn command(args: BenchArgs) -> anyhow::Result<ExitCode> {
    let report = match &args.render {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            serde_json::from_str(&text)
                .with_context(|| format!("{} is not a bench report", path.display()))?
        }
        None => {
            let guests = guest::selected(&args.targets.guests)?;
            let buffer_sizes = match (args.buffers.is_empty(), args.quick) {
                (false, _) => args.buffers.clone(),
                (true, true) => vec![64 * 1024],
                (true, false) => vec![16 * 1024, 64 * 1024, 1024 * 1024],
            };
            run(&BenchOptions {
                quick: args.quick,
                runtimes: args.targets.runtimes.choices()?,
                guests,
                startup_timeout: Duration::from_secs(args.startup_timeout),
                buffer_sizes,
            })?
        }
    };
    let markdown = render::render(&report);
    println!("{markdown}");
    let write = |path: &PathBuf, text: &str| {
        std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
    };
    if let Some(path) = &args.json {
        write(path, &serde_json::to_string_pretty(&report)?)?;
    }
    if let Some(path) = &args.markdown {
        write(path, &with_chart(&markdown, path, args.svg.as_deref()))?;
    }
    if let Some(path) = &args.svg {
        write(path, &svg::render(&report))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The Markdown file shows the chart under its title when the SVG is written beside it.
fn with_chart(
    markdown: &str,
    markdown_path: &std::path::Path,
    svg: Option<&std::path::Path>,
) -> String {
    let Some(svg) = svg else {
        return markdown.to_string();
    };
    let beside = svg.parent().map(|d| d.canonicalize().ok())
        == markdown_path.parent().map(|d| d.canonicalize().ok());
    let name = svg.file_name().and_then(|n| n.to_str());
    match (beside, name, markdown.split_once('\n')) {
        (true, Some(name), Some((title, rest))) => {
            format!("{title}\n\n![throughput, latency, connections and startup per target]({name})\n{rest}")
        }
        _ => markdown.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn the_chart_goes_under_the_title_only_when_beside_the_markdown() {
        let dir = tempfile::tempdir().unwrap();
        let md = dir.path().join("latest.md");
        let svg = dir.path().join("latest.svg");
        let text = "# Title\n\nbody\n";
        let shown = with_chart(text, &md, Some(&svg));
        assert!(shown.starts_with("# Title\n\n![throughput"), "{shown}");
        assert!(shown.contains("](latest.svg)\n\nbody"), "{shown}");
        assert_eq!(with_chart(text, &md, None), text);
        let elsewhere = Path::new("/somewhere/else/latest.svg");
        assert_eq!(with_chart(text, &md, Some(elsewhere)), text);
    }
}
