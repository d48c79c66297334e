//! Shared pieces of the sockettask benchmarks: a deterministic RNG, payload and frame
//! builders, in-memory streams for the contenders that want `Read + Write` (tungstenite) or
//! `AsyncRead + AsyncWrite` (fastwebsockets), a client already past the handshake, the
//! loopback echo server every contender talks to, a counting allocator, and the
//! permessage-deflate pieces (compressible JSON, compressors, the raw inflate limit).
//!
//! The benches themselves are in `benches/`: `send`, `receive`, `handshake`, `echo`,
//! `deflate` (criterion), `memory` (prints sizes and peak heap) and `resident` (resident
//! memory per task, idle and after a 1 MiB message, one process per contender). `table.py` turns criterion's results
//! into the Markdown table of the README.

pub mod ab;
pub mod alloc;
pub mod deflate;
pub mod echo;
pub mod mem;
pub mod placement;
pub mod server;
pub mod wire;

use core::convert::Infallible;

use sockettask::{Buffers, Client, Config, ConnectOptions, Event, Handle, Instant, Negotiated, Schemes};

/// Payload sizes of the send path: 16 B, 1 KiB, 64 KiB, 1 MiB.
pub const SEND_SIZES: [usize; 4] = [16, 1 << 10, 64 << 10, 1 << 20];
/// Payload sizes of the receive path: 16 B, 1 KiB, 64 KiB.
pub const RECEIVE_SIZES: [usize; 3] = [16, 1 << 10, 64 << 10];

/// `16 B`, `1 KiB`, `64 KiB`, `1 MiB`: how benchmark names spell sizes.
pub fn size_label(size: usize) -> String {
    match size {
        s if s >= 1 << 20 => format!("{} MiB", s >> 20),
        s if s >= 1 << 10 => format!("{} KiB", s >> 10),
        s => format!("{s} B"),
    }
}

/// Criterion settings of the in-memory benches: short, so the whole run stays in minutes.
pub fn in_memory() -> criterion::Criterion {
    criterion::Criterion::default()
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_millis(1500))
        .sample_size(50)
}

/// Criterion settings of the loopback benches.
pub fn network() -> criterion::Criterion {
    criterion::Criterion::default()
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2))
        .sample_size(20)
}

/// A xorshift64* generator: deterministic, fast, good enough for mask keys in a benchmark
/// (never for a real client: RFC 6455 §5.3 wants unpredictable keys).
#[derive(Clone, Debug)]
pub struct TestRng(u64);

impl TestRng {
    /// A generator from `seed` (0 is replaced by a fixed odd constant).
    pub fn new(seed: u64) -> Self {
        TestRng(if seed == 0 { 0x9E37_79B9_7F4A_7C15 } else { seed })
    }

    fn step(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn fill(&mut self, dst: &mut [u8]) {
        for chunk in dst.chunks_mut(8) {
            let bytes = self.step().to_le_bytes();
            chunk.copy_from_slice(bytes.get(..chunk.len()).unwrap_or_default());
        }
    }
}

impl rand_core::TryRng for TestRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok((self.step() >> 32) as u32)
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(self.step())
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        self.fill(dst);
        Ok(())
    }
}

/// The same generator for embedded-websocket, which takes a `rand_core` 0.6 RNG.
impl rand_core06::RngCore for TestRng {
    fn next_u32(&mut self) -> u32 {
        (self.step() >> 32) as u32
    }

    fn next_u64(&mut self) -> u64 {
        self.step()
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.fill(dest);
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core06::Error> {
        self.fill(dest);
        Ok(())
    }
}

/// One message of the receive cases as sockettask takes it: `frames` copied into
/// [`Client::input_buffer`] (a socket read's copy), [`Client::handle_read`], then
/// [`Client::poll_event`] hands out the message, whose bytes are looked at (`black_box`).
/// Inline: the per-iteration body of the receive bench and of the examples that count or time
/// it, the same code in each.
///
/// # Panics
///
/// If the frames make no message (benchmark set-up only).
#[inline(always)]
pub fn receive_message(client: &mut OneTask, task: Handle, now: Instant, frames: &[u8]) {
    let buf = client.input_buffer(task);
    buf[..frames.len()].copy_from_slice(frames);
    client.handle_read(now, task, frames.len());
    match client.poll_event() {
        Some((_, Event::Message(message))) => core::hint::black_box(message.as_bytes()),
        other => panic!("expected a message, got {other:?}"),
    };
}

/// One message as embedded-websocket's caller takes it: `read` frame after frame of `frames`
/// into `out` until the message ends; returns its length. Inline, like [`receive_message`].
///
/// # Panics
///
/// If `read` fails (benchmark set-up only).
#[inline(always)]
pub fn ews_read_message(
    ws: &mut embedded_websocket::WebSocketClient<TestRng>,
    frames: &[u8],
    out: &mut [u8],
) -> usize {
    let (mut from, mut to) = (0, 0);
    loop {
        let read = ws.read(&frames[from..], &mut out[to..]).expect("read");
        from += read.len_from;
        to += read.len_to;
        if read.end_of_message {
            return to;
        }
    }
}

/// Bytes at a chosen offset in their page: a copy's source placed like its destination.
///
/// Where a copy's destination lies relative to its source, modulo 4 KiB, moves the speed of
/// a 64 KiB copy on the machines here by up to 40 % (a destination a few bytes past its
/// source is the slow case: a load waits on an earlier store 4 KiB away). Left to the
/// allocator, each contender and the memcpy limit would get their own luck; placed alike,
/// they copy under the same conditions.
///
/// ```
/// let destination = vec![0u8; 100];
/// let source = sockettask_benches::Placed::like(b"abc", destination.as_ptr());
/// assert_eq!(&source[..], b"abc");
/// assert_eq!(source.as_ptr() as usize % 4096, destination.as_ptr() as usize % 4096);
/// ```
pub struct Placed {
    buffer: Vec<u8>,
    range: core::ops::Range<usize>,
}

impl Placed {
    /// `bytes`, copied to the offset in its page that `like` has in its own.
    pub fn like(bytes: &[u8], like: *const u8) -> Placed {
        let mut buffer = vec![0u8; bytes.len() + 4096];
        let start = (like as usize).wrapping_sub(buffer.as_ptr() as usize) % 4096;
        let range = start..start + bytes.len();
        buffer[range.clone()].copy_from_slice(bytes);
        Placed { buffer, range }
    }
}

impl core::ops::Deref for Placed {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.buffer[self.range.clone()]
    }
}

/// The core as the in-memory benches use it: one task over heap buffers.
pub type OneTask = Client<Box<[u8]>, TestRng, 1>;

/// A sockettask client with one task already OPEN (the 101 response fed and the `Open`
/// event polled), receive buffer `rx` bytes and send buffer `tx` bytes.
///
/// # Panics
///
/// If the buffers are too small for the handshake (benchmark set-up only).
pub fn open_client(rx: usize, tx: usize) -> (OneTask, Handle) {
    let (client, task, _) =
        open_client_with(Config::default(), rx, tx, &ConnectOptions::new("ws://example.com/chat"), &[]);
    (client, task)
}

/// [`open_client`] with `config` (`ws://` always allowed), `options`, and `answer`: extra
/// header lines of the server's 101; also the permessage-deflate parameters it accepted.
///
/// # Panics
///
/// If the handshake fails (benchmark set-up only).
pub fn open_client_with(
    config: Config,
    rx: usize,
    tx: usize,
    options: &ConnectOptions<'_>,
    answer: &[&str],
) -> (OneTask, Handle, Option<Negotiated>) {
    let config = Config { schemes: Schemes::AllowInsecure, ..config };
    let storage = [Buffers::new(vec![0; rx].into_boxed_slice(), vec![0; tx].into_boxed_slice())];
    let mut client = OneTask::new(config, TestRng::new(1), storage).expect("buffers");
    let now = Instant::from_millis(0);
    let task = client.connect_socket(now, options).expect("connect");
    let request = client.transmit_data(task).to_vec();
    client.advance_transmit(now, task, request.len());
    let response = wire::response_with(&request, answer).expect("a key in the request");
    assert_eq!(client.handle_input(now, task, &response), response.len());
    let negotiated = match client.poll_event() {
        Some((_, Event::Open(open))) => open.per_message_deflate,
        other => panic!("expected Open, got {other:?}"),
    };
    (client, task, negotiated)
}

/// Writes `json` to `target/criterion/NAME`, beside criterion's results, where `table.py`
/// reads it; says on the terminal where it went, or why it did not.
pub fn save_for_table(name: &str, json: &str) {
    let target =
        std::env::current_exe().ok().and_then(|exe| exe.ancestors().nth(3).map(|t| t.join("criterion")));
    if let Some(dir) = target {
        let _ = std::fs::create_dir_all(&dir);
        match std::fs::write(dir.join(name), json) {
            Ok(()) => println!("written to {}", dir.join(name).display()),
            Err(e) => eprintln!("{name} not written: {e}"),
        }
    }
}

/// The first part of [`handshake`]: a new client over `rx` and `tx`, one task connecting
/// (`options` hidden from the optimiser), its request in the send buffer; then `then` on
/// them. The client stays in this frame (moved out, its 1 KiB of state would be copied:
/// some 450 instructions more per handshake).
///
/// # Panics
///
/// If the client or the task cannot start (benchmark only).
#[inline]
pub fn connecting<T>(
    config: Config,
    options: &ConnectOptions<'_>,
    rx: &mut [u8],
    tx: &mut [u8],
    then: impl FnOnce(&mut Client<&mut [u8], TestRng, 1>, Handle) -> T,
) -> T {
    let storage = [Buffers::new(rx, tx)];
    let mut client = Client::new(config, TestRng::new(7), storage).expect("client");
    let task =
        client.connect_socket(Instant::from_millis(0), std::hint::black_box(options)).expect("connect");
    then(&mut client, task)
}

/// One handshake as the `handshake` benches time it, on a new client over `rx` and `tx`:
/// `connect_socket` (`options` hidden from the optimiser), the request taken from the send
/// buffer, the mock server's 101 written into `input_buffer` (where a socket read puts it),
/// `handle_read`, `poll_event` → `Open`, whose protocol is hidden from the optimiser.
///
/// # Panics
///
/// If the handshake fails (benchmark only).
#[inline]
pub fn handshake(config: Config, options: &ConnectOptions<'_>, rx: &mut [u8], tx: &mut [u8]) {
    connecting(config, options, rx, tx, |client, task| {
        let now = Instant::from_millis(0);
        let request = client.transmit_data(task);
        let accept = wire::accept_of(request).expect("key");
        let n = request.len();
        client.advance_transmit(now, task, n);
        let read = wire::put_response(&accept, client.input_buffer(task)).expect("room");
        client.handle_read(now, task, read);
        match client.poll_event() {
            Some((_, Event::Open(open))) => std::hint::black_box(open.protocol),
            other => panic!("expected Open, got {other:?}"),
        };
    });
}

/// The physical limit of the send path: copy `src` into `dst` XORed with the repeated `key`,
/// one fused pass, 8 bytes a word in 64-byte blocks (LLVM vectorises it).
pub fn fused_copy_xor(src: &[u8], dst: &mut [u8], key: [u8; 4]) {
    let word = u64::from_ne_bytes([key[0], key[1], key[2], key[3], key[0], key[1], key[2], key[3]]);
    let (src_blocks, src_rest) = src.as_chunks::<64>();
    let (dst_blocks, dst_rest) = dst.as_chunks_mut::<64>();
    for (d, s) in dst_blocks.iter_mut().zip(src_blocks) {
        for (dw, sw) in d.as_chunks_mut::<8>().0.iter_mut().zip(s.as_chunks::<8>().0) {
            *dw = (u64::from_ne_bytes(*sw) ^ word).to_ne_bytes();
        }
    }
    let (src_words, src_tail) = src_rest.as_chunks::<8>();
    let (dst_words, dst_tail) = dst_rest.as_chunks_mut::<8>();
    for (dw, sw) in dst_words.iter_mut().zip(src_words) {
        *dw = (u64::from_ne_bytes(*sw) ^ word).to_ne_bytes();
    }
    for ((d, s), k) in dst_tail.iter_mut().zip(src_tail).zip(key.iter().cycle()) {
        *d = s ^ k;
    }
}

/// XORs `buf` in place with the repeated `key` (the echo server's unmasking).
pub fn xor_in_place(buf: &mut [u8], key: [u8; 4]) {
    let word = u64::from_ne_bytes([key[0], key[1], key[2], key[3], key[0], key[1], key[2], key[3]]);
    let (words, rest) = buf.as_chunks_mut::<8>();
    for w in words {
        *w = (u64::from_ne_bytes(*w) ^ word).to_ne_bytes();
    }
    for (b, k) in rest.iter_mut().zip(key.iter().cycle()) {
        *b ^= k;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The limit does the core's work: the payload of the frame `send` queues is the
    /// fused copy-and-XOR of the message with the frame's mask key.
    #[test]
    fn fused_copy_xor_matches_the_core() {
        let src: Vec<u8> = (0..1000u32).map(|i| (i * 7) as u8).collect();
        let (mut client, task) = open_client(4096, 4096);
        client.send(task, sockettask::Message::Binary(&src)).expect("send");
        // FIN + binary, masked 16-bit length 1000, then the mask key and the payload.
        let frame = client.transmit_data(task);
        assert_eq!(frame[..4], [0x82, 0xFE, 0x03, 0xE8]);
        let key: [u8; 4] = frame[4..8].try_into().expect("4 bytes");
        let mut ours = vec![0; 1000];
        fused_copy_xor(&src, &mut ours, key);
        assert_eq!(ours, frame[8..]);
        xor_in_place(&mut ours, key);
        assert_eq!(ours, src);
    }

    #[test]
    fn open_client_is_open() {
        let (client, task) = open_client(4096, 4096);
        assert_eq!(client.ready_state(task), sockettask::ReadyState::Open);
    }
}
