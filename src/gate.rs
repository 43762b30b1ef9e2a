//! The simulation gate on the ceremony laptop: the witness read, proven against the block hash the
//! signer typed, the checked transaction replayed on it from the executor, and what the replay
//! observed handed to the policy core to judge (`firmware_policy::check_gated`). Nothing here
//! decides; it only measures, on proven state.

use std::path::PathBuf;

use alloy_consensus::Transaction as _;
use alloy_primitives::{Address, B256, Bytes, U256};
use bounded_signer_simulator::proof::{self, ProvenState};
use bounded_signer_simulator::replay::{self, Outcome, Overrides, ReplayError, Status, TxSpec};
use bounded_signer_simulator::witness::{MAX_WITNESS_BYTES, Witness};
use firmware_policy::manifest::Authority;
use firmware_policy::{Gate, Manifest, Observed, ObservedChange, ObservedLog, Proposal, SimStatus};

use crate::error::CliError;

/// `--witness W --block-hash H`.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct WitnessFlags {
    /// A state witness (`bounded-signer-witness`) to simulate the transaction on.
    #[arg(long, value_name = "FILE", requires = "block_hash")]
    pub witness: Option<PathBuf>,
    /// The hash of the witnessed block, as you compared it with a source you trust: the only
    /// thing the simulation trusts.
    #[arg(long, value_name = "HASH", requires = "witness", value_parser = parse_hash)]
    pub block_hash: Option<B256>,
}

fn parse_hash(s: &str) -> Result<B256, String> {
    let digits = s.strip_prefix("0x").ok_or("expected 0x and 64 hex digits")?;
    if digits.len() != 64 {
        return Err("expected 0x and 64 hex digits".into());
    }
    s.parse().map_err(|_| "expected 0x and 64 hex digits".into())
}

/// A witness read from its file, and the block hash typed with it.
pub struct GivenWitness {
    name: String,
    witness: Witness,
    block_hash: B256,
}

impl WitnessFlags {
    /// The witness, read and decoded (exit 2 when it is not one), when one was given.
    pub fn read(&self) -> Result<Option<GivenWitness>, CliError> {
        let (Some(path), Some(block_hash)) = (&self.witness, self.block_hash) else {
            return Ok(None);
        };
        let name = path.display().to_string();
        let bytes = crate::input::read_file_limited(path, MAX_WITNESS_BYTES)?;
        let witness = Witness::from_bytes(&bytes).map_err(|e| {
            CliError::input(format!("{name}: {e}"))
                .hint("Pass the file bounded-signer-witness wrote, unchanged.")
        })?;
        Ok(Some(GivenWitness { name, witness, block_hash }))
    }
}

/// The verdict with the gate judged: when the check matched an action the gate applies to and a
/// witness was given, the transaction is simulated on it and checked again with what the
/// simulation observed (only an approved manifest's gate is trusted to be read at all).
pub fn gated_verdict(
    opened: &crate::approvals::Opened,
    proposal: &Proposal,
    now: u64,
    witness: Option<&GivenWitness>,
    verdict: firmware_policy::Verdict,
) -> firmware_policy::Verdict {
    let (Some(given), Some(loaded), Some(action)) = (witness, opened.manifest.approved(), verdict.action())
    else {
        return verdict;
    };
    let m = loaded.manifest();
    if !m.actions.get(action).is_some_and(|a| m.needs_witness(a)) {
        return verdict;
    }
    let gate = gate(given, m, action, proposal, now);
    opened.verdict(now, |m, approved| firmware_policy::check_opened_gated(m, approved, proposal, now, &gate))
}

/// Seconds a witness's header and timestamp may be ahead of `now` (clock skew).
const FUTURE_SLACK: u64 = 60;

/// The gate for `action` of `m`: why the witness cannot be used, or what the replay of
/// `proposal` on it from the executor observed.
pub fn gate(given: &GivenWitness, m: &Manifest, action: usize, proposal: &Proposal, now: u64) -> Gate {
    let state = match proof::verify(&given.witness, given.block_hash) {
        Ok(state) => state,
        Err(e) => return Gate::Invalid(format!("{}: {e}", given.name)),
    };
    let window = now.saturating_sub(m.max_state_age)..=now.saturating_add(FUTURE_SLACK);
    for (what, at) in [("block", state.header.timestamp), ("simulation timestamp", state.timestamp)] {
        if !window.contains(&at) {
            return Gate::Invalid(format!(
                "{}: the {what} time {} is not within {} s before now ({}) or {FUTURE_SLACK} s after it",
                given.name,
                crate::timefmt::format_instant(at),
                m.max_state_age,
                crate::timefmt::format_instant(now)
            ));
        }
    }
    if state.timestamp <= state.header.timestamp {
        return Gate::Invalid(format!("{}: the simulation timestamp is not after the block's", given.name));
    }
    match observe(&state, m, action, proposal) {
        Ok(observed) => Gate::Observed(Box::new(observed)),
        Err(ReplayError::Incomplete(what)) => Gate::Incomplete(format!("{}: {what}", given.name)),
        Err(ReplayError::InvalidTransaction(why)) => Gate::Observed(Box::new(Observed {
            block_hash: state.block_hash,
            status: SimStatus::Halted(format!("the transaction is not valid on this state: {why}")),
            gas_used: 0,
            logs: Vec::new(),
            changes: Vec::new(),
            sender: m.executor,
            authority_before: Vec::new(),
            authority_after: Vec::new(),
            code_hashes: Vec::new(),
            expected_slots_after: Vec::new(),
        })),
    }
}

/// The transaction as the executor will send it.
fn spec_of(proposal: &Proposal, sender: Address) -> TxSpec {
    let tx = proposal.tx();
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

fn observe(
    state: &ProvenState,
    m: &Manifest,
    action: usize,
    proposal: &Proposal,
) -> Result<Observed, ReplayError> {
    let spec = replay::fork_for(m.chain_id, state.timestamp);
    let outcome = replay::replay(state, &spec_of(proposal, m.executor), spec, &Overrides::default())?;
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
    let status = match &outcome.status {
        Status::Success => SimStatus::Success,
        Status::Reverted(data) => SimStatus::Reverted(revert_reason(data)),
        Status::Halted(why) => SimStatus::Halted(why.clone()),
    };
    Ok(Observed {
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
        sender: m.executor,
        authority_before,
        authority_after,
        code_hashes,
        expected_slots_after,
    })
}

/// A revert's data for people: `Error(string)`, `Panic(uint256)`, or the custom error's selector
/// and its arguments as hex.
fn revert_reason(data: &[u8]) -> String {
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
