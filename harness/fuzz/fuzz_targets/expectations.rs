//! The expectations file parser on arbitrary text (see harness::fuzzing).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::fuzzing::expectations(data));
