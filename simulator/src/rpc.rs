//! A node's JSON-RPC answers as witness entries, for the online collector and for the tests that
//! replay a real anvil's proofs. Behind the `rpc` feature: the ceremony binary reads witness
//! files and never a node's JSON.

use alloy_primitives::B256;
use alloy_rpc_types_eth::EIP1186AccountProofResponse;
use alloy_trie::{EMPTY_ROOT_HASH, KECCAK_EMPTY};

use crate::witness::{AccountProof, AccountState, SlotProof};

/// An EIP-1186 answer as a witness entry. An empty account is a proven absence: none can exist
/// in the state since EIP-161, and nodes disagree on how they spell one (anvil and reth answer
/// the empty code hash and storage root, geth zero hashes), so both spellings are absence; the
/// verifier then demands an exclusion proof.
pub fn account_entry(p: &EIP1186AccountProofResponse) -> AccountProof {
    let empty = p.nonce == 0
        && p.balance.is_zero()
        && (p.code_hash == KECCAK_EMPTY || p.code_hash == B256::ZERO)
        && (p.storage_hash == EMPTY_ROOT_HASH || p.storage_hash == B256::ZERO);
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
    storage.dedup_by_key(|s| s.slot);
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
