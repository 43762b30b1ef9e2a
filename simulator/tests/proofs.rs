//! The proof verifier on proofs a real node made (`fixtures/anvil-proofs.json`, from anvil by
//! `tests/e2e/witness_fixture.cjs`): the witness built from them proves, and every way of
//! lying about them is caught: a flipped proof byte, a changed value, a header of another
//! block, a slot or account that is not there, a code no account holds.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use alloy_primitives::{Address, B256, U256, address, keccak256};
use alloy_rpc_types_eth::{Block, EIP1186AccountProofResponse};
use alloy_trie::{EMPTY_ROOT_HASH, KECCAK_EMPTY};
use bounded_signer_simulator::proof::{Unproven, WitnessInvalid, verify};
use bounded_signer_simulator::rpc::account_entry as entry;
use bounded_signer_simulator::witness::{AccountProof, AccountState, BlockBody, Witness};

const CONTRACT: Address = address!("00000000000000000000000000000000c0ffee01");
const FUNDED: Address = address!("00000000000000000000000000000000000f00d1");
const ABSENT: Address = address!("0000000000000000000000000000000000dead02");

struct Fixture {
    witness: Witness,
    hash: B256,
}

fn fixture() -> Fixture {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/anvil-proofs.json"))
            .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let block: Block = serde_json::from_value(doc["block"].clone()).unwrap();
    let proofs: Vec<EIP1186AccountProofResponse> = serde_json::from_value(doc["proofs"].clone()).unwrap();
    let code = alloy_primitives::hex::decode(doc["code"].as_str().unwrap()).unwrap();
    let mut accounts: Vec<AccountProof> = proofs.iter().map(entry).collect();
    accounts.sort_by_key(|a| a.address);
    let witness = Witness {
        header: alloy_rlp::encode(&block.header.inner),
        timestamp: block.header.inner.timestamp + 12,
        accounts,
        codes: vec![code],
        block: BlockBody::default(),
    };
    Fixture { witness, hash: block.header.hash }
}

#[test]
fn a_real_nodes_proofs_prove_every_value_and_every_absence() {
    let Fixture { witness, hash } = fixture();
    witness.validate().unwrap();
    let state = verify(&witness, hash).unwrap();
    assert_eq!(state.block_hash, hash);
    // The contract: its slots as anvil set them, its code, a slot never written is zero.
    let slot0 = B256::ZERO;
    assert_eq!(state.storage(&CONTRACT, &slot0).unwrap(), U256::from(1000));
    assert_eq!(
        state.code(&CONTRACT).unwrap().as_ref(),
        [0x60, 0x00, 0x54, 0x60, 0x00, 0x52, 0x60, 0x20, 0x60, 0x00, 0xf3]
    );
    let never = B256::with_last_byte(0x99) | B256::left_padding_from(&[0x09, 0x99]);
    assert_eq!(state.storage(&CONTRACT, &never).unwrap(), U256::ZERO, "proven absent");
    // A slot the witness does not carry is unproven, never zero.
    let unlisted = B256::with_last_byte(5);
    assert_eq!(state.storage(&CONTRACT, &unlisted), Err(Unproven::Slot(CONTRACT, unlisted)));
    // The funded account: its balance; no code, no storage (so any slot is a proven zero).
    let funded = state.account(&FUNDED).unwrap().unwrap();
    assert_eq!(funded.balance, U256::from(100_000_000_000_000_000_000u128));
    assert_eq!(state.storage(&FUNDED, &unlisted).unwrap(), U256::ZERO);
    assert!(state.code(&FUNDED).unwrap().is_empty());
    // The absent account: proven absent.
    assert_eq!(state.account(&ABSENT).unwrap(), None);
    // An account the witness does not name.
    let other = address!("00000000000000000000000000000000000000aa");
    assert_eq!(state.account(&other), Err(Unproven::Account(other)));
}

/// The witness file of the fixture, committed beside it (it seeds the fuzz targets); rewritten
/// with `BLESS=1`.
const WITNESS_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/anvil.witness");

#[test]
fn the_witness_round_trips_canonically_and_is_the_committed_file() {
    let Fixture { witness, .. } = fixture();
    let bytes = witness.to_bytes();
    assert_eq!(Witness::from_bytes(&bytes).unwrap(), witness);
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(WITNESS_FILE, &bytes).unwrap();
    }
    assert_eq!(
        std::fs::read(WITNESS_FILE).unwrap(),
        bytes,
        "run with BLESS=1 after regenerating the fixture"
    );
}

#[test]
fn every_proof_byte_matters() {
    let Fixture { witness, hash } = fixture();
    let mut flipped = 0;
    for a in 0..witness.accounts.len() {
        let nodes = witness.accounts[a].proof.len();
        for n in 0..nodes {
            // The node's first and a middle byte of each node.
            for at in [0, witness.accounts[a].proof[n].len() / 2] {
                let mut w = witness.clone();
                w.accounts[a].proof[n][at] ^= 0x01;
                assert!(
                    matches!(verify(&w, hash), Err(WitnessInvalid::Account { .. })),
                    "account {a} node {n} byte {at}"
                );
                flipped += 1;
            }
        }
        for s in 0..witness.accounts[a].storage.len() {
            for n in 0..witness.accounts[a].storage[s].proof.len() {
                let mut w = witness.clone();
                let node = &mut w.accounts[a].storage[s].proof[n];
                let at = node.len() / 2;
                node[at] ^= 0x80;
                assert!(matches!(verify(&w, hash), Err(WitnessInvalid::Slot { .. })), "slot {s} node {n}");
                flipped += 1;
            }
        }
    }
    assert!(flipped >= 12, "{flipped} flips");
}

#[test]
fn lies_about_values_headers_and_code_are_caught() {
    let Fixture { witness, hash } = fixture();
    let contract = witness.accounts.iter().position(|a| a.address == CONTRACT).unwrap();
    // A slot value changed.
    let mut w = witness.clone();
    w.accounts[contract].storage[0].value += U256::from(1);
    assert!(matches!(verify(&w, hash), Err(WitnessInvalid::Slot { .. })));
    // A balance changed.
    let mut w = witness.clone();
    let funded = w.accounts.iter().position(|a| a.address == FUNDED).unwrap();
    if let Some(s) = &mut w.accounts[funded].state {
        s.balance += U256::from(1);
    }
    assert!(matches!(verify(&w, hash), Err(WitnessInvalid::Account { address: FUNDED, .. })));
    // An absent account claimed present, and a present one claimed absent.
    let mut w = witness.clone();
    let absent = w.accounts.iter().position(|a| a.address == ABSENT).unwrap();
    w.accounts[absent].state = Some(AccountState {
        nonce: 0,
        balance: U256::from(1),
        storage_root: EMPTY_ROOT_HASH,
        code_hash: KECCAK_EMPTY,
    });
    assert!(matches!(verify(&w, hash), Err(WitnessInvalid::Account { address: ABSENT, .. })));
    let mut w = witness.clone();
    w.accounts[funded].state = None;
    assert!(matches!(verify(&w, hash), Err(WitnessInvalid::Account { address: FUNDED, .. })));
    // The header of another block, or the right header under another hash.
    let other = keccak256(b"another block");
    assert!(matches!(verify(&witness, other), Err(WitnessInvalid::HeaderHash { .. })));
    let mut w = witness.clone();
    let last = w.header.len() - 1;
    w.header[last] ^= 1;
    assert!(matches!(verify(&w, hash), Err(WitnessInvalid::HeaderHash { .. })));
    // A code no proven account holds; and the contract's code left out is unproven when read.
    let mut w = witness.clone();
    w.codes.push(vec![0x00]);
    w.codes.sort_by_key(|c| keccak256(c));
    assert!(matches!(verify(&w, hash), Err(WitnessInvalid::UnprovenCode { .. })));
    let mut w = witness;
    w.codes.clear();
    let state = verify(&w, hash).unwrap();
    assert_eq!(state.code(&CONTRACT), Err(Unproven::Code(CONTRACT)));
}

/// A collector gathers entries as the replay asks for them: in any order, an account twice with
/// different slots, a code twice. Assembled, they are the one canonical witness.
#[test]
fn entries_gathered_in_any_order_assemble_into_the_canonical_witness() {
    let Fixture { witness, hash } = fixture();
    let mut pieces = Vec::new();
    for account in witness.accounts.iter().rev() {
        let mut first = account.clone();
        let second =
            AccountProof { storage: first.storage.split_off(first.storage.len() / 2), ..account.clone() };
        pieces.push(second);
        pieces.push(first.clone());
        pieces.push(first);
    }
    let codes = witness.codes.iter().chain(&witness.codes).rev().cloned();
    let assembled =
        Witness::assemble(witness.header.clone(), witness.timestamp, pieces, codes, BlockBody::default());
    assert_eq!(assembled, witness);
    assert_eq!(Witness::from_bytes(&assembled.to_bytes()).unwrap(), witness);
    verify(&assembled, hash).unwrap();
}

/// geth spells an account that does not exist with zero code hash and storage root; anvil and
/// reth with the empty ones. Both are the same absence.
#[test]
fn both_spellings_of_an_absent_account_are_absence() {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/anvil-proofs.json"))
            .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let proofs: Vec<EIP1186AccountProofResponse> = serde_json::from_value(doc["proofs"].clone()).unwrap();
    let absent = proofs.iter().find(|p| p.address == ABSENT).unwrap();
    assert_eq!(entry(absent).state, None);
    let geth =
        EIP1186AccountProofResponse { code_hash: B256::ZERO, storage_hash: B256::ZERO, ..absent.clone() };
    assert_eq!(entry(&geth).state, None);
    // A nonce makes it an account, whatever the hashes say.
    let present = EIP1186AccountProofResponse { nonce: 1, ..geth };
    assert!(entry(&present).state.is_some());
}
