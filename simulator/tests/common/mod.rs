//! Test helpers shared by the simulator's integration tests.
#![allow(dead_code)]

use alloy_rpc_types_eth::EIP1186AccountProofResponse;
use alloy_trie::{EMPTY_ROOT_HASH, KECCAK_EMPTY};
use bounded_signer_simulator::witness::{AccountProof, AccountState, SlotProof};

/// An EIP-1186 response as a witness entry: an empty account is a proven absence (none can
/// exist since EIP-161).
pub(crate) fn entry(p: &EIP1186AccountProofResponse) -> AccountProof {
    let empty = p.nonce == 0
        && p.balance.is_zero()
        && p.code_hash == KECCAK_EMPTY
        && p.storage_hash == EMPTY_ROOT_HASH;
    let mut storage: Vec<SlotProof> = p
        .storage_proof
        .iter()
        .map(|s| SlotProof {
            slot: s.key.as_b256(),
            value: s.value,
            proof: s.proof.iter().map(|n| n.to_vec()).collect(),
        })
        .collect();
    storage.sort_by_key(|s| s.slot);
    AccountProof {
        address: p.address,
        state: (!empty).then_some(AccountState {
            nonce: p.nonce,
            balance: p.balance,
            storage_root: p.storage_hash,
            code_hash: p.code_hash,
        }),
        proof: p.account_proof.iter().map(|n| n.to_vec()).collect(),
        storage,
    }
}
