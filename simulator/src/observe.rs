//! What a replay observes for the gate, on proven state: the checked transaction run from its
//! sender, then every read the manifest's gate names (`authority` before and after, `code`, the
//! action's `expect` slots). The ceremony hands the result to the policy core to judge; the
//! online collector runs the same reads to learn what the witness must prove, so the two can
//! never disagree on what is read.

use alloy_consensus::Transaction as _;
use alloy_primitives::{Address, B256, Bytes, U256};
use firmware_policy::manifest::Authority;
use firmware_policy::safe_tx::{SafeTxFields, exec_transaction_calldata};
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
    observe_spec(state, m, action, &spec_of(tx, sender), &Overrides::default())
}

/// The Safe's threshold: slot 4 of every Safe from 1.0.0 (`singleton`, `modules`, `owners`,
/// `ownerCount`, `threshold`, `nonce`).
pub const SAFE_THRESHOLD_SLOT: B256 = B256::with_last_byte(4);

/// topic 0 of the Safe's `ExecutionFailure(bytes32,uint256)`: its inner call failed (a Safe
/// transaction with `safeTxGas` or `gasPrice` set does not revert when it does).
const EXECUTION_FAILURE: B256 =
    alloy_primitives::b256!("23428b18acfb3ea64b08dc0c1d296ea9c09702c09083ca5272e64d115b687d23");

/// The transaction and overrides Safe tooling simulates a Safe transaction with before it has
/// its signatures: `execTransaction` sent to `safe` by `owner` with the owner's pre-validated
/// signature (v = 1: `msg.sender` is the owner), the Safe's threshold set to 1, and the owner's
/// balance unchecked. Nothing else is changed: the Safe's nonce, owners, guard and modules are
/// the proven ones.
pub fn safe_simulation(
    state: &ProvenState,
    safe: Address,
    fields: &SafeTxFields,
    owner: Address,
    chain_id: u64,
) -> Result<(TxSpec, Overrides), Unproven> {
    let nonce = state.account(&owner)?.map_or(0, |a| a.nonce);
    let mut signature = [0u8; 65];
    signature[12..32].copy_from_slice(owner.as_slice());
    signature[64] = 1;
    let block = replay::next_block(&state.header, state.timestamp);
    let spec = TxSpec {
        tx_type: 2,
        caller: owner,
        to: safe,
        value: U256::ZERO,
        data: Bytes::from(exec_transaction_calldata(fields, &signature)),
        // EIP-7825's cap on a transaction's gas (Osaka): what an executor could send at most.
        gas_limit: block.gas_limit.min(1 << 24),
        nonce,
        chain_id: Some(chain_id),
        max_fee_per_gas: u128::from(block.basefee),
        max_priority_fee_per_gas: Some(0),
        access_list: Vec::new(),
    };
    let overrides =
        Overrides { storage: vec![(safe, SAFE_THRESHOLD_SLOT, U256::from(1))], no_balance_check: true };
    Ok((spec, overrides))
}

/// What the gate of Safe `action` of `m` observes when `fields` are executed by `safe` as Safe
/// tooling simulates them ([`safe_simulation`], from the manifest Safe's first owner). An inner
/// call that fails without reverting (`ExecutionFailure`) is observed as reverted.
pub fn observe_safe(
    state: &ProvenState,
    m: &Manifest,
    action: usize,
    safe: Address,
    fields: &SafeTxFields,
) -> Result<(Observation, Overrides), Unproven> {
    let owner = m.safe(&safe).and_then(|d| d.owners.first().copied()).unwrap_or_default();
    let (spec, overrides) = safe_simulation(state, safe, fields, owner, m.chain_id)?;
    let mut observation = observe_spec(state, m, action, &spec, &overrides)?;
    let failed = observation
        .observed
        .logs
        .iter()
        .any(|l| l.emitter == safe && l.topics.first() == Some(&EXECUTION_FAILURE));
    if failed && observation.observed.status == SimStatus::Success {
        observation.observed.status =
            SimStatus::Reverted("the Safe's inner call failed (ExecutionFailure)".into());
    }
    Ok((observation, overrides))
}

/// [`observe`] of a transaction spec run over `overrides`.
pub fn observe_spec(
    state: &ProvenState,
    m: &Manifest,
    action: usize,
    tx: &TxSpec,
    overrides: &Overrides,
) -> Result<Observation, Unproven> {
    let sender = tx.caller;
    match measure(state, m, action, tx, overrides) {
        Ok((observed, outcome)) => Ok(Observation { observed, replay: Some(outcome) }),
        Err(ReplayError::Incomplete(what)) => Err(what),
        Err(ReplayError::InvalidTransaction(why)) => Ok(Observation {
            replay: None,
            observed: Observed {
                block_hash: state.block_hash,
                status: not_valid(&why),
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

/// What the state after an executed block holds of the gate's entries: the matched action's
/// expected slots and each `authority` entry (`verify-execution`'s reads).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostState {
    /// Each of the action's expected slots, in its order.
    pub expected_slots_after: Vec<Result<B256, String>>,
    /// Each `authority` entry, in manifest order.
    pub authority_after: Vec<firmware_policy::AuthorityReading>,
}

/// Reads [`PostState`] for `action` of `m` on `state` (proven at the block the transaction ran
/// in): slots as proven, view calls run in the block after it. `Err` when the witness does not
/// prove what is read; the online collector (`--after`) gathers exactly these reads.
pub fn post_state(state: &ProvenState, m: &Manifest, action: Option<usize>) -> Result<PostState, Unproven> {
    let spec = replay::fork_for(m.chain_id, state.timestamp);
    let slots = action.and_then(|i| m.actions.get(i)).map(|a| a.expect.slots.as_slice()).unwrap_or_default();
    let expected_slots_after = slots
        .iter()
        .map(|s| state.storage(&s.address, &s.slot).map(|v| Ok(B256::from(v))))
        .collect::<Result<_, _>>()?;
    let none = Overrides::default();
    let authority_after = m
        .authority
        .iter()
        .map(|entry| match entry {
            Authority::Slot(s) => {
                state.storage(&s.address, &s.slot).map(|v| Ok(v.to_be_bytes::<32>().to_vec()))
            }
            Authority::Call(c) => match replay::view_call(state, spec, &none, c.on, &c.calldata) {
                Ok(result) => Ok(result.map(|b| b.to_vec())),
                Err(ReplayError::Incomplete(missing)) => Err(missing),
                Err(ReplayError::InvalidTransaction(why)) => Ok(Err(why)),
            },
        })
        .collect::<Result<_, _>>()?;
    Ok(PostState { expected_slots_after, authority_after })
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
    overrides: &Overrides,
) -> Result<(Observed, Outcome), ReplayError> {
    let spec = replay::fork_for(m.chain_id, state.timestamp);
    let outcome = replay::replay(state, tx, spec, overrides)?;
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
        logs: observed_logs(&outcome.logs),
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

/// Logs as the core judges them: emitter, topics and data, as bytes.
pub fn observed_logs(logs: &[alloy_primitives::Log]) -> Vec<ObservedLog> {
    logs.iter()
        .map(|l| ObservedLog { emitter: l.address, topics: l.topics().to_vec(), data: l.data.data.to_vec() })
        .collect()
}

/// A transaction the state cannot take (nonce, balance, fees): it never ran, and is judged as
/// halted, with why.
pub fn not_valid(why: &str) -> SimStatus {
    SimStatus::Halted(format!("the transaction is not valid on this state: {why}"))
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
