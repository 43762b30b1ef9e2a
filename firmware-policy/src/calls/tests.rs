extern crate std;

use alloc::string::ToString;
use alloc::vec;

use alloy_primitives::{address, hex};

use super::*;
use super::{multisend::MultiSend, proxy::Proxy, safe::Safe, timelock::TimelockController};

const PROXY: Address = address!("0x00000000000000000000000000000000000000a1");
const IMPL: Address = address!("0x00000000000000000000000000000000000000b2");

#[test]
fn selectors_are_the_well_known_ones() {
    assert_eq!(Proxy::upgradeToCall::SELECTOR, hex!("3659cfe6"));
    assert_eq!(Proxy::upgradeToAndCallCall::SELECTOR, hex!("4f1ef286"));
    assert_eq!(Proxy::upgradeCall::SELECTOR, hex!("99a88ec4"));
    assert_eq!(Proxy::upgradeAndCallCall::SELECTOR, hex!("9623609d"));
    assert_eq!(Proxy::changeProxyAdminCall::SELECTOR, hex!("7eff275e"));
    assert_eq!(Proxy::transferOwnershipCall::SELECTOR, hex!("f2fde38b"));
    assert_eq!(TimelockController::scheduleCall::SELECTOR, hex!("01d5062a"));
    assert_eq!(TimelockController::scheduleBatchCall::SELECTOR, hex!("8f2a0bb0"));
    assert_eq!(TimelockController::executeCall::SELECTOR, hex!("134008d3"));
    assert_eq!(TimelockController::executeBatchCall::SELECTOR, hex!("e38335e5"));
    assert_eq!(TimelockController::cancelCall::SELECTOR, hex!("c4d252f5"));
    assert_eq!(Safe::execTransactionCall::SELECTOR, hex!("6a761202"));
    assert_eq!(MultiSend::multiSendCall::SELECTOR, hex!("8d80ff0a"));
    assert_eq!(Safe::approveHashCall::SELECTOR, hex!("d4d9bdcd"));
}

#[test]
fn empty_and_unknown_calldata_are_never_guessed() {
    let n = decode_call(Some(PROXY), U256::ZERO, Operation::Call, &[]).expect("decodes");
    assert_eq!((n.selector, n.function, n.canonical), (None, None, true));
    let n = decode_call(Some(PROXY), U256::ZERO, Operation::Call, &hex!("deadbeef00")).expect("decodes");
    assert_eq!((n.selector, n.function), (Some(hex!("deadbeef")), None));
    assert!(n.known_as.is_empty());
    let n = decode_call(Some(PROXY), U256::ZERO, Operation::Call, &hex!("dead")).expect("decodes");
    assert!(!n.canonical, "two bytes are not an ABI call");
}

#[test]
fn trailing_bytes_mark_the_node_non_canonical() {
    let mut data = Proxy::upgradeToCall { newImplementation: IMPL }.abi_encode();
    let n = decode_call(Some(PROXY), U256::ZERO, Operation::Call, &data).expect("decodes");
    assert!(n.canonical);
    assert_eq!(n.reached_addresses(), vec![IMPL]);
    data.push(0);
    let n = decode_call(Some(PROXY), U256::ZERO, Operation::Call, &data).expect("decodes");
    assert!(!n.canonical);
}

#[test]
fn a_shared_selector_is_labelled_with_every_user() {
    let data = Proxy::upgradeToCall { newImplementation: IMPL }.abi_encode();
    let n = decode_call(Some(PROXY), U256::ZERO, Operation::Call, &data).expect("decodes");
    assert!(n.known_as.contains(&"UpgradeableBeacon"));
    assert!(n.known_as.iter().any(|k| k.contains("UUPS")));
}

#[test]
fn malformed_known_call_is_shown_not_rejected() {
    // upgradeTo with a 31-byte argument.
    let mut data = Proxy::upgradeToCall { newImplementation: IMPL }.abi_encode();
    data.pop();
    let n = decode_call(Some(PROXY), U256::ZERO, Operation::Call, &data).expect("decodes");
    assert_eq!(n.function, Some("upgradeTo(address)"));
    assert!(!n.canonical);
    assert!(n.args.is_empty());
}

#[test]
fn multisend_packed_batch_and_its_errors() {
    let entry = |op: u8, to: Address, data: &[u8]| {
        let mut e = vec![op];
        e.extend_from_slice(to.as_slice());
        e.extend_from_slice(&[0u8; 32]);
        e.extend_from_slice(&U256::from(data.len()).to_be_bytes::<32>());
        e.extend_from_slice(data);
        e
    };
    let up = Proxy::upgradeToCall { newImplementation: IMPL }.abi_encode();
    let packed = [entry(0, PROXY, &up), entry(1, IMPL, &[])].concat();
    let call = MultiSend::multiSendCall { transactions: packed.clone().into() }.abi_encode();
    let n = decode_call(Some(PROXY), U256::ZERO, Operation::DelegateCall, &call).expect("decodes");
    assert!(n.is_canonical());
    assert_eq!(n.children.len(), 2);
    assert_eq!(n.children[1].operation, Operation::DelegateCall);
    assert_eq!(n.children[0].function, Some("upgradeTo(address)"));
    // A truncated batch.
    let call =
        MultiSend::multiSendCall { transactions: packed[..packed.len() - 1].to_vec().into() }.abi_encode();
    let n = decode_call(Some(PROXY), U256::ZERO, Operation::Call, &call).expect("decodes");
    assert!(!n.canonical);
    // A bad operation byte.
    let call = MultiSend::multiSendCall { transactions: entry(2, PROXY, &[]).into() }.abi_encode();
    let n = decode_call(Some(PROXY), U256::ZERO, Operation::Call, &call).expect("decodes");
    assert!(!n.canonical);
}

#[test]
fn nesting_deeper_than_the_limit_is_an_error() {
    // Each Timelock execute wraps the next: depth grows by one per wrapper.
    let mut data = Proxy::upgradeToCall { newImplementation: IMPL }.abi_encode();
    for _ in 0..MAX_CALL_DEPTH {
        data = TimelockController::executeCall {
            target: PROXY,
            value: U256::ZERO,
            payload: data.into(),
            predecessor: B256::ZERO,
            salt: B256::ZERO,
        }
        .abi_encode();
    }
    let n = decode_call(Some(PROXY), U256::ZERO, Operation::Call, &data).expect("8 levels decode");
    assert_eq!(n.depth(), MAX_CALL_DEPTH);
    let data = TimelockController::executeCall {
        target: PROXY,
        value: U256::ZERO,
        payload: data.into(),
        predecessor: B256::ZERO,
        salt: B256::ZERO,
    }
    .abi_encode();
    assert_eq!(decode_call(Some(PROXY), U256::ZERO, Operation::Call, &data), Err(CallTreeError::TooDeep));
}

#[test]
fn timelock_batch_with_mismatched_lengths_is_non_canonical() {
    let data = TimelockController::scheduleBatchCall {
        targets: vec![PROXY, IMPL],
        values: vec![U256::ZERO],
        payloads: vec![Bytes::new(), Bytes::new()],
        predecessor: B256::ZERO,
        salt: B256::ZERO,
        delay: U256::ZERO,
    }
    .abi_encode();
    let n = decode_call(Some(PROXY), U256::ZERO, Operation::Call, &data).expect("decodes");
    assert!(!n.canonical);
    assert!(n.children.is_empty());
}

#[test]
fn safe_operation_other_than_0_or_1_is_non_canonical() {
    let data = Safe::execTransactionCall {
        to: PROXY,
        value: U256::ZERO,
        data: Bytes::new(),
        operation: 2,
        safeTxGas: U256::ZERO,
        baseGas: U256::ZERO,
        gasPrice: U256::ZERO,
        gasToken: Address::ZERO,
        refundReceiver: Address::ZERO,
        signatures: Bytes::new(),
    }
    .abi_encode();
    let n = decode_call(Some(PROXY), U256::ZERO, Operation::Call, &data).expect("decodes");
    assert!(!n.canonical);
    assert!(n.children.is_empty());
}

/// The layout shape of each table entry must be the one its signature names: a wrong entry
/// would refuse canonical calldata (or accept aliasing).
#[test]
fn every_layout_matches_its_signature() {
    use layout::Param;
    for selector in table::all_selectors() {
        let known = table::lookup(selector).expect("listed");
        let inner =
            known.signature.split_once('(').and_then(|(_, rest)| rest.strip_suffix(')')).expect("sig");
        let expected: Vec<Param> = inner
            .split(',')
            .filter(|t| !t.is_empty())
            .map(|t| match t {
                "bytes" | "string" => Param::Bytes,
                "bytes[]" => Param::BytesList,
                t if t.ends_with("[]") => Param::Words,
                _ => Param::Word,
            })
            .collect();
        assert_eq!(known.params, expected.as_slice(), "{}", known.signature);
    }
}

/// `executeBatch` whose `n` payload offsets all point at one shared `inner`: the construction
/// that made a 7 KB transaction cost 14 GB.
fn aliased_batch(n: usize, inner: &[u8]) -> Vec<u8> {
    let word = |v: usize| U256::from(v).to_be_bytes::<32>();
    let mut out = TimelockController::executeBatchCall::SELECTOR.to_vec();
    // Head: targets, values, payloads offsets; predecessor; salt.
    let targets_at = 5 * 32;
    let values_at = targets_at + 32 + 32 * n;
    let payloads_at = values_at + 32 + 32 * n;
    for v in [targets_at, values_at, payloads_at, 0, 0] {
        out.extend_from_slice(&word(v));
    }
    out.extend_from_slice(&word(n));
    for _ in 0..n {
        out.extend_from_slice(&word(0xa1));
    }
    out.extend_from_slice(&word(n));
    for _ in 0..n {
        out.extend_from_slice(&word(0));
    }
    out.extend_from_slice(&word(n));
    // Every element offset is the same: one shared tail right after the offsets.
    for _ in 0..n {
        out.extend_from_slice(&word(32 * n));
    }
    out.extend_from_slice(&word(inner.len()));
    out.extend_from_slice(inner);
    while (out.len() - 4) % 32 != 0 {
        out.push(0);
    }
    out
}

fn count_nodes(node: &CallNode) -> usize {
    1 + node.children.iter().map(count_nodes).sum::<usize>()
}

#[test]
fn aliased_timelock_payloads_are_not_canonical_and_not_recursed() {
    let mut data = Proxy::upgradeToCall { newImplementation: IMPL }.abi_encode();
    for _ in 0..4 {
        data = aliased_batch(16, &data);
    }
    assert!(data.len() < 8 * 1024, "a small transaction: {} bytes", data.len());
    // Before the layout check this tree had 16^4 leaves and the manifest path aborted.
    let n = decode_call(Some(PROXY), U256::ZERO, Operation::Call, &data).expect("decodes");
    assert!(!n.canonical);
    assert!(n.children.is_empty() && n.args.is_empty());
    let ArgValue::String(msg) = &n.details[0].value else { panic!("a decode error detail") };
    assert!(msg.contains("shared, overlapping or out-of-order"), "{msg}");
}

#[test]
fn trees_are_capped_in_nodes_and_bytes() {
    // A MultiSend of 70,000 empty calls: canonical, but more calls than one tree may hold.
    let mut packed = Vec::new();
    for _ in 0..(MAX_TREE_NODES + 10) {
        packed.push(0u8);
        packed.extend_from_slice(PROXY.as_slice());
        packed.extend_from_slice(&[0u8; 64]);
    }
    let data = MultiSend::multiSendCall { transactions: packed.into() }.abi_encode();
    let e = decode_call(Some(PROXY), U256::ZERO, Operation::Call, &data).expect_err("too many");
    assert_eq!(e, CallTreeError::TooManyNodes);
    assert!(e.to_string().contains("65536"));
    // Five nested upgradeToAndCall levels of 2 MiB each: each level repeats its child's bytes.
    let mut data = vec![0xde, 0xad, 0xbe, 0xef];
    data.resize(2 << 20, 7);
    for _ in 0..4 {
        data = Proxy::upgradeToAndCallCall { newImplementation: IMPL, data: data.into() }.abi_encode();
    }
    let e = decode_call(Some(PROXY), U256::ZERO, Operation::Call, &data).expect_err("too many bytes");
    assert_eq!(e, CallTreeError::TooManyBytes);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, ..Default::default() })]

    /// Whatever an attacker does to the offsets and lengths of nested batches, the tree holds at
    /// most one node per 32 input bytes per level, and no more calldata than the input per level.
    #[test]
    fn decoding_is_linear_in_the_input(
        n in 1usize..6,
        levels in 1usize..4,
        flips in proptest::collection::vec((0usize..4096, proptest::prelude::any::<u8>()), 0..8),
    ) {
        let mut data = Proxy::upgradeToCall { newImplementation: IMPL }.abi_encode();
        for _ in 0..levels {
            let payloads: Vec<Bytes> = (0..n).map(|_| Bytes::from(data.clone())).collect();
            data = TimelockController::executeBatchCall {
                targets: vec![PROXY; n],
                values: vec![U256::ZERO; n],
                payloads,
                predecessor: B256::ZERO,
                salt: B256::ZERO,
            }
            .abi_encode();
        }
        for (at, byte) in flips {
            let len = data.len();
            data[at % len] = byte;
        }
        if let Ok(tree) = decode_call(Some(PROXY), U256::ZERO, Operation::Call, &data) {
            let depth = tree.depth() + 1;
            fn bytes(node: &CallNode) -> usize {
                node.calldata_len + node.children.iter().map(bytes).sum::<usize>()
            }
            proptest::prop_assert!(bytes(&tree) <= depth * data.len());
            proptest::prop_assert!(count_nodes(&tree) <= depth * (data.len() / 32 + 1));
        }
    }
}

fn operation_id_of(tree: &CallNode) -> B256 {
    match tree.details.iter().find(|d| d.key == "operation_id").map(|d| &d.value) {
        Some(ArgValue::Word(id)) => *id,
        other => panic!("no operation id: {other:?}"),
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 128, ..Default::default() })]

    /// The id hashed over the calldata in place equals the id of the re-encoded fields, for every
    /// Timelock call, canonical or not (dirty high bytes in the first target's word send it down
    /// the re-encoding path).
    #[test]
    fn operation_ids_hashed_in_place_equal_the_reencoded_ones(
        calls in proptest::collection::vec(
            (proptest::prelude::any::<[u8; 20]>(), proptest::prelude::any::<u64>(),
             proptest::collection::vec(proptest::prelude::any::<u8>(), 0..80)),
            1..5,
        ),
        predecessor in proptest::prelude::any::<[u8; 32]>(),
        salt in proptest::prelude::any::<[u8; 32]>(),
        delay in proptest::prelude::any::<u64>(),
        dirty in proptest::prelude::any::<bool>(),
    ) {
        let (predecessor, salt, delay) = (B256::from(predecessor), B256::from(salt), U256::from(delay));
        let targets: Vec<Address> = calls.iter().map(|c| Address::from(c.0)).collect();
        let values: Vec<U256> = calls.iter().map(|c| U256::from(c.1)).collect();
        let payloads: Vec<Bytes> = calls.iter().map(|c| Bytes::from(c.2.clone())).collect();
        let (target, value, payload) = (targets[0], values[0], payloads[0].clone());
        let single = hash_operation(target, value, &payload, predecessor, salt);
        let batch = hash_operation_batch(&targets, &values, &payloads, predecessor, salt);
        let encoded = [
            (TimelockController::scheduleCall { target, value, data: payload.clone(), predecessor, salt, delay }.abi_encode(), single),
            (TimelockController::executeCall { target, value, payload, predecessor, salt }.abi_encode(), single),
            (TimelockController::scheduleBatchCall { targets: targets.clone(), values: values.clone(), payloads: payloads.clone(), predecessor, salt, delay }.abi_encode(), batch),
            (TimelockController::executeBatchCall { targets, values, payloads, predecessor, salt }.abi_encode(), batch),
        ];
        for (i, (mut data, id)) in encoded.into_iter().enumerate() {
            if dirty {
                // The first target is the first word, or the first element of the first array.
                let at = if i < 2 { 4 } else { 4 + usize::from(data[4 + 31]) + 32 };
                data[at] = 0xff;
            }
            let tree = decode_call(Some(PROXY), U256::ZERO, Operation::Call, &data).expect("decodes");
            proptest::prop_assert_eq!(tree.canonical, !dirty);
            proptest::prop_assert_eq!(operation_id_of(&tree), id);
        }
    }
}
