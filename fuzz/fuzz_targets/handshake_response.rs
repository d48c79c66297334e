//! Arbitrary bytes as the server's handshake response (see sockettask::fuzzing::handshake_response).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sockettask::fuzzing::handshake_response(data));
