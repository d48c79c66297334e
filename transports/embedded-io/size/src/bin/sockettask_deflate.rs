//! `sockettask` with the `deflate` feature, offering permessage-deflate with
//! `server_max_window_bits=10`, so compressed messages inflate in place with a 1 KiB window kept
//! in the receive buffer. The receive buffer grows by `inflate_overhead(10, false)` (the window
//! and one byte), so the message limit stays that of the program without deflate; the text goes
//! out uncompressed. Built by `measure.sh` with `--features deflate`. Otherwise the same program:
//!
//! The client program of issue 13 over this transport: connect to a `wss` URL (the caller's
//! stream stands in for TLS: the core sees the scheme `wss`) offering one subprotocol with an
//! `Origin` header, send one text, receive one message, close, and start over. One task slot,
//! 1 KiB buffers, the default configuration (`wss` only, strict response checks, fail-fast
//! UTF-8, the default limits).
//!
//! The URL, the subprotocol, the header and the message go through `core::hint::black_box`,
//! as a device reads them from its configuration: LTO cannot evaluate the URL and header
//! checks at compile time and delete them.
#![no_std]
#![no_main]

use core::hint::black_box;
use core::mem::MaybeUninit;
use core::ptr::addr_of_mut;

use sockettask::{
    Buffers, Client, CloseCode, Config, ConnectOptions, Event, Instant, Message, PerMessageDeflate,
    inflate_overhead,
};
use sockettask_embedded_io::{Driver, Error};
use sockettask_embedded_io_size::{BUF_LEN, Uart, XorShift, micros};

type Device = Driver<Uart, &'static mut [u8], XorShift, fn() -> Instant, 1>;

/// The 1 KiB window the offer asks for, with context takeover.
const OFFER: PerMessageDeflate =
    PerMessageDeflate { server_max_window_bits: Some(10), ..PerMessageDeflate::new() };
const RX_LEN: usize = BUF_LEN + inflate_overhead(10, false);

static mut RX: [u8; RX_LEN] = [0; RX_LEN];
static mut TX: [u8; BUF_LEN] = [0; BUF_LEN];
static mut DRIVER: MaybeUninit<Device> = MaybeUninit::uninit();

fn now() -> Instant {
    Instant::from_micros(micros())
}

#[unsafe(no_mangle)]
pub extern "C" fn _start() -> ! {
    // SAFETY: the only references to the statics, taken once at reset.
    let (rx, tx, slot) =
        unsafe { (&mut *addr_of_mut!(RX), &mut *addr_of_mut!(TX), &mut *addr_of_mut!(DRIVER)) };
    let Ok(client) =
        Client::new(Config::default(), XorShift::seeded(), [Buffers::new(&mut rx[..], &mut tx[..])])
    else {
        loop {}
    };
    let driver = slot.write(Driver::new(client, now as fn() -> Instant));
    // What a device reads from its configuration, hidden from the optimizer.
    let url: &str = black_box("wss://device.local/ws");
    let protocols: [&str; 1] = [black_box("chat")];
    let header: [(&str, &str); 1] = [black_box(("Origin", "https://device.local"))];
    let text: &str = black_box("hello");
    let options =
        ConnectOptions::new(url).protocols(&protocols).header(&header).per_message_deflate(black_box(OFFER));
    loop {
        let Ok(task) = driver.connect_socket(Uart, &options) else { continue };
        loop {
            match driver.next_event(task) {
                Ok(Some((task, Event::Open(_)))) => {
                    let _ = driver.send(task, Message::Text(text));
                }
                Ok(Some((task, Event::Message(_)))) => {
                    let _ = driver.close(task, Some(CloseCode::NORMAL), "");
                }
                Ok(Some((_, Event::Close(_)))) | Err(Error::Closed) => break,
                _ => {}
            }
        }
        let _ = driver.take_stream(task);
    }
}
