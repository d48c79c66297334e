//! Receive path, in memory: unmasked server frames → one delivered message, text (valid
//! UTF-8 with 2-, 3- and 4-byte characters, validated) and binary, 16 B to 64 KiB, and a
//! 64 KiB text message in 64 fragments (cut inside characters too).
//!
//! What each contender does per iteration (one message):
//! - `sockettask`: copies the message's frames into `input_buffer` (the equivalent of a
//!   socket read), `handle_read`, `poll_event` → `Event::Message` borrowing the receive buffer.
//! - `tungstenite`: `WebSocket::read()` over a stream that yields the frames (its read copies
//!   them into tungstenite's buffer) → `Message`.
//! - `fastwebsockets`: `FragmentCollector::read_frame()` over the same kind of stream (it reads
//!   into its `BytesMut`, validates text with simdutf8, joins fragments) → `Frame`.
//! - `embedded-websocket`: `WebSocketClient::read(frames, out)` per frame (copies each payload
//!   into `out`); it does not validate UTF-8, so for text the bench then runs
//!   `simdutf8::basic::from_utf8` on the message, as its caller must.
//! - `limit:simdutf8` / `limit:core-utf8`: validating the same payload alone (simdutf8 with
//!   run-time CPU detection; `core::str::from_utf8`, what simdutf8 falls back to without its
//!   `std` feature and without AVX2 enabled at compile time); `limit:memcpy`: copying it.
//!
//! Every contender gets its input through one copy of the frames and hands out the message;
//! the bench looks at its bytes (`black_box`). The copies of `sockettask`, `embedded-websocket`
//! and `limit:memcpy` read from a source placed at their destination's offset in its page
//! ([`Placed`]: where the two fall relative to each other moves a 64 KiB copy by up to 40 % on
//! the machines here, and would otherwise be each one's luck with the allocator;
//! `embedded-websocket`'s destination is its output, so its frames are placed by their first
//! payload byte). The other two copy inside their own streams.
//!
//! Every case runs through `sockettask_benches::placement::spread`: a sample's iterations are
//! shared out over 16 stack depths, each with the case's state made afresh there and one
//! untimed call first, so that no figure is one draw of where the process's stack lies.

use std::hint::black_box;

use criterion::{
    BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main, measurement::WallTime,
};
use embedded_websocket::{WebSocketClient, WebSocketState};
use fastwebsockets::{FragmentCollector, Role, WebSocket};
use sockettask::{Instant, RX_OVERHEAD};
use sockettask_benches::mem::{MemStream, block_on};
use sockettask_benches::placement::spread;
use sockettask_benches::{
    Placed, RECEIVE_SIZES, TestRng, ews_read_message, in_memory, open_client, receive_message, size_label,
    wire,
};

/// One case: the message's payload, its frames, whether it is text.
struct Case {
    payload: Vec<u8>,
    frames: Vec<u8>,
    text: bool,
}

fn receive(c: &mut Criterion) {
    for size in RECEIVE_SIZES {
        for text in [true, false] {
            let payload = if text { wire::text(size).into_bytes() } else { wire::binary(size) };
            let opcode = if text { wire::TEXT } else { wire::BINARY };
            let frames = wire::server_frame(opcode, &payload);
            let kind = if text { "text" } else { "binary" };
            let mut group = c.benchmark_group(format!("receive {kind} {}", size_label(size)));
            bench_case(&mut group, &Case { payload, frames, text });
        }
    }
    let payload = wire::text(64 << 10).into_bytes();
    let frames = wire::server_fragments(wire::TEXT, &payload, 64);
    let mut group = c.benchmark_group("receive text 64 KiB in 64 fragments");
    bench_case(&mut group, &Case { payload, frames, text: true });
}

fn bench_case(group: &mut BenchmarkGroup<'_, WallTime>, case: &Case) {
    group.throughput(Throughput::Bytes(case.payload.len() as u64));
    sockettask(group, case);
    tungstenite(group, case);
    fastwebsockets(group, case);
    embedded_websocket(group, case);
    limits(group, case);
}

fn sockettask(group: &mut BenchmarkGroup<'_, WallTime>, case: &Case) {
    let now = Instant::from_millis(0);
    let setup = || {
        let (mut client, task) = open_client((case.frames.len() + RX_OVERHEAD).max(1024), 4096);
        let frames = Placed::like(&case.frames, client.input_buffer(task).as_ptr());
        (client, task, frames)
    };
    group.bench_function("sockettask", |b| {
        b.iter_custom(|iters| {
            spread(iters, setup, |(client, task, frames)| receive_message(client, *task, now, frames))
        })
    });
}

fn tungstenite(group: &mut BenchmarkGroup<'_, WallTime>, case: &Case) {
    let setup = || {
        let stream = MemStream::repeating(case.frames.clone());
        tungstenite::WebSocket::from_raw_socket(stream, tungstenite::protocol::Role::Client, None)
    };
    group.bench_function("tungstenite", |b| {
        b.iter_custom(|iters| {
            spread(iters, setup, |ws| match ws.read().expect("read") {
                tungstenite::Message::Text(text) => black_box(text.len()),
                tungstenite::Message::Binary(bytes) => black_box(bytes.len()),
                other => panic!("expected a message, got {other:?}"),
            })
        })
    });
}

fn fastwebsockets(group: &mut BenchmarkGroup<'_, WallTime>, case: &Case) {
    let setup = || {
        let stream = MemStream::repeating(case.frames.clone());
        FragmentCollector::new(WebSocket::after_handshake(stream, Role::Client))
    };
    group.bench_function("fastwebsockets", |b| {
        b.iter_custom(|iters| {
            spread(iters, setup, |ws| {
                let frame = block_on(ws.read_frame()).expect("read");
                black_box(&frame.payload[..]);
            })
        })
    });
}

fn embedded_websocket(group: &mut BenchmarkGroup<'_, WallTime>, case: &Case) {
    // The first frame's header: the bytes before the payload's first (single frames; the
    // fragmented case's first fragment).
    let header = wire::header_len(&case.frames);
    let setup = || {
        let mut ws = WebSocketClient::new_client(TestRng::new(4));
        ws.state = WebSocketState::Open;
        let out = vec![0; case.payload.len()];
        let frames = Placed::like(&case.frames, out.as_ptr().wrapping_sub(header));
        (ws, out, frames)
    };
    let text = case.text;
    group.bench_function("embedded-websocket", |b| {
        b.iter_custom(|iters| {
            spread(iters, setup, |(ws, out, frames)| {
                let to = ews_read_message(ws, frames, out);
                let message = &out[..to];
                if text {
                    black_box(simdutf8::basic::from_utf8(message).expect("valid UTF-8"));
                }
                black_box(message);
            })
        })
    });
}

fn limits(group: &mut BenchmarkGroup<'_, WallTime>, case: &Case) {
    // Hidden from the optimiser once, not per iteration (see `benches/send.rs`).
    let payload: &[u8] = black_box(&case.payload);
    if case.text {
        group.bench_function("limit:simdutf8", |b| {
            b.iter_custom(|iters| spread(iters, || (), |()| simdutf8::basic::from_utf8(payload).is_ok()))
        });
        group.bench_function("limit:core-utf8", |b| {
            b.iter_custom(|iters| spread(iters, || (), |()| core::str::from_utf8(payload).is_ok()))
        });
    }
    let setup = || {
        let dst = vec![0; payload.len()];
        let source = Placed::like(payload, dst.as_ptr());
        (dst, source)
    };
    group.bench_function("limit:memcpy", |b| {
        b.iter_custom(|iters| {
            spread(iters, setup, |(dst, source)| {
                dst.copy_from_slice(source);
                black_box(&dst);
            })
        })
    });
}

criterion_group! { name = benches; config = in_memory(); targets = receive }
criterion_main!(benches);
