//! The `sockettask` program with the `deflate` feature: the same task over the UART, offering
//! permessage-deflate with `server_max_window_bits=10`, so compressed messages inflate in place
//! with a 1 KiB window kept in the receive buffer. The receive buffer grows by
//! `inflate_overhead(10, false)` (the window and one byte), so the message limit stays that of
//! the program without deflate; echoes go out uncompressed. Built by `measure.sh` with
//! `--features deflate`.
#![no_std]
#![no_main]

use core::mem::MaybeUninit;
use core::ptr::addr_of_mut;

use sockettask::{
    Buffers, Client, Config, ConnectOptions, Event, Instant, Message, PerMessageDeflate, Schemes,
    inflate_overhead,
};
use sockettask_embedded_io::Driver;
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
    let config = Config { schemes: Schemes::AllowInsecure, ..Config::default() };
    let Ok(client) = Client::new(config, XorShift::seeded(), [Buffers::new(&mut rx[..], &mut tx[..])]) else {
        loop {}
    };
    let driver = slot.write(Driver::new(client, now as fn() -> Instant));
    let options = ConnectOptions::new("ws://device.local/ws").per_message_deflate(OFFER);
    loop {
        let Ok(task) = driver.connect_socket(Uart, &options) else { continue };
        loop {
            match driver.next_event(task) {
                Ok(Some((task, Event::Open(_)))) => {
                    let _ = driver.send(task, Message::Text("hello"));
                }
                Ok(Some((task, Event::Message(m)))) => {
                    let reply = if m.len() % 2 == 0 { "even" } else { "odd" };
                    let _ = driver.send(task, Message::Text(reply));
                }
                Ok(Some((_, Event::Close(_)))) | Err(sockettask_embedded_io::Error::Closed) => break,
                _ => {}
            }
        }
        let _ = driver.take_stream(task);
    }
}
