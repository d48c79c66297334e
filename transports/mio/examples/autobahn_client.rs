//! A client for the Autobahn|Testsuite fuzzing server, using the library as a user would.
//!
//! ```text
//! autobahn_client [URL] [AGENT]
//! ```
//!
//! `URL` and `AGENT` default to `$AUTOBAHN_URL` and `$AUTOBAHN_AGENT` (what the harness in
//! `../shared/autobahn/run.sh` sets), then to `ws://127.0.0.1:9001` and `sockettask`.
//!
//! Reads `/getCaseCount`, runs `/runCase?case=N&agent=A` for every case, echoing every text
//! and binary message back unchanged (same type) until the server closes, then calls
//! `/updateReports?agent=A`. Exits non-zero when the case count cannot be read. `ws://` is
//! allowed explicitly ([`Schemes::AllowInsecure`]); buffers and limits are sized for the 9.x
//! cases (16 MiB messages, 4 MiB messages in up to 65 536 fragments).
//!
//! With `AUTOBAHN_DEFLATE=1` (or `--deflate` as the first argument) each case's task offers
//! permessage-deflate (sections 12 and 13): `client_max_window_bits` without a value, so the
//! server may ask for a smaller client window, and no other parameter.

use std::error::Error;
use std::time::Duration;

use sockettask_mio::{Client, Config, ConnectOptions, Limits, Message, Options, PerMessageDeflate, Schemes};

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1).peekable();
    let deflate_flag = args.next_if(|a| a == "--deflate").is_some();
    let deflate = deflate_flag || std::env::var("AUTOBAHN_DEFLATE").is_ok_and(|v| v == "1");
    let mut setting = |variable: &str, default: &str| {
        args.next().or_else(|| std::env::var(variable).ok()).unwrap_or_else(|| default.to_owned())
    };
    let base = setting("AUTOBAHN_URL", "ws://127.0.0.1:9001");
    let agent = setting("AUTOBAHN_AGENT", "sockettask");
    let base = base.trim_end_matches('/');
    let config = Config {
        schemes: Schemes::AllowInsecure,
        connect_timeout: Duration::from_secs(30),
        close_timeout: Duration::from_secs(5),
        limits: Limits { max_fragments: 1 << 17, max_message_size: 17 << 20, ..Limits::default() },
        ..Config::default()
    };
    let options = Options { config, max_buffered_amount: 17 << 20, tcp_no_delay: true, ..Options::default() };
    // The app state: the case count, set by the first task's onMessage.
    let mut client = Client::with_state(options, 0u32)?;

    let url = format!("{base}/getCaseCount");
    let task = client.connect_socket(ConnectOptions::new(&url)).map_err(|e| e.to_string())?;
    task.on_message(&mut client, |client, _, message| {
        if let Message::Text(text) = message {
            *client.state_mut() = text.trim().parse().unwrap_or(0);
        }
    });
    task.on_error(&mut client, |_, _, e| eprintln!("getCaseCount: {}", e.err_msg()));
    client.run()?;
    let count = *client.state();
    if count == 0 {
        return Err(format!("{url}: no case count").into());
    }
    println!("{count} cases");

    for case in 1..=count {
        let url = format!("{base}/runCase?case={case}&agent={agent}");
        let mut options = ConnectOptions::new(&url);
        if deflate {
            options = options.per_message_deflate(PerMessageDeflate::new());
        }
        let task = client.connect_socket(options).map_err(|e| e.to_string())?;
        task.on_message(&mut client, move |client, task, message| {
            if let Err(e) = task.send(client, message) {
                eprintln!("case {case}: echo refused: {}", e.err_msg());
            }
        });
        task.on_error(&mut client, move |_, _, e| eprintln!("case {case}: onError {}", e.err_msg()));
        task.on_close(&mut client, move |_, _, c| println!("case {case}: onClose {} {:?}", c.code, c.reason));
        client.run()?;
    }

    let url = format!("{base}/updateReports?agent={agent}");
    let task = client.connect_socket(ConnectOptions::new(&url)).map_err(|e| e.to_string())?;
    task.on_error(&mut client, |_, _, e| eprintln!("updateReports: {}", e.err_msg()));
    client.run()?;
    println!("reports updated");
    Ok(())
}
