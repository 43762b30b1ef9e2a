//! `airgap send FILE [--fragment-len N] [--frames N]` and `airgap receive --text FILE|- -o OUT`:
//! a file across the air gap as UR text, one part per line (what a QR code holds, and what a
//! handheld scanner types). The receiver takes the lines in any order, with duplicates and gaps,
//! and prints the hashes of what it assembled, for comparison with the approved ones.

use std::io::Read as _;
use std::path::Path;

use alloy_primitives::keccak256;
use serde_json::{Value, json};
use sha2::Digest as _;

use crate::airgap::{self, DEFAULT_FRAGMENT_LEN, MAX_FILE_BYTES, Receiver};
use crate::cli::{AirgapReceiveArgs, AirgapSendArgs, print_json, print_text};
use crate::error::{CliError, Exit};
use crate::input::read_file_limited;
use crate::output::{check_output, write_output};

/// The most UR text one receive reads (a maximal file's parts several times over).
const MAX_TEXT_BYTES: usize = 8 * MAX_FILE_BYTES;

/// Parts sent when `--frames` is not given: every fragment three times over and twenty more,
/// enough for the `ur` crate's peeling decoder to finish after a third of them are lost (the
/// frame benchmark of the next step sets the figure this stands in for).
fn default_frames(fragments: usize) -> usize {
    fragments.saturating_mul(3).saturating_add(20)
}

/// `airgap send`.
pub fn send(args: &AirgapSendArgs) -> Result<Exit, CliError> {
    let file = read_file_limited(&args.file, MAX_FILE_BYTES)?;
    let fragment_len = args.fragment_len.unwrap_or(DEFAULT_FRAGMENT_LEN);
    let frames =
        args.frames.unwrap_or_else(|| default_frames(airgap::fragment_count(file.len(), fragment_len)));
    let parts = airgap::parts(&file, fragment_len, frames)
        .map_err(|e| CliError::input(format!("{}: {e}", args.file.display())))?;
    let Some(dir) = &args.png_dir else {
        let mut text = parts.join("\n");
        text.push('\n');
        print_text(&text);
        return Ok(Exit::Success);
    };
    if dir.exists() && !args.force {
        return Err(CliError::input(format!("{}: exists", dir.display()))
            .hint("Pass --force to write into it, or name another directory."));
    }
    std::fs::create_dir_all(dir).map_err(|e| CliError::input(format!("{}: {e}", dir.display())))?;
    for (i, part) in parts.iter().enumerate() {
        let png = airgap::qr::png_of(part).map_err(|e| CliError::internal(format!("part {}: {e}", i + 1)))?;
        let path = dir.join(format!("frame-{:05}.png", i + 1));
        write_output(&path, &png, true)?;
    }
    print_text(&format!(
        "Wrote {} QR frames to {} (frame-00001.png …; show them in order, looping)\n",
        parts.len(),
        dir.display()
    ));
    Ok(Exit::Success)
}

/// What a received file is, judged by which strict decoder takes it.
fn kind_of(bytes: &[u8]) -> (&'static str, Option<String>) {
    if let Ok(m) = firmware_policy::LoadedManifest::from_canonical_bytes(bytes) {
        return ("manifest", Some(m.hash().to_string()));
    }
    if let Ok(b) = firmware_policy::bundle::Bundle::from_canonical_bytes(bytes) {
        return ("bundle", Some(format!("{:#x}", keccak256(b.manifest()))));
    }
    if firmware_policy::release_approval::ApprovalFile::from_canonical_bytes(bytes).is_ok() {
        return ("approval", None);
    }
    let signature = serde_json::from_slice::<Value>(bytes).ok().is_some_and(|v| v.get("signature").is_some());
    (if signature { "signature" } else { "unknown" }, None)
}

/// `airgap receive --images`: each image's QR codes, in the order given.
fn receive_images(args: &AirgapReceiveArgs, json_out: bool) -> Result<Exit, CliError> {
    let mut receiver = Receiver::default();
    let mut used = None;
    for path in &args.images {
        let bytes = read_file_limited(path, 64 << 20)?;
        let texts = airgap::qr::texts_in_png(&bytes)
            .map_err(|e| CliError::input(format!("{}: {e}", path.display())))?;
        if texts.is_empty() {
            crate::cli::print_diagnostic(&format!("warning: {}: no QR code found; skipped", path.display()));
        }
        for text in texts {
            receiver.receive(&text).map_err(|e| {
                CliError::input(format!("{}: {e}", path.display()))
                    .hint("Receive the frames of one file only, as `airgap send` showed them.")
            })?;
        }
        if receiver.complete() {
            used = Some(receiver.seen());
            break;
        }
    }
    finish(args, receiver, used, &format!("{} images", args.images.len()), json_out)
}

fn finish(
    args: &AirgapReceiveArgs,
    receiver: Receiver,
    used: Option<usize>,
    name: &str,
    json_out: bool,
) -> Result<Exit, CliError> {
    let Some(frames_used) = used else {
        let missing = receiver.fragments().map_or_else(String::new, |n| format!(" of a {n}-fragment file"));
        return Err(CliError::input(format!(
            "{name}: {} parts{missing} are not enough to assemble it",
            receiver.seen()
        ))
        .hint("Show more of the animation (or more lines of `airgap send`), then receive again."));
    };
    let file = receiver.file().map_err(|e| CliError::input(format!("{name}: {e}")))?;
    write_output(&args.out, &file, args.force)?;
    report(&args.out, &file, receiver.seen(), frames_used, json_out);
    Ok(Exit::Success)
}

/// `airgap receive`.
pub fn receive(args: &AirgapReceiveArgs, json_out: bool) -> Result<Exit, CliError> {
    check_output(&args.out, args.force)?;
    let Some(text_path) = &args.text else { return receive_images(args, json_out) };
    let text = if text_path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .lock()
            .take(MAX_TEXT_BYTES as u64 + 1)
            .read_to_end(&mut buf)
            .map_err(|e| CliError::input(format!("<stdin>: {e}")))?;
        buf
    } else {
        read_file_limited(text_path, MAX_TEXT_BYTES)?.to_vec()
    };
    let name =
        if text_path.as_os_str() == "-" { "<stdin>".to_string() } else { text_path.display().to_string() };
    if text.len() > MAX_TEXT_BYTES {
        return Err(CliError::input(format!("{name}: more than {MAX_TEXT_BYTES} bytes of UR text")));
    }
    let text = std::str::from_utf8(&text).map_err(|e| CliError::input(format!("{name}: not UTF-8: {e}")))?;
    let mut receiver = Receiver::default();
    let mut used = None;
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        receiver.receive(line).map_err(|e| {
            CliError::input(format!("{name}: line {}: {e}", i + 1))
                .hint("Receive the parts of one file only, as `airgap send` printed them.")
        })?;
        if receiver.complete() {
            used = Some(receiver.seen());
            break;
        }
    }
    finish(args, receiver, used, &name, json_out)
}

fn report(path: &Path, file: &[u8], frames_seen: usize, frames_used: usize, json_out: bool) {
    let sha256 = format!("0x{}", alloy_primitives::hex::encode(sha2::Sha256::digest(file)));
    let keccak = format!("{:#x}", keccak256(file));
    let (kind, manifest_hash) = kind_of(file);
    if json_out {
        print_json(&json!({
            "path": path.display().to_string(),
            "bytes": file.len(),
            "sha256": sha256,
            "keccak256": keccak,
            "kind": kind,
            "manifest_hash": manifest_hash,
            "frames_seen": frames_seen,
            "frames_used": frames_used,
        }));
    } else {
        let mut s = format!(
            "Received {} ({} bytes, a {kind}) from {frames_used} parts\n  sha256     {sha256}\n  keccak256  {keccak}\n",
            path.display(),
            file.len()
        );
        if let Some(h) = manifest_hash {
            s.push_str(&format!("  manifest   {h}  (compare with the approved hash)\n"));
        }
        print_text(&s);
    }
}
