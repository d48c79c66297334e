//! Polling and timers across tasks against obviously-correct models (issue 13 restructured
//! both: `poll_event` hands out the first slot's event without a second look-up, and the
//! timer scan walks the slots directly).
//!
//! - Events: each task is a first-in first-out queue of the messages read into it (whole
//!   frames, through `input_buffer`/`handle_read` or `handle_input`), and `poll_event` takes
//!   the front of the first non-empty queue from the slot after the last one served, wrapping
//!   around (round robin). Once all is polled the whole receive buffer is free again.
//! - Timers: `poll_timeout` is the earliest connect deadline of the tasks still connecting
//!   (none when none is), and `handle_timeout(now)` fails exactly the connecting tasks whose
//!   deadline is at or before `now`, with a timeout error.

mod support;

use core::time::Duration;

use proptest::prelude::*;
use sockettask::{Config, ConnectOptions, Handle, Instant, ReadyState, TaskError};
use support::*;

const TASKS: usize = 3;
const RX: usize = 1024;

/// A message the model expects: text or binary, and its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Msg {
    Text(String),
    Binary(Vec<u8>),
}

impl Msg {
    fn new(text: bool, len: usize, seed: u8) -> Msg {
        if text {
            // ASCII and a two-byte character, cut to whole characters.
            let s: String = (0..len)
                .map(|i| if i % 7 == 3 { 'é' } else { char::from(b'a' + (i as u8).wrapping_add(seed) % 26) })
                .collect();
            Msg::Text(s)
        } else {
            Msg::Binary((0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect())
        }
    }

    fn frame(&self) -> Vec<u8> {
        match self {
            Msg::Text(s) => text(s),
            Msg::Binary(b) => binary(b),
        }
    }

    fn ev(&self) -> Ev {
        match self {
            Msg::Text(s) => Ev::Text(s.clone()),
            Msg::Binary(b) => Ev::Binary(b.clone()),
        }
    }
}

#[derive(Clone, Debug)]
enum Op {
    /// A whole frame into a task through `input_buffer` + `handle_read` (`in_place`) or
    /// `handle_input`, when the task has room for all of it.
    Read {
        task: usize,
        text: bool,
        len: usize,
        in_place: bool,
    },
    Poll,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..TASKS, any::<bool>(), prop_oneof![0usize..20, 100usize..300], any::<bool>())
            .prop_map(|(task, text, len, in_place)| Op::Read { task, text, len, in_place }),
        Just(Op::Poll),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn poll_order_is_round_robin_over_per_task_fifos(ops in proptest::collection::vec(op(), 1..60)) {
        let mut h = Harness::with(Config::default(), TASKS, RX, TX_LEN);
        let tasks: Vec<Handle> = (0..TASKS).map(|_| h.open()).collect();
        for (i, t) in tasks.iter().enumerate() {
            prop_assert_eq!(t.slot(), i);
        }
        // The opens were polled in slot order: the next poll starts at slot 0.
        let mut next = 0usize;
        let mut queues: Vec<std::collections::VecDeque<Msg>> = vec![Default::default(); TASKS];
        let mut seed = 0u8;
        let poll = |h: &mut Harness, queues: &mut Vec<std::collections::VecDeque<Msg>>, next: &mut usize| {
            let got = h.client.poll_event().map(|(handle, event)| (handle, Ev::from_event(&event)));
            let want = (0..TASKS).map(|k| (*next + k) % TASKS).find(|&slot| !queues[slot].is_empty());
            match want {
                Some(slot) => {
                    let msg = queues[slot].pop_front().unwrap();
                    *next = (slot + 1) % TASKS;
                    assert_eq!(got, Some((tasks[slot], msg.ev())));
                }
                None => assert_eq!(got, None),
            }
        };
        for op in ops {
            match op {
                Op::Read { task, text, len, in_place } => {
                    seed = seed.wrapping_add(1);
                    let msg = Msg::new(text, len, seed);
                    let frame = msg.frame();
                    let t = tasks[task];
                    let space = h.client.input_buffer(t);
                    if space.len() < frame.len() {
                        continue;
                    }
                    if in_place {
                        space[..frame.len()].copy_from_slice(&frame);
                        h.client.handle_read(h.now, t, frame.len());
                    } else {
                        prop_assert_eq!(h.client.handle_input(h.now, t, &frame), frame.len());
                    }
                    queues[task].push_back(msg);
                }
                Op::Poll => poll(&mut h, &mut queues, &mut next),
            }
        }
        // Bounded: each poll takes one queued message, and no more can be queued than polled.
        for _ in 0..=queues.iter().map(|q| q.len()).sum::<usize>() {
            poll(&mut h, &mut queues, &mut next);
        }
        prop_assert!(queues.iter().all(|q| q.is_empty()));
        for &t in &tasks {
            prop_assert_eq!(h.client.input_buffer(t).len(), RX, "the whole buffer is free once all is polled");
            prop_assert_eq!(h.state(t), ReadyState::Open);
        }
    }
}

#[derive(Clone, Debug)]
enum TimerOp {
    /// Connect a task with this connect timeout (ms), if a slot is free.
    Connect(u64),
    /// Complete the handshake of the `n`-th task still connecting, if any.
    Open(usize),
    /// Move the clock on by this many ms and apply due timers.
    Advance(u64),
}

fn timer_op() -> impl Strategy<Value = TimerOp> {
    prop_oneof![
        (1u64..5_000).prop_map(TimerOp::Connect),
        (0usize..5).prop_map(TimerOp::Open),
        prop_oneof![0u64..10, 0u64..3_000].prop_map(TimerOp::Advance),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn timers_fire_as_the_earliest_deadline_says(ops in proptest::collection::vec(timer_op(), 1..40)) {
        let mut h = Harness::new();
        // The tasks still connecting, with their deadlines.
        let mut connecting: Vec<(Handle, Instant, String)> = Vec::new();
        // The tasks opened: they hold their slots, with no timer.
        let mut opened = 0;
        for op in ops {
            match op {
                TimerOp::Connect(ms) => {
                    let timeout = Duration::from_millis(ms);
                    let options = ConnectOptions { timeout: Some(timeout), ..ConnectOptions::new(URL) };
                    match h.try_connect(&options) {
                        Ok(t) => {
                            let key = h.request(t).key().to_owned();
                            connecting.push((t, h.now + timeout, key));
                        }
                        Err(_) => prop_assert_eq!(connecting.len() + opened, 5, "refused with a free slot"),
                    }
                }
                TimerOp::Open(n) => {
                    if connecting.is_empty() {
                        continue;
                    }
                    let (t, _, key) = connecting.remove(n % connecting.len());
                    prop_assert_eq!(h.feed(t, &response_101(&key, &[])), vec![Ev::Open(None)]);
                    opened += 1;
                }
                TimerOp::Advance(ms) => {
                    let now = h.now + Duration::from_millis(ms);
                    let fired: Vec<Handle> =
                        connecting.iter().filter(|(_, at, _)| *at <= now).map(|(t, _, _)| *t).collect();
                    connecting.retain(|(_, at, _)| *at > now);
                    let events = h.advance_to(now);
                    for t in &fired {
                        prop_assert!(
                            events.iter().any(|(from, ev)| from == t && *ev == Ev::Error(TaskError::Timeout)),
                            "task {t:?} past its deadline did not time out: {events:?}"
                        );
                        prop_assert_eq!(h.state(*t), ReadyState::Closed);
                    }
                    for (from, ev) in &events {
                        prop_assert!(fired.contains(from), "{from:?} reported {ev:?} before its deadline");
                    }
                }
            }
            let want = connecting.iter().map(|(_, at, _)| *at).min();
            prop_assert_eq!(h.client.poll_timeout(), want);
        }
    }
}
