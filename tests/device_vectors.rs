//! `sign` through the binary, against `bounded-signer emulator`, for every transaction type
//! eth-account signed in tests/vectors/transactions.json: the signature, signed transaction and
//! transaction hash must be byte-identical to eth-account's (same key, same payload, RFC 6979).

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;

#[test]
fn every_tx_type_signs_byte_identical_to_eth_account() {
    let emu = Emu::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let signable = signable_vectors(dir.path());
    for v in &signable {
        let home = dir.path().join(format!("home-{}", v.name));
        let out = sign_command(&home, &v.manifest, &v.hash, &v.payload, &emu.device()).output().unwrap();
        assert_eq!(code(&out), 0, "{}: {}", v.name, stderr(&out));
        v.assert_signed_as_eth_account(&json(&out));
    }
    assert_eq!(signable.len(), 7, "legacy 1/137/Sepolia, 2930, 1559 call and transfer, 7702");
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
