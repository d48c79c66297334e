//! The loopback echo server every contender talks to: one per process, a thread per
//! connection, blocking I/O, hand-written so its cost is the same and small for everyone.
//!
//! WebSocket mode answers the upgrade, then for every complete frame in what it has read it
//! writes the frame back unmasked (the header rewritten, the payload unmasked in one pass),
//! all frames of one read in one `write_all`. A close frame is echoed and ends the connection.
//! Raw mode writes back whatever it reads: the raw TCP echo baseline, no WebSocket work.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::OnceLock;
use std::thread;

/// Where the shared echo server listens (127.0.0.1).
#[derive(Clone, Copy, Debug)]
pub struct Ports {
    /// The WebSocket echo.
    pub ws: u16,
    /// The raw TCP echo.
    pub raw: u16,
}

/// The process's echo server, started on first use.
///
/// # Panics
///
/// If loopback listeners cannot be bound (benchmark set-up only).
pub fn echo_server() -> Ports {
    static PORTS: OnceLock<Ports> = OnceLock::new();
    *PORTS.get_or_init(|| Ports { ws: listen(serve_ws), raw: listen(serve_raw) })
}

fn listen(serve: fn(TcpStream) -> io::Result<()>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let port = listener.local_addr().expect("local address").port();
    thread::spawn(move || {
        for tcp in listener.incoming().flatten() {
            thread::spawn(move || {
                let _ = tcp.set_nodelay(true);
                let _ = serve(tcp);
            });
        }
    });
    port
}

fn serve_raw(mut tcp: TcpStream) -> io::Result<()> {
    let mut buf = vec![0u8; 256 << 10];
    loop {
        let n = tcp.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        tcp.write_all(&buf[..n])?;
    }
}

/// A parsed client frame header: opcode, header length, payload length, mask key.
struct Header {
    first: u8,
    len: usize,
    payload: usize,
    mask: [u8; 4],
}

fn parse_header(buf: &[u8]) -> Option<Header> {
    let (&first, &second) = (buf.first()?, buf.get(1)?);
    let (len_bytes, payload) = match second & 0x7F {
        126 => (2, usize::from(u16::from_be_bytes(buf.get(2..4)?.try_into().ok()?))),
        127 => (8, usize::try_from(u64::from_be_bytes(buf.get(2..10)?.try_into().ok()?)).ok()?),
        n => (0, usize::from(n)),
    };
    let masked = second & 0x80 != 0;
    let len = 2 + len_bytes + if masked { 4 } else { 0 };
    let mask = if masked { buf.get(len - 4..len)?.try_into().ok()? } else { [0; 4] };
    Some(Header { first, len, payload, mask })
}

fn serve_ws(mut tcp: TcpStream) -> io::Result<()> {
    let mut buf = vec![0u8; 256 << 10];
    let mut filled = 0;
    let mut out = Vec::with_capacity(256 << 10);
    let mut start = loop {
        let n = tcp.read(&mut buf[filled..])?;
        if n == 0 {
            return Ok(());
        }
        filled += n;
        if let Some(end) = buf[..filled].windows(4).position(|w| w == b"\r\n\r\n") {
            crate::wire::write_response(&buf[..end + 4], &mut out);
            tcp.write_all(&out)?;
            break end + 4;
        }
    };
    loop {
        out.clear();
        let mut closing = false;
        while let Some(h) = parse_header(&buf[start..filled]) {
            let end = start + h.len + h.payload;
            if end > filled {
                if end - start > buf.len() {
                    buf.resize(end - start, 0);
                }
                break;
            }
            // FIN and opcode as sent, RSV cleared, no mask.
            crate::wire::push_header(&mut out, h.first & 0x8F, h.payload);
            let at = out.len();
            out.extend_from_slice(&buf[start + h.len..end]);
            crate::xor_in_place(&mut out[at..], h.mask);
            start = end;
            closing |= h.first & 0x0F == 0x8;
        }
        if !out.is_empty() {
            tcp.write_all(&out)?;
        }
        if closing {
            return Ok(());
        }
        if start == filled {
            (start, filled) = (0, 0);
        } else if buf.len() - start < 14
            || parse_header(&buf[start..filled]).is_some_and(|h| start + h.len + h.payload > buf.len())
        {
            buf.copy_within(start..filled, 0);
            (start, filled) = (0, filled - start);
        }
        let n = tcp.read(&mut buf[filled..])?;
        if n == 0 {
            return Ok(());
        }
        filled += n;
    }
}
