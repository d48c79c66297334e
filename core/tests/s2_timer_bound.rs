//! `handle_timeout` skips the slots while no timer can be due (the client keeps a lower
//! bound of every task's timers). These check that skipping never changes what the call
//! does: every due timer is applied at the first `handle_timeout` at or after it, and a
//! timer that expired behind waiting events takes effect at the first `handle_timeout` after
//! they are polled, exactly as when every slot is looked at. (Debug builds also assert, on
//! every skip, that no task has a timer due.)

mod support;

use std::time::Duration;

use sockettask::{ConnectOptions, DEFAULT_CLOSE_TIMEOUT, Event, ReadyState};
use support::*;

/// A close timer that expired while a message waited: once the message is polled, the next
/// `handle_timeout` (clock unchanged, no timer armed any more) ends the task.
#[test]
fn a_timer_expired_behind_an_event_takes_effect_at_the_next_handle_timeout() {
    let mut h = Harness::new();
    let t = h.open();
    h.client.close(h.now, t, None, "").unwrap();
    h.take_tx(t);
    // The peer sends one more message before answering the close (RFC 6455 §5.5.1: it may).
    assert_eq!(h.client.handle_input(h.now, t, &text("late")), text("late").len());
    h.now = h.now + DEFAULT_CLOSE_TIMEOUT;
    h.client.handle_timeout(h.now);
    // S11: the message was queued in CLOSING; the timer waits behind it.
    assert_eq!(h.state(t), ReadyState::Closing);
    assert_eq!(h.client.poll_timeout(), None);
    match h.client.poll_event() {
        Some((from, Event::Message(m))) => {
            assert_eq!(from, t);
            assert_eq!(m.as_bytes(), b"late");
        }
        other => panic!("expected the message, got {other:?}"),
    }
    assert_eq!(h.state(t), ReadyState::Closing);
    h.client.handle_timeout(h.now);
    assert_eq!(h.state(t), ReadyState::Closed);
    assert_eq!(h.drain(), [(t, Ev::abnormal())]);
}

/// Each timer fires at exactly its instant, not a millisecond later, when `handle_timeout`
/// is called every millisecond (as a driver does on every turn) and most calls skip.
#[test]
fn timers_fire_at_their_instant_when_called_every_millisecond() {
    let config = sockettask::Config { close_timeout: Duration::from_millis(40), ..Default::default() };
    let mut h = Harness::with_config(config);
    let a = h.open();
    let b = h.open();
    let connecting = h
        .client
        .connect_socket(
            h.now,
            &ConnectOptions { timeout: Some(Duration::from_millis(70)), ..ConnectOptions::new(URL) },
        )
        .unwrap();
    let start = h.now;
    h.client.close(h.now, a, None, "").unwrap();
    let mut ended = Vec::new();
    for ms in 1..=120u64 {
        h.now = start + Duration::from_millis(ms);
        if ms == 25 {
            h.client.close(h.now, b, None, "").unwrap();
        }
        h.client.handle_timeout(h.now);
        let due = h.client.poll_timeout();
        assert!(due.is_none_or(|due| due > h.now), "a due timer was left armed at {ms} ms");
        for (from, ev) in h.drain() {
            if matches!(ev, Ev::Close(..) | Ev::Error(_)) {
                ended.push((from, ms));
            }
        }
    }
    ended.dedup();
    assert_eq!(ended, [(a, 40), (b, 65), (connecting, 70)]);
}

/// A seeded random walk over three tasks (connect, open, messages, close, peer close, EOF,
/// time passing, polling at random), calling `handle_timeout` on every step: after each call
/// no timer is left due, and the event order checks of the harness hold.
#[test]
fn random_walks_never_leave_a_due_timer() {
    for seed in 0..40u64 {
        let config = sockettask::Config { close_timeout: Duration::from_millis(30), ..Default::default() };
        let mut h = Harness::with(config, 3, RX_LEN, TX_LEN);
        let mut rng = TestRng::new(seed);
        let mut next = move |n: u64| -> u64 {
            use rand_core::TryRng;
            rng.try_next_u64().unwrap() % n
        };
        let mut tasks = Vec::new();
        for _ in 0..150 {
            match next(9) {
                0 if tasks.len() < 3 => {
                    let timeout = Duration::from_millis(10 + next(50));
                    if let Ok(t) = h.client.connect_socket(
                        h.now,
                        &ConnectOptions { timeout: Some(timeout), ..ConnectOptions::new(URL) },
                    ) {
                        tasks.push(t);
                    }
                }
                1 if !tasks.is_empty() => {
                    let t = tasks[next(tasks.len() as u64) as usize];
                    if h.state(t) == ReadyState::Connecting {
                        let request = parse_request(&h.take_tx(t));
                        h.client.handle_input(h.now, t, &response_101(request.key(), &[]));
                    }
                }
                2 | 3 if !tasks.is_empty() => {
                    let t = tasks[next(tasks.len() as u64) as usize];
                    let bytes = if next(4) == 0 { vec![0x81, 0x02, 0xff, 0xfe] } else { text("hi") };
                    h.client.handle_input(h.now, t, &bytes);
                }
                4 if !tasks.is_empty() => {
                    let t = tasks[next(tasks.len() as u64) as usize];
                    let _ = h.client.close(h.now, t, None, "");
                }
                5 if !tasks.is_empty() => {
                    let t = tasks[next(tasks.len() as u64) as usize];
                    h.client.handle_input(h.now, t, &close_frame(1000, ""));
                }
                6 if !tasks.is_empty() && next(3) == 0 => {
                    let t = tasks[next(tasks.len() as u64) as usize];
                    h.client.handle_eof(h.now, t);
                }
                7 => {
                    for _ in 0..next(3) {
                        if h.client.poll_event().is_none() {
                            break;
                        }
                    }
                }
                _ => h.now = h.now + Duration::from_millis(next(12)),
            }
            h.client.handle_timeout(h.now);
            let due = h.client.poll_timeout();
            assert!(due.is_none_or(|due| due > h.now), "seed {seed}: a due timer was left armed");
            tasks.retain(|&t| h.state(t) != ReadyState::Closed || h.client.handles().any(|x| x == t));
        }
    }
}
