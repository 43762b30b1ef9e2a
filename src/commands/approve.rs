//! `approve --manifest M [--device D] [--path P] -o FILE [--hashed] [--force]`: an approver's
//! EIP-712 signature of the manifest (its hash and the facts a person compares on the device),
//! made through the one signing pipeline (check, journal, device, intent, signature, recovery,
//! journal) and written as a canonical approval file.
//!
//! The approver reads the whole manifest first (what `manifest show` prints), then the hashes
//! the device will show. Full mode sends every field, so with "Raw messages" on the device shows
//! the manifest hash, the release, the chain and the window itself; `--hashed` sends only the
//! two hashes, for a device that cannot show the fields.

use std::fmt::Write as _;
use std::path::Path;

use firmware_policy::release_approval::{ApprovalFile, FORMAT_V1, ReleaseSubject, SignedAs};
use firmware_policy::{LoadedManifest, check_release_approval};
use serde_json::{Value, json};

use crate::cli::{ApproveArgs, Narrate, Narrator, print_json};
use crate::device::{DeviceError, DeviceSpec, EthApp, Exchange};
use crate::error::{CliError, Exit};
use crate::home::ensure_state_home;
use crate::journal::TypedDataMode;
use crate::manifest_file::load;
use crate::output::{check_output, write_output};
use crate::render;
use crate::signing::{self, Outcome, Progress, Subject};

/// A signed approval and what it was made of.
pub struct Approved {
    /// The file's content.
    pub file: ApprovalFile,
    /// What was signed.
    pub subject: ReleaseSubject,
    /// The pipeline's result (journal head, whether it came from the journal).
    pub result: signing::Signed,
}

impl Approved {
    /// The `--json` document: the file's fields, the hashes, the journal.
    pub fn document(&self, path: &Path) -> Value {
        let h = self.subject.hashes();
        let sig = &self.result.signature;
        json!({
            "format": FORMAT_V1,
            "manifest_hash": self.file.manifest_hash.to_string(),
            "approver": self.file.approver.to_checksum(None),
            "signature": {
                "r": format!("{:#066x}", sig.r()),
                "s": format!("{:#066x}", sig.s()),
                "y_parity": u8::from(sig.v()),
                "v": self.file.signature[64].to_string(),
            },
            "signature_bytes": render::json::bytes(&self.file.signature),
            "signed_as": self.file.signed_as.as_str(),
            "domain_separator": format!("{:#x}", h.domain_separator),
            "message_hash": format!("{:#x}", h.message_hash),
            "signing_hash": format!("{:#x}", h.signing_hash),
            "file": path.display().to_string(),
            "from_journal": self.result.from_journal,
            "journal": self.result.journal.map_or(Value::Null, |h| json!({"records": h.records, "head": format!("{:#x}", h.hash)})),
        })
    }
}

/// What `approve` ended with (errors aside).
pub enum ApproveOutcome {
    /// Signed (or returned from the journal) and written.
    Signed(Box<Approved>),
    /// Refused by the check (the window has closed): the verdict document.
    Refused(Value),
}

/// The verdict document of an approver's check.
fn verdict_json(v: &firmware_policy::Verdict, manifest: &firmware_policy::Manifest) -> Value {
    json!({
        "verdict": if v.approved() { "approved" } else { "refused" },
        "manifest_hash": v.manifest_hash().to_string(),
        "reasons": v.reasons().iter().map(|r| r.code()).collect::<Vec<_>>(),
        "checks": render::json::checks(v, None, Some(manifest)),
        "evaluated_at": crate::timefmt::format_instant(v.evaluated_at()),
        "tool_version": crate::TOOL_VERSION,
    })
}

/// The approver's reading before the device is asked: the manifest, then what is signed.
fn write_report(
    say: &mut dyn Narrate,
    loaded: &LoadedManifest,
    subject: &ReleaseSubject,
    signed_as: SignedAs,
) {
    let mut s = render::human::manifest(loaded);
    let h = subject.hashes();
    let _ = writeln!(s, "\nYou approve");
    let _ = writeln!(s, "  manifest hash     {}", subject.manifest_hash);
    let _ = writeln!(s, "  release           {}", crate::text::escape(&subject.release));
    let _ = writeln!(s, "  chain id          {}", subject.chain_id);
    let _ = writeln!(
        s,
        "  not before        {} ({})",
        crate::timefmt::format_instant(subject.not_before),
        subject.not_before
    );
    let _ = writeln!(
        s,
        "  expires at        {} ({})",
        crate::timefmt::format_instant(subject.expires_at),
        subject.expires_at
    );
    let _ = writeln!(
        s,
        "as EIP-712 ReleaseApproval, domain {{name \"bounded-signer\", version \"1\", chainId {}}}:",
        subject.chain_id
    );
    let _ = writeln!(s, "  domain separator  {:#x}", h.domain_separator);
    let _ = writeln!(s, "  message hash      {:#x}", h.message_hash);
    let _ = writeln!(s, "  signing hash      {:#x}", h.signing_hash);
    let _ = writeln!(
        s,
        "Compare the manifest hash with the one governance published, from a source other than this file."
    );
    if signed_as == SignedAs::Hashed {
        let _ = writeln!(s, "--hashed: the device receives the two hashes only, and shows them.");
    }
    let _ = say.write_str(&s);
    say.flush_now();
}

fn progress_text(p: Progress, subject: &ReleaseSubject, signed_as: SignedAs) -> Option<String> {
    Some(match p {
        Progress::JournalSealed(warning) => {
            crate::cli::print_diagnostic(&format!("warning: {warning}"));
            return None;
        }
        Progress::Replacing { .. } => return None,
        Progress::DeviceReady { config, .. } => {
            let blind = if config.blind_signing { "on" } else { "off" };
            format!("\nLedger\n  Ethereum app {} found; blind signing {blind}\n", config.version_string())
        }
        Progress::AccountBound { account } => format!("  the approver is {account}\n"),
        Progress::AwaitingApproval { screens, .. } => {
            let mut s = String::new();
            let screens = screens.unwrap_or_default();
            match signed_as {
                SignedAs::Full => {
                    let _ = writeln!(
                        s,
                        "\nWith \"Raw messages\" on (Settings > Raw messages), the Ledger shows these {} screens\n(right button: next; on \"Press right button to continue\" press right):",
                        screens.len()
                    );
                    render::ledger::write_screens(&mut s, &screens);
                    let hashed = crate::ledger_screens::release_approval_review(subject, false);
                    let _ = writeln!(
                        s,
                        "With it off and \"Blind signing\" on, it shows these {} instead (the domain, then the message hash):",
                        hashed.len()
                    );
                    render::ledger::write_screens(&mut s, &hashed);
                    let _ = writeln!(s, "With both off it refuses, and nothing is signed.");
                }
                SignedAs::Hashed => {
                    let _ = writeln!(
                        s,
                        "\nThe Ledger will show these {} screens (right button: next):",
                        screens.len()
                    );
                    render::ledger::write_screens(&mut s, &screens);
                }
            }
            let _ = writeln!(
                s,
                "Compare each with the device before you approve.\nWaiting for you to approve on the Ledger…"
            );
            s
        }
    })
}

/// Runs `approve`: `open` reaches the device, `home` holds the journal, `clock` is the time the
/// window is checked at and the records are stamped with.
pub fn approve_with(
    args: &ApproveArgs,
    open: impl FnOnce(&DeviceSpec) -> Result<Box<dyn Exchange>, DeviceError>,
    clock: &dyn Fn() -> u64,
    home: &Path,
    say: &mut dyn Narrate,
) -> Result<ApproveOutcome, CliError> {
    let loaded = load(&args.manifest)?;
    check_output(&args.out, args.force)?;
    let signed_as = if args.hashed { SignedAs::Hashed } else { SignedAs::Full };
    let subject = ReleaseSubject::of(loaded.manifest(), loaded.hash());
    write_report(&mut *say, &loaded, &subject, signed_as);
    let verdict = check_release_approval(&loaded, signed_as, clock());
    if !verdict.approved() {
        let _ = say.write_str(&render::human::verdict(&verdict, None, Some(loaded.manifest())));
        let _ = say.write_str("Nothing was signed.\n");
        say.flush_now();
        return Ok(ApproveOutcome::Refused(verdict_json(&verdict, loaded.manifest())));
    }
    let mut report = |p: Progress| {
        if let Some(text) = progress_text(p, &subject, signed_as) {
            let _ = say.write_str(&text);
            say.flush_now();
        }
    };
    let request = signing::Request {
        verdict,
        subject: Subject::ReleaseApproval(match signed_as {
            SignedAs::Full => TypedDataMode::Full,
            SignedAs::Hashed => TypedDataMode::Hashed,
        }),
        path: &args.path,
        journal: Some(home),
        clock,
        progress: &mut report,
    };
    let result = match signing::sign(request, || Ok(Box::new(EthApp::new(open(&args.device)?))))? {
        Outcome::Signed(result) => result,
        // Any account may approve: binding refuses none.
        Outcome::Refused(verdict) => {
            return Ok(ApproveOutcome::Refused(verdict_json(&verdict, loaded.manifest())));
        }
    };
    let mut signature = [0u8; 65];
    signature[..32].copy_from_slice(&result.signature.r().to_be_bytes::<32>());
    signature[32..64].copy_from_slice(&result.signature.s().to_be_bytes::<32>());
    signature[64] = 27 + u8::from(result.signature.v());
    // The mode the device signed in: from the journal, the earlier run's (the signature is the
    // same in both modes).
    let signed_as = match result.typed_data_mode {
        Some(TypedDataMode::Hashed) => SignedAs::Hashed,
        Some(TypedDataMode::Full) => SignedAs::Full,
        None => signed_as,
    };
    let file = ApprovalFile { manifest_hash: loaded.hash(), approver: result.signer, signature, signed_as };
    write_output(&args.out, &file.to_canonical_bytes(), args.force).map_err(|e| {
        CliError::internal(format!(
            "{e}; the approval (signature 0x{}) is journaled: run approve again to write it from the journal",
            alloy_primitives::hex::encode(signature)
        ))
    })?;
    Ok(ApproveOutcome::Signed(Box::new(Approved { file, subject, result })))
}

/// The result as the approver reads it.
pub fn approved_text(a: &Approved, path: &Path) -> String {
    let source = if a.result.from_journal {
        " (from the journal; the device was not asked to sign again)"
    } else {
        ""
    };
    let journal = a.result.journal.map_or_else(
        || "none".to_string(),
        |h| format!("{h}  (write this into the ceremony log; `journal verify --head` checks it later)"),
    );
    let mut s = String::new();
    let _ = writeln!(s, "\nApproved{source}");
    let _ = writeln!(s, "  manifest hash   {}", a.file.manifest_hash);
    let _ = writeln!(s, "  approver        {}", a.file.approver);
    let _ = writeln!(s, "  signed as       {}", a.file.signed_as.as_str());
    let _ =
        writeln!(s, "  signature       0x{}  (r ‖ s ‖ v)", alloy_primitives::hex::encode(a.file.signature));
    let _ = writeln!(s, "  file            {}", path.display());
    let _ = writeln!(s, "  journal head    {journal}");
    s
}

/// `approve` from the command line.
pub fn run(args: &ApproveArgs, json_out: bool) -> Result<Exit, CliError> {
    let home = ensure_state_home()?;
    let mut say = Narrator::for_output(json_out);
    match approve_with(args, DeviceSpec::open, &crate::timefmt::now, &home, &mut say)? {
        ApproveOutcome::Refused(verdict) => {
            if json_out {
                print_json(&verdict);
            }
            Ok(Exit::Refused)
        }
        ApproveOutcome::Signed(approved) => {
            if json_out {
                print_json(&approved.document(&args.out));
            } else {
                crate::cli::print_text(&approved_text(&approved, &args.out));
            }
            Ok(Exit::Success)
        }
    }
}
