//! What makes a manifest approved for `check`, `sign` and `safe sign`: exactly one of the hash
//! governance published (`--approved-hash`), or a quorum of approval files (`--approvals`) under
//! the trust file pinned on the laptop (`--trust`, by default `$BOUNDED_SIGNER_HOME/trust.toml`).
//!
//! Under a quorum the manifest file is hashed, its first keys give the facts the approvals signed,
//! and the approvals are counted before anything else of the file is read; only a met quorum
//! makes its hash the approved one. A quorum not met, and an approver who also executes or
//! co-signs the release (with `separate_roles`), refuse alone, as a hash mismatch does.

use std::path::{Path, PathBuf};

use firmware_policy::quorum::{self, QuorumReport, Trust};
use firmware_policy::release_approval::{ApprovalFile, MAX_APPROVAL_FILE_BYTES};
use firmware_policy::{ManifestHash, OpenedManifest, Verdict};
use serde::Deserialize;

use crate::error::CliError;
use crate::input::read_file_limited;

/// Largest trust file accepted.
const MAX_TRUST_BYTES: usize = 64 * 1024;
/// The trust file's name in the state home.
pub const TRUST_FILE: &str = "trust.toml";
/// Most approval files one run takes.
const MAX_APPROVALS: usize = 256;

/// How the command line proves approval.
#[derive(Clone, Debug)]
pub enum ProofArgs {
    /// `--approved-hash H`.
    Hash(ManifestHash),
    /// `--trust T` and `--approvals FILE…`.
    Quorum {
        /// The trust file (`None`: the state home's).
        trust: Option<PathBuf>,
        /// The approval files.
        approvals: Vec<PathBuf>,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TrustToml {
    threshold: usize,
    approvers: Vec<String>,
    #[serde(default = "yes")]
    separate_roles: bool,
}

fn yes() -> bool {
    true
}

/// Reads and checks a trust file.
pub fn read_trust(path: &Path) -> Result<Trust, CliError> {
    let bytes = read_file_limited(path, MAX_TRUST_BYTES)?;
    let bad = |what: String| {
        CliError::input(format!("{}: {what}", path.display()))
            .hint("A trust file holds threshold = N, approvers = [\"0x…\", …] and optionally separate_roles = true|false.")
    };
    let text = std::str::from_utf8(&bytes).map_err(|e| bad(format!("not UTF-8: {e}")))?;
    let parsed: TrustToml = toml::from_str(text).map_err(|e| bad(e.message().to_string()))?;
    let mut approvers = Vec::with_capacity(parsed.approvers.len());
    for (i, a) in parsed.approvers.iter().enumerate() {
        approvers.push(crate::values::parse_address(a).map_err(|e| bad(format!("approvers[{i}]: {e}")))?);
    }
    Trust::new(parsed.threshold, approvers, parsed.separate_roles).map_err(|e| bad(e.to_string()))
}

/// Reads one approval file.
pub fn read_approval(path: &Path) -> Result<ApprovalFile, CliError> {
    let bytes = read_file_limited(path, MAX_APPROVAL_FILE_BYTES)?;
    ApprovalFile::from_canonical_bytes(&bytes).map_err(|e| {
        CliError::input(format!("{}: not an approval file: {e}", path.display()))
            .hint("An approval file is the exact bytes `bounded-signer approve` wrote.")
    })
}

/// Where the manifest comes from.
#[derive(Clone, Debug)]
pub enum Source {
    /// Its own file.
    File(PathBuf),
    /// A release bundle's manifest entry.
    Bundle(PathBuf),
}

impl Source {
    /// How messages name it.
    pub fn describe(&self) -> String {
        match self {
            Source::File(p) => p.display().to_string(),
            Source::Bundle(p) => format!("{} (its manifest)", p.display()),
        }
    }
}

/// The manifest file, opened under the proof the command line gave.
pub struct Opened {
    /// The file: decoded only when approved.
    pub manifest: OpenedManifest,
    authority: Authority,
    /// The bundle it came in, if any (its proposals are offered to the command).
    pub bundle: Option<firmware_policy::bundle::Bundle>,
}

enum Authority {
    Hash(ManifestHash),
    Quorum { report: QuorumReport, trust: Trust },
}

/// Opens the manifest of `source` under `proof` (exit 2 for an unreadable or malformed
/// manifest, bundle, trust file or approval file). A bundle's approvals join the given ones
/// under a quorum; under a hash they are not needed and not read.
pub fn open(source: &Source, proof: &ProofArgs) -> Result<Opened, CliError> {
    let (path, bundle) = match source {
        Source::File(path) => (path.clone(), None),
        Source::Bundle(path) => (path.clone(), Some(crate::commands::bundle::read(path)?)),
    };
    let bytes = match &bundle {
        Some(b) => zeroize::Zeroizing::new(b.manifest().to_vec()),
        None => crate::manifest_file::read(&path)?,
    };
    let named = PathBuf::from(source.describe());
    let invalid = |cause| crate::manifest_file::ManifestFileError::Invalid { path: named.clone(), cause };
    match proof {
        ProofArgs::Hash(hash) => Ok(Opened {
            manifest: OpenedManifest::open(&bytes, *hash).map_err(invalid)?,
            authority: Authority::Hash(*hash),
            bundle,
        }),
        ProofArgs::Quorum { trust, approvals } => {
            let trust_path = match trust {
                Some(p) => p.clone(),
                None => crate::home::state_home()?.join(TRUST_FILE),
            };
            let trust = read_trust(&trust_path)?;
            if approvals.len() > MAX_APPROVALS {
                return Err(CliError::input(format!(
                    "{} approval files: at most {MAX_APPROVALS}",
                    approvals.len()
                )));
            }
            let mut files = approvals.iter().map(|p| read_approval(p)).collect::<Result<Vec<_>, _>>()?;
            if let Some(b) = &bundle {
                for (i, body) in b.of(firmware_policy::bundle::EntryKind::Approval).enumerate() {
                    files.push(ApprovalFile::from_canonical_bytes(body).map_err(|e| {
                        CliError::input(format!("{}: approval {i} of the bundle: {e}", path.display()))
                    })?);
                }
            }
            let hash = ManifestHash(alloy_primitives::keccak256(&bytes));
            let subject = firmware_policy::manifest::release_subject_of(&bytes).ok();
            let report = quorum::evaluate(subject.as_ref(), hash, &files, &trust);
            let manifest = if report.met() {
                OpenedManifest::open(&bytes, hash)
            } else {
                OpenedManifest::open_unapproved(&bytes)
            }
            .map_err(invalid)?;
            Ok(Opened { manifest, authority: Authority::Quorum { report, trust }, bundle })
        }
    }
}

impl Opened {
    /// The proposal of `kind` the bundle offers when TX (or SAFE_TX) is omitted: its only one,
    /// or the one `--proposal N` picks (exit 2 otherwise). `None` without a bundle.
    pub fn bundle_proposal(
        &self,
        kind: firmware_policy::bundle::EntryKind,
        pick: Option<usize>,
    ) -> Result<Option<zeroize::Zeroizing<Vec<u8>>>, CliError> {
        let Some(bundle) = &self.bundle else { return Ok(None) };
        let what = match kind {
            firmware_policy::bundle::EntryKind::SafeTransaction => "Safe transaction proposals",
            _ => "transaction proposals",
        };
        let found: Vec<&[u8]> = bundle.of(kind).collect();
        let chosen = match (pick, found.len()) {
            (Some(n), len) => found.get(n).copied().ok_or_else(|| {
                CliError::input(format!("--proposal {n}: the bundle holds {len} {what} (0-based)"))
            })?,
            (None, 1) => found.first().copied().unwrap_or_default(),
            (None, 0) => {
                return Err(CliError::input(format!("the bundle holds no {what}: give the proposal")));
            }
            (None, len) => {
                return Err(CliError::input(format!(
                    "the bundle holds {len} {what}: pick one with --proposal N (0-based), or give the proposal"
                )));
            }
        };
        Ok(Some(zeroize::Zeroizing::new(chosen.to_vec())))
    }

    /// The transaction to check: TX when given, else the bundle's (its only one, or the one
    /// `--proposal N` picks), else TX from stdin as `tx_argument` reads it.
    pub fn proposal(
        &self,
        tx: Option<&str>,
        flags: &crate::cli::ManifestFlags,
    ) -> Result<crate::input::ReadProposal, CliError> {
        let offered = match tx {
            None => self.bundle_proposal(firmware_policy::bundle::EntryKind::Transaction, flags.proposal)?,
            Some(_) => None,
        };
        Ok(match offered {
            Some(bytes) => crate::input::read_proposal_bytes(
                bytes,
                crate::input::Source::Bundle {
                    path: flags.bundle.clone().unwrap_or_default(),
                    index: flags.proposal.unwrap_or(0),
                },
            )?,
            None => crate::input::read_proposal(crate::input::tx_argument(tx)?)?,
        })
    }

    /// A manifest already loaded and approved by its hash (the rehearsal's own release).
    pub fn approved_by_hash(loaded: firmware_policy::LoadedManifest) -> Self {
        let hash = loaded.hash();
        Opened {
            manifest: OpenedManifest::Approved(Box::new(loaded)),
            authority: Authority::Hash(hash),
            bundle: None,
        }
    }

    /// The verdict: `check`'s (given the file and the approved hash), unless the quorum decides
    /// alone (not met, or an approver holding another role of the release).
    pub fn verdict(&self, now: u64, check: impl FnOnce(&OpenedManifest, ManifestHash) -> Verdict) -> Verdict {
        let (report, trust) = match &self.authority {
            Authority::Hash(hash) => return check(&self.manifest, *hash),
            Authority::Quorum { report, trust } => (report, trust),
        };
        let Some(loaded) = self.manifest.approved().filter(|_| report.met()) else {
            return firmware_policy::quorum_not_met(report.clone(), now);
        };
        if trust.separate_roles() {
            let conflicts = quorum::role_conflicts(loaded.manifest(), report);
            if !conflicts.is_empty() {
                return firmware_policy::role_conflict(report.clone(), &conflicts, now);
            }
        }
        firmware_policy::with_quorum(check(&self.manifest, report.manifest_hash), report.clone())
    }

    /// The verdict on a manifest that is not approved, when nothing else can be checked.
    pub fn unapproved_verdict(&self, now: u64) -> Verdict {
        match &self.authority {
            Authority::Hash(hash) => firmware_policy::manifest_not_approved(self.manifest.hash(), *hash, now),
            Authority::Quorum { report, .. } => firmware_policy::quorum_not_met(report.clone(), now),
        }
    }
}
