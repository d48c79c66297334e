//! The `autobahn_client` example against a mock of the Autobahn|Testsuite fuzzing server's
//! protocol (`/getCaseCount`, `/runCase`, `/updateReports`): every message the mock sends,
//! whole or in 65 536 fragments, must come back unchanged.

mod support;

use std::net::TcpStream;
use std::path::{Path, PathBuf};
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

/// Builds the `autobahn_client` example with the profile, target and features of this test
/// (cargo gives tests a path only for binaries, not examples) and returns its path. Fails the
/// test when the build fails: the example is never skipped.
fn build_example() -> PathBuf {
    // <target-dir>[/<triple>]/<profile-dir>/deps/autobahn-<hash>
    let exe = std::env::current_exe().expect("the test's own path");
    let profile_dir = exe.parent().and_then(Path::parent).expect("<profile-dir>/deps/<test>");
    let above = profile_dir.parent().expect("the target directory");
    // Cargo tags the root of every target directory; without the tag, `above` is a
    // `--target <triple>` directory inside it.
    let (target_dir, triple) = if above.join("CACHEDIR.TAG").exists() {
        (above, None)
    } else {
        (above.parent().expect("the target directory"), above.file_name())
    };
    let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") => "dev",
        Some(name) => name,
        None => panic!("no profile directory in {}", exe.display()),
    };
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| env!("CARGO").into());
    let mut build = Command::new(cargo);
    build
        .args(["build", "--quiet", "-p", "sockettask-mio", "--example", "autobahn_client"])
        .args(["--profile", profile])
        .arg("--target-dir")
        .arg(target_dir)
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    if let Some(triple) = triple {
        build.arg("--target").arg(triple);
    }
    if cfg!(feature = "dangerous-client-config") {
        build.args(["--features", "dangerous-client-config"]);
    }
    let status = build.status().unwrap_or_else(|e| panic!("running {build:?}: {e}"));
    assert!(status.success(), "{build:?} failed: {status}");
    let example =
        profile_dir.join("examples").join(format!("autobahn_client{}", std::env::consts::EXE_SUFFIX));
    assert!(example.is_file(), "{build:?} succeeded but {} is missing", example.display());
    example
}

#[test]
fn autobahn_client_example_echoes_every_case() {
    let example = build_example();
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
