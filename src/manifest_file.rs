//! Reading a manifest file: within its size limit, and for `check` and `sign` hash first (an
//! unapproved file is only walked for well-formedness, never decoded).

use std::path::{Path, PathBuf};

use firmware_policy::limits::MAX_MANIFEST_BYTES;
use firmware_policy::{LoadedManifest, ManifestError, ManifestHash, OpenedManifest};

use crate::input::{InputError, read_file_limited};

/// Why a manifest file was refused.
#[derive(Debug, thiserror::Error)]
pub enum ManifestFileError {
    /// The file cannot be read.
    #[error(transparent)]
    Read(#[from] InputError),
    /// The bytes are not a valid canonical manifest.
    #[error("{path}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the field and byte offset.
        #[source]
        cause: ManifestError,
    },
}

impl ManifestFileError {
    /// What to do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            ManifestFileError::Read(e) => e.hint(),
            ManifestFileError::Invalid { .. } => {
                "A manifest must be the exact bytes `bounded-signer manifest build` wrote."
            }
        }
    }
}

/// Reads and verifies a canonical manifest file (for `manifest show` and `hash`).
pub fn load(path: &Path) -> Result<LoadedManifest, ManifestFileError> {
    let bytes = read_file_limited(path, MAX_MANIFEST_BYTES)?;
    LoadedManifest::from_canonical_bytes(&bytes)
        .map_err(|cause| ManifestFileError::Invalid { path: path.to_path_buf(), cause })
}

/// A manifest file's bytes, within the size limit (what `approvals::open` hashes first).
pub fn read(path: &Path) -> Result<zeroize::Zeroizing<Vec<u8>>, ManifestFileError> {
    Ok(read_file_limited(path, MAX_MANIFEST_BYTES)?)
}

/// Reads a manifest file for `check` and `sign`: its hash is compared with the approved hash
/// before anything else, and an unapproved file is only walked for well-formedness.
pub fn open(path: &Path, approved: ManifestHash) -> Result<OpenedManifest, ManifestFileError> {
    let bytes = read_file_limited(path, MAX_MANIFEST_BYTES)?;
    OpenedManifest::open(&bytes, approved)
        .map_err(|cause| ManifestFileError::Invalid { path: path.to_path_buf(), cause })
}
