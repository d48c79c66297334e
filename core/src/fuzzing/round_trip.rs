//! `round_trip`: client-encoded messages, unmasked as a server would, decoded back.

#[allow(clippy::wildcard_imports)]
use super::*;

/// Largest payload `round_trip` builds: past 65 535 so the 64-bit length form is covered.
const BIG: usize = 70_000;

/// `round_trip`: messages encoded by the client, unmasked and checked as a server would, then
/// sent back (re-fragmented, pings in between) and decoded by the client: the same messages,
/// pongs echo pings, and the close handshake carries the code and reason both ways.
///
/// Input: a close byte, then messages of a kind byte, two length bytes and the payload.
pub fn round_trip(data: &[u8]) {
    let mut input = Input(data);
    let close_arg = input.byte();
    let (mut rx, mut tx) = ([0u8; BIG + 4096], [0u8; BIG + 4096]);
    let mut driver = Driver::<1>::new(Config::default(), [Buffers::new(&mut rx[..], &mut tx[..])]);
    let (h, _) = driver.open();
    let mut payload = [0u8; BIG];
    while !input.is_empty() {
        let kind = input.byte();
        let len = usize::from(u16::from_le_bytes([input.byte(), input.byte()]));
        let payload = if kind & 4 == 0 {
            input.take(len)
        } else {
            let len = len * 7 % (BIG + 1);
            payload[..len].iter_mut().enumerate().for_each(|(i, b)| *b = b'a' + (i % 26) as u8);
            &payload[..len]
        };
        match kind % 4 {
            0 => echo(&mut driver, h, Message::Text(utf8_prefix(payload)), kind >> 3),
            1 => echo(&mut driver, h, Message::Binary(payload), kind >> 3),
            2 => {
                let ping = &payload[..payload.len().min(125)];
                driver.client.ping(h, ping).unwrap();
                expect_frames(&mut driver, h, &[(0x9, ping)]);
            }
            _ => {
                let ping = &payload[..payload.len().min(125)];
                let mut wire = Wire::<130>::new();
                wire.frame(0x89, ping);
                driver.deliver(h, wire.bytes(), &[], false);
                expect_frames(&mut driver, h, &[(0xA, ping)]);
            }
        }
    }
    close_both_ways(&mut driver, h, close_arg);
}

/// Sends `message`, checks the frame on the wire, echoes it back in fragments.
fn echo(driver: &mut Driver<'_, 1>, h: Handle, message: Message<'_>, seed: u8) {
    let opcode = if matches!(message, Message::Text(_)) { OpCode::Text } else { OpCode::Binary };
    driver.client.send(h, message).unwrap();
    expect_frames(driver, h, &[(opcode as u8, message.as_bytes())]);
    let mut wire = Wire::<{ BIG + 4096 }>::new();
    let (mut rest, mut first, mut pings) = (message.as_bytes(), true, heapless::Vec::<u8, 16>::new());
    for k in 0..16u8 {
        let size = if seed == 0 || k == 15 { rest.len() } else { usize::from(seed.wrapping_mul(k + 1)) % 97 };
        let (piece, tail) = rest.split_at(size.min(rest.len()));
        let fin = if tail.is_empty() { 0x80 } else { 0 };
        wire.frame(fin | if first { opcode as u8 } else { 0 }, piece);
        (rest, first) = (tail, false);
        if tail.is_empty() {
            break;
        }
        if seed & 1 != 0 {
            wire.frame(0x89, &[k]);
            pings.push(k).unwrap();
        }
    }
    let mut echoed = 0;
    let mut chunks = [seed, seed.rotate_left(3)];
    if seed & 2 == 0 {
        chunks = [255, 255];
    }
    let mut pos = 0;
    while pos < wire.len {
        let n = driver.client.handle_input(
            driver.now,
            h,
            &wire.bytes()[pos..(pos + usize::from(chunks[pos % 2]) * 64 + 1).min(wire.len)],
        );
        pos += n;
        while let Some((_, event)) = driver.client.poll_event() {
            let Event::Message(m) = event else { panic!("expected the echo, got {event:?}") };
            assert_eq!(m, message, "the echoed message comes back unchanged");
            echoed += 1;
        }
    }
    assert_eq!(echoed, 1, "exactly one message per echo");
    let pongs: heapless::Vec<(u8, [u8; 1]), 16> = pings.iter().map(|&k| (0xA, [k])).collect();
    let expected: heapless::Vec<(u8, &[u8]), 16> = pongs.iter().map(|(op, p)| (*op, &p[..])).collect();
    expect_frames(driver, h, &expected);
}

/// The client queued exactly `expected` frames (opcode, payload), each masked, FIN set and in
/// minimal form; they are taken off the wire.
fn expect_frames(driver: &mut Driver<'_, 1>, h: Handle, expected: &[(u8, &[u8])]) {
    let mut unmasked = [0u8; BIG];
    let wire = driver.client.transmit_data(h);
    let mut at = 0;
    for &(opcode, payload) in expected {
        let (fin, op, len, frame_len) = server_read(&wire[at..], &mut unmasked);
        assert!(fin && op == opcode, "frame {op:#x} (fin {fin}), expected {opcode:#x}");
        assert_eq!(&unmasked[..len], payload, "the payload survives masking");
        at += frame_len;
    }
    assert_eq!(at, wire.len(), "no frame beyond the expected ones");
    let n = wire.len();
    driver.client.advance_transmit(driver.now, h, n);
}

/// Reads one client frame as a server: FIN, opcode, payload length (unmasked into `out`) and
/// frame length. The header, mask bit cleared, must decode to the same fields.
fn server_read(wire: &[u8], out: &mut [u8]) -> (bool, u8, usize, usize) {
    assert!(wire.len() >= 2, "a frame header");
    assert_ne!(wire[1] & 0x80, 0, "RFC 6455 §5.1: every client frame is masked");
    let (len, at) = match wire[1] & 0x7F {
        126 => (usize::from(u16::from_be_bytes([wire[2], wire[3]])), 4),
        127 => (u64::from_be_bytes(wire[2..10].try_into().unwrap()) as usize, 10),
        n => (usize::from(n), 2),
    };
    let mut header = [0u8; 10];
    header[..at].copy_from_slice(&wire[..at]);
    header[1] &= 0x7F;
    let Ok(Decoded::Complete { header: decoded, len: header_len }) =
        decode_header(&header[..at], crate::frame::Rsv1::Reserved)
    else {
        panic!("client header {:?} does not decode", &wire[..at]);
    };
    assert_eq!((decoded.payload_len, header_len), (len as u64, at));
    let key = &wire[at..at + 4];
    for (i, (o, p)) in out.iter_mut().zip(&wire[at + 4..at + 4 + len]).enumerate() {
        *o = p ^ key[i % 4];
    }
    (decoded.fin, decoded.opcode as u8, len, at + 4 + len)
}

/// The client closes; the server sees the code and reason, echoes them, ends the stream; the
/// client's onClose carries them.
fn close_both_ways(driver: &mut Driver<'_, 1>, h: Handle, arg: u8) {
    let code = CloseCode([1000, 3000, 4000, 4999][usize::from(arg % 4)]);
    let reason = ["", "bye", "ünïcödé", "x"][usize::from(arg / 4 % 4)];
    driver.client.close(driver.now, h, Some(code), reason).unwrap();
    let mut body = Wire::<125>::new();
    body.push(&code.0.to_be_bytes());
    body.push(reason.as_bytes());
    expect_frames(driver, h, &[(0x8, body.bytes())]);
    let mut wire = Wire::<130>::new();
    wire.frame(0x88, body.bytes());
    driver.deliver(h, wire.bytes(), &[], false);
    assert_eq!(driver.client.ready_state(h), ReadyState::Closing, "waits for the server to end TCP");
    driver.client.handle_eof(driver.now, h);
    let Some((_, Event::Close(close))) = driver.client.poll_event() else { panic!("onClose after EOF") };
    assert_eq!((close.code, close.reason), (code, reason), "onClose carries the echoed close");
}
