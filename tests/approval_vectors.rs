//! The real app's EIP-712 full-mode signing of a `ReleaseApproval`, recorded under Speculos
//! (`tests/vectors/eip712_full_release_approval.json`): the types the issue fixes, hashed by
//! alloy, give the digest the app signed, and its signature recovers to the account at the path.
//! This holds the recording to the documented types before the emulator and `approve` use it.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use alloy_primitives::{Address, B256, Signature, U256};
use alloy_sol_types::{SolStruct, eip712_domain, sol};
use common::*;

sol! {
    struct ReleaseApproval {
        bytes32 manifestHash;
        string release;
        uint256 chainId;
        uint64 notBefore;
        uint64 expiresAt;
    }
}

#[test]
fn the_real_apps_full_mode_signature_is_over_the_documented_types() {
    let doc = vectors("eip712_full_release_approval.json");
    let message = &doc["typed_data"]["message"];
    let approval = ReleaseApproval {
        manifestHash: message["manifestHash"].as_str().unwrap().parse::<B256>().unwrap(),
        release: message["release"].as_str().unwrap().to_string(),
        chainId: U256::from(message["chainId"].as_u64().unwrap()),
        notBefore: message["notBefore"].as_u64().unwrap(),
        expiresAt: message["expiresAt"].as_u64().unwrap(),
    };
    assert_eq!(
        ReleaseApproval::eip712_encode_type(),
        "ReleaseApproval(bytes32 manifestHash,string release,uint256 chainId,uint64 notBefore,uint64 expiresAt)"
    );
    let domain = eip712_domain! { name: "bounded-signer", version: "1", chain_id: 1, };
    let digest = approval.eip712_signing_hash(&domain);
    let cases = doc["cases"].as_array().unwrap();
    let signing: Vec<_> =
        cases.iter().filter(|c| c["blind_signing"] == true || c["raw_messages"] == true).collect();
    assert_eq!(signing.len(), 2);
    for case in signing {
        let last = case["exchanges"].as_array().unwrap().last().unwrap();
        assert_eq!(last["status"], "9000");
        let vrs = alloy_primitives::hex::decode(last["response"].as_str().unwrap()).unwrap();
        let (r, s) = (U256::from_be_slice(&vrs[1..33]), U256::from_be_slice(&vrs[33..65]));
        let signer = Signature::new(r, s, vrs[0] == 28).recover_address_from_prehash(&digest).unwrap();
        assert_eq!(signer, SPECULOS_0.parse::<Address>().unwrap());
        // Hashed mode shows the message hash: the one the app paged in this recording.
        let shown: Vec<String> = case["screens"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| s.as_array().unwrap().iter().map(|t| t.as_str().unwrap().to_string()))
            .collect();
        if case["raw_messages"] == false {
            let lines: Vec<&str> = shown.iter().map(String::as_str).collect();
            let hash = bounded_signer::ledger_screens::read_hex_value(&lines, "Message hash").to_lowercase();
            assert_eq!(hash, format!("{:#x}", approval.eip712_hash_struct()));
        } else {
            assert!(shown.contains(&String::from("box v2")), "{shown:?}");
        }
    }
    // With neither setting the app refuses on the domain's first field value.
    let refused = cases.iter().find(|c| c["blind_signing"] == false && c["raw_messages"] == false).unwrap();
    let last = refused["exchanges"].as_array().unwrap().last().unwrap();
    assert_eq!(last["status"], "6a80");
    assert!(last["command"].as_str().unwrap().starts_with("e01c00ff"));
}

/// eth-account's approvals (tests/vectors/approvals.json, from generate_approvals.py): the
/// policy core computes the same three hashes, and recovers each approver from its file.
#[test]
fn the_core_hashes_and_recovers_eth_accounts_approvals() {
    use firmware_policy::ManifestHash;
    use firmware_policy::release_approval::{ApprovalFile, ReleaseSubject, SignedAs};
    let doc = vectors("approvals.json");
    for v in doc["vectors"].as_array().unwrap() {
        let s = &v["subject"];
        let subject = ReleaseSubject {
            manifest_hash: ManifestHash(s["manifestHash"].as_str().unwrap().parse().unwrap()),
            release: s["release"].as_str().unwrap().into(),
            chain_id: s["chainId"].as_u64().unwrap(),
            not_before: s["notBefore"].as_u64().unwrap(),
            expires_at: s["expiresAt"].as_u64().unwrap(),
        };
        let h = subject.hashes();
        let word = |k: &str| v[k].as_str().unwrap().parse::<B256>().unwrap();
        assert_eq!(h.domain_separator, word("domain_separator"));
        assert_eq!(h.message_hash, word("message_hash"));
        assert_eq!(h.signing_hash, word("signing_hash"));
        let bytes = alloy_primitives::hex::decode(v["signature_bytes"].as_str().unwrap()).unwrap();
        let approver: Address = v["approver"].as_str().unwrap().parse().unwrap();
        let file = ApprovalFile {
            manifest_hash: subject.manifest_hash,
            approver,
            signature: bytes.try_into().unwrap(),
            signed_as: SignedAs::Full,
        };
        assert_eq!(file.recover(&subject), Ok(approver));
        let decoded = ApprovalFile::from_canonical_bytes(&file.to_canonical_bytes()).unwrap();
        assert_eq!(decoded, file);
    }
}
