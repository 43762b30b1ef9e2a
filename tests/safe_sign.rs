//! `safe sign` driving the built binary against `bounded-signer emulator`: owners' signatures
//! byte-identical to eth-account's, the journal per owner, and every refusal before the device.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::*;
use serde_json::{Value, json};

/// The vector of safe_tx.json named `name`.
fn safe_vector(name: &str) -> Value {
    let doc = vectors("safe_tx.json");
    doc["vectors"].as_array().unwrap().iter().find(|v| v["name"] == name).unwrap().clone()
}

/// A release whose Safe is owned by the emulator's first two accounts, approving the vector.
fn release(dir: &Path, v: &Value) -> (PathBuf, String) {
    let (manifest, out) = safe_release(dir, v, &[SPECULOS_0, SPECULOS_1], "");
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    (manifest, json(&out)["manifest_hash"].as_str().unwrap().to_string())
}

fn safe_sign(
    home: &Path,
    manifest: &Path,
    hash: &str,
    safe_tx: &str,
    device: &str,
    extra: &[&str],
) -> Output {
    let mut cmd = bin();
    cmd.env("BOUNDED_SIGNER_HOME", home).args([
        "--json",
        "safe",
        "sign",
        "--manifest",
        manifest.to_str().unwrap(),
        "--approved-hash",
        hash,
        "--device",
        device,
        safe_tx,
    ]);
    cmd.args(extra);
    cmd.output().unwrap()
}

fn journal_records(home: &Path) -> Vec<Value> {
    let out = bin().env("BOUNDED_SIGNER_HOME", home).args(["--json", "journal", "show"]).output().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    json(&out)["records"].as_array().unwrap().clone()
}

#[test]
fn every_owner_signature_is_eth_accounts_for_every_hashing_family() {
    let emu = Emu::start(&[]);
    let signatures = vectors("safe_signatures.json");
    let dir = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for expected in signatures["vectors"].as_array().unwrap() {
        let name = expected["name"].as_str().unwrap();
        let v = safe_vector(name);
        let sub = dir.path().join(format!("{name}-{}", checked));
        std::fs::create_dir_all(&sub).unwrap();
        let (manifest, hash) = release(&sub, &v);
        // The typed data as Safe{Wallet} hands it over; for versions whose domain has no chain,
        // the manifest's chain is the one checked.
        let typed = v["typed_data"].to_string();
        let path = expected["path"].as_str().unwrap();
        let mut extra = vec!["--path", path];
        if expected["scheme"] == "eth_sign" {
            extra.push("--eth-sign");
        }
        let out = safe_sign(&sub.join("home"), &manifest, &hash, &typed, &emu.device(), &extra);
        assert_eq!(code(&out), 0, "{name} {path}: {}", stderr(&out));
        let r = json(&out);
        let label = format!("{name} {path} {}", expected["scheme"]);
        assert_eq!(r["signer"], expected["signer"], "{label}");
        assert_eq!(r["safe_tx_hash"], v["safe_tx_hash"], "{label}");
        assert_eq!(r["domain_separator"], v["domain_separator"], "{label}");
        assert_eq!(r["message_hash"], v["message_hash"], "{label}");
        assert_eq!(r["signature"]["r"], expected["r"], "{label}");
        assert_eq!(r["signature"]["s"], expected["s"], "{label}");
        assert_eq!(r["signature"]["v"], expected["v"], "{label}");
        assert_eq!(r["signature_bytes"], expected["signature_bytes"], "{label}");
        assert_eq!(r["verdict"]["verdict"], "approved", "{label}");
        assert_eq!(r["from_journal"], false, "{label}");
        assert_eq!(r["journal"]["records"], 2, "{label}: an intent and its signature");
        checked += 1;
    }
    assert_eq!(checked, 24, "every eth-account signature was compared");
}

#[test]
fn one_signature_per_owner_and_scheme_returned_again_from_the_journal() {
    let emu = Emu::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let v = safe_vector("call_1.4.1_1");
    let (manifest, hash) = release(dir.path(), &v);
    let home = dir.path().join("home");
    let typed = v["typed_data"].to_string();
    let first = safe_sign(&home, &manifest, &hash, &typed, &emu.device(), &[]);
    assert_eq!(code(&first), 0, "{}", stderr(&first));
    let again = safe_sign(&home, &manifest, &hash, &typed, &emu.device(), &[]);
    assert_eq!(code(&again), 0, "{}", stderr(&again));
    let (first, again) = (json(&first), json(&again));
    assert_eq!(again["from_journal"], true);
    assert_eq!(again["signature_bytes"], first["signature_bytes"]);
    assert_eq!(again["journal"], first["journal"], "nothing more was journaled");
    // The other owner signs on the same laptop: a record of its own.
    let other = safe_sign(&home, &manifest, &hash, &typed, &emu.device(), &["--path", "m/44'/60'/0'/0/1"]);
    assert_eq!(code(&other), 0, "{}", stderr(&other));
    assert_eq!(json(&other)["signer"], SPECULOS_1);
    let records = journal_records(&home);
    let kinds: Vec<(&str, &str, String)> = records
        .iter()
        .map(|r| {
            let b = &r["body"];
            (
                b["kind"].as_str().unwrap(),
                b["signs"].as_str().unwrap(),
                b["signer"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let (a, b) = (SPECULOS_0.to_lowercase(), SPECULOS_1.to_lowercase());
    assert_eq!(
        kinds,
        [
            ("intent", "safe_tx", a.clone()),
            ("signed", "safe_tx", a),
            ("intent", "safe_tx", b.clone()),
            ("signed", "safe_tx", b),
        ]
    );
    // A record holds the Safe transaction's facts, never its calldata.
    let facts = &records[1]["body"]["safe_tx"];
    assert_eq!(facts["safe"].as_str().unwrap(), v["safe"].as_str().unwrap().to_lowercase());
    assert_eq!(facts["domain_separator"], v["domain_separator"]);
    assert_eq!(facts["calldata_len"], (v["data"].as_str().unwrap().len() - 2) / 2);
    assert!(records[1]["body"]["tx_hash"].is_null());
    let text = std::fs::read_to_string(home.join("journal.jsonl")).unwrap();
    assert!(
        !text.contains(v["data"].as_str().unwrap().trim_start_matches("0x")),
        "no calldata in the journal"
    );
}

#[test]
fn the_printed_screens_are_the_devices_and_its_hashes_the_safe_txs() {
    let emu = Emu::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let v = safe_vector("call_1.4.1_1");
    let (manifest, hash) = release(dir.path(), &v);
    http(&emu.api, "DELETE", "/events");
    let out = safe_sign(
        &dir.path().join("home"),
        &manifest,
        &hash,
        &v["typed_data"].to_string(),
        &emu.device(),
        &[],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let shown = screen_texts(&emu.api);
    let printed: Vec<String> = stderr(&out)
        .lines()
        .skip_while(|l| !l.starts_with("The Ledger will show"))
        .skip(2)
        .take_while(|l| !l.starts_with("safeTxHash:"))
        .map(|l| l.get(6..).unwrap_or_default().to_string())
        .collect();
    assert!(printed.len() >= 12, "{printed:?}");
    assert_eq!(shown[..printed.len()], printed[..], "{shown:?}");
    // The device's two hashes, read back off its screens, are the Safe transaction's.
    let lines: Vec<&str> = shown.iter().map(String::as_str).collect();
    let read = |title: &str| bounded_signer::ledger_screens::read_hex_value(&lines, title).to_lowercase();
    assert_eq!(read("Domain hash"), v["domain_separator"].as_str().unwrap());
    assert_eq!(read("Message hash"), v["message_hash"].as_str().unwrap());
}

#[test]
fn a_forged_journal_record_is_never_returned() {
    let emu = Emu::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let v = safe_vector("call_1.4.1_1");
    let (manifest, hash) = release(dir.path(), &v);
    let home = dir.path().join("home");
    let typed = v["typed_data"].to_string();
    let out = safe_sign(&home, &manifest, &hash, &typed, &emu.device(), &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // The signed record rewritten with another owner's signature, and the chain re-hashed.
    let other = vectors("safe_signatures.json")["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "call_1.4.1_1" && s["signer"] == SPECULOS_1 && s["scheme"] == "eip712")
        .unwrap()["signature_bytes"]
        .as_str()
        .unwrap()
        .to_string();
    let mut records = journal_records(&home);
    let mut sig = alloy_primitives::hex::decode(&other).unwrap();
    sig[64] -= 27;
    records[1]["body"]["signature"] = json!(format!("0x{}", alloy_primitives::hex::encode(&sig)));
    rechain(&home, &mut records);
    let out = safe_sign(&home, &manifest, &hash, &typed, &emu.device(), &[]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("not by the Safe owner"), "{}", stderr(&out));
}

/// Writes `records` back with every hash and `prev` recomputed, as a forger with the file would.
fn rechain(home: &Path, records: &mut [Value]) {
    let mut prev = format!("0x{}", "00".repeat(32));
    let mut lines = String::new();
    for r in records.iter_mut() {
        r["body"]["prev"] = json!(prev);
        let body = serde_json::to_vec(&r["body"]).unwrap();
        let hash = format!("{:#x}", alloy_primitives::keccak256(&body));
        r["hash"] = json!(hash);
        prev = hash;
        lines.push_str(&serde_json::to_string(r).unwrap());
        lines.push('\n');
    }
    std::fs::write(home.join("journal.jsonl"), lines).unwrap();
}

#[test]
fn a_non_owner_is_refused_after_the_address_and_nothing_is_journaled() {
    let emu = Emu::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let v = safe_vector("call_1.4.1_1");
    let (manifest, hash) = release(dir.path(), &v);
    let home = dir.path().join("home");
    let out = safe_sign(
        &home,
        &manifest,
        &hash,
        &v["typed_data"].to_string(),
        &emu.device(),
        &["--path", "m/44'/60'/0'/0/2"],
    );
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let r = json(&out);
    assert_eq!(r["reasons"], json!(["signer_mismatch"]));
    let detail = r["checks"].as_array().unwrap().iter().find(|c| c["check"] == "signer").unwrap();
    assert!(detail["detail"].as_str().unwrap().contains(SPECULOS_2), "{detail}");
    assert!(detail["hint"].as_str().unwrap().contains("owner"), "{detail}");
    assert!(journal_records(&home).is_empty());
}

#[test]
fn a_tampered_or_unapproved_safe_tx_is_refused_before_any_device() {
    let dir = tempfile::tempdir().unwrap();
    let v = safe_vector("call_1.4.1_1");
    let (manifest, hash) = release(dir.path(), &v);
    let home = dir.path().join("home");
    // No device listens here: a refusal must come before the device is reached.
    let nowhere = "speculos:127.0.0.1:1";
    let service = |data: &str, claimed: &Value| {
        json!({
            "safe": v["safe"], "to": v["to"], "value": "0", "data": data, "operation": 0,
            "safeTxGas": "0", "baseGas": "0", "gasPrice": "0",
            "gasToken": "0x0000000000000000000000000000000000000000",
            "refundReceiver": "0x0000000000000000000000000000000000000000",
            "nonce": 0, "safeTxHash": claimed, "dataDecoded": {"method": "upgradeAndCall"}
        })
        .to_string()
    };
    // The implementation swapped inside the Safe transaction, its claimed hash recomputed.
    let data = v["data"]
        .as_str()
        .unwrap()
        .replace("a792c9608476e0b0ba79a3aeaa9403cc8f9afb6a", "00000000000000000000000000000000000bad01");
    let swapped = service(&data, &Value::Null);
    let out = safe_sign(&home, &manifest, &hash, &swapped, nowhere, &[]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert_eq!(json(&out)["reasons"], json!(["nested_target_not_allowed", "safe_tx_not_approved"]));
    // The approved fields with another claimed hash.
    let claimed = service(v["data"].as_str().unwrap(), &json!(format!("0x{}", "ab".repeat(32))));
    let out = safe_sign(&home, &manifest, &hash, &claimed, nowhere, &[]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert_eq!(json(&out)["reasons"], json!(["safe_tx_hash_mismatch"]));
    // The service object names no chain and no version: the manifest's are used, and with them
    // the approved fields are approved (the device is then needed: exit 4 here).
    let right = service(v["data"].as_str().unwrap(), &v["safe_tx_hash"]);
    let out = safe_sign(&home, &manifest, &hash, &right, nowhere, &[]);
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    // Another manifest hash: refused alone.
    let out = safe_sign(&home, &manifest, &format!("0x{}", "00".repeat(32)), &right, nowhere, &[]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert_eq!(json(&out)["reasons"], json!(["manifest_hash_mismatch"]));
    assert!(journal_records(&home).is_empty());
}

#[test]
fn eth_sign_needs_a_safe_that_takes_it_and_no_blind_signing() {
    let dir = tempfile::tempdir().unwrap();
    let old = safe_vector("call_1.0.0_1");
    let (manifest, hash) = release(dir.path(), &old);
    let out = safe_sign(
        &dir.path().join("home"),
        &manifest,
        &hash,
        &old["typed_data"].to_string(),
        "speculos:127.0.0.1:1",
        &["--eth-sign"],
    );
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("1.1.0"), "{}", stderr(&out));

    // With blind signing off, hashed EIP-712 is refused before any prompt; eth_sign is signed.
    let emu = Emu::start(&["--blind-signing", "off"]);
    let v = safe_vector("call_1.4.1_1");
    let sub = dir.path().join("new");
    std::fs::create_dir_all(&sub).unwrap();
    let (manifest, hash) = release(&sub, &v);
    let home = sub.join("home");
    let typed = v["typed_data"].to_string();
    let out = safe_sign(&home, &manifest, &hash, &typed, &emu.device(), &[]);
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    assert!(stderr(&out).to_lowercase().contains("blind signing"), "{}", stderr(&out));
    http(&emu.api, "DELETE", "/events");
    let out = safe_sign(&home, &manifest, &hash, &typed, &emu.device(), &["--eth-sign"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(json(&out)["signature"]["v"].as_str().unwrap().parse::<u8>().unwrap() / 2, 15, "31 or 32");
    // The screens the tool printed are the ones the device showed, line for line.
    let shown = screen_texts(&emu.api);
    let printed: Vec<String> = stderr(&out)
        .lines()
        .skip_while(|l| !l.starts_with("The Ledger will show"))
        .skip(2)
        .take_while(|l| !l.starts_with("safeTxHash:"))
        .map(|l| l.get(6..).unwrap_or_default().to_string())
        .collect();
    assert_eq!(shown[..printed.len()], printed[..], "{shown:?}");
    let hash_hex = v["safe_tx_hash"].as_str().unwrap();
    let lines: Vec<&str> = shown.iter().map(String::as_str).collect();
    assert_eq!(bounded_signer::ledger_screens::read_hex_value(&lines, "Message"), hash_hex);
}

#[test]
fn owners_sign_the_executor_assembles_and_signs_exec_transaction() {
    let emu = Emu::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let v = safe_vector("call_1.4.1_1");
    let (manifest, hash) = release(dir.path(), &v);
    let typed = v["typed_data"].to_string();
    // Each owner on their own laptop (their own state home), each output kept as a file.
    let mut files = Vec::new();
    for (i, path) in ["m/44'/60'/0'/0/0", "m/44'/60'/0'/0/1"].into_iter().enumerate() {
        let out = safe_sign(
            &dir.path().join(format!("owner{i}")),
            &manifest,
            &hash,
            &typed,
            &emu.device(),
            &["--path", path],
        );
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        let file = dir.path().join(format!("owner{i}.json"));
        std::fs::write(&file, &out.stdout).unwrap();
        files.push(file);
    }
    // One owner's output as a file, the other's signature as hex on the command line.
    let second: Value = serde_json::from_slice(&std::fs::read(&files[1]).unwrap()).unwrap();
    let hex = second["signature_bytes"].as_str().unwrap().to_string();
    // `safe exec-tx` of the action with `extra` (signatures, approvals), written to `out`.
    let exec_with = |extra: &[&str], out: &Path| {
        let mut args = vec![
            "--json",
            "safe",
            "exec-tx",
            "--manifest",
            manifest.to_str().unwrap(),
            "--action",
            "upgrade",
            "--nonce",
            "4",
            "--gas-limit",
            "300000",
            "--max-fee",
            "30000000000",
            "--priority-fee",
            "1000000000",
            "-o",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        run(&args)
    };
    let exec = |signatures: &[&str], out: &Path| {
        let extra: Vec<&str> = signatures.iter().flat_map(|s| ["--signature", s]).collect();
        exec_with(&extra, out)
    };
    let tx = dir.path().join("exec.tx");
    let out = exec(&[files[0].to_str().unwrap(), &hex], &tx);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let assembled = json(&out);
    // Sorted as the Safe requires: the account at /1 (0xd692…) first.
    assert_eq!(assembled["signers"][0]["owner"], SPECULOS_1);
    assert_eq!(assembled["signers"][1]["owner"], SPECULOS_0);
    assert_eq!(assembled["safe_tx_hash"], v["safe_tx_hash"]);

    // The executor signs it through the ordinary `sign`: the check approves its Safe action.
    let signed =
        sign_command(&dir.path().join("executor"), &manifest, &hash, tx.to_str().unwrap(), &emu.device())
            .output()
            .unwrap();
    assert_eq!(code(&signed), 0, "{}", stderr(&signed));
    let result = json(&signed);
    assert_eq!(result["verdict"]["verdict"], "approved");
    assert_eq!(result["signing_hash"], assembled["signing_hash"]);
    assert_eq!(result["from"], SPECULOS_0);
    let text = stderr(&signed);
    assert!(text.contains("2 of threshold 2 over safeTxHash"), "{text}");

    // One owner is not enough; a signature of another Safe transaction (here: the same on another
    // chain; 1.3.0 and 1.4.1 hash alike) is nobody's here.
    let out = exec(&[files[0].to_str().unwrap()], &dir.path().join("one.tx"));
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("threshold is 2"), "{}", stderr(&out));
    let other = vectors("safe_signatures.json")["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "call_1.5.0_11155111" && s["scheme"] == "eip712")
        .unwrap()["signature_bytes"]
        .as_str()
        .unwrap()
        .to_string();
    let out = exec(&[files[0].to_str().unwrap(), &other], &dir.path().join("other.tx"));
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("not an owner of the Safe"), "{}", stderr(&out));
    let out = exec(&[files[0].to_str().unwrap(), files[0].to_str().unwrap()], &dir.path().join("twice.tx"));
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("signed twice"), "{}", stderr(&out));

    // The executor is an owner too: its approval is the sender's approved hash (v 1), which the
    // Safe takes from msg.sender; `check` counts it for the executor only.
    let approved = dir.path().join("approved.tx");
    let out = exec_with(&["--signature", &hex, "--approved-by", SPECULOS_0], &approved);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(json(&out)["signers"][1], json!({"owner": SPECULOS_0, "scheme": "approved hash"}));
    let out = run(&[
        "--json",
        "check",
        "--manifest",
        manifest.to_str().unwrap(),
        "--approved-hash",
        &hash,
        approved.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    // Another owner's approved hash stands on chain state no manifest action vouches for.
    let other_tx = dir.path().join("other-approved.tx");
    let out = exec_with(&["--signature", files[0].to_str().unwrap(), "--approved-by", SPECULOS_1], &other_tx);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("not the executor"), "{}", stderr(&out));
}

#[test]
fn a_wallets_typed_data_request_is_signed_as_safe_sign_signs_it() {
    let emu = Emu::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let v = safe_vector("call_1.4.1_1");
    let (manifest, hash) = release(dir.path(), &v);
    let typed = v["typed_data"].to_string();
    // The owner's signature from `safe sign`, in another home (so the journal cannot hand it back).
    let direct = safe_sign(
        &dir.path().join("direct"),
        &manifest,
        &hash,
        &typed,
        &emu.device(),
        &["--path", "m/44'/60'/0'/0/1"],
    );
    assert_eq!(code(&direct), 0, "{}", stderr(&direct));
    let chain = u32::try_from(v["chainId"].as_u64().unwrap()).unwrap();
    let request = eth_sign_request(typed.as_bytes(), 2, Some(chain), &request_path(1));
    let ask = |request: &str| {
        bin()
            .env("BOUNDED_SIGNER_HOME", dir.path().join("home"))
            .args(["--json", "airgap", "sign-request", "--manifest", manifest.to_str().unwrap()])
            .args(["--approved-hash", &hash, request, "--device", &emu.device()])
            .output()
            .unwrap()
    };
    let out = ask(&request);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stderr(&out).contains("Ethereum app"), "the device step is told: {}", stderr(&out));
    let doc = json(&out);
    assert_eq!(
        doc["signature"],
        json(&direct)["signature_bytes"],
        "r ‖ s ‖ v with v 27/28, as the Safe takes it"
    );
    assert_eq!(doc["request_id"], "42424242-4242-4242-4242-424242424242");
    // The answer's UR holds the same 65 bytes after the request id.
    let (_, cbor) = ur::ur::decode(&doc["ur"].as_str().unwrap().to_ascii_lowercase()).unwrap();
    let sig = alloy_primitives::hex::decode(doc["signature"].as_str().unwrap()).unwrap();
    assert_eq!(&cbor[cbor.len() - 65..], sig.as_slice());
    // Another owner path not in the Safe: the check's own refusal, no signature.
    let stranger = ask(&eth_sign_request(typed.as_bytes(), 2, Some(chain), &request_path(5)));
    assert_eq!(code(&stranger), 3, "{}", stderr(&stranger));
    assert!(json(&stranger).get("ur").is_none());
    // A request for an account that is not an owner: refused on the request's word, no device
    // step (the check's detail names the account the request gave).
    let other = alloy_primitives::address!("3a35f296e66B56D13cEd22538Ce13eA2E0cf4bF2");
    let for_other =
        ask(&eth_sign_request_for(typed.as_bytes(), 2, Some(chain), &request_path(1), Some(other)));
    assert_eq!(code(&for_other), 3, "{}", stderr(&for_other));
    let doc = json(&for_other);
    assert_eq!(doc["verdict"]["reasons"], serde_json::json!(["signer_mismatch"]), "{doc}");
    assert!(
        stderr(&for_other).contains(&format!("the request is for account {other}")),
        "{}",
        stderr(&for_other)
    );
    assert!(!stderr(&for_other).contains("Ethereum app"), "the device is not asked: {}", stderr(&for_other));
}
