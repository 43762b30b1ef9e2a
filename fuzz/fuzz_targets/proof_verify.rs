//! The proof verifier on hostile proofs: a witness whose header hashes to the block hash given
//! (so verification reaches every account and slot proof), with nodes the fuzzer chose. It never
//! panics, and what it proves reads back only as the witness claimed.
#![no_main]

use alloy_primitives::keccak256;
use bounded_signer_simulator::proof::verify;
use bounded_signer_simulator::witness::Witness;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(witness) = Witness::from_bytes(data) else {
        return;
    };
    let Ok(state) = verify(&witness, keccak256(&witness.header)) else {
        return;
    };
    for account in &witness.accounts {
        assert_eq!(state.account(&account.address).ok().flatten(), account.state.as_ref());
        for slot in &account.storage {
            assert_eq!(state.storage(&account.address, &slot.slot), Ok(slot.value));
        }
    }
});
