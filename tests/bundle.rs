//! The release bundle: `bundle create | show | verify`, and `check`/`sign --bundle`, which take
//! the bundle's manifest, approvals and proposal but never its word for approval.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};

use common::*;
use serde_json::json;

fn approve(dir: &Path, emu: &Emu, manifest: &Path, index: u32) -> PathBuf {
    let out = dir.join(format!("approver-{index}.approval"));
    let o = bin()
        .env("BOUNDED_SIGNER_HOME", dir.join(format!("approver-home-{index}")))
        .args(["--json", "approve", "--manifest", manifest.to_str().unwrap(), "-o", out.to_str().unwrap()])
        .args(["--device", &emu.device(), "--path", &format!("m/44'/60'/0'/0/{index}")])
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    out
}

fn keccak_hex(bytes: &[u8]) -> String {
    format!("{:#x}", alloy_primitives::keccak256(bytes))
}

#[test]
fn a_bundle_carries_the_release_to_check_and_sign_but_proves_nothing_itself() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (manifest, hash) = release_now(d);
    let emu = Emu::start(&[]);
    let (a1, a2) = (approve(d, &emu, &manifest, 1), approve(d, &emu, &manifest, 2));
    let trust = d.join("trust.toml");
    std::fs::write(&trust, format!("threshold = 2\napprovers = [\"{SPECULOS_1}\", \"{SPECULOS_2}\"]\n"))
        .unwrap();
    let schedule = root().join("examples/proposal-schedule.json");
    let bundle = d.join("release.bundle");
    let created = run(&[
        "--json",
        "bundle",
        "create",
        "--manifest",
        manifest.to_str().unwrap(),
        "--approvals",
        a1.to_str().unwrap(),
        "--approvals",
        a2.to_str().unwrap(),
        "--trust-display",
        trust.to_str().unwrap(),
        "--proposal",
        schedule.to_str().unwrap(),
        "-o",
        bundle.to_str().unwrap(),
    ]);
    assert_eq!(code(&created), 0, "{}", stderr(&created));
    let doc = json(&created);
    let bytes = std::fs::read(&bundle).unwrap();
    assert_eq!(doc["bundle_hash"], keccak_hex(&bytes), "the bundle hash is keccak256 of the file");
    assert_eq!(doc["manifest_hash"], hash.as_str());
    assert_eq!(doc["approvals"][0]["valid"], true);
    assert_eq!(doc["trust_display"]["threshold"], 2);

    // show and verify say the same, and verify passes.
    let shown = run(&["--json", "bundle", "show", bundle.to_str().unwrap()]);
    assert_eq!(json(&shown)["bundle_hash"], doc["bundle_hash"]);
    let verified = run(&["--json", "bundle", "verify", bundle.to_str().unwrap()]);
    assert_eq!(code(&verified), 0, "{}", stdout(&verified));
    assert_eq!(json(&verified)["verified"], true);

    // The proposal's signing hash in the bundle is the one check computes from the file.
    let direct = check_json(&manifest, &hash, schedule.to_str().unwrap());
    assert_eq!(json(&direct)["signing_hash"], doc["proposals"][0]["signing_hash"]);

    // check --bundle with the bundle's approvals under the laptop's trust, TX omitted.
    let home = d.join("home");
    let out = bin()
        .env("BOUNDED_SIGNER_HOME", &home)
        .args(["--json", "check", "--bundle", bundle.to_str().unwrap(), "--trust", trust.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    assert_eq!(json(&out)["approvals"]["counted"], 2);
    // With the hash instead, the bundle's approvals are not needed.
    let out = run(&["--json", "check", "--bundle", bundle.to_str().unwrap(), "--approved-hash", &hash]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    // A bundle proves nothing: without a proof, a usage error.
    let out = run(&["check", "--bundle", bundle.to_str().unwrap()]);
    assert_eq!(code(&out), 2);

    // sign --bundle signs the bundle's proposal.
    let out = bin()
        .env("BOUNDED_SIGNER_HOME", &home)
        .args(["--json", "sign", "--bundle", bundle.to_str().unwrap(), "--trust", trust.to_str().unwrap()])
        .args(["--device", &emu.device()])
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(json(&out)["signing_hash"], doc["proposals"][0]["signing_hash"]);
}

#[test]
fn a_bundle_with_a_wrong_piece_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (manifest, hash) = release_now(d);
    let emu = Emu::start(&[]);
    let a1 = approve(d, &emu, &manifest, 1);
    let (schedule, execute) =
        (root().join("examples/proposal-schedule.json"), root().join("examples/proposal-execute.json"));
    let m = manifest.to_str().unwrap();

    // The rollback must be the manifest's rollback.
    let out =
        run(&["bundle", "create", "--manifest", m, "--rollback", m, "-o", d.join("x").to_str().unwrap()]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("rollback"), "{}", stderr(&out));

    // Two proposals: TX or --proposal N must say which.
    let two = d.join("two.bundle");
    let out = run(&[
        "bundle",
        "create",
        "--manifest",
        m,
        "--approvals",
        a1.to_str().unwrap(),
        "--proposal",
        schedule.to_str().unwrap(),
        "--proposal",
        execute.to_str().unwrap(),
        "-o",
        two.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let b = two.to_str().unwrap();
    let out = run(&["--json", "check", "--bundle", b, "--approved-hash", &hash]);
    assert_eq!(code(&out), 2);
    assert!(stdout(&out).contains("--proposal N"), "{}", stdout(&out));
    let out = run(&["--json", "check", "--bundle", b, "--approved-hash", &hash, schedule.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "a TX given is the one checked: {}", stdout(&out));
    let out = run(&["--json", "check", "--bundle", b, "--approved-hash", &hash, "--proposal", "1"]);
    assert_eq!(json(&out)["action"], 1, "{}", stdout(&out));
    let out = run(&["--json", "check", "--bundle", b, "--approved-hash", &hash, "--proposal", "2"]);
    assert_eq!(code(&out), 2);

    // An approval's signature altered inside the bundle: verify names it.
    let mut bytes = std::fs::read(&two).unwrap();
    let sig = alloy_primitives::hex::decode(
        json(&run(&["--json", "bundle", "show", b]))["approvals"][0]["approver"].as_str().unwrap(),
    )
    .unwrap();
    let at = bytes.windows(20).position(|w| w == sig.as_slice()).unwrap() + 20 + 5; // into r
    bytes[at] ^= 0x01;
    let bad = d.join("bad.bundle");
    std::fs::write(&bad, &bytes).unwrap();
    let out = run(&["bundle", "verify", bad.to_str().unwrap()]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("approval 0"), "{}", stderr(&out));

    // Not a bundle at all: exit 2 with the offset; another file's manifest: hash mismatch.
    let junk = d.join("junk.bundle");
    std::fs::write(&junk, [0xa2, 0x00, 0x61, b'x']).unwrap();
    let out = run(&["bundle", "show", junk.to_str().unwrap()]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("junk.bundle") && stderr(&out).contains("byte"), "{}", stderr(&out));
    let other = json(&run(&[
        "--json",
        "check",
        "--bundle",
        b,
        "--approved-hash",
        &format!("0x{}", "11".repeat(32)),
        "--proposal",
        "0",
    ]));
    assert_eq!(other["reasons"], json!(["manifest_hash_mismatch"]));
}

/// A Safe proposal in the bundle is signed by `safe sign --bundle` with eth-account's signature,
/// the same as from the Safe{Wallet} typed data it was made from.
#[test]
fn a_safe_proposal_travels_in_the_bundle_to_the_co_signer() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let doc = vectors("safe_tx.json");
    let v = doc["vectors"].as_array().unwrap().iter().find(|v| v["name"] == "call_1.4.1_1").unwrap().clone();
    let expected = vectors("safe_signatures.json")["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "call_1.4.1_1" && s["scheme"] == "eip712" && s["path"] == "m/44'/60'/0'/0/0")
        .unwrap()
        .clone();
    let (manifest, built) = safe_release(d, &v, &[SPECULOS_0, SPECULOS_1], "");
    assert_eq!(code(&built), 0, "{}", stdout(&built));
    let hash = json(&built)["manifest_hash"].as_str().unwrap().to_string();
    let bundle = d.join("safe.bundle");
    let created = run(&[
        "--json",
        "bundle",
        "create",
        "--manifest",
        manifest.to_str().unwrap(),
        "--safe-proposal",
        &v["typed_data"].to_string(),
        "-o",
        bundle.to_str().unwrap(),
    ]);
    assert_eq!(code(&created), 0, "{}", stderr(&created));
    assert_eq!(json(&created)["safe_proposals"][0]["safe_tx_hash"], v["safe_tx_hash"]);
    let emu = Emu::start(&[]);
    let out = bin()
        .env("BOUNDED_SIGNER_HOME", d.join("home"))
        .args(["--json", "safe", "sign", "--bundle", bundle.to_str().unwrap(), "--approved-hash", &hash])
        .args(["--device", &emu.device()])
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let r = json(&out);
    assert_eq!(r["safe_tx_hash"], v["safe_tx_hash"]);
    assert_eq!(r["signature_bytes"], expected["signature_bytes"]);
    // The bundle has no transaction proposal: check without TX says so.
    let out = run(&["--json", "check", "--bundle", bundle.to_str().unwrap(), "--approved-hash", &hash]);
    assert_eq!(code(&out), 2);
    assert!(stdout(&out).contains("no transaction proposals"), "{}", stdout(&out));
}
