//! Fault scenarios against the real guests under each installed runtime (quick sizes:
//! the full 64 MiB slow reader runs in `harness faults`).

mod common;

use std::sync::Mutex;
use std::time::{Duration, Instant};

use harness::faults::FaultPlan;
use harness::guest;
use harness::matrix::RuntimeChoice;
use harness::model::{FaultResult, Outcome};
use harness::scenarios::faults::{self, Sizes};

/// The faults load the machine (a thousand clients, a slow reader): one runtime at a
/// time, so their promptness checks measure the proxy and not the other tests.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn run_all(runtime: &str, guest_name: &str) -> Option<Vec<FaultResult>> {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let installed = common::runtime_or_skip(runtime)?;
    let guest = guest::built_in()
        .expect("built-in guests load")
        .into_iter()
        .find(|g| g.info.name == guest_name)?;
    harness::limits::raise_nofile_limit().expect("RLIMIT_NOFILE can be raised");
    // Through the runner, as `harness faults` does: once a fault finds the guest
    // cannot start or relay, the rest reuse that outcome instead of waiting again.
    let plan = FaultPlan {
        runtimes: vec![RuntimeChoice {
            adapter: installed.adapter,
            binary: Some(installed.binary.clone()),
        }],
        guests: vec![guest],
        faults: faults::all(),
        sizes: Sizes::QUICK,
        startup_timeout: Duration::from_secs(60),
    };
    let started = Instant::now();
    let report = harness::faults::run(&plan);
    let results = report.runtimes[0].guests[0].faults.clone();
    for result in &results {
        eprintln!(
            "{runtime} {guest_name} {}: injected {} survived {} lost {} rss {:?}/{:?} in {} ms: {} / {:?}",
            result.fault,
            result.injected,
            result.survived,
            result.bytes_lost,
            result.peak_rss_kib,
            result.rss_growth_kib,
            result.duration_ms,
            result.outcome.summary(),
            result.client_saw
        );
    }
    // Nothing hangs: every fault is bounded (the thousand clients at 90 s).
    assert!(
        started.elapsed() < Duration::from_secs(600),
        "{runtime} {guest_name}"
    );
    Some(results)
}

/// What must hold for any runtime × guest, whether the guest works there or not.
fn coherent(results: &[FaultResult]) {
    for r in results {
        if !r.injected {
            // A guest that cannot start is recorded with why, never as survived.
            assert!(!r.survived && !r.outcome.is_pass(), "{r:?}");
            continue;
        }
        if r.survived {
            assert_eq!(r.bytes_lost, 0, "{r:?}");
            assert!(r.client_saw.is_some(), "{r:?}");
        }
        if r.fault == "proxy-killed" && r.survived {
            assert_eq!(r.outcome, Outcome::Signal { signal: 9 }, "{r:?}");
        }
        if r.fault == "slow-reader" && r.survived {
            let growth = r.rss_growth_kib.expect("memory sampled");
            assert!(growth <= Sizes::QUICK.slow_growth_limit_kib(), "{r:?}");
        }
    }
}

#[test]
fn the_reference_guest_survives_every_fault_under_wasmedge() {
    let Some(results) = run_all("wasmedge", "proxy-wasmedge") else {
        return;
    };
    coherent(&results);
    let failed: Vec<String> = results
        .iter()
        .filter(|r| !r.survived)
        .map(|r| {
            format!(
                "{}: {} / {:?}",
                r.fault,
                r.outcome.summary(),
                r.stderr_excerpt
            )
        })
        .collect();
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

/// Every other runtime × guest: each fault is recorded coherently, whatever the
/// verdict (a guest still in progress may fail some; `harness faults` says which).
#[test]
fn every_runtime_and_guest_records_every_fault() {
    for runtime in harness::runtime::ALL.iter().map(|a| a.name()) {
        for guest in guest::built_in_names() {
            if (runtime, guest) == ("wasmedge", "proxy-wasmedge") {
                continue;
            }
            if let Some(results) = run_all(runtime, guest) {
                assert_eq!(results.len(), faults::FAULTS.len());
                coherent(&results);
            }
        }
    }
}
