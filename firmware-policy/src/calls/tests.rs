extern crate std;

use alloc::vec;

use alloy_primitives::{address, hex};

use super::*;

const PROXY: Address = address!("0x00000000000000000000000000000000000000a1");
const IMPL: Address = address!("0x00000000000000000000000000000000000000b2");

#[test]
fn selectors_are_the_well_known_ones() {
    assert_eq!(abi::upgradeToCall::SELECTOR, hex!("3659cfe6"));
    assert_eq!(abi::upgradeToAndCallCall::SELECTOR, hex!("4f1ef286"));
    assert_eq!(abi::upgradeCall::SELECTOR, hex!("99a88ec4"));
    assert_eq!(abi::upgradeAndCallCall::SELECTOR, hex!("9623609d"));
    assert_eq!(abi::changeProxyAdminCall::SELECTOR, hex!("7eff275e"));
    assert_eq!(abi::transferOwnershipCall::SELECTOR, hex!("f2fde38b"));
    assert_eq!(abi::scheduleCall::SELECTOR, hex!("01d5062a"));
    assert_eq!(abi::scheduleBatchCall::SELECTOR, hex!("8f2a0bb0"));
    assert_eq!(abi::executeCall::SELECTOR, hex!("134008d3"));
    assert_eq!(abi::executeBatchCall::SELECTOR, hex!("e38335e5"));
    assert_eq!(abi::cancelCall::SELECTOR, hex!("c4d252f5"));
    assert_eq!(abi::execTransactionCall::SELECTOR, hex!("6a761202"));
    assert_eq!(abi::multiSendCall::SELECTOR, hex!("8d80ff0a"));
    assert_eq!(abi::approveHashCall::SELECTOR, hex!("d4d9bdcd"));
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
    let mut data = abi::upgradeToCall { newImplementation: IMPL }.abi_encode();
    let n = decode_call(Some(PROXY), U256::ZERO, Operation::Call, &data).expect("decodes");
    assert!(n.canonical);
    assert_eq!(n.reached_addresses(), vec![IMPL]);
    data.push(0);
    let n = decode_call(Some(PROXY), U256::ZERO, Operation::Call, &data).expect("decodes");
    assert!(!n.canonical);
}

#[test]
fn a_shared_selector_is_labelled_with_every_user() {
    let data = abi::upgradeToCall { newImplementation: IMPL }.abi_encode();
    let n = decode_call(Some(PROXY), U256::ZERO, Operation::Call, &data).expect("decodes");
    assert!(n.known_as.contains(&"UpgradeableBeacon"));
    assert!(n.known_as.iter().any(|k| k.contains("UUPS")));
}

#[test]
fn malformed_known_call_is_shown_not_rejected() {
    // upgradeTo with a 31-byte argument.
    let mut data = abi::upgradeToCall { newImplementation: IMPL }.abi_encode();
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
    let up = abi::upgradeToCall { newImplementation: IMPL }.abi_encode();
    let packed = [entry(0, PROXY, &up), entry(1, IMPL, &[])].concat();
    let call = abi::multiSendCall { transactions: packed.clone().into() }.abi_encode();
    let n = decode_call(Some(PROXY), U256::ZERO, Operation::DelegateCall, &call).expect("decodes");
    assert!(n.is_canonical());
    assert_eq!(n.children.len(), 2);
    assert_eq!(n.children[1].operation, Operation::DelegateCall);
    assert_eq!(n.children[0].function, Some("upgradeTo(address)"));
    // A truncated batch.
    let call = abi::multiSendCall { transactions: packed[..packed.len() - 1].to_vec().into() }.abi_encode();
    let n = decode_call(Some(PROXY), U256::ZERO, Operation::Call, &call).expect("decodes");
    assert!(!n.canonical);
    // A bad operation byte.
    let call = abi::multiSendCall { transactions: entry(2, PROXY, &[]).into() }.abi_encode();
    let n = decode_call(Some(PROXY), U256::ZERO, Operation::Call, &call).expect("decodes");
    assert!(!n.canonical);
}

#[test]
fn nesting_deeper_than_the_limit_is_an_error() {
    // Each Timelock execute wraps the next: depth grows by one per wrapper.
    let mut data = abi::upgradeToCall { newImplementation: IMPL }.abi_encode();
    for _ in 0..MAX_CALL_DEPTH {
        data = abi::executeCall {
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
    let data = abi::executeCall {
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
    let data = abi::scheduleBatchCall {
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
    let data = abi::execTransactionCall {
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
