extern crate std;

use alloc::string::ToString;
use alloc::vec;

use alloy_consensus::{SignableTransaction, TxEip1559, TxEip7702, TxLegacy};
use alloy_eips::eip7702::{Authorization, SignedAuthorization};
use alloy_primitives::{Bytes, Signature, TxKind, U256, address, b256};
use alloy_sol_types::SolCall;
use proptest::prelude::*;

use super::*;
use crate::calls::{multisend::MultiSend, proxy::Proxy, safe::Safe, timelock::TimelockController};
use crate::manifest::{Action, ActionKind, Manifest, Rollback};

const EXECUTOR: Address = address!("0xDad77910DbDFdE764fC21FCD4E74D71bBACA6D8D");
const SAFE: Address = address!("0x5afe00000000000000000000000000000000005a");
const MULTISEND: Address = address!("0x4040000000000000000000000000000000000040");
const TIMELOCK: Address = address!("0x7100000000000000000000000000000000000071");
const ADMIN: Address = address!("0xad000000000000000000000000000000000000ad");
const PROXY: Address = address!("0xa1000000000000000000000000000000000000a1");
const IMPL: Address = address!("0xb2000000000000000000000000000000000000b2");
const EVIL: Address = address!("0xee000000000000000000000000000000000000ee");
const NOW: u64 = 1_500;

/// The knobs an attacker might turn inside the wrapped call.
#[derive(Clone)]
struct Inner {
    implementation: Address,
    salt: B256,
    predecessor: B256,
    safe_operation: u8,
    extra_entry: bool,
    drop_entry: bool,
}

impl Default for Inner {
    fn default() -> Self {
        Inner {
            implementation: IMPL,
            salt: B256::with_last_byte(1),
            predecessor: B256::ZERO,
            safe_operation: 1,
            extra_entry: false,
            drop_entry: false,
        }
    }
}

fn multisend_entry(to: Address, data: &[u8]) -> Vec<u8> {
    let mut e = vec![0u8];
    e.extend_from_slice(to.as_slice());
    e.extend_from_slice(&[0u8; 32]);
    e.extend_from_slice(&U256::from(data.len()).to_be_bytes::<32>());
    e.extend_from_slice(data);
    e
}

fn safe_calldata(i: &Inner) -> Vec<u8> {
    let init = vec![0x5b, 0x4e, 0x12, 0x8c];
    let upgrade =
        Proxy::upgradeAndCallCall { proxy: PROXY, implementation: i.implementation, data: init.into() }
            .abi_encode();
    let schedule = TimelockController::scheduleCall {
        target: ADMIN,
        value: U256::ZERO,
        data: upgrade.into(),
        predecessor: i.predecessor,
        salt: i.salt,
        delay: U256::from(172_800),
    }
    .abi_encode();
    let mut packed = if i.drop_entry { vec![] } else { multisend_entry(TIMELOCK, &schedule) };
    if i.extra_entry {
        packed.extend(multisend_entry(PROXY, &Proxy::upgradeToCall { newImplementation: IMPL }.abi_encode()));
    }
    let multisend = MultiSend::multiSendCall { transactions: packed.into() }.abi_encode();
    Safe::execTransactionCall {
        to: MULTISEND,
        value: U256::ZERO,
        data: multisend.into(),
        operation: i.safe_operation,
        safeTxGas: U256::ZERO,
        baseGas: U256::ZERO,
        gasPrice: U256::ZERO,
        gasToken: Address::ZERO,
        refundReceiver: Address::ZERO,
        signatures: vec![1u8; 65].into(),
    }
    .abi_encode()
}

fn upgrade_to() -> Vec<u8> {
    Proxy::upgradeToCall { newImplementation: IMPL }.abi_encode()
}

fn manifest() -> LoadedManifest {
    LoadedManifest::from_manifest(manifest_model()).expect("valid manifest")
}

fn manifest_model() -> Manifest {
    let base = Action {
        name: "safe-schedule".to_string(),
        kind: ActionKind::Call,
        to: SAFE,
        value: U256::ZERO,
        data: safe_calldata(&Inner::default()),
        nonce: None,
        gas_limit_max: Some(500_000),
        max_fee_per_gas_max: Some(100_000_000_000),
        max_priority_fee_per_gas_max: Some(3_000_000_000),
        authorizations: vec![],
        replaceable: false,
        abi: vec![],
        approved_hashes: vec![],
        safe_tx: None,
        expect: Default::default(),
        layout: None,
    };
    let mut bound = base.clone();
    bound.name = "direct-upgrade".to_string();
    bound.to = PROXY;
    bound.data = upgrade_to();
    bound.nonce = Some(4);
    let mut delegated = base.clone();
    delegated.name = "delegated".to_string();
    delegated.to = PROXY;
    delegated.data = Proxy::transferOwnershipCall { newOwner: TIMELOCK }.abi_encode();
    delegated.authorizations = vec![AuthorizationBound { chain_id: U256::from(1), address: IMPL, nonce: 9 }];
    Manifest {
        release: "adversarial".to_string(),
        chain_id: 1,
        executor: EXECUTOR,
        not_before: 1_000,
        expires_at: 2_000,
        allowed_targets: vec![SAFE, MULTISEND, TIMELOCK, ADMIN, PROXY, IMPL],
        labels: vec![],
        rollback: Rollback {
            manifest_hash: b256!("0x2222222222222222222222222222222222222222222222222222222222222222"),
            note: String::new(),
        },
        actions: vec![base, bound, delegated],
        safes: vec![],
        max_state_age: crate::manifest::effects::DEFAULT_MAX_STATE_AGE,
        code: Vec::new(),
        authority: Vec::new(),
    }
}

fn tx1559(to: Option<Address>, data: Vec<u8>) -> TxEip1559 {
    TxEip1559 {
        chain_id: 1,
        nonce: 5,
        gas_limit: 300_000,
        max_fee_per_gas: 30_000_000_000,
        max_priority_fee_per_gas: 2_000_000_000,
        to: to.map_or(TxKind::Create, TxKind::Call),
        value: U256::ZERO,
        access_list: Default::default(),
        input: Bytes::from(data),
    }
}

fn proposal_of<T: SignableTransaction<Signature>>(tx: &T) -> Proposal {
    let mut payload = Vec::new();
    tx.encode_for_signing(&mut payload);
    Proposal::new(DecodedTx::decode(&payload).expect("decodes")).expect("tree")
}

fn verdict_at(p: &Proposal, now: u64) -> Verdict {
    let m = manifest();
    check(&m, m.hash(), p, now)
}

fn codes(v: &Verdict) -> Vec<&'static str> {
    v.reasons().iter().map(|r| r.code()).collect()
}

fn reasons_for(tx: TxEip1559) -> Vec<&'static str> {
    codes(&verdict_at(&proposal_of(&tx), NOW))
}

fn with_inner(i: Inner) -> TxEip1559 {
    tx1559(Some(SAFE), safe_calldata(&i))
}

#[test]
fn the_approved_proposal_is_approved_with_its_payload() {
    let p = proposal_of(&with_inner(Inner::default()));
    let v = verdict_at(&p, NOW);
    assert_eq!(codes(&v), Vec::<&str>::new());
    assert_eq!(v.action(), Some(0));
    let approval = v.approval().expect("approval");
    assert_eq!(approval.transaction().expect("a transaction").payload(), p.tx().signing_payload());
    assert_eq!(approval.signing_hash(), p.tx().signing_hash());
    assert_eq!(approval.signer(), EXECUTOR);
    // Every check is listed, in table order.
    let names: Vec<&str> = v.checks().iter().map(|c| c.check.name()).collect();
    assert_eq!(
        names,
        [
            "manifest_hash",
            "chain_id",
            "tx_type",
            "targets",
            "targets",
            "calldata",
            "payload",
            "value",
            "nonce",
            "gas",
            "fees",
            "window"
        ]
    );
}

#[test]
fn adversarial_table() {
    let base = || with_inner(Inner::default());
    let cases: Vec<(&str, TxEip1559, &[&str])> = vec![
        (
            "benign: access list added",
            {
                let mut t = base();
                t.access_list = alloy_eips::eip2930::AccessList(vec![alloy_eips::eip2930::AccessListItem {
                    address: PROXY,
                    storage_keys: vec![B256::ZERO],
                }]);
                t
            },
            &[],
        ),
        (
            "benign: fees under the caps",
            TxEip1559 { max_fee_per_gas: 1, max_priority_fee_per_gas: 1, ..base() },
            &[],
        ),
        ("benign: unbound nonce", TxEip1559 { nonce: 99, ..base() }, &[]),
        (
            "target swapped",
            TxEip1559 { to: TxKind::Call(EVIL), ..base() },
            &["target_not_allowed", "payload_not_approved"],
        ),
        (
            "implementation swapped inside Safe > MultiSend > Timelock > ProxyAdmin",
            with_inner(Inner { implementation: EVIL, ..Inner::default() }),
            &["nested_target_not_allowed", "payload_not_approved"],
        ),
        (
            "extra sub-call",
            with_inner(Inner { extra_entry: true, ..Inner::default() }),
            &["payload_not_approved"],
        ),
        (
            "missing sub-call",
            with_inner(Inner { drop_entry: true, ..Inner::default() }),
            &["payload_not_approved"],
        ),
        (
            "trailing bytes",
            {
                let mut t = base();
                let mut d = t.input.to_vec();
                d.extend_from_slice(&[0; 32]);
                t.input = d.into();
                t
            },
            &["calldata_not_canonical", "payload_not_approved"],
        ),
        ("chain id", TxEip1559 { chain_id: 5, ..base() }, &["chain_id_mismatch"]),
        ("value", TxEip1559 { value: U256::from(1), ..base() }, &["value_mismatch"]),
        (
            "CALL instead of DELEGATECALL",
            with_inner(Inner { safe_operation: 0, ..Inner::default() }),
            &["payload_not_approved"],
        ),
        (
            "salt changed",
            with_inner(Inner { salt: B256::with_last_byte(2), ..Inner::default() }),
            &["payload_not_approved"],
        ),
        (
            "predecessor changed",
            with_inner(Inner { predecessor: B256::with_last_byte(3), ..Inner::default() }),
            &["payload_not_approved"],
        ),
        ("gas above cap", TxEip1559 { gas_limit: 500_001, ..base() }, &["gas_above_cap"]),
        ("max fee above cap", TxEip1559 { max_fee_per_gas: 100_000_000_001, ..base() }, &["fee_above_cap"]),
        (
            "priority fee above cap",
            TxEip1559 { max_priority_fee_per_gas: 3_000_000_001, ..base() },
            &["fee_above_cap"],
        ),
        (
            "contract creation",
            TxEip1559 { to: TxKind::Create, ..base() },
            &["tx_type_not_allowed", "payload_not_approved"],
        ),
        (
            "bound nonce differs",
            TxEip1559 { nonce: 3, ..tx1559(Some(PROXY), upgrade_to()) },
            &["nonce_mismatch"],
        ),
        ("bound nonce held", TxEip1559 { nonce: 4, ..tx1559(Some(PROXY), upgrade_to()) }, &[]),
        (
            "several failures are all reported",
            TxEip1559 {
                chain_id: 5,
                value: U256::from(1),
                gas_limit: 600_000,
                max_fee_per_gas: 200_000_000_000,
                ..base()
            },
            &["chain_id_mismatch", "value_mismatch", "gas_above_cap", "fee_above_cap"],
        ),
    ];
    for (name, tx, expected) in cases {
        assert_eq!(reasons_for(tx), expected.to_vec(), "case: {name}");
    }
}

#[test]
fn the_window_is_half_open() {
    let p = proposal_of(&with_inner(Inner::default()));
    assert_eq!(codes(&verdict_at(&p, 999)), ["window_not_open"]);
    assert_eq!(codes(&verdict_at(&p, 1_000)), Vec::<&str>::new());
    assert_eq!(codes(&verdict_at(&p, 1_999)), Vec::<&str>::new());
    assert_eq!(codes(&verdict_at(&p, 2_000)), ["window_expired"]);
}

#[test]
fn an_unapproved_manifest_is_trusted_for_nothing() {
    let m = manifest();
    let p = proposal_of(&TxEip1559 { chain_id: 5, ..with_inner(Inner::default()) });
    let v = check(&m, ManifestHash(B256::with_last_byte(9)), &p, 0);
    assert_eq!(codes(&v), ["manifest_hash_mismatch"]);
    assert_eq!(v.checks().len(), 1);
    assert!(v.approval().is_none());
}

fn auth(nonce: u64) -> SignedAuthorization {
    SignedAuthorization::new_unchecked(
        Authorization { chain_id: U256::from(1), address: IMPL, nonce },
        0,
        U256::from(1),
        U256::from(1),
    )
}

fn tx7702(to: Address, data: Vec<u8>, auths: Vec<SignedAuthorization>) -> TxEip7702 {
    let b = tx1559(Some(to), data);
    TxEip7702 {
        chain_id: b.chain_id,
        nonce: b.nonce,
        gas_limit: b.gas_limit,
        max_fee_per_gas: b.max_fee_per_gas,
        max_priority_fee_per_gas: b.max_priority_fee_per_gas,
        to,
        value: b.value,
        access_list: b.access_list,
        authorization_list: auths,
        input: b.input,
    }
}

#[test]
fn eip7702_authorizations_must_be_exactly_the_actions() {
    let owner = Proxy::transferOwnershipCall { newOwner: TIMELOCK }.abi_encode();
    let ok = proposal_of(&tx7702(PROXY, owner.clone(), vec![auth(9)]));
    assert_eq!(codes(&verdict_at(&ok, NOW)), Vec::<&str>::new());
    let wrong = proposal_of(&tx7702(PROXY, owner.clone(), vec![auth(10)]));
    assert_eq!(codes(&verdict_at(&wrong, NOW)), ["tx_type_not_allowed"]);
    let added = proposal_of(&tx7702(PROXY, owner.clone(), vec![auth(9), auth(9)]));
    assert_eq!(codes(&verdict_at(&added, NOW)), ["tx_type_not_allowed"]);
    // The action names authorizations, the tx is not a 7702 tx.
    assert_eq!(reasons_for(tx1559(Some(PROXY), owner)), ["tx_type_not_allowed"]);
    // An authorization added to an action that names none.
    let smuggled = proposal_of(&tx7702(SAFE, safe_calldata(&Inner::default()), vec![auth(9)]));
    assert_eq!(codes(&verdict_at(&smuggled, NOW)), ["tx_type_not_allowed"]);
}

#[test]
fn legacy_without_eip155_is_missing_chain_id() {
    let b = with_inner(Inner::default());
    let legacy = TxLegacy {
        chain_id: None,
        nonce: 5,
        gas_price: 1,
        gas_limit: b.gas_limit,
        to: b.to,
        value: b.value,
        input: b.input,
    };
    assert_eq!(codes(&verdict_at(&proposal_of(&legacy), NOW)), ["missing_chain_id"]);
    let eip155 = TxLegacy { chain_id: Some(1), ..legacy.clone() };
    assert_eq!(codes(&verdict_at(&proposal_of(&eip155), NOW)), Vec::<&str>::new());
    let zero = TxLegacy { chain_id: Some(0), ..legacy };
    assert_eq!(codes(&verdict_at(&proposal_of(&zero), NOW)), ["missing_chain_id"]);
}

#[test]
fn a_claim_the_approval_does_not_allow_refuses_before_any_device() {
    use crate::SignerClaim;
    let p = proposal_of(&with_inner(Inner::default()));
    // The executor's own account changes nothing: the device is still bound afterwards.
    let v = verdict_at(&p, NOW).weigh_claim(&SignerClaim::Account(EXECUTOR));
    assert!(v.approved() && v.approval().is_some());
    let v = verdict_at(&p, NOW).weigh_claim(&SignerClaim::Account(EVIL));
    assert_eq!(codes(&v), ["signer_mismatch"]);
    assert!(v.approval().is_none(), "nothing is left to sign with");
    let detail = &v.checks().last().expect("signer check").detail;
    assert!(
        detail.contains(&alloc::format!("{EVIL}")) && detail.contains(&alloc::format!("{EXECUTOR}")),
        "{detail}"
    );
    let v = verdict_at(&p, NOW).weigh_claim(&SignerClaim::PathOutsideApp("m/44'/61'/0'/0/0".into()));
    assert_eq!(codes(&v), ["signer_mismatch"]);
    assert!(v.checks().last().expect("signer check").detail.contains("m/44'/61'/0'/0/0"));
    // A verdict the check refused keeps its own reasons only.
    let v = verdict_at(&p, 5_000).weigh_claim(&SignerClaim::Account(EVIL));
    assert!(!v.approved() && !v.reasons().contains(&Reason::SignerMismatch));
}

#[test]
fn binding_uses_the_signer_the_approval_holds_and_consumes_it() {
    let p = proposal_of(&with_inner(Inner::default()));
    let (v, bound) = verdict_at(&p, NOW).bind(EVIL);
    assert_eq!(codes(&v), ["signer_mismatch"]);
    assert!(bound.is_none() && v.approval().is_none());
    let (v, bound) = verdict_at(&p, NOW).bind(EXECUTOR);
    assert!(v.approved());
    assert_eq!(v.checks().last().map(|c| (c.check, c.ok)), Some((Check::Signer, true)));
    let bound = bound.expect("bound");
    assert_eq!(bound.approval().signer(), EXECUTOR);
    assert!(v.approval().is_none(), "the approval moved into the binding");
    // A refused verdict has nothing to bind.
    let (v, bound) = verdict_at(&p, 5_000).bind(EXECUTOR);
    assert!(bound.is_none() && !v.approved());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Flipping any single byte of an approved payload never yields an approval of a different
    /// call: either the bytes no longer decode, or the verdict refuses, or (fees, nonce, access
    /// list bytes) it approves the very same action with the very same (to, calldata, value).
    #[test]
    fn prop_flipped_payload_never_approves_another_call(index in any::<prop::sample::Index>(), flip in 1u8..=255) {
        let original = proposal_of(&with_inner(Inner::default()));
        let mut bytes = original.tx().signing_payload().to_vec();
        let i = index.index(bytes.len());
        bytes[i] ^= flip;
        let Ok(tx) = DecodedTx::decode(&bytes) else { return Ok(()) };
        let Ok(p) = Proposal::new(tx) else { return Ok(()) };
        let v = verdict_at(&p, NOW);
        if let Some(approval) = v.approval() {
            prop_assert_eq!(approval.action(), Some(0));
            prop_assert_eq!(approval.transaction().map(|t| t.payload()), Some(&bytes[..]));
            prop_assert_eq!(p.tx().to(), original.tx().to());
            prop_assert_eq!(p.tx().input(), original.tx().input());
            prop_assert_eq!(p.tx().value(), original.tx().value());
            prop_assert_eq!(p.tx().chain_id(), Some(1));
        }
    }

    /// Whatever the calldata, nothing whose target or reached addresses leave the allowlist passes.
    #[test]
    fn prop_nothing_outside_the_allowlist_passes(target in any::<[u8; 20]>(), implementation in any::<[u8; 20]>()) {
        let target = Address::from(target);
        let implementation = Address::from(implementation);
        let data = safe_calldata(&Inner { implementation, ..Inner::default() });
        let p = proposal_of(&tx1559(Some(target), data));
        let v = verdict_at(&p, NOW);
        let m = manifest();
        let outside = !m.manifest().is_allowed(&target) || !m.manifest().is_allowed(&implementation);
        if outside {
            prop_assert!(!v.approved());
            prop_assert!(v.approval().is_none());
        }
    }
}

fn codes_against(m: Manifest, p: &Proposal) -> Vec<&'static str> {
    let m = LoadedManifest::from_manifest(m).expect("valid manifest");
    codes(&check(&m, m.hash(), p, NOW))
}

#[test]
fn a_priority_cap_alone_never_leaves_a_legacy_gas_price_uncapped() {
    let legacy = |gas_price: u128| TxLegacy {
        chain_id: Some(1),
        nonce: 4,
        gas_price,
        gas_limit: 100_000,
        to: TxKind::Call(PROXY),
        value: U256::ZERO,
        input: upgrade_to().into(),
    };
    let only_priority = || {
        let mut m = manifest_model();
        m.actions[1].max_fee_per_gas_max = None;
        m
    };
    // 1,000,000 gwei: the review's case, approved before.
    let p = proposal_of(&legacy(1_000_000_000_000_000));
    assert_eq!(codes_against(only_priority(), &p), ["fee_above_cap"]);
    let v = {
        let m = LoadedManifest::from_manifest(only_priority()).expect("valid");
        check(&m, m.hash(), &p, NOW)
    };
    let fees = v.checks().iter().find(|c| c.check == Check::Fees).expect("fees check");
    assert!(
        fees.detail.contains("unbounded") && fees.detail.contains("max_fee_per_gas_max"),
        "{}",
        fees.detail
    );
    // Even a tiny gasPrice: with only a priority cap nothing bounds it.
    assert_eq!(codes_against(only_priority(), &proposal_of(&legacy(1))), ["fee_above_cap"]);
    // With a max-fee cap the gasPrice is held against it.
    assert_eq!(codes(&verdict_at(&proposal_of(&legacy(100_000_000_000)), NOW)), Vec::<&str>::new());
    assert_eq!(codes(&verdict_at(&proposal_of(&legacy(100_000_000_001)), NOW)), ["fee_above_cap"]);
    // No caps at all: nothing to bound, as before.
    let mut uncapped = only_priority();
    uncapped.actions[1].max_priority_fee_per_gas_max = None;
    assert_eq!(codes_against(uncapped, &p), Vec::<&str>::new());
    // EIP-2930 has a gasPrice too.
    let tx2930 = alloy_consensus::TxEip2930 {
        chain_id: 1,
        nonce: 4,
        gas_price: 5,
        gas_limit: 100_000,
        to: TxKind::Call(PROXY),
        value: U256::ZERO,
        access_list: Default::default(),
        input: upgrade_to().into(),
    };
    assert_eq!(codes_against(only_priority(), &proposal_of(&tx2930)), ["fee_above_cap"]);
}

#[test]
fn a_type_4_transaction_never_matches_an_action_without_authorizations() {
    // The direct-upgrade action names no authorizations; an empty list is still a 7702 tx.
    let empty = proposal_of(&TxEip7702 { nonce: 4, ..tx7702(PROXY, upgrade_to(), vec![]) });
    let v = verdict_at(&empty, NOW);
    assert_eq!(codes(&v), ["tx_type_not_allowed"]);
    assert!(v.approval().is_none());
}

#[test]
fn a_signed_transaction_must_be_the_executors() {
    use k256::ecdsa::SigningKey;
    let sign = |key: &SigningKey, tx: TxEip1559| {
        let (sig, recid) = key.sign_prehash_recoverable(tx.signature_hash().as_slice()).expect("signs");
        let signature = Signature::from_signature_and_parity(sig, recid.is_y_odd());
        let mut raw = Vec::new();
        tx.into_signed(signature).eip2718_encode(&mut raw);
        Proposal::new(DecodedTx::decode(&raw).expect("decodes")).expect("tree")
    };
    let executor_key = SigningKey::from_slice(&[0x11; 32]).expect("key");
    let other_key = SigningKey::from_slice(&[0x22; 32]).expect("key");
    let executor = Address::from_public_key(executor_key.verifying_key());
    let other = Address::from_public_key(other_key.verifying_key());
    let mut model = manifest_model();
    model.executor = executor;
    let m = LoadedManifest::from_manifest(model).expect("valid");

    let by_other = sign(&other_key, with_inner(Inner::default()));
    let v = check(&m, m.hash(), &by_other, NOW);
    assert_eq!(codes(&v), ["signer_mismatch"]);
    assert!(v.approval().is_none());
    let signer = v.checks().iter().find(|c| c.check == Check::Signer).expect("signer check");
    assert!(signer.detail.contains(&other.to_string()) && signer.detail.contains(&executor.to_string()));

    let by_executor = sign(&executor_key, with_inner(Inner::default()));
    let v = check(&m, m.hash(), &by_executor, NOW);
    assert_eq!(codes(&v), Vec::<&str>::new());
    assert_eq!(v.checks().last().map(|c| c.check), Some(Check::Signer));
}

/// A Safe action is matched only through its Safe: the executor sending the Safe action's inner
/// call directly (same target, same calldata) is not that action.
#[test]
fn a_direct_call_of_a_safe_actions_inner_target_is_not_the_safe_action() {
    use crate::manifest::{SafeActionFields, SafeDecl};
    use crate::safe_tx::SafeVersion;
    let mut model = manifest_model();
    model.actions.truncate(1);
    let mut safe_action = model.actions[0].clone();
    safe_action.name = "safe-upgrade".to_string();
    safe_action.kind = ActionKind::Safe;
    safe_action.to = PROXY;
    safe_action.data = upgrade_to();
    safe_action.nonce = Some(0);
    safe_action.safe_tx = Some(SafeActionFields::through(SAFE));
    model.actions.push(safe_action);
    model.safes = vec![SafeDecl {
        address: SAFE,
        version: SafeVersion::V1_4_1,
        l2: false,
        owners: vec![EXECUTOR],
        threshold: 1,
        delegatecall_allowed: vec![],
        owned_by: None,
    }];
    let m = LoadedManifest::from_manifest(model).expect("valid");
    let direct = proposal_of(&tx1559(Some(PROXY), upgrade_to()));
    let v = check(&m, m.hash(), &direct, NOW);
    assert_eq!(codes(&v), ["payload_not_approved"]);
    assert_eq!(v.action(), None);
}

/// A manifest whose Safe (three owners of the keys 1, 2 and 3, threshold 2) has one Safe action:
/// the proxy's upgrade at Safe nonce 7. Returns the manifest and the owners' keys, sorted by
/// address.
fn exec_manifest() -> (LoadedManifest, Vec<k256::ecdsa::SigningKey>) {
    use crate::manifest::{SafeActionFields, SafeDecl};
    use crate::safe_tx::SafeVersion;
    let key = |n: u8| k256::ecdsa::SigningKey::from_bytes(&[n; 32].into()).expect("key");
    let mut keys = vec![key(1), key(2), key(3)];
    keys.sort_by_key(key_address);
    let mut model = manifest_model();
    model.actions.truncate(1);
    let mut safe_action = model.actions[0].clone();
    safe_action.name = "safe-upgrade".to_string();
    safe_action.kind = ActionKind::Safe;
    safe_action.to = PROXY;
    safe_action.data = upgrade_to();
    safe_action.nonce = Some(7);
    safe_action.safe_tx = Some(SafeActionFields::through(SAFE));
    model.actions.push(safe_action);
    model.safes = vec![SafeDecl {
        address: SAFE,
        version: SafeVersion::V1_4_1,
        l2: false,
        owners: keys.iter().map(key_address).collect(),
        threshold: 2,
        delegatecall_allowed: vec![],
        owned_by: None,
    }];
    (LoadedManifest::from_manifest(model).expect("valid"), keys)
}

fn key_address(k: &k256::ecdsa::SigningKey) -> Address {
    let point = k.verifying_key().to_encoded_point(false);
    Address::from_slice(&alloy_primitives::keccak256(&point.as_bytes()[1..])[12..])
}

/// An owner's EIP-712 entry `r ‖ s ‖ v` over `hash`.
fn owner_entry(k: &k256::ecdsa::SigningKey, hash: B256) -> Vec<u8> {
    let (sig, recid) = k.sign_prehash_recoverable(hash.as_slice()).expect("signs");
    let mut out = sig.to_bytes().to_vec();
    out.push(27 + u8::from(recid.is_y_odd()));
    out
}

/// The executor's execTransaction of the inner call with `signatures`.
fn exec_tx(to: Address, data: Vec<u8>, operation: u8, signatures: Vec<u8>) -> TxEip1559 {
    let call = Safe::execTransactionCall {
        to,
        value: U256::ZERO,
        data: data.into(),
        operation,
        safeTxGas: U256::ZERO,
        baseGas: U256::ZERO,
        gasPrice: U256::ZERO,
        gasToken: Address::ZERO,
        refundReceiver: Address::ZERO,
        signatures: signatures.into(),
    };
    tx1559(Some(SAFE), call.abi_encode())
}

#[test]
fn the_executor_path_through_a_safe_needs_the_safe_action_and_its_owners_signatures() {
    let (m, keys) = exec_manifest();
    let action = &m.manifest().actions[1];
    let hash = m.manifest().safe_tx_hashes(action).expect("a Safe action").safe_tx_hash;
    let run = |tx: TxEip1559| {
        let v = check(&m, m.hash(), &proposal_of(&tx), NOW);
        (codes(&v), v)
    };
    let signed = [owner_entry(&keys[0], hash), owner_entry(&keys[2], hash)].concat();
    let (reasons, v) = run(exec_tx(PROXY, upgrade_to(), 0, signed.clone()));
    assert_eq!(reasons, Vec::<&str>::new());
    assert_eq!(v.action(), Some(1));
    let approval = v.approval().expect("approved");
    assert!(approval.transaction().is_some(), "the executor signs its own transaction");
    assert_eq!(approval.signer(), EXECUTOR);
    let detail = v.checks().iter().find(|c| c.check == Check::SafeSignatures).expect("reported");
    assert!(detail.detail.contains(&key_address(&keys[2]).to_string()), "{}", detail.detail);

    // One owner short, an unsorted pair, a stranger, and signatures over another Safe nonce.
    let one = owner_entry(&keys[0], hash);
    assert_eq!(run(exec_tx(PROXY, upgrade_to(), 0, one)).0, ["safe_signatures_insufficient"]);
    let unsorted = [owner_entry(&keys[2], hash), owner_entry(&keys[0], hash)].concat();
    assert_eq!(
        run(exec_tx(PROXY, upgrade_to(), 0, unsorted)).0,
        ["safe_signatures_insufficient", "safe_signature_invalid"]
    );
    let stranger = k256::ecdsa::SigningKey::from_bytes(&[9; 32].into()).expect("key");
    let foreign = [owner_entry(&keys[0], hash), owner_entry(&stranger, hash)].concat();
    assert!(run(exec_tx(PROXY, upgrade_to(), 0, foreign)).0.contains(&"safe_signature_invalid"));
    let mut other = action.clone();
    other.nonce = Some(8);
    let other_hash = m.manifest().safe_tx_hashes(&other).expect("hashes").safe_tx_hash;
    let stale = [owner_entry(&keys[0], other_hash), owner_entry(&keys[1], other_hash)].concat();
    assert!(run(exec_tx(PROXY, upgrade_to(), 0, stale)).0.contains(&"safe_signature_invalid"));

    // Another inner call is not the Safe action; a delegatecall of it is neither, and is refused
    // as a delegatecall the Safe does not allow.
    let evil = Proxy::upgradeToCall { newImplementation: EVIL }.abi_encode();
    let (reasons, v) = run(exec_tx(PROXY, evil, 0, signed.clone()));
    assert_eq!(reasons, ["nested_target_not_allowed", "safe_tx_not_approved"]);
    assert_eq!(v.action(), None);
    let (reasons, _) = run(exec_tx(PROXY, upgrade_to(), 1, signed.clone()));
    assert_eq!(reasons, ["delegatecall_not_allowed", "safe_tx_not_approved"]);

    // The executor's transaction carries no value; its account nonce is not the Safe's.
    let mut with_value = exec_tx(PROXY, upgrade_to(), 0, signed.clone());
    with_value.value = U256::from(1);
    assert_eq!(run(with_value).0, ["value_mismatch"]);
    let mut any_nonce = exec_tx(PROXY, upgrade_to(), 0, signed);
    any_nonce.nonce = 12_345;
    assert_eq!(run(any_nonce).0, Vec::<&str>::new());
}

#[test]
fn a_nested_safes_approve_hash_action_counts_for_it_in_the_outer_blob() {
    use crate::manifest::{ManifestErrorKind, SafeActionFields, SafeDecl};
    use crate::safe_tx::SafeVersion;
    const INNER: Address = address!("0x1a00000000000000000000000000000000000001");
    let (base, keys) = exec_manifest();
    let mut model = base.manifest().clone();
    // The outer Safe is owned by one key and by the inner Safe (a council), threshold 2.
    let mut owners = vec![key_address(&keys[0]), INNER];
    owners.sort_unstable();
    model.safes[0].owners = owners;
    model.safes.push(SafeDecl {
        address: INNER,
        version: SafeVersion::V1_4_1,
        l2: false,
        owners: vec![EXECUTOR],
        threshold: 1,
        delegatecall_allowed: vec![],
        owned_by: Some(SAFE),
    });
    model.safes.sort_by_key(|s| s.address);
    model.allowed_targets.push(INNER);
    model.allowed_targets.sort_unstable();
    let outer_hash = {
        let m = LoadedManifest::from_manifest(model.clone()).expect("valid");
        m.manifest().safe_tx_hashes(&m.manifest().actions[1]).expect("hashes").safe_tx_hash
    };
    let mut approving = model.actions[1].clone();
    approving.name = "council-approves".to_string();
    approving.to = SAFE;
    approving.data = Safe::approveHashCall { hashToApprove: outer_hash }.abi_encode();
    approving.nonce = Some(0);
    approving.safe_tx = Some(SafeActionFields { approves: Some(1), ..SafeActionFields::through(INNER) });
    let mut with_approval = model.clone();
    with_approval.actions.push(approving.clone());
    let m = LoadedManifest::from_manifest(with_approval.clone()).expect("valid");
    let again = LoadedManifest::from_canonical_bytes(m.bytes()).expect("canonical");
    assert_eq!(again.manifest().actions[2].safe_tx.and_then(|s| s.approves), Some(1));

    // The outer blob: the inner Safe's approved-hash entry and the key's signature, sorted.
    let council = [INNER.into_word().as_slice(), &[0u8; 32], &[1]].concat();
    let mut entries = vec![(INNER, council), (key_address(&keys[0]), owner_entry(&keys[0], outer_hash))];
    entries.sort_by_key(|(a, _)| *a);
    let blob: Vec<u8> = entries.into_iter().flat_map(|(_, e)| e).collect();
    let tx = exec_tx(PROXY, upgrade_to(), 0, blob);
    let v = check(&m, m.hash(), &proposal_of(&tx), NOW);
    assert_eq!(codes(&v), Vec::<&str>::new());
    // Without the approving action the entry relies on chain state the check cannot see.
    let m_without = LoadedManifest::from_manifest(model.clone()).expect("valid");
    let v = check(&m_without, m_without.hash(), &proposal_of(&tx), NOW);
    assert_eq!(codes(&v), ["safe_signatures_insufficient"]);

    // The approving action is held to exactly approveHash(the outer safeTxHash), by the Safe
    // that owns it.
    let variant = |change: &dyn Fn(&mut Action)| {
        let mut a = approving.clone();
        change(&mut a);
        a
    };
    let through =
        |approves| Some(SafeActionFields { approves: Some(approves), ..SafeActionFields::through(INNER) });
    for broken in [
        variant(&|a| a.data = Safe::approveHashCall { hashToApprove: B256::ZERO }.abi_encode()),
        variant(&|a| a.value = U256::from(1)),
        variant(&|a| a.safe_tx = through(0)),
        variant(&|a| a.safe_tx = through(9)),
    ] {
        let mut bad = model.clone();
        bad.actions.push(broken);
        let e = LoadedManifest::from_manifest(bad).expect_err("refused");
        assert!(matches!(e.kind, ManifestErrorKind::BadSafe { .. }), "{e:?}");
        assert_eq!(e.field.and_then(|f| f.sub), Some("approves"));
    }
    let mut not_owned = with_approval;
    not_owned.safes.iter_mut().for_each(|s| s.owned_by = None);
    assert!(LoadedManifest::from_manifest(not_owned).is_err());
}

#[test]
fn an_owner_in_approved_hashes_counts_and_is_reported_as_resting_on_chain() {
    let (base, keys) = exec_manifest();
    let owner = key_address(&keys[1]);
    let hash = base.manifest().safe_tx_hashes(&base.manifest().actions[1]).expect("hashes").safe_tx_hash;
    // keys[1]'s approved hash (address(r) = the owner, v = 1) and keys[0]'s signature, sorted.
    let approved = [owner.into_word().as_slice(), &[0u8; 32], &[1]].concat();
    let mut entries = vec![(owner, approved), (key_address(&keys[0]), owner_entry(&keys[0], hash))];
    entries.sort_by_key(|(a, _)| *a);
    let blob: Vec<u8> = entries.into_iter().flat_map(|(_, e)| e).collect();
    let tx = exec_tx(PROXY, upgrade_to(), 0, blob);
    // Without the listing it cannot count offline.
    let v = check(&base, base.hash(), &proposal_of(&tx), NOW);
    assert_eq!(codes(&v), ["safe_signatures_insufficient"]);
    let mut model = base.manifest().clone();
    model.actions[1].approved_hashes = vec![owner];
    let m = LoadedManifest::from_manifest(model).expect("valid");
    let v = check(&m, m.hash(), &proposal_of(&tx), NOW);
    assert_eq!(codes(&v), Vec::<&str>::new());
    let detail = v.checks().iter().find(|c| c.check == Check::SafeSignatures).expect("reported");
    assert!(detail.detail.contains("does not bind the Safe nonce"), "{}", detail.detail);
    assert!(detail.detail.contains(&owner.to_string()), "{}", detail.detail);
}

#[test]
fn an_action_the_gate_applies_to_is_refused_without_a_witness() {
    use crate::manifest::{Authority, ExpectedSlot, effects::named_slots};
    let expectation =
        ExpectedSlot { address: PROXY, slot: named_slots::EIP1967_IMPLEMENTATION, value: IMPL.into_word() };
    let p = proposal_of(&with_inner(Inner::default()));
    let gated = |m: Manifest| {
        let loaded = LoadedManifest::from_manifest(m).expect("valid");
        check(&loaded, loaded.hash(), &p, NOW)
    };
    // The matched action expects a slot value: refused, with no approval to sign with.
    let mut m = manifest_model();
    m.actions[0].expect.slots.push(expectation.clone());
    let v = gated(m);
    assert_eq!(codes(&v), ["witness_missing"]);
    assert!(v.approval().is_none());
    let failed = v.checks().iter().find(|c| !c.ok).expect("the failed check");
    assert_eq!(failed.check.name(), "witness");
    assert!(failed.detail.contains("expects effects"), "{}", failed.detail);
    // Another action's expectation does not gate this one; the manifest's authority does.
    let mut m = manifest_model();
    m.actions[1].expect.slots.push(expectation.clone());
    assert_eq!(codes(&gated(m)), Vec::<&str>::new());
    let mut m = manifest_model();
    m.authority.push(Authority::Slot(expectation));
    let v = gated(m);
    assert_eq!(codes(&v), ["witness_missing"]);
    // In the table's order: after the window, before the signer.
    let mut m = manifest_model();
    m.actions[0].expect.slots.push(ExpectedSlot {
        address: PROXY,
        slot: named_slots::EIP1967_ADMIN,
        value: ADMIN.into_word(),
    });
    let loaded = LoadedManifest::from_manifest(m).expect("valid");
    let v = check(&loaded, loaded.hash(), &p, 5_000);
    assert_eq!(codes(&v), ["window_expired", "witness_missing"]);
}

mod gate_judgement {
    use super::*;
    use crate::check::{Gate, Observed, ObservedChange, ObservedLog, SimStatus};
    use crate::manifest::effects::named_slots;
    use crate::manifest::{Authority, AuthorityCall, ExpectedCode, ExpectedEvent, ExpectedSlot};

    const UPGRADED: B256 = b256!("bc7cd75a20ee27fd9adebab32041f755214dbc6bffa90cc0225b39da2e5c2d3b");
    const STRANGER: Address = address!("0x00000000000000000000000000000000000000ee");

    /// The direct-upgrade action (index 1) expects the implementation slot and the Upgraded
    /// event; the manifest names the new code and the proxy's admin slot as authority.
    fn gated() -> LoadedManifest {
        let mut m = manifest_model();
        m.actions[1].expect.slots.push(ExpectedSlot {
            address: PROXY,
            slot: named_slots::EIP1967_IMPLEMENTATION,
            value: IMPL.into_word(),
        });
        m.actions[1].expect.events.push(ExpectedEvent {
            emitter: PROXY,
            signature: "Upgraded(address indexed implementation)".to_string(),
            topics: vec![UPGRADED, IMPL.into_word()],
            data: vec![],
        });
        m.code.push(ExpectedCode { address: IMPL, code_hash: B256::with_last_byte(0x77) });
        m.authority.push(Authority::Slot(ExpectedSlot {
            address: PROXY,
            slot: named_slots::EIP1967_ADMIN,
            value: ADMIN.into_word(),
        }));
        m.authority.push(Authority::Call(AuthorityCall {
            on: ADMIN,
            signature: "owner()(address)".to_string(),
            calldata: vec![0x8d, 0xa5, 0xcb, 0x5b],
            returns: TIMELOCK.into_word().to_vec(),
        }));
        LoadedManifest::from_manifest(m).expect("valid")
    }

    /// What a faithful replay of the direct upgrade observes.
    fn faithful() -> Observed {
        Observed {
            block_hash: B256::with_last_byte(0xbb),
            status: SimStatus::Success,
            gas_used: 40_000,
            logs: vec![ObservedLog {
                emitter: PROXY,
                topics: vec![UPGRADED, IMPL.into_word()],
                data: vec![],
            }],
            changes: vec![
                ObservedChange {
                    address: PROXY,
                    slots: vec![(
                        named_slots::EIP1967_IMPLEMENTATION,
                        B256::with_last_byte(1),
                        IMPL.into_word(),
                    )],
                    ..Default::default()
                },
                ObservedChange { address: EXECUTOR, balance: true, nonce: true, ..Default::default() },
                ObservedChange { address: Address::ZERO, balance: true, ..Default::default() },
            ],
            sender: EXECUTOR,
            authority_before: vec![Ok(ADMIN.into_word().to_vec()), Ok(TIMELOCK.into_word().to_vec())],
            authority_after: vec![Ok(ADMIN.into_word().to_vec()), Ok(TIMELOCK.into_word().to_vec())],
            code_hashes: vec![Some(B256::with_last_byte(0x77))],
            expected_slots_after: vec![Ok(IMPL.into_word())],
        }
    }

    fn judged(observed: Observed) -> Verdict {
        let m = gated();
        let tx = TxEip1559 { nonce: 4, ..tx1559(Some(PROXY), upgrade_to()) };
        check_gated(&m, m.hash(), &proposal_of(&tx), NOW, &Gate::Observed(alloc::boxed::Box::new(observed)))
    }

    fn failed(v: &Verdict) -> Vec<(&'static str, alloc::string::String)> {
        v.checks().iter().filter(|c| !c.ok).map(|c| (c.check.name(), c.detail.to_string())).collect()
    }

    #[test]
    fn a_faithful_replay_approves_and_lists_every_gate_check() {
        let v = judged(faithful());
        assert_eq!(codes(&v), Vec::<&str>::new(), "{:?}", failed(&v));
        assert!(v.approval().is_some());
        let names: Vec<&str> = v.checks().iter().map(|c| c.check.name()).collect();
        for check in ["witness", "simulation", "effects", "code", "authority"] {
            assert!(names.contains(&check), "{check} in {names:?}");
        }
    }

    #[test]
    fn each_departure_is_refused_with_its_reason() {
        type Departure<'a> = (&'a str, &'a dyn Fn(&mut Observed));
        let cases: [Departure<'_>; 9] = [
            ("simulation_reverted", &|o| {
                o.status = SimStatus::Reverted("Ownable: caller is not the owner".into())
            }),
            ("expected_effect_missing", &|o| o.expected_slots_after = vec![Ok(B256::with_last_byte(1))]),
            ("expected_effect_missing", &|o| o.logs.clear()),
            // A write to an account outside allowed_targets.
            ("unexpected_effect", &|o| {
                o.changes.push(ObservedChange {
                    address: STRANGER,
                    slots: vec![(B256::ZERO, B256::ZERO, B256::with_last_byte(1))],
                    ..Default::default()
                })
            }),
            // The ProxyAdmin's owner changed, with its event.
            ("unexpected_effect", &|o| {
                o.logs.push(ObservedLog {
                    emitter: ADMIN,
                    topics: vec![
                        b256!("8be0079c531659141344cd1fd0a4f28419497f9722a3daafe3b4186f6b6457e0"),
                        TIMELOCK.into_word(),
                        STRANGER.into_word(),
                    ],
                    data: vec![],
                })
            }),
            // A named slot written that the action does not expect.
            ("unexpected_effect", &|o| {
                o.changes[0].slots.push((named_slots::EIP1967_ADMIN, ADMIN.into_word(), STRANGER.into_word()))
            }),
            ("implementation_code_mismatch", &|o| o.code_hashes = vec![Some(B256::with_last_byte(0x78))]),
            ("authority_mismatch", &|o| o.authority_after[1] = Ok(STRANGER.into_word().to_vec())),
            ("gas_above_cap", &|o| o.gas_used = 600_000),
        ];
        for (reason, change) in cases {
            let mut o = faithful();
            change(&mut o);
            let v = judged(o);
            assert!(codes(&v).contains(&reason), "{reason}: {:?}", codes(&v));
            assert!(v.approval().is_none(), "{reason}");
        }
    }

    #[test]
    fn a_witness_that_proves_nothing_or_too_little_is_refused() {
        let m = gated();
        let tx = TxEip1559 { nonce: 4, ..tx1559(Some(PROXY), upgrade_to()) };
        let p = proposal_of(&tx);
        let v = check_gated(&m, m.hash(), &p, NOW, &Gate::Invalid("the header hashes to 0x…".into()));
        assert_eq!(codes(&v), ["witness_invalid"]);
        let v = check_gated(&m, m.hash(), &p, NOW, &Gate::Incomplete("slot 0x01 of 0x…".into()));
        assert_eq!(codes(&v), ["witness_incomplete"]);
    }

    #[test]
    fn the_authority_event_topics_are_their_signatures_hashes() {
        for (signature, topic) in [
            (
                "OwnershipTransferred(address,address)",
                "8be0079c531659141344cd1fd0a4f28419497f9722a3daafe3b4186f6b6457e0",
            ),
            (
                "RoleGranted(bytes32,address,address)",
                "2f8788117e7eff1d82e926ec794901d17c78024a50270940304540a733656f0d",
            ),
            (
                "RoleRevoked(bytes32,address,address)",
                "f6391f5c32d9c69d2a47ea670b442974b53935d1edc7fd64eb21e047a839171b",
            ),
            (
                "AdminChanged(address,address)",
                "7e644d79422f17c01e4894b5f4f588d331ebfa28653d42ae832dc59e38c9798f",
            ),
            ("BeaconUpgraded(address)", "1cf3b03a6cf19fa2baba4df148e9dcabedea7f8a5c07840e207e5c089be95d3e"),
            ("Upgraded(address)", "bc7cd75a20ee27fd9adebab32041f755214dbc6bffa90cc0225b39da2e5c2d3b"),
        ] {
            assert_eq!(
                alloy_primitives::keccak256(signature),
                topic.parse::<B256>().expect("hex"),
                "{signature}"
            );
        }
    }
}
