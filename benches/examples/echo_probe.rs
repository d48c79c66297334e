//! Runs one loopback echo case outside criterion, for `strace -c -f` / `perf` diagnosis:
//!
//! ```text
//! cargo run --release -p sockettask-benches --example echo_probe -- CONTENDER MODE SIZE SOCKETS COUNT
//! ```
//!
//! CONTENDER: sockettask | tungstenite | fastwebsockets | raw; MODE: ping-pong | pipelined.
//! Prints the time per iteration (per round for ping-pong, per message for pipelined).

use std::time::Instant;

use sockettask_benches::echo::{EchoClient, Fast, Ours, Raw, Tungstenite};
use sockettask_benches::wire;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, default: &str| args.get(i).cloned().unwrap_or_else(|| default.to_owned());
    let contender = arg(0, "sockettask");
    let mode = arg(1, "ping-pong");
    let size: usize = arg(2, "16").parse().expect("SIZE");
    let sockets: usize = arg(3, "1").parse().expect("SOCKETS");
    let count: u64 = arg(4, "10000").parse().expect("COUNT");
    let mut client: Box<dyn EchoClient> = match contender.as_str() {
        "sockettask" => Box::new(Ours::connect(sockets, size)),
        "tungstenite" => Box::new(Tungstenite::connect(sockets, size)),
        "fastwebsockets" => Box::new(Fast::connect(sockets, size)),
        "raw" => Box::new(Raw::connect(sockets, size)),
        other => panic!("unknown contender {other}"),
    };
    let payload = wire::binary(size);
    let start = Instant::now();
    if mode == "pipelined" {
        client.pipelined(&payload, count);
    } else {
        for _ in 0..count {
            client.ping_pong(&payload);
        }
    }
    let per = start.elapsed() / u32::try_from(count).expect("COUNT fits u32");
    println!("{contender} {mode} {size} B x{sockets}: {per:?} per iteration");
}
