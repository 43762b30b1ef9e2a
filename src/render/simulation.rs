//! A simulation as the signer reads it: the block it ran on, how it ended, every log decoded where
//! its event is known (the manifest's expected events first, then the events of the contracts a
//! release goes through), and the state diff with every value before and after, slots named where
//! they have a name. Nothing here judges; the verdict above it does.

use std::fmt::Write as _;

use alloy_dyn_abi::DynSolValue;
use alloy_json_abi::Event;
use alloy_primitives::{Address, B256, Log, U256, hex};
use bounded_signer_simulator::replay::AccountChange;
use firmware_policy::{Manifest, SimStatus};
use serde_json::{Value, json};

use crate::gate::Simulation;
use crate::render::gate::{event_args, slot_name, value_text, word};
use crate::render::human::{Labels, addr, no_labels};
use crate::text::escape;
use crate::timefmt::format_instant;

/// The events of the contracts an upgrade goes through (OpenZeppelin proxies, ProxyAdmin,
/// Ownable, AccessControl, TimelockController, Initializable; Safe), by their Solidity
/// declarations. Only used to show a log; the gate compares topics and bytes.
const KNOWN_EVENTS: [&str; 19] = [
    "Upgraded(address indexed implementation)",
    "AdminChanged(address previousAdmin, address newAdmin)",
    "BeaconUpgraded(address indexed beacon)",
    "OwnershipTransferred(address indexed previousOwner, address indexed newOwner)",
    "RoleGranted(bytes32 indexed role, address indexed account, address indexed sender)",
    "RoleRevoked(bytes32 indexed role, address indexed account, address indexed sender)",
    "RoleAdminChanged(bytes32 indexed role, bytes32 indexed previousAdminRole, bytes32 indexed newAdminRole)",
    "CallScheduled(bytes32 indexed id, uint256 indexed index, address target, uint256 value, bytes data, bytes32 predecessor, uint256 delay)",
    "CallExecuted(bytes32 indexed id, uint256 indexed index, address target, uint256 value, bytes data)",
    "CallSalt(bytes32 indexed id, bytes32 salt)",
    "Cancelled(bytes32 indexed id)",
    "MinDelayChange(uint256 oldDuration, uint256 newDuration)",
    "Initialized(uint64 version)",
    "Initialized(uint8 version)",
    // Safe 1.3.0, then 1.4.x (which indexes the hash): one selector, two shapes.
    "ExecutionSuccess(bytes32 txHash, uint256 payment)",
    "ExecutionFailure(bytes32 txHash, uint256 payment)",
    "ExecutionSuccess(bytes32 indexed txHash, uint256 payment)",
    "ExecutionFailure(bytes32 indexed txHash, uint256 payment)",
    "ApproveHash(bytes32 indexed approvedHash, address indexed owner)",
];

/// The events a log may be shown as: the manifest's expected events, then the known ones.
fn events(manifest: Option<&Manifest>) -> Vec<Event> {
    let expected = manifest
        .into_iter()
        .flat_map(|m| m.actions.iter().flat_map(|a| a.expect.events.iter()))
        .filter_map(crate::authoring::event_of);
    expected.chain(KNOWN_EVENTS.iter().filter_map(|s| Event::parse(s).ok())).collect()
}

/// A log decoded: the event's name and its named arguments, when some known event is its own.
fn decode(log: &Log, events: &[Event]) -> Option<(String, Vec<(String, DynSolValue)>)> {
    let topics = log.topics();
    events
        .iter()
        .filter(|e| topics.first() == Some(&e.selector()))
        .find_map(|e| Some((e.name.clone(), event_args(e, topics, &log.data.data)?)))
}

fn status(sim: &Simulation) -> (&'static str, Option<String>) {
    match &sim.status {
        SimStatus::Success => ("success", None),
        SimStatus::Reverted(why) => ("reverted", Some(why.clone())),
        SimStatus::Halted(why) => ("reverted", Some(format!("halted: {why}"))),
    }
}

fn before_after<T: ToString>(change: &Option<(T, T)>) -> Option<Value> {
    change.as_ref().map(|(b, a)| json!({"before": b.to_string(), "after": a.to_string()}))
}

fn account_json(address: &Address, c: &AccountChange) -> Value {
    let mut doc = serde_json::Map::new();
    doc.insert("address".into(), crate::render::json::address(address));
    if let Some(v) = before_after(&c.balance) {
        doc.insert("balance".into(), v);
    }
    if let Some(v) = before_after(&c.nonce) {
        doc.insert("nonce".into(), v);
    }
    if let Some((b, a)) = &c.code_hash {
        doc.insert("code_hash".into(), json!({"before": format!("{b:#x}"), "after": format!("{a:#x}")}));
    }
    let storage: Vec<Value> = c
        .slots
        .iter()
        .map(|s| {
            json!({
                "slot": format!("{:#x}", s.slot),
                "name": firmware_policy::manifest::effects::named_slots::name_of(&s.slot),
                "before": format!("{:#x}", B256::from(s.before)),
                "after": format!("{:#x}", B256::from(s.after)),
            })
        })
        .collect();
    doc.insert("storage".into(), Value::Array(storage));
    Value::Object(doc)
}

fn value_json(v: &DynSolValue) -> Value {
    match v {
        DynSolValue::Address(a) => crate::render::json::address(a),
        DynSolValue::Bool(b) => Value::Bool(*b),
        other => Value::String(value_text(other, &no_labels)),
    }
}

fn log_json(log: &Log, events: &[Event]) -> Value {
    let event = decode(log, events).map(|(name, args)| {
        let args: Vec<Value> = args.iter().map(|(n, v)| json!({"name": n, "value": value_json(v)})).collect();
        json!({"name": name, "args": args})
    });
    json!({
        "address": crate::render::json::address(&log.address),
        "topics": log.topics().iter().map(|t| format!("{t:#x}")).collect::<Vec<_>>(),
        "data": hex::encode_prefixed(&log.data.data),
        "event": event,
    })
}

/// One line a log, numbered, decoded where `events` knows it.
fn log_lines(logs: &[Log], events: &[Event], labels: Labels<'_>) -> String {
    let mut s = String::new();
    for (i, log) in logs.iter().enumerate() {
        let from = addr(&log.address, labels);
        match decode(log, events) {
            Some((name, args)) => {
                let args: Vec<String> =
                    args.iter().map(|(n, v)| format!("{} = {}", escape(n), value_text(v, labels))).collect();
                let _ = writeln!(s, "    {i}  {} from {from}", format_args!("{name}({})", args.join(", ")));
            }
            None => {
                let topics: Vec<String> = log.topics().iter().map(|t| format!("{t:#x}")).collect();
                let _ = writeln!(
                    s,
                    "    {i}  a log from {from}: topics [{}], data {}",
                    topics.join(", "),
                    hex::encode_prefixed(&log.data.data)
                );
            }
        }
    }
    s
}

/// A receipt's logs as a signer reads them (decoded as a simulation's are).
pub fn receipt_log_lines(logs: &[Log], manifest: Option<&Manifest>, labels: Labels<'_>) -> String {
    log_lines(logs, &events(manifest), labels)
}

/// A receipt's logs as JSON (as a simulation's are).
pub fn receipt_logs_json(logs: &[Log], manifest: Option<&Manifest>) -> Vec<Value> {
    let events = events(manifest);
    logs.iter().map(|l| log_json(l, &events)).collect()
}

/// The verdict's `simulation` member.
pub fn json(sim: &Simulation, manifest: Option<&Manifest>) -> Value {
    let events = events(manifest);
    let (state, reason) = status(sim);
    let replay = sim.replay.as_ref();
    let overrides: Vec<Value> = sim
        .overrides
        .storage
        .iter()
        .map(|(a, slot, v)| {
            json!({"kind": "storage", "address": crate::render::json::address(a), "slot": format!("{slot:#x}"), "value": format!("{:#x}", B256::from(*v))})
        })
        .chain(sim.overrides.no_balance_check.then(|| json!({"kind": "no_balance_check"})))
        .collect();
    json!({
        "status": state,
        "reason": reason,
        "gas_used": replay.map_or(0, |r| r.gas_used).to_string(),
        "logs": replay.map(|r| r.logs.iter().map(|l| log_json(l, &events)).collect::<Vec<_>>()).unwrap_or_default(),
        "state_diff": replay.map(|r| r.diff.iter().map(|(a, c)| account_json(a, c)).collect::<Vec<_>>()).unwrap_or_default(),
        "overrides": overrides,
        "block": {"number": sim.block_number.to_string(), "hash": format!("{:#x}", sim.block_hash)},
        "timestamp": sim.timestamp.to_string(),
    })
}

/// A slot's word as a signer reads it: a labelled address as that address; a number below 2^64
/// (a counter, a timestamp, a flag) in decimal; another left-padded address as an address;
/// anything else as the whole word in hex. (A 20-byte address below 2^64 is a precompile or a
/// vanity address, and shows as a number unless labelled.)
fn slot_word(w: &B256, labels: Labels<'_>) -> String {
    let padded = w[..12].iter().all(|b| *b == 0);
    if padded && labels(&Address::from_word(*w)).is_some() {
        return addr(&Address::from_word(*w), labels);
    }
    match u64::try_from(U256::from_be_bytes(w.0)) {
        Ok(n) => n.to_string(),
        Err(_) => word(w, labels),
    }
}

fn wei(v: &U256) -> String {
    format!("{v} wei")
}

/// The simulation block a signer reads, before the verdict.
pub fn text(sim: &Simulation, manifest: Option<&Manifest>, labels: Labels<'_>) -> String {
    let events = events(manifest);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Simulation: on block {} {:#x}, in the next block at {} ({})",
        sim.block_number,
        sim.block_hash,
        sim.timestamp,
        format_instant(sim.timestamp)
    );
    let (state, reason) = status(sim);
    let gas = sim.replay.as_ref().map_or(0, |r| r.gas_used);
    match reason {
        Some(why) => _ = writeln!(s, "  status     {state}: {}, gas used {gas}", escape(&why)),
        None => _ = writeln!(s, "  status     {state}, gas used {gas}"),
    }
    if sim.overrides.storage.is_empty() && !sim.overrides.no_balance_check {
        let _ = writeln!(s, "  overrides  none");
    }
    for (a, slot, v) in &sim.overrides.storage {
        let _ = writeln!(
            s,
            "  override   {} slot {} set to {}",
            addr(a, labels),
            slot_name(slot),
            slot_word(&B256::from(*v), labels)
        );
    }
    if sim.overrides.no_balance_check {
        let _ = writeln!(s, "  override   the sender's balance is not checked");
    }
    let Some(replay) = &sim.replay else { return s };
    let _ = writeln!(s, "  logs       {}", replay.logs.len());
    s.push_str(&log_lines(&replay.logs, &events, labels));
    let _ = writeln!(s, "  state diff {} accounts", replay.diff.len());
    for (address, c) in &replay.diff {
        let _ = writeln!(s, "    {}", addr(address, labels));
        if let Some((b, a)) = &c.balance {
            let _ = writeln!(s, "      balance    {} → {}", wei(b), wei(a));
        }
        if let Some((b, a)) = &c.nonce {
            let _ = writeln!(s, "      nonce      {b} → {a}");
        }
        if let Some((b, a)) = &c.code_hash {
            let _ = writeln!(s, "      code hash  {b:#x} → {a:#x}");
        }
        for slot in &c.slots {
            let _ = writeln!(
                s,
                "      slot {}\n        {} → {}",
                slot_name(&slot.slot),
                slot_word(&B256::from(slot.before), labels),
                slot_word(&B256::from(slot.after), labels)
            );
        }
    }
    s
}
