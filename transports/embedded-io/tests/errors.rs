//! The drivers' errors work with `?`: `'static`, `Send`, `Sync` and `std::error::Error` when
//! the stream is, and a refused `connect` of a URL built at run time goes through `?` into
//! `Box<dyn Error>`, into the drivers' `Error`, or hands its stream back.

use std::io::Cursor;

use embedded_io::ErrorKind;
use embedded_io_adapters::std::FromStd;
use sockettask::{Buffers, Client, Config, ConnectError, ConnectOptions, Instant, UrlError};
use sockettask_embedded_io::{Driver, Error, Refused};

/// A stream that needs no network: refused connects do no I/O.
type Stream = FromStd<Cursor<Vec<u8>>>;
type TestDriver = Driver<Stream, [u8; 1024], rand::rngs::ThreadRng, fn() -> Instant, 1>;

/// Compiles only when `E` has every bound `?` into `Box<dyn Error + Send + Sync>` needs.
fn assert_error<E: std::error::Error + Send + Sync + 'static>() {}

#[test]
fn every_error_is_static_send_sync_and_an_error() {
    assert_error::<Error<ErrorKind>>();
    assert_error::<Error<std::io::Error>>();
    assert_error::<Refused<Stream>>();
    assert_error::<Refused<FromStd<std::net::TcpStream>>>();
    assert_error::<ConnectError>();
}

fn driver() -> TestDriver {
    let storage = [Buffers::new([0; 1024], [0; 1024])];
    let client = Client::new(Config::default(), rand::rng(), storage).expect("client");
    Driver::new(client, (|| Instant::ZERO) as fn() -> Instant)
}

fn stream() -> Stream {
    FromStd::new(Cursor::new(Vec::new()))
}

#[test]
fn a_refusal_goes_into_box_dyn_error() {
    fn connect(d: &mut TestDriver, host: &str) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let url = format!("wss://{host}/chat");
        d.connect_socket(stream(), &ConnectOptions::new(&url))?;
        Ok(())
    }
    let mut d = driver();
    let error = connect(&mut d, "bad host").unwrap_err();
    assert_eq!(error.to_string(), "connect refused: connectSocket:fail invalid url \"wss://bad host/chat\"");
    let refused = error.downcast_ref::<Refused<Stream>>().expect("a Refused");
    assert_eq!(
        refused.error,
        ConnectError::InvalidUrl { url: "wss://bad host/chat".into(), reason: UrlError::InvalidCharacter }
    );
    connect(&mut d, "example.com").expect("a good URL is taken");
}

#[test]
fn a_refusal_goes_into_the_drivers_error() {
    fn connect(d: &mut TestDriver, url: String) -> Result<(), Error<std::io::Error>> {
        d.connect_socket(stream(), &ConnectOptions::new(&url))?;
        Ok(())
    }
    let mut d = driver();
    let error = connect(&mut d, "http://example.com/".to_owned()).unwrap_err();
    let Error::Connect(ConnectError::InvalidUrl { url, reason }) = &error else { panic!("{error:?}") };
    assert_eq!((url.as_str(), *reason), ("http://example.com/", UrlError::UnsupportedScheme));
    let msg = error.command_err_msg().map(|m| m.to_string());
    assert_eq!(msg.as_deref(), Some("connectSocket:fail invalid url \"http://example.com/\""));
}

#[test]
fn a_matched_refusal_keeps_the_stream() {
    let mut d = driver();
    let url = String::from("wss://example.com/");
    d.connect_socket(stream(), &ConnectOptions::new(&url)).expect("the only slot");
    let mine = FromStd::new(Cursor::new(b"mine".to_vec()));
    let Refused { error, stream } = d.connect_socket(mine, &ConnectOptions::new(&url)).unwrap_err();
    drop(url);
    assert_eq!(error, ConnectError::TooManyTasks { limit: 1 });
    assert_eq!(stream.into_inner().into_inner(), b"mine");
}
