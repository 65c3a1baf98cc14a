//! Shared by the integration tests: find a runtime or say loudly that it is skipped.

#![allow(dead_code)] // each test binary uses a different part

use harness::runtime::{self, Installed};

/// The runtime if installed. When absent: a loud skip line, or a failure when
/// HARNESS_REQUIRE_RUNTIMES=1 (CI sets it: CI has every runtime and must not skip).
pub fn runtime_or_skip(name: &str) -> Option<Installed> {
    let adapter = runtime::by_name(name).expect("known runtime name");
    match runtime::probe(adapter, None) {
        Ok(installed) => Some(installed),
        Err(why) => {
            if std::env::var("HARNESS_REQUIRE_RUNTIMES").as_deref() == Ok("1") {
                panic!("HARNESS_REQUIRE_RUNTIMES=1 but {why}");
            }
            eprintln!("\n=== SKIPPED: {name} is not installed ({why}) ===\n");
            None
        }
    }
}
