//! The goal ratios, each timed in one process in alternating batches
//! ([`sockettask_benches::ab::measure`]) rather than read off two criterion benches run
//! minutes apart: on a shared machine the speed drifts between those (the same binary's
//! handshake has measured 514 ns in one full run and 747 ns in the next, its peer's 515 and
//! 528 ns), while both sides of an alternating round see the same machine.
//!
//! | case | sockettask | against | goal |
//! |---|---|---|---|
//! | send 16 B | `send-16` | embedded-websocket's `ews-send-16` | ≤ 1.0 |
//! | receive text 16 B, receive binary 16 B | `receive-…-16` | `ews-receive-…-16` | ≤ 1.0 |
//! | handshake | `handshake` | `ews-handshake` | ≤ 1.0 |
//! | receive binary 64 KiB | `receive-binary-64k` | `memcpy-64k` (one copy of the payload) | ≥ 0.95 of memcpy's speed |
//!
//! The cases are those of `examples/instructions.rs` and `examples/copy64k.rs` (their files,
//! compiled in here). The loopback ping-pong is not here: timed this way, whichever of two
//! clients in one process gets the fast wake-ups runs a round trip in about 14 µs and the
//! other in 70–80 µs, sockettask or raw TCP by the luck of the scheduler.
//!
//! Prints a line per case and writes `target/criterion/ratios.json`, which `benches/table.py`
//! reads. With `--test` (`cargo bench -- --test`), runs every case briefly and writes
//! nothing; arguments that are not options choose the cases whose name holds one of them
//! (nothing written either).

use std::fmt::Write as _;

use sockettask_benches::ab::{Ab, Case, measure};

#[allow(dead_code)]
#[path = "../examples/instructions.rs"]
mod instructions;

#[allow(dead_code)]
#[path = "../examples/copy64k.rs"]
mod copy64k;

/// criterion's command-line options that take a value (`--warm-up-time 1`).
const CRITERION_OPTIONS_WITH_VALUES: [&str; 13] = [
    "--warm-up-time",
    "--measurement-time",
    "--sample-size",
    "--noise-threshold",
    "--confidence-level",
    "--significance-level",
    "--nresamples",
    "--save-baseline",
    "--baseline",
    "--load-baseline",
    "--profile-time",
    "--output-format",
    "--color",
];

/// A goal: the case, our side and the peer's, batch and rounds, and the bound on the ratio
/// of times (ours / peer's) that meets it.
struct Goal {
    case: &'static str,
    ours: (&'static str, Case),
    peer: (&'static str, Case),
    batch: u32,
    rounds: u32,
    at_most: f64,
}

fn in_memory(name: &'static str) -> (&'static str, Case) {
    let case = instructions::case(name).or_else(|| copy64k::case(name));
    (name, case.unwrap_or_else(|| panic!("no case {name}")))
}

fn goals() -> Vec<Goal> {
    let goal = |case, ours, peer, batch, rounds, at_most| Goal {
        case,
        ours: in_memory(ours),
        peer: in_memory(peer),
        batch,
        rounds,
        at_most,
    };
    vec![
        goal("send 16 B", "send-16", "ews-send-16", 20_000, 200, 1.0),
        goal("receive text 16 B", "receive-text-16", "ews-receive-text-16", 20_000, 200, 1.0),
        goal("receive binary 16 B", "receive-binary-16", "ews-receive-binary-16", 20_000, 200, 1.0),
        goal("handshake", "handshake", "ews-handshake", 500, 600, 1.0),
        goal("receive binary 64 KiB", "receive-binary-64k", "memcpy-64k", 20_000, 60, 1.0 / 0.95),
    ]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let test = args.iter().any(|a| a == "--test");
    // Like criterion's filter: the cases whose name holds one of the arguments that are not
    // options (all, when there are none). The values of criterion's options, which the
    // bench command passes to every bench, are not filters.
    let filters: Vec<&String> = args
        .iter()
        .enumerate()
        .filter(|&(i, a)| {
            let after_option = i > 0 && CRITERION_OPTIONS_WITH_VALUES.contains(&args[i - 1].as_str());
            !a.starts_with('-') && !after_option
        })
        .map(|(_, a)| a)
        .collect();
    let chosen = |goal: &Goal| filters.is_empty() || filters.iter().any(|f| goal.case.contains(f.as_str()));
    let mut json = String::from("{");
    for (i, goal) in goals().into_iter().filter(chosen).enumerate() {
        let (batch, rounds) = if test { (goal.batch / 100 + 1, 2) } else { (goal.batch, goal.rounds) };
        let m: Ab = measure(goal.ours, goal.peer, batch, rounds);
        let met = if m.ratio <= goal.at_most { "met" } else { "NOT met" };
        println!("{}: {m}; goal ratio ≤ {:.3}: {met}", goal.case, goal.at_most);
        let _ = write!(
            json,
            "{}\n  \"{}\": {{\"ours\": \"{}\", \"peer\": \"{}\", \"ours_ns\": {:.3}, \"peer_ns\": {:.3}, \
             \"ratio\": {:.4}, \"low\": {:.4}, \"high\": {:.4}, \"batch\": {}, \"rounds\": {}, \"at_most\": {:.4}}}",
            if i == 0 { "" } else { "," },
            goal.case,
            m.a,
            m.b,
            m.a_ns,
            m.b_ns,
            m.ratio,
            m.low,
            m.high,
            m.batch,
            m.rounds,
            goal.at_most,
        );
    }
    json.push_str("\n}\n");
    if test || !filters.is_empty() {
        return;
    }
    sockettask_benches::save_for_table("ratios.json", &json);
}
