//! Whatever bytes arrive as a state witness, the decoder never panics, allocates no more than
//! the input holds, and accepts only the one canonical encoding of a witness that keeps the
//! structure's rules.
#![no_main]

use bounded_signer_simulator::witness::Witness;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(witness) = Witness::from_bytes(data) {
        assert_eq!(witness.to_bytes(), data);
        assert!(witness.validate().is_ok());
    }
});
