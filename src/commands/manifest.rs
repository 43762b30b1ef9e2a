//! `manifest build | show | hash`.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use firmware_policy::limits::MAX_MANIFEST_BYTES;
use firmware_policy::{LoadedManifest, ManifestHash, OpenedManifest};
use serde_json::json;

use crate::authoring;
use crate::cli::{print_json, print_text};
use crate::error::CliError;
use crate::input::read_file_limited;
use crate::render;

/// The largest authoring file read.
const MAX_TOML_BYTES: usize = 4 << 20;

/// Reads and verifies a canonical manifest file.
pub fn load(path: &Path) -> Result<LoadedManifest, CliError> {
    let bytes = read_file_limited(path, MAX_MANIFEST_BYTES)?;
    LoadedManifest::from_canonical_bytes(&bytes).map_err(|e| {
        CliError::input(format!("{}: {e}", path.display()))
            .hint("A manifest must be the exact bytes `bounded-signer manifest build` wrote.")
    })
}

/// Reads a manifest file for `check` and `sign`: its hash is compared with the approved hash
/// before anything else, and an unapproved file is only walked for well-formedness, never decoded.
pub fn open(path: &Path, approved: ManifestHash) -> Result<OpenedManifest, CliError> {
    let bytes = read_file_limited(path, MAX_MANIFEST_BYTES)?;
    OpenedManifest::open(&bytes, approved).map_err(|e| {
        CliError::input(format!("{}: {e}", path.display()))
            .hint("A manifest must be the exact bytes `bounded-signer manifest build` wrote.")
    })
}

fn default_out(release: &Path) -> PathBuf {
    let stem =
        release.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "release".into());
    release.with_file_name(format!("{stem}.manifest.cbor"))
}

pub(crate) fn build(release: &Path, out: Option<&Path>, force: bool, json: bool) -> Result<u8, CliError> {
    let raw = read_file_limited(release, MAX_TOML_BYTES)?;
    let text = std::str::from_utf8(&raw)
        .map_err(|e| CliError::input(format!("{}: not UTF-8: {e}", release.display())))?;
    let manifest =
        authoring::parse_release(text).map_err(|e| CliError::input(format!("{}: {e}", release.display())))?;
    let warnings = authoring::warnings(&manifest);
    let loaded = LoadedManifest::from_manifest(manifest)
        .map_err(|e| CliError::input(format!("{}: {e}", release.display())))?;
    let out_path = out.map(Path::to_path_buf).unwrap_or_else(|| default_out(release));
    write_output(&out_path, loaded.bytes(), force)?;
    let hash = loaded.hash();
    let actions = loaded.manifest().actions.len();
    if json {
        print_json(&json!({
            "manifest_hash": hash.to_string(),
            "path": out_path.display().to_string(),
            "actions": actions,
            "warnings": warnings,
        }));
    } else {
        for w in &warnings {
            crate::cli::print_diagnostic(&format!("warning: {w}"));
        }
        print_text(&format!(
            "Wrote {} ({} bytes, {actions} action{})\nManifest hash: {hash}\n",
            out_path.display(),
            loaded.bytes().len(),
            if actions == 1 { "" } else { "s" },
        ));
    }
    Ok(0)
}

/// Writes an output file; an existing file is an error unless `force`.
pub(crate) fn write_output(path: &Path, bytes: &[u8], force: bool) -> Result<(), CliError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    let mut file = options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            CliError::input(format!("{}: already exists", path.display()))
                .hint("Pass --force to overwrite it, or -o to write elsewhere.")
        } else {
            CliError::input(format!("{}: cannot write: {e}", path.display()))
        }
    })?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| CliError::input(format!("{}: cannot write: {e}", path.display())))
}

pub(crate) fn show(path: &Path, json: bool) -> Result<u8, CliError> {
    let loaded = load(path)?;
    if json {
        print_json(&render::json::manifest(&loaded));
    } else {
        print_text(&render::human::manifest(&loaded));
    }
    Ok(0)
}

pub(crate) fn hash(path: &Path, json: bool) -> Result<u8, CliError> {
    let loaded = load(path)?;
    if json {
        print_json(&json!({ "manifest_hash": loaded.hash().to_string() }));
    } else {
        print_text(&format!("{}\n", loaded.hash()));
    }
    Ok(0)
}
