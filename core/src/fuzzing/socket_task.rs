//! `socket_task`: arbitrary command sequences over the 5-task table.

#[allow(clippy::wildcard_imports)]
use super::*;

const URLS: [&str; 4] =
    ["wss://example.com/chat", "wss://a.example:8443/x?y=1", "ws://example.com/", "wss://"];
const PROTOCOLS: [&[&str]; 3] = [&[], &["chat"], &["chat", "superchat"]];
const HEADERS: [&[(&str, &str)]; 3] = [&[], &[("x-token", "abc")], &[("host", "evil")]];
const TIMEOUTS: [Option<Duration>; 4] =
    [None, Some(Duration::ZERO), Some(Duration::from_millis(1)), Some(Duration::from_secs(10))];
const STEPS: [Duration; 6] = [
    Duration::from_micros(1),
    Duration::from_millis(1),
    Duration::from_secs(1),
    Duration::from_secs(5),
    Duration::from_secs(60),
    Duration::from_secs(3600),
];
const CODES: [Option<u16>; 7] = [None, Some(1000), Some(1001), Some(3000), Some(4999), Some(5000), Some(0)];
const CHOSEN: [&[u8]; 5] = [
    b"",
    b"Sec-WebSocket-Protocol: chat\r\n",
    b"Sec-WebSocket-Protocol: superchat\r\n",
    b"Sec-WebSocket-Protocol: bogus\r\n",
    b"Sec-WebSocket-Protocol: chat, superchat\r\n",
];
/// Payload bytes for send, ping and close reasons: at least 255 * 5 of them.
const FILLER: &[u8; 1280] = &[b'r'; 1280];

/// `socket_task`: an arbitrary sequence of commands over the 5-task table. S11 per task,
/// `socketTaskId`s count up from 1, at most 5 live tasks and `TooManyTasks` only when full,
/// failed commands change nothing, `poll_timeout` never in the past, every task over after
/// EOF with its slot free.
///
/// Input: a config byte, then commands of an opcode byte, a handle byte and arguments.
pub fn socket_task(data: &[u8]) {
    let mut input = Input(data);
    let flags = input.byte();
    let config = Config {
        failure_events: if flags & 1 != 0 { FailureEvents::ErrorThenClose } else { FailureEvents::ErrorOnly },
        protocol_check: if flags & 2 != 0 { ProtocolCheck::Lenient } else { ProtocolCheck::Strict },
        schemes: if flags & 4 != 0 { Schemes::AllowInsecure } else { Schemes::SecureOnly },
        close_timeout: [
            Duration::from_secs(5),
            Duration::from_millis(1),
            Duration::ZERO,
            Duration::from_secs(1),
        ][usize::from(flags >> 3 & 3)],
        connect_timeout: if flags & 0x20 != 0 { Duration::from_secs(1) } else { Duration::from_secs(60) },
        domain_list: if flags & 0x40 != 0 { Some(&["example.com"]) } else { None },
        ..Config::default()
    };
    let (mut rx, mut tx) = ([[0u8; 1024]; 5], [[0u8; 1024]; 5]);
    let storage = rx.iter_mut().zip(tx.iter_mut()).map(|(r, t)| Buffers::new(&mut r[..], &mut t[..]));
    let mut tasks = Tasks {
        driver: Driver::<5>::new(config, storage),
        issued: heapless::Vec::new(),
        accepts: [[0; 28]; MAX_IDS],
    };
    while !input.is_empty() {
        tasks.command(&mut input);
        tasks.driver.check();
    }
    let now = tasks.driver.now;
    for &h in &tasks.issued {
        tasks.driver.client.handle_eof(now, h);
    }
    tasks.driver.settle();
    for (i, track) in tasks.driver.tracks.iter().enumerate().take(tasks.issued.len() + 1).skip(1) {
        let error_only =
            track.error.is_some() && !track.opened && config.failure_events == FailureEvents::ErrorOnly;
        assert!(track.closed || error_only, "task {i} is not over after EOF: {track:?}");
    }
    assert_eq!(tasks.driver.client.handles().count(), 0, "every slot is free once every task is over");
}

struct Tasks<'b> {
    driver: Driver<'b, 5>,
    issued: heapless::Vec<Handle, MAX_IDS>,
    accepts: [[u8; 28]; MAX_IDS],
}

impl Tasks<'_> {
    fn command(&mut self, input: &mut Input<'_>) {
        let op = input.byte();
        let pick = input.byte();
        if op.is_multiple_of(16) {
            return self.connect(pick);
        }
        let Some(&h) = self.issued.get(usize::from(pick) % self.issued.len().max(1)) else { return };
        let d = &mut self.driver;
        let now = d.now;
        match op % 16 {
            1 => {
                let extra = CHOSEN[usize::from(input.byte()) % CHOSEN.len()];
                let accept = self.accepts[h.socket_task_id() as usize % MAX_IDS];
                d.deliver(h, response(&accept, extra).bytes(), &[], false);
            }
            2 => {
                let (b0, len) = (input.byte(), usize::from(input.byte()));
                let mut wire = Wire::<300>::new();
                wire.frame(b0, input.take(len));
                d.deliver(h, wire.bytes(), &[], false);
            }
            3 => {
                let len = usize::from(input.byte());
                d.deliver(h, input.take(len), &[], false);
            }
            4 | 5 => self.send(h, op % 16 == 5, usize::from(input.byte()) * 5),
            6 => self.close(h, input.byte()),
            7 => {
                // Time passes and the client is told, as a driver calls `handle_timeout` on
                // every turn: calls without a `now` (poll_event, send) arm timers from the
                // latest time the client was given.
                d.now = now + STEPS[usize::from(input.byte()) % STEPS.len()];
                self.timeout();
            }
            8 => self.timeout(),
            9 => {
                let n = usize::from(input.byte()) * 8;
                d.client.advance_transmit(now, h, n);
            }
            10 => _ = d.poll_events(),
            11 => d.client.handle_eof(now, h),
            12 => d.client.handle_transport_error(now, h, TransportError::Reset),
            13 => {
                let len = usize::from(input.byte());
                let bytes = input.take(len);
                let space = d.client.input_buffer(h);
                let n = space.len().min(bytes.len());
                space[..n].copy_from_slice(&bytes[..n]);
                d.client.handle_read(now, h, n);
            }
            14 => self.ping(h, usize::from(input.byte() % 130)),
            _ => match input.byte() % 4 {
                0 => self.send_in_place(h, usize::from(input.byte()) * 5),
                1 => {
                    let n = usize::from(input.byte()) * 8;
                    d.client.advance_in_place(now, h, n);
                }
                _ => _ = d.settle(),
            },
        }
    }

    fn connect(&mut self, pick: u8) {
        let pick = usize::from(pick);
        let options = ConnectOptions {
            url: URLS[pick % 4],
            protocols: PROTOCOLS[pick / 4 % 3],
            header: HEADERS[pick / 12 % 3],
            timeout: TIMEOUTS[pick / 36 % 4],
            per_message_deflate: None,
        };
        if self.issued.len() + 1 >= MAX_IDS {
            return;
        }
        let d = &mut self.driver;
        match d.client.connect_socket(d.now, &options) {
            Ok(h) => {
                assert_eq!(h.socket_task_id(), self.issued.len() as u64 + 1, "S1: ids count up from 1");
                assert_eq!(d.client.ready_state(h), ReadyState::Connecting);
                self.accepts[h.socket_task_id() as usize] = accept_for(d.client.transmit_data(h));
                self.issued.push(h).unwrap();
            }
            Err(ConnectError::TooManyTasks { limit }) => {
                assert_eq!(limit, 5);
                assert_eq!(d.client.handles().count(), 5, "S3.5: refused only when 5 tasks are live");
            }
            Err(_) => {}
        }
    }

    /// Applies due timers; afterwards none is due.
    fn timeout(&mut self) {
        let d = &mut self.driver;
        d.client.handle_timeout(d.now);
        if let Some(t) = d.client.poll_timeout() {
            assert!(t > d.now, "a timer due at {t:?} survived handle_timeout({:?})", d.now);
        }
    }

    /// The task's state with no event on loan (an empty input releases the last one).
    fn settled_state(&mut self, h: Handle) -> ReadyState {
        let d = &mut self.driver;
        let _ = d.client.handle_input(d.now, h, &[]);
        d.client.ready_state(h)
    }

    fn send(&mut self, h: Handle, binary: bool, len: usize) {
        let before = self.settled_state(h);
        let payload = &FILLER[..len];
        let message = if binary { Message::Binary(payload) } else { Message::Text(utf8_prefix(payload)) };
        let result = self.driver.client.send(h, message);
        self.after_send(h, before, message.len(), result);
    }

    /// `send_in_place`: as `send`, and a refusal leaves the payload and the queue as they
    /// were; a success queues the head and counts the payload until it is written.
    fn send_in_place(&mut self, h: Handle, len: usize) {
        let before = self.settled_state(h);
        let mut payload = *FILLER;
        let payload = &mut payload[..len];
        let queued = self.driver.client.buffered_amount(h);
        let result = self.driver.client.send_in_place(h, payload);
        let after = self.driver.client.buffered_amount(h);
        match result {
            Ok(()) => assert_eq!(after, queued + crate::frame::frame_len(len), "head and payload count"),
            Err(_) => {
                assert!(payload.iter().all(|&b| b == b'r'), "a refused send masked the payload");
                assert_eq!(after, queued, "a refused send queued something");
            }
        }
        if len > 0 && result.is_ok() {
            let client = &mut self.driver.client;
            // Its head at least is queued ahead of it: nothing of the payload is due yet.
            assert_eq!(client.in_place_due(h), None, "the payload is due before its head went out");
            // Once everything queued ahead has gone out, the whole payload is due.
            let n = client.transmit_data(h).len();
            client.advance_transmit(self.driver.now, h, n);
            assert_eq!(client.in_place_due(h), Some(0..len), "the payload is not due after its head");
        }
        self.after_send(h, before, len, result);
    }

    fn ping(&mut self, h: Handle, len: usize) {
        let before = self.settled_state(h);
        let result = self.driver.client.ping(h, &FILLER[..len]);
        if len > 125 && before == ReadyState::Open {
            assert_eq!(result, Err(SendError::MessageTooLarge { required: len, limit: 125 }));
        }
        self.after_send(h, before, len, result);
    }

    /// S14: only in OPEN (the state is checked first); a send changes no state; a refusal
    /// counts payload bytes.
    fn after_send(&mut self, h: Handle, before: ReadyState, len: usize, result: Result<(), SendError>) {
        match result {
            Ok(()) => assert_eq!(before, ReadyState::Open, "{result:?} in {before:?}"),
            Err(SendError::BufferFull { required, available }) => {
                assert_eq!(before, ReadyState::Open, "{result:?} in {before:?}");
                // 0 available also when not even an empty message fits (6 bytes of frame).
                assert!(required == len && (available < len || available == 0), "{result:?} for {len} bytes");
            }
            Err(SendError::MessageTooLarge { required, limit }) => {
                assert_eq!(before, ReadyState::Open, "{result:?} in {before:?}");
                assert!(required == len && limit < len, "{result:?} for {len} bytes");
            }
            Err(SendError::NotOpen(state)) => {
                assert_ne!(before, ReadyState::Open);
                assert_eq!(state, before);
            }
            Err(e) => panic!("send on an issued handle: {e:?}"),
        }
        assert_eq!(self.driver.client.ready_state(h), before, "S14: a send never changes state");
    }

    /// S15, S16.
    fn close(&mut self, h: Handle, arg: u8) {
        let before = self.settled_state(h);
        let code = CODES[usize::from(arg) % CODES.len()].map(CloseCode);
        let reason = utf8_prefix(&FILLER[..usize::from(arg / 8) * 4 % 132]);
        let valid = code.is_none_or(CloseCode::is_allowed_for_close) && reason.len() <= 123;
        let d = &mut self.driver;
        let result = d.client.close(d.now, h, code, reason);
        let after = d.client.ready_state(h);
        match (before, valid) {
            (ReadyState::Closed, _) => assert!(result.is_err(), "S16: close in CLOSED fails"),
            (_, false) => {
                assert!(matches!(result, Err(CloseError::InvalidCode(_) | CloseError::ReasonTooLong { .. })));
                assert_eq!(after, before, "S15: a failed close changes nothing");
            }
            (ReadyState::Connecting, true) => assert_eq!((result, after), (Ok(()), ReadyState::Closed)),
            (ReadyState::Open | ReadyState::Closing, true) => {
                assert_eq!((result, after), (Ok(()), ReadyState::Closing), "S16 from {before:?}");
            }
        }
    }
}
