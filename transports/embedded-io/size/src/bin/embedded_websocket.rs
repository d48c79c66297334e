//! The client program of `sockettask` over embedded-websocket 0.9: connect offering one
//! subprotocol with an `Origin` header, send one text, receive one message, close, and start
//! over. The host, path, origin, subprotocol and message go through `core::hint::black_box`,
//! as in `sockettask` (embedded-websocket takes host and path apart: it has no URL parser).
#![no_std]
#![no_main]

use core::hint::black_box;
use core::ptr::addr_of_mut;

use embedded_websocket::framer::{Framer, ReadResult, Stream};
use embedded_websocket::{
    WebSocketClient, WebSocketCloseStatusCode, WebSocketOptions, WebSocketSendMessageType,
};
use sockettask_embedded_io_size::{BUF_LEN, Uart, XorShift};

static mut RX: [u8; BUF_LEN] = [0; BUF_LEN];
static mut TX: [u8; BUF_LEN] = [0; BUF_LEN];
static mut FRAME: [u8; BUF_LEN] = [0; BUF_LEN];

/// embedded-websocket's own stream trait, over the same UART.
struct UartStream(Uart);

impl Stream<()> for UartStream {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, ()> {
        match buf.first_mut() {
            Some(b) => {
                *b = self.0.read_byte();
                Ok(1)
            }
            None => Ok(0),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> Result<(), ()> {
        for &b in buf {
            self.0.write_byte(b);
        }
        Ok(())
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn _start() -> ! {
    // SAFETY: the only references to the statics, taken once at reset.
    let (rx, tx, frame) =
        unsafe { (&mut *addr_of_mut!(RX), &mut *addr_of_mut!(TX), &mut *addr_of_mut!(FRAME)) };
    let mut websocket = WebSocketClient::new_client(XorShift::seeded());
    let mut stream = UartStream(Uart);
    // What a device reads from its configuration, hidden from the optimizer.
    let protocols: [&str; 1] = [black_box("chat")];
    let options = WebSocketOptions {
        path: black_box("/ws"),
        host: black_box("device.local"),
        origin: black_box("https://device.local"),
        sub_protocols: Some(&protocols),
        additional_headers: None,
    };
    let text: &str = black_box("hello");
    loop {
        let mut cursor = 0;
        let mut framer = Framer::new(rx, &mut cursor, tx, &mut websocket);
        if framer.connect(&mut stream, &options).is_err() {
            continue;
        }
        let _ = framer.write(&mut stream, WebSocketSendMessageType::Text, true, text.as_bytes());
        loop {
            match framer.read(&mut stream, frame) {
                Ok(ReadResult::Text(_) | ReadResult::Binary(_)) => {
                    let _ = framer.close(&mut stream, WebSocketCloseStatusCode::NormalClosure, None);
                }
                Ok(ReadResult::Pong(_)) => {}
                Ok(ReadResult::Closed) | Err(_) => break,
            }
        }
    }
}
