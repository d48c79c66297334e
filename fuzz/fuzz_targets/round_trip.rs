//! Client-encoded messages unmasked by a server and decoded back (see sockettask::fuzzing::round_trip).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sockettask::fuzzing::round_trip(data));
