//! Output files (`-o`, `--out`): never overwritten silently, written and synced whole.

use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Why an output file was not written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// The file exists and `--force` was not given.
    #[error("{0}: already exists")]
    Exists(PathBuf),
    /// The directory the file would go in does not exist (or is not a directory).
    #[error("{0}: no such directory")]
    NoDirectory(PathBuf),
    /// The path exists and is not a regular file.
    #[error("{0}: exists and is not a regular file")]
    NotAFile(PathBuf),
    /// The file cannot be created or written.
    #[error("{path}: cannot write")]
    Write {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        cause: std::io::Error,
    },
}

impl OutputError {
    /// What to do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            OutputError::Exists(_) => "Pass --force to overwrite it, or name another output file.",
            OutputError::NoDirectory(_) => "Create the directory first, or name a file in one that exists.",
            OutputError::NotAFile(_) => "Name a file, not a directory or device.",
            OutputError::Write { .. } => "Check that the directory exists and that you can write to it.",
        }
    }
}

/// Checks, before any work whose result must not be lost, that `path` can be written: its
/// directory exists, and it does not exist yet (or `force` and it is a regular file).
pub fn check_output(path: &Path, force: bool) -> Result<(), OutputError> {
    match std::fs::symlink_metadata(path) {
        Ok(_) if !force => return Err(OutputError::Exists(path.to_path_buf())),
        Ok(meta) if !meta.file_type().is_file() => return Err(OutputError::NotAFile(path.to_path_buf())),
        _ => {}
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => Ok(()),
        _ => Err(OutputError::NoDirectory(dir.to_path_buf())),
    }
}

/// Writes an output file; an existing file is an error unless `force`.
pub fn write_output(path: &Path, bytes: &[u8], force: bool) -> Result<(), OutputError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    let failed = |cause| OutputError::Write { path: path.to_path_buf(), cause };
    let mut file = options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            OutputError::Exists(path.to_path_buf())
        } else {
            failed(e)
        }
    })?;
    file.write_all(bytes).and_then(|()| file.sync_all()).map_err(failed)
}
