//! permessage-deflate (RFC 7692) in the benches: compressible JSON documents, a server's
//! compressor (flate2 over zlib-rs: raw DEFLATE, window 15, one sync flush per message, the
//! `00 00 ff ff` tail removed), the client's compressor as `sockettask-mio` runs it, a core
//! client that negotiated the extension, and the limit of the receive path: miniz_oxide's
//! core `decompress` (the inflater the core uses) alone, into one flat buffer.
//!
//! A case is a *stream* of distinct documents ([`Stream::STREAM_BYTES`] in all), compressed
//! once, in order, by one compressor: with context takeover later messages refer back into
//! earlier ones, as on a real connection. The first message is compressed with an empty
//! window, so it refers to nothing before it and the stream can be received over and over
//! (message after message, round and round) on one connection.

use flate2::{Compress, Compression, FlushCompress};
use miniz_oxide::inflate::TINFLStatus;
use miniz_oxide::inflate::core::inflate_flags::{
    TINFL_FLAG_HAS_MORE_INPUT, TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF,
};
use miniz_oxide::inflate::core::{DecompressorOxide, decompress};
use sockettask::{
    Config, ConnectOptions, Event, Handle, Instant, Limits, Message, PerMessageDeflate, RX_OVERHEAD,
    inflate_overhead,
};

use crate::{OneTask, TestRng, open_client_with, wire};

/// The bytes every sync-flushed message ends with, which the sender removes (RFC 7692
/// §7.2.1) and the receiver appends again (§7.2.2).
pub const TAIL: [u8; 4] = [0x00, 0x00, 0xFF, 0xFF];

/// The window every case compresses and inflates with (`server_max_window_bits=15`).
pub const WINDOW_BITS: u8 = 15;

/// The largest message of the deflate benches: the core client's message limit.
pub const MAX_MESSAGE: usize = 64 << 10;

/// Whether the window carries over from one message to the next (RFC 7692 §7.1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Takeover {
    /// Context takeover: a message may refer back into the ones before it.
    On,
    /// `no_context_takeover`: every message starts from an empty window.
    Off,
}

/// A JSON document of exactly `len` bytes, different for every `seed`: an API response with
/// a list of orders (ids, symbols, prices, timestamps, nested objects, tags), the kind of text
/// a server compresses. Valid JSON for `len` of 64 and more.
pub fn json(seed: u64, len: usize) -> String {
    let mut rng = TestRng::new(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut out = format!("{{\"type\":\"orders\",\"seq\":{},\"items\":[", rng.below(1 << 30));
    let close = "],\"note\":\"\"}";
    let mut first = true;
    loop {
        let record = order(&mut rng);
        if out.len() + usize::from(!first) + record.len() + close.len() > len {
            break;
        }
        if !first {
            out.push(',');
        }
        out.push_str(&record);
        first = false;
    }
    out.push_str("],\"note\":\"");
    let room = len.saturating_sub(out.len() + 2);
    out.push_str(&words(&mut rng, room));
    out.push_str("\"}");
    out.truncate(len);
    out
}

/// One order of [`json`].
fn order(rng: &mut TestRng) -> String {
    const SYMBOLS: [&str; 6] = ["BTC-USD", "ETH-USD", "SOL-EUR", "AAPL", "MSFT", "EUR-JPY"];
    const SIDES: [&str; 2] = ["buy", "sell"];
    const TAGS: [&str; 5] = ["\"maker\"", "\"taker\"", "\"api\"", "\"web\"", "\"ioc\""];
    let tags: Vec<&str> = (0..rng.below(3)).map(|_| TAGS[rng.below(5) as usize]).collect();
    format!(
        "{{\"id\":{},\"symbol\":\"{}\",\"side\":\"{}\",\"price\":{}.{:02},\"size\":0.{:04},\
         \"ts\":\"2026-12-01T{:02}:{:02}:{:02}.{:03}Z\",\"user\":{{\"id\":{},\"verified\":{}}},\
         \"tags\":[{}]}}",
        rng.below(1 << 40),
        SYMBOLS[rng.below(6) as usize],
        SIDES[rng.below(2) as usize],
        rng.below(100_000),
        rng.below(100),
        rng.below(10_000),
        rng.below(24),
        rng.below(60),
        rng.below(60),
        rng.below(1000),
        rng.below(1_000_000),
        rng.below(2) == 1,
        tags.join(","),
    )
}

/// Lowercase words separated by spaces, exactly `len` bytes.
fn words(rng: &mut TestRng, len: usize) -> String {
    const WORDS: [&str; 8] = ["partial", "fill", "of", "the", "order", "book", "at", "market"];
    let mut out = String::with_capacity(len + 8);
    while out.len() < len {
        out.push_str(WORDS[rng.below(8) as usize]);
        out.push(' ');
    }
    out.truncate(len);
    out
}

/// A permessage-deflate compressor: raw DEFLATE with a [`WINDOW_BITS`] window, one sync
/// flush per message, the tail removed; the same loop as `sockettask-mio`'s
/// (`transports/mio/src/compress.rs`).
pub struct Deflater {
    zlib: Compress,
    takeover: Takeover,
}

impl core::fmt::Debug for Deflater {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Deflater").field("takeover", &self.takeover).finish_non_exhaustive()
    }
}

impl Deflater {
    /// A compressor at zlib level `level` (1 fast – 9 small; servers use 6).
    pub fn new(level: u32, takeover: Takeover) -> Self {
        Deflater {
            zlib: Compress::new_with_window_bits(Compression::new(level), false, WINDOW_BITS),
            takeover,
        }
    }

    /// `data` compressed as the next message, into `out` (cleared first, its capacity kept).
    ///
    /// # Panics
    ///
    /// If zlib fails (it does not, on a valid stream).
    pub fn message_into(&mut self, data: &[u8], out: &mut Vec<u8>) {
        if self.takeover == Takeover::Off {
            self.zlib.reset();
        }
        out.clear();
        out.reserve(data.len() + data.len() / 64 + 64);
        let mut input = data;
        loop {
            let before = self.zlib.total_in();
            self.zlib.compress_vec(input, out, FlushCompress::Sync).expect("deflate");
            input = &input[usize::try_from(self.zlib.total_in() - before).expect("fits")..];
            if input.is_empty() && out.len() < out.capacity() {
                break;
            }
            out.reserve(out.capacity().max(64));
        }
        if out.ends_with(&TAIL) {
            out.truncate(out.len() - TAIL.len());
        }
        if out.is_empty() {
            out.push(0x00);
        }
    }
}

/// One case's messages: the documents, their compressed payloads (a server's level 6) and
/// the unmasked server frames carrying them (one text frame each, RSV1 set).
#[derive(Debug)]
pub struct Stream {
    /// The documents, each `size` bytes.
    pub docs: Vec<Vec<u8>>,
    /// Each document compressed, in stream order.
    pub payloads: Vec<Vec<u8>>,
    /// Each payload in its frame.
    pub frames: Vec<Vec<u8>>,
}

impl Stream {
    /// Stream bytes per case (whole documents): four windows, so a document
    /// comes round again only once it has left the window (and the compressor cannot simply
    /// point back at its last copy).
    pub const STREAM_BYTES: usize = 4 << WINDOW_BITS;

    /// The stream of `size`-byte documents, compressed at level 6.
    pub fn new(size: usize, takeover: Takeover) -> Self {
        let count = Self::STREAM_BYTES.div_ceil(size).max(2);
        let docs: Vec<Vec<u8>> = (0..count as u64).map(|i| json(i, size).into_bytes()).collect();
        let mut deflater = Deflater::new(6, takeover);
        let payloads: Vec<Vec<u8>> = docs
            .iter()
            .map(|doc| {
                let mut out = Vec::new();
                deflater.message_into(doc, &mut out);
                out
            })
            .collect();
        let frames = payloads.iter().map(|p| compressed_frame(wire::TEXT, p)).collect();
        Stream { docs, payloads, frames }
    }

    /// Compressed payload bytes per message, on average.
    pub fn compressed_len(&self) -> usize {
        self.payloads.iter().map(Vec::len).sum::<usize>() / self.payloads.len()
    }

    /// Every frame, in order, in one run of bytes.
    pub fn wire(&self) -> Vec<u8> {
        self.frames.concat()
    }
}

/// One unmasked server frame carrying a whole compressed message: FIN, RSV1, `opcode`.
pub fn compressed_frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 10);
    wire::push_header(&mut out, 0x80 | 0x40 | opcode, payload.len());
    out.extend_from_slice(payload);
    out
}

/// The value of the server's `Sec-WebSocket-Extensions` answer for window 15 and `takeover`
/// in both directions.
pub fn answer(takeover: Takeover) -> &'static str {
    match takeover {
        Takeover::On => "permessage-deflate; server_max_window_bits=15",
        Takeover::Off => {
            "permessage-deflate; server_max_window_bits=15; server_no_context_takeover; \
             client_no_context_takeover"
        }
    }
}

/// A core client with one task OPEN and permessage-deflate negotiated (window 15, `takeover`
/// both ways), message limit [`MAX_MESSAGE`], a fixed receive buffer of the documented size
/// for that limit plus `read_ahead` bytes (so a whole frame of up to that many bytes can be
/// read at once, as the mio transport's growable buffers allow), send buffer `tx` bytes.
///
/// # Panics
///
/// If the handshake or the negotiation fails (benchmark set-up only).
pub fn open_client(takeover: Takeover, read_ahead: usize, tx: usize) -> (OneTask, Handle) {
    let off = takeover == Takeover::Off;
    let rx = MAX_MESSAGE + RX_OVERHEAD + inflate_overhead(WINDOW_BITS, off) + read_ahead;
    let config =
        Config { limits: Limits { max_message_size: MAX_MESSAGE, ..Limits::default() }, ..Config::default() };
    let offer = PerMessageDeflate {
        server_no_context_takeover: off,
        client_no_context_takeover: off,
        server_max_window_bits: Some(WINDOW_BITS),
        client_max_window_bits: None,
    };
    let options = ConnectOptions::new("ws://example.com/chat").per_message_deflate(offer);
    let line = format!("Sec-WebSocket-Extensions: {}", answer(takeover));
    let (client, task, negotiated) = open_client_with(config, rx, tx, &options, &[&line]);
    let negotiated = negotiated.expect("permessage-deflate accepted");
    assert_eq!(negotiated.server_no_context_takeover, off);
    (client, task)
}

/// The limit of the receive path: miniz_oxide's core `decompress` alone over the same
/// stream, each message's payload with the tail appended (one call per message), into one
/// flat buffer that holds the whole stream's output, so back-references reach the earlier
/// messages in place (`TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF`) with no window to keep.
pub struct RawInflate {
    state: Box<DecompressorOxide>,
    inputs: Vec<Vec<u8>>,
    out: Vec<u8>,
    size: usize,
    takeover: Takeover,
}

impl core::fmt::Debug for RawInflate {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RawInflate")
            .field("size", &self.size)
            .field("takeover", &self.takeover)
            .finish_non_exhaustive()
    }
}

impl RawInflate {
    /// The inflater for `stream`'s messages of `size` bytes.
    pub fn new(stream: &Stream, size: usize, takeover: Takeover) -> Self {
        let inputs = stream.payloads.iter().map(|p| [&p[..], &TAIL].concat()).collect();
        let len = if takeover == Takeover::On { size * stream.payloads.len() } else { size };
        // One byte past the last message: the inflater wants room it will not use to say
        // it is done rather than that it has more output.
        RawInflate { state: Box::default(), inputs, out: vec![0; len + 1], size, takeover }
    }

    /// Inflates message `i` of the stream, returns its bytes.
    ///
    /// # Panics
    ///
    /// If the stream is corrupt or the message is longer than its documents.
    pub fn message(&mut self, i: usize) -> &[u8] {
        let (start, flags) = match self.takeover {
            Takeover::On => {
                (i * self.size, TINFL_FLAG_HAS_MORE_INPUT | TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF)
            }
            Takeover::Off => {
                self.state.init();
                (0, TINFL_FLAG_HAS_MORE_INPUT | TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF)
            }
        };
        let input = &self.inputs[i];
        let out = &mut self.out[..start + self.size + 1];
        let (status, consumed, written) = decompress(&mut self.state, input, out, start, flags);
        assert!(status == TINFLStatus::NeedsMoreInput && consumed == input.len(), "{status:?}");
        &self.out[start..start + written]
    }
}

/// Copies `frame` into `client` through as many reads (`input_buffer`, `handle_read`) as it
/// takes, as a driver does, then polls the message; returns its bytes and the reads.
///
/// # Panics
///
/// If the frame does not end in a text message.
pub fn receive<'c>(client: &'c mut OneTask, task: Handle, frame: &[u8]) -> (&'c [u8], usize) {
    let now = Instant::from_millis(0);
    let (mut rest, mut reads) = (frame, 0);
    while !rest.is_empty() {
        let buf = client.input_buffer(task);
        let n = buf.len().min(rest.len());
        assert!(n > 0, "the client stopped reading");
        buf[..n].copy_from_slice(&rest[..n]);
        client.handle_read(now, task, n);
        rest = &rest[n..];
        reads += 1;
    }
    match client.poll_event() {
        Some((_, Event::Message(Message::Text(text)))) => (text.as_bytes(), reads),
        other => panic!("expected a text message, got {other:?}"),
    }
}

impl TestRng {
    /// A draw below `n` (slightly biased; fine for test data).
    fn below(&mut self, n: u64) -> u64 {
        self.step() % n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_exact_and_compressible() {
        for len in [1 << 10, 64 << 10] {
            let doc = json(7, len);
            assert_eq!(doc.len(), len);
            assert!(doc.starts_with("{\"type\":\"orders\"") && doc.ends_with("\"}"), "{doc}");
            assert_ne!(json(8, len), doc);
            let mut out = Vec::new();
            Deflater::new(6, Takeover::Off).message_into(doc.as_bytes(), &mut out);
            assert!(out.len() * 2 < len, "{} of {len}", out.len());
        }
    }

    #[test]
    fn raw_inflate_gives_the_documents() {
        for (size, takeover) in [(1 << 10, Takeover::On), (1 << 10, Takeover::Off), (64 << 10, Takeover::On)]
        {
            let stream = Stream::new(size, takeover);
            let mut raw = RawInflate::new(&stream, size, takeover);
            for round in 0..2 {
                for (i, doc) in stream.docs.iter().enumerate() {
                    assert_eq!(raw.message(i), &doc[..], "message {i}, round {round}");
                }
            }
        }
    }

    #[test]
    fn the_core_client_inflates_the_stream_round_and_round() {
        for (size, takeover) in [(1 << 10, Takeover::On), (1 << 10, Takeover::Off), (64 << 10, Takeover::On)]
        {
            let stream = Stream::new(size, takeover);
            let (mut client, task) = open_client(takeover, 64 << 10, 4096);
            for round in 0..2 {
                for (i, frame) in stream.frames.iter().enumerate() {
                    let (text, reads) = receive(&mut client, task, frame);
                    assert_eq!(text, &stream.docs[i][..], "message {i}, round {round}");
                    // Once the limit is known (after the first frame), a frame is one read.
                    assert!(round == 0 || reads == 1, "message {i}: {reads} reads");
                }
            }
        }
    }
}
