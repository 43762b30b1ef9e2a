//! Matching a proposal against an approved manifest: the verdict, and the approval the signing
//! path requires.
//!
//! Rules (spec `manifest.md`, reason codes in `cli.md`): an unapproved manifest is trusted for
//! nothing, so `manifest_hash_mismatch` stands alone; otherwise every check whose inputs exist is
//! evaluated and every failure reported, in the order of the reason table. Value, nonce, cap and
//! authorization checks run only against the action matched by exact (to, calldata).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use alloy_primitives::{Address, B256, U256};
use zeroize::Zeroizing;

use crate::calls::{CallNode, CallTreeError, Operation, decode_call};
use crate::instant::Utc;
use crate::manifest::{Action, ActionKind, AuthorizationBound, LoadedManifest, ManifestHash, OpenedManifest};
use crate::tx::{DecodedTx, TxType};

/// Why a proposal was refused. The codes are a public contract: add, never rename.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Reason {
    /// The manifest's hash is not the approved hash.
    ManifestHashMismatch,
    /// Fewer distinct trusted approvers than the trust file's threshold approved this manifest.
    ApprovalQuorumNotMet,
    /// A counted approver is also the executor or an owner of a manifest Safe (`separate_roles`).
    RoleConflict,
    /// The transaction's chain id differs from the manifest's.
    ChainIdMismatch,
    /// A legacy transaction without EIP-155 replay protection (or chain id 0).
    MissingChainId,
    /// Contract creation, a blob transaction, or an authorization list the action does not name.
    TxTypeNotAllowed,
    /// The transaction's `to` is not allowed.
    TargetNotAllowed,
    /// A decoded inner call or new implementation is not allowed.
    NestedTargetNotAllowed,
    /// A DELEGATECALL in a Safe's own context reaches a target its `delegatecall_allowed` lacks.
    DelegatecallNotAllowed,
    /// Some node's calldata is not the exact encoding of its arguments.
    CalldataNotCanonical,
    /// No approved action has this exact (to, calldata).
    PayloadNotApproved,
    /// No Safe action of the manifest is this Safe transaction (Safe, version, every field).
    SafeTxNotApproved,
    /// The safeTxHash that came with the Safe transaction is not the hash of its fields.
    SafeTxHashMismatch,
    /// The value differs from the matched action's.
    ValueMismatch,
    /// The action binds a nonce and the transaction has another.
    NonceMismatch,
    /// The gas limit exceeds the action's cap.
    GasAboveCap,
    /// A fee field exceeds the action's cap.
    FeeAboveCap,
    /// Now is before `not_before`.
    WindowNotOpen,
    /// Now is at or after `expires_at`.
    WindowExpired,
    /// Fewer valid owner signatures than the Safe's threshold among the entries it reads.
    SafeSignaturesInsufficient,
    /// An entry the Safe reads is one it would refuse (not an owner, out of order, bad `v`).
    SafeSignatureInvalid,
    /// The matched action expects effects, or the manifest names code or authority, and no
    /// witness was given to simulate on: the gate cannot be skipped by leaving it out.
    WitnessMissing,
    /// The witness does not prove what it claims: the header is not the typed block hash's, a
    /// proof or code hash fails, or its timestamp is outside the state-age window.
    WitnessInvalid,
    /// The replay read something the witness does not prove.
    WitnessIncomplete,
    /// The replayed transaction reverted or halted.
    SimulationReverted,
    /// An expected slot value or event was not produced.
    ExpectedEffectMissing,
    /// A change outside `allowed_targets`, or an authority event or named-slot write the action
    /// does not expect.
    UnexpectedEffect,
    /// A `code` entry's account does not hold the expected code.
    ImplementationCodeMismatch,
    /// An `authority` entry does not hold, before or after the action.
    AuthorityMismatch,
    /// A post-execution check of this release diverged: it is contained, and only its rollback
    /// manifest's actions may still be signed.
    ReleaseContained,
    /// The device account is not the manifest's executor.
    SignerMismatch,
    /// (`verify-execution` only) what the chain did is not what the manifest says the action
    /// does: it reverted, an expected event or slot is missing, control moved, or the transaction
    /// is not the one this release signed.
    PostExecutionMismatch,
}

impl Reason {
    /// The stable reason code.
    pub fn code(self) -> &'static str {
        match self {
            Reason::ManifestHashMismatch => "manifest_hash_mismatch",
            Reason::ApprovalQuorumNotMet => "approval_quorum_not_met",
            Reason::RoleConflict => "role_conflict",
            Reason::ChainIdMismatch => "chain_id_mismatch",
            Reason::MissingChainId => "missing_chain_id",
            Reason::TxTypeNotAllowed => "tx_type_not_allowed",
            Reason::TargetNotAllowed => "target_not_allowed",
            Reason::NestedTargetNotAllowed => "nested_target_not_allowed",
            Reason::DelegatecallNotAllowed => "delegatecall_not_allowed",
            Reason::CalldataNotCanonical => "calldata_not_canonical",
            Reason::PayloadNotApproved => "payload_not_approved",
            Reason::SafeTxNotApproved => "safe_tx_not_approved",
            Reason::SafeTxHashMismatch => "safe_tx_hash_mismatch",
            Reason::ValueMismatch => "value_mismatch",
            Reason::NonceMismatch => "nonce_mismatch",
            Reason::GasAboveCap => "gas_above_cap",
            Reason::FeeAboveCap => "fee_above_cap",
            Reason::WindowNotOpen => "window_not_open",
            Reason::WindowExpired => "window_expired",
            Reason::SafeSignaturesInsufficient => "safe_signatures_insufficient",
            Reason::SafeSignatureInvalid => "safe_signature_invalid",
            Reason::WitnessMissing => "witness_missing",
            Reason::WitnessInvalid => "witness_invalid",
            Reason::WitnessIncomplete => "witness_incomplete",
            Reason::SimulationReverted => "simulation_reverted",
            Reason::ExpectedEffectMissing => "expected_effect_missing",
            Reason::UnexpectedEffect => "unexpected_effect",
            Reason::ImplementationCodeMismatch => "implementation_code_mismatch",
            Reason::AuthorityMismatch => "authority_mismatch",
            Reason::ReleaseContained => "release_contained",
            Reason::SignerMismatch => "signer_mismatch",
            Reason::PostExecutionMismatch => "post_execution_mismatch",
        }
    }

    /// The check this reason belongs to.
    pub fn check(self) -> Check {
        match self {
            Reason::ManifestHashMismatch => Check::ManifestHash,
            Reason::ApprovalQuorumNotMet | Reason::RoleConflict => Check::Approvals,
            Reason::ChainIdMismatch | Reason::MissingChainId => Check::ChainId,
            Reason::TxTypeNotAllowed => Check::TxType,
            Reason::TargetNotAllowed | Reason::NestedTargetNotAllowed | Reason::DelegatecallNotAllowed => {
                Check::Targets
            }
            Reason::CalldataNotCanonical => Check::Calldata,
            Reason::PayloadNotApproved => Check::Payload,
            Reason::SafeTxNotApproved | Reason::SafeTxHashMismatch => Check::SafeTx,
            Reason::ValueMismatch => Check::Value,
            Reason::NonceMismatch => Check::Nonce,
            Reason::GasAboveCap => Check::Gas,
            Reason::FeeAboveCap => Check::Fees,
            Reason::WindowNotOpen | Reason::WindowExpired => Check::Window,
            Reason::SafeSignaturesInsufficient | Reason::SafeSignatureInvalid => Check::SafeSignatures,
            Reason::WitnessMissing | Reason::WitnessInvalid | Reason::WitnessIncomplete => Check::Witness,
            Reason::SimulationReverted => Check::Simulation,
            Reason::ExpectedEffectMissing | Reason::UnexpectedEffect => Check::Effects,
            Reason::ImplementationCodeMismatch => Check::Code,
            Reason::AuthorityMismatch => Check::Authority,
            Reason::ReleaseContained => Check::Containment,
            Reason::SignerMismatch => Check::Signer,
            Reason::PostExecutionMismatch => Check::Execution,
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The checks of a verdict, in the order of the reason table. Their names are a public contract
/// (the `check` key of each JSON entry): add, never rename.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Check {
    /// `manifest_hash`.
    ManifestHash,
    /// `approvals`.
    Approvals,
    /// `chain_id`.
    ChainId,
    /// `tx_type`.
    TxType,
    /// `targets`.
    Targets,
    /// `calldata`.
    Calldata,
    /// `payload`.
    Payload,
    /// `safe_tx`.
    SafeTx,
    /// `value`.
    Value,
    /// `nonce`.
    Nonce,
    /// `gas`.
    Gas,
    /// `fees`.
    Fees,
    /// `window`.
    Window,
    /// `safe_signatures`.
    SafeSignatures,
    /// `witness`.
    Witness,
    /// `simulation`.
    Simulation,
    /// `effects`.
    Effects,
    /// `code`.
    Code,
    /// `authority`.
    Authority,
    /// `containment`.
    Containment,
    /// `signer`.
    Signer,
    /// `execution` (`verify-execution`).
    Execution,
}

impl Check {
    /// The stable name.
    pub fn name(self) -> &'static str {
        match self {
            Check::ManifestHash => "manifest_hash",
            Check::Approvals => "approvals",
            Check::ChainId => "chain_id",
            Check::TxType => "tx_type",
            Check::Targets => "targets",
            Check::Calldata => "calldata",
            Check::Payload => "payload",
            Check::SafeTx => "safe_tx",
            Check::Value => "value",
            Check::Nonce => "nonce",
            Check::Gas => "gas",
            Check::Fees => "fees",
            Check::Window => "window",
            Check::SafeSignatures => "safe_signatures",
            Check::Witness => "witness",
            Check::Simulation => "simulation",
            Check::Effects => "effects",
            Check::Code => "code",
            Check::Authority => "authority",
            Check::Containment => "containment",
            Check::Signer => "signer",
            Check::Execution => "execution",
        }
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One evaluated check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckOutcome {
    /// Which check.
    pub check: Check,
    /// Whether it passed.
    pub ok: bool,
    /// The reason code when it failed.
    pub reason: Option<Reason>,
    /// What was compared, for people (written out when shown).
    pub detail: Detail,
}

/// A transaction together with its decoded call tree: what `check` evaluates.
pub struct Proposal {
    tx: DecodedTx,
    calls: CallNode,
}

impl Proposal {
    /// Decodes the call tree of `tx`; fails only when the tree is deeper than the limit.
    pub fn new(tx: DecodedTx) -> Result<Self, CallTreeError> {
        let operation = if tx.to().is_some() { Operation::Call } else { Operation::Create };
        let calls = decode_call(tx.to(), tx.value(), operation, tx.input())?;
        Ok(Proposal { tx, calls })
    }

    /// Decodes the call tree again with names from the approved manifest's `abi` for selectors
    /// no built-in decoder knows. Only names and shown arguments change: no named call has
    /// children, so every check decides as before.
    pub fn renamed(self, namer: &dyn crate::calls::Namer) -> Result<Self, CallTreeError> {
        let Proposal { tx, calls } = self;
        drop(calls);
        let operation = if tx.to().is_some() { Operation::Call } else { Operation::Create };
        let calls = crate::calls::decode_call_named(tx.to(), tx.value(), operation, tx.input(), namer)?;
        Ok(Proposal { tx, calls })
    }

    /// The transaction.
    pub fn tx(&self) -> &DecodedTx {
        &self.tx
    }

    /// The call tree.
    pub fn calls(&self) -> &CallNode {
        &self.calls
    }
}

/// What an approval allows to be signed. Transactions now; EIP-712 digests (a Safe transaction,
/// a manifest approval) and later kinds join as variants, signed through the same bound approval,
/// so no signing path ever takes bytes that a check did not approve.
#[non_exhaustive]
pub enum Signable {
    /// The exact signing payload of an Ethereum transaction.
    Transaction(TxSignable),
    /// A Safe transaction's EIP-712 hashes (signed in hashed mode: the device signs
    /// `keccak256(0x1901 ‖ domain ‖ message)`, the safeTxHash).
    SafeTx(crate::safe_tx::SafeTxHashes),
    /// A Safe transaction's safeTxHash as an EIP-191 personal message (`eth_sign`, which a Safe
    /// from 1.1.0 takes with v + 4): for owners whose device cannot sign EIP-712.
    SafeTxEthSign(crate::safe_tx::SafeTxHashes),
    /// An approval of the release manifest (EIP-712 `ReleaseApproval`), in full or hashed mode.
    ReleaseApproval(ReleaseApprovalSignable),
}

/// A release approval approved for signing: the typed message's facts (full mode sends them to
/// the device), its hashes (hashed mode sends those) and the mode.
#[derive(Clone, Debug)]
pub struct ReleaseApprovalSignable {
    subject: crate::release_approval::ReleaseSubject,
    hashes: crate::release_approval::ApprovalHashes,
    signed_as: crate::release_approval::SignedAs,
}

impl ReleaseApprovalSignable {
    /// What is signed.
    pub fn subject(&self) -> &crate::release_approval::ReleaseSubject {
        &self.subject
    }
    /// Its hashes.
    pub fn hashes(&self) -> &crate::release_approval::ApprovalHashes {
        &self.hashes
    }
    /// Full or hashed mode.
    pub fn signed_as(&self) -> crate::release_approval::SignedAs {
        self.signed_as
    }
}

/// How a Safe owner's signature is made: the signer's choice, so `check_safe_tx` takes it and
/// the approval it makes allows that one scheme only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SafeSignatureScheme {
    /// EIP-712 in hashed mode (the Ledger shows the domain and message hashes).
    Eip712,
    /// `eth_sign`: personal_sign of the 32-byte safeTxHash (the Ledger shows it as hex).
    EthSign,
}

/// A transaction payload approved for signing.
pub struct TxSignable {
    payload: alloc::sync::Arc<crate::wipe::WipedBytes>,
    tx_type: TxType,
    chain_id: u64,
    has_calldata: bool,
}

impl TxSignable {
    /// The exact bytes to send to the device.
    pub fn payload(&self) -> &[u8] {
        self.payload.as_slice()
    }
    /// The transaction type (the device's chunking and v rules depend on it).
    pub fn tx_type(&self) -> TxType {
        self.tx_type
    }
    /// The chain the payload is for.
    pub fn chain_id(&self) -> u64 {
        self.chain_id
    }
    /// Whether the transaction has calldata (a Ledger then needs blind signing on).
    pub fn has_calldata(&self) -> bool {
        self.has_calldata
    }
}

/// Proof that `check` approved one exact thing to sign for one action. Only [`check`] (and later
/// checks) construct it, and it carries the very bytes that were checked and the account that
/// must sign them: the signing path signs these or nothing, after [`Verdict::bind`].
pub struct Approval {
    manifest_hash: ManifestHash,
    /// The matched action; none for an approval of the whole manifest.
    action: Option<usize>,
    action_name: Zeroizing<String>,
    signer: Address,
    /// Every account that may sign it: the executor for a transaction; a Safe's owners for a
    /// Safe transaction, of which binding keeps the device's.
    signers: Vec<Address>,
    signing_hash: B256,
    signable: Signable,
    replaceable: bool,
}

impl Approval {
    /// Whether the action opted in to fee-bump replacement (`replaceable = true`).
    pub fn replaceable(&self) -> bool {
        self.replaceable
    }
    /// The approved manifest's hash.
    pub fn manifest_hash(&self) -> ManifestHash {
        self.manifest_hash
    }
    /// Index of the matched action (none for an approval of the whole manifest).
    pub fn action(&self) -> Option<usize> {
        self.action
    }
    /// Name of the matched action (the release's, for an approval of the whole manifest).
    pub fn action_name(&self) -> &str {
        &self.action_name
    }
    /// The account that signs: the manifest's executor, for a transaction; for a Safe
    /// transaction, once bound, the owner the device holds (before, its first owner).
    pub fn signer(&self) -> Address {
        self.signer
    }
    /// Every account allowed to sign (one, the executor, for a transaction).
    pub fn signers(&self) -> &[Address] {
        &self.signers
    }
    /// The hash the device signs (for a transaction: keccak256 of the payload, its "Tx hash";
    /// for a Safe transaction: the safeTxHash, however it is signed). The journal keys on it.
    pub fn signing_hash(&self) -> B256 {
        self.signing_hash
    }
    /// The digest the signature is over, to recover its signer from: the signing hash, except
    /// for `eth_sign`, whose digest is the EIP-191 hash of the safeTxHash as a message.
    pub fn digest(&self) -> B256 {
        match &self.signable {
            Signable::SafeTxEthSign(hashes) => alloy_primitives::eip191_hash_message(hashes.safe_tx_hash),
            Signable::Transaction(_) | Signable::SafeTx(_) | Signable::ReleaseApproval(_) => {
                self.signing_hash
            }
        }
    }
    /// What is approved for signing.
    pub fn signable(&self) -> &Signable {
        &self.signable
    }
    /// The transaction payload, when that is what is approved.
    pub fn transaction(&self) -> Option<&TxSignable> {
        match &self.signable {
            Signable::Transaction(tx) => Some(tx),
            Signable::SafeTx(_) | Signable::SafeTxEthSign(_) | Signable::ReleaseApproval(_) => None,
        }
    }
    /// The Safe transaction's hashes, when that is what is approved (either scheme).
    pub fn safe_tx(&self) -> Option<&crate::safe_tx::SafeTxHashes> {
        match &self.signable {
            Signable::SafeTx(hashes) | Signable::SafeTxEthSign(hashes) => Some(hashes),
            Signable::Transaction(_) | Signable::ReleaseApproval(_) => None,
        }
    }
    /// The release approval, when that is what is approved.
    pub fn release_approval(&self) -> Option<&ReleaseApprovalSignable> {
        match &self.signable {
            Signable::ReleaseApproval(a) => Some(a),
            _ => None,
        }
    }
    /// Whether the device must have blind signing on to sign this (hashed EIP-712 always does;
    /// a personal message never does; full-mode EIP-712 needs blind signing or the "Raw
    /// messages" setting, which the app does not report: the device itself refuses with 6A80).
    pub fn needs_blind_signing(&self) -> bool {
        match &self.signable {
            Signable::Transaction(tx) => tx.has_calldata,
            Signable::SafeTx(_) => true,
            Signable::SafeTxEthSign(_) => false,
            Signable::ReleaseApproval(a) => a.signed_as == crate::release_approval::SignedAs::Hashed,
        }
    }
}

impl fmt::Debug for Approval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Approval")
            .field("manifest_hash", &self.manifest_hash)
            .field("action", &self.action)
            .field("signing_hash", &self.signing_hash)
            .finish_non_exhaustive()
    }
}

/// An approval whose signer is the device account: what a device signing call takes. Only
/// [`Verdict::bind`] makes one, by consuming the approval.
#[derive(Debug)]
pub struct BoundApproval {
    approval: Approval,
}

impl BoundApproval {
    /// The approval (its signer is the device account).
    pub fn approval(&self) -> &Approval {
        &self.approval
    }
}

/// What a signing request says about who signs, before the device is asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignerClaim {
    /// The account the request is for.
    Account(Address),
    /// A derivation path (as written) the Ethereum app will not derive: outside m/44'/60'.
    PathOutsideApp(String),
}

mod gate;
pub use gate::{AuthorityReading, Gate, Observed, ObservedChange, ObservedLog, SimStatus};

/// The outcome of [`check`].
#[derive(Debug)]
pub struct Verdict {
    manifest_hash: ManifestHash,
    action: Option<usize>,
    reasons: Vec<Reason>,
    checks: Vec<CheckOutcome>,
    evaluated_at: u64,
    approval: Option<Approval>,
    safe_signers: Option<crate::safe_signatures::BlobReport>,
    /// The approvals that made the manifest approved (or failed to), when a quorum decided it.
    quorum: Option<crate::quorum::QuorumReport>,
}

impl Verdict {
    /// The approvals' evaluation, when a trust file's quorum decided the manifest.
    pub fn quorum(&self) -> Option<&crate::quorum::QuorumReport> {
        self.quorum.as_ref()
    }
    /// Whether every check passed.
    pub fn approved(&self) -> bool {
        self.reasons.is_empty()
    }
    /// The hash of the manifest that was evaluated.
    pub fn manifest_hash(&self) -> ManifestHash {
        self.manifest_hash
    }
    /// The matched action, if any.
    pub fn action(&self) -> Option<usize> {
        self.action
    }
    /// Reason codes of the failed checks, in table order.
    pub fn reasons(&self) -> &[Reason] {
        &self.reasons
    }
    /// Every evaluated check, in table order.
    pub fn checks(&self) -> &[CheckOutcome] {
        &self.checks
    }
    /// The `now` the verdict was evaluated at (unix seconds).
    pub fn evaluated_at(&self) -> u64 {
        self.evaluated_at
    }
    /// For an `execTransaction` matched to a Safe action: its signatures as the Safe reads them.
    pub fn safe_signers(&self) -> Option<&crate::safe_signatures::BlobReport> {
        self.safe_signers.as_ref()
    }
    /// The approval, when approved.
    pub fn approval(&self) -> Option<&Approval> {
        self.approval.as_ref()
    }

    /// Weighs what a signing request says about its signer before any device is asked (an
    /// ERC-4527 wallet names the account and the path it wants): a claim the approval does not
    /// allow refuses the verdict (`signer_mismatch`) and drops the approval, so the device is
    /// never reached. An allowed claim changes nothing: the device's own account is still bound
    /// by [`Verdict::bind`], whatever the request said. A verdict already refused is left alone.
    pub fn weigh_claim(mut self, claim: &SignerClaim) -> Verdict {
        let Some(approval) = &self.approval else {
            return self;
        };
        let detail = match claim {
            SignerClaim::Account(account) => {
                let anyone = matches!(approval.signable, Signable::ReleaseApproval(_));
                if anyone || approval.signers.contains(account) {
                    return self;
                }
                match approval.signable {
                    Signable::Transaction(_) => {
                        format!("the request is for account {account}; manifest executor {}", approval.signer)
                    }
                    Signable::SafeTx(_) | Signable::SafeTxEthSign(_) | Signable::ReleaseApproval(_) => {
                        format!(
                            "the request is for account {account}, not an owner of the Safe ({} owners)",
                            approval.signers.len()
                        )
                    }
                }
            }
            SignerClaim::PathOutsideApp(path) => format!(
                "the request's path {path} is not under m/44'/60' (the Ethereum app derives no other account)"
            ),
        };
        self.approval = None;
        self.checks.push(CheckOutcome {
            check: Check::Signer,
            ok: false,
            reason: Some(Reason::SignerMismatch),
            detail: detail.into(),
        });
        self.reasons.push(Reason::SignerMismatch);
        self
    }

    /// Weighs a containment of the verdict's manifest (a record in the signer's journal or in the
    /// bundle, `detail` saying which): the verdict is refused (`release_contained`) and its
    /// approval dropped, so nothing more of a release whose execution diverged is signed. `None`
    /// changes nothing, and neither does a record against a verdict already refused for its
    /// manifest's approval (that refusal stands alone).
    pub fn weigh_containment(mut self, detail: Option<String>) -> Verdict {
        let Some(detail) = detail else {
            return self;
        };
        // An unapproved manifest's refusal stands alone.
        let alone = [Reason::ManifestHashMismatch, Reason::ApprovalQuorumNotMet, Reason::RoleConflict];
        if self.reasons.iter().any(|r| alone.contains(r)) {
            return self;
        }
        self.approval = None;
        self.checks.push(CheckOutcome {
            check: Check::Containment,
            ok: false,
            reason: Some(Reason::ReleaseContained),
            detail: detail.into(),
        });
        if !self.reasons.contains(&Reason::ReleaseContained) {
            self.reasons.push(Reason::ReleaseContained);
            self.reasons.sort_unstable();
        }
        self
    }

    /// Binds the device account: the `signer` check compares it with the signer the approval
    /// holds. On a match the approval moves into the returned [`BoundApproval`]; on a mismatch
    /// the verdict is refused (`signer_mismatch`) and the approval is dropped. Either way the
    /// verdict no longer holds an approval: it can be bound once.
    pub fn bind(mut self, device_account: Address) -> (Verdict, Option<BoundApproval>) {
        let Some(mut approval) = self.approval.take() else {
            return (self, None);
        };
        let signer = approval.signer;
        // Any key may sign an approval of the manifest: whether it counts is the ceremony
        // laptop's trust file's to say.
        let anyone = matches!(approval.signable, Signable::ReleaseApproval(_));
        if anyone || approval.signers.contains(&device_account) {
            approval.signer = device_account;
            self.checks.push(CheckOutcome {
                check: Check::Signer,
                ok: true,
                reason: None,
                detail: if anyone {
                    format!(
                        "device account {device_account} signs as an approver (the ceremony's trust file says whether it counts)"
                    )
                } else {
                    format!("device account {device_account} is the signer the approval names")
                }
                .into(),
            });
            (self, Some(BoundApproval { approval }))
        } else {
            self.checks.push(CheckOutcome {
                check: Check::Signer,
                ok: false,
                reason: Some(Reason::SignerMismatch),
                detail: match approval.signable {
                    Signable::Transaction(_) => {
                        format!("device account {device_account}, manifest executor {signer}")
                    }
                    Signable::SafeTx(_) | Signable::SafeTxEthSign(_) | Signable::ReleaseApproval(_) => {
                        format!(
                            "device account {device_account} is not an owner of the Safe ({} owners)",
                            approval.signers.len()
                        )
                    }
                }
                .into(),
            });
            self.reasons.push(Reason::SignerMismatch);
            (self, None)
        }
    }
}

#[derive(Default)]
struct Outcomes {
    checks: Vec<CheckOutcome>,
    reasons: Vec<Reason>,
    /// The executor's signatures blob as the Safe reads it, when the tx is an `execTransaction`
    /// matched to a Safe action: who signed, shown in the call tree.
    safe_signers: Option<crate::safe_signatures::BlobReport>,
}

impl Outcomes {
    /// A verdict of these outcomes that matched no action (a refusal that stands alone, or an
    /// approval of the whole manifest).
    fn into_verdict(self, manifest_hash: ManifestHash, now: u64, approval: Option<Approval>) -> Verdict {
        Verdict {
            manifest_hash,
            action: None,
            reasons: self.reasons,
            checks: self.checks,
            evaluated_at: now,
            approval,
            safe_signers: None,
            quorum: None,
        }
    }

    fn pass(&mut self, check: Check, detail: impl Into<Detail>) {
        self.checks.push(CheckOutcome { check, ok: true, reason: None, detail: detail.into() });
    }
    fn fail(&mut self, reason: Reason, detail: impl Into<Detail>) {
        let detail = detail.into();
        self.checks.push(CheckOutcome { check: reason.check(), ok: false, reason: Some(reason), detail });
        if !self.reasons.contains(&reason) {
            self.reasons.push(reason);
        }
    }
}

/// Evaluates `proposal` against a manifest file opened with [`OpenedManifest::open`]: an
/// unapproved file is refused with `manifest_hash_mismatch` alone, without being decoded.
pub fn check_opened(
    manifest: &OpenedManifest,
    approved_hash: ManifestHash,
    proposal: &Proposal,
    now: u64,
) -> Verdict {
    match manifest {
        OpenedManifest::Approved(loaded) => check(loaded, approved_hash, proposal, now),
        OpenedManifest::NotApproved { hash } => not_approved(*hash, approved_hash, now),
    }
}

/// [`check_opened`] with what the simulation gate was given.
pub fn check_opened_gated(
    manifest: &OpenedManifest,
    approved_hash: ManifestHash,
    proposal: &Proposal,
    now: u64,
    gate: &Gate,
) -> Verdict {
    match manifest {
        OpenedManifest::Approved(loaded) => check_gated(loaded, approved_hash, proposal, now, gate),
        OpenedManifest::NotApproved { hash } => not_approved(*hash, approved_hash, now),
    }
}

/// The verdict on a manifest whose hash is not the approved one: `manifest_hash_mismatch` alone,
/// whatever is proposed (so a caller that cannot even complete the proposal without an approved
/// manifest still refuses as `check` does). It never holds an approval.
pub fn manifest_not_approved(hash: ManifestHash, approved_hash: ManifestHash, now: u64) -> Verdict {
    not_approved(hash, approved_hash, now)
}

fn not_approved(hash: ManifestHash, approved_hash: ManifestHash, now: u64) -> Verdict {
    let mut out = Outcomes::default();
    out.fail(
        Reason::ManifestHashMismatch,
        format!("manifest hash {hash} is not the approved hash {approved_hash}"),
    );
    out.into_verdict(hash, now, None)
}

/// Evaluates `proposal` against `manifest` at `now` (unix seconds), given the hash governance
/// approved, with no witness: an action the simulation gate applies to is `witness_missing`.
pub fn check(
    manifest: &LoadedManifest,
    approved_hash: ManifestHash,
    proposal: &Proposal,
    now: u64,
) -> Verdict {
    check_gated(manifest, approved_hash, proposal, now, &Gate::Missing)
}

/// [`check`] with what the simulation gate was given (a replay's observations, or why there
/// are none); the gate is judged only for an action it applies to.
pub fn check_gated(
    manifest: &LoadedManifest,
    approved_hash: ManifestHash,
    proposal: &Proposal,
    now: u64,
    gate: &Gate,
) -> Verdict {
    let tx = proposal.tx();
    let mut out = Outcomes::default();
    let hash = manifest.hash();
    if hash != approved_hash {
        return not_approved(hash, approved_hash, now);
    }
    out.pass(Check::ManifestHash, Detail::approved_hash(hash));
    let m = manifest.manifest();

    match tx.chain_id() {
        None => out.fail(
            Reason::MissingChainId,
            String::from("legacy transaction without EIP-155 replay protection"),
        ),
        Some(0) => out.fail(Reason::MissingChainId, String::from("transaction chain id is 0")),
        Some(chain) if chain != m.chain_id => {
            out.fail(Reason::ChainIdMismatch, format!("tx chain {chain}, manifest chain {}", m.chain_id))
        }
        Some(chain) => out.pass(Check::ChainId, Detail::chain_is(chain)),
    }

    let matched =
        // Only call actions: a direct call of a Safe action's inner target is not that action.
        tx.to().and_then(|to| {
            m.actions
                .iter()
                .position(|a| a.kind == ActionKind::Call && a.to == to && a.data.as_slice() == tx.input())
        });
    // Only when no call action is the transaction: `execTransaction` on a manifest Safe is
    // matched against that Safe's actions, every SafeTx field, its nonce the action's.
    let execution = match matched {
        None => exec::execution(m, proposal),
        Some(_) => None,
    };
    let matched = matched.or_else(|| execution.as_ref().and_then(|e| e.action));
    let action = matched.and_then(|i| m.actions.get(i));

    check_tx_type(&mut out, tx, action);
    check_targets(&mut out, manifest, proposal);
    if let Some(execution) = &execution {
        exec::check_delegatecalls(&mut out, m, proposal, execution);
    }

    check_canonical(&mut out, proposal.calls());

    match (matched, action, &execution) {
        (Some(index), Some(action), Some(execution)) => {
            exec::check_safe_action(&mut out, m, tx, index, action, execution);
        }
        (Some(index), Some(action), None) => {
            out.pass(Check::Payload, Detail::matches(index, &action.name));
            check_value(&mut out, tx, action.value);
            check_nonce(&mut out, tx, action.nonce);
            check_gas_and_fees(&mut out, tx, action);
        }
        (_, _, Some(execution)) => out.fail(
            Reason::SafeTxNotApproved,
            format!(
                "execTransaction on Safe {}: no Safe action of it has exactly these SafeTx fields",
                execution.safe
            ),
        ),
        _ => out.fail(
            Reason::PayloadNotApproved,
            String::from("no approved action has this exact (to, calldata)"),
        ),
    }

    check_window(&mut out, m, now);
    if let (Some(execution), Some(index), Some(action)) = (&execution, matched, action) {
        exec::check_signatures(&mut out, m, index, action, execution);
    }
    check_witness(&mut out, m, action, gate);

    if let Some(signature) = tx.signature() {
        // A signed transaction was signed by someone: only the executor may have done it.
        match signature.recover_address_from_prehash(&tx.signing_hash()) {
            Ok(sender) if sender == m.executor => {
                out.pass(Check::Signer, format!("signed by {sender}, the manifest executor"))
            }
            Ok(sender) => out.fail(
                Reason::SignerMismatch,
                format!("signed by {sender}, manifest executor {}", m.executor),
            ),
            Err(_) => out.fail(
                Reason::SignerMismatch,
                format!("the signature recovers no sender; manifest executor {}", m.executor),
            ),
        }
    }

    finish(out, manifest, matched, proposal, now)
}

fn check_tx_type(out: &mut Outcomes, tx: &DecodedTx, action: Option<&Action>) {
    let mut problems: Vec<&'static str> = Vec::new();
    if tx.to().is_none() {
        problems.push("contract creation");
    }
    if tx.tx_type() == TxType::Eip4844 {
        problems.push("EIP-4844 blob transaction");
    }
    if let Some(action) = action {
        let carried: Vec<AuthorizationBound> = tx
            .authorizations()
            .iter()
            .map(|a| AuthorizationBound { chain_id: a.chain_id, address: a.address, nonce: a.nonce })
            .collect();
        if tx.tx_type() == TxType::Eip7702 && action.authorizations.is_empty() {
            // Even an empty list: a type-4 transaction matches only an action that names its
            // authorizations (docs/decisions.md).
            problems.push("EIP-7702 transaction, and the action names no authorizations");
        } else if tx.tx_type() == TxType::Eip7702 && carried != action.authorizations {
            problems.push("EIP-7702 authorization list is not the one the action names");
        } else if tx.tx_type() != TxType::Eip7702 && !action.authorizations.is_empty() {
            problems.push("the action names EIP-7702 authorizations; this is not a 7702 transaction");
        }
    }
    if problems.is_empty() {
        out.pass(Check::TxType, Detail::tx_type_is(tx.tx_type()));
    } else {
        out.fail(Reason::TxTypeNotAllowed, problems.join("; "));
    }
}

fn check_targets(out: &mut Outcomes, manifest: &LoadedManifest, proposal: &Proposal) {
    let m = manifest.manifest();
    if let Some(to) = proposal.tx().to() {
        if m.is_allowed(&to) {
            out.pass(Check::Targets, Detail::tx_to_allowed(to));
        } else {
            out.fail(Reason::TargetNotAllowed, format!("tx to {to} is not in allowed_targets"));
        }
    }
    let mut outside: Vec<Address> =
        proposal.calls().reached_addresses().into_iter().filter(|a| !m.is_allowed(a)).collect();
    outside.sort_unstable();
    outside.dedup();
    if outside.is_empty() {
        out.pass(Check::Targets, Detail::fixed("every inner call and new implementation is allowed"));
    } else {
        let list: Vec<String> = outside.iter().map(|a| format!("{a}")).collect();
        out.fail(
            Reason::NestedTargetNotAllowed,
            format!("inner call or new implementation outside allowed_targets: {}", list.join(", ")),
        );
    }
}

fn check_value(out: &mut Outcomes, tx: &DecodedTx, expected: U256) {
    if tx.value() == expected {
        out.pass(Check::Value, Detail::value_is(tx.value()));
    } else {
        out.fail(Reason::ValueMismatch, format!("tx value {} wei, action value {expected} wei", tx.value()));
    }
}

fn check_nonce(out: &mut Outcomes, tx: &DecodedTx, bound: Option<u64>) {
    match bound {
        Some(n) if n != tx.nonce() => {
            out.fail(Reason::NonceMismatch, format!("tx nonce {}, action nonce {n}", tx.nonce()))
        }
        Some(n) => out.pass(Check::Nonce, Detail::nonce(n, true)),
        None => out.pass(Check::Nonce, Detail::nonce(tx.nonce(), false)),
    }
}

fn check_gas_and_fees(out: &mut Outcomes, tx: &DecodedTx, action: &Action) {
    match action.gas_limit_max {
        Some(cap) if tx.gas_limit() > cap => {
            out.fail(Reason::GasAboveCap, format!("gas limit {} above the cap {cap}", tx.gas_limit()))
        }
        Some(cap) => out.pass(Check::Gas, Detail::gas(tx.gas_limit(), Some(cap))),
        None => out.pass(Check::Gas, Detail::gas(tx.gas_limit(), None)),
    }
    let mut over: Vec<String> = Vec::new();
    let max_fee = tx.gas_price().or(tx.max_fee_per_gas());
    let max_fee_name = if tx.gas_price().is_some() { "gasPrice" } else { "maxFeePerGas" };
    if let (Some(fee), Some(cap)) = (max_fee, action.max_fee_per_gas_max)
        && fee > cap
    {
        over.push(format!("{max_fee_name} {fee} above the cap {cap}"));
    }
    // A legacy or EIP-2930 gasPrice is the whole price per gas, tip included: a priority cap
    // alone cannot bound it, so an action that caps any fee must cap it through the max fee.
    if let (Some(price), None, Some(_)) =
        (tx.gas_price(), action.max_fee_per_gas_max, action.max_priority_fee_per_gas_max)
    {
        over.push(format!(
            "gasPrice {price} is unbounded: the action caps only maxPriorityFeePerGas, which does not \
             bound a {} gasPrice (it needs max_fee_per_gas_max)",
            tx.tx_type().name()
        ));
    }
    if let (Some(fee), Some(cap)) = (tx.max_priority_fee_per_gas(), action.max_priority_fee_per_gas_max)
        && fee > cap
    {
        over.push(format!("maxPriorityFeePerGas {fee} above the cap {cap}"));
    }
    if over.is_empty() {
        let capped = action.max_fee_per_gas_max.is_some() || action.max_priority_fee_per_gas_max.is_some();
        let detail = if capped { "fees within the caps" } else { "fees (no caps)" };
        out.pass(Check::Fees, Detail::fixed(detail));
    } else {
        out.fail(Reason::FeeAboveCap, over.join("; "));
    }
}

/// Now against the release window.
fn check_window(out: &mut Outcomes, m: &crate::manifest::Manifest, now: u64) {
    if now < m.not_before {
        out.fail(
            Reason::WindowNotOpen,
            format!("now {} is before not_before {}", Utc(now), Utc(m.not_before)),
        );
    } else if now >= m.expires_at {
        out.fail(
            Reason::WindowExpired,
            format!("now {} is at or after expires_at {}", Utc(now), Utc(m.expires_at)),
        );
    } else {
        out.pass(Check::Window, Detail::in_window(now, m.not_before, m.expires_at));
    }
}

/// The simulation gate, for an action it applies to (it expects effects, or the manifest names
/// code or authority): judged on what the gate was given. An action it does not apply to adds
/// no check.
fn check_witness(out: &mut Outcomes, m: &crate::manifest::Manifest, action: Option<&Action>, gate: &Gate) {
    if let Some(action) = action
        && m.needs_witness(action)
    {
        gate::judge(out, m, action, gate);
    }
}

/// Every node of the tree canonical, or the first that is not.
fn check_canonical(out: &mut Outcomes, calls: &CallNode) {
    match first_non_canonical(calls, 0) {
        Some((depth, function)) => out.fail(
            Reason::CalldataNotCanonical,
            format!(
                "calldata of {} at depth {depth} is not the exact ABI encoding of its arguments",
                function.unwrap_or("an unknown call")
            ),
        ),
        None => out.pass(Check::Calldata, Detail::fixed("every call's calldata is canonical")),
    }
}

/// The depth and function of the first non-canonical node, depth first.
fn first_non_canonical(node: &CallNode, depth: usize) -> Option<(usize, Option<&'static str>)> {
    if !node.canonical {
        return Some((depth, node.function));
    }
    node.children.iter().find_map(|child| first_non_canonical(child, depth.saturating_add(1)))
}

fn finish(
    out: Outcomes,
    manifest: &LoadedManifest,
    matched: Option<usize>,
    proposal: &Proposal,
    now: u64,
) -> Verdict {
    let tx = proposal.tx();
    let approval = match (out.reasons.is_empty(), matched) {
        (true, Some(action)) => {
            let m = manifest.manifest();
            m.actions.get(action).map(|a| Approval {
                manifest_hash: manifest.hash(),
                action: Some(action),
                action_name: Zeroizing::new(a.name.clone()),
                signer: m.executor,
                signers: alloc::vec![m.executor],
                signing_hash: tx.signing_hash(),
                signable: Signable::Transaction(TxSignable {
                    payload: tx.shared_payload(),
                    tx_type: tx.tx_type(),
                    chain_id: m.chain_id,
                    has_calldata: !tx.input().is_empty(),
                }),
                replaceable: a.replaceable,
            })
        }
        _ => None,
    };
    let mut reasons = out.reasons;
    reasons.sort_unstable();
    Verdict {
        manifest_hash: manifest.hash(),
        action: matched,
        reasons,
        checks: out.checks,
        evaluated_at: now,
        approval,
        safe_signers: out.safe_signers,
        quorum: None,
    }
}

mod approvals;
mod detail;
mod exec;
mod execution;
mod release;
mod safe;
pub use approvals::{quorum_not_met, role_conflict, with_quorum};
pub use detail::Detail;
pub use execution::{Executed, check_execution, execution_unproven};
pub use release::check_release_approval;
pub use safe::{
    SafeTxProposal, check_safe_tx, check_safe_tx_gated, check_safe_tx_opened, check_safe_tx_opened_gated,
};

#[cfg(test)]
mod tests;
