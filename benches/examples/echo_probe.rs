//! Runs one loopback echo case outside criterion, for `strace -c -f` / `perf` diagnosis:
//!
//! ```text
//! cargo run --release -p sockettask-benches --example echo_probe -- CONTENDER MODE SIZE SOCKETS COUNT
//! ```
//!
//! CONTENDER: sockettask | tungstenite | fastwebsockets | raw | raw-ws (pre-masked frames,
//! no library: the WebSocket server's floor); MODE: ping-pong | pipelined.
//! Prints the time per iteration (per round for ping-pong, per message for pipelined) and,
//! where Linux's `/proc/thread-self/schedstat` is readable, the client thread's own time on a
//! CPU per iteration (user and kernel, its system calls included; the echo server runs on
//! threads of its own): less disturbed by other load on the machine than the wall time; the
//! part of it in user space (`/proc/thread-self/stat`, which the kernel samples at its clock
//! tick: coarse, meaningful over runs of seconds); and how often per iteration the client
//! thread went to sleep waiting (`sleeps`, from `/proc/thread-self/status`): every sleep and
//! wake-up costs a context switch each way.

use std::time::Instant;

use sockettask_benches::echo::{EchoClient, Fast, Ours, Raw, RawWs, Tungstenite};
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
        "raw-ws" => Box::new(RawWs::connect(sockets, size)),
        other => panic!("unknown contender {other}"),
    };
    let payload = wire::binary(size);
    let start = Instant::now();
    let cpu_start = on_cpu();
    let switches_start = switches();
    let user_start = user_ticks();
    if mode == "pipelined" {
        client.pipelined(&payload, count);
    } else {
        for _ in 0..count {
            client.ping_pong(&payload);
        }
    }
    let per = start.elapsed() / u32::try_from(count).expect("COUNT fits u32");
    let cpu = on_cpu().zip(cpu_start).map(|(end, start)| (end - start) as f64 / count as f64);
    let slept = switches().zip(switches_start).map(|(end, start)| (end - start) as f64 / count as f64);
    let user = user_ticks().zip(user_start).map(|(end, start)| (end - start) as f64 / count as f64);
    let mut line = format!("{contender} {mode} {size} B x{sockets}: {per:?} per iteration");
    if let Some(ns) = cpu {
        line += &format!(", client thread on CPU {:.2}µs", ns / 1000.0);
    }
    if let Some(ticks) = user {
        // Clock ticks are 10 ms on Linux (USER_HZ = 100).
        line += &format!(" (in user space {:.2}µs)", ticks * 10_000.0);
    }
    if let Some(n) = slept {
        line += &format!(", sleeps {n:.2}");
    }
    println!("{line}");
}

/// This thread's time in user space so far, in clock ticks (field 14 of Linux's
/// `/proc/thread-self/stat`; the command name before it may hold spaces, so fields are counted
/// after its closing parenthesis); `None` where there is no such file.
fn user_ticks() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    rest.split_whitespace().nth(11)?.parse().ok()
}

/// How often this thread has gone to sleep so far (Linux's `voluntary_ctxt_switches` in
/// `/proc/thread-self/status`: each is a wait in the kernel, a blocking read or an
/// `epoll_wait`, that found nothing ready); `None` where there is no such file.
fn switches() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/thread-self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("voluntary_ctxt_switches:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// This thread's time on a CPU so far, in nanoseconds (the first field of Linux's
/// `/proc/thread-self/schedstat`); `None` where there is no such file.
fn on_cpu() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}
