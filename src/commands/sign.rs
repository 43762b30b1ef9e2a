//! `sign --manifest M --approved-hash H TX [--device D] [--path P] [--out F]`, in the order of
//! the spec: input, check, journal, device checks and address, intent, signature, verification,
//! journal, zeroize, output. Every input is read before anything else happens (exit 2 first).

use std::path::Path;

use alloy_primitives::{Address, Signature, hex};
use firmware_policy::{OpenedManifest, Proposal, TxForm, TxType, Verdict, check_opened};
use serde_json::{Value, json};

use crate::cli::{SignArgs, print_json, print_text};
use crate::device::apdu::eip155_v;
use crate::device::{DerivationPath, DeviceError, DeviceSpec, EthApp, Exchange};
use crate::error::{CliError, Exit};
use crate::home::ensure_state_home;
use crate::input::{ReadProposal, read_proposal};
use crate::journal::{self, ActionState, Body, Journal, Kind};
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
    let manifest_hash = approval.manifest_hash().to_string();
    let action = approval.action();
    let signing_hash = format!("{:#x}", approval.signing_hash());

    // 2. The journal: one signing hash per action.
    let (mut journal, warning) = Journal::open(&home.join(journal::FILE_NAME)).map_err(CliError::from)?;
    if let Some(w) = warning {
        crate::cli::print_diagnostic(&format!("warning: {w}"));
    }
    match journal::action_state(journal.records(), &manifest_hash, action, &signing_hash) {
        ActionState::Other(record) => {
            let what =
                if record.body.kind == Kind::Signed { "a signature" } else { "a pending signing intent" };
            return Err(CliError::already_signed(format!(
                "action {action} ({}) of manifest {manifest_hash} already has {what} (journal record {}) for signing hash {}",
                crate::text::escape(approval.action_name()),
                record.body.seq,
                crate::text::escape(record.body.signing_hash.as_deref().unwrap_or("?")),
            )));
        }
        ActionState::Same(Some(record)) => {
            let document = journaled_result(&verdict, &proposal, record)?;
            return Ok(SignOutcome::Signed(Signed { document, from_journal: true }));
        }
        ActionState::Same(None) | ActionState::Free => {}
    }

    // 3. The device: the right app, recent enough, blind signing when needed, the executor's key.
    let mut app = EthApp::new(open(&device).map_err(CliError::from)?);
    app.preflight(approval.has_calldata()).map_err(CliError::from)?;
    let account = app.address(&path, false).map_err(CliError::from)?.address;
    let executor = approval.executor();
    let verdict = verdict.with_signer(account, executor);
    let Some(approval) = verdict.approval() else {
        return Ok(refused(&verdict, &proposal));
    };

    // 4. Intent, synced, before the device is asked.
    journal
        .append(Body {
            kind: Kind::Intent,
            manifest_hash: Some(manifest_hash.clone()),
            action: Some(action),
            action_name: Some(approval.action_name().to_string()),
            signing_hash: Some(signing_hash.clone()),
            from: Some(account.to_checksum(None)),
            ..Body::empty()
        })
        .map_err(CliError::from)?;
    crate::cli::print_diagnostic(&format!("Signing hash: {signing_hash}"));
    crate::cli::print_diagnostic(
        "The Ledger shows it as \"Tx hash\": compare every digit, then approve on the device.",
    );
    let failed = |journal: &mut Journal, detail: String| {
        journal.append(Body {
            kind: Kind::Failed,
            manifest_hash: Some(manifest_hash.clone()),
            action: Some(action),
            signing_hash: Some(signing_hash.clone()),
            detail: Some(detail),
            ..Body::empty()
        })
    };
    let signature = match app.sign_approved(&path, approval) {
        Ok(sig) => sig,
        Err(e) => {
            failed(&mut journal, e.to_string()).map_err(CliError::from)?;
            return Err(e.into());
        }
    };
    let recovered = signature.recover_address_from_prehash(&approval.signing_hash()).ok();
    if recovered != Some(executor) {
        let e = DeviceError::WrongSignature {
            expected: executor.to_checksum(None),
            recovered: recovered.map_or("nothing".into(), |a: Address| a.to_checksum(None)),
        };
        failed(&mut journal, e.to_string()).map_err(CliError::from)?;
        return Err(e.into());
    }

    // 5. Journal the signature, then build the output and wipe the policy state.
    let signed_tx = proposal.tx().signed_encoding(&signature);
    journal
        .append(Body {
            kind: Kind::Signed,
            manifest_hash: Some(manifest_hash.clone()),
            action: Some(action),
            action_name: Some(approval.action_name().to_string()),
            signing_hash: Some(signing_hash.clone()),
            signing_payload: Some(hex::encode_prefixed(approval.signing_payload())),
            signature: Some(hex::encode_prefixed(signature.as_bytes())),
            from: Some(executor.to_checksum(None)),
            ..Body::empty()
        })
        .map_err(CliError::from)?;
    let document = result_json(&verdict, &proposal, &signature, &signed_tx, executor);
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
        ("tx_hash", format!("{:#x}", alloy_primitives::keccak256(signed_tx)).into()),
        ("from", from.to_checksum(None).into()),
    ])
}

/// The journaled signature for the same signing hash, returned without touching the device.
fn journaled_result(
    verdict: &Verdict,
    proposal: &Proposal,
    record: &journal::Record,
) -> Result<Value, CliError> {
    let bad = || CliError::internal(format!("journal record {} has no readable signature", record.body.seq));
    let bytes = hex::decode(record.body.signature.as_deref().ok_or_else(bad)?).map_err(|_| bad())?;
    let signature = Signature::try_from(bytes.as_slice()).map_err(|_| bad())?;
    let from: Address = record.body.from.as_deref().ok_or_else(bad)?.parse().map_err(|_| bad())?;
    let signed_tx = proposal.tx().signed_encoding(&signature);
    Ok(result_json(verdict, proposal, &signature, &signed_tx, from))
}

/// The result as a signer reads it.
pub fn signed_text(result: &Signed) -> String {
    let doc = &result.document;
    let source = if result.from_journal { " (from the journal; the device was not asked again)" } else { "" };
    let s = &doc["signature"];
    format!(
        "Signed{source}\n  action        {}\n  signing hash  {}\n  from          {}\n  r             {}\n  s             {}\n  v             {} (y_parity {})\n  tx hash       {}\n  signed tx     {}\n",
        doc["action"],
        doc["signing_hash"].as_str().unwrap_or_default(),
        doc["from"].as_str().unwrap_or_default(),
        s["r"].as_str().unwrap_or_default(),
        s["s"].as_str().unwrap_or_default(),
        s["v"].as_str().unwrap_or_default(),
        s["y_parity"],
        doc["tx_hash"].as_str().unwrap_or_default(),
        doc["signed_tx"].as_str().unwrap_or_default(),
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
