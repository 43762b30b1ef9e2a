//! The signing journal: one JSON record per line, append-only and hash-chained, so that an action
//! is signed at most once and an edit is detected.
//!
//! Each record carries `prev` (the previous record's hash, zero for the first) and `hash`
//! (keccak256 of the record's JSON without `hash`, with keys in the fixed order of
//! [`Body`]). Records are written with one `write` and `fsync`ed before the caller goes on, and
//! the intent record is synced before the device is asked, so after a crash the journal says
//! what may have been signed. A crash in the middle of a write leaves a torn last line: readers
//! report it, and the next `sign` seals it with a `torn` record that keeps its bytes as evidence
//! (never silently dropped). An exclusive lock on the file serializes concurrent `sign` runs.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use alloy_primitives::{B256, hex, keccak256};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The journal's file name inside the state home.
pub const FILE_NAME: &str = "journal.jsonl";
/// Largest journal read.
const MAX_JOURNAL: u64 = 256 << 20;

/// What a record says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The device is about to be asked to sign this signing hash.
    Intent,
    /// The device signed and the signature recovered to the executor.
    Signed,
    /// The device refused or failed; nothing was signed.
    Failed,
    /// A torn record found at the end of the file, kept as evidence.
    Torn,
}

/// A record without its own hash: the bytes that are hashed, in this field order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Body {
    /// Position in the journal, from 0.
    pub seq: u64,
    /// Hash of the previous record (zero for the first).
    pub prev: String,
    /// What happened.
    pub kind: Kind,
    /// Unix seconds.
    pub time: u64,
    /// The approved manifest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest_hash: Option<String>,
    /// The action index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<usize>,
    /// The action name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_name: Option<String>,
    /// keccak256 of the signing payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_hash: Option<String>,
    /// The signing payload (for `signed`, so the result can be returned again).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_payload: Option<String>,
    /// The signature `r ‖ s ‖ y_parity` (65 bytes hex).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// The signer account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Why a signing failed, or the torn bytes (hex) of a `torn` record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// A record as stored: the body and its hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// The hashed part.
    #[serde(flatten)]
    pub body: Body,
    /// keccak256 of the body's JSON.
    pub hash: String,
}

/// Why the journal cannot be used.
#[derive(Debug, Error)]
pub enum JournalError {
    /// The file system refused.
    #[error("{path}: {reason}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
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
}

/// Serializes into a buffer of the exact size (a counting pass first): serde_json's growing
/// buffer would free copies of the payload hex unwiped.
fn to_json_exact<T: Serialize>(value: &T) -> Result<zeroize::Zeroizing<Vec<u8>>, serde_json::Error> {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    serde_json::to_writer(&mut count, value)?;
    let mut out = zeroize::Zeroizing::new(Vec::with_capacity(count.0 + 1));
    serde_json::to_writer(&mut *out, value)?;
    Ok(out)
}

fn body_hash(body: &Body) -> String {
    let json = to_json_exact(body).unwrap_or_default();
    format!("{:#x}", keccak256(&*json))
}

impl Body {
    /// Overwrites the strings that carry policy bytes (payload, signature) and the rest.
    fn wipe(&mut self) {
        use zeroize::Zeroize;
        for s in [
            &mut self.manifest_hash,
            &mut self.action_name,
            &mut self.signing_hash,
            &mut self.signing_payload,
            &mut self.signature,
            &mut self.from,
            &mut self.detail,
        ]
        .into_iter()
        .flatten()
        {
            s.zeroize();
        }
    }
}

impl Drop for Record {
    fn drop(&mut self) {
        self.body.wipe();
    }
}

/// What reading the file found.
#[derive(Debug)]
pub struct Contents {
    /// The verified records.
    pub records: Vec<Record>,
    /// Bytes after the last complete record, if any (a torn write).
    pub torn: Option<Vec<u8>>,
    /// Byte length of the verified part.
    good_len: u64,
}

/// Parses and verifies the chain. A broken record is an error; a torn tail is returned.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Contents, JournalError> {
    let mut records: Vec<Record> = Vec::new();
    let mut offset = 0usize;
    let mut line_no = 0usize;
    while offset < bytes.len() {
        line_no += 1;
        let rest = &bytes[offset..];
        let Some(end) = rest.iter().position(|b| *b == b'\n') else {
            return Ok(Contents { records, torn: Some(rest.to_vec()), good_len: offset as u64 });
        };
        let line = &rest[..end];
        let broken =
            |problem: String| JournalError::Broken { path: path.to_path_buf(), line: line_no, problem };
        let record: Record =
            serde_json::from_slice(line).map_err(|e| broken(format!("is not a record: {e}")))?;
        let expected_prev = records.last().map_or_else(|| format!("{:#x}", B256::ZERO), |r| r.hash.clone());
        if record.body.seq != records.len() as u64 {
            return Err(broken(format!("has seq {}, expected {}", record.body.seq, records.len())));
        }
        if record.body.prev != expected_prev {
            return Err(broken(
                "does not chain to the record before it (edited, removed or reordered)".into(),
            ));
        }
        if body_hash(&record.body) != record.hash {
            return Err(broken("does not match its hash (edited)".into()));
        }
        records.push(record);
        offset += end + 1;
    }
    Ok(Contents { records, torn: None, good_len: offset as u64 })
}

/// The journal file, locked for the lifetime of this value.
pub struct Journal {
    path: PathBuf,
    file: File,
    records: Vec<Record>,
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> JournalError + '_ {
    move |e| JournalError::Io { path: path.to_path_buf(), reason: e.to_string() }
}

/// Reads the journal at `path` without locking or changing it.
pub fn read(path: &Path) -> Result<Contents, JournalError> {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Contents { records: vec![], torn: None, good_len: 0 });
        }
        Err(e) => return Err(io(path)(e)),
    };
    let mut bytes = Vec::new();
    Read::by_ref(&mut file).take(MAX_JOURNAL).read_to_end(&mut bytes).map_err(io(path))?;
    parse(path, &bytes)
}

impl Journal {
    /// Opens (creating, mode 0600) and locks the journal, verifies it, and seals a torn tail.
    /// Returns the journal and, when a torn tail was sealed, a warning to show.
    pub fn open(path: &Path) -> Result<(Journal, Option<String>), JournalError> {
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .mode(0o600)
            .open(path)
            .map_err(io(path))?;
        let _ = file.set_permissions(std::fs::Permissions::from_mode(0o600));
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => return Err(JournalError::Busy(path.to_path_buf())),
            Err(std::fs::TryLockError::Error(e)) => return Err(io(path)(e)),
        }
        let mut bytes = Vec::new();
        file.seek(SeekFrom::Start(0)).map_err(io(path))?;
        Read::by_ref(&mut file).take(MAX_JOURNAL).read_to_end(&mut bytes).map_err(io(path))?;
        let contents = parse(path, &bytes)?;
        let mut journal = Journal { path: path.to_path_buf(), file, records: contents.records };
        let mut warning = None;
        if let Some(torn) = contents.torn {
            // Cut the torn bytes and append them as a record of their own: the chain continues
            // and the evidence stays.
            journal.file.set_len(contents.good_len).map_err(io(path))?;
            let line = journal.records.len() + 1;
            journal.append(Body {
                kind: Kind::Torn,
                detail: Some(hex::encode_prefixed(&torn)),
                ..Body::empty()
            })?;
            warning = Some(format!(
                "{}: the last record (line {line}) was torn by an interrupted run; it is kept as a `torn` record",
                path.display()
            ));
        }
        Ok((journal, warning))
    }

    /// The verified records.
    pub fn records(&self) -> &[Record] {
        &self.records
    }

    /// Appends one record with a single write and syncs it to disk before returning.
    pub fn append(&mut self, mut body: Body) -> Result<(), JournalError> {
        body.seq = self.records.len() as u64;
        body.prev = self.records.last().map_or_else(|| format!("{:#x}", B256::ZERO), |r| r.hash.clone());
        if body.time == 0 {
            body.time = crate::timefmt::now();
        }
        let record = Record { hash: body_hash(&body), body };
        let mut line = to_json_exact(&record)
            .map_err(|e| JournalError::Io { path: self.path.clone(), reason: e.to_string() })?;
        line.push(b'\n');
        self.file.write_all(&line).map_err(io(&self.path))?;
        self.file.sync_all().map_err(io(&self.path))?;
        self.records.push(record);
        Ok(())
    }
}

impl Body {
    /// A body with nothing set (`append` fills seq, prev and time).
    pub fn empty() -> Self {
        Body {
            seq: 0,
            prev: String::new(),
            kind: Kind::Intent,
            time: 0,
            manifest_hash: None,
            action: None,
            action_name: None,
            signing_hash: None,
            signing_payload: None,
            signature: None,
            from: None,
            detail: None,
        }
    }
}

/// The journal's state for one (manifest, action).
#[derive(Debug, PartialEq, Eq)]
pub enum ActionState<'a> {
    /// Never signed, no pending intent (failed attempts do not count).
    Free,
    /// Signed, or pending, for this same signing hash; `Some` when signed.
    Same(Option<&'a Record>),
    /// Signed or pending for another signing hash.
    Other(&'a Record),
}

/// Looks up (manifest hash, action): a signature or a pending intent binds the action to its
/// signing hash.
pub fn action_state<'a>(
    records: &'a [Record],
    manifest_hash: &str,
    action: usize,
    signing_hash: &str,
) -> ActionState<'a> {
    let mut pending: Option<&Record> = None;
    for r in records {
        if r.body.manifest_hash.as_deref() != Some(manifest_hash) || r.body.action != Some(action) {
            continue;
        }
        let same = r.body.signing_hash.as_deref() == Some(signing_hash);
        match r.body.kind {
            Kind::Signed => return if same { ActionState::Same(Some(r)) } else { ActionState::Other(r) },
            Kind::Intent => pending = Some(r),
            Kind::Failed => {
                if pending.is_some_and(|p| p.body.signing_hash == r.body.signing_hash) {
                    pending = None;
                }
            }
            Kind::Torn => {}
        }
    }
    match pending {
        None => ActionState::Free,
        Some(p) if p.body.signing_hash.as_deref() == Some(signing_hash) => ActionState::Same(None),
        Some(p) => ActionState::Other(p),
    }
}

#[cfg(test)]
mod tests;
