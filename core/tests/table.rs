//! The task table: five tasks at once (S3.5), handles with generations, `socketTaskId`s that
//! count up and are never reused (S1), tasks that do not disturb each other (S4).

mod support;

use std::time::Duration;

use sockettask::{
    CloseCode, CloseError, Config, ConnectError, ConnectOptions, Message, ReadyState, SendError, TaskError,
};
use support::*;

#[test]
fn five_tasks_at_once_and_the_sixth_is_refused() {
    let mut h = Harness::new();
    let tasks: Vec<_> = (0..5).map(|_| h.open()).collect();
    assert_eq!(tasks.iter().map(|t| t.socket_task_id()).collect::<Vec<_>>(), [1, 2, 3, 4, 5]);
    assert_eq!(tasks.iter().map(|t| t.slot()).collect::<Vec<_>>(), [0, 1, 2, 3, 4]);
    assert_eq!(h.client.handles().collect::<Vec<_>>(), tasks);
    assert_eq!(h.client.capacity(), 5);
    let err = h.try_connect(&ConnectOptions::new(URL)).unwrap_err();
    assert_eq!(err, ConnectError::TooManyTasks { limit: 5 });
    // Each task is independent: traffic on one reaches only it.
    for (i, &t) in tasks.iter().enumerate() {
        assert_eq!(h.feed(t, &text(&format!("to {i}"))), [Ev::Text(format!("to {i}"))]);
        h.client.send(t, Message::Text(&format!("from {i}"))).unwrap();
    }
    for (i, &t) in tasks.iter().enumerate() {
        assert_eq!(h.frames(t)[0].payload, format!("from {i}").into_bytes());
    }
}

#[test]
fn a_closing_task_keeps_its_slot() {
    let mut h = Harness::new();
    let tasks: Vec<_> = (0..5).map(|_| h.open()).collect();
    h.client.close(h.now, tasks[2], None, "").unwrap();
    assert_eq!(
        h.try_connect(&ConnectOptions::new(URL)).unwrap_err(),
        ConnectError::TooManyTasks { limit: 5 }
    );
    h.feed(tasks[2], &close_frame(1000, ""));
    assert_eq!(h.eof(tasks[2]), [Ev::close(1000, "")]);
    let next = h.connect(URL);
    assert_eq!(next.slot(), 2);
}

#[test]
fn a_freed_slot_gets_a_new_handle_and_the_old_one_is_dead() {
    let mut h = Harness::new();
    let tasks: Vec<_> = (0..5).map(|_| h.open()).collect();
    let old = tasks[3];
    assert_eq!(h.eof(old), [Ev::abnormal()]);
    let new = h.open();
    assert_eq!((new.slot(), new.socket_task_id()), (3, 6));
    assert_ne!(new, old);
    // The old handle never reaches the new task.
    assert_eq!(h.state(old), ReadyState::Closed);
    assert_eq!(h.state(new), ReadyState::Open);
    assert_eq!(h.client.send(old, Message::Text("x")), Err(SendError::NotOpen(ReadyState::Closed)));
    assert_eq!(h.client.ping(old, b""), Err(SendError::NotOpen(ReadyState::Closed)));
    assert_eq!(h.client.close(h.now, old, None, ""), Err(CloseError::NotConnected));
    assert_eq!(h.client.buffered_amount(old), 0);
    assert!(h.client.transmit_data(old).is_empty());
    assert!(h.client.input_buffer(old).is_empty());
    assert_eq!(h.client.handle_input(h.now, old, &text("stale")), 5 + 2, "dropped, all taken");
    h.client.handle_eof(h.now, old);
    h.client.handle_transport_error(h.now, old, sockettask::TransportError::Reset);
    assert!(h.drain().is_empty(), "nothing reaches the new task");
    assert_eq!(h.state(new), ReadyState::Open);
    assert_eq!(h.client.buffered_amount(new), 0);
    h.client.send(new, Message::Text("fresh")).unwrap();
    assert_eq!(h.frames(new)[0].payload, b"fresh");
    assert!(h.client.handles().any(|x| x == new));
    assert!(!h.client.handles().any(|x| x == old));
}

#[test]
fn task_ids_count_up_and_are_never_reused() {
    let mut h = Harness::with(Config::default(), 2, RX_LEN, TX_LEN);
    let mut seen = Vec::new();
    for round in 0..10u64 {
        let t = h.connect(URL);
        assert_eq!(t.socket_task_id(), round + 1);
        seen.push(t.socket_task_id());
        if round % 2 == 0 {
            h.client.close(h.now, t, None, "").unwrap();
            assert_eq!(h.events(t), [Ev::abnormal()]);
        } else {
            h.client.handle_transport_error(h.now, t, sockettask::TransportError::Connect);
            assert_eq!(h.events(t), [Ev::Error(TaskError::Transport(sockettask::TransportError::Connect))]);
        }
    }
    let mut unique = seen.clone();
    unique.dedup();
    assert_eq!(unique, seen);
}

#[test]
fn a_handle_never_issued_is_unknown() {
    // Handles come only from `connect`; a handle of a bigger client names a slot this one does
    // not have, or an id it never issued.
    let mut big = Harness::new();
    let foreign: Vec<_> = (0..5).map(|_| big.connect(URL)).collect();
    let mut h = Harness::with(Config::default(), 2, RX_LEN, TX_LEN);
    let own = h.connect(URL);
    for &t in &foreign[1..] {
        assert_eq!(h.client.send(t, Message::Text("x")), Err(SendError::UnknownHandle), "{t:?}");
        assert_eq!(h.client.ping(t, b""), Err(SendError::UnknownHandle));
        assert_eq!(h.client.close(h.now, t, None, ""), Err(CloseError::UnknownHandle));
        assert_eq!(
            CloseError::UnknownHandle.err_msg().to_string(),
            "closeSocket:fail WebSocket is not connected"
        );
        assert_eq!(h.state(t), ReadyState::Closed);
        assert_eq!(h.client.buffered_amount(t), 0);
        assert_eq!(h.client.handle_input(h.now, t, b"abc"), 3);
        h.client.handle_eof(h.now, t);
        h.client.handle_read(h.now, t, 10);
        h.client.advance_transmit(h.now, t, 10);
    }
    assert!(h.drain().is_empty());
    assert_eq!(h.state(own), ReadyState::Connecting);
    assert_eq!(h.request(own).method, "GET", "the own task's request is intact");
}

/// Events of several tasks interleave, each task's in its own order.
#[test]
fn events_of_several_tasks() {
    let mut h = Harness::new();
    let a = h.connect(URL);
    let b = h.connect(URL);
    let c = h.connect(URL);
    let (ka, kb) = (h.request(a).key().to_owned(), h.request(b).key().to_owned());
    h.take_tx(c);
    let mut wire_a = response_101(&ka, &[]);
    wire_a.extend(text("a1"));
    let mut wire_b = response_101(&kb, &[]);
    wire_b.extend(text("b1"));
    wire_b.extend(text("b2"));
    assert_eq!(h.client.handle_input(h.now, a, &wire_a), wire_a.len());
    assert_eq!(h.client.handle_input(h.now, b, &wire_b), wire_b.len());
    h.client.close(h.now, c, Some(CloseCode::NORMAL), "").unwrap();
    let events = h.drain();
    let of = |t| events.iter().filter(|(x, _)| *x == t).map(|(_, e)| e.clone()).collect::<Vec<_>>();
    assert_eq!(of(a), [Ev::Open(None), Ev::text("a1")]);
    assert_eq!(of(b), [Ev::Open(None), Ev::text("b1"), Ev::text("b2")]);
    assert_eq!(of(c), [Ev::abnormal()]);
    assert_eq!(events.len(), 6);
}

/// S4: a timeout on one task leaves the others alone; the earliest timer is reported.
#[test]
fn timers_of_several_tasks() {
    let mut h = Harness::new();
    let slow = h.try_connect(&ConnectOptions::new(URL).timeout(Duration::from_secs(10))).unwrap();
    let open = h.open();
    h.client.close(h.now, open, None, "").unwrap();
    let fast = h.try_connect(&ConnectOptions::new(URL).timeout(Duration::from_secs(2))).unwrap();
    assert_eq!(h.client.poll_timeout(), Some(h.now + Duration::from_secs(2)));
    assert_eq!(h.advance(Duration::from_secs(2)), [(fast, Ev::Error(TaskError::Timeout))]);
    assert_eq!(h.client.poll_timeout(), Some(h.now + Duration::from_secs(3)));
    assert_eq!(h.advance(Duration::from_secs(3)), [(open, Ev::abnormal())]);
    assert_eq!(h.advance(Duration::from_secs(5)), [(slow, Ev::Error(TaskError::Timeout))]);
    assert_eq!(h.client.poll_timeout(), None);
}

#[test]
fn handles_list_live_tasks() {
    let mut h = Harness::new();
    let a = h.connect(URL);
    let b = h.open();
    assert_eq!(h.client.handles().collect::<Vec<_>>(), [a, b]);
    h.client.close(h.now, a, None, "").unwrap();
    h.drain();
    h.take_tx(b); // any call ends the loan of the last event and frees a's slot
    assert_eq!(h.client.handles().collect::<Vec<_>>(), [b]);
}
