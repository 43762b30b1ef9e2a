//! The simulation gate's manifest entries as a signer reads them: every slot named where it has a
//! name, every word that is an address shown as one (with its label), every event and view call
//! decoded through the signature it was written with, and flagged when that signature is not the
//! bytes' own (the bytes are what the gate compares; a signature that does not match them would
//! be a lie in the display).

use std::fmt::Write as _;

use alloy_dyn_abi::{DynSolValue, EventExt, FunctionExt, JsonAbiExt};
use alloy_primitives::{Address, B256, hex};
use firmware_policy::Manifest;
use firmware_policy::manifest::effects::{DEFAULT_MAX_STATE_AGE, named_slots};
use firmware_policy::manifest::{Action, Authority, AuthorityCall, ExpectedEvent, ExpectedSlot};
use serde_json::{Value, json};

use crate::authoring::{event_of, view_call_of};
use crate::render::human::{Labels, addr};
use crate::text::escape;

/// A slot by its name, else as hex.
pub fn slot_name(slot: &B256) -> String {
    named_slots::name_of(slot).map_or_else(|| format!("{slot:#x}"), str::to_string)
}

/// A word that is a left-padded address, as that address; else as hex.
pub(crate) fn word(w: &B256, labels: Labels<'_>) -> String {
    if w[..12].iter().all(|b| *b == 0) && w[12..].iter().any(|b| *b != 0) {
        addr(&Address::from_word(*w), labels)
    } else {
        format!("{w:#x}")
    }
}

pub(crate) fn value_text(v: &DynSolValue, labels: Labels<'_>) -> String {
    match v {
        DynSolValue::Address(a) => addr(a, labels),
        DynSolValue::Bool(b) => b.to_string(),
        DynSolValue::Uint(u, _) => u.to_string(),
        DynSolValue::Int(i, _) => i.to_string(),
        DynSolValue::FixedBytes(w, _) => format!("{w:#x}"),
        DynSolValue::Bytes(b) => hex::encode_prefixed(b),
        DynSolValue::String(s) => format!("{:?}", escape(s)),
        DynSolValue::Array(items) | DynSolValue::FixedArray(items) | DynSolValue::Tuple(items) => {
            let parts: Vec<String> = items.iter().map(|i| value_text(i, labels)).collect();
            format!("[{}]", parts.join(", "))
        }
        other => format!("{other:?}"),
    }
}

fn slot_text(s: &ExpectedSlot, labels: Labels<'_>) -> String {
    format!("{} slot {} = {}", addr(&s.address, labels), slot_name(&s.slot), word(&s.value, labels))
}

/// An expected event: its decoded arguments, or its raw topics and data with a warning when the
/// signature it came with is not the one its topic 0 names.
fn event_text(e: &ExpectedEvent, labels: Labels<'_>) -> String {
    let from = addr(&e.emitter, labels);
    let decoded = event_of(e).and_then(|event| {
        let args = event_args(&event, &e.topics, &e.data)?;
        let args: Vec<String> =
            args.iter().map(|(name, v)| format!("{} = {}", escape(name), value_text(v, labels))).collect();
        Some(format!("{}({})", event.name, args.join(", ")))
    });
    match decoded {
        Some(text) => format!("{text} from {from}"),
        None => format!(
            "a log from {from}, topics [{}], data {}  WARNING: its signature {:?} is not the one topic 0 names",
            e.topics.iter().map(|t| format!("{t:#x}")).collect::<Vec<_>>().join(", "),
            hex::encode_prefixed(&e.data),
            escape(&e.signature)
        ),
    }
}

/// A log's arguments decoded through `event`, in declaration order (indexed and data alike),
/// each with its name (its type where it has none); `None` when the log is not that event's.
pub(crate) fn event_args(
    event: &alloy_json_abi::Event,
    topics: &[B256],
    data: &[u8],
) -> Option<Vec<(String, DynSolValue)>> {
    let parts = event.decode_log_parts(topics.iter().copied(), data).ok()?;
    let (mut indexed, mut body) = (parts.indexed.into_iter(), parts.body.into_iter());
    event
        .inputs
        .iter()
        .map(|p| {
            let v = if p.indexed { indexed.next() } else { body.next() }?;
            let name = if p.name.is_empty() { p.ty.clone() } else { p.name.clone() };
            Some((name, v))
        })
        .collect()
}

fn call_text(c: &AuthorityCall, labels: Labels<'_>) -> String {
    let on = addr(&c.on, labels);
    let decoded = view_call_of(c).and_then(|f| {
        let args = f.abi_decode_input(c.calldata.get(4..)?).ok()?;
        let returns = f.abi_decode_output(&c.returns).ok()?;
        let list =
            |vs: &[DynSolValue]| vs.iter().map(|v| value_text(v, labels)).collect::<Vec<_>>().join(", ");
        Some(format!("{on}.{}({}) returns ({})", f.name, list(&args), list(&returns)))
    });
    decoded.unwrap_or_else(|| {
        format!(
            "{on} called with {} must return {}  WARNING: its signature {:?} is not the calldata's",
            hex::encode_prefixed(&c.calldata),
            hex::encode_prefixed(&c.returns),
            escape(&c.signature)
        )
    })
}

/// The manifest-wide gate lines (nothing when the manifest has no gate).
pub fn manifest_lines(m: &Manifest, labels: Labels<'_>) -> String {
    let mut s = String::new();
    if m.code.is_empty() && m.authority.is_empty() && m.actions.iter().all(|a| a.expect.is_empty()) {
        if m.max_state_age != DEFAULT_MAX_STATE_AGE {
            let _ = writeln!(s, "  simulation state at most {} s old (no action is gated)", m.max_state_age);
        }
        return s;
    }
    let _ = writeln!(
        s,
        "  simulation gate: signed only after a replay on a state witness at most {} s old",
        m.max_state_age
    );
    for c in &m.code {
        let _ = writeln!(s, "    code      {} has code hash {:#x}", addr(&c.address, labels), c.code_hash);
    }
    for a in &m.authority {
        let text = match a {
            Authority::Slot(slot) => slot_text(slot, labels),
            Authority::Call(call) => call_text(call, labels),
        };
        let _ = writeln!(s, "    authority {text}  (before and after every action)");
    }
    s
}

/// An action's `expect` lines.
pub fn action_lines(a: &Action, labels: Labels<'_>) -> String {
    let mut s = String::new();
    for slot in &a.expect.slots {
        let _ = writeln!(s, "      expects   {} after it", slot_text(slot, labels));
    }
    for event in &a.expect.events {
        let _ = writeln!(s, "      expects   event {}", event_text(event, labels));
    }
    if let Some(l) = &a.layout {
        let digests = format!("layout digests old {:#x}, new {:#x}", l.old_digest, l.new_digest);
        if l.compatible {
            let _ = writeln!(
                s,
                "      layout    the new implementation keeps the old storage layout ({digests})"
            );
        } else {
            let _ = writeln!(
                s,
                "      layout    INCOMPATIBLE storage layout, released because: {:?} ({digests})",
                escape(&l.allowed_change)
            );
        }
    }
    s
}

/// An action's storage layout record as JSON (`null` when it names none).
pub fn layout_json(a: &Action) -> Value {
    a.layout.as_ref().map_or(Value::Null, |l| {
        json!({
            "old_digest": format!("{:#x}", l.old_digest),
            "new_digest": format!("{:#x}", l.new_digest),
            "compatible": l.compatible,
            "allow_layout_change": (!l.allowed_change.is_empty()).then(|| escape(&l.allowed_change)),
        })
    })
}

fn slot_json(s: &ExpectedSlot) -> Value {
    json!({
        "address": s.address.to_checksum(None),
        "slot": format!("{:#x}", s.slot),
        "slot_name": named_slots::name_of(&s.slot),
        "value": format!("{:#x}", s.value),
    })
}

/// The manifest-wide gate as JSON members.
pub fn manifest_json(m: &Manifest) -> [(&'static str, Value); 3] {
    [
        ("max_state_age", Value::from(m.max_state_age)),
        (
            "code",
            m.code
                .iter()
                .map(|c| json!({"address": c.address.to_checksum(None), "code_hash": format!("{:#x}", c.code_hash)}))
                .collect(),
        ),
        (
            "authority",
            m.authority
                .iter()
                .map(|a| match a {
                    Authority::Slot(slot) => slot_json(slot),
                    Authority::Call(c) => json!({
                        "on": c.on.to_checksum(None),
                        "call": c.signature,
                        "calldata": hex::encode_prefixed(&c.calldata),
                        "returns": hex::encode_prefixed(&c.returns),
                    }),
                })
                .collect(),
        ),
    ]
}

/// An action's `expect` as JSON.
pub fn expect_json(a: &Action) -> Value {
    json!({
        "slots": a.expect.slots.iter().map(slot_json).collect::<Vec<_>>(),
        "events": a.expect.events.iter().map(|e| json!({
            "emitter": e.emitter.to_checksum(None),
            "signature": e.signature,
            "topics": e.topics.iter().map(|t| format!("{t:#x}")).collect::<Vec<_>>(),
            "data": hex::encode_prefixed(&e.data),
        })).collect::<Vec<_>>(),
    })
}
