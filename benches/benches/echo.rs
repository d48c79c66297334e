//! Loopback echo through real sockets against one shared echo server (see
//! `sockettask_benches::server`): ping-pong latency (one message in flight per socket; one
//! iteration = one round on every socket) and pipelined throughput (a window of messages in
//! flight per socket; one iteration = one message echoed), 16 B and 64 KiB, 1 and 5 sockets.
//!
//! Contenders (`sockettask_benches::echo`): `sockettask` (the sockettask-mio `Driver`),
//! `sockettask-blocking` (the sockettask-embedded-io blocking `Driver` over std's
//! `TcpStream`: a write per message and a blocking read per echo, as raw TCP),
//! `tungstenite` (blocking sockets), `fastwebsockets` (tokio current-thread runtime) and
//! `limit:raw-tcp` (the same bytes echoed with no WebSocket work, by the same server threads,
//! over blocking sockets) and `limit:raw-tcp-mio` (those bytes over a `mio::Poll` readiness
//! loop, as sockettask's driver runs: the floor of any client driven by readiness, which
//! waits in `epoll_wait` and then reads, one system call more per round trip than a
//! blocking read).
//! embedded-websocket is not here: it has no socket driver of its own.

use std::time::{Duration, Instant};

use criterion::{
    BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main, measurement::WallTime,
};
use sockettask_benches::echo::{Blocking, EchoClient, Fast, Ours, Raw, RawMio, Tungstenite};
use sockettask_benches::{network, size_label, wire};

type Connect = fn(usize, usize) -> Box<dyn EchoClient>;

const CONTENDERS: [(&str, Connect); 6] = [
    ("sockettask", |n, size| Box::new(Ours::connect(n, size))),
    ("sockettask-blocking", |n, size| Box::new(Blocking::connect(n, size))),
    ("tungstenite", |n, size| Box::new(Tungstenite::connect(n, size))),
    ("fastwebsockets", |n, size| Box::new(Fast::connect(n, size))),
    ("limit:raw-tcp", |n, size| Box::new(Raw::connect(n, size))),
    ("limit:raw-tcp-mio", |n, size| Box::new(RawMio::connect(n, size))),
];

fn echo(c: &mut Criterion) {
    for size in [16, 64 << 10] {
        for sockets in [1, 5] {
            let payload = wire::binary(size);
            let name = format!("echo ping-pong {} x{sockets}", size_label(size));
            let mut group = c.benchmark_group(name);
            group.throughput(Throughput::Bytes((size * sockets) as u64));
            for (contender, connect) in CONTENDERS {
                ping_pong(&mut group, contender, connect(sockets, size), &payload);
            }
            group.finish();

            let name = format!("echo pipelined {} x{sockets}", size_label(size));
            let mut group = c.benchmark_group(name);
            group.throughput(Throughput::Bytes(size as u64));
            for (contender, connect) in CONTENDERS {
                pipelined(&mut group, contender, connect(sockets, size), &payload);
            }
            group.finish();
        }
    }
}

fn ping_pong(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    mut client: Box<dyn EchoClient>,
    payload: &[u8],
) {
    group.bench_function(name, |b| b.iter(|| client.ping_pong(payload)));
}

fn pipelined(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    mut client: Box<dyn EchoClient>,
    payload: &[u8],
) {
    group.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            client.pipelined(payload, iters);
            start.elapsed().max(Duration::from_nanos(1))
        })
    });
}

criterion_group! { name = benches; config = network(); targets = echo }
criterion_main!(benches);
