//! A real-time TCP proxy for WASI.
//!
//! The proxy logic (configuration, accept loop, relay, logging) lives here once;
//! each socket ABI is one module implementing [`net::SocketLayer`], chosen at
//! compile time by target.

pub mod config;
pub mod net;
pub mod relay;
pub mod serve;

// Which socket ABI this build speaks. Native and wasm32-wasip1 (WasmEdge) use tokio:
// tokio_wasi, WasmEdge's fork whose library is also named `tokio`, has tokio's API, so
// one module serves both. On wasm32-wasip1 the `wasix` feature picks Wasmer's ABI
// instead; wasm32-wasip2 always speaks wasi:sockets.
#[cfg(all(feature = "wasix", not(all(target_os = "wasi", target_env = "p1"))))]
compile_error!(
    "feature `wasix` is for --target wasm32-wasip1 only (WASIX extends WASI preview 1); \
     wasm32-wasip2 speaks wasi:sockets and native builds use tokio, without any feature"
);

#[cfg(all(
    target_os = "wasi",
    target_env = "p1",
    not(any(feature = "wasmedge", feature = "wasix"))
))]
compile_error!("wasm32-wasip1 needs a socket ABI: feature `wasmedge` (the default) or `wasix`");

#[cfg(all(target_os = "wasi", not(any(target_env = "p1", target_env = "p2"))))]
compile_error!("unsupported WASI target: build for wasm32-wasip1 or wasm32-wasip2");

#[cfg(any(
    not(target_os = "wasi"),
    all(
        target_os = "wasi",
        target_env = "p1",
        feature = "wasmedge",
        not(feature = "wasix")
    )
))]
pub mod tokio_layer;

// `wasix` wins over the default `wasmedge`, so `--features wasix` alone selects it
// (tokio_wasi is then compiled but unused; --no-default-features leaves it out).
#[cfg(all(target_os = "wasi", target_env = "p1", feature = "wasix"))]
pub mod wasix_layer;

// The WASIX layer's platform-free parts, also built natively to be unit-tested.
#[cfg(any(test, all(target_os = "wasi", target_env = "p1", feature = "wasix")))]
pub mod local_rt;
#[cfg(any(test, all(target_os = "wasi", target_env = "p1", feature = "wasix")))]
pub mod wasix_abi;

#[cfg(all(target_os = "wasi", target_env = "p2"))]
pub mod wasip2_layer;

/// The socket layer this build uses.
#[cfg(any(
    not(target_os = "wasi"),
    all(
        target_os = "wasi",
        target_env = "p1",
        feature = "wasmedge",
        not(feature = "wasix")
    )
))]
pub type Layer = tokio_layer::TokioLayer;

/// The socket layer this build uses.
#[cfg(all(target_os = "wasi", target_env = "p1", feature = "wasix"))]
pub type Layer = wasix_layer::WasixLayer;

/// The socket layer this build uses.
#[cfg(all(target_os = "wasi", target_env = "p2"))]
pub type Layer = wasip2_layer::Wasip2Layer;

/// Exit status for configuration errors (missing/unparsable variables, unbindable LOCAL).
pub const EXIT_CONFIG: i32 = 2;
