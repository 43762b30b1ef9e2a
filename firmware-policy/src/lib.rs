//! The policy core of bounded-signer: everything the signer decides before a device is touched.
//!
//! It owns the release manifest model and its one canonical CBOR encoding, the exact decoding of
//! the transaction a Ledger would sign, the call tree under it (Safe, MultiSend, Timelock,
//! ProxyAdmin, UUPS), and [`check`], which matches a proposal against an approved manifest.
//!
//! What it never does: read a file, a clock, a socket or a random number generator. `now` is an
//! argument, input arrives as byte slices, and results are plain values. That keeps it small
//! enough to audit line by line, to fuzz, and to run inside a device app some day.
//!
//! The only way to obtain an [`Approval`] (what the signing path requires) is an approving
//! [`check`], and the approval carries the exact payload bytes that were checked, so nothing can be
//! re-serialized between the decision and the signature.
#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::indexing_slicing, clippy::arithmetic_side_effects, clippy::panic))]

extern crate alloc;

pub mod bundle;
pub mod calls;
mod cbor_io;
pub mod check;
pub mod containment;
pub mod diff;
pub mod instant;
pub mod limits;
pub mod manifest;
pub mod quorum;
pub mod release_approval;
pub mod safe_signatures;
pub mod safe_tx;
pub mod text;
pub mod tx;
pub mod wipe;

pub use alloy_primitives::{Address, B256, U256, keccak256};
pub use calls::{ArgValue, CallNode, CallTreeError, Operation};
pub use check::{
    Approval, AuthorityReading, BoundApproval, Check, CheckOutcome, Executed, Gate, Observed, ObservedChange,
    ObservedLog, Proposal, Reason, ReleaseApprovalSignable, SafeSignatureScheme, SafeTxProposal, Signable,
    SignerClaim, SimStatus, TxSignable, Verdict, check, check_execution, check_gated, check_opened,
    check_opened_gated, check_release_approval, check_safe_tx, check_safe_tx_gated, check_safe_tx_opened,
    check_safe_tx_opened_gated, execution_unproven, manifest_not_approved, quorum_not_met, role_conflict,
    with_quorum,
};
pub use manifest::{
    Action, ActionKind, AuthorizationBound, LoadedManifest, Manifest, ManifestError, ManifestHash,
    OpenedManifest, Rollback,
};
pub use tx::{DecodedTx, TxDecodeError, TxForm, TxType};
