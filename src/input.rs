//! Reading what the user hands the tool: the `TX` argument (a path, `-`, inline hex or JSON) and
//! files, each with a size limit checked before the bytes are kept.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use alloy_primitives::hex;
use firmware_policy::DecodedTx;
use firmware_policy::limits::MAX_TX_BYTES;
use zeroize::Zeroizing;

use crate::request;

/// Why an input could not be read or decoded. Every variant names where the input came from;
/// [`InputError::hint`] says what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The path cannot be opened (or its metadata read).
    #[error("{path}: cannot open")]
    Open {
        /// The path.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        cause: std::io::Error,
    },
    /// The path is a directory, device or socket.
    #[error("{path}: is {kind}, not a file")]
    NotAFile {
        /// The path.
        path: PathBuf,
        /// What it is instead.
        kind: &'static str,
    },
    /// Reading failed part way.
    #[error("{from}: cannot read")]
    Read {
        /// Where from.
        from: Source,
        /// The operating system's reason.
        #[source]
        cause: std::io::Error,
    },
    /// More bytes than the limit.
    #[error("{from}: larger than the {limit} byte limit")]
    TooLarge {
        /// Where from.
        from: Source,
        /// The limit in bytes.
        limit: usize,
    },
    /// Nothing but whitespace.
    #[error("{from}: empty")]
    Empty {
        /// Where from.
        from: Source,
    },
    /// Text that is not UTF-8.
    #[error("{from}: {what} is not UTF-8")]
    NotUtf8 {
        /// Where from.
        from: Source,
        /// What was expected.
        what: &'static str,
        /// Where the bad byte is.
        #[source]
        cause: std::str::Utf8Error,
    },
    /// Malformed hex.
    #[error("{from}: {what}: {problem}")]
    Hex {
        /// Where from.
        from: Source,
        /// Which value.
        what: String,
        /// What is wrong, with the character position.
        problem: String,
    },
    /// A JSON request that cannot be compiled.
    #[error("{from}: {problem}")]
    Request {
        /// Where from.
        from: Source,
        /// What is wrong, naming the key.
        problem: String,
    },
    /// Transaction bytes that do not decode exactly.
    #[error("{from}: transaction")]
    Tx {
        /// Where from.
        from: Source,
        /// The decoder's reason, with the byte offset.
        #[source]
        cause: firmware_policy::TxDecodeError,
    },
    /// A call tree beyond a limit.
    #[error("{from}: calldata")]
    CallTree {
        /// Where from.
        from: Source,
        /// Which limit.
        #[source]
        cause: firmware_policy::CallTreeError,
    },
    /// A signature that recovers no sender.
    #[error("{from}: the signature does not recover a sender")]
    Signature {
        /// Where from.
        from: Source,
        /// Why.
        #[source]
        cause: alloy_primitives::SignatureError,
    },
    /// Something recognizably other than a transaction.
    #[error("{from}: this is {}, not a transaction", seen.what())]
    NotATransaction {
        /// Where from.
        from: Source,
        /// What it looks like.
        seen: Seen,
    },
    /// No `TX` argument, and stdin is a terminal.
    #[error("TX: required")]
    Missing,
    /// Neither a path, nor hex, nor JSON.
    #[error("{arg:?}: no such file, and not hex or a JSON object")]
    Unrecognized {
        /// The argument as given.
        arg: String,
    },
}

impl InputError {
    /// What to do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            InputError::Open { .. } => "Check the path and its permissions.",
            InputError::NotAFile { .. } => {
                "Name a regular file (or a pipe), or give - to read standard input."
            }
            InputError::Read { .. } => "Check the file or the pipe that feeds it, and run again.",
            InputError::TooLarge { .. } => {
                "This is larger than any input the tool accepts; check it is the right file."
            }
            InputError::Empty { .. } | InputError::NotUtf8 { .. } | InputError::Hex { .. } => {
                "Give the transaction as hex (0x…), raw bytes or a JSON request."
            }
            InputError::Request { .. } => "Fix the named key of the JSON request (cli.md lists the fields).",
            InputError::Tx { .. } => {
                "Give the unsigned signing payload, a signed raw transaction or a JSON request, exactly as produced."
            }
            InputError::CallTree { .. } => {
                "No approved upgrade needs calldata this large or this deep; check its source."
            }
            InputError::Signature { .. } => {
                "The signed transaction is damaged; get it again from its source."
            }
            InputError::NotATransaction { seen, .. } => seen.hint(),
            InputError::Missing => "Give the transaction as a path, - for stdin, hex or JSON, or pipe it in.",
            InputError::Unrecognized { .. } => {
                "Give a file path, - for stdin, hex (0x…) or a JSON request ({\"to\": …})."
            }
        }
    }
}

/// What a `TX` input that is not a transaction looks like, so the hint can name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seen {
    /// 32 bytes: a hash (a signing hash, a Safe tx hash, a manifest hash).
    Hash,
    /// A selector and whole ABI words: calldata.
    Calldata,
    /// A CBOR map: a manifest or another CBOR file.
    Cbor,
    /// TOML text: a release file.
    Toml,
}

impl Seen {
    fn what(self) -> &'static str {
        match self {
            Seen::Hash => "a 32-byte hash",
            Seen::Calldata => "calldata (a selector and ABI words)",
            Seen::Cbor => "CBOR (a manifest?)",
            Seen::Toml => "TOML (a release file?)",
        }
    }

    fn hint(self) -> &'static str {
        match self {
            Seen::Hash => "A hash cannot be checked: give the transaction it is the hash of.",
            Seen::Calldata => {
                "To read calldata use `decode --calldata HEX [--to ADDR]`; check and sign take the transaction that sends it."
            }
            Seen::Cbor => "A manifest goes with --manifest; TX is the proposed transaction.",
            Seen::Toml => "A release file is compiled with `manifest build`; TX is the proposed transaction.",
        }
    }

    /// What bytes that did not decode as a transaction look like, if anything known.
    fn of_bytes(bytes: &[u8]) -> Option<Seen> {
        match bytes {
            b if b.len() == 32 => Some(Seen::Hash),
            [0xa0..=0xbf, ..] => Some(Seen::Cbor),
            // Not the start of a transaction (a type byte, or an RLP list for legacy).
            [first, ..] if (0x05..0xc0).contains(first) || *first == 0 => {
                (bytes.len() >= 4 && (bytes.len() - 4).is_multiple_of(32)).then_some(Seen::Calldata)
            }
            _ => None,
        }
    }

    /// Whether text that is neither hex nor JSON is TOML (`key = value` lines, `[tables]`).
    fn of_text(text: &str) -> Option<Seen> {
        let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#'));
        let first = lines.next()?;
        let key_value = |l: &str| {
            l.split_once('=').is_some_and(|(k, _)| {
                let k = k.trim().trim_matches('"');
                !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
            })
        };
        let table = |l: &str| l.starts_with('[') && l.ends_with(']') && !l.contains(['{', '"', ',']);
        (key_value(first) || table(first)).then_some(Seen::Toml)
    }
}

/// Where an input came from, for error messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A file.
    File(PathBuf),
    /// Standard input.
    Stdin,
    /// The command-line argument itself.
    Inline,
    /// A bundle's transaction proposal.
    Bundle {
        /// The bundle file.
        path: PathBuf,
        /// The proposal's index among the bundle's transactions.
        index: usize,
    },
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::File(p) => write!(f, "{}", p.display()),
            Source::Stdin => f.write_str("<stdin>"),
            Source::Inline => f.write_str("<argument>"),
            Source::Bundle { path, index } => write!(f, "{} (proposal {index})", path.display()),
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
pub fn read_file_limited(path: &Path, limit: usize) -> Result<Zeroizing<Vec<u8>>, InputError> {
    let open = |cause| InputError::Open { path: path.to_path_buf(), cause };
    let metadata = std::fs::metadata(path).map_err(open)?;
    if let Some(kind) = unreadable_kind(metadata.file_type()) {
        return Err(InputError::NotAFile { path: path.to_path_buf(), kind });
    }
    let file = std::fs::File::open(path).map_err(open)?;
    read_limited(file, limit, &Source::File(path.to_path_buf()))
}

/// Reads at most `limit` bytes of standard input; more is an input error naming the limit.
pub fn read_stdin_limited(limit: usize) -> Result<Zeroizing<Vec<u8>>, InputError> {
    read_limited(std::io::stdin().lock(), limit, &Source::Stdin)
}

fn read_limited(reader: impl Read, limit: usize, source: &Source) -> Result<Zeroizing<Vec<u8>>, InputError> {
    let mut buf = Zeroizing::new(Vec::new());
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    // Read into a buffer sized for the limit so growth does not leave copies behind.
    buf.reserve_exact(limit.saturating_add(1).min(1 << 16));
    let mut chunk = Zeroizing::new([0u8; 8192]);
    let mut reader = reader.take(cap);
    loop {
        let n =
            reader.read(&mut chunk[..]).map_err(|cause| InputError::Read { from: source.clone(), cause })?;
        if n == 0 {
            break;
        }
        if buf.len() + n > limit {
            return Err(InputError::TooLarge { from: source.clone(), limit });
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
pub fn parse_hex(text: &str, source: &Source, what: &str) -> Result<Zeroizing<Vec<u8>>, InputError> {
    let bad = |problem: String| InputError::Hex { from: source.clone(), what: what.to_string(), problem };
    let trimmed = text.trim();
    let digits = trimmed.strip_prefix("0x").or_else(|| trimmed.strip_prefix("0X")).unwrap_or(trimmed);
    if !digits.len().is_multiple_of(2) {
        return Err(bad(format!("odd number of hex digits ({})", digits.len())));
    }
    if let Some(pos) = digits.bytes().position(|b| !b.is_ascii_hexdigit()) {
        let offset = trimmed.len() - digits.len() + pos;
        return Err(bad(format!("not a hex digit at character {offset}")));
    }
    let mut out = Zeroizing::new(vec![0u8; digits.len() / 2]);
    hex::decode_to_slice(digits, &mut out).map_err(|e| bad(e.to_string()))?;
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

impl TxInput {
    /// The sender of a signed raw transaction, recovered from its signature (`None` unsigned).
    pub fn sender(&self) -> Result<Option<alloy_primitives::Address>, InputError> {
        let Some(sig) = self.tx.signature() else { return Ok(None) };
        sig.recover_address_from_prehash(&self.tx.signing_hash())
            .map(Some)
            .map_err(|cause| InputError::Signature { from: self.source.clone(), cause })
    }
}

/// A proposal as read from the `TX` argument: the transaction with its call tree, what a signed
/// one recovers to, and what a JSON request claimed.
pub struct ReadProposal {
    /// The transaction and its call tree.
    pub proposal: firmware_policy::Proposal,
    /// The sender a signed transaction's signature recovers to.
    pub sender: Option<alloy_primitives::Address>,
    /// `from` of a JSON request (reported, never trusted).
    pub claimed_from: Option<alloy_primitives::Address>,
    /// Where it came from.
    pub source: Source,
}

/// The `TX` argument, or `-` when it is omitted and stdin is a pipe or a file (`cast mktx … |
/// bounded-signer check …`); omitted on a terminal, it is an input error rather than a wait.
pub fn tx_argument(arg: Option<&str>) -> Result<&str, InputError> {
    use std::io::IsTerminal;
    match arg {
        Some(a) => Ok(a),
        None if !std::io::stdin().is_terminal() => Ok("-"),
        None => Err(InputError::Missing),
    }
}

/// Reads the `TX` argument and decodes its call tree: what `decode`, `check` and `sign` evaluate.
pub fn read_proposal(arg: &str) -> Result<ReadProposal, InputError> {
    let input = read_tx(arg)?;
    let sender = input.sender()?;
    let TxInput { tx, source, claimed_from } = input;
    let proposal = firmware_policy::Proposal::new(tx)
        .map_err(|cause| InputError::CallTree { from: source.clone(), cause })?;
    Ok(ReadProposal { proposal, sender, claimed_from, source })
}

/// A proposal given as its bytes (a bundle's signing payload), decoded as the `TX` argument is.
pub fn read_proposal_bytes(bytes: Zeroizing<Vec<u8>>, source: Source) -> Result<ReadProposal, InputError> {
    let input = decode_content(bytes, source)?;
    let sender = input.sender()?;
    let TxInput { tx, source, claimed_from } = input;
    let proposal = firmware_policy::Proposal::new(tx)
        .map_err(|cause| InputError::CallTree { from: source.clone(), cause })?;
    Ok(ReadProposal { proposal, sender, claimed_from, source })
}

/// Hex text of a 1 MiB transaction, plus generous whitespace.
const MAX_TX_TEXT: usize = 2 * MAX_TX_BYTES + 4096;

/// Reads and decodes the `TX` argument in any of the forms of `spec/cli.md`.
pub fn read_tx(arg: &str) -> Result<TxInput, InputError> {
    let (source, content): (Source, Zeroizing<Vec<u8>>) = if arg == "-" {
        (Source::Stdin, read_limited(std::io::stdin().lock(), MAX_TX_TEXT, &Source::Stdin)?)
    } else if arg.trim_start().starts_with(['{', '[']) {
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
        return Err(InputError::Unrecognized { arg: arg.to_string() });
    };
    decode_content(content, source)
}

/// The bytes a JSON form stands for: the unsigned payload, or the signed raw transaction it makes
/// (a claimed hash checked), or an `eth_signTransaction` result's `raw`, which its `tx` must
/// describe exactly.
fn resolve(
    built: request::Built,
    source: &Source,
) -> Result<(Zeroizing<Vec<u8>>, Option<alloy_primitives::Address>), InputError> {
    let problem = |problem: String| InputError::Request { from: source.clone(), problem };
    let decode = |bytes: &[u8]| {
        DecodedTx::decode(bytes).map_err(|cause| InputError::Tx { from: source.clone(), cause })
    };
    match built {
        request::Built::Unsigned(r) => Ok((r.payload, r.from)),
        request::Built::Signed { request, signature, hash } => {
            let signed = decode(&request.payload)?.signed_encoding(&signature);
            let actual = alloy_primitives::keccak256(signed.as_slice());
            if let Some(claimed) = hash.filter(|h| *h != actual) {
                return Err(problem(format!(
                    "hash: {claimed:#x} is not the hash of the transaction these fields and this signature make ({actual:#x})"
                )));
            }
            Ok((signed, request.from))
        }
        request::Built::Raw { raw, tx } => {
            let evaluated = decode(&raw)?;
            if evaluated.signature().is_none() {
                return Err(problem("raw: not a signed transaction".into()));
            }
            let mut from = None;
            if let Some(tx) = tx {
                let (described, claimed) = resolve(*tx, source)?;
                from = claimed;
                let same = if decode(&described)?.signature().is_some() {
                    described.as_slice() == raw.as_slice()
                } else {
                    described.as_slice() == evaluated.signing_payload()
                };
                if !same {
                    return Err(problem(
                        "tx: does not describe the transaction in raw (raw is what would be signed or sent)"
                            .into(),
                    ));
                }
            }
            Ok((raw, from))
        }
    }
}

fn decode_content(content: Zeroizing<Vec<u8>>, source: Source) -> Result<TxInput, InputError> {
    // A UTF-8 byte order mark, as some editors and Windows tools write, is not part of the text.
    let content = match content.strip_prefix(b"\xef\xbb\xbf".as_slice()) {
        Some(rest) => Zeroizing::new(rest.to_vec()),
        None => content,
    };
    let first = content.iter().copied().find(|b| !b.is_ascii_whitespace());
    let utf8 = |what| {
        let from = source.clone();
        move |cause| InputError::NotUtf8 { from, what, cause }
    };
    let (bytes, claimed_from) = match first {
        None => return Err(InputError::Empty { from: source }),
        // The text is freed as soon as it is parsed: it is the largest thing read (hex is twice
        // the payload), and nothing needs it afterwards.
        Some(b'{' | b'[') => {
            let built = {
                let text = std::str::from_utf8(&content).map_err(utf8("JSON"))?;
                request::from_json(text).map_err(|problem| match Seen::of_text(text) {
                    Some(seen) => InputError::NotATransaction { from: source.clone(), seen },
                    None => InputError::Request { from: source.clone(), problem },
                })?
            };
            drop(content);
            resolve(built, &source)?
        }
        // A raw payload starts with 0x01–0x04 or ≥ 0xc0; printable text is meant as hex.
        Some(b) if b.is_ascii_graphic() => {
            let bytes = {
                let text = std::str::from_utf8(&content).map_err(utf8("hex text"))?;
                parse_hex(text, &source, "transaction").map_err(|e| match Seen::of_text(text) {
                    Some(seen) => InputError::NotATransaction { from: source.clone(), seen },
                    None => e,
                })?
            };
            drop(content);
            (bytes, None)
        }
        Some(_) => (content, None),
    };
    if bytes.len() > MAX_TX_BYTES {
        return Err(InputError::TooLarge { from: source, limit: MAX_TX_BYTES });
    }
    let tx = DecodedTx::decode(&bytes).map_err(|cause| match Seen::of_bytes(&bytes) {
        Some(seen) => InputError::NotATransaction { from: source.clone(), seen },
        None => InputError::Tx { from: source.clone(), cause },
    })?;
    Ok(TxInput { tx, source, claimed_from })
}
