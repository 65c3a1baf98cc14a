use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;

use harness::cli::{
    select_scenarios, Cli, Command, DiffArgs, HistoryArgs, ImportsArgs, MatrixArgs, MergeArgs,
    RuntimeArgs,
};
use harness::matrix::{self, MatrixPlan};
use harness::report::{html, json, markdown};
use harness::{diff, expectations, guest, history, imports, runtime};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Matrix(args) => matrix_command(args),
        Command::Imports(args) => imports_command(args),
        Command::Guests => guests_command(),
        Command::Runtimes(args) => runtimes_command(args),
        Command::Diff(args) => diff_command(args),
        Command::Merge(args) => merge_command(args),
        Command::History(args) => history_command(args),
        Command::Faults(args) => faults_command(args),
        Command::Bench(args) => harness::bench::command(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // One line: the cause chain joined, no backtrace.
            eprintln!("harness: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn matrix_command(args: MatrixArgs) -> anyhow::Result<ExitCode> {
    let runtimes = args.targets.runtimes.choices()?;
    let scenarios = select_scenarios(&args.scenarios)?;
    // Expectations are read before the (long) run so a typo fails fast.
    let expected = if args.check {
        Some(expectations::load_dir_with(
            &args.expectations,
            Some(&harness::scenarios::names()),
        )?)
    } else {
        None
    };
    let guests = guest::selected(&args.targets.guests)?;
    let plan = MatrixPlan {
        runtimes,
        guests,
        scenarios,
        startup_timeout: Duration::from_secs(args.startup_timeout),
        probe_imports: !args.no_imports,
    };
    let report = matrix::run(&plan);
    let rendered = markdown::render(&report);
    println!("{rendered}");
    if let Some(path) = &args.json {
        json::write(&report, path)?;
    }
    if let Some(path) = &args.markdown {
        write_file(path, &rendered)?;
    }
    if let Some(path) = &args.html {
        write_file(path, html::render(&report))?;
    }
    let Some(expected) = expected else {
        return Ok(ExitCode::SUCCESS);
    };
    let checked = expectations::check(&report, &expected);
    let clean = if args.allow_not_installed {
        checked.is_clean_allowing_absent()
    } else {
        checked.is_clean()
    };
    if clean {
        eprintln!(
            "check: every result matches {}",
            args.expectations.display()
        );
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "check: results differ from {}:",
            args.expectations.display()
        );
        eprintln!("{}", checked.render());
        Ok(ExitCode::from(1))
    }
}

fn imports_command(args: ImportsArgs) -> anyhow::Result<ExitCode> {
    let guest = guest::from_file(&args.file)?;
    let listed = imports::list_imports(&guest.bytes)?;
    let mut columns = Vec::new();
    for choice in args.runtimes.choices()? {
        match runtime::probe(choice.adapter, choice.binary) {
            Ok(installed) => {
                let support =
                    imports::probe_imports(&installed, &guest.bytes, Duration::from_secs(30))?;
                columns.push((
                    format!("{} {}", installed.adapter.name(), installed.version),
                    Some(support),
                ));
            }
            Err(why) => {
                eprintln!("{why}");
                columns.push((format!("{} (not installed)", choice.adapter.name()), None));
            }
        }
    }
    let mut header = vec!["import".to_string(), "type".to_string()];
    header.extend(columns.iter().map(|(title, _)| title.clone()));
    println!("| {} |", header.join(" | "));
    println!("|{}", "---|".repeat(header.len()));
    for import in &listed {
        let mut row = vec![
            format!("`{}::{}`", import.module, import.name),
            import.ty.clone(),
        ];
        for (_, support) in &columns {
            row.push(match support {
                Some(support) => support
                    .iter()
                    .find(|s| s.import == *import)
                    .map_or("not probed", |s| s.support.label())
                    .to_string(),
                None => "not-installed".to_string(),
            });
        }
        println!("| {} |", row.join(" | "));
    }
    Ok(ExitCode::SUCCESS)
}

fn guests_command() -> anyhow::Result<ExitCode> {
    for guest in guest::built_in()? {
        let info = guest.info;
        println!(
            "{}\t{}\t{} bytes\tsha256:{}\t{}",
            info.name, info.abi, info.size_bytes, info.sha256, info.path
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn runtimes_command(args: RuntimeArgs) -> anyhow::Result<ExitCode> {
    // Listing every known runtime, a missing one is news, not an error; one asked for
    // by name that cannot answer is.
    let asked = !args.runtimes.is_empty();
    let mut broken = false;
    for choice in args.choices()? {
        match runtime::probe(choice.adapter, choice.binary) {
            Ok(installed) => println!(
                "{}\t{}\t{}",
                installed.adapter.name(),
                installed.version,
                installed.binary.display()
            ),
            Err(why) => {
                broken = true;
                println!("{}\tnot-installed\t{why}", choice.adapter.name());
            }
        }
    }
    Ok(if asked && broken {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn diff_command(args: DiffArgs) -> anyhow::Result<ExitCode> {
    let old = json::read(&args.old)?;
    let new = json::read(&args.new)?;
    let changes = diff::compare(&old, &new);
    let rendered = changes.render_markdown();
    println!("{rendered}");
    if let Some(path) = &args.markdown {
        write_file(path, &rendered)?;
    }
    Ok(if changes.has_regression() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn merge_command(args: MergeArgs) -> anyhow::Result<ExitCode> {
    let reports = args
        .reports
        .iter()
        .map(|path| json::read(path))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let merged = json::merge(&reports);
    let rendered = markdown::render(&merged);
    println!("{rendered}");
    json::write(&merged, &args.json)?;
    if let Some(path) = &args.markdown {
        write_file(path, &rendered)?;
    }
    if let Some(path) = &args.html {
        write_file(path, html::render(&merged))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn history_command(args: HistoryArgs) -> anyhow::Result<ExitCode> {
    let rendered = history::render(&history::load(&args.dir)?);
    println!("{rendered}");
    if let Some(path) = &args.markdown {
        write_file(path, &rendered)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn faults_command(args: harness::cli::FaultsArgs) -> anyhow::Result<ExitCode> {
    use harness::faults::{self, FaultPlan};
    use harness::scenarios::faults::Sizes;
    let runtimes = args.targets.runtimes.choices()?;
    let selected = faults::select(&args.faults)?;
    let guests = guest::selected(&args.targets.guests)?;
    // Children inherit the limit: the thousand-client fault needs it in the proxy too.
    harness::limits::raise_nofile_limit().context("cannot raise RLIMIT_NOFILE")?;
    let plan = FaultPlan {
        runtimes,
        guests,
        faults: selected,
        sizes: if args.quick {
            Sizes::QUICK
        } else {
            Sizes::FULL
        },
        startup_timeout: Duration::from_secs(args.startup_timeout),
    };
    let report = faults::run(&plan);
    let rendered = faults::markdown::render(&report);
    println!("{rendered}");
    if let Some(path) = &args.json {
        faults::write_json(&report, path)?;
    }
    if let Some(path) = &args.markdown {
        write_file(path, &rendered)?;
    }
    Ok(if faults::all_survived(&report) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Writes an output file the user asked for; the error names it.
fn write_file(path: &std::path::Path, contents: impl AsRef<[u8]>) -> anyhow::Result<()> {
    std::fs::write(path, contents).with_context(|| format!("cannot write {}", path.display()))
}
