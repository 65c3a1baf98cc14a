//! `harness diff` from the command line: a regression between two reports is a
//! non-zero exit with the change named; identical reports say so and exit 0.

use std::fs;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/report-v1.json");

fn harness() -> Command {
    Command::cargo_bin("harness").expect("the harness binary is built")
}

#[test]
fn a_constructed_regression_exits_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old.json");
    let new = dir.path().join("new.json");
    fs::copy(FIXTURE, &old).unwrap();
    // wasmedge / proxy-wasmedge / echo relayed in the old report; make it trap.
    let mut report: Value = serde_json::from_str(&fs::read_to_string(FIXTURE).unwrap()).unwrap();
    let echo = &mut report["runtimes"][0]["guests"][0]["scenarios"][0];
    assert_eq!(echo["scenario"], "echo");
    assert_eq!(echo["outcome"]["kind"], "relayed");
    echo["outcome"] = serde_json::json!({"kind": "trap", "message": "unreachable"});
    fs::write(&new, serde_json::to_string(&report).unwrap()).unwrap();

    harness()
        .args(["diff"])
        .arg(&old)
        .arg(&new)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("echo").and(predicate::str::contains("Regress")));
}

#[test]
fn identical_reports_have_no_differences() {
    harness()
        .args(["diff", FIXTURE, FIXTURE])
        .assert()
        .success()
        .stdout(predicate::str::contains("No differences"));
}

#[test]
fn a_missing_report_is_one_line_and_exit_2() {
    harness()
        .args(["diff", FIXTURE, "/nonexistent/new.json"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with(
            "harness: error: cannot read report",
        ))
        .stderr(predicate::str::contains("panicked").not());
}
