//! The accept loop: one task per client, each connecting upstream on its own, so no
//! client waits for another and a failing connection closes only itself.

use std::cell::Cell;
use std::net::SocketAddr;
use std::rc::Rc;

use crate::config::{Config, Remote};
use crate::net::{Connection, SocketLayer};
use crate::relay::{relay, Transfer};
use crate::EXIT_CONFIG;

/// Runs the proxy until the process is stopped; returns an exit status only on a
/// configuration error (LOCAL cannot be bound).
pub async fn serve<L: SocketLayer>(config: Config) -> i32 {
    let (listener, bound) = match L::listen(config.local).await {
        Ok(ok) => ok,
        Err(e) => {
            eprintln!("proxy: cannot listen on LOCAL={}: {e}", config.local);
            return EXIT_CONFIG;
        }
    };
    // wasmedge_wasi_socket 0.5.5 (under tokio_wasi) reads addresses back through a
    // buffer the optimiser assumes is never written, so every IP comes out 0.0.0.0;
    // the port is right. The IP we were asked to bind is the truth.
    let bound = if bound.ip().is_unspecified() {
        SocketAddr::new(config.local.ip(), bound.port())
    } else {
        bound
    };
    // Harnesses read the bound address from this line (LOCAL may ask for port 0).
    println!(
        "listening on {bound}, relaying to {}, buffer {} bytes",
        config.remote, config.buffer_bytes
    );
    let remote = Rc::new(config.remote);
    let buffer_bytes = config.buffer_bytes;
    let next_id = Cell::new(1u64);
    let mut failed_accepts = 0u32;
    loop {
        match L::accept(&listener).await {
            Ok(client) => {
                failed_accepts = 0;
                let id = next_id.replace(next_id.get() + 1);
                L::spawn(handle::<L>(id, client, Rc::clone(&remote), buffer_bytes));
            }
            Err(e) => {
                eprintln!("accept failed: {e}");
                // Out of descriptors and the like: back off instead of spinning.
                failed_accepts = failed_accepts.saturating_add(1);
                L::pause(u64::from(failed_accepts.min(10)) * 10).await;
            }
        }
    }
}

async fn handle<L: SocketLayer>(
    id: u64,
    client: Connection<L::Read, L::Write>,
    remote: Rc<Remote>,
    buffer_bytes: usize,
) {
    let upstream = match L::connect(&remote).await {
        Ok(upstream) => upstream,
        Err(e) => {
            eprintln!("#{id} {} cannot connect to {remote}: {e}", client.peer);
            return; // dropping the client closes it
        }
    };
    println!(
        "#{id} open {} <-> {} // {} <-> {}",
        client.local, client.peer, upstream.local, upstream.peer
    );
    let transfer = Transfer::default();
    let outcome = relay(
        (client.read, client.write),
        (upstream.read, upstream.write),
        &transfer,
        buffer_bytes,
    )
    .await;
    let counts = format!(
        "{} bytes client->upstream, {} bytes upstream->client",
        transfer.client_to_upstream.get(),
        transfer.upstream_to_client.get()
    );
    match outcome {
        Ok(()) => println!("#{id} close: {counts}"),
        Err(e) => println!("#{id} close after error {e}: {counts}"),
    }
}
