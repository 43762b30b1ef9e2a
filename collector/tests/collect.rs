//! The collector against a real node's recorded answers (`simulator/tests/fixtures/
//! anvil-upgrade.json`: an OpenZeppelin 5 `ProxyAdmin.upgradeAndCall` on anvil, with anvil's
//! proofs of everything its prestateTracer saw the transaction read). Asked one answer at a time,
//! the collector must find exactly what anvil's own tracer found, no more and no less, and the
//! witness it writes must replay to anvil's outcome. A node that answers wrongly is refused.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};

use alloy_primitives::{Address, B256, Bytes, U256, hex, keccak256};
use alloy_rpc_types_eth::{Block as RpcBlock, EIP1186AccountProofResponse};
use bounded_signer_simulator::proof::Unproven;
use bounded_signer_simulator::replay::{Overrides, ReplayError, Status, TxSpec, fork_for, replay};
use bounded_signer_witness::collect::{Block, CollectError, collect};
use bounded_signer_witness::node::{Node, NodeError};
use serde_json::Value;

/// Answers from the recorded proofs: each request gets only the slots it asked for, and asking
/// for a slot anvil's tracer never saw is an error (the collector must not need it).
struct Recorded {
    proofs: BTreeMap<Address, EIP1186AccountProofResponse>,
    codes: BTreeMap<B256, Bytes>,
    asked: Vec<(Address, Vec<B256>)>,
    lie: Option<Address>,
}

impl Node for Recorded {
    fn proof(&mut self, address: Address, slots: &[B256]) -> Result<EIP1186AccountProofResponse, NodeError> {
        self.asked.push((address, slots.to_vec()));
        let full = self.proofs.get(&address).ok_or_else(|| NodeError::Request {
            what: format!("eth_getProof({address})"),
            why: "not recorded".into(),
        })?;
        let mut answer = full.clone();
        answer.storage_proof.retain(|s| slots.contains(&s.key.as_b256()));
        if answer.storage_proof.len() != slots.len() {
            return Err(NodeError::Request {
                what: format!("eth_getProof({address}, {slots:?})"),
                why: "not recorded".into(),
            });
        }
        if self.lie == Some(address) {
            answer.balance += U256::from(1);
        }
        Ok(answer)
    }

    fn code(&mut self, address: Address) -> Result<Bytes, NodeError> {
        let hash = self.proofs[&address].code_hash;
        Ok(self.codes.get(&hash).cloned().unwrap_or_default())
    }
}

fn quantity(v: &Value) -> u128 {
    u128::from_str_radix(v.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
}

fn address(v: &Value) -> Address {
    v.as_str().unwrap().parse().unwrap()
}

struct Fixture {
    doc: Value,
    block: Block,
    node: Recorded,
    tx: TxSpec,
}

fn fixture() -> Fixture {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../simulator/tests/fixtures/anvil-upgrade.json"
    ))
    .unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let parent: RpcBlock = serde_json::from_value(doc["parent"].clone()).unwrap();
    let proofs: Vec<EIP1186AccountProofResponse> = serde_json::from_value(doc["proofs"].clone()).unwrap();
    let codes = doc["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| Bytes::from(hex::decode(c.as_str().unwrap()).unwrap()))
        .map(|c| (keccak256(&c), c))
        .collect();
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
    let block = Block {
        header: alloy_rlp::encode(&parent.header.inner),
        hash: parent.header.hash,
        timestamp: doc["timestamp"].as_u64().unwrap(),
        body: Default::default(),
    };
    let node = Recorded {
        proofs: proofs.into_iter().map(|p| (p.address, p)).collect(),
        codes,
        asked: Vec::new(),
        lie: None,
    };
    Fixture { doc, block, node, tx }
}

fn run_tx(
    tx: &TxSpec,
) -> impl FnMut(&bounded_signer_simulator::proof::ProvenState) -> Result<Status, Unproven> + '_ {
    move |state| match replay(state, tx, fork_for(31337, state.timestamp), &Overrides::default()) {
        Ok(outcome) => Ok(outcome.status),
        Err(ReplayError::Incomplete(missing)) => Err(missing),
        Err(other) => panic!("{other}"),
    }
}

#[test]
fn the_collector_finds_exactly_what_anvils_tracer_saw_and_the_witness_replays() {
    let Fixture { doc, block, mut node, tx } = fixture();
    let seeds = [(Address::ZERO, vec![]), (tx.caller, vec![])];
    let collected = collect(&mut node, &block, &seeds, run_tx(&tx)).unwrap();
    assert_eq!(collected.result, Status::Success);
    // What anvil's prestateTracer saw: every account, and every slot of each.
    let traced: BTreeSet<(Address, Option<B256>)> = doc["prestate"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(a, v)| {
            let a: Address = a.parse().unwrap();
            let slots: Vec<B256> = v
                .get("storage")
                .and_then(Value::as_object)
                .map(|s| s.keys().map(|k| k.parse().unwrap()).collect())
                .unwrap_or_default();
            std::iter::once((a, None)).chain(slots.into_iter().map(move |s| (a, Some(s))))
        })
        .collect();
    let collected_set: BTreeSet<(Address, Option<B256>)> = collected
        .witness
        .accounts
        .iter()
        .flat_map(|a| {
            std::iter::once((a.address, None)).chain(a.storage.iter().map(|s| (a.address, Some(s.slot))))
        })
        .collect();
    assert_eq!(collected_set, traced);
    // One answer per account and per slot, and one per code: nothing asked twice.
    let codes = collected.witness.codes.len();
    assert_eq!(collected.requests, traced.len() + codes, "{:?}", node.asked);
    // The witness is canonical and proves against the block hash.
    let bytes = collected.witness.to_bytes();
    let again = bounded_signer_simulator::witness::Witness::from_bytes(&bytes).unwrap();
    bounded_signer_simulator::proof::verify(&again, block.hash).unwrap();
}

#[test]
fn a_node_whose_answers_do_not_prove_is_refused() {
    let Fixture { block, mut node, tx, .. } = fixture();
    node.lie = Some(tx.to);
    let seeds = [(Address::ZERO, vec![])];
    match collect(&mut node, &block, &seeds, run_tx(&tx)) {
        Err(CollectError::Unprovable(e)) => assert!(e.to_string().contains(&tx.to.to_string()), "{e}"),
        Err(other) => panic!("{other}"),
        Ok(_) => panic!("a lying node's witness was accepted"),
    }
    // Another block's hash: every answer fails against the header the collector was given.
    let Fixture { block, mut node, tx, .. } = fixture();
    let other = Block { hash: B256::repeat_byte(7), ..block };
    assert!(matches!(collect(&mut node, &other, &[], run_tx(&tx)), Err(CollectError::Unprovable(_))));
}

#[test]
fn a_node_that_never_answers_what_is_missing_stops_the_collector() {
    let Fixture { block, mut node, tx, .. } = fixture();
    // The node drops the ProxyAdmin's account from its records: the collector names the request.
    node.proofs.remove(&tx.to);
    match collect(&mut node, &block, &[], run_tx(&tx)) {
        Err(CollectError::Node(NodeError::Request { what, .. })) => {
            assert!(what.contains(&tx.to.to_string()))
        }
        Err(other) => panic!("{other}"),
        Ok(_) => panic!("collected without the called account"),
    }
}
