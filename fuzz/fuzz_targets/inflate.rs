//! Compressed messages (arbitrary DEFLATE data) into a permessage-deflate task (see sockettask::fuzzing::inflate).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sockettask::fuzzing::inflate(data));
