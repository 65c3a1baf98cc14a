//! The native build of the proxy, end to end over loopback: behaviour and bad input.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(20);

/// The proxy process, killed and reaped when the test ends however it ends.
struct Proxy {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_proxy(remote: &str) -> Proxy {
    let mut child = Command::new(env!("CARGO_BIN_EXE_proxy"))
        .env("LOCAL", "127.0.0.1:0")
        .env("REMOTE", remote)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the proxy starts");
    let stdout = child.stdout.take().expect("piped");
    let (lines, found) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let line = found.recv_timeout(TIMEOUT).expect("a listening line");
    let addr = line
        .strip_prefix("listening on ")
        .and_then(|rest| rest.split(',').next())
        .and_then(|addr| addr.parse().ok())
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
    Proxy { child, addr }
}

/// Echo server on loopback: echoes, and half-closes back on EOF.
fn echo_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        for stream in listener.incoming().map_while(Result::ok) {
            thread::spawn(move || {
                let mut stream = stream;
                let mut buf = [0u8; 8192];
                loop {
                    match stream.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            if stream.write_all(&buf[..n]).is_err() {
                                return;
                            }
                        }
                    }
                }
                let _ = stream.shutdown(Shutdown::Write);
            });
        }
    });
    addr
}

fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect_timeout(&addr, TIMEOUT).unwrap();
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(TIMEOUT)).unwrap();
    stream
}

#[test]
fn relays_many_clients_at_once_with_half_close() {
    let proxy = start_proxy(&echo_server().to_string());
    // All connected before any sends: one-at-a-time service would stall the rest.
    let clients: Vec<TcpStream> = (0..16).map(|_| connect(proxy.addr)).collect();
    for (i, mut client) in clients.into_iter().enumerate().rev() {
        let message = format!("client {i}\n").repeat(100);
        client.write_all(message.as_bytes()).unwrap();
        client.shutdown(Shutdown::Write).unwrap();
        let mut back = String::new();
        client.read_to_string(&mut back).unwrap();
        assert_eq!(back, message, "client {i}");
    }
}

#[test]
fn resolves_a_host_name_for_remote() {
    let echo = echo_server();
    let proxy = start_proxy(&format!("localhost:{}", echo.port()));
    let mut client = connect(proxy.addr);
    client.write_all(b"by name").unwrap();
    let mut back = [0u8; 7];
    client.read_exact(&mut back).unwrap();
    assert_eq!(&back, b"by name");
}

#[test]
fn a_refused_upstream_closes_only_that_client() {
    let down = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let mut proxy = start_proxy(&down.to_string());
    let mut refused = connect(proxy.addr);
    let mut buf = [0u8; 16];
    assert!(matches!(refused.read(&mut buf), Ok(0) | Err(_)));
    // Still serving: the next client is accepted (and closed again, upstream still down).
    let mut next = connect(proxy.addr);
    assert!(matches!(next.read(&mut buf), Ok(0) | Err(_)));
    assert!(
        proxy.child.try_wait().unwrap().is_none(),
        "the proxy exited"
    );
}

fn run_with_env(env: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_proxy"));
    command.env_remove("LOCAL").env_remove("REMOTE");
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.stdin(Stdio::null()).output().unwrap();
    (
        output.status.code(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn bad_configuration_is_one_line_and_exit_2() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = taken.local_addr().unwrap().to_string();
    let cases: [(&[(&str, &str)], &str); 5] = [
        (&[("REMOTE", "localhost:1")], "LOCAL is not set"),
        (&[("LOCAL", "127.0.0.1:0")], "REMOTE is not set"),
        (
            &[("LOCAL", "nonsense"), ("REMOTE", "localhost:1")],
            "LOCAL=\"nonsense\"",
        ),
        (
            &[("LOCAL", "127.0.0.1:0"), ("REMOTE", "host:port")],
            "invalid port",
        ),
        (
            &[("LOCAL", &taken), ("REMOTE", "localhost:1")],
            "cannot listen on LOCAL",
        ),
    ];
    for (env, expected) in cases {
        let (code, stderr) = run_with_env(env);
        assert_eq!(code, Some(2), "{env:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{env:?}: {stderr}");
        assert!(stderr.contains(expected), "{env:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{env:?}: {stderr}");
    }
}
