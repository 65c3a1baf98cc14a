//! Every import of a guest, not only the first one a runtime stops at, and whether a
//! given runtime provides each of them.
//!
//! A runtime reports just the first missing import when it instantiates a module. To
//! get the complete picture, [`list_imports`] reads all imports from the binary and
//! [`probe_imports`] runs, for each one, a minimal module that imports only that item
//! with exactly its type ([`probe_module`]): if the runtime provides the import, the
//! probe instantiates and exits 0; if not, the adapter's classifier names the problem.

use std::borrow::Cow;

use anyhow::{anyhow, bail, Result};
use wasmparser::{
    Chunk, ComponentTypeRef, CompositeInnerType, Encoding, FuncType, GlobalType, MemoryType,
    Parser, Payload, TableType, TypeRef,
};

use crate::model::Import;
use crate::runtime::BinaryKind;

mod probe;

pub use probe::{probe_imports, probe_module, run_probe, ProbeRun, PROBE_THREADS};

/// One import of a core module with its full structured type, enough to rebuild it
/// exactly in a probe module. `import.ty` is the readable form of `kind`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoreImport {
    pub import: Import,
    pub kind: CoreKind,
}

/// The type of a core import, as wasmparser read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CoreKind {
    Func(FuncType),
    Table(TableType),
    Memory(MemoryType),
    Global(GlobalType),
    /// An exception tag; its payload is the function type's parameters.
    Tag(FuncType),
}

/// Whether `wasm` is a core module or a component, from its header.
pub fn binary_kind(wasm: &[u8]) -> Result<BinaryKind> {
    if wasm.is_empty() {
        bail!("not a WebAssembly binary: empty input");
    }
    match Parser::new(0).parse(wasm, true) {
        Ok(Chunk::Parsed {
            payload: Payload::Version { encoding, .. },
            ..
        }) => Ok(match encoding {
            Encoding::Module => BinaryKind::CoreModule,
            Encoding::Component => BinaryKind::Component,
        }),
        Ok(_) => bail!("not a WebAssembly binary: no header"),
        Err(e) => bail!("not a WebAssembly binary: {}", one_line(&e.to_string())),
    }
}

/// Every import of `wasm`, in declaration order (duplicates kept).
///
/// For a core module: `module`/`name` as declared and `ty` such as
/// `func(i32, i32) -> i32`, `func(i32)`, `func(i32, i64) -> (i32, i32)`, `memory`,
/// `table`, `global` or `tag`.
///
/// For a component: its top-level imports (those of nested modules and components are
/// satisfied inside it), each with `module` = the full import name, e.g.
/// `wasi:sockets/tcp@0.2.6`, `name` = `*` (the whole item, as the wasmtime adapter
/// names a missing instance), and `ty` = `instance`, `func`, `value`, `type`, `module`
/// or `component`.
pub fn list_imports(wasm: &[u8]) -> Result<Vec<Import>> {
    match binary_kind(wasm)? {
        BinaryKind::CoreModule => Ok(core_imports(wasm)?
            .into_iter()
            .map(|core| core.import)
            .collect()),
        BinaryKind::Component => component_imports(wasm),
    }
}

/// Every import of a core module with its structured type. A component is an error.
pub fn core_imports(wasm: &[u8]) -> Result<Vec<CoreImport>> {
    if binary_kind(wasm)? != BinaryKind::CoreModule {
        bail!("a component, not a core module: its imports have no core types");
    }
    // Every type index of the module, `None` where the type is not a function.
    let mut types: Vec<Option<FuncType>> = Vec::new();
    let mut imports = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(malformed)? {
            Payload::TypeSection(reader) => {
                for group in reader {
                    for sub in group.map_err(malformed)?.into_types() {
                        types.push(match sub.composite_type.inner {
                            CompositeInnerType::Func(func) => Some(func),
                            _ => None,
                        });
                    }
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import.map_err(malformed)?;
                    imports.push(core_import(&types, import)?);
                }
            }
            _ => {}
        }
    }
    Ok(imports)
}

fn core_import(types: &[Option<FuncType>], import: wasmparser::Import<'_>) -> Result<CoreImport> {
    let func = |index: u32| -> Result<FuncType> {
        match types.get(index as usize) {
            Some(Some(func)) => Ok(func.clone()),
            Some(None) => Err(anyhow!(
                "malformed WebAssembly binary: import {}::{} uses type {index}, which is not a function type",
                import.module,
                import.name
            )),
            None => Err(anyhow!(
                "malformed WebAssembly binary: import {}::{} uses type {index}, which is not defined",
                import.module,
                import.name
            )),
        }
    };
    let kind = match import.ty {
        // An exact function import (custom-descriptors proposal) is probed as a plain one.
        TypeRef::Func(index) | TypeRef::FuncExact(index) => CoreKind::Func(func(index)?),
        TypeRef::Table(table) => CoreKind::Table(table),
        TypeRef::Memory(memory) => CoreKind::Memory(memory),
        TypeRef::Global(global) => CoreKind::Global(global),
        TypeRef::Tag(tag) => CoreKind::Tag(func(tag.func_type_idx)?),
    };
    Ok(CoreImport {
        import: Import {
            module: import.module.to_string(),
            name: import.name.to_string(),
            ty: describe(&kind),
        },
        kind,
    })
}

/// The readable type string stored in [`Import::ty`].
pub fn describe(kind: &CoreKind) -> String {
    match kind {
        CoreKind::Func(func) => describe_func(func),
        CoreKind::Table(_) => "table".into(),
        CoreKind::Memory(_) => "memory".into(),
        CoreKind::Global(_) => "global".into(),
        CoreKind::Tag(_) => "tag".into(),
    }
}

/// `func(i32, i32) -> i32`, `func(i32)`, `func()`, `func(i32, i64) -> (i32, i32)`.
fn describe_func(func: &FuncType) -> String {
    let list = |types: &[wasmparser::ValType]| {
        types
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let params = list(func.params());
    match func.results() {
        [] => format!("func({params})"),
        [one] => format!("func({params}) -> {one}"),
        many => format!("func({params}) -> ({})", list(many)),
    }
}

fn component_imports(wasm: &[u8]) -> Result<Vec<Import>> {
    let mut imports = Vec::new();
    // parse_all walks nested modules and components too, each between its own
    // Version and End; only the outermost component's imports are the guest's.
    let mut depth = 0usize;
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(malformed)? {
            Payload::Version { .. } => depth += 1,
            Payload::End(_) => depth = depth.saturating_sub(1),
            Payload::ComponentImportSection(reader) if depth == 1 => {
                for import in reader {
                    let import = import.map_err(malformed)?;
                    let ty = match import.ty {
                        ComponentTypeRef::Module(_) => "module",
                        ComponentTypeRef::Func(_) => "func",
                        ComponentTypeRef::Value(_) => "value",
                        ComponentTypeRef::Type(_) => "type",
                        ComponentTypeRef::Instance(_) => "instance",
                        ComponentTypeRef::Component(_) => "component",
                    };
                    let name: Cow<'_, str> = import.name.full_name();
                    imports.push(Import {
                        module: name.into_owned(),
                        name: "*".into(),
                        ty: ty.into(),
                    });
                }
            }
            _ => {}
        }
    }
    Ok(imports)
}

fn malformed(e: wasmparser::BinaryReaderError) -> anyhow::Error {
    anyhow!("malformed WebAssembly binary: {}", one_line(&e.to_string()))
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_encoder::{
        EntityType, ImportSection, MemoryType as EncMemoryType, Module, TypeSection, ValType,
    };

    fn module(build: impl FnOnce(&mut TypeSection, &mut ImportSection)) -> Vec<u8> {
        let mut types = TypeSection::new();
        let mut imports = ImportSection::new();
        build(&mut types, &mut imports);
        let mut module = Module::new();
        module.section(&types).section(&imports);
        module.finish()
    }

    #[test]
    fn describes_function_types() {
        let wasm = module(|types, imports| {
            types.ty().function([], []);
            types.ty().function([ValType::I32], []);
            types
                .ty()
                .function([ValType::I32, ValType::I32], [ValType::I32]);
            types
                .ty()
                .function([ValType::I32, ValType::I64], [ValType::I32, ValType::I32]);
            types.ty().function([ValType::FUNCREF], [ValType::F64]);
            for (index, name) in ["a", "b", "c", "d", "e"].into_iter().enumerate() {
                imports.import("m", name, EntityType::Function(index as u32));
            }
            imports.import(
                "m",
                "mem",
                EncMemoryType {
                    minimum: 1,
                    maximum: None,
                    memory64: false,
                    shared: false,
                    page_size_log2: None,
                },
            );
        });
        let tys: Vec<String> = list_imports(&wasm)
            .unwrap()
            .into_iter()
            .map(|import| import.ty)
            .collect();
        assert_eq!(
            tys,
            [
                "func()",
                "func(i32)",
                "func(i32, i32) -> i32",
                "func(i32, i64) -> (i32, i32)",
                "func(funcref) -> f64",
                "memory"
            ]
        );
    }

    #[test]
    fn an_undefined_type_index_is_an_error() {
        let wasm = module(|_, imports| {
            imports.import("m", "f", EntityType::Function(7));
        });
        let error = list_imports(&wasm).unwrap_err().to_string();
        assert!(error.contains("type 7, which is not defined"), "{error}");
    }

    #[test]
    fn bad_headers_are_not_wasm() {
        for bytes in [&b""[..], b"\0asm", b"hello world", b"\0asm\x02\0\0\0"] {
            let error = binary_kind(bytes).unwrap_err().to_string();
            assert!(
                error.starts_with("not a WebAssembly binary: "),
                "{bytes:?}: {error}"
            );
            assert!(!error.contains('\n'), "{error}");
        }
    }
}
