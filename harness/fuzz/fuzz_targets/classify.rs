//! Every runtime adapter's stderr classifier on arbitrary output (see harness::fuzzing).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::fuzzing::classify(data));
