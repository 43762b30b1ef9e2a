//! The simulation gate on the ceremony laptop: the witness read (a file, or a bundle's picked by
//! the typed hash), proven against the block hash the signer typed, the checked transaction
//! replayed on it from the executor (or a co-signer's Safe transaction as Safe tooling simulates
//! it), and what the replay observed handed to the policy core to judge
//! (`firmware_policy::check_gated`, `check_safe_tx_gated`). Nothing here decides; it only
//! measures, on proven state, and keeps the replay for the signer to read.

use std::path::PathBuf;

use alloy_primitives::B256;
use bounded_signer_simulator::observe;
use bounded_signer_simulator::proof;
use bounded_signer_simulator::replay::{Outcome, Overrides};
use bounded_signer_simulator::witness::{MAX_WITNESS_BYTES, Witness};
use firmware_policy::{Gate, Manifest, Proposal};

use crate::error::CliError;

/// `--witness W --block-hash H`.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct WitnessFlags {
    /// A state witness (`bounded-signer-witness`) to simulate the transaction on.
    #[arg(long, value_name = "FILE", requires = "block_hash")]
    pub witness: Option<PathBuf>,
    /// The hash of the witnessed block, as you compared it with a source you trust: the only
    /// thing the simulation trusts. Without --witness, the bundle's witness of that block.
    #[arg(long, value_name = "HASH", value_parser = parse_hash)]
    pub block_hash: Option<B256>,
}

/// A 32-byte hash as `0x` and 64 hex digits.
pub(crate) fn parse_hash(s: &str) -> Result<B256, String> {
    let digits = s.strip_prefix("0x").ok_or("expected 0x and 64 hex digits")?;
    if digits.len() != 64 {
        return Err("expected 0x and 64 hex digits".into());
    }
    s.parse().map_err(|_| "expected 0x and 64 hex digits".into())
}

/// A witness read from its file, and the block hash typed with it.
pub struct GivenWitness {
    name: String,
    witness: Witness,
    block_hash: B256,
}

impl GivenWitness {
    /// A witness from its bytes (a file already read, or one embedded), named `name`, with the
    /// block hash typed for it; exit 2 when the bytes are not a witness.
    pub fn from_bytes(name: String, bytes: &[u8], block_hash: B256) -> Result<Self, CliError> {
        let witness = Witness::from_bytes(bytes).map_err(|e| {
            CliError::input(format!("{name}: {e}"))
                .hint("Pass the file bounded-signer-witness wrote, unchanged.")
        })?;
        Ok(GivenWitness { name, witness, block_hash })
    }

    /// The file's name, for messages.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The decoded (unproven) witness.
    pub fn witness(&self) -> &Witness {
        &self.witness
    }
    /// The block hash the signer typed.
    pub fn block_hash(&self) -> B256 {
        self.block_hash
    }
}

impl WitnessFlags {
    /// The witness, read and decoded (exit 2 when it is not one), when one was given: the file,
    /// or, with `--block-hash` alone, the witness in `bundle` whose header hashes to it (the typed
    /// hash picks it; a bundle is transport, so nothing else about it is trusted).
    pub fn read(
        &self,
        bundle: Option<&firmware_policy::bundle::Bundle>,
    ) -> Result<Option<GivenWitness>, CliError> {
        let Some(block_hash) = self.block_hash else {
            return Ok(None);
        };
        if let Some(path) = &self.witness {
            let bytes = crate::input::read_file_limited(path, MAX_WITNESS_BYTES)?;
            return GivenWitness::from_bytes(path.display().to_string(), &bytes, block_hash).map(Some);
        }
        let Some(bundle) = bundle else {
            return Err(CliError::input("--block-hash needs --witness W, or a bundle that carries the witness")
                .hint("Give the witness file bounded-signer-witness wrote, or the bundle made with bundle create --witness."));
        };
        let mut held = Vec::new();
        for (i, body) in bundle.of(firmware_policy::bundle::EntryKind::Witness).enumerate() {
            let name = format!("the bundle's witness {i}");
            let given = GivenWitness::from_bytes(name, body, block_hash)?;
            let hash = alloy_primitives::keccak256(&given.witness.header);
            if hash == block_hash {
                return Ok(Some(given));
            }
            held.push(format!("{hash:#x}"));
        }
        Err(CliError::input(format!(
            "the bundle holds no witness of block {block_hash:#x} (it holds {})",
            if held.is_empty() { "none".to_string() } else { held.join(", ") }
        ))
        .hint("Type the block hash you compared for this release, or give the witness with --witness."))
    }
}

/// What a simulation showed, for the signer to read beside the verdict: the block it ran on,
/// how it ended, and the replay with every value before and after.
#[derive(Clone, Debug)]
pub struct Simulation {
    /// The witnessed block's number.
    pub block_number: u64,
    /// Its hash (the one the signer typed).
    pub block_hash: B256,
    /// The simulated block's timestamp.
    pub timestamp: u64,
    /// How it ended, as the core judged it.
    pub status: firmware_policy::SimStatus,
    /// The replay; `None` when the transaction was not valid on the state.
    pub replay: Option<Outcome>,
    /// What the replay changed before it ran (none for a plain transaction).
    pub overrides: Overrides,
}

/// The verdict with the gate judged: when the check matched an action the gate applies to and a
/// witness was given, the transaction is simulated on it and checked again with what the
/// simulation observed (only an approved manifest's gate is trusted to be read at all). The
/// simulation comes back too when one ran.
pub fn gated_verdict(
    opened: &crate::approvals::Opened,
    proposal: &Proposal,
    now: u64,
    witness: Option<&GivenWitness>,
    verdict: firmware_policy::Verdict,
) -> (firmware_policy::Verdict, Option<Simulation>) {
    regated(
        opened,
        now,
        witness,
        verdict,
        |given, m, action| gate(given, m, action, proposal, now),
        |m, approved, gate| firmware_policy::check_opened_gated(m, approved, proposal, now, gate),
    )
}

/// [`gated_verdict`] for a Safe transaction a co-signer checks (`safe sign`): simulated as
/// Safe tooling does before it has its signatures ([`gate_safe`]).
pub fn gated_safe_verdict(
    opened: &crate::approvals::Opened,
    proposal: &firmware_policy::SafeTxProposal,
    scheme: firmware_policy::SafeSignatureScheme,
    now: u64,
    witness: Option<&GivenWitness>,
    verdict: firmware_policy::Verdict,
) -> (firmware_policy::Verdict, Option<Simulation>) {
    regated(
        opened,
        now,
        witness,
        verdict,
        |given, m, action| gate_safe(given, m, action, proposal, now),
        |m, approved, gate| {
            firmware_policy::check_safe_tx_opened_gated(m, approved, proposal, scheme, now, gate)
        },
    )
}

/// The one rule of both: only when `verdict` matched an action of an approved manifest that the
/// gate applies to, and a witness was given, is the gate run (`simulate`) and the check run again
/// with what it observed (`check`).
fn regated(
    opened: &crate::approvals::Opened,
    now: u64,
    witness: Option<&GivenWitness>,
    verdict: firmware_policy::Verdict,
    simulate: impl FnOnce(&GivenWitness, &Manifest, usize) -> (Gate, Option<Simulation>),
    check: impl FnOnce(
        &firmware_policy::OpenedManifest,
        firmware_policy::ManifestHash,
        &Gate,
    ) -> firmware_policy::Verdict,
) -> (firmware_policy::Verdict, Option<Simulation>) {
    let (Some(given), Some(loaded), Some(action)) = (witness, opened.manifest.approved(), verdict.action())
    else {
        return (verdict, None);
    };
    let m = loaded.manifest();
    if !m.actions.get(action).is_some_and(|a| m.needs_witness(a)) {
        return (verdict, None);
    }
    let (gate, simulation) = simulate(given, m, action);
    (opened.verdict(now, |m, approved| check(m, approved, &gate)), simulation)
}

/// Seconds a witness's header and timestamp may be ahead of `now` (clock skew).
const FUTURE_SLACK: u64 = 60;

/// The gate for `action` of `m`: why the witness cannot be used, or what the replay of
/// `proposal` on it from the executor observed, and the simulation to show.
pub fn gate(
    given: &GivenWitness,
    m: &Manifest,
    action: usize,
    proposal: &Proposal,
    now: u64,
) -> (Gate, Option<Simulation>) {
    gate_with(given, m, now, |state| {
        observe::observe(state, m, action, proposal.tx(), m.executor).map(|o| (o, Overrides::default()))
    })
}

/// The gate for Safe `action` of `m`: the Safe transaction replayed on the witness as Safe
/// tooling simulates it before it has its signatures (`observe::safe_simulation`: its two
/// overrides are shown with the simulation).
pub fn gate_safe(
    given: &GivenWitness,
    m: &Manifest,
    action: usize,
    proposal: &firmware_policy::SafeTxProposal,
    now: u64,
) -> (Gate, Option<Simulation>) {
    gate_with(given, m, now, |state| {
        observe::observe_safe(state, m, action, proposal.domain().safe, proposal.tx())
    })
}

/// The gate on the witness: proven against the typed block hash and fresh enough, then `run`
/// (the replay and the gate's reads) on the proven state.
fn gate_with(
    given: &GivenWitness,
    m: &Manifest,
    now: u64,
    run: impl FnOnce(&proof::ProvenState) -> Result<(observe::Observation, Overrides), proof::Unproven>,
) -> (Gate, Option<Simulation>) {
    let state = match proof::verify(&given.witness, given.block_hash) {
        Ok(state) => state,
        Err(e) => return (Gate::Invalid(format!("{}: {e}", given.name)), None),
    };
    let window = now.saturating_sub(m.max_state_age)..=now.saturating_add(FUTURE_SLACK);
    for (what, at) in [("block", state.header.timestamp), ("simulation timestamp", state.timestamp)] {
        if !window.contains(&at) {
            let why = format!(
                "{}: the {what} time {} is not within {} s before now ({}) or {FUTURE_SLACK} s after it",
                given.name,
                crate::timefmt::format_instant(at),
                m.max_state_age,
                crate::timefmt::format_instant(now)
            );
            return (Gate::Invalid(why), None);
        }
    }
    if state.timestamp <= state.header.timestamp {
        let why = format!("{}: the simulation timestamp is not after the block's", given.name);
        return (Gate::Invalid(why), None);
    }
    match run(&state) {
        Ok((observation, overrides)) => {
            let simulation = Simulation {
                block_number: state.header.number,
                block_hash: state.block_hash,
                timestamp: state.timestamp,
                status: observation.observed.status.clone(),
                replay: observation.replay,
                overrides,
            };
            (Gate::Observed(Box::new(observation.observed)), Some(simulation))
        }
        Err(what) => (Gate::Incomplete(format!("{}: {what}", given.name)), None),
    }
}
