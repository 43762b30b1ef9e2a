use alloc::string::ToString;
use alloc::vec;

use alloy_primitives::{Bytes, U256, address, b256};
use alloy_sol_types::SolCall;

use super::*;
use crate::calls::proxy::Proxy;
use crate::manifest::{Action, Manifest, Rollback, SafeActionFields, SafeDecl};
use crate::safe_tx::SafeVersion;

const SAFE: Address = address!("0x5afe00000000000000000000000000000000005a");
const PROXY: Address = address!("0xa1000000000000000000000000000000000000a1");
const IMPL: Address = address!("0xb2000000000000000000000000000000000000b2");
const OWNER_A: Address = address!("0x1000000000000000000000000000000000000001");
const OWNER_B: Address = address!("0x1000000000000000000000000000000000000002");
const EXECUTOR: Address = address!("0xDad77910DbDFdE764fC21FCD4E74D71bBACA6D8D");
const NOW: u64 = 1_500;

fn upgrade() -> Vec<u8> {
    Proxy::upgradeToCall { newImplementation: IMPL }.abi_encode()
}

fn manifest() -> LoadedManifest {
    let action = Action {
        name: "safe-upgrade".to_string(),
        kind: ActionKind::Safe,
        to: PROXY,
        value: U256::ZERO,
        data: upgrade(),
        nonce: Some(7),
        gas_limit_max: None,
        max_fee_per_gas_max: None,
        max_priority_fee_per_gas_max: None,
        authorizations: vec![],
        replaceable: false,
        abi: vec![],
        approved_hashes: vec![],
        safe_tx: Some(SafeActionFields::through(SAFE)),
        expect: Default::default(),
        layout: None,
    };
    LoadedManifest::from_manifest(Manifest {
        release: "safe".to_string(),
        chain_id: 1,
        executor: EXECUTOR,
        not_before: 1_000,
        expires_at: 2_000,
        allowed_targets: vec![SAFE, PROXY, IMPL],
        labels: vec![],
        rollback: Rollback {
            manifest_hash: b256!("0x2222222222222222222222222222222222222222222222222222222222222222"),
            note: String::new(),
        },
        actions: vec![action],
        safes: vec![SafeDecl {
            address: SAFE,
            version: SafeVersion::V1_4_1,
            l2: false,
            owners: vec![OWNER_A, OWNER_B],
            threshold: 2,
            delegatecall_allowed: vec![],
            owned_by: None,
        }],
        max_state_age: crate::manifest::effects::DEFAULT_MAX_STATE_AGE,
        code: Vec::new(),
        authority: Vec::new(),
    })
    .expect("valid")
}

fn approved_fields() -> SafeTxFields {
    SafeTxFields {
        to: PROXY,
        value: U256::ZERO,
        data: Bytes::from(upgrade()),
        operation: 0,
        safe_tx_gas: U256::ZERO,
        base_gas: U256::ZERO,
        gas_price: U256::ZERO,
        gas_token: Address::ZERO,
        refund_receiver: Address::ZERO,
        nonce: U256::from(7),
    }
}

fn domain() -> SafeDomain {
    SafeDomain { safe: SAFE, chain_id: Some(1), version: SafeVersion::V1_4_1 }
}

fn verdict(domain: SafeDomain, tx: SafeTxFields, claimed: Option<B256>) -> Verdict {
    let m = manifest();
    check_safe_tx(
        &m,
        m.hash(),
        &SafeTxProposal::new(domain, tx, claimed).expect("tree"),
        SafeSignatureScheme::Eip712,
        NOW,
    )
}

fn codes(v: &Verdict) -> Vec<&'static str> {
    v.reasons().iter().map(|r| r.code()).collect()
}

#[test]
fn the_approved_safe_tx_is_approved_for_any_owner_and_no_one_else() {
    let hashes = domain().hashes(&approved_fields());
    let v = verdict(domain(), approved_fields(), Some(hashes.safe_tx_hash));
    assert_eq!(codes(&v), Vec::<&str>::new());
    let approval = v.approval().expect("approval");
    assert_eq!(approval.safe_tx(), Some(&hashes));
    assert_eq!(approval.signing_hash(), hashes.safe_tx_hash);
    assert_eq!(approval.signers(), [OWNER_A, OWNER_B]);
    assert!(approval.needs_blind_signing(), "hashed EIP-712 needs blind signing");
    assert!(approval.transaction().is_none());
    let (bound_v, bound) = v.bind(OWNER_B);
    assert!(bound_v.approved());
    assert_eq!(bound.expect("bound").approval().signer(), OWNER_B);
    // The executor is not an owner here: it may not sign the Safe transaction.
    let (refused, none) = verdict(domain(), approved_fields(), None).bind(EXECUTOR);
    assert!(none.is_none());
    assert_eq!(codes(&refused), ["signer_mismatch"]);
    // A request naming an owner passes; one naming the executor does not.
    let claimed =
        verdict(domain(), approved_fields(), None).weigh_claim(&crate::SignerClaim::Account(OWNER_A));
    assert!(claimed.approved() && claimed.approval().is_some());
    let claimed =
        verdict(domain(), approved_fields(), None).weigh_claim(&crate::SignerClaim::Account(EXECUTOR));
    assert_eq!(codes(&claimed), ["signer_mismatch"]);
    assert!(claimed.checks().last().expect("signer check").detail.contains("not an owner"));
}

#[test]
fn every_field_the_version_and_the_claimed_hash_bind_it() {
    let changed: [&dyn Fn(&mut SafeTxFields); 6] = [
        &|t| t.nonce = U256::from(8),
        &|t| t.operation = 1,
        &|t| t.gas_price = U256::from(1),
        &|t| t.refund_receiver = PROXY,
        &|t| t.value = U256::from(1),
        &|t| t.safe_tx_gas = U256::from(1),
    ];
    for change in changed {
        let mut tx = approved_fields();
        change(&mut tx);
        assert!(codes(&verdict(domain(), tx, None)).contains(&"safe_tx_not_approved"));
    }
    let older = SafeDomain { version: SafeVersion::V1_3_0, ..domain() };
    assert_eq!(codes(&verdict(older, approved_fields(), None)), ["safe_tx_not_approved"]);
    let claimed = Some(B256::repeat_byte(0xab));
    assert_eq!(codes(&verdict(domain(), approved_fields(), claimed)), ["safe_tx_hash_mismatch"]);
    let other_chain = SafeDomain { chain_id: Some(5), ..domain() };
    assert_eq!(codes(&verdict(other_chain, approved_fields(), None)), ["chain_id_mismatch"]);
    let no_chain = SafeDomain { chain_id: None, ..domain() };
    assert_eq!(codes(&verdict(no_chain, approved_fields(), None)), ["missing_chain_id"]);
    let other_safe = SafeDomain { safe: PROXY, ..domain() };
    assert_eq!(codes(&verdict(other_safe, approved_fields(), None)), ["safe_tx_not_approved"]);
}

#[test]
fn a_delegatecall_in_the_safes_context_must_be_allowed() {
    let mut tx = approved_fields();
    tx.operation = 1;
    let v = verdict(domain(), tx, None);
    assert_eq!(codes(&v), ["delegatecall_not_allowed", "safe_tx_not_approved"]);
}

#[test]
fn an_unapproved_manifest_is_refused_alone() {
    let m = manifest();
    let p = SafeTxProposal::new(domain(), approved_fields(), None).expect("tree");
    let v = check_safe_tx(&m, ManifestHash(B256::repeat_byte(1)), &p, SafeSignatureScheme::Eip712, NOW);
    assert_eq!(codes(&v), ["manifest_hash_mismatch"]);
    assert!(v.approval().is_none());
}

#[test]
fn the_scheme_is_the_one_the_approval_allows_and_eth_sign_signs_the_eip191_digest() {
    let m = manifest();
    let p = SafeTxProposal::new(domain(), approved_fields(), None).expect("tree");
    let typed = check_safe_tx(&m, m.hash(), &p, SafeSignatureScheme::Eip712, NOW);
    let eth = check_safe_tx(&m, m.hash(), &p, SafeSignatureScheme::EthSign, NOW);
    let (typed, eth) = (typed.approval().expect("approved"), eth.approval().expect("approved"));
    let safe_tx_hash = p.hashes().safe_tx_hash;
    // Both are journaled under the safeTxHash; each recovers over its own digest.
    assert_eq!((typed.signing_hash(), eth.signing_hash()), (safe_tx_hash, safe_tx_hash));
    assert_eq!(typed.digest(), safe_tx_hash);
    let mut prefixed = b"\x19Ethereum Signed Message:\n32".to_vec();
    prefixed.extend_from_slice(safe_tx_hash.as_slice());
    assert_eq!(eth.digest(), alloy_primitives::keccak256(&prefixed));
    assert!(matches!(typed.signable(), Signable::SafeTx(_)));
    assert!(matches!(eth.signable(), Signable::SafeTxEthSign(_)));
    // Hashed EIP-712 needs blind signing on the Ledger; a personal message does not.
    assert!(typed.needs_blind_signing());
    assert!(!eth.needs_blind_signing());
}

#[test]
fn a_safe_action_the_gate_applies_to_is_refused_without_a_witness() {
    use crate::manifest::{ExpectedCode, LoadedManifest};
    let plain = manifest();
    let mut m = plain.manifest().clone();
    m.code.push(ExpectedCode { address: PROXY, code_hash: B256::with_last_byte(7) });
    let loaded = LoadedManifest::from_manifest(m).expect("valid");
    let proposal = SafeTxProposal::new(domain(), approved_fields(), None).expect("proposal");
    let v = check_safe_tx(&loaded, loaded.hash(), &proposal, SafeSignatureScheme::Eip712, NOW);
    assert_eq!(codes(&v), ["witness_missing"]);
    assert!(v.approval().is_none());
}
