//! The approval quorum: which approvals of a manifest file count, under the trust the ceremony
//! laptop pins (a threshold of distinct approvers from a fixed set).
//!
//! Each approval is recovered over the file's own facts ([`ReleaseSubject`], read from the file's
//! first keys before anything else of it is trusted). One counts when it names this file's hash,
//! recovers to the approver it names, that approver is in the trust set, and no earlier approval
//! of the same key counted (a key that approves twice counts once, and the second is reported).
//! With `separate_roles`, a counted approver may not also execute the release or own one of its
//! Safes: proposal, approval and execution are different people.
//!
//! There is no revocation beyond the trust file: an approver removed from it stops counting, and
//! an approval once signed is valid for that manifest for as long as its key is trusted.

use alloc::vec::Vec;

use alloy_primitives::Address;

use crate::cbor_io::VecSink;
use crate::manifest::{Manifest, ManifestHash};
use crate::release_approval::{ApprovalFile, ReleaseSubject, SignedAs};

/// The approver set pinned on the laptop.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trust {
    threshold: usize,
    approvers: Vec<Address>,
    separate_roles: bool,
}

impl Trust {
    /// A trust set: at least one approver, each once and none zero, and a threshold between one
    /// and their number.
    pub fn new(
        threshold: usize,
        mut approvers: Vec<Address>,
        separate_roles: bool,
    ) -> Result<Self, &'static str> {
        if approvers.is_empty() {
            return Err("approvers is empty: no approval could ever count");
        }
        if approvers.contains(&Address::ZERO) {
            return Err("approvers holds the zero address, which no key controls");
        }
        approvers.sort_unstable();
        if approvers.windows(2).any(|w| w.first() == w.get(1)) {
            return Err("approvers names an address twice");
        }
        if threshold == 0 || threshold > approvers.len() {
            return Err("threshold must be at least 1 and at most the number of approvers");
        }
        Ok(Trust { threshold, approvers, separate_roles })
    }

    /// How many distinct trusted approvers must approve.
    pub fn threshold(&self) -> usize {
        self.threshold
    }
    /// The trusted approvers, ascending.
    pub fn approvers(&self) -> &[Address] {
        &self.approvers
    }
    /// Whether an approver may not also be the executor or a Safe owner of the release.
    pub fn separate_roles(&self) -> bool {
        self.separate_roles
    }
}

impl Trust {
    /// The approver set as a bundle shows it (for display only): canonical CBOR
    /// `{0: threshold, 1: [+ bytes(20)] approvers ascending, 2: separate_roles}`.
    pub fn display_bytes(&self) -> Vec<u8> {
        use ciborium_ll::{Encoder, Header, simple};
        let mut out = Vec::with_capacity(16usize.saturating_add(self.approvers.len().saturating_mul(21)));
        let mut enc = Encoder::from(VecSink(&mut out));
        let Ok(()) = enc.push(Header::Map(Some(3)));
        let Ok(()) = enc.push(Header::Positive(0));
        let Ok(()) = enc.push(Header::Positive(self.threshold as u64));
        let Ok(()) = enc.push(Header::Positive(1));
        let Ok(()) = enc.push(Header::Array(Some(self.approvers.len())));
        for a in &self.approvers {
            let Ok(()) = enc.push(Header::Bytes(Some(20)));
            let Ok(()) = ciborium_io::Write::write_all(&mut enc, a.as_slice());
        }
        let Ok(()) = enc.push(Header::Positive(2));
        let Ok(()) = enc.push(Header::Simple(if self.separate_roles { simple::TRUE } else { simple::FALSE }));
        out
    }

    /// Reads [`Self::display_bytes`] back (only its one canonical encoding).
    pub fn from_display_bytes(bytes: &[u8]) -> Result<Self, &'static str> {
        use ciborium_ll::{Decoder, Header, simple};
        const BAD: &str = "not an approver set {0: threshold, 1: [approvers], 2: separate_roles}";
        let mut dec = Decoder::from(bytes);
        let mut pull = || dec.pull().map_err(|_| BAD);
        if pull()? != Header::Map(Some(3)) || pull()? != Header::Positive(0) {
            return Err(BAD);
        }
        let Header::Positive(threshold) = pull()? else { return Err(BAD) };
        if pull()? != Header::Positive(1) {
            return Err(BAD);
        }
        let Header::Array(Some(n)) = pull()? else { return Err(BAD) };
        if n > bytes.len() / 21 {
            return Err(BAD);
        }
        let mut approvers = Vec::with_capacity(n);
        for _ in 0..n {
            if dec.pull().map_err(|_| BAD)? != Header::Bytes(Some(20)) {
                return Err(BAD);
            }
            let mut a = [0u8; 20];
            ciborium_io::Read::read_exact(&mut dec, &mut a).map_err(|_| BAD)?;
            approvers.push(Address::from(a));
        }
        if dec.pull().map_err(|_| BAD)? != Header::Positive(2) {
            return Err(BAD);
        }
        let separate_roles = match dec.pull().map_err(|_| BAD)? {
            Header::Simple(simple::TRUE) => true,
            Header::Simple(simple::FALSE) => false,
            _ => return Err(BAD),
        };
        let trust = Trust::new(usize::try_from(threshold).map_err(|_| BAD)?, approvers, separate_roles)?;
        if trust.display_bytes() != bytes {
            return Err("not the canonical encoding of an approver set");
        }
        Ok(trust)
    }
}

/// Where one approval stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Standing {
    /// It counts toward the threshold.
    Counted,
    /// The same key approved in an earlier file; it counts once.
    Duplicate,
    /// A valid approval by a key the trust file does not name.
    NotTrusted,
    /// It approves another manifest.
    OtherManifest(ManifestHash),
    /// Its signature recovers to another key than the approver it names.
    SignedByOther(Address),
    /// Its signature is not valid (the reason).
    Invalid(&'static str),
}

impl Standing {
    /// The stable name of the standing (the JSON value).
    pub fn code(&self) -> &'static str {
        match self {
            Standing::Counted => "counted",
            Standing::Duplicate => "duplicate",
            Standing::NotTrusted => "not_trusted",
            Standing::OtherManifest(_) => "other_manifest",
            Standing::SignedByOther(_) => "signed_by_other",
            Standing::Invalid(_) => "invalid",
        }
    }

    /// Why it does not count (`None` when it counts).
    pub fn why(&self) -> Option<alloc::string::String> {
        use alloc::format;
        Some(match self {
            Standing::Counted => return None,
            Standing::Duplicate => "this key's approval is already counted (a key counts once)".into(),
            Standing::NotTrusted => "a valid approval by a key the trust file does not name".into(),
            Standing::OtherManifest(h) => format!("it approves another manifest, {h}"),
            Standing::SignedByOther(a) => format!("its signature is by {a}, not by the approver it names"),
            Standing::Invalid(why) => format!("invalid: {why}"),
        })
    }
}

/// One approval's evaluation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Its position among the approvals given (from 0).
    pub index: usize,
    /// The approver it names.
    pub approver: Address,
    /// How it says it was signed.
    pub signed_as: SignedAs,
    /// Whether it counts, and why not.
    pub standing: Standing,
}

/// Every approval's evaluation, and the threshold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuorumReport {
    /// The manifest file's hash.
    pub manifest_hash: ManifestHash,
    /// The threshold of the trust set.
    pub threshold: usize,
    /// How many approvers the trust set names.
    pub trusted: usize,
    /// One per approval, in the order given.
    pub entries: Vec<Entry>,
}

impl QuorumReport {
    /// The approvers that count, in the order given.
    pub fn counted(&self) -> impl Iterator<Item = Address> + '_ {
        self.entries.iter().filter(|e| e.standing == Standing::Counted).map(|e| e.approver)
    }
    /// Whether at least `threshold` distinct trusted approvers approved this manifest.
    pub fn met(&self) -> bool {
        self.counted().count() >= self.threshold
    }
}

/// Evaluates `approvals` of the manifest whose facts are `subject` (`None` when the file's first
/// keys are not a manifest's: then nothing can be recovered and nothing counts).
pub fn evaluate(
    subject: Option<&ReleaseSubject>,
    manifest_hash: ManifestHash,
    approvals: &[ApprovalFile],
    trust: &Trust,
) -> QuorumReport {
    let mut entries: Vec<Entry> = Vec::with_capacity(approvals.len());
    for (index, approval) in approvals.iter().enumerate() {
        let standing = if approval.manifest_hash != manifest_hash {
            Standing::OtherManifest(approval.manifest_hash)
        } else {
            match subject.map(|s| approval.recover(s)) {
                None => Standing::Invalid(
                    "the manifest file's first keys are not a manifest's, so no approval of it can be checked",
                ),
                Some(Err(why)) => Standing::Invalid(why),
                Some(Ok(signer)) if signer != approval.approver => Standing::SignedByOther(signer),
                Some(Ok(signer)) if trust.approvers.binary_search(&signer).is_err() => Standing::NotTrusted,
                Some(Ok(signer))
                    if entries.iter().any(|e| e.standing == Standing::Counted && e.approver == signer) =>
                {
                    Standing::Duplicate
                }
                Some(Ok(_)) => Standing::Counted,
            }
        };
        entries.push(Entry { index, approver: approval.approver, signed_as: approval.signed_as, standing });
    }
    QuorumReport { manifest_hash, threshold: trust.threshold, trusted: trust.approvers.len(), entries }
}

/// The role a counted approver also holds in the release.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The manifest's executor.
    Executor,
    /// An owner of this manifest Safe.
    SafeOwner(Address),
}

/// Every counted approver that is also the executor or an owner of a manifest Safe.
pub fn role_conflicts(manifest: &Manifest, report: &QuorumReport) -> Vec<(Address, Role)> {
    let mut out = Vec::new();
    for approver in report.counted() {
        if approver == manifest.executor {
            out.push((approver, Role::Executor));
        }
        for safe in manifest.safes.iter().filter(|s| s.owners.contains(&approver)) {
            out.push((approver, Role::SafeOwner(safe.address)));
        }
    }
    out
}

#[cfg(test)]
mod tests;
