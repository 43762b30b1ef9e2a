//! The one signing pipeline, for the CLI and the library signer alike: from an approving verdict
//! to a verified, journaled signature, in the order of `spec/cli.md`:
//!
//! 1. the journal's one-time-use rule (exit 5 before any device is touched; the same signing hash
//!    returns the journaled signature, verified, without the device);
//! 2. the device: the Ethereum app, its version and blind-signing setting (`preflight`), then the
//!    account at the path, bound to the approval (`Verdict::bind`: `signer_mismatch` otherwise);
//!
//!    (a Safe transaction may be signed by any of its owners, and one-time use is per owner: its
//!    journal rule is applied once the device has named its account, still before any prompt;)
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

use alloy_primitives::{Address, B256, Bytes, Signature, keccak256};
use firmware_policy::release_approval::SignedAs;
use firmware_policy::{Approval, ManifestHash, Proposal, SafeTxProposal, Signable, Verdict};
use zeroize::Zeroizing;

use crate::device::{AppConfiguration, DerivationPath, DeviceError, EthApp, Exchange};
use crate::journal::{
    self, Body, Head, Journal, JournalError, Kind, Record, SafeTxFacts, Signs, TxFacts, TypedDataMode, Use,
    UseKey,
};
use crate::ledger_screens::Screen;

/// What a run signs: a checked transaction, or a checked Safe transaction for one of its owners.
#[derive(Clone, Copy)]
pub enum Subject<'a> {
    /// The executor's transaction.
    Transaction(&'a Proposal),
    /// A Safe transaction (its safeTxHash, by the scheme the approval allows).
    SafeTx(&'a SafeTxProposal),
    /// An approval of the whole manifest (what is signed is all in the approval), and how the
    /// device is asked.
    ReleaseApproval(TypedDataMode),
}

/// The journal facts of a subject, computed once (they hash the calldata).
#[derive(Clone)]
enum Facts {
    Transaction(TxFacts),
    SafeTx(SafeTxFacts),
    /// An approval of the manifest: the record's key is the whole of it, and the mode says
    /// how the device was asked.
    ReleaseApproval(TypedDataMode),
}

impl Facts {
    fn of(subject: Subject<'_>) -> Self {
        match subject {
            Subject::Transaction(p) => Facts::Transaction(TxFacts::of(p.tx())),
            Subject::SafeTx(p) => Facts::SafeTx(SafeTxFacts::of(p)),
            Subject::ReleaseApproval(mode) => Facts::ReleaseApproval(mode),
        }
    }

    fn fill(&self, body: &mut Body) {
        match self {
            Facts::Transaction(facts) => body.tx = Some(facts.clone()),
            Facts::SafeTx(facts) => body.safe_tx = Some(facts.clone()),
            Facts::ReleaseApproval(mode) => body.typed_data_mode = Some(*mode),
        }
    }
}

/// What kind of thing the approval signs, for the journal key.
fn signs(approval: &Approval) -> Signs {
    match approval.signable() {
        Signable::SafeTx(_) => Signs::SafeTx,
        Signable::SafeTxEthSign(_) => Signs::SafeTxEthSign,
        Signable::ReleaseApproval(_) => Signs::ReleaseApproval,
        _ => Signs::Transaction,
    }
}

/// The screens the device shows for the approval, up to the decision (`None` when the device
/// cannot show the transaction's amount: it then refuses with 6807).
fn expected_screens(subject: Subject<'_>, approval: &Approval, account: Address) -> Option<Vec<Screen>> {
    match (subject, approval.signable()) {
        (Subject::Transaction(p), _) => crate::ledger_screens::expected_review(p.tx(), account),
        (Subject::SafeTx(_), Signable::SafeTxEthSign(h)) => {
            Some(crate::ledger_screens::personal_message(h.safe_tx_hash.as_slice()))
        }
        (Subject::SafeTx(_), _) => approval.safe_tx().map(|h| {
            crate::ledger_screens::typed_message(h.domain_separator.as_slice(), h.message_hash.as_slice())
        }),
        // Full mode as the recommended "Raw messages" setting shows it (the app does not report
        // the setting; `approve` also prints what the device shows without it).
        (Subject::ReleaseApproval(_), _) => approval.release_approval().map(|a| match a.signed_as() {
            SignedAs::Full => crate::ledger_screens::release_approval_review(a.subject(), true),
            SignedAs::Hashed => crate::ledger_screens::typed_message(
                a.hashes().domain_separator.as_slice(),
                a.hashes().message_hash.as_slice(),
            ),
        }),
    }
}

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
        /// The hash the device signs (a transaction's "Tx hash"; a Safe transaction's
        /// safeTxHash, which the device shows as its domain and message hashes or as a message).
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
    /// What was checked (what the approval carries is made of it).
    pub subject: Subject<'a>,
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
    /// The signature; it recovers to `signer` over the approval's digest.
    pub signature: Signature,
    /// The signed raw transaction, for a transaction (a Safe owner's signature makes none).
    pub signed_tx: Option<Zeroizing<Vec<u8>>>,
    /// The account that signed.
    pub signer: Address,
    /// Whether it came from the journal (the device was not asked).
    pub from_journal: bool,
    /// For an approval of the manifest: how the device was asked for this signature (from the
    /// journal: how it was asked then).
    pub typed_data_mode: Option<TypedDataMode>,
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
    "{} of manifest {manifest_hash} already has {what} (journal record {record}) for signing hash {signing_hash}{}",
    action.map_or_else(|| format!("the approval of {action_name}"), |a| format!("action {a} ({action_name})")),
    not_a_replacement.as_ref().map(|w| format!("; not a replacement: {w}")).unwrap_or_default()
)]
pub struct AlreadySigned {
    /// The action (none for an approval of the whole manifest).
    pub action: Option<usize>,
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

/// A signed raw transaction (wiped on drop).
type SignedTx = Zeroizing<Vec<u8>>;

/// What the journal says of this attempt: go on to the device, or the journaled signature.
enum Gate {
    Proceed,
    Journaled(Signature, Option<SignedTx>, Option<TypedDataMode>),
}

/// Applies one-time use for `key`: exit 5 for another signing hash; the same signing hash
/// signed is its journaled signature, verified.
fn gate(
    journal: &Journal,
    key: &UseKey,
    approval: &Approval,
    subject: Subject<'_>,
    facts: &Facts,
    progress: &mut dyn FnMut(Progress),
) -> Result<Gate, SigningError> {
    let signing_hash = approval.signing_hash();
    let replacement = match facts {
        Facts::Transaction(facts) if approval.replaceable() => Some(facts),
        _ => None,
    };
    let (usage, why_not) = journal::use_of(journal.records(), key, signing_hash, replacement);
    match usage {
        Use::Taken(record) => Err(SigningError::AlreadySigned(Box::new(AlreadySigned {
            action: key.action,
            action_name: crate::text::escape(approval.action_name()),
            manifest_hash: approval.manifest_hash(),
            what: if record.body.kind == Kind::Signed {
                "a signature"
            } else {
                "a signing attempt that may have produced one"
            },
            record: record.number(),
            signing_hash: record.body.signing_hash.map_or_else(|| "?".into(), |h| format!("{h:#x}")),
            not_a_replacement: why_not,
        }))),
        Use::SignedSame(record) => {
            let (signature, signed_tx) =
                verified_record(record, subject, approval.digest(), key.signer, journal.path())?;
            Ok(Gate::Journaled(signature, signed_tx, record.body.typed_data_mode))
        }
        Use::PendingSame | Use::Free => Ok(Gate::Proceed),
        Use::Replaces(record) => {
            progress(Progress::Replacing { record: record.number() });
            Ok(Gate::Proceed)
        }
    }
}

/// The outcome of a signature the journal already holds (the device is not asked).
fn journaled(
    verdict: Verdict,
    signer: Address,
    signature: Signature,
    signed_tx: Option<SignedTx>,
    typed_data_mode: Option<TypedDataMode>,
    journal: &Journal,
) -> Outcome {
    let head = Some(journal.head());
    Outcome::Signed(Signed {
        verdict,
        signature,
        signed_tx,
        signer,
        from_journal: true,
        typed_data_mode,
        journal: head,
    })
}

/// Runs the pipeline. `open` reaches the device, and is called only once the journal allows it
/// (for a Safe transaction, whose rule is per owner: once the journal can be read).
pub fn sign<A, T>(
    req: Request<'_>,
    open: impl FnOnce() -> Result<A, DeviceError>,
) -> Result<Outcome, SigningError>
where
    A: DerefMut<Target = EthApp<T>>,
    T: Exchange,
{
    let Request { verdict, subject, path, journal: home, clock, progress } = req;
    let Some(approval) = verdict.approval() else {
        return Ok(Outcome::Refused(verdict));
    };
    let signing_hash = approval.signing_hash();
    let digest = approval.digest();
    let needs_blind_signing = approval.needs_blind_signing();
    let (manifest_hash, action, signs) = (approval.manifest_hash().0, approval.action(), signs(approval));
    let key_for = |signer: Address| UseKey { manifest_hash, action, signer, signs };
    // A transaction has one signer, known now; a Safe transaction's is the device's owner.
    let known_signer = match subject {
        Subject::Transaction(_) => Some(approval.signer()),
        Subject::SafeTx(_) | Subject::ReleaseApproval(_) => None,
    };
    // Once: the facts include keccak256 of the calldata, which may be a megabyte.
    let facts = Facts::of(subject);
    let action_name = approval.action_name().to_string();
    let attempt = |kind: Kind, key: &UseKey| {
        let mut body = Body::new(kind);
        body.manifest_hash = Some(key.manifest_hash);
        body.action = key.action;
        body.action_name = Some(action_name.clone());
        body.signer = Some(key.signer);
        body.signs = Some(key.signs);
        body.signing_hash = Some(signing_hash);
        facts.fill(&mut body);
        body
    };

    // 1. The journal: one signing hash per (manifest, action, signer, kind).
    let mut journal = match home {
        Some(home) => {
            let (journal, warning) = Journal::open(&home.join(journal::FILE_NAME), clock())?;
            if let Some(w) = warning {
                progress(Progress::JournalSealed(w));
            }
            Some(journal)
        }
        None => None,
    };
    if let (Some(journal), Some(signer)) = (journal.as_ref(), known_signer)
        && let Gate::Journaled(signature, signed_tx, typed_data_mode) =
            gate(journal, &key_for(signer), approval, subject, &facts, &mut *progress)?
    {
        return Ok(journaled(verdict, signer, signature, signed_tx, typed_data_mode, journal));
    }

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
    let signer = bound.approval().signer();
    let key = key_for(signer);
    if let (Some(journal), None) = (journal.as_ref(), known_signer)
        && let Gate::Journaled(signature, signed_tx, typed_data_mode) =
            gate(journal, &key, bound.approval(), subject, &facts, &mut *progress)?
    {
        return Ok(journaled(verdict, signer, signature, signed_tx, typed_data_mode, journal));
    }
    let intent = attempt(Kind::Intent, &key);
    // Taken by the one failure a run can end with.
    let mut failure = Some(attempt(Kind::Failed, &key));
    let mut success = attempt(Kind::Signed, &key);

    // 3. The intent, synced before the device is asked.
    if let Some(journal) = journal.as_mut() {
        journal.append(intent, clock())?;
    }
    let screens = expected_screens(subject, bound.approval(), account);
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
    let recovered = signature.recover_address_from_prehash(&digest).ok();
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
    let signed_tx = match subject {
        Subject::Transaction(p) => Some(p.tx().signed_encoding(&signature)),
        Subject::SafeTx(_) | Subject::ReleaseApproval(_) => None,
    };
    let head = match journal.as_mut() {
        Some(journal) => {
            success.signature = Some(Bytes::copy_from_slice(&signature.as_bytes()));
            success.tx_hash = signed_tx.as_ref().map(|tx| keccak256(tx.as_slice()));
            journal.append(success, clock())?;
            Some(journal.head())
        }
        None => None,
    };
    let typed_data_mode = match subject {
        Subject::ReleaseApproval(mode) => Some(mode),
        _ => None,
    };
    Ok(Outcome::Signed(Signed {
        verdict,
        signature,
        signed_tx,
        signer,
        from_journal: false,
        typed_data_mode,
        journal: head,
    }))
}

/// A journaled signature for this signing hash, returned only once verified: it must recover to
/// the signer over the approval's digest; for a transaction, the signed transaction it makes
/// must have the journaled hash; for a Safe transaction, the journaled facts must be this one's.
/// A forged, re-chained record is refused.
fn verified_record(
    record: &Record,
    subject: Subject<'_>,
    digest: B256,
    signer: Address,
    path: &Path,
) -> Result<(Signature, Option<SignedTx>), JournalError> {
    let forged =
        |problem: String| JournalError::Forged { path: path.to_path_buf(), number: record.number(), problem };
    let bytes: &[u8] = record.body.signature.as_ref().map_or(&[], |b| b.as_ref());
    let signature = Signature::try_from(bytes).map_err(|e| forged(format!("not a signature: {e}")))?;
    let recovered = signature
        .recover_address_from_prehash(&digest)
        .map_err(|e| forged(format!("it recovers no signer: {e}")))?;
    if recovered != signer {
        let role = match subject {
            Subject::Transaction(_) => "the executor",
            Subject::SafeTx(_) => "the Safe owner",
            Subject::ReleaseApproval(_) => "the approver",
        };
        return Err(forged(format!("it is signed by {recovered}, not by {role} {signer}")));
    }
    match subject {
        Subject::Transaction(proposal) => {
            let signed_tx = proposal.tx().signed_encoding(&signature);
            if record.body.tx_hash != Some(keccak256(signed_tx.as_slice())) {
                return Err(forged(
                    "its transaction hash is not the hash of the transaction it signs".into(),
                ));
            }
            Ok((signature, Some(signed_tx)))
        }
        Subject::SafeTx(proposal) => {
            if record.body.safe_tx.as_ref() != Some(&SafeTxFacts::of(proposal)) {
                return Err(forged("its Safe transaction is not the one being signed".into()));
            }
            Ok((signature, None))
        }
        // The signing hash covers every fact of the approval, and it recovered to the signer.
        Subject::ReleaseApproval(_) => Ok((signature, None)),
    }
}
