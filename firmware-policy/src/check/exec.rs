//! The executor's path through a Safe: a transaction calling `execTransaction` on a manifest Safe
//! that no call action is. It is matched against that Safe's actions by every SafeTx field (the
//! Safe nonce is the action's: the owners' signatures are over that nonce's safeTxHash, so the
//! Safe runs it at that nonce or not at all), and its signatures are evaluated offline as the
//! Safe's `checkSignatures` would evaluate them.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use alloy_primitives::{Address, Bytes, U256};

use super::{Check, Outcomes, Proposal, Reason, check_gas_and_fees};
use crate::calls::safe::exec_transaction_of;
use crate::manifest::{Action, ActionKind, Manifest};
use crate::safe_signatures::{self, BlobReport, SafeContext, Standing};
use crate::tx::{DecodedTx, wipe_bytes};

/// An `execTransaction` on a manifest Safe, and the Safe action it is, if any.
pub(super) struct Execution {
    /// The Safe.
    pub(super) safe: Address,
    /// The Safe action whose every SafeTx field it carries.
    pub(super) action: Option<usize>,
    /// Its signatures blob.
    signatures: Bytes,
}

impl Drop for Execution {
    fn drop(&mut self) {
        wipe_bytes(&mut self.signatures);
    }
}

/// The Safe execution `proposal` is, when its root calls `execTransaction` on a manifest Safe
/// with canonical calldata (a non-canonical root is refused by the calldata check).
pub(super) fn execution(m: &Manifest, proposal: &Proposal) -> Option<Execution> {
    let to = proposal.tx().to()?;
    m.safe(&to)?;
    let (fields, signatures) = exec_transaction_of(proposal.calls())?;
    let action = m.actions.iter().position(|a| {
        a.kind == ActionKind::Safe
            && a.safe_tx.is_some_and(|s| s.safe == to)
            && a.safe_tx_fields().is_some_and(|mut approved| {
                approved.nonce = U256::ZERO;
                approved == fields
            })
    });
    Some(Execution { safe: to, action, signatures })
}

/// The DELEGATECALLs the Safe would make in its own context, running the root's inner call.
pub(super) fn check_delegatecalls(
    out: &mut Outcomes,
    m: &Manifest,
    proposal: &Proposal,
    execution: &Execution,
) {
    let allowed = m.safe(&execution.safe).map_or(&[][..], |d| d.delegatecall_allowed.as_slice());
    if let Some(inner) = proposal.calls().children.first() {
        super::safe::check_safe_delegatecalls(out, allowed, inner);
    }
}

/// The checks of a matched Safe action on the executor's transaction: the match itself, value 0
/// (the Safe pays the inner value from its own balance), the account nonce unbound (the Safe
/// nonce binds), and the action's gas and fee caps.
pub(super) fn check_safe_action(
    out: &mut Outcomes,
    m: &Manifest,
    tx: &DecodedTx,
    index: usize,
    action: &Action,
    execution: &Execution,
) {
    let safe_nonce = action.nonce.unwrap_or_default();
    out.pass(
        Check::SafeTx,
        format!(
            "execTransaction on Safe {} matches Safe action {index} ({}), every SafeTx field; Safe nonce {safe_nonce}",
            execution.safe, action.name
        ),
    );
    let version = m.safe(&execution.safe).map_or("?", |d| d.version.as_str());
    if tx.value().is_zero() {
        out.pass(Check::Value, String::from("value 0 wei: the Safe pays the inner call's value itself"));
    } else {
        out.fail(
            Reason::ValueMismatch,
            format!(
                "tx value {} wei; execTransaction is sent with 0 (the Safe {version} pays the inner call's value from its own balance)",
                tx.value()
            ),
        );
    }
    out.pass(
        Check::Nonce,
        format!("account nonce {} (the Safe nonce {safe_nonce} binds the Safe transaction)", tx.nonce()),
    );
    check_gas_and_fees(out, tx, action);
}

/// The signatures blob, as the Safe reads it, over the safeTxHash of the matched action.
pub(super) fn check_signatures(
    out: &mut Outcomes,
    m: &Manifest,
    index: usize,
    action: &Action,
    execution: &Execution,
) {
    let (Some(decl), Some(hashes)) = (m.safe(&execution.safe), m.safe_tx_hashes(action)) else {
        return;
    };
    // Nested Safes whose approveHash of this action is itself an approved action (the manifest
    // holds each such action to exactly that hash).
    let approved_by = m.approving_safes(index);
    let report = safe_signatures::evaluate(
        &execution.signatures,
        &SafeContext {
            safe_tx_hash: hashes.safe_tx_hash,
            owners: &decl.owners,
            threshold: decl.threshold,
            executor: m.executor,
            approved_by: &approved_by,
            approved_on_chain: &action.approved_hashes,
        },
    );
    let summary = describe(&report);
    if report.any_invalid() {
        out.fail(Reason::SafeSignatureInvalid, summary.clone());
    }
    if !report.sufficient() {
        out.fail(
            Reason::SafeSignaturesInsufficient,
            format!("{} of threshold {} count: {summary}", report.counted(), report.threshold),
        );
    }
    if !report.any_invalid() && report.sufficient() {
        out.pass(
            Check::SafeSignatures,
            format!(
                "{} of threshold {} over safeTxHash {:#x}: {summary}",
                report.counted(),
                report.threshold,
                hashes.safe_tx_hash
            ),
        );
    }
    out.safe_signers = Some(report);
}

/// Every evaluated entry with its owner and standing, then what was not read.
fn describe(report: &BlobReport) -> String {
    let mut parts: Vec<String> = report
        .entries
        .iter()
        .map(|e| {
            let owner = e.owner.map_or_else(|| String::from("no owner"), |o| format!("{o}"));
            let standing = match &e.standing {
                Standing::Counted => String::from("counted"),
                Standing::CountedOnChain(why) => format!("counted: {why}"),
                Standing::NotCounted(why) => format!("not counted: {why}"),
                Standing::Invalid(why) => format!("invalid: {why}"),
            };
            format!("#{} {owner} ({}) {standing}", e.index, e.kind.name())
        })
        .collect();
    if parts.is_empty() {
        parts.push(format!("no whole 65-byte entry in {} bytes", report.len));
    }
    if report.extra_entries > 0 {
        parts.push(format!("{} more entries not read by the Safe (ignored)", report.extra_entries));
    }
    parts.join("; ")
}
