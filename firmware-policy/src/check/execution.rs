//! After the executor fires: what a block proven against the block hash the verifier typed says
//! the executed transaction did (its receipt and the state after its block), held against what the
//! manifest says its action does. Every divergence is `post_execution_mismatch`, the one reason
//! that makes a release contained. The agent proves and reads; this module decides.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use alloy_primitives::B256;

use super::gate::{AuthorityReading, ObservedLog, authority_mismatches, missing_effects, unexpected_logs};
use super::{Check, Outcomes, Proposal, Reason, Verdict, check};
use crate::manifest::{LoadedManifest, ManifestHash};

/// What the proven block says happened to the executed transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Executed {
    /// The block its receipt and the state after it are proven against.
    pub block_hash: B256,
    /// The block's time (the window is judged at it).
    pub block_time: u64,
    /// The transaction's hash.
    pub tx_hash: B256,
    /// Its receipt's status.
    pub succeeded: bool,
    /// Its receipt's logs, in order.
    pub logs: Vec<ObservedLog>,
    /// The matched action's expected slots in the state after the block, in its order.
    pub expected_slots_after: Vec<Result<B256, String>>,
    /// Each `authority` entry in the state after the block, in manifest order.
    pub authority_after: Vec<AuthorityReading>,
    /// Whether the signer's journal signed this transaction: `None` when it holds no transaction
    /// of this release (another laptop signed it).
    pub journaled: Option<bool>,
}

/// Checks what the chain did with `proposal` (the executed, signed transaction) against the
/// manifest. An unapproved manifest is `manifest_hash_mismatch` alone; anything else that does
/// not hold is `post_execution_mismatch`: the transaction is not an action `check` approves at the
/// block's time (the gate's own witness aside), the journal holds this release's transactions and
/// not this one, it reverted, an expected event (an ordered subsequence) or slot value is missing,
/// an authority event the action does not expect was emitted, or an `authority` entry does not hold
/// after it.
pub fn check_execution(
    manifest: &LoadedManifest,
    approved_hash: ManifestHash,
    proposal: &Proposal,
    executed: &Executed,
) -> Verdict {
    let at = executed.block_time;
    let base = check(manifest, approved_hash, proposal, at);
    if base.reasons().first() == Some(&Reason::ManifestHashMismatch) {
        return base;
    }
    let m = manifest.manifest();
    let mut out = Outcomes::default();
    out.pass(Check::ManifestHash, format!("manifest hash {} is the approved hash", manifest.hash()));
    let action = base.action().and_then(|i| Some((i, m.actions.get(i)?)));
    let refused: Vec<&str> =
        base.reasons().iter().filter(|r| **r != Reason::WitnessMissing).map(|r| r.code()).collect();
    let mismatch = |out: &mut Outcomes, detail: String| out.fail(Reason::PostExecutionMismatch, detail);
    match action {
        Some((i, a)) if refused.is_empty() => out.pass(
            Check::Execution,
            format!(
                "transaction {:#x} is action {i} ({}), as check approves it at the block's time",
                executed.tx_hash, a.name
            ),
        ),
        Some((i, _)) => mismatch(
            &mut out,
            format!(
                "transaction {:#x} is action {i}, which check refuses at the block's time: {}",
                executed.tx_hash,
                refused.join(", ")
            ),
        ),
        None => mismatch(
            &mut out,
            format!(
                "transaction {:#x} is none of the manifest's actions ({})",
                executed.tx_hash,
                refused.join(", ")
            ),
        ),
    }
    match executed.journaled {
        Some(true) => out.pass(Check::Execution, String::from("the journal signed this transaction")),
        Some(false) => mismatch(
            &mut out,
            format!("the journal signed this release's transactions, and not {:#x}", executed.tx_hash),
        ),
        None => {}
    }
    if executed.succeeded {
        out.pass(Check::Execution, format!("it succeeded in block {:#x}", executed.block_hash));
    } else {
        mismatch(&mut out, format!("it reverted in block {:#x}", executed.block_hash));
    }
    if let Some((_, a)) = action {
        let missing = missing_effects(a, &executed.logs, &executed.expected_slots_after);
        if missing.is_empty() {
            out.pass(Check::Execution, String::from("every expected slot value and event is on chain"));
        } else {
            mismatch(&mut out, format!("missing on chain: {}", missing.join("; ")));
        }
        let (_, authority) = unexpected_logs(m, a, &executed.logs);
        if authority.is_empty() {
            out.pass(Check::Execution, String::from("no authority event the action does not expect"));
        } else {
            mismatch(&mut out, authority.join("; "));
        }
    }
    if !m.authority.is_empty() {
        let bad = authority_mismatches(m, &[("after", &executed.authority_after)]);
        if bad.is_empty() {
            out.pass(Check::Execution, format!("{} authority entries hold after it", m.authority.len()));
        } else {
            mismatch(&mut out, bad.join("; "));
        }
    }
    let mut verdict = out.into_verdict(manifest.hash(), at, None);
    verdict.action = action.map(|(i, _)| i);
    verdict
}

/// The verdict when the witness does not prove what `verify-execution` reads (its header, a
/// proof, the block's roots, the transaction in it, or a slot it needs): `witness_invalid`, or
/// `witness_incomplete` when `incomplete`, after the manifest's own check. Nothing is known of
/// what happened, so nothing is contained.
pub fn execution_unproven(
    manifest: &LoadedManifest,
    approved_hash: ManifestHash,
    incomplete: bool,
    why: String,
    now: u64,
) -> Verdict {
    let hash = manifest.hash();
    if hash != approved_hash {
        return super::manifest_not_approved(hash, approved_hash, now);
    }
    let mut out = Outcomes::default();
    out.pass(Check::ManifestHash, format!("manifest hash {hash} is the approved hash"));
    let reason = if incomplete { Reason::WitnessIncomplete } else { Reason::WitnessInvalid };
    out.fail(reason, why);
    out.into_verdict(hash, now, None)
}
