//! Roots a user already has: a private CA as PEM text or a PEM file, and (with the
//! `native-roots` feature) the operating system's store. Servers run on loopback; every loop
//! is bounded in time.

mod support;

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::{Duration, Instant};

use base64::Engine;
use sockettask_mio::{
    Client, ConnectOptions, Message, Options, RootsError, TaskError, Tls, TlsError, TransportError,
};
use support::{Pki, Validity};

/// What a task's listeners saw, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Rec {
    Open,
    Text(String),
    Error(TaskError),
    Close(u16, String),
}

/// The CA certificate as PEM, 64 base64 characters a line, as `openssl x509` writes it.
fn ca_pem(pki: &Pki) -> String {
    let base64 = base64::engine::general_purpose::STANDARD.encode(pki.ca_der());
    let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in base64.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(line).unwrap());
        pem.push('\n');
    }
    pem.push_str("-----END CERTIFICATE-----\n");
    pem
}

/// A private key as PEM (`-----BEGIN PRIVATE KEY-----`).
fn key_pem() -> String {
    rcgen::KeyPair::generate().unwrap().serialize_pem()
}

/// Connects once to a `wss` echo server whose leaf `server` signed, trusting `tls`; on open
/// sends "hello", on its echo closes with 3001. Returns what the listeners saw.
fn exchange(server: &Pki, tls: Tls) -> Vec<Rec> {
    let port = support::spawn_echo(Some(server.server(&["127.0.0.1"], Validity::Current)));
    let mut client = Client::new(Options { tls, ..Options::default() }).unwrap();
    let task = client.connect_socket(ConnectOptions::new(&format!("wss://127.0.0.1:{port}/"))).unwrap();
    let log = Rc::new(RefCell::new(Vec::new()));
    let l = Rc::clone(&log);
    task.on_open(&mut client, move |client, task, _| {
        l.borrow_mut().push(Rec::Open);
        task.send(client, Message::Text("hello")).unwrap();
    });
    let l = Rc::clone(&log);
    task.on_message(&mut client, move |client, task, message| {
        if let Message::Text(text) = message {
            l.borrow_mut().push(Rec::Text(text.to_owned()));
        }
        task.close(client, Some(sockettask_mio::CloseCode(3001)), "done").unwrap();
    });
    let l = Rc::clone(&log);
    task.on_error(&mut client, move |_, _, e| l.borrow_mut().push(Rec::Error(*e)));
    let l = Rc::clone(&log);
    task.on_close(&mut client, move |_, _, c| l.borrow_mut().push(Rec::Close(c.code.0, c.reason.to_owned())));
    let deadline = Instant::now() + Duration::from_secs(10);
    while !client.driver().is_idle() {
        assert!(Instant::now() < deadline, "timed out");
        client.poll(Some(Duration::from_millis(20))).unwrap();
    }
    log.take()
}

fn opened() -> Vec<Rec> {
    vec![Rec::Open, Rec::Text("hello".into()), Rec::Close(3001, "done".into())]
}

fn unknown_issuer() -> Vec<Rec> {
    vec![Rec::Error(TaskError::Transport(TransportError::Tls(TlsError::UnknownIssuer)))]
}

/// A directory of its own under the system's temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("sockettask-tls-roots-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    /// Writes `contents` to `name` in the directory; returns its path.
    fn file(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, contents).unwrap();
        path
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

// ---- PEM text -------------------------------------------------------------------------

#[test]
fn pem_text_of_the_ca_opens() {
    let pki = Pki::new();
    assert_eq!(exchange(&pki, Tls::roots_pem(ca_pem(&pki)).unwrap()), opened());
}

#[test]
fn pem_bytes_of_the_ca_open() {
    let pki = Pki::new();
    assert_eq!(exchange(&pki, Tls::roots_pem(ca_pem(&pki).into_bytes()).unwrap()), opened());
}

#[test]
fn pem_bundle_trusts_every_certificate_and_skips_other_sections() {
    let (other, pki) = (Pki::new(), Pki::new());
    let bundle = format!("# a comment line\n{}{}\n{}", key_pem(), ca_pem(&other), ca_pem(&pki));
    assert_eq!(exchange(&pki, Tls::roots_pem(&bundle).unwrap()), opened());
    assert_eq!(exchange(&other, Tls::roots_pem(&bundle).unwrap()), opened());
}

#[test]
fn pem_ca_that_did_not_sign_the_server_is_unknown_issuer() {
    let (server, client) = (Pki::new(), Pki::new());
    assert_eq!(exchange(&server, Tls::roots_pem(ca_pem(&client)).unwrap()), unknown_issuer());
}

#[test]
fn pem_with_only_a_private_key_holds_no_certificate() {
    assert!(matches!(Tls::roots_pem(key_pem()), Err(RootsError::NoCertificate)));
}

#[test]
fn empty_or_sectionless_pem_holds_no_certificate() {
    for text in ["", "\n\n", "not a PEM at all", "MIIBkTCB+wIJAKHHIG...\n"] {
        assert!(matches!(Tls::roots_pem(text), Err(RootsError::NoCertificate)), "{text:?}");
    }
    assert_eq!(Tls::roots_pem("").unwrap_err().to_string(), "the PEM holds no CERTIFICATE section");
}

#[test]
fn malformed_pem_is_a_pem_error() {
    let pki = Pki::new();
    let good = ca_pem(&pki);
    let cut = &good[..good.len() / 2];
    let bad_base64 = "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n";
    let bad_start = "-----BEGIN CERTIFICATE\nAAAA\n-----END CERTIFICATE-----\n";
    for text in [cut, bad_base64, bad_start] {
        let error = Tls::roots_pem(text).unwrap_err();
        assert!(matches!(error, RootsError::Pem(_)), "{text:?}: {error:?}");
        assert!(error.to_string().starts_with("malformed PEM: "), "{error}");
    }
    // A good certificate first does not hide a malformed one after it.
    assert!(matches!(Tls::roots_pem(format!("{good}{cut}")), Err(RootsError::Pem(_))));
}

#[test]
fn certificate_rustls_refuses_as_a_root_is_rejected_with_its_index() {
    let pki = Pki::new();
    let not_x509 = "-----BEGIN CERTIFICATE-----\nAAECAwQF\n-----END CERTIFICATE-----\n";
    let error = Tls::roots_pem(format!("{}{not_x509}", ca_pem(&pki))).unwrap_err();
    let RootsError::Rejected { index, error: rustls_error } = &error else { panic!("{error:?}") };
    assert_eq!(*index, 1);
    assert!(matches!(rustls_error, sockettask_mio::rustls::Error::InvalidCertificate(_)), "{rustls_error:?}");
    assert!(error.to_string().starts_with("certificate 1 (counting from 0) is not usable as a root: "));
}

// ---- PEM file -------------------------------------------------------------------------

#[test]
fn pem_file_of_the_ca_opens() {
    let (pki, dir) = (Pki::new(), TempDir::new());
    let path = dir.file("ca.pem", &ca_pem(&pki));
    assert_eq!(exchange(&pki, Tls::roots_pem_file(&path).unwrap()), opened());
}

#[test]
fn pem_file_of_another_ca_is_unknown_issuer() {
    let (server, client, dir) = (Pki::new(), Pki::new(), TempDir::new());
    let path = dir.file("ca.pem", &ca_pem(&client));
    assert_eq!(exchange(&server, Tls::roots_pem_file(path).unwrap()), unknown_issuer());
}

#[test]
fn missing_pem_file_is_a_read_error_naming_it() {
    let dir = TempDir::new();
    let path = dir.path().join("missing.pem");
    let error = Tls::roots_pem_file(&path).unwrap_err();
    let RootsError::Read { path: named, error: io } = &error else { panic!("{error:?}") };
    assert_eq!((named, io.kind()), (&path, std::io::ErrorKind::NotFound));
    assert!(error.to_string().starts_with(&format!("could not read {}: ", path.display())), "{error}");
}

#[test]
fn directory_as_pem_file_is_a_read_error() {
    // Opening a directory succeeds on Linux; reading it fails: the second of the two places
    // a file read can fail.
    let dir = TempDir::new();
    let error = Tls::roots_pem_file(dir.path()).unwrap_err();
    assert!(matches!(&error, RootsError::Read { path, .. } if path == dir.path()), "{error:?}");
}

#[test]
fn pem_file_errors_match_pem_text_errors() {
    let dir = TempDir::new();
    let key = dir.file("key.pem", &key_pem());
    assert!(matches!(Tls::roots_pem_file(key), Err(RootsError::NoCertificate)));
    let empty = dir.file("empty.pem", "");
    assert!(matches!(Tls::roots_pem_file(empty), Err(RootsError::NoCertificate)));
    let cut = dir.file("cut.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n");
    assert!(matches!(Tls::roots_pem_file(cut), Err(RootsError::Pem(_))));
    let zeros = dir.file("zeros.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    assert!(matches!(Tls::roots_pem_file(zeros), Err(RootsError::Rejected { index: 0, .. })));
}

// ---- the operating system's store -----------------------------------------------------

/// `Tls::native_roots` against this machine's store, and against stores set through
/// `SSL_CERT_FILE` in a child process (the variable is read by `rustls-native-certs`, and a
/// test may not change its own process's environment).
#[cfg(feature = "native-roots")]
mod native_roots {
    use std::ffi::OsString;
    use std::process::Command;

    use super::*;

    /// Set in a child process: which case it runs, and the port of the parent's server.
    const CHILD: &str = "SOCKETTASK_TLS_ROOTS_CHILD";

    /// The machine's store, read the way a user's program reads it. An empty or unreadable
    /// store fails here, loudly, instead of letting the rejection below pass for free.
    fn machine_store() -> Tls {
        let hint = if cfg!(target_os = "linux") && !Path::new("/etc/ssl/certs").is_dir() {
            " (/etc/ssl/certs is missing: install the ca-certificates package)"
        } else {
            ""
        };
        Tls::native_roots().unwrap_or_else(|e| panic!("the OS trust store cannot be used: {e}{hint}"))
    }

    #[test]
    fn machine_store_builds_a_client_and_rejects_a_private_ca() {
        let tls = machine_store();
        Client::new(Options { tls: tls.clone(), ..Options::default() }).unwrap();
        assert_eq!(exchange(&Pki::new(), tls), unknown_issuer());
    }

    /// Runs `test` (this file's test of that name) in a child process with `env` set; fails
    /// with the child's output unless it passes.
    fn run_child(test: &str, env: &[(&str, OsString)]) {
        let mut command = Command::new(std::env::current_exe().unwrap());
        command.args([&format!("native_roots::{test}"), "--exact", "--nocapture", "--test-threads=1"]);
        command.env_remove("SSL_CERT_DIR").env_remove("SSL_CERT_FILE");
        command.envs(env.iter().map(|(k, v)| (k, v)));
        let output = command.output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && stdout.contains("1 passed"),
            "child {test} failed\n--- stdout\n{stdout}\n--- stderr\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    #[test]
    fn store_named_by_ssl_cert_file_is_trusted() {
        match std::env::var(CHILD) {
            Err(_) => {
                let (pki, dir) = (Pki::new(), TempDir::new());
                let port = support::spawn_echo(Some(pki.server(&["127.0.0.1"], Validity::Current)));
                let file = dir.file("store.pem", &ca_pem(&pki));
                let env = [("SSL_CERT_FILE", file.into_os_string()), (CHILD, port.to_string().into())];
                run_child("store_named_by_ssl_cert_file_is_trusted", &env);
            }
            Ok(port) => {
                let mut client = Client::new(Options { tls: machine_store(), ..Options::default() }).unwrap();
                let url = format!("wss://127.0.0.1:{port}/");
                let task = client.connect_socket(ConnectOptions::new(&url)).unwrap();
                let log = Rc::new(RefCell::new(Vec::new()));
                let l = Rc::clone(&log);
                task.on_open(&mut client, move |client, task, _| {
                    l.borrow_mut().push(Rec::Open);
                    task.close(client, Some(sockettask_mio::CloseCode(3001)), "done").unwrap();
                });
                let l = Rc::clone(&log);
                task.on_error(&mut client, move |_, _, e| l.borrow_mut().push(Rec::Error(*e)));
                let deadline = Instant::now() + Duration::from_secs(10);
                while !client.driver().is_idle() {
                    assert!(Instant::now() < deadline, "timed out");
                    client.poll(Some(Duration::from_millis(20))).unwrap();
                }
                assert_eq!(log.take(), vec![Rec::Open]);
            }
        }
    }

    #[test]
    fn store_with_no_root_is_an_error_not_an_empty_trust_list() {
        match std::env::var(CHILD) {
            Err(_) => {
                let dir = TempDir::new();
                let empty = dir.file("empty.pem", "");
                run_child(
                    "store_with_no_root_is_an_error_not_an_empty_trust_list",
                    &[("SSL_CERT_FILE", empty.into_os_string()), (CHILD, "empty".into())],
                );
                let missing = dir.path().join("missing.pem");
                run_child(
                    "store_with_no_root_is_an_error_not_an_empty_trust_list",
                    &[("SSL_CERT_FILE", missing.into_os_string()), (CHILD, "missing".into())],
                );
            }
            Ok(case) => {
                let error = Tls::native_roots().unwrap_err();
                let RootsError::NoSystemRoots { errors } = &error else { panic!("{error:?}") };
                let message = error.to_string();
                assert!(message.starts_with("the operating system's trust store holds no usable root"));
                match case.as_str() {
                    "empty" => assert!(errors.is_empty(), "{errors:?}"),
                    _ => assert!(!errors.is_empty() && message.contains("the first: "), "{message}"),
                }
            }
        }
    }
}
