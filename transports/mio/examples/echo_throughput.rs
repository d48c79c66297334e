//! Echo throughput against the loopback test echo server (tungstenite, one thread per
//! connection), with up to 32 messages in flight per socket.
//!
//! ```text
//! cargo run --release -p sockettask-mio --example echo_throughput -- [SOCKETS] [SIZE] [SECONDS] [ws|wss]
//! ```

#[path = "../tests/support/mod.rs"]
mod support;

use std::cell::Cell;
use std::error::Error;
use std::rc::Rc;
use std::time::{Duration, Instant};

use sockettask_mio::{Client, Config, ConnectOptions, Limits, Message, Options, Schemes, Tls};

const WINDOW: usize = 32;

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let sockets: usize = args.first().map_or(Ok(1), |a| a.parse())?;
    let size: usize = args.get(1).map_or(Ok(1024), |a| a.parse())?;
    let seconds: u64 = args.get(2).map_or(Ok(3), |a| a.parse())?;
    let secure = args.get(3).is_none_or(|s| s == "wss");

    let pki = support::Pki::new();
    let (port, scheme) = if secure {
        (support::spawn_echo(Some(pki.server(&["127.0.0.1"], support::Validity::Current))), "wss")
    } else {
        (support::spawn_echo(None), "ws")
    };
    let options = Options {
        config: Config {
            schemes: Schemes::AllowInsecure,
            limits: Limits { max_message_size: size.max(1024) * 2, ..Limits::default() },
            ..Config::default()
        },
        max_buffered_amount: (size + 14) * WINDOW * 2,
        tls: Tls::root_der(pki.ca_der())?,
        ..Options::default()
    };
    let mut client = Client::new(options)?;
    let url = format!("{scheme}://127.0.0.1:{port}/");
    let payload: Rc<[u8]> = vec![b'x'; size].into();
    let received = Rc::new(Cell::new(0u64));
    let start = Rc::new(Cell::new(None::<Instant>));
    let deadline = Duration::from_secs(seconds);
    for _ in 0..sockets {
        let task = client.connect_socket(ConnectOptions::new(&url)).map_err(|e| e.to_string())?;
        let (p, s) = (Rc::clone(&payload), Rc::clone(&start));
        task.on_open(&mut client, move |client, task, _| {
            s.set(s.get().or(Some(Instant::now())));
            for _ in 0..WINDOW {
                let _ = task.send(client, Message::Binary(&p));
            }
        });
        let (p, s, r) = (Rc::clone(&payload), Rc::clone(&start), Rc::clone(&received));
        let mut outstanding = WINDOW;
        task.on_message(&mut client, move |client, task, _| {
            r.set(r.get() + 1);
            if s.get().is_some_and(|t| t.elapsed() < deadline) {
                let _ = task.send(client, Message::Binary(&p));
            } else {
                outstanding -= 1;
                if outstanding == 0 {
                    let _ = task.close(client, None, "");
                }
            }
        });
        task.on_error(&mut client, |_, _, e| eprintln!("onError {}", e.err_msg()));
    }
    client.run()?;
    let elapsed = start.get().map_or(Duration::ZERO, |t| t.elapsed()).as_secs_f64();
    let messages = received.get() as f64;
    println!(
        "{scheme} sockets={sockets} size={size} B: {:.0} messages/s, {:.1} MB/s echoed ({} messages in {elapsed:.2} s)",
        messages / elapsed,
        messages * size as f64 / elapsed / 1e6,
        received.get()
    );
    Ok(())
}
