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
//! `memcpy-64k` (the bench's `limit:memcpy`). Each copies from a source at the same offset in
//! its page as its destination: where two buffers fall relative to each other moves the speed
//! of a 64 KiB copy on this machine by up to 40 % (a destination 16 bytes past its source,
//! modulo 4 KiB, is the slow case: a load waits on an earlier store 4 KiB away), and the
//! criterion benches leave that to the allocator. A file of its own: cases added to
//! `examples/instructions.rs` would change how much of the client its 16 B cases inline, and
//! so their instruction counts.

use std::hint::black_box;

use embedded_websocket::{WebSocketClient, WebSocketState};
use sockettask::{Event, Instant, RX_OVERHEAD};
use sockettask_benches::ab::run_cli;
use sockettask_benches::{TestRng, open_client, wire};

fn main() {
    run_cli("copy64k", case);
}

/// The case of that name: a function that runs it `n` times.
fn case(name: &str) -> Option<fn(u32)> {
    Some(match name {
        "receive-binary-64k" => receive_64k,
        "ews-receive-binary-64k" => ews_receive_64k,
        "memcpy-64k" => memcpy_64k,
        _ => return None,
    })
}

/// `bytes` copied into a new buffer at the same offset in its page as `like`: a copy from it
/// to `like` meets no false dependence between a load and an earlier store 4 KiB apart.
fn placed(bytes: &[u8], like: *const u8) -> (Vec<u8>, std::ops::Range<usize>) {
    let mut buffer = vec![0u8; bytes.len() + 4096];
    let start = (like as usize).wrapping_sub(buffer.as_ptr() as usize) % 4096;
    let range = start..start + bytes.len();
    buffer[range.clone()].copy_from_slice(bytes);
    (buffer, range)
}

fn receive_64k(n: u32) {
    let payload = wire::binary(64 * 1024);
    let frames = wire::server_frame(wire::BINARY, &payload);
    let (mut client, task) = open_client(frames.len() + RX_OVERHEAD, 4096);
    let (source, range) = placed(&frames, client.input_buffer(task).as_ptr());
    let frames = &source[range];
    let now = Instant::from_millis(0);
    for _ in 0..n {
        let buf = client.input_buffer(task);
        buf[..frames.len()].copy_from_slice(frames);
        client.handle_read(now, task, frames.len());
        match client.poll_event() {
            Some((_, Event::Message(message))) => black_box(message.as_bytes()),
            other => panic!("expected a message, got {other:?}"),
        };
    }
}

fn ews_receive_64k(n: u32) {
    let payload = wire::binary(64 * 1024);
    let frames = wire::server_frame(wire::BINARY, &payload);
    let mut ws = WebSocketClient::new_client(TestRng::new(4));
    ws.state = WebSocketState::Open;
    let mut out = vec![0; payload.len()];
    // Its copy reads the payload, 10 bytes into the frame.
    let (source, range) = placed(&frames, out.as_ptr().wrapping_sub(10));
    let frames = &source[range];
    for _ in 0..n {
        let (mut from, mut to) = (0, 0);
        loop {
            let read = ws.read(&frames[from..], &mut out[to..]).expect("read");
            from += read.len_from;
            to += read.len_to;
            if read.end_of_message {
                break;
            }
        }
        black_box(&out[..to]);
    }
}

fn memcpy_64k(n: u32) {
    let payload = wire::binary(64 * 1024);
    let mut dst = vec![0; payload.len()];
    let (source, range) = placed(&payload, dst.as_ptr());
    let payload = &source[range];
    for _ in 0..n {
        dst.copy_from_slice(black_box(payload));
        black_box(&dst);
    }
}
