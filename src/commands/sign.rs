//! `sign --manifest M --approved-hash H TX [--device D] [--path P] [--out F]`, in the order of
//! the spec: input, check, journal, device checks and address, intent, signature, verification,
//! journal, zeroize, output. Every input is read before anything else happens (exit 2 first).

use std::path::Path;

use alloy_primitives::{Address, Bytes, Signature, keccak256};
use firmware_policy::{OpenedManifest, Proposal, TxForm, TxType, Verdict, check_opened};
use serde_json::{Value, json};

use crate::cli::{SignArgs, print_json, print_text};
use crate::device::apdu::eip155_v;
use crate::device::{DerivationPath, DeviceError, DeviceSpec, EthApp, Exchange};
use crate::error::{CliError, Exit};
use crate::home::ensure_state_home;
use crate::input::{ReadProposal, read_proposal};
use crate::journal::{self, Body, Head, Journal, JournalError, Kind, Signs, TxFacts, Use, UseKey};
use crate::render;

use crate::manifest_file::open;
use crate::output::{check_output, write_output};

/// Everything `sign` needs, read and validated before anything is decided.
pub struct SignRequest {
    /// The manifest file, opened against the approved hash.
    pub manifest: OpenedManifest,
    /// The approved hash.
    pub approved: firmware_policy::ManifestHash,
    /// The proposal.
    pub proposal: Proposal,
    /// The device.
    pub device: DeviceSpec,
    /// The account path.
    pub path: DerivationPath,
}

/// Reads every input (exit 2 on any problem).
pub fn read_request(args: &SignArgs) -> Result<SignRequest, CliError> {
    let approved = args.approved_hash;
    let manifest = open(&args.manifest, approved)?;
    let ReadProposal { proposal, source, .. } = read_proposal(&args.tx)?;
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
    Ok(SignRequest { manifest, approved, proposal, device, path })
}

/// The result document of the spec.
pub struct Signed {
    /// The JSON document.
    pub document: Value,
    /// Whether it came from the journal (the device was not touched).
    pub from_journal: bool,
}

/// What `sign` ended with (errors aside).
pub enum SignOutcome {
    /// Signed (or returned from the journal).
    Signed(Signed),
    /// Refused by the policy (exit 3): the verdict document and its human text.
    Refused {
        /// The verdict JSON.
        verdict: Value,
        /// The verdict as a signer reads it.
        text: String,
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

fn refused(verdict: &Verdict, proposal: &Proposal) -> SignOutcome {
    SignOutcome::Refused {
        verdict: render::json::verdict(verdict, proposal.tx(), proposal.calls()),
        text: render::human::verdict(verdict, None),
    }
}

/// Runs `sign` on a request: `open` reaches the device, `home` holds the journal.
pub fn sign_with(
    req: SignRequest,
    open: impl FnOnce(&DeviceSpec) -> Result<Box<dyn Exchange>, DeviceError>,
    now: u64,
    home: &Path,
) -> Result<SignOutcome, CliError> {
    let SignRequest { manifest, approved, proposal, device, path } = req;
    // 1. The policy, with the clock.
    let verdict = check_opened(&manifest, approved, &proposal, now);
    let Some(approval) = verdict.approval() else {
        return Ok(refused(&verdict, &proposal));
    };
    let action = approval.action();
    let executor = approval.executor();
    let signing_hash = approval.signing_hash();
    // One-time use is keyed on the executor: it is known before the device is (exit 5 comes
    // before any device fault), and the device must prove to be it below.
    let key = UseKey {
        manifest_hash: approval.manifest_hash().0,
        action,
        signer: executor,
        signs: Signs::Transaction,
    };

    // 2. The journal: one signing hash per action.
    let (mut journal, warning) = Journal::open(&home.join(journal::FILE_NAME), now)?;
    if let Some(w) = warning {
        crate::cli::print_diagnostic(&format!("warning: {w}"));
    }
    match journal::one_time_use(journal.records(), &key, signing_hash) {
        Use::Taken(record) => {
            let what = if record.body.kind == Kind::Signed {
                "a signature"
            } else {
                "a signing attempt that may have produced one"
            };
            return Err(CliError::already_signed(format!(
                "action {action} ({}) of manifest {} already has {what} (journal record {}) for signing hash {}",
                crate::text::escape(approval.action_name()),
                approval.manifest_hash(),
                record.number(),
                record.body.signing_hash.map_or_else(|| "?".to_string(), |h| format!("{h:#x}")),
            )));
        }
        Use::SignedSame(record) => {
            let document = journaled_result(&verdict, &proposal, record, executor, &journal)?;
            return Ok(SignOutcome::Signed(Signed { document, from_journal: true }));
        }
        Use::PendingSame | Use::Free => {}
    }

    // 3. The device: the right app, recent enough, blind signing when needed, the executor's key.
    let mut app = EthApp::new(open(&device).map_err(CliError::from)?);
    app.preflight(approval.has_calldata()).map_err(CliError::from)?;
    let account = app.address(&path, false).map_err(CliError::from)?.address;
    let verdict = verdict.with_signer(account, executor);
    let Some(approval) = verdict.approval() else {
        return Ok(refused(&verdict, &proposal));
    };

    // 4. Intent, synced, before the device is asked.
    let attempt = |kind: Kind| {
        let mut body = Body::new(kind);
        body.manifest_hash = Some(key.manifest_hash);
        body.action = Some(action);
        body.action_name = Some(approval.action_name().to_string());
        body.signer = Some(key.signer);
        body.signs = Some(key.signs);
        body.signing_hash = Some(signing_hash);
        body.tx = Some(TxFacts::of(proposal.tx()));
        body
    };
    journal.append(attempt(Kind::Intent), now)?;
    crate::cli::print_diagnostic(&format!("Signing hash: {signing_hash:#x}"));
    crate::cli::print_diagnostic(
        "The Ledger shows it as \"Tx hash\": compare every digit, then approve on the device.",
    );
    let failed = |journal: &mut Journal, error: &DeviceError, device_may_have_signed: bool| {
        let mut body = attempt(Kind::Failed);
        // Only a certain "not signed" releases the action; otherwise the attempt keeps binding it.
        body.released = Some(!device_may_have_signed);
        body.detail = Some(error.to_string());
        journal.append(body, now)
    };
    let signature = match app.sign_approved(&path, approval) {
        Ok(sig) => sig,
        Err(failure) => {
            failed(&mut journal, &failure.error, failure.device_may_have_signed)?;
            return Err(failure.error.into());
        }
    };
    let recovered = signature.recover_address_from_prehash(&signing_hash).ok();
    if recovered != Some(executor) {
        let e = DeviceError::WrongSignature {
            expected: executor.to_checksum(None),
            recovered: recovered.map_or("nothing".into(), |a: Address| a.to_checksum(None)),
        };
        // The device did sign something: keep the attempt binding the action.
        failed(&mut journal, &e, true)?;
        return Err(e.into());
    }

    // 5. Journal the signature, then build the output and wipe the policy state.
    let signed_tx = proposal.tx().signed_encoding(&signature);
    let mut body = attempt(Kind::Signed);
    body.signature = Some(Bytes::copy_from_slice(&signature.as_bytes()));
    body.tx_hash = Some(keccak256(signed_tx.as_slice()));
    journal.append(body, now)?;
    let document = result_json(&verdict, &proposal, &signature, &signed_tx, executor, journal.head());
    drop(verdict);
    drop(proposal);
    drop(manifest);
    Ok(SignOutcome::Signed(Signed { document, from_journal: false }))
}

fn result_json(
    verdict: &Verdict,
    proposal: &Proposal,
    signature: &Signature,
    signed_tx: &[u8],
    from: Address,
    head: Head,
) -> Value {
    let tx = proposal.tx();
    render::json::obj([
        ("verdict", render::json::verdict(verdict, tx, proposal.calls())),
        ("manifest_hash", verdict.manifest_hash().to_string().into()),
        ("action", verdict.action().map_or(Value::Null, Value::from)),
        ("signing_payload", render::json::bytes(tx.signing_payload())),
        ("signing_hash", format!("{:#x}", tx.signing_hash()).into()),
        ("signature", signature_json(signature, tx.tx_type(), tx.chain_id().unwrap_or(0))),
        ("signed_tx", render::json::bytes(signed_tx)),
        ("tx_hash", format!("{:#x}", keccak256(signed_tx)).into()),
        ("from", from.to_checksum(None).into()),
        ("journal", json!({"records": head.records, "head": format!("{:#x}", head.hash)})),
    ])
}

/// The journaled signature for the same signing hash, returned without touching the device, but
/// only after it is verified: it must recover to the executor over this signing hash, and the
/// signed transaction it makes must be the one journaled. A forged, re-chained record is refused.
fn journaled_result(
    verdict: &Verdict,
    proposal: &Proposal,
    record: &journal::Record,
    executor: Address,
    journal: &Journal,
) -> Result<Value, CliError> {
    let forged = |problem: String| JournalError::Forged {
        path: journal.path().to_path_buf(),
        number: record.number(),
        problem,
    };
    let bytes: &[u8] = record.body.signature.as_ref().map_or(&[], |b| b.as_ref());
    let signature = Signature::try_from(bytes).map_err(|e| forged(format!("not a signature: {e}")))?;
    let recovered = signature
        .recover_address_from_prehash(&proposal.tx().signing_hash())
        .map_err(|e| forged(format!("it recovers no signer: {e}")))?;
    if recovered != executor {
        return Err(forged(format!("it is signed by {recovered}, not by the executor {executor}")).into());
    }
    let signed_tx = proposal.tx().signed_encoding(&signature);
    if record.body.tx_hash != Some(keccak256(signed_tx.as_slice())) {
        return Err(forged("its transaction hash is not the hash of the transaction it signs".into()).into());
    }
    Ok(result_json(verdict, proposal, &signature, &signed_tx, executor, journal.head()))
}

/// The result as a signer reads it.
pub fn signed_text(result: &Signed) -> String {
    let doc = &result.document;
    let source = if result.from_journal { " (from the journal; the device was not asked again)" } else { "" };
    let s = &doc["signature"];
    let journal = &doc["journal"];
    format!(
        "Signed{source}\n  action        {}\n  signing hash  {}\n  from          {}\n  r             {}\n  s             {}\n  v             {} (y_parity {})\n  tx hash       {}\n  signed tx     {}\n  journal head  {}:{}  (write this into the ceremony log; `journal verify --head` checks it later)\n",
        doc["action"],
        doc["signing_hash"].as_str().unwrap_or_default(),
        doc["from"].as_str().unwrap_or_default(),
        s["r"].as_str().unwrap_or_default(),
        s["s"].as_str().unwrap_or_default(),
        s["v"].as_str().unwrap_or_default(),
        s["y_parity"],
        doc["tx_hash"].as_str().unwrap_or_default(),
        doc["signed_tx"].as_str().unwrap_or_default(),
        journal["records"],
        journal["head"].as_str().unwrap_or_default(),
    )
}

/// `sign` from the command line.
pub fn run(args: &SignArgs, json_out: bool) -> Result<Exit, CliError> {
    let req = read_request(args)?;
    let home = ensure_state_home()?;
    match sign_with(req, DeviceSpec::open, crate::timefmt::now(), &home)? {
        SignOutcome::Refused { verdict, text } => {
            if json_out {
                print_json(&verdict);
            } else {
                print_text(&text);
            }
            Ok(Exit::Refused)
        }
        SignOutcome::Signed(mut result) => {
            // The device has signed and the journal holds the signature: from here on the result
            // is always delivered, even when --out cannot be written (then exit 1).
            let write_failure = args.out.as_ref().and_then(|path| {
                let mut text = render::json::to_text(&result.document);
                text.push('\n');
                write_output(path, text.as_bytes(), args.force).err().map(|e| (path, CliError::from(e)))
            });
            let exit = if write_failure.is_some() { Exit::Internal } else { Exit::Success };
            if json_out {
                if let (Some((path, e)), Value::Object(doc)) = (&write_failure, &mut result.document) {
                    let message = format!("could not write {}; the signature is journaled", path.display());
                    let hint = format!("{} Copy the result from this document.", e.what_to_do());
                    doc.insert("error".into(), json!({"kind": "internal", "message": message, "hint": hint}));
                }
                print_json(&result.document);
            } else {
                print_text(&signed_text(&result));
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
