//! The opening handshake (RFC 6455 §4.1): the key and its accept digest, the request the client
//! sends, and the validation of the server's response, which leaves its headers as the
//! [`Headers`] the `onOpen` event hands out.

pub mod key;
pub mod request;
pub mod response;

pub use key::{Accept, Key};
pub use request::{ForbiddenHeaders, Request};
pub use response::{Headers, ProtocolCheck};
