//! The goals, each judged from ratios within one run.

use std::collections::BTreeMap;

use super::model::{Goal, GoalStatus, TargetResult};
use super::precompile::Compile;
use super::stats;

/// Share of a direct connection's single-stream rate the best wasm proxy must reach.
pub const DIRECT_SHARE_GOAL: f64 = 0.55;

fn find<'a>(results: &'a [TargetResult], id: &str) -> Option<&'a TargetResult> {
    results.iter().find(|r| r.id == id)
}

/// Per runtime, the target that stands for it: its precompiled (ahead-of-time) way, as
/// it would be deployed, and among several guests the one with the highest
/// single-stream one-way rate. Default buffer only.
pub fn best_per_runtime(results: &[TargetResult]) -> BTreeMap<String, &TargetResult> {
    let mut best: BTreeMap<String, &TargetResult> = BTreeMap::new();
    let rank = |r: &TargetResult| {
        (
            r.compile == Some(Compile::Ahead),
            r.one_way(1).unwrap_or(-1.0),
        )
    };
    for result in results
        .iter()
        .filter(|r| r.is_wasm() && r.buffer_bytes.is_none() && !r.throughput.is_empty())
    {
        let Some(runtime) = &result.runtime else {
            continue;
        };
        let better = match best.get(runtime) {
            None => true,
            Some(current) => {
                rank(result).partial_cmp(&rank(current)) == Some(std::cmp::Ordering::Greater)
            }
        };
        if better {
            best.insert(runtime.clone(), result);
        }
    }
    best
}

fn fmt(value: Option<f64>, unit: &str) -> String {
    value.map_or("n/a".into(), |v| format!("{v:.2}{unit}"))
}

fn status(ok: Option<bool>) -> GoalStatus {
    match ok {
        Some(true) => GoalStatus::Pass,
        Some(false) => GoalStatus::FallsShort,
        None => GoalStatus::NotMeasured,
    }
}

pub fn evaluate(results: &[TargetResult], held_rounds: usize) -> Vec<Goal> {
    let direct = find(results, "direct");
    let socat = find(results, "socat");
    let tuned = find(results, "socat-tuned");
    let best = best_per_runtime(results);
    let overall = best.values().copied().max_by(|a, b| {
        a.one_way(1)
            .unwrap_or(-1.0)
            .total_cmp(&b.one_way(1).unwrap_or(-1.0))
    });
    let mut goals = Vec::new();

    // 1. The best runtime at or above tuned socat, and at least 0.55x direct.
    let best_rate = overall.and_then(|b| b.one_way(1));
    let to_tuned = stats::ratio(best_rate, tuned.and_then(|t| t.one_way(1)));
    let to_direct = stats::ratio(best_rate, direct.and_then(|d| d.one_way(1)));
    goals.push(Goal {
        goal: format!(
            "best runtime's wasm proxy >= tuned socat single-stream (and >= {DIRECT_SHARE_GOAL}x direct)"
        ),
        status: status(match (to_tuned, to_direct) {
            (Some(t), Some(d)) => Some(t >= 1.0 && d >= DIRECT_SHARE_GOAL),
            _ => None,
        }),
        detail: format!(
            "{}: {} Gbit/s = {}x socat -b 131072, {}x direct",
            overall.map_or("no wasm target", |b| b.label.as_str()),
            fmt(best_rate, ""),
            fmt(to_tuned, ""),
            fmt(to_direct, "")
        ),
    });

    // 2. Every runtime's best at or above default socat.
    let socat_rate = socat.and_then(|s| s.one_way(1));
    let per_runtime: Vec<(String, Option<f64>)> = best
        .iter()
        .map(|(runtime, b)| (runtime.clone(), stats::ratio(b.one_way(1), socat_rate)))
        .collect();
    goals.push(Goal {
        goal: "every runtime's best guest >= default socat single-stream".into(),
        status: status(all(&per_runtime, |r| r >= 1.0)),
        detail: list(&per_runtime, "x socat"),
    });

    // 3. p50 added latency no worse than socat's.
    let p50 = |r: Option<&TargetResult>| r.and_then(|r| r.latency.as_ref()).and_then(|l| l.p50_us);
    let socat_added = stats::added(p50(socat), p50(direct));
    let per_runtime: Vec<(String, Option<f64>)> = best
        .iter()
        .map(|(runtime, b)| (runtime.clone(), stats::added(p50(Some(b)), p50(direct))))
        .collect();
    goals.push(Goal {
        goal: "p50 added latency no worse than socat's".into(),
        status: status(socat_added.and_then(|limit| all(&per_runtime, |added| added <= limit))),
        detail: format!(
            "socat adds {}; {}",
            fmt(socat_added, " us"),
            list(&per_runtime, " us added")
        ),
    });

    // 4. 1000 concurrent connections on every runtime that relays.
    let per_runtime: Vec<(String, Option<f64>)> = best
        .iter()
        .map(|(runtime, b)| {
            let clean = b
                .held
                .as_ref()
                .map(|h| if h.clean(held_rounds) { 1.0 } else { 0.0 });
            (runtime.clone(), clean)
        })
        .collect();
    let requested = best
        .values()
        .find_map(|b| b.held.as_ref().map(|h| h.requested))
        .unwrap_or(0);
    goals.push(Goal {
        goal: format!("{requested} concurrent connections relayed without error on every runtime"),
        status: status(all(&per_runtime, |clean| clean == 1.0)),
        detail: best
            .iter()
            .map(|(runtime, b)| match &b.held {
                Some(h) if h.clean(held_rounds) => format!("{runtime}: all {} echoed", h.requested),
                Some(h) => format!(
                    "{runtime}: {} opened, {} echoes, {} errors ({})",
                    h.opened,
                    h.echoed,
                    h.errors,
                    h.first_error.clone().unwrap_or_else(|| "proxy died".into())
                ),
                None => format!("{runtime}: not measured"),
            })
            .collect::<Vec<_>>()
            .join("; "),
    });
    goals
}

/// Some(true) if every value is present and passes, Some(false) if any present one
/// fails, None if there is nothing to judge.
fn all(values: &[(String, Option<f64>)], pass: impl Fn(f64) -> bool) -> Option<bool> {
    if values.is_empty() {
        return None;
    }
    let mut verdict = Some(true);
    for (_, value) in values {
        match value {
            Some(v) if !pass(*v) => return Some(false),
            Some(_) => {}
            None => verdict = None,
        }
    }
    verdict
}

fn list(values: &[(String, Option<f64>)], unit: &str) -> String {
    if values.is_empty() {
        return "no runtime relays".into();
    }
    values
        .iter()
        .map(|(runtime, v)| format!("{runtime}: {}", fmt(*v, unit)))
        .collect::<Vec<_>>()
        .join("; ")
}
