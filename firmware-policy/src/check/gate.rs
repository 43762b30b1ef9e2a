//! The simulation gate's judgement: what a replay on proven state observed, held against what the
//! manifest says the action must do and who must hold control. The replay itself runs outside
//! the core (it needs an EVM); it hands over bytes only, and every decision is made here.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use alloy_primitives::{Address, B256, b256};

use super::{Outcomes, Reason};
use crate::manifest::effects::named_slots;
use crate::manifest::{Action, Authority, Manifest};

/// How the replayed transaction ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SimStatus {
    /// It succeeded.
    Success,
    /// It reverted; the decoded reason, for people.
    Reverted(String),
    /// It halted (out of gas, invalid opcode); why.
    Halted(String),
}

/// A log the replay emitted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedLog {
    /// The emitting account.
    pub emitter: Address,
    /// Its topics.
    pub topics: Vec<B256>,
    /// Its data.
    pub data: Vec<u8>,
}

/// What the replay changed in one account.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObservedChange {
    /// The account.
    pub address: Address,
    /// Its balance changed.
    pub balance: bool,
    /// Its nonce changed.
    pub nonce: bool,
    /// Its code changed.
    pub code: bool,
    /// Written slots: (slot, before, after) with before ≠ after.
    pub slots: Vec<(B256, B256, B256)>,
}

/// A reading of one `authority` entry: the slot's word or the call's return bytes, or why it
/// could not be read (unproven state, a reverted call).
pub type AuthorityReading = Result<Vec<u8>, String>;

/// What a replay on proven state observed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observed {
    /// The block the state is proven against (for the detail).
    pub block_hash: B256,
    /// How it ended.
    pub status: SimStatus,
    /// Gas used.
    pub gas_used: u64,
    /// The logs, in order.
    pub logs: Vec<ObservedLog>,
    /// The accounts it changed.
    pub changes: Vec<ObservedChange>,
    /// The sender, whose nonce increment and gas debit are expected.
    pub sender: Address,
    /// Each `authority` entry read before the transaction, in manifest order.
    pub authority_before: Vec<AuthorityReading>,
    /// And after it.
    pub authority_after: Vec<AuthorityReading>,
    /// Each `code` entry's code hash after the transaction, in manifest order (`None`: no code).
    pub code_hashes: Vec<Option<B256>>,
    /// Each of the action's expected slots after the transaction, in its order.
    pub expected_slots_after: Vec<Result<B256, String>>,
}

/// What the gate was given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Gate {
    /// No witness.
    Missing,
    /// A witness that does not prove what it claims (header, proof, code, timestamp): why.
    Invalid(String),
    /// A witness the replay needed more of: what.
    Incomplete(String),
    /// A replay's observations.
    Observed(alloc::boxed::Box<Observed>),
}

/// The events that move control, and their topic 0.
const AUTHORITY_EVENTS: [(&str, B256); 6] = [
    ("OwnershipTransferred", b256!("8be0079c531659141344cd1fd0a4f28419497f9722a3daafe3b4186f6b6457e0")),
    ("RoleGranted", b256!("2f8788117e7eff1d82e926ec794901d17c78024a50270940304540a733656f0d")),
    ("RoleRevoked", b256!("f6391f5c32d9c69d2a47ea670b442974b53935d1edc7fd64eb21e047a839171b")),
    ("AdminChanged", b256!("7e644d79422f17c01e4894b5f4f588d331ebfa28653d42ae832dc59e38c9798f")),
    ("BeaconUpgraded", b256!("1cf3b03a6cf19fa2baba4df148e9dcabedea7f8a5c07840e207e5c089be95d3e")),
    ("Upgraded", b256!("bc7cd75a20ee27fd9adebab32041f755214dbc6bffa90cc0225b39da2e5c2d3b")),
];

fn authority_event(topic0: Option<&B256>) -> Option<&'static str> {
    let topic0 = topic0?;
    AUTHORITY_EVENTS.iter().find(|(_, t)| t == topic0).map(|(name, _)| *name)
}

/// Judges the gate for `action` (which it applies to) and records the checks in `out`.
pub(super) fn judge(out: &mut Outcomes, m: &Manifest, action: &Action, gate: &Gate) {
    let o = match gate {
        Gate::Missing => {
            let mut what: Vec<&str> = Vec::new();
            if !action.expect.is_empty() {
                what.push("the action expects effects");
            }
            if !m.code.is_empty() {
                what.push("the manifest names code hashes");
            }
            if !m.authority.is_empty() {
                what.push("the manifest names authority");
            }
            out.fail(
                Reason::WitnessMissing,
                format!("{}: it is signed only after a simulation on a state witness", what.join(", ")),
            );
            return;
        }
        Gate::Invalid(why) => return out.fail(Reason::WitnessInvalid, why.clone()),
        Gate::Incomplete(what) => return out.fail(Reason::WitnessIncomplete, what.clone()),
        Gate::Observed(o) => o,
    };
    out.pass(
        super::Check::Witness,
        format!("every value the replay read is proven against block {:#x}", o.block_hash),
    );
    match &o.status {
        SimStatus::Success => {
            out.pass(super::Check::Simulation, format!("the replay succeeded, {} gas used", o.gas_used))
        }
        SimStatus::Reverted(why) => {
            out.fail(Reason::SimulationReverted, format!("the replay reverted: {why}"))
        }
        SimStatus::Halted(why) => out.fail(Reason::SimulationReverted, format!("the replay halted: {why}")),
    }
    if let Some(cap) = action.gas_limit_max
        && o.gas_used > cap
    {
        out.fail(Reason::GasAboveCap, format!("the replay used {} gas, above the cap {cap}", o.gas_used));
    }
    if o.status == SimStatus::Success {
        expected_effects(out, action, o);
        unexpected_effects(out, m, action, o);
    }
    code(out, m, o);
    authority(out, m, o);
}

fn expected_effects(out: &mut Outcomes, action: &Action, o: &Observed) {
    let missing = missing_effects(action, &o.logs, &o.expected_slots_after);
    if missing.is_empty() {
        if !action.expect.is_empty() {
            out.pass(super::Check::Effects, String::from("every expected slot value and event was produced"));
        }
    } else {
        out.fail(Reason::ExpectedEffectMissing, missing.join("; "));
    }
}

/// What `action` expects that `logs` and `slots_after` (its expected slots' values after it, in
/// order) do not show: each slot value, and each event as an ordered subsequence of the logs.
pub(super) fn missing_effects(
    action: &Action,
    logs: &[ObservedLog],
    slots_after: &[Result<B256, String>],
) -> Vec<String> {
    let mut missing: Vec<String> = Vec::new();
    for (i, slot) in action.expect.slots.iter().enumerate() {
        let name = named_slots::name_of(&slot.slot).map_or_else(|| format!("{:#x}", slot.slot), String::from);
        match slots_after.get(i) {
            Some(Ok(after)) if *after == slot.value => {}
            Some(Ok(after)) => missing
                .push(format!("{} slot {name} is {after:#x} after it, not {:#x}", slot.address, slot.value)),
            Some(Err(why)) => {
                missing.push(format!("{} slot {name} could not be read after it: {why}", slot.address))
            }
            None => missing.push(format!("{} slot {name} was not read after it", slot.address)),
        }
    }
    let mut remaining = logs.iter();
    for event in &action.expect.events {
        let found =
            remaining.any(|l| l.emitter == event.emitter && l.topics == event.topics && l.data == event.data);
        if !found {
            missing.push(format!("event {} from {} (in order)", event.signature, event.emitter));
        }
    }
    missing
}

/// The logs `action` does not expect that the gate refuses: (those emitted outside
/// `allowed_targets`, the authority events).
pub(super) fn unexpected_logs(
    m: &Manifest,
    action: &Action,
    logs: &[ObservedLog],
) -> (Vec<String>, Vec<String>) {
    let (mut outside, mut authority) = (Vec::new(), Vec::new());
    for log in logs {
        let expected = action
            .expect
            .events
            .iter()
            .any(|e| e.emitter == log.emitter && e.topics == log.topics && e.data == log.data);
        if expected {
            continue;
        }
        if !m.is_allowed(&log.emitter) {
            outside.push(format!("an event from {}, outside allowed_targets", log.emitter));
        } else if let Some(name) = authority_event(log.topics.first()) {
            authority.push(format!("{name} from {}, which the action does not expect", log.emitter));
        }
    }
    (outside, authority)
}

fn unexpected_effects(out: &mut Outcomes, m: &Manifest, action: &Action, o: &Observed) {
    let mut found: Vec<String> = Vec::new();
    for c in &o.changes {
        let allowed = m.is_allowed(&c.address);
        if c.address == Address::ZERO && !c.nonce && !c.code && c.slots.is_empty() {
            continue; // the zero coinbase's fee credit
        }
        if c.address == o.sender && !c.code && c.slots.is_empty() {
            continue; // the sender's nonce increment and gas debit
        }
        if !allowed {
            let mut what: Vec<&str> = Vec::new();
            if c.balance {
                what.push("balance");
            }
            if c.nonce {
                what.push("nonce");
            }
            if c.code {
                what.push("code");
            }
            if !c.slots.is_empty() {
                what.push("storage");
            }
            found.push(format!("{} ({}) changed outside allowed_targets", c.address, what.join(", ")));
        }
        // A named slot written where the action does not expect it.
        for (slot, _, after) in &c.slots {
            if let Some(name) = named_slots::name_of(slot) {
                let expected = action.expect.slots.iter().any(|e| e.address == c.address && e.slot == *slot);
                if !expected {
                    found.push(format!(
                        "{} slot {name} written to {after:#x}, which the action does not expect",
                        c.address
                    ));
                }
            }
        }
    }
    let (outside, authority) = unexpected_logs(m, action, &o.logs);
    found.extend(outside);
    found.extend(authority);
    if found.is_empty() {
        out.pass(
            super::Check::Effects,
            String::from("no write, balance or code change, or event outside allowed_targets; no unexpected authority event or named slot write"),
        );
    } else {
        out.fail(Reason::UnexpectedEffect, found.join("; "));
    }
}

fn code(out: &mut Outcomes, m: &Manifest, o: &Observed) {
    if m.code.is_empty() {
        return;
    }
    let mut bad: Vec<String> = Vec::new();
    for (i, expected) in m.code.iter().enumerate() {
        match o.code_hashes.get(i).copied().flatten() {
            Some(h) if h == expected.code_hash => {}
            Some(h) => {
                bad.push(format!("{} has code hash {h:#x}, not {:#x}", expected.address, expected.code_hash))
            }
            None => bad.push(format!(
                "{} has no code (expected code hash {:#x})",
                expected.address, expected.code_hash
            )),
        }
    }
    if bad.is_empty() {
        out.pass(super::Check::Code, format!("{} code hashes are the manifest's", m.code.len()));
    } else {
        out.fail(Reason::ImplementationCodeMismatch, bad.join("; "));
    }
}

fn authority(out: &mut Outcomes, m: &Manifest, o: &Observed) {
    if m.authority.is_empty() {
        return;
    }
    let bad = authority_mismatches(m, &[("before", &o.authority_before), ("after", &o.authority_after)]);
    if bad.is_empty() {
        out.pass(
            super::Check::Authority,
            format!("{} authority entries hold before and after", m.authority.len()),
        );
    } else {
        out.fail(Reason::AuthorityMismatch, bad.join("; "));
    }
}

/// Each `authority` entry of `m` that does not hold in one of `readings` (when, readings in
/// manifest order).
pub(super) fn authority_mismatches(m: &Manifest, readings: &[(&str, &[AuthorityReading])]) -> Vec<String> {
    let mut bad: Vec<String> = Vec::new();
    for (i, entry) in m.authority.iter().enumerate() {
        let expected: Vec<u8> = match entry {
            Authority::Slot(s) => s.value.to_vec(),
            Authority::Call(c) => c.returns.clone(),
        };
        let what = match entry {
            Authority::Slot(s) => {
                let name =
                    named_slots::name_of(&s.slot).map_or_else(|| format!("{:#x}", s.slot), String::from);
                format!("{} slot {name}", s.address)
            }
            Authority::Call(c) => format!("{}.{}", c.on, c.signature),
        };
        for (when, readings) in readings {
            match readings.get(i) {
                Some(Ok(got)) if *got == expected => {}
                Some(Ok(got)) => bad.push(format!("{what} {when} the action is 0x{}", hex_of(got))),
                Some(Err(why)) => bad.push(format!("{what} {when} the action could not be read: {why}")),
                None => bad.push(format!("{what} {when} the action was not read")),
            }
        }
    }
    bad
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
