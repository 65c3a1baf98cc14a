//! Expected outcomes per runtime × guest × scenario, in `tests/expectations/*.toml`,
//! and the check of a report against them (like WebAssembly/wasi-testsuite's
//! expectation files: every expected failure carries its reason).
//!
//! ```toml
//! runtime = "wasmtime"                 # adapter name; one or more files per runtime
//!
//! [guest.proxy-wasmedge]               # one entry for every version of the runtime
//! outcome = "missing-import"           # default for every scenario of this guest
//! import = "wasi_snapshot_preview1::sock_setsockopt"   # optional, missing-import /
//!                                      # import-type-mismatch only: which import
//! reason = "wasmtime has no WasmEdge sock_* functions"  # required unless relayed
//!
//! [guest.proxy-wasmedge.scenario.half-close]           # optional per-scenario override
//! outcome = "failed"
//! reason = "..."                       # required again: the guest's reason is not inherited
//! ```
//!
//! Entries limited to runtime versions use an array of tables; the first entry whose
//! `versions` (a semver requirement, `">=47"`, `"<47"`, `"=46.0.1"`, `">=46, <49"`)
//! matches `RuntimeReport.version` applies, an entry without `versions` matches any:
//!
//! ```toml
//! [[guest.proxy-wasmedge]]
//! versions = "<47"
//! outcome = "relayed"
//!
//! [[guest.proxy-wasmedge]]
//! versions = ">=47"
//! outcome = "missing-import"
//! reason = "wasip1 modules get no sockets since wasmtime 47"
//! ```
//!
//! Outcome labels are [`Outcome::label`] values; `not-installed` cannot be expected
//! (a missing runtime is reported as its own finding, the caller decides about it).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::anyhow;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use toml::Spanned;

use crate::model::{Outcome, Report, RuntimeReport};

/// Every label an expectation may name, in [`Outcome`]'s order.
pub const EXPECTABLE: &[&str] = &[
    "relayed",
    "missing-import",
    "import-type-mismatch",
    "cannot-load",
    "trap",
    "exit",
    "signal",
    "timeout",
    "failed",
];

/// All expectation files of a directory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expectations {
    /// One per file, ordered by file name.
    pub files: Vec<RuntimeExpectations>,
}

/// One file: what is expected of one runtime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeExpectations {
    pub runtime: String,
    pub file: PathBuf,
    /// Guest name → entries, first match wins.
    pub guests: BTreeMap<String, Vec<Entry>>,
}

/// What is expected of one guest under the runtime versions `versions` admits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// `None` matches every version.
    pub versions: Option<semver::VersionReq>,
    /// For every scenario without an override.
    pub default: Expected,
    /// Scenario name → override.
    pub scenarios: BTreeMap<String, Expected>,
}

/// One expected outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    /// An [`Outcome::label`] value from [`EXPECTABLE`].
    pub outcome: String,
    /// `(module, name)`, only for `missing-import` and `import-type-mismatch`.
    pub import: Option<(String, String)>,
    /// Why this failure is expected; always set unless `outcome` is `relayed`.
    pub reason: Option<String>,
}

impl Expected {
    /// Whether `got` is what this expects: same label and, when given, same import.
    pub fn matches(&self, got: &Outcome) -> bool {
        if got.label() != self.outcome {
            return false;
        }
        match (&self.import, got) {
            (None, _) => true,
            (Some((m, n)), Outcome::MissingImport { module, name, .. })
            | (Some((m, n)), Outcome::ImportTypeMismatch { module, name, .. }) => {
                m == module && n == name
            }
            (Some(_), _) => false,
        }
    }
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.outcome)?;
        if let Some((module, name)) = &self.import {
            write!(f, " {module}::{name}")?;
        }
        Ok(())
    }
}

impl Expectations {
    /// Whether any file speaks about `runtime`.
    pub fn has_runtime(&self, runtime: &str) -> bool {
        self.files.iter().any(|f| f.runtime == runtime)
    }

    /// The entry that applies to `guest` under `runtime` at `version`, if any.
    pub fn entry(&self, runtime: &str, version: Option<&str>, guest: &str) -> Option<&Entry> {
        self.files
            .iter()
            .filter(|f| f.runtime == runtime)
            .filter_map(|f| f.guests.get(guest))
            .flatten()
            .find(|entry| version_matches(entry.versions.as_ref(), version))
    }

    /// What is expected of one cell, if anything.
    pub fn expected(
        &self,
        runtime: &str,
        version: Option<&str>,
        guest: &str,
        scenario: &str,
    ) -> Option<&Expected> {
        self.entry(runtime, version, guest)
            .map(|entry| entry.scenarios.get(scenario).unwrap_or(&entry.default))
    }

    fn files_for(&self, runtime: &str) -> Vec<&Path> {
        self.files
            .iter()
            .filter(|f| f.runtime == runtime)
            .map(|f| f.file.as_path())
            .collect()
    }
}

fn version_matches(req: Option<&semver::VersionReq>, version: Option<&str>) -> bool {
    match req {
        None => true,
        Some(req) => version
            .and_then(lenient_version)
            .is_some_and(|v| req.matches(&v)),
    }
}

/// Parses `49.0.3`, `v0.14.1`, `46.0` or `7` as a semver version (missing parts are 0).
pub fn lenient_version(text: &str) -> Option<semver::Version> {
    let text = text.trim().trim_start_matches('v');
    if let Ok(version) = semver::Version::parse(text) {
        return Some(version);
    }
    let numbers: Vec<u64> = text
        .split('.')
        .map_while(|part| {
            let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
        .take(3)
        .collect();
    match numbers.as_slice() {
        [] => None,
        [major] => Some(semver::Version::new(*major, 0, 0)),
        [major, minor] => Some(semver::Version::new(*major, *minor, 0)),
        [major, minor, patch, ..] => Some(semver::Version::new(*major, *minor, *patch)),
    }
}

/// Reads every `*.toml` in `dir` (file name order). See [`load_dir_with`].
pub fn load_dir(dir: &Path) -> anyhow::Result<Expectations> {
    load_dir_with(dir, None)
}

/// Reads every `*.toml` in `dir`; when `known_scenarios` is given, a scenario name
/// outside it is an error. Every error is one line naming the file (and line).
pub fn load_dir_with(dir: &Path, known_scenarios: Option<&[&str]>) -> anyhow::Result<Expectations> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| anyhow!("cannot read expectations directory {}: {e}", dir.display()))?;
    let mut paths = Vec::new();
    for entry in entries {
        let entry = entry
            .map_err(|e| anyhow!("cannot read expectations directory {}: {e}", dir.display()))?;
        let path = entry.path();
        if path.extension().is_some_and(|ext| ext == "toml") {
            paths.push(path);
        }
    }
    paths.sort();
    let mut expectations = Expectations::default();
    for path in paths {
        let file = load_file(&path, known_scenarios)?;
        for other in expectations
            .files
            .iter()
            .filter(|f| f.runtime == file.runtime)
        {
            if let Some(guest) = other.guests.keys().find(|g| file.guests.contains_key(*g)) {
                return Err(anyhow!(
                    "{}: guest {guest} of runtime {} is already in {}",
                    path.display(),
                    file.runtime,
                    other.file.display()
                ));
            }
        }
        expectations.files.push(file);
    }
    Ok(expectations)
}

/// Reads one expectations file.
pub fn load_file(
    path: &Path,
    known_scenarios: Option<&[&str]>,
) -> anyhow::Result<RuntimeExpectations> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow!("cannot read expectations file {}: {e}", path.display()))?;
    parse(&text, path, known_scenarios)
}

/// Parses the text of one expectations file; `path` is only used in messages.
pub fn parse(
    text: &str,
    path: &Path,
    known_scenarios: Option<&[&str]>,
) -> anyhow::Result<RuntimeExpectations> {
    let at = |span: Option<std::ops::Range<usize>>, message: &str| {
        // Names from the file (quoted TOML keys) may hold any control character; a
        // stray \r would overwrite the line on a terminal.
        let message = message.trim().replace(char::is_control, " ");
        match span {
            Some(span) => {
                let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
                anyhow!("{}:{line}: {message}", path.display())
            }
            None => anyhow!("{}: {message}", path.display()),
        }
    };
    let file: FileToml = toml::from_str(text).map_err(|e| at(e.span(), e.message()))?;
    let runtime = file.runtime.into_inner();
    if runtime.trim().is_empty() {
        return Err(at(None, "`runtime` is empty"));
    }
    let mut guests = BTreeMap::new();
    for (guest, entries) in file.guest {
        let mut converted = Vec::new();
        for entry in entries.0 {
            let versions = match entry.versions {
                None => None,
                Some(v) => Some(semver::VersionReq::parse(v.get_ref()).map_err(|e| {
                    at(
                        Some(v.span()),
                        &format!("guest {guest}: bad `versions` {:?}: {e}", v.get_ref()),
                    )
                })?),
            };
            let what = format!("guest {guest}");
            let default = expected(&what, entry.outcome, entry.import, entry.reason, &at)?;
            let mut scenarios = BTreeMap::new();
            for (scenario, over) in entry.scenario {
                if let Some(known) = known_scenarios {
                    if !known.contains(&scenario.get_ref().as_str()) {
                        return Err(at(
                            Some(scenario.span()),
                            &format!(
                                "guest {guest}: unknown scenario {:?} (known: {})",
                                scenario.get_ref(),
                                known.join(", ")
                            ),
                        ));
                    }
                }
                let what = format!("guest {guest} scenario {}", scenario.get_ref());
                let e = expected(&what, over.outcome, over.import, over.reason, &at)?;
                scenarios.insert(scenario.into_inner(), e);
            }
            converted.push(Entry {
                versions,
                default,
                scenarios,
            });
        }
        guests.insert(guest, converted);
    }
    Ok(RuntimeExpectations {
        runtime,
        file: path.to_path_buf(),
        guests,
    })
}

fn expected(
    what: &str,
    outcome: Spanned<String>,
    import: Option<Spanned<String>>,
    reason: Option<String>,
    at: &dyn Fn(Option<std::ops::Range<usize>>, &str) -> anyhow::Error,
) -> anyhow::Result<Expected> {
    let label = outcome.get_ref().as_str();
    if label == "not-installed" {
        return Err(at(
            Some(outcome.span()),
            &format!("{what}: `not-installed` cannot be expected (a runtime that is not installed is reported on its own)"),
        ));
    }
    if !EXPECTABLE.contains(&label) {
        return Err(at(
            Some(outcome.span()),
            &format!(
                "{what}: unknown outcome {label:?} (one of {})",
                EXPECTABLE.join(", ")
            ),
        ));
    }
    let import = match import {
        None => None,
        Some(import) => {
            if label != "missing-import" && label != "import-type-mismatch" {
                return Err(at(
                    Some(import.span()),
                    &format!("{what}: `import` only goes with missing-import or import-type-mismatch, not {label}"),
                ));
            }
            match import.get_ref().split_once("::") {
                Some((module, name)) if !module.is_empty() && !name.is_empty() => {
                    Some((module.to_string(), name.to_string()))
                }
                _ => {
                    return Err(at(
                        Some(import.span()),
                        &format!(
                            "{what}: `import` must be \"module::name\", not {:?}",
                            import.get_ref()
                        ),
                    ))
                }
            }
        }
    };
    let reason = reason.filter(|r| !r.trim().is_empty());
    if label != "relayed" && reason.is_none() {
        return Err(at(
            Some(outcome.span()),
            &format!("{what}: expected failure {label} has no `reason`"),
        ));
    }
    Ok(Expected {
        outcome: label.to_string(),
        import,
        reason,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileToml {
    runtime: Spanned<String>,
    #[serde(default)]
    guest: BTreeMap<String, OneOrMany>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryToml {
    versions: Option<Spanned<String>>,
    outcome: Spanned<String>,
    import: Option<Spanned<String>>,
    reason: Option<String>,
    #[serde(default)]
    scenario: BTreeMap<Spanned<String>, ScenarioToml>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioToml {
    outcome: Spanned<String>,
    import: Option<Spanned<String>>,
    reason: Option<String>,
}

/// `[guest.X]` (one entry) or `[[guest.X]]` (several, first match wins).
struct OneOrMany(Vec<EntryToml>);

impl<'de> Deserialize<'de> for OneOrMany {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = OneOrMany;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a table [guest.NAME] or an array of tables [[guest.NAME]]")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<OneOrMany, A::Error> {
                let entry = EntryToml::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(OneOrMany(vec![entry]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<OneOrMany, A::Error> {
                let entries =
                    Vec::<EntryToml>::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
                Ok(OneOrMany(entries))
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// The outcome of comparing a report with expectations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckResult {
    pub findings: Vec<Finding>,
    /// Cells (runtime × guest × scenario) that had an expectation.
    pub cells_checked: usize,
    /// Of those, the ones that matched.
    pub cells_as_expected: usize,
}

/// One thing that differs from the expectations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub runtime: String,
    pub version: Option<String>,
    pub guest: Option<String>,
    pub scenario: Option<String>,
    pub kind: FindingKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FindingKind {
    /// Another failure than expected, or a failure where a pass was expected.
    Mismatch { expected: Expected, got: Outcome },
    /// Relayed, though a failure was expected: fix the expectation (or the harness).
    UnexpectedPass { expected: Expected },
    /// A cell of the report that no expectation covers.
    NoExpectation { got: Outcome },
    /// The runtime is in the report as not installed, but expectations exist for it.
    NotInstalled { files: Vec<PathBuf> },
    /// Expectations exist for a runtime the report does not mention at all.
    RuntimeNotInReport { files: Vec<PathBuf> },
    /// An expectation names a guest (or scenario) the report has no result for.
    NotRun { expected: Expected },
}

impl FindingKind {
    /// Findings about something absent from the report rather than a wrong result:
    /// whether they count is the caller's decision.
    pub fn is_absence(&self) -> bool {
        matches!(
            self,
            FindingKind::NotInstalled { .. }
                | FindingKind::RuntimeNotInReport { .. }
                | FindingKind::NotRun { .. }
        )
    }
}

impl CheckResult {
    /// No finding at all.
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty()
    }

    /// Clean apart from runtimes, guests or scenarios that are absent from the report.
    pub fn is_clean_allowing_absent(&self) -> bool {
        self.findings.iter().all(|f| f.kind.is_absence())
    }

    /// One line per finding, then a count.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for finding in &self.findings {
            out.push_str(&finding.to_string());
            out.push('\n');
        }
        let absent = self.findings.iter().filter(|f| f.kind.is_absence()).count();
        out.push_str(&format!(
            "{} of {} expected cells as expected; {} finding{}{}\n",
            self.cells_as_expected,
            self.cells_checked,
            self.findings.len(),
            if self.findings.len() == 1 { "" } else { "s" },
            if absent > 0 {
                format!(" ({absent} about absent runtimes, guests or scenarios)")
            } else {
                String::new()
            }
        ));
        out
    }
}

impl fmt::Display for CheckResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.version {
            Some(version) => write!(f, "{} {version}", self.runtime)?,
            None => f.write_str(&self.runtime)?,
        }
        if let Some(guest) = &self.guest {
            write!(f, " / {guest}")?;
        }
        if let Some(scenario) = &self.scenario {
            write!(f, " / {scenario}")?;
        }
        let files = |files: &[PathBuf]| {
            files
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        match &self.kind {
            FindingKind::Mismatch { expected, got } => {
                write!(f, ": expected {expected}, got {}", one_line(got))
            }
            FindingKind::UnexpectedPass { expected } => {
                write!(f, ": expected {expected}, got relayed (unexpected pass)")
            }
            FindingKind::NoExpectation { got } => {
                write!(f, ": no expectation, got {}", one_line(got))
            }
            FindingKind::NotInstalled { files: paths } => write!(
                f,
                ": not installed, but expectations exist for it ({})",
                files(paths)
            ),
            FindingKind::RuntimeNotInReport { files: paths } => write!(
                f,
                ": not in the report, but expectations exist for it ({})",
                files(paths)
            ),
            FindingKind::NotRun { expected } => {
                write!(f, ": expected {expected}, but the report has no result")
            }
        }
    }
}

fn one_line(outcome: &Outcome) -> String {
    crate::report::truncate(&outcome.summary(), 300)
}

/// Compares every cell of `report` with `expectations`.
pub fn check(report: &Report, expectations: &Expectations) -> CheckResult {
    let mut result = CheckResult::default();
    let mut runtime_names: Vec<&str> = Vec::new();
    for file in &expectations.files {
        if !runtime_names.contains(&file.runtime.as_str()) {
            runtime_names.push(&file.runtime);
        }
    }
    for runtime in &report.runtimes {
        check_runtime(runtime, expectations, &mut result);
    }
    for name in runtime_names {
        if !report.runtimes.iter().any(|r| r.runtime == name) {
            result.findings.push(Finding {
                runtime: name.to_string(),
                version: None,
                guest: None,
                scenario: None,
                kind: FindingKind::RuntimeNotInReport {
                    files: expectations
                        .files_for(name)
                        .into_iter()
                        .map(Path::to_path_buf)
                        .collect(),
                },
            });
        }
    }
    result
}

fn check_runtime(runtime: &RuntimeReport, expectations: &Expectations, result: &mut CheckResult) {
    let name = runtime.runtime.as_str();
    let version = runtime.version.as_deref();
    let finding = |guest: Option<&str>, scenario: Option<&str>, kind| Finding {
        runtime: name.to_string(),
        version: runtime.version.clone(),
        guest: guest.map(str::to_string),
        scenario: scenario.map(str::to_string),
        kind,
    };
    if !runtime.installed {
        if expectations.has_runtime(name) {
            let files = expectations.files_for(name);
            result.findings.push(finding(
                None,
                None,
                FindingKind::NotInstalled {
                    files: files.into_iter().map(Path::to_path_buf).collect(),
                },
            ));
        }
        return;
    }
    for run in &runtime.guests {
        let guest = run.guest.name.as_str();
        let entry = expectations.entry(name, version, guest);
        for scenario in &run.scenarios {
            let got = &scenario.outcome;
            let Some(entry) = entry else {
                result.findings.push(finding(
                    Some(guest),
                    Some(&scenario.scenario),
                    FindingKind::NoExpectation { got: got.clone() },
                ));
                continue;
            };
            let expected = entry
                .scenarios
                .get(&scenario.scenario)
                .unwrap_or(&entry.default);
            result.cells_checked += 1;
            if expected.matches(got) {
                result.cells_as_expected += 1;
                continue;
            }
            let kind = if got.is_pass() {
                FindingKind::UnexpectedPass {
                    expected: expected.clone(),
                }
            } else {
                FindingKind::Mismatch {
                    expected: expected.clone(),
                    got: got.clone(),
                }
            };
            result
                .findings
                .push(finding(Some(guest), Some(&scenario.scenario), kind));
        }
        if let Some(entry) = entry {
            for (scenario, expected) in &entry.scenarios {
                if !run.scenarios.iter().any(|r| &r.scenario == scenario) {
                    result.findings.push(finding(
                        Some(guest),
                        Some(scenario),
                        FindingKind::NotRun {
                            expected: expected.clone(),
                        },
                    ));
                }
            }
        }
    }
    // Guests the expectations name (for this version) that the runtime did not run.
    let mut expected_guests: Vec<&str> = Vec::new();
    for file in expectations.files.iter().filter(|f| f.runtime == name) {
        expected_guests.extend(file.guests.keys().map(String::as_str));
    }
    for guest in expected_guests {
        if runtime.guests.iter().any(|g| g.guest.name == guest) {
            continue;
        }
        if let Some(entry) = expectations.entry(name, version, guest) {
            result.findings.push(finding(
                Some(guest),
                None,
                FindingKind::NotRun {
                    expected: entry.default.clone(),
                },
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> anyhow::Result<RuntimeExpectations> {
        parse(text, Path::new("x.toml"), Some(&["echo", "half-close"]))
    }

    #[test]
    fn versions_pick_the_first_matching_entry() {
        let file = parse_str(
            r#"
runtime = "wasmtime"
[[guest.g]]
versions = "<47"
outcome = "relayed"
[[guest.g]]
versions = ">=47"
outcome = "missing-import"
reason = "no sockets for wasip1"
[guest.g.scenario.echo]
outcome = "timeout"
reason = "r"
"#,
        )
        .unwrap();
        let all = Expectations { files: vec![file] };
        let at = |v| {
            all.expected("wasmtime", Some(v), "g", "half-close")
                .unwrap()
        };
        assert_eq!(at("46.0.1").outcome, "relayed");
        assert_eq!(at("49.0.3").outcome, "missing-import");
        let echo = all
            .expected("wasmtime", Some("49.0.3"), "g", "echo")
            .unwrap();
        assert_eq!(echo.outcome, "timeout");
        let echo46 = all
            .expected("wasmtime", Some("46.0.1"), "g", "echo")
            .unwrap();
        assert_eq!(echo46.outcome, "relayed");
        assert!(all.expected("wasmtime", None, "g", "echo").is_none());
    }

    #[test]
    fn errors_are_one_line_with_file_and_line() {
        let e = parse_str("runtime = \"w\"\n[guest.g]\noutcome = \"relay\"\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "x.toml:3: guest g: unknown outcome \"relay\" (one of relayed, missing-import, \
             import-type-mismatch, cannot-load, trap, exit, signal, timeout, failed)"
        );
        let e = parse_str("runtime = \"w\"\n[guest.g]\noutcome = \"relayed\"\n[guest.g.scenario.echoo]\noutcome = \"relayed\"\n")
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "x.toml:4: guest g: unknown scenario \"echoo\" (known: echo, half-close)"
        );
        let e = parse_str(
            "runtime = \"w\"\n[guest.g]\noutcome = \"trap\"\nreason = \"r\"\nimport = \"m::n\"\n",
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("x.toml:5: guest g: `import` only goes"),
            "{e}"
        );
        let e =
            parse_str("runtime = \"w\"\n[guest.g]\nversions = \"banana\"\noutcome = \"relayed\"\n")
                .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("x.toml:3: guest g: bad `versions`"),
            "{e}"
        );
        let e = parse_str("runtime = \"w\"\n[guest.g]\noutcome = \"not-installed\"\n").unwrap_err();
        assert!(e.to_string().contains("cannot be expected"), "{e}");
    }

    #[test]
    fn lenient_versions() {
        assert_eq!(
            lenient_version("49.0.3"),
            Some(semver::Version::new(49, 0, 3))
        );
        assert_eq!(
            lenient_version("v0.14"),
            Some(semver::Version::new(0, 14, 0))
        );
        assert_eq!(lenient_version("7.4.2 (abc)").map(|v| v.major), Some(7));
        assert_eq!(lenient_version("dev"), None);
    }
}
