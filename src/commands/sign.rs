//! `sign --manifest M --approved-hash H TX [--device D] [--path P] [--out F]`, in the order of
//! the spec: input, check, journal, device checks and address, intent, signature, verification,
//! journal, zeroize, output. Every input is read before anything else happens (exit 2 first).

use std::path::Path;

use alloy_primitives::{Address, Signature, keccak256};
use firmware_policy::{Proposal, TxForm, TxType, check_opened};
use serde_json::{Value, json};

use crate::cli::{Narrate, Narrator, SignArgs, print_json};
use crate::device::apdu::eip155_v;
use crate::device::{DerivationPath, DeviceError, DeviceSpec, EthApp, Exchange};
use crate::error::{CliError, Exit};
use crate::home::ensure_state_home;
use crate::input::ReadProposal;
use crate::render;
use crate::render::json::{Document, Part};
use crate::signing::{self, Outcome, Progress};

use crate::output::{check_output, write_output};

/// Everything `sign` needs, read and validated before anything is decided.
pub struct SignRequest {
    /// The manifest file, opened under the proof of approval.
    pub manifest: crate::approvals::Opened,
    /// The proposal.
    pub proposal: Proposal,
    /// The device.
    pub device: DeviceSpec,
    /// The account path.
    pub path: DerivationPath,
    /// `from` of a JSON request (shown, never trusted).
    pub claimed_from: Option<alloy_primitives::Address>,
    /// The approved manifest's names for calls no built-in decoder knows (its `abi`).
    pub names: Option<crate::abi::ManifestAbi>,
    /// What the request says about its signer (an ERC-4527 wallet's account and path), weighed
    /// before the device is asked.
    pub claims: Vec<firmware_policy::SignerClaim>,
    /// The simulation gate's witness, when one was given.
    pub witness: Option<crate::gate::GivenWitness>,
}

/// Reads every input (exit 2 on any problem).
pub fn read_request(args: &SignArgs) -> Result<SignRequest, CliError> {
    let manifest = crate::approvals::open(&args.source.source(), &args.proof.proof())?;
    let ReadProposal { proposal, source, claimed_from, .. } =
        manifest.proposal(args.tx.as_deref(), &args.source)?;
    // Names from the manifest's `abi`, only once its hash matched.
    let (proposal, names) = crate::abi::named_proposal(&manifest.manifest, proposal)
        .map_err(|e| CliError::input(format!("{}: {e}", args.source.source().describe())))?;
    if proposal.tx().form() == TxForm::Signed {
        return Err(CliError::input(format!("{source}: this is a signed transaction")).hint(
            "sign takes the unsigned signing payload or a JSON request; decode and check read signed ones.",
        ));
    }
    // The output file is checked before the device is asked: a result the device signed must
    // never be lost to a typo in --out.
    if let Some(out) = &args.out {
        check_output(out, args.force)?;
    }
    let device = args.device.clone();
    let path = args.path.clone();
    let witness = args.witness.read(manifest.bundle.as_ref())?;
    Ok(SignRequest { manifest, proposal, device, path, claimed_from, names, claims: Vec::new(), witness })
}

/// A verified, journaled signature with the proposal it signs. The result document of the spec
/// is built only when it is asked for (`--json`, `--out`): it holds the whole call tree as hex.
pub struct Signed {
    result: signing::Signed,
    proposal: Proposal,
    simulation: Option<crate::gate::Simulation>,
}

impl Signed {
    /// Whether it came from the journal (the device was not touched).
    pub fn from_journal(&self) -> bool {
        self.result.from_journal
    }

    /// The verdict the signature was made under.
    pub fn verdict(&self) -> &firmware_policy::Verdict {
        &self.result.verdict
    }

    /// The hash the device signed.
    pub fn signing_hash(&self) -> alloy_primitives::B256 {
        self.proposal.tx().signing_hash()
    }

    /// The screens the device was expected to show for it (as `sign` printed them).
    pub fn predicted_screens(&self) -> Vec<crate::ledger_screens::Screen> {
        crate::ledger_screens::expected_review(self.proposal.tx(), self.result.signer).unwrap_or_default()
    }

    /// The signature, with the transaction it signs.
    pub fn signature(&self) -> (&Signature, &firmware_policy::DecodedTx) {
        (&self.result.signature, self.proposal.tx())
    }

    /// The journal head after the record (count, hash), when journaled.
    pub fn journal(&self) -> Value {
        self.result
            .journal
            .map_or(Value::Null, |head| json!({"records": head.records, "head": format!("{:#x}", head.hash)}))
    }

    /// The result document of the spec, streamed when it is written.
    pub fn document(&self) -> Document<'_> {
        result_json(&self.result, &self.proposal, self.simulation.as_ref())
    }
}

/// What `sign` ended with (errors aside).
pub enum SignOutcome {
    /// Signed (or returned from the journal).
    Signed(Box<Signed>),
    /// Refused by the policy (exit 3): the verdict document. Its text was narrated.
    Refused {
        /// The verdict JSON.
        verdict: Value,
    },
}

fn signature_json(sig: &Signature, tx_type: TxType, chain_id: u64) -> Value {
    let v = match tx_type {
        TxType::Legacy => eip155_v(chain_id, sig.v()).to_string(),
        _ => u8::from(sig.v()).to_string(),
    };
    json!({
        "r": format!("{:#066x}", sig.r()),
        "s": format!("{:#066x}", sig.s()),
        "y_parity": u8::from(sig.v()),
        "v": v,
    })
}

/// Runs `sign` on a request: `open` reaches the device, `home` holds the journal, `clock` is the
/// time the check is evaluated at and the journal's records are stamped with. What happens is
/// told to `say` as it happens: the proposal and verdict as `check` prints them, then each device
/// step, then the screens the device is about to show, each flushed before the device is asked.
pub fn sign_with(
    req: SignRequest,
    open: impl FnOnce(&DeviceSpec) -> Result<Box<dyn Exchange>, DeviceError>,
    clock: &dyn Fn() -> u64,
    home: &Path,
    say: &mut dyn Narrate,
) -> Result<SignOutcome, CliError> {
    let SignRequest { manifest: opened, proposal, device, path, claimed_from, names, claims, witness } = req;
    let now = clock();
    let verdict = opened.verdict(now, |m, approved| check_opened(m, approved, &proposal, now));
    let (verdict, simulation) =
        crate::gate::gated_verdict(&opened, &proposal, now, witness.as_ref(), verdict);
    let verdict = claims.iter().fold(verdict, |v, claim| v.weigh_claim(claim));
    let verdict = verdict.weigh_containment(crate::containment::contained(
        opened.manifest.hash(),
        home,
        opened.bundle.as_ref(),
    )?);
    let manifest = &opened.manifest;
    let trusted = manifest.approved().map(|m| m.manifest());
    let diff = crate::abi::diff(manifest, &verdict, &proposal, names.as_ref());
    render::human::write_report(
        &mut *say,
        trusted,
        &proposal,
        None,
        claimed_from,
        render::human::Evaluation { verdict: &verdict, diff: diff.as_ref(), simulation: simulation.as_ref() },
    );
    say.flush_now();
    let approved_by_check = verdict.approved();
    let label = |a: Address| trusted.and_then(|m| m.label(&a)).map(str::to_string);
    let mut report = |p: Progress| {
        let text = match p {
            Progress::JournalSealed(warning) => {
                crate::cli::print_diagnostic(&format!("warning: {warning}"));
                return;
            }
            Progress::Replacing { record } => format!(
                "\nJournal: this transaction replaces the action's earlier signature (record {record} and any before it):\n  the same transaction, every fee at least {}% higher, within the caps; at most one of them can execute.\n",
                100 + crate::journal::PRICE_BUMP_PERCENT
            ),
            Progress::DeviceReady { config, needs_blind_signing } => {
                format!("\n{}", render::ledger::device_ready(&config, needs_blind_signing))
            }
            Progress::AccountBound { account } => {
                render::ledger::account_bound(&path, account, label(account).as_deref())
            }
            Progress::AwaitingApproval { signing_hash, screens } => {
                render::ledger::awaiting_approval(signing_hash, screens.as_deref())
            }
        };
        let _ = say.write_str(&text);
        say.flush_now();
    };
    let request = signing::Request {
        verdict,
        subject: signing::Subject::Transaction(&proposal),
        path: &path,
        journal: Some(home),
        clock,
        progress: &mut report,
    };
    let outcome = signing::sign(request, || Ok(Box::new(EthApp::new(open(&device)?))))?;
    let outcome = match outcome {
        Outcome::Refused(verdict) => {
            if approved_by_check {
                // The binding refused it (the device's account is not the executor).
                let _ = say.write_str("\n");
                let _ = say.write_str(&render::human::verdict(&verdict, Some(proposal.tx()), trusted));
            }
            let _ = say.write_str("Nothing was signed.\n");
            say.flush_now();
            SignOutcome::Refused {
                verdict: render::json::verdict(
                    &verdict,
                    proposal.tx(),
                    proposal.calls(),
                    trusted,
                    diff.as_ref(),
                    simulation.as_ref(),
                ),
            }
        }
        Outcome::Signed(result) => {
            let _ = say.write_str("\n");
            say.flush_now();
            SignOutcome::Signed(Box::new(Signed { result, proposal, simulation }))
        }
    };
    drop(opened);
    Ok(outcome)
}

/// The signed transaction of a transaction's signature (the pipeline always makes one for a
/// transaction subject, which is all `sign` gives it).
fn signed_tx(signed: &signing::Signed) -> &[u8] {
    signed.signed_tx.as_deref().map_or(&[], Vec::as_slice)
}

fn result_json<'a>(
    signed: &'a signing::Signed,
    proposal: &'a Proposal,
    simulation: Option<&'a crate::gate::Simulation>,
) -> Document<'a> {
    let tx = proposal.tx();
    let verdict = &signed.verdict;
    let journal = signed
        .journal
        .map_or(Value::Null, |head| json!({"records": head.records, "head": format!("{:#x}", head.hash)}));
    Document(vec![
        // An approving verdict: no failed check to hint at, no difference to show.
        (
            "verdict",
            Part::Verdict(render::json::VerdictJson {
                verdict,
                tx,
                calls: proposal.calls(),
                manifest: None,
                diff: None,
                simulation,
            }),
        ),
        ("manifest_hash", Part::Value(verdict.manifest_hash().to_string().into())),
        ("action", Part::Value(verdict.action().map_or(Value::Null, Value::from))),
        ("signing_payload", Part::Hex(tx.signing_payload())),
        ("signing_hash", Part::Value(format!("{:#x}", tx.signing_hash()).into())),
        (
            "signature",
            Part::Value(signature_json(&signed.signature, tx.tx_type(), tx.chain_id().unwrap_or(0))),
        ),
        ("signed_tx", Part::Hex(signed_tx(signed))),
        ("tx_hash", Part::Value(format!("{:#x}", keccak256(signed_tx(signed))).into())),
        ("from", Part::Value(signed.signer.to_checksum(None).into())),
        ("journal", Part::Value(journal)),
    ])
}

/// The result as a signer reads it.
pub fn signed_text(signed: &Signed) -> String {
    let mut s = String::new();
    write_signed_text(&mut s, signed);
    s
}

/// Writes the result as a signer reads it into `out`, the signed transaction as it is hex-encoded
/// (it can be megabytes; it is never built as a string of its own).
pub fn write_signed_text(out: &mut impl std::fmt::Write, signed: &Signed) {
    let r = &signed.result;
    let tx = signed.proposal.tx();
    let source = if r.from_journal { " (from the journal; the device was not asked again)" } else { "" };
    let v = signature_json(&r.signature, tx.tx_type(), tx.chain_id().unwrap_or(0));
    let journal = r.journal.map_or_else(
        || "none".to_string(),
        |h| format!("{h}  (write this into the ceremony log; `journal verify --head` checks it later)"),
    );
    let _ = write!(
        out,
        "Signed{source}\n  action        {}\n  signing hash  {:#x}\n  from          {}\n  r             {:#066x}\n  s             {:#066x}\n  v             {} (y_parity {})\n  tx hash       {:#x}\n  signed tx     {}\n  journal head  {journal}\n",
        r.verdict.action().map_or("-".to_string(), |a| a.to_string()),
        tx.signing_hash(),
        r.signer,
        r.signature.r(),
        r.signature.s(),
        v["v"].as_str().unwrap_or_default(),
        u8::from(r.signature.v()),
        keccak256(signed_tx(r)),
        render::json::Hex(signed_tx(r)),
    );
}

/// `sign` from the command line.
pub fn run(args: &SignArgs, json_out: bool) -> Result<Exit, CliError> {
    let req = read_request(args)?;
    let home = ensure_state_home()?;
    let mut say = Narrator::for_output(json_out);
    match sign_with(req, DeviceSpec::open, &crate::timefmt::now, &home, &mut say)? {
        SignOutcome::Refused { verdict } => {
            if json_out {
                print_json(&verdict);
            }
            Ok(Exit::Refused)
        }
        SignOutcome::Signed(result) => {
            // The device has signed and the journal holds the signature: from here on the result
            // is always delivered, even when --out cannot be written (then exit 1).
            let mut document = (json_out || args.out.is_some()).then(|| result.document());
            let write_failure = args.out.as_ref().zip(document.as_ref()).and_then(|(path, document)| {
                let mut text = render::json::to_text(document);
                text.push('\n');
                write_output(path, text.as_bytes(), args.force).err().map(|e| (path, CliError::from(e)))
            });
            let exit = if write_failure.is_some() { Exit::Internal } else { Exit::Success };
            if let (true, Some(document)) = (json_out, document.as_mut()) {
                if let Some((path, e)) = &write_failure {
                    let message = format!("could not write {}; the signature is journaled", path.display());
                    let hint = format!("{} Copy the result from this document.", e.what_to_do());
                    let error = json!({"kind": "internal", "message": message, "hint": hint});
                    document.0.push(("error", Part::Value(error)));
                }
                print_json(document);
            } else {
                write_signed_text(&mut crate::cli::TextOut::new(), &result);
            }
            if let Some((path, e)) = &write_failure {
                crate::cli::print_diagnostic(&format!(
                    "error: could not write {}; the signature is journaled: {}",
                    path.display(),
                    e.full_message()
                ));
                crate::cli::print_diagnostic(&format!(
                    "hint: {} The result is printed above.",
                    e.what_to_do()
                ));
            }
            Ok(exit)
        }
    }
}
