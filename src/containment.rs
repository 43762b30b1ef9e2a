//! Containment on the laptop: a release whose execution diverged (`verify-execution`) is
//! recorded in this state home's journal and in a containment file a bundle can carry; while
//! either names a manifest, `sign` and `safe sign` sign nothing more of it (`release_contained`).
//! A record can only stop signing, so one from any source is believed: a forged one costs a
//! re-run of the ceremony, never a wrong signature.

use std::path::Path;

use firmware_policy::ManifestHash;
use firmware_policy::bundle::{Bundle, EntryKind};
use firmware_policy::containment::Containment;

use crate::error::CliError;
use crate::journal::{self, Kind};

/// Why `manifest` is contained, when the journal in `home` or `bundle` says it is; exit 2 for a
/// journal that does not verify or a bundle record that is not one.
pub fn contained(
    manifest: ManifestHash,
    home: &Path,
    bundle: Option<&Bundle>,
) -> Result<Option<String>, CliError> {
    let path = home.join(journal::FILE_NAME);
    let contents = journal::read(&path).map_err(CliError::from)?;
    if let Some(r) = contents
        .records
        .iter()
        .find(|r| r.body.kind == Kind::Contained && r.body.manifest_hash == Some(manifest.0))
    {
        return Ok(Some(format!(
            "record {} of the journal {}: the execution of {:#x} diverged from the manifest (verify-execution); only actions of its rollback manifest may be signed",
            r.number(),
            path.display(),
            r.body.tx_hash.unwrap_or_default()
        )));
    }
    for (i, body) in bundle.into_iter().flat_map(|b| b.of(EntryKind::Containment)).enumerate() {
        let record = Containment::from_canonical_bytes(body)
            .map_err(|e| CliError::input(format!("the bundle's containment record {i}: {e}")))?;
        if record.manifest_hash == manifest {
            return Ok(Some(format!(
                "the bundle's containment record {i}: the execution of {:#x} in block {} diverged from the manifest; only actions of its rollback manifest {:#x} may be signed",
                record.tx_hash, record.block_number, record.rollback_manifest_hash
            )));
        }
    }
    Ok(None)
}
