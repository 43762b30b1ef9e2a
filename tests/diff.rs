//! `payload_not_approved` names what differs: an implementation swapped three wrappers deep
//! (Safe `execTransaction` → Timelock `schedule` → ProxyAdmin `upgradeAndCall`), to an address
//! outside the allowlist and to one inside it, where no other check can see the swap.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use alloy_primitives::{Address, B256, U256, address, hex};
use alloy_sol_types::{SolCall, sol};
use common::*;
use serde_json::json;

sol! {
    function upgradeAndCall(address proxy, address implementation, bytes data);
    function schedule(address target, uint256 value, bytes data, bytes32 predecessor, bytes32 salt, uint256 delay);
    function execTransaction(address to, uint256 value, bytes data, uint8 operation, uint256 safeTxGas, uint256 baseGas, uint256 gasPrice, address gasToken, address refundReceiver, bytes signatures);
}

const SAFE: Address = address!("0x5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a");
const TIMELOCK: Address = address!("0x3a35f296e66B56D13cEd22538Ce13eA2E0cf4bF2");
const ADMIN: Address = address!("0x9D35a0fd9FA3849d298298e89E5A33f7E5625f1A");
const PROXY: Address = address!("0x78a3FB06880667Fd263A4493FA66e173008c6C68");
const V2: Address = address!("0xa792C9608476E0B0bA79a3AEaa9403Cc8F9AFB6A");
const V1: Address = address!("0x1111111111111111111111111111111111111111");
const ATTACKER: Address = address!("0xE921000000000000000000000000000000000001");

/// Safe `execTransaction` → Timelock `schedule` → `admin_call` on the ProxyAdmin.
fn safe_schedule(admin_call: Vec<u8>) -> Vec<u8> {
    let schedule = scheduleCall {
        target: ADMIN,
        value: U256::ZERO,
        data: admin_call.into(),
        predecessor: B256::ZERO,
        salt: B256::with_last_byte(1),
        delay: U256::from(172_800),
    };
    execTransactionCall {
        to: TIMELOCK,
        value: U256::ZERO,
        data: schedule.abi_encode().into(),
        operation: 0,
        safeTxGas: U256::ZERO,
        baseGas: U256::ZERO,
        gasPrice: U256::ZERO,
        gasToken: Address::ZERO,
        refundReceiver: Address::ZERO,
        signatures: vec![1u8; 65].into(),
    }
    .abi_encode()
}

fn safe_calldata(implementation: Address) -> Vec<u8> {
    let upgrade =
        upgradeAndCallCall { proxy: PROXY, implementation, data: vec![0x5b, 0x4e, 0x12, 0x8c].into() };
    safe_schedule(upgrade.abi_encode())
}

/// An EIP-1559 proposal to the Safe with `data`, written to `name`.
fn proposal_file(dir: &std::path::Path, name: &str, data: Vec<u8>) -> String {
    let tx = json!({
        "type": "0x2", "chainId": "11155111", "nonce": "3", "to": SAFE.to_string(), "value": "0",
        "gas": "300000", "maxFeePerGas": "30000000000", "maxPriorityFeePerGas": "1000000000",
        "accessList": [], "data": hex::encode_prefixed(data),
    });
    let path = dir.join(name);
    std::fs::write(&path, tx.to_string()).unwrap();
    path.to_str().unwrap().to_string()
}

fn release(dir: &std::path::Path) -> (String, String) {
    let toml = format!(
        r#"format = "bounded-signer/manifest/v1"
release = "safe-upgrade"
chain_id = 11155111
executor = "0xDad77910DbDFdE764fC21FCD4E74D71bBACA6D8D"
not_before = "2026-11-20T00:00:00Z"
expires_at = "2027-01-01T00:00:00Z"
allowed_targets = ["{SAFE}", "{TIMELOCK}", "{ADMIN}", "{PROXY}", "{V2}", "{V1}"]

[labels]
"{V2}" = "BoxV2 implementation"
"{V1}" = "BoxV1 implementation"

[rollback]
manifest_hash = "0x9c7274716b96d1ab71523d7e54ca208d5c083f6b705e4e32c4c0e46003440194"
note = "none"

[[actions]]
name = "unrelated"
to = "{TIMELOCK}"
data = "0x"

[[actions]]
name = "safe schedule"
to = "{SAFE}"
data = "{}"
"#,
        hex::encode_prefixed(safe_calldata(V2))
    );
    let path = dir.join("release.toml");
    std::fs::write(&path, toml).unwrap();
    let out_path = dir.join("m.cbor");
    let o = run(&["--json", "manifest", "build", path.to_str().unwrap(), "-o", out_path.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    (out_path.to_str().unwrap().to_string(), json(&o)["manifest_hash"].as_str().unwrap().to_string())
}

fn proposal(dir: &std::path::Path, implementation: Address) -> String {
    proposal_file(dir, &format!("{implementation}.json"), safe_calldata(implementation))
}

const PATH: &str = "execTransaction.data → schedule.data → upgradeAndCall.implementation";

#[test]
fn an_implementation_swapped_three_levels_deep_is_named_by_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let (manifest, hash) = release(dir.path());
    for (swapped, allowlisted) in [(ATTACKER, false), (V1, true)] {
        let tx = proposal(dir.path(), swapped);
        let args = [
            "check",
            "--manifest",
            &manifest,
            "--approved-hash",
            &hash,
            "--now",
            "2026-12-01T00:00:00Z",
            &tx,
        ];
        let out = run(&[&["--json"], &args[..]].concat());
        assert_eq!(code(&out), 3, "{}", stderr(&out));
        let v = json(&out);
        let reasons = if allowlisted {
            json!(["payload_not_approved"])
        } else {
            json!(["nested_target_not_allowed", "payload_not_approved"])
        };
        assert_eq!(v["reasons"], reasons);
        // Exactly one difference, against the closest action (same `to`), by its path.
        assert_eq!(v["diff_action"], 1);
        assert_eq!(
            v["diff"],
            json!([{"path": PATH, "approved": V2.to_checksum(None), "proposed": swapped.to_checksum(None)}])
        );
        // Human: the path, both values, the allowlisted mark, and the marked node in the tree.
        let out = run(&args);
        let text = stdout(&out);
        assert!(
            text.contains(&format!(
                "Differs from the closest approved action 1 (safe schedule): 1 difference\n  {PATH}\n"
            )),
            "{text}"
        );
        let proposed_line = format!("    proposed  {}", swapped.to_checksum(None));
        assert!(text.contains(&proposed_line), "{text}");
        let line = text.lines().find(|l| l.starts_with(&proposed_line)).unwrap();
        assert_eq!(line.ends_with("(allowlisted)"), allowlisted, "{line}");
        assert!(
            text.contains(&format!(
                "      >>> DIFFERS upgradeAndCall.implementation: proposed {}",
                swapped.to_checksum(None)
            )),
            "{text}"
        );
    }
    // The approved proposal has no diff; a hash mismatch has none either.
    let tx = proposal(dir.path(), V2);
    let v = json(&run(&[
        "--json",
        "check",
        "--manifest",
        &manifest,
        "--approved-hash",
        &hash,
        "--now",
        "2026-12-01T00:00:00Z",
        &tx,
    ]));
    assert_eq!(v["verdict"], "approved");
    assert!(v.get("diff").is_none());
    let tx = proposal(dir.path(), ATTACKER);
    let other = format!("0x{}", "ab".repeat(32));
    let v = json(&run(&[
        "--json",
        "check",
        "--manifest",
        &manifest,
        "--approved-hash",
        &other,
        "--now",
        "2026-12-01T00:00:00Z",
        &tx,
    ]));
    assert_eq!(v["reasons"], json!(["manifest_hash_mismatch"]));
    assert!(v.get("diff").is_none());
}

sol! {
    function upgrade(address proxy, address implementation);
}

#[test]
fn a_node_whose_function_differs_is_one_entry_with_both_selectors() {
    let dir = tempfile::tempdir().unwrap();
    let (manifest, hash) = release(dir.path());
    let inner = upgradeCall { proxy: PROXY, implementation: V2 }.abi_encode();
    let path = proposal_file(dir.path(), "upgrade.json", safe_schedule(inner));
    let v = json(&run(&[
        "--json",
        "check",
        "--manifest",
        &manifest,
        "--approved-hash",
        &hash,
        "--now",
        "2026-12-01T00:00:00Z",
        &path,
    ]));
    assert_eq!(
        v["diff"],
        json!([{
            "path": "execTransaction.data → schedule.data → upgrade",
            "approved": hex::encode_prefixed(upgradeAndCallCall::SELECTOR),
            "proposed": hex::encode_prefixed(upgradeCall::SELECTOR),
        }])
    );
}
