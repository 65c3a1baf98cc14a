//! The relay scenarios every guest must pass to count as a working proxy.

use std::net::SocketAddr;
use std::thread;
use std::time::{SystemTime, UNIX_EPOCH};

use super::client::{self, Pattern};
use super::upstream::{unused_port, Behaviour, Upstream, BANNER};
use super::{Launch, RunningProxy, Scenario};
use crate::model::Outcome;

pub static SCENARIOS: [Scenario; 7] = [
    Scenario {
        name: "echo",
        about: "a few small messages echoed back, then a clean close",
        run: echo,
    },
    Scenario {
        name: "bulk-duplex-16mib",
        about: "16 MiB of random bytes sent while the echo streams back, byte-exact",
        run: bulk_duplex,
    },
    Scenario {
        name: "half-close",
        about: "client shuts its write half; the upstream replies only after that EOF",
        run: half_close,
    },
    Scenario {
        name: "concurrent-64",
        about: "64 clients open at once, each served without waiting for another",
        run: concurrent,
    },
    Scenario {
        name: "localhost-name",
        about: "REMOTE=localhost:PORT, resolved inside the guest",
        run: localhost_name,
    },
    Scenario {
        name: "server-first",
        about: "the upstream speaks first (a banner) before the client sends anything",
        run: server_first,
    },
    Scenario {
        name: "upstream-refused",
        about: "upstream down: that client is closed; upstream up: the next client is served",
        run: upstream_refused,
    },
];

fn upstream(behaviour: Behaviour) -> Result<Upstream, Outcome> {
    Upstream::start(behaviour).map_err(|e| Outcome::Failed {
        detail: format!("harness could not start its upstream server: {e}"),
    })
}

/// Runs `traffic` against a started proxy; afterwards the proxy must still be up.
fn with_proxy(
    launch: &Launch,
    remote: &str,
    traffic: impl FnOnce(&mut RunningProxy) -> Result<(), String>,
) -> Result<(), Outcome> {
    let mut proxy = launch.start(remote)?;
    traffic(&mut proxy).map_err(|detail| proxy.failed(detail))?;
    proxy.still_running()
}

fn echo_once(proxy: SocketAddr, messages: &[&[u8]]) -> Result<(), String> {
    let mut stream = client::connect(proxy)?;
    for (i, message) in messages.iter().enumerate() {
        client::send(&mut stream, message, &format!("message {i}"))?;
        client::expect(&mut stream, message, &format!("echo of message {i}"))?;
    }
    client::half_close(&stream)?;
    client::expect_eof(&mut stream, "after the client's close")
}

fn echo(launch: &Launch) -> Result<(), Outcome> {
    let server = upstream(Behaviour::Echo)?;
    with_proxy(launch, &server.addr().to_string(), |proxy| {
        echo_once(
            proxy.addr,
            &[b"hello\n", b"through the proxy\n", &[0u8, 255, 10, 13]],
        )
    })
}

const BULK_BYTES: usize = 16 * 1024 * 1024;
const BLOCK: usize = 64 * 1024;

fn bulk_duplex(launch: &Launch) -> Result<(), Outcome> {
    let server = upstream(Behaviour::Echo)?;
    with_proxy(launch, &server.addr().to_string(), |proxy| {
        let seed = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64);
        let stream = client::connect(proxy.addr)?;
        let mut writer = stream
            .try_clone()
            .map_err(|e| format!("cannot clone client socket: {e}"))?;
        // Sending and receiving at once: a proxy that relays one direction at a time
        // deadlocks here once the socket buffers fill, and the read times out.
        let sender = thread::spawn(move || -> Result<(), String> {
            let mut pattern = Pattern::new(seed);
            let mut block = vec![0u8; BLOCK];
            for _ in 0..BULK_BYTES / BLOCK {
                pattern.fill(&mut block);
                client::send(&mut writer, &block, "the 16 MiB payload")?;
            }
            client::half_close(&writer)
        });
        let mut reader = stream;
        let mut pattern = Pattern::new(seed);
        let mut expected = vec![0u8; BLOCK];
        let received = (0..BULK_BYTES / BLOCK).try_for_each(|i| {
            pattern.fill(&mut expected);
            client::expect(
                &mut reader,
                &expected,
                &format!("echoed block {i} (seed {seed})"),
            )
        });
        let sent = sender
            .join()
            .unwrap_or_else(|_| Err("sender thread panicked".into()));
        received?;
        sent?;
        client::expect_eof(&mut reader, "after the whole payload")
    })
}

fn half_close(launch: &Launch) -> Result<(), Outcome> {
    let server = upstream(Behaviour::ReplyAfterEof)?;
    with_proxy(launch, &server.addr().to_string(), |proxy| {
        let request = b"the whole request, then FIN";
        let mut stream = client::connect(proxy.addr)?;
        client::send(&mut stream, request, "the request")?;
        client::half_close(&stream)?;
        let mut reply = format!("{} bytes\n", request.len()).into_bytes();
        reply.extend_from_slice(request);
        client::expect(
            &mut stream,
            &reply,
            "the reply sent after the upstream saw EOF (needs the FIN relayed and the reverse direction kept open)",
        )?;
        client::expect_eof(&mut stream, "after the reply")
    })
}

const CLIENTS: usize = 64;

fn concurrent(launch: &Launch) -> Result<(), Outcome> {
    let server = upstream(Behaviour::Echo)?;
    with_proxy(launch, &server.addr().to_string(), |proxy| {
        // All connections are open before any byte flows: a proxy serving one client
        // at a time answers only the first and the others time out.
        let streams = (0..CLIENTS)
            .map(|_| client::connect(proxy.addr))
            .collect::<Result<Vec<_>, _>>()?;
        let workers: Vec<_> = streams
            .into_iter()
            .enumerate()
            .rev()
            .map(|(i, mut stream)| {
                thread::spawn(move || -> Result<(), String> {
                    let message = format!("client {i} says {}\n", "x".repeat(1000 + i * 37));
                    let what = format!("client {i}");
                    client::send(&mut stream, message.as_bytes(), &what)?;
                    client::expect(&mut stream, message.as_bytes(), &what)?;
                    client::half_close(&stream)?;
                    client::expect_eof(&mut stream, &what)
                })
            })
            .collect();
        let failures: Vec<String> = workers
            .into_iter()
            .filter_map(|w| {
                w.join()
                    .unwrap_or_else(|_| Err("client thread panicked".into()))
                    .err()
            })
            .collect();
        match failures.first() {
            None => Ok(()),
            Some(first) => Err(format!(
                "{} of {CLIENTS} clients failed; first: {first}",
                failures.len()
            )),
        }
    })
}

fn localhost_name(launch: &Launch) -> Result<(), Outcome> {
    let server = Upstream::start_dual_stack(Behaviour::Echo).map_err(|e| Outcome::Failed {
        detail: format!("harness could not start its upstream server: {e}"),
    })?;
    with_proxy(
        launch,
        &format!("localhost:{}", server.addr().port()),
        |proxy| echo_once(proxy.addr, &[b"resolved by name\n"]),
    )
}

fn server_first(launch: &Launch) -> Result<(), Outcome> {
    let server = upstream(Behaviour::BannerThenEcho(BANNER.to_vec()))?;
    with_proxy(launch, &server.addr().to_string(), |proxy| {
        let mut stream = client::connect(proxy.addr)?;
        client::expect(
            &mut stream,
            BANNER,
            "the banner, before the client sent anything",
        )?;
        client::send(&mut stream, b"HELO client\r\n", "a reply to the banner")?;
        client::expect(&mut stream, b"HELO client\r\n", "its echo")?;
        client::half_close(&stream)?;
        client::expect_eof(&mut stream, "after the client's close")
    })
}

fn upstream_refused(launch: &Launch) -> Result<(), Outcome> {
    let down = unused_port().map_err(|e| Outcome::Failed {
        detail: format!("harness could not reserve a port: {e}"),
    })?;
    with_proxy(launch, &down.to_string(), |proxy| {
        let mut refused = client::connect(proxy.addr)?;
        client::expect_closed(&mut refused, "a client whose upstream refused")?;
        let _server = Upstream::start_on(down, Behaviour::Echo)
            .map_err(|e| format!("harness could not bring the upstream up on {down}: {e}"))?;
        echo_once(proxy.addr, &[b"upstream is back\n"])
            .map_err(|e| format!("after the refused client, the next client failed: {e}"))
    })
}
