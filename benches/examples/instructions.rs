//! The in-memory cases of the `receive`, `send` and `handshake` benches, run a given number
//! of times outside criterion, for an instruction counter: `benches/scripts/instructions.sh`
//! runs each case under callgrind at two counts and prints the instructions of one
//! iteration (the difference over the extra iterations, so set-up drops out). Instruction
//! counts do not move with the machine's load, as the benches' times do.
//!
//! ```text
//! instructions CASE N
//! instructions --ab CASE_A CASE_B BATCH ROUNDS
//! ```
//!
//! The second form times two cases in one process, in alternating batches (see
//! [`sockettask_benches::ab::ab`]): a ratio of wall times that a shared machine's swings leave
//! alone, unlike two criterion benches measured one after the other. `--ab handshake
//! ews-handshake 500 2000` takes about 2 s. The ratio still moves between builds whose code is the same but laid out
//! differently (seen: 1.06 and 1.15 for one handshake, with only this file changed), so a
//! change of a few per cent is judged by instruction counts, not by this.
//!
//! Cases, each doing what the bench of the same contender does per iteration:
//! - `receive-text-16`, `receive-binary-16`: sockettask (`input_buffer` copy, `handle_read`,
//!   `poll_event`);
//! - `ews-receive-text-16`, `ews-receive-binary-16`: embedded-websocket's `read` (and
//!   `simdutf8::basic::from_utf8` for text, as its caller must);
//! - `send-16`, `ews-send-16`: one 16 B binary message onto the wire;
//! - `handshake`, `ews-handshake`: a client from nothing to OPEN against the same 101, which
//!   the bench's server side writes in the iteration: `server-101` is that part alone;
//! - `connect`, `ews-connect`: the first part of those, a client from nothing to its request
//!   written (sockettask computes the `Sec-WebSocket-Accept` it expects here,
//!   embedded-websocket when the 101 comes). `handshake` less `connect` less `server-101` is
//!   what each client spends taking the 101.

use std::hint::black_box;

use embedded_websocket::{WebSocketClient, WebSocketOptions, WebSocketSendMessageType, WebSocketState};
use sockettask::{Config, ConnectOptions, Instant, Message, RX_OVERHEAD, Schemes};
use sockettask_benches::ab::run_cli;
use sockettask_benches::{TestRng, ews_read_message, open_client, receive_message, wire};

fn main() {
    run_cli("instructions", case);
}

/// The case of that name: a function that runs it `n` times.
pub(crate) fn case(name: &str) -> Option<fn(u32)> {
    Some(match name {
        "receive-text-16" => |n| receive(true, n),
        "receive-binary-16" => |n| receive(false, n),
        "ews-receive-text-16" => |n| ews_receive(true, n),
        "ews-receive-binary-16" => |n| ews_receive(false, n),
        "send-16" => send,
        "ews-send-16" => ews_send,
        "handshake" => handshake,
        "ews-handshake" => ews_handshake,
        "server-101" => server_101,
        "connect" => connect,
        "ews-connect" => ews_connect,
        _ => return None,
    })
}

fn message(text: bool) -> (Vec<u8>, Vec<u8>) {
    let payload = if text { wire::text(16).into_bytes() } else { wire::binary(16) };
    let frames = wire::server_frame(if text { wire::TEXT } else { wire::BINARY }, &payload);
    (payload, frames)
}

fn receive(text: bool, n: u32) {
    let (_, frames) = message(text);
    let (mut client, task) = open_client((frames.len() + RX_OVERHEAD).max(1024), 4096);
    let now = Instant::from_millis(0);
    for _ in 0..n {
        receive_message(&mut client, task, now, &frames);
    }
}

fn ews_receive(text: bool, n: u32) {
    let (payload, frames) = message(text);
    let mut ws = WebSocketClient::new_client(TestRng::new(4));
    ws.state = WebSocketState::Open;
    let mut out = vec![0; payload.len()];
    for _ in 0..n {
        let to = ews_read_message(&mut ws, &frames, &mut out);
        let message = &out[..to];
        if text {
            black_box(simdutf8::basic::from_utf8(message).expect("valid UTF-8"));
        }
        black_box(message);
    }
}

fn send(n: u32) {
    let payload = wire::binary(16);
    let (mut client, task) = open_client(4096, 1024);
    let now = Instant::from_millis(0);
    for _ in 0..n {
        client.send(task, Message::Binary(black_box(&payload))).expect("send");
        let n = black_box(client.transmit_data(task)).len();
        client.advance_transmit(now, task, n);
    }
}

fn ews_send(n: u32) {
    let payload = wire::binary(16);
    let mut ws = WebSocketClient::new_client(TestRng::new(3));
    ws.state = WebSocketState::Open;
    let mut out = vec![0; 16 + 14];
    for _ in 0..n {
        let n =
            ws.write(WebSocketSendMessageType::Binary, true, black_box(&payload), &mut out).expect("write");
        black_box(&out[..n]);
    }
}

const URL: &str = "ws://example.com/chat";

fn handshake(n: u32) {
    let config = Config { schemes: Schemes::AllowInsecure, ..Config::default() };
    let options = ConnectOptions::new(URL);
    let (mut rx, mut tx) = (vec![0u8; 1024], vec![0u8; 1024]);
    for _ in 0..n {
        sockettask_benches::handshake(config, &options, &mut rx, &mut tx);
    }
}

/// embedded-websocket's options for [`URL`], with the `Origin` its request always carries.
fn ews_options() -> WebSocketOptions<'static> {
    WebSocketOptions {
        path: "/chat",
        host: "example.com",
        origin: "http://example.com",
        sub_protocols: None,
        additional_headers: None,
    }
}

fn ews_handshake(n: u32) {
    let options = ews_options();
    let (mut request, mut response) = (vec![0u8; 1024], vec![0u8; 1024]);
    for _ in 0..n {
        let mut ws = WebSocketClient::new_client(TestRng::new(7));
        let (len, key) = ws.client_connect(black_box(&options), &mut request).expect("connect");
        let read = wire::answer(&request[..len], &mut response).expect("key and room");
        black_box(ws.client_accept(&key, &response[..read]).expect("accept"));
    }
}

fn connect(n: u32) {
    let config = Config { schemes: Schemes::AllowInsecure, ..Config::default() };
    let options = ConnectOptions::new(URL);
    let (mut rx, mut tx) = (vec![0u8; 1024], vec![0u8; 1024]);
    for _ in 0..n {
        sockettask_benches::connecting(config, &options, &mut rx, &mut tx, |client, task| {
            black_box(client.transmit_data(task));
        });
    }
}

fn ews_connect(n: u32) {
    let options = ews_options();
    let mut request = vec![0u8; 1024];
    for _ in 0..n {
        let mut ws = WebSocketClient::new_client(TestRng::new(7));
        let (len, key) = ws.client_connect(black_box(&options), &mut request).expect("connect");
        black_box((&request[..len], key));
    }
}

fn server_101(n: u32) {
    let request = wire::request("example.com", "/chat", "dGhlIHNhbXBsZSBub25jZQ==");
    let mut response = vec![0u8; 1024];
    for _ in 0..n {
        black_box(wire::answer(black_box(request.as_bytes()), &mut response).expect("key and room"));
    }
}
