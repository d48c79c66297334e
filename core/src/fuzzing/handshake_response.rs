//! `handshake_response`: arbitrary bytes as the server's opening handshake response.

#[allow(clippy::wildcard_imports)]
use super::*;

use crate::handshake::response::{find_end, validate_block};
use crate::handshake::{Headers, Key};

/// `handshake_response`: arbitrary bytes as the server's response (with every
/// [`ACCEPT_PLACEHOLDER`] replaced by the right accept value), in chunks, then EOF. No panic,
/// S11, at most one open, and never an open unless the response carries exactly one
/// `Sec-WebSocket-Accept` and it is right, with status 101. `validate` itself, on the first
/// header block: no panic, and when it accepts, headers that read back whole and a chosen
/// protocol inside the block; the task opens only on a block `validate` accepts.
///
/// Input: a flags byte (protocol check, failure events, receive buffer, offered
/// protocols), 2 chunk-size bytes, then the response.
pub fn handshake_response(data: &[u8]) {
    let mut input = Input(data);
    let flags = input.byte();
    let plan = input.take(2);
    let config = Config {
        protocol_check: if flags & 1 != 0 { ProtocolCheck::Lenient } else { ProtocolCheck::Strict },
        failure_events: if flags & 2 != 0 { FailureEvents::ErrorThenClose } else { FailureEvents::ErrorOnly },
        ..Config::default()
    };
    let rx_len = [512, 1024, 4096, 9000][usize::from(flags >> 2 & 3)];
    let protocols: &[&str] = [&[][..], &["chat"], &["chat", "superchat"], &[]][usize::from(flags >> 4 & 3)];
    let (mut rx, mut tx) = ([0u8; 9000], [0u8; 1024]);
    let mut driver = Driver::<1>::new(config, [Buffers::new(&mut rx[..rx_len], &mut tx[..])]);
    let h = driver.client.connect_socket(driver.now, &ConnectOptions::new(URL).protocols(protocols)).unwrap();
    let accept = accept_for(driver.client.transmit_data(h));
    let key = key_of(driver.client.transmit_data(h));
    driver.settle();
    let mut wire = Wire::<{ 16 * 1024 }>::new();
    let mut rest = input.0;
    while let Some(at) = rest.windows(ACCEPT_PLACEHOLDER.len()).position(|w| w == ACCEPT_PLACEHOLDER) {
        wire.push(&rest[..at]);
        wire.push(&accept);
        rest = &rest[at + ACCEPT_PLACEHOLDER.len()..];
    }
    wire.push(rest);
    let mut opened_with = None;
    let mut pos = 0;
    for size in plan.iter().cycle().map(|&b| usize::from(b) + 1).take(wire.len + 1) {
        let end = (pos + size).min(wire.len);
        driver.deliver(h, &wire.bytes()[pos..end], &[], true);
        pos = end;
        if driver.track(h).opened && opened_with.is_none() {
            opened_with = Some(end);
        }
    }
    driver.deliver(h, &wire.bytes()[pos..], &[], true);
    if opened_with.is_none() && driver.track(h).opened {
        opened_with = Some(wire.len);
    }
    if let Some(end) = opened_with {
        check_accepted(&wire.bytes()[..end], &accept, protocols);
    }
    check_validate(wire.bytes(), &key, protocols, config.protocol_check, opened_with.is_some());
    driver.client.handle_eof(driver.now, h);
    driver.settle();
    let track = *driver.track(h);
    assert!(track.closed || (track.error.is_some() && config.failure_events == FailureEvents::ErrorOnly));
    assert_eq!(driver.client.handles().count(), 0, "a finished task frees its slot");
}

/// The response that opened a task: status 101 and exactly one right accept in its block.
/// A line starting with a space or tab continues the field before it (obs-fold, RFC 9112
/// §5.2), whose value is then its parts joined by spaces: equal to a word without spaces
/// only when exactly one part is not blank.
fn check_accepted(received: &[u8], accept: &[u8; 28], offered: &[&str]) {
    // The block ends at the first empty line, after `\r\n` or a bare `\n` (as httparse reads).
    let empty_line = |i: usize| {
        matches!(
            (received.get(i), received.get(i + 1), received.get(i + 2)),
            (Some(b'\n'), Some(b'\n'), _) | (Some(b'\n'), Some(b'\r'), Some(b'\n'))
        )
    };
    let end = (0..received.len()).find(|&i| empty_line(i)).expect("an open needs a whole header block");
    let mut lines = received[..end].split(|&b| b == b'\n').skip_while(|l| trim(l).is_empty());
    let status = trim(lines.next().unwrap_or_default());
    assert!(status.starts_with(b"HTTP/1.1 101"), "opened on status line {status:?}");
    let mut accepts = 0;
    let mut judge = |(name, parts, value): (&[u8], usize, &[u8])| {
        if name.eq_ignore_ascii_case(b"sec-websocket-accept") {
            accepts += 1;
            assert!(parts == 1 && value == accept, "opened with a wrong Sec-WebSocket-Accept");
        }
        if name.eq_ignore_ascii_case(b"sec-websocket-protocol") {
            let offered = parts == 1 && offered.iter().any(|p| p.as_bytes() == value);
            assert!(offered, "opened with protocol {value:?} in {parts} parts");
        }
    };
    // The field being read: its name, how many of its parts are not blank, the last of them.
    let mut field: Option<(&[u8], usize, &[u8])> = None;
    for line in lines {
        let part = trim(line);
        match (line.first(), &mut field) {
            (Some(b' ' | b'\t'), Some((_, parts, value))) => {
                if !part.is_empty() {
                    (*parts, *value) = (*parts + 1, part);
                }
            }
            _ => {
                if let Some(done) = field.take() {
                    judge(done);
                }
                let Some(colon) = line.iter().position(|&b| b == b':') else { continue };
                let value = trim(&line[colon + 1..]);
                field = Some((&line[..colon], usize::from(!value.is_empty()), value));
            }
        }
    }
    if let Some(done) = field {
        judge(done);
    }
    assert_eq!(accepts, 1, "opened without exactly one Sec-WebSocket-Accept");
}

/// `validate` on the first header block of `wire`, directly: it never panics and keeps the
/// block's length; when it accepts, every header reads back with a non-empty name and a value
/// without line breaks or surrounding whitespace, a copy through `as_bytes` reads the same,
/// and the chosen protocol's range lies inside the block and is the `Sec-WebSocket-Protocol`
/// value. A task that opened was opened by a block `validate` accepts.
fn check_validate(wire: &[u8], key: &[u8; 16], protocols: &[&str], check: ProtocolCheck, opened: bool) {
    let Some(end) = find_end(wire, 0) else {
        assert!(!opened, "opened without a whole header block");
        return;
    };
    let mut storage = [0u8; 16 * 1024];
    let block = &mut storage[..end];
    block.copy_from_slice(&wire[..end]);
    let mut offered = heapless::String::<32>::new();
    for (i, p) in protocols.iter().enumerate() {
        write!(offered, "{}{p}", if i == 0 { "" } else { ", " }).unwrap();
    }
    let result = validate_block(block, &Key::from_nonce(key).accept(), &offered, check, None);
    assert_eq!(block.len(), end);
    let Ok(accepted) = result else {
        assert!(!opened, "the task opened on a block validate refuses: {result:?}");
        return;
    };
    let chosen = accepted.protocol;
    // `onOpen`'s headers: the lines after the status line, up to the empty line.
    let headers = Headers::from_lines(&block[..accepted.lines]);
    for (name, value) in headers.iter() {
        assert!(!name.is_empty(), "an empty header name");
        assert!(!value.iter().any(|b| matches!(b, b'\r' | b'\n')), "a line break left in {name}");
        assert!(!value.first().is_some_and(|b| matches!(b, b' ' | b'\t')), "{name} not trimmed");
        assert!(!value.last().is_some_and(|b| matches!(b, b' ' | b'\t')), "{name} not trimmed");
    }
    assert!(Headers::new(headers.as_bytes()) == headers, "a copy of the headers reads differently");
    let protocol = headers.get("sec-websocket-protocol");
    match chosen {
        Some(range) => assert_eq!(block.get(range), protocol, "the chosen range is not the protocol"),
        None => assert!(protocol.is_none(), "a protocol header, and none chosen"),
    }
}

/// The nonce of the request's `Sec-WebSocket-Key`.
fn key_of(request: &[u8]) -> [u8; 16] {
    let key = request_key(request);
    let mut nonce = [0u8; 18];
    let n = base64::engine::general_purpose::STANDARD.decode_slice(key, &mut nonce).unwrap();
    assert_eq!(n, 16, "the key is 16 bytes, base64");
    nonce[..16].try_into().unwrap()
}
