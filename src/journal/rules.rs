//! The journal's rules as pure functions of its records, so every signer (the CLI, the library
//! signer, later Safe co-signing and approvals) applies the same ones.

use std::fmt;

use alloy_primitives::{Address, B256};

use super::record::{Kind, Record, Signs};

/// What one-time use is keyed on: a signer signs one thing of one kind per (manifest, action).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UseKey {
    /// The approved manifest.
    pub manifest_hash: B256,
    /// The action index.
    pub action: usize,
    /// The account that signs.
    pub signer: Address,
    /// What kind of thing is signed.
    pub signs: Signs,
}

impl UseKey {
    fn matches(&self, record: &Record) -> bool {
        let b = &record.body;
        b.manifest_hash == Some(self.manifest_hash)
            && b.action == Some(self.action)
            && b.signer == Some(self.signer)
            && b.signs == Some(self.signs)
    }
}

/// Where an action stands.
#[derive(Debug, PartialEq, Eq)]
pub enum Use<'a> {
    /// Never signed, and no attempt that may have produced a signature.
    Free,
    /// Signed for this very signing hash: return that signature (after verifying it).
    SignedSame(&'a Record),
    /// An attempt for this signing hash may have produced a signature: asking again is the
    /// same signature (or none), so it may go on.
    PendingSame,
    /// Signed, or possibly signed, for another signing hash: refuse (exit 5).
    Taken(&'a Record),
}

/// Applies one-time use: the first signature binds the action; an intent binds it until a
/// `failed` record for it says the device is known not to have signed (`released`).
pub fn one_time_use<'a>(records: &'a [Record], key: &UseKey, signing_hash: B256) -> Use<'a> {
    let mut pending: Option<&Record> = None;
    for record in records.iter().filter(|r| key.matches(r)) {
        let same = record.body.signing_hash == Some(signing_hash);
        match record.body.kind {
            Kind::Signed => return if same { Use::SignedSame(record) } else { Use::Taken(record) },
            Kind::Intent => pending = Some(record),
            Kind::Failed => {
                let releases = record.body.released == Some(true);
                if releases && pending.is_some_and(|p| p.body.signing_hash == record.body.signing_hash) {
                    pending = None;
                }
            }
            Kind::Torn => {}
        }
    }
    match pending {
        None => Use::Free,
        Some(p) if p.body.signing_hash == Some(signing_hash) => Use::PendingSame,
        Some(p) => Use::Taken(p),
    }
}

/// How far a journal reached: its record count and the hash of its last record. Written into
/// the ceremony log, it lets anyone detect later that the journal was truncated or replaced,
/// which a hash chain alone cannot show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Head {
    /// Number of records.
    pub records: u64,
    /// Hash of record `records` (zero for an empty journal).
    pub hash: B256,
}

impl Head {
    /// The head of `records`.
    pub fn of(records: &[Record]) -> Self {
        Head { records: records.len() as u64, hash: records.last().map_or(B256::ZERO, |r| r.hash) }
    }

    /// Parses `N:0xHASH`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let (n, hash) = s.split_once(':').ok_or("expected N:HASH (the record count, a colon, its hash)")?;
        let records = n.parse::<u64>().map_err(|_| format!("{n:?} is not a record count"))?;
        let bytes = crate::values::parse_prefixed_hex(hash).map_err(|e| format!("hash: {e}"))?;
        let hash = B256::try_from(bytes.as_slice()).map_err(|_| "hash: expected 32 bytes".to_string())?;
        Ok(Head { records, hash })
    }

    /// Whether `records` still extends this head: it has at least that many records, and the
    /// one at the head is the same.
    pub fn is_extended_by(&self, records: &[Record]) -> bool {
        match usize::try_from(self.records).ok() {
            Some(0) => self.hash == B256::ZERO,
            Some(n) => records.get(n - 1).is_some_and(|r| r.hash == self.hash),
            None => false,
        }
    }
}

impl fmt::Display for Head {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{:#x}", self.records, self.hash)
    }
}
