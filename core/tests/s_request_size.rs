//! The handshake request is written once into the send buffer (issue 13); a buffer too
//! short for it still reports exactly how long the request is and how long the buffer was.

mod support;

use sockettask::{Config, ConnectError, ConnectOptions};
use support::*;

/// The request for `options` as a server receives it, from a client with room to spare.
fn request_len(options: &ConnectOptions<'_>) -> usize {
    let mut h = Harness::with(Config::default(), 1, RX_LEN, 4096);
    let t = h.try_connect(options).expect("fits in 4 KiB");
    let request = h.take_tx(t);
    assert!(request.ends_with(b"\r\n\r\n"));
    request.len()
}

#[test]
fn a_request_too_large_reports_its_exact_length() {
    let value = "v".repeat(600);
    let headers = [("x-big", value.as_str())];
    let options = ConnectOptions::new(URL).header(&headers).protocols(&["chat", "superchat"]);
    let len = request_len(&options);
    for tx in [512, len - 1] {
        let mut h = Harness::with(Config::default(), 1, RX_LEN, tx);
        let err = h.try_connect(&options).unwrap_err();
        assert_eq!(err, ConnectError::RequestTooLarge { required: len, capacity: tx }, "send buffer {tx}");
        assert_eq!(h.client.handles().count(), 0);
        // The refusal left the slot free and no id used.
        assert_eq!(h.connect(URL).socket_task_id(), 1);
    }
    // A buffer of exactly the request's length takes it, whole.
    let mut h = Harness::with(Config::default(), 1, RX_LEN, len);
    let t = h.try_connect(&options).expect("fits exactly");
    assert_eq!(h.client.buffered_amount(t), len);
    let request = h.request(t);
    assert_eq!(request.one("x-big"), value);
}
