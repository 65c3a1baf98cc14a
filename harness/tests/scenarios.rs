//! Real traffic through the real guest under each installed runtime.

mod common;

use std::time::Duration;

use harness::guest;
use harness::matrix::run_scenario;
use harness::model::Outcome;
use harness::scenarios;

fn built_in(name: &str) -> guest::Guest {
    guest::built_in()
        .expect("built-in guests load")
        .into_iter()
        .find(|g| g.info.name == name)
        .unwrap_or_else(|| panic!("{name} is built in"))
}

fn outcomes(runtime: &str) -> Option<Vec<(&'static str, Outcome, Option<String>)>> {
    outcomes_of(runtime, "proxy-wasmedge")
}

fn outcomes_of(runtime: &str, guest: &str) -> Option<Vec<(&'static str, Outcome, Option<String>)>> {
    let installed = common::runtime_or_skip(runtime)?;
    let guest = built_in(guest);
    Some(
        scenarios::all()
            .into_iter()
            .map(|scenario| {
                let result = run_scenario(&installed, &guest, scenario, Duration::from_secs(60));
                eprintln!(
                    "{runtime} {}: {} in {} ms",
                    scenario.name,
                    result.outcome.summary(),
                    result.duration_ms
                );
                (scenario.name, result.outcome, result.stderr_excerpt)
            })
            .collect(),
    )
}

/// A green cell of the matrix, asserted for real: every scenario relays.
fn relays_every_scenario(runtime: &str, guest: &str) {
    let Some(results) = outcomes_of(runtime, guest) else {
        return;
    };
    let failures: Vec<_> = results
        .iter()
        .filter(|(_, outcome, _)| !outcome.is_pass())
        .map(|(name, outcome, stderr)| {
            format!("{name}: {} / stderr: {stderr:?}", outcome.summary())
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{guest} under {runtime}:\n{}",
        failures.join("\n")
    );
}

#[test]
fn wasmtime_relays_the_wasi_sockets_guest() {
    relays_every_scenario("wasmtime", "proxy-wasip2");
}

#[test]
fn wasmer_relays_the_wasix_guest() {
    relays_every_scenario("wasmer", "proxy-wasix");
}

#[test]
fn wasmedge_relays_the_tokio_wasi_guest() {
    relays_every_scenario("wasmedge", "proxy-wasmedge");
}

/// wasmtime and Wasmer lack WasmEdge's sock_* functions: every scenario must stop at
/// instantiation naming one of them, not hang, crash or pass.
fn stops_at_a_missing_sock_import(runtime: &str) {
    let Some(results) = outcomes(runtime) else {
        return;
    };
    for (name, outcome, stderr) in results {
        match &outcome {
            Outcome::MissingImport { module, name: import, .. } => {
                assert_eq!(module, "wasi_snapshot_preview1", "{runtime} {name}");
                assert!(import.starts_with("sock_"), "{runtime} {name}: {import}");
            }
            other => panic!("{runtime} {name}: expected a missing sock_* import, got {other:?}; stderr {stderr:?}"),
        }
    }
}

#[test]
fn wasmtime_stops_at_a_missing_sock_import() {
    stops_at_a_missing_sock_import("wasmtime");
}

#[test]
fn wasmer_stops_at_a_missing_sock_import() {
    stops_at_a_missing_sock_import("wasmer");
}
