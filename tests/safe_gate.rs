//! `safe sign --witness` on a real anvil's Safe (`simulator/tests/fixtures/anvil-safe.*`, from
//! `tests/e2e/safe_fixture.cjs`): the owner's Safe transaction is simulated as Safe tooling does
//! (execTransaction from the first owner with a pre-validated signature, the threshold slot set to
//! 1, no balance check), both overrides are shown, and the owner signs on the emulator; the
//! threshold override does not leak into the authority reads (the Safe still says 2), and without
//! the witness the action is `witness_missing`. The clock is the witness's time, through the
//! library, as `sign_with` takes it.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use bounded_signer::cli::{ManifestFlags, ProofFlags, SafeSignArgs, SafeTxFlags};
use bounded_signer::commands::safe_sign::{self, Read, SafeSignOutcome};
use bounded_signer::device::{DerivationPath, DeviceSpec};
use bounded_signer::gate::WitnessFlags;
use common::*;

fn fixture() -> serde_json::Value {
    let text = std::fs::read_to_string(root().join("simulator/tests/fixtures/anvil-safe.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The fixture's release with `edit` applied: (manifest, hash).
fn release(dir: &Path, edit: impl Fn(&str) -> String) -> (std::path::PathBuf, String) {
    let toml = dir.join("release.toml");
    std::fs::write(&toml, edit(fixture()["release_toml"].as_str().unwrap())).unwrap();
    let out = dir.join("release.cbor");
    let built = run(&["--json", "manifest", "build", toml.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(code(&built), 0, "{}", stderr(&built));
    (out, json(&built)["manifest_hash"].as_str().unwrap().to_string())
}

/// `safe sign` of the fixture's Safe transaction as the first owner, at the witness's time, with
/// or without its witness.
fn safe_sign(
    dir: &Path,
    manifest: &Path,
    hash: &str,
    device: &str,
    witness: bool,
) -> (SafeSignOutcome, String) {
    let f = fixture();
    let args = SafeSignArgs {
        source: ManifestFlags { manifest: Some(manifest.to_path_buf()), bundle: None, proposal: None },
        proof: ProofFlags {
            approved_hash: Some(firmware_policy::ManifestHash(hash.parse().unwrap())),
            trust: None,
            approvals: Vec::new(),
        },
        safe_tx: Some(f["safe_tx"].to_string()),
        flags: SafeTxFlags { chain_id: None, safe_version: None, safe: None, nonce: None },
        eth_sign: false,
        device: DeviceSpec::parse(device).unwrap(),
        path: DerivationPath::default_account(),
        witness: WitnessFlags {
            witness: witness.then(|| root().join("simulator/tests/fixtures/anvil-safe.witness")),
            block_hash: witness.then(|| f["block"]["hash"].as_str().unwrap().parse().unwrap()),
        },
    };
    let Read::Request(request) = safe_sign::read_request(&args).unwrap() else { panic!("approved") };
    let t: u64 = f["timestamp"].as_str().unwrap().parse().unwrap();
    let mut told = String::new();
    let home = dir.join("home");
    std::fs::create_dir_all(&home).unwrap();
    let outcome = safe_sign::sign_with(*request, DeviceSpec::open, &|| t, &home, &mut told).unwrap();
    (outcome, told)
}

#[test]
fn the_owner_signs_after_the_safe_simulation_and_sees_both_overrides() {
    let dir = tempfile::tempdir().unwrap();
    let (manifest, hash) = release(dir.path(), str::to_string);
    let emu = Emu::start(&[]);
    let (outcome, told) = safe_sign(dir.path(), &manifest, &hash, &emu.device(), true);
    let SafeSignOutcome::Signed(signed) = outcome else { panic!("refused:\n{told}") };
    let doc = bounded_signer::render::json::to_text(&signed.document());
    let doc: serde_json::Value = serde_json::from_str(&doc).unwrap();
    let sim = &doc["verdict"]["simulation"];
    assert_eq!(sim["status"], "success", "{sim}");
    let safe = fixture()["addresses"]["safe"].as_str().unwrap().to_string();
    assert_eq!(
        sim["overrides"],
        serde_json::json!([
            {"kind": "storage", "address": safe, "slot": format!("0x{:064x}", 4), "value": format!("0x{:064x}", 1)},
            {"kind": "no_balance_check"},
        ])
    );
    // The Safe's ExecutionSuccess and the Timelock's CallScheduled, as the chain will log them.
    let names: Vec<&str> =
        sim["logs"].as_array().unwrap().iter().filter_map(|l| l["event"]["name"].as_str()).collect();
    assert!(names.contains(&"ExecutionSuccess") && names.contains(&"CallScheduled"), "{names:?}");
    for line in [
        "override   ",
        "slot 0x0000000000000000000000000000000000000000000000000000000000000004 set to 1",
        "the sender's balance is not checked",
    ] {
        assert!(told.contains(line), "{line:?} in\n{told}");
    }
    assert_eq!(doc["signer"], fixture()["owners"][0]);
}

#[test]
fn the_threshold_override_does_not_reach_the_authority_reads_and_the_witness_is_required() {
    let dir = tempfile::tempdir().unwrap();
    // The manifest claims the Safe's threshold is 1: the simulation sets it to 1 to run, but the
    // authority entry reads the proven Safe, which says 2.
    let (manifest, hash) = release(dir.path(), |t| {
        t.replace(
            "call = \"getThreshold()(uint256)\"\nreturns = [2]",
            "call = \"getThreshold()(uint256)\"\nreturns = [1]",
        )
    });
    let (outcome, told) = safe_sign(dir.path(), &manifest, &hash, "speculos:127.0.0.1:1", true);
    let SafeSignOutcome::Refused { verdict } = outcome else { panic!("signed:\n{told}") };
    let reasons = verdict["reasons"].clone();
    assert_eq!(reasons, serde_json::json!(["authority_mismatch"]), "{told}");
    let plain = dir.path().join("plain");
    std::fs::create_dir_all(&plain).unwrap();
    let (manifest, hash) = release(&plain, str::to_string);
    let (outcome, _) = safe_sign(&plain, &manifest, &hash, "speculos:127.0.0.1:1", false);
    let SafeSignOutcome::Refused { verdict } = outcome else { panic!("signed without a witness") };
    assert_eq!(verdict["reasons"], serde_json::json!(["witness_missing"]));
}
