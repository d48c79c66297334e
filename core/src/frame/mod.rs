//! The RFC 6455 frame codec, client side: header, decode (server → client), encode
//! (client → server, masked), masking, close payloads.

pub(crate) mod close;
pub(crate) mod decode;
pub(crate) mod encode;
pub(crate) mod header;
pub(crate) mod mask;

pub(crate) use decode::{Decoded, Rsv1, decode_header};
pub(crate) use encode::{Head, encode_frame, frame_len, max_payload_len, write_head};
pub(crate) use header::{FrameHeader, MAX_HEADER_LEN, OpCode};
