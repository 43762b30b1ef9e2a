//! `rehearse`: the main job on an embedded default. Starts the emulator in-process on free
//! loopback ports, builds the bundled example manifest with a release window around now, has two
//! approvers approve it on the device (EIP-712), checks and signs the example proposal under
//! their quorum through the same client and transport used for real Speculos, then shows a
//! tampered proposal refused, printing what a signer sees at each step. The journals and files of
//! a rehearsal live in a fresh temporary directory, never in the real state home.

use std::fmt::Write as _;

use firmware_policy::{DecodedTx, LoadedManifest, Proposal, check};
use serde_json::json;

use super::approve::{ApproveOutcome, approve_with, approved_text};
use super::sign::{SignOutcome, SignRequest, sign_with, write_signed_text};
use crate::authoring::parse_release;
use crate::cli::{Narrate, Narrator, print_json};
use crate::device::{DerivationPath, DeviceSpec};
use crate::emulator::{Emulator, EmulatorConfig};
use crate::error::{CliError, Exit};
use crate::render;
use crate::request::payload_from_json;
use crate::timefmt::{format_instant, now};

const RELEASE: &str = include_str!("../../examples/box-v2-upgrade.toml");
const PROPOSAL: &str = include_str!("../../examples/proposal-schedule.json");
const TAMPERED: &str = include_str!("../../examples/proposal-tampered.json");
// The simulation gate's example (`--simulate`), made on anvil by tests/e2e/example_witness.cjs.
const GATE_RELEASE: &str = include_str!("../../examples/gate/release.toml");
const GATE_PROPOSAL: &str = include_str!("../../examples/gate/proposal-execute.json");
const GATE_WITNESS: &[u8] = include_bytes!("../../examples/gate/execute.witness");
const GATE_BLOCK: &str = include_str!("../../examples/gate/execute.witness.json");

fn internal(what: &str) -> impl Fn(String) -> CliError + '_ {
    move |e| CliError::internal(format!("rehearsal: {what}: {e}"))
}

/// The example release with its window moved to [now − 1 h, now + 24 h).
fn release_around(now: u64) -> Result<LoadedManifest, CliError> {
    release_text_around(RELEASE, now)
}

/// A bundled release's text with its window moved to [now − 1 h, now + 24 h).
fn release_text_around(release: &str, now: u64) -> Result<LoadedManifest, CliError> {
    let mut text = String::new();
    for line in release.lines() {
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

pub fn run(args: &crate::cli::RehearseArgs, json_out: bool) -> Result<Exit, CliError> {
    // The story is told as it happens: on stdout, or on stderr with --json.
    let mut say = Narrator::for_output(json_out);
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
    // the screens.
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
    let _ = writeln!(say, "   Manifest hash: {hash}\n");
    let manifest_path = home.join("release.manifest.cbor");
    std::fs::write(&manifest_path, manifest.bytes()).map_err(|e| internal("manifest file")(e.to_string()))?;

    // 1b. Two approvers approve it on their own Ledgers; the signer's laptop pins them.
    let _ = writeln!(
        say,
        "== 1b. Two approvers (m/44'/60'/0'/0/1 and /2, each on their own laptop) approve the manifest on the\n   device; the first one's run is shown, the second sees the same\n"
    );
    say.flush_now();
    let mut approvals = Vec::new();
    let mut approvers = Vec::new();
    for index in [1u32, 2] {
        let args = crate::cli::ApproveArgs {
            manifest: manifest_path.clone(),
            out: home.join(format!("approver-{index}.approval")),
            force: false,
            hashed: false,
            device: DeviceSpec::Speculos(emulator.apdu.to_string()),
            path: DerivationPath::parse(&format!("m/44'/60'/0'/0/{index}")).map_err(internal("path"))?,
        };
        let approver_home = home.join(format!("approver-{index}"));
        std::fs::create_dir(&approver_home).map_err(|e| internal("approver home")(e.to_string()))?;
        let mut quiet = String::new();
        let story: &mut dyn Narrate = if index == 1 { &mut say } else { &mut quiet };
        match approve_with(&args, DeviceSpec::open, &|| now, &approver_home, story)? {
            ApproveOutcome::Signed(a) => {
                let _ = say.write_str(&approved_text(&a, &args.out));
                approvers.push(a.file.approver);
            }
            ApproveOutcome::Refused(_) => {
                return Err(CliError::internal("rehearsal: the example release was not approvable"));
            }
        }
        approvals.push(args.out);
    }
    let trust_path = home.join(crate::approvals::TRUST_FILE);
    let trust_text = format!(
        "threshold = 2\napprovers = [{}]\nseparate_roles = true\n",
        approvers.iter().map(|a| format!("\"{a}\"")).collect::<Vec<_>>().join(", ")
    );
    std::fs::write(&trust_path, &trust_text).map_err(|e| internal("trust file")(e.to_string()))?;
    // The approvers' devices ("Raw messages" off, as on a fresh device) showed what approve printed.
    let subject = firmware_policy::release_approval::ReleaseSubject::of(manifest.manifest(), hash);
    let approval_screens: Vec<String> =
        crate::ledger_screens::release_approval_review(&subject, false).into_iter().flatten().collect();
    let shown = screen_lines(&emulator);
    let approvals_shown = shown.windows(approval_screens.len()).filter(|w| *w == approval_screens).count();
    let _ = writeln!(
        say,
        "\n   Both approvers' Ledgers showed the screens approve printed: {}",
        if approvals_shown == 2 { "yes" } else { "NO" }
    );
    let _ = writeln!(
        say,
        "   The signer's laptop pins them in {}:\n{}",
        trust_path.display(),
        indent(&trust_text)
    );

    // 2. The signer checks and signs the proposal under the quorum: `sign` tells every step.
    let _ = writeln!(
        say,
        "== 2. The signer signs the proposed schedule transaction with --trust and both approvals: `sign`\n   counts the approvals, checks it, then asks the device\n"
    );
    say.flush_now();
    let schedule = proposal(PROPOSAL)?;
    let request = SignRequest {
        manifest: crate::approvals::open(
            &crate::approvals::Source::File(manifest_path),
            &crate::approvals::ProofArgs::Quorum { trust: Some(trust_path.clone()), approvals },
        )?,
        proposal: schedule,
        device: DeviceSpec::Speculos(emulator.apdu.to_string()),
        path: DerivationPath::default_account(),
        claimed_from: None,
        names: None,
        claims: Vec::new(),
        witness: None,
    };
    let signed = match sign_with(request, DeviceSpec::open, &|| now, &home, &mut say)? {
        SignOutcome::Signed(s) => s,
        SignOutcome::Refused { .. } => {
            return Err(CliError::internal("rehearsal: the approved example proposal was refused"));
        }
    };
    // What the device showed, against what the tool said it would show.
    let texts = screen_lines(&emulator);
    let lines: Vec<&str> = texts.iter().map(String::as_str).collect();
    let signing_hash = format!("{:#x}", signed.signing_hash());
    let shown = crate::ledger_screens::read_hex_value(&lines, "Tx hash");
    let hash_matches = shown == signing_hash;
    let predicted: Vec<String> = signed.predicted_screens().into_iter().flatten().collect();
    let screens_match = !predicted.is_empty() && lines.windows(predicted.len()).any(|w| w == predicted);
    let _ = writeln!(
        say,
        "   The Ledger showed {}, and its Tx hash {} the signing hash.\n",
        if screens_match {
            "exactly the screens the tool printed"
        } else {
            "OTHER screens than the tool printed (see the emulator's /events)"
        },
        if hash_matches { "is" } else { "IS NOT" },
    );
    write_signed_text(&mut say, &signed);
    say.flush_now();

    // 3. A tampered proposal: refused, nothing signed.
    let _ =
        writeln!(say, "\n== 3. A tampered proposal: the new implementation, three calls deep, is swapped");
    let tampered = proposal(TAMPERED)?;
    let verdict = check(&manifest, hash, &tampered, now);
    let m = manifest.manifest();
    let diff = firmware_policy::diff::explain(&manifest, &verdict, &tampered, None);
    let evaluation = render::human::Evaluation { verdict: &verdict, diff: diff.as_ref(), simulation: None };
    render::human::write_report(&mut say, Some(m), &tampered, None, None, evaluation);
    let refused = !verdict.approved();
    let tampered_reasons: Vec<&str> = verdict.reasons().iter().map(|r| r.code()).collect();
    let _ = writeln!(say, "   Nothing was sent to the device: the signing path only takes an approval.");

    let gate = if args.simulate { Some(simulate(&emulator, &home, &mut say)?) } else { None };

    let journal = crate::journal::read(&home.join(crate::journal::FILE_NAME))
        .map_err(|e| internal("journal")(e.to_string()))?;
    let expected_records = if gate.is_some() { 4 } else { 2 };
    let _ = writeln!(
        say,
        "\n== {}. The rehearsal journal holds {} records (intent, signed{}), chain intact",
        if gate.is_some() { 5 } else { 4 },
        journal.records.len(),
        if gate.is_some() { ", for each signature" } else { "" }
    );
    let quorum_counted = signed.verdict().quorum().map_or(0, |q| q.counted().count());
    let ok = hash_matches
        && screens_match
        && refused
        && journal.records.len() == expected_records
        && quorum_counted == 2
        && approvals_shown == 2
        && gate.as_ref().is_none_or(GateRehearsal::ok);
    drop(home_guard);
    let _ = writeln!(
        say,
        "\nrehearse: {}",
        if ok { "everything behaved as expected" } else { "UNEXPECTED RESULT" }
    );
    say.flush_now();
    if json_out {
        print_json(&json!({
            "ok": ok,
            "manifest_hash": hash.to_string(),
            "signed": serde_json::to_value(signed.document()).unwrap_or_default(),
            "device_tx_hash_matches": hash_matches,
            "device_screens_match": screens_match,
            "approvals_counted": quorum_counted,
            "approval_screens_match": approvals_shown == 2,
            "tampered": {"verdict": if refused { "refused" } else { "approved" }, "reasons": tampered_reasons},
            "simulation": gate.as_ref().map(GateRehearsal::json),
        }));
    }
    if ok {
        Ok(Exit::Success)
    } else {
        Err(CliError::internal("rehearsal: an expectation failed (see above)"))
    }
}

/// What the simulation gate's rehearsal showed.
struct GateRehearsal {
    missing: Vec<&'static str>,
    signed: bool,
    simulation: Option<serde_json::Value>,
    invalid: Vec<&'static str>,
    other_block: Vec<&'static str>,
}

impl GateRehearsal {
    fn ok(&self) -> bool {
        self.missing == ["witness_missing"]
            && self.signed
            && self.simulation.as_ref().is_some_and(|s| s["status"] == "success")
            && self.invalid == ["witness_invalid"]
            && self.other_block == ["witness_invalid"]
    }

    fn json(&self) -> serde_json::Value {
        json!({
            "without_witness": self.missing,
            "signed": self.signed,
            "simulation": self.simulation,
            "flipped_proof_byte": self.invalid,
            "another_block_hash": self.other_block,
        })
    }
}

/// `--simulate`: the bundled local-chain release's execute, checked without a witness
/// (refused), then signed on its witness at the witness's time, then refused on a witness with
/// one proof byte flipped and on another block's hash.
fn simulate(
    emulator: &Emulator,
    home: &std::path::Path,
    say: &mut Narrator,
) -> Result<GateRehearsal, CliError> {
    let block: serde_json::Value =
        serde_json::from_str(GATE_BLOCK).map_err(|e| internal("example witness")(e.to_string()))?;
    let t: u64 = block["timestamp"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .ok_or_else(|| CliError::internal("rehearsal: the example witness names no time"))?;
    let block_hash: alloy_primitives::B256 = block["block"]["hash"]
        .as_str()
        .and_then(|h| h.parse().ok())
        .ok_or_else(|| CliError::internal("rehearsal: the example witness names no block hash"))?;
    let number = block["block"]["number"].as_str().unwrap_or("?");
    let manifest = release_text_around(GATE_RELEASE, t)?;
    let hash = manifest.hash();
    let path = home.join("gate.manifest.cbor");
    std::fs::write(&path, manifest.bytes()).map_err(|e| internal("manifest file")(e.to_string()))?;
    let _ = writeln!(
        say,
        "\n== 4. The simulation gate (--simulate): the same upgrade's execute, on a local chain (examples/gate,\n   \
         made on anvil by bounded-signer-witness). Its manifest {hash} names BoxV2's code hash, the chain of\n   \
         control and the Upgraded event execute must produce. The signer compared block {number}'s hash\n   \
         {block_hash:#x} with a source they trust; the tool proves every value against it and replays\n   \
         execute offline in the next block, at the witness's time {} (the rehearsal's clock is set to it,\n   \
         so it never goes stale)\n",
        format_instant(t)
    );
    let execute = proposal(GATE_PROPOSAL)?;
    let open = || {
        crate::approvals::open(
            &crate::approvals::Source::File(path.clone()),
            &crate::approvals::ProofArgs::Hash(hash),
        )
    };
    // Without the witness: refused, whatever else holds.
    let without = firmware_policy::check(&manifest, hash, &execute, t);
    let missing: Vec<&'static str> = without.reasons().iter().map(|r| r.code()).collect();
    let _ = writeln!(say, "   Without a witness, check refuses it: {}\n", missing.join(", "));
    say.flush_now();
    let given = crate::gate::GivenWitness::from_bytes(
        "examples/gate/execute.witness".into(),
        GATE_WITNESS,
        block_hash,
    )?;
    let request = SignRequest {
        manifest: open()?,
        proposal: execute,
        device: DeviceSpec::Speculos(emulator.apdu.to_string()),
        path: DerivationPath::default_account(),
        claimed_from: None,
        names: None,
        claims: Vec::new(),
        witness: Some(given),
    };
    let (signed, simulation) = match sign_with(request, DeviceSpec::open, &|| t, home, say)? {
        SignOutcome::Signed(s) => {
            write_signed_text(say, &s);
            let doc = serde_json::to_value(s.document()).unwrap_or_default();
            (true, Some(doc["verdict"]["simulation"].clone()))
        }
        SignOutcome::Refused { verdict } => (false, verdict.get("simulation").cloned()),
    };
    // One flipped byte in a proof node, and another block's hash: nothing is proven.
    let mut flipped = bounded_signer_simulator::witness::Witness::from_bytes(GATE_WITNESS)
        .map_err(|e| internal("example witness")(e.to_string()))?;
    if let Some(b) = flipped.accounts.iter_mut().find_map(|a| a.proof.last_mut()).and_then(|n| n.last_mut()) {
        *b ^= 1;
    }
    let refusal = |say: &mut Narrator,
                   witness: &[u8],
                   typed: alloy_primitives::B256|
     -> Result<Vec<&'static str>, CliError> {
        let given = crate::gate::GivenWitness::from_bytes("a changed witness".into(), witness, typed)?;
        let opened = open()?;
        let proposal = proposal(GATE_PROPOSAL)?;
        let verdict = firmware_policy::check(&manifest, hash, &proposal, t);
        let (verdict, _) = crate::gate::gated_verdict(&opened, &proposal, t, Some(&given), verdict);
        let detail =
            verdict.checks().iter().find(|c| !c.ok).map(|c| c.detail.to_string()).unwrap_or_default();
        let _ = writeln!(
            say,
            "     → {}: {}",
            verdict.reasons().iter().map(|r| r.code()).collect::<Vec<_>>().join(", "),
            detail
        );
        Ok(verdict.reasons().iter().map(|r| r.code()).collect())
    };
    let _ = writeln!(say, "\n   The same execute on a witness with one proof byte flipped:");
    let invalid = refusal(say, &flipped.to_bytes(), block_hash)?;
    let _ = writeln!(say, "   And on the true witness with another block's hash typed:");
    let other_block = refusal(say, GATE_WITNESS, alloy_primitives::B256::repeat_byte(0xab))?;
    let _ = writeln!(say, "   Nothing was sent to the device for either.");
    say.flush_now();
    Ok(GateRehearsal { missing, signed, simulation, invalid, other_block })
}

/// Every line the emulator's screen has shown so far.
fn screen_lines(emulator: &Emulator) -> Vec<String> {
    emulator.ui.events_json(false)["events"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["text"].as_str().map(str::to_string))
        .collect()
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("     {l}\n")).collect()
}

/// Removes the rehearsal's state home on drop.
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
