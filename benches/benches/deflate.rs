//! permessage-deflate (RFC 7692), in memory: compressible JSON text of 1 KiB and 64 KiB, with
//! context takeover (window 15, messages referring back into earlier ones), and 1 KiB without
//! it (`server_no_context_takeover` / `client_no_context_takeover`: every message alone).
//!
//! Each case is a stream of distinct documents (128 KiB in all: 128 × 1 KiB or 2 × 64 KiB;
//! `sockettask_benches::deflate`), and one iteration handles the stream's next message, round
//! and round, on one connection.
//!
//! **Receive** (`deflate receive …`): the server's frames (compressed once up front by flate2
//! over zlib-rs at level 6, sync flush, tail removed, one text frame with RSV1 each).
//! - `sockettask`: the core `Client` with the extension negotiated: the frame copied in through
//!   `input_buffer` (the equivalent of a socket read; a fixed buffer with room to read a whole
//!   frame at once, as the mio transport's growing buffers have), `handle_read`, `poll_event`
//!   → `Event::Message`, the inflated text borrowed in place (UTF-8 validated).
//! - `yawc` (feature `yawc`): `WebSocket::from_stream_with_extensions` over the same kind of
//!   in-memory stream as the receive bench's tungstenite and fastwebsockets,
//!   `next_frame().await` → the inflated `Frame` (zlib-rs's inflate through flate2; UTF-8
//!   validated with simdutf8, `Options::with_utf8`).
//! - `limit:miniz_oxide`: the inflater the core uses, alone: one `decompress` call per message
//!   over its payload and the tail, into one flat buffer holding the whole stream's output (no
//!   window to keep, no frames, no UTF-8).
//! - `ref:zlib-rs`: flate2's `Decompress` over zlib-rs (the inflater yawc uses) alone, the
//!   same way, into a reused buffer (zlib keeps its window itself).
//!
//! **Send** (`deflate send …`): one document → compressed, masked frame bytes ready for the
//! socket.
//! - `sockettask`: what `sockettask-mio` does: compress (flate2 over zlib-rs, level 1, sync
//!   flush, tail removed, the transport's loop) into a reused buffer, then the core's
//!   `send_compressed`, `transmit_data`, `advance_transmit`.
//! - `yawc`: `send(Frame::text(..))` (`SinkExt`) with `Options::with_low_latency_compression`
//!   (level 1), into a sink that looks at the bytes without copying them.
//! - `limit:deflate`: the same compression alone.

use std::hint::black_box;

use criterion::{
    BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main, measurement::WallTime,
};
use flate2::{Decompress, FlushDecompress};
use sockettask::{Instant, Message, TX_OVERHEAD};
use sockettask_benches::deflate::{
    self, Deflater, MAX_MESSAGE, RawInflate, Stream, TAIL, Takeover, open_client,
};
use sockettask_benches::{in_memory, size_label};

/// The cases: message size and context takeover.
const CASES: [(usize, Takeover); 3] =
    [(1 << 10, Takeover::On), (64 << 10, Takeover::On), (1 << 10, Takeover::Off)];

/// Room to read a whole compressed frame at once, beside the documented buffer.
const READ_AHEAD: usize = 64 << 10;

fn group_name(path: &str, size: usize, takeover: Takeover) -> String {
    let suffix = if takeover == Takeover::Off { " no context takeover" } else { "" };
    format!("deflate {path} {}{suffix}", size_label(size))
}

fn receive(c: &mut Criterion) {
    for (size, takeover) in CASES {
        let stream = Stream::new(size, takeover);
        eprintln!(
            "{}: {} messages, {} compressed bytes each on average ({:.1}×)",
            group_name("receive", size, takeover),
            stream.docs.len(),
            stream.compressed_len(),
            size as f64 / stream.compressed_len() as f64
        );
        let mut group = c.benchmark_group(group_name("receive", size, takeover));
        group.throughput(Throughput::Bytes(size as u64));
        sockettask_receive(&mut group, &stream, takeover);
        #[cfg(feature = "yawc")]
        peer::receive(&mut group, &stream, takeover);
        raw_inflate(&mut group, &stream, size, takeover);
        zlib_rs_inflate(&mut group, &stream, size, takeover);
        group.finish();
    }
}

fn sockettask_receive(group: &mut BenchmarkGroup<'_, WallTime>, stream: &Stream, takeover: Takeover) {
    let (mut client, task) = open_client(takeover, READ_AHEAD, 4096);
    // One round checked (and the client back at the stream's start).
    for (frame, doc) in stream.frames.iter().zip(&stream.docs) {
        assert_eq!(deflate::receive(&mut client, task, frame).0, &doc[..]);
    }
    let mut messages = stream.frames.iter().cycle();
    group.bench_function("sockettask", |b| {
        b.iter(|| {
            black_box(deflate::receive(&mut client, task, messages.next().expect("endless")).0);
        })
    });
}

fn raw_inflate(group: &mut BenchmarkGroup<'_, WallTime>, stream: &Stream, size: usize, takeover: Takeover) {
    let mut raw = RawInflate::new(stream, size, takeover);
    let count = stream.payloads.len();
    let mut i = 0;
    group.bench_function("limit:miniz_oxide", |b| {
        b.iter(|| {
            black_box(raw.message(i));
            i = (i + 1) % count;
        })
    });
}

fn zlib_rs_inflate(
    group: &mut BenchmarkGroup<'_, WallTime>,
    stream: &Stream,
    size: usize,
    takeover: Takeover,
) {
    let inputs: Vec<Vec<u8>> = stream.payloads.iter().map(|p| [&p[..], &TAIL].concat()).collect();
    let mut zlib = Decompress::new(false);
    let mut out = vec![0; size + 1];
    let mut inflate = |input: &[u8], out: &mut [u8]| {
        if takeover == Takeover::Off {
            zlib.reset(false);
        }
        let before = zlib.total_out();
        zlib.decompress(input, out, FlushDecompress::Sync).expect("inflate");
        usize::try_from(zlib.total_out() - before).expect("fits")
    };
    for (input, doc) in inputs.iter().zip(&stream.docs) {
        let n = inflate(input, &mut out);
        assert_eq!(out[..n], doc[..]);
    }
    let mut messages = inputs.iter().cycle();
    group.bench_function("ref:zlib-rs", |b| {
        b.iter(|| {
            let n = inflate(messages.next().expect("endless"), &mut out);
            black_box(&out[..n]);
        })
    });
}

fn send(c: &mut Criterion) {
    for (size, takeover) in CASES {
        let stream = Stream::new(size, takeover);
        let docs: Vec<&str> = stream.docs.iter().map(|d| std::str::from_utf8(d).expect("JSON")).collect();
        let (mut deflater, mut out, mut total) = (Deflater::new(1, takeover), Vec::new(), 0);
        for doc in &docs {
            deflater.message_into(doc.as_bytes(), &mut out);
            total += out.len();
        }
        eprintln!(
            "{}: {} compressed bytes per message at level 1 on average",
            group_name("send", size, takeover),
            total / docs.len()
        );
        let mut group = c.benchmark_group(group_name("send", size, takeover));
        group.throughput(Throughput::Bytes(size as u64));
        sockettask_send(&mut group, &docs, takeover);
        #[cfg(feature = "yawc")]
        peer::send(&mut group, &docs, takeover);
        raw_deflate(&mut group, &docs, takeover);
        group.finish();
    }
}

fn sockettask_send(group: &mut BenchmarkGroup<'_, WallTime>, docs: &[&str], takeover: Takeover) {
    let (mut client, task) = open_client(takeover, 0, MAX_MESSAGE + TX_OVERHEAD);
    let now = Instant::from_millis(0);
    let mut deflater = Deflater::new(1, takeover);
    let mut out = Vec::new();
    let mut messages = docs.iter().cycle();
    group.bench_function("sockettask", |b| {
        b.iter(|| {
            let doc = messages.next().expect("endless");
            deflater.message_into(doc.as_bytes(), &mut out);
            client.send_compressed(task, Message::Text(doc), &out).expect("send");
            let n = black_box(client.transmit_data(task)).len();
            client.advance_transmit(now, task, n);
        })
    });
}

fn raw_deflate(group: &mut BenchmarkGroup<'_, WallTime>, docs: &[&str], takeover: Takeover) {
    let mut deflater = Deflater::new(1, takeover);
    let mut out = Vec::new();
    let mut messages = docs.iter().cycle();
    group.bench_function("limit:deflate", |b| {
        b.iter(|| {
            deflater.message_into(messages.next().expect("endless").as_bytes(), &mut out);
            black_box(&out);
        })
    });
}

/// yawc 0.5, the permessage-deflate peer (feature `yawc`).
#[cfg(feature = "yawc")]
mod peer {
    use std::hint::black_box;

    use criterion::{BenchmarkGroup, measurement::WallTime};
    use futures::SinkExt as _;
    use sockettask_benches::deflate::{Stream, Takeover, answer};
    use sockettask_benches::mem::{MemStream, block_on};
    use yawc::{Frame, OpCode, Options, Role, WebSocket};

    fn open(stream: MemStream, takeover: Takeover, options: Options) -> WebSocket<MemStream> {
        WebSocket::from_stream_with_extensions(stream, Role::Client, Some(answer(takeover)), options)
            .expect("permessage-deflate")
    }

    pub(super) fn receive(group: &mut BenchmarkGroup<'_, WallTime>, stream: &Stream, takeover: Takeover) {
        let options = Options::default().with_balanced_compression().with_utf8();
        let mut ws = open(MemStream::repeating(stream.wire()), takeover, options);
        for doc in &stream.docs {
            let frame = block_on(ws.next_frame()).expect("read");
            assert_eq!((frame.opcode(), &frame.payload()[..]), (OpCode::Text, &doc[..]));
        }
        group.bench_function("yawc", |b| {
            b.iter(|| {
                let frame = block_on(ws.next_frame()).expect("read");
                black_box(&frame.payload()[..]);
            })
        });
    }

    pub(super) fn send(group: &mut BenchmarkGroup<'_, WallTime>, docs: &[&str], takeover: Takeover) {
        let options = Options::default().with_low_latency_compression();
        let mut ws = open(MemStream::default(), takeover, options);
        // `&'static` text makes `Frame::text` take it without a copy (`Bytes::from_static`).
        let docs: Vec<&'static str> = docs.iter().map(|d| &*String::leak((*d).to_owned())).collect();
        let mut messages = docs.iter().cycle();
        group.bench_function("yawc", |b| {
            b.iter(|| {
                let doc = *messages.next().expect("endless");
                block_on(ws.send(Frame::text(doc))).expect("send");
            })
        });
    }
}

criterion_group! { name = benches; config = in_memory(); targets = receive, send }
criterion_main!(benches);
