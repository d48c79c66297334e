//! A refused `send`, `send_in_place` or `ping` changes nothing (issue 13): not the queued
//! bytes, not the caller's payload, and not the RNG. RFC 6455 §5.3 wants "a fresh masking
//! key" for each frame sent; a refused frame is not sent, so it draws no key. The RNG here
//! counts its draws and hands out keys in order, so a key drawn by a refusal would also show
//! as a key missing from the frames that do go out.

mod support;

use std::cell::Cell;
use std::convert::Infallible;
use std::rc::Rc;

use rand_core::TryRng;
use sockettask::{
    Buffers, Client, Config, ConnectOptions, Event, Handle, Instant, Limits, Message, SendError,
};
use support::{decode_client_frames, parse_request, response_101};

/// Draws 1, 2, 3, … as the 32-bit words of mask keys, counting them; the handshake key's
/// bytes (`fill_bytes`) are counted apart.
#[derive(Clone, Debug, Default)]
struct CountingRng {
    words: Rc<Cell<u32>>,
    fills: Rc<Cell<u32>>,
}

impl TryRng for CountingRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        self.words.set(self.words.get() + 1);
        Ok(self.words.get())
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(u64::from(self.try_next_u32()?))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        self.fills.set(self.fills.get() + 1);
        dst.fill(0x42);
        Ok(())
    }
}

const NOW: Instant = Instant::from_millis(1_000);

/// A client over one slot with a `tx`-byte send buffer and the given message limit, its
/// RNG's counters, and the handle of a task that is OPEN (the handshake's bytes taken).
fn open(tx: usize, max_message_size: usize) -> (Client<Vec<u8>, CountingRng>, CountingRng, Handle) {
    let rng = CountingRng::default();
    let config = Config { limits: Limits { max_message_size, ..Limits::default() }, ..Config::default() };
    let storage = [Buffers::new(vec![0u8; 4096], vec![0u8; tx])];
    let mut client = Client::new(config, rng.clone(), storage).expect("buffers");
    let t = client.connect_socket(NOW, &ConnectOptions::new("wss://example.com/")).expect("connect");
    let request = client.transmit_data(t).to_vec();
    client.advance_transmit(NOW, t, request.len());
    let key = parse_request(&request).key().to_owned();
    let answer = response_101(&key, &[]);
    assert_eq!(client.handle_input(NOW, t, &answer), answer.len());
    assert!(matches!(client.poll_event(), Some((_, Event::Open(_)))));
    (client, rng, t)
}

/// What a refusal must leave as it was: the queued bytes, the buffered amount, the RNG.
fn snapshot(
    client: &Client<Vec<u8>, CountingRng>,
    rng: &CountingRng,
    t: Handle,
) -> (Vec<u8>, usize, u32, u32) {
    (client.transmit_data(t).to_vec(), client.buffered_amount(t), rng.words.get(), rng.fills.get())
}

/// The mask keys of the frames in `wire`, as the 32-bit words the RNG drew.
fn keys(wire: &[u8]) -> Vec<u32> {
    decode_client_frames(wire).iter().map(|f| u32::from_ne_bytes(f.mask)).collect()
}

#[test]
fn a_send_refused_for_its_size_draws_no_key() {
    let (mut client, rng, t) = open(1024, 100);
    let before = snapshot(&client, &rng, t);
    assert_eq!(
        client.send(t, Message::Binary(&[7; 101])),
        Err(SendError::MessageTooLarge { required: 101, limit: 100 })
    );
    assert_eq!(
        client.send(t, Message::Text(&"é".repeat(51))),
        Err(SendError::MessageTooLarge { required: 102, limit: 100 })
    );
    assert_eq!(snapshot(&client, &rng, t), before);
    // The next frame that goes out takes the next key in order: none was lost.
    client.send(t, Message::Binary(&[7; 100])).unwrap();
    assert_eq!(rng.words.get(), before.2 + 1);
    assert_eq!(keys(client.transmit_data(t)), [before.2 + 1]);
}

#[test]
fn a_send_refused_for_a_full_buffer_draws_no_key() {
    // 1024 bytes: 762 for data frames; 708 taken, 54 left.
    let (mut client, rng, t) = open(1024, 700);
    client.send(t, Message::Binary(&[1; 700])).unwrap();
    let before = snapshot(&client, &rng, t);
    assert!(matches!(client.send(t, Message::Binary(&[2; 200])), Err(SendError::BufferFull { .. })));
    assert!(matches!(client.ping(t, &[3; 125]), Err(SendError::BufferFull { .. })));
    assert_eq!(snapshot(&client, &rng, t), before);
    // Once the bytes went out, the same send is taken, with the next key.
    let n = client.transmit_data(t).len();
    client.advance_transmit(NOW, t, n);
    client.send(t, Message::Binary(&[2; 200])).unwrap();
    assert_eq!(keys(client.transmit_data(t)), [before.2 + 1]);
}

#[test]
fn a_refused_send_in_place_draws_no_key_and_leaves_the_payload() {
    let (mut client, rng, t) = open(1024, 4000);
    // Over the limit.
    let mut big = vec![9u8; 4001];
    let before = snapshot(&client, &rng, t);
    assert!(matches!(client.send_in_place(t, &mut big), Err(SendError::MessageTooLarge { .. })));
    assert_eq!(snapshot(&client, &rng, t), before);
    assert!(big.iter().all(|&b| b == 9));
    // One payload at a time: a second one while the first is due.
    let mut first = vec![5u8; 3000];
    client.send_in_place(t, &mut first).unwrap();
    assert_eq!(rng.words.get(), before.2 + 1);
    let before = snapshot(&client, &rng, t);
    let mut second = vec![6u8; 10];
    assert!(matches!(client.send_in_place(t, &mut second), Err(SendError::BufferFull { .. })));
    assert_eq!(snapshot(&client, &rng, t), before);
    assert_eq!(second, [6u8; 10]);
}

#[test]
fn sends_before_open_and_after_close_draw_no_key() {
    let rng = CountingRng::default();
    let storage = [Buffers::new(vec![0u8; 4096], vec![0u8; 1024])];
    let mut client: Client<Vec<u8>, CountingRng> =
        Client::new(Config::default(), rng.clone(), storage).expect("buffers");
    let t = client.connect_socket(NOW, &ConnectOptions::new("wss://example.com/")).expect("connect");
    let words = rng.words.get();
    assert!(matches!(client.send(t, Message::Text("early")), Err(SendError::NotOpen(_))));
    assert!(matches!(client.send_in_place(t, &mut [1, 2, 3]), Err(SendError::NotOpen(_))));
    assert_eq!(rng.words.get(), words);

    let (mut client, rng, t) = open(1024, 1000);
    client.close(NOW, t, None, "bye").unwrap();
    let before = snapshot(&client, &rng, t);
    assert!(matches!(client.send(t, Message::Text("late")), Err(SendError::NotOpen(_))));
    let mut late = [4u8; 4];
    assert!(matches!(client.send_in_place(t, &mut late), Err(SendError::NotOpen(_))));
    assert_eq!(snapshot(&client, &rng, t), before);
    assert_eq!(late, [4u8; 4]);
}

#[test]
fn text_in_place_refused_as_not_utf8_draws_no_key() {
    let (mut client, rng, t) = open(1024, 4000);
    let before = snapshot(&client, &rng, t);
    let mut latin1 = b"na\xefve".to_vec();
    assert_eq!(client.send_text_in_place(t, &mut latin1), Err(SendError::InvalidUtf8 { valid_up_to: 2 }));
    assert_eq!(snapshot(&client, &rng, t), before);
    assert_eq!(latin1, b"na\xefve");
    client.send_text_in_place(t, &mut "naïve".as_bytes().to_vec()).unwrap();
    // Only the head is queued (FIN + text, masked, 6 bytes, the key): the next key in order.
    let head = client.transmit_data(t);
    assert_eq!(head[..2], [0x81, 0x86]);
    assert_eq!(u32::from_ne_bytes([head[2], head[3], head[4], head[5]]), before.2 + 1);
    assert_eq!(rng.words.get(), before.2 + 1);
}
