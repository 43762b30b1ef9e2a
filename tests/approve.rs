//! `approve` driving the built binary against `bounded-signer emulator`: the approval file, its
//! signature over the documented types, the screens the device shows in each setting, the
//! journal's one approval per (manifest, approver), and every refusal.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::Output;

use alloy_primitives::{Address, B256, Signature, U256};
use alloy_sol_types::{SolStruct, eip712_domain, sol};
use common::*;
use serde_json::Value;

sol! {
    struct ReleaseApproval {
        bytes32 manifestHash;
        string release;
        uint256 chainId;
        uint64 notBefore;
        uint64 expiresAt;
    }
}

fn approve(home: &Path, manifest: &Path, out: &Path, device: &str, extra: &[&str]) -> Output {
    bin()
        .env("BOUNDED_SIGNER_HOME", home)
        .args(["--json", "approve", "--manifest", manifest.to_str().unwrap(), "-o", out.to_str().unwrap()])
        .args(["--device", device])
        .args(extra)
        .output()
        .unwrap()
}

fn journal_records(home: &Path) -> Vec<Value> {
    let out = bin().env("BOUNDED_SIGNER_HOME", home).args(["--json", "journal", "show"]).output().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    json(&out)["records"].as_array().unwrap().clone()
}

/// The manifest's facts, read back with `manifest show --json`, as the typed message.
fn typed_message(manifest: &Path, hash: &str) -> (ReleaseApproval, u64) {
    let shown = json(&run(&["--json", "manifest", "show", manifest.to_str().unwrap()]));
    let chain_id: u64 = shown["chain_id"].as_str().unwrap().parse().unwrap();
    let instant = |k: &str| {
        let text = shown[k].as_str().unwrap();
        time_secs(text)
    };
    let message = ReleaseApproval {
        manifestHash: hash.parse::<B256>().unwrap(),
        release: shown["release"].as_str().unwrap().to_string(),
        chainId: U256::from(chain_id),
        notBefore: instant("not_before"),
        expiresAt: instant("expires_at"),
    };
    (message, chain_id)
}

/// RFC 3339 (as `manifest show` prints instants) to Unix seconds, by `date`'s independent parser.
fn time_secs(text: &str) -> u64 {
    let out = std::process::Command::new("date").args(["-u", "-d", text, "+%s"]).output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().parse().unwrap()
}

#[test]
fn an_approval_file_recovers_to_the_device_account_over_the_documented_types() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let (manifest, hash) = release_now(dir.path());
    // "Raw messages" on; blind signing too, which only the hashed run below needs.
    let emu = Emu::start(&["--verbose-eip712", "on"]);
    let file = dir.path().join("alice.approval");
    let out = approve(&home, &manifest, &file, &emu.device(), &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["manifest_hash"], hash.as_str());
    assert_eq!(doc["approver"], SPECULOS_0);
    assert_eq!(doc["signed_as"], "full");
    assert_eq!(doc["from_journal"], false);

    // The file: canonical CBOR of the five keys, the signature r ‖ s ‖ v.
    let bytes = std::fs::read(&file).unwrap();
    assert_eq!(bytes[0], 0xa5);
    let sig_hex = doc["signature_bytes"].as_str().unwrap();
    let sig = alloy_primitives::hex::decode(sig_hex).unwrap();
    assert!(bytes.windows(65).any(|w| w == sig.as_slice()), "the file holds the signature");
    assert!(bytes.ends_with(b"full"));

    // Recovered here from the documented types, by alloy's own EIP-712 (not the tool's code).
    let (message, chain_id) = typed_message(&manifest, &hash);
    let domain = eip712_domain! { name: "bounded-signer", version: "1", chain_id: chain_id, };
    let digest = message.eip712_signing_hash(&domain);
    assert_eq!(doc["signing_hash"], format!("{digest:#x}"));
    let signature =
        Signature::new(U256::from_be_slice(&sig[..32]), U256::from_be_slice(&sig[32..64]), sig[64] == 28);
    assert_eq!(
        signature.recover_address_from_prehash(&digest).unwrap(),
        SPECULOS_0.parse::<Address>().unwrap()
    );

    // The device showed every field, as approve said it would (the JSON run narrates to stderr).
    let shown = screen_texts(&emu.api);
    for value in [&message.release, "bounded-signer", "Review struct", "ReleaseApproval"] {
        assert!(shown.iter().any(|l| l == value), "{value} not in {shown:?}");
        assert!(stderr(&out).contains(value), "{value} not printed");
    }

    // The journal: one approval, as intent and signature, naming no action.
    let records = journal_records(&home);
    assert_eq!(records.len(), 2, "{records:?}");
    for r in &records {
        let body = &r["body"];
        assert_eq!(body["signs"], "release_approval");
        assert_eq!(body["typed_data_mode"], "full");
        assert!(body.get("action").is_none(), "{r}");
    }

    // Again, and in hashed mode: the journaled approval, the device not asked, the file saying how
    // the device signed it.
    let again = approve(&home, &manifest, &file, &emu.device(), &["--force", "--hashed"]);
    assert_eq!(code(&again), 0, "{}", stderr(&again));
    let again = json(&again);
    assert_eq!((again["from_journal"].as_bool(), again["signed_as"].as_str()), (Some(true), Some("full")));
    assert_eq!(again["signature_bytes"], sig_hex);
    assert_eq!(journal_records(&home).len(), 2);
}

#[test]
fn hashed_mode_shows_the_two_hashes_and_signs_the_same_digest() {
    let dir = tempfile::tempdir().unwrap();
    let (manifest, _) = release_now(dir.path());
    let emu = Emu::start(&[]);
    let file = dir.path().join("bob.approval");
    let out = approve(
        &dir.path().join("home"),
        &manifest,
        &file,
        &emu.device(),
        &["--hashed", "--path", "m/44'/60'/0'/0/1"],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!((doc["approver"].as_str(), doc["signed_as"].as_str()), (Some(SPECULOS_1), Some("hashed")));
    let lines = screen_texts(&emu.api);
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    let shown_message = bounded_signer::ledger_screens::read_hex_value(&lines, "Message hash").to_lowercase();
    assert_eq!(shown_message, doc["message_hash"].as_str().unwrap());
    let shown_domain = bounded_signer::ledger_screens::read_hex_value(&lines, "Domain hash").to_lowercase();
    assert_eq!(shown_domain, doc["domain_separator"].as_str().unwrap());
}

#[test]
fn with_neither_setting_the_device_refuses_and_the_attempt_is_released() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let (manifest, _) = release_now(dir.path());
    let emu = Emu::start(&["--blind-signing", "off"]);
    let file = dir.path().join("carol.approval");
    let out = approve(&home, &manifest, &file, &emu.device(), &[]);
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    assert!(stdout(&out).contains("Raw messages"), "{}", stdout(&out));
    assert!(!file.exists());
    let records = journal_records(&home);
    assert_eq!(records.len(), 2, "{records:?}");
    let failed = &records[1]["body"];
    assert_eq!((failed["kind"].as_str(), failed["released"].as_bool()), (Some("failed"), Some(true)));
    assert!(screen_texts(&emu.api).iter().any(|l| l == "Blind signing must"));
}

#[test]
fn an_expired_manifest_and_an_existing_output_are_refused_before_the_device() {
    let dir = tempfile::tempdir().unwrap();
    let (manifest, _) = example_manifest(dir.path());
    let file = dir.path().join("late.approval");
    // No device at this port: nothing may reach one.
    let nowhere = "speculos:127.0.0.1:9";
    let toml = std::fs::read_to_string(root().join("examples/box-v2-upgrade.toml")).unwrap();
    let expired: String =
        toml.lines()
            .map(|l| {
                if l.starts_with("expires_at") {
                    "expires_at = 1700000000\n".into()
                } else {
                    format!("{l}\n")
                }
            })
            .map(|l: String| if l.starts_with("not_before") { "not_before = 1600000000\n".into() } else { l })
            .collect();
    let toml_path = dir.path().join("expired.toml");
    std::fs::write(&toml_path, expired).unwrap();
    let expired_manifest = dir.path().join("expired.cbor");
    let built =
        run(&["manifest", "build", toml_path.to_str().unwrap(), "-o", expired_manifest.to_str().unwrap()]);
    assert_eq!(code(&built), 0, "{}", stderr(&built));
    let out = approve(&dir.path().join("home"), &expired_manifest, &file, nowhere, &[]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert_eq!(json(&out)["reasons"], serde_json::json!(["window_expired"]));

    std::fs::write(&file, b"keep me").unwrap();
    let out = approve(&dir.path().join("home"), &manifest, &file, nowhere, &[]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stdout(&out).contains("--force"), "{}", stdout(&out));
    assert_eq!(std::fs::read(&file).unwrap(), b"keep me");

    let not_a_manifest = dir.path().join("junk.cbor");
    std::fs::write(&not_a_manifest, [0xa1, 0x00]).unwrap();
    let out = approve(&dir.path().join("home"), &not_a_manifest, &dir.path().join("x"), nowhere, &[]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stdout(&out).contains("junk.cbor"), "{}", stdout(&out));
}
