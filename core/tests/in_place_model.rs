//! `send_in_place` against a model: random sequences of sends, sends in place, pings from the
//! peer (whose pongs are queued meanwhile), partial writes of the queued bytes and of the due
//! payload, buffer replacements and a close. However the calls interleave, the wire decoded by
//! the tests' own RFC 6455 §5.2 decoder carries every accepted message whole, in order and
//! masked, nothing inside a payload, the close frame last, and `buffered_amount` ends at 0.
//! A refused call leaves the caller's payload as it was.

mod support;
use proptest::{prop_assert, prop_assert_eq};
use sockettask::{Buffers, Config, Message};
use support::*;

#[derive(Debug, Clone)]
enum Op {
    Send(u16),
    InPlace(u16),
    Ping(u8),
    Write(u16),
    WritePayload(u16),
    Replace(u16),
    Close,
}

fn op() -> impl proptest::strategy::Strategy<Value = Op> {
    use proptest::prelude::*;
    prop_oneof![
        (0u16..600).prop_map(Op::Send),
        (0u16..3000).prop_map(Op::InPlace),
        any::<u8>().prop_map(Op::Ping),
        (1u16..700).prop_map(Op::Write),
        (1u16..900).prop_map(Op::WritePayload),
        (0u16..3000).prop_map(Op::Replace),
        Just(Op::Close),
    ]
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config::with_cases(3000))]
    #[test]
    fn in_place_model(ops in proptest::collection::vec(op(), 1..40)) {
        let mut h = Harness::with(Config::default(), 1, RX_LEN, 600);
        let t = h.open();
        let mut wire = Vec::new();
        let mut expected: Vec<(u8, Vec<u8>)> = Vec::new();
        let mut inplace: Vec<Vec<u8>> = Vec::new(); // masked buffers, by order
        let mut cur: Option<usize> = None;
        let mut written_payload = 0usize;
        let mut counter = 0u8;
        for op in ops {
            match op {
                Op::Send(n) => {
                    counter = counter.wrapping_add(1);
                    let p = vec![counter; n as usize];
                    if h.client.send(t, Message::Binary(&p)).is_ok() { expected.push((2, p)); }
                }
                Op::InPlace(n) => {
                    counter = counter.wrapping_add(1);
                    let p: Vec<u8> = (0..n as usize).map(|i| (i as u8) ^ counter).collect();
                    let mut buf = p.clone();
                    if h.client.send_in_place(t, &mut buf).is_ok() {
                        expected.push((2, p));
                        if n > 0 { inplace.push(buf); cur = Some(inplace.len() - 1); written_payload = 0; }
                    } else { prop_assert_eq!(&buf, &p); }
                }
                Op::Ping(b) => { h.client.handle_input(h.now, t, &ping(&[b])); while h.client.poll_event().is_some() {} }
                Op::Write(n) => {
                    let d = h.client.transmit_data(t);
                    let k = d.len().min(n as usize);
                    wire.extend_from_slice(&d[..k]);
                    h.client.advance_transmit(h.now, t, k);
                }
                Op::WritePayload(n) => {
                    if let Some(due) = h.client.in_place_due(t) {
                        let i = cur.expect("due without a payload");
                        prop_assert_eq!(due.start, written_payload);
                        let k = due.len().min(n as usize);
                        wire.extend_from_slice(&inplace[i][due.start..due.start + k]);
                        written_payload += k;
                        h.client.advance_in_place(h.now, t, k);
                    }
                }
                Op::Replace(extra) => {
                    let len = 600 + extra as usize;
                    let _ = h.client.replace_buffers(0, Buffers::new(vec![0u8; RX_LEN], vec![0u8; len]));
                }
                Op::Close => { let _ = h.client.close(h.now, t, None, ""); }
            }
        }
        // Drain: bounded (every turn moves bytes or ends the loop).
        for _ in 0..10000 {
            let d = h.client.transmit_data(t);
            if !d.is_empty() { let k = d.len(); wire.extend_from_slice(d); h.client.advance_transmit(h.now, t, k); continue; }
            if let Some(due) = h.client.in_place_due(t) {
                let i = cur.unwrap();
                wire.extend_from_slice(&inplace[i][due.clone()]);
                h.client.advance_in_place(h.now, t, due.len());
                continue;
            }
            break;
        }
        prop_assert_eq!(h.client.buffered_amount(t), 0);
        let frames = decode_client_frames(&wire);
        let data: Vec<(u8, Vec<u8>)> = frames.iter().filter(|f| f.opcode == 2).map(|f| (f.opcode, f.payload.clone())).collect();
        prop_assert_eq!(data, expected);
        // Close frame, if any, is last.
        if let Some(pos) = frames.iter().position(|f| f.opcode == 8) { prop_assert_eq!(pos, frames.len() - 1); }
        prop_assert!(frames.iter().all(|f| f.fin && f.rsv == 0));
    }
}
