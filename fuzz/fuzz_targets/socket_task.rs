//! Arbitrary command sequences over the 5-task table (see sockettask::fuzzing::socket_task).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sockettask::fuzzing::socket_task(data));
