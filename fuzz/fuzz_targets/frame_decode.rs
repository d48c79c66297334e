//! Server frames, in one chunk and in many, into an open socket (see sockettask::fuzzing::frame_decode).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sockettask::fuzzing::frame_decode(data));
