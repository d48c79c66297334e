//! Without the core's `deflate` feature a `perMessageDeflate` offer is refused at connect: the
//! core could not inflate what a server that took the offer would compress.
#![cfg(not(feature = "deflate"))]

mod support;

use sockettask::{ConnectError, ConnectOptions, DeflateOfferError, PerMessageDeflate};
use support::*;

#[test]
fn an_offer_is_refused_without_the_feature() {
    let mut h = Harness::new();
    let options = ConnectOptions::new(URL).per_message_deflate(PerMessageDeflate::new());
    let refused = h.try_connect(&options);
    assert_eq!(refused, Err(ConnectError::InvalidDeflateOffer(DeflateOfferError::NotBuilt)));
    assert_eq!(refused.unwrap_err().err_msg().to_string(), "connectSocket:fail invalid perMessageDeflate");
    // Nothing was started: the next task is socketTaskId 1 and offers nothing.
    let t = h.connect(URL);
    assert_eq!(t.socket_task_id(), 1);
    assert!(h.request(t).all("sec-websocket-extensions").is_empty());
}
