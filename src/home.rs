//! The state home (journal, later the trust store): `$BOUNDED_SIGNER_HOME`, else
//! `$XDG_DATA_HOME/bounded-signer`, else `~/.local/share/bounded-signer`; created mode 0700.

use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::PathBuf;

/// Why the state home cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum HomeError {
    /// No variable names a home.
    #[error("cannot find a state home: BOUNDED_SIGNER_HOME, XDG_DATA_HOME and HOME are all unset")]
    Unset,
    /// The directory cannot be created.
    #[error("{path}: cannot create the state home")]
    Create {
        /// The directory.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        cause: std::io::Error,
    },
}

impl HomeError {
    /// What to do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            HomeError::Unset => "Set BOUNDED_SIGNER_HOME to a directory.",
            HomeError::Create { .. } => "Set BOUNDED_SIGNER_HOME to a directory you can write.",
        }
    }
}

/// Where state lives (not created).
pub fn state_home() -> Result<PathBuf, HomeError> {
    let nonempty = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(p) = nonempty("BOUNDED_SIGNER_HOME") {
        return Ok(p);
    }
    if let Some(p) = nonempty("XDG_DATA_HOME") {
        return Ok(p.join("bounded-signer"));
    }
    let home = nonempty("HOME").ok_or(HomeError::Unset)?;
    Ok(home.join(".local/share/bounded-signer"))
}

/// The state home, created (0700) if missing.
pub fn ensure_state_home() -> Result<PathBuf, HomeError> {
    let dir = state_home()?;
    if !dir.exists() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(|cause| HomeError::Create { path: dir.clone(), cause })?;
        let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700));
    }
    Ok(dir)
}
