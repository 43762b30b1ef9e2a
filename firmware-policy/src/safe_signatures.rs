//! A Safe's `signatures` blob, evaluated offline as `checkSignatures` evaluates it on chain, so an
//! executor never sends an `execTransaction` the Safe would refuse (or one carrying signatures
//! nobody can vouch for).
//!
//! The Safe reads exactly the first `threshold` 65-byte entries `r ‖ s ‖ v` (anything after is
//! ignored, and reported here). By `v`:
//! - 27/28: ECDSA over the safeTxHash;
//! - above 30: `eth_sign`, ECDSA with `v − 4` over the EIP-191 hash of the safeTxHash (1.1.0+);
//! - 1: an approved hash, by the owner `address(r)`: valid on chain when that owner is the sender
//!   or called `approveHash` earlier. Offline it counts for the executor itself (the sender), and
//!   for a nested Safe whose `approveHash` of this safeTxHash is an approved manifest action, and
//!   for an owner the action lists in `approved_hashes` (counted, and reported as relying on an
//!   `approveHash` made on chain, which this check cannot see); any other is reported as relying
//!   on chain state this check cannot see, and not counted;
//! - 0: a contract signature (EIP-1271) by `address(r)` with its data at offset `s`: reported,
//!   never counted (its validity is the contract's code, run on chain);
//! - anything else: invalid (ecrecover yields no owner and the Safe reverts).
//!
//! The recovered owners must be strictly ascending (which also makes them distinct) and owners of
//! the Safe. Work is linear in the blob: at most `threshold` entries are recovered.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use alloy_primitives::{Address, B256, Signature, U256};

/// How one entry is signed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind {
    /// ECDSA over the safeTxHash (v 27/28).
    Eip712,
    /// ECDSA over the EIP-191 hash of the safeTxHash (v 31/32).
    EthSign,
    /// An approved hash (v 1).
    ApprovedHash,
    /// A contract signature, EIP-1271 (v 0).
    Contract,
    /// A `v` the Safe cannot verify.
    Unknown(u8),
}

impl EntryKind {
    /// How the output names it.
    pub fn name(self) -> &'static str {
        match self {
            EntryKind::Eip712 => "EIP-712",
            EntryKind::EthSign => "eth_sign",
            EntryKind::ApprovedHash => "approved hash",
            EntryKind::Contract => "contract signature (EIP-1271)",
            EntryKind::Unknown(_) => "unknown v",
        }
    }
}

/// What became of one evaluated entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Standing {
    /// It counts toward the threshold.
    Counted,
    /// It counts, because the manifest says so, but rests on chain state this check cannot see:
    /// why.
    CountedOnChain(String),
    /// Valid as far as this check can see, but it cannot count offline.
    NotCounted(String),
    /// The Safe would refuse it (and with it the transaction).
    Invalid(String),
}

impl Standing {
    /// Whether the entry counts toward the threshold.
    pub fn counts(&self) -> bool {
        matches!(self, Standing::Counted | Standing::CountedOnChain(_))
    }
}

/// One evaluated entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Its position, from 0.
    pub index: usize,
    /// How it is signed.
    pub kind: EntryKind,
    /// The owner it names or recovers to (`None` when it recovers to none).
    pub owner: Option<Address>,
    /// Whether it counts.
    pub standing: Standing,
}

/// The evaluation of a blob.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlobReport {
    /// The evaluated entries, in order (at most `threshold`).
    pub entries: Vec<Entry>,
    /// The threshold.
    pub threshold: u64,
    /// Whole 65-byte entries beyond the evaluated ones (ignored by the Safe).
    pub extra_entries: usize,
    /// The blob's length.
    pub len: usize,
}

impl BlobReport {
    /// How many entries count.
    pub fn counted(&self) -> usize {
        self.entries.iter().filter(|e| e.standing.counts()).count()
    }
    /// Whether any evaluated entry is invalid.
    pub fn any_invalid(&self) -> bool {
        self.entries.iter().any(|e| matches!(e.standing, Standing::Invalid(_)))
    }
    /// Whether the counted entries reach the threshold.
    pub fn sufficient(&self) -> bool {
        u64::try_from(self.counted()).is_ok_and(|n| n >= self.threshold)
    }
}

/// What the evaluation needs to know of the Safe and the transaction.
pub struct SafeContext<'a> {
    /// The safeTxHash the signatures must be over.
    pub safe_tx_hash: B256,
    /// The Safe's owners (the manifest's declaration).
    pub owners: &'a [Address],
    /// Its threshold.
    pub threshold: u64,
    /// The account that sends `execTransaction` (an approved hash by it needs no prior call).
    pub executor: Address,
    /// Owners (nested Safes) whose `approveHash` of this very safeTxHash is an approved action
    /// of the manifest: their approved-hash entries count (once that action has run on chain).
    pub approved_by: &'a [Address],
    /// Owners the action lists in `approved_hashes`: their approved-hash entries count, relying
    /// on an `approveHash` each made on chain.
    pub approved_on_chain: &'a [Address],
}

impl SafeContext<'_> {
    /// Whether an approved-hash entry (v = 1) of `owner` counts offline: the executor's (the
    /// sender), a nested Safe's approved by a manifest action, or one the action lists in
    /// `approved_hashes` (then resting on chain state: [`Standing::CountedOnChain`]).
    pub fn approved_hash_counts(&self, owner: &Address) -> bool {
        *owner == self.executor || self.approved_by.contains(owner) || self.approved_on_chain.contains(owner)
    }
}

const ENTRY: usize = 65;

/// Evaluates the first `threshold` entries of `blob` as the Safe would.
pub fn evaluate(blob: &[u8], ctx: &SafeContext<'_>) -> BlobReport {
    let threshold = usize::try_from(ctx.threshold).unwrap_or(usize::MAX);
    let whole = blob.len() / ENTRY;
    let mut entries = Vec::with_capacity(threshold.min(whole));
    let mut last_owner: Option<Address> = None;
    for (index, chunk) in blob.chunks_exact(ENTRY).take(threshold).enumerate() {
        let mut entry = evaluate_entry(index, chunk, blob, ctx);
        if let Some(owner) = entry.owner {
            // The Safe requires currentOwner > lastOwner (which also makes owners distinct) and
            // an owner of the Safe, for every kind of entry, counted or not.
            let problem = if last_owner.is_some_and(|last| owner <= last) {
                Some(format!(
                    "{owner} is not above the entry before it: owners must be sorted ascending, each once"
                ))
            } else if !ctx.owners.contains(&owner) {
                Some(format!("{owner} is not an owner of the Safe"))
            } else {
                None
            };
            if let Some(problem) = problem {
                entry.standing = Standing::Invalid(problem);
            }
            // The Safe stops at the first entry out of order; what follows is judged against the
            // highest owner so far, so the counted entries stay strictly ascending.
            last_owner = Some(last_owner.map_or(owner, |last| last.max(owner)));
        }
        entries.push(entry);
    }
    BlobReport {
        entries,
        threshold: ctx.threshold,
        extra_entries: whole.saturating_sub(threshold),
        len: blob.len(),
    }
}

fn evaluate_entry(index: usize, chunk: &[u8], blob: &[u8], ctx: &SafeContext<'_>) -> Entry {
    let blob_len = blob.len();
    let r = U256::from_be_slice(chunk.get(..32).unwrap_or_default());
    let s = U256::from_be_slice(chunk.get(32..64).unwrap_or_default());
    let v = chunk.get(64).copied().unwrap_or_default();
    let named = || Address::from_word(B256::from(r));
    let (kind, owner, standing) = match v {
        27 | 28 | 31 | 32 => {
            let (kind, owner) = signer_of(chunk, ctx.safe_tx_hash);
            (kind, owner, recovered(owner))
        }
        1 => {
            let owner = named();
            let standing = if !ctx.approved_hash_counts(&owner) {
                Standing::NotCounted(format!(
                    "an approved hash by {owner} is valid only if it called approveHash on chain, which this check cannot see"
                ))
            } else if owner != ctx.executor && !ctx.approved_by.contains(&owner) {
                Standing::CountedOnChain(format!(
                    "the action's approved_hashes lists {owner}: this relies on an approveHash it made on chain, which this check cannot see and which does not bind the Safe nonce (the hash stays approved until that nonce is used)"
                ))
            } else {
                Standing::Counted
            };
            (EntryKind::ApprovedHash, Some(owner), standing)
        }
        0 => {
            let owner = named();
            // The data's offset must point past the static parts, to a length word and that many
            // bytes inside the blob (the Safe's three requires).
            let in_range = usize::try_from(s).ok().filter(|&o| {
                o >= ctx.threshold_len()
                    && o.checked_add(32).is_some_and(|start| {
                        let len = blob.get(o..start).map(U256::from_be_slice);
                        len.and_then(|l| usize::try_from(l).ok())
                            .and_then(|l| start.checked_add(l))
                            .is_some_and(|end| end <= blob_len)
                    })
            });
            let standing = match in_range {
                Some(_) => Standing::NotCounted(String::from(
                    "a contract signature (EIP-1271) is decided by the contract's code on chain: never counted",
                )),
                None => Standing::Invalid(format!(
                    "its data offset {s} is outside the signatures' dynamic part (blob of {blob_len} bytes)"
                )),
            };
            (EntryKind::Contract, Some(owner), standing)
        }
        other => (
            EntryKind::Unknown(other),
            None,
            Standing::Invalid(format!("v = {other} is no kind of Safe signature")),
        ),
    };
    Entry { index, kind, owner, standing }
}

/// The owner an ECDSA entry (`r ‖ s ‖ v`, v 27/28 or 31/32) recovers to over `safe_tx_hash`, and
/// its kind; `None` as the owner for any other entry, or one that recovers to no account.
pub fn signer_of(entry: &[u8], safe_tx_hash: B256) -> (EntryKind, Option<Address>) {
    let (Some(r), Some(s), Some(&v)) = (entry.get(..32), entry.get(32..64), entry.get(64)) else {
        return (EntryKind::Unknown(0), None);
    };
    let (r, s) = (U256::from_be_slice(r), U256::from_be_slice(s));
    // v is 27/28 (or 31/32): its parity is whether it is the second of the pair.
    let recover =
        |digest: B256, odd: bool| Signature::new(r, s, odd).recover_address_from_prehash(&digest).ok();
    match v {
        27 | 28 => (EntryKind::Eip712, recover(safe_tx_hash, v == 28)),
        31 | 32 => {
            (EntryKind::EthSign, recover(alloy_primitives::eip191_hash_message(safe_tx_hash), v == 32))
        }
        0 => (EntryKind::Contract, None),
        1 => (EntryKind::ApprovedHash, None),
        other => (EntryKind::Unknown(other), None),
    }
}

fn recovered(owner: Option<Address>) -> Standing {
    match owner {
        Some(_) => Standing::Counted,
        None => Standing::Invalid(String::from("the signature recovers no account")),
    }
}

impl SafeContext<'_> {
    /// The length of the static parts the Safe reads: `threshold` entries.
    fn threshold_len(&self) -> usize {
        usize::try_from(self.threshold).unwrap_or(usize::MAX).saturating_mul(ENTRY)
    }
}

#[cfg(test)]
mod tests;
