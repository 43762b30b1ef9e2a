//! `rehearse`: the main job on an embedded default. Starts the emulator in-process on free
//! loopback ports, builds the bundled example manifest with a release window around now, checks
//! and signs the example proposal through the same client and transport used for real Speculos,
//! then shows a tampered proposal refused, printing what a signer sees at each step. The journal
//! of a rehearsal lives in a fresh temporary directory, never in the real state home.

use std::fmt::Write as _;

use firmware_policy::{DecodedTx, LoadedManifest, Proposal, check};
use serde_json::json;

use super::sign::{SignOutcome, SignRequest, sign_with, signed_text};
use crate::authoring::parse_release;
use crate::cli::{print_json, print_text};
use crate::device::{DerivationPath, DeviceSpec};
use crate::emulator::{Emulator, EmulatorConfig};
use crate::error::{CliError, Exit};
use crate::render;
use crate::request::payload_from_json;
use crate::timefmt::{format_instant, now};

const RELEASE: &str = include_str!("../../examples/box-v2-upgrade.toml");
const PROPOSAL: &str = include_str!("../../examples/proposal-schedule.json");
const TAMPERED: &str = include_str!("../../examples/proposal-tampered.json");

fn internal(what: &str) -> impl Fn(String) -> CliError + '_ {
    move |e| CliError::internal(format!("rehearsal: {what}: {e}"))
}

/// The example release with its window moved to [now − 1 h, now + 24 h).
fn release_around(now: u64) -> Result<LoadedManifest, CliError> {
    let mut text = String::new();
    for line in RELEASE.lines() {
        if line.starts_with("not_before") {
            let _ = writeln!(text, "not_before = {}", now.saturating_sub(3600));
        } else if line.starts_with("expires_at") {
            let _ = writeln!(text, "expires_at = {}", now + 86_400);
        } else {
            let _ = writeln!(text, "{line}");
        }
    }
    let manifest = parse_release(&text).map_err(|e| internal("example release")(e.to_string()))?;
    LoadedManifest::from_manifest(manifest).map_err(|e| internal("example release")(e.to_string()))
}

fn proposal(json_text: &str) -> Result<Proposal, CliError> {
    let built = payload_from_json(json_text).map_err(internal("example proposal"))?;
    let tx = DecodedTx::decode(&built.payload).map_err(|e| internal("example proposal")(e.to_string()))?;
    Proposal::new(tx).map_err(|e| internal("example proposal")(e.to_string()))
}

pub fn run(json_out: bool) -> Result<Exit, CliError> {
    let mut say = String::new();
    let now = now();
    let home = std::env::temp_dir().join(format!("bounded-signer-rehearsal-{}-{now}", std::process::id()));
    let home_guard = TempDir(home.clone());
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&home)
            .map_err(|e| internal("temporary state home")(e.to_string()))?;
    }

    // The device: the built-in emulator, blind signing on, approving like a person who compared
    // the hash.
    let emulator =
        Emulator::start(EmulatorConfig::rehearsal()).map_err(|e| internal("emulator")(e.to_string()))?;
    let _ = writeln!(say, "== Rehearsal: a Ledger emulator is listening ({})", emulator.ready_line());
    let _ = writeln!(
        say,
        "   (Speculos's public test seed; the executor is m/44'/60'/0'/0/0. Never hold value with it.)\n"
    );

    // 1. The release manager builds the manifest; governance approves its hash.
    let manifest = release_around(now)?;
    let hash = manifest.hash();
    let _ = writeln!(
        say,
        "== 1. The release manager compiles examples/box-v2-upgrade.toml (window [{}, {}))",
        format_instant(now.saturating_sub(3600)),
        format_instant(now + 86_400)
    );
    let _ = writeln!(say, "   Manifest hash, approved by governance: {hash}\n");

    // 2. The signer checks and signs the proposal.
    let _ =
        writeln!(say, "== 2. The signer checks the proposed schedule transaction and signs it on the device");
    let schedule = proposal(PROPOSAL)?;
    let m = manifest.manifest();
    let labels = |a: &alloy_primitives::Address| m.label(a).map(str::to_string);
    say.push_str(&render::human::tx(schedule.tx(), None, None, &labels));
    say.push('\n');
    say.push_str(&render::human::calls(schedule.calls(), &labels));
    let signing_hash = format!("{:#x}", schedule.tx().signing_hash());
    let request = SignRequest {
        manifest: firmware_policy::OpenedManifest::Approved(Box::new(release_around(now)?)),
        approved: hash,
        proposal: schedule,
        device: DeviceSpec::Speculos(emulator.apdu.to_string()),
        path: DerivationPath::default_account(),
    };
    let signed = match sign_with(request, DeviceSpec::open, &|| now, &home)? {
        SignOutcome::Signed(s) => s,
        SignOutcome::Refused { text, .. } => {
            print_text(&say);
            print_text(&text);
            return Err(CliError::internal("rehearsal: the approved example proposal was refused"));
        }
    };
    let screens = emulator.ui.events_json(false);
    let texts: Vec<&str> =
        screens["events"].as_array().into_iter().flatten().filter_map(|e| e["text"].as_str()).collect();
    let _ = writeln!(say, "\n   The Ledger showed: {}", texts.join(" | "));
    let shown = crate::emulator::screens::read_hex_value(&texts, "Tx hash");
    let matches = shown == signing_hash;
    let _ = writeln!(
        say,
        "   Tx hash on the device {} the signing hash the tool printed ({signing_hash}).\n",
        if matches { "matches" } else { "DOES NOT MATCH" }
    );
    say.push_str(&signed_text(&signed));

    // 3. A tampered proposal: refused, nothing signed.
    let _ =
        writeln!(say, "\n== 3. A tampered proposal: the new implementation, three calls deep, is swapped");
    let tampered = proposal(TAMPERED)?;
    let verdict = check(&manifest, hash, &tampered, now);
    say.push_str(&render::human::calls(tampered.calls(), &labels));
    say.push('\n');
    say.push_str(&render::human::verdict(&verdict, None));
    let refused = !verdict.approved();
    let tampered_reasons: Vec<&str> = verdict.reasons().iter().map(|r| r.code()).collect();
    let _ = writeln!(say, "   Nothing was sent to the device: the signing path only takes an approval.");

    let journal = crate::journal::read(&home.join(crate::journal::FILE_NAME))
        .map_err(|e| internal("journal")(e.to_string()))?;
    let _ = writeln!(
        say,
        "\n== 4. The rehearsal journal holds {} records (intent, signed), chain intact",
        journal.records.len()
    );
    let ok = matches && refused && journal.records.len() == 2;
    drop(home_guard);
    if json_out {
        print_json(&json!({
            "ok": ok,
            "manifest_hash": hash.to_string(),
            "signed": serde_json::to_value(signed.document()).unwrap_or_default(),
            "device_tx_hash_matches": matches,
            "tampered": {"verdict": if refused { "refused" } else { "approved" }, "reasons": tampered_reasons},
        }));
    } else {
        let _ = writeln!(
            say,
            "\nrehearse: {}",
            if ok { "everything behaved as expected" } else { "UNEXPECTED RESULT" }
        );
        print_text(&say);
    }
    if ok {
        Ok(Exit::Success)
    } else {
        Err(CliError::internal("rehearsal: an expectation failed (see above)"))
    }
}

/// Removes the rehearsal's state home on drop.
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
