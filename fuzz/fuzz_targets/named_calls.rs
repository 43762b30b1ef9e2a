//! Calls named by a manifest's `abi` (alloy's dynamic ABI behind the linear layout check): no
//! panic, linear work (run with `-rss_limit_mb=512`), and a call shown as canonical re-encodes
//! to its calldata. The input is calldata; its first byte picks which declared function's
//! selector it is sent under, and the whole input is also decoded as a call tree with the names.
#![no_main]

use bounded_signer::abi::ManifestAbi;
use firmware_policy::calls::{Namer, decode_call_named};
use firmware_policy::{Action, ActionKind, Address, B256, Manifest, Operation, Rollback, U256};
use libfuzzer_sys::fuzz_target;

const SIGNATURES: [&str; 4] = [
    "function f(uint256 a, bytes b, string s, address[] list, string[] names)",
    "function g(bytes data)",
    "function h((uint256,bytes) pair)",
    "function k(bool flag, int8 small, bytes4 tag)",
];

fn abi() -> ManifestAbi {
    let action = Action {
        name: "a".into(),
        kind: ActionKind::Call,
        to: Address::repeat_byte(0xa1),
        value: U256::ZERO,
        data: Vec::new(),
        nonce: None,
        gas_limit_max: None,
        max_fee_per_gas_max: None,
        max_priority_fee_per_gas_max: None,
        authorizations: Vec::new(),
        replaceable: false,
        abi: SIGNATURES.iter().map(|s| s.to_string()).collect(),
        approved_hashes: Vec::new(),
        safe_tx: None,
        expect: Default::default(),
        layout: None,
    };
    let manifest = Manifest {
        release: "fuzz".into(),
        chain_id: 1,
        executor: Address::repeat_byte(0xee),
        not_before: 0,
        expires_at: 1,
        allowed_targets: vec![],
        labels: vec![],
        rollback: Rollback { manifest_hash: B256::ZERO, note: String::new() },
        actions: vec![action],
        safes: vec![],
        max_state_age: firmware_policy::manifest::effects::DEFAULT_MAX_STATE_AGE,
        code: Vec::new(),
        authority: Vec::new(),
    };
    ManifestAbi::of(&manifest).expect("the declared signatures parse")
}

static ABI: std::sync::OnceLock<ManifestAbi> = std::sync::OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let abi = ABI.get_or_init(abi);
    let declared: Vec<[u8; 4]> = abi.declared().map(|(s, _)| s).collect();
    if let Some((first, rest)) = data.split_first() {
        let selector = declared[usize::from(*first) % declared.len()];
        let mut calldata = selector.to_vec();
        calldata.extend_from_slice(rest);
        if let Some((named, canonical)) = abi.name(selector, &calldata) {
            assert!(named.args.len() <= 5);
            if canonical && named.not_decoded.is_none() {
                assert_eq!(abi.name(selector, &calldata), Some((named, true)), "deterministic");
            }
        }
    }
    let _ = decode_call_named(Some(Address::repeat_byte(0xa1)), U256::ZERO, Operation::Call, data, abi);
});
