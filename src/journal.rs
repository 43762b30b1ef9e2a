//! The signing journal: one JSON record per line, append-only and hash-chained, so that an action
//! is signed at most once and an edit is detected.
//!
//! Each record carries `prev` (the previous record's hash, zero for the first) and `hash`
//! (keccak256 of the record's JSON without `hash`, keys in the fixed order of [`Body`]). Records
//! are written with one `write` and `fsync`ed before the caller goes on, and the intent record is
//! synced before the device is asked, so after a crash the journal says what may have been
//! signed. An exclusive lock on the file serializes concurrent `sign` runs.
//!
//! The file is only ever appended to. A crash in the middle of a write leaves unparsable bytes at
//! the end: readers report them, and the next `sign` seals them by appending a `torn` record that
//! holds their sha256 and length; readers then skip exactly those bytes, directly before such a
//! record, and nothing else. The file is read whole, streaming, line by line: no complete record
//! is ever lost to a size limit, and memory grows with the records kept, not with the file.
//!
//! What a hash chain cannot show is a journal cut short or replaced by a fresh one. Every signing
//! output therefore carries the journal [`Head`] after its record, for the ceremony log, and
//! `journal verify --head N:HASH` checks that the journal still extends it.

mod record;
mod rules;

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use alloy_primitives::B256;
use sha2::Digest;
use thiserror::Error;

pub use record::{Body, Kind, Record, SafeTxFacts, Signs, TxFacts, TypedDataMode};
pub use rules::{Head, PRICE_BUMP_PERCENT, Use, UseKey, one_time_use, replaces, use_of};

/// The journal's file name inside the state home.
pub const FILE_NAME: &str = "journal.jsonl";

/// The longest record line read. Records hold no payload, so a real one is well under 2 KiB;
/// a longer line is not a record this tool wrote.
const MAX_LINE: usize = 64 << 10;

/// Why the journal cannot be used.
#[derive(Debug, Error)]
pub enum JournalError {
    /// The file system refused.
    #[error("{path}: {action}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done.
        action: &'static str,
        /// The operating system's reason.
        #[source]
        cause: std::io::Error,
    },
    /// Another `sign` holds the lock.
    #[error("{0}: another bounded-signer sign is running (the journal is locked)")]
    Busy(PathBuf),
    /// A record does not verify.
    #[error("{path}: record {line} {problem}")]
    Broken {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        problem: String,
    },
    /// The last line is incomplete (the tool stopped while writing it).
    #[error("{path}: the last record (line {line}) is torn: the tool stopped while writing it")]
    Torn {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
    },
    /// A journaled signature that does not verify: the journal was forged or damaged.
    #[error("{path}: record {number} holds a signature that does not verify: {problem}")]
    Forged {
        /// The file.
        path: PathBuf,
        /// The record, numbered from 1.
        number: u64,
        /// What does not hold.
        problem: String,
    },
    /// The journal does not extend a head recorded earlier.
    #[error("{path}: the journal does not extend the recorded head {head}: {problem}")]
    HeadLost {
        /// The file.
        path: PathBuf,
        /// The head given.
        head: Head,
        /// What was found instead.
        problem: String,
    },
}

/// What reading the file found.
#[derive(Debug)]
pub struct Contents {
    /// The verified records.
    pub records: Vec<Record>,
    /// Unsealed unparsable bytes at the end (an interrupted write), if any.
    pub torn: Option<Torn>,
}

/// Unparsable bytes at the end of the journal, not yet sealed.
#[derive(Debug)]
pub struct Torn {
    /// 1-based line where they start.
    pub line: usize,
    /// How many bytes.
    pub len: u64,
    /// Their sha256.
    pub sha256: B256,
    /// Whether the file ends in a newline after them.
    ends_with_newline: bool,
}

impl Contents {
    /// The head: record count and last hash.
    pub fn head(&self) -> Head {
        Head::of(&self.records)
    }
}

/// Bytes that did not parse, held until a `torn` record accounts for them (or the file ends).
struct Suspect {
    line: usize,
    hasher: sha2::Sha256,
    len: u64,
}

/// Reads and verifies a whole journal, line by line.
fn parse(path: &Path, reader: impl Read) -> Result<Contents, JournalError> {
    let mut reader = BufReader::new(reader);
    let mut records: Vec<Record> = Vec::new();
    let mut suspect: Option<Suspect> = None;
    let mut line_no = 0usize;
    let mut line = Vec::with_capacity(1024);
    // Whether the last line read ended in a newline (`line` is cleared again at end of file).
    let mut last_complete = false;
    loop {
        line.clear();
        let limit = u64::try_from(MAX_LINE).unwrap_or(u64::MAX).saturating_add(1);
        let n = Read::by_ref(&mut reader).take(limit).read_until(b'\n', &mut line).map_err(|cause| {
            JournalError::Io { path: path.to_path_buf(), action: "cannot read the journal", cause }
        })?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let broken =
            |problem: String| JournalError::Broken { path: path.to_path_buf(), line: line_no, problem };
        let complete = line.last() == Some(&b'\n');
        last_complete = complete;
        if !complete && line.len() > MAX_LINE {
            return Err(broken(format!("is longer than {MAX_LINE} bytes: not a record this tool wrote")));
        }
        let text = if complete { &line[..line.len() - 1] } else { &line[..] };
        let parsed: Option<Record> = if complete { serde_json::from_slice(text).ok() } else { None };
        match parsed {
            Some(record) => {
                match suspect.take() {
                    Some(s) if record.body.kind == Kind::Torn => {
                        let sha = B256::from_slice(&s.hasher.finalize());
                        if record.body.torn_sha256 != Some(sha) || record.body.torn_len != Some(s.len) {
                            return Err(broken(
                                "is a torn record that does not match the bytes before it".into(),
                            ));
                        }
                    }
                    Some(s) => {
                        let problem = "is not a record (and no torn record seals it)".to_string();
                        return Err(JournalError::Broken { path: path.to_path_buf(), line: s.line, problem });
                    }
                    None => {}
                }
                verify_next(&records, &record).map_err(broken)?;
                records.push(record);
            }
            None => {
                // Not a record: acceptable only as bytes a later `torn` record seals, or as the
                // unsealed tail. Lines of one torn region are joined by the newlines between them.
                let s = suspect.get_or_insert_with(|| Suspect {
                    line: line_no,
                    hasher: sha2::Sha256::new(),
                    len: 0,
                });
                if s.len > 0 || s.line != line_no {
                    s.hasher.update(b"\n");
                    s.len += 1;
                }
                s.hasher.update(text);
                s.len += text.len() as u64;
                if complete && serde_json::from_slice::<serde_json::Value>(text).is_ok() {
                    // A complete line of valid JSON that is not a record: an edit, not a tear.
                    return Err(broken("is not a record of this journal".into()));
                }
                if !complete {
                    break;
                }
            }
        }
    }
    let torn = suspect.map(|s| Torn {
        line: s.line,
        len: s.len,
        sha256: B256::from_slice(&s.hasher.finalize()),
        ends_with_newline: last_complete,
    });
    Ok(Contents { records, torn })
}

/// Checks that `record` is the next link of the chain and carries what its kind needs.
fn verify_next(records: &[Record], record: &Record) -> Result<(), String> {
    let expected_prev = records.last().map_or(B256::ZERO, |r| r.hash);
    if record.body.seq != records.len() as u64 {
        return Err(format!("has seq {}, expected {}", record.body.seq, records.len()));
    }
    if record.body.prev != expected_prev {
        return Err("does not chain to the record before it (edited, removed or reordered)".into());
    }
    if record.body.hash() != record.hash {
        return Err("does not match its hash (edited)".into());
    }
    if let Some(field) = record.body.missing_field() {
        return Err(format!("is a {:?} record without {field}", record.body.kind).to_lowercase());
    }
    Ok(())
}

fn io<'a>(path: &'a Path, action: &'static str) -> impl Fn(std::io::Error) -> JournalError + 'a {
    move |cause| JournalError::Io { path: path.to_path_buf(), action, cause }
}

/// Reads the journal at `path` without locking or changing it.
pub fn read(path: &Path) -> Result<Contents, JournalError> {
    match File::open(path) {
        Ok(file) => parse(path, file),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Contents { records: vec![], torn: None }),
        Err(e) => Err(io(path, "cannot open the journal")(e)),
    }
}

/// The journal file, locked for the lifetime of this value.
pub struct Journal {
    path: PathBuf,
    file: File,
    records: Vec<Record>,
}

impl Journal {
    /// Opens (creating, mode 0600) and locks the journal, verifies it, and seals a torn tail.
    /// Returns the journal and, when a torn tail was sealed, a warning to show.
    pub fn open(path: &Path, now: u64) -> Result<(Journal, Option<String>), JournalError> {
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .mode(0o600)
            .open(path)
            .map_err(io(path, "cannot open the journal"))?;
        let _ = file.set_permissions(std::fs::Permissions::from_mode(0o600));
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => return Err(JournalError::Busy(path.to_path_buf())),
            Err(std::fs::TryLockError::Error(e)) => return Err(io(path, "cannot lock the journal")(e)),
        }
        file.seek(SeekFrom::Start(0)).map_err(io(path, "cannot read the journal"))?;
        let contents = parse(path, &mut file)?;
        let mut journal = Journal { path: path.to_path_buf(), file, records: contents.records };
        let mut warning = None;
        if let Some(torn) = contents.torn {
            // Seal, never cut: the torn bytes stay where they are, and a record that names them
            // continues the chain.
            if !torn.ends_with_newline {
                journal.file.write_all(b"\n").map_err(io(path, "cannot seal the torn record"))?;
            }
            let mut body = Body::new(Kind::Torn);
            body.torn_sha256 = Some(torn.sha256);
            body.torn_len = Some(torn.len);
            journal.append(body, now)?;
            warning = Some(format!(
                "{}: the last record (line {}) was torn by an interrupted run; it is kept, sealed by record {}",
                path.display(),
                torn.line,
                journal.records.len()
            ));
        }
        Ok((journal, warning))
    }

    /// The verified records.
    pub fn records(&self) -> &[Record] {
        &self.records
    }

    /// The head after the last record.
    pub fn head(&self) -> Head {
        Head::of(&self.records)
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one record at `now` with a single write and syncs it before returning.
    pub fn append(&mut self, mut body: Body, now: u64) -> Result<(), JournalError> {
        body.seq = self.records.len() as u64;
        body.prev = self.records.last().map_or(B256::ZERO, |r| r.hash);
        body.time = now;
        let record = Record { hash: body.hash(), body };
        let mut line = serde_json::to_vec(&record)
            .map_err(|e| io(&self.path, "cannot encode a record")(std::io::Error::other(e)))?;
        line.push(b'\n');
        self.file.write_all(&line).map_err(io(&self.path, "cannot write the journal"))?;
        self.file.sync_all().map_err(io(&self.path, "cannot sync the journal"))?;
        self.records.push(record);
        Ok(())
    }
}

#[cfg(test)]
mod tests;
