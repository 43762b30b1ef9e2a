//! The release manifest: what may be signed, by whom, on which chain, when, and how it is undone.
//!
//! A [`Manifest`] is the decoded model. It only becomes trustworthy as a [`LoadedManifest`]: the
//! canonical bytes it came from, their hash, and proof that every validity rule of the spec holds.
//! Both the authoring path (`manifest build`) and every reader go through [`Manifest::validate`],
//! so a manifest that one side accepts the other cannot refuse.

mod canonical;
pub mod effects;

use alloc::collections::BTreeSet;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use alloy_primitives::{Address, B256, U256, keccak256};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::calls::{self, CallNode, CallTreeError, Operation};
use crate::limits;
use crate::safe_tx::SafeVersion;
pub use crate::text::is_deceptive_char;
pub use effects::{Authority, AuthorityCall, Expect, ExpectedCode, ExpectedEvent, ExpectedSlot};

/// The format string every v1 manifest carries; any other value is refused, never guessed.
pub const FORMAT_V1: &str = "bounded-signer/manifest/v1";

/// keccak256 of a manifest's canonical bytes: the value governance approves.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ManifestHash(pub B256);

impl fmt::Display for ManifestHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}", self.0)
    }
}

impl fmt::Debug for ManifestHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ManifestHash({:#x})", self.0)
    }
}

/// What an action approves. The key was written from v1's first manifests, so Safe actions came
/// without a format change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ActionKind {
    /// A transaction the executor signs and sends itself.
    Call,
    /// A Safe transaction of one of the manifest's Safes, which its owners sign (EIP-712) and
    /// the executor then sends through `execTransaction`.
    Safe,
}

impl ActionKind {
    /// The text written in the manifest.
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Call => "call",
            ActionKind::Safe => "safe",
        }
    }

    /// Parses the manifest text; `None` for kinds this version does not know.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "call" => Some(ActionKind::Call),
            "safe" => Some(ActionKind::Safe),
            _ => None,
        }
    }
}

/// A Safe the release goes through: its version (which fixes its transaction hash), who owns
/// it, and what it may DELEGATECALL.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct SafeDecl {
    /// The Safe's address.
    pub address: Address,
    /// Its contract version.
    pub version: SafeVersion,
    /// Whether it is the `+L2` singleton (hashed alike; shown as declared).
    pub l2: bool,
    /// Its owners, strictly ascending.
    pub owners: Vec<Address>,
    /// Signatures its transactions need (1 ..= owners).
    pub threshold: u64,
    /// Targets a DELEGATECALL in this Safe's context may reach, strictly ascending (default none).
    pub delegatecall_allowed: Vec<Address>,
    /// Another manifest Safe this one is an owner of (nested Safes), if any.
    pub owned_by: Option<Address>,
}

impl SafeDecl {
    /// The version as declared (`1.4.1`, `1.3.0+L2`).
    pub fn version_text(&self) -> String {
        let mut text = String::from(self.version.as_str());
        if self.l2 {
            text.push_str("+L2");
        }
        text
    }
}

/// A Safe action's SafeTx fields beyond (to, value, data) and the Safe nonce (the action's
/// `nonce`): all zero but the Safe unless the release says otherwise.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct SafeActionFields {
    /// The manifest Safe that executes it.
    pub safe: Address,
    /// 0 call, 1 delegatecall.
    pub operation: u8,
    /// `safeTxGas`.
    pub safe_tx_gas: U256,
    /// `baseGas` (`dataGas` in 0.1.0).
    pub base_gas: U256,
    /// `gasPrice` of the refund.
    pub gas_price: U256,
    /// The refund's token (zero: ether).
    pub gas_token: Address,
    /// Who receives the refund (zero: the executor).
    pub refund_receiver: Address,
    /// For an inner Safe's action that calls `approveHash(h)` on the Safe it owns: the index of
    /// that outer Safe's action whose safeTxHash is `h` (key 19, written only when set). The
    /// outer Safe's approved-hash entry for this Safe then counts.
    pub approves: Option<u64>,
}

/// One EIP-7702 authorization an action allows its transaction to carry (the signed tuple's
/// unsigned part; the signature itself is not bound).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuthorizationBound {
    /// Chain id the authorization is valid on (0 = any chain).
    pub chain_id: U256,
    /// The delegate whose code the authority account will run.
    pub address: Address,
    /// The authority's nonce at which the authorization applies.
    pub nonce: u64,
}

/// One transaction the executor may sign.
#[derive(Clone, PartialEq, Eq)]
pub struct Action {
    /// Unique name shown to signers and journaled with the signature.
    pub name: String,
    /// What kind of signature this action approves.
    pub kind: ActionKind,
    /// The exact target of the transaction.
    pub to: Address,
    /// The exact value in wei.
    pub value: U256,
    /// The exact calldata.
    pub data: Vec<u8>,
    /// The executor's account nonce, when the release binds it.
    pub nonce: Option<u64>,
    /// Upper bound on the gas limit.
    pub gas_limit_max: Option<u64>,
    /// Upper bound on maxFeePerGas, and on gasPrice of legacy and EIP-2930 transactions.
    pub max_fee_per_gas_max: Option<u128>,
    /// Upper bound on maxPriorityFeePerGas.
    pub max_priority_fee_per_gas_max: Option<u128>,
    /// The exact EIP-7702 authorization list allowed; empty means no 7702 transaction.
    pub authorizations: Vec<AuthorizationBound>,
    /// Whether a stuck transaction of this action may be replaced by one that pays more (the
    /// journal's replacement rule), without a second approval. Key 10, written only when true.
    pub replaceable: bool,
    /// Human-readable function signatures (`function initializeV2(uint256)`) that name calls in
    /// this action's tree no built-in decoder knows. Key 11, written only when not empty.
    pub abi: Vec<String>,
    /// For a Safe action: owners whose approved-hash entry (v = 1) counts in the executor's
    /// signatures blob, relying on an `approveHash` each made on chain, which this tool cannot
    /// see. Key 20, strictly ascending, written only when not empty.
    pub approved_hashes: Vec<Address>,
    /// A Safe action's Safe and SafeTx fields (keys 12–18, each written only when not its
    /// default); `None` for a call action. For a Safe action, `to`, `value` and `data` are the
    /// Safe transaction's and `nonce` is the Safe nonce.
    pub safe_tx: Option<SafeActionFields>,
    /// What the action must do to chain state (key 21, written only when not empty).
    pub expect: Expect,
    /// What `manifest build` found of the upgrade's storage layouts (key 22, written only when
    /// the action names them).
    pub layout: Option<LayoutRecord>,
}

/// The storage layouts of an upgrade an action makes, as `manifest build` compared them
/// (`layout check`): both layouts' digests, whether the new keeps the old, and why governance
/// allows it when it does not. Key 22: `[old_digest bytes(32), new_digest bytes(32),
/// compatible bool, allow_layout_change text]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayoutRecord {
    /// keccak256 of the old implementation's normalized layout.
    pub old_digest: B256,
    /// Of the new one's.
    pub new_digest: B256,
    /// Whether the new layout keeps the old.
    pub compatible: bool,
    /// Why an incompatible pair is released anyway (empty: no reason given).
    pub allowed_change: String,
}

impl SafeActionFields {
    /// A Safe action through `safe` with every other field at its default (a call, no refund).
    pub fn through(safe: Address) -> Self {
        SafeActionFields {
            safe,
            operation: 0,
            safe_tx_gas: U256::ZERO,
            base_gas: U256::ZERO,
            gas_price: U256::ZERO,
            gas_token: Address::ZERO,
            refund_receiver: Address::ZERO,
            approves: None,
        }
    }
}

impl Action {
    /// How the action's call runs: a Safe action with operation 1 delegatecalls its target.
    pub fn operation(&self) -> Operation {
        match self.safe_tx {
            Some(s) if s.operation == 1 => Operation::DelegateCall,
            _ => Operation::Call,
        }
    }

    /// A Safe action's whole SafeTx (its nonce included); `None` for a call action.
    pub fn safe_tx_fields(&self) -> Option<crate::safe_tx::SafeTxFields> {
        let s = self.safe_tx?;
        Some(crate::safe_tx::SafeTxFields {
            to: self.to,
            value: self.value,
            data: alloy_primitives::Bytes::copy_from_slice(&self.data),
            operation: s.operation,
            safe_tx_gas: s.safe_tx_gas,
            base_gas: s.base_gas,
            gas_price: s.gas_price,
            gas_token: s.gas_token,
            refund_receiver: s.refund_receiver,
            nonce: U256::from(self.nonce.unwrap_or_default()),
        })
    }
}

impl Zeroize for Action {
    fn zeroize(&mut self) {
        self.name.zeroize();
        self.to.0.0.zeroize();
        self.value = U256::ZERO;
        self.data.zeroize();
        self.nonce.zeroize();
        self.gas_limit_max.zeroize();
        self.max_fee_per_gas_max.zeroize();
        self.max_priority_fee_per_gas_max.zeroize();
        for auth in &mut self.authorizations {
            auth.address.0.0.zeroize();
            auth.chain_id = U256::ZERO;
            auth.nonce.zeroize();
        }
        self.authorizations.clear();
        for entry in &mut self.abi {
            entry.zeroize();
        }
        self.abi.clear();
        for owner in &mut self.approved_hashes {
            owner.0.0.zeroize();
        }
        self.approved_hashes.clear();
        if let Some(s) = &mut self.safe_tx {
            s.safe.0.0.zeroize();
            s.operation.zeroize();
            s.safe_tx_gas = U256::ZERO;
            s.base_gas = U256::ZERO;
            s.gas_price = U256::ZERO;
            s.gas_token.0.0.zeroize();
            s.refund_receiver.0.0.zeroize();
            s.approves = None;
        }
        self.safe_tx = None;
        self.expect.zeroize();
    }
}

impl Drop for Action {
    fn drop(&mut self) {
        self.zeroize();
    }
}

impl ZeroizeOnDrop for Action {}

impl fmt::Debug for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Action")
            .field("name", &self.name)
            .field("to", &self.to)
            .field("calldata_len", &self.data.len())
            .finish_non_exhaustive()
    }
}

/// The planned way back: the hash of an approved rollback manifest.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Rollback {
    /// Hash of the rollback release's manifest.
    pub manifest_hash: B256,
    /// Free text for signers; empty when the author gave none.
    pub note: String,
}

/// The decoded release manifest. Construct it by authoring (then [`Manifest::validate`]) or by
/// [`LoadedManifest::from_canonical_bytes`]; the canonical bytes are the only identity it has.
#[derive(Clone, PartialEq, Eq)]
pub struct Manifest {
    /// Free text shown to signers.
    pub release: String,
    /// The only chain the release may be signed for.
    pub chain_id: u64,
    /// The only account allowed to sign.
    pub executor: Address,
    /// Unix seconds; signing opens at this instant.
    pub not_before: u64,
    /// Unix seconds; signing is closed from this instant on.
    pub expires_at: u64,
    /// Every address that is called, or becomes code, at any depth; sorted and deduplicated.
    pub allowed_targets: Vec<Address>,
    /// Names shown next to addresses; sorted by address, one per address.
    pub labels: Vec<(Address, String)>,
    /// The planned reverse path.
    pub rollback: Rollback,
    /// The approved transactions, in the order matching tries them.
    pub actions: Vec<Action>,
    /// The Safes the release goes through, strictly ascending by address.
    pub safes: Vec<SafeDecl>,
    /// How old, at most, the state a simulation runs on may be (seconds; key 11, written only
    /// when not [`effects::DEFAULT_MAX_STATE_AGE`]).
    pub max_state_age: u64,
    /// Code that becomes reachable and its hash, strictly ascending by address (key 12).
    pub code: Vec<ExpectedCode>,
    /// The chain of control that must hold before and after every action, in the author's
    /// order (key 13).
    pub authority: Vec<Authority>,
}

impl Zeroize for Manifest {
    fn zeroize(&mut self) {
        self.release.zeroize();
        self.chain_id.zeroize();
        self.executor.0.0.zeroize();
        self.not_before.zeroize();
        self.expires_at.zeroize();
        for target in &mut self.allowed_targets {
            target.0.0.zeroize();
        }
        self.allowed_targets.clear();
        for (address, label) in &mut self.labels {
            address.0.0.zeroize();
            label.zeroize();
        }
        self.labels.clear();
        self.rollback.manifest_hash.0.zeroize();
        self.rollback.note.zeroize();
        for action in &mut self.actions {
            action.zeroize();
        }
        self.actions.clear();
        for safe in &mut self.safes {
            safe.address.0.0.zeroize();
            for a in safe.owners.iter_mut().chain(safe.delegatecall_allowed.iter_mut()) {
                a.0.0.zeroize();
            }
            safe.threshold.zeroize();
        }
        self.safes.clear();
        self.max_state_age.zeroize();
        for code in &mut self.code {
            code.zeroize();
        }
        self.code.clear();
        for entry in &mut self.authority {
            entry.zeroize();
        }
        self.authority.clear();
    }
}

impl Drop for Manifest {
    fn drop(&mut self) {
        self.zeroize();
    }
}

impl ZeroizeOnDrop for Manifest {}

impl fmt::Debug for Manifest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Manifest")
            .field("release", &self.release)
            .field("chain_id", &self.chain_id)
            .field("executor", &self.executor)
            .field("actions", &self.actions.len())
            .finish_non_exhaustive()
    }
}

/// The targets of DELEGATECALLs that run in a Safe's own context: the Safe transaction's, when
/// it is one, and within a delegatecalled MultiSend its entries' (and so on down); an upgrade's
/// initializer delegatecall runs in the proxy's context, not the Safe's.
pub fn safe_context_delegatecalls(root: &CallNode) -> Vec<Address> {
    let mut out = Vec::new();
    let mut stack = alloc::vec![root];
    while let Some(node) = stack.pop() {
        if node.operation != Operation::DelegateCall {
            continue;
        }
        out.extend(node.to);
        if node.selector == Some(calls::MULTI_SEND_SELECTOR) {
            stack.extend(node.children.iter());
        }
    }
    out
}

/// Where in a manifest a problem is: `actions[3].data`, `rollback.manifest_hash`, `labels[0]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    /// Top-level key.
    pub name: &'static str,
    /// Index into a top-level list, when the key is one.
    pub index: Option<usize>,
    /// Key inside that entry.
    pub sub: Option<&'static str>,
}

impl Field {
    /// A top-level field.
    pub const fn top(name: &'static str) -> Self {
        Field { name, index: None, sub: None }
    }

    /// An entry of a top-level list.
    pub const fn item(name: &'static str, index: usize) -> Self {
        Field { name, index: Some(index), sub: None }
    }

    /// A key inside an entry of a top-level list (or inside a top-level map).
    pub const fn sub(self, sub: &'static str) -> Self {
        Field { sub: Some(sub), ..self }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)?;
        if let Some(index) = self.index {
            write!(f, "[{index}]")?;
        }
        if let Some(sub) = self.sub {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

/// Why a manifest was refused. Every variant names the field; decoding errors also the offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ManifestError {
    /// What is wrong.
    pub kind: ManifestErrorKind,
    /// Where, by field, when known.
    pub field: Option<Field>,
    /// Where, by byte offset into the CBOR, when the problem was found while decoding.
    pub offset: Option<usize>,
}

impl ManifestError {
    pub(crate) const fn at(kind: ManifestErrorKind, field: Field) -> Self {
        ManifestError { kind, field: Some(field), offset: None }
    }
}

/// The kinds of manifest problems; `Display` words them for people.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ManifestErrorKind {
    /// The file is larger than [`limits::MAX_MANIFEST_BYTES`].
    TooLarge {
        /// Bytes in the input.
        len: usize,
    },
    /// The bytes are not well-formed CBOR.
    MalformedCbor,
    /// The CBOR ends before the item does.
    Truncated,
    /// A CBOR item has another type than the schema wants.
    UnexpectedType {
        /// What the schema wants.
        expected: &'static str,
    },
    /// A map key the schema does not define.
    UnknownKey {
        /// The key read.
        key: u64,
    },
    /// A key the schema requires is absent.
    MissingKey,
    /// The format string is not one this version reads.
    UnknownFormat,
    /// An action kind this version does not know.
    UnknownActionKind,
    /// A Safe action names a Safe the manifest does not declare.
    SafeNotDeclared {
        /// The Safe named.
        address: Address,
    },
    /// A Safe field on a call action, or a call field a Safe action cannot have.
    NotForThisKind,
    /// A Safe action without the Safe nonce.
    SafeNonceMissing,
    /// A Safe declaration breaks a rule (owners, threshold, version, nesting).
    BadSafe {
        /// Which rule.
        rule: &'static str,
    },
    /// A DELEGATECALL in a Safe's context to a target the Safe's `delegatecall_allowed` lacks.
    DelegatecallNotAllowed {
        /// The target.
        address: Address,
    },
    /// A byte string has the wrong length.
    WrongLength {
        /// The length the schema wants.
        expected: usize,
    },
    /// A text field is not UTF-8.
    InvalidUtf8,
    /// A text field is longer than its limit.
    TextTooLong {
        /// The limit in bytes.
        max: usize,
    },
    /// A number does not fit its field.
    NumberTooLarge,
    /// A list is longer than its limit.
    TooMany {
        /// The limit.
        max: usize,
    },
    /// Bytes follow the manifest.
    TrailingBytes,
    /// The bytes decode, but are not the canonical encoding of what they decode to.
    NotCanonical,
    /// `not_before` is not before `expires_at`.
    EmptyWindow,
    /// The rollback reference is the zero hash: a rollback that names nothing.
    RollbackMissing,
    /// An action's storage layouts are incompatible and no `allow_layout_change` says why.
    LayoutChangeNotAllowed,
    /// The manifest approves no action.
    NoActions,
    /// The executor is the zero address.
    ZeroExecutor,
    /// The chain id is zero.
    ZeroChainId,
    /// Two actions share a name.
    DuplicateActionName,
    /// Two actions share (to, data, value, nonce).
    DuplicateAction,
    /// An action's `to` is not in `allowed_targets`.
    TargetNotAllowed {
        /// The address.
        address: Address,
    },
    /// A call target or new implementation inside an action's call tree is not allowed.
    NestedTargetNotAllowed {
        /// The address.
        address: Address,
    },
    /// An action's calldata is not the exact ABI encoding of its arguments.
    CalldataNotCanonical,
    /// An action's call tree could not be decoded.
    CallTree(CallTreeError),
    /// Two labels name the same address.
    DuplicateLabel,
    /// A text field holds a control, bidirectional or invisible format character.
    ControlCharacter,
    /// An entry of the simulation gate (`max_state_age`, `code`, `authority`, `expect`) breaks
    /// a rule.
    BadEffect {
        /// Which rule.
        rule: &'static str,
    },
}

impl fmt::Display for ManifestErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ManifestErrorKind as K;
        match self {
            K::TooLarge { len } => {
                write!(f, "manifest is {len} bytes, more than the {} byte limit", limits::MAX_MANIFEST_BYTES)
            }
            K::MalformedCbor => f.write_str("malformed CBOR"),
            K::Truncated => f.write_str("CBOR ends in the middle of an item"),
            K::UnexpectedType { expected } => write!(f, "expected {expected}"),
            K::UnknownKey { key } => write!(f, "unknown key {key}"),
            K::MissingKey => f.write_str("required key is missing"),
            K::UnknownFormat => write!(f, "unknown manifest format (this tool reads {FORMAT_V1:?})"),
            K::UnknownActionKind => f.write_str("unknown action kind (v1 knows \"call\" and \"safe\")"),
            K::SafeNotDeclared { address } => write!(f, "Safe {address} is not one of the manifest's safes"),
            K::NotForThisKind => f.write_str("this key is not one of this action kind's"),
            K::SafeNonceMissing => f.write_str("a Safe action needs the Safe nonce (nonce)"),
            K::BadSafe { rule } => f.write_str(rule),
            K::DelegatecallNotAllowed { address } => write!(
                f,
                "a DELEGATECALL in the Safe's context reaches {address}, which is not in its delegatecall_allowed"
            ),
            K::WrongLength { expected } => write!(f, "expected {expected} bytes"),
            K::InvalidUtf8 => f.write_str("text is not valid UTF-8"),
            K::TextTooLong { max } => write!(f, "text longer than {max} bytes"),
            K::NumberTooLarge => f.write_str("number too large for this field"),
            K::TooMany { max } => write!(f, "more than {max} entries"),
            K::TrailingBytes => f.write_str("bytes follow the end of the manifest"),
            K::NotCanonical => {
                f.write_str("not the canonical encoding (RFC 8949 core deterministic, normalized manifest)")
            }
            K::EmptyWindow => f.write_str("not_before must be earlier than expires_at"),
            K::RollbackMissing => {
                f.write_str("rollback.manifest_hash must name the approved rollback manifest")
            }
            K::LayoutChangeNotAllowed => f.write_str(
                "the new implementation's storage layout does not keep the old one's, and no allow_layout_change says why",
            ),
            K::NoActions => f.write_str("the manifest approves no action"),
            K::ZeroExecutor => f.write_str("the executor is the zero address"),
            K::ZeroChainId => f.write_str("chain_id must not be 0"),
            K::DuplicateActionName => f.write_str("another action has the same name"),
            K::DuplicateAction => {
                f.write_str("another action has the same (kind, safe, to, data, value, nonce)")
            }
            K::TargetNotAllowed { address } => {
                write!(f, "{} is not in allowed_targets", address.to_checksum(None))
            }
            K::NestedTargetNotAllowed { address } => write!(
                f,
                "the call tree reaches {}, which is not in allowed_targets",
                address.to_checksum(None)
            ),
            K::CalldataNotCanonical => f.write_str("calldata is not the exact ABI encoding of its arguments"),
            K::CallTree(e) => write!(f, "calldata: {e}"),
            K::DuplicateLabel => f.write_str("another label names the same address"),
            K::ControlCharacter => {
                f.write_str("text holds a control, bidirectional or invisible format character")
            }
            K::BadEffect { rule } => f.write_str(rule),
        }
    }
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.field, self.offset) {
            (Some(field), Some(offset)) => write!(f, "{field} (byte {offset}): {}", self.kind),
            (Some(field), None) => write!(f, "{field}: {}", self.kind),
            (None, Some(offset)) => write!(f, "byte {offset}: {}", self.kind),
            (None, None) => write!(f, "{}", self.kind),
        }
    }
}

impl core::error::Error for ManifestError {}

fn check_text(text: &str, max: usize, field: Field) -> Result<(), ManifestError> {
    if text.len() > max {
        return Err(ManifestError::at(ManifestErrorKind::TextTooLong { max }, field));
    }
    if text.chars().any(is_deceptive_char) {
        return Err(ManifestError::at(ManifestErrorKind::ControlCharacter, field));
    }
    Ok(())
}

impl Manifest {
    /// Sorts and deduplicates what the canonical form keeps sorted, so the same release always
    /// compiles to the same bytes whatever order its author wrote.
    pub fn normalize(&mut self) {
        self.allowed_targets.sort_unstable();
        self.allowed_targets.dedup();
        self.labels.sort_by_key(|(address, _)| *address);
        self.code.sort_by_key(|c| c.address);
        for action in &mut self.actions {
            action.expect.slots.sort_unstable();
        }
    }

    /// Checks every validity rule of the spec, decoding each action's call tree (and dropping it:
    /// only `manifest show` needs the trees, and it decodes them again, so a loaded manifest does
    /// not carry a second copy of every action's calldata per wrapper level).
    ///
    /// Authoring and reading both call this, so the rules live in one place.
    pub fn validate(&self) -> Result<(), ManifestError> {
        use ManifestErrorKind as K;
        check_text(&self.release, limits::MAX_NAME_BYTES, Field::top("release"))?;
        if self.chain_id == 0 {
            return Err(ManifestError::at(K::ZeroChainId, Field::top("chain_id")));
        }
        if self.executor == Address::ZERO {
            return Err(ManifestError::at(K::ZeroExecutor, Field::top("executor")));
        }
        if self.not_before >= self.expires_at {
            return Err(ManifestError::at(K::EmptyWindow, Field::top("expires_at")));
        }
        if self.allowed_targets.len() > limits::MAX_TARGETS {
            let kind = K::TooMany { max: limits::MAX_TARGETS };
            return Err(ManifestError::at(kind, Field::top("allowed_targets")));
        }
        if !self.allowed_targets.windows(2).all(|w| matches!(w, [a, b] if a < b)) {
            return Err(ManifestError::at(K::NotCanonical, Field::top("allowed_targets")));
        }
        if self.labels.len() > limits::MAX_LABELS {
            let kind = K::TooMany { max: limits::MAX_LABELS };
            return Err(ManifestError::at(kind, Field::top("labels")));
        }
        for (index, pair) in self.labels.windows(2).enumerate() {
            if let [(a, _), (b, _)] = pair {
                if a == b {
                    let field = Field::item("labels", index.saturating_add(1));
                    return Err(ManifestError::at(K::DuplicateLabel, field));
                }
                if a > b {
                    return Err(ManifestError::at(K::NotCanonical, Field::top("labels")));
                }
            }
        }
        for (index, (_, label)) in self.labels.iter().enumerate() {
            check_text(label, limits::MAX_NAME_BYTES, Field::item("labels", index))?;
        }
        if self.rollback.manifest_hash == B256::ZERO {
            let field = Field::top("rollback").sub("manifest_hash");
            return Err(ManifestError::at(K::RollbackMissing, field));
        }
        check_text(&self.rollback.note, limits::MAX_NOTE_BYTES, Field::top("rollback").sub("note"))?;
        if self.actions.is_empty() {
            return Err(ManifestError::at(K::NoActions, Field::top("actions")));
        }
        if self.actions.len() > limits::MAX_ACTIONS {
            let kind = K::TooMany { max: limits::MAX_ACTIONS };
            return Err(ManifestError::at(kind, Field::top("actions")));
        }
        self.validate_safes()?;
        self.validate_gate()?;
        // Uniqueness through ordered sets: a linear scan per action would make 4,096 actions
        // cost 8 million comparisons.
        let mut names = BTreeSet::new();
        let mut calls = BTreeSet::new();
        for (index, action) in self.actions.iter().enumerate() {
            let field = Field::item("actions", index);
            if !names.insert(action.name.as_str()) {
                return Err(ManifestError::at(K::DuplicateActionName, field.sub("name")));
            }
            let safe = action.safe_tx.map(|s| s.safe);
            let key =
                (action.kind.as_str(), safe, action.to, action.data.as_slice(), action.value, action.nonce);
            if !calls.insert(key) {
                return Err(ManifestError::at(K::DuplicateAction, field));
            }
            self.validate_action(index, action)?;
        }
        Ok(())
    }

    /// The declared Safe at `address`.
    pub fn safe(&self, address: &Address) -> Option<&SafeDecl> {
        self.safes.binary_search_by_key(address, |s| s.address).ok().and_then(|i| self.safes.get(i))
    }

    fn validate_safes(&self) -> Result<(), ManifestError> {
        use ManifestErrorKind as K;
        if self.safes.len() > limits::MAX_SAFES {
            return Err(ManifestError::at(K::TooMany { max: limits::MAX_SAFES }, Field::top("safes")));
        }
        if !self.safes.windows(2).all(|w| matches!(w, [a, b] if a.address < b.address)) {
            return Err(ManifestError::at(K::NotCanonical, Field::top("safes")));
        }
        let ascending = |list: &[Address]| list.windows(2).all(|w| matches!(w, [a, b] if a < b));
        for (index, safe) in self.safes.iter().enumerate() {
            let field = Field::item("safes", index);
            let bad = |rule, sub| Err(ManifestError::at(K::BadSafe { rule }, field.sub(sub)));
            if safe.address == Address::ZERO {
                return bad("a Safe is not the zero address", "address");
            }
            if safe.owners.is_empty() || safe.owners.len() > limits::MAX_SAFE_OWNERS {
                return bad("a Safe has 1 to 64 owners", "owners");
            }
            if !ascending(&safe.owners) || safe.owners.contains(&Address::ZERO) {
                return bad("owners are distinct, not the zero address, and written ascending", "owners");
            }
            if safe.threshold == 0 || safe.threshold > safe.owners.len() as u64 {
                return bad("the threshold is at least 1 and at most the number of owners", "threshold");
            }
            if safe.delegatecall_allowed.len() > limits::MAX_TARGETS || !ascending(&safe.delegatecall_allowed)
            {
                return bad(
                    "delegatecall_allowed is written ascending, without repeats",
                    "delegatecall_allowed",
                );
            }
            if let Some(outer) = safe.owned_by
                && (outer == safe.address || self.safe(&outer).is_none())
            {
                return bad("owned_by names another of the manifest's safes", "owned_by");
            }
        }
        Ok(())
    }

    /// `max_state_age`, `code` and `authority`: in range, ordered, each once; reachable code and
    /// every expected effect inside `allowed_targets` (an effect anywhere else is what the gate
    /// refuses as unexpected).
    fn validate_gate(&self) -> Result<(), ManifestError> {
        use ManifestErrorKind as K;
        if !(1..=effects::MAX_STATE_AGE_LIMIT).contains(&self.max_state_age) {
            let rule = "max_state_age must be 1 second to 7 days";
            return Err(ManifestError::at(K::BadEffect { rule }, Field::top("max_state_age")));
        }
        if self.code.len() > limits::MAX_CODE_ENTRIES {
            let kind = K::TooMany { max: limits::MAX_CODE_ENTRIES };
            return Err(ManifestError::at(kind, Field::top("code")));
        }
        for (i, pair) in self.code.windows(2).enumerate() {
            if let [a, b] = pair {
                let field = Field::item("code", i.saturating_add(1)).sub("address");
                if a.address == b.address {
                    return Err(ManifestError::at(
                        K::BadEffect { rule: "another entry names the same address" },
                        field,
                    ));
                }
                if a.address > b.address {
                    return Err(ManifestError::at(K::NotCanonical, Field::top("code")));
                }
            }
        }
        for (i, code) in self.code.iter().enumerate() {
            if !self.is_allowed(&code.address) {
                let kind = K::TargetNotAllowed { address: code.address };
                return Err(ManifestError::at(kind, Field::item("code", i).sub("address")));
            }
            if code.code_hash == B256::ZERO {
                let rule = "code_hash must be keccak256 of the deployed code";
                return Err(ManifestError::at(
                    K::BadEffect { rule },
                    Field::item("code", i).sub("code_hash"),
                ));
            }
        }
        if self.authority.len() > limits::MAX_AUTHORITY_ENTRIES {
            let kind = K::TooMany { max: limits::MAX_AUTHORITY_ENTRIES };
            return Err(ManifestError::at(kind, Field::top("authority")));
        }
        for (i, entry) in self.authority.iter().enumerate() {
            let field = Field::item("authority", i);
            if self.authority.get(..i).is_some_and(|before| before.contains(entry)) {
                return Err(ManifestError::at(
                    K::BadEffect { rule: "the same entry is written twice" },
                    field,
                ));
            }
            if let Authority::Call(call) = entry {
                check_text(&call.signature, limits::MAX_NAME_BYTES, field.sub("call"))?;
                if call.calldata.len() < 4 || call.calldata.len() > limits::MAX_EFFECT_BYTES {
                    let rule = "calldata must be a selector and its arguments, at most 16 KiB";
                    return Err(ManifestError::at(K::BadEffect { rule }, field.sub("calldata")));
                }
                if call.returns.len() > limits::MAX_EFFECT_BYTES {
                    let kind = K::TooMany { max: limits::MAX_EFFECT_BYTES };
                    return Err(ManifestError::at(kind, field.sub("returns")));
                }
            }
        }
        for (index, action) in self.actions.iter().enumerate() {
            self.validate_expect(index, &action.expect)?;
        }
        Ok(())
    }

    fn validate_expect(&self, index: usize, expect: &Expect) -> Result<(), ManifestError> {
        use ManifestErrorKind as K;
        let slots = Field::item("actions", index).sub("expect.slots");
        let events = Field::item("actions", index).sub("expect.events");
        if expect.slots.len() > limits::MAX_EXPECTED_SLOTS {
            return Err(ManifestError::at(K::TooMany { max: limits::MAX_EXPECTED_SLOTS }, slots));
        }
        if expect.events.len() > limits::MAX_EXPECTED_EVENTS {
            return Err(ManifestError::at(K::TooMany { max: limits::MAX_EXPECTED_EVENTS }, events));
        }
        for pair in expect.slots.windows(2) {
            if let [a, b] = pair {
                if (a.address, a.slot) == (b.address, b.slot) {
                    let rule = "two entries name the same slot of the same account";
                    return Err(ManifestError::at(K::BadEffect { rule }, slots));
                }
                if a > b {
                    return Err(ManifestError::at(K::NotCanonical, slots));
                }
            }
        }
        for slot in &expect.slots {
            if !self.is_allowed(&slot.address) {
                return Err(ManifestError::at(K::TargetNotAllowed { address: slot.address }, slots));
            }
        }
        for event in &expect.events {
            check_text(&event.signature, limits::MAX_NAME_BYTES, events)?;
            if event.topics.is_empty() || event.topics.len() > limits::MAX_EVENT_TOPICS {
                let rule = "an event has its selector as topic 0 and at most three indexed arguments";
                return Err(ManifestError::at(K::BadEffect { rule }, events));
            }
            if event.data.len() > limits::MAX_EFFECT_BYTES {
                return Err(ManifestError::at(K::TooMany { max: limits::MAX_EFFECT_BYTES }, events));
            }
            if !self.is_allowed(&event.emitter) {
                return Err(ManifestError::at(K::TargetNotAllowed { address: event.emitter }, events));
            }
        }
        Ok(())
    }

    /// Whether signing anything of this manifest, by this action, needs a witness: the action
    /// expects effects, or the manifest names code or authority.
    pub fn needs_witness(&self, action: &Action) -> bool {
        !action.expect.is_empty() || !self.code.is_empty() || !self.authority.is_empty()
    }

    fn validate_action(&self, index: usize, action: &Action) -> Result<(), ManifestError> {
        use ManifestErrorKind as K;
        let field = Field::item("actions", index);
        check_text(&action.name, limits::MAX_NAME_BYTES, field.sub("name"))?;
        if action.name.is_empty() {
            return Err(ManifestError::at(K::MissingKey, field.sub("name")));
        }
        if let Some(layout) = &action.layout {
            check_text(&layout.allowed_change, limits::MAX_NOTE_BYTES, field.sub("layout"))?;
            if !layout.compatible && layout.allowed_change.is_empty() {
                return Err(ManifestError::at(K::LayoutChangeNotAllowed, field.sub("layout")));
            }
        }
        if action.authorizations.len() > limits::MAX_AUTHORIZATIONS {
            let kind = K::TooMany { max: limits::MAX_AUTHORIZATIONS };
            return Err(ManifestError::at(kind, field.sub("authorizations")));
        }
        if !self.is_allowed(&action.to) {
            let kind = K::TargetNotAllowed { address: action.to };
            return Err(ManifestError::at(kind, field.sub("to")));
        }
        let operation = match (action.kind, action.safe_tx) {
            (ActionKind::Call, None) if action.approved_hashes.is_empty() => Operation::Call,
            (ActionKind::Call, None) => {
                return Err(ManifestError::at(K::NotForThisKind, field.sub("approved_hashes")));
            }
            (ActionKind::Safe, Some(s)) => {
                self.validate_safe_action(&field, action, &s)?;
                action.operation()
            }
            (ActionKind::Call, Some(_)) => {
                return Err(ManifestError::at(K::NotForThisKind, field.sub("safe")));
            }
            (ActionKind::Safe, None) => return Err(ManifestError::at(K::MissingKey, field.sub("safe"))),
        };
        let tree = calls::decode_call_shape(Some(action.to), action.value, operation, &action.data)
            .map_err(|e| ManifestError::at(K::CallTree(e), field.sub("data")))?;
        if let Some(s) = action.safe_tx
            && let Some(address) = safe_context_delegatecalls(&tree)
                .into_iter()
                .find(|a| self.safe(&s.safe).is_none_or(|d| d.delegatecall_allowed.binary_search(a).is_err()))
        {
            return Err(ManifestError::at(K::DelegatecallNotAllowed { address }, field.sub("data")));
        }
        if let Some(address) = tree.reached_addresses().into_iter().find(|a| !self.is_allowed(a)) {
            let kind = K::NestedTargetNotAllowed { address };
            return Err(ManifestError::at(kind, field.sub("data")));
        }
        if !tree.is_canonical() {
            return Err(ManifestError::at(K::CalldataNotCanonical, field.sub("data")));
        }
        Ok(())
    }

    /// A Safe action's own rules; the operation its Safe transaction runs with.
    fn validate_safe_action(
        &self,
        field: &Field,
        action: &Action,
        s: &SafeActionFields,
    ) -> Result<(), ManifestError> {
        use ManifestErrorKind as K;
        if self.safe(&s.safe).is_none() {
            return Err(ManifestError::at(K::SafeNotDeclared { address: s.safe }, field.sub("safe")));
        }
        if !self.is_allowed(&s.safe) {
            return Err(ManifestError::at(K::TargetNotAllowed { address: s.safe }, field.sub("safe")));
        }
        if action.nonce.is_none() {
            return Err(ManifestError::at(K::SafeNonceMissing, field.sub("nonce")));
        }
        if !action.authorizations.is_empty() {
            return Err(ManifestError::at(K::NotForThisKind, field.sub("authorizations")));
        }
        // The Safe pays a refund in its token to its receiver: both are reached.
        for (address, sub) in [(s.gas_token, "gas_token"), (s.refund_receiver, "refund_receiver")] {
            if address != Address::ZERO && !self.is_allowed(&address) {
                return Err(ManifestError::at(K::TargetNotAllowed { address }, field.sub(sub)));
            }
        }
        if s.operation > 1 {
            return Err(ManifestError::at(
                K::UnexpectedType { expected: "operation 0 or 1" },
                field.sub("operation"),
            ));
        }
        if let Some(outer) = s.approves {
            self.validate_approval(field, action, s, outer)?;
        }
        // One order and no repeats, so each list has one encoding.
        if action.approved_hashes.windows(2).any(|w| matches!(w, [a, b] if a >= b)) {
            return Err(ManifestError::at(
                K::BadSafe { rule: "approved_hashes is strictly ascending: sorted, each owner once" },
                field.sub("approved_hashes"),
            ));
        }
        let owners = self.safe(&s.safe).map(|d| d.owners.as_slice()).unwrap_or_default();
        for owner in &action.approved_hashes {
            if !owners.contains(owner) {
                return Err(ManifestError::at(
                    K::BadSafe { rule: "an approved_hashes entry is an owner of the action's Safe" },
                    field.sub("approved_hashes"),
                ));
            }
        }
        Ok(())
    }

    /// An inner Safe's action that approves an action of the Safe it owns: it is exactly
    /// `approveHash(safeTxHash of that action)`, sent by this Safe to that one, which it owns.
    fn validate_approval(
        &self,
        field: &Field,
        action: &Action,
        s: &SafeActionFields,
        outer: u64,
    ) -> Result<(), ManifestError> {
        use ManifestErrorKind as K;
        let bad = |rule| Err(ManifestError::at(K::BadSafe { rule }, field.sub("approves")));
        let outer_action = usize::try_from(outer).ok().and_then(|i| self.actions.get(i));
        let Some((outer_action, outer_fields)) =
            outer_action.and_then(|a| a.safe_tx.map(|f| (a, f))).filter(|(a, _)| a.kind == ActionKind::Safe)
        else {
            return bad("approves names a Safe action of the manifest");
        };
        let inner = self.safe(&s.safe);
        if inner.and_then(|d| d.owned_by) != Some(outer_fields.safe)
            || self.safe(&outer_fields.safe).is_none_or(|d| !d.owners.contains(&s.safe))
        {
            return bad(
                "the approving Safe is owned_by the Safe of the approved action, and one of its owners",
            );
        }
        let Some(hashes) = self.safe_tx_hashes(outer_action) else {
            return bad("approves names a Safe action of the manifest");
        };
        let expected = {
            use alloy_sol_types::SolCall;
            calls::safe::Safe::approveHashCall { hashToApprove: hashes.safe_tx_hash }.abi_encode()
        };
        if action.to != outer_fields.safe
            || !action.value.is_zero()
            || s.operation != 0
            || action.data != expected
        {
            return bad(
                "an approving action is exactly approveHash(safeTxHash of the approved action), called on its Safe with value 0",
            );
        }
        Ok(())
    }

    /// The nested Safes whose approving action (`approves`) names action `index`: their
    /// approved-hash entries count in that action's signatures.
    pub fn approving_safes(&self, index: usize) -> Vec<Address> {
        self.actions
            .iter()
            .filter_map(|a| a.safe_tx.filter(|s| s.approves == Some(index as u64)).map(|s| s.safe))
            .collect()
    }

    /// A Safe action's domain and hashes: what its owners sign. `None` for a call action.
    pub fn safe_tx_hashes(&self, action: &Action) -> Option<crate::safe_tx::SafeTxHashes> {
        let fields = action.safe_tx_fields()?;
        let decl = self.safe(&action.safe_tx?.safe)?;
        let domain = crate::safe_tx::SafeDomain {
            safe: decl.address,
            chain_id: Some(self.chain_id),
            version: decl.version,
        };
        Some(domain.hashes(&fields))
    }

    /// Whether `address` is in the allowlist (which is sorted, so this is a binary search).
    pub fn is_allowed(&self, address: &Address) -> bool {
        self.allowed_targets.binary_search(address).is_ok()
    }

    /// The label for `address`, if the manifest gives one.
    pub fn label(&self, address: &Address) -> Option<&str> {
        self.labels
            .binary_search_by(|(a, _)| a.cmp(address))
            .ok()
            .and_then(|i| self.labels.get(i))
            .map(|(_, label)| label.as_str())
    }

    /// The canonical CBOR bytes of this manifest.
    pub fn to_canonical_bytes(&self) -> Zeroizing<Vec<u8>> {
        canonical::encode(self)
    }
}

/// A manifest file opened against the hash governance approved.
///
/// An unapproved file is trusted for nothing, so it is not decoded at all: only a linear
/// well-formedness pass runs over it (malformed bytes are still an input error), and `check`
/// refuses it with `manifest_hash_mismatch` alone. Whatever an unapproved file holds therefore
/// costs one hash and one walk, never a call-tree decode.
#[derive(Debug)]
pub enum OpenedManifest {
    /// The file's hash is the approved one, and it decoded and validated.
    Approved(alloc::boxed::Box<LoadedManifest>),
    /// The file is well-formed CBOR whose hash is not the approved one.
    NotApproved {
        /// keccak256 of the file.
        hash: ManifestHash,
    },
}

impl OpenedManifest {
    /// Hashes `bytes` first; decodes and validates them only when the hash is `approved`.
    pub fn open(bytes: &[u8], approved: ManifestHash) -> Result<Self, ManifestError> {
        if bytes.len() > limits::MAX_MANIFEST_BYTES {
            return Err(ManifestError {
                kind: ManifestErrorKind::TooLarge { len: bytes.len() },
                field: None,
                offset: None,
            });
        }
        let hash = ManifestHash(keccak256(bytes));
        if hash != approved {
            canonical::well_formed(bytes)?;
            return Ok(OpenedManifest::NotApproved { hash });
        }
        LoadedManifest::from_hashed_bytes(bytes, hash)
            .map(|m| OpenedManifest::Approved(alloc::boxed::Box::new(m)))
    }

    /// A file no approval stands behind (a quorum not met): only walked for well-formedness,
    /// whatever its hash.
    pub fn open_unapproved(bytes: &[u8]) -> Result<Self, ManifestError> {
        if bytes.len() > limits::MAX_MANIFEST_BYTES {
            return Err(ManifestError {
                kind: ManifestErrorKind::TooLarge { len: bytes.len() },
                field: None,
                offset: None,
            });
        }
        canonical::well_formed(bytes)?;
        Ok(OpenedManifest::NotApproved { hash: ManifestHash(keccak256(bytes)) })
    }

    /// keccak256 of the file's bytes.
    pub fn hash(&self) -> ManifestHash {
        match self {
            OpenedManifest::Approved(m) => m.hash(),
            OpenedManifest::NotApproved { hash } => *hash,
        }
    }

    /// The manifest, when its hash is the approved one.
    pub fn approved(&self) -> Option<&LoadedManifest> {
        match self {
            OpenedManifest::Approved(m) => Some(m),
            OpenedManifest::NotApproved { .. } => None,
        }
    }
}

/// What an approval of the manifest file `bytes` signs (its hash and the facts the approver
/// compares), read from the file's first keys only: the quorum check runs before the file is
/// trusted, so it never decodes the actions. The file's size limit applies.
pub fn release_subject_of(bytes: &[u8]) -> Result<crate::release_approval::ReleaseSubject, ManifestError> {
    if bytes.len() > limits::MAX_MANIFEST_BYTES {
        return Err(ManifestError {
            kind: ManifestErrorKind::TooLarge { len: bytes.len() },
            field: None,
            offset: None,
        });
    }
    let (release, chain_id, not_before, expires_at) = canonical::header(bytes)?;
    Ok(crate::release_approval::ReleaseSubject {
        manifest_hash: ManifestHash(keccak256(bytes)),
        release,
        chain_id,
        not_before,
        expires_at,
    })
}

/// A manifest read from its canonical bytes and found valid: the only form `check` accepts.
pub struct LoadedManifest {
    manifest: Manifest,
    bytes: Zeroizing<Vec<u8>>,
    hash: ManifestHash,
}

impl LoadedManifest {
    /// Decodes, re-encodes and compares, hashes and validates. Anything but the one canonical
    /// byte string of a valid manifest is refused with the field and offset.
    pub fn from_canonical_bytes(bytes: &[u8]) -> Result<Self, ManifestError> {
        Self::from_hashed_bytes(bytes, ManifestHash(keccak256(bytes)))
    }

    /// [`Self::from_canonical_bytes`] for bytes whose keccak256 the caller already computed (the
    /// hash-first open), so a megabyte manifest is hashed once per run.
    fn from_hashed_bytes(bytes: &[u8], hash: ManifestHash) -> Result<Self, ManifestError> {
        if bytes.len() > limits::MAX_MANIFEST_BYTES {
            return Err(ManifestError {
                kind: ManifestErrorKind::TooLarge { len: bytes.len() },
                field: None,
                offset: None,
            });
        }
        let manifest = canonical::decode(bytes)?;
        let reencoded = canonical::encode(&manifest);
        if reencoded.as_slice() != bytes {
            let offset = reencoded.iter().zip(bytes).position(|(a, b)| a != b);
            let offset = offset.unwrap_or_else(|| reencoded.len().min(bytes.len()));
            return Err(ManifestError {
                kind: ManifestErrorKind::NotCanonical,
                field: None,
                offset: Some(offset),
            });
        }
        manifest.validate()?;
        Ok(LoadedManifest { manifest, bytes: reencoded, hash })
    }

    /// Validates an authored manifest and encodes it: the compile step of `manifest build`.
    pub fn from_manifest(mut manifest: Manifest) -> Result<Self, ManifestError> {
        manifest.normalize();
        manifest.validate()?;
        let bytes = canonical::encode(&manifest);
        if bytes.len() > limits::MAX_MANIFEST_BYTES {
            return Err(ManifestError {
                kind: ManifestErrorKind::TooLarge { len: bytes.len() },
                field: None,
                offset: None,
            });
        }
        let hash = ManifestHash(keccak256(bytes.as_slice()));
        Ok(LoadedManifest { manifest, bytes, hash })
    }

    /// The decoded manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The canonical bytes (what the hash covers).
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// keccak256 of the canonical bytes.
    pub fn hash(&self) -> ManifestHash {
        self.hash
    }

    /// Decodes the call tree of action `index` (validation already proved that it decodes).
    pub fn action_tree(&self, index: usize) -> Option<CallNode> {
        let action = self.manifest.actions.get(index)?;
        calls::decode_call(Some(action.to), action.value, action.operation(), &action.data).ok()
    }

    /// [`Self::action_tree`] with names for calls no built-in decoder knows.
    pub fn action_tree_named(&self, index: usize, namer: &dyn calls::Namer) -> Option<CallNode> {
        let action = self.manifest.actions.get(index)?;
        calls::decode_call_named(Some(action.to), action.value, action.operation(), &action.data, namer).ok()
    }
}

impl fmt::Debug for LoadedManifest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoadedManifest")
            .field("hash", &self.hash)
            .field("manifest", &self.manifest)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod gate_tests;
#[cfg(test)]
mod tests;
