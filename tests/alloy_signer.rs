//! `PolicySigner` as a Rust program would use it: approved transactions are signed on the
//! (emulated) device; anything `check` refuses, and bare hashes or messages, are not.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use alloy_signer::{Error, Signer, UnsupportedSignerOperation};
use bounded_signer::device::DerivationPath;
use bounded_signer::device::speculos::SpeculosTransport;
use bounded_signer::emulator::{Emulator, EmulatorConfig};
use bounded_signer::signer::{PolicySigner, PolicySignerError};
use common::*;
use firmware_policy::{DecodedTx, LoadedManifest, ManifestHash};

/// The futures here complete without waiting on anything.
fn ready<F: Future>(f: F) -> F::Output {
    match pin!(f).as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("the signer's future waited"),
    }
}

fn request_tx(name: &str) -> DecodedTx {
    let text = std::fs::read_to_string(root().join("examples").join(name)).unwrap();
    let built = bounded_signer::request::payload_from_json(&text).unwrap();
    DecodedTx::decode(&built.payload).unwrap()
}

#[test]
fn signs_what_check_approves_and_nothing_else() {
    let emulator = Emulator::start(EmulatorConfig::rehearsal()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (manifest_path, _) = release_now(dir.path());
    let manifest = LoadedManifest::from_canonical_bytes(&std::fs::read(manifest_path).unwrap()).unwrap();
    let approved: ManifestHash = manifest.hash();
    let transport = SpeculosTransport::connect(&emulator.apdu.to_string()).unwrap();
    let signer = PolicySigner::new(manifest, approved, transport, DerivationPath::default_account()).unwrap();
    assert_eq!(Signer::address(&signer).to_checksum(None), "0xDad77910DbDFdE764fC21FCD4E74D71bBACA6D8D");
    assert_eq!(Signer::chain_id(&signer), Some(11_155_111));

    let good = request_tx("proposal-schedule.json");
    let sig = ready(signer.sign_transaction_async(good.inner())).unwrap();
    assert_eq!(sig.recover_address_from_prehash(&good.signing_hash()).unwrap(), Signer::address(&signer));

    let bad = request_tx("proposal-tampered.json");
    match signer.sign_transaction(bad.inner()) {
        Err(PolicySignerError::Refused(reasons)) => {
            assert_eq!(reasons, ["nested_target_not_allowed", "payload_not_approved"])
        }
        other => panic!("tampered: {other:?}"),
    }
    assert!(matches!(
        ready(signer.sign_hash(&good.signing_hash())),
        Err(Error::UnsupportedOperation(UnsupportedSignerOperation::SignHash))
    ));
    assert!(matches!(
        ready(signer.sign_message(b"approve everything")),
        Err(Error::UnsupportedOperation(UnsupportedSignerOperation::SignMessage))
    ));
}

/// The library signer runs the CLI's pipeline: journaled, it refuses a second payload for an
/// action (the CLI's exit 5), and its records are the CLI's (`journal verify` reads them).
#[test]
fn a_journaled_library_signer_keeps_the_clis_one_time_use() {
    let emulator = Emulator::start(EmulatorConfig::rehearsal()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (manifest_path, _) = release_now(dir.path());
    let manifest = LoadedManifest::from_canonical_bytes(&std::fs::read(manifest_path).unwrap()).unwrap();
    let approved = manifest.hash();
    let transport = SpeculosTransport::connect(&emulator.apdu.to_string()).unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir(&home).unwrap();
    let signer = PolicySigner::new(manifest, approved, transport, DerivationPath::default_account())
        .unwrap()
        .journaled(home.clone());

    let good = request_tx("proposal-schedule.json");
    let first = signer.sign_transaction(good.inner()).unwrap();
    // The same payload again: the journaled signature (verified), the same bytes.
    assert_eq!(signer.sign_transaction(good.inner()).unwrap(), first);
    // Another fee for the same action: refused by the journal.
    let text = std::fs::read_to_string(root().join("examples/proposal-schedule.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["maxPriorityFeePerGas"] = "1000000001".into();
    let other =
        DecodedTx::decode(&bounded_signer::request::payload_from_json(&v.to_string()).unwrap().payload)
            .unwrap();
    let e = signer.sign_transaction(other.inner()).unwrap_err();
    assert!(matches!(e, PolicySignerError::Journal(_)), "{e:?}");
    assert!(e.to_string().contains("already has a signature"), "{e}");
    let out = bin().env("BOUNDED_SIGNER_HOME", &home).args(["--json", "journal", "verify"]).output().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(json(&out)["records"], 2);
}
