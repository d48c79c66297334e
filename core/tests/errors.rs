//! Every public error of the core works with `?` in a function returning
//! `Box<dyn std::error::Error>`: `'static`, `Send`, `Sync` and `std::error::Error`.

use sockettask::{
    CloseError, ConfigError, ConnectError, HandshakeError, ProtocolError, SendError, TaskError, TlsError,
    TransportError, UrlError,
};

/// Compiles only when `E` has every bound `?` into `Box<dyn Error + Send + Sync>` needs.
fn assert_error<E: std::error::Error + Send + Sync + 'static>() {}

#[test]
fn every_error_is_static_send_sync_and_an_error() {
    assert_error::<UrlError>();
    assert_error::<ConnectError>();
    assert_error::<SendError>();
    assert_error::<CloseError>();
    assert_error::<ConfigError>();
    assert_error::<HandshakeError>();
    assert_error::<ProtocolError>();
    assert_error::<TransportError>();
    assert_error::<TlsError>();
    assert_error::<TaskError>();
}

#[test]
fn a_connect_error_goes_through_question_mark_and_back() {
    fn refuse(url: String) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        Err(ConnectError::InvalidUrl { url: url.as_str().into(), reason: UrlError::MissingScheme })?
    }
    let error = refuse(String::from("example.com/chat")).unwrap_err();
    assert_eq!(error.to_string(), "invalid url \"example.com/chat\": missing scheme");
    let ConnectError::InvalidUrl { url, .. } = error.downcast_ref::<ConnectError>().unwrap() else {
        panic!("{error:?}")
    };
    assert_eq!(url, "example.com/chat");
}

/// What a refusal costs on the stack: the quoted strings are bounded by `EXCERPT_LEN`.
#[test]
#[cfg(target_pointer_width = "64")]
fn a_connect_error_stays_small() {
    assert!(size_of::<ConnectError>() <= 56, "{}", size_of::<ConnectError>());
    assert!(size_of::<Result<sockettask::Handle, ConnectError>>() <= 56);
}
