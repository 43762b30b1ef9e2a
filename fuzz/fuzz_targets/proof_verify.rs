//! The proof verifier on hostile proofs: a witness whose header hashes to the block hash given
//! (so verification reaches every account and slot proof, and a block body its roots), with nodes
//! the fuzzer chose. It never panics, and what it proves reads back only as the witness claimed.
#![no_main]

use alloy_primitives::keccak256;
use bounded_signer_simulator::proof::{verify, verify_block};
use bounded_signer_simulator::witness::Witness;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(witness) = Witness::from_bytes(data) else {
        return;
    };
    let Ok(state) = verify(&witness, keccak256(&witness.header)) else {
        return;
    };
    // A body that rebuilds the header's roots: the header names exactly these items.
    if verify_block(&witness.block, &state.header).is_ok() {
        let root = alloy_trie::root::ordered_trie_root_encoded(&witness.block.transactions);
        assert_eq!(root, state.header.transactions_root);
    }
    for account in &witness.accounts {
        assert_eq!(state.account(&account.address).ok().flatten(), account.state.as_ref());
        for slot in &account.storage {
            assert_eq!(state.storage(&account.address, &slot.slot), Ok(slot.value));
        }
    }
});
