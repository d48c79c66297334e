//! The RFC 6455 frame codec, client side: header, decode (server → client), encode
//! (client → server, masked), masking, close payloads.

pub mod close;
pub mod decode;
pub mod encode;
pub mod header;
pub mod mask;

pub use decode::{Decoded, decode_header};
pub use encode::{encode_frame, frame_len};
pub use header::{FrameHeader, MAX_HEADER_LEN, OpCode};
