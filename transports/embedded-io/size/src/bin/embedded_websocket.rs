//! The same program over embedded-websocket 0.9: connect, say hello, answer every message
//! with its length's parity, reconnect after the close.
#![no_std]
#![no_main]

use core::ptr::addr_of_mut;

use embedded_websocket::framer::{Framer, ReadResult, Stream};
use embedded_websocket::{WebSocketClient, WebSocketOptions, WebSocketSendMessageType};
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
    let options = WebSocketOptions {
        path: "/ws",
        host: "device.local",
        origin: "",
        sub_protocols: None,
        additional_headers: None,
    };
    loop {
        let mut cursor = 0;
        let mut framer = Framer::new(rx, &mut cursor, tx, &mut websocket);
        if framer.connect(&mut stream, &options).is_err() {
            continue;
        }
        let _ = framer.write(&mut stream, WebSocketSendMessageType::Text, true, b"hello");
        loop {
            let reply: &[u8] = match framer.read(&mut stream, frame) {
                Ok(ReadResult::Text(t)) => {
                    if t.len() % 2 == 0 {
                        b"even"
                    } else {
                        b"odd"
                    }
                }
                Ok(ReadResult::Binary(b)) => {
                    if b.len() % 2 == 0 {
                        b"even"
                    } else {
                        b"odd"
                    }
                }
                Ok(ReadResult::Pong(_)) => continue,
                Ok(ReadResult::Closed) | Err(_) => break,
            };
            let _ = framer.write(&mut stream, WebSocketSendMessageType::Text, true, reply);
        }
    }
}
