//! Verdicts where a trust file's quorum, not a hash given on the command line, decides whether
//! the manifest is approved. Like `manifest_hash_mismatch`, a quorum not met and a role conflict
//! stand alone: an unapproved manifest is trusted for no other check.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use alloy_primitives::Address;

use super::{Check, CheckOutcome, Outcomes, Reason, Verdict};
use crate::quorum::{QuorumReport, Role};

fn list(addresses: impl Iterator<Item = Address>) -> String {
    let names: Vec<String> = addresses.map(|a| format!("{a}")).collect();
    if names.is_empty() { String::from("none") } else { names.join(", ") }
}

fn alone(report: QuorumReport, reason: Reason, detail: String, now: u64) -> Verdict {
    let mut out = Outcomes::default();
    out.fail(reason, detail);
    let mut verdict = out.into_verdict(report.manifest_hash, now, None);
    verdict.quorum = Some(report);
    verdict
}

/// `approval_quorum_not_met`, alone: too few distinct trusted approvers approved the file.
pub fn quorum_not_met(report: QuorumReport, now: u64) -> Verdict {
    let counted = report.counted().count();
    let detail = format!(
        "{counted} of threshold {} trusted approvers approved manifest {} ({} approvals given; counted: {})",
        report.threshold,
        report.manifest_hash,
        report.entries.len(),
        list(report.counted())
    );
    alone(report, Reason::ApprovalQuorumNotMet, detail, now)
}

/// `role_conflict`, alone: with `separate_roles`, a counted approver also executes the release or
/// owns one of its Safes.
pub fn role_conflict(report: QuorumReport, conflicts: &[(Address, Role)], now: u64) -> Verdict {
    let roles: Vec<String> = conflicts
        .iter()
        .map(|(approver, role)| match role {
            Role::Executor => format!("approver {approver} is the executor"),
            Role::SafeOwner(safe) => format!("approver {approver} owns Safe {safe}"),
        })
        .collect();
    let detail = format!("{}: the trust file separates approval from execution", roles.join("; "));
    alone(report, Reason::RoleConflict, detail, now)
}

/// `verdict` (of a manifest the quorum approved) with the quorum's passing check first.
pub fn with_quorum(mut verdict: Verdict, report: QuorumReport) -> Verdict {
    let detail = format!(
        "approved by {} of threshold {} trusted approvers: {}",
        report.counted().count(),
        report.threshold,
        list(report.counted())
    );
    let at =
        verdict.checks.iter().position(|c| c.check == Check::ManifestHash).map_or(0, |i| i.saturating_add(1));
    verdict
        .checks
        .insert(at, CheckOutcome { check: Check::Approvals, ok: true, reason: None, detail: detail.into() });
    verdict.quorum = Some(report);
    verdict
}
