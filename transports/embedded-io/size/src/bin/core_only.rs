//! The sans-IO core alone, driven by hand over the UART: one task, connect (the options of
//! `sockettask`, hidden the same way behind `core::hint::black_box`), say hello, answer every
//! message with its length's parity, reconnect after the close. Measures what the core itself
//! costs, without any transport crate.
#![no_std]
#![no_main]

use core::hint::black_box;
use core::ptr::addr_of_mut;

use sockettask::{Buffers, Client, Config, ConnectOptions, Event, Instant, Message, ReadyState};
use sockettask_embedded_io_size::{BUF_LEN, Uart, XorShift, micros};

static mut RX: [u8; BUF_LEN] = [0; BUF_LEN];
static mut TX: [u8; BUF_LEN] = [0; BUF_LEN];

fn now() -> Instant {
    Instant::from_micros(micros())
}

#[unsafe(no_mangle)]
pub extern "C" fn _start() -> ! {
    // SAFETY: the only references to the statics, taken once at reset.
    let (rx, tx) = unsafe { (&mut *addr_of_mut!(RX), &mut *addr_of_mut!(TX)) };
    let Ok(mut client) = Client::<_, _, 1>::new(
        Config::default(),
        XorShift::seeded(),
        [Buffers::new(&mut rx[..], &mut tx[..])],
    ) else {
        loop {}
    };
    let mut uart = Uart;
    let url: &str = black_box("wss://device.local/ws");
    let protocols: [&str; 1] = [black_box("chat")];
    let header: [(&str, &str); 1] = [black_box(("Origin", "https://device.local"))];
    let options = ConnectOptions::new(url).protocols(&protocols).header(&header);
    loop {
        let Ok(task) = client.connect_socket(now(), &options) else { continue };
        while client.ready_state(task) != ReadyState::Closed || client.has_event() {
            let pending = client.transmit_data(task).len();
            for i in 0..pending {
                let byte = client.transmit_data(task).get(i).copied().unwrap_or(0);
                uart.write_byte(byte);
            }
            client.advance_transmit(now(), task, pending);
            if client.poll_timeout().is_some_and(|t| t <= now()) {
                client.handle_timeout(now());
            }
            if let Some(slot) = client.input_buffer(task).first_mut() {
                *slot = uart.read_byte();
                client.handle_read(now(), task, 1);
            }
            while let Some((task, event)) = client.poll_event() {
                let reply = match event {
                    Event::Open(_) => "hello",
                    Event::Message(m) if m.len() % 2 == 0 => "even",
                    Event::Message(_) => "odd",
                    Event::Error(_) | Event::Close(_) => continue,
                };
                let _ = client.send(task, Message::Text(reply));
            }
        }
    }
}
