//! `handshake_response`: arbitrary bytes as the server's opening handshake response.

#[allow(clippy::wildcard_imports)]
use super::*;

/// `handshake_response`: arbitrary bytes as the server's response (with every
/// [`ACCEPT_PLACEHOLDER`] replaced by the right accept value), in chunks, then EOF. No panic,
/// S11, at most one open, and never an open unless the response carries exactly one
/// `Sec-WebSocket-Accept` and it is right, with status 101.
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
    let h = driver.client.connect(&ConnectOptions::new(URL).protocols(protocols), driver.now).unwrap();
    let accept = accept_for(driver.client.transmit_data(h));
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
    driver.client.handle_eof(h, driver.now);
    driver.settle();
    let track = *driver.track(h);
    assert!(track.closed || (track.error.is_some() && config.failure_events == FailureEvents::ErrorOnly));
    assert_eq!(driver.client.handles().count(), 0, "a finished task frees its slot");
}

/// The response that opened a task: status 101 and exactly one right accept in its block.
fn check_accepted(received: &[u8], accept: &[u8; 28], offered: &[&str]) {
    // The block ends at the first empty line, after `\r\n` or a bare `\n` (as httparse reads).
    let empty_line = |i: usize| match (received.get(i), received.get(i + 1), received.get(i + 2)) {
        (Some(b'\n'), Some(b'\n'), _) | (Some(b'\n'), Some(b'\r'), Some(b'\n')) => true,
        _ => false,
    };
    let end = (0..received.len()).find(|&i| empty_line(i)).expect("an open needs a whole header block");
    let mut lines = received[..end].split(|&b| b == b'\n').map(trim).skip_while(|l| l.is_empty());
    let status = lines.next().unwrap_or_default();
    assert!(status.starts_with(b"HTTP/1.1 101"), "opened on status line {status:?}");
    let mut accepts = 0;
    for line in lines {
        let Some(colon) = line.iter().position(|&b| b == b':') else { continue };
        let (name, value) = (&line[..colon], trim(&line[colon + 1..]));
        if name.eq_ignore_ascii_case(b"sec-websocket-accept") {
            accepts += 1;
            assert_eq!(value, accept, "opened with a wrong Sec-WebSocket-Accept");
        }
        if name.eq_ignore_ascii_case(b"sec-websocket-protocol") {
            assert!(offered.iter().any(|p| p.as_bytes() == value), "opened with protocol {value:?}");
        }
    }
    assert_eq!(accepts, 1, "opened without exactly one Sec-WebSocket-Accept");
}
