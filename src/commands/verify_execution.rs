//! `verify-execution (--manifest M | --bundle B) (--approved-hash H | --trust T [--approvals A]…)
//! --witness W --block-hash H2 --tx TXHASH [-o FILE] [--force]`: after the executor fired, what
//! the chain did, proven against the block hash the verifier typed, held against the manifest.
//! The block's transactions and receipts must rebuild its header's roots; the transaction's
//! receipt gives status and logs; the post-state proves the expected slots and the chain of
//! control. A divergence contains the release: a `contained` journal record, and a containment
//! file for the other laptops, after which nothing more of it is signed.

use std::fmt::Write as _;
use std::path::Path;

use alloy_primitives::B256;
use bounded_signer_simulator::observe::{observed_logs, post_state};
use bounded_signer_simulator::proof;
use firmware_policy::containment::Containment;
use firmware_policy::{Executed, LoadedManifest, OpenedManifest, Proposal, Reason, Verdict};
use serde_json::{Value, json};

use crate::cli::{TextOut, VerifyExecutionArgs, print_json};
use crate::error::{CliError, Exit};
use crate::gate::GivenWitness;
use crate::input::{Source, read_proposal_bytes};
use crate::journal::{self, Body, Journal, Kind};
use crate::output::{check_output, write_output};
use crate::render;

/// What the witness proves of the executed transaction, or why it proves nothing.
enum Evidence {
    /// The witness does not prove what is read (`incomplete`: a slot or account it lacks).
    Unproven { incomplete: bool, why: String },
    /// The block, the transaction's receipt and the state after it.
    Proven(Box<Proven>),
}

struct Proven {
    proposal: Proposal,
    executed: Executed,
    block_number: u64,
    receipt_logs: Vec<alloy_primitives::Log>,
}

fn unproven(why: String) -> Evidence {
    Evidence::Unproven { incomplete: false, why }
}

/// Reads the evidence for transaction `tx_hash` from `given`, for `loaded`'s gate.
fn evidence(
    given: &GivenWitness,
    loaded: &LoadedManifest,
    tx_hash: B256,
    home: &Path,
) -> Result<Evidence, CliError> {
    let name = given.name();
    let state = match proof::verify(given.witness(), given.block_hash()) {
        Ok(state) => state,
        Err(e) => return Ok(unproven(format!("{name}: {e}"))),
    };
    if let Err(e) = proof::verify_block(&given.witness().block, &state.header) {
        return Ok(unproven(format!("{name}: {e}")));
    }
    let body = &given.witness().block;
    let Some(index) = body.position(tx_hash) else {
        return Ok(unproven(format!(
            "{name}: block {} ({} transactions) does not hold {tx_hash:#x}",
            state.header.number,
            body.transactions.len()
        )));
    };
    let raw = body.transactions.get(index).cloned().unwrap_or_default();
    let proposal = match read_proposal_bytes(zeroize::Zeroizing::new(raw), Source::Inline) {
        Ok(read) => read.proposal,
        Err(e) => {
            return Ok(unproven(format!("{name}: transaction {index} of the block cannot be read: {e}")));
        }
    };
    let receipt = match body.receipt(index) {
        Some(receipt) => receipt,
        None => {
            return Ok(unproven(format!(
                "{name}: the receipt of transaction {index} is not an EIP-2718 receipt"
            )));
        }
    };
    let m = loaded.manifest();
    let action = firmware_policy::check(loaded, loaded.hash(), &proposal, state.header.timestamp).action();
    let post = match post_state(&state, m, action) {
        Ok(post) => post,
        Err(missing) => {
            return Ok(Evidence::Unproven { incomplete: true, why: format!("{name}: {missing}") });
        }
    };
    let signed: Vec<B256> = journal::read(&home.join(journal::FILE_NAME))
        .map_err(CliError::from)?
        .records
        .iter()
        .filter(|r| {
            r.body.kind == Kind::Signed
                && r.body.manifest_hash == Some(loaded.hash().0)
                && r.body.signs == Some(journal::Signs::Transaction)
        })
        .filter_map(|r| r.body.tx_hash)
        .collect();
    let receipt_logs: Vec<alloy_primitives::Log> = receipt.logs().to_vec();
    let executed = Executed {
        block_hash: state.block_hash,
        block_time: state.header.timestamp,
        tx_hash,
        succeeded: receipt.status(),
        logs: observed_logs(&receipt_logs),
        expected_slots_after: post.expected_slots_after,
        authority_after: post.authority_after,
        journaled: (!signed.is_empty()).then(|| signed.contains(&tx_hash)),
    };
    Ok(Evidence::Proven(Box::new(Proven {
        proposal,
        executed,
        block_number: state.header.number,
        receipt_logs,
    })))
}

/// The containment written when the execution diverged: the record, and where it went.
struct Contained {
    record: Containment,
    note: String,
    file: Option<String>,
    journal_record: u64,
}

/// Contains the release: a `contained` record in the journal, and the containment file.
fn contain(
    args: &VerifyExecutionArgs,
    loaded: &LoadedManifest,
    proven: &Proven,
    verdict: &Verdict,
    home: &Path,
    now: u64,
) -> Result<Contained, CliError> {
    let m = loaded.manifest();
    let record = Containment {
        manifest_hash: loaded.hash(),
        rollback_manifest_hash: m.rollback.manifest_hash,
        tx_hash: proven.executed.tx_hash,
        block_hash: proven.executed.block_hash,
        block_number: proven.block_number,
        contained_at: now,
    };
    let (mut journal, warning) = Journal::open(&home.join(journal::FILE_NAME), now)?;
    if let Some(w) = warning {
        crate::cli::print_diagnostic(&format!("warning: {w}"));
    }
    let mut body = Body::new(Kind::Contained);
    body.manifest_hash = Some(loaded.hash().0);
    body.tx_hash = Some(proven.executed.tx_hash);
    body.action = verdict.action();
    body.action_name = verdict.action().and_then(|i| m.actions.get(i)).map(|a| a.name.clone());
    let failed: Vec<String> =
        verdict.checks().iter().filter(|c| !c.ok).map(|c| c.detail.to_string()).collect();
    body.detail = Some(failed.join("; "));
    journal.append(body, now)?;
    let file = match &args.out {
        Some(path) => {
            write_output(path, &record.to_canonical_bytes(), args.force)?;
            Some(path.display().to_string())
        }
        None => None,
    };
    Ok(Contained { record, note: m.rollback.note.clone(), file, journal_record: journal.head().records })
}

/// `verify-execution` from the command line.
pub(crate) fn run(args: &VerifyExecutionArgs, json_out: bool) -> Result<Exit, CliError> {
    if let Some(out) = &args.out {
        check_output(out, args.force)?;
    }
    let opened = crate::approvals::open(&args.source.source(), &args.proof.proof())?;
    let given = args.witness.read(opened.bundle.as_ref())?.ok_or_else(|| {
        CliError::input("verify-execution needs --witness W and --block-hash H")
            .hint("Collect W with `bounded-signer-witness --after TXHASH` and compare its block hash with a source you trust.")
    })?;
    let home = crate::home::ensure_state_home()?;
    let now = crate::timefmt::now();
    let evidence = match opened.manifest.approved() {
        Some(loaded) => Some(evidence(&given, loaded, args.tx, &home)?),
        None => None,
    };
    let verdict = opened.verdict(now, |m, approved| match (m, &evidence) {
        (OpenedManifest::Approved(loaded), Some(Evidence::Proven(p))) => {
            firmware_policy::check_execution(loaded, approved, &p.proposal, &p.executed)
        }
        (OpenedManifest::Approved(loaded), Some(Evidence::Unproven { incomplete, why })) => {
            firmware_policy::execution_unproven(loaded, approved, *incomplete, why.clone(), now)
        }
        (OpenedManifest::Approved(loaded), None) => {
            firmware_policy::manifest_not_approved(loaded.hash(), approved, now)
        }
        (OpenedManifest::NotApproved { hash }, _) => {
            firmware_policy::manifest_not_approved(*hash, approved, now)
        }
    });
    let trusted = opened.manifest.approved();
    let proven = match &evidence {
        Some(Evidence::Proven(p)) => Some(p.as_ref()),
        _ => None,
    };
    let diverged = verdict.reasons().contains(&Reason::PostExecutionMismatch);
    let contained = match (diverged, trusted, proven) {
        (true, Some(loaded), Some(p)) => Some(contain(args, loaded, p, &verdict, &home, now)?),
        _ => None,
    };
    let m = trusted.map(|l| l.manifest());
    if json_out {
        print_json(&document(&verdict, proven, contained.as_ref(), args.tx, m));
    } else {
        let mut out = TextOut::new();
        let _ = out.write_str(&text(&verdict, proven, contained.as_ref(), args.tx, m));
    }
    Ok(if verdict.approved() { Exit::Success } else { Exit::Refused })
}

fn status(proven: &Proven) -> &'static str {
    if proven.executed.succeeded { "success" } else { "reverted" }
}

/// The JSON document: the verdict's fields, the transaction and block, its receipt, and the
/// containment when there is one.
fn document(
    v: &Verdict,
    proven: Option<&Proven>,
    contained: Option<&Contained>,
    tx_hash: B256,
    m: Option<&firmware_policy::Manifest>,
) -> Value {
    let verdict = if v.approved() {
        "verified"
    } else if v.reasons().contains(&Reason::PostExecutionMismatch) {
        "diverged"
    } else {
        "refused"
    };
    json!({
        "verdict": verdict,
        "manifest_hash": v.manifest_hash().to_string(),
        "action": v.action(),
        "reasons": v.reasons().iter().map(|r| r.code()).collect::<Vec<_>>(),
        "checks": render::json::checks(v, None, m),
        "evaluated_at": crate::timefmt::format_instant(v.evaluated_at()),
        "tool_version": crate::TOOL_VERSION,
        "tx_hash": format!("{tx_hash:#x}"),
        "block": proven.map(|p| json!({"number": p.block_number.to_string(), "hash": format!("{:#x}", p.executed.block_hash)})),
        "receipt": proven.map(|p| json!({
            "status": status(p),
            "logs": render::simulation::receipt_logs_json(&p.receipt_logs, m),
        })),
        "containment": contained.map(|c| json!({
            "rollback_manifest_hash": format!("{:#x}", c.record.rollback_manifest_hash),
            "rollback_note": c.note,
            "file": c.file,
            "journal_record": c.journal_record,
        })),
    })
}

/// What the verifier reads: the transaction's receipt, the verdict, and the containment step.
fn text(
    v: &Verdict,
    proven: Option<&Proven>,
    contained: Option<&Contained>,
    tx_hash: B256,
    m: Option<&firmware_policy::Manifest>,
) -> String {
    let labels = |a: &alloy_primitives::Address| m.and_then(|m| m.label(a)).map(str::to_string);
    let mut s = String::new();
    match proven {
        Some(p) => {
            let _ = writeln!(
                s,
                "Execution of {tx_hash:#x}\n  block      {} {:#x} ({})\n  status     {}, {} logs",
                p.block_number,
                p.executed.block_hash,
                crate::timefmt::format_instant(p.executed.block_time),
                status(p),
                p.receipt_logs.len()
            );
            s.push_str(&render::simulation::receipt_log_lines(&p.receipt_logs, m, &labels));
        }
        None => {
            let _ = writeln!(s, "Execution of {tx_hash:#x}: not proven by the witness");
        }
    }
    s.push('\n');
    s.push_str(&render::human::verdict_as(v, None, m, ["VERIFIED", "NOT VERIFIED", "Not verified because"]));
    if let Some(c) = contained {
        let _ = writeln!(
            s,
            "\nCONTAINED: this release diverged after execution. Sign nothing more of it.\n  \
             journal     record {} marks manifest {} contained: sign and safe sign refuse its actions (release_contained)\n  \
             file        {}\n  \
             rollback    manifest {:#x}{}\n  \
             next        follow the runbook's containment step (docs/ceremony.md, \"Containment\"): carry the file to every \
             signer's laptop in the bundle (bundle create --containment), tell the approvers, and sign only the rollback \
             manifest's actions, after its own check",
            c.journal_record,
            c.record.manifest_hash,
            c.file.as_deref().unwrap_or("none written (give -o FILE to write one for the other laptops)"),
            c.record.rollback_manifest_hash,
            if c.note.is_empty() { String::new() } else { format!(" ({})", crate::text::escape(&c.note)) },
        );
    }
    s
}
