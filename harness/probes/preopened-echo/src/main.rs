//! wasmtime 46 and earlier hand a wasip1 module a listening socket as fd 3
//! (`-S preview2=n -S tcplisten=ADDR`); preview 1 itself can only accept on it. This
//! probe accepts one client, echoes until EOF, and exits 0, so the harness can tell
//! whether a runtime version still offers pre-opened listeners.

#[cfg(target_os = "wasi")]
fn main() {
    use std::io::{Read, Write};
    use std::os::wasi::io::FromRawFd;

    // SAFETY: fd 3 is the runtime's pre-opened listener; if it is absent, accept fails
    // and we exit with a message instead of touching anything else.
    let listener = unsafe { std::net::TcpListener::from_raw_fd(3) };
    let _ = listener.set_nonblocking(false);
    println!("ready");
    let (mut client, _) = match listener.accept() {
        Ok(accepted) => accepted,
        Err(e) => {
            eprintln!("preopened-echo: accept on fd 3 failed: {e}");
            std::process::exit(3);
        }
    };
    let mut buf = [0u8; 4096];
    loop {
        match client.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                if let Err(e) = client.write_all(&buf[..n]) {
                    eprintln!("preopened-echo: write failed: {e}");
                    std::process::exit(4);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            Err(e) => {
                eprintln!("preopened-echo: read failed: {e}");
                std::process::exit(4);
            }
        }
    }
}

#[cfg(not(target_os = "wasi"))]
fn main() {
    eprintln!("preopened-echo is a WASI probe: build it with --target wasm32-wasip1");
    std::process::exit(2);
}
