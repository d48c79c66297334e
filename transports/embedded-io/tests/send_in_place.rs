//! `send_in_place` on both drivers against a real RFC 6455 server (tungstenite) on loopback:
//! a payload many times the send buffer goes out from the caller's bytes, behind what was
//! queued before it, in one frame the server unmasks to the bytes given (its echo comes back
//! equal), also over a stream that takes 7 bytes per write and interrupts every other call;
//! refusals leave the payload untouched.

mod common;

use std::io;

use common::{Choppy, Ev, PATIENCE, clock, config, echo, serve};
use embedded_io_adapters::std::FromStd;
use rand::rngs::ThreadRng;
use sockettask::{Buffers, Client, ConnectOptions, Handle, Instant, Limits, Message, ReadyState, SendError};
use sockettask_embedded_io::{Driver, Error};

/// Far more than the send buffer: nothing but the head can go through it.
const PAYLOAD: usize = 100_000;
const TX: usize = 512;

type Storage = Vec<u8>;
type TestDriver<T> = Driver<T, Storage, ThreadRng, fn() -> Instant, 1>;

/// One slot: room to receive the echo, a small send buffer.
fn driver<T: embedded_io::Read + embedded_io::Write>(limits: Limits) -> TestDriver<T> {
    let config = sockettask::Config { limits, ..config() };
    let storage = [Buffers::new(vec![0; PAYLOAD + 1024], vec![0; TX])];
    Driver::new(Client::new(config, rand::rng(), storage).expect("client"), clock as fn() -> Instant)
}

fn next<T>(d: &mut TestDriver<T>, task: Handle) -> Result<Ev, Error<io::Error>>
where
    T: embedded_io::Read<Error = io::Error> + embedded_io::Write,
{
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        if let Some((_, event)) = d.next_event(task)? {
            return Ok(event.into());
        }
        assert!(std::time::Instant::now() < deadline, "no event within {PATIENCE:?}");
    }
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(7) ^ (i >> 9) as u8).collect()
}

/// Open, a text queued (not written yet: commands only queue), then the payload in place:
/// the server sees the text first and the binary message whole.
fn echo_in_place<T>(d: &mut TestDriver<T>, task: Handle)
where
    T: embedded_io::Read<Error = io::Error> + embedded_io::Write<Error = io::Error>,
{
    assert_eq!(next(d, task).unwrap(), Ev::Open);
    d.send(task, Message::Text("before")).unwrap();
    let original = pattern(PAYLOAD);
    let mut payload = original.clone();
    d.send_in_place(task, &mut payload).unwrap();
    assert_eq!(d.client().buffered_amount(task), 0, "the whole frame is written when it returns");
    assert_eq!(next(d, task).unwrap(), Ev::Text("before".into()));
    assert!(next(d, task).unwrap() == Ev::Binary(original), "the echo differs from the payload");
    assert_eq!(d.client().ready_state(task), ReadyState::Open);
}

#[test]
fn a_payload_larger_than_the_send_buffer_goes_out_in_place_behind_what_was_queued() {
    let server = serve(echo);
    let mut d = driver(Limits::default());
    let task = d.connect_socket(FromStd::new(server.tcp()), &ConnectOptions::new(&server.url())).unwrap();
    echo_in_place(&mut d, task);
    d.close(task, None, "").unwrap();
    assert_eq!(next(&mut d, task).unwrap(), Ev::Close(1000, String::new()));
    server.join();
}

#[test]
fn a_payload_in_place_over_short_interrupted_writes() {
    let server = serve(echo);
    let mut d = driver(Limits::default());
    let stream = Choppy::new(FromStd::new(server.tcp()), 7);
    let task = d.connect_socket(stream, &ConnectOptions::new(&server.url())).unwrap();
    echo_in_place(&mut d, task);
}

#[test]
fn a_refused_payload_is_left_untouched() {
    let server = serve(echo);
    let limits = Limits { max_message_size: 4096, ..Limits::default() };
    let mut d = driver(limits);
    let task = d.connect_socket(FromStd::new(server.tcp()), &ConnectOptions::new(&server.url())).unwrap();
    let original = pattern(4097);
    let mut payload = original.clone();
    let refused = d.send_in_place(task, &mut payload[..100]);
    assert!(matches!(refused, Err(Error::Send(SendError::NotOpen(ReadyState::Connecting)))), "{refused:?}");
    assert_eq!(next(&mut d, task).unwrap(), Ev::Open);
    let refused = d.send_in_place(task, &mut payload);
    assert!(
        matches!(refused, Err(Error::Send(SendError::MessageTooLarge { required: 4097, limit: 4096 }))),
        "{refused:?}"
    );
    assert!(payload == original, "a refused payload must not be masked");
    assert_eq!(d.client().buffered_amount(task), 0);
    // The limit itself goes.
    let mut exact = pattern(4096);
    d.send_in_place(task, &mut exact).unwrap();
    assert!(next(&mut d, task).unwrap() == Ev::Binary(pattern(4096)));
}

#[cfg(feature = "async")]
#[test]
fn the_async_driver_sends_in_place_too() {
    use common::asynch::{AsyncTcp, PollTimer, block_on_until};
    use sockettask_embedded_io::AsyncDriver;

    async fn next(
        d: &mut AsyncDriver<AsyncTcp, Storage, ThreadRng, PollTimer, 1>,
        task: Handle,
    ) -> Result<Ev, Error<io::Error>> {
        loop {
            if let Some((_, event)) = d.next_event(task).await? {
                return Ok(event.into());
            }
        }
    }

    let server = serve(echo);
    let done = block_on_until(
        async {
            let storage = [Buffers::new(vec![0; PAYLOAD + 1024], vec![0; TX])];
            let mut d = AsyncDriver::new(Client::new(config(), rand::rng(), storage).unwrap(), PollTimer);
            let task =
                d.connect_socket(AsyncTcp::new(server.tcp()), &ConnectOptions::new(&server.url())).unwrap();
            assert_eq!(next(&mut d, task).await.unwrap(), Ev::Open);
            d.send(task, Message::Text("before")).unwrap();
            let mut payload = pattern(PAYLOAD);
            d.send_in_place(task, &mut payload).await.unwrap();
            assert_eq!(d.client().buffered_amount(task), 0);
            assert_eq!(next(&mut d, task).await.unwrap(), Ev::Text("before".into()));
            assert!(next(&mut d, task).await.unwrap() == Ev::Binary(pattern(PAYLOAD)));
        },
        std::time::Instant::now() + 2 * PATIENCE,
    );
    assert!(done.is_some(), "the async exchange did not complete within {:?}", 2 * PATIENCE);
}

/// `send_text_in_place`: a text far larger than the send buffer, multi-byte characters cut
/// across 7-byte writes, comes back from the server as the same text; bytes that are not
/// UTF-8 are refused untouched and the task goes on.
#[test]
fn a_text_in_place_is_echoed_as_text_and_bytes_that_are_not_utf8_are_refused() {
    let server = serve(echo);
    let mut d = driver(Limits::default());
    let stream = Choppy::new(FromStd::new(server.tcp()), 7);
    let task = d.connect_socket(stream, &ConnectOptions::new(&server.url())).unwrap();
    assert_eq!(next(&mut d, task).unwrap(), Ev::Open);
    let mut latin1 = b"caf\xe9 cr\xe8me".to_vec();
    let refused = d.send_text_in_place(task, &mut latin1);
    assert!(matches!(refused, Err(Error::Send(SendError::InvalidUtf8 { valid_up_to: 3 }))), "{refused:?}");
    assert_eq!(latin1, b"caf\xe9 cr\xe8me");
    let text = "añb€😀 ".repeat(PAYLOAD / 14);
    let mut bytes = text.clone().into_bytes();
    d.send_text_in_place(task, &mut bytes).unwrap();
    assert!(next(&mut d, task).unwrap() == Ev::Text(text), "the echo differs from the text");
    assert_eq!(d.client().ready_state(task), ReadyState::Open);
}
