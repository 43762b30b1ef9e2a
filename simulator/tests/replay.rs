//! The offline replay against a real node's execution (`fixtures/anvil-upgrade.json`, from anvil
//! by `tests/e2e/replay_fixture.cjs`): an OpenZeppelin 5 ProxyAdmin's `upgradeAndCall`, replayed
//! on the parent block's proven state at the timestamp anvil mined it at, gives anvil's status,
//! gas, logs and state changes. A witness missing what the transaction reads stops the replay as
//! incomplete.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use alloy_primitives::{Address, B256, Bytes, U256, hex};
use alloy_rpc_types_eth::{Block, EIP1186AccountProofResponse};
use bounded_signer_simulator::proof::{ProvenState, Unproven, verify};
use bounded_signer_simulator::replay::{Overrides, ReplayError, Status, TxSpec, fork_for, replay};
use bounded_signer_simulator::witness::{AccountProof, BlockBody, Witness};
use revm::primitives::hardfork::SpecId;
use serde_json::Value;

struct Fixture {
    doc: Value,
    witness: Witness,
    hash: B256,
    tx: TxSpec,
}

fn quantity(v: &Value) -> u128 {
    u128::from_str_radix(v.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
}

fn address(v: &Value) -> Address {
    v.as_str().unwrap().parse().unwrap()
}

fn fixture() -> Fixture {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/anvil-upgrade.json"))
            .unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let parent: Block = serde_json::from_value(doc["parent"].clone()).unwrap();
    let proofs: Vec<EIP1186AccountProofResponse> = serde_json::from_value(doc["proofs"].clone()).unwrap();
    let mut accounts: Vec<AccountProof> =
        proofs.iter().map(bounded_signer_simulator::rpc::account_entry).collect();
    accounts.sort_by_key(|a| a.address);
    let mut codes: Vec<Vec<u8>> =
        doc["codes"].as_array().unwrap().iter().map(|c| hex::decode(c.as_str().unwrap()).unwrap()).collect();
    codes.sort_by_key(|c| alloy_primitives::keccak256(c));
    codes.dedup();
    let witness = Witness {
        header: alloy_rlp::encode(&parent.header.inner),
        timestamp: doc["timestamp"].as_u64().unwrap(),
        accounts,
        codes,
        block: BlockBody::default(),
    };
    let t = &doc["tx"];
    let tx = TxSpec {
        tx_type: 2,
        caller: address(&t["from"]),
        to: address(&t["to"]),
        value: U256::ZERO,
        data: Bytes::from(hex::decode(t["data"].as_str().unwrap()).unwrap()),
        gas_limit: u64::try_from(quantity(&t["gas"])).unwrap(),
        nonce: u64::try_from(quantity(&t["nonce"])).unwrap(),
        chain_id: Some(31337),
        max_fee_per_gas: quantity(&t["maxFeePerGas"]),
        max_priority_fee_per_gas: Some(quantity(&t["maxPriorityFeePerGas"])),
        access_list: vec![],
    };
    Fixture { hash: parent.header.hash, doc, witness, tx }
}

fn spec(f: &Fixture) -> SpecId {
    fork_for(31337, f.witness.timestamp)
}

fn proven(f: &Fixture) -> ProvenState {
    verify(&f.witness, f.hash).unwrap()
}

/// The fixture's witness file, committed beside it for the ceremony binary's tests; rewritten
/// with `BLESS=1`.
const WITNESS_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/anvil-upgrade.witness");

#[test]
fn the_witness_file_is_the_fixtures() {
    let bytes = fixture().witness.to_bytes();
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
fn a_view_call_reads_the_proven_state() {
    let f = fixture();
    let admin = address(&f.doc["addresses"]["admin"]);
    let owner = address(&f.doc["addresses"]["owner"]);
    let got = bounded_signer_simulator::replay::view_call(
        &proven(&f),
        spec(&f),
        &Overrides::default(),
        admin,
        &[0x8d, 0xa5, 0xcb, 0x5b],
    )
    .unwrap()
    .unwrap();
    assert_eq!(got.as_ref(), owner.into_word().as_slice());
}

#[test]
fn the_replay_does_what_anvil_did() {
    let f = fixture();
    // anvil's default fork, which is the one the replay takes for a chain without a schedule.
    assert_eq!(spec(&f), SpecId::OSAKA);
    let outcome = replay(&proven(&f), &f.tx, spec(&f), &Overrides::default()).unwrap();
    let receipt = &f.doc["receipt"];
    assert_eq!(outcome.status, Status::Success);
    assert_eq!(u128::from(outcome.gas_used), quantity(&receipt["gasUsed"]));
    assert_eq!(
        u128::from(outcome.block.basefee),
        quantity(&f.doc["receipt"]["effectiveGasPrice"]) - quantity(&f.doc["tx"]["maxPriorityFeePerGas"])
    );
    // The logs, in order, exactly.
    let logs: Vec<(Address, Vec<B256>, Bytes)> = receipt["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                address(&l["address"]),
                l["topics"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| t.as_str().unwrap().parse().unwrap())
                    .collect(),
                Bytes::from(hex::decode(l["data"].as_str().unwrap()).unwrap()),
            )
        })
        .collect();
    let replayed: Vec<(Address, Vec<B256>, Bytes)> =
        outcome.logs.iter().map(|l| (l.address, l.topics().to_vec(), l.data.data.clone())).collect();
    assert_eq!(replayed, logs);
    assert!(!logs.is_empty());
    // Every account's balance, nonce and slots after it, as anvil reports them.
    let post = f.doc["post"].as_object().unwrap();
    let state = proven(&f);
    let mut changed = BTreeMap::new();
    for (a, after) in post {
        let a: Address = a.parse().unwrap();
        let before = state.account(&a).unwrap().copied();
        let change = outcome.diff.get(&a).cloned().unwrap_or_default();
        let balance = change.balance.map_or(before.map_or(U256::ZERO, |s| s.balance), |(_, b)| b);
        assert_eq!(balance, U256::from(quantity(&after["balance"])), "{a} balance");
        let nonce = change.nonce.map_or(before.map_or(0, |s| s.nonce), |(_, n)| n);
        assert_eq!(nonce, after["nonce"].as_u64().unwrap(), "{a} nonce");
        for (slot, value) in after["storage"].as_object().unwrap() {
            let slot: B256 = slot.parse().unwrap();
            let value = U256::from_be_bytes(value.as_str().unwrap().parse::<B256>().unwrap().0);
            let replayed = change.slots.iter().find(|s| s.slot == slot).map(|s| s.after);
            match (replayed, state.storage(&a, &slot)) {
                (Some(after), _) => assert_eq!(after, value, "{a} slot {slot} written"),
                (None, Ok(before)) => assert_eq!(before, value, "{a} slot {slot} kept"),
                // Neither read nor written by the replay (slot 0 of every account is listed to
                // catch a write anvil made): anvil must not have written it either, which the
                // diff comparison below checks by account.
                (None, Err(_)) => {}
            }
        }
        if change != Default::default() {
            changed.insert(a, change);
        }
    }
    // Nothing changed that anvil does not report: the diff is within the accounts it read.
    assert_eq!(outcome.diff.keys().collect::<Vec<_>>(), changed.keys().collect::<Vec<_>>());
    let proxy = address(&f.doc["addresses"]["proxy"]);
    let implementation: B256 =
        "0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc".parse().unwrap();
    let v2 = address(&f.doc["addresses"]["v2"]);
    let written = outcome.diff[&proxy].slots.iter().find(|s| s.slot == implementation).unwrap();
    assert_eq!(written.after, U256::from_be_bytes(v2.into_word().0));
}

#[test]
fn a_read_the_witness_does_not_prove_stops_the_replay() {
    let f = fixture();
    let proxy = address(&f.doc["addresses"]["proxy"]);
    let v2 = address(&f.doc["addresses"]["v2"]);
    // The proxy's implementation slot left out: the upgrade reads it before it writes it.
    let mut w = f.witness.clone();
    let at = w.accounts.iter().position(|a| a.address == proxy).unwrap();
    let implementation: B256 =
        "0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc".parse().unwrap();
    let i = w.accounts[at].storage.iter().position(|s| s.slot == implementation).unwrap();
    let slot = w.accounts[at].storage.remove(i).slot;
    let state = verify(&w, f.hash).unwrap();
    let e = replay(&state, &f.tx, spec(&f), &Overrides::default()).unwrap_err();
    assert_eq!(e, ReplayError::Incomplete(Unproven::Slot(proxy, slot)));
    // The new implementation left out: its code size is read.
    let mut w = f.witness.clone();
    let v2_code = w.accounts.iter().find(|a| a.address == v2).and_then(|a| a.state).unwrap().code_hash;
    w.accounts.retain(|a| a.address != v2);
    w.codes.retain(|c| alloy_primitives::keccak256(c) != v2_code);
    let state = verify(&w, f.hash).unwrap();
    let e = replay(&state, &f.tx, spec(&f), &Overrides::default()).unwrap_err();
    assert!(matches!(e, ReplayError::Incomplete(Unproven::Account(a)) if a == v2), "{e}");
}

#[test]
fn the_fork_follows_the_chains_schedule() {
    assert_eq!(fork_for(1, 1_746_612_310), SpecId::CANCUN);
    assert_eq!(fork_for(1, 1_746_612_311), SpecId::PRAGUE);
    assert_eq!(fork_for(1, 1_764_798_551), SpecId::OSAKA);
    assert_eq!(fork_for(11_155_111, 1_760_427_360), SpecId::OSAKA);
    assert_eq!(fork_for(31_337, 0), SpecId::OSAKA);
}
