//! A real-time TCP proxy for WASI.
//!
//! The proxy logic (configuration, accept loop, relay, logging) lives here once;
//! each socket ABI is one module implementing [`net::SocketLayer`], chosen at
//! compile time by target.

pub mod config;
pub mod net;
pub mod relay;
pub mod serve;

// tokio_wasi (WasmEdge's fork of tokio; its library is also named `tokio`) has
// tokio's API, so one module serves both the native build and the WasmEdge guest.
#[cfg(any(not(target_os = "wasi"), all(target_os = "wasi", target_env = "p1")))]
pub mod tokio_layer;

/// The socket layer this build uses.
#[cfg(any(not(target_os = "wasi"), all(target_os = "wasi", target_env = "p1")))]
pub type Layer = tokio_layer::TokioLayer;

/// Exit status for configuration errors (missing/unparsable variables, unbindable LOCAL).
pub const EXIT_CONFIG: i32 = 2;
