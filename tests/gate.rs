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

/// The upgrade anvil ran (`simulator/tests/fixtures/anvil-upgrade.json`): an OpenZeppelin 5
/// ProxyAdmin's `upgradeAndCall(proxy, V2, 0x)` sent by its owner, with the witness of its parent
/// block (`anvil-upgrade.witness`).
mod replayed {
    use super::*;

    const OWNER: &str = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
    const ADMIN: &str = "0x75537828f2ce51be7289709686A69CbFDbB714F1";
    const PROXY: &str = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0";
    const V2: &str = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512";
    const V2_CODE_HASH: &str = "0x5948c5eedd56fd0b58e117a2541db93cc4b7065214184c1e15bce8b4def29323";

    fn fixture() -> serde_json::Value {
        let text =
            std::fs::read_to_string(root().join("simulator/tests/fixtures/anvil-upgrade.json")).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    /// A manifest for the fixture's transaction; `gate` is appended after the action.
    fn release(dir: &Path, gate: &str) -> (PathBuf, String) {
        let f = fixture();
        let t = f["timestamp"].as_u64().unwrap();
        let toml = format!(
            r#"format = "bounded-signer/manifest/v1"
release = "anvil upgrade"
chain_id = 31337
executor = "{OWNER}"
not_before = {}
expires_at = {}
allowed_targets = ["{ADMIN}", "{PROXY}", "{V2}"]
[rollback]
manifest_hash = "0x{}"
[[actions]]
name = "upgrade"
to = "{ADMIN}"
data = "{}"
gas_limit_max = 200000
{gate}"#,
            t - 86_400,
            t + 86_400,
            "11".repeat(32),
            f["tx"]["data"].as_str().unwrap(),
        );
        let path = dir.join("upgrade.toml");
        std::fs::write(&path, toml).unwrap();
        let out = dir.join("upgrade.cbor");
        let built = run(&[
            "--json",
            "manifest",
            "build",
            path.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--force",
        ]);
        assert_eq!(code(&built), 0, "{}", stderr(&built));
        (out, json(&built)["manifest_hash"].as_str().unwrap().to_string())
    }

    const FULL: &str = r#"
[[actions.expect.slots]]
address = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0"
slot = "eip1967.implementation"
value = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"
[[actions.expect.events]]
emitter = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0"
signature = "Upgraded(address indexed implementation)"
args = ["0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"]
[[code]]
address = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"
code_hash = "0x5948c5eedd56fd0b58e117a2541db93cc4b7065214184c1e15bce8b4def29323"
[[authority]]
address = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0"
slot = "eip1967.admin"
value = "0x75537828f2ce51be7289709686A69CbFDbB714F1"
[[authority]]
on = "0x75537828f2ce51be7289709686A69CbFDbB714F1"
call = "owner()(address)"
returns = ["0x70997970C51812dc3A010C7d01b50e0d17dc79C8"]
"#;

    /// The fixture's transaction as a JSON request file in `dir`.
    fn request_file(dir: &Path, f: &serde_json::Value) -> PathBuf {
        let t = &f["tx"];
        let request = serde_json::json!({
            "type": "0x2", "chainId": "0x7a69", "nonce": t["nonce"], "to": t["to"], "value": "0x0",
            "gas": t["gas"], "maxFeePerGas": t["maxFeePerGas"], "maxPriorityFeePerGas": t["maxPriorityFeePerGas"],
            "accessList": [], "data": t["data"],
        });
        let tx = dir.join("tx.json");
        std::fs::write(&tx, request.to_string()).unwrap();
        tx
    }

    /// `check --json` of the fixture's transaction with the witness, at `now` (default: T).
    fn checked(dir: &Path, gate: &str, block_hash: Option<&str>, now: Option<u64>) -> Output {
        let f = fixture();
        let (manifest, hash) = release(dir, gate);
        let tx = request_file(dir, &f);
        let witness = root().join("simulator/tests/fixtures/anvil-upgrade.witness");
        let now = now.unwrap_or_else(|| f["timestamp"].as_u64().unwrap()).to_string();
        let block =
            block_hash.map_or_else(|| f["parent"]["hash"].as_str().unwrap().to_string(), str::to_string);
        bin()
            .args(["--json", "check", "--manifest", manifest.to_str().unwrap(), "--approved-hash", &hash])
            .args(["--witness", witness.to_str().unwrap(), "--block-hash", &block, "--now", &now])
            .arg(tx)
            .output()
            .unwrap()
    }

    fn reasons(out: &Output) -> serde_json::Value {
        json(out)["reasons"].clone()
    }

    #[test]
    fn the_replayed_upgrade_passes_every_gate_check() {
        let dir = tempfile::tempdir().unwrap();
        let out = checked(dir.path(), FULL, None, None);
        assert_eq!(code(&out), 0, "{}", stdout(&out));
        let doc = json(&out);
        let checks = doc["checks"].as_array().unwrap();
        for name in ["witness", "simulation", "effects", "code", "authority"] {
            assert!(checks.iter().any(|c| c["check"] == name && c["ok"] == true), "{name} passed: {doc}");
        }
        // The simulation as the verdict shows it is what anvil did with the same transaction.
        let f = fixture();
        let sim = &doc["simulation"];
        let quantity = |v: &serde_json::Value| {
            u64::from_str_radix(v.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
        };
        assert_eq!(sim["status"], "success", "{sim}");
        assert_eq!(sim["gas_used"], quantity(&f["receipt"]["gasUsed"]).to_string());
        assert_eq!(sim["block"]["number"], quantity(&f["parent"]["number"]).to_string());
        assert_eq!(sim["block"]["hash"], f["parent"]["hash"]);
        assert_eq!(sim["timestamp"], f["timestamp"].as_u64().unwrap().to_string());
        assert_eq!(sim["overrides"], serde_json::json!([]));
        let logs = sim["logs"].as_array().unwrap();
        let anvil_logs = f["receipt"]["logs"].as_array().unwrap();
        assert_eq!(logs.len(), anvil_logs.len());
        for (ours, theirs) in logs.iter().zip(anvil_logs) {
            assert_eq!(
                ours["address"].as_str().unwrap().to_lowercase(),
                theirs["address"].as_str().unwrap().to_lowercase()
            );
            assert_eq!(ours["topics"], theirs["topics"]);
            assert_eq!(ours["data"], theirs["data"]);
        }
        assert_eq!(logs[0]["event"]["name"], "Upgraded");
        assert_eq!(logs[0]["event"]["args"][0], serde_json::json!({"name": "implementation", "value": V2}));
        // Every slot anvil reports after the transaction is the diff's `after`, where it changed.
        let diff = sim["state_diff"].as_array().unwrap();
        let proxy = diff.iter().find(|a| a["address"] == PROXY).unwrap();
        let slot = &proxy["storage"][0];
        assert_eq!(slot["name"], "eip1967.implementation");
        let post = f["post"].as_object().unwrap();
        let anvil_after = post.iter().find(|(a, _)| a.eq_ignore_ascii_case(PROXY)).unwrap().1["storage"]
            [slot["slot"].as_str().unwrap()]
        .clone();
        assert_eq!(slot["after"], anvil_after);
        let owner = diff.iter().find(|a| a["address"] == OWNER).unwrap();
        let anvil_owner = post.iter().find(|(a, _)| a.eq_ignore_ascii_case(OWNER)).unwrap().1;
        assert_eq!(owner["nonce"]["after"], anvil_owner["nonce"].as_u64().unwrap().to_string());
        let balance =
            u128::from_str_radix(anvil_owner["balance"].as_str().unwrap().trim_start_matches("0x"), 16)
                .unwrap();
        assert_eq!(owner["balance"]["after"], balance.to_string());
        // And as a signer reads it, before the verdict.
        let dir = tempfile::tempdir().unwrap();
        let (manifest, hash) = release(dir.path(), FULL);
        let tx = request_file(dir.path(), &f);
        let witness = root().join("simulator/tests/fixtures/anvil-upgrade.witness");
        let text = stdout(
            &bin()
                .args(["check", "--manifest", manifest.to_str().unwrap(), "--approved-hash", &hash])
                .args(["--witness", witness.to_str().unwrap()])
                .args(["--block-hash", f["parent"]["hash"].as_str().unwrap()])
                .args(["--now", &f["timestamp"].as_u64().unwrap().to_string()])
                .arg(tx)
                .output()
                .unwrap(),
        );
        let at = |needle: &str| text.find(needle).unwrap_or_else(|| panic!("{needle:?} missing in\n{text}"));
        let simulation = at(&format!("Simulation: on block 3 {}", f["parent"]["hash"].as_str().unwrap()));
        at("status     success, gas used 37846");
        at(&format!("0  Upgraded(implementation = {V2}) from {PROXY}"));
        at(
            "      slot eip1967.implementation\n        0x5FbDB2315678afecb367f032d93F642f64180aa3 → 0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
        );
        assert!(simulation < at("Verdict: APPROVED"), "{text}");
    }

    #[test]
    fn each_departure_from_the_manifest_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            (FULL.replace(V2_CODE_HASH, &format!("0x{}", "22".repeat(32))), "implementation_code_mismatch"),
            (
                FULL.replace(
                    r#"returns = ["0x70997970C51812dc3A010C7d01b50e0d17dc79C8"]"#,
                    r#"returns = ["0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"]"#,
                ),
                "authority_mismatch",
            ),
            // The implementation slot expected to hold V1 after the upgrade.
            (
                FULL.replacen(
                    r#"value = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512""#,
                    r#"value = "0x5FbDB2315678afecb367f032d93F642f64180aa3""#,
                    1,
                ),
                "expected_effect_missing",
            ),
            // Code and authority, but no expectation: the Upgraded event and the implementation
            // write are effects the action does not expect.
            (FULL[FULL.find("[[code]]").unwrap()..].to_string(), "unexpected_effect"),
            // An authority slot the witness does not prove: incomplete, never a guess.
            (
                format!(
                    "{FULL}[[authority]]\naddress = \"{PROXY}\"\nslot = \"0x5\"\nvalue = \"0x{}\"\n",
                    "00".repeat(32)
                ),
                "witness_incomplete",
            ),
        ];
        for (i, (gate, reason)) in cases.iter().enumerate() {
            let case = dir.path().join(format!("case-{i}"));
            std::fs::create_dir(&case).unwrap();
            let out = checked(&case, gate, None, None);
            assert_eq!(code(&out), 3, "{reason}: {}", stdout(&out));
            assert!(
                reasons(&out).as_array().unwrap().iter().any(|r| r == reason),
                "{reason}: {}",
                reasons(&out)
            );
        }
    }

    #[test]
    fn sign_judges_the_gate_on_the_witness_before_the_device() {
        let dir = tempfile::tempdir().unwrap();
        let f = fixture();
        let (manifest, hash) = release(dir.path(), FULL);
        let tx = request_file(dir.path(), &f);
        let witness = root().join("simulator/tests/fixtures/anvil-upgrade.witness");
        let emu = Emu::start(&[]);
        // sign has no clock flag: the witness is judged at the system clock. The emulator's
        // account is not the fixture's executor, so nothing is signed either way.
        let sign = |extra: &[&str]| {
            bin()
                .env("BOUNDED_SIGNER_HOME", dir.path().join("home"))
                .args(["--json", "sign", "--manifest", manifest.to_str().unwrap(), "--approved-hash", &hash])
                .arg(&tx)
                .args(["--device", &emu.device()])
                .args(extra)
                .output()
                .unwrap()
        };
        let without = sign(&[]);
        assert_eq!(code(&without), 3, "{}", stderr(&without));
        assert!(json(&without)["reasons"].as_array().unwrap().iter().any(|r| r == "witness_missing"));
        let block = f["parent"]["hash"].as_str().unwrap();
        let with = sign(&["--witness", witness.to_str().unwrap(), "--block-hash", block]);
        assert_eq!(code(&with), 3, "{}", stderr(&with));
        // Judged on the witness: fresh (the fixture was made today), the gate passes and the
        // binding refuses (signer_mismatch); on a later day the state is stale (witness_invalid).
        let doc = json(&with);
        let reasons = doc["reasons"].as_array().unwrap();
        assert!(!reasons.iter().any(|r| r == "witness_missing"), "{doc}");
        let witness_check =
            doc["checks"].as_array().unwrap().iter().find(|c| c["check"] == "witness").cloned().unwrap();
        if witness_check["ok"] == true {
            assert_eq!(reasons, &vec![serde_json::json!("signer_mismatch")], "{doc}");
            assert!(
                doc["checks"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|c| c["check"] == "simulation" && c["ok"] == true)
            );
        } else {
            assert!(reasons.iter().any(|r| r == "witness_invalid"), "{doc}");
        }
    }

    /// A bundle can carry the witness: `--block-hash` alone picks the one whose header hashes to
    /// it; a hash no witness in it has is exit 2; `--block-hash` with neither is exit 2.
    #[test]
    fn the_witness_can_come_in_the_bundle_picked_by_the_typed_hash() {
        let dir = tempfile::tempdir().unwrap();
        let f = fixture();
        let (manifest, hash) = release(dir.path(), FULL);
        let tx = request_file(dir.path(), &f);
        let bundle = dir.path().join("release.bundle");
        let witness = root().join("simulator/tests/fixtures/anvil-upgrade.witness");
        let other = root().join("simulator/tests/fixtures/anvil.witness");
        let created = run(&[
            "--json",
            "bundle",
            "create",
            "--manifest",
            manifest.to_str().unwrap(),
            "--witness",
            other.to_str().unwrap(),
            "--witness",
            witness.to_str().unwrap(),
            "-o",
            bundle.to_str().unwrap(),
        ]);
        assert_eq!(code(&created), 0, "{}", stderr(&created));
        let block = f["parent"]["hash"].as_str().unwrap();
        let shown = json(&created)["witnesses"].clone();
        assert!(shown.as_array().unwrap().iter().any(|w| w["block"]["hash"] == block), "{shown}");
        let now = f["timestamp"].as_u64().unwrap().to_string();
        let check = |block: &str, extra: &[&str]| {
            bin()
                .args(["--json", "check", "--bundle", bundle.to_str().unwrap(), "--approved-hash", &hash])
                .args(["--block-hash", block, "--now", &now])
                .args(extra)
                .arg(&tx)
                .output()
                .unwrap()
        };
        let out = check(block, &[]);
        assert_eq!(code(&out), 0, "{}", stdout(&out));
        assert_eq!(json(&out)["simulation"]["block"]["hash"], block);
        let missing = check(&format!("0x{}", "cd".repeat(32)), &[]);
        assert_eq!(code(&missing), 2, "{}", stdout(&missing));
        assert!(stderr(&missing).contains("holds no witness of block"), "{}", stderr(&missing));
        // A file given beside the bundle wins, and --block-hash without either is exit 2.
        let out = check(block, &["--witness", witness.to_str().unwrap()]);
        assert_eq!(code(&out), 0, "{}", stdout(&out));
        let alone = bin()
            .args(["check", "--manifest", manifest.to_str().unwrap(), "--approved-hash", &hash])
            .args(["--block-hash", block])
            .arg(&tx)
            .output()
            .unwrap();
        assert_eq!(code(&alone), 2);
        assert!(stderr(&alone).contains("--block-hash needs --witness"), "{}", stderr(&alone));
    }

    #[test]
    fn a_witness_for_another_block_or_stale_state_is_invalid() {
        let dir = tempfile::tempdir().unwrap();
        let other = format!("0x{}", "ab".repeat(32));
        let out = checked(dir.path(), FULL, Some(&other), None);
        assert_eq!(code(&out), 3, "{}", stdout(&out));
        assert_eq!(reasons(&out), serde_json::json!(["witness_invalid"]));
        assert!(stdout(&out).contains("not the block hash"), "{}", stdout(&out));
        let t = fixture()["timestamp"].as_u64().unwrap();
        let stale = checked(dir.path(), FULL, None, Some(t + 3_600 + 60));
        assert_eq!(reasons(&stale), serde_json::json!(["witness_invalid"]), "{}", stdout(&stale));
        // A malformed witness file is an input error, not a verdict.
        let broken = dir.path().join("broken.witness");
        std::fs::write(&broken, [0xa2, 0x00]).unwrap();
        let (manifest, hash) = release(dir.path(), FULL);
        let out = bin()
            .args(["check", "--manifest", manifest.to_str().unwrap(), "--approved-hash", &hash])
            .args(["--witness", broken.to_str().unwrap(), "--block-hash", &other])
            .arg(root().join("examples/proposal-schedule.json"))
            .output()
            .unwrap();
        assert_eq!(code(&out), 2, "{}", stderr(&out));
        assert!(stderr(&out).contains("broken.witness"), "{}", stderr(&out));
        // --witness without --block-hash is a usage error: the hash is what is trusted.
        let out = bin()
            .args(["check", "--manifest", manifest.to_str().unwrap(), "--approved-hash", &hash])
            .args(["--witness", broken.to_str().unwrap()])
            .arg(root().join("examples/proposal-schedule.json"))
            .output()
            .unwrap();
        assert_eq!(code(&out), 2, "{}", stderr(&out));
        assert!(stderr(&out).contains("--block-hash"), "{}", stderr(&out));
    }
}
