//! What changed between two reports, cell by cell: e.g. yesterday's run against
//! today's, or wasmtime 46 against wasmtime 49 (`harness diff wasmtime-46.json
//! wasmtime-49.json`).
//!
//! Runtimes are paired by (name, version) first, then the remaining ones by name, so
//! two single-runtime reports of different versions compare with each other. Guests
//! and scenarios are paired by name, imports by (module, name), capabilities by name.
//!
//! Two failures count as *changed* when their label differs, or for import failures the
//! import, or for exits and signals the number; a different free-text detail alone
//! (trap message, timeout, `failed: ...`) is not a change, since it varies between runs.

use std::fmt::{self, Write as _};

use crate::model::{GuestRun, Outcome, Report, RuntimeReport, Support};
use crate::report::{runtime_title, support_of, union_of_imports};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diff {
    pub changes: Vec<Change>,
    /// `wasmtime 46.0.1, wasmedge 0.14.1` — the runtimes of each side, for the title.
    pub old_title: String,
    pub new_title: String,
}

/// Where a change is: a runtime pair, and optionally a guest and a scenario or import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub runtime: String,
    pub old_version: Option<String>,
    pub new_version: Option<String>,
    pub guest: Option<String>,
    /// Scenario name, or `module::name` for import changes.
    pub item: Option<String>,
    pub kind: ChangeKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeKind {
    /// Failed before, relays now.
    Fixed {
        old: Outcome,
    },
    /// Relayed before, fails now.
    Regressed {
        new: Outcome,
    },
    /// Failed before and fails now, differently.
    Changed {
        old: Outcome,
        new: Outcome,
    },
    /// The runtime provides an import it did not provide before.
    ImportSupported {
        old: Support,
    },
    /// The runtime no longer provides an import it provided before.
    ImportLost {
        new: Support,
    },
    /// The runtime has a capability (e.g. `wasip1-preopened-listener`) it lacked before.
    CapabilityGained,
    /// The runtime lost a capability; `detail` is what the probe saw now.
    CapabilityLost {
        detail: String,
    },
    RuntimeAdded,
    RuntimeRemoved,
    /// Not installed before, installed now (its cells are then all new).
    RuntimeInstalled,
    /// Installed before, not installed now.
    RuntimeUninstalled,
    GuestAdded,
    GuestRemoved,
    /// The guest's binary has another hash.
    GuestRebuilt {
        old_sha256: String,
        new_sha256: String,
    },
    ScenarioAdded {
        new: Outcome,
    },
    ScenarioRemoved {
        old: Outcome,
    },
}

impl ChangeKind {
    /// Regressions: a scenario that relayed and no longer does, an import or a
    /// capability that is gone.
    pub fn is_regression(&self) -> bool {
        matches!(
            self,
            ChangeKind::Regressed { .. }
                | ChangeKind::ImportLost { .. }
                | ChangeKind::CapabilityLost { .. }
        )
    }
}

impl Diff {
    pub fn has_regression(&self) -> bool {
        self.changes.iter().any(|c| c.kind.is_regression())
    }

    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// Markdown for a person: a title, then the changes grouped, regressions first.
    pub fn render_markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "## Diff: {} → {}\n",
            md(&self.old_title),
            md(&self.new_title)
        );
        if self.changes.is_empty() {
            out.push_str("No differences: same outcomes, same imports, same runtimes, guests and scenarios.\n");
            return out;
        }
        type Pick = fn(&ChangeKind) -> bool;
        let sections: [(&str, Pick); 9] = [
            ("Regressed (relayed before, fails now)", |k| {
                matches!(k, ChangeKind::Regressed { .. })
            }),
            ("Imports lost", |k| {
                matches!(k, ChangeKind::ImportLost { .. })
            }),
            ("Capabilities lost", |k| {
                matches!(k, ChangeKind::CapabilityLost { .. })
            }),
            ("Changed failure", |k| {
                matches!(k, ChangeKind::Changed { .. })
            }),
            ("Fixed (failed before, relays now)", |k| {
                matches!(k, ChangeKind::Fixed { .. })
            }),
            ("Imports newly supported", |k| {
                matches!(k, ChangeKind::ImportSupported { .. })
            }),
            ("Capabilities gained", |k| {
                matches!(k, ChangeKind::CapabilityGained)
            }),
            ("Runtimes and guests", |k| {
                matches!(
                    k,
                    ChangeKind::RuntimeAdded
                        | ChangeKind::RuntimeRemoved
                        | ChangeKind::RuntimeInstalled
                        | ChangeKind::RuntimeUninstalled
                        | ChangeKind::GuestAdded
                        | ChangeKind::GuestRemoved
                        | ChangeKind::GuestRebuilt { .. }
                )
            }),
            ("Scenarios added or removed", |k| {
                matches!(
                    k,
                    ChangeKind::ScenarioAdded { .. } | ChangeKind::ScenarioRemoved { .. }
                )
            }),
        ];
        let counts: Vec<String> = sections
            .iter()
            .filter_map(|(title, pick)| {
                let n = self.changes.iter().filter(|c| pick(&c.kind)).count();
                (n > 0).then(|| format!("{}: {n}", section_short(title)))
            })
            .collect();
        let _ = writeln!(
            out,
            "{}{}\n",
            if self.has_regression() {
                "**Regression.** "
            } else {
                ""
            },
            counts.join(" · ")
        );
        for (title, pick) in sections {
            let picked: Vec<&Change> = self.changes.iter().filter(|c| pick(&c.kind)).collect();
            if picked.is_empty() {
                continue;
            }
            let _ = writeln!(out, "### {title}\n");
            for change in picked {
                let _ = writeln!(out, "- {}", md(&change.to_string()));
            }
            out.push('\n');
        }
        out
    }
}

fn section_short(title: &str) -> String {
    title.split(" (").next().unwrap_or(title).to_lowercase()
}

/// Inline Markdown escaping (the same rules as the report's tables).
fn md(s: &str) -> String {
    crate::report::markdown::text(s)
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let version = |v: &Option<String>| v.clone().unwrap_or_else(|| "(no version)".into());
        match (&self.old_version, &self.new_version) {
            (old, new) if old == new => match old {
                Some(v) => write!(f, "{} {v}", self.runtime)?,
                None => f.write_str(&self.runtime)?,
            },
            (old, new) => write!(f, "{} {} → {}", self.runtime, version(old), version(new))?,
        }
        if let Some(guest) = &self.guest {
            write!(f, " / {guest}")?;
        }
        if let Some(item) = &self.item {
            write!(f, " / {item}")?;
        }
        let s = |o: &Outcome| crate::report::truncate(&o.summary(), 200);
        match &self.kind {
            ChangeKind::Fixed { old } => write!(f, ": {} → relayed", s(old)),
            ChangeKind::Regressed { new } => write!(f, ": relayed → {}", s(new)),
            ChangeKind::Changed { old, new } => write!(f, ": {} → {}", s(old), s(new)),
            ChangeKind::ImportSupported { old } => write!(f, ": {} → supported", old.label()),
            ChangeKind::ImportLost { new } => write!(f, ": supported → {}", new.label()),
            ChangeKind::CapabilityGained => f.write_str(": capability gained"),
            ChangeKind::CapabilityLost { detail } if detail.trim().is_empty() => {
                f.write_str(": capability lost")
            }
            ChangeKind::CapabilityLost { detail } => write!(
                f,
                ": capability lost ({})",
                crate::report::truncate(detail, 200)
            ),
            ChangeKind::RuntimeAdded => f.write_str(": runtime added"),
            ChangeKind::RuntimeRemoved => f.write_str(": runtime removed"),
            ChangeKind::RuntimeInstalled => f.write_str(": not installed before, installed now"),
            ChangeKind::RuntimeUninstalled => f.write_str(": installed before, not installed now"),
            ChangeKind::GuestAdded => f.write_str(": guest added"),
            ChangeKind::GuestRemoved => f.write_str(": guest removed"),
            ChangeKind::GuestRebuilt {
                old_sha256,
                new_sha256,
            } => write!(
                f,
                ": guest binary changed ({} → {})",
                short(old_sha256),
                short(new_sha256)
            ),
            ChangeKind::ScenarioAdded { new } => write!(f, ": scenario added ({})", s(new)),
            ChangeKind::ScenarioRemoved { old } => write!(f, ": scenario removed (was {})", s(old)),
        }
    }
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(12)]
}

/// What identifies a failure for [`ChangeKind::Changed`]: the label plus its stable part.
fn identity(outcome: &Outcome) -> String {
    match outcome {
        Outcome::MissingImport { module, name, .. }
        | Outcome::ImportTypeMismatch { module, name, .. } => {
            format!("{} {module}::{name}", outcome.label())
        }
        Outcome::Exit { code } => format!("exit {code}"),
        Outcome::Signal { signal } => format!("signal {signal}"),
        other => other.label().to_string(),
    }
}

/// Compares `new` with `old` cell by cell.
pub fn compare(old: &Report, new: &Report) -> Diff {
    let mut changes = Vec::new();
    let pairs = pair_runtimes(&old.runtimes, &new.runtimes);
    for pair in pairs {
        match pair {
            (Some(o), Some(n)) => compare_runtime(o, n, &mut changes),
            (Some(o), None) => changes.push(at(o, o, None, None, ChangeKind::RuntimeRemoved)),
            (None, Some(n)) => changes.push(at(n, n, None, None, ChangeKind::RuntimeAdded)),
            (None, None) => {}
        }
    }
    let title = |r: &Report| {
        if r.runtimes.is_empty() {
            "(no runtimes)".to_string()
        } else {
            r.runtimes
                .iter()
                .map(runtime_title)
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    Diff {
        changes,
        old_title: title(old),
        new_title: title(new),
    }
}

/// Pairs by (name, version), then leftovers by name; keeps `new`'s order, with
/// removed runtimes after their name's last pair (or at the end).
fn pair_runtimes<'a>(
    old: &'a [RuntimeReport],
    new: &'a [RuntimeReport],
) -> Vec<(Option<&'a RuntimeReport>, Option<&'a RuntimeReport>)> {
    let mut old_used = vec![false; old.len()];
    let mut partner: Vec<Option<usize>> = vec![None; new.len()];
    for (ni, n) in new.iter().enumerate() {
        if let Some(oi) = (0..old.len()).find(|&oi| {
            !old_used[oi] && old[oi].runtime == n.runtime && old[oi].version == n.version
        }) {
            old_used[oi] = true;
            partner[ni] = Some(oi);
        }
    }
    for (ni, n) in new.iter().enumerate() {
        if partner[ni].is_some() {
            continue;
        }
        if let Some(oi) = (0..old.len()).find(|&oi| !old_used[oi] && old[oi].runtime == n.runtime) {
            old_used[oi] = true;
            partner[ni] = Some(oi);
        }
    }
    let mut pairs: Vec<(Option<&RuntimeReport>, Option<&RuntimeReport>)> = new
        .iter()
        .enumerate()
        .map(|(ni, n)| (partner[ni].map(|oi| &old[oi]), Some(n)))
        .collect();
    for (oi, o) in old.iter().enumerate() {
        if !old_used[oi] {
            pairs.push((Some(o), None));
        }
    }
    pairs
}

fn at(
    old: &RuntimeReport,
    new: &RuntimeReport,
    guest: Option<&str>,
    item: Option<String>,
    kind: ChangeKind,
) -> Change {
    Change {
        runtime: new.runtime.clone(),
        old_version: old.version.clone(),
        new_version: new.version.clone(),
        guest: guest.map(str::to_string),
        item,
        kind,
    }
}

fn compare_runtime(old: &RuntimeReport, new: &RuntimeReport, changes: &mut Vec<Change>) {
    match (old.installed, new.installed) {
        (true, false) => {
            changes.push(at(old, new, None, None, ChangeKind::RuntimeUninstalled));
            return;
        }
        (false, true) => {
            changes.push(at(old, new, None, None, ChangeKind::RuntimeInstalled));
            return;
        }
        (false, false) => return,
        (true, true) => {}
    }
    // Capabilities both sides probed.
    for capability in &new.capabilities {
        let Some(before) = old.capabilities.iter().find(|c| c.name == capability.name) else {
            continue;
        };
        let kind = match (before.supported, capability.supported) {
            (false, true) => ChangeKind::CapabilityGained,
            (true, false) => ChangeKind::CapabilityLost {
                detail: capability.detail.clone(),
            },
            _ => continue,
        };
        changes.push(at(old, new, None, Some(capability.name.clone()), kind));
    }
    for new_run in &new.guests {
        let name = new_run.guest.name.as_str();
        match old.guests.iter().find(|g| g.guest.name == name) {
            Some(old_run) => compare_guest(old, new, old_run, new_run, changes),
            None => changes.push(at(old, new, Some(name), None, ChangeKind::GuestAdded)),
        }
    }
    for old_run in &old.guests {
        let name = old_run.guest.name.as_str();
        if !new.guests.iter().any(|g| g.guest.name == name) {
            changes.push(at(old, new, Some(name), None, ChangeKind::GuestRemoved));
        }
    }
}

fn compare_guest(
    old_rt: &RuntimeReport,
    new_rt: &RuntimeReport,
    old: &GuestRun,
    new: &GuestRun,
    changes: &mut Vec<Change>,
) {
    let guest = Some(new.guest.name.as_str());
    if old.guest.sha256 != new.guest.sha256 {
        changes.push(at(
            old_rt,
            new_rt,
            guest,
            None,
            ChangeKind::GuestRebuilt {
                old_sha256: old.guest.sha256.clone(),
                new_sha256: new.guest.sha256.clone(),
            },
        ));
    }
    for n in &new.scenarios {
        let item = Some(n.scenario.clone());
        let Some(o) = old.scenarios.iter().find(|o| o.scenario == n.scenario) else {
            changes.push(at(
                old_rt,
                new_rt,
                guest,
                item,
                ChangeKind::ScenarioAdded {
                    new: n.outcome.clone(),
                },
            ));
            continue;
        };
        let kind = match (o.outcome.is_pass(), n.outcome.is_pass()) {
            (true, true) => None,
            (false, true) => Some(ChangeKind::Fixed {
                old: o.outcome.clone(),
            }),
            (true, false) => Some(ChangeKind::Regressed {
                new: n.outcome.clone(),
            }),
            (false, false) => {
                (identity(&o.outcome) != identity(&n.outcome)).then(|| ChangeKind::Changed {
                    old: o.outcome.clone(),
                    new: n.outcome.clone(),
                })
            }
        };
        if let Some(kind) = kind {
            changes.push(at(old_rt, new_rt, guest, item, kind));
        }
    }
    for o in &old.scenarios {
        if !new.scenarios.iter().any(|n| n.scenario == o.scenario) {
            changes.push(at(
                old_rt,
                new_rt,
                guest,
                Some(o.scenario.clone()),
                ChangeKind::ScenarioRemoved {
                    old: o.outcome.clone(),
                },
            ));
        }
    }
    // Only imports both sides probed: a rebuilt guest's new imports are not "support".
    for import in union_of_imports([old, new].into_iter()) {
        let (Some(o), Some(n)) = (support_of(old, import), support_of(new, import)) else {
            continue;
        };
        let item = Some(format!("{}::{}", import.module, import.name));
        let kind = match (o == &Support::Supported, n == &Support::Supported) {
            (false, true) => ChangeKind::ImportSupported { old: o.clone() },
            (true, false) => ChangeKind::ImportLost { new: n.clone() },
            _ => continue,
        };
        changes.push(at(old_rt, new_rt, guest, item, kind));
    }
}
