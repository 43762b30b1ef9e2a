//! `safe sign --manifest M (--approved-hash H | --trust T --approvals A…) SAFE_TX [--eth-sign] [--device D] [--path P]`: a Safe
//! owner's signature of a Safe transaction the manifest names, made only after the co-signer's
//! check approved it, through the one signing pipeline (journal, device, binding to an owner,
//! intent, signature, recovery, journal). Every input is read before anything is decided.

use std::fmt::Write as _;
use std::path::Path;

use alloy_primitives::Address;
use firmware_policy::safe_tx::SafeVersion;
use firmware_policy::{SafeSignatureScheme, SafeTxProposal, Verdict, check_safe_tx_opened};
use serde_json::{Value, json};

use crate::cli::{Narrate, Narrator, SafeSignArgs, print_json};
use crate::commands::safe::{flags_of, no_chain_warning, read_safe_tx_input, write_hashes, write_summary};
use crate::device::{DerivationPath, DeviceError, DeviceSpec, EthApp, Exchange};
use crate::error::{CliError, Exit};
use crate::home::ensure_state_home;
use crate::render;
use crate::render::json::WipingValue;
use crate::safe_input::{Form, ManifestFacts, SafeTxInput};
use crate::signing::{self, Outcome, Progress, Subject};
use firmware_policy::bundle::EntryKind;
use firmware_policy::safe_tx::SafeProposal;

/// Everything `safe sign` needs, read and validated before anything is decided.
pub struct SafeSignRequest {
    /// The manifest file, opened under the proof of approval.
    pub manifest: crate::approvals::Opened,
    /// The Safe transaction as it was given (form, version suffix, claimed hash).
    pub input: SafeTxInput,
    /// Its hashes and call tree.
    pub proposal: SafeTxProposal,
    /// How the owner signs.
    pub scheme: SafeSignatureScheme,
    /// The device.
    pub device: DeviceSpec,
    /// The owner's account path.
    pub path: DerivationPath,
    /// What the request says about its signer (an ERC-4527 wallet's account and path), weighed
    /// before the device is asked.
    pub claims: Vec<firmware_policy::SignerClaim>,
    /// The simulation gate's witness, when one was given.
    pub witness: Option<crate::gate::GivenWitness>,
}

/// What reading the inputs ends with.
pub enum Read {
    /// Everything needed to decide.
    Request(Box<SafeSignRequest>),
    /// The manifest is not the approved one, and the Safe transaction lacks what only the
    /// approved manifest could give: refused as it stands.
    NotApproved(Box<crate::approvals::Opened>),
}

/// Reads every input (exit 2 on any problem).
pub fn read_request(args: &SafeSignArgs) -> Result<Read, CliError> {
    let manifest = crate::approvals::open(&args.source.source(), &args.proof.proof())?;
    // Only an approved manifest may fill what the input leaves open.
    let facts = manifest.manifest.approved().map(|m| {
        let m = m.manifest();
        ManifestFacts {
            chain_id: m.chain_id,
            safes: m.safes.iter().map(|s| (s.address, s.version, s.l2)).collect(),
        }
    });
    let flags = flags_of(&args.flags, facts);
    let offered = match &args.safe_tx {
        None => manifest.bundle_proposal(EntryKind::SafeTransaction, args.source.proposal)?,
        Some(_) => None,
    };
    let input = match (&args.safe_tx, offered) {
        (None, Some(bytes)) => {
            let p = SafeProposal::from_canonical_bytes(&bytes)
                .map_err(|e| CliError::input(format!("{}: {e}", args.source.source().describe())))?;
            SafeTxInput { form: Form::Bundle, domain: p.domain, l2: p.l2, tx: p.tx, claimed_hash: None }
        }
        (Some(arg), _) => match read_safe_tx_input(arg, &flags) {
            Ok((_, input)) => input,
            // An unapproved manifest is refused first and alone, as `check` refuses it: whatever
            // the Safe transaction lacks that the approved manifest would have given.
            Err(_) if manifest.manifest.approved().is_none() => {
                return Ok(Read::NotApproved(Box::new(manifest)));
            }
            Err(e) => return Err(e),
        },
        (None, None) => {
            return Err(CliError::input("SAFE_TX is missing").hint(
                "Give the Safe transaction (a path, - for stdin, or inline JSON), or --bundle with a Safe proposal.",
            ));
        }
    };
    let scheme = if args.eth_sign { SafeSignatureScheme::EthSign } else { SafeSignatureScheme::Eip712 };
    if scheme == SafeSignatureScheme::EthSign && input.domain.version < SafeVersion::V1_1_0 {
        return Err(CliError::input(format!(
            "Safe {} takes no eth_sign signatures (v 31/32 arrived in 1.1.0): this one would be refused on chain",
            input.domain.version.as_str()
        ))
        .hint("Sign it as EIP-712 (without --eth-sign)."));
    }
    let proposal = SafeTxProposal::new(input.domain, input.tx.clone(), input.claimed_hash)
        .map_err(|e| CliError::input(format!("the Safe transaction's data: {e}")))?;
    let witness = args.witness.read(manifest.bundle.as_ref())?;
    Ok(Read::Request(Box::new(SafeSignRequest {
        manifest,
        input,
        proposal,
        scheme,
        device: args.device.clone(),
        path: args.path.clone(),
        claims: Vec::new(),
        witness,
    })))
}

/// What `safe sign` ended with (errors aside).
pub enum SafeSignOutcome {
    /// Signed, or returned from the journal.
    Signed(Box<SafeSigned>),
    /// Refused by the policy (exit 3): the verdict document. Its text was narrated.
    Refused {
        /// The verdict JSON.
        verdict: WipingValue,
    },
}

/// A verified, journaled owner signature and the Safe transaction it signs.
pub struct SafeSigned {
    result: signing::Signed,
    proposal: SafeTxProposal,
    scheme: SafeSignatureScheme,
    simulation: Option<crate::gate::Simulation>,
}

impl SafeSigned {
    /// The `v` inside the 65 bytes the Safe takes: 27/28, or 31/32 for eth_sign.
    pub fn safe_v(&self) -> u8 {
        let offset = match self.scheme {
            SafeSignatureScheme::Eip712 => 27,
            SafeSignatureScheme::EthSign => 31,
        };
        offset + u8::from(self.result.signature.v())
    }

    /// `r ‖ s ‖ v` as the Safe's `checkSignatures` reads one owner's entry.
    pub fn signature_bytes(&self) -> [u8; 65] {
        let mut out = [0u8; 65];
        out[..32].copy_from_slice(&self.result.signature.r().to_be_bytes::<32>());
        out[32..64].copy_from_slice(&self.result.signature.s().to_be_bytes::<32>());
        out[64] = self.safe_v();
        out
    }

    /// The result document (it holds the call tree as hex: wiped when dropped).
    pub fn document(&self) -> WipingValue {
        let hashes = self.proposal.hashes();
        let sig = &self.result.signature;
        let journal = self
            .result
            .journal
            .map_or(Value::Null, |h| json!({"records": h.records, "head": format!("{:#x}", h.hash)}));
        let mut doc = json!({
            "verdict": Value::Null,
            "safe_tx_hash": format!("{:#x}", hashes.safe_tx_hash),
            "domain_separator": format!("{:#x}", hashes.domain_separator),
            "message_hash": format!("{:#x}", hashes.message_hash),
            "signer": self.result.signer.to_checksum(None),
            "scheme": scheme_name(self.scheme),
            "signature": {
                "r": format!("{:#066x}", sig.r()),
                "s": format!("{:#066x}", sig.s()),
                "y_parity": u8::from(sig.v()),
                "v": self.safe_v().to_string(),
            },
            "signature_bytes": render::json::bytes(&self.signature_bytes()),
            "from_journal": self.result.from_journal,
            "journal": journal,
        });
        // Moved in, not through `json!` (which would serialize a copy and drop the original
        // unwiped): the verdict holds the call tree's calldata as hex.
        let mut verdict =
            safe_verdict_json(&self.result.verdict, Some(&self.proposal), None, self.simulation.as_ref());
        if let Some(o) = doc.as_object_mut() {
            o.insert("verdict".into(), std::mem::take(&mut verdict.0));
        }
        WipingValue(doc)
    }
}

fn scheme_name(scheme: SafeSignatureScheme) -> &'static str {
    match scheme {
        SafeSignatureScheme::Eip712 => "eip712",
        SafeSignatureScheme::EthSign => "eth_sign",
    }
}

/// The verdict document of a co-signer's check: the checks, and what was checked (nothing of
/// the Safe transaction when an unapproved manifest refused it before it could be completed).
pub fn safe_verdict_json(
    v: &Verdict,
    proposal: Option<&SafeTxProposal>,
    manifest: Option<&firmware_policy::Manifest>,
    simulation: Option<&crate::gate::Simulation>,
) -> WipingValue {
    let mut doc = json!({
        "verdict": if v.approved() { "approved" } else { "refused" },
        "manifest_hash": v.manifest_hash().to_string(),
        "action": v.action(),
        "reasons": v.reasons().iter().map(|r| r.code()).collect::<Vec<_>>(),
        "checks": render::json::checks(v, None, manifest),
        "evaluated_at": crate::timefmt::format_instant(v.evaluated_at()),
        "tool_version": crate::TOOL_VERSION,
    });
    if let (Some(q), Some(o)) = (v.quorum(), doc.as_object_mut()) {
        o.insert("approvals".into(), render::json::quorum(q));
    }
    if let (Some(p), Some(o)) = (proposal, doc.as_object_mut()) {
        let hashes = p.hashes();
        o.insert("safe".into(), p.domain().safe.to_checksum(None).into());
        o.insert("safe_version".into(), p.domain().version.as_str().into());
        o.insert("chain_id".into(), p.domain().chain_id.into());
        o.insert("nonce".into(), p.tx().nonce.to_string().into());
        o.insert("safe_tx_hash".into(), format!("{:#x}", hashes.safe_tx_hash).into());
        o.insert("domain_separator".into(), format!("{:#x}", hashes.domain_separator).into());
        o.insert("message_hash".into(), format!("{:#x}", hashes.message_hash).into());
        o.insert("calls".into(), render::json::call_node(p.calls()));
    }
    if let (Some(sim), Some(o)) = (simulation, doc.as_object_mut()) {
        o.insert("simulation".into(), render::simulation::json(sim, manifest));
    }
    WipingValue(doc)
}

/// What the signer reads before anything is asked of the device: the Safe transaction, its
/// call tree, its hashes, the simulation when one ran, and the verdict.
fn write_report(
    say: &mut dyn Narrate,
    req: &SafeSignRequest,
    verdict: &Verdict,
    trusted: Option<&firmware_policy::Manifest>,
    simulation: Option<&crate::gate::Simulation>,
) {
    let mut s = String::new();
    if let Some(w) = no_chain_warning(&req.input) {
        let _ = writeln!(s, "WARNING: {w}\n");
    }
    write_summary(&mut s, &req.input);
    s.push('\n');
    let _ = say.write_str(&s);
    let labels = |a: &Address| trusted.and_then(|m| m.label(a)).map(str::to_string);
    render::human::write_calls(&mut *say, req.proposal.calls(), &labels);
    let mut s = String::from("\nHashes\n");
    write_hashes(&mut s, req.proposal.hashes());
    s.push('\n');
    if let Some(sim) = simulation {
        s.push_str(&render::simulation::text(sim, trusted, &labels));
        s.push('\n');
    }
    s.push_str(&render::human::verdict(verdict, None, trusted));
    let _ = say.write_str(&s);
    say.flush_now();
}

/// The device's steps, as the owner reads them while the pipeline runs.
fn progress_text(
    p: Progress,
    req: &SafeSignRequest,
    trusted: Option<&firmware_policy::Manifest>,
) -> Option<String> {
    Some(match p {
        Progress::JournalSealed(warning) => {
            crate::cli::print_diagnostic(&format!("warning: {warning}"));
            return None;
        }
        // A Safe action is never replaceable.
        Progress::Replacing { .. } => return None,
        Progress::DeviceReady { config, needs_blind_signing } => {
            let blind = match (config.blind_signing, needs_blind_signing) {
                (true, true) => "blind signing on (needed: hashed EIP-712)",
                (_, false) => "blind signing not needed (eth_sign is a personal message)",
                (false, true) => "blind signing off",
            };
            format!("\nLedger\n  Ethereum app {} found; {blind}\n", config.version_string())
        }
        Progress::AccountBound { account } => {
            let label = trusted
                .and_then(|m| m.label(&account))
                .map(|l| format!(" ({})", crate::text::escape(l)))
                .unwrap_or_default();
            format!("  {} is {account}{label}, an owner of Safe {} ✓\n", req.path, req.proposal.domain().safe)
        }
        Progress::AwaitingApproval { signing_hash, screens } => {
            let mut s = String::new();
            let screens = screens.unwrap_or_default();
            let _ = writeln!(
                s,
                "\nThe Ledger will show these {} screens, line by line as below (right button: next).\nCompare each with the device before you approve:",
                screens.len()
            );
            render::ledger::write_screens(&mut s, &screens);
            let _ = writeln!(s, "safeTxHash: {signing_hash:#x}");
            let _ = match req.scheme {
                SafeSignatureScheme::Eip712 => writeln!(
                    s,
                    "  (the device shows its domain hash and message hash: compare both with the hashes above\n   and with an independent source, such as safe-tx-hashes-util or the Safe{{Wallet}} UI)"
                ),
                SafeSignatureScheme::EthSign => writeln!(
                    s,
                    "  (the device shows it as the message, in lowercase hex: compare it with the safeTxHash above\n   and with an independent source, such as safe-tx-hashes-util or the Safe{{Wallet}} UI)"
                ),
            };
            let _ = writeln!(s, "Waiting for you to approve on the Ledger…");
            s
        }
    })
}

/// The refusal of a Safe transaction whose manifest is not the approved one (and which lacks what
/// only the approved manifest could give), told to `say`; returns its verdict document.
pub fn refuse_unapproved(opened: &crate::approvals::Opened, say: &mut dyn Narrate) -> WipingValue {
    let verdict = opened.unapproved_verdict(crate::timefmt::now());
    let _ = say.write_str(&render::human::verdict(&verdict, None, None));
    let _ = say.write_str("Nothing was signed.\n");
    say.flush_now();
    safe_verdict_json(&verdict, None, None, None)
}

/// Runs `safe sign` on a request: `open` reaches the device, `home` holds the journal, `clock`
/// is the time the check is evaluated at and the journal's records are stamped with.
pub fn sign_with(
    req: SafeSignRequest,
    open: impl FnOnce(&DeviceSpec) -> Result<Box<dyn Exchange>, DeviceError>,
    clock: &dyn Fn() -> u64,
    home: &Path,
    say: &mut dyn Narrate,
) -> Result<SafeSignOutcome, CliError> {
    let now = clock();
    let verdict = req
        .manifest
        .verdict(now, |m, approved| check_safe_tx_opened(m, approved, &req.proposal, req.scheme, now));
    let (verdict, simulation) = crate::gate::gated_safe_verdict(
        &req.manifest,
        &req.proposal,
        req.scheme,
        now,
        req.witness.as_ref(),
        verdict,
    );
    let verdict = req.claims.iter().fold(verdict, |v, claim| v.weigh_claim(claim));
    let verdict = verdict.weigh_containment(crate::containment::contained(
        req.manifest.manifest.hash(),
        home,
        req.manifest.bundle.as_ref(),
    )?);
    let trusted = req.manifest.manifest.approved().map(|m| m.manifest());
    write_report(&mut *say, &req, &verdict, trusted, simulation.as_ref());
    let approved_by_check = verdict.approved();
    let mut report = |p: Progress| {
        if let Some(text) = progress_text(p, &req, trusted) {
            let _ = say.write_str(&text);
            say.flush_now();
        }
    };
    let request = signing::Request {
        verdict,
        subject: Subject::SafeTx(&req.proposal),
        path: &req.path,
        journal: Some(home),
        clock,
        progress: &mut report,
    };
    let outcome = signing::sign(request, || Ok(Box::new(EthApp::new(open(&req.device)?))))?;
    Ok(match outcome {
        Outcome::Refused(verdict) => {
            if approved_by_check {
                // The binding refused it: the device's account is not an owner of the Safe.
                let _ = say.write_str("\n");
                let _ = say.write_str(&render::human::verdict(&verdict, None, trusted));
            }
            let _ = say.write_str("Nothing was signed.\n");
            say.flush_now();
            SafeSignOutcome::Refused {
                verdict: safe_verdict_json(&verdict, Some(&req.proposal), trusted, simulation.as_ref()),
            }
        }
        Outcome::Signed(result) => {
            let _ = say.write_str("\n");
            say.flush_now();
            let SafeSignRequest { proposal, scheme, manifest, .. } = req;
            drop(manifest);
            SafeSignOutcome::Signed(Box::new(SafeSigned { result, proposal, scheme, simulation }))
        }
    })
}

/// The result as an owner reads it.
pub fn signed_text(signed: &SafeSigned) -> String {
    let r = &signed.result;
    let source =
        if r.from_journal { " (from the journal; the device was not asked to sign again)" } else { "" };
    let journal = r.journal.map_or_else(
        || "none".to_string(),
        |h| format!("{h}  (write this into the ceremony log; `journal verify --head` checks it later)"),
    );
    let mut s = String::new();
    let _ = writeln!(s, "Signed{source}");
    let _ =
        writeln!(s, "  action          {}", r.verdict.action().map_or("-".to_string(), |a| a.to_string()));
    let _ = writeln!(s, "  safeTxHash      {:#x}", signed.proposal.hashes().safe_tx_hash);
    let _ = writeln!(s, "  owner           {}", r.signer);
    let _ = writeln!(s, "  scheme          {}", scheme_name(signed.scheme));
    let _ = writeln!(s, "  r               {:#066x}", r.signature.r());
    let _ = writeln!(s, "  s               {:#066x}", r.signature.s());
    let _ = writeln!(s, "  v               {} (y_parity {})", signed.safe_v(), u8::from(r.signature.v()));
    let _ = writeln!(
        s,
        "  signature       0x{}  (r ‖ s ‖ v, as the Safe takes it)",
        alloy_primitives::hex::encode(signed.signature_bytes())
    );
    let _ = writeln!(s, "  journal head    {journal}");
    s
}

/// `safe sign` from the command line.
pub fn run(args: &SafeSignArgs, json_out: bool) -> Result<Exit, CliError> {
    let req = match read_request(args)? {
        Read::Request(req) => *req,
        Read::NotApproved(opened) => {
            let verdict = refuse_unapproved(&opened, &mut Narrator::for_output(json_out));
            if json_out {
                print_json(&verdict);
            }
            return Ok(Exit::Refused);
        }
    };
    let home = ensure_state_home()?;
    let mut say = Narrator::for_output(json_out);
    match sign_with(req, DeviceSpec::open, &crate::timefmt::now, &home, &mut say)? {
        SafeSignOutcome::Refused { verdict } => {
            if json_out {
                print_json(&verdict);
            }
            Ok(Exit::Refused)
        }
        SafeSignOutcome::Signed(signed) => {
            if json_out {
                print_json(&signed.document());
            } else {
                crate::cli::print_text(&signed_text(&signed));
            }
            Ok(Exit::Success)
        }
    }
}
