extern crate std;

use alloc::string::ToString;
use alloc::vec;

use alloy_primitives::{address, b256, hex};
use alloy_sol_types::SolCall;
use proptest::prelude::*;

use super::*;
use crate::calls::{proxy::Proxy, timelock::TimelockController};

const PROXY: Address = address!("0x00000000000000000000000000000000000000a1");
const IMPL: Address = address!("0x00000000000000000000000000000000000000b2");
const EXECUTOR: Address = address!("0xDad77910DbDFdE764fC21FCD4E74D71bBACA6D8D");

fn upgrade_to(implementation: Address) -> Vec<u8> {
    Proxy::upgradeToCall { newImplementation: implementation }.abi_encode()
}

fn action(name: &str, data: Vec<u8>) -> Action {
    Action {
        name: name.to_string(),
        kind: ActionKind::Call,
        to: PROXY,
        value: U256::ZERO,
        data,
        nonce: Some(3),
        gas_limit_max: Some(100_000),
        max_fee_per_gas_max: Some(50_000_000_000),
        max_priority_fee_per_gas_max: None,
        authorizations: vec![],
        replaceable: false,
        abi: vec![],
        approved_hashes: vec![],
        safe_tx: None,
        expect: Default::default(),
        layout: None,
    }
}

pub(crate) fn sample() -> Manifest {
    Manifest {
        release: "box-v2".to_string(),
        chain_id: 1,
        executor: EXECUTOR,
        not_before: 1_000,
        expires_at: 2_000,
        allowed_targets: vec![PROXY, IMPL],
        labels: vec![(PROXY, "Box proxy".to_string())],
        rollback: Rollback {
            manifest_hash: b256!("0x1111111111111111111111111111111111111111111111111111111111111111"),
            note: "back to v1".to_string(),
        },
        actions: vec![action("upgrade", upgrade_to(IMPL))],
        safes: vec![],
        max_state_age: crate::manifest::effects::DEFAULT_MAX_STATE_AGE,
        code: Vec::new(),
        authority: Vec::new(),
    }
}

fn load(m: Manifest) -> LoadedManifest {
    LoadedManifest::from_manifest(m).expect("valid sample")
}

#[test]
fn canonical_round_trip_is_byte_identical() {
    let loaded = load(sample());
    let again = LoadedManifest::from_canonical_bytes(loaded.bytes()).expect("reads back");
    assert_eq!(again.bytes(), loaded.bytes());
    assert_eq!(again.hash(), loaded.hash());
    assert_eq!(again.manifest(), loaded.manifest());
    assert_eq!(loaded.hash().0, keccak256(loaded.bytes()));
}

#[test]
fn normalization_makes_author_order_irrelevant() {
    let mut a = sample();
    a.allowed_targets = vec![IMPL, PROXY, IMPL];
    let b = sample();
    assert_eq!(load(a).bytes(), load(b).bytes());
}

#[test]
fn encoding_starts_with_the_documented_header() {
    let loaded = load(sample());
    // map(11), key 0, text(26) "bounded-signer/manifest/v1"
    assert_eq!(loaded.bytes()[..3], [0xab, 0x00, 0x78]);
    assert_eq!(loaded.bytes()[3], 26);
    assert_eq!(&loaded.bytes()[4..30], FORMAT_V1.as_bytes());
}

fn refused(bytes: &[u8]) -> ManifestErrorKind {
    LoadedManifest::from_canonical_bytes(bytes).expect_err("must be refused").kind
}

#[test]
fn non_canonical_variants_are_refused() {
    let good = load(sample()).bytes().to_vec();
    // Trailing byte.
    let mut v = good.clone();
    v.push(0);
    assert_eq!(refused(&v), ManifestErrorKind::TrailingBytes);
    // Truncated.
    assert_eq!(refused(&good[..good.len() - 1]), ManifestErrorKind::Truncated);
    // chain_id 1 written in the two-byte form (0x18 0x01) instead of 0x01.
    let pos = good.windows(2).position(|w| w == [0x02, 0x01]).expect("chain id key");
    let mut v = good.clone();
    v.splice(pos + 1..pos + 2, [0x18, 0x01]);
    let e = LoadedManifest::from_canonical_bytes(&v).expect_err("non-minimal int");
    assert_eq!(e.kind, ManifestErrorKind::NotCanonical);
    assert_eq!(e.offset, Some(pos + 1));
    // Indefinite-length top-level map.
    let mut v = good.clone();
    v[0] = 0xbf;
    v.push(0xff);
    assert!(matches!(refused(&v), ManifestErrorKind::UnexpectedType { .. }));
    // Unknown format.
    let mut v = good;
    v[4 + 25] = b'2';
    assert_eq!(refused(&v), ManifestErrorKind::UnknownFormat);
}

#[test]
fn unknown_and_out_of_order_keys_are_named() {
    // A map with key 14 where key 0 should be.
    let e = LoadedManifest::from_canonical_bytes(&[0xa1, 0x0e, 0x00]).expect_err("unknown key");
    assert_eq!(e.kind, ManifestErrorKind::UnknownKey { key: 14 });
    assert_eq!(e.offset, Some(1));
    // Key 11 (max_state_age) is known, but keys 0–10 come first.
    let e = LoadedManifest::from_canonical_bytes(&[0xa1, 0x0b, 0x00]).expect_err("missing key");
    assert_eq!(e.kind, ManifestErrorKind::MissingKey);
    assert_eq!(e.field, Some(Field::top("format")));
    let e = LoadedManifest::from_canonical_bytes(&[0xa1, 0x01, 0x60]).expect_err("missing key");
    assert_eq!(e.kind, ManifestErrorKind::MissingKey);
    assert_eq!(e.field, Some(Field::top("format")));
    let e = LoadedManifest::from_canonical_bytes(&[0xa0]).expect_err("empty map");
    assert_eq!(e.kind, ManifestErrorKind::MissingKey);
}

#[test]
fn a_manifest_without_safes_keeps_its_bytes() {
    // Key 10 was written as [] by every manifest before Safes; it still is.
    let v = load(sample()).bytes().to_vec();
    assert_eq!(v[v.len() - 2..], [0x0a, 0x80]);
}

#[test]
fn validity_rules() {
    let check = |f: &dyn Fn(&mut Manifest)| {
        let mut m = sample();
        f(&mut m);
        LoadedManifest::from_manifest(m).expect_err("invalid").kind
    };
    assert_eq!(check(&|m| m.expires_at = m.not_before), ManifestErrorKind::EmptyWindow);
    assert_eq!(check(&|m| m.actions.clear()), ManifestErrorKind::NoActions);
    assert_eq!(check(&|m| m.rollback.manifest_hash = B256::ZERO), ManifestErrorKind::RollbackMissing);
    assert_eq!(check(&|m| m.chain_id = 0), ManifestErrorKind::ZeroChainId);
    assert_eq!(check(&|m| m.executor = Address::ZERO), ManifestErrorKind::ZeroExecutor);
    assert_eq!(
        check(&|m| m.allowed_targets.retain(|a| *a != PROXY)),
        ManifestErrorKind::TargetNotAllowed { address: PROXY }
    );
    assert_eq!(
        check(&|m| m.allowed_targets.retain(|a| *a != IMPL)),
        ManifestErrorKind::NestedTargetNotAllowed { address: IMPL }
    );
    assert_eq!(
        check(&|m| m.actions.push(action("upgrade", upgrade_to(IMPL)))),
        ManifestErrorKind::DuplicateActionName
    );
    assert_eq!(
        check(&|m| m.actions.push(action("again", upgrade_to(IMPL)))),
        ManifestErrorKind::DuplicateAction
    );
    assert_eq!(check(&|m| m.actions[0].data.push(0)), ManifestErrorKind::CalldataNotCanonical);
    assert_eq!(check(&|m| m.release = "a\u{202e}b".to_string()), ManifestErrorKind::ControlCharacter);
}

#[test]
fn big_values_use_bignum_and_round_trip() {
    let mut m = sample();
    m.actions[0].value = U256::MAX;
    m.actions[0].max_priority_fee_per_gas_max = Some(u128::MAX);
    let loaded = load(m);
    let bytes = loaded.bytes();
    // tag 2 + bytes(32) of 0xff
    let needle = [&[0xc2, 0x58, 0x20][..], &[0xff; 32][..]].concat();
    assert!(bytes.windows(needle.len()).any(|w| w == needle.as_slice()));
    let again = LoadedManifest::from_canonical_bytes(bytes).expect("reads back");
    assert_eq!(again.manifest().actions[0].value, U256::MAX);
}

#[test]
fn a_bignum_that_fits_u64_is_not_canonical() {
    let mut m = sample();
    m.actions[0].value = U256::from(5);
    let mut bytes = load(m).bytes().to_vec();
    // value key 3 then 0x05 inside the action: rewrite as tag 2, bytes(1) 0x05.
    let pos = bytes.windows(3).position(|w| w == [0x03, 0x05, 0x04]).expect("value field");
    bytes.splice(pos + 1..pos + 2, [0xc2, 0x41, 0x05]);
    assert_eq!(refused(&bytes), ManifestErrorKind::NotCanonical);
}

#[test]
fn errors_name_the_field_and_offset() {
    let mut bytes = load(sample()).bytes().to_vec();
    // Make the executor 19 bytes long: bytes(20) header 0x54 -> 0x53.
    let pos = bytes.windows(2).position(|w| w == [0x03, 0x54]).expect("executor");
    bytes[pos + 1] = 0x53;
    let e = LoadedManifest::from_canonical_bytes(&bytes).expect_err("short executor");
    assert_eq!(e.kind, ManifestErrorKind::WrongLength { expected: 20 });
    assert_eq!(e.field, Some(Field::top("executor")));
    assert_eq!(e.offset, Some(pos + 1));
    assert!(e.to_string().starts_with("executor (byte "));
}

#[test]
fn oversize_input_is_refused_before_decoding() {
    let big = vec![0u8; crate::limits::MAX_MANIFEST_BYTES + 1];
    assert!(matches!(refused(&big), ManifestErrorKind::TooLarge { .. }));
}

#[test]
fn lying_lengths_do_not_allocate() {
    // An array claiming 2^32 elements in a 10-byte input.
    let bytes = hex!("ab0078 1a").to_vec();
    assert!(LoadedManifest::from_canonical_bytes(&bytes).is_err());
    assert!(LoadedManifest::from_canonical_bytes(&hex!("ab00 7b00000000ffffffff")).is_err());
    // A map claiming more entries than bytes remain is refused at its header.
    let e = LoadedManifest::from_canonical_bytes(&hex!("ab00 79ffff")).expect_err("lying map");
    assert_eq!((e.kind, e.offset), (ManifestErrorKind::Truncated, Some(0)));
    // A text longer than its field's limit is refused before it is read.
    let e = LoadedManifest::from_canonical_bytes(&hex!("a1 00 79ffff 00")).expect_err("long text");
    assert_eq!((e.kind, e.offset), (ManifestErrorKind::TextTooLong { max: 256 }, Some(2)));
}

fn arb_manifest() -> impl Strategy<Value = Manifest> {
    (
        "[a-z0-9 -]{0,40}",
        1u64..u64::MAX,
        0u64..1 << 40,
        1u64..1 << 40,
        proptest::collection::vec(any::<[u8; 20]>(), 0..6),
        any::<u128>(),
        proptest::option::of(any::<u64>()),
        any::<[u8; 32]>(),
    )
        .prop_map(|(release, chain_id, start, len, extra, value, nonce, salt)| {
            let mut m = sample();
            m.release = release;
            m.chain_id = chain_id;
            m.not_before = start;
            m.expires_at = start + len;
            m.allowed_targets.extend(extra.into_iter().map(Address::from));
            m.actions[0].value = U256::from(value);
            m.actions[0].nonce = nonce;
            m.rollback.manifest_hash = B256::from(salt) | B256::with_last_byte(1);
            m
        })
}

proptest! {
    #[test]
    fn prop_canonical_round_trip(m in arb_manifest()) {
        let loaded = load(m);
        let again = LoadedManifest::from_canonical_bytes(loaded.bytes()).expect("round trip");
        prop_assert_eq!(again.bytes(), loaded.bytes());
        prop_assert_eq!(again.manifest(), loaded.manifest());
    }

    #[test]
    fn prop_every_single_byte_change_is_refused_or_changes_the_hash(
        m in arb_manifest(), index in any::<prop::sample::Index>(), flip in 1u8..=255,
    ) {
        let loaded = load(m);
        let mut bytes = loaded.bytes().to_vec();
        let i = index.index(bytes.len());
        bytes[i] ^= flip;
        if let Ok(other) = LoadedManifest::from_canonical_bytes(&bytes) {
            // Accepted only as the canonical encoding of a different manifest.
            prop_assert_ne!(other.hash(), loaded.hash());
            prop_assert_ne!(other.manifest(), loaded.manifest());
        }
    }

    #[test]
    fn prop_inserting_or_deleting_a_byte_is_refused(m in arb_manifest(), index in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let loaded = load(m);
        let mut longer = loaded.bytes().to_vec();
        let i = index.index(longer.len());
        longer.insert(i, byte);
        let shorter = [&loaded.bytes()[..i], &loaded.bytes()[i + 1..]].concat();
        prop_assert!(LoadedManifest::from_canonical_bytes(&longer).map(|l| l.hash() != loaded.hash()).unwrap_or(true));
        prop_assert!(LoadedManifest::from_canonical_bytes(&shorter).map(|l| l.hash() != loaded.hash()).unwrap_or(true));
    }

    #[test]
    fn prop_decoder_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = LoadedManifest::from_canonical_bytes(&bytes);
    }
}

#[test]
fn an_unapproved_manifest_is_hashed_and_walked_never_decoded() {
    let loaded = LoadedManifest::from_manifest(sample()).expect("valid");
    let bytes = loaded.bytes().to_vec();
    let hash = loaded.hash();
    let other = ManifestHash(B256::with_last_byte(9));
    assert!(matches!(OpenedManifest::open(&bytes, hash), Ok(OpenedManifest::Approved(_))));
    assert!(
        matches!(OpenedManifest::open(&bytes, other), Ok(OpenedManifest::NotApproved { hash: h }) if h == hash)
    );
    // Well-formed CBOR that is no manifest at all is a hash mismatch, not a decode error.
    assert!(matches!(OpenedManifest::open(&[0x83, 1, 2, 3], other), Ok(OpenedManifest::NotApproved { .. })));
    let indefinite = [0x9f, 0x5f, 0x41, 0xaa, 0xff, 0xbf, 0x01, 0x02, 0xff, 0xff];
    assert!(matches!(OpenedManifest::open(&indefinite, other), Ok(OpenedManifest::NotApproved { .. })));
    // Malformed or trailing bytes are still an input error, with the offset.
    let e = OpenedManifest::open(&[0x83, 1, 2], other).expect_err("truncated");
    assert_eq!((e.kind, e.offset), (ManifestErrorKind::Truncated, Some(3)));
    let e = OpenedManifest::open(&[0x01, 0x02], other).expect_err("trailing");
    assert_eq!((e.kind, e.offset), (ManifestErrorKind::TrailingBytes, Some(1)));
    let e = OpenedManifest::open(&[0xff], other).expect_err("stray break");
    assert_eq!(e.kind, ManifestErrorKind::MalformedCbor);
    let e = OpenedManifest::open(&[0x5f, 0x61, 0x61, 0xff], other).expect_err("text chunk in bytes");
    assert_eq!(e.kind, ManifestErrorKind::MalformedCbor);
    let deep = [0x81u8; 40];
    assert_eq!(OpenedManifest::open(&deep, other).expect_err("deep").kind, ManifestErrorKind::MalformedCbor);
    // A claimed length far beyond the input is truncation, found without allocating.
    let e = OpenedManifest::open(&[0x5b, 0, 0, 0, 0, 0, 0x10, 0, 0], other).expect_err("lying length");
    assert_eq!(e.kind, ManifestErrorKind::Truncated);
}

#[test]
fn a_manifest_whose_action_aliases_abi_tails_is_refused_in_linear_time() {
    // An action whose calldata is a Timelock batch with every payload offset on one tail.
    let mut m = sample();
    let inner = alloy_sol_types::SolCall::abi_encode(&Proxy::upgradeToCall {
        newImplementation: m.allowed_targets[0],
    });
    let n = 64usize;
    let call = TimelockController::executeBatchCall {
        targets: vec![m.allowed_targets[0]; n],
        values: vec![U256::ZERO; n],
        payloads: vec![inner.into(); n],
        predecessor: B256::ZERO,
        salt: B256::ZERO,
    };
    let mut data = alloy_sol_types::SolCall::abi_encode(&call);
    // Point every payload at the first payload's tail.
    let list = 4 + usize::try_from(U256::from_be_slice(&data[4 + 64..4 + 96])).expect("small");
    let first = data[list + 32..list + 64].to_vec();
    for i in 1..n {
        data[list + 32 + 32 * i..list + 64 + 32 * i].copy_from_slice(&first);
    }
    m.actions[0].data = data;
    let e = LoadedManifest::from_manifest(m).expect_err("aliased");
    assert_eq!(e.kind, ManifestErrorKind::CalldataNotCanonical);
}

#[test]
fn replaceable_is_written_only_when_true_and_refused_as_false() {
    let plain = load(sample());
    let mut m = sample();
    m.actions[0].replaceable = true;
    let opted = load(m);
    // Key 10 (0x0a) with `true` (0xf5) after the authorizations, and one more map entry.
    assert_eq!(opted.bytes().len(), plain.bytes().len() + 2);
    assert!(opted.bytes().windows(2).any(|w| w == [0x0a, 0xf5]));
    let back = LoadedManifest::from_canonical_bytes(opted.bytes()).expect("round trip");
    assert!(back.manifest().actions[0].replaceable);
    assert!(
        !LoadedManifest::from_canonical_bytes(plain.bytes()).expect("plain").manifest().actions[0]
            .replaceable
    );
    // `false` written out is a second encoding of the default: refused.
    let mut v = opted.bytes().to_vec();
    let at = v.windows(2).rposition(|w| w == [0x0a, 0xf5]).expect("key 10");
    v[at + 1] = 0xf4;
    let e = LoadedManifest::from_canonical_bytes(&v).expect_err("default written");
    assert_eq!(e.kind, ManifestErrorKind::NotCanonical);
    assert_eq!(e.field, Some(Field::item("actions", 0).sub("replaceable")));
    // Keys 19 and 20 are a Safe action's (refused on a call action); 21 (expect) is a map, 22
    // (layout) an array; key 23 is unknown.
    let mut v = opted.bytes().to_vec();
    v[at] = 0x13;
    assert_eq!(refused(&v), ManifestErrorKind::NotForThisKind);
    v[at] = 0x14;
    assert_eq!(refused(&v), ManifestErrorKind::NotForThisKind);
    v[at] = 0x15;
    assert!(matches!(refused(&v), ManifestErrorKind::UnexpectedType { .. }));
    v[at] = 0x16;
    assert!(matches!(refused(&v), ManifestErrorKind::UnexpectedType { .. }));
    v[at] = 0x17;
    assert_eq!(refused(&v), ManifestErrorKind::UnknownKey { key: 23 });
}

#[test]
fn a_layout_record_round_trips_and_an_unexplained_incompatible_one_is_invalid() {
    let plain = load(sample());
    let mut m = sample();
    let record = LayoutRecord {
        old_digest: B256::repeat_byte(1),
        new_digest: B256::repeat_byte(2),
        compatible: true,
        allowed_change: String::new(),
    };
    m.actions[0].layout = Some(record.clone());
    let with = load(m.clone());
    // Key 22 (0x16), [bytes(32), bytes(32), true, ""]: 1 + 1 + 2 × 34 + 1 + 1 bytes more.
    assert_eq!(with.bytes().len(), plain.bytes().len() + 72);
    let back = LoadedManifest::from_canonical_bytes(with.bytes()).expect("round trip");
    assert_eq!(back.manifest().actions[0].layout, Some(record.clone()));
    // Incompatible: only with a reason.
    m.actions[0].layout = Some(LayoutRecord { compatible: false, ..record.clone() });
    let e = LoadedManifest::from_manifest(m.clone()).expect_err("no reason");
    assert_eq!(e.kind, ManifestErrorKind::LayoutChangeNotAllowed);
    assert_eq!(e.field, Some(Field::item("actions", 0).sub("layout")));
    m.actions[0].layout =
        Some(LayoutRecord { compatible: false, allowed_change: "a reviewed rename".into(), ..record });
    let allowed = load(m);
    let back = LoadedManifest::from_canonical_bytes(allowed.bytes()).expect("round trip");
    assert_eq!(
        back.manifest().actions[0].layout.as_ref().map(|l| l.allowed_change.as_str()),
        Some("a reviewed rename")
    );
    // A manifest without one keeps its bytes and hash.
    assert_eq!(load(sample()).hash(), plain.hash());
}

#[test]
fn abi_is_written_only_when_not_empty_and_refused_as_empty() {
    let plain = load(sample());
    let mut m = sample();
    m.actions[0].abi = vec!["function initializeV2(uint256)".to_string()];
    let named = load(m);
    let back = LoadedManifest::from_canonical_bytes(named.bytes()).expect("round trip");
    assert_eq!(back.manifest().actions[0].abi, ["function initializeV2(uint256)"]);
    assert!(
        LoadedManifest::from_canonical_bytes(plain.bytes()).expect("plain").manifest().actions[0]
            .abi
            .is_empty()
    );
    // Key 11 holding an empty array is a second encoding of the default.
    let text_len = "function initializeV2(uint256)".len();
    let mut v = named.bytes().to_vec();
    let at = v.windows(2).rposition(|w| w == [0x0b, 0x81]).expect("key 11, one entry");
    // 0x81, then the text head (0x78, length) and the text.
    v.splice(at + 1..at + 4 + text_len, [0x80]);
    let e = LoadedManifest::from_canonical_bytes(&v).expect_err("empty abi");
    assert_eq!(e.kind, ManifestErrorKind::NotCanonical);
    assert_eq!(e.field, Some(Field::item("actions", 0).sub("abi")));
}

const SAFE: Address = address!("0x5aFE3855358E112B5647B952709E6165e1c1eEEe");
const OUTER: Address = address!("0x5afe000000000000000000000000000000000001");
const MULTI_SEND: Address = address!("0x9641d764fc13c8B624c04430C7356C1C7C8102e2");

fn safe_decl(address: Address, owned_by: Option<Address>) -> SafeDecl {
    SafeDecl {
        address,
        version: SafeVersion::V1_4_1,
        l2: address == SAFE,
        owners: vec![address!("0x1000000000000000000000000000000000000001"), EXECUTOR],
        threshold: 2,
        delegatecall_allowed: vec![MULTI_SEND],
        owned_by,
    }
}

fn safe_action(name: &str, fields: SafeActionFields) -> Action {
    let mut a = action(name, upgrade_to(IMPL));
    a.kind = ActionKind::Safe;
    a.nonce = Some(4);
    a.gas_limit_max = None;
    a.safe_tx = Some(fields);
    a
}

fn plain_safe_fields() -> SafeActionFields {
    SafeActionFields::through(SAFE)
}

fn with_safes() -> Manifest {
    let mut m = sample();
    m.allowed_targets = vec![PROXY, IMPL, SAFE, OUTER, EXECUTOR];
    m.normalize();
    m.safes = vec![safe_decl(SAFE, Some(OUTER)), safe_decl(OUTER, None)];
    m.safes.sort_by_key(|s| s.address);
    let every_field = SafeActionFields {
        operation: 0,
        safe_tx_gas: U256::from(100_000),
        base_gas: U256::from(21_000),
        gas_price: U256::from(1),
        gas_token: EXECUTOR,
        refund_receiver: EXECUTOR,
        ..plain_safe_fields()
    };
    m.actions.push(safe_action("safe-plain", plain_safe_fields()));
    let mut refund = safe_action("safe-refund", every_field);
    refund.nonce = Some(5);
    m.actions.push(refund);
    m
}

#[test]
fn safes_and_safe_actions_round_trip_canonically() {
    let loaded = load(with_safes());
    let again = LoadedManifest::from_canonical_bytes(loaded.bytes()).expect("reads back");
    assert_eq!(again.bytes(), loaded.bytes());
    assert_eq!(again.manifest(), loaded.manifest());
    let m = again.manifest();
    assert_eq!(m.safes.len(), 2);
    assert_eq!(m.safe(&SAFE).map(SafeDecl::version_text).as_deref(), Some("1.4.1+L2"));
    assert_eq!(m.actions[1].kind, ActionKind::Safe);
    assert_eq!(m.actions[1].safe_tx, Some(plain_safe_fields()));
    assert_eq!(m.actions[2].safe_tx.map(|s| s.gas_price), Some(U256::from(1)));
    // A Safe action with every field at its default writes only its Safe (key 12, 0x0c): the
    // call action keys (10) plus one.
    let plain = load({
        let mut m = with_safes();
        m.actions.truncate(2);
        m
    });
    assert!(plain.bytes().windows(22).any(|w| w[..2] == [0x0c, 0x54] && w[2..] == SAFE.0.0));
}

#[test]
fn a_safe_field_at_its_default_or_on_a_call_action_is_refused() {
    let loaded = load(with_safes());
    let bytes = loaded.bytes().to_vec();
    // The refund action's key 16 (gas_price) holds 1: written as 0 it would be a second encoding.
    let at = bytes.windows(2).rposition(|w| w == [0x10, 0x01]).expect("key 16 = 1");
    let mut v = bytes;
    v[at + 1] = 0x00;
    let e = LoadedManifest::from_canonical_bytes(&v).expect_err("zero written");
    assert_eq!(e.kind, ManifestErrorKind::NotCanonical);
    assert_eq!(e.field, Some(Field::item("actions", 2).sub("gas_price")));
    // A Safe field on a call action (built in the model: the encoder writes what it is given).
    let mut m = sample();
    m.actions[0].safe_tx = Some(plain_safe_fields());
    m.allowed_targets.push(SAFE);
    m.normalize();
    m.safes = vec![safe_decl(SAFE, None)];
    assert_eq!(
        LoadedManifest::from_manifest(m).expect_err("call with safe").kind,
        ManifestErrorKind::NotForThisKind
    );
}

#[test]
fn safe_validity_rules() {
    let check = |f: &dyn Fn(&mut Manifest)| {
        let mut m = with_safes();
        f(&mut m);
        LoadedManifest::from_manifest(m).expect_err("invalid").kind
    };
    use ManifestErrorKind as K;
    assert_eq!(check(&|m| m.safes.retain(|s| s.address != SAFE)), K::SafeNotDeclared { address: SAFE });
    assert_eq!(check(&|m| m.actions[1].nonce = None), K::SafeNonceMissing);
    assert!(matches!(check(&|m| m.safes[1].threshold = 3), K::BadSafe { .. }));
    assert!(matches!(check(&|m| m.safes[1].threshold = 0), K::BadSafe { .. }));
    assert!(matches!(check(&|m| m.safes[1].owners.reverse()), K::BadSafe { .. }));
    assert!(matches!(check(&|m| m.safes[0].owned_by = Some(IMPL)), K::BadSafe { .. }));
    assert_eq!(check(&|m| m.safes.reverse()), K::NotCanonical);
    assert_eq!(
        check(&|m| m.allowed_targets.retain(|a| *a != EXECUTOR)),
        K::TargetNotAllowed { address: EXECUTOR },
        "a refund token and receiver are reached"
    );
    // A delegatecall in the Safe's own context to a target outside delegatecall_allowed.
    assert_eq!(
        check(&|m| {
            if let Some(s) = &mut m.actions[1].safe_tx {
                s.operation = 1;
            }
        }),
        K::DelegatecallNotAllowed { address: PROXY }
    );
    // The same Safe action twice (kind, Safe, to, data, value and nonce alike), under two names.
    assert_eq!(
        check(&|m| {
            let mut twin = m.actions[1].clone();
            twin.name = "twin".to_string();
            m.actions.push(twin);
        }),
        K::DuplicateAction
    );
    // A call action with the same (to, data, value, nonce) as a Safe action is another action.
    let mut m = with_safes();
    let mut call = m.actions[1].clone();
    call.kind = ActionKind::Call;
    call.safe_tx = None;
    call.name = "direct".to_string();
    m.actions.push(call);
    assert!(LoadedManifest::from_manifest(m).is_ok());
}

#[test]
fn approved_hashes_round_trip_and_name_owners_once_in_order() {
    let owners = safe_decl(SAFE, None).owners;
    let mut m = with_safes();
    m.actions[1].approved_hashes = owners.clone();
    let loaded = load(m);
    let again = LoadedManifest::from_canonical_bytes(loaded.bytes()).expect("reads back");
    assert_eq!(again.manifest().actions[1].approved_hashes, owners);
    // Key 20 (0x14), an array of the two owners, follows the Safe keys.
    let head = [0x14, 0x82, 0x54];
    let at = loaded.bytes().windows(3).position(|w| w == head).expect("key 20 written");
    assert_eq!(loaded.bytes()[at + 3..at + 23], owners[0].0.0);
    // Without the key, the manifest keeps its bytes: the field is written only when used.
    assert!(!load(with_safes()).bytes().windows(3).any(|w| w == head));
    // Written empty, it is a second encoding of the default.
    let mut v = loaded.bytes().to_vec();
    v.splice(at + 1..at + 1 + 1 + 2 * 21, [0x80]);
    let e = LoadedManifest::from_canonical_bytes(&v).expect_err("empty list");
    assert_eq!(e.kind, ManifestErrorKind::NotCanonical);
    assert_eq!(e.field, Some(Field::item("actions", 1).sub("approved_hashes")));

    let check = |f: &dyn Fn(&mut Manifest)| {
        let mut m = with_safes();
        f(&mut m);
        LoadedManifest::from_manifest(m).expect_err("invalid")
    };
    let e = check(&|m| m.actions[1].approved_hashes = owners.iter().rev().copied().collect());
    assert!(matches!(e.kind, ManifestErrorKind::BadSafe { .. }), "{e:?}");
    let e = check(&|m| m.actions[1].approved_hashes = vec![owners[0], owners[0]]);
    assert!(matches!(e.kind, ManifestErrorKind::BadSafe { .. }), "{e:?}");
    let e = check(&|m| m.actions[1].approved_hashes = vec![IMPL]);
    assert!(matches!(e.kind, ManifestErrorKind::BadSafe { rule } if rule.contains("owner")), "{e:?}");
    assert_eq!(e.field, Some(Field::item("actions", 1).sub("approved_hashes")));
    let e = check(&|m| m.actions[0].approved_hashes = vec![owners[0]]);
    assert_eq!(e.kind, ManifestErrorKind::NotForThisKind);
}
