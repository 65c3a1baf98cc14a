//! Runtime features probed on their own with tiny probe guests, so the report can
//! track when a runtime version gains or loses one.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use crate::model::Capability;
use crate::process::ChildGuard;
use crate::runtime::{excerpt, Installed};
use crate::scenarios::upstream::unused_port;

pub const PREOPENED_LISTENER: &str = "wasip1-preopened-listener";

const PROBE_PREOPENED_ECHO: &str = env!("PROBE_PREOPENED_ECHO");

pub fn probe_all(installed: &Installed) -> Vec<Capability> {
    vec![preopened_listener(
        installed,
        Path::new(PROBE_PREOPENED_ECHO),
    )]
}

/// Can a wasip1 module accept on a listener the runtime pre-opened (fd 3)? This was
/// the only way to serve TCP from a wasip1 module on wasmtime, until 47 removed it.
pub fn preopened_listener(installed: &Installed, probe: &Path) -> Capability {
    let verdict = |supported: bool, detail: String| Capability {
        name: PREOPENED_LISTENER.to_string(),
        supported,
        detail,
    };
    // The runtime binds this port itself, so the harness can only offer one the OS
    // just handed out and released.
    let addr = match unused_port() {
        Ok(addr) => addr,
        Err(e) => return verdict(false, format!("harness could not reserve a port: {e}")),
    };
    let Some(command) =
        installed
            .adapter
            .preopened_listener_command(&installed.binary, probe, addr)
    else {
        return verdict(
            false,
            "the runtime has no option to pre-open a listener".into(),
        );
    };
    let mut child = match ChildGuard::spawn(command) {
        Ok(child) => child,
        Err(e) => return verdict(false, format!("cannot start the runtime: {e}")),
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut stream = loop {
        if let Some(exit) = child.try_exit() {
            child.drain_after_exit();
            let said = excerpt(&format!("{}{}", child.stderr(), child.stdout()), 1);
            return verdict(false, format!("refused ({exit:?}): {said}"));
        }
        if let Ok(stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            break stream;
        }
        if Instant::now() >= deadline {
            return verdict(
                false,
                "nothing listened on the pre-opened address within 20 s".into(),
            );
        }
        thread::sleep(Duration::from_millis(20));
    };
    let echoed = (|| -> std::io::Result<Vec<u8>> {
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        stream.write_all(b"probe")?;
        stream.shutdown(Shutdown::Write)?;
        let mut back = Vec::new();
        stream.read_to_end(&mut back)?;
        Ok(back)
    })();
    match echoed {
        Ok(back) if back == b"probe" => {
            verdict(true, format!("accepted and echoed on fd 3 ({addr})"))
        }
        Ok(back) => verdict(false, format!("accepted, but echoed {back:?}")),
        Err(e) => verdict(false, format!("accepted, but the echo failed: {e}")),
    }
}
