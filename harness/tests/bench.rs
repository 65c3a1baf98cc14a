//! `harness bench --quick` end to end: real proxies, real traffic, every output file.

mod common;

use assert_cmd::Command;
use serde_json::Value;

#[test]
fn quick_bench_runs_end_to_end() {
    if common::runtime_or_skip("wasmedge").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (json, svg, markdown) = (
        dir.path().join("bench.json"),
        dir.path().join("bench.svg"),
        dir.path().join("bench.md"),
    );
    let output = Command::cargo_bin("harness")
        .unwrap()
        .args(["bench", "--quick", "--json"])
        .arg(&json)
        .arg("--svg")
        .arg(&svg)
        .arg("--markdown")
        .arg(&markdown)
        .timeout(std::time::Duration::from_secs(600))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "harness bench --quick failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let report: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["quick"], true);
    let duration = report["duration_s"].as_f64().unwrap();
    eprintln!("quick bench took {duration:.0} s");
    assert!(duration < 240.0, "the quick bench took {duration:.0} s");
    let targets = report["targets"].as_array().unwrap();
    let target = |id: &str| {
        targets
            .iter()
            .find(|t| t["id"] == id)
            .unwrap_or_else(|| panic!("no target {id}"))
    };
    let rate = |t: &Value, streams: u64, direction: &str| {
        t["throughput"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["streams"] == streams && x["direction"] == direction)
            .and_then(|x| x["gbit_per_s"].as_f64())
    };
    // The baselines that need nothing but this machine: measured in every shape.
    for id in ["direct", "native"] {
        for streams in [1, 8] {
            for direction in ["up", "down", "both"] {
                let value = rate(target(id), streams, direction);
                assert!(
                    value.is_some_and(|v| v > 0.0),
                    "{id} {streams}x {direction}: {value:?}"
                );
            }
        }
    }
    // WasmEdge relays its guest: measured cold (interpreter) and with AOT, and every
    // held connection echoed.
    for id in [
        "wasmedge/proxy-wasmedge/cold",
        "wasmedge/proxy-wasmedge/ahead",
    ] {
        let t = target(id);
        assert!(rate(t, 1, "up").is_some_and(|v| v > 0.0), "{id}: {t}");
        assert!(t["latency"]["p50_us"].as_f64().is_some(), "{id}: {t}");
        assert!(t["connection_rate"]["per_second"].as_f64().unwrap() > 0.0);
        let held = &t["held"];
        assert_eq!(held["errors"], 0, "{id}: {held}");
        assert_eq!(held["opened"], held["requested"], "{id}: {held}");
        assert!(t["startup"]["median_ms"].as_f64().is_some(), "{id}: {t}");
    }
    assert_eq!(report["goals"].as_array().unwrap().len(), 5);
    assert!(!report["experiments"][0]["rows"]
        .as_array()
        .unwrap()
        .is_empty());

    let svg = std::fs::read_to_string(&svg).unwrap();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    assert!(svg.contains("wasmedge 0.14") || svg.contains("wasmedge "));
    let markdown = std::fs::read_to_string(&markdown).unwrap();
    assert!(markdown.contains("## Summary") && markdown.contains("## Goals"));
    assert!(stdout.contains("## Summary"), "the Markdown is printed too");
}
