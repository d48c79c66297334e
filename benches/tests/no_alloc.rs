//! The steady-state send/receive path of the mio transport allocates nothing per message:
//! after a warm-up (connect, handshake, first messages), echo messages through the loopback
//! echo server and count the client thread's allocations (the server runs on other threads
//! and is not counted). The transport's buffers grow on demand and shrink back: the warm-up
//! grows them to the flow (checked), a steady flow keeps them, and once they have shrunk
//! back after a large message, small messages allocate nothing either.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use sockettask_benches::alloc::{Counting, allocations};
use sockettask_benches::echo::{EchoClient, Ours};
use sockettask_benches::server::echo_server;
use sockettask_benches::wire;
use sockettask_mio::{BufferPolicy, Client, Config, ConnectOptions, Message, Options, Schemes};

#[global_allocator]
static ALLOC: Counting = Counting;

/// Messages per size: enough to catch any per-message allocation, few enough for a debug
/// build.
const MESSAGES: [(usize, u64); 2] = [(16, 1000), (64 << 10, 100)];

#[test]
fn driver_echo_allocates_nothing_per_message() {
    for (size, messages) in MESSAGES {
        let payload = wire::binary(size);
        let mut ours = Ours::connect(2, size);
        let initial = ours.buffer_bytes();
        ours.pipelined(&payload, 100);
        ours.ping_pong(&payload);
        let grown = ours.buffer_bytes();
        if size > BufferPolicy::DEFAULT_INITIAL {
            assert!(grown > initial, "the warm-up grew no buffer ({initial} B) for {size} B messages");
        }
        let before = allocations();
        ours.pipelined(&payload, messages);
        for _ in 0..10 {
            ours.ping_pong(&payload);
        }
        let during = allocations() - before;
        assert_eq!(during, 0, "{during} allocations over {messages} + 20 messages of {size} B");
        assert_eq!(ours.buffer_bytes(), grown, "the buffers were resized during a steady flow");
    }
}

/// A task that saw one 1 MiB message, at the default limits, and whose buffers shrank back:
/// small messages then allocate nothing, and the buffers stay at their initial length.
#[test]
fn after_a_large_message_shrinks_back_small_messages_allocate_nothing() {
    let options = Options {
        config: Config { schemes: Schemes::AllowInsecure, ..Config::default() },
        buffers: BufferPolicy { shrink_after: Duration::from_millis(300), ..BufferPolicy::default() },
        ..Options::default()
    };
    let (small, large) = (wire::binary(16), wire::binary(1 << 20));
    let mut ours = Ours::connect_with(1, 16, options);
    let initial = ours.buffer_bytes();
    ours.ping_pong(&small);
    ours.ping_pong(&large);
    assert!(ours.buffer_bytes() > initial + (1 << 20), "1 MiB each way grew the buffers");
    ours.rest(Duration::from_secs(1));
    assert_eq!(ours.buffer_bytes(), initial, "the buffers shrank back");
    ours.ping_pong(&small);
    let before = allocations();
    for _ in 0..1000 {
        ours.ping_pong(&small);
    }
    let during = allocations() - before;
    assert_eq!(during, 0, "{during} allocations over 1000 messages of 16 B after the shrink");
    assert_eq!(ours.buffer_bytes(), initial);
}

#[test]
fn client_listener_echo_allocates_nothing_per_message() {
    for (size, messages) in MESSAGES {
        let url = format!("ws://127.0.0.1:{}/", echo_server().ws);
        let mut client = Client::new(Ours::options(size)).expect("client");
        let task = client.connect_socket(ConnectOptions::new(&url)).expect("connect");
        let payload: Rc<[u8]> = wire::binary(size).into();
        let received = Rc::new(Cell::new(0u64));
        let p = Rc::clone(&payload);
        task.on_open(&mut client, move |client, task, _| {
            task.send(client, Message::Binary(&p)).expect("send");
        });
        let (p, r) = (Rc::clone(&payload), Rc::clone(&received));
        task.on_message(&mut client, move |client, task, _| {
            r.set(r.get() + 1);
            task.send(client, Message::Binary(&p)).expect("send");
        });
        let mut run_until = |count: u64| {
            while received.get() < count {
                client.poll(Some(Duration::from_secs(5))).expect("poll");
            }
        };
        run_until(50);
        let before = allocations();
        run_until(50 + messages);
        let during = allocations() - before;
        assert_eq!(during, 0, "{during} allocations over {messages} messages of {size} B");
    }
}

#[test]
fn the_counter_sees_this_threads_allocations() {
    let before = allocations();
    let boxed = std::hint::black_box(Box::new([0u8; 64]));
    assert_eq!(allocations() - before, 1);
    drop(boxed);
}
