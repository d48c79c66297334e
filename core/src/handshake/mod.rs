//! The opening handshake (RFC 6455 §4.1): the key and its accept digest, the request the client
//! sends, the `permessage-deflate` offer and its negotiation (RFC 7692), and the validation of
//! the server's response, which leaves its headers as the [`Headers`] the `onOpen` event hands
//! out.

pub(crate) mod extension;
pub(crate) mod key;
pub(crate) mod request;
pub(crate) mod response;

pub(crate) use extension::PerMessageDeflate;
pub(crate) use key::{Accept, Key};
pub(crate) use request::{ForbiddenHeaders, Request};
pub(crate) use response::{Headers, ProtocolCheck};
