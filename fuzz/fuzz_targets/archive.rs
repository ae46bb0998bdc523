//! gzip and zip expansion of bytes held in memory, with a small decompression cap.
#![no_main]

use libfuzzer_sys::fuzz_target;
use uala::ingest::discover::{Bytes, FoundFile, expand};

const CAP: u64 = 1 << 20;

fuzz_target!(|data: &[u8]| {
    let file = FoundFile {
        fs_path: "fuzz.bin".into(),
        display: "fuzz.bin".into(),
    };
    for input in expand(&file, Bytes::Owned(data.to_vec()), CAP) {
        match input {
            Ok(input) => {
                assert!(input.display.starts_with("fuzz.bin"));
                if input.container.is_some() {
                    assert!(input.bytes.len() as u64 <= CAP, "member over the cap");
                }
            }
            Err(unreadable) => assert!(!unreadable.reason.is_empty()),
        }
    }
});
