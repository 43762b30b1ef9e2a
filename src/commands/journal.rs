//! `journal show | verify [--head N:HASH]`. Records are numbered from 1 everywhere people read
//! them; every string from the file is escaped.

use serde_json::json;

use crate::cli::{print_json, print_text};
use crate::error::{CliError, Exit};
use crate::home::state_home;
use crate::journal::{self, Head, JournalError, Kind, Record};
use crate::text::escape;

fn path() -> Result<std::path::PathBuf, CliError> {
    Ok(state_home()?.join(journal::FILE_NAME))
}

fn broken(e: JournalError) -> CliError {
    CliError::from(e).hint(
        "The journal was edited, damaged, truncated or replaced. Keep the file as evidence; do not sign until it is explained.",
    )
}

fn describe(r: &Record) -> String {
    let b = &r.body;
    let kind = match b.kind {
        Kind::Intent => "intent",
        Kind::Signed => "signed",
        Kind::Failed if b.released == Some(true) => "failed (not signed)",
        Kind::Failed => "failed (may have signed)",
        Kind::Torn => "torn",
        Kind::Contained => "contained",
    };
    let mut out = format!("  #{:<4} {} {kind}", r.number(), crate::timefmt::format_instant(b.time));
    let name = escape(b.action_name.as_deref().unwrap_or("-"));
    match (b.action, b.signing_hash) {
        (Some(action), Some(hash)) => {
            out.push_str(&format!(" action {action} ({name}) signing hash {hash:#x}"))
        }
        (None, Some(hash)) => out.push_str(&format!(" release {name} signing hash {hash:#x}")),
        _ => {}
    }
    if let Some(signs) = b.signs.filter(|s| *s != journal::Signs::Transaction) {
        out.push_str(&format!(" ({})", signs.describe()));
    }
    if let Some(safe_tx) = &b.safe_tx {
        out.push_str(&format!(" Safe {} nonce {}", safe_tx.safe, safe_tx.nonce));
    }
    if let Some(signer) = b.signer {
        out.push_str(&format!(" signer {signer}"));
    }
    if let (Kind::Contained, Some(hash)) = (b.kind, b.manifest_hash) {
        out.push_str(&format!(" release {hash:#x} (nothing more of it is signed here)"));
    }
    if let Some(tx_hash) = b.tx_hash {
        out.push_str(&format!(" tx hash {tx_hash:#x}"));
    }
    if let (Some(sha), Some(len)) = (b.torn_sha256, b.torn_len) {
        out.push_str(&format!(" {len} torn bytes before it, sha256 {sha:#x}"));
    }
    if let Some(detail) = &b.detail {
        out.push_str(&format!(": {}", escape(detail)));
    }
    out.push('\n');
    out
}

pub fn show(json_out: bool) -> Result<Exit, CliError> {
    let path = path()?;
    let contents = journal::read(&path).map_err(broken)?;
    let head = contents.head();
    if json_out {
        let torn = contents
            .torn
            .as_ref()
            .map(|t| json!({"line": t.line, "bytes": t.len, "sha256": format!("{:#x}", t.sha256)}));
        print_json(&json!({
            "path": path.display().to_string(),
            "records": contents.records,
            "head": {"records": head.records, "head": format!("{:#x}", head.hash)},
            "torn_tail": torn,
        }));
    } else {
        let mut out =
            format!("Journal {} ({} records, head {head})\n", path.display(), contents.records.len());
        for r in &contents.records {
            out.push_str(&describe(r));
        }
        if let Some(t) = &contents.torn {
            out.push_str(&format!(
                "  line {}: {} torn bytes (an interrupted run); the next sign seals them with a torn record\n",
                t.line, t.len
            ));
        }
        print_text(&out);
    }
    Ok(Exit::Success)
}

pub fn verify(recorded: Option<Head>, json_out: bool) -> Result<Exit, CliError> {
    let path = path()?;
    let contents = journal::read(&path).map_err(broken)?;
    if let Some(t) = &contents.torn {
        return Err(broken(JournalError::Torn { path, line: t.line }));
    }
    if let Some(head) = recorded
        && !head.is_extended_by(&contents.records)
    {
        let n = contents.records.len();
        let problem = if usize::try_from(head.records).is_ok_and(|h| h > n) {
            format!("it has {n} records, fewer than the {} recorded (truncated or replaced)", head.records)
        } else {
            format!("record {} is not the one recorded (rewritten or replaced)", head.records)
        };
        return Err(broken(JournalError::HeadLost { path, head, problem }));
    }
    let head = contents.head();
    if json_out {
        print_json(&json!({
            "path": path.display().to_string(),
            "records": contents.records.len(),
            "ok": true,
            "head": format!("{:#x}", head.hash),
            "extends": recorded.map(|h| h.to_string()),
        }));
    } else {
        let extends = recorded.map(|h| format!("; it extends the recorded head {h}")).unwrap_or_default();
        print_text(&format!(
            "Journal {}: {} records, hash chain intact, head {head}{extends}\n",
            path.display(),
            contents.records.len(),
        ));
    }
    Ok(Exit::Success)
}
