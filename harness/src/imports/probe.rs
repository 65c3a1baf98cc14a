//! Probe modules: one import each, run under a runtime to learn whether it provides it.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::thread;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use wasm_encoder as enc;
use wasmparser as parse;

use super::{binary_kind, core_imports, list_imports, CoreImport, CoreKind};
use crate::model::{ImportSupport, Outcome, Support};
use crate::process::{run_with_timeout, Exit};
use crate::runtime::{excerpt, BinaryKind, Installed};

/// How many probes run at once (each is one short runtime process).
pub const PROBE_THREADS: usize = 3;

/// How a probe that timed out is described.
const DID_NOT_END: &str = "the probe did not end within";

/// A minimal core module that imports exactly `import` with exactly its type, exports
/// a 1-page memory named `memory` (or the imported memory, when that is what is probed)
/// and a `_start` that does nothing. A runtime that provides the import instantiates
/// it and exits 0.
///
/// Fails only for types a probe cannot restate on its own: references to the guest's
/// own type definitions (GC and typed function references).
pub fn probe_module(import: &CoreImport) -> Result<Vec<u8>> {
    let (module, name) = (import.import.module.as_str(), import.import.name.as_str());
    let mut types = enc::TypeSection::new();
    let mut imports = enc::ImportSection::new();
    // Index spaces: the probed item comes first in its space.
    let mut own_functions = 0;
    let mut own_memory = true;
    match &import.kind {
        CoreKind::Func(func) => {
            types
                .ty()
                .function(val_types(func.params())?, val_types(func.results())?);
            imports.import(module, name, enc::EntityType::Function(0));
            own_functions = 1;
        }
        CoreKind::Tag(func) => {
            types
                .ty()
                .function(val_types(func.params())?, val_types(func.results())?);
            imports.import(
                module,
                name,
                enc::EntityType::Tag(enc::TagType {
                    kind: enc::TagKind::Exception,
                    func_type_idx: 0,
                }),
            );
        }
        CoreKind::Table(table) => {
            imports.import(
                module,
                name,
                enc::EntityType::Table(enc::TableType {
                    element_type: ref_type(table.element_type)?,
                    table64: table.table64,
                    minimum: table.initial,
                    maximum: table.maximum,
                    shared: table.shared,
                }),
            );
        }
        CoreKind::Memory(memory) => {
            imports.import(
                module,
                name,
                enc::EntityType::Memory(enc::MemoryType {
                    minimum: memory.initial,
                    maximum: memory.maximum,
                    memory64: memory.memory64,
                    shared: memory.shared,
                    page_size_log2: memory.page_size_log2,
                }),
            );
            // A second memory would need multi-memory; export the imported one instead.
            own_memory = false;
        }
        CoreKind::Global(global) => {
            imports.import(
                module,
                name,
                enc::EntityType::Global(enc::GlobalType {
                    val_type: val_type(global.content_type)?,
                    mutable: global.mutable,
                    shared: global.shared,
                }),
            );
        }
    }
    let start_type = types.len();
    types.ty().function([], []);

    let mut functions = enc::FunctionSection::new();
    functions.function(start_type);
    let mut memories = enc::MemorySection::new();
    if own_memory {
        memories.memory(enc::MemoryType {
            minimum: 1,
            maximum: None,
            memory64: false,
            shared: false,
            page_size_log2: None,
        });
    }
    let mut exports = enc::ExportSection::new();
    exports.export("memory", enc::ExportKind::Memory, 0);
    exports.export("_start", enc::ExportKind::Func, own_functions);
    let mut code = enc::CodeSection::new();
    let mut start = enc::Function::new([]);
    start.instructions().end();
    code.function(&start);

    let mut wasm = enc::Module::new();
    wasm.section(&types).section(&imports).section(&functions);
    if own_memory {
        wasm.section(&memories);
    }
    wasm.section(&exports).section(&code);
    Ok(wasm.finish())
}

fn val_types(types: &[parse::ValType]) -> Result<Vec<enc::ValType>> {
    types.iter().copied().map(val_type).collect()
}

fn val_type(ty: parse::ValType) -> Result<enc::ValType> {
    Ok(match ty {
        parse::ValType::I32 => enc::ValType::I32,
        parse::ValType::I64 => enc::ValType::I64,
        parse::ValType::F32 => enc::ValType::F32,
        parse::ValType::F64 => enc::ValType::F64,
        parse::ValType::V128 => enc::ValType::V128,
        parse::ValType::Ref(ty) => enc::ValType::Ref(ref_type(ty)?),
    })
}

fn ref_type(ty: parse::RefType) -> Result<enc::RefType> {
    let parse::HeapType::Abstract {
        shared,
        ty: abstract_ty,
    } = ty.heap_type()
    else {
        bail!("{ty} refers to a type defined in the guest; a probe cannot restate it");
    };
    use enc::AbstractHeapType as E;
    use parse::AbstractHeapType as P;
    let abstract_ty = match abstract_ty {
        P::Func => E::Func,
        P::Extern => E::Extern,
        P::Any => E::Any,
        P::None => E::None,
        P::NoExtern => E::NoExtern,
        P::NoFunc => E::NoFunc,
        P::Eq => E::Eq,
        P::Struct => E::Struct,
        P::Array => E::Array,
        P::I31 => E::I31,
        P::Exn => E::Exn,
        P::NoExn => E::NoExn,
        P::Cont => E::Cont,
        P::NoCont => E::NoCont,
    };
    Ok(enc::RefType {
        nullable: ty.is_nullable(),
        heap_type: enc::HeapType::Abstract {
            shared,
            ty: abstract_ty,
        },
    })
}

/// One probe's run: what the runtime did and what that means for the import.
#[derive(Debug, Clone)]
pub struct ProbeRun {
    pub support: Support,
    /// `None` when the probe was not run (no probe module possible) or did not end in time.
    pub exit: Option<Exit>,
    /// The adapter's reading of the exit and the runtime's output, stderr then stdout
    /// (`None` when not run or timed out).
    pub outcome: Option<Outcome>,
    pub stdout: String,
    pub stderr: String,
}

/// Builds the probe module for `import`, runs it under `installed`, and classifies the
/// result. An error means the runtime could not be started at all.
pub fn run_probe(
    installed: &Installed,
    import: &CoreImport,
    timeout: Duration,
) -> Result<ProbeRun> {
    let not_run = |support| ProbeRun {
        support,
        exit: None,
        outcome: None,
        stdout: String::new(),
        stderr: String::new(),
    };
    let wasm = match probe_module(import) {
        Ok(wasm) => wasm,
        Err(why) => {
            return Ok(not_run(Support::Unknown {
                detail: format!("not probed: {why}"),
            }));
        }
    };
    let mut file = tempfile::Builder::new()
        .prefix("import-probe-")
        .suffix(".wasm")
        .tempfile()
        .context("creating a temporary file for a probe module")?;
    file.write_all(&wasm)
        .and_then(|()| file.flush())
        .context("writing a probe module")?;
    let command =
        installed
            .adapter
            .command(&installed.binary, file.path(), BinaryKind::CoreModule, &[]);
    let ran = run_with_timeout(command, timeout).with_context(|| {
        format!(
            "{}: could not start {}",
            installed.adapter.name(),
            installed.binary.display()
        )
    })?;
    let Some((exit, stdout, stderr)) = ran else {
        return Ok(not_run(Support::Unknown {
            detail: format!("{DID_NOT_END} {} ms", timeout.as_millis()),
        }));
    };
    // The probe's `_start` writes nothing, so both streams hold only the runtime's own
    // words, and WasmEdge (0.14.1) prints its `[error]` lines on stdout, not stderr.
    let output = match stdout.trim() {
        "" => stderr.clone(),
        _ => format!("{stderr}{stdout}"),
    };
    let outcome = installed.adapter.classify(exit, &output);
    let probed = &import.import;
    let support = match (&exit, &outcome) {
        (Exit::Code(0), _) => Support::Supported,
        (_, Outcome::MissingImport { module, name, .. })
            if *module == probed.module && *name == probed.name =>
        {
            Support::Missing
        }
        (
            _,
            Outcome::ImportTypeMismatch {
                module,
                name,
                detail,
            },
        ) if *module == probed.module && *name == probed.name => Support::TypeMismatch {
            detail: detail.clone(),
        },
        _ => {
            let tail = excerpt(&output, 3);
            Support::Unknown {
                detail: if tail.is_empty() {
                    outcome.summary()
                } else {
                    format!("{}: {tail}", outcome.summary())
                },
            }
        }
    };
    Ok(ProbeRun {
        support,
        exit: Some(exit),
        outcome: Some(outcome),
        stdout,
        stderr,
    })
}

/// Whether `installed` provides each import of `wasm`, in the order [`list_imports`]
/// gives. Each distinct core import is probed on its own ([`run_probe`]), a few at a
/// time. A component's interfaces are listed but not probed yet (support `unknown`).
pub fn probe_imports(
    installed: &Installed,
    wasm: &[u8],
    timeout: Duration,
) -> Result<Vec<ImportSupport>> {
    if binary_kind(wasm)? == BinaryKind::Component {
        return Ok(list_imports(wasm)?
            .into_iter()
            .map(|import| ImportSupport {
                import,
                support: Support::Unknown {
                    detail: "component interfaces are not probed yet".into(),
                },
            })
            .collect());
    }
    let imports = core_imports(wasm)?;
    // A module may import the same item twice; probe it once.
    let mut distinct: Vec<&CoreImport> = Vec::new();
    for import in &imports {
        if !distinct.contains(&import) {
            distinct.push(import);
        }
    }
    // A runtime that does not end a do-nothing probe in time will not end the next
    // one either: after the first timeout the rest are not run, so a hanging runtime
    // costs one timeout rather than one per import.
    let stalled = AtomicBool::new(false);
    let runs = parallel_map(&distinct, PROBE_THREADS, |import| -> Result<Support> {
        if stalled.load(Ordering::SeqCst) {
            return Ok(Support::Unknown {
                detail: format!(
                    "not probed: an earlier probe did not end within {} ms",
                    timeout.as_millis()
                ),
            });
        }
        let support = run_probe(installed, import, timeout)?.support;
        if matches!(&support, Support::Unknown { detail } if detail.starts_with(DID_NOT_END)) {
            stalled.store(true, Ordering::SeqCst);
        }
        Ok(support)
    });
    let mut supports = Vec::with_capacity(distinct.len());
    for run in runs {
        supports.push(run?);
    }
    Ok(imports
        .iter()
        .map(|import| {
            let at = distinct
                .iter()
                .position(|probed| *probed == import)
                .expect("every import has a probe");
            ImportSupport {
                import: import.import.clone(),
                support: supports[at].clone(),
            }
        })
        .collect())
}

/// `f` over `items` on up to `threads` threads; results in the order of `items`.
fn parallel_map<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<R>>> = Mutex::new(items.iter().map(|_| None).collect());
    thread::scope(|scope| {
        for _ in 0..threads.clamp(1, items.len().max(1)) {
            scope.spawn(|| loop {
                let at = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(at) else { break };
                let result = f(item);
                results.lock().unwrap_or_else(|e| e.into_inner())[at] = Some(result);
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .map(|result| result.expect("every item was mapped"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Import;

    fn func(
        module: &str,
        name: &str,
        params: &[parse::ValType],
        results: &[parse::ValType],
    ) -> CoreImport {
        let kind = CoreKind::Func(parse::FuncType::new(
            params.iter().copied(),
            results.iter().copied(),
        ));
        CoreImport {
            import: Import {
                module: module.into(),
                name: name.into(),
                ty: super::super::describe(&kind),
            },
            kind,
        }
    }

    #[test]
    fn a_probe_imports_exactly_its_item_and_validates() {
        use parse::ValType::*;
        let probed = func(
            "wasi_snapshot_preview1",
            "sock_setsockopt",
            &[I32; 5],
            &[I32],
        );
        let wasm = probe_module(&probed).unwrap();
        parse::Validator::new().validate_all(&wasm).unwrap();
        assert_eq!(core_imports(&wasm).unwrap(), vec![probed]);
    }

    #[test]
    fn a_memory_probe_exports_the_imported_memory() {
        let probed = CoreImport {
            import: Import {
                module: "env".into(),
                name: "memory".into(),
                ty: "memory".into(),
            },
            kind: CoreKind::Memory(parse::MemoryType {
                memory64: false,
                shared: false,
                initial: 2,
                maximum: Some(10),
                page_size_log2: None,
            }),
        };
        let wasm = probe_module(&probed).unwrap();
        parse::Validator::new().validate_all(&wasm).unwrap();
        assert_eq!(core_imports(&wasm).unwrap(), vec![probed]);
    }

    #[test]
    fn parallel_map_keeps_order() {
        let items: Vec<u64> = (0..50).collect();
        let out = parallel_map(&items, 3, |n| {
            thread::sleep(Duration::from_micros(50 - n));
            n * 2
        });
        assert_eq!(out, items.iter().map(|n| n * 2).collect::<Vec<_>>());
        assert!(parallel_map(&[] as &[u8], 3, |_| 0).is_empty());
    }

    /// A stand-in runtime: a shell script that looks for the probed name in the probe
    /// file and behaves like a runtime that has, lacks or mistypes it.
    struct FakeRuntime;

    const FAKE_SCRIPT: &str = r#"
        if grep -qa have_it "$1"; then exit 0; fi
        if grep -qa slow "$1"; then sleep 30; fi
        if grep -qa lack_it "$1"; then echo "MISSING lack_it" >&2; exit 1; fi
        if grep -qa wrong_type "$1"; then echo "MISMATCH wrong_type" >&2; exit 1; fi
        if grep -qa on_stdout "$1"; then echo "MISSING on_stdout"; exit 1; fi
        echo "MISSING something_else" >&2; exit 1
    "#;

    impl crate::runtime::RuntimeAdapter for FakeRuntime {
        fn name(&self) -> &'static str {
            "fake"
        }
        fn env_override(&self) -> String {
            "FAKE_RUNTIME".into()
        }
        fn binary_name(&self) -> &'static str {
            "sh"
        }
        fn parse_version(&self, _: &str) -> Option<String> {
            Some("1.0.0".into())
        }
        fn command(
            &self,
            binary: &std::path::Path,
            guest: &std::path::Path,
            _: BinaryKind,
            _: &[(&str, &str)],
        ) -> std::process::Command {
            let mut command = std::process::Command::new(binary);
            command.args(["-c", FAKE_SCRIPT, "sh"]).arg(guest);
            command
        }
        fn granted(&self) -> Vec<String> {
            Vec::new()
        }
        fn classify(&self, exit: Exit, stderr: &str) -> Outcome {
            let named = |word: &str| {
                stderr
                    .lines()
                    .find_map(|l| l.strip_prefix(word))
                    .map(|name| name.trim().to_string())
            };
            if let Some(name) = named("MISSING ") {
                return Outcome::MissingImport {
                    module: "m".into(),
                    name,
                    expected: None,
                };
            }
            if let Some(name) = named("MISMATCH ") {
                return Outcome::ImportTypeMismatch {
                    module: "m".into(),
                    name,
                    detail: "not that type".into(),
                };
            }
            crate::runtime::classify_plain_exit(exit)
        }
    }

    #[test]
    fn probe_results_map_to_support_in_import_order() {
        use enc::{EntityType, ImportSection, Module, TypeSection, ValType};
        let names = [
            "have_it",
            "lack_it",
            "wrong_type",
            "on_stdout",
            "unexpected",
            "slow",
            "lack_it",
        ];
        let mut types = TypeSection::new();
        types.ty().function([ValType::I32], [ValType::I32]);
        let mut imports = ImportSection::new();
        for name in names {
            imports.import("m", name, EntityType::Function(0));
        }
        let mut guest = Module::new();
        guest.section(&types).section(&imports);
        let installed = Installed {
            adapter: &FakeRuntime,
            binary: "sh".into(),
            version: "1.0.0".into(),
        };
        let started = std::time::Instant::now();
        let supports =
            probe_imports(&installed, &guest.finish(), Duration::from_millis(500)).unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "a slow probe was not cut off"
        );
        let got: Vec<(&str, &str)> = supports
            .iter()
            .map(|s| (s.import.name.as_str(), s.support.label()))
            .collect();
        assert_eq!(
            got,
            [
                ("have_it", "supported"),
                ("lack_it", "missing"),
                ("wrong_type", "type-mismatch"),
                ("on_stdout", "missing"),
                ("unexpected", "unknown"),
                ("slow", "unknown"),
                ("lack_it", "missing"),
            ]
        );
        assert_eq!(
            supports[4].support,
            Support::Unknown {
                detail: "missing import m::something_else: MISSING something_else".into()
            }
        );
        assert_eq!(
            supports[5].support,
            Support::Unknown {
                detail: "the probe did not end within 500 ms".into()
            }
        );
        assert!(supports.iter().all(|s| s.import.ty == "func(i32) -> i32"));
    }

    #[test]
    fn a_runtime_that_cannot_start_is_an_error() {
        let installed = Installed {
            adapter: &FakeRuntime,
            binary: "/nonexistent/runtime".into(),
            version: "1.0.0".into(),
        };
        let probed = func("m", "f", &[], &[]);
        let error = run_probe(&installed, &probed, Duration::from_secs(5)).unwrap_err();
        assert!(
            format!("{error:#}").contains("could not start"),
            "{error:#}"
        );
    }
}
