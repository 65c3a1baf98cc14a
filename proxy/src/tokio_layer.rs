//! Tokio sockets: upstream tokio natively, tokio_wasi (WasmEdge's `sock_*` ABI) on
//! wasm32-wasip1. Both run on a current-thread runtime because WasmEdge has no threads.

use std::future::Future;
use std::io;
use std::net::SocketAddr;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};

use crate::config::Remote;
use crate::net::{Connection, ReadHalf, SocketLayer, WriteHalf};

pub struct TokioLayer;

/// Adapts any tokio reader; generic so in-memory pipes can drive the relay in tests.
pub struct TokioRead<T>(pub T);
pub struct TokioWrite<T>(pub T);

impl<T: AsyncRead + Unpin> ReadHalf for TokioRead<T> {
    async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf).await
    }
}

impl<T: AsyncWrite + Unpin> WriteHalf for TokioWrite<T> {
    async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.0.write_all(buf).await
    }

    async fn shutdown(&mut self) -> io::Result<()> {
        self.0.shutdown().await
    }
}

type TcpConnection = Connection<TokioRead<OwnedReadHalf>, TokioWrite<OwnedWriteHalf>>;

fn split(stream: TcpStream) -> io::Result<TcpConnection> {
    // Relayed bytes should leave at once, not wait for Nagle to batch them.
    stream.set_nodelay(true)?;
    let local = stream.local_addr()?;
    let peer = stream.peer_addr()?;
    let (read, write) = stream.into_split();
    Ok(Connection {
        read: TokioRead(read),
        write: TokioWrite(write),
        local,
        peer,
    })
}

impl SocketLayer for TokioLayer {
    type Listener = TcpListener;
    type Read = TokioRead<OwnedReadHalf>;
    type Write = TokioWrite<OwnedWriteHalf>;

    fn run<F: Future>(future: F) -> io::Result<F::Output> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        Ok(tokio::task::LocalSet::new().block_on(&runtime, future))
    }

    fn spawn(task: impl Future<Output = ()> + 'static) {
        tokio::task::spawn_local(task);
    }

    async fn listen(addr: SocketAddr) -> io::Result<(TcpListener, SocketAddr)> {
        let listener = TcpListener::bind(addr).await?;
        let bound = listener.local_addr()?;
        Ok((listener, bound))
    }

    async fn accept(listener: &TcpListener) -> io::Result<TcpConnection> {
        let (stream, _) = listener.accept().await?;
        split(stream)
    }

    async fn connect(remote: &Remote) -> io::Result<TcpConnection> {
        split(TcpStream::connect((remote.host.as_str(), remote.port)).await?)
    }

    async fn pause(millis: u64) {
        tokio::time::sleep(std::time::Duration::from_millis(millis)).await;
    }
}
