//! Opening handshake, in memory: build the upgrade request, validate the 101 response, per
//! handshake, on a new client each time.
//!
//! The server's step (find the key in the request, SHA-1 + base64 the accept, format the
//! 101) is the same function for every contender and is included in each time; it is
//! measured alone as `limit:server-101` so it can be subtracted.
//!
//! - `sockettask`: `Client::new` over borrowed 1 KiB buffers, `connect` (URL check, key from
//!   the RNG, request into the send buffer), `transmit_data` / `advance_transmit`,
//!   `handle_input(response)` (full validation), `poll_event` → `Open`.
//! - `tungstenite`: `tungstenite::client::client("ws://…", stream)` (builds an
//!   `http::Request`, writes it, reads and validates the response).
//! - `embedded-websocket`: `new_client`, `client_connect` into a buffer, `client_accept`.
//! - `fastwebsockets` is not here: its client handshake is hyper's HTTP/1 client (the
//!   `upgrade` feature), not code of its own.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use embedded_websocket::{WebSocketClient, WebSocketOptions};
use sockettask::{Buffers, Client, Config, ConnectOptions, Event, Instant, Schemes};
use sockettask_benches::mem::MemStream;
use sockettask_benches::{TestRng, in_memory, wire};

const URL: &str = "ws://example.com/chat";

fn handshake(c: &mut Criterion) {
    let mut group = c.benchmark_group("handshake");
    let mut response = Vec::with_capacity(256);

    let config = Config { schemes: Schemes::AllowInsecure, ..Config::default() };
    let options = ConnectOptions::new(URL);
    let now = Instant::from_millis(0);
    let (mut rx, mut tx) = (vec![0u8; 1024], vec![0u8; 1024]);
    group.bench_function("sockettask", |b| {
        b.iter(|| {
            let storage = [Buffers::new(&mut rx[..], &mut tx[..])];
            let mut client: Client<&mut [u8], TestRng, 1> =
                Client::new(config, TestRng::new(7), storage).expect("client");
            let task = client.connect(black_box(&options), now).expect("connect");
            let request = client.transmit_data(task);
            assert!(wire::write_response(request, &mut response));
            let n = request.len();
            client.advance_transmit(task, now, n);
            client.handle_input(task, now, &response);
            match client.poll_event() {
                Some((_, Event::Open(open))) => black_box(open.protocol),
                other => panic!("expected Open, got {other:?}"),
            };
        })
    });

    group.bench_function("tungstenite", |b| {
        b.iter(|| {
            let (ws, answer) =
                tungstenite::client::client(black_box(URL), MemStream::handshaking()).expect("handshake");
            black_box((ws, answer));
        })
    });

    let ews_options = WebSocketOptions {
        path: "/chat",
        host: "example.com",
        origin: "http://example.com",
        sub_protocols: None,
        additional_headers: None,
    };
    let mut request = vec![0u8; 1024];
    group.bench_function("embedded-websocket", |b| {
        b.iter(|| {
            let mut ws = WebSocketClient::new_client(TestRng::new(7));
            let (len, key) = ws.client_connect(black_box(&ews_options), &mut request).expect("connect");
            assert!(wire::write_response(&request[..len], &mut response));
            black_box(ws.client_accept(&key, &response).expect("accept"));
        })
    });

    let request = wire::request("example.com", "/chat", "dGhlIHNhbXBsZSBub25jZQ==");
    group.bench_function("limit:server-101", |b| {
        b.iter(|| assert!(wire::write_response(black_box(request.as_bytes()), &mut response)))
    });
    group.finish();
}

criterion_group! { name = benches; config = in_memory(); targets = handshake }
criterion_main!(benches);
