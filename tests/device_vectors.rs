//! `sign` through the binary, against `bounded-signer emulator`, for every transaction type
//! eth-account signed in tests/vectors/transactions.json: the signature, signed transaction and
//! transaction hash must be byte-identical to eth-account's (same key, same payload, RFC 6979).

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::Value;

/// A release approving exactly the vector's transaction.
fn release_for(tx: &Value, auth: Option<&Value>) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let to = tx["to"].as_str().unwrap();
    let mut targets = vec![to.to_string()];
    // upgradeToAndCall's new implementation is reached too.
    targets.push("0x00000000000000000000000000000000000000b2".into());
    let authorizations = auth.map_or(String::new(), |a| {
        format!(
            "authorizations = [{{ chain_id = {}, address = \"{}\", nonce = {} }}]\n",
            a["chain_id"].as_str().unwrap(),
            a["address"].as_str().unwrap(),
            a["nonce"].as_str().unwrap()
        )
    });
    format!(
        "format = \"bounded-signer/manifest/v1\"\nrelease = \"vector\"\nchain_id = {}\nexecutor = \"0xDad77910DbDFdE764fC21FCD4E74D71bBACA6D8D\"\n\
         not_before = {}\nexpires_at = {}\nallowed_targets = [{}]\n[rollback]\nmanifest_hash = \"0x{}\"\n\
         [[actions]]\nname = \"vector\"\nto = \"{to}\"\nvalue = \"{}\"\ndata = \"{}\"\n{authorizations}",
        tx["chain_id"].as_str().unwrap(),
        now - 60,
        now + 3600,
        targets.iter().map(|t| format!("\"{t}\"")).collect::<Vec<_>>().join(", "),
        "11".repeat(32),
        tx["value"].as_str().unwrap(),
        tx["data"].as_str().unwrap(),
    )
}

#[test]
fn every_tx_type_signs_byte_identical_to_eth_account() {
    let emu = Emu::start(&[]);
    let doc = vectors("transactions.json");
    let mut signed = 0;
    for v in doc["vectors"].as_array().unwrap() {
        let name = v["name"].as_str().unwrap();
        if v["signed_raw"].is_null() || name == "legacy_pre155" {
            continue; // blob: unsigned only; pre-155: refused by the policy (tested in check)
        }
        let dir = tempfile::tempdir().unwrap();
        let payload = v["unsigned_payload"].as_str().unwrap();
        let decoded = json(&run(&["--json", "decode", payload]));
        let tx = &decoded["tx"];
        let auth = tx["authorization_list"].as_array().and_then(|a| a.first());
        let toml = dir.path().join("r.toml");
        std::fs::write(&toml, release_for(tx, auth)).unwrap();
        let manifest = dir.path().join("r.cbor");
        let out =
            run(&["--json", "manifest", "build", toml.to_str().unwrap(), "-o", manifest.to_str().unwrap()]);
        assert_eq!(code(&out), 0, "{name}: {}", stderr(&out));
        let hash = json(&out)["manifest_hash"].as_str().unwrap().to_string();
        let out = sign_command(&dir.path().join("home"), &manifest, &hash, payload, &emu.device())
            .output()
            .unwrap();
        assert_eq!(code(&out), 0, "{name}: {}", stderr(&out));
        let result = json(&out);
        assert_eq!(result["signature"]["r"], v["r"], "{name}");
        assert_eq!(result["signature"]["s"], v["s"], "{name}");
        assert_eq!(result["signature"]["v"], v["v"], "{name}");
        assert_eq!(result["signed_tx"], v["signed_raw"], "{name}");
        assert_eq!(result["tx_hash"], v["tx_hash"], "{name}");
        signed += 1;
    }
    assert_eq!(signed, 7, "legacy 1/137/Sepolia, 2930, 1559 call and transfer, 7702");
}

#[test]
fn address_confirm_waits_for_the_person() {
    let emu = Emu::start(&[]);
    let out = run(&["--json", "address", "--confirm", "--device", &emu.device()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(json(&out)["address"], "0xDad77910DbDFdE764fC21FCD4E74D71bBACA6D8D");
    let rejecting = Emu::start(&["--approve", "reject"]);
    let out = run(&["--json", "address", "--confirm", "--device", &rejecting.device()]);
    assert_eq!(code(&out), 4);
    assert!(json(&out)["error"]["hint"].as_str().unwrap().contains("Rejected"));
}
