//! Resident memory per task: what an idle task costs, what a task costs right after one
//! 1 MiB message, and what it costs once it is idle again, for sockettask-mio, tungstenite
//! and fastwebsockets in one run (issue 11, "Memory grows with use").
//!
//! Each contender runs in a fresh child process (this binary, re-executed with
//! `--resident-child NAME PORT`), so pages one contender's allocator keeps do not count for
//! the next; the echo server runs in the parent, so its buffers are not in the child's
//! figures either. The child, with every payload allocated and touched beforehand, samples
//! `/proc/self/smaps_rollup` (`Rss`, everything resident, code pages included, and
//! `Anonymous`, the resident heap and stacks; both walked from the page tables, so exact) and
//! the counting allocator's live heap bytes (client thread, deterministic):
//!
//! 1. *before*: nothing of the contender exists;
//! 2. *client*: the empty client (sockettask: the `Driver` with its 5 slots and the
//!    `mio::Poll`; fastwebsockets: its current-thread tokio runtime; tungstenite: nothing);
//! 3. *idle*: [`TASKS`] tasks connected, handshaken, and one 16 B message echoed on each;
//! 4. *peak*: during one 1 MiB message echoed on every task at once (`VmHWM` reset through
//!    `/proc/self/clear_refs` before, and the allocator's peak);
//! 5. *after*: the 1 MiB echoes received and dropped;
//! 6. *back*: after [`REST`] idle (the event loop turning, for the client that has one), one
//!    more 16 B message echoed on each task.
//!
//! Figures per task are the difference to *before* divided by [`TASKS`] (the empty client's
//! cost shared out, as a user pays it). Every contender uses its default limits
//! (sockettask-mio: 1 MiB message, 1 MiB queue; tungstenite: 64 MiB message; fastwebsockets:
//! 64 MiB message); each child runs [`RUNS`] times and the median of each figure is kept; a
//! figure whose runs spread over more than [`SPREAD`] per task is printed with its range.
//!
//! A last row measures sockettask again with glibc's mmap threshold fixed (see [`ROWS`]): what
//! stays resident after its buffers shrink back is then what it holds, not what the
//! allocator keeps.
//!
//! Prints a Markdown table and writes `target/criterion/resident.json` for `table.py`. Not
//! a criterion bench: `cargo bench -p sockettask-benches --bench resident` runs it.

use std::fmt::Write as _;
use std::hint::black_box;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::process::Command;
use std::time::Duration;

use sockettask_benches::alloc::{Counting, live_bytes, peak_bytes, reset_peak};
use sockettask_benches::{server, wire};
use sockettask_mio::mio::{Events, Poll, Token};
use sockettask_mio::{Config, ConnectOptions, Driver, Event, Message, Options, Schemes, SocketTask};

#[global_allocator]
static ALLOC: Counting = Counting;

/// Tasks (connections) per contender: one `Driver`'s five slots.
const TASKS: usize = 5;
/// The large message: 1 MiB, the mio transport's default message limit.
const LARGE: usize = 1 << 20;
/// The small message that makes a task idle again.
const SMALL: usize = 16;
/// How long every client rests after the large message, before the small one that ends
/// the measurement: longer than sockettask-mio's default shrink delay (1 s), so a buffer
/// policy that gives memory back after a while has done so.
const REST: Duration = Duration::from_millis(1500);
/// Child processes per contender; each figure is the median.
const RUNS: usize = 5;
/// The flag that makes this binary a child measuring one contender.
const CHILD: &str = "--resident-child";

/// Beyond this spread over the runs (bytes per task), a figure's range is printed too.
const SPREAD: i64 = 8 << 10;
/// The three figures of a [`Sample`], in [`Sample::fields`] order.
const FIELDS: [&str; 3] = ["RSS", "anonymous RSS", "heap"];
/// Column titles of the phases after *before*.
const TITLES: [&str; 5] = ["client alone", "idle", "peak during 1 MiB", "after 1 MiB", "back to idle"];

/// One row of the table: a contender, measured in children with `env` set.
struct Row {
    label: &'static str,
    peer: &'static str,
    env: &'static [(&'static str, &'static str)],
}

/// The rows, in table order. The last is sockettask again with glibc's mmap threshold fixed
/// at its default 128 KiB: glibc raises it when a large block is freed (up to 32 MiB), after
/// which large blocks come from the brk heap, whose freed pages below its top stay resident;
/// fixed, every block over 128 KiB is its own mapping and goes back to the kernel when freed.
const ROWS: [Row; 4] = [
    Row { label: "sockettask (mio Driver)", peer: "sockettask", env: &[] },
    Row { label: "tungstenite", peer: "tungstenite", env: &[] },
    Row { label: "fastwebsockets", peer: "fastwebsockets", env: &[] },
    Row {
        label: "sockettask, `MALLOC_MMAP_THRESHOLD_=131072`",
        peer: "sockettask",
        env: &[("MALLOC_MMAP_THRESHOLD_", "131072")],
    },
];

// ---- one sample -------------------------------------------------------------------------

/// Memory of this process at one moment, in bytes.
#[derive(Clone, Copy, Debug, Default)]
struct Sample {
    rss: i64,
    anon: i64,
    heap: i64,
}

/// A field of `/proc/self/{file}` (`smaps_rollup`: `Rss`, `Anonymous`; `status`: `VmHWM`),
/// in bytes.
fn proc_field(file: &str, field: &str) -> i64 {
    let text = std::fs::read_to_string(format!("/proc/self/{file}")).expect("/proc/self");
    let line = text.lines().find(|l| l.split(':').next() == Some(field)).expect("the field");
    let kib: i64 = line.split_whitespace().nth(1).and_then(|n| n.parse().ok()).expect("a number of kB");
    kib * 1024
}

impl Sample {
    fn now() -> Sample {
        let (rss, anon) = (proc_field("smaps_rollup", "Rss"), proc_field("smaps_rollup", "Anonymous"));
        Sample { rss, anon, heap: live_bytes() as i64 }
    }

    /// Starts the peak measurement: `VmHWM` back to the current RSS, the heap peak too.
    fn reset_peak() {
        std::fs::write("/proc/self/clear_refs", "5").expect("reset VmHWM");
        reset_peak();
    }

    /// The peak since [`Sample::reset_peak`] (the kernel keeps no peak of `anon`: 0).
    fn peak() -> Sample {
        Sample { rss: proc_field("status", "VmHWM"), anon: 0, heap: peak_bytes() as i64 }
    }

    fn fields(self) -> [i64; 3] {
        [self.rss, self.anon, self.heap]
    }
}

// ---- the payloads, allocated before the first sample --------------------------------------

/// One message's payload as every contender wants it, made before measuring.
struct Payload {
    /// Writable bytes: fastwebsockets masks the caller's payload in place.
    bytes: Vec<u8>,
    /// tungstenite's `Bytes` (cloning it is a reference count).
    shared: tungstenite::Bytes,
}

impl Payload {
    fn new(len: usize) -> Payload {
        let bytes = wire::binary(len);
        Payload { shared: tungstenite::Bytes::copy_from_slice(&bytes), bytes }
    }
}

/// One contender's client with its tasks.
trait Peer {
    /// Connects `tasks` tasks to the echo at `port`; returns once every handshake is done.
    fn open(&mut self, port: u16, tasks: usize);
    /// One message on every task, then waits for every echo (dropped as it arrives).
    fn echo(&mut self, payload: &mut Payload);
    /// Stays idle for `time`, running the event loop if the client has one.
    fn rest(&mut self, time: Duration) {
        std::thread::sleep(time);
    }
}

fn echo_addr(port: u16) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, port))
}

// ---- sockettask-mio ------------------------------------------------------------------------

/// The `sockettask-mio` `Driver` at its default limits in its own `mio::Poll`.
struct Ours {
    poll: Poll,
    events: Events,
    driver: Driver,
    tasks: Vec<SocketTask>,
}

impl Ours {
    fn new() -> Ours {
        let options = Options {
            config: Config { schemes: Schemes::AllowInsecure, ..Config::default() },
            ..Options::default()
        };
        let driver = Driver::new(options).expect("driver");
        Ours {
            poll: Poll::new().expect("poll"),
            events: Events::with_capacity(16),
            driver,
            tasks: Vec::new(),
        }
    }

    /// Turns the loop until `count` events passed `on_event` (which says whether one counts).
    fn until(&mut self, count: usize, mut on_event: impl FnMut(&Event<'_>) -> bool) {
        let mut seen = 0;
        loop {
            while let Some((_, event)) = self.driver.poll_event(self.poll.registry()) {
                seen += usize::from(on_event(&event));
            }
            if seen >= count {
                return;
            }
            let timeout = self.driver.poll_timeout();
            self.poll.poll(&mut self.events, timeout).expect("poll");
            for event in self.events.iter() {
                self.driver.handle_readiness(event);
            }
        }
    }
}

impl Peer for Ours {
    fn open(&mut self, port: u16, tasks: usize) {
        let url = format!("ws://{}/", echo_addr(port));
        for i in 0..tasks {
            let task = self.driver.connect_socket(self.poll.registry(), ConnectOptions::new(&url), Token(i));
            self.tasks.push(task.expect("connect"));
        }
        self.until(tasks, |event| match event {
            Event::Open(_) => true,
            other => panic!("expected Open, got {other:?}"),
        });
    }

    fn echo(&mut self, payload: &mut Payload) {
        for &task in &self.tasks {
            self.driver.send(task, Message::Binary(&payload.bytes)).expect("send");
        }
        let len = payload.bytes.len();
        self.until(self.tasks.len(), |event| match event {
            Event::Message(Message::Binary(bytes)) => black_box(bytes.len()) == len,
            other => panic!("expected a binary message, got {other:?}"),
        });
    }

    /// Turns the loop (the driver's timers: its buffers shrink on one) until `time` is up.
    fn rest(&mut self, time: Duration) {
        let end = std::time::Instant::now() + time;
        while let Some(left) = end.checked_duration_since(std::time::Instant::now()) {
            let timeout = self.driver.poll_timeout().map_or(left, |t| t.min(left));
            self.poll.poll(&mut self.events, Some(timeout)).expect("poll");
            for event in self.events.iter() {
                self.driver.handle_readiness(event);
            }
            if let Some((_, event)) = self.driver.poll_event(self.poll.registry()) {
                panic!("expected no event while idle, got {event:?}");
            }
        }
    }
}

// ---- tungstenite -------------------------------------------------------------------------

/// tungstenite over blocking `TcpStream`s, default configuration.
#[derive(Default)]
struct Tungstenite {
    sockets: Vec<tungstenite::WebSocket<TcpStream>>,
}

impl Peer for Tungstenite {
    fn open(&mut self, port: u16, tasks: usize) {
        for _ in 0..tasks {
            let tcp = TcpStream::connect(echo_addr(port)).expect("connect");
            tcp.set_nodelay(true).expect("nodelay");
            let url = format!("ws://{}/", echo_addr(port));
            self.sockets.push(tungstenite::client::client(url, tcp).expect("handshake").0);
        }
    }

    fn echo(&mut self, payload: &mut Payload) {
        for ws in &mut self.sockets {
            ws.send(tungstenite::Message::Binary(payload.shared.clone())).expect("send");
        }
        for ws in &mut self.sockets {
            match ws.read().expect("read") {
                tungstenite::Message::Binary(bytes) => {
                    assert_eq!(black_box(bytes).len(), payload.shared.len())
                }
                other => panic!("expected binary, got {other:?}"),
            }
        }
    }
}

// ---- fastwebsockets ----------------------------------------------------------------------

type FastSocket = fastwebsockets::FragmentCollector<tokio::net::TcpStream>;

/// fastwebsockets over tokio `TcpStream`s on a current-thread runtime, upgraded by hand as
/// in the echo bench, reading through a `FragmentCollector` (default limits).
struct Fast {
    runtime: tokio::runtime::Runtime,
    sockets: Vec<FastSocket>,
}

impl Fast {
    fn new() -> Fast {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_io().build().expect("runtime");
        Fast { runtime, sockets: Vec::new() }
    }

    async fn upgrade(port: u16) -> FastSocket {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut tcp = tokio::net::TcpStream::connect(echo_addr(port)).await.expect("connect");
        tcp.set_nodelay(true).expect("nodelay");
        let request = wire::request("127.0.0.1", "/", "dGhlIHNhbXBsZSBub25jZQ==");
        tcp.write_all(request.as_bytes()).await.expect("write");
        let mut response = Vec::new();
        while !response.ends_with(b"\r\n\r\n") {
            response.push(tcp.read_u8().await.expect("read"));
        }
        assert!(response.starts_with(b"HTTP/1.1 101"), "upgrade refused");
        let ws = fastwebsockets::WebSocket::after_handshake(tcp, fastwebsockets::Role::Client);
        fastwebsockets::FragmentCollector::new(ws)
    }
}

impl Peer for Fast {
    fn open(&mut self, port: u16, tasks: usize) {
        let Fast { runtime, sockets } = self;
        runtime.block_on(async {
            for _ in 0..tasks {
                sockets.push(Self::upgrade(port).await);
            }
        });
    }

    fn echo(&mut self, payload: &mut Payload) {
        let Fast { runtime, sockets } = self;
        let bytes = &mut payload.bytes[..];
        runtime.block_on(async {
            for ws in sockets.iter_mut() {
                let frame = fastwebsockets::Frame::binary(fastwebsockets::Payload::BorrowedMut(bytes));
                ws.write_frame(frame).await.expect("write");
            }
            for ws in sockets.iter_mut() {
                let frame = ws.read_frame().await.expect("read");
                assert_eq!(frame.opcode, fastwebsockets::OpCode::Binary);
                assert_eq!(black_box(&frame.payload[..]).len(), bytes.len());
            }
        });
    }
}

// ---- the child: one contender, one process ---------------------------------------------

/// The samples of one child, in the order of [`PHASES`].
type Samples = [Sample; 6];

/// Column names of the samples.
const PHASES: [&str; 6] = ["before", "client", "idle", "peak", "after", "back"];

fn new_peer(name: &str) -> Box<dyn Peer> {
    match name {
        "sockettask" => Box::new(Ours::new()),
        "tungstenite" => Box::new(Tungstenite::default()),
        "fastwebsockets" => Box::new(Fast::new()),
        other => panic!("unknown contender {other:?}"),
    }
}

fn measure(name: &str, port: u16) -> Samples {
    let (mut small, mut large) = (Payload::new(SMALL), Payload::new(LARGE));
    let before = Sample::now();
    let mut peer = new_peer(name);
    let client = Sample::now();
    peer.open(port, TASKS);
    peer.echo(&mut small);
    let idle = Sample::now();
    Sample::reset_peak();
    peer.echo(&mut large);
    let peak = Sample::peak();
    let after = Sample::now();
    peer.rest(REST);
    peer.echo(&mut small);
    let back = Sample::now();
    drop(peer);
    [before, client, idle, peak, after, back]
}

/// Runs in the child: measures `name` and prints the samples on one line.
fn child(name: &str, port: &str) {
    let samples = measure(name, port.parse().expect("a port"));
    let numbers: Vec<String> = samples.iter().flat_map(|s| s.fields()).map(|n| n.to_string()).collect();
    println!("{}", numbers.join(" "));
}

// ---- the parent: server, children, table -----------------------------------------------

fn run_child(row: &Row, port: u16) -> Samples {
    let exe = std::env::current_exe().expect("this binary");
    let mut command = Command::new(exe);
    command.args([CHILD, row.peer, &port.to_string()]).envs(row.env.iter().copied());
    let out = command.output().expect("spawn child");
    assert!(out.status.success(), "{}: {}", row.label, String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let numbers: Vec<i64> = text.split_whitespace().map(|n| n.parse().expect("a number")).collect();
    let mut samples = Samples::default();
    for (sample, n) in samples.iter_mut().zip(numbers.chunks_exact(3)) {
        *sample = Sample { rss: n[0], anon: n[1], heap: n[2] };
    }
    samples
}

/// Per task, sorted over the runs: the change of `field` (see [`Sample::fields`]) from
/// *before* to `phase`.
fn deltas(runs: &[Samples], phase: usize, field: usize) -> Vec<i64> {
    let mut values: Vec<i64> =
        runs.iter().map(|r| (r[phase].fields()[field] - r[0].fields()[field]) / TASKS as i64).collect();
    values.sort_unstable();
    values
}

/// Per task, the median change since *before* of each phase after it.
fn per_task(runs: &[Samples]) -> [Sample; 5] {
    let median = |phase: usize, field: usize| {
        let values = deltas(runs, phase, field);
        values[values.len() / 2]
    };
    let mut out = [Sample::default(); 5];
    for (phase, sample) in out.iter_mut().enumerate() {
        let [rss, anon, heap] = [0, 1, 2].map(|field| median(phase + 1, field));
        *sample = Sample { rss, anon, heap };
    }
    out
}

/// The exact figures (anonymous RSS, heap) whose runs spread over more than [`SPREAD`],
/// with their range.
fn spreads(name: &str, runs: &[Samples]) -> Vec<String> {
    let mut notes = Vec::new();
    for (phase, title) in TITLES.iter().enumerate().map(|(i, t)| (i + 1, t)) {
        // Total RSS moves by tens of KiB per task with the code pages each process faults in.
        for (field, what) in FIELDS.iter().enumerate().skip(1) {
            let values = deltas(runs, phase, field);
            let (low, high) = (values[0], values[values.len() - 1]);
            if high - low > SPREAD && !(PHASES[phase] == "peak" && field == 1) {
                notes.push(format!("{name}, {title}, {what}: {}–{} KiB", kib(low), kib(high)));
            }
        }
    }
    notes
}

fn kib(bytes: i64) -> String {
    format!("{:.1}", bytes as f64 / 1024.0)
}

fn row(name: &str, figures: &[Sample; 5]) -> String {
    let cells: Vec<String> = figures
        .iter()
        .enumerate()
        .map(|(i, s)| match i {
            2 => format!("{} / – / {}", kib(s.rss), kib(s.heap)),
            _ => format!("{} / {} / {}", kib(s.rss), kib(s.anon), kib(s.heap)),
        })
        .collect();
    format!("| {name} | {} |", cells.join(" | "))
}

fn json_entry(name: &str, figures: &[Sample; 5]) -> String {
    let phases: Vec<String> = figures
        .iter()
        .zip(&PHASES[1..])
        .map(|(s, phase)| {
            // The kernel keeps no peak of anonymous memory alone.
            let anon = if *phase == "peak" { "null".to_owned() } else { s.anon.to_string() };
            format!("\"{phase}\": {{\"rss\": {}, \"anon\": {anon}, \"heap\": {}}}", s.rss, s.heap)
        })
        .collect();
    format!("    \"{name}\": {{{}}}", phases.join(", "))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == CHILD) {
        return child(&args[at + 1], &args[at + 2]);
    }
    let port = server::echo_server().ws;
    let mut table = format!(
        "| KiB per task ({TASKS} tasks): RSS / anonymous RSS / heap | {} |\n|---|{}\n",
        TITLES.join(" | "),
        "---:|".repeat(TITLES.len())
    );
    let (mut entries, mut notes) = (Vec::new(), Vec::new());
    for each in &ROWS {
        let runs: Vec<Samples> = (0..RUNS).map(|_| run_child(each, port)).collect();
        let figures = per_task(&runs);
        let _ = writeln!(table, "{}", row(each.label, &figures));
        entries.push(json_entry(each.label, &figures));
        notes.extend(spreads(each.label, &runs));
    }
    println!("{table}");
    if !notes.is_empty() {
        println!("Spread over the {RUNS} runs (min–max per task): {}.\n", notes.join("; "));
    }
    let notes: Vec<String> = notes.iter().map(|n| format!("\"{n}\"")).collect();
    sockettask_benches::save_for_table(
        "resident.json",
        &format!(
            "{{\n  \"tasks\": {TASKS},\n  \"runs\": {RUNS},\n  \"per_task\": {{\n{}\n  }},\n  \"spread\": [{}]\n}}\n",
            entries.join(",\n"),
            notes.join(", ")
        ),
    );
}
