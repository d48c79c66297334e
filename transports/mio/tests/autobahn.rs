//! The `autobahn_client` example against a mock of the Autobahn|Testsuite fuzzing server's
//! protocol (`/getCaseCount`, `/runCase`, `/updateReports`): every message the mock sends,
//! whole or in 65 536 fragments, must come back unchanged.

mod support;

use std::net::TcpStream;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tungstenite::protocol::WebSocketConfig;
use tungstenite::protocol::frame::Frame;
use tungstenite::protocol::frame::coding::{Data, OpCode};
use tungstenite::{Message, WebSocket};

/// What each case sends; each message must be echoed.
fn case_messages(case: u32) -> Vec<Message> {
    match case {
        1 => vec![Message::text("hello"), Message::binary(vec![]), Message::text("")],
        2 => vec![Message::binary(vec![0xab; 16 << 20])],
        3 => (0..500).map(|i| Message::text(format!("message {i} ✓"))).collect(),
        _ => vec![Message::text("ä".repeat(1 << 20))],
    }
}

fn read_data(ws: &mut WebSocket<TcpStream>) -> Option<Message> {
    loop {
        match ws.read() {
            Ok(m @ (Message::Text(_) | Message::Binary(_))) => return Some(m),
            Ok(_) => {}
            Err(_) => return None,
        }
    }
}

fn finish(mut ws: WebSocket<TcpStream>) {
    let _ = ws.close(None);
    while ws.read().is_ok() {}
}

#[allow(clippy::result_large_err)] // tungstenite fixes the callback signature.
fn serve(tcp: TcpStream, results: &Mutex<Vec<String>>) {
    let mut path = String::new();
    let callback = |req: &Request, resp: Response| -> Result<Response, ErrorResponse> {
        path = req.uri().to_string();
        Ok(resp)
    };
    let config = WebSocketConfig::default().max_message_size(Some(64 << 20)).max_frame_size(Some(64 << 20));
    let Ok(mut ws) = tungstenite::accept_hdr_with_config(tcp, callback, Some(config)) else { return };
    if path == "/getCaseCount" {
        ws.send(Message::text("5")).unwrap();
    } else if let Some(rest) = path.strip_prefix("/runCase?case=") {
        let (case, agent) = rest.split_once("&agent=").unwrap();
        let case: u32 = case.parse().unwrap();
        let mut ok = true;
        if case == 5 {
            // 4 MiB in 65 536 fragments of 64 bytes, with a ping in between.
            let chunk = vec![0x5a; 64];
            for i in 0..65_536 {
                let opcode = OpCode::Data(if i == 0 { Data::Binary } else { Data::Continue });
                ws.write(Message::Frame(Frame::message(chunk.clone(), opcode, i == 65_535))).unwrap();
                if i == 1000 {
                    ws.write(Message::Ping(vec![1, 2, 3].into())).unwrap();
                }
            }
            ws.flush().unwrap();
            ok &= read_data(&mut ws).is_some_and(|m| m.into_data().len() == 4 << 20);
        } else {
            for message in case_messages(case) {
                ws.send(message.clone()).unwrap();
                ok &= read_data(&mut ws).as_ref() == Some(&message);
            }
        }
        results.lock().unwrap().push(format!("case {case} {agent} {}", if ok { "OK" } else { "FAILED" }));
    } else if let Some(agent) = path.strip_prefix("/updateReports?agent=") {
        results.lock().unwrap().push(format!("reports {agent}"));
    }
    finish(ws);
}

#[test]
fn autobahn_client_example_echoes_every_case() {
    let exe = std::env::current_exe().unwrap();
    let example = exe.parent().unwrap().parent().unwrap().join("examples").join("autobahn_client");
    if !example.exists() {
        eprintln!("skipped: {} is not built", example.display());
        return;
    }
    let results = Arc::new(Mutex::new(Vec::new()));
    let shared = Arc::clone(&results);
    let port = support::spawn(move |tcp| serve(tcp, &shared));
    let mut child = Command::new(example).arg(format!("ws://127.0.0.1:{port}")).arg("mock").spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("autobahn_client did not finish");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success());
    let results = results.lock().unwrap().clone();
    let expected: Vec<String> =
        (1..=5).map(|c| format!("case {c} mock OK")).chain(["reports mock".to_owned()]).collect();
    assert_eq!(results, expected);
}
