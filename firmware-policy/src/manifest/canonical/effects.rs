//! The simulation gate's keys, canonical as the rest: manifest keys 11 (`max_state_age`), 12
//! (`code`) and 13 (`authority`), action key 21 (`expect`), each written only when not its
//! default and refused holding it (the schema-evolution rule: a manifest without them keeps its
//! bytes and its hash).
//!
//! ```text
//! ? 11: max_state_age uint (≠ 3600)
//! ? 12: [+ { 0: address bytes(20), 1: code_hash bytes(32) }]        strictly ascending by address
//! ? 13: [+ authority]                                                in the author's order
//! authority = { 0: address bytes(20), 1: slot bytes(32), 2: value bytes(32) }
//!           / { 0: on bytes(20), 3: call text, 4: calldata bytes, 5: returns bytes }
//! ? 21: { 0: [* slot], 1: [* event] }                                not both empty
//! slot  = { 0: address bytes(20), 1: slot bytes(32), 2: value bytes(32) }   ascending
//! event = { 0: emitter bytes(20), 1: signature text, 2: [+ bytes(32)] topics, 3: data bytes }
//! ```

use alloc::vec::Vec;

use alloy_primitives::{Address, B256};
use ciborium_ll::Header;

use super::{Reader, Res, Sink, bytes, key, text};
use crate::limits;
use crate::manifest::effects::{
    Authority, AuthorityCall, DEFAULT_MAX_STATE_AGE, Expect, ExpectedCode, ExpectedEvent, ExpectedSlot,
};
use crate::manifest::{Field, Manifest, ManifestErrorKind as K};

const SLOT_KEYS: [&str; 3] = ["address", "slot", "value"];
const EVENT_KEYS: [&str; 4] = ["emitter", "signature", "topics", "data"];
const EXPECT_KEYS: [&str; 2] = ["slots", "events"];
const CODE_KEYS: [&str; 2] = ["address", "code_hash"];
const AUTHORITY_KEYS: [&str; 6] = ["address", "slot", "value", "call", "calldata", "returns"];

/// How many of the manifest's gate keys (11–13) are written.
pub(super) fn manifest_keys_present(m: &Manifest) -> usize {
    usize::from(m.max_state_age != DEFAULT_MAX_STATE_AGE)
        .saturating_add(usize::from(!m.code.is_empty()))
        .saturating_add(usize::from(!m.authority.is_empty()))
}

/// Writes keys 11–13, those that are not their default.
pub(super) fn write_manifest_keys(out: &mut impl Sink, m: &Manifest) {
    if m.max_state_age != DEFAULT_MAX_STATE_AGE {
        key(out, 11);
        out.head(Header::Positive(m.max_state_age));
    }
    if !m.code.is_empty() {
        key(out, 12);
        out.head(Header::Array(Some(m.code.len())));
        for code in &m.code {
            out.head(Header::Map(Some(CODE_KEYS.len())));
            key(out, 0);
            bytes(out, code.address.as_slice());
            key(out, 1);
            bytes(out, code.code_hash.as_slice());
        }
    }
    if !m.authority.is_empty() {
        key(out, 13);
        out.head(Header::Array(Some(m.authority.len())));
        for entry in &m.authority {
            match entry {
                Authority::Slot(slot) => write_slot(out, slot),
                Authority::Call(call) => {
                    out.head(Header::Map(Some(4)));
                    key(out, 0);
                    bytes(out, call.on.as_slice());
                    key(out, 3);
                    text(out, &call.signature);
                    key(out, 4);
                    bytes(out, &call.calldata);
                    key(out, 5);
                    bytes(out, &call.returns);
                }
            }
        }
    }
}

fn write_slot(out: &mut impl Sink, slot: &ExpectedSlot) {
    out.head(Header::Map(Some(SLOT_KEYS.len())));
    key(out, 0);
    bytes(out, slot.address.as_slice());
    key(out, 1);
    bytes(out, slot.slot.as_slice());
    key(out, 2);
    bytes(out, slot.value.as_slice());
}

/// Writes action key 21 when the action expects anything.
pub(super) fn write_expect(out: &mut impl Sink, expect: &Expect) {
    if expect.is_empty() {
        return;
    }
    key(out, 21);
    out.head(Header::Map(Some(EXPECT_KEYS.len())));
    key(out, 0);
    out.head(Header::Array(Some(expect.slots.len())));
    for slot in &expect.slots {
        write_slot(out, slot);
    }
    key(out, 1);
    out.head(Header::Array(Some(expect.events.len())));
    for event in &expect.events {
        out.head(Header::Map(Some(EVENT_KEYS.len())));
        key(out, 0);
        bytes(out, event.emitter.as_slice());
        key(out, 1);
        text(out, &event.signature);
        key(out, 2);
        out.head(Header::Array(Some(event.topics.len())));
        for topic in &event.topics {
            bytes(out, topic.as_slice());
        }
        key(out, 3);
        bytes(out, &event.data);
    }
}

/// Reads manifest key 11: refused holding the default (a second encoding of it).
pub(super) fn read_max_state_age(r: &mut Reader<'_>) -> Res<u64> {
    let at = r.offset();
    let age = r.u64()?;
    if age == DEFAULT_MAX_STATE_AGE {
        return Err(r.err(K::NotCanonical, at));
    }
    Ok(age)
}

/// A list that is written only when not empty.
fn non_empty_array(r: &mut Reader<'_>, max: usize) -> Res<usize> {
    let at = r.offset();
    let n = r.array(max)?;
    if n == 0 {
        return Err(r.err(K::NotCanonical, at));
    }
    Ok(n)
}

/// Reads manifest key 12.
pub(super) fn read_code(r: &mut Reader<'_>) -> Res<Vec<ExpectedCode>> {
    let n = non_empty_array(r, limits::MAX_CODE_ENTRIES)?;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        r.field = Field::item("code", i);
        let mut code = ExpectedCode { address: Address::ZERO, code_hash: B256::ZERO };
        r.schema_map(
            &CODE_KEYS,
            |name| Field::item("code", i).sub(name),
            |r, k| {
                match k {
                    0 => code.address = r.address()?,
                    _ => code.code_hash = B256::from(r.fixed::<32>()?),
                }
                Ok(())
            },
        )?;
        out.push(code);
    }
    Ok(out)
}

fn read_slot(r: &mut Reader<'_>, field: impl Fn(&'static str) -> Field) -> Res<ExpectedSlot> {
    let mut slot = ExpectedSlot { address: Address::ZERO, slot: B256::ZERO, value: B256::ZERO };
    r.schema_map(&SLOT_KEYS, field, |r, k| {
        match k {
            0 => slot.address = r.address()?,
            1 => slot.slot = B256::from(r.fixed::<32>()?),
            _ => slot.value = B256::from(r.fixed::<32>()?),
        }
        Ok(())
    })?;
    Ok(slot)
}

/// Reads manifest key 13: each entry a slot or a view call, never a mix.
pub(super) fn read_authority(r: &mut Reader<'_>) -> Res<Vec<Authority>> {
    let n = non_empty_array(r, limits::MAX_AUTHORITY_ENTRIES)?;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let field = move |name| Field::item("authority", i).sub(name);
        r.field = Field::item("authority", i);
        let start = r.offset();
        let mut address = Address::ZERO;
        let (mut slot, mut value, mut call, mut calldata, mut returns) = (None, None, None, None, None);
        r.schema_map_evolving(&AUTHORITY_KEYS, 1, field, |r, k| {
            match k {
                0 => address = r.address()?,
                1 => slot = Some(B256::from(r.fixed::<32>()?)),
                2 => value = Some(B256::from(r.fixed::<32>()?)),
                3 => call = Some(r.text(limits::MAX_NAME_BYTES)?),
                4 => calldata = Some(core::mem::take(&mut *r.bytes()?)),
                _ => returns = Some(core::mem::take(&mut *r.bytes()?)),
            }
            Ok(())
        })?;
        let entry = match (slot, value, call, calldata, returns) {
            (Some(slot), Some(value), None, None, None) => {
                Authority::Slot(ExpectedSlot { address, slot, value })
            }
            (None, None, Some(signature), Some(calldata), Some(returns)) => {
                Authority::Call(AuthorityCall { on: address, signature, calldata, returns })
            }
            _ => {
                r.field = Field::item("authority", i);
                return Err(r.err(
                    K::UnexpectedType {
                        expected: "keys 0–2 (a slot and its value) or 0, 3–5 (a view call)"
                    },
                    start,
                ));
            }
        };
        out.push(entry);
    }
    Ok(out)
}

/// Reads action key 21 of action `index`.
pub(super) fn read_expect(r: &mut Reader<'_>, index: usize) -> Res<Expect> {
    let at = r.offset();
    let mut expect = Expect::default();
    let field = move |name| Field::item("actions", index).sub(name);
    r.schema_map(
        &EXPECT_KEYS,
        |name| field(if name == "slots" { "expect.slots" } else { "expect.events" }),
        |r, k| {
            if k == 0 {
                let n = r.array(limits::MAX_EXPECTED_SLOTS)?;
                expect.slots.reserve_exact(n);
                for _ in 0..n {
                    let slot = read_slot(r, |_| field("expect.slots"))?;
                    expect.slots.push(slot);
                }
            } else {
                let n = r.array(limits::MAX_EXPECTED_EVENTS)?;
                expect.events.reserve_exact(n);
                for _ in 0..n {
                    let mut event = ExpectedEvent {
                        emitter: Address::ZERO,
                        signature: Default::default(),
                        topics: Vec::new(),
                        data: Vec::new(),
                    };
                    r.schema_map(
                        &EVENT_KEYS,
                        |_| field("expect.events"),
                        |r, k| {
                            match k {
                                0 => event.emitter = r.address()?,
                                1 => event.signature = r.text(limits::MAX_NAME_BYTES)?,
                                2 => {
                                    let n = r.array(limits::MAX_EVENT_TOPICS)?;
                                    event.topics.reserve_exact(n);
                                    for _ in 0..n {
                                        event.topics.push(B256::from(r.fixed::<32>()?));
                                    }
                                }
                                _ => event.data = core::mem::take(&mut *r.bytes()?),
                            }
                            Ok(())
                        },
                    )?;
                    expect.events.push(event);
                }
            }
            Ok(())
        },
    )?;
    if expect.is_empty() {
        // Written only when the action expects something.
        r.field = field("expect");
        return Err(r.err(K::NotCanonical, at));
    }
    Ok(expect)
}
