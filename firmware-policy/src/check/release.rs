//! The approver's check: before an approval of the manifest is signed, the manifest must be
//! valid (a [`LoadedManifest`] is) and its window must not have closed, since an approval that
//! can never be used is a mistake worth stopping. Approving before the window opens is the
//! normal order of things.

use alloc::format;

use zeroize::Zeroizing;

use super::{Approval, Check, Outcomes, Reason, ReleaseApprovalSignable, Signable, Verdict};
use crate::instant::Utc;
use crate::manifest::LoadedManifest;
use crate::release_approval::{ReleaseSubject, SignedAs};

/// Checks `manifest` for an approval signed `signed_as`; the approving verdict's approval lets any
/// device account sign it (the trust file at the ceremony decides whether that account counts).
pub fn check_release_approval(manifest: &LoadedManifest, signed_as: SignedAs, now: u64) -> Verdict {
    let m = manifest.manifest();
    let hash = manifest.hash();
    let mut out = Outcomes::default();
    out.pass(Check::ManifestHash, format!("manifest {hash} is valid: an approval names exactly this hash"));
    if now >= m.expires_at {
        out.fail(
            Reason::WindowExpired,
            format!(
                "now {} is at or after expires_at {}: no approval can be used",
                Utc(now),
                Utc(m.expires_at)
            ),
        );
    } else {
        out.pass(Check::Window, format!("now {} is before expires_at {}", Utc(now), Utc(m.expires_at)));
    }
    let approval = out.reasons.is_empty().then(|| {
        let subject = ReleaseSubject::of(m, hash);
        let hashes = subject.hashes();
        Approval {
            manifest_hash: hash,
            action: None,
            action_name: Zeroizing::new(m.release.clone()),
            signer: m.executor,
            signers: alloc::vec::Vec::new(),
            signing_hash: hashes.signing_hash,
            signable: Signable::ReleaseApproval(ReleaseApprovalSignable { subject, hashes, signed_as }),
            replaceable: false,
        }
    });
    out.into_verdict(hash, now, approval)
}
