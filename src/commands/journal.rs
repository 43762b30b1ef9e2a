//! `journal show | verify`.

use serde_json::json;

use crate::cli::{print_json, print_text};
use crate::error::{CliError, Exit};
use crate::home::state_home;
use crate::journal::{self, JournalError};

fn path() -> Result<std::path::PathBuf, CliError> {
    Ok(state_home()?.join(journal::FILE_NAME))
}

fn broken(e: JournalError) -> CliError {
    CliError::input(e.to_string()).hint(
        "The journal was edited or damaged. Keep the file as evidence; do not sign until it is explained.",
    )
}

pub fn show(json_out: bool) -> Result<Exit, CliError> {
    let path = path()?;
    let contents = journal::read(&path).map_err(broken)?;
    if json_out {
        print_json(&json!({
            "path": path.display().to_string(),
            "records": contents.records,
            "torn_tail": contents.torn.as_ref().map(alloy_primitives::hex::encode_prefixed),
        }));
    } else {
        let mut out = format!("Journal {} ({} records)\n", path.display(), contents.records.len());
        for r in &contents.records {
            let b = &r.body;
            out.push_str(&format!(
                "  #{:<4} {} {:<7} action {} ({}) signing hash {}{}\n",
                b.seq,
                crate::timefmt::format_instant(b.time),
                format!("{:?}", b.kind).to_lowercase(),
                b.action.map_or("-".into(), |a| a.to_string()),
                crate::text::escape(b.action_name.as_deref().unwrap_or("-")),
                crate::text::escape(b.signing_hash.as_deref().unwrap_or("-")),
                b.detail.as_deref().map(|d| format!(": {}", crate::text::escape(d))).unwrap_or_default(),
            ));
        }
        if contents.torn.is_some() {
            out.push_str(
                "  the last record is torn (an interrupted run); the next sign keeps it as a torn record\n",
            );
        }
        print_text(&out);
    }
    Ok(Exit::Success)
}

pub fn verify(json_out: bool) -> Result<Exit, CliError> {
    let path = path()?;
    let contents = journal::read(&path).map_err(broken)?;
    if contents.torn.is_some() {
        let line = contents.records.len() + 1;
        return Err(broken(JournalError::Torn { path, line }));
    }
    let last = contents.records.last().map(|r| r.hash.clone());
    if json_out {
        print_json(
            &json!({"path": path.display().to_string(), "records": contents.records.len(), "ok": true, "head": last}),
        );
    } else {
        print_text(&format!(
            "Journal {}: {} records, hash chain intact{}\n",
            path.display(),
            contents.records.len(),
            last.map(|h| format!(" (head {h})")).unwrap_or_default()
        ));
    }
    Ok(Exit::Success)
}
