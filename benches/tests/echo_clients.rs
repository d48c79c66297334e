//! The loopback echo clients the `echo` bench and `echo_probe` time get through what the bench
//! asks of them, for both message sizes it uses and 1 and 5 sockets: ping-pong rounds, a
//! pipelined run, ping-pong rounds again. A client that lost an echo, or miscounted what came
//! back, would wait for one that never comes: each run must end within [`LIMIT`].

use std::sync::mpsc;
use std::time::Duration;

use sockettask_benches::echo::{Blocking, CoreLoop, EchoClient, Ours, Raw, RawMio};
use sockettask_benches::wire;

const LIMIT: Duration = Duration::from_secs(60);

/// Runs a client (made in its own thread: the clients are not `Send`) through ping-pong
/// rounds, a pipelined run, and ping-pong rounds again.
fn exercise(name: &str, connect: fn(usize, usize) -> Box<dyn EchoClient>) {
    for size in [16, 64 << 10] {
        for sockets in [1, 5] {
            let (done, finished) = mpsc::channel();
            std::thread::spawn(move || {
                let mut client = connect(sockets, size);
                let payload = wire::binary(size);
                for _ in 0..20 {
                    client.ping_pong(&payload);
                }
                client.pipelined(&payload, 200);
                for _ in 0..20 {
                    client.ping_pong(&payload);
                }
                let _ = done.send(());
            });
            finished
                .recv_timeout(LIMIT)
                .unwrap_or_else(|e| panic!("{name}, {size} B x{sockets}: not done within {LIMIT:?} ({e})"));
        }
    }
}

#[test]
fn raw_tcp_over_mio_echoes_every_message() {
    exercise("raw-mio", |sockets, size| Box::new(RawMio::connect(sockets, size)));
}

#[test]
fn raw_tcp_echoes_every_message() {
    exercise("raw", |sockets, size| Box::new(Raw::connect(sockets, size)));
}

#[test]
fn sockettask_echoes_every_message() {
    exercise("sockettask", |sockets, size| Box::new(Ours::connect(sockets, size)));
}

#[test]
fn sockettask_blocking_echoes_every_message() {
    exercise("sockettask-blocking", |sockets, size| Box::new(Blocking::connect(sockets, size)));
}

#[test]
fn the_core_in_a_blocking_loop_echoes_every_message() {
    exercise("core", |sockets, size| Box::new(CoreLoop::connect(sockets, size)));
}
