//! `airgap send FILE [--fragment-len N] [--frames N]` and `airgap receive --text FILE|- -o OUT`:
//! a file across the air gap as UR text, one part per line (what a QR code holds, and what a
//! handheld scanner types). The receiver takes the lines in any order, with duplicates and gaps,
//! and prints the hashes of what it assembled, for comparison with the approved ones.

use std::io::{BufRead, Read as _};
use std::path::Path;

use alloy_primitives::keccak256;
use serde_json::{Value, json};
use sha2::Digest as _;

use crate::airgap::{self, DEFAULT_FRAGMENT_LEN, MAX_FILE_BYTES, Receiver};
use crate::cli::{AirgapReceiveArgs, AirgapSendArgs, FramesOut, print_json, print_text};
use crate::error::{CliError, Exit};
use crate::input::read_file_limited;
use crate::output::{check_output, write_output};

/// The most UR text one receive reads (a maximal file's parts several times over).
const MAX_TEXT_BYTES: usize = 8 * MAX_FILE_BYTES;

/// Parts sent when `--frames` is not given: 3.25 times the fragments and 25 more, so that a
/// receiver that only peels (the reference decoders, which a watch-only wallet runs) finishes
/// with 99 % probability when a third of the frames are lost. `benches/frames.rs` measures the
/// 99th percentile of frames emitted until it finishes at 4, 24, 75, 205, 810 and 2874 for 1, 5,
/// 17, 66, 263 and 1049 fragments (ours: 4, 24, 47, 132, 470, 1774); this gives 29, 42, 81, 240,
/// 880 and 3435. Our receiver stops as soon as it can, so the surplus costs it nothing.
fn default_frames(fragments: usize) -> usize {
    fragments.saturating_mul(13).div_ceil(4).saturating_add(25)
}

/// `airgap send`.
pub fn send(args: &AirgapSendArgs) -> Result<Exit, CliError> {
    let file = read_file_limited(&args.file, MAX_FILE_BYTES)?;
    let fragment_len = args.fragment_len.unwrap_or(DEFAULT_FRAGMENT_LEN);
    let frames =
        args.frames.unwrap_or_else(|| default_frames(airgap::fragment_count(file.len(), fragment_len)));
    let parts = airgap::parts(&file, fragment_len, frames)
        .map_err(|e| CliError::input(format!("{}: {e}", args.file.display())))?;
    show(&parts, &args.show)
}

/// UR parts as the flags ask: an animation on a terminal (unless told otherwise), text lines, or
/// PNG frames.
pub fn show(parts: &[String], out: &FramesOut) -> Result<Exit, CliError> {
    let on_terminal = std::io::IsTerminal::is_terminal(&std::io::stdout());
    if out.terminal || (out.png_dir.is_none() && !out.text && on_terminal) {
        return animate(parts, out.fps.unwrap_or(DEFAULT_FPS));
    }
    let Some(dir) = &out.png_dir else {
        let mut text = parts.join("\n");
        text.push('\n');
        print_text(&text);
        return Ok(Exit::Success);
    };
    if dir.exists() && !out.force {
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

/// Frames a second of the terminal animation: a phone or webcam reads each of them (a 1080p frame
/// decodes in about 32 ms here, `benches/frames.rs`); a 4 KiB file's loop of 81 frames takes ten
/// seconds, and a receiver of ours is done after about six.
const DEFAULT_FPS: u32 = 8;

/// `airgap send --terminal`: the animation, once the terminal is known to hold a frame.
fn animate(parts: &[String], fps: u32) -> Result<Exit, CliError> {
    let frames: Vec<Vec<String>> = parts
        .iter()
        .map(|p| airgap::terminal::lines_of(p))
        .collect::<Result<_, _>>()
        .map_err(|e| CliError::internal(format!("a QR frame: {e}")))?;
    let (columns, rows) = airgap::terminal::cells_for(&frames);
    if let Some((term_rows, term_columns)) = console::Term::stdout().size_checked()
        && (usize::from(term_rows) < rows || usize::from(term_columns) < columns)
    {
        return Err(CliError::input(format!(
            "the terminal is {term_columns}×{term_rows} characters; a frame needs {columns}×{rows}"
        ))
        .hint("Enlarge the terminal (or make the font smaller), pass a smaller --fragment-len, or use --png-dir."));
    }
    let mut out = std::io::stdout().lock();
    let shown = airgap::terminal::animate(&frames, fps, &mut out)
        .map_err(|e| CliError::internal(format!("the terminal: {e}")))?;
    crate::cli::print_diagnostic(&format!(
        "Stopped after {shown} frames ({} parts in the loop).",
        parts.len()
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

/// The receive's progress on stderr, drawn only when it is a terminal: how much of the file the
/// frames so far determine, how many were seen, and how many more are needed at the least.
struct Progress(indicatif::ProgressBar);

impl Progress {
    fn new() -> Self {
        let bar = indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
        if let Ok(style) = indicatif::ProgressStyle::with_template("{bar:32} {percent:>3}% · {msg}") {
            bar.set_style(style);
        }
        Progress(bar)
    }

    fn update(&self, receiver: &Receiver) {
        let Some(fragments) = receiver.fragments() else { return };
        let determined = receiver.determined();
        self.0.set_length(fragments as u64);
        self.0.set_position(determined as u64);
        self.0.set_message(format!(
            "{} frames seen, {determined} of {fragments} fragments determined, at least {} more frames needed",
            receiver.seen(),
            fragments - determined.min(fragments)
        ));
    }

    /// A line printed above the bar.
    fn note(&self, line: &str) {
        self.0.suspend(|| crate::cli::print_diagnostic(line));
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}

/// `airgap receive --images`: each image's QR codes, in the order given.
fn receive_images(args: &AirgapReceiveArgs, json_out: bool) -> Result<Exit, CliError> {
    let mut receiver = Receiver::default();
    let progress = Progress::new();
    for path in &args.images {
        let bytes = read_file_limited(path, 64 << 20)?;
        let texts = airgap::qr::texts_in_png(&bytes)
            .map_err(|e| CliError::input(format!("{}: {e}", path.display())))?;
        if texts.is_empty() {
            progress.note(&format!("warning: {}: no QR code found; skipped", path.display()));
        }
        for text in texts {
            receiver.receive(&text).map_err(|e| {
                CliError::input(format!("{}: {e}", path.display()))
                    .hint("Receive the frames of one file only, as `airgap send` showed them.")
            })?;
        }
        progress.update(&receiver);
        if receiver.complete() {
            break;
        }
    }
    drop(progress);
    finish(args, receiver, &format!("{} images", args.images.len()), json_out)
}

fn finish(
    args: &AirgapReceiveArgs,
    receiver: Receiver,
    name: &str,
    json_out: bool,
) -> Result<Exit, CliError> {
    if !receiver.complete() {
        let missing = receiver.fragments().map_or_else(String::new, |n| {
            format!(" determine {} of the {n} fragments, which is not enough", receiver.determined())
        });
        return Err(CliError::input(format!(
            "{name}: {} parts{} to assemble the file",
            receiver.seen(),
            if missing.is_empty() { " are not enough".to_string() } else { missing }
        ))
        .hint("Show more of the animation (or more lines of `airgap send`), then receive again."));
    }
    let (seen, used) = (receiver.seen(), receiver.used());
    let file = receiver.file().map_err(|e| CliError::input(format!("{name}: {e}")))?;
    write_output(&args.out, &file, args.force)?;
    report(&args.out, &file, seen, used, json_out);
    Ok(Exit::Success)
}

/// `airgap receive`.
pub fn receive(args: &AirgapReceiveArgs, json_out: bool) -> Result<Exit, CliError> {
    check_output(&args.out, args.force)?;
    let Some(text_path) = &args.text else { return receive_images(args, json_out) };
    // Line by line as they arrive: a handheld scanner types one part a line, and the receive
    // ends the moment the file is complete, without waiting for the end of input.
    let (name, source): (String, Box<dyn BufRead>) = if text_path.as_os_str() == "-" {
        ("<stdin>".into(), Box::new(std::io::stdin().lock()))
    } else {
        let file = std::fs::File::open(text_path)
            .map_err(|e| CliError::input(format!("{}: {e}", text_path.display())))?;
        (text_path.display().to_string(), Box::new(std::io::BufReader::new(file)))
    };
    let mut receiver = Receiver::default();
    let progress = Progress::new();
    let mut read = 0usize;
    for (i, line) in source.take(MAX_TEXT_BYTES as u64 + 1).lines().enumerate() {
        let line = line.map_err(|e| CliError::input(format!("{name}: line {}: {e}", i + 1)))?;
        read = read.saturating_add(line.len() + 1);
        if read > MAX_TEXT_BYTES {
            return Err(CliError::input(format!("{name}: more than {MAX_TEXT_BYTES} bytes of UR text")));
        }
        if line.trim().is_empty() {
            continue;
        }
        receiver.receive(&line).map_err(|e| {
            CliError::input(format!("{name}: line {}: {e}", i + 1))
                .hint("Receive the parts of one file only, as `airgap send` printed them.")
        })?;
        progress.update(&receiver);
        if receiver.complete() {
            break;
        }
    }
    drop(progress);
    finish(args, receiver, &name, json_out)
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
            "Received {} ({} bytes, kind {kind}) from {frames_seen} parts ({frames_used} of them needed)\n  sha256     {sha256}\n  keccak256  {keccak}\n",
            path.display(),
            file.len()
        );
        if let Some(h) = manifest_hash {
            s.push_str(&format!("  manifest   {h}  (compare with the approved hash)\n"));
        }
        print_text(&s);
    }
}
