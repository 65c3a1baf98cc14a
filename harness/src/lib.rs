//! Runs one proxy wasm under every WebAssembly runtime, pushes real traffic through it,
//! and records per runtime what happened.

pub mod bench;
pub mod capabilities;
pub mod cli;
pub mod diff;
pub mod expectations;
pub mod faults;
pub mod fuzzing;
pub mod guest;
pub mod history;
pub mod imports;
pub mod limits;
pub mod matrix;
pub mod model;
pub mod proc_group;
pub mod process;
pub mod progress;
pub mod report;
pub mod runtime;
pub mod scenarios;
