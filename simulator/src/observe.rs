//! What a replay observes for the gate, on proven state: the checked transaction run from its
//! sender, then every read the manifest's gate names (`authority` before and after, `code`, the
//! action's `expect` slots). The ceremony hands the result to the policy core to judge; the
//! online collector runs the same reads to learn what the witness must prove, so the two can
//! never disagree on what is read.

use alloy_consensus::Transaction as _;
use alloy_primitives::{Address, B256, Bytes, U256};
use firmware_policy::manifest::Authority;
use firmware_policy::{DecodedTx, Manifest, Observed, ObservedChange, ObservedLog, SimStatus};

use crate::proof::{ProvenState, Unproven};
use crate::replay::{self, Outcome, Overrides, ReplayError, Status, TxSpec};

/// What the gate observed, for the core to judge, and the replay it observed it in, with every
/// value before and after, for the signer to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observation {
    /// What the core judges.
    pub observed: Observed,
    /// The replay; `None` when the transaction is not valid on the state (nothing ran).
    pub replay: Option<Outcome>,
}

/// What the gate of `action` of `m` observes when `tx` is sent by `sender` on `state`: `Err`
/// only when the replay or a gate read needs what the witness does not prove. A transaction
/// that is not valid on the state (nonce, balance, fees) is observed as halted, with why.
pub fn observe(
    state: &ProvenState,
    m: &Manifest,
    action: usize,
    tx: &DecodedTx,
    sender: Address,
) -> Result<Observation, Unproven> {
    match measure(state, m, action, &spec_of(tx, sender)) {
        Ok((observed, outcome)) => Ok(Observation { observed, replay: Some(outcome) }),
        Err(ReplayError::Incomplete(what)) => Err(what),
        Err(ReplayError::InvalidTransaction(why)) => Ok(Observation {
            replay: None,
            observed: Observed {
                block_hash: state.block_hash,
                status: SimStatus::Halted(format!("the transaction is not valid on this state: {why}")),
                gas_used: 0,
                logs: Vec::new(),
                changes: Vec::new(),
                sender,
                authority_before: Vec::new(),
                authority_after: Vec::new(),
                code_hashes: Vec::new(),
                expected_slots_after: Vec::new(),
            },
        }),
    }
}

/// The transaction as `sender` will send it.
pub fn spec_of(tx: &DecodedTx, sender: Address) -> TxSpec {
    TxSpec {
        tx_type: tx.tx_type() as u8,
        caller: sender,
        to: tx.to().unwrap_or_default(),
        value: tx.value(),
        data: Bytes::copy_from_slice(tx.input()),
        gas_limit: tx.gas_limit(),
        nonce: tx.nonce(),
        chain_id: tx.chain_id(),
        max_fee_per_gas: tx.gas_price().or(tx.max_fee_per_gas()).unwrap_or_default(),
        max_priority_fee_per_gas: tx.max_priority_fee_per_gas(),
        access_list: tx
            .inner()
            .access_list()
            .map(|list| list.0.iter().map(|i| (i.address, i.storage_keys.clone())).collect())
            .unwrap_or_default(),
    }
}

/// A slot's value after the replay: its write, else its proven value.
fn slot_after(
    state: &ProvenState,
    outcome: &Outcome,
    address: &Address,
    slot: &B256,
) -> Result<U256, ReplayError> {
    if let Some(change) = outcome.diff.get(address).and_then(|c| c.slots.iter().find(|s| s.slot == *slot)) {
        return Ok(change.after);
    }
    state.storage(address, slot).map_err(ReplayError::Incomplete)
}

fn measure(
    state: &ProvenState,
    m: &Manifest,
    action: usize,
    tx: &TxSpec,
) -> Result<(Observed, Outcome), ReplayError> {
    let spec = replay::fork_for(m.chain_id, state.timestamp);
    let outcome = replay::replay(state, tx, spec, &Overrides::default())?;
    let after = Overrides {
        storage: outcome
            .diff
            .iter()
            .flat_map(|(a, c)| c.slots.iter().map(move |s| (*a, s.slot, s.after)))
            .collect(),
        no_balance_check: false,
    };
    let none = Overrides::default();
    let read = |entry: &Authority, after_it: bool| -> Result<Result<Vec<u8>, String>, ReplayError> {
        Ok(match entry {
            // What the witness does not prove is incomplete, never a mismatch.
            Authority::Slot(s) => {
                let value = if after_it {
                    slot_after(state, &outcome, &s.address, &s.slot)?
                } else {
                    state.storage(&s.address, &s.slot).map_err(ReplayError::Incomplete)?
                };
                Ok(value.to_be_bytes::<32>().to_vec())
            }
            Authority::Call(c) => {
                let overrides = if after_it { &after } else { &none };
                replay::view_call(state, spec, overrides, c.on, &c.calldata)?.map(|b| b.to_vec())
            }
        })
    };
    let mut authority_before = Vec::with_capacity(m.authority.len());
    let mut authority_after = Vec::with_capacity(m.authority.len());
    for entry in &m.authority {
        authority_before.push(read(entry, false)?);
        authority_after.push(read(entry, true)?);
    }
    let code_hashes = m
        .code
        .iter()
        .map(|c| {
            let changed = outcome.diff.get(&c.address).and_then(|d| d.code_hash).map(|(_, h)| h);
            let before = state.account(&c.address).map_err(ReplayError::Incomplete)?.map(|s| s.code_hash);
            Ok(changed.or(before).filter(|h| *h != alloy_primitives::KECCAK256_EMPTY))
        })
        .collect::<Result<Vec<_>, ReplayError>>()?;
    let expected = m.actions.get(action).map(|a| a.expect.slots.as_slice()).unwrap_or_default();
    let expected_slots_after = expected
        .iter()
        .map(|s| slot_after(state, &outcome, &s.address, &s.slot).map(|v| Ok(B256::from(v))))
        .collect::<Result<Vec<_>, ReplayError>>()?;
    let status = sim_status(&outcome.status);
    let observed = Observed {
        block_hash: state.block_hash,
        status,
        gas_used: outcome.gas_used,
        logs: outcome
            .logs
            .iter()
            .map(|l| ObservedLog {
                emitter: l.address,
                topics: l.topics().to_vec(),
                data: l.data.data.to_vec(),
            })
            .collect(),
        changes: outcome
            .diff
            .iter()
            .map(|(address, c)| ObservedChange {
                address: *address,
                balance: c.balance.is_some(),
                nonce: c.nonce.is_some(),
                code: c.code_hash.is_some(),
                slots: c.slots.iter().map(|s| (s.slot, B256::from(s.before), B256::from(s.after))).collect(),
            })
            .collect(),
        sender: tx.caller,
        authority_before,
        authority_after,
        code_hashes,
        expected_slots_after,
    };
    Ok((observed, outcome))
}

/// How a replay ended, as the core judges it: a revert's data decoded for people.
pub fn sim_status(status: &Status) -> SimStatus {
    match status {
        Status::Success => SimStatus::Success,
        Status::Reverted(data) => SimStatus::Reverted(revert_reason(data)),
        Status::Halted(why) => SimStatus::Halted(why.clone()),
    }
}

/// A revert's data for people: `Error(string)`, `Panic(uint256)`, or the custom error's selector
/// and its arguments as hex.
pub fn revert_reason(data: &[u8]) -> String {
    if let Some(reason) = alloy_sol_types::decode_revert_reason(data) {
        return reason;
    }
    match data.get(..4) {
        Some(selector) => format!(
            "custom error 0x{} with 0x{}",
            alloy_primitives::hex::encode(selector),
            alloy_primitives::hex::encode(data.get(4..).unwrap_or_default())
        ),
        None if data.is_empty() => "no revert data".into(),
        None => format!("0x{}", alloy_primitives::hex::encode(data)),
    }
}
