//! `manifest build | show | hash`.

use std::path::{Path, PathBuf};

use firmware_policy::LoadedManifest;
use serde_json::json;

use crate::authoring;
use crate::cli::{print_json, print_text};
use crate::error::{CliError, Exit};
use crate::input::read_file_limited;
use crate::manifest_file::load;
use crate::output::write_output;
use crate::render;

/// The largest authoring file read.
const MAX_TOML_BYTES: usize = 4 << 20;

fn default_out(release: &Path) -> PathBuf {
    let stem =
        release.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "release".into());
    release.with_file_name(format!("{stem}.manifest.cbor"))
}

pub(crate) fn build(release: &Path, out: Option<&Path>, force: bool, json: bool) -> Result<Exit, CliError> {
    let raw = read_file_limited(release, MAX_TOML_BYTES)?;
    let text = std::str::from_utf8(&raw)
        .map_err(|e| CliError::input(format!("{}: not UTF-8: {e}", release.display())))?;
    let manifest = authoring::parse_release_in(text, Some(release.parent().unwrap_or(Path::new("."))))
        .map_err(|e| CliError::input(format!("{}: {e}", release.display())))?;
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
    Ok(Exit::Success)
}

pub(crate) fn show(path: &Path, json: bool) -> Result<Exit, CliError> {
    let loaded = load(path)?;
    if json {
        print_json(&render::json::manifest(&loaded));
    } else {
        print_text(&render::human::manifest(&loaded));
    }
    Ok(Exit::Success)
}

pub(crate) fn hash(path: &Path, json: bool) -> Result<Exit, CliError> {
    let loaded = load(path)?;
    if json {
        print_json(&json!({ "manifest_hash": loaded.hash().to_string() }));
    } else {
        print_text(&format!("{}\n", loaded.hash()));
    }
    Ok(Exit::Success)
}
