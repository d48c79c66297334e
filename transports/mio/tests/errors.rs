//! Every public error of the transport, and the core's errors it re-exports, works with `?` in
//! a function returning `Box<dyn std::error::Error>`: `'static`, `Send`, `Sync` and
//! `std::error::Error`.

use sockettask_mio::{
    CloseError, ConnectError, ConnectOptions, HandshakeError, Options, PollError, ProtocolError, RootsError,
    SendError, SetupError, TaskError, TlsError, TransportError,
};

/// Compiles only when `E` has every bound `?` into `Box<dyn Error + Send + Sync>` needs.
fn assert_error<E: std::error::Error + Send + Sync + 'static>() {}

#[test]
fn every_error_is_static_send_sync_and_an_error() {
    assert_error::<SetupError>();
    assert_error::<PollError>();
    assert_error::<RootsError>();
    assert_error::<ConnectError>();
    assert_error::<SendError>();
    assert_error::<CloseError>();
    assert_error::<TaskError>();
    assert_error::<HandshakeError>();
    assert_error::<ProtocolError>();
    assert_error::<TransportError>();
    assert_error::<TlsError>();
    assert_error::<sockettask_mio::sockettask::ConfigError>();
    assert_error::<sockettask_mio::sockettask::UrlError>();
}

/// A refused `connect_socket` with a URL built at run time, through `?`: the error outlives
/// the URL and keeps the mini-program `errMsg`.
#[test]
fn a_refusal_of_a_run_time_url_goes_through_question_mark() {
    fn connect(host: &str) -> Result<(), Box<dyn std::error::Error>> {
        let mut client = sockettask_mio::Client::new(Options::default())?;
        let url = format!("wss://{host}/chat");
        client.connect_socket(ConnectOptions::new(&url))?;
        Ok(())
    }
    let error = connect("bad host").unwrap_err();
    let refused = error.downcast_ref::<ConnectError>().expect("a ConnectError");
    assert_eq!(refused.err_msg().to_string(), "connectSocket:fail invalid url \"wss://bad host/chat\"");
}
