//! `verify-execution` on a real anvil's post-execution witness (`simulator/tests/fixtures/
//! anvil-after.*`, from `tests/e2e/after_fixture.cjs`): the executed upgrade verifies; another
//! transaction's hash and a tampered receipt prove nothing and contain nothing; a manifest the
//! execution diverged from is contained (journal record, containment file), after which its
//! actions are refused on that laptop and, through a bundle, on a fresh one, while its rollback
//! manifest is still signed.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

use bounded_signer_simulator::witness::Witness;
use common::*;

fn fixture() -> serde_json::Value {
    let text = std::fs::read_to_string(root().join("simulator/tests/fixtures/anvil-after.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn witness_path() -> PathBuf {
    root().join("simulator/tests/fixtures/anvil-after.witness")
}

/// The fixture's release, with `edit` applied to its authoring text: (manifest, hash).
fn release(dir: &Path, name: &str, edit: impl Fn(&str) -> String) -> (PathBuf, String) {
    let toml = dir.join(format!("{name}.toml"));
    std::fs::write(&toml, edit(fixture()["release_toml"].as_str().unwrap())).unwrap();
    let out = dir.join(format!("{name}.cbor"));
    let built = run(&["--json", "manifest", "build", toml.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(code(&built), 0, "{}", stderr(&built));
    (out, json(&built)["manifest_hash"].as_str().unwrap().to_string())
}

/// `verify-execution` of `tx` on `witness` typed with `block`, with `home` as the state home;
/// `--json` and `-o out` when asked.
fn verify_as(
    home: &Path,
    manifest: &Path,
    hash: &str,
    witness: &Path,
    block: &str,
    tx: &str,
    json_out: bool,
) -> Command {
    let mut command = bin();
    command.env("BOUNDED_SIGNER_HOME", home);
    if json_out {
        command.arg("--json");
    }
    command
        .args(["verify-execution", "--manifest", manifest.to_str().unwrap(), "--approved-hash", hash])
        .args(["--witness", witness.to_str().unwrap(), "--block-hash", block, "--tx", tx]);
    command
}

fn verify(home: &Path, manifest: &Path, hash: &str, witness: &Path, tx: &str, out: Option<&Path>) -> Output {
    let block = fixture()["block"]["hash"].as_str().unwrap().to_string();
    let mut command = verify_as(home, manifest, hash, witness, &block, tx, true);
    if let Some(out) = out {
        command.args(["-o", out.to_str().unwrap()]);
    }
    command.output().unwrap()
}

fn tx_hash() -> String {
    fixture()["tx_hash"].as_str().unwrap().to_string()
}

#[test]
fn the_executed_upgrade_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let (manifest, hash) = release(dir.path(), "release", str::to_string);
    let out = verify(&dir.path().join("home"), &manifest, &hash, &witness_path(), &tx_hash(), None);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    let doc = json(&out);
    assert_eq!(doc["verdict"], "verified");
    assert_eq!(doc["reasons"], serde_json::json!([]));
    assert_eq!(doc["action"], 0);
    assert_eq!(doc["block"]["hash"], fixture()["block"]["hash"]);
    assert_eq!(doc["receipt"]["status"], "success");
    let v2 = fixture()["addresses"]["v2"].as_str().unwrap().to_string();
    assert_eq!(doc["receipt"]["logs"][0]["event"]["name"], "Upgraded");
    assert_eq!(doc["receipt"]["logs"][0]["event"]["args"][0]["value"], v2);
    assert_eq!(doc["containment"], serde_json::Value::Null);
    let details: Vec<&str> =
        doc["checks"].as_array().unwrap().iter().map(|c| c["detail"].as_str().unwrap()).collect();
    for part in [
        "is action 0 (upgrade)",
        "it succeeded",
        "every expected slot value and event is on chain",
        "2 authority entries hold after it",
    ] {
        assert!(details.iter().any(|d| d.contains(part)), "{part:?} in {details:?}");
    }
    // Nothing was contained: the journal holds nothing.
    let shown =
        bin().env("BOUNDED_SIGNER_HOME", dir.path().join("home")).args(["journal", "show"]).output().unwrap();
    assert!(!stdout(&shown).contains("contained"), "{}", stdout(&shown));
}

#[test]
fn another_transaction_or_a_tampered_receipt_proves_nothing_and_contains_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (manifest, hash) = release(dir.path(), "release", str::to_string);
    let home = dir.path().join("home");
    let other = format!("0x{}", "ab".repeat(32));
    let out = verify(&home, &manifest, &hash, &witness_path(), &other, Some(&dir.path().join("c1")));
    assert_eq!(code(&out), 3, "{}", stdout(&out));
    assert_eq!(json(&out)["reasons"], serde_json::json!(["witness_invalid"]));
    assert!(json(&out)["checks"].to_string().contains("does not hold"), "{}", stdout(&out));
    // One byte of the receipt changed (its last, in the log data): the receipts no longer
    // rebuild the header's root.
    let mut w = Witness::from_bytes(&std::fs::read(witness_path()).unwrap()).unwrap();
    *w.block.receipts.last_mut().unwrap().last_mut().unwrap() ^= 1;
    let tampered = dir.path().join("tampered.witness");
    std::fs::write(&tampered, w.to_bytes()).unwrap();
    let out = verify(&home, &manifest, &hash, &tampered, &tx_hash(), Some(&dir.path().join("c2")));
    assert_eq!(code(&out), 3, "{}", stdout(&out));
    assert_eq!(json(&out)["reasons"], serde_json::json!(["witness_invalid"]));
    assert!(json(&out)["checks"].to_string().contains("receipts rebuild the root"), "{}", stdout(&out));
    assert!(!dir.path().join("c1").exists() && !dir.path().join("c2").exists());
    // The typed block hash is another block's: nothing is proven.
    let block = fixture()["block"]["hash"]
        .as_str()
        .unwrap()
        .replace("0x", "0xff")
        .chars()
        .take(66)
        .collect::<String>();
    let out = verify_as(&home, &manifest, &hash, &witness_path(), &block, &tx_hash(), true).output().unwrap();
    assert_eq!(code(&out), 3, "{}", stdout(&out));
    assert_eq!(json(&out)["reasons"], serde_json::json!(["witness_invalid"]));
}

#[test]
fn a_divergence_contains_the_release_and_only_its_rollback_is_signed() {
    let dir = tempfile::tempdir().unwrap();
    // The rollback: the example release (its executor is the emulator's account).
    let (rollback, rollback_hash) = release_now(dir.path());
    // A release whose upgrade expects Upgraded(V1): the chain emitted Upgraded(V2).
    let f = fixture();
    let (v1, v2) = (f["addresses"]["v1"].as_str().unwrap(), f["addresses"]["v2"].as_str().unwrap());
    let (manifest, hash) = release(dir.path(), "wrong-event", |t| {
        let args = format!("args = [\"{v2}\"]");
        t.replace(&args, &format!("args = [\"{v1}\"]"))
            .replace(&format!("0x{}", "11".repeat(32)), &rollback_hash)
    });
    let home = dir.path().join("home");
    let file = dir.path().join("wrong-event.containment");
    let out = verify(&home, &manifest, &hash, &witness_path(), &tx_hash(), Some(&file));
    assert_eq!(code(&out), 3, "{}", stdout(&out));
    let doc = json(&out);
    assert_eq!(doc["verdict"], "diverged");
    assert_eq!(doc["reasons"], serde_json::json!(["post_execution_mismatch"]));
    assert!(doc["checks"].to_string().contains("missing on chain: event Upgraded"), "{doc}");
    assert_eq!(doc["containment"]["rollback_manifest_hash"], rollback_hash);
    assert_eq!(doc["containment"]["file"], file.to_str().unwrap());
    let record =
        firmware_policy::containment::Containment::from_canonical_bytes(&std::fs::read(&file).unwrap())
            .unwrap();
    assert_eq!(record.manifest_hash.to_string(), hash);
    assert_eq!(format!("{:#x}", record.tx_hash), tx_hash());
    let shown = stdout(&bin().env("BOUNDED_SIGNER_HOME", &home).args(["journal", "show"]).output().unwrap());
    assert!(shown.contains("contained") && shown.contains(&hash), "{shown}");
    // The human text says what to do.
    let other = dir.path().join("other");
    let block = f["block"]["hash"].as_str().unwrap();
    let text = stdout(
        &verify_as(&other, &manifest, &hash, &witness_path(), block, &tx_hash(), false).output().unwrap(),
    );
    assert!(
        text.contains("CONTAINED: this release diverged after execution. Sign nothing more of it."),
        "{text}"
    );
    assert!(text.contains(&format!("rollback    manifest {rollback_hash}")), "{text}");

    // Its action is refused on this laptop, before any device.
    let request = dir.path().join("upgrade.json");
    let data = f["release_toml"].as_str().unwrap().lines().find(|l| l.starts_with("data = ")).unwrap()[8..]
        .trim_end_matches('"')
        .to_string();
    let admin = f["addresses"]["admin"].as_str().unwrap();
    std::fs::write(
        &request,
        serde_json::json!({"type": "0x2", "chainId": "31337", "nonce": "5", "to": admin, "value": "0", "data": data,
            "gas": "200000", "maxFeePerGas": "2000000000", "maxPriorityFeePerGas": "1"})
        .to_string(),
    )
    .unwrap();
    let signed = sign_command(&home, &manifest, &hash, request.to_str().unwrap(), "speculos:127.0.0.1:1")
        .output()
        .unwrap();
    assert_eq!(code(&signed), 3, "{}", stderr(&signed));
    assert!(
        json(&signed)["reasons"].as_array().unwrap().iter().any(|r| r == "release_contained"),
        "{}",
        stdout(&signed)
    );
    // And on a fresh laptop that reads a bundle carrying the containment file.
    let bundle = dir.path().join("contained.bundle");
    let created = run(&[
        "bundle",
        "create",
        "--manifest",
        manifest.to_str().unwrap(),
        "--containment",
        file.to_str().unwrap(),
        "-o",
        bundle.to_str().unwrap(),
    ]);
    assert_eq!(code(&created), 0, "{}", stderr(&created));
    assert!(stdout(&created).contains("CONTAINMENT"), "{}", stdout(&created));
    let fresh = bin()
        .env("BOUNDED_SIGNER_HOME", dir.path().join("fresh"))
        .args(["--json", "sign", "--bundle", bundle.to_str().unwrap(), "--approved-hash", &hash])
        .args([request.to_str().unwrap(), "--device", "speculos:127.0.0.1:1"])
        .output()
        .unwrap();
    assert_eq!(code(&fresh), 3, "{}", stderr(&fresh));
    let reasons = json(&fresh)["reasons"].clone();
    assert!(reasons.as_array().unwrap().iter().any(|r| r == "release_contained"), "{reasons}");
    // The rollback manifest's action is signed on the contained laptop.
    let emu = Emu::start(&[]);
    let schedule = root().join("examples/proposal-schedule.json");
    let rolled = sign_command(&home, &rollback, &rollback_hash, schedule.to_str().unwrap(), &emu.device())
        .output()
        .unwrap();
    assert_eq!(code(&rolled), 0, "{}", stderr(&rolled));
    assert_eq!(json(&rolled)["verdict"]["verdict"], "approved");
}
