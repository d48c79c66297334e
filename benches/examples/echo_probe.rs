//! Runs one loopback echo case outside criterion, for `strace -c -f` / `perf` diagnosis:
//!
//! ```text
//! cargo run --release -p sockettask-benches --example echo_probe -- CONTENDER MODE SIZE SOCKETS COUNT
//! ```
//!
//! CONTENDER: sockettask (the mio `Driver`) | blocking (the embedded-io blocking `Driver` over
//! std's `TcpStream`) | tungstenite | fastwebsockets | raw | raw-mio (raw TCP in a
//! `mio::Poll`: the readiness loop's floor) | raw-ws (pre-masked frames, no library: the
//! WebSocket server's floor) | core (the core alone in the leanest blocking loop: the floor
//! of any driver over it); MODE: ping-pong | pipelined.
//! Prints the time per iteration (per round for ping-pong, per message for pipelined) and,
//! where Linux's `/proc/thread-self/schedstat` is readable, the client thread's own time on a
//! CPU per iteration (user and kernel, its system calls included; the echo server runs on
//! threads of its own): less disturbed by other load on the machine than the wall time; the
//! part of it in user space (`/proc/thread-self/stat`, which the kernel samples at its clock
//! tick: coarse, meaningful over runs of seconds); and how often per iteration the client
//! thread went to sleep waiting (`sleeps`, from `/proc/thread-self/status`): every sleep and
//! wake-up costs a context switch each way.
//!
//! Two contenders in one process, in alternating batches of ping-pong rounds
//! ([`sockettask_benches::ab::measure`]: medians of the batches and of their ratios):
//!
//! ```text
//! taskset -c 0 target/release/examples/echo_probe --ab CONTENDER_A CONTENDER_B SIZE SOCKETS BATCH ROUNDS
//! ```
//!
//! `taskset -c 0` keeps the client and the echo server's threads on one CPU: unpinned, each
//! connection's server thread lands on the client's CPU or the other one by the scheduler's
//! luck, and a round trip takes about 14 µs or 70–80 µs by that alone
//! (`benches/scripts/ping_pong_ab.sh` runs the goal's pairs this way).

use std::cell::RefCell;
use std::time::Instant;

use sockettask_benches::echo::{Blocking, CoreLoop, EchoClient, Fast, Ours, Raw, RawMio, RawWs, Tungstenite};
use sockettask_benches::{size_label, wire};

/// A contender's client, `sockets` connections for `size`-byte messages.
fn connect(contender: &str, sockets: usize, size: usize) -> Box<dyn EchoClient> {
    match contender {
        "sockettask" => Box::new(Ours::connect(sockets, size)),
        "tungstenite" => Box::new(Tungstenite::connect(sockets, size)),
        "fastwebsockets" => Box::new(Fast::connect(sockets, size)),
        "raw" => Box::new(Raw::connect(sockets, size)),
        "raw-mio" => Box::new(RawMio::connect(sockets, size)),
        "raw-ws" => Box::new(RawWs::connect(sockets, size)),
        "blocking" => Box::new(Blocking::connect(sockets, size)),
        "core" => Box::new(CoreLoop::connect(sockets, size)),
        other => {
            eprintln!("echo_probe: unknown contender {other:?}");
            std::process::exit(2)
        }
    }
}

thread_local! {
    /// The two sides of `--ab`, and the payload they echo: `ab::measure` takes plain
    /// functions, so their state lives here.
    static SIDES: RefCell<Vec<Box<dyn EchoClient>>> = const { RefCell::new(Vec::new()) };
    static PAYLOAD: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// `n` ping-pong rounds of side `side`.
fn rounds(side: usize, n: u32) {
    PAYLOAD.with_borrow(|payload| {
        SIDES.with_borrow_mut(|sides| {
            for _ in 0..n {
                sides[side].ping_pong(payload);
            }
        });
    });
}

/// `--ab A B SIZE SOCKETS BATCH ROUNDS`.
fn ab(args: &[String]) {
    let [a, b, size, sockets, batch, count] = args else {
        eprintln!("usage: echo_probe --ab CONTENDER_A CONTENDER_B SIZE SOCKETS BATCH ROUNDS");
        std::process::exit(2)
    };
    let number = |s: &String, what: &str| {
        s.parse::<u32>().unwrap_or_else(|_| {
            eprintln!("echo_probe: {what} {s:?} is not a count");
            std::process::exit(2)
        })
    };
    let (size, sockets) = (number(size, "SIZE") as usize, number(sockets, "SOCKETS") as usize);
    let (batch, count) = (number(batch, "BATCH"), number(count, "ROUNDS"));
    PAYLOAD.set(wire::binary(size));
    SIDES.set(vec![connect(a, sockets, size), connect(b, sockets, size)]);
    let m = sockettask_benches::ab::measure((a, |n| rounds(0, n)), (b, |n| rounds(1, n)), batch, count);
    println!("ping-pong {} x{sockets}: {m}; {a} at {:.3} of {b}'s rate", size_label(size), 1.0 / m.ratio);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|a| a == "--ab") {
        return ab(&args[1..]);
    }
    let arg = |i: usize, default: &str| args.get(i).cloned().unwrap_or_else(|| default.to_owned());
    let contender = arg(0, "sockettask");
    let mode = arg(1, "ping-pong");
    let size: usize = arg(2, "16").parse().expect("SIZE");
    let sockets: usize = arg(3, "1").parse().expect("SOCKETS");
    let count: u64 = arg(4, "10000").parse().expect("COUNT");
    let mut client = connect(&contender, sockets, size);
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
