//! The per-message calls' common cases ([`crate::socket::fast_paths`], taken on hosted
//! targets) against the general path that bare metal takes alone: two clients take the same
//! script (server frames in any chunking, polls, sends, `close()`, timers, the end of the
//! stream), one as on hosted targets, the other as on bare metal ([`general`]); they must
//! hand out the same events and hold the same state after every step.

extern crate std;

use std::convert::Infallible;
use std::format;
use std::string::String;
use std::vec;
use std::vec::Vec;

use proptest::prelude::*;

use super::*;
use crate::event::Event;
use crate::socket::general;

/// Zeros for the handshake key (so the accept below is known), a counter for mask keys.
#[derive(Clone)]
struct ZeroKey(u32);

impl rand_core::TryRng for ZeroKey {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        self.0 = self.0.wrapping_add(0x9E37_79B9);
        Ok(self.0)
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(u64::from(self.try_next_u32()?))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        dst.fill(0);
        Ok(())
    }
}

type TestClient = Client<Vec<u8>, ZeroKey, 2>;

/// An OPEN task whose `Open` event was polled.
fn open() -> (TestClient, Handle) {
    let now = Instant::ZERO;
    // Two slots, one task: polls alternate between finding its event in the first slot
    // looked at and finding it by the loop.
    let storage =
        [Buffers::new(vec![0u8; 600], vec![0u8; 1024]), Buffers::new(vec![0u8; 600], vec![0u8; 1024])];
    let mut client = TestClient::new(Config::default(), ZeroKey(0), storage).unwrap();
    let task = client.connect_socket(now, &ConnectOptions::new("wss://example.com/")).unwrap();
    let n = client.transmit_data(task).len();
    client.advance_transmit(now, task, n);
    client.handle_input(
        now,
        task,
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Accept: ICX+Yqv66kxgM0FcWaLWlFLwTAI=\r\n\r\n",
    );
    assert!(matches!(client.poll_event(), Some((_, Event::Open(_)))));
    (client, task)
}

/// A server frame (unmasked) with a 7- or 16-bit length.
fn frame(b0: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![b0];
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
    let text = prop::sample::select(&["", "hi", "κόσμε", "🌍 naïve café", "abcdefghijklmnopqrstuvwxyz"][..]);
    let one = prop_oneof![
        4 => (text.clone(), any::<bool>()).prop_map(|(t, fin)| frame(if fin { 0x81 } else { 0x01 }, t.as_bytes())),
        4 => (0usize..300, any::<u8>()).prop_map(|(n, b)| frame(0x82, &vec![b; n])),
        2 => (text, any::<bool>()).prop_map(|(t, fin)| frame(if fin { 0x80 } else { 0x00 }, t.as_bytes())),
        1 => (0usize..20).prop_map(|n| frame(0x89, &vec![b'p'; n])),
        1 => Just(frame(0x8A, b"pong")),
        1 => Just(frame(0x88, &1000u16.to_be_bytes())),
        1 => Just(frame(0x81, &[b'a', 0xED, 0xA0, 0x80])),
        1 => Just(frame(0xC2, b"rsv1")),
    ];
    prop::collection::vec(one, 0..12).prop_map(|frames| frames.concat())
}

#[derive(Clone, Debug)]
enum Step {
    Read(usize),
    Poll,
    Send(u8),
    Close,
    Timeout(u64),
    Eof,
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    let step = prop_oneof![
        8 => (1usize..400).prop_map(Step::Read),
        6 => Just(Step::Poll),
        1 => any::<u8>().prop_map(Step::Send),
        1 => Just(Step::Close),
        1 => (0u64..40_000).prop_map(Step::Timeout),
        1 => Just(Step::Eof),
    ];
    prop::collection::vec(step, 1..60)
}

fn describe(polled: Option<(Handle, Event<'_>)>) -> String {
    format!("{polled:?}")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_fast_paths_agree_with_the_general_ones(wire in frames(), steps in steps()) {
        let (mut fast, task) = open();
        let (mut slow, _) = general(open);
        let mut now = Instant::ZERO;
        let mut delivered = 0;
        for step in steps {
            match step {
                Step::Read(n) => {
                    let room = fast.input_buffer(task);
                    let take = room.len().min(n).min(wire.len() - delivered);
                    let bytes = &wire[delivered..delivered + take];
                    room[..take].copy_from_slice(bytes);
                    let room_len = room.len();
                    let slow_room = general(|| {
                        let room = slow.input_buffer(task);
                        let n = take.min(room.len());
                        room[..n].copy_from_slice(&bytes[..n]);
                        room.len()
                    });
                    prop_assert_eq!(room_len, slow_room);
                    delivered += take;
                    fast.handle_read(now, task, take);
                    general(|| slow.handle_read(now, task, take));
                }
                Step::Poll => {
                    let got = describe(fast.poll_event());
                    let want = general(|| describe(slow.poll_event()));
                    prop_assert_eq!(got, want);
                }
                Step::Send(byte) => {
                    let a = fast.send(task, Message::Binary(&[byte; 9]));
                    let b = general(|| slow.send(task, Message::Binary(&[byte; 9])));
                    prop_assert_eq!(a, b);
                }
                Step::Close => {
                    let a = fast.close(now, task, None, "bye");
                    let b = general(|| slow.close(now, task, None, "bye"));
                    prop_assert_eq!(a, b);
                }
                Step::Timeout(ms) => {
                    now = Instant::from_millis(now.millis() + ms);
                    fast.handle_timeout(now);
                    general(|| slow.handle_timeout(now));
                }
                Step::Eof => {
                    fast.handle_eof(now, task);
                    general(|| slow.handle_eof(now, task));
                }
            }
            prop_assert_eq!(fast.ready_state(task), general(|| slow.ready_state(task)));
            prop_assert_eq!(fast.buffer_use(0), general(|| slow.buffer_use(0)));
            let queued = general(|| slow.transmit_data(task).to_vec());
            prop_assert_eq!(fast.transmit_data(task), queued.as_slice());
            prop_assert_eq!(fast.poll_timeout(), general(|| slow.poll_timeout()));
        }
    }
}
