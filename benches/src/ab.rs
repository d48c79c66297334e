//! Two cases timed in one process, in alternating batches: a ratio of wall times that a
//! shared machine's swings leave alone; and the command line of the examples that time cases
//! this way (`examples/instructions.rs`, `examples/copy64k.rs`).

/// A case: runs what it measures `n` times.
pub type Case = fn(u32);

/// The examples' command line, over their cases (`case` names a case's function, or none):
/// `CASE N` runs a case `N` times (for an instruction counter), `--ab CASE_A CASE_B BATCH
/// ROUNDS` prints [`ab`]'s line. Anything else, or an unknown case, exits with status 2.
pub fn run_cli(program: &str, case: fn(&str) -> Option<Case>) {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let count = |s: &String| s.parse::<u32>().ok();
    let case_or_exit = |name: &str| {
        case(name).unwrap_or_else(|| {
            eprintln!("{program}: no case {name:?}");
            std::process::exit(2)
        })
    };
    match args.as_slice() {
        [name, n] if count(n).is_some() => case_or_exit(name)(count(n).unwrap_or_default()),
        [flag, a, b, batch, rounds]
            if flag == "--ab" && count(batch).is_some() && count(rounds).is_some() =>
        {
            let (a, b) = ((a.as_str(), case_or_exit(a)), (b.as_str(), case_or_exit(b)));
            println!("{}", ab(a, b, count(batch).unwrap_or_default(), count(rounds).unwrap_or_default()));
        }
        _ => {
            eprintln!("usage: {program} CASE N | {program} --ab CASE_A CASE_B BATCH ROUNDS");
            std::process::exit(2);
        }
    }
}

/// Times the cases `a` and `b` (a name, and a function that runs the case `n` times) in
/// alternating batches of `batch` iterations, `rounds` of each (after one untimed round), and
/// says the median time of an iteration of each and the median of the per-round ratios
/// `a / b`. Alternating batches of a few milliseconds keep a shared machine's slow swings
/// (frequency, a neighbour's load) out of the ratio: both sides of a round see the same
/// machine. Both batches of a round run at the same stack depth, a new one every two rounds
/// ([`crate::placement::at_depth`]): the medians are over [`crate::placement::PLACEMENTS`]
/// placements of the cases' state, not one. Each batch includes its case's set-up (a
/// client opened with a handshake for the receive and send cases: about 1 µs, 0.3 % of a
/// batch of 20,000 16 B messages; a 64 KiB message made and placed: use batches of 20,000
/// there too).
///
/// ```
/// let line = sockettask_benches::ab::ab(("a", |_| {}), ("b", |_| {}), 10, 3);
/// assert!(line.starts_with("a ") && line.contains("3 rounds of 10"));
/// ```
pub fn ab((a, run_a): (&str, Case), (b, run_b): (&str, Case), batch: u32, rounds: u32) -> String {
    measure((a, run_a), (b, run_b), batch, rounds).to_string()
}

/// [`ab`]'s measurement, as figures: what [`ab`] prints is its [`Display`](std::fmt::Display).
///
/// ```
/// let m = sockettask_benches::ab::measure(("a", |_| {}), ("b", |_| {}), 10, 4);
/// assert_eq!((m.a.as_str(), m.b.as_str(), m.rounds, m.batch), ("a", "b", 4, 10));
/// assert!(m.to_string().starts_with("a "));
/// ```
pub fn measure((a, run_a): (&str, Case), (b, run_b): (&str, Case), batch: u32, rounds: u32) -> Ab {
    // Both batches of a round at the round's stack depth (`crate::placement`), with the
    // cases' state made in the batch.
    let time = |run: Case, depth: u32| {
        let mut elapsed = std::time::Duration::ZERO;
        crate::placement::at_depth(depth, &mut || {
            let start = std::time::Instant::now();
            run(batch);
            elapsed = start.elapsed();
        });
        elapsed.as_secs_f64() * 1e9 / f64::from(batch.max(1))
    };
    time(run_a, 0);
    time(run_b, 0);
    let (mut ta, mut tb, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        // Which goes first alternates too; the depth moves every two rounds, so each
        // depth sees both orders.
        let depth = round / 2;
        let (x, y) = if round % 2 == 0 {
            let x = time(run_a, depth);
            (x, time(run_b, depth))
        } else {
            let y = time(run_b, depth);
            (time(run_a, depth), y)
        };
        ta.push(x);
        tb.push(y);
        ratios.push(x / y);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
    };
    let (a_ns, b_ns, ratio) = (median(&mut ta), median(&mut tb), median(&mut ratios));
    let (low, high) = (
        ratios.get(ratios.len() / 4).copied().unwrap_or(f64::NAN),
        ratios.get(ratios.len() * 3 / 4).copied().unwrap_or(f64::NAN),
    );
    Ab { a: a.to_owned(), b: b.to_owned(), a_ns, b_ns, ratio, low, high, batch, rounds }
}

/// Two cases timed in alternating batches ([`measure`]): medians and quartiles.
#[derive(Clone, Debug)]
pub struct Ab {
    /// The first case's name.
    pub a: String,
    /// The second case's name.
    pub b: String,
    /// The median time of one iteration of `a`, in nanoseconds.
    pub a_ns: f64,
    /// The median time of one iteration of `b`, in nanoseconds.
    pub b_ns: f64,
    /// The median of the rounds' ratios `a / b`.
    pub ratio: f64,
    /// The first quartile of the rounds' ratios.
    pub low: f64,
    /// The third quartile of the rounds' ratios.
    pub high: f64,
    /// Iterations per batch.
    pub batch: u32,
    /// Rounds (a batch of each case per round).
    pub rounds: u32,
}

impl std::fmt::Display for Ab {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Ab { a, b, a_ns, b_ns, ratio, low, high, batch, rounds } = self;
        write!(
            f,
            "{a} {a_ns:.1} ns, {b} {b_ns:.1} ns: ratio {ratio:.3} (quartiles {low:.3}-{high:.3}, {rounds} rounds of {batch})"
        )
    }
}
