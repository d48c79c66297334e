//! The `log` feature: what only the transport knows is logged (here: a connect to a closed
//! loopback port names the address that failed), and no log line, the core's included,
//! carries a message payload. A tiny `log::Log` collects every line of this test binary.
//!
//! Run with `cargo test -p sockettask-mio --features log --test log`; without the feature
//! the one test here is reported as ignored, never skipped silently.

#[cfg(feature = "log")]
mod support;

#[cfg(not(feature = "log"))]
#[test]
#[ignore = "needs the `log` feature: cargo test -p sockettask-mio --features log --test log"]
fn logging_needs_the_log_feature() {}

#[cfg(feature = "log")]
mod with_log {
    use std::sync::{Mutex, Once};
    use std::time::{Duration, Instant};

    use log::{LevelFilter, Log, Metadata, Record};
    use sockettask_mio::{Client, Config, ConnectOptions, Message, Options, ReadyState, Schemes};

    use super::support;

    /// Every line logged in this process, as `LEVEL target: message` (the test's echo server,
    /// tungstenite, logs too: only the `sockettask*` targets are this library's).
    struct Lines(Mutex<Vec<String>>);

    impl Log for Lines {
        fn enabled(&self, _: &Metadata<'_>) -> bool {
            true
        }

        fn log(&self, record: &Record<'_>) {
            let line = format!("{} {}: {}", record.level(), record.target(), record.args());
            self.0.lock().unwrap().push(line);
        }

        fn flush(&self) {}
    }

    static LINES: Lines = Lines(Mutex::new(Vec::new()));

    /// The lines this library logged so far (installs the logger on first use).
    fn lines() -> Vec<String> {
        static INSTALL: Once = Once::new();
        INSTALL.call_once(|| {
            log::set_logger(&LINES).unwrap();
            log::set_max_level(LevelFilter::Trace);
        });
        let ours =
            |line: &&String| line.split(' ').nth(1).is_some_and(|target| target.starts_with("sockettask"));
        LINES.0.lock().unwrap().iter().filter(ours).cloned().collect()
    }

    fn options() -> Options {
        Options {
            config: Config { schemes: Schemes::AllowInsecure, ..Config::default() },
            ..Options::default()
        }
    }

    fn run_until(client: &mut Client, mut done: impl FnMut(&mut Client) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !done(client) {
            assert!(Instant::now() < deadline, "timed out");
            client.poll(Some(Duration::from_millis(20))).unwrap();
        }
    }

    #[test]
    fn a_connect_to_a_closed_port_logs_the_address_that_failed() {
        lines();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut client = Client::new(options()).unwrap();
        let url = format!("ws://127.0.0.1:{port}/");
        let task = client.connect_socket(ConnectOptions::new(&url)).unwrap();
        run_until(&mut client, |c| c.is_idle());
        let address = format!("127.0.0.1:{port}");
        let lines = lines();
        let mine: Vec<&String> = lines.iter().filter(|l| l.contains(&address)).collect();
        let id = task.socket_task_id();
        assert!(
            mine.iter().any(|l| l.starts_with("DEBUG")
                && l.contains(&format!("socketTaskId {id} connecting to {address}"))),
            "{mine:#?}"
        );
        assert!(
            mine.iter().any(|l| l.starts_with("INFO") && l.contains(&format!("connect to {address} failed"))),
            "{mine:#?}"
        );
    }

    #[test]
    fn no_line_carries_a_payload() {
        lines();
        let port = support::spawn_echo(None);
        let mut client = Client::new(options()).unwrap();
        let url = format!("ws://127.0.0.1:{port}/");
        let task = client.connect_socket(ConnectOptions::new(&url)).unwrap();
        run_until(&mut client, |c| task.ready_state(c) == ReadyState::Open);
        // Distinctive payloads: a small text, and a binary message large enough to grow the
        // buffers (which is logged, by size).
        let text = "payload-7c1e9b-text";
        let binary: Vec<u8> = b"payload-7c1e9b-binary-".iter().copied().cycle().take(64 << 10).collect();
        let echoed = std::rc::Rc::new(std::cell::Cell::new(0));
        let seen = std::rc::Rc::clone(&echoed);
        task.on_message(&mut client, move |_, _, _| seen.set(seen.get() + 1));
        task.send(&mut client, Message::Text(text)).unwrap();
        task.send(&mut client, Message::Binary(&binary)).unwrap();
        run_until(&mut client, |_| echoed.get() == 2);
        task.close(&mut client, None, "bye").unwrap();
        run_until(&mut client, |c| c.is_idle());
        let lines = lines();
        let id = task.socket_task_id();
        let mine: Vec<&String> =
            lines.iter().filter(|l| l.contains(&format!("socketTaskId {id} "))).collect();
        assert!(mine.iter().any(|l| l.contains("buffers")), "no buffer growth logged: {mine:#?}");
        let leaks: Vec<String> = lines
            .iter()
            .filter(|l| l.contains("payload-7c1e9b"))
            .map(|l| l.chars().take(200).collect())
            .collect();
        assert!(leaks.is_empty(), "payload in the log: {leaks:#?}");
    }
}
