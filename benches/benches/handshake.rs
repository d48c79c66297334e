//! Opening handshake, in memory: build the upgrade request, validate the 101 response, per
//! handshake, on a new client each time.
//!
//! The server's step (find the key in the request, SHA-1 + base64 the accept, format the
//! 101) is the same function for every contender and is included in each time; it is
//! measured alone as `limit:server-101` so it can be subtracted.
//!
//! - `sockettask`: `Client::new` over borrowed 1 KiB buffers, `connect` (URL check, key from
//!   the RNG, request into the send buffer), `transmit_data` / `advance_transmit`, the 101
//!   written into `input_buffer` (where a socket read puts it), `handle_read` (full
//!   validation), `poll_event` → `Open`.
//! - `tungstenite`: `tungstenite::client::client("ws://…", stream)` (builds an
//!   `http::Request`, writes it, reads and validates the response).
//! - `embedded-websocket`: `new_client`, `client_connect` into a buffer, the 101 written into
//!   a second buffer (where its caller's socket read puts it), `client_accept` on it.
//! - `fastwebsockets`: an `http::Request` (GET, Host, Upgrade, Connection, a key from
//!   `handshake::generate_key`, version 13) and `handshake::client` over one end of a
//!   `tokio::io::duplex`, on a current-thread tokio runtime made once (`block_on` per
//!   handshake). Its client handshake is hyper's HTTP/1 client (the `upgrade` feature), not
//!   code of its own, so the time includes hyper's machinery: the connection task spawned on
//!   the runtime, request and response through hyper's codec and header maps, the upgrade
//!   hand-over. That is what its users pay. It checks the status, `Upgrade` and `Connection`
//!   of the response, not `Sec-WebSocket-Accept`. The peer, polled alongside in the same
//!   `block_on`, reads the request from the other end and writes the same server step's 101;
//!   the duplex (a mutex-guarded buffer each way) costs a little more than the in-memory
//!   stream of `tungstenite`.
//!
//! Every case runs through `sockettask_benches::placement::spread`: a sample's iterations are
//! shared out over 16 stack depths, each with the case's state made afresh there and one
//! untimed call first, so that no figure is one draw of where the process's stack lies.

use std::future::poll_fn;
use std::hint::black_box;
use std::pin::{Pin, pin};

use criterion::{Criterion, criterion_group, criterion_main};
use embedded_websocket::{WebSocketClient, WebSocketOptions};
use http_body_util::Empty;
use hyper::body::Bytes;
use hyper::header::{CONNECTION, HOST, SEC_WEBSOCKET_KEY, SEC_WEBSOCKET_VERSION, UPGRADE};
use sockettask::{Config, ConnectOptions, Schemes};
use sockettask_benches::mem::MemStream;
use sockettask_benches::placement::spread;
use sockettask_benches::{TestRng, in_memory, wire};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _, DuplexStream};

const URL: &str = "ws://example.com/chat";

/// hyper's executor for the connection task fastwebsockets spawns: the tokio runtime.
struct SpawnExecutor;

impl<F> hyper::rt::Executor<F> for SpawnExecutor
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn execute(&self, future: F) {
        tokio::spawn(future);
    }
}

/// The peer of the fastwebsockets case: reads the upgrade request (to the blank line) into
/// `request`, writes the 101 that [`wire::write_response`] makes of it.
async fn serve_101(io: &mut DuplexStream, request: &mut Vec<u8>, response: &mut Vec<u8>) {
    request.clear();
    let mut chunk = [0u8; 512];
    while !request.ends_with(b"\r\n\r\n") {
        let n = io.read(&mut chunk).await.expect("duplex read");
        assert!(n > 0, "the client closed before the end of its request");
        request.extend_from_slice(&chunk[..n]);
    }
    assert!(wire::write_response(request, response));
    io.write_all(response).await.expect("duplex write");
}

fn handshake(c: &mut Criterion) {
    let mut group = c.benchmark_group("handshake");

    let config = Config { schemes: Schemes::AllowInsecure, ..Config::default() };
    let options = ConnectOptions::new(URL);
    group.bench_function("sockettask", |b| {
        b.iter_custom(|iters| {
            spread(
                iters,
                || (vec![0u8; 1024], vec![0u8; 1024]),
                |(rx, tx)| sockettask_benches::handshake(config, &options, rx, tx),
            )
        })
    });

    group.bench_function("tungstenite", |b| {
        b.iter_custom(|iters| {
            spread(
                iters,
                || (),
                |()| {
                    tungstenite::client::client(black_box(URL), MemStream::handshaking()).expect("handshake")
                },
            )
        })
    });

    let runtime = tokio::runtime::Builder::new_current_thread().build().expect("tokio runtime");
    group.bench_function("fastwebsockets", |b| {
        b.iter_custom(|iters| {
            spread(
                iters,
                || (Vec::with_capacity(1024), Vec::with_capacity(256)),
                |(peer_request, response)| {
                    runtime.block_on(async {
                        let (stream, mut peer) = tokio::io::duplex(4096);
                        let request = hyper::Request::builder()
                            .method("GET")
                            .uri(black_box("/chat"))
                            .header(HOST, "example.com")
                            .header(UPGRADE, "websocket")
                            .header(CONNECTION, "Upgrade")
                            .header(SEC_WEBSOCKET_KEY, fastwebsockets::handshake::generate_key())
                            .header(SEC_WEBSOCKET_VERSION, "13")
                            .body(Empty::<Bytes>::new())
                            .expect("request");
                        let mut client =
                            pin!(fastwebsockets::handshake::client(&SpawnExecutor, request, stream));
                        let mut server = pin!(serve_101(&mut peer, peer_request, response));
                        let mut served = false;
                        // Both sides in one task: the peer until it has answered, the client
                        // to the end.
                        poll_fn(|cx| {
                            if !served {
                                served = Pin::as_mut(&mut server).poll(cx).is_ready();
                            }
                            Pin::as_mut(&mut client).poll(cx)
                        })
                        .await
                        .expect("handshake")
                    })
                },
            )
        })
    });

    let ews_options = WebSocketOptions {
        path: "/chat",
        host: "example.com",
        origin: "http://example.com",
        sub_protocols: None,
        additional_headers: None,
    };
    group.bench_function("embedded-websocket", |b| {
        b.iter_custom(|iters| {
            spread(
                iters,
                || (vec![0u8; 1024], vec![0u8; 1024]),
                |(request, response)| {
                    let mut ws = WebSocketClient::new_client(TestRng::new(7));
                    let (len, key) = ws.client_connect(black_box(&ews_options), request).expect("connect");
                    let read = wire::answer(&request[..len], response).expect("key and room");
                    ws.client_accept(&key, &response[..read]).expect("accept")
                },
            )
        })
    });

    let request = wire::request("example.com", "/chat", "dGhlIHNhbXBsZSBub25jZQ==");
    group.bench_function("limit:server-101", |b| {
        b.iter_custom(|iters| {
            spread(
                iters,
                || vec![0u8; 1024],
                |response| wire::answer(black_box(request.as_bytes()), response).expect("key and room"),
            )
        })
    });
    group.finish();
}

criterion_group! { name = benches; config = in_memory(); targets = handshake }
criterion_main!(benches);
