//! The one signing pipeline, for the CLI and the library signer alike: from an approving verdict
//! to a verified, journaled signature, in the order of `spec/cli.md`:
//!
//! 1. the journal's one-time-use rule (exit 5 before any device is touched; the same signing hash
//!    returns the journaled signature, verified, without the device);
//! 2. the device: the Ethereum app, its version and blind-signing setting (`preflight`), then the
//!    account at the path, bound to the approval (`Verdict::bind`: `signer_mismatch` otherwise);
//! 3. the intent, journaled and synced before the device is asked;
//! 4. the signature, over exactly the approved bytes (the only device call that signs takes the
//!    bound approval);
//! 5. the signature must recover to the signer over the signing hash;
//! 6. the signature, journaled and synced.
//!
//! A failure after the intent is journaled as `failed`, releasing the action only when the device
//! certainly did not sign. Without a journal (a library signer that says so in its type) steps 1,
//! 3 and 6 are skipped; everything else is the same code.

use std::ops::DerefMut;
use std::path::{Path, PathBuf};

use alloy_primitives::{Address, Bytes, Signature, keccak256};
use firmware_policy::{ManifestHash, Proposal, Verdict};
use zeroize::Zeroizing;

use crate::device::{AppConfiguration, DerivationPath, DeviceError, EthApp, Exchange};
use crate::journal::{self, Body, Head, Journal, JournalError, Kind, Record, Signs, TxFacts, Use, UseKey};
use crate::ledger_screens::Screen;

/// Whether a signer journals what it signs. A type, so a library signer without a journal says so
/// where it is declared.
pub trait JournalMode {
    /// The state home holding the journal, if any.
    fn home(&self) -> Option<&Path>;
}

/// No journal: nothing stops a second signature but the manifest's nonce binding.
#[derive(Clone, Copy, Debug, Default)]
pub struct Unjournaled;

impl JournalMode for Unjournaled {
    fn home(&self) -> Option<&Path> {
        None
    }
}

/// The journal in this state home, as the CLI keeps it.
#[derive(Clone, Debug)]
pub struct Journaled(pub PathBuf);

impl JournalMode for Journaled {
    fn home(&self) -> Option<&Path> {
        Some(&self.0)
    }
}

/// What the pipeline reports while it runs (the CLI prints these as they happen).
#[derive(Debug)]
pub enum Progress {
    /// A torn journal tail was sealed before anything else.
    JournalSealed(String),
    /// The transaction replaces the action's earlier signature(s): same transaction, higher fees.
    Replacing {
        /// The latest record it replaces, numbered from 1.
        record: u64,
    },
    /// The Ethereum app answered and has what the approval needs.
    DeviceReady {
        /// Its configuration (version, blind signing).
        config: AppConfiguration,
        /// Whether the transaction needs blind signing (it has calldata).
        needs_blind_signing: bool,
    },
    /// The account at the path is the approval's signer.
    AccountBound {
        /// The account.
        account: Address,
    },
    /// The device is about to be asked; the person compares these screens with the device's.
    AwaitingApproval {
        /// The hash the device shows ("Tx hash").
        signing_hash: alloy_primitives::B256,
        /// The screens app-ethereum 1.22.0 shows for it, up to the decision; `None` when it
        /// cannot show the amount (it then refuses with 6807).
        screens: Option<Vec<Screen>>,
    },
}

/// One run of the pipeline.
pub struct Request<'a> {
    /// The verdict of the check (refused verdicts are returned as they are).
    pub verdict: Verdict,
    /// The checked proposal (its transaction is what the approval carries).
    pub proposal: &'a Proposal,
    /// The account path on the device.
    pub path: &'a DerivationPath,
    /// The state home of the journal, or none.
    pub journal: Option<&'a Path>,
    /// The clock the journal's records are stamped with.
    pub clock: &'a dyn Fn() -> u64,
    /// Where progress goes.
    pub progress: &'a mut dyn FnMut(Progress),
}

/// How a run ended (errors aside).
pub enum Outcome {
    /// Signed, or returned from the journal.
    Signed(Signed),
    /// Refused: by the check, or by the binding (`signer_mismatch`).
    Refused(Verdict),
}

/// A verified signature and what it makes.
pub struct Signed {
    /// The verdict, with its `signer` check.
    pub verdict: Verdict,
    /// The signature; it recovers to `signer` over the signing hash.
    pub signature: Signature,
    /// The signed raw transaction.
    pub signed_tx: Zeroizing<Vec<u8>>,
    /// The account that signed.
    pub signer: Address,
    /// Whether it came from the journal (the device was not asked).
    pub from_journal: bool,
    /// The journal head after the record, when journaled.
    pub journal: Option<Head>,
}

/// Why a run stopped without a signature.
#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    /// The journal binds the action to another signing hash.
    #[error(transparent)]
    AlreadySigned(Box<AlreadySigned>),
    /// The journal cannot be used.
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// The device refused or failed.
    #[error(transparent)]
    Device(#[from] DeviceError),
}

/// What binds an action that is asked for another signing hash.
#[derive(Debug, thiserror::Error)]
#[error(
    "action {action} ({action_name}) of manifest {manifest_hash} already has {what} (journal record {record}) for signing hash {signing_hash}{}",
    not_a_replacement.as_ref().map(|w| format!("; not a replacement: {w}")).unwrap_or_default()
)]
pub struct AlreadySigned {
    /// The action.
    pub action: usize,
    /// Its name, escaped.
    pub action_name: String,
    /// The manifest.
    pub manifest_hash: ManifestHash,
    /// "a signature" or "a signing attempt that may have produced one".
    pub what: &'static str,
    /// The binding record, numbered from 1.
    pub record: u64,
    /// The signing hash it binds.
    pub signing_hash: String,
    /// For a `replaceable` action: why this transaction is not a replacement.
    pub not_a_replacement: Option<String>,
}

/// Runs the pipeline. `open` reaches the device, and is called only once the journal allows it.
pub fn sign<A, T>(
    req: Request<'_>,
    open: impl FnOnce() -> Result<A, DeviceError>,
) -> Result<Outcome, SigningError>
where
    A: DerefMut<Target = EthApp<T>>,
    T: Exchange,
{
    let Request { verdict, proposal, path, journal: home, clock, progress } = req;
    let Some(approval) = verdict.approval() else {
        return Ok(Outcome::Refused(verdict));
    };
    let signer = approval.signer();
    let signing_hash = approval.signing_hash();
    let needs_blind_signing = approval.needs_blind_signing();
    let key = UseKey {
        manifest_hash: approval.manifest_hash().0,
        action: approval.action(),
        signer,
        signs: Signs::Transaction,
    };
    // Once: the facts include keccak256 of the calldata, which may be a megabyte.
    let facts = TxFacts::of(proposal.tx());
    let attempt = |kind: Kind| {
        let mut body = Body::new(kind);
        body.manifest_hash = Some(key.manifest_hash);
        body.action = Some(key.action);
        body.action_name = Some(approval.action_name().to_string());
        body.signer = Some(key.signer);
        body.signs = Some(key.signs);
        body.signing_hash = Some(signing_hash);
        body.tx = Some(facts.clone());
        body
    };
    let intent = attempt(Kind::Intent);
    // Taken by the one failure a run can end with.
    let mut failure = Some(attempt(Kind::Failed));
    let mut success = attempt(Kind::Signed);

    // 1. The journal: one signing hash per (manifest, action, signer, kind).
    let mut journal = match home {
        Some(home) => {
            let (journal, warning) = Journal::open(&home.join(journal::FILE_NAME), clock())?;
            if let Some(w) = warning {
                progress(Progress::JournalSealed(w));
            }
            let replacement = approval.replaceable().then_some(&facts);
            let (usage, why_not) = journal::use_of(journal.records(), &key, signing_hash, replacement);
            match usage {
                Use::Taken(record) => {
                    return Err(SigningError::AlreadySigned(Box::new(AlreadySigned {
                        action: key.action,
                        action_name: crate::text::escape(approval.action_name()),
                        manifest_hash: approval.manifest_hash(),
                        what: if record.body.kind == Kind::Signed {
                            "a signature"
                        } else {
                            "a signing attempt that may have produced one"
                        },
                        record: record.number(),
                        signing_hash: record
                            .body
                            .signing_hash
                            .map_or_else(|| "?".into(), |h| format!("{h:#x}")),
                        not_a_replacement: why_not,
                    })));
                }
                Use::SignedSame(record) => {
                    let (signature, signed_tx) = verified_record(record, proposal, signer, journal.path())?;
                    let head = Some(journal.head());
                    return Ok(Outcome::Signed(Signed {
                        verdict,
                        signature,
                        signed_tx,
                        signer,
                        from_journal: true,
                        journal: head,
                    }));
                }
                Use::PendingSame | Use::Free => Some(journal),
                Use::Replaces(record) => {
                    progress(Progress::Replacing { record: record.number() });
                    Some(journal)
                }
            }
        }
        None => None,
    };

    // 2. The device, and the binding of its account.
    let mut app = open()?;
    let config = app.preflight(needs_blind_signing)?;
    progress(Progress::DeviceReady { config, needs_blind_signing });
    let account = app.address(path, false)?.address;
    let (verdict, bound) = verdict.bind(account);
    let Some(bound) = bound else {
        return Ok(Outcome::Refused(verdict));
    };
    progress(Progress::AccountBound { account });

    // 3. The intent, synced before the device is asked.
    if let Some(journal) = journal.as_mut() {
        journal.append(intent, clock())?;
    }
    let screens = crate::ledger_screens::expected_review(proposal.tx(), account);
    progress(Progress::AwaitingApproval { signing_hash, screens });

    // 4–5. The signature over the approved bytes, recovering to the signer.
    let mut fail = |journal: &mut Option<Journal>, error: DeviceError, device_may_have_signed: bool| {
        if let (Some(journal), Some(mut body)) = (journal.as_mut(), failure.take()) {
            // Only a certain "not signed" releases the action; otherwise the attempt binds it.
            body.released = Some(!device_may_have_signed);
            body.detail = Some(error.to_string());
            journal.append(body, clock())?;
        }
        Err(SigningError::Device(error))
    };
    let signature = match app.sign(path, &bound) {
        Ok(signature) => signature,
        Err(f) => return fail(&mut journal, f.error, f.device_may_have_signed),
    };
    let recovered = signature.recover_address_from_prehash(&signing_hash).ok();
    if recovered != Some(signer) {
        let error = DeviceError::WrongSignature {
            expected: signer.to_checksum(None),
            recovered: recovered.map_or("nothing".into(), |a| a.to_checksum(None)),
        };
        // The device did sign something: the attempt keeps binding the action.
        return fail(&mut journal, error, true);
    }
    drop(bound);

    // 6. The signature, journaled.
    let signed_tx = proposal.tx().signed_encoding(&signature);
    let head = match journal.as_mut() {
        Some(journal) => {
            success.signature = Some(Bytes::copy_from_slice(&signature.as_bytes()));
            success.tx_hash = Some(keccak256(signed_tx.as_slice()));
            journal.append(success, clock())?;
            Some(journal.head())
        }
        None => None,
    };
    Ok(Outcome::Signed(Signed { verdict, signature, signed_tx, signer, from_journal: false, journal: head }))
}

/// A journaled signature for this signing hash, returned only once verified: it must recover to
/// the signer over the proposal's signing hash, and the signed transaction it makes must have the
/// journaled hash. A forged, re-chained record is refused.
fn verified_record(
    record: &Record,
    proposal: &Proposal,
    signer: Address,
    path: &Path,
) -> Result<(Signature, Zeroizing<Vec<u8>>), JournalError> {
    let forged =
        |problem: String| JournalError::Forged { path: path.to_path_buf(), number: record.number(), problem };
    let bytes: &[u8] = record.body.signature.as_ref().map_or(&[], |b| b.as_ref());
    let signature = Signature::try_from(bytes).map_err(|e| forged(format!("not a signature: {e}")))?;
    let recovered = signature
        .recover_address_from_prehash(&proposal.tx().signing_hash())
        .map_err(|e| forged(format!("it recovers no signer: {e}")))?;
    if recovered != signer {
        return Err(forged(format!("it is signed by {recovered}, not by the executor {signer}")));
    }
    let signed_tx = proposal.tx().signed_encoding(&signature);
    if record.body.tx_hash != Some(keccak256(signed_tx.as_slice())) {
        return Err(forged("its transaction hash is not the hash of the transaction it signs".into()));
    }
    Ok((signature, signed_tx))
}
