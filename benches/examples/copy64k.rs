//! Receiving one 64 KiB binary message against copying its payload once, timed in one
//! process in alternating batches ([`sockettask_benches::ab::ab`]): the fraction of memcpy's
//! speed a receive reaches, the issue's goal for large receives, without the drift between two
//! criterion benches run one after the other.
//!
//! ```text
//! copy64k CASE N
//! copy64k --ab CASE_A CASE_B BATCH ROUNDS     (e.g. --ab memcpy-64k receive-binary-64k 20000 20)
//! ```
//!
//! Cases, each doing what the `receive binary 64 KiB` bench's contender does per iteration:
//! `receive-binary-64k` (sockettask: `input_buffer` copy, `handle_read`, `poll_event`),
//! `ews-receive-binary-64k` (embedded-websocket's `read` into its output buffer) and
//! `memcpy-64k` (the bench's `limit:memcpy`), each copying from a source placed like its
//! destination ([`sockettask_benches::Placed`]), as the bench does. A file of its own: cases added to
//! `examples/instructions.rs` would change how much of the client its 16 B cases inline, and
//! so their instruction counts.

use std::hint::black_box;

use embedded_websocket::{WebSocketClient, WebSocketState};
use sockettask::{Instant, RX_OVERHEAD};
use sockettask_benches::ab::run_cli;
use sockettask_benches::{Placed, TestRng, ews_read_message, open_client, receive_message, wire};

fn main() {
    run_cli("copy64k", case);
}

/// The case of that name: a function that runs it `n` times.
pub(crate) fn case(name: &str) -> Option<fn(u32)> {
    Some(match name {
        "receive-binary-64k" => receive_64k,
        "ews-receive-binary-64k" => ews_receive_64k,
        "memcpy-64k" => memcpy_64k,
        _ => return None,
    })
}

fn receive_64k(n: u32) {
    let payload = wire::binary(64 * 1024);
    let frames = wire::server_frame(wire::BINARY, &payload);
    let (mut client, task) = open_client(frames.len() + RX_OVERHEAD, 4096);
    let frames = Placed::like(&frames, client.input_buffer(task).as_ptr());
    let now = Instant::from_millis(0);
    for _ in 0..n {
        receive_message(&mut client, task, now, &frames);
    }
}

fn ews_receive_64k(n: u32) {
    let payload = wire::binary(64 * 1024);
    let frames = wire::server_frame(wire::BINARY, &payload);
    let mut ws = WebSocketClient::new_client(TestRng::new(4));
    ws.state = WebSocketState::Open;
    let mut out = vec![0; payload.len()];
    // Its copy reads the payload, 10 bytes into the frame.
    let frames = Placed::like(&frames, out.as_ptr().wrapping_sub(10));
    for _ in 0..n {
        let to = ews_read_message(&mut ws, &frames, &mut out);
        black_box(&out[..to]);
    }
}

fn memcpy_64k(n: u32) {
    let payload = wire::binary(64 * 1024);
    let mut dst = vec![0; payload.len()];
    let payload = Placed::like(&payload, dst.as_ptr());
    for _ in 0..n {
        dst.copy_from_slice(black_box(&payload));
        black_box(&dst);
    }
}
