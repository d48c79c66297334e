//! The main job: `connectSocket` against a `wss://` server.
//!
//! With no argument it starts an embedded `wss` echo server on 127.0.0.1 with a certificate
//! generated at start-up (trusted through `Tls::root_der`, the custom-roots option), opens 5
//! sockets with subprotocols, exchanges text and binary messages, shows that a 6th is
//! refused, closes them with a code and a reason, and prints every event as it happens.
//!
//! With a URL argument it connects there and acts as a small interactive client: each line
//! of stdin is sent as a text message, incoming messages are printed; end stdin to close.
//!
//! ```text
//! cargo run -p sockettask-mio --example connect_socket
//! cargo run -p sockettask-mio --example connect_socket -- wss://echo.example/
//! ```

#[path = "../tests/support/mod.rs"]
mod support;

use std::error::Error;
use std::sync::mpsc;
use std::time::Duration;

use sockettask_mio::{Client, CloseCode, Config, ConnectOptions, Message, Options, Schemes, SocketTask, Tls};

fn main() -> Result<(), Box<dyn Error>> {
    match std::env::args().nth(1) {
        None => demo(),
        Some(url) => interactive(&url),
    }
}

/// Prints every event of `task`.
fn print_events(client: &mut Client, task: SocketTask) {
    task.on_open(client, |_, task, open| {
        let server = open.header.get("server").map(String::from_utf8_lossy);
        println!("[{}] onOpen protocol={:?} server={:?}", task.socket_task_id(), open.protocol, server);
    });
    task.on_message(client, |_, task, message| match message {
        Message::Text(text) => println!("[{}] onMessage text {:?}", task.socket_task_id(), text),
        Message::Binary(bytes) => println!("[{}] onMessage binary {:?}", task.socket_task_id(), bytes),
    });
    task.on_error(client, |_, task, error| {
        println!("[{}] onError {}", task.socket_task_id(), error.err_msg())
    });
    task.on_close(client, |_, task, close| {
        println!("[{}] onClose code={} reason={:?}", task.socket_task_id(), close.code, close.reason)
    });
}

fn demo() -> Result<(), Box<dyn Error>> {
    let pki = support::Pki::new();
    let port = support::spawn_echo(Some(pki.server(&["localhost", "127.0.0.1"], support::Validity::Current)));
    let options = Options { tls: Tls::root_der(pki.ca_der())?, ..Options::default() };
    let mut client = Client::new(options)?;
    let url = format!("wss://localhost:{port}/echo");
    println!("embedded wss echo server at {url}");
    for _ in 0..5 {
        let task = client
            .connect_socket(ConnectOptions::new(&url).protocols(&["chat.v2", "chat.v1"]))
            .map_err(|e| e.err_msg().to_string())?;
        println!("[{}] connectSocket:ok", task.socket_task_id());
        print_events(&mut client, task);
        task.on_open(&mut client, |client, task, _| {
            let text = format!("hello from task {}", task.socket_task_id());
            let id = task.socket_task_id() as u8;
            for result in
                [task.send(client, Message::Text(&text)), task.send(client, Message::Binary(&[id; 4]))]
            {
                println!(
                    "[{}] {}",
                    task.socket_task_id(),
                    result.map_or_else(|e| e.err_msg().to_string(), |()| "sendSocketMessage:ok".into())
                );
            }
        });
        let mut echoes = 0;
        task.on_message(&mut client, move |client, task, _| {
            echoes += 1;
            if echoes == 2 {
                let code = CloseCode(4000 + task.socket_task_id() as u16);
                match task.close(client, Some(code), "demo done") {
                    Ok(()) => println!("[{}] closeSocket:ok", task.socket_task_id()),
                    Err(e) => println!("[{}] {}", task.socket_task_id(), e.err_msg()),
                }
            }
        });
    }
    match client.connect_socket(ConnectOptions::new(&url)) {
        Ok(_) => return Err("a 6th task was accepted".into()),
        Err(e) => println!("6th task: {}", e.err_msg()),
    }
    client.run()?;
    println!("all tasks closed");
    Ok(())
}

fn interactive(url: &str) -> Result<(), Box<dyn Error>> {
    let insecure = url.starts_with("ws://");
    if insecure {
        println!("note: ws:// is allowed here as a development switch");
    }
    let schemes = if insecure { Schemes::AllowInsecure } else { Schemes::SecureOnly };
    let options = Options { config: Config { schemes, ..Config::default() }, ..Options::default() };
    let mut client = Client::new(options)?;
    let task = client.connect_socket(ConnectOptions::new(url)).map_err(|e| e.err_msg().to_string())?;
    print_events(&mut client, task);
    let (lines_tx, lines) = mpsc::channel::<Option<String>>();
    std::thread::spawn(move || {
        for line in std::io::stdin().lines() {
            let Ok(line) = line else { break };
            if lines_tx.send(Some(line)).is_err() {
                return;
            }
        }
        let _ = lines_tx.send(None);
    });
    while !client.driver().is_idle() {
        client.poll(Some(Duration::from_millis(50)))?;
        while let Ok(line) = lines.try_recv() {
            let result = match &line {
                Some(text) => {
                    task.send(&mut client, Message::Text(text)).map_err(|e| e.err_msg().to_string())
                }
                None => task.close(&mut client, None, "bye").map_err(|e| e.err_msg().to_string()),
            };
            if let Err(e) = result {
                println!("{e}");
            }
        }
    }
    Ok(())
}
