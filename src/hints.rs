//! What to do about each failed check: the line a signer acts on. Hints use the approved manifest
//! for their numbers (a chain id to rebuild with, a cap, the window's end); an unapproved
//! manifest gives none of them, and a hash mismatch says nothing about the actions at all.

use firmware_policy::{CheckOutcome, DecodedTx, Manifest, Reason, Verdict};

use crate::timefmt::format_instant;

/// The hint for one entry of a verdict's `checks`; `None` for a passed check.
/// `tx` is the proposed transaction, or `None` for a Safe transaction (a co-signer's check).
pub fn hint(
    c: &CheckOutcome,
    v: &Verdict,
    manifest: Option<&Manifest>,
    tx: Option<&DecodedTx>,
) -> Option<String> {
    let reason = c.reason?;
    let action = v.action().and_then(|i| manifest?.actions.get(i));
    let chain = manifest.map(|m| m.chain_id);
    Some(match reason {
        Reason::ManifestHashMismatch => "Re-obtain the approved hash from governance, never from the proposer. If \
             it is right, this file is not the manifest governance approved: get that file."
            .into(),
        Reason::ApprovalQuorumNotMet => "Too few trusted approvers approved this exact manifest file. Collect \
             the missing approvals (each approver runs `approve` on this file) and give each with --approvals; an \
             approval of another file, or by a key the trust file does not name, does not count."
            .into(),
        Reason::RoleConflict => "An approver of this release also executes it or co-signs it as a Safe owner, \
             which the trust file forbids (separate_roles). Have a different trusted approver approve it."
            .into(),
        Reason::ChainIdMismatch if tx.is_none() => "The manifest is for another chain than this Safe \
             transaction: a signature would approve it there. Do not sign; ask for the Safe transaction on the \
             manifest's chain."
            .into(),
        Reason::ChainIdMismatch => match chain {
            Some(n) => format!(
                "The manifest is for chain {n}: rebuild the proposal with --chain {n} (cast mktx --chain {n})."
            ),
            None => "Rebuild the proposal for the manifest's chain.".into(),
        },
        Reason::MissingChainId => match chain {
            Some(n) => format!(
                "Rebuild it as an EIP-1559 (or EIP-155) transaction with chain id {n}: without one it can be replayed on any chain."
            ),
            None => "Rebuild it with the manifest's chain id.".into(),
        },
        Reason::TxTypeNotAllowed => "Propose a plain call of an approved action: no contract creation, no blob \
             transaction, and an EIP-7702 authorization list only where the action names one."
            .into(),
        Reason::TargetNotAllowed => {
            "The transaction goes to an address the manifest does not allow. Do not sign; ask the proposer why, \
             and compare with `manifest show`."
                .into()
        }
        Reason::NestedTargetNotAllowed => "A call or a new implementation inside the payload is outside the \
             allowlist: this is not the approved payload. Do not sign; report it."
            .into(),
        Reason::CalldataNotCanonical => "The calldata is not the standard ABI encoding of its arguments, which can \
             hide what it does. Rebuild it with a standard encoder (cast calldata) and check again."
            .into(),
        Reason::PayloadNotApproved => "No approved action has exactly this target and calldata. Compare the call \
             tree with `manifest show`; do not sign a payload governance did not approve."
            .into(),
        Reason::ValueMismatch => match action {
            Some(a) => format!("Rebuild the proposal with value {} wei, the action's.", a.value),
            None => "Rebuild the proposal with the action's value.".into(),
        },
        Reason::NonceMismatch => match action.and_then(|a| a.nonce) {
            Some(n) => format!(
                "The action binds nonce {n}: rebuild the proposal with nonce {n} (the executor's pending nonce must be {n})."
            ),
            None => "Rebuild the proposal with the action's nonce.".into(),
        },
        Reason::GasAboveCap => match action.and_then(|a| a.gas_limit_max) {
            Some(cap) => format!("Rebuild the proposal with a gas limit of at most {cap}."),
            None => "Rebuild the proposal with a gas limit within the action's cap.".into(),
        },
        Reason::FeeAboveCap => match tx {
            Some(tx) => fee_hint(action, tx),
            None => "Rebuild the proposal with fees within the action's caps.".into(),
        },
        Reason::WindowNotOpen => match manifest {
            Some(m) => format!(
                "The release window opens at {}: sign then. First check this laptop's clock against a trusted source.",
                format_instant(m.not_before)
            ),
            None => "Wait for the release window to open.".into(),
        },
        Reason::WindowExpired => match manifest {
            Some(m) => format!(
                "The window closed at {}; a new manifest (and a new approval) is needed. If that is wrong, check this laptop's clock.",
                format_instant(m.expires_at)
            ),
            None => "The release window has closed; a new manifest is needed.".into(),
        },
        Reason::SignerMismatch if tx.is_none() => "Use the Ledger (and --path) that holds your owner key of \
             this Safe: `bounded-signer manifest show` lists the Safe's owners."
            .into(),
        Reason::SignerMismatch => match manifest {
            Some(m) => format!(
                "Use the Ledger that holds the manifest's executor {} (and its --path); for a signed transaction, only \
                 the executor's signature counts.",
                m.executor
            ),
            None => "Use the Ledger and path of the manifest's executor.".into(),
        },
        Reason::DelegatecallNotAllowed => "A DELEGATECALL runs the target's code as the Safe itself, with all its \
            assets and owners: it may reach only the Safe's delegatecall_allowed. Do not sign; propose a plain call, \
            or a release whose manifest allows that target."
            .into(),
        Reason::SafeTxNotApproved => "No Safe action of the manifest is exactly this Safe transaction (Safe, version, \
            to, value, data, operation, gas and refund fields, nonce). Compare it with `bounded-signer manifest show`; \
            do not sign a Safe transaction the manifest does not name."
            .into(),
        Reason::SafeTxHashMismatch => "The safeTxHash that came with the Safe transaction is not the hash of its \
            fields: one of them was changed, or the hash was. Do not sign; recompute it with `bounded-signer safe hash`."
            .into(),
        Reason::SafeSignaturesInsufficient => "The Safe would revert: fewer owners signed this Safe transaction \
            than its threshold, among the entries it reads (the first threshold entries). Collect the missing \
            owners' `safe sign` signatures and rebuild execTransaction with them, sorted by owner address."
            .into(),
        Reason::SafeSignatureInvalid => "An entry the Safe reads is one it would refuse: not an owner, not sorted \
            ascending by owner, signed over another safeTxHash (another nonce, chain or field), or an unknown v. \
            Do not send it; rebuild the signatures from the owners' own `safe sign` outputs."
            .into(),
        Reason::WitnessMissing => "This release is signed only after its simulation gate: collect a state witness \
            on the online machine (`bounded-signer-witness`) and pass it with --witness and the block hash you \
            compared (--block-hash). Leaving the witness out does not skip the gate."
            .into(),
        Reason::WitnessInvalid => "The witness does not prove what it claims for the block hash you typed: another \
            block's header, a failed proof or code hash, or state older than the manifest's max_state_age. Compare the \
            block hash with a source you trust, collect a fresh witness, and never edit one by hand."
            .into(),
        Reason::WitnessIncomplete => "The replay read state the witness does not prove. Collect the witness again for \
            this exact transaction (`bounded-signer-witness`), so that it records every account and slot it reads."
            .into(),
        Reason::SimulationReverted => "The transaction would fail on the witnessed state. Do not sign: find out why \
            (the revert reason is in the detail) before the release goes on."
            .into(),
        Reason::ExpectedEffectMissing => "The replay did not produce what the manifest says this action must do. Do \
            not sign: the payload, the state or the manifest is not what governance approved."
            .into(),
        Reason::UnexpectedEffect => "The replay changed something the release does not allow: state outside \
            allowed_targets, or control (an owner, a role, an admin, an implementation) the action does not expect. \
            Do not sign; escalate."
            .into(),
        Reason::ImplementationCodeMismatch => "Code that the release makes reachable is not the code governance \
            approved (its keccak256 differs from the manifest's code_hash). Do not sign; compare the deployed \
            bytecode with the audited build."
            .into(),
        Reason::AuthorityMismatch => "The chain of control is not the one the manifest names, before or after the \
            action. Do not sign: someone else holds a key to this upgrade path."
            .into(),
        Reason::ReleaseContained => "A post-execution check of this release diverged and it is contained: sign \
            nothing more of it. Follow the runbook's containment step; only actions of its rollback manifest may be \
            signed."
            .into(),
        Reason::PostExecutionMismatch => "What the chain did is not what the manifest says this action does. \
            Contain the release: sign nothing more of it, and run the rollback manifest's actions as the runbook \
            says."
            .into(),
        _ => "See the detail; do not sign until it passes.".into(),
    })
}

fn fee_hint(action: Option<&firmware_policy::Action>, tx: &DecodedTx) -> String {
    let Some(a) = action else {
        return "Rebuild the proposal with fees within the action's caps.".into();
    };
    let mut caps = Vec::new();
    if let Some(c) = a.max_fee_per_gas_max {
        let name = if tx.gas_price().is_some() { "gasPrice" } else { "maxFeePerGas" };
        caps.push(format!("{name} ≤ {c} wei"));
    }
    if let (Some(c), None) = (a.max_priority_fee_per_gas_max, tx.gas_price()) {
        caps.push(format!("maxPriorityFeePerGas ≤ {c} wei"));
    }
    if tx.gas_price().is_some() && a.max_fee_per_gas_max.is_none() {
        return "The action caps only the priority fee, which leaves a gasPrice unbounded: propose an EIP-1559 \
                transaction instead."
            .into();
    }
    format!("Rebuild the proposal with {}.", caps.join(" and "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_has_a_hint_of_its_own() {
        let reasons = [
            Reason::ManifestHashMismatch,
            Reason::ApprovalQuorumNotMet,
            Reason::RoleConflict,
            Reason::ChainIdMismatch,
            Reason::MissingChainId,
            Reason::TxTypeNotAllowed,
            Reason::TargetNotAllowed,
            Reason::NestedTargetNotAllowed,
            Reason::DelegatecallNotAllowed,
            Reason::CalldataNotCanonical,
            Reason::PayloadNotApproved,
            Reason::SafeTxNotApproved,
            Reason::SafeTxHashMismatch,
            Reason::ValueMismatch,
            Reason::NonceMismatch,
            Reason::GasAboveCap,
            Reason::FeeAboveCap,
            Reason::WindowNotOpen,
            Reason::WindowExpired,
            Reason::SafeSignaturesInsufficient,
            Reason::SafeSignatureInvalid,
            Reason::WitnessMissing,
            Reason::WitnessInvalid,
            Reason::WitnessIncomplete,
            Reason::SimulationReverted,
            Reason::ExpectedEffectMissing,
            Reason::UnexpectedEffect,
            Reason::ImplementationCodeMismatch,
            Reason::AuthorityMismatch,
            Reason::ReleaseContained,
            Reason::SignerMismatch,
            Reason::PostExecutionMismatch,
        ];
        let mut payload = Vec::new();
        alloy_consensus::SignableTransaction::encode_for_signing(
            &alloy_consensus::TxEip1559 { chain_id: 1, gas_limit: 21_000, ..Default::default() },
            &mut payload,
        );
        let decode = || DecodedTx::decode(&payload).unwrap_or_else(|e| panic!("{e}"));
        let tx = decode();
        let proposal = firmware_policy::Proposal::new(decode()).unwrap_or_else(|e| panic!("{e}"));
        let hash = firmware_policy::ManifestHash(alloy_primitives::B256::ZERO);
        let opened = firmware_policy::OpenedManifest::NotApproved { hash };
        let verdict = firmware_policy::check_opened(&opened, hash, &proposal, 0);
        let mut seen = std::collections::BTreeSet::new();
        for reason in reasons {
            let c = CheckOutcome {
                check: reason.check(),
                ok: false,
                reason: Some(reason),
                detail: String::new().into(),
            };
            let text = hint(&c, &verdict, None, Some(&tx)).unwrap_or_default();
            assert!(!text.is_empty() && !text.starts_with("See the detail"), "{reason:?}");
            assert!(seen.insert(text), "{reason:?} shares its hint");
        }
    }
}
