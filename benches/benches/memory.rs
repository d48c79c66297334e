//! Memory: bytes of client state per socket (`size_of`, buffers on the heap not included) and
//! the peak heap per socket of each echo client (connect, handshake, 64 KiB messages
//! pipelined and ping-ponged), counted by a counting global allocator on the client thread.
//!
//! Prints a Markdown table and writes it as JSON to `target/criterion/memory.json` for
//! `table.py`. Not a criterion bench: `cargo bench` runs it like the others.

use std::fmt::Write as _;
use std::mem::size_of;
use std::net::TcpStream;

use sockettask_benches::alloc::{Counting, live_bytes, peak_bytes, reset_peak};
use sockettask_benches::echo::{EchoClient, Fast, Ours, Raw, Tungstenite};
use sockettask_benches::{TestRng, wire};

#[global_allocator]
static ALLOC: Counting = Counting;

type Connect = fn(usize, usize) -> Box<dyn EchoClient>;

const SIZE: usize = 64 << 10;

fn sizes() -> Vec<(String, usize)> {
    type Core<const N: usize> = sockettask::Client<&'static mut [u8], TestRng, N>;
    let slot = (size_of::<Core<5>>() - size_of::<Core<1>>()) / 4;
    vec![
        ("sockettask: one task slot (state + 2 buffer refs)".into(), slot),
        ("sockettask: Client, 1 slot".into(), size_of::<Core<1>>()),
        ("sockettask: Client, 5 slots".into(), size_of::<Core<5>>()),
        ("sockettask-mio: Driver (5 slots)".into(), size_of::<sockettask_mio::Driver>()),
        ("tungstenite: WebSocket<TcpStream>".into(), size_of::<tungstenite::WebSocket<TcpStream>>()),
        (
            "fastwebsockets: FragmentCollector<TcpStream>".into(),
            size_of::<fastwebsockets::FragmentCollector<tokio::net::TcpStream>>(),
        ),
        (
            "embedded-websocket: WebSocketClient".into(),
            size_of::<embedded_websocket::WebSocketClient<TestRng>>(),
        ),
    ]
}

/// Peak heap of the client thread over connect + echo, per socket.
fn peak_per_socket(connect: Connect, sockets: usize) -> isize {
    let payload = wire::binary(SIZE);
    reset_peak();
    let base = live_bytes();
    let mut client = connect(sockets, SIZE);
    client.pipelined(&payload, 200);
    for _ in 0..20 {
        client.ping_pong(&payload);
    }
    let peak = peak_bytes() - base;
    drop(client);
    peak / sockets as isize
}

fn main() {
    // Start the shared server outside the measurement.
    let _ = sockettask_benches::server::echo_server();
    let contenders: [(&str, Connect); 4] = [
        ("sockettask (mio Driver)", |n, size| Box::new(Ours::connect(n, size))),
        ("tungstenite", |n, size| Box::new(Tungstenite::connect(n, size))),
        ("fastwebsockets (with its tokio runtime)", |n, size| Box::new(Fast::connect(n, size))),
        ("raw TCP", |n, size| Box::new(Raw::connect(n, size))),
    ];
    let mut json = String::from("{\n  \"size_of\": {");
    let mut table = String::from("| client state | bytes (`size_of`) |\n|---|---:|\n");
    for (i, (name, bytes)) in sizes().iter().enumerate() {
        let _ = writeln!(table, "| {name} | {bytes} |");
        let _ = write!(json, "{}\n    \"{name}\": {bytes}", if i == 0 { "" } else { "," });
    }
    json.push_str("\n  },\n  \"peak_heap_per_socket\": {");
    table.push_str("\n| echo client, 64 KiB messages | peak heap / socket, 1 socket | peak heap / socket, 5 sockets |\n|---|---:|---:|\n");
    for (i, (name, connect)) in contenders.iter().enumerate() {
        let one = peak_per_socket(*connect, 1);
        let five = peak_per_socket(*connect, 5);
        let _ = writeln!(table, "| {name} | {one} | {five} |");
        let sep = if i == 0 { "" } else { "," };
        let _ = write!(json, "{sep}\n    \"{name}\": {{\"1\": {one}, \"5\": {five}}}");
    }
    json.push_str("\n  }\n}\n");
    println!("{table}");
    sockettask_benches::save_for_table("memory.json", &json);
}
