//! The guests under test: the ones this build produced (see build.rs) or any wasm a
//! user names. Each is read once and identified by its sha256.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use sha2::{Digest, Sha256};

use crate::model::GuestInfo;
use crate::runtime::BinaryKind;

/// A guest ready to run: where it is, what it is, and its identity for the report.
#[derive(Debug, Clone)]
pub struct Guest {
    pub info: GuestInfo,
    pub path: PathBuf,
    pub kind: BinaryKind,
    pub bytes: std::sync::Arc<Vec<u8>>,
}

/// (name, socket ABI, path baked in by build.rs).
const BUILT: &[(&str, &str, &str)] = &[
    (
        "proxy-wasmedge",
        "wasmedge-sock (tokio_wasi, wasm32-wasip1)",
        env!("GUEST_PROXY_WASMEDGE"),
    ),
    (
        "proxy-wasip2",
        "wasi:sockets (WASI 0.2 component, wasm32-wasip2)",
        env!("GUEST_PROXY_WASIP2"),
    ),
    (
        "proxy-wasix",
        "WASIX wasix_32v1 (wasm32-wasip1)",
        env!("GUEST_PROXY_WASIX"),
    ),
];

/// The guests this harness build carries.
pub fn built_in() -> anyhow::Result<Vec<Guest>> {
    BUILT
        .iter()
        .map(|(name, abi, path)| load(name, abi, Path::new(path)))
        .collect()
}

/// The guests a command runs: the files the user named, else the built-in ones.
pub fn selected(files: &[std::path::PathBuf]) -> anyhow::Result<Vec<Guest>> {
    if files.is_empty() {
        built_in()
    } else {
        files.iter().map(|path| from_file(path)).collect()
    }
}

/// Names of the built-in guests, for CLI validation and expectations.
pub fn built_in_names() -> Vec<&'static str> {
    BUILT.iter().map(|(name, _, _)| *name).collect()
}

/// A wasm file the user named; its name in reports is its file stem.
pub fn from_file(path: &Path) -> anyhow::Result<Guest> {
    let name = path
        .file_stem()
        .and_then(|s| s.to_str())
        .context("guest file has no usable name")?
        .to_string();
    load(&name, "unknown (user-supplied)", path)
}

fn load(name: &str, abi: &str, path: &Path) -> anyhow::Result<Guest> {
    let bytes =
        std::fs::read(path).with_context(|| format!("cannot read guest {}", path.display()))?;
    let kind = kind_of(&bytes)
        .with_context(|| format!("{} is not a WebAssembly binary", path.display()))?;
    check_complete(&bytes)
        .with_context(|| format!("{} is not a complete WebAssembly binary", path.display()))?;
    let info = GuestInfo {
        name: name.to_string(),
        abi: abi.to_string(),
        path: path.display().to_string(),
        sha256: format!("{:x}", Sha256::digest(&bytes)),
        size_bytes: bytes.len() as u64,
    };
    Ok(Guest {
        info,
        path: path.to_path_buf(),
        kind,
        bytes: std::sync::Arc::new(bytes),
    })
}

/// Reads every section header (not the function bodies): a truncated or garbled file
/// is refused here with its offset, instead of as `cannot-load` under every runtime.
pub fn check_complete(bytes: &[u8]) -> anyhow::Result<()> {
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        payload?;
    }
    Ok(())
}

/// Module or component, from the preamble: cheap, and enough to pick how to run it.
pub fn kind_of(bytes: &[u8]) -> anyhow::Result<BinaryKind> {
    match bytes {
        [0, b'a', b's', b'm', 1, 0, 0, 0, ..] => Ok(BinaryKind::CoreModule),
        [0, b'a', b's', b'm', _, _, 1, 0, ..] => Ok(BinaryKind::Component),
        [0, b'a', b's', b'm', ..] => bail!("unsupported WebAssembly version"),
        _ if bytes.len() < 8 => bail!("too short ({} bytes)", bytes.len()),
        _ => bail!("no \\0asm magic"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_guests_are_refused_with_their_offset() {
        for guest in built_in().unwrap() {
            check_complete(&guest.bytes).unwrap();
            let half = &guest.bytes[..guest.bytes.len() / 2];
            let e = check_complete(half).unwrap_err().to_string();
            assert!(
                e.contains("unexpected end-of-file"),
                "{}: {e}",
                guest.info.name
            );
        }
    }
}
