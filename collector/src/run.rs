//! The command line: read the proposal (and the manifest whose gate names more reads), pin the
//! node to a block, collect, write the witness, and say which block hash the signer must compare.
//!
//! Exit codes: 0 written; 1 a bug; 2 bad input or usage (the file, flag or output named);
//! 3 the transaction cannot be simulated offline (it reads another block's hash, or more state
//! than a witness may hold); 4 the node (unreachable, an error answer, or answers that do not
//! prove against its own header).

use std::path::PathBuf;
use std::process::ExitCode;

use alloy_primitives::{Address, B256};
use bounded_signer::input::{Source, read_proposal, read_proposal_bytes};
use bounded_signer::safe_input::{Flags, ManifestFacts};
use bounded_signer::timefmt::{format_instant, parse_instant};
use bounded_signer_simulator::observe::{not_valid, observe, observe_safe, post_state, sim_status, spec_of};
use bounded_signer_simulator::proof;
use bounded_signer_simulator::proof::Unproven;
use bounded_signer_simulator::replay::{self, Overrides, ReplayError};
use clap::Parser;
use firmware_policy::manifest::Authority;
use firmware_policy::{LoadedManifest, Manifest, SafeSignatureScheme, SafeTxProposal, SimStatus};

use crate::collect::{Block, CollectError, Collected, collect};
use crate::node::{BlockChoice, NodeError, RpcNode};

/// Collects a state witness for the simulation gate: the block header and EIP-1186 proofs of
/// everything the offline replay of TX reads, for `bounded-signer check|sign --witness`.
#[derive(Parser, Debug)]
#[command(name = "bounded-signer-witness", version)]
pub struct Args {
    /// The node's JSON-RPC URL (http or https). Its answers are proven at the ceremony, not
    /// trusted: a lying node makes a witness that fails there, never a wrong simulation.
    #[arg(long, value_name = "URL")]
    pub rpc: String,
    /// The block whose state the transaction runs on (it runs in the block after it).
    #[arg(long, value_name = "N|latest", default_value = "latest", value_parser = parse_block)]
    pub block: BlockChoice,
    /// The simulated block's timestamp (unix seconds or RFC 3339); default: the block's + 12 s.
    #[arg(long, value_name = "T", value_parser = parse_instant)]
    pub timestamp: Option<u64>,
    /// The release manifest: its executor sends TX, and its gate's reads (authority, code,
    /// the matched action's expected slots) are collected too.
    #[arg(long, value_name = "M")]
    pub manifest: Option<PathBuf>,
    /// The sender, when no manifest names the executor.
    #[arg(long, value_name = "ADDR", conflicts_with = "manifest")]
    pub from: Option<Address>,
    /// Write the witness here.
    #[arg(short = 'o', long = "out", value_name = "W")]
    pub out: PathBuf,
    /// Overwrite W if it exists.
    #[arg(long)]
    pub force: bool,
    /// One JSON document on stdout.
    #[arg(long)]
    pub json: bool,
    /// A Safe transaction a co-signer will check with `safe sign` (any form `safe sign` reads),
    /// simulated as Safe tooling does before it has its signatures: `execTransaction` from the
    /// manifest Safe's first owner with a pre-validated signature, the threshold slot set to 1 and
    /// no balance check. Needs --manifest.
    #[arg(long, value_name = "SAFE_TX", requires = "manifest", conflicts_with_all = ["tx", "from"])]
    pub safe_tx: Option<String>,
    /// After the executor fired: the block holding this transaction (its header, every raw
    /// transaction and receipt), with proofs of the manifest's authority entries and the matched
    /// action's expected slots in the state after it, for `bounded-signer verify-execution`.
    /// Needs --manifest.
    #[arg(long, value_name = "TXHASH", requires = "manifest", conflicts_with_all = ["tx", "safe_tx", "from", "block"])]
    pub after: Option<B256>,
    /// The proposal, in any form `bounded-signer check` reads (path, -, hex, JSON).
    #[arg(value_name = "TX", required_unless_present_any = ["safe_tx", "after"])]
    pub tx: Option<String>,
}

fn parse_block(s: &str) -> Result<BlockChoice, String> {
    if s == "latest" {
        return Ok(BlockChoice::Latest);
    }
    s.parse().map(BlockChoice::Number).map_err(|_| "expected a block number or `latest`".into())
}

/// A failure as the user sees it: what went wrong, what to do, and the exit code.
#[derive(Debug)]
pub struct Failure {
    exit: u8,
    kind: &'static str,
    message: String,
    hint: String,
}

impl Failure {
    fn input(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Failure { exit: 2, kind: "input", message: message.into(), hint: hint.into() }
    }
}

impl From<CollectError> for Failure {
    fn from(e: CollectError) -> Self {
        let (exit, kind, hint) = match &e {
            CollectError::BlockHash(_) | CollectError::TooLarge => (
                3,
                "refused",
                "This transaction cannot pass the simulation gate; a release that needs it must be \
                 reviewed without the gate's proof.",
            ),
            _ => (
                4,
                "node",
                "Check the --rpc URL and that the node keeps state at that block (an archive node \
                 for an old one), then run again.",
            ),
        };
        Failure { exit, kind, message: e.to_string(), hint: hint.into() }
    }
}

impl From<NodeError> for Failure {
    fn from(e: NodeError) -> Self {
        let exit = if matches!(e, NodeError::Url { .. }) { 2 } else { 4 };
        let kind = if exit == 2 { "input" } else { "node" };
        Failure {
            exit,
            kind,
            message: e.to_string(),
            hint: "Check the --rpc URL and that the node answers eth_getBlockByNumber, eth_getProof and \
                   eth_getCode, then run again."
                .into(),
        }
    }
}

/// The process: parse, run, print.
pub fn main() -> ExitCode {
    let args = Args::parse();
    let json = args.json;
    match run(&args) {
        Ok(report) => {
            if json {
                println!("{}", report.json());
            } else {
                print!("{}", report.human());
            }
            ExitCode::SUCCESS
        }
        Err(f) => {
            if json {
                let doc =
                    serde_json::json!({"error": {"kind": f.kind, "message": f.message, "hint": f.hint}});
                println!("{doc}");
            } else {
                eprintln!("error: {}\nhint: {}", f.message, f.hint);
            }
            ExitCode::from(f.exit)
        }
    }
}

/// What the replay on the collected witness did.
#[derive(Debug)]
pub struct Replayed {
    /// `success`, `reverted` or `halted`.
    pub status: &'static str,
    /// The revert or halt reason.
    pub reason: Option<String>,
    /// Gas used.
    pub gas_used: u64,
    /// Logs emitted.
    pub logs: usize,
}

/// What was written.
#[derive(Debug)]
pub struct Report {
    path: PathBuf,
    number: u64,
    hash: B256,
    block_time: u64,
    timestamp: u64,
    accounts: usize,
    slots: usize,
    codes: usize,
    bytes: usize,
    requests: usize,
    sender: Address,
    replayed: Replayed,
}

impl Report {
    fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "path": self.path.display().to_string(),
            "block": {"number": self.number.to_string(), "hash": self.hash.to_string()},
            "timestamp": self.timestamp.to_string(),
            "sender": self.sender.to_checksum(None),
            "accounts": self.accounts,
            "slots": self.slots,
            "codes": self.codes,
            "bytes": self.bytes,
            "requests": self.requests,
            "simulation": {
                "status": self.replayed.status,
                "reason": self.replayed.reason,
                "gas_used": self.replayed.gas_used.to_string(),
                "logs": self.replayed.logs,
            },
        })
    }

    fn human(&self) -> String {
        let r = &self.replayed;
        let outcome = match &r.reason {
            Some(why) => format!("{} ({why})", r.status),
            None => r.status.to_string(),
        };
        format!(
            "block      {} {} ({})\n\
             simulated  in the next block at {} ({}), sent by {}\n\
             replay     {outcome}, gas used {}, {} logs\n\
             wrote      {}: {} accounts, {} slots, {} codes, {} bytes ({} answers from the node)\n\
             \n\
             Compare the block hash above with a source you trust (a second node, a block explorer),\n\
             then give it at the ceremony with the witness: --witness {} --block-hash {}\n",
            self.number,
            self.hash,
            format_instant(self.block_time),
            self.timestamp,
            format_instant(self.timestamp),
            self.sender.to_checksum(None),
            r.gas_used,
            r.logs,
            self.path.display(),
            self.accounts,
            self.slots,
            self.codes,
            self.bytes,
            self.requests,
            self.path.display(),
            self.hash,
        )
    }
}

/// What the gate of the manifest's matched action reads besides the transaction itself.
fn gate_seeds(m: &Manifest, action: Option<usize>) -> Vec<(Address, Vec<B256>)> {
    let mut seeds: Vec<(Address, Vec<B256>)> = Vec::new();
    let mut add = |address: Address, slot: Option<B256>| match seeds.iter_mut().find(|(a, _)| *a == address) {
        Some((_, slots)) => slots.extend(slot),
        None => seeds.push((address, slot.into_iter().collect())),
    };
    for entry in &m.authority {
        match entry {
            Authority::Slot(s) => add(s.address, Some(s.slot)),
            Authority::Call(c) => add(c.on, None),
        }
    }
    for code in &m.code {
        add(code.address, None);
    }
    for slot in action.and_then(|i| m.actions.get(i)).map(|a| a.expect.slots.as_slice()).unwrap_or_default() {
        add(slot.address, Some(slot.slot));
    }
    seeds
}

fn replayed_of(o: &firmware_policy::Observed) -> Replayed {
    replayed_of_status(&o.status, o.gas_used, o.logs.len())
}

fn replayed_of_status(status: &SimStatus, gas_used: u64, logs: usize) -> Replayed {
    let (status, reason) = match status {
        SimStatus::Success => ("success", None),
        SimStatus::Reverted(why) => ("reverted", Some(why.clone())),
        SimStatus::Halted(why) => ("halted", Some(why.clone())),
    };
    Replayed { status, reason, gas_used, logs }
}

fn not_an_action(loaded: &LoadedManifest, what: &str) -> Failure {
    Failure::input(
        format!("{what} is none of the actions of the manifest {}", loaded.hash()),
        "Collect for a proposal the manifest approves (bounded-signer check or safe sign shows why it does not).",
    )
}

/// Collects and writes the witness.
pub fn run(args: &Args) -> Result<Report, Failure> {
    let loaded: Option<LoadedManifest> = match &args.manifest {
        Some(path) => Some(
            bounded_signer::manifest_file::load(path).map_err(|e| Failure::input(e.to_string(), e.hint()))?,
        ),
        None => None,
    };
    if let (Some(safe_tx), Some(loaded)) = (&args.safe_tx, &loaded) {
        return run_safe(args, safe_tx, loaded);
    }
    if let (Some(tx_hash), Some(loaded)) = (args.after, &loaded) {
        return run_after(args, tx_hash, loaded);
    }
    let tx_arg = args.tx.as_deref().unwrap_or("-");
    let read = read_proposal(tx_arg).map_err(|e| Failure::input(e.to_string(), e.hint()))?;
    let sender = match (&loaded, args.from.or(read.sender).or(read.claimed_from)) {
        (Some(l), _) => l.manifest().executor,
        (None, Some(from)) => from,
        (None, None) => {
            return Err(Failure::input(
                "no sender: TX is unsigned and names no `from`",
                "Give --manifest M (its executor sends TX) or --from ADDR.",
            ));
        }
    };
    let tx = read.proposal.tx();
    let Some(to) = tx.to() else {
        return Err(Failure::input("TX creates a contract", "Only calls are simulated (and signed)."));
    };
    let (mut node, header, block) = connect(args)?;

    let mut seeds = vec![(Address::ZERO, Vec::new()), (sender, Vec::new()), (to, Vec::new())];
    let collected = match &loaded {
        Some(loaded) => {
            let m = loaded.manifest();
            let action = firmware_policy::check(loaded, loaded.hash(), &read.proposal, block.timestamp)
                .action()
                .ok_or_else(|| not_an_action(loaded, "TX"))?;
            seeds.extend(gate_seeds(m, Some(action)));
            collect(&mut node, &block, &seeds, |state| {
                observe(state, m, action, tx, sender).map(|o| replayed_of(&o.observed))
            })?
        }
        None => collect(&mut node, &block, &seeds, |state| {
            let spec = replay::fork_for(tx.chain_id().unwrap_or_default(), state.timestamp);
            match replay::replay(state, &spec_of(tx, sender), spec, &Overrides::default()) {
                Ok(o) => Ok(replayed_of_status(&sim_status(&o.status), o.gas_used, o.logs.len())),
                Err(ReplayError::Incomplete(missing)) => Err::<Replayed, Unproven>(missing),
                Err(ReplayError::InvalidTransaction(why)) => Ok(replayed_of_status(&not_valid(&why), 0, 0)),
            }
        })?,
    };

    write(args, &header, &block, collected, sender)
}

/// The output checked, the node reached and pinned: its header, and the block to collect on.
fn connect(args: &Args) -> Result<(RpcNode, alloy_consensus::Header, Block), Failure> {
    bounded_signer::output::check_output(&args.out, args.force)
        .map_err(|e| Failure::input(e.to_string(), e.hint()))?;
    let (node, header, hash) = RpcNode::connect(&args.rpc, args.block)?;
    let timestamp = args.timestamp.unwrap_or(header.timestamp.saturating_add(12));
    if timestamp <= header.timestamp {
        return Err(Failure::input(
            format!(
                "--timestamp {timestamp} is not after block {}'s time {}",
                header.number, header.timestamp
            ),
            "The transaction runs in the next block: give a later time, or none (the block's + 12 s).",
        ));
    }
    let block = Block { header: alloy_rlp::encode(&header), hash, timestamp, body: Default::default() };
    Ok((node, header, block))
}

/// `--safe-tx`: the Safe transaction simulated as `safe sign --witness` will simulate it.
fn run_safe(args: &Args, safe_tx: &str, loaded: &LoadedManifest) -> Result<Report, Failure> {
    let m = loaded.manifest();
    let facts = ManifestFacts {
        chain_id: m.chain_id,
        safes: m.safes.iter().map(|s| (s.address, s.version, s.l2)).collect(),
    };
    let flags = Flags { safe: None, chain_id: None, version: None, nonce: None, manifest: Some(facts) };
    let (_, input) = bounded_signer::commands::safe::read_safe_tx_input(safe_tx, &flags)
        .map_err(|e| Failure::input(e.full_message(), e.what_to_do()))?;
    let proposal = SafeTxProposal::new(input.domain, input.tx.clone(), input.claimed_hash).map_err(|e| {
        Failure::input(
            format!("the Safe transaction's data: {e}"),
            "Give the Safe transaction the manifest names.",
        )
    })?;
    let safe = proposal.domain().safe;
    let owner = m.safe(&safe).and_then(|d| d.owners.first().copied()).unwrap_or_default();
    let (mut node, header, block) = connect(args)?;
    let action = firmware_policy::check_safe_tx(
        loaded,
        loaded.hash(),
        &proposal,
        SafeSignatureScheme::Eip712,
        block.timestamp,
    )
    .action()
    .ok_or_else(|| not_an_action(loaded, "SAFE_TX"))?;
    let mut seeds = vec![(Address::ZERO, Vec::new()), (owner, Vec::new()), (safe, Vec::new())];
    seeds.extend(gate_seeds(m, Some(action)));
    let collected = collect(&mut node, &block, &seeds, |state| {
        observe_safe(state, m, action, safe, proposal.tx()).map(|(o, _)| replayed_of(&o.observed))
    })?;
    write(args, &header, &block, collected, owner)
}

/// `--after`: the block holding the executed transaction, and the gate's reads after it.
fn run_after(args: &Args, tx_hash: B256, loaded: &LoadedManifest) -> Result<Report, Failure> {
    bounded_signer::output::check_output(&args.out, args.force)
        .map_err(|e| Failure::input(e.to_string(), e.hint()))?;
    let (mut node, header, hash, body) = RpcNode::connect_after(&args.rpc, tx_hash)?;
    let timestamp = args.timestamp.unwrap_or(header.timestamp.saturating_add(12));
    let block = Block { header: alloy_rlp::encode(&header), hash, timestamp, body };
    // The body must rebuild the header's roots before anything is proven on it.
    proof::verify_block(&block.body, &header).map_err(|e| Failure::from(CollectError::Unprovable(e)))?;
    let index = block.body.position(tx_hash).ok_or_else(|| {
        Failure::from(NodeError::NoBlock(format!("holding {tx_hash} among its transactions")))
    })?;
    let raw = block.body.transactions.get(index).cloned().unwrap_or_default();
    let read = read_proposal_bytes(zeroize::Zeroizing::new(raw), Source::Inline)
        .map_err(|e| Failure::input(format!("transaction {tx_hash}: {e}"), e.hint()))?;
    let m = loaded.manifest();
    let action = firmware_policy::check(loaded, loaded.hash(), &read.proposal, header.timestamp).action();
    let Some(receipt) = block.body.receipt(index) else {
        return Err(Failure::from(NodeError::Request {
            what: format!("the receipt of {tx_hash}"),
            why: "not an EIP-2718 receipt".into(),
        }));
    };
    let before =
        index.checked_sub(1).and_then(|i| block.body.receipt(i)).map_or(0, |r| r.cumulative_gas_used());
    let replayed = Replayed {
        status: if receipt.status() { "success" } else { "reverted" },
        reason: None,
        gas_used: receipt.cumulative_gas_used().saturating_sub(before),
        logs: receipt.logs().len(),
    };
    let seeds = gate_seeds(m, action);
    let collected = collect(&mut node, &block, &seeds, |state| post_state(state, m, action).map(|_| ()))?;
    let collected = Collected { witness: collected.witness, result: replayed, requests: collected.requests };
    write(args, &header, &block, collected, read.sender.unwrap_or_default())
}

fn write(
    args: &Args,
    header: &alloy_consensus::Header,
    block: &Block,
    collected: Collected<Replayed>,
    sender: Address,
) -> Result<Report, Failure> {
    let bytes = collected.witness.to_bytes();
    bounded_signer::output::write_output(&args.out, &bytes, args.force)
        .map_err(|e| Failure::input(e.to_string(), e.hint()))?;
    let w = &collected.witness;
    Ok(Report {
        path: args.out.clone(),
        number: header.number,
        hash: block.hash,
        block_time: header.timestamp,
        timestamp: block.timestamp,
        accounts: w.accounts.len(),
        slots: w.accounts.iter().map(|a| a.storage.len()).sum(),
        codes: w.codes.len(),
        bytes: bytes.len(),
        requests: collected.requests,
        sender,
        replayed: collected.result,
    })
}
