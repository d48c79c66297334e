//! The common case of the input calls against the general path they stand for.
//!
//! Two tasks take the same script (server frames in any chunking, polls, `close()`, sends,
//! timers, the end of the stream): one through what the client's per-message calls use
//! (`input_range` and `input_written_alone`, which test the cached [`Socket::common_case`],
//! `pump` with its one-step case, `pop_message` before `pop_event`), the other through the
//! general path alone (`space_range`, `reads`, `pump_all`, `pop_event`, a loan ended at the
//! next call). After every step both hold the same state, the same bytes to send and the same
//! timer bound, and they handed out the same events; the cache is current at every step.

extern crate std;

use std::convert::Infallible;
use std::format;
use std::string::String;
use std::vec;
use std::vec::Vec;

use core::time::Duration;

use proptest::prelude::*;

use super::{Env, Handshake, Input, Socket};
use crate::close_code::CloseCode;
use crate::config::Config;
use crate::event::{Event, Message};
use crate::handshake::Key;
use crate::time::{Deadline, Instant};

/// A seeded SplitMix64, the same for both tasks.
#[derive(Clone)]
struct TestRng(u64);

impl rand_core::TryRng for TestRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok((self.try_next_u64()? >> 32) as u32)
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Ok(z ^ (z >> 31))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for chunk in dst.chunks_mut(8) {
            let word = self.try_next_u64()?.to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
        Ok(())
    }
}

const RX_LEN: usize = 1024;
const TX_LEN: usize = 1024;

/// One task with its buffers and the client's share of its context.
struct Task {
    socket: Socket,
    rx: Vec<u8>,
    tx: Vec<u8>,
    rng: TestRng,
    due: Deadline,
    inflater: super::Inflater,
    /// The general path's loan: an event handed out, released at the next step.
    lent: bool,
}

impl Task {
    /// An OPEN task: the handshake went through (no header block kept), its event polled.
    fn open(config: &Config) -> Task {
        let mut rng = TestRng(7);
        let handshake = Handshake {
            accept: Key::generate(&mut rng).accept(),
            connect_by: Instant::ZERO + Duration::from_secs(5),
            deflate: None,
        };
        let socket = Socket::new(handshake, 0, config, (RX_LEN, TX_LEN));
        let mut task = Task {
            socket,
            rx: std::vec![0; RX_LEN],
            tx: std::vec![0; TX_LEN],
            rng,
            due: Deadline::NEVER,
            inflater: super::Inflater::default(),
            lent: false,
        };
        task.with(config, Instant::ZERO, |socket, env, _| {
            socket.on(env, Input::Opened { block: &[], protocol: None, deflate: None, lines: 0 })
        });
        let opened = task.with(config, Instant::ZERO, |socket, env, rx| {
            socket.pop_event(env, rx).map(|event| format!("{event:?}"))
        });
        assert!(opened.is_some_and(|e| e.starts_with("Open")));
        task.socket.release();
        task
    }

    fn with<T>(
        &mut self,
        config: &Config,
        now: Instant,
        f: impl FnOnce(&mut Socket, &mut Env<'_, TestRng>, &mut [u8]) -> T,
    ) -> T {
        let mut env = Env {
            tx: &mut self.tx,
            rng: &mut self.rng,
            config,
            now,
            id: 1,
            due: &mut self.due,
            inflater: super::lend(&mut self.inflater),
        };
        f(&mut self.socket, &mut env, &mut self.rx)
    }

    /// Ends the general path's loan, as the client does at its next call.
    fn release_lent(&mut self) {
        if core::mem::take(&mut self.lent) {
            self.socket.release();
        }
    }

    /// What the task holds, to compare (the events handed out are compared where polled).
    fn state(&self) -> String {
        format!("{:?} {:?} {:?}", self.socket, self.socket.transmit_data(&self.tx), self.due)
    }
}

/// An owned view of an event, to compare.
fn describe(event: &Event<'_>) -> String {
    match event {
        Event::Message(Message::Text(text)) => format!("text {text:?}"),
        Event::Message(Message::Binary(bytes)) => format!("binary {bytes:?}"),
        other => format!("{other:?}"),
    }
}

/// One step of the script.
#[derive(Clone, Debug)]
enum Step {
    /// Up to `n` of the bytes still to deliver arrive.
    Bytes(usize),
    Poll,
    Close(u16),
    Send(u8),
    /// The clock moves on `ms`, then timers are applied.
    Timeout(u64),
    End,
}

/// A server frame: opcode byte, payload length form, payload.
fn frame(first: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = std::vec![first];
    match payload.len() {
        n @ 0..=125 => out.push(n as u8),
        n => {
            out.push(126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
    }
    out.extend_from_slice(payload);
    out
}

fn frames() -> impl Strategy<Value = Vec<u8>> {
    let text = prop::sample::select(
        &["", "hello", "κόσμε", "🌍 naïve café — ok", "\u{7f}x", "abcdefghijklmnopqrstuvwxyz0123456789"][..],
    );
    let one = prop_oneof![
        // Whole text and binary messages: the common case.
        4 => (text.clone(), any::<bool>()).prop_map(|(t, fin)| frame(if fin { 0x81 } else { 0x01 }, t.as_bytes())),
        4 => (0usize..300, any::<u8>()).prop_map(|(n, b)| frame(0x82, &std::vec![b; n])),
        // Continuations, control frames, invalid text, reserved bits, a masked frame.
        2 => (text, any::<bool>()).prop_map(|(t, fin)| frame(if fin { 0x80 } else { 0x00 }, t.as_bytes())),
        1 => (0usize..20).prop_map(|n| frame(0x89, &std::vec![b'p'; n])),
        1 => Just(frame(0x8A, b"pong")),
        1 => prop::sample::select(&[1000u16, 1001, 1005, 3000, 999][..])
            .prop_map(|c| frame(0x88, &c.to_be_bytes())),
        1 => Just(frame(0x81, &[b'a', 0xED, 0xA0, 0x80])),
        1 => Just(frame(0x81, &[0xCE])),
        1 => Just(frame(0xC2, b"rsv1")),
        1 => Just(std::vec![0x82, 0x82, 1, 2, 3, 4, 0xAA, 0xBB]),
        1 => Just(frame(0x83, b"bad opcode")),
    ];
    prop::collection::vec(one, 0..12).prop_map(|frames| frames.concat())
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    let step = prop_oneof![
        8 => (1usize..400).prop_map(Step::Bytes),
        6 => Just(Step::Poll),
        1 => prop::sample::select(&[1000u16, 3001, 4000][..]).prop_map(Step::Close),
        1 => any::<u8>().prop_map(Step::Send),
        1 => (0u64..40_000).prop_map(Step::Timeout),
        1 => Just(Step::End),
    ];
    prop::collection::vec(step, 1..60)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_common_case_agrees_with_the_general_path(wire in frames(), steps in steps()) {
        let config = Config::default();
        let mut fast = Task::open(&config);
        let mut slow = Task::open(&config);
        let mut delivered = 0;
        let mut now = Instant::ZERO;
        for step in steps {
            fast.release_lent();
            slow.release_lent();
            match step {
                Step::Bytes(n) => {
                    // The common case: `Client::input_buffer` then `Client::handle_read`.
                    let range = fast.socket.input_range(&mut fast.rx);
                    // The general path, as before the cached case: it reads (or drops what
                    // it is given) in every phase but CLOSED, until the end of the stream.
                    let general = if !slow.socket.rx.ended() && !matches!(slow.socket.phase, super::Phase::Closed) {
                        slow.socket.rx.space_range(&mut slow.rx)
                    } else {
                        0..0
                    };
                    prop_assert_eq!(&range, &general);
                    let take = range.len().min(n).min(wire.len() - delivered);
                    let bytes = &wire[delivered..delivered + take];
                    delivered += take;
                    fast.rx[range.start..range.start + take].copy_from_slice(bytes);
                    slow.rx[range.start..range.start + take].copy_from_slice(bytes);
                    let alone = fast.socket.input_written_alone(&mut fast.rx, take);
                    if !alone {
                        fast.with(&config, now, |socket, env, rx| socket.pump(env, rx));
                    }
                    if slow.socket.reads() {
                        slow.socket.rx.commit(slow.rx.len(), take);
                        slow.with(&config, now, |socket, env, rx| socket.pump_all(env, rx));
                    }
                }
                Step::Poll => {
                    if !fast.socket.has_event() {
                        fast.with(&config, now, |socket, env, rx| socket.pump(env, rx));
                    }
                    if !slow.socket.has_event() {
                        slow.with(&config, now, |socket, env, rx| socket.pump_all(env, rx));
                    }
                    let got = match fast.socket.pop_message(&fast.rx) {
                        Some(message) => Some(describe(&Event::Message(message))),
                        None => {
                            fast.lent = fast.socket.has_event();
                            fast.with(&config, now, |socket, env, rx| {
                                socket.pop_event(env, rx).map(|e| describe(&e))
                            })
                        }
                    };
                    slow.lent = slow.socket.has_event();
                    let want = slow.with(&config, now, |socket, env, rx| {
                        socket.pop_event(env, rx).map(|e| describe(&e))
                    });
                    prop_assert_eq!(got, want);
                }
                Step::Close(code) => {
                    let a = fast.with(&config, now, |s, env, _| s.close(env, Some(CloseCode(code)), "bye"));
                    let b = slow.with(&config, now, |s, env, _| s.close(env, Some(CloseCode(code)), "bye"));
                    prop_assert_eq!(a, b);
                }
                Step::Send(byte) => {
                    let payload = [byte; 9];
                    let a = fast.with(&config, now, |s, env, _| s.send(env, Message::Binary(&payload)));
                    let b = slow.with(&config, now, |s, env, _| s.send(env, Message::Binary(&payload)));
                    prop_assert_eq!(a, b);
                }
                Step::Timeout(ms) => {
                    now = Instant::from_millis(now.millis() + ms);
                    fast.with(&config, now, |s, env, _| s.timeout(env));
                    slow.with(&config, now, |s, env, _| s.timeout(env));
                }
                Step::End => {
                    fast.with(&config, now, |s, env, rx| s.stream_end(env, rx, super::StreamEnd::Eof));
                    slow.with(&config, now, |s, env, rx| s.stream_end(env, rx, super::StreamEnd::Eof));
                }
            }
            // A message handed out by `pop_message` ended its loan already; the general
            // path's ends here, before the states are compared (releasing parses nothing).
            fast.release_lent();
            slow.release_lent();
            // The cache is kept only where the fast paths run (not under
            // `--cfg sockettask_general_paths`, where both tasks take the general path).
            if super::fast_paths() {
                prop_assert_eq!(fast.socket.common, fast.socket.common_case());
            }
            prop_assert_eq!(fast.state(), slow.state());
        }
    }
}

#[test]
fn general_restores_the_switch_after_a_panic() {
    // On, unless the whole suite runs as on bare metal (`--cfg sockettask_general_paths`).
    let before = super::fast_paths();
    assert_eq!(before, !cfg!(sockettask_general_paths));
    let out = std::panic::catch_unwind(|| {
        super::general(|| {
            assert!(!super::fast_paths(), "general runs without the fast paths");
            panic!("a failing case inside general");
        })
    });
    assert!(out.is_err());
    // A later case on this thread (a proptest shrink) compares fast against general again.
    assert_eq!(super::fast_paths(), before);
}

#[test]
fn a_task_is_small_to_build_and_move() {
    // The inflater's state (10.5 KB with `deflate` and no `alloc`) is the slot's, beside the
    // task: a task built, or moved, never puts it on the stack of a small device (the size
    // program's stack went from 12.6 KB to 32.5 KB when a task held it and was copied).
    let size = core::mem::size_of::<Socket>();
    assert!(size < 2048, "a task is {size} bytes");
    #[cfg(feature = "deflate")]
    assert!(size < core::mem::size_of::<miniz_oxide::inflate::core::DecompressorOxide>() / 4);
}
