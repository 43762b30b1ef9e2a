//! The release bundle: one canonical CBOR file that carries what the air-gapped laptop needs
//! (the manifest, its approvals, the rollback manifest, the approver set for display, the
//! proposals) across removable media or a QR animation. A bundle is transport, never proof: the
//! laptop still compares the manifest with the approved hash or counts the approvals under its
//! own pinned trust file.
//!
//! ```text
//! bundle = { 0: "bounded-signer/bundle/v1", 1: [+ entry] }
//! entry  = [kind uint, body bytes]
//! ```
//!
//! Entries are typed, so later kinds (state witnesses, containment records, evidence) join
//! without a format change; a reader refuses a kind it does not know rather than skip what it
//! cannot judge. Entries are ordered by kind, and within a kind kept in the order given (a
//! proposal's index is its position among its kind). Each body is the canonical bytes of its own
//! format, decoded by its own strict decoder when used. The bundle itself decodes in one pass,
//! with every length checked against what remains, and re-encodes to the same bytes or is
//! refused.

use alloc::vec::Vec;
use core::fmt;

use crate::cbor_io::{Slice, VecSink};
use ciborium_ll::{Decoder, Encoder, Header};
use zeroize::Zeroizing;

/// The format text.
pub const FORMAT_V1: &str = "bounded-signer/bundle/v1";
/// Largest bundle accepted.
pub const MAX_BUNDLE_BYTES: usize = 8 << 20;
/// Most entries one bundle may carry.
pub const MAX_ENTRIES: usize = 1024;

/// What an entry holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum EntryKind {
    /// The release manifest (its canonical bytes); exactly one, first.
    Manifest,
    /// An approval file of the manifest.
    Approval,
    /// The rollback manifest (its canonical bytes); at most one.
    Rollback,
    /// The trust file's approver set, for display only (canonical CBOR `{0: threshold,
    /// 1: [+ bytes(20)] approvers ascending, 2: separate_roles}`); at most one.
    TrustDisplay,
    /// A transaction proposal: its canonical unsigned signing payload.
    Transaction,
    /// A Safe transaction proposal: [`crate::safe_tx::SafeProposal`]'s canonical bytes.
    SafeTransaction,
    /// A containment record ([`crate::containment::Containment`]'s canonical bytes): a reader
    /// signs nothing more of the manifest it names.
    Containment,
    /// A state witness (its canonical bytes), for the simulation gate: the one whose header
    /// hashes to the block hash the signer types is used.
    Witness,
}

impl EntryKind {
    fn code(self) -> u64 {
        match self {
            EntryKind::Manifest => 0,
            EntryKind::Approval => 1,
            EntryKind::Rollback => 2,
            EntryKind::TrustDisplay => 3,
            EntryKind::Transaction => 4,
            EntryKind::SafeTransaction => 5,
            EntryKind::Containment => 6,
            EntryKind::Witness => 7,
        }
    }

    fn from_code(code: u64) -> Option<Self> {
        Some(match code {
            0 => EntryKind::Manifest,
            1 => EntryKind::Approval,
            2 => EntryKind::Rollback,
            3 => EntryKind::TrustDisplay,
            4 => EntryKind::Transaction,
            5 => EntryKind::SafeTransaction,
            6 => EntryKind::Containment,
            7 => EntryKind::Witness,
            _ => return None,
        })
    }

    /// Its name, for people and JSON.
    pub fn name(self) -> &'static str {
        match self {
            EntryKind::Manifest => "manifest",
            EntryKind::Approval => "approval",
            EntryKind::Rollback => "rollback",
            EntryKind::TrustDisplay => "trust_display",
            EntryKind::Transaction => "transaction",
            EntryKind::SafeTransaction => "safe_transaction",
            EntryKind::Containment => "containment",
            EntryKind::Witness => "witness",
        }
    }

    /// The largest body of this kind.
    fn max_body(self) -> usize {
        match self {
            EntryKind::Manifest | EntryKind::Rollback => crate::limits::MAX_MANIFEST_BYTES,
            EntryKind::Approval => crate::release_approval::MAX_APPROVAL_FILE_BYTES,
            EntryKind::TrustDisplay => 64 * 1024,
            EntryKind::Transaction => crate::limits::MAX_TX_BYTES,
            EntryKind::SafeTransaction => crate::limits::MAX_TX_BYTES.saturating_add(512),
            EntryKind::Containment => crate::containment::MAX_CONTAINMENT_BYTES,
            EntryKind::Witness => MAX_BUNDLE_BYTES,
        }
    }
}

/// One entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// What it holds.
    pub kind: EntryKind,
    /// Its body's canonical bytes (policy: wiped on drop).
    pub body: Zeroizing<Vec<u8>>,
}

/// A decoded bundle: its entries, ordered by kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bundle {
    entries: Vec<Entry>,
}

/// Why bytes are not a bundle, or entries cannot make one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BundleError {
    /// What is wrong.
    pub problem: BundleProblem,
    /// The byte offset, when decoding.
    pub offset: Option<usize>,
}

/// The kinds of [`BundleError`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BundleProblem {
    /// Larger than [`MAX_BUNDLE_BYTES`].
    TooLarge,
    /// Not the structure above (the text says what was expected).
    Malformed(&'static str),
    /// An entry of a kind this version does not know.
    UnknownKind(u64),
    /// A body larger than its kind allows.
    BodyTooLarge(EntryKind),
    /// More than [`MAX_ENTRIES`].
    TooManyEntries,
    /// No manifest, or more than one; more than one rollback or trust display.
    Count(&'static str),
    /// The bytes decode but are not the one canonical encoding.
    NotCanonical,
}

impl fmt::Display for BundleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.problem {
            BundleProblem::TooLarge => write!(f, "larger than a bundle may be ({MAX_BUNDLE_BYTES} bytes)")?,
            BundleProblem::Malformed(what) => write!(f, "not a bundle: expected {what}")?,
            BundleProblem::UnknownKind(k) => {
                write!(f, "entry kind {k} is unknown to this version (made by a newer tool?)")?
            }
            BundleProblem::BodyTooLarge(k) => {
                write!(f, "a {} entry is larger than its kind allows", k.name())?
            }
            BundleProblem::TooManyEntries => write!(f, "more than {MAX_ENTRIES} entries")?,
            BundleProblem::Count(what) => f.write_str(what)?,
            BundleProblem::NotCanonical => {
                f.write_str("not the canonical encoding (entries by kind, shortest heads, definite lengths)")?
            }
        }
        if let Some(at) = self.offset {
            write!(f, " (at byte {at})")?;
        }
        Ok(())
    }
}

fn err(problem: BundleProblem, offset: Option<usize>) -> BundleError {
    BundleError { problem, offset }
}

impl Bundle {
    /// A bundle of `entries` (ordered by kind here, stable within a kind): exactly one manifest,
    /// at most one rollback and one trust display, each body within its kind's limit.
    pub fn new(mut entries: Vec<Entry>) -> Result<Self, BundleError> {
        entries.sort_by_key(|e| e.kind);
        let bundle = Bundle { entries };
        bundle.check_counts()?;
        Ok(bundle)
    }

    fn check_counts(&self) -> Result<(), BundleError> {
        if self.entries.len() > MAX_ENTRIES {
            return Err(err(BundleProblem::TooManyEntries, None));
        }
        if let Some(e) = self.entries.iter().find(|e| e.body.len() > e.kind.max_body()) {
            return Err(err(BundleProblem::BodyTooLarge(e.kind), None));
        }
        let count = |k: EntryKind| self.entries.iter().filter(|e| e.kind == k).count();
        if count(EntryKind::Manifest) != 1 {
            return Err(err(BundleProblem::Count("a bundle holds exactly one manifest"), None));
        }
        if count(EntryKind::Rollback) > 1 {
            return Err(err(BundleProblem::Count("a bundle holds at most one rollback manifest"), None));
        }
        if count(EntryKind::TrustDisplay) > 1 {
            return Err(err(BundleProblem::Count("a bundle holds at most one trust display"), None));
        }
        Ok(())
    }

    /// Every entry, ordered by kind.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The bodies of one kind, in order.
    pub fn of(&self, kind: EntryKind) -> impl Iterator<Item = &[u8]> + '_ {
        self.entries.iter().filter(move |e| e.kind == kind).map(|e| e.body.as_slice())
    }

    /// The manifest's bytes.
    pub fn manifest(&self) -> &[u8] {
        self.of(EntryKind::Manifest).next().unwrap_or_default()
    }

    /// The one canonical encoding (sized up front: it never reallocates, so no unwiped copy is
    /// left behind).
    pub fn to_canonical_bytes(&self) -> Zeroizing<Vec<u8>> {
        let size: usize = self.entries.iter().map(|e| e.body.len().saturating_add(16)).sum();
        let mut out = Zeroizing::new(Vec::with_capacity(size.saturating_add(40)));
        let mut enc = Encoder::from(VecSink(&mut out));
        let Ok(()) = enc.push(Header::Map(Some(2)));
        let Ok(()) = enc.push(Header::Positive(0));
        let Ok(()) = enc.push(Header::Text(Some(FORMAT_V1.len())));
        let Ok(()) = ciborium_io::Write::write_all(&mut enc, FORMAT_V1.as_bytes());
        let Ok(()) = enc.push(Header::Positive(1));
        let Ok(()) = enc.push(Header::Array(Some(self.entries.len())));
        for e in &self.entries {
            let Ok(()) = enc.push(Header::Array(Some(2)));
            let Ok(()) = enc.push(Header::Positive(e.kind.code()));
            let Ok(()) = enc.push(Header::Bytes(Some(e.body.len())));
            let Ok(()) = ciborium_io::Write::write_all(&mut enc, &e.body);
        }
        out
    }

    /// Decodes `bytes`, which must be a bundle's one canonical encoding. Work and memory are
    /// linear in `bytes`: every length is checked against what remains before it is read.
    pub fn from_canonical_bytes(bytes: &[u8]) -> Result<Self, BundleError> {
        if bytes.len() > MAX_BUNDLE_BYTES {
            return Err(err(BundleProblem::TooLarge, None));
        }
        let mut dec = Decoder::from(Slice(bytes));
        let pull = |dec: &mut Decoder<Slice<'_>>, what: &'static str| {
            let at = dec.offset();
            dec.pull().map(|h| (h, at)).map_err(|_| err(BundleProblem::Malformed(what), Some(at)))
        };
        let expect = |ok: bool, what: &'static str, at: usize| {
            if ok { Ok(()) } else { Err(err(BundleProblem::Malformed(what), Some(at))) }
        };
        let (h, at) = pull(&mut dec, "a map of two keys")?;
        expect(h == Header::Map(Some(2)), "a map of two keys", at)?;
        let (h, at) = pull(&mut dec, "key 0")?;
        expect(h == Header::Positive(0), "key 0", at)?;
        let (h, at) = pull(&mut dec, "the format text")?;
        expect(h == Header::Text(Some(FORMAT_V1.len())), "the format text \"bounded-signer/bundle/v1\"", at)?;
        let mut format = [0u8; FORMAT_V1.len()];
        let at = dec.offset();
        let read = ciborium_io::Read::read_exact(&mut dec, &mut format).is_ok();
        expect(read && format == *FORMAT_V1.as_bytes(), "the format text \"bounded-signer/bundle/v1\"", at)?;
        let (h, at) = pull(&mut dec, "key 1")?;
        expect(h == Header::Positive(1), "key 1", at)?;
        let (h, at) = pull(&mut dec, "the array of entries")?;
        let Header::Array(Some(n)) = h else {
            return Err(err(BundleProblem::Malformed("the array of entries"), Some(at)));
        };
        // Each entry takes at least three bytes: a count larger than that is a lie.
        if n > MAX_ENTRIES || n > bytes.len() / 3 {
            return Err(err(BundleProblem::TooManyEntries, Some(at)));
        }
        let mut entries = Vec::with_capacity(n);
        for _ in 0..n {
            let (h, at) = pull(&mut dec, "an entry [kind, body]")?;
            expect(h == Header::Array(Some(2)), "an entry [kind, body]", at)?;
            let (h, at) = pull(&mut dec, "an entry kind")?;
            let Header::Positive(code) = h else {
                return Err(err(BundleProblem::Malformed("an entry kind"), Some(at)));
            };
            let kind = EntryKind::from_code(code).ok_or(err(BundleProblem::UnknownKind(code), Some(at)))?;
            let (h, at) = pull(&mut dec, "an entry body (a definite byte string)")?;
            let Header::Bytes(Some(len)) = h else {
                return Err(err(
                    BundleProblem::Malformed("an entry body (a definite byte string)"),
                    Some(at),
                ));
            };
            if len > kind.max_body() {
                return Err(err(BundleProblem::BodyTooLarge(kind), Some(at)));
            }
            if len > bytes.len().saturating_sub(dec.offset()) {
                return Err(err(BundleProblem::Malformed("an entry body within the file"), Some(at)));
            }
            let mut body = Zeroizing::new(alloc::vec![0u8; len]);
            if ciborium_io::Read::read_exact(&mut dec, &mut body).is_err() {
                return Err(err(BundleProblem::Malformed("an entry body within the file"), Some(at)));
            }
            entries.push(Entry { kind, body });
        }
        if dec.offset() != bytes.len() {
            return Err(err(BundleProblem::Malformed("the end of the file"), Some(dec.offset())));
        }
        let bundle = Bundle { entries };
        if bundle.entries.windows(2).any(|w| matches!(w, [a, b] if a.kind > b.kind)) {
            return Err(err(BundleProblem::NotCanonical, None));
        }
        bundle.check_counts()?;
        let canonical = bundle.to_canonical_bytes();
        if canonical.as_slice() != bytes {
            let at = canonical.iter().zip(bytes).position(|(a, b)| a != b);
            return Err(err(BundleProblem::NotCanonical, at));
        }
        Ok(bundle)
    }
}

#[cfg(test)]
mod tests;
