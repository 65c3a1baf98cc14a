//! The bench report as Markdown: a summary of ratios first, then the raw numbers, the
//! goals, and each optimisation before/after.

use std::fmt::Write;

use super::model::{BenchReport, TargetResult};
use super::precompile::Compile;
use super::stats;
use super::traffic::Direction;

fn num(value: Option<f64>, decimals: usize) -> String {
    value.map_or("–".into(), |v| format!("{v:.decimals$}"))
}

fn times(value: Option<f64>) -> String {
    value.map_or("–".into(), |v| format!("{v:.2}×"))
}

fn signed(value: Option<f64>, decimals: usize) -> String {
    value.map_or("–".into(), |v| format!("{v:+.decimals$}"))
}

/// `2026-11-24 17:04 UTC` from seconds since the epoch (no date crate needed).
pub fn utc(unix: u64) -> String {
    let days = (unix / 86_400) as i64;
    let (hour, minute) = ((unix % 86_400) / 3600, (unix % 3600) / 60);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02} UTC")
}

pub fn render(report: &BenchReport) -> String {
    let mut out = String::new();
    let m = &report.machine;
    let s = &report.settings;
    let _ = writeln!(
        out,
        "# Proxy benchmark{}\n",
        if report.quick {
            " (quick run: proves the bench works, numbers are rough)"
        } else {
            ""
        }
    );
    let _ = writeln!(
        out,
        "Machine: nproc {}, CPU {}, Linux kernel {}, {}; load average at the start {}; \
         socat {}. Run {}, took {:.0} s.\n",
        m.nproc,
        m.cpu_model,
        m.kernel,
        m.host,
        m.load_average
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
        m.socat_version.as_deref().unwrap_or("absent"),
        utc(report.generated_unix),
        report.duration_s
    );
    let _ = writeln!(
        out,
        "Every number below comes from this one run, on loopback. Each measurement is taken \
         {reps} time(s) with the targets taking turns, so load from elsewhere on the machine \
         spreads over all of them; still, differences within about 10% are noise. \
         Throughput is counted where the bytes arrive, for {} ms after {} ms of warm-up, median \
         of the turns; \"1 stream\" and \"{} streams\" are the mean of the up (client→upstream) \
         and down rates. Latency: {}-byte ping-pong, {} round trips in all; \"added\" is over a \
         direct connection. Connections/s: {} clients each looping connect, 1-byte round trip, \
         close. Held: {} connections opened one by one and then held at once, each echoing {} \
         times. Startup: process start to the first relayed byte, median of {} run(s).\n",
        s.measure_ms,
        s.warmup_ms,
        s.parallel_streams,
        s.latency_message_bytes,
        s.latency_rounds,
        s.connection_rate_clients,
        s.held_connections,
        s.held_rounds,
        s.startup_runs,
        reps = s.repetitions,
    );

    let find = |id: &str| report.targets.iter().find(|t| t.id == id);
    let (direct, socat, tuned) = (find("direct"), find("socat"), find("socat-tuned"));
    let one = |t: Option<&TargetResult>, streams| t.and_then(|t| t.one_way(streams));
    let p50 = |t: Option<&TargetResult>| t.and_then(|t| t.latency.as_ref()).and_then(|l| l.p50_us);
    let p99 = |t: Option<&TargetResult>| t.and_then(|t| t.latency.as_ref()).and_then(|l| l.p99_us);
    let rate = |t: Option<&TargetResult>| {
        t.and_then(|t| t.connection_rate.as_ref())
            .map(|c| c.per_second)
    };

    let _ = writeln!(out, "## Summary\n");
    let _ = writeln!(
        out,
        "| target | 1 stream Gbit/s | × direct | × socat | × socat -b 131072 | {n} streams Gbit/s | × direct | × socat | p50 added µs | p99 added µs | connections/s | × socat | {h} held | startup ms |",
        n = s.parallel_streams,
        h = s.held_connections
    );
    let _ = writeln!(
        out,
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|"
    );
    for target in &report.targets {
        let t = Some(target);
        let held = match &target.held {
            Some(h) if h.clean(s.held_rounds) => match h.rss_kib {
                Some(kib) => format!("ok, {:.0} MiB", kib as f64 / 1024.0),
                None => "ok".to_string(),
            },
            Some(h) => format!("{} errors", h.errors.max(1)),
            None => "–".into(),
        };
        let startup = match &target.startup {
            Some(st) if st.error.is_none() => num(st.median_ms, 1),
            Some(_) => "error".into(),
            None => "–".into(),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            target.label,
            num(one(t, 1), 2),
            times(stats::ratio(one(t, 1), one(direct, 1))),
            times(stats::ratio(one(t, 1), one(socat, 1))),
            times(stats::ratio(one(t, 1), one(tuned, 1))),
            num(one(t, s.parallel_streams), 2),
            times(stats::ratio(
                one(t, s.parallel_streams),
                one(direct, s.parallel_streams)
            )),
            times(stats::ratio(
                one(t, s.parallel_streams),
                one(socat, s.parallel_streams)
            )),
            signed(stats::added(p50(t), p50(direct)), 1),
            signed(stats::added(p99(t), p99(direct)), 1),
            num(rate(t), 0),
            times(stats::ratio(rate(t), rate(socat))),
            held,
            startup,
        );
    }

    let _ = writeln!(out, "\n## Goals\n");
    for goal in &report.goals {
        let _ = writeln!(
            out,
            "- **{}** {} — {}",
            goal.status.label(),
            goal.goal,
            goal.detail
        );
    }

    let _ = writeln!(out, "\n## Throughput, Gbit/s\n");
    let mut header = String::from("| target |");
    let mut rule = String::from("|---|");
    for streams in [1, s.parallel_streams] {
        for direction in Direction::ALL {
            let _ = write!(header, " {streams}× {} |", direction.label());
            rule.push_str("---:|");
        }
    }
    let _ = writeln!(out, "{header}\n{rule}");
    for t in &report.targets {
        if t.throughput.is_empty() {
            continue;
        }
        let mut line = format!("| {} |", t.label);
        for streams in [1, s.parallel_streams] {
            for direction in Direction::ALL {
                let cell = t
                    .throughput
                    .iter()
                    .find(|x| x.streams == streams && x.direction == direction);
                let _ = write!(
                    line,
                    " {} |",
                    match cell {
                        Some(x) if x.error.is_some() => "error".into(),
                        Some(x) => num(x.gbit_per_s, 2),
                        None => "–".into(),
                    }
                );
            }
        }
        let _ = writeln!(out, "{line}");
    }

    let _ = writeln!(out, "\n## Latency, connections, startup\n");
    let _ = writeln!(out, "| target | p50 µs | p99 µs | connections/s (errors) | held: open ms / round ms / RSS MiB | startup ms: median (min) | AOT compile ms |");
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|");
    for t in &report.targets {
        let target = Some(t);
        let rate = t.connection_rate.as_ref().map_or("–".into(), |c| {
            format!("{:.0} ({})", c.per_second, c.errors)
        });
        let held = t.held.as_ref().map_or("–".into(), |h| {
            format!(
                "{:.0} / {:.0} / {}",
                h.open_ms,
                h.round_ms,
                h.rss_kib
                    .map_or("–".into(), |kib| format!("{:.1}", kib as f64 / 1024.0))
            )
        });
        let startup = t.startup.as_ref().map_or("–".into(), |st| match &st.error {
            Some(_) => "error".into(),
            None => format!("{} ({})", num(st.median_ms, 1), num(st.min_ms, 1)),
        });
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            t.label,
            num(p50(target), 1),
            num(p99(target), 1),
            rate,
            held,
            startup,
            match (t.compile, t.compile_ms) {
                (Some(Compile::Ahead), Some(ms)) => format!("{ms:.0}"),
                (Some(Compile::Ahead), None) => "cached".into(),
                _ => "–".into(),
            },
        );
    }

    let _ = writeln!(out, "\n## Optimisations, before and after in this run\n");
    for experiment in &report.experiments {
        let _ = writeln!(out, "### {}\n\n{}\n", experiment.name, experiment.about);
        if experiment.rows.is_empty() {
            let _ = writeln!(out, "(nothing to compare in this run)\n");
            continue;
        }
        let _ = writeln!(out, "| target | metric | before | after | after / before |");
        let _ = writeln!(out, "|---|---|---:|---:|---:|");
        for row in &experiment.rows {
            let _ = writeln!(
                out,
                "| {} | {} ({} is better) | {}: {} | {}: {} | {} |",
                row.target,
                row.metric,
                row.better,
                row.before_label,
                num(row.before, 2),
                row.after_label,
                num(row.after, 2),
                times(row.ratio),
            );
        }
        let _ = writeln!(out);
    }

    let problems: Vec<String> = report
        .targets
        .iter()
        .flat_map(|t| {
            let mut found: Vec<String> = t
                .errors
                .iter()
                .map(|e| format!("{}: {e}", t.label))
                .collect();
            found.extend(t.throughput.iter().filter_map(|x| {
                x.error
                    .as_ref()
                    .map(|e| format!("{}: {}× {}: {e}", t.label, x.streams, x.direction.label()))
            }));
            if let Some(e) = t.latency.as_ref().and_then(|l| l.error.as_ref()) {
                found.push(format!("{}: latency: {e}", t.label));
            }
            if let Some(c) = t.connection_rate.as_ref().filter(|c| c.errors > 0) {
                found.push(format!(
                    "{}: connection rate: {} errors, first: {}",
                    t.label,
                    c.errors,
                    c.first_error.clone().unwrap_or_default()
                ));
            }
            if let Some(h) = t.held.as_ref().filter(|h| !h.clean(s.held_rounds)) {
                found.push(format!(
                    "{}: held: {} errors, first: {}",
                    t.label,
                    h.errors,
                    h.first_error
                        .clone()
                        .unwrap_or_else(|| "the proxy died".into())
                ));
            }
            if let Some(e) = t.startup.as_ref().and_then(|st| st.error.as_ref()) {
                found.push(format!("{}: startup: {e}", t.label));
            }
            found
        })
        .collect();
    if !problems.is_empty() {
        let _ = writeln!(out, "## Errors\n");
        for problem in problems {
            let _ = writeln!(out, "- {}", problem.replace('\n', " "));
        }
        let _ = writeln!(out);
    }
    let _ = writeln!(
        out,
        "Produced by `harness bench{}` (harness {}); `harness bench --render FILE.json` \
         prints it again from the JSON.\n",
        if report.quick { " --quick" } else { "" },
        report.harness_version
    );
    if !report.not_relaying.is_empty() {
        let _ = writeln!(out, "## Left out: these do not relay\n");
        for n in &report.not_relaying {
            let _ = writeln!(
                out,
                "- {} / {}: {}",
                n.runtime,
                n.guest,
                n.why.replace('\n', " ")
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_come_out_in_utc() {
        assert_eq!(utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(utc(1_795_539_894), "2026-11-24 17:04 UTC");
    }
}
