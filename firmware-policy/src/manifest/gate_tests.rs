//! The simulation gate's keys: canonical, written only when not their default, and validated.

use alloc::string::ToString;
use alloc::vec;

use alloy_primitives::{address, b256};

use super::effects::{DEFAULT_MAX_STATE_AGE, named_slots};
use super::tests::sample;
use super::*;

const PROXY: Address = address!("0x00000000000000000000000000000000000000a1");
const IMPL: Address = address!("0x00000000000000000000000000000000000000b2");
const ADMIN: Address = address!("0x00000000000000000000000000000000000000c3");

fn gated() -> Manifest {
    let mut m = sample();
    m.max_state_age = 600;
    m.code = vec![ExpectedCode {
        address: IMPL,
        code_hash: b256!("0x4444444444444444444444444444444444444444444444444444444444444444"),
    }];
    m.authority = vec![
        Authority::Slot(ExpectedSlot {
            address: PROXY,
            slot: named_slots::EIP1967_ADMIN,
            value: ADMIN.into_word(),
        }),
        Authority::Call(AuthorityCall {
            on: ADMIN,
            signature: "owner()(address)".to_string(),
            calldata: vec![0x8d, 0xa5, 0xcb, 0x5b],
            returns: PROXY.into_word().to_vec(),
        }),
    ];
    m.actions[0].expect = Expect {
        slots: vec![ExpectedSlot {
            address: PROXY,
            slot: named_slots::EIP1967_IMPLEMENTATION,
            value: IMPL.into_word(),
        }],
        events: vec![ExpectedEvent {
            emitter: PROXY,
            signature: "Upgraded(address indexed implementation)".to_string(),
            topics: vec![
                b256!("0xbc7cd75a20ee27fd9adebab32041f755214dbc6bffa90cc0225b39da2e5c2d3b"),
                IMPL.into_word(),
            ],
            data: vec![],
        }],
    };
    m
}

fn load(m: Manifest) -> LoadedManifest {
    LoadedManifest::from_manifest(m).expect("valid")
}

fn invalid(m: Manifest) -> ManifestError {
    LoadedManifest::from_manifest(m).expect_err("must be refused")
}

#[test]
fn the_gate_round_trips_canonically_and_a_manifest_without_it_keeps_its_bytes() {
    let loaded = load(gated());
    let back = LoadedManifest::from_canonical_bytes(loaded.bytes()).expect("reads back");
    assert_eq!(back.manifest(), loaded.manifest());
    assert_eq!(back.bytes(), loaded.bytes());
    // The plain sample writes none of keys 11–13 or 21: its map still has 11 keys.
    let plain = load(sample());
    assert_eq!(plain.bytes()[0], 0xab);
    assert_eq!(loaded.bytes()[0], 0xae, "a map of 14 keys");
    assert!(!plain.manifest().needs_witness(&plain.manifest().actions[0]));
    assert!(loaded.manifest().needs_witness(&loaded.manifest().actions[0]));
}

#[test]
fn each_gate_key_alone_makes_the_gate_apply() {
    let mut m = sample();
    m.authority = gated().authority.clone();
    assert!(m.needs_witness(&m.actions[0]));
    let mut m = sample();
    m.code = gated().code.clone();
    assert!(m.needs_witness(&m.actions[0]));
    let mut m = sample();
    m.actions[0].expect = gated().actions[0].expect.clone();
    assert!(m.needs_witness(&m.actions[0]));
    // max_state_age alone gates nothing: it only bounds a witness.
    let mut m = sample();
    m.max_state_age = 60;
    assert!(!m.needs_witness(&m.actions[0]));
}

/// The bytes of `m` with the value of the last occurrence of `from` replaced by `to`.
fn patched(m: Manifest, from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut v = load(m).bytes().to_vec();
    let at = v.windows(from.len()).rposition(|w| w == from).expect("pattern");
    v.splice(at..at + from.len(), to.iter().copied());
    v
}

#[test]
fn a_gate_key_holding_its_default_is_a_second_encoding() {
    // max_state_age 600 (0x19 0x0258) rewritten as 3600 (0x19 0x0e10).
    let mut m = sample();
    m.max_state_age = 600;
    let v = patched(m, &[0x0b, 0x19, 0x02, 0x58], &[0x0b, 0x19, 0x0e, 0x10]);
    let e = LoadedManifest::from_canonical_bytes(&v).expect_err("default written");
    assert_eq!(e.kind, ManifestErrorKind::NotCanonical);
    assert_eq!(e.field, Some(Field::top("max_state_age")));
    // expect with no slot and no event.
    let mut m = sample();
    m.actions[0].expect = Expect { slots: vec![], events: gated().actions[0].expect.events.clone() };
    let loaded = load(m);
    let mut v = loaded.bytes().to_vec();
    // Key 21, map(2), key 0, [] , key 1, [1 event] → key 1, [] : the events array emptied.
    let at = v.windows(5).rposition(|w| w == [0x15, 0xa2, 0x00, 0x80, 0x01]).expect("expect key");
    v.truncate(at + 5);
    v.push(0x80);
    let e = LoadedManifest::from_canonical_bytes(&v).expect_err("empty expect");
    assert_eq!(e.kind, ManifestErrorKind::NotCanonical);
    assert_eq!(e.field, Some(Field::item("actions", 0).sub("expect")));
}

#[test]
fn an_authority_entry_is_a_slot_or_a_call_never_a_mix() {
    // The slot entry {0, 1, 2} with key 2 renamed to key 4 (a call's calldata): refused, naming
    // the entry.
    let mut m = sample();
    m.authority = vec![gated().authority[0].clone()];
    let loaded = load(m);
    let mut v = loaded.bytes().to_vec();
    let value_key = v.len() - 35; // key 2, the head of bytes(32) (0x58 0x20), the 32-byte value
    assert_eq!(v[value_key..value_key + 3], [0x02, 0x58, 0x20]);
    v[value_key] = 0x04;
    let e = LoadedManifest::from_canonical_bytes(&v).expect_err("a mix");
    assert_eq!(e.field, Some(Field::item("authority", 0)));
    assert!(matches!(e.kind, ManifestErrorKind::UnexpectedType { .. }));
}

#[test]
fn gate_validity_rules() {
    let mut m = gated();
    m.max_state_age = 0;
    assert_eq!(invalid(m).field, Some(Field::top("max_state_age")));
    let mut m = gated();
    m.max_state_age = effects::MAX_STATE_AGE_LIMIT + 1;
    assert!(matches!(invalid(m).kind, ManifestErrorKind::BadEffect { .. }));
    // Reachable code outside allowed_targets.
    let mut m = gated();
    m.code[0].address = ADMIN;
    assert_eq!(invalid(m).kind, ManifestErrorKind::TargetNotAllowed { address: ADMIN });
    let mut m = gated();
    m.code[0].code_hash = B256::ZERO;
    assert_eq!(invalid(m).field, Some(Field::item("code", 0).sub("code_hash")));
    // The same code twice.
    let mut m = gated();
    let again = m.code[0].clone();
    m.code.push(again);
    assert_eq!(invalid(m).field, Some(Field::item("code", 1).sub("address")));
    // The same authority entry twice.
    let mut m = gated();
    let again = m.authority[0].clone();
    m.authority.push(again);
    assert_eq!(invalid(m).field, Some(Field::item("authority", 2)));
    // A call without a selector.
    let mut m = gated();
    if let Some(Authority::Call(c)) = m.authority.get_mut(1) {
        c.calldata.truncate(3);
    }
    assert_eq!(invalid(m).field, Some(Field::item("authority", 1).sub("calldata")));
    // An expected slot or event outside allowed_targets: that is what the gate refuses.
    let mut m = gated();
    m.actions[0].expect.slots[0].address = ADMIN;
    assert_eq!(invalid(m).kind, ManifestErrorKind::TargetNotAllowed { address: ADMIN });
    let mut m = gated();
    m.actions[0].expect.events[0].emitter = ADMIN;
    assert_eq!(invalid(m).kind, ManifestErrorKind::TargetNotAllowed { address: ADMIN });
    // An event with no topic, or five.
    let mut m = gated();
    m.actions[0].expect.events[0].topics.clear();
    assert!(matches!(invalid(m).kind, ManifestErrorKind::BadEffect { .. }));
    let mut m = gated();
    m.actions[0].expect.events[0].topics = vec![B256::ZERO; 5];
    assert!(matches!(invalid(m).kind, ManifestErrorKind::BadEffect { .. }));
    // Two expectations of one slot.
    let mut m = gated();
    let mut other = m.actions[0].expect.slots[0].clone();
    other.value = B256::ZERO;
    m.actions[0].expect.slots.push(other);
    m.normalize();
    assert!(matches!(invalid(m).kind, ManifestErrorKind::BadEffect { .. }));
    // A control character in a signature.
    let mut m = gated();
    m.actions[0].expect.events[0].signature.push('\u{202e}');
    assert_eq!(invalid(m).kind, ManifestErrorKind::ControlCharacter);
}

#[test]
fn normalization_orders_code_and_expected_slots() {
    let mut a = gated();
    a.allowed_targets.push(ADMIN);
    a.normalize();
    a.code.push(ExpectedCode { address: ADMIN, code_hash: B256::with_last_byte(1) });
    a.actions[0].expect.slots.insert(
        0,
        ExpectedSlot { address: PROXY, slot: named_slots::OZ_INITIALIZABLE, value: B256::with_last_byte(2) },
    );
    let mut b = a.clone();
    b.code.reverse();
    b.actions[0].expect.slots.reverse();
    a.normalize();
    b.normalize();
    assert_eq!(load(a).bytes(), load(b).bytes());
}

#[test]
fn an_old_default_manifest_still_decodes_with_the_defaults() {
    let back = LoadedManifest::from_canonical_bytes(load(sample()).bytes()).expect("plain");
    let m = back.manifest();
    assert_eq!(m.max_state_age, DEFAULT_MAX_STATE_AGE);
    assert!(m.code.is_empty() && m.authority.is_empty() && m.actions[0].expect.is_empty());
}
