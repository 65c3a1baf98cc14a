//! Report rendering, JSON, expectations and diff, on constructed reports (no runtime
//! needed). The Markdown of the sample report is also compared with a golden file:
//! `UPDATE_GOLDEN=1 cargo test -p harness --test report` rewrites it after an
//! intended change (then read the diff).

use std::path::{Path, PathBuf};

use harness::diff::{self, ChangeKind};
use harness::expectations::{self, FindingKind};
use harness::model::{
    Capability, GuestInfo, GuestRun, Import, ImportSupport, Outcome, Report, RuntimeReport,
    ScenarioResult, Support, SCHEMA_VERSION,
};
use harness::report::{self, json, CellKind};

const SCENARIOS: [&str; 7] = [
    "echo",
    "bulk-duplex-16mib",
    "half-close",
    "concurrent-64",
    "localhost-name",
    "server-first",
    "upstream-refused",
];

// ---- builders ---------------------------------------------------------------------

fn scenario(name: &str, outcome: Outcome) -> ScenarioResult {
    let stderr = (!outcome.is_pass()).then(|| format!("Error: {}", outcome.summary()));
    ScenarioResult {
        scenario: name.into(),
        outcome,
        duration_ms: 40 + name.len() as u64,
        stderr_excerpt: stderr,
    }
}

/// All seven scenarios with `outcome`.
fn all(outcome: Outcome) -> Vec<ScenarioResult> {
    SCENARIOS
        .iter()
        .map(|name| scenario(name, outcome.clone()))
        .collect()
}

/// All seven relayed except the given ones.
fn all_but(failures: &[(&str, Outcome)]) -> Vec<ScenarioResult> {
    SCENARIOS
        .iter()
        .map(|name| match failures.iter().find(|(f, _)| f == name) {
            Some((_, outcome)) => scenario(name, outcome.clone()),
            None => scenario(name, Outcome::Relayed),
        })
        .collect()
}

fn missing(module: &str, name: &str) -> Outcome {
    Outcome::MissingImport {
        module: module.into(),
        name: name.into(),
        expected: None,
    }
}

fn failed(detail: &str) -> Outcome {
    Outcome::Failed {
        detail: detail.into(),
    }
}

const P1: &str = "wasi_snapshot_preview1";
const WASMEDGE_IMPORTS: [&str; 10] = [
    "fd_write",
    "poll_oneoff",
    "sock_accept",
    "sock_bind",
    "sock_getlocaladdr",
    "sock_listen",
    "sock_open",
    "sock_recv",
    "sock_send",
    "sock_setsockopt",
];

/// The proxy-wasmedge imports, with `support` for the named ones, others supported.
fn wasmedge_imports(unsupported: &[(&str, Support)]) -> Vec<ImportSupport> {
    WASMEDGE_IMPORTS
        .iter()
        .map(|name| ImportSupport {
            import: Import {
                module: P1.into(),
                name: (*name).into(),
                ty: "func(i32, i32) -> i32".into(),
            },
            support: unsupported
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, s)| s.clone())
                .unwrap_or(Support::Supported),
        })
        .collect()
}

fn wasip2_imports() -> Vec<ImportSupport> {
    ["[method]tcp-socket.start-bind", "[method]tcp-socket.accept"]
        .iter()
        .map(|name| ImportSupport {
            import: Import {
                module: "wasi:sockets/tcp@0.2.0".into(),
                name: (*name).into(),
                ty: "func".into(),
            },
            support: Support::Supported,
        })
        .collect()
}

fn guest(name: &str, scenarios: Vec<ScenarioResult>, imports: Vec<ImportSupport>) -> GuestRun {
    GuestRun {
        guest: GuestInfo {
            name: name.into(),
            abi: if name == "proxy-wasip2" {
                "wasi-sockets".into()
            } else {
                "wasmedge-sock".into()
            },
            path: format!("target/guests/{name}.wasm"),
            sha256: format!("{:0>64}", name.len()),
            size_bytes: 1_234_567,
        },
        scenarios,
        imports,
    }
}

fn runtime(name: &str, version: &str, guests: Vec<GuestRun>) -> RuntimeReport {
    RuntimeReport {
        runtime: name.into(),
        version: Some(version.into()),
        binary: Some(format!("/opt/runtimes/bin/{name}")),
        installed: true,
        granted: vec![
            "network: 127.0.0.1 (listen and connect)".into(),
            "env: PROXY_LISTEN, PROXY_UPSTREAM".into(),
        ],
        capabilities: Vec::new(),
        guests,
    }
}

fn not_installed(name: &str) -> RuntimeReport {
    RuntimeReport {
        runtime: name.into(),
        version: None,
        binary: None,
        installed: false,
        granted: vec![],
        capabilities: Vec::new(),
        guests: vec![],
    }
}

fn report(runtimes: Vec<RuntimeReport>) -> Report {
    Report {
        schema_version: SCHEMA_VERSION,
        harness_version: "0.1.0".into(),
        generated_unix: 1_750_000_000,
        host: "ci-runner".into(),
        runtimes,
    }
}

fn wasmedge() -> RuntimeReport {
    runtime(
        "wasmedge",
        "0.14.1",
        vec![
            guest(
                "proxy-wasmedge",
                all(Outcome::Relayed),
                wasmedge_imports(&[]),
            ),
            guest(
                "proxy-wasip2",
                all(Outcome::CannotLoad {
                    detail: "component model is not supported".into(),
                }),
                vec![],
            ),
        ],
    )
}

fn wasmtime_49() -> RuntimeReport {
    let lacks: Vec<(&str, Support)> = [
        "sock_bind",
        "sock_getlocaladdr",
        "sock_listen",
        "sock_open",
        "sock_setsockopt",
    ]
    .iter()
    .map(|n| (*n, Support::Missing))
    .collect();
    let mut wasmtime = runtime(
        "wasmtime",
        "49.0.3",
        vec![
            guest(
                "proxy-wasmedge",
                all(missing(P1, "sock_setsockopt")),
                wasmedge_imports(&lacks),
            ),
            guest("proxy-wasip2", all(Outcome::Relayed), wasip2_imports()),
        ],
    );
    wasmtime.capabilities = vec![preopened_listener(
        false,
        "Error: the -Spreview2=n flag is no longer supported",
    )];
    wasmtime
}

fn preopened_listener(supported: bool, detail: &str) -> Capability {
    Capability {
        name: "wasip1-preopened-listener".into(),
        supported,
        detail: detail.into(),
    }
}

fn wasmer() -> RuntimeReport {
    let mut partial = all_but(&[
        (
            "half-close",
            failed("client never saw EOF after upstream shut down | its write half"),
        ),
        (
            "concurrent-64",
            Outcome::Timeout {
                waited_ms: 10_000,
                waiting_for: "all 64 echoes".into(),
            },
        ),
    ]);
    partial[2].stderr_excerpt = Some("<script>alert('x')</script>\nthread 'main' panicked".into());
    runtime(
        "wasmer",
        "7.4.2",
        vec![
            guest(
                "proxy-wasmedge",
                partial,
                wasmedge_imports(&[(
                    "sock_getlocaladdr",
                    Support::TypeMismatch {
                        detail: "expected (i32, i32) -> i32, found (i32, i32, i32) -> i32".into(),
                    },
                )]),
            ),
            guest(
                "proxy-wasip2",
                all(Outcome::CannotLoad {
                    detail: "not a core module".into(),
                }),
                vec![],
            ),
        ],
    )
}

/// wasmedge all relayed, wasmtime all missing-import, wasmer partial, jco not installed.
fn sample() -> Report {
    report(vec![
        wasmedge(),
        wasmtime_49(),
        wasmer(),
        not_installed("jco"),
    ])
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn golden(name: &str, actual: &str) {
    let path = fixtures().join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_GOLDEN=1 writes it)", path.display()));
    assert!(
        expected == actual,
        "{} differs from the rendering; UPDATE_GOLDEN=1 rewrites it. Rendered:\n{actual}",
        path.display()
    );
}

fn matrix_line<'a>(markdown: &'a str, guest: &str) -> &'a str {
    let start = format!("| `{guest}` |");
    markdown
        .lines()
        .find(|l| l.starts_with(&start))
        .unwrap_or_else(|| panic!("no matrix row for {guest} in\n{markdown}"))
}

// ---- Markdown ---------------------------------------------------------------------

#[test]
fn markdown_matrix_cells() {
    let md = report::markdown::render(&sample());
    assert_eq!(
        matrix_line(&md, "proxy-wasmedge"),
        "| `proxy-wasmedge` | ✅ 7/7 \
         | ❌ missing import wasi_snapshot_preview1::sock_setsockopt \
         | ⚠️ 5/7 (half-close: failed: client never saw EOF after upstream shut down \\| its write half; \
         concurrent-64: timeout after 10000 ms waiting for all 64 echoes) \
         | ➖ not installed |"
    );
    assert_eq!(
        matrix_line(&md, "proxy-wasip2"),
        "| `proxy-wasip2` | ❌ cannot load: component model is not supported | ✅ 7/7 \
         | ❌ cannot load: not a core module | ➖ not installed |"
    );
    let head = md.lines().find(|l| l.starts_with("| guest |")).unwrap();
    assert_eq!(
        head,
        "| guest | wasmedge 0.14.1 | wasmtime 49.0.3 | wasmer 7.4.2 | jco |"
    );
}

#[test]
fn cell_kinds() {
    let r = sample();
    let kinds: Vec<CellKind> = r
        .runtimes
        .iter()
        .map(|rt| report::cell(rt, "proxy-wasmedge").kind)
        .collect();
    assert_eq!(
        kinds,
        [
            CellKind::AllRelayed,
            CellKind::Failed,
            CellKind::Partial,
            CellKind::NotInstalled
        ]
    );
    // Failures that differ, none relayed: counted, not summarised as one.
    let mixed = runtime(
        "wasmtime",
        "49.0.3",
        vec![guest(
            "g",
            vec![
                scenario("echo", failed("lost 3 bytes")),
                scenario("half-close", Outcome::Exit { code: 1 }),
                scenario("server-first", Outcome::Exit { code: 1 }),
            ],
            vec![],
        )],
    );
    assert_eq!(
        report::cell(&mixed, "g").line(),
        "❌ 0/3 (echo: failed: lost 3 bytes; half-close: exited with 1; +1 more)"
    );
    assert_eq!(report::cell(&mixed, "other").line(), "▫️ not run");
}

#[test]
fn markdown_scenario_imports_and_granted_sections() {
    let md = report::markdown::render(&sample());
    assert!(md.contains(
        "| scenario | `proxy-wasmedge` | `proxy-wasip2` |\n| :-- | :-- | :-- |\n\
         | echo | ✅ relayed · 44 ms | ❌ cannot-load · 44 ms |\n"
    ));
    assert!(md.contains(
        "- wasmtime 49.0.3 lacks 5 of 8 socket imports: from `wasi_snapshot_preview1`: \
         `sock_bind`, `sock_getlocaladdr`, `sock_listen`, `sock_open`, `sock_setsockopt`.\n"
    ));
    assert!(md.contains(
        "| `wasi_snapshot_preview1::sock_getlocaladdr` | ✅ supported | ❌ missing \
         | ⚠️ type-mismatch: expected (i32, i32) -&gt; i32, found (i32, i32, i32) -&gt; i32 |\n"
    ));
    assert!(md.contains("- **jco**: not installed\n"));
    assert!(md.contains(
        "### Capabilities\n\n| capability | wasmtime 49.0.3 |\n| :-- | :-- |\n\
         | `wasip1-preopened-listener` | ❌ no: Error: the -Spreview2=n flag is no longer supported |\n"
    ));
    // stderr goes into a fenced block, as is.
    assert!(md.contains("```text\n<script>alert('x')</script>\nthread 'main' panicked\n```\n"));
}

#[test]
fn markdown_is_deterministic_and_matches_golden() {
    let md = report::markdown::render(&sample());
    assert_eq!(md, report::markdown::render(&sample()));
    golden("sample.md", &md);
}

#[test]
fn markdown_escapes_cell_text() {
    let mut r = report(vec![runtime(
        "wasmtime",
        "49.0.3",
        vec![guest("g", all(failed("a|b\nc <b>d</b>")), vec![])],
    )]);
    r.host = "h|x".into();
    let md = report::markdown::render(&r);
    assert_eq!(
        matrix_line(&md, "g"),
        "| `g` | ❌ failed: a\\|b ⏎ c &lt;b&gt;d&lt;/b&gt; |"
    );
    for line in md.lines().filter(|l| l.starts_with('|')) {
        assert!(!line.contains("<b>"), "{line}");
    }
}

// ---- HTML -------------------------------------------------------------------------

#[test]
fn html_is_one_escaped_document() {
    let html = report::html::render(&sample());
    if let Some(path) = std::env::var_os("HTML_OUT") {
        std::fs::write(path, &html).unwrap();
    }
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    assert!(html.ends_with("</html>\n"));
    assert_eq!(html.matches("<html").count(), 1);
    assert_eq!(html.matches("</body>").count(), 1);
    // The only <script> would be the report's stderr, and that is escaped.
    assert!(!html.contains("<script"));
    assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    // Nothing fetched from elsewhere.
    for needle in ["http://", "https://", "src=", "<link"] {
        assert!(!html.contains(needle), "{needle}");
    }
    // Cells are coloured by result, with the failure one click away.
    assert!(html.contains(
        "<td class=\"pass\"><div class=\"head\"><span class=\"ico\">✓</span><span>7/7 relayed</span></div>"
    ));
    assert!(html.contains(
        "<td class=\"fail\"><div class=\"head\"><span class=\"ico\">✗</span>\
         <span>missing import wasi_snapshot_preview1::<wbr>sock_setsockopt</span></div>\
         <div class=\"sub\">all 7 scenarios</div><details><summary>what happened</summary>"
    ));
    assert!(html.contains(
        "<td class=\"partial\"><div class=\"head\"><span class=\"ico\">!</span><span>5/7 relayed</span></div>\
         <ul class=\"fails\"><li><b>half-close</b> failed: client never saw EOF after upstream shut down | its write half</li>"
    ));
    assert!(html.contains(
        "<td class=\"absent\"><div class=\"head\"><span class=\"ico\">–</span><span>not installed</span></div></td>"
    ));
    assert_eq!(html, report::html::render(&sample()));
}

// ---- JSON -------------------------------------------------------------------------

#[test]
fn json_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/report.json");
    json::write(&sample(), &path).unwrap();
    assert_eq!(json::read(&path).unwrap(), sample());
}

#[test]
fn json_checked_in_v1_report_still_reads() {
    // Written by `json::write(&sample())`; a schema change must bump SCHEMA_VERSION.
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        json::write(&sample(), &fixtures().join("report-v1.json")).unwrap();
    }
    let read = json::read(&fixtures().join("report-v1.json")).unwrap();
    assert_eq!(read, sample());
}

#[test]
fn json_rejects_other_schema_versions_and_bad_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.json");
    let mut value = serde_json::to_value(sample()).unwrap();
    value["schema_version"] = 99.into();
    std::fs::write(&path, value.to_string()).unwrap();
    let error = json::read(&path).unwrap_err().to_string();
    assert_eq!(
        error,
        format!(
            "cannot read report {}: schema_version is 99, this harness reads 1 \
             (re-run the harness that wrote it, or use a matching harness)",
            path.display()
        )
    );

    std::fs::write(&path, "{ not json").unwrap();
    let error = json::read(&path).unwrap_err().to_string();
    assert!(
        error.starts_with(&format!(
            "cannot read report {}: invalid JSON: ",
            path.display()
        )),
        "{error}"
    );
    assert!(!error.contains('\n'));

    let absent = dir.path().join("absent.json");
    let error = json::read(&absent).unwrap_err().to_string();
    assert!(
        error.starts_with(&format!("cannot read report {}: ", absent.display())),
        "{error}"
    );
    assert!(!error.contains('\n'));
}

#[test]
fn merge_combines_jobs() {
    // Three CI jobs, each with one runtime installed (two wasmtime versions).
    let mut wasmtime_46 = wasmtime_49();
    wasmtime_46.version = Some("46.0.1".into());
    let job = |installed: RuntimeReport| {
        let mut runtimes = vec![
            not_installed("wasmedge"),
            not_installed("wasmtime"),
            not_installed("wasmer"),
        ];
        let slot = runtimes
            .iter()
            .position(|r| r.runtime == installed.runtime)
            .unwrap();
        runtimes[slot] = installed;
        report(runtimes)
    };
    let mut late = job(wasmtime_46.clone());
    late.generated_unix += 60;
    let merged = json::merge(&[job(wasmtime_49()), job(wasmedge()), late]);
    let columns: Vec<String> = merged.runtimes.iter().map(report::runtime_title).collect();
    assert_eq!(
        columns,
        [
            "wasmedge 0.14.1",
            "wasmtime 46.0.1",
            "wasmtime 49.0.3",
            "wasmer"
        ]
    );
    assert_eq!(merged.generated_unix, 1_750_000_000);
    assert_eq!(merged.host, "ci-runner");
    assert_eq!(merged.runtimes[1], wasmtime_46);

    // The same runtime version from two jobs: guests combined.
    let mut only_wasip2 = wasmtime_49();
    only_wasip2.guests.remove(0);
    let mut only_wasmedge = wasmtime_49();
    only_wasmedge.guests.remove(1);
    let merged = json::merge(&[report(vec![only_wasmedge]), report(vec![only_wasip2])]);
    assert_eq!(merged.runtimes, vec![wasmtime_49()]);
}

// ---- expectations -----------------------------------------------------------------

fn write_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

/// sample() minus jco, which the fixtures do not mention.
fn installed_sample() -> Report {
    report(vec![wasmedge(), wasmtime_49(), wasmer()])
}

#[test]
fn expectations_clean_match() {
    let dir = fixtures().join("expectations");
    let expected = expectations::load_dir_with(&dir, Some(&SCENARIOS)).unwrap();
    let result = expectations::check(&installed_sample(), &expected);
    assert!(result.is_clean(), "{result}");
    assert_eq!(result.cells_checked, 42);
    assert_eq!(
        result.render(),
        "42 of 42 expected cells as expected; 0 findings\n"
    );
}

#[test]
fn repository_expectations_load() {
    // The real files in tests/expectations/ must parse, with the runner's scenario names.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/expectations");
    if !dir.is_dir() {
        return;
    }
    let known = harness::scenarios::names();
    let loaded = expectations::load_dir_with(&dir, Some(&known)).unwrap();
    assert!(!loaded.files.is_empty());
}

#[test]
fn expectations_reject_typo_with_file_name() {
    let dir = write_dir(&[(
        "wasmtime.toml",
        "runtime = \"wasmtime\"\n\n[guest.proxy-wasmedge]\noutcom = \"relayed\"\n",
    )]);
    let error = expectations::load_dir(dir.path()).unwrap_err().to_string();
    let file = dir.path().join("wasmtime.toml");
    assert!(
        error.starts_with(&format!("{}:4: unknown field `outcom`", file.display())),
        "{error}"
    );
    assert!(!error.contains('\n'), "{error}");

    let dir = write_dir(&[(
        "wasmtime.toml",
        "runtime = \"wasmtime\"\n[guest.g]\noutcome = \"relayed\"\n[guest.g.scenario.echo]\noutcome = \"relayed\"\nreaso = \"x\"\n",
    )]);
    let error = expectations::load_dir(dir.path()).unwrap_err().to_string();
    assert!(
        error.contains("wasmtime.toml:6: unknown field `reaso`"),
        "{error}"
    );
}

#[test]
fn expectations_reject_failure_without_reason() {
    let dir = write_dir(&[(
        "wasmer.toml",
        "runtime = \"wasmer\"\n[guest.g]\noutcome = \"relayed\"\n\
         [guest.g.scenario.half-close]\noutcome = \"failed\"\n",
    )]);
    let error = expectations::load_dir(dir.path()).unwrap_err().to_string();
    assert_eq!(
        error,
        format!(
            "{}:5: guest g scenario half-close: expected failure failed has no `reason`",
            dir.path().join("wasmer.toml").display()
        )
    );
}

#[test]
fn expectations_reject_unknown_scenario_and_duplicate_guest() {
    let dir = write_dir(&[(
        "wasmer.toml",
        "runtime = \"wasmer\"\n[guest.g]\noutcome = \"relayed\"\n[guest.g.scenario.half-closed]\noutcome = \"relayed\"\n",
    )]);
    let error = expectations::load_dir_with(dir.path(), Some(&SCENARIOS))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("wasmer.toml:4: guest g: unknown scenario \"half-closed\""),
        "{error}"
    );
    // Without the list, the name is accepted.
    assert!(expectations::load_dir(dir.path()).is_ok());

    let dir = write_dir(&[
        (
            "a.toml",
            "runtime = \"wasmer\"\n[guest.g]\noutcome = \"relayed\"\n",
        ),
        (
            "b.toml",
            "runtime = \"wasmer\"\n[guest.g]\noutcome = \"relayed\"\n",
        ),
    ]);
    let error = expectations::load_dir(dir.path()).unwrap_err().to_string();
    assert!(
        error.contains("b.toml: guest g of runtime wasmer is already in"),
        "{error}"
    );
}

#[test]
fn expectations_detect_unexpected_pass_and_mismatch() {
    let dir = write_dir(&[(
        "wasmtime.toml",
        r#"runtime = "wasmtime"
[guest.proxy-wasmedge]
outcome = "missing-import"
import = "wasi_snapshot_preview1::sock_open"
reason = "no WasmEdge sockets"
[guest.proxy-wasip2]
outcome = "missing-import"
reason = "pretend"
[guest.proxy-wasip2.scenario.echo]
outcome = "relayed"
"#,
    )]);
    let expected = expectations::load_dir(dir.path()).unwrap();
    let result = expectations::check(&report(vec![wasmtime_49()]), &expected);
    assert!(!result.is_clean());
    let lines: Vec<String> = result.findings.iter().map(|f| f.to_string()).collect();
    assert_eq!(lines.len(), 13, "{lines:#?}");
    assert_eq!(
        lines[0],
        "wasmtime 49.0.3 / proxy-wasmedge / echo: expected missing-import \
         wasi_snapshot_preview1::sock_open, got missing import wasi_snapshot_preview1::sock_setsockopt"
    );
    assert_eq!(
        lines[7],
        "wasmtime 49.0.3 / proxy-wasip2 / bulk-duplex-16mib: expected missing-import, got relayed (unexpected pass)"
    );
    assert!(matches!(
        result.findings[7].kind,
        FindingKind::UnexpectedPass { .. }
    ));
    assert_eq!(result.cells_checked, 14);
    assert_eq!(result.cells_as_expected, 1);
    assert!(result
        .render()
        .ends_with("1 of 14 expected cells as expected; 13 findings\n"));
}

#[test]
fn expectations_report_absent_runtimes_and_cells_without_expectation() {
    let dir = write_dir(&[
        (
            "jco.toml",
            "runtime = \"jco\"\n[guest.proxy-wasip2]\noutcome = \"relayed\"\n",
        ),
        (
            "wasmedge.toml",
            "runtime = \"wasmedge\"\n[guest.proxy-wasmedge]\noutcome = \"relayed\"\n\
             [guest.proxy-wasix]\noutcome = \"relayed\"\n",
        ),
    ]);
    let expected = expectations::load_dir(dir.path()).unwrap();
    let r = report(vec![wasmedge(), not_installed("jco")]);
    let result = expectations::check(&r, &expected);
    let lines: Vec<String> = result.findings.iter().map(|f| f.to_string()).collect();
    assert_eq!(
        lines,
        [
            "wasmedge 0.14.1 / proxy-wasip2 / echo: no expectation, got cannot load: component model is not supported",
            "wasmedge 0.14.1 / proxy-wasip2 / bulk-duplex-16mib: no expectation, got cannot load: component model is not supported",
            "wasmedge 0.14.1 / proxy-wasip2 / half-close: no expectation, got cannot load: component model is not supported",
            "wasmedge 0.14.1 / proxy-wasip2 / concurrent-64: no expectation, got cannot load: component model is not supported",
            "wasmedge 0.14.1 / proxy-wasip2 / localhost-name: no expectation, got cannot load: component model is not supported",
            "wasmedge 0.14.1 / proxy-wasip2 / server-first: no expectation, got cannot load: component model is not supported",
            "wasmedge 0.14.1 / proxy-wasip2 / upstream-refused: no expectation, got cannot load: component model is not supported",
            "wasmedge 0.14.1 / proxy-wasix: expected relayed, but the report has no result",
            &format!(
                "jco: not installed, but expectations exist for it ({})",
                dir.path().join("jco.toml").display()
            ),
        ]
    );
    assert!(!result.is_clean_allowing_absent());
    // Only absences left once the wasip2 cells are expected.
    let r = report(vec![
        runtime("wasmedge", "0.14.1", vec![wasmedge().guests.remove(0)]),
        not_installed("jco"),
    ]);
    let result = expectations::check(&r, &expected);
    assert!(result.is_clean_allowing_absent(), "{result}");
    assert!(!result.is_clean());
    // A runtime the report does not mention at all.
    let result = expectations::check(&report(vec![]), &expected);
    assert_eq!(
        result.findings[0].to_string(),
        format!(
            "jco: not in the report, but expectations exist for it ({})",
            dir.path().join("jco.toml").display()
        )
    );
}

// ---- diff -------------------------------------------------------------------------

#[test]
fn diff_identical_reports_have_no_differences() {
    let d = diff::compare(&sample(), &sample());
    assert!(d.is_empty());
    assert!(!d.has_regression());
    assert_eq!(
        d.render_markdown(),
        "## Diff: wasmedge 0.14.1, wasmtime 49.0.3, wasmer 7.4.2, jco → \
         wasmedge 0.14.1, wasmtime 49.0.3, wasmer 7.4.2, jco\n\n\
         No differences: same outcomes, same imports, same runtimes, guests and scenarios.\n"
    );
}

#[test]
fn diff_detects_regression_and_fix() {
    let old = sample();
    let mut new = sample();
    // wasmedge echo breaks; wasmer half-close gets fixed.
    new.runtimes[0].guests[0].scenarios[0].outcome = failed("lost 3 bytes");
    new.runtimes[2].guests[0].scenarios[2].outcome = Outcome::Relayed;
    let d = diff::compare(&old, &new);
    assert!(d.has_regression());
    let lines: Vec<String> = d.changes.iter().map(|c| c.to_string()).collect();
    assert_eq!(
        lines,
        [
            "wasmedge 0.14.1 / proxy-wasmedge / echo: relayed → failed: lost 3 bytes",
            "wasmer 7.4.2 / proxy-wasmedge / half-close: failed: client never saw EOF after upstream shut down | its write half → relayed",
        ]
    );
    assert!(matches!(d.changes[1].kind, ChangeKind::Fixed { .. }));

    // Only the fix: no regression.
    let mut fixed_only = sample();
    fixed_only.runtimes[2].guests[0].scenarios[2].outcome = Outcome::Relayed;
    let d = diff::compare(&old, &fixed_only);
    assert!(!d.has_regression());
    assert_eq!(d.changes.len(), 1);
    assert!(d.render_markdown().contains("### Fixed (failed before, relays now)\n\n- wasmer 7.4.2 / proxy-wasmedge / half-close: failed: client never saw EOF after upstream shut down \\| its write half → relayed\n"));
}

#[test]
fn diff_across_versions_of_one_runtime() {
    // wasmtime 46 ran the WasmEdge-ABI guest; 49 no longer provides the sockets.
    let mut wasmtime_46 = runtime(
        "wasmtime",
        "46.0.1",
        vec![guest(
            "proxy-wasmedge",
            all(Outcome::Relayed),
            wasmedge_imports(&[]),
        )],
    );
    wasmtime_46.capabilities = vec![preopened_listener(true, "echoed on fd 3")];
    wasmtime_46.guests[0].scenarios[2].outcome = Outcome::Timeout {
        waited_ms: 5000,
        waiting_for: "EOF".into(),
    };
    let mut wasmtime_49 = wasmtime_49();
    wasmtime_49.guests.truncate(1);
    let d = diff::compare(&report(vec![wasmtime_46]), &report(vec![wasmtime_49]));
    assert!(d.has_regression());
    assert_eq!(
        d.render_markdown(),
        "## Diff: wasmtime 46.0.1 → wasmtime 49.0.3\n\n\
**Regression.** regressed: 6 · imports lost: 5 · capabilities lost: 1 · changed failure: 1\n\n\
### Regressed (relayed before, fails now)\n\n\
- wasmtime 46.0.1 → 49.0.3 / proxy-wasmedge / echo: relayed → missing import wasi_snapshot_preview1::sock_setsockopt\n\
- wasmtime 46.0.1 → 49.0.3 / proxy-wasmedge / bulk-duplex-16mib: relayed → missing import wasi_snapshot_preview1::sock_setsockopt\n\
- wasmtime 46.0.1 → 49.0.3 / proxy-wasmedge / concurrent-64: relayed → missing import wasi_snapshot_preview1::sock_setsockopt\n\
- wasmtime 46.0.1 → 49.0.3 / proxy-wasmedge / localhost-name: relayed → missing import wasi_snapshot_preview1::sock_setsockopt\n\
- wasmtime 46.0.1 → 49.0.3 / proxy-wasmedge / server-first: relayed → missing import wasi_snapshot_preview1::sock_setsockopt\n\
- wasmtime 46.0.1 → 49.0.3 / proxy-wasmedge / upstream-refused: relayed → missing import wasi_snapshot_preview1::sock_setsockopt\n\n\
### Imports lost\n\n\
- wasmtime 46.0.1 → 49.0.3 / proxy-wasmedge / wasi_snapshot_preview1::sock_bind: supported → missing\n\
- wasmtime 46.0.1 → 49.0.3 / proxy-wasmedge / wasi_snapshot_preview1::sock_getlocaladdr: supported → missing\n\
- wasmtime 46.0.1 → 49.0.3 / proxy-wasmedge / wasi_snapshot_preview1::sock_listen: supported → missing\n\
- wasmtime 46.0.1 → 49.0.3 / proxy-wasmedge / wasi_snapshot_preview1::sock_open: supported → missing\n\
- wasmtime 46.0.1 → 49.0.3 / proxy-wasmedge / wasi_snapshot_preview1::sock_setsockopt: supported → missing\n\n\
### Capabilities lost\n\n\
- wasmtime 46.0.1 → 49.0.3 / wasip1-preopened-listener: capability lost (Error: the -Spreview2=n flag is no longer supported)\n\n\
### Changed failure\n\n\
- wasmtime 46.0.1 → 49.0.3 / proxy-wasmedge / half-close: timeout after 5000 ms waiting for EOF → missing import wasi_snapshot_preview1::sock_setsockopt\n\n"
    );
}

#[test]
fn diff_pairs_by_version_first_in_multi_version_reports() {
    let mut w46 = wasmtime_49();
    w46.version = Some("46.0.1".into());
    w46.guests[0].scenarios = all(Outcome::Relayed);
    let old = report(vec![w46.clone(), wasmtime_49()]);
    // Same two versions, listed the other way round: still paired by version.
    let new = report(vec![wasmtime_49(), w46]);
    assert!(diff::compare(&old, &new).is_empty());

    // A runtime appears, a guest disappears.
    let mut fewer = wasmtime_49();
    fewer.guests.truncate(1);
    let d = diff::compare(
        &report(vec![wasmtime_49()]),
        &report(vec![fewer, wasmedge()]),
    );
    let lines: Vec<String> = d.changes.iter().map(|c| c.to_string()).collect();
    assert_eq!(
        lines,
        [
            "wasmtime 49.0.3 / proxy-wasip2: guest removed",
            "wasmedge 0.14.1: runtime added",
        ]
    );
    assert!(!d.has_regression());
}
