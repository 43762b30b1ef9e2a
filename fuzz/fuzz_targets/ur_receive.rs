//! Whatever lines arrive as UR parts, the receiver never panics: each line is taken or refused
//! with a reason, and an assembled file is returned or refused (its checksum, its CBOR head).
#![no_main]

use bounded_signer::airgap::Receiver;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut r = Receiver::default();
    for line in text.lines().take(64) {
        if r.receive(line).is_err() {
            continue;
        }
        if r.complete() {
            let _ = r.file();
            break;
        }
    }
});
