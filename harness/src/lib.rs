//! Runs one proxy wasm under every WebAssembly runtime, pushes real traffic through it,
//! and records per runtime what happened.

pub mod imports;
pub mod model;
pub mod process;
pub mod runtime;
