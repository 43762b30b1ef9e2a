//! Valid frames in any order, repeated or missing: the receiver's elimination either holds the
//! very bytes sent or says it has too few parts; never other bytes, never a panic.
#![no_main]

use bounded_signer::airgap::{Receiver, parts};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [fragment, split, rest @ ..] = data else { return };
    let (file, picks) = rest.split_at(usize::from(*split).min(rest.len()));
    if file.is_empty() {
        return;
    }
    let fragment_len = usize::from(*fragment % 64) + 1;
    let Ok(sent) = parts(file, fragment_len, 3 * file.len().div_ceil(fragment_len) + 8) else { return };
    let mut r = Receiver::default();
    for pick in picks {
        r.receive(&sent[usize::from(*pick) % sent.len()]).expect("a valid part is taken");
    }
    if r.complete() {
        assert_eq!(r.file().expect("assembles"), file);
    }
});
