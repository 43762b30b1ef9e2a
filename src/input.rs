//! Reading what the user hands the tool: the `TX` argument (a path, `-`, inline hex or JSON) and
//! files, each with a size limit checked before the bytes are kept.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use alloy_primitives::hex;
use firmware_policy::DecodedTx;
use firmware_policy::limits::MAX_TX_BYTES;
use zeroize::Zeroizing;

use crate::error::CliError;
use crate::request;

/// Where an input came from, for error messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A file.
    File(PathBuf),
    /// Standard input.
    Stdin,
    /// The command-line argument itself.
    Inline,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::File(p) => write!(f, "{}", p.display()),
            Source::Stdin => f.write_str("<stdin>"),
            Source::Inline => f.write_str("<argument>"),
        }
    }
}

/// What kind of file system object a path names, when it is not one the tool reads.
fn unreadable_kind(file_type: std::fs::FileType) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt;
    if file_type.is_file() || file_type.is_fifo() {
        None
    } else if file_type.is_dir() {
        Some("a directory")
    } else if file_type.is_char_device() {
        Some("a character device")
    } else if file_type.is_block_device() {
        Some("a block device")
    } else if file_type.is_socket() {
        Some("a socket")
    } else {
        Some("not a regular file")
    }
}

/// Reads at most `limit` bytes of a file or a pipe (FIFO); a larger input is an input error naming
/// the limit. Directories, devices and sockets are refused by name before anything is read: a
/// device such as /dev/zero or a tape would otherwise be read until the limit, or forever.
pub fn read_file_limited(path: &Path, limit: usize) -> Result<Zeroizing<Vec<u8>>, CliError> {
    let metadata = std::fs::metadata(path)
        .map_err(|e| CliError::input(format!("{}: cannot open: {e}", path.display())))?;
    if let Some(kind) = unreadable_kind(metadata.file_type()) {
        return Err(CliError::input(format!("{}: is {kind}, not a file", path.display()))
            .hint("Name a regular file (or a pipe), or give - to read standard input."));
    }
    let file = std::fs::File::open(path)
        .map_err(|e| CliError::input(format!("{}: cannot open: {e}", path.display())))?;
    read_limited(file, limit, &Source::File(path.to_path_buf()))
}

fn read_limited(reader: impl Read, limit: usize, source: &Source) -> Result<Zeroizing<Vec<u8>>, CliError> {
    let mut buf = Zeroizing::new(Vec::new());
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    // Read into a buffer sized for the limit so growth does not leave copies behind.
    buf.reserve_exact(limit.saturating_add(1).min(1 << 16));
    let mut chunk = Zeroizing::new([0u8; 8192]);
    let mut reader = reader.take(cap);
    loop {
        let n = reader
            .read(&mut chunk[..])
            .map_err(|e| CliError::input(format!("{source}: cannot read: {e}")))?;
        if n == 0 {
            break;
        }
        if buf.len() + n > limit {
            return Err(CliError::input(format!("{source}: larger than the {limit} byte limit")));
        }
        if buf.capacity() < buf.len() + n {
            // Grow by hand into a fresh zeroizing buffer so the old one is wiped.
            let mut bigger = Zeroizing::new(Vec::with_capacity((buf.capacity() * 2).max(buf.len() + n)));
            bigger.extend_from_slice(&buf);
            buf = bigger;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(buf)
}

/// Hex text (with or without `0x`, surrounding whitespace ignored) → bytes.
pub fn parse_hex(text: &str, source: &Source, what: &str) -> Result<Zeroizing<Vec<u8>>, CliError> {
    let trimmed = text.trim();
    let digits = trimmed.strip_prefix("0x").or_else(|| trimmed.strip_prefix("0X")).unwrap_or(trimmed);
    if !digits.len().is_multiple_of(2) {
        return Err(CliError::input(format!(
            "{source}: {what}: odd number of hex digits ({})",
            digits.len()
        )));
    }
    if let Some(pos) = digits.bytes().position(|b| !b.is_ascii_hexdigit()) {
        let offset = trimmed.len() - digits.len() + pos;
        return Err(CliError::input(format!("{source}: {what}: not a hex digit at character {offset}")));
    }
    let mut out = Zeroizing::new(vec![0u8; digits.len() / 2]);
    hex::decode_to_slice(digits, &mut out).map_err(|e| CliError::input(format!("{source}: {what}: {e}")))?;
    Ok(out)
}

fn looks_like_hex(s: &str) -> bool {
    let t = s.trim();
    let d = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")).unwrap_or(t);
    !d.is_empty() && d.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The transaction as read, with the `from` a JSON request claimed (reported, never trusted).
pub struct TxInput {
    /// The decoded transaction.
    pub tx: DecodedTx,
    /// Where it came from.
    pub source: Source,
    /// `from` of a JSON request.
    pub claimed_from: Option<alloy_primitives::Address>,
}

/// Hex text of a 1 MiB transaction, plus generous whitespace.
const MAX_TX_TEXT: usize = 2 * MAX_TX_BYTES + 4096;

/// Reads and decodes the `TX` argument in any of the forms of `spec/cli.md`.
pub fn read_tx(arg: &str) -> Result<TxInput, CliError> {
    let (source, content): (Source, Zeroizing<Vec<u8>>) = if arg == "-" {
        (Source::Stdin, read_limited(std::io::stdin().lock(), MAX_TX_TEXT, &Source::Stdin)?)
    } else if arg.trim_start().starts_with('{') {
        (Source::Inline, Zeroizing::new(arg.as_bytes().to_vec()))
    } else if std::fs::metadata(arg).is_ok() {
        // Anything that exists at this path is meant as the path (read_file_limited refuses
        // what it cannot read by name), so `/dev/null` or a directory is never taken for hex.
        let path = PathBuf::from(arg);
        (Source::File(path.clone()), read_file_limited(&path, MAX_TX_TEXT)?)
    } else if looks_like_hex(arg) || arg.starts_with("0x") || arg.starts_with("0X") {
        // `0x…` is meant as hex even when a digit is wrong; say which one.
        (Source::Inline, Zeroizing::new(arg.as_bytes().to_vec()))
    } else {
        return Err(CliError::input(format!("{arg:?}: no such file, and not hex or a JSON object"))
            .hint("Give a file path, - for stdin, hex (0x…) or a JSON request ({\"to\": …})."));
    };
    decode_content(content, source)
}

fn decode_content(content: Zeroizing<Vec<u8>>, source: Source) -> Result<TxInput, CliError> {
    let first = content.iter().copied().find(|b| !b.is_ascii_whitespace());
    let (bytes, claimed_from) = match first {
        None => return Err(CliError::input(format!("{source}: empty"))),
        Some(b'{') => {
            let text = std::str::from_utf8(&content)
                .map_err(|e| CliError::input(format!("{source}: JSON is not UTF-8: {e}")))?;
            let built =
                request::payload_from_json(text).map_err(|e| CliError::input(format!("{source}: {e}")))?;
            (built.payload, built.from)
        }
        // A raw payload starts with 0x01–0x04 or ≥ 0xc0; printable text is meant as hex.
        Some(b) if b.is_ascii_graphic() => {
            let text = std::str::from_utf8(&content)
                .map_err(|e| CliError::input(format!("{source}: not UTF-8 hex text: {e}")))?;
            (parse_hex(text, &source, "transaction")?, None)
        }
        Some(_) => (content, None),
    };
    if bytes.len() > MAX_TX_BYTES {
        return Err(CliError::input(format!(
            "{source}: transaction is {} bytes, more than the {MAX_TX_BYTES} byte limit",
            bytes.len()
        )));
    }
    let tx = DecodedTx::decode(&bytes).map_err(|e| CliError::input(format!("{source}: transaction: {e}")))?;
    Ok(TxInput { tx, source, claimed_from })
}
