//! A new task is built in its slot and keeps the subprotocols it offers there (S5, RFC 6455
//! §4.1: the server's choice must be one of "the values ... specified by the client"). What
//! is kept: the whole list, up to [`MAX_PROTOCOLS_BYTES`] joined as sent (`"a, b"`); one byte
//! more is refused at connect with nothing changed; and a task that takes over a slot keeps
//! its own list only, never one left there by the task before it.

mod support;

use sockettask::{ConnectError, ConnectOptions, HandshakeError, MAX_PROTOCOLS_BYTES, ReadyState, TaskError};
use support::*;

/// `n` protocol tokens of the given lengths, each of one letter repeated (distinct letters).
fn tokens(lens: &[usize]) -> Vec<String> {
    lens.iter().enumerate().map(|(i, &len)| char::from(b'a' + i as u8).to_string().repeat(len)).collect()
}

/// The lengths of four tokens whose list, joined with ", ", is `total` bytes long.
fn four_joined_to(total: usize) -> Vec<usize> {
    let sum = total - 3 * 2;
    vec![sum / 4, sum / 4, sum / 4, sum - 3 * (sum / 4)]
}

fn unoffered() -> Vec<Ev> {
    vec![Ev::Error(TaskError::Handshake(HandshakeError::UnofferedProtocol))]
}

/// A list of exactly `MAX_PROTOCOLS_BYTES` joined is sent as it is, and kept whole: the last
/// token, which ends at the list's last byte, is a valid choice; a token cut short is not.
#[test]
fn a_list_at_the_limit_is_sent_and_kept_whole() {
    let owned = tokens(&four_joined_to(MAX_PROTOCOLS_BYTES));
    let offered: Vec<&str> = owned.iter().map(String::as_str).collect();
    assert_eq!(offered.join(", ").len(), MAX_PROTOCOLS_BYTES);
    let last = *offered.last().unwrap();

    let mut h = Harness::new();
    let t = h.try_connect(&ConnectOptions::new(URL).protocols(&offered)).expect("at the limit");
    let request = h.request(t);
    assert_eq!(request.one("sec-websocket-protocol"), offered.join(", "));
    let line = format!("Sec-WebSocket-Protocol: {last}");
    assert_eq!(h.feed(t, &response_101(request.key(), &[&line])), [Ev::Open(Some(last.to_owned()))]);

    for chosen in [&last[..last.len() - 1], offered[0], &offered.join(", ")[..]] {
        let mut h = Harness::new();
        let t = h.try_connect(&ConnectOptions::new(URL).protocols(&offered)).unwrap();
        let events = h.respond(t, |key| response_101(key, &[&format!("Sec-WebSocket-Protocol: {chosen}")]));
        if chosen == offered[0] {
            assert_eq!(events, [Ev::Open(Some(chosen.to_owned()))]);
        } else {
            assert_ne!(events.first(), Some(&Ev::Open(Some(chosen.to_owned()))), "{chosen}");
            assert!(
                matches!(events.as_slice(), [Ev::Error(TaskError::Handshake(_))]),
                "{chosen}: {events:?}"
            );
        }
    }
}

/// One byte over the limit is refused with the length the list needs, and the refusal
/// changes nothing: the slot stays free, no `socketTaskId` is used up, no random byte is
/// drawn (the next request carries the key a fresh client's first request carries).
#[test]
fn one_byte_over_is_refused_and_changes_nothing() {
    let owned = tokens(&four_joined_to(MAX_PROTOCOLS_BYTES + 1));
    let offered: Vec<&str> = owned.iter().map(String::as_str).collect();

    let mut h = Harness::with(Default::default(), 1, RX_LEN, TX_LEN);
    let refused = h.try_connect(&ConnectOptions::new(URL).protocols(&offered));
    assert_eq!(
        refused,
        Err(ConnectError::ProtocolsTooLong {
            required: MAX_PROTOCOLS_BYTES + 1,
            capacity: MAX_PROTOCOLS_BYTES
        })
    );
    assert_eq!(h.client.handles().count(), 0);

    let t = h.try_connect(&ConnectOptions::new(URL).protocols(&offered[..3])).expect("the slot is free");
    assert_eq!((t.socket_task_id(), t.slot()), (1, 0));
    let mut fresh = Harness::with(Default::default(), 1, RX_LEN, TX_LEN);
    let f = fresh.try_connect(&ConnectOptions::new(URL).protocols(&offered[..3])).unwrap();
    assert_eq!(h.take_tx(t), fresh.take_tx(f), "the refusal drew from the RNG");
}

/// Runs a task of `h` (one slot) through its close, so its slot is free again.
fn close_cleanly(h: &mut Harness, t: sockettask::Handle) {
    h.client.close(h.now, t, None, "").unwrap();
    let _ = h.take_tx(t);
    // The peer's answer, then the end of its stream (RFC 6455 §7.1.1: the server closes TCP
    // first): `onClose` comes with the end.
    assert_eq!(h.feed(t, &close_frame(1000, "")), []);
    assert_eq!(h.eof(t), [Ev::close(1000, "")]);
    assert_eq!(h.state(t), ReadyState::Closed);
    assert_eq!(h.client.handles().count(), 0, "the slot is free");
}

/// Each task that takes over a slot judges the server's choice against its own offer alone.
#[test]
fn a_task_in_a_reused_slot_keeps_only_its_own_protocols() {
    let mut h = Harness::with(Default::default(), 1, RX_LEN, TX_LEN);

    let first = h.try_connect(&ConnectOptions::new(URL).protocols(&["chat", "superchat"])).unwrap();
    let events = h.respond(first, |key| response_101(key, &["Sec-WebSocket-Protocol: superchat"]));
    assert_eq!(events, [Ev::Open(Some("superchat".into()))]);
    close_cleanly(&mut h, first);

    // A shorter list in the same slot: the first task's protocols are not offered now.
    for chosen in ["chat", "superchat", "v2chat", "v2, chat"] {
        let t = h.try_connect(&ConnectOptions::new(URL).protocols(&["v2"])).unwrap();
        assert_eq!(t.slot(), first.slot());
        let events = h.respond(t, |key| response_101(key, &[&format!("Sec-WebSocket-Protocol: {chosen}")]));
        assert!(matches!(events.as_slice(), [Ev::Error(TaskError::Handshake(_))]), "{chosen}: {events:?}");
        assert_eq!(h.client.handles().count(), 0, "a task failed before OPEN frees its slot");
    }
    let t = h.try_connect(&ConnectOptions::new(URL).protocols(&["v2"])).unwrap();
    let events = h.respond(t, |key| response_101(key, &["Sec-WebSocket-Protocol: v2"]));
    assert_eq!(events, [Ev::Open(Some("v2".into()))]);
    close_cleanly(&mut h, t);

    // No list at all after one: any choice is one not offered.
    for chosen in ["v2", "chat"] {
        let t = h.connect(URL);
        let events = h.respond(t, |key| response_101(key, &[&format!("Sec-WebSocket-Protocol: {chosen}")]));
        assert_eq!(events, unoffered(), "{chosen}");
    }
    let t = h.connect(URL);
    assert_eq!(h.respond(t, |key| response_101(key, &[])), [Ev::Open(None)]);
}
