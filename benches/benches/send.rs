//! Send path, in memory: one message → masked wire bytes ready for the socket, 16 B to 1 MiB.
//!
//! What each contender does per iteration (one binary message):
//! - `sockettask`: `Client::send` (mask key from the RNG, header + copy-and-mask into the
//!   send buffer), `transmit_data` (the bytes a driver writes), `advance_transmit`.
//! - `sockettask in place`: `Client::send_in_place` (masks the caller's payload in place,
//!   queues the 2–14-byte head), `transmit_data` + `advance_transmit` (the head), then
//!   `in_place_due` (the payload, written from the caller's buffer) + `advance_in_place`;
//!   the send buffer stays at 1 KiB whatever the message size.
//! - `tungstenite`: `WebSocket::send(Message::Binary(bytes.clone()))` (a refcount clone):
//!   the frame is formatted and masked into tungstenite's write buffer, then flushed to the
//!   stream.
//! - `fastwebsockets`: `write_frame(Frame::binary(Payload::BorrowedMut(..)))`: masks the
//!   caller's payload *in place* (it is destroyed), then writes header + payload (vectored
//!   above 1 KiB, copied into its write buffer below).
//! - `embedded-websocket`: `WebSocketClient::write` into a caller buffer (copy-and-mask).
//! - `limit:memcpy`: `copy_from_slice` of the payload; `limit:copy+xor`: a fused
//!   copy-and-XOR loop, the least work an encoder that leaves the payload intact can do.
//!
//! Every stream write lands in a sink that looks at the bytes without copying them (a socket
//! write costs every contender the same; the echo benches measure it).
//!
//! Every case runs through `sockettask_benches::placement::spread`: a sample's iterations are
//! shared out over 16 stack depths, each with the case's state made afresh there and one
//! untimed call first, so that no figure is one draw of where the process's stack lies.

use std::hint::black_box;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main};
use embedded_websocket::{WebSocketClient, WebSocketSendMessageType, WebSocketState};
use fastwebsockets::{Frame, Payload, Role, WebSocket};
use sockettask::{Instant, Message, TX_OVERHEAD};
use sockettask_benches::mem::{MemStream, block_on};
use sockettask_benches::placement::spread;
use sockettask_benches::{SEND_SIZES, TestRng, fused_copy_xor, in_memory, open_client, size_label, wire};

fn send(c: &mut Criterion) {
    for size in SEND_SIZES {
        let mut group = c.benchmark_group(format!("send {}", size_label(size)));
        group.throughput(Throughput::Bytes(size as u64));
        let payload = wire::binary(size);
        // Hidden from the optimiser once, not per iteration: a `black_box` in the loop costs
        // a store and a reload of the slice on every send, and whether that reload waits for
        // the store depends on how each contender's loop was compiled.
        let input: &[u8] = black_box(&payload);

        let now = Instant::from_millis(0);
        group.bench_function("sockettask", |b| {
            b.iter_custom(|iters| {
                spread(
                    iters,
                    || open_client(4096, (size + TX_OVERHEAD).max(1024)),
                    |(client, task)| {
                        client.send(*task, Message::Binary(input)).expect("send");
                        let n = black_box(client.transmit_data(*task)).len();
                        client.advance_transmit(now, *task, n);
                    },
                )
            })
        });

        group.bench_function("sockettask in place", |b| {
            b.iter_custom(|iters| {
                spread(
                    iters,
                    || (open_client(4096, 1024), payload.clone()),
                    |((client, task), scratch)| {
                        client.send_in_place(*task, &mut scratch[..]).expect("send");
                        let n = black_box(client.transmit_data(*task)).len();
                        client.advance_transmit(now, *task, n);
                        if let Some(due) = client.in_place_due(*task) {
                            black_box(&scratch[due.clone()]);
                            client.advance_in_place(now, *task, due.len());
                        }
                    },
                )
            })
        });

        let bytes = black_box(tungstenite::Bytes::from(payload.clone()));
        group.bench_function("tungstenite", |b| {
            b.iter_custom(|iters| {
                spread(
                    iters,
                    || {
                        tungstenite::WebSocket::from_raw_socket(
                            MemStream::default(),
                            tungstenite::protocol::Role::Client,
                            None,
                        )
                    },
                    |ws| ws.send(tungstenite::Message::Binary(bytes.clone())).expect("send"),
                )
            })
        });

        group.bench_function("fastwebsockets", |b| {
            b.iter_custom(|iters| {
                spread(
                    iters,
                    || (WebSocket::after_handshake(MemStream::default(), Role::Client), payload.clone()),
                    |(ws, scratch)| {
                        let frame = Frame::binary(Payload::BorrowedMut(&mut scratch[..]));
                        block_on(ws.write_frame(frame)).expect("write");
                    },
                )
            })
        });

        group.bench_function("embedded-websocket", |b| {
            b.iter_custom(|iters| {
                spread(
                    iters,
                    || {
                        let mut ws = WebSocketClient::new_client(TestRng::new(3));
                        ws.state = WebSocketState::Open;
                        (ws, vec![0; size + 14])
                    },
                    |(ws, out)| {
                        let n = ws.write(WebSocketSendMessageType::Binary, true, input, out).expect("write");
                        black_box(&out[..n]);
                    },
                )
            })
        });

        let key = black_box([0x37, 0xFA, 0x21, 0x3D]);
        limit(&mut group, "limit:memcpy", size, |dst| dst.copy_from_slice(input));
        limit(&mut group, "limit:copy+xor", size, |dst| fused_copy_xor(input, dst, key));
        group.finish();
    }
}

/// A limit case: `copy` writes the `size`-byte payload into a frame-shaped buffer, after a
/// 14-byte header's room, as the encoders write (a generic function, so that each copy is
/// inlined in its loop).
fn limit(group: &mut BenchmarkGroup<'_, WallTime>, name: &str, size: usize, copy: impl Fn(&mut [u8])) {
    group.bench_function(name, |b| {
        b.iter_custom(|iters| {
            spread(
                iters,
                || vec![0; size + 14],
                |frame| {
                    let dst = &mut frame[14..];
                    copy(dst);
                    black_box(&dst);
                },
            )
        })
    });
}

criterion_group! { name = benches; config = in_memory(); targets = send }
criterion_main!(benches);
