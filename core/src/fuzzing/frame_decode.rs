//! `frame_decode`: server frames into an open socket, in one chunk and in many.

#[allow(clippy::wildcard_imports)]
use super::*;

/// `frame_decode`: bytes after a valid handshake go to the frame decoder of an open socket,
/// once in one chunk and once in chunks of the sizes the input's head gives. No panic,
/// consumed ≤ given, S11, every protocol error closes with its code, and both runs report
/// the same events.
///
/// Input: a flags byte (limits, receive buffer size), 4 chunk-size bytes, then the frames.
pub fn frame_decode(data: &[u8]) {
    let mut input = Input(data);
    let flags = input.byte();
    let plan = input.take(4);
    let frames = input.0;
    let whole = decode_run(flags, frames, &[]);
    let split = decode_run(flags, frames, plan);
    assert_eq!(whole, split, "the same bytes in one chunk or in chunks give the same events");
}

fn decode_run(flags: u8, frames: &[u8], plan: &[u8]) -> Record {
    let mut limits = Limits::default();
    if flags & 1 != 0 {
        limits.max_frame_size = 64;
    }
    if flags & 2 != 0 {
        limits.max_message_size = 300;
    }
    if flags & 4 != 0 {
        limits.max_fragments = 3;
    }
    let rx_len = [512, 1024, 2048, 4096][usize::from(flags >> 3 & 3)];
    let (mut rx, mut tx) = ([0u8; 4096], [0u8; 1024]);
    let storage = [Buffers::new(&mut rx[..rx_len], &mut tx[..])];
    let mut driver = Driver::<1>::new(Config { limits, ..Config::default() }, storage);
    let h = driver.client.connect_socket(driver.now, &ConnectOptions::new(URL)).unwrap();
    let accept = accept_for(driver.client.transmit_data(h));
    driver.settle();
    let mut stream = Wire::<{ 16 * 1024 }>::new();
    stream.push(response(&accept, b"").bytes());
    stream.push(frames);
    driver.deliver(h, stream.bytes(), plan, true);
    driver.client.handle_eof(driver.now, h);
    driver.settle();
    assert!(driver.track(h).opened && driver.track(h).closed, "open, then closed at EOF at the latest");
    assert_eq!(driver.client.handles().count(), 0, "a closed task frees its slot");
    driver.record
}
