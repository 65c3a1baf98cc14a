//! Native servers the proxy relays to, on loopback with OS-picked ports. Each
//! connection gets a thread; the server stops accepting when dropped.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

/// How the upstream answers a connection.
#[derive(Debug, Clone)]
pub enum Behaviour {
    /// Echo every byte back as it arrives; on EOF, half-close back.
    Echo,
    /// Send `banner` before reading anything, then echo.
    BannerThenEcho(Vec<u8>),
    /// Read until the client half-closes, then answer with `"<n> bytes\n"` followed
    /// by everything it received, then close: only works if the FIN was relayed.
    ReplyAfterEof,
}

pub const BANNER: &[u8] = b"220 upstream ready, it speaks first\r\n";

/// Upper bound for any single blocking read or write on the upstream side.
const IO_TIMEOUT: Duration = Duration::from_secs(60);

pub struct Upstream {
    addr: SocketAddr,
    stopping: Arc<AtomicBool>,
    /// Extra listener on [::1] with the same port, so `localhost` works whichever
    /// family the guest's resolver returns first.
    _v6: Option<Arc<AtomicBool>>,
}

impl Upstream {
    pub fn start(behaviour: Behaviour) -> io::Result<Upstream> {
        Upstream::start_on("127.0.0.1:0".parse().expect("literal address"), behaviour)
    }

    /// Starts on a specific address (e.g. a port reserved earlier by [`unused_port`]).
    pub fn start_on(addr: SocketAddr, behaviour: Behaviour) -> io::Result<Upstream> {
        let listener = TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        let stopping = spawn_acceptor(listener, behaviour);
        Ok(Upstream {
            addr,
            stopping,
            _v6: None,
        })
    }

    /// Also listens on [::1] at the same port when that is possible.
    pub fn start_dual_stack(behaviour: Behaviour) -> io::Result<Upstream> {
        let mut upstream = Upstream::start(behaviour.clone())?;
        let v6: SocketAddr = format!("[::1]:{}", upstream.addr.port())
            .parse()
            .expect("literal address");
        upstream._v6 = TcpListener::bind(v6)
            .ok()
            .map(|listener| spawn_acceptor(listener, behaviour));
        Ok(upstream)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        if let Some(v6) = &self._v6 {
            v6.store(true, Ordering::SeqCst);
        }
    }
}

fn spawn_acceptor(listener: TcpListener, behaviour: Behaviour) -> Arc<AtomicBool> {
    let stopping = Arc::new(AtomicBool::new(false));
    let stop = Arc::clone(&stopping);
    // Non-blocking accept polled against the stop flag: dropping the Upstream frees
    // the port promptly without a self-connect trick.
    let _ = listener.set_nonblocking(true);
    thread::spawn(move || {
        while !stop.load(Ordering::SeqCst) {
            match listener.accept() {
                Ok((stream, _)) => {
                    let behaviour = behaviour.clone();
                    thread::spawn(move || {
                        let _ = serve(stream, &behaviour);
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    thread::sleep(Duration::from_millis(2));
                }
                Err(_) => thread::sleep(Duration::from_millis(10)),
            }
        }
    });
    stopping
}

fn serve(mut stream: TcpStream, behaviour: &Behaviour) -> io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    stream.set_nodelay(true)?;
    match behaviour {
        Behaviour::Echo => echo(&mut stream),
        Behaviour::BannerThenEcho(banner) => {
            stream.write_all(banner)?;
            echo(&mut stream)
        }
        Behaviour::ReplyAfterEof => {
            let mut received = Vec::new();
            stream.read_to_end(&mut received)?;
            stream.write_all(format!("{} bytes\n", received.len()).as_bytes())?;
            stream.write_all(&received)?;
            stream.shutdown(Shutdown::Write)
        }
    }
}

fn echo(stream: &mut TcpStream) -> io::Result<()> {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return stream.shutdown(Shutdown::Write);
        }
        stream.write_all(&buf[..n])?;
    }
}

/// A loopback port nothing listens on right now (bound, then released).
pub fn unused_port() -> io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    listener.local_addr()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(addr: SocketAddr) -> TcpStream {
        let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        stream
    }

    #[test]
    fn echo_half_closes_back() {
        let upstream = Upstream::start(Behaviour::Echo).unwrap();
        let mut stream = client(upstream.addr());
        stream.write_all(b"ping").unwrap();
        stream.shutdown(Shutdown::Write).unwrap();
        let mut back = Vec::new();
        stream.read_to_end(&mut back).unwrap();
        assert_eq!(back, b"ping");
    }

    #[test]
    fn reply_after_eof_needs_the_fin() {
        let upstream = Upstream::start(Behaviour::ReplyAfterEof).unwrap();
        let mut stream = client(upstream.addr());
        stream.write_all(b"abc").unwrap();
        stream.shutdown(Shutdown::Write).unwrap();
        let mut back = Vec::new();
        stream.read_to_end(&mut back).unwrap();
        assert_eq!(back, b"3 bytes\nabc");
    }

    #[test]
    fn banner_comes_first() {
        let upstream = Upstream::start(Behaviour::BannerThenEcho(BANNER.to_vec())).unwrap();
        let mut stream = client(upstream.addr());
        let mut banner = vec![0u8; BANNER.len()];
        stream.read_exact(&mut banner).unwrap();
        assert_eq!(banner, BANNER);
    }
}
