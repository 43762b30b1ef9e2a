//! The simulation gate through the built binary: the manifest's `expect`, `code` and `authority`
//! compile from the authoring file and show in `manifest show`; an action they gate is refused
//! without a witness (`witness_missing`) by `check` and by `sign`, before any device.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::*;

/// The example release (window around now) with the gate appended: the execute action expects
/// the proxy's new implementation and its Upgraded event; the proxy's admin is the ProxyAdmin,
/// whose owner is the Timelock.
const GATE: &str = r#"
[[actions.expect.slots]]
address = "0x78a3FB06880667Fd263A4493FA66e173008c6C68"
slot = "eip1967.implementation"
value = "0xa792C9608476E0B0bA79a3AEaa9403Cc8F9AFB6A"

[[actions.expect.events]]
emitter = "0x78a3FB06880667Fd263A4493FA66e173008c6C68"
signature = "Upgraded(address indexed implementation)"
args = ["0xa792C9608476E0B0bA79a3AEaa9403Cc8F9AFB6A"]

[[code]]
address = "0xa792C9608476E0B0bA79a3AEaa9403Cc8F9AFB6A"
code_hash = "0x1111111111111111111111111111111111111111111111111111111111111111"

[[authority]]
address = "0x78a3FB06880667Fd263A4493FA66e173008c6C68"
slot = "eip1967.admin"
value = "0x9D35a0fd9FA3849d298298e89E5A33f7E5625f1A"

[[authority]]
on = "0x9D35a0fd9FA3849d298298e89E5A33f7E5625f1A"
call = "owner()(address)"
returns = ["0x3a35f296e66B56D13cEd22538Ce13eA2E0cf4bF2"]
"#;

fn gated_release(dir: &Path, gate: &str) -> (PathBuf, Output) {
    release_now(dir);
    let toml = dir.join("release.toml");
    let mut text = std::fs::read_to_string(&toml).unwrap();
    text.push_str(gate);
    let gated = dir.join("gated.toml");
    std::fs::write(&gated, text).unwrap();
    let out = dir.join("gated.cbor");
    let built = run(&["--json", "manifest", "build", gated.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    (out, built)
}

#[test]
fn the_gate_compiles_shows_and_refuses_an_action_without_a_witness() {
    let dir = tempfile::tempdir().unwrap();
    let (manifest, built) = gated_release(dir.path(), GATE);
    assert_eq!(code(&built), 0, "{}", stderr(&built));
    let hash = json(&built)["manifest_hash"].as_str().unwrap().to_string();
    let shown = run(&["manifest", "show", manifest.to_str().unwrap()]);
    assert_eq!(code(&shown), 0, "{}", stderr(&shown));
    let text = stdout(&shown);
    for line in [
        "simulation gate: signed only after a replay on a state witness at most 3600 s old",
        "code      0xa792C9608476E0B0bA79a3AEaa9403Cc8F9AFB6A (BoxV2 implementation) has code hash 0x1111",
        "authority 0x78a3FB06880667Fd263A4493FA66e173008c6C68 (Box proxy) slot eip1967.admin = 0x9D35a0fd9FA3849d298298e89E5A33f7E5625f1A (ProxyAdmin)",
        "authority 0x9D35a0fd9FA3849d298298e89E5A33f7E5625f1A (ProxyAdmin).owner() returns (0x3a35f296e66B56D13cEd22538Ce13eA2E0cf4bF2 (Timelock))",
        "expects   0x78a3FB06880667Fd263A4493FA66e173008c6C68 (Box proxy) slot eip1967.implementation = 0xa792C9608476E0B0bA79a3AEaa9403Cc8F9AFB6A (BoxV2 implementation) after it",
        "expects   event Upgraded(implementation = 0xa792C9608476E0B0bA79a3AEaa9403Cc8F9AFB6A (BoxV2 implementation)) from 0x78a3FB06880667Fd263A4493FA66e173008c6C68 (Box proxy)",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
    let doc = json(&run(&["--json", "manifest", "show", manifest.to_str().unwrap()]));
    assert_eq!(doc["max_state_age"], 3600);
    assert_eq!(doc["authority"][1]["call"], "owner()(address)");
    assert_eq!(doc["authority"][1]["calldata"], "0x8da5cb5b");
    assert_eq!(doc["actions"][1]["expect"]["slots"][0]["slot_name"], "eip1967.implementation");
    assert_eq!(
        doc["actions"][1]["expect"]["events"][0]["topics"][0],
        "0xbc7cd75a20ee27fd9adebab32041f755214dbc6bffa90cc0225b39da2e5c2d3b"
    );

    // check: the gate applies (the manifest names code and authority): witness_missing.
    let schedule = root().join("examples/proposal-schedule.json");
    let checked = check_json(&manifest, &hash, schedule.to_str().unwrap());
    assert_eq!(code(&checked), 3, "{}", stderr(&checked));
    let verdict = json(&checked);
    assert_eq!(verdict["reasons"], serde_json::json!(["witness_missing"]));
    let failed = verdict["checks"].as_array().unwrap().iter().find(|c| c["ok"] == false).unwrap().clone();
    assert_eq!(failed["check"], "witness");
    assert!(failed["hint"].as_str().unwrap().contains("--witness"), "{failed}");
    // sign: refused the same way, and no device is needed to refuse (none is listening here).
    let signed = bin()
        .env("BOUNDED_SIGNER_HOME", dir.path().join("home"))
        .args(["--json", "sign", "--manifest", manifest.to_str().unwrap(), "--approved-hash", &hash])
        .args([schedule.to_str().unwrap(), "--device", "speculos:127.0.0.1:1"])
        .output()
        .unwrap();
    assert_eq!(code(&signed), 3, "{}", stderr(&signed));
    assert_eq!(json(&signed)["reasons"], serde_json::json!(["witness_missing"]));
}

#[test]
fn a_plain_release_is_not_gated_and_keeps_its_hash() {
    let dir = tempfile::tempdir().unwrap();
    let (manifest, hash) = release_now(dir.path());
    let schedule = root().join("examples/proposal-schedule.json");
    let checked = check_json(&manifest, &hash, schedule.to_str().unwrap());
    assert_eq!(code(&checked), 0, "{}", stderr(&checked));
    let doc = json(&checked);
    assert!(doc["checks"].as_array().unwrap().iter().all(|c| c["check"] != "witness"), "{doc}");
    // max_state_age alone is not a gate, but it is part of the manifest (and of its hash).
    let text = std::fs::read_to_string(dir.path().join("release.toml")).unwrap();
    let aged = dir.path().join("aged.toml");
    std::fs::write(&aged, text.replacen("release = ", "max_state_age = 600\nrelease = ", 1)).unwrap();
    let out = dir.path().join("aged.cbor");
    let built = run(&["--json", "manifest", "build", aged.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(code(&built), 0, "{}", stderr(&built));
    let aged_hash = json(&built)["manifest_hash"].as_str().unwrap().to_string();
    assert_ne!(aged_hash, hash);
    let shown = stdout(&run(&["manifest", "show", out.to_str().unwrap()]));
    assert!(shown.contains("simulation state at most 600 s old (no action is gated)"), "{shown}");
    let checked = check_json(&out, &aged_hash, schedule.to_str().unwrap());
    assert_eq!(code(&checked), 0, "{}", stderr(&checked));
}

#[test]
fn gate_authoring_mistakes_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (GATE.replace("eip1967.implementation", "eip1967.implementaton"), "actions[1].expect.slots[0].slot"),
        (
            GATE.replace(r#"args = ["0xa792C9608476E0B0bA79a3AEaa9403Cc8F9AFB6A"]"#, "args = []"),
            "actions[1].expect.events[0].args",
        ),
        (GATE.replace("owner()(address)", "owner()"), "authority[1].call"),
        (GATE.replace(r#"returns = ["0x3a35f296e66B56D13cEd22538Ce13eA2E0cf4bF2"]"#, ""), "authority[1]"),
        // An expected event emitted outside allowed_targets is one the gate would refuse.
        (
            GATE.replace(
                "emitter = \"0x78a3FB06880667Fd263A4493FA66e173008c6C68\"",
                "emitter = \"0x5aFE3855358E112B5647B952709E6165e1c1eEEe\"",
            ),
            "allowed_targets",
        ),
        (
            GATE.replace("0x1111111111111111111111111111111111111111111111111111111111111111", "0x11"),
            "code[0].code_hash",
        ),
    ];
    for (i, (gate, named)) in cases.iter().enumerate() {
        let case = dir.path().join(format!("case-{i}"));
        std::fs::create_dir(&case).unwrap();
        let (_, built) = gated_release(&case, gate);
        assert_eq!(code(&built), 2, "case {i}: {}", stdout(&built));
        assert!(stderr(&built).contains(named), "case {i}: {named:?} not in {}", stderr(&built));
    }
}
