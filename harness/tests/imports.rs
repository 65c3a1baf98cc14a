//! Import analysis: listing every import of a guest and probing each one under the real
//! runtimes. A runtime that is not installed is reported loudly as SKIPPED, never passed.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use harness::imports::{
    binary_kind, core_imports, list_imports, probe_imports, probe_module, run_probe, CoreImport,
    CoreKind, ProbeRun,
};
use harness::model::{Import, Support};
use harness::process::{run_with_timeout, Exit};
use harness::runtime::{self, BinaryKind, Installed};
use wasmparser::ValType::{I32, I64};

const PROBE_TIMEOUT: Duration = Duration::from_secs(60);

fn import(module: &str, name: &str, ty: &str) -> Import {
    Import {
        module: module.into(),
        name: name.into(),
        ty: ty.into(),
    }
}

fn wasi_func(
    name: &str,
    params: &[wasmparser::ValType],
    results: &[wasmparser::ValType],
) -> CoreImport {
    let module = Import {
        module: "wasi_snapshot_preview1".into(),
        name: name.into(),
        ty: String::new(),
    };
    let kind = CoreKind::Func(wasmparser::FuncType::new(
        params.iter().copied(),
        results.iter().copied(),
    ));
    CoreImport {
        import: Import {
            ty: harness::imports::describe(&kind),
            ..module
        },
        kind,
    }
}

/// A small module with one import of every kind, built here so the expected list is exact.
fn sample_module() -> Vec<u8> {
    use wasm_encoder::*;
    let mut types = TypeSection::new();
    types.ty().function([ValType::I32; 4], [ValType::I32]);
    types.ty().function([ValType::I32], []);
    types
        .ty()
        .function([ValType::I64, ValType::F32], [ValType::I32, ValType::F64]);
    types.ty().function([], []);
    let mut imports = ImportSection::new();
    imports.import(
        "wasi_snapshot_preview1",
        "fd_write",
        EntityType::Function(0),
    );
    imports.import(
        "wasi_snapshot_preview1",
        "proc_exit",
        EntityType::Function(1),
    );
    imports.import(
        "env",
        "memory",
        MemoryType {
            minimum: 1,
            maximum: None,
            memory64: false,
            shared: false,
            page_size_log2: None,
        },
    );
    imports.import(
        "env",
        "table",
        TableType {
            element_type: RefType::FUNCREF,
            table64: false,
            minimum: 1,
            maximum: None,
            shared: false,
        },
    );
    imports.import(
        "env",
        "g",
        GlobalType {
            val_type: ValType::I32,
            mutable: true,
            shared: false,
        },
    );
    imports.import("env", "multi", EntityType::Function(2));
    imports.import("env", "nothing", EntityType::Function(3));
    let mut module = Module::new();
    module.section(&types).section(&imports);
    module.finish()
}

#[test]
fn lists_every_import_of_a_small_module() {
    let wasm = sample_module();
    wasmparser::Validator::new().validate_all(&wasm).unwrap();
    assert_eq!(binary_kind(&wasm).unwrap(), BinaryKind::CoreModule);
    assert_eq!(
        list_imports(&wasm).unwrap(),
        vec![
            import(
                "wasi_snapshot_preview1",
                "fd_write",
                "func(i32, i32, i32, i32) -> i32"
            ),
            import("wasi_snapshot_preview1", "proc_exit", "func(i32)"),
            import("env", "memory", "memory"),
            import("env", "table", "table"),
            import("env", "g", "global"),
            import("env", "multi", "func(i64, f32) -> (i32, f64)"),
            import("env", "nothing", "func()"),
        ]
    );
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let wasm = sample_module();
    let mut cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("text", b"this is not wasm at all".to_vec()),
        (
            "random",
            (0..4096u32)
                .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
                .collect(),
        ),
        ("magic only", b"\0asm".to_vec()),
        ("bad version", b"\0asm\x07\0\0\0".to_vec()),
    ];
    for cut in [9, 12, 20, wasm.len() / 2, wasm.len() - 1] {
        cases.push(("truncated", wasm[..cut].to_vec()));
    }
    for (what, bytes) in &cases {
        let listed = std::panic::catch_unwind(|| list_imports(bytes));
        let error = match listed {
            Ok(Err(error)) => error.to_string(),
            Ok(Ok(imports)) => panic!("{what} ({} bytes) listed as {imports:?}", bytes.len()),
            Err(_) => panic!("{what} panicked"),
        };
        assert!(
            error.starts_with("not a WebAssembly binary: ")
                || error.starts_with("malformed WebAssembly binary: "),
            "{what}: {error}"
        );
        assert!(!error.contains('\n'), "{what}: {error}");
    }
    assert!(binary_kind(&[]).is_err());
}

#[test]
fn a_probe_module_validates_and_imports_exactly_its_item() {
    for probed in core_imports(&sample_module()).unwrap() {
        let wasm = probe_module(&probed).unwrap();
        wasmparser::Validator::new()
            .validate_all(&wasm)
            .unwrap_or_else(|e| panic!("{probed:?}: {e}"));
        assert_eq!(core_imports(&wasm).unwrap(), vec![probed.clone()]);
        let mut exports = Vec::new();
        for payload in wasmparser::Parser::new(0).parse_all(&wasm) {
            if let wasmparser::Payload::ExportSection(reader) = payload.unwrap() {
                for export in reader {
                    let export = export.unwrap();
                    exports.push((export.name.to_string(), export.kind));
                }
            }
        }
        assert_eq!(
            exports,
            [
                ("memory".to_string(), wasmparser::ExternalKind::Memory),
                ("_start".to_string(), wasmparser::ExternalKind::Func)
            ],
            "{probed:?}"
        );
    }
}

/// A component built here: two instance imports and a nested core module whose own
/// imports must not be reported as the component's.
#[test]
fn lists_a_components_interfaces_not_its_inner_modules_imports() {
    use wasm_encoder::*;
    let mut inner = Module::new();
    let mut inner_types = TypeSection::new();
    inner_types.ty().function([], []);
    let mut inner_imports = ImportSection::new();
    inner_imports.import(
        "wasi_snapshot_preview1",
        "sock_open",
        EntityType::Function(0),
    );
    inner.section(&inner_types).section(&inner_imports);

    let mut types = ComponentTypeSection::new();
    types.instance(&InstanceType::new());
    let mut imports = ComponentImportSection::new();
    imports.import("wasi:sockets/tcp@0.2.6", ComponentTypeRef::Instance(0));
    imports.import("wasi:sockets/network@0.2.6", ComponentTypeRef::Instance(0));
    let mut component = Component::new();
    component
        .section(&types)
        .section(&imports)
        .section(&ModuleSection(&inner));
    let wasm = component.finish();
    wasmparser::Validator::new().validate_all(&wasm).unwrap();

    assert_eq!(binary_kind(&wasm).unwrap(), BinaryKind::Component);
    assert_eq!(
        list_imports(&wasm).unwrap(),
        vec![
            import("wasi:sockets/tcp@0.2.6", "*", "instance"),
            import("wasi:sockets/network@0.2.6", "*", "instance"),
        ]
    );
    assert!(core_imports(&wasm).is_err());
}

/// A real wasip2 component from rustc, when the target is installed.
#[test]
fn lists_a_real_wasip2_components_interfaces() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("hello.rs");
    std::fs::write(&source, "fn main() { println!(\"hello\"); }\n").unwrap();
    let output = dir.path().join("hello.wasm");
    let mut rustc = Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()));
    rustc
        .args(["--target", "wasm32-wasip2", "-O", "-o"])
        .arg(&output)
        .arg(&source);
    match run_with_timeout(rustc, Duration::from_secs(300)) {
        Ok(Some((Exit::Code(0), _, _))) => {}
        other => {
            eprintln!("SKIPPED: rustc cannot build wasm32-wasip2 here ({other:?})");
            return;
        }
    }
    let wasm = std::fs::read(&output).unwrap();
    assert_eq!(binary_kind(&wasm).unwrap(), BinaryKind::Component);
    let imports = list_imports(&wasm).unwrap();
    assert!(
        imports
            .iter()
            .any(|i| i.module.starts_with("wasi:cli/stdout@0.2.") && i.ty == "instance"),
        "{imports:#?}"
    );
    assert!(imports
        .iter()
        .all(|i| i.module.starts_with("wasi:") && i.name == "*"));
}

/// The real proxy guest: `PROXY_WASM`, or built into target/guests.
fn proxy_wasm() -> Option<Vec<u8>> {
    if let Some(path) = std::env::var_os("PROXY_WASM") {
        return Some(std::fs::read(path).expect("PROXY_WASM is readable"));
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let path: PathBuf = root.join("target/guests/wasm32-wasip1/release/proxy.wasm");
    let mut cargo = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cargo.current_dir(&root).args([
        "build",
        "--release",
        "--target",
        "wasm32-wasip1",
        "-p",
        "proxy",
        "--target-dir",
        "target/guests",
    ]);
    match run_with_timeout(cargo, Duration::from_secs(600)) {
        Ok(Some((Exit::Code(0), _, _))) => {}
        Ok(Some((exit, _, stderr))) => {
            eprintln!(
                "SKIPPED: proxy.wasm could not be built ({exit:?}): {}",
                runtime::excerpt(&stderr, 3)
            );
            return None;
        }
        other => {
            eprintln!("SKIPPED: proxy.wasm could not be built: {other:?}");
            return None;
        }
    }
    Some(std::fs::read(&path).expect("the build wrote proxy.wasm"))
}

const SOCK_IMPORTS: &[&str] = &[
    "sock_open",
    "sock_bind",
    "sock_listen",
    "sock_accept",
    "sock_connect",
    "sock_recv",
    "sock_send",
    "sock_shutdown",
    "sock_setsockopt",
    "sock_getaddrinfo",
    "sock_getpeeraddr",
    "sock_getlocaladdr",
];

#[test]
fn lists_the_proxys_sock_imports() {
    let Some(wasm) = proxy_wasm() else { return };
    let imports = list_imports(&wasm).unwrap();
    for name in SOCK_IMPORTS.iter().chain(&["fd_write", "poll_oneoff"]) {
        assert!(
            imports
                .iter()
                .any(|i| i.module == "wasi_snapshot_preview1" && i.name == *name),
            "{name} not in {imports:#?}"
        );
    }
    let setsockopt = imports
        .iter()
        .find(|i| i.name == "sock_setsockopt")
        .unwrap();
    assert_eq!(setsockopt.ty, "func(i32, i32, i32, i32, i32) -> i32");
    let fd_write = imports.iter().find(|i| i.name == "fd_write").unwrap();
    assert_eq!(fd_write.ty, "func(i32, i32, i32, i32) -> i32");
}

fn installed(name: &str) -> Option<Installed> {
    let adapter = runtime::by_name(name).expect("a known adapter");
    match runtime::probe(adapter, None) {
        Ok(installed) => Some(installed),
        Err(why) => {
            eprintln!("SKIPPED: {name} not installed ({why})");
            None
        }
    }
}

fn probe(installed: &Installed, what: &str, import: &CoreImport) -> ProbeRun {
    let run = run_probe(installed, import, PROBE_TIMEOUT).unwrap();
    // Shown with --nocapture: the runtime's own words, for checking its classifier.
    eprintln!(
        "==== {} {} / {what}: {:?} -> {:?}\n     outcome: {:?}\n---- stderr ----\n{}---- stdout ----\n{}---- end ----",
        installed.adapter.name(),
        installed.version,
        run.exit,
        run.support,
        run.outcome,
        run.stderr,
        run.stdout,
    );
    run
}

fn env_memory() -> CoreImport {
    CoreImport {
        import: import("env", "memory", "memory"),
        kind: CoreKind::Memory(wasmparser::MemoryType {
            memory64: false,
            shared: false,
            initial: 1,
            maximum: None,
            page_size_log2: None,
        }),
    }
}

/// Facts about one runtime, each probed on its own: `fd_write` with its real type,
/// `sock_setsockopt` and `sock_accept` with WasmEdge's types, `fd_write` with a wrong
/// type, a function no runtime has, and a memory import no WASI runtime provides.
/// `expected` gives the support label of each, in that order.
fn check_runtime(name: &str, expected: [&str; 6]) {
    let Some(installed) = installed(name) else {
        return;
    };
    let probes = [
        ("fd_write", wasi_func("fd_write", &[I32; 4], &[I32])),
        (
            "sock_setsockopt (WasmEdge type)",
            wasi_func("sock_setsockopt", &[I32; 5], &[I32]),
        ),
        (
            "sock_accept (WasmEdge type)",
            wasi_func("sock_accept", &[I32; 2], &[I32]),
        ),
        (
            "fd_write with a wrong type",
            wasi_func("fd_write", &[I64], &[]),
        ),
        (
            "a function nobody has",
            wasi_func("no_such_function", &[I32], &[I32]),
        ),
        ("env::memory", env_memory()),
    ];
    let mut failures = Vec::new();
    for ((what, import), expected) in probes.iter().zip(expected) {
        let run = probe(&installed, what, import);
        if run.support.label() != expected {
            failures.push(format!(
                "{what}: expected {expected}, got {:?}",
                run.support
            ));
        }
        if let Support::TypeMismatch { detail } = &run.support {
            assert!(!detail.is_empty(), "{what}: empty mismatch detail");
        }
    }
    assert!(failures.is_empty(), "{name}:\n{}", failures.join("\n"));
}

#[test]
fn wasmedge_import_facts() {
    check_runtime(
        "wasmedge",
        [
            "supported",
            "supported",
            "supported",
            "type-mismatch",
            "missing",
            "missing",
        ],
    );
}

#[test]
fn wasmtime_import_facts() {
    // wasmtime's preview1 has a standard `sock_accept(fd, flags, fd_out)`: three
    // parameters where WasmEdge's has two. Checked under wasmtime 49.0.3 and 46.0.1.
    check_runtime(
        "wasmtime",
        [
            "supported",
            "missing",
            "type-mismatch",
            "type-mismatch",
            "missing",
            "missing",
        ],
    );
}

#[test]
fn wasmer_import_facts() {
    // Checked under Wasmer 7.4.2: the same standard preview1 `sock_accept` as wasmtime.
    check_runtime(
        "wasmer",
        [
            "supported",
            "missing",
            "type-mismatch",
            "type-mismatch",
            "missing",
            "missing",
        ],
    );
}

/// Every import of the real proxy under one runtime: the order of `list_imports`, the
/// WASI basics supported, and each `sock_*` import as `sock` says (default `missing`).
fn check_proxy(name: &str, sock: impl Fn(&str) -> &'static str) {
    let Some(installed) = installed(name) else {
        return;
    };
    let Some(wasm) = proxy_wasm() else { return };
    let supports = probe_imports(&installed, &wasm, PROBE_TIMEOUT).unwrap();
    for support in &supports {
        eprintln!(
            "{name}: {}::{} {} -> {:?}",
            support.import.module, support.import.name, support.import.ty, support.support
        );
    }
    let listed: Vec<Import> = supports.iter().map(|s| s.import.clone()).collect();
    assert_eq!(listed, list_imports(&wasm).unwrap());
    let label = |name: &str| {
        supports
            .iter()
            .find(|s| s.import.name == name)
            .map(|s| s.support.label())
    };
    let mut failures = Vec::new();
    for basic in ["fd_write", "proc_exit", "clock_time_get", "poll_oneoff"] {
        if label(basic) != Some("supported") {
            failures.push(format!("{basic}: {:?}", label(basic)));
        }
    }
    for sock_import in SOCK_IMPORTS {
        if label(sock_import) != Some(sock(sock_import)) {
            failures.push(format!(
                "{sock_import}: expected {}, got {:?}",
                sock(sock_import),
                label(sock_import)
            ));
        }
    }
    assert!(failures.is_empty(), "{name}:\n{}", failures.join("\n"));
}

#[test]
fn wasmedge_provides_every_proxy_import() {
    check_proxy("wasmedge", |_| "supported");
}

#[test]
fn wasmtime_has_only_the_standard_sock_imports_of_the_proxy() {
    // sock_recv, sock_send and sock_shutdown are standard preview1 functions with the
    // same types; sock_accept is standard too, with another type.
    check_proxy("wasmtime", |name| match name {
        "sock_recv" | "sock_send" | "sock_shutdown" => "supported",
        "sock_accept" => "type-mismatch",
        _ => "missing",
    });
}

#[test]
fn wasmer_has_only_the_standard_sock_imports_of_the_proxy() {
    // As under wasmtime: Wasmer 7.4.2's preview1 has the standard socket functions.
    check_proxy("wasmer", |name| match name {
        "sock_recv" | "sock_send" | "sock_shutdown" => "supported",
        "sock_accept" => "type-mismatch",
        _ => "missing",
    });
}
