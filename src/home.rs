//! The state home (journal, later the trust store): `$BOUNDED_SIGNER_HOME`, else
//! `$XDG_DATA_HOME/bounded-signer`, else `~/.local/share/bounded-signer`; created mode 0700.

use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::PathBuf;

use crate::error::CliError;

/// Where state lives (not created).
pub fn state_home() -> Result<PathBuf, CliError> {
    let nonempty = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(p) = nonempty("BOUNDED_SIGNER_HOME") {
        return Ok(p);
    }
    if let Some(p) = nonempty("XDG_DATA_HOME") {
        return Ok(p.join("bounded-signer"));
    }
    let home = nonempty("HOME").ok_or_else(|| {
        CliError::input("cannot find a state home: HOME is not set")
            .hint("Set BOUNDED_SIGNER_HOME to a directory.")
    })?;
    Ok(home.join(".local/share/bounded-signer"))
}

/// The state home, created (0700) if missing.
pub fn ensure_state_home() -> Result<PathBuf, CliError> {
    let dir = state_home()?;
    if !dir.exists() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(|e| CliError::input(format!("{}: cannot create the state home: {e}", dir.display())))?;
        let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700));
    }
    Ok(dir)
}
