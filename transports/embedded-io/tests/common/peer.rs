//! An in-memory WebSocket server as a stream, blocking (`embedded_io`) and, with the `async`
//! feature, async (`embedded_io_async`): no thread, no socket, the same bytes every run.
//!
//! It reads the client's upgrade request, answers `101` with the accept key (RFC 6455 §4.2.2)
//! and the `Sec-WebSocket-Extensions` line it was given, then hands out its script's frames, at
//! most `chunk` bytes a read. It decodes every frame the client writes (masked, §5.3), keeping
//! the first byte as sent, answers the client's close frame with the same payload (§5.5.1), and
//! then ends the stream. A read with nothing to hand out fails with `TimedOut`, as a stream with
//! a read timeout does: the driver takes it as a tick.

use std::collections::VecDeque;

use embedded_io::ErrorKind;
use tungstenite::handshake::derive_accept_key;

/// The close opcode.
pub const OP_CLOSE: u8 = 0x8;

/// A frame the client wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientFrame {
    /// FIN, RSV1–3 and the opcode, as on the wire.
    pub first_byte: u8,
    /// Unmasked.
    pub payload: Vec<u8>,
}

impl ClientFrame {
    pub fn opcode(&self) -> u8 {
        self.first_byte & 0x0f
    }

    pub fn is_control(&self) -> bool {
        self.opcode() & 0x8 != 0
    }
}

/// The server: its script, and what the client wrote.
pub struct Peer {
    /// The value of the answer's `Sec-WebSocket-Extensions` line; none when `None`.
    extensions: Option<&'static str>,
    /// The frames it sends after its `101`.
    script: Vec<u8>,
    /// Most bytes one read hands out.
    chunk: usize,
    to_client: VecDeque<u8>,
    from_client: Vec<u8>,
    /// The client's upgrade request, once it is complete.
    pub request: Option<String>,
    /// Every frame the client wrote after its request, in order.
    pub frames: Vec<ClientFrame>,
    /// Its close answer is queued: the stream ends once it is read.
    closing: bool,
}

impl Peer {
    pub fn new(extensions: Option<&'static str>, script: Vec<u8>, chunk: usize) -> Self {
        Peer {
            extensions,
            script,
            chunk: chunk.max(1),
            to_client: VecDeque::new(),
            from_client: Vec::new(),
            request: None,
            frames: Vec::new(),
            closing: false,
        }
    }

    /// The value of a request header (case-insensitive name), when the request is complete.
    pub fn request_header(&self, name: &str) -> Option<&str> {
        self.request.as_deref()?.lines().find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    /// The data frames (text, binary, continuation) the client wrote.
    pub fn data_frames(&self) -> Vec<&ClientFrame> {
        self.frames.iter().filter(|f| !f.is_control()).collect()
    }

    fn take_request(&mut self) {
        let Some(end) = self.from_client.windows(4).position(|w| w == b"\r\n\r\n") else { return };
        let request = String::from_utf8(self.from_client.drain(..end + 4).collect()).expect("ASCII request");
        self.request = Some(request);
        let key = self.request_header("Sec-WebSocket-Key").expect("a key").to_owned();
        let mut response = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Accept: {}\r\n",
            derive_accept_key(key.as_bytes())
        );
        if let Some(extensions) = self.extensions {
            response += &format!("Sec-WebSocket-Extensions: {extensions}\r\n");
        }
        response += "\r\n";
        self.to_client.extend(response.as_bytes());
        self.to_client.extend(&self.script);
    }

    fn take_frames(&mut self) {
        while let Some((frame, len)) = decode_client_frame(&self.from_client) {
            self.from_client.drain(..len);
            if frame.opcode() == OP_CLOSE && !self.closing {
                self.to_client.extend(server_frame(0x80 | OP_CLOSE, &frame.payload));
                self.closing = true;
            }
            self.frames.push(frame);
        }
    }

    fn take_written(&mut self, buf: &[u8]) -> usize {
        self.from_client.extend_from_slice(buf);
        if self.request.is_none() {
            self.take_request();
        }
        if self.request.is_some() {
            self.take_frames();
        }
        buf.len()
    }

    fn hand_out(&mut self, buf: &mut [u8]) -> Result<usize, ErrorKind> {
        if self.to_client.is_empty() {
            return if self.closing { Ok(0) } else { Err(ErrorKind::TimedOut) };
        }
        let n = buf.len().min(self.chunk).min(self.to_client.len());
        for (to, from) in buf.iter_mut().zip(self.to_client.drain(..n)) {
            *to = from;
        }
        Ok(n)
    }
}

/// An unmasked server frame: `first_byte` (FIN, RSV1–3, opcode), then the minimal length.
pub fn server_frame(first_byte: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![first_byte];
    match u16::try_from(payload.len()) {
        Ok(n @ 0..=125) => out.push(n as u8),
        Ok(n) => {
            out.push(126);
            out.extend(n.to_be_bytes());
        }
        Err(_) => {
            out.push(127);
            out.extend((payload.len() as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(payload);
    out
}

/// One client frame from the front of `bytes` and its length; `None` while incomplete.
/// Panics on an unmasked frame (RFC 6455 §5.1: "a client MUST mask all frames that it sends").
fn decode_client_frame(bytes: &[u8]) -> Option<(ClientFrame, usize)> {
    let [first_byte, b1, rest @ ..] = bytes else { return None };
    assert!(b1 & 0x80 != 0, "an unmasked client frame: {bytes:02x?}");
    let (len, rest) = match b1 & 0x7f {
        126 => {
            let (n, rest) = rest.split_first_chunk::<2>()?;
            (usize::from(u16::from_be_bytes(*n)), rest)
        }
        127 => {
            let (n, rest) = rest.split_first_chunk::<8>()?;
            (usize::try_from(u64::from_be_bytes(*n)).expect("a length that fits"), rest)
        }
        n => (usize::from(n), rest),
    };
    let (mask, rest) = rest.split_first_chunk::<4>()?;
    let payload: Vec<u8> = rest.get(..len)?.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]).collect();
    let header = bytes.len() - rest.len();
    Some((ClientFrame { first_byte: *first_byte, payload }, header + len))
}

impl embedded_io::ErrorType for Peer {
    type Error = ErrorKind;
}

impl embedded_io::Read for Peer {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, ErrorKind> {
        self.hand_out(buf)
    }
}

impl embedded_io::Write for Peer {
    fn write(&mut self, buf: &[u8]) -> Result<usize, ErrorKind> {
        Ok(self.take_written(buf))
    }

    fn flush(&mut self) -> Result<(), ErrorKind> {
        Ok(())
    }
}

#[cfg(feature = "async")]
impl embedded_io_async::Read for Peer {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, ErrorKind> {
        self.hand_out(buf)
    }
}

#[cfg(feature = "async")]
impl embedded_io_async::Write for Peer {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, ErrorKind> {
        Ok(self.take_written(buf))
    }

    async fn flush(&mut self) -> Result<(), ErrorKind> {
        Ok(())
    }
}
