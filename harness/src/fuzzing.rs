//! Fuzz targets, shared by `harness/fuzz` (cargo fuzz, nightly) and by the unit tests
//! below (a fixed corpus of nasty inputs, on stable). Each takes raw bytes, feeds them
//! to a parser of untrusted text, and asserts what must hold for any input: no panic,
//! and errors that are one line naming their source.

use std::path::Path;

use crate::expectations::{self, EXPECTABLE};
use crate::model::Outcome;
use crate::process::Exit;
use crate::runtime;

/// Every adapter's classifier on arbitrary runtime output. The first byte picks exit
/// code or signal, the next four its value; the rest is the output (lossy UTF-8, as
/// [`crate::process::ChildGuard`] captures it).
pub fn classify(data: &[u8]) {
    let (exit, output) = match data {
        [kind, a, b, c, d, rest @ ..] => {
            let value = i32::from_le_bytes([*a, *b, *c, *d]);
            let exit = if kind & 1 == 0 {
                Exit::Code(value)
            } else {
                Exit::Signal(value)
            };
            (exit, String::from_utf8_lossy(rest))
        }
        _ => (Exit::Code(1), String::from_utf8_lossy(data)),
    };
    for adapter in runtime::ALL {
        let outcome = adapter.classify(exit, &output);
        // A classifier explains a failed run; it never turns one into a pass.
        assert!(
            !matches!(outcome, Outcome::Relayed | Outcome::NotInstalled),
            "{}: {outcome:?}",
            adapter.name()
        );
        // What it names comes from the output, not from thin air.
        match &outcome {
            Outcome::MissingImport { module, .. } | Outcome::ImportTypeMismatch { module, .. } => {
                assert!(
                    output.contains(module.as_str()),
                    "{}: {outcome:?}",
                    adapter.name()
                )
            }
            Outcome::Exit { code } => assert_eq!(exit, Exit::Code(*code)),
            Outcome::Signal { signal } => assert_eq!(exit, Exit::Signal(*signal)),
            _ => {}
        }
        let _ = outcome.summary();
        // Whatever it says survives the JSON report.
        let json = serde_json::to_string(&outcome).expect("outcomes serialize");
        let back: Outcome = serde_json::from_str(&json).expect("outcomes deserialize");
        assert_eq!(back, outcome);
    }
}

/// The expectations parser on arbitrary text: either a file whose every entry is
/// well-formed, or one error line that starts with the file name.
pub fn expectations(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let known = ["echo", "half-close"];
    match expectations::parse(&text, Path::new("fuzz.toml"), Some(&known)) {
        Ok(file) => {
            assert!(!file.runtime.trim().is_empty());
            for entry in file.guests.values().flatten() {
                for (scenario, expected) in std::iter::once((None, &entry.default))
                    .chain(entry.scenarios.iter().map(|(s, e)| (Some(s), e)))
                {
                    assert!(EXPECTABLE.contains(&expected.outcome.as_str()));
                    assert!(expected.outcome == "relayed" || expected.reason.is_some());
                    if let Some(scenario) = scenario {
                        assert!(known.contains(&scenario.as_str()), "{scenario}");
                    }
                }
            }
        }
        Err(e) => {
            let message = e.to_string();
            assert!(message.starts_with("fuzz.toml"), "{message:?}");
            assert!(!message.contains(['\n', '\r']), "{message:?}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Inputs that broke (or could break) a parser somewhere: empty, truncated UTF-8,
    /// lookalike texts, huge and odd numbers, and the real messages almost matching.
    const CLASSIFY: &[&[u8]] = &[
        b"",
        b"\x01",
        b"\x00\x00\x00\x00\x00",
        b"\x01\xff\xff\xff\x7f",
        b"\x00\x00\x00\x00\x80\xff\xfe\xc3",
        b"\x00\x01\x00\x00\x00[error] instantiation failed: unknown import, Code: 0x302\n",
        b"\x00\x01\x00\x00\x00[error] instantiation failed: unknown import, Code: 0x302\n[error]     When linking module: \"\" , function name: \"\"\n",
        b"\x00\x01\x00\x00\x00[error] execution failed: , Code: 0x\n",
        b"\x00\x01\x00\x00\x00[error] loading failed: incompatible import type, Code: 0x301\nMismatched",
        b"\x00\x01\x00\x00\x00unknown import: `a::b` has not been defined",
        b"\x00\x01\x00\x00\x00unknown import: `::` has not been defined",
        b"\x00\x01\x00\x00\x00incompatible import type for `m::n`",
        b"\x00\x01\x00\x00\x00incompatible import type for `m::n`\xf0\x9f\x92",
        b"\x00\x01\x00\x00\x00component imports instance `wasi:sockets/tcp@0.2.6`, but a matching implementation was not found",
        b"\x00\x01\x00\x00\x00wasm trap:",
        b"\x00\x01\x00\x00\x00wasm trap: wasm trap: \n",
        b"\x00\x01\x00\x00\x00Error while importing \"\".\"\": unknown import.",
        b"\x00\x01\x00\x00\x00Error while importing \"m\".\"n\": incompatible import type. Expected  but received ",
        b"\x00\x01\x00\x00\x00Error while importing \"\xc3\".\"\xa9\": x.",
        b"\x01\x09\x00\x00\x00RuntimeError:",
        b"\x01\x09\x00\x00\x00RuntimeError:\r\nmagic header not detected",
        b"\x00\x01\x00\x00\x00failed to parse WebAssembly\x00\x00",
    ];

    const EXPECTATIONS: &[&[u8]] = &[
        b"",
        b"runtime",
        b"runtime = \"\"",
        b"runtime = \" \"",
        b"runtime = 3",
        b"runtime = \"w\"\n[guest.g]\n",
        b"runtime = \"w\"\n[guest.g]\noutcome = \"relay\"\n",
        b"runtime = \"w\"\n[guest.g]\noutcom = \"relayed\"\n",
        b"runtime = \"w\"\n[guest.\"a\\nb\\rc\"]\noutcome = \"nope\"\n",
        b"runtime = \"w\"\n[guest.g]\noutcome = \"trap\"\nreason = \"\\r\\n\"\n",
        b"runtime = \"w\"\n[guest.g]\noutcome = \"missing-import\"\nreason = \"r\"\nimport = \"::\"\n",
        b"runtime = \"w\"\n[guest.g]\noutcome = \"missing-import\"\nreason = \"r\"\nimport = \"a::b::c\"\n",
        b"runtime = \"w\"\n[guest.g]\noutcome = \"relayed\"\n[guest.g.scenario.\"\\n\"]\noutcome = \"relayed\"\n",
        b"runtime = \"w\"\n[[guest.g]]\nversions = \">=\"\noutcome = \"relayed\"\n",
        b"runtime = \"w\"\n[[guest.g]]\nversions = \"\\u0000\"\noutcome = \"relayed\"\n",
        b"runtime = \"w\"\nguest = []\n",
        b"runtime = \"w\"\nguest = { g = 1 }\n",
        b"runtime = \"w\"\n[guest.g]\noutcome = \"relayed\"\n[[guest.g]]\n",
        b"\xef\xbb\xbfruntime = \"w\"",
        b"runtime = \"w\"\r\n[guest.g]\r\noutcome = \"not-installed\"\r\n",
        b"runtime = '''\n\n'''\n[guest.g]\noutcome = \"x\"",
        b"\xff\xfe[\x00",
    ];

    #[test]
    fn classifiers_hold_up_on_nasty_output() {
        for input in CLASSIFY {
            classify(input);
        }
    }

    #[test]
    fn expectations_hold_up_on_nasty_files() {
        for input in EXPECTATIONS {
            expectations(input);
        }
    }

    #[test]
    fn the_shipped_expectations_parse_under_the_fuzz_target() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/expectations");
        for entry in std::fs::read_dir(dir).unwrap() {
            expectations(&std::fs::read(entry.unwrap().path()).unwrap());
        }
    }
}
