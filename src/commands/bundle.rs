//! `bundle create | show | verify`: the release bundle, one canonical CBOR file carrying the
//! manifest, its approvals, the rollback manifest, the approver set (for display) and the
//! proposals to the air-gapped laptop. It is transport, never proof: `check` and `sign` still
//! need `--approved-hash` or the laptop's own trust file. Its hash is keccak256 of its bytes.

use std::fmt::Write as _;
use std::path::Path;

use alloy_primitives::keccak256;
use firmware_policy::bundle::{Bundle, Entry, EntryKind, MAX_BUNDLE_BYTES};
use firmware_policy::quorum::Trust;
use firmware_policy::release_approval::{ApprovalFile, ReleaseSubject};
use firmware_policy::safe_tx::SafeProposal;
use firmware_policy::{DecodedTx, LoadedManifest, TxForm};
use serde_json::{Value, json};
use zeroize::Zeroizing;

use crate::cli::{BundleCreateArgs, print_json, print_text};
use crate::error::{CliError, Exit};
use crate::input::read_file_limited;
use crate::output::{check_output, write_output};

fn entry(kind: EntryKind, body: &[u8]) -> Entry {
    Entry { kind, body: Zeroizing::new(body.to_vec()) }
}

/// Reads a bundle file (exit 2 when it is not one, naming the file and the offset).
pub fn read(path: &Path) -> Result<Bundle, CliError> {
    let bytes = read_file_limited(path, MAX_BUNDLE_BYTES)?;
    Bundle::from_canonical_bytes(&bytes).map_err(|e| {
        CliError::input(format!("{}: {e}", path.display()))
            .hint("A bundle is the exact bytes `bounded-signer bundle create` wrote.")
    })
}

/// `bundle create`: every piece is read and checked before the file is written.
pub fn create(args: &BundleCreateArgs, json_out: bool) -> Result<Exit, CliError> {
    check_output(&args.out, args.force)?;
    let manifest = crate::manifest_file::load(&args.manifest)?;
    let hash = manifest.hash();
    let mut entries = vec![entry(EntryKind::Manifest, manifest.bytes())];
    let subject = ReleaseSubject::of(manifest.manifest(), hash);
    for path in &args.approvals {
        let approval = crate::approvals::read_approval(path)?;
        if let Err(why) = approval_problem(&approval, &subject) {
            return Err(CliError::input(format!("{}: {why}", path.display())));
        }
        entries.push(entry(EntryKind::Approval, &approval.to_canonical_bytes()));
    }
    if let Some(path) = &args.rollback {
        let rollback = crate::manifest_file::load(path)?;
        let expected = manifest.manifest().rollback.manifest_hash;
        if rollback.hash().0 != expected {
            return Err(CliError::input(format!(
                "{}: its hash is {}, and the manifest's rollback names {expected:#x}",
                path.display(),
                rollback.hash()
            ))
            .hint("Give the rollback manifest the release's rollback.manifest_hash names."));
        }
        entries.push(entry(EntryKind::Rollback, rollback.bytes()));
    }
    if let Some(path) = &args.trust_display {
        entries.push(entry(EntryKind::TrustDisplay, &crate::approvals::read_trust(path)?.display_bytes()));
    }
    for arg in &args.proposals {
        let input = crate::input::read_tx(arg)?;
        if input.tx.form() == TxForm::Signed {
            return Err(CliError::input(format!("{}: this is a signed transaction", input.source))
                .hint("A bundle carries proposals as their unsigned signing payloads, which `sign` takes."));
        }
        entries.push(entry(EntryKind::Transaction, input.tx.signing_payload()));
    }
    let facts = crate::safe_input::ManifestFacts {
        chain_id: manifest.manifest().chain_id,
        safes: manifest.manifest().safes.iter().map(|s| (s.address, s.version, s.l2)).collect(),
    };
    for arg in &args.safe_proposals {
        let flags = crate::safe_input::Flags { manifest: Some(facts.clone()), ..Default::default() };
        let (source, input) = crate::commands::safe::read_safe_tx_input(arg, &flags)?;
        let hashes = input.domain.hashes(&input.tx);
        if input.claimed_hash.is_some_and(|claimed| claimed != hashes.safe_tx_hash) {
            return Err(CliError::input(format!(
                "{source}: its claimed safeTxHash is not its hash {:#x}",
                hashes.safe_tx_hash
            )));
        }
        let proposal = SafeProposal { domain: input.domain, l2: input.l2, tx: input.tx.clone() };
        entries.push(entry(EntryKind::SafeTransaction, &proposal.to_canonical_bytes()));
    }
    for path in &args.containments {
        let bytes = read_file_limited(path, firmware_policy::containment::MAX_CONTAINMENT_BYTES)?;
        let record = firmware_policy::containment::Containment::from_canonical_bytes(&bytes)
            .map_err(|e| CliError::input(format!("{}: {e}", path.display())))?;
        entries.push(entry(EntryKind::Containment, &record.to_canonical_bytes()));
    }
    for path in &args.witnesses {
        let bytes = read_file_limited(path, bounded_signer_simulator::witness::MAX_WITNESS_BYTES)?;
        bounded_signer_simulator::witness::Witness::from_bytes(&bytes).map_err(|e| {
            CliError::input(format!("{}: {e}", path.display()))
                .hint("Give the file bounded-signer-witness wrote, unchanged.")
        })?;
        entries.push(entry(EntryKind::Witness, &bytes));
    }
    let bundle = Bundle::new(entries).map_err(|e| CliError::input(format!("the bundle: {e}")))?;
    let bytes = bundle.to_canonical_bytes();
    write_output(&args.out, &bytes, args.force)?;
    let doc = describe(&bundle, &bytes, Some(&manifest));
    if json_out {
        print_json(&doc);
    } else {
        print_text(&format!("Wrote {} ({} bytes)\n{}", args.out.display(), bytes.len(), text(&doc)));
    }
    Ok(Exit::Success)
}

/// Why an approval in a bundle would not verify for its manifest (`Ok` when it does).
fn approval_problem(approval: &ApprovalFile, subject: &ReleaseSubject) -> Result<(), String> {
    if approval.manifest_hash != subject.manifest_hash {
        return Err(format!(
            "it approves manifest {}, not {}",
            approval.manifest_hash, subject.manifest_hash
        ));
    }
    match approval.recover(subject) {
        Ok(signer) if signer == approval.approver => Ok(()),
        Ok(signer) => {
            Err(format!("its signature is by {signer}, not by the approver {} it names", approval.approver))
        }
        Err(why) => Err(format!("its signature is invalid: {why}")),
    }
}

/// The bundle as JSON: its hash, and what each entry is.
fn describe(bundle: &Bundle, bytes: &[u8], manifest: Option<&LoadedManifest>) -> Value {
    let subject = manifest.map(|m| ReleaseSubject::of(m.manifest(), m.hash()));
    let mut approvals = Vec::new();
    for body in bundle.of(EntryKind::Approval) {
        approvals.push(match ApprovalFile::from_canonical_bytes(body) {
            Ok(a) => {
                let problem = subject.as_ref().map(|s| approval_problem(&a, s).err());
                json!({
                    "approver": a.approver.to_checksum(None),
                    "manifest_hash": a.manifest_hash.to_string(),
                    "signed_as": a.signed_as.as_str(),
                    "valid": problem.as_ref().map(Option::is_none),
                    "problem": problem.flatten(),
                })
            }
            Err(e) => json!({"valid": false, "problem": format!("not an approval file: {e}")}),
        });
    }
    let rollback = bundle.of(EntryKind::Rollback).next().map(|b| {
        let hash = keccak256(b);
        json!({
            "manifest_hash": format!("{hash:#x}"),
            "matches": manifest.map(|m| m.manifest().rollback.manifest_hash == hash),
        })
    });
    let trust = bundle.of(EntryKind::TrustDisplay).next().map(|b| match Trust::from_display_bytes(b) {
        Ok(t) => json!({
            "threshold": t.threshold(),
            "approvers": t.approvers().iter().map(|a| a.to_checksum(None)).collect::<Vec<_>>(),
            "separate_roles": t.separate_roles(),
        }),
        Err(e) => json!({"problem": e}),
    });
    let proposals: Vec<Value> = bundle
        .of(EntryKind::Transaction)
        .enumerate()
        .map(|(i, body)| match DecodedTx::decode(body) {
            Ok(tx) => json!({
                "index": i,
                "type": tx.tx_type().name(),
                "to": tx.to().map(|a| a.to_checksum(None)),
                "nonce": tx.nonce(),
                "calldata_bytes": tx.input().len(),
                "signing_hash": format!("{:#x}", tx.signing_hash()),
            }),
            Err(e) => json!({"index": i, "problem": e.to_string()}),
        })
        .collect();
    let safe_proposals: Vec<Value> = bundle
        .of(EntryKind::SafeTransaction)
        .enumerate()
        .map(|(i, body)| match SafeProposal::from_canonical_bytes(body) {
            Ok(p) => json!({
                "index": i,
                "safe": p.domain.safe.to_checksum(None),
                "chain_id": p.domain.chain_id,
                "safe_version": p.domain.version.as_str(),
                "nonce": p.tx.nonce.to_string(),
                "safe_tx_hash": format!("{:#x}", p.domain.hashes(&p.tx).safe_tx_hash),
            }),
            Err(e) => json!({"index": i, "problem": e}),
        })
        .collect();
    let containments: Vec<Value> = bundle
        .of(EntryKind::Containment)
        .map(|body| match firmware_policy::containment::Containment::from_canonical_bytes(body) {
            Ok(c) => json!({
                "manifest_hash": c.manifest_hash.to_string(),
                "rollback_manifest_hash": format!("{:#x}", c.rollback_manifest_hash),
                "tx_hash": format!("{:#x}", c.tx_hash),
                "block": {"number": c.block_number.to_string(), "hash": format!("{:#x}", c.block_hash)},
                "contained_at": crate::timefmt::format_instant(c.contained_at),
            }),
            Err(e) => json!({"problem": e.to_string()}),
        })
        .collect();
    let witnesses: Vec<Value> = bundle
        .of(EntryKind::Witness)
        .map(|body| match bounded_signer_simulator::witness::Witness::from_bytes(body) {
            Ok(w) => {
                let number =
                    <alloy_consensus::Header as alloy_rlp::Decodable>::decode(&mut w.header.as_slice())
                        .map(|h| h.number.to_string())
                        .ok();
                json!({
                    "block": {"number": number, "hash": format!("{:#x}", keccak256(&w.header))},
                    "timestamp": w.timestamp.to_string(),
                    "bytes": body.len(),
                })
            }
            Err(e) => json!({"problem": e.to_string()}),
        })
        .collect();
    json!({
        "bundle_hash": format!("{:#x}", keccak256(bytes)),
        "bytes": bytes.len(),
        "manifest_hash": format!("{:#x}", keccak256(bundle.manifest())),
        "release": manifest.map(|m| m.manifest().release.clone()),
        "approvals": approvals,
        "rollback": rollback,
        "trust_display": trust,
        "proposals": proposals,
        "safe_proposals": safe_proposals,
        "containments": containments,
        "witnesses": witnesses,
    })
}

fn text(doc: &Value) -> String {
    let mut s = String::new();
    let str_of = |v: &Value| v.as_str().unwrap_or("-").to_string();
    let _ = writeln!(s, "Bundle hash     {}", str_of(&doc["bundle_hash"]));
    let release = doc["release"].as_str().map(crate::text::escape).unwrap_or_else(|| "(not valid)".into());
    let _ = writeln!(s, "  manifest      {} ({release})", str_of(&doc["manifest_hash"]));
    for a in doc["approvals"].as_array().into_iter().flatten() {
        let standing = match (a["valid"].as_bool(), a["problem"].as_str()) {
            (Some(true), _) => "recovers to its approver".to_string(),
            (_, Some(p)) => format!("INVALID: {p}"),
            _ => "not checked".to_string(),
        };
        let _ = writeln!(
            s,
            "  approval      {} ({}) {standing}",
            str_of(&a["approver"]),
            str_of(&a["signed_as"])
        );
    }
    if let Some(r) = doc["rollback"].as_object() {
        let matches = match r["matches"].as_bool() {
            Some(true) => "the manifest's rollback",
            Some(false) => "NOT the manifest's rollback",
            None => "not checked",
        };
        let _ = writeln!(s, "  rollback      {} ({matches})", str_of(&r["manifest_hash"]));
    }
    if let Some(t) = doc["trust_display"].as_object() {
        let approvers: Vec<String> = t["approvers"].as_array().into_iter().flatten().map(str_of).collect();
        let _ = writeln!(
            s,
            "  approver set  {} of [{}] (display only: the laptop's pinned trust file counts)",
            t["threshold"],
            approvers.join(", ")
        );
    }
    for p in doc["proposals"].as_array().into_iter().flatten() {
        let _ = writeln!(
            s,
            "  proposal {}    {} to {} nonce {}, signing hash {}",
            p["index"],
            str_of(&p["type"]),
            str_of(&p["to"]),
            p["nonce"],
            str_of(&p["signing_hash"])
        );
    }
    for p in doc["safe_proposals"].as_array().into_iter().flatten() {
        let _ = writeln!(
            s,
            "  Safe proposal {} Safe {} nonce {}, safeTxHash {}",
            p["index"],
            str_of(&p["safe"]),
            str_of(&p["nonce"]),
            str_of(&p["safe_tx_hash"])
        );
    }
    for w in doc["witnesses"].as_array().into_iter().flatten() {
        match w["problem"].as_str() {
            Some(p) => _ = writeln!(s, "  witness       INVALID: {p}"),
            None => {
                _ = writeln!(
                    s,
                    "  witness       block {} {} (simulated at {}; {} bytes; proven only against the hash you type)",
                    str_of(&w["block"]["number"]),
                    str_of(&w["block"]["hash"]),
                    str_of(&w["timestamp"]),
                    w["bytes"]
                )
            }
        }
    }
    for c in doc["containments"].as_array().into_iter().flatten() {
        match c["problem"].as_str() {
            Some(p) => _ = writeln!(s, "  CONTAINMENT   INVALID: {p}"),
            None => {
                _ = writeln!(
                    s,
                    "  CONTAINMENT   manifest {} contained: its execution {} diverged; rollback manifest {}",
                    str_of(&c["manifest_hash"]),
                    str_of(&c["tx_hash"]),
                    str_of(&c["rollback_manifest_hash"])
                )
            }
        }
    }
    s
}

/// `bundle show`.
pub fn show(path: &Path, json_out: bool) -> Result<Exit, CliError> {
    let bytes = read_file_limited(path, MAX_BUNDLE_BYTES)?;
    let bundle = read(path)?;
    let manifest = LoadedManifest::from_canonical_bytes(bundle.manifest()).ok();
    let doc = describe(&bundle, &bytes, manifest.as_ref());
    if json_out {
        print_json(&doc);
    } else {
        print_text(&text(&doc));
    }
    Ok(Exit::Success)
}

/// `bundle verify`: the manifest valid, the rollback the manifest's, every approval recovering
/// to its approver, the approver set and every proposal well formed; exit 2 naming each problem.
pub fn verify(path: &Path, json_out: bool) -> Result<Exit, CliError> {
    let bytes = read_file_limited(path, MAX_BUNDLE_BYTES)?;
    let bundle = read(path)?;
    let mut problems: Vec<String> = Vec::new();
    let manifest = match LoadedManifest::from_canonical_bytes(bundle.manifest()) {
        Ok(m) => Some(m),
        Err(e) => {
            problems.push(format!("the manifest: {e}"));
            None
        }
    };
    let doc = describe(&bundle, &bytes, manifest.as_ref());
    for (i, a) in doc["approvals"].as_array().into_iter().flatten().enumerate() {
        if a["valid"].as_bool() != Some(true) {
            problems.push(format!("approval {i}: {}", a["problem"].as_str().unwrap_or("not checked")));
        }
    }
    if doc["rollback"]["matches"].as_bool() == Some(false) {
        problems.push("the rollback manifest is not the one the manifest's rollback names".into());
    }
    if let Some(p) = doc["trust_display"]["problem"].as_str() {
        problems.push(format!("the approver set: {p}"));
    }
    for p in doc["proposals"].as_array().into_iter().flatten() {
        if let Some(problem) = p["problem"].as_str() {
            problems.push(format!("proposal {}: {problem}", p["index"]));
        }
    }
    for p in doc["safe_proposals"].as_array().into_iter().flatten() {
        if let Some(problem) = p["problem"].as_str() {
            problems.push(format!("Safe proposal {}: {problem}", p["index"]));
        }
    }
    if !problems.is_empty() {
        return Err(CliError::input(format!("{}: {}", path.display(), problems.join("; ")))
            .hint("Rebuild the bundle from the release manager's files with `bundle create`."));
    }
    if json_out {
        let mut doc = doc;
        if let Some(o) = doc.as_object_mut() {
            o.insert("verified".into(), true.into());
        }
        print_json(&doc);
    } else {
        print_text(&text(&doc));
        print_text(
            "verified: canonical, the rollback is the manifest's, every approval recovers to its approver\n",
        );
    }
    Ok(Exit::Success)
}
