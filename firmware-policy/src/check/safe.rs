//! The co-signer's check: a Safe transaction against the manifest's Safe actions. Approved only
//! when it is one of them exactly (the Safe, its version, every SafeTx field, the chain), its
//! tree reaches only allowed targets, and its delegatecalls only the Safe's allowed ones; the
//! approval then names the safeTxHash, for any of the Safe's owners to sign.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use alloy_primitives::{Address, B256};
use zeroize::Zeroizing;

use super::{
    Approval, Check, Outcomes, Reason, SafeSignatureScheme, Signable, Verdict, check_canonical, check_window,
    not_approved,
};
use crate::calls::{CallNode, CallTreeError, Operation, decode_call};
use crate::manifest::{ActionKind, LoadedManifest, ManifestHash, safe_context_delegatecalls};
use crate::safe_tx::{SafeDomain, SafeTxFields, SafeTxHashes};

/// A Safe transaction as a co-signer has it: which Safe on which chain at which version, its
/// fields, the safeTxHash that came with it (never trusted), its hashes and its call tree.
pub struct SafeTxProposal {
    domain: SafeDomain,
    tx: SafeTxFields,
    claimed_hash: Option<B256>,
    hashes: SafeTxHashes,
    calls: CallNode,
}

impl SafeTxProposal {
    /// Hashes the transaction and decodes its call tree (as the Safe runs it: a delegatecall
    /// when the operation is 1).
    pub fn new(
        domain: SafeDomain,
        tx: SafeTxFields,
        claimed_hash: Option<B256>,
    ) -> Result<Self, CallTreeError> {
        let operation = if tx.operation == 1 { Operation::DelegateCall } else { Operation::Call };
        let calls = decode_call(Some(tx.to), tx.value, operation, &tx.data)?;
        let hashes = domain.hashes(&tx);
        Ok(SafeTxProposal { domain, tx, claimed_hash, hashes, calls })
    }
    /// The Safe, chain and version.
    pub fn domain(&self) -> &SafeDomain {
        &self.domain
    }
    /// The fields.
    pub fn tx(&self) -> &SafeTxFields {
        &self.tx
    }
    /// Its domain separator, message hash and safeTxHash.
    pub fn hashes(&self) -> &SafeTxHashes {
        &self.hashes
    }
    /// The inner call tree.
    pub fn calls(&self) -> &CallNode {
        &self.calls
    }
}

/// [`check_safe_tx`] on a manifest file opened with [`crate::OpenedManifest::open`]: an unapproved
/// file is refused with `manifest_hash_mismatch` alone, without being decoded.
pub fn check_safe_tx_opened(
    manifest: &crate::OpenedManifest,
    approved_hash: ManifestHash,
    proposal: &SafeTxProposal,
    scheme: SafeSignatureScheme,
    now: u64,
) -> Verdict {
    check_safe_tx_opened_gated(manifest, approved_hash, proposal, scheme, now, &super::Gate::Missing)
}

/// [`check_safe_tx_opened`] with what the simulation gate was given.
pub fn check_safe_tx_opened_gated(
    manifest: &crate::OpenedManifest,
    approved_hash: ManifestHash,
    proposal: &SafeTxProposal,
    scheme: SafeSignatureScheme,
    now: u64,
    gate: &super::Gate,
) -> Verdict {
    match manifest {
        crate::OpenedManifest::Approved(loaded) => {
            check_safe_tx_gated(loaded, approved_hash, proposal, scheme, now, gate)
        }
        crate::OpenedManifest::NotApproved { hash } => not_approved(*hash, approved_hash, now),
    }
}

/// The DELEGATECALLs that would run in the Safe's own context when it runs `safe_call` (its
/// transaction's call, and a delegatecalled MultiSend's entries): each must be `allowed`.
pub(super) fn check_safe_delegatecalls(out: &mut Outcomes, allowed: &[Address], safe_call: &CallNode) {
    let mut denied: Vec<Address> =
        safe_context_delegatecalls(safe_call).into_iter().filter(|a| !allowed.contains(a)).collect();
    denied.sort_unstable();
    denied.dedup();
    if denied.is_empty() {
        out.pass(Check::Targets, String::from("every delegatecall in the Safe's context is allowed"));
    } else {
        let list: Vec<String> = denied.iter().map(|a| format!("{a}")).collect();
        out.fail(
            Reason::DelegatecallNotAllowed,
            format!(
                "a delegatecall in the Safe's context reaches {}, not in its delegatecall_allowed",
                list.join(", ")
            ),
        );
    }
}

/// Evaluates a Safe transaction against `manifest` at `now`, given the hash governance approved;
/// an approval allows signing it by `scheme` only.
pub fn check_safe_tx(
    manifest: &LoadedManifest,
    approved_hash: ManifestHash,
    proposal: &SafeTxProposal,
    scheme: SafeSignatureScheme,
    now: u64,
) -> Verdict {
    check_safe_tx_gated(manifest, approved_hash, proposal, scheme, now, &super::Gate::Missing)
}

/// [`check_safe_tx`] with what the simulation gate was given (a replay of the Safe transaction
/// as Safe tooling simulates it, or why there is none); judged only for an action it applies to.
pub fn check_safe_tx_gated(
    manifest: &LoadedManifest,
    approved_hash: ManifestHash,
    proposal: &SafeTxProposal,
    scheme: SafeSignatureScheme,
    now: u64,
    gate: &super::Gate,
) -> Verdict {
    let hash = manifest.hash();
    if hash != approved_hash {
        return not_approved(hash, approved_hash, now);
    }
    let mut out = Outcomes::default();
    out.pass(Check::ManifestHash, format!("manifest hash {hash} is the approved hash"));
    let m = manifest.manifest();
    let domain = &proposal.domain;
    let tx = &proposal.tx;

    // The chain: signed in the domain from 1.3.0; before, a chain the input names must still be
    // the manifest's (the release is for that chain), and the signature is valid on every chain.
    match domain.chain_id {
        Some(chain) if chain != m.chain_id => out.fail(
            Reason::ChainIdMismatch,
            format!("Safe transaction chain {chain}, manifest chain {}", m.chain_id),
        ),
        Some(chain) if domain.version.domain_has_chain_id() => {
            out.pass(Check::ChainId, format!("chain {chain} is the manifest chain, and in the domain"))
        }
        _ if domain.version.domain_has_chain_id() => {
            out.fail(Reason::MissingChainId, String::from("the Safe transaction names no chain"))
        }
        _ => out.pass(
            Check::ChainId,
            format!(
                "Safe {} has no chain id in its domain: a signature is valid on every chain",
                domain.version.as_str()
            ),
        ),
    }

    let decl = m.safe(&domain.safe);
    // Targets: the Safe, everything its transaction reaches, the refund's token and receiver.
    let mut reached = proposal.calls.reached_addresses();
    reached.push(domain.safe);
    reached.extend([tx.gas_token, tx.refund_receiver].into_iter().filter(|a| *a != Address::ZERO));
    let mut outside: Vec<Address> = reached.into_iter().filter(|a| !m.is_allowed(a)).collect();
    outside.sort_unstable();
    outside.dedup();
    if outside.is_empty() {
        out.pass(
            Check::Targets,
            String::from("the Safe and every call, new implementation and refund party are allowed"),
        );
    } else {
        let list: Vec<String> = outside.iter().map(|a| format!("{a}")).collect();
        out.fail(Reason::NestedTargetNotAllowed, format!("outside allowed_targets: {}", list.join(", ")));
    }
    let allowed = decl.map_or(&[][..], |d| d.delegatecall_allowed.as_slice());
    check_safe_delegatecalls(&mut out, allowed, &proposal.calls);
    check_canonical(&mut out, &proposal.calls);

    // The transaction itself: a manifest Safe, its version, and one Safe action field for field.
    let matched = m.actions.iter().position(|a| {
        a.kind == ActionKind::Safe
            && a.safe_tx.is_some_and(|s| s.safe == domain.safe)
            && a.safe_tx_fields().is_some_and(|f| f == *tx)
    });
    match decl {
        None => {
            out.fail(Reason::SafeTxNotApproved, format!("{} is not one of the manifest's safes", domain.safe))
        }
        Some(d) if d.version != domain.version => out.fail(
            Reason::SafeTxNotApproved,
            format!(
                "the manifest declares Safe {} at version {}, not {}",
                d.address,
                d.version_text(),
                domain.version.as_str()
            ),
        ),
        Some(_) => match matched {
            Some(i) => out.pass(
                Check::SafeTx,
                format!(
                    "matches Safe action {i} ({}), every SafeTx field",
                    m.actions.get(i).map_or("", |a| a.name.as_str())
                ),
            ),
            None => out.fail(
                Reason::SafeTxNotApproved,
                String::from("no Safe action of this Safe has exactly these SafeTx fields"),
            ),
        },
    }
    match proposal.claimed_hash {
        Some(claimed) if claimed != proposal.hashes.safe_tx_hash => out.fail(
            Reason::SafeTxHashMismatch,
            format!(
                "claimed safeTxHash {claimed:#x}, the fields hash to {:#x}",
                proposal.hashes.safe_tx_hash
            ),
        ),
        Some(_) => out.pass(Check::SafeTx, String::from("the claimed safeTxHash is the hash of the fields")),
        None => {}
    }

    check_window(&mut out, m, now);
    super::check_witness(&mut out, m, matched.and_then(|i| m.actions.get(i)), gate);

    let approval = match (out.reasons.is_empty(), matched, decl) {
        (true, Some(action), Some(d)) => m.actions.get(action).map(|a| Approval {
            manifest_hash: hash,
            action: Some(action),
            action_name: Zeroizing::new(a.name.clone()),
            signer: d.owners.first().copied().unwrap_or_default(),
            signers: d.owners.clone(),
            signing_hash: proposal.hashes.safe_tx_hash,
            signable: match scheme {
                SafeSignatureScheme::Eip712 => Signable::SafeTx(proposal.hashes),
                SafeSignatureScheme::EthSign => Signable::SafeTxEthSign(proposal.hashes),
            },
            replaceable: false,
        }),
        _ => None,
    };
    let mut reasons = out.reasons;
    reasons.sort_unstable();
    Verdict {
        manifest_hash: hash,
        action: matched,
        reasons,
        checks: out.checks,
        evaluated_at: now,
        approval,
        safe_signers: None,
        quorum: None,
    }
}

#[cfg(test)]
mod tests;
