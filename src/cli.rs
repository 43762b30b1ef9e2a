//! The command line of `spec/cli.md`: parsing, dispatch, and the one place errors become exit
//! codes and error documents.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use alloy_primitives::{Address, B256};
use clap::{Args, Parser, Subcommand};
use firmware_policy::ManifestHash;

use crate::commands;
use crate::device::{DerivationPath, DeviceSpec};
use crate::emulator::{Approve, Fault};
use crate::error::{CliError, Exit, error_json};
use crate::values::{parse_address, parse_manifest_hash};

/// Signs exactly the approved upgrade transaction, and nothing else, on a Ledger.
#[derive(Parser, Debug)]
#[command(name = "bounded-signer", version, about, long_about = None)]
pub struct Cli {
    /// Print one JSON document on stdout instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Compile, show or hash a release manifest.
    #[command(
        subcommand,
        after_help = "Input: build takes the authoring TOML (docs/manifest-format.md); show and \
hash take the canonical CBOR manifest.\n\nExample:\n  bounded-signer manifest build examples/box-v2-upgrade.toml\n\n\
Exit codes: 0 done, 2 bad input (the file, the field or the byte offset named), 1 internal error."
    )]
    Manifest(ManifestCommand),
    /// Decode a transaction (or bare calldata) into its call tree.
    #[command(after_help = DECODE_HELP)]
    Decode(DecodeArgs),
    /// Evaluate a proposed transaction against an approved manifest, without any device.
    #[command(after_help = CHECK_HELP)]
    Check(CheckArgs),
    /// Check, then sign the exact approved payload on a Ledger, and journal it.
    #[command(after_help = SIGN_HELP)]
    Sign(SignArgs),
    /// Print the device's address.
    #[command(
        after_help = "Input: a device (--device ledger, ledger:PATH, speculos:HOST:PORT) and a path.\n\n\
Example:\n  bounded-signer address --list\n  bounded-signer address --confirm\n\n\
Exit codes: 0 done, 4 device (not found, locked, app not open, rejected), 2 bad input, 1 internal error."
    )]
    Address(AddressArgs),
    /// Show or verify the signing journal.
    #[command(
        subcommand,
        after_help = "Input: the journal in $BOUNDED_SIGNER_HOME (default \
~/.local/share/bounded-signer).\n\nExample:\n  bounded-signer journal verify --head 2:0xbe82…\n\n\
Exit codes: 0 intact (and extending --head), 2 broken, truncated or replaced, 1 internal error."
    )]
    Journal(JournalCommand),
    /// Approve a release manifest: an EIP-712 signature of its hash on a Ledger, as an approval file.
    #[command(after_help = APPROVE_HELP)]
    Approve(ApproveArgs),
    /// The release bundle: one file carrying the manifest, approvals, rollback and proposals.
    #[command(
        subcommand,
        after_help = "A bundle is transport, never proof: check and sign still take --approved-hash or the \
laptop's pinned --trust.\n\nExample:\n  bounded-signer bundle create --manifest release.cbor --approvals a.approval \
--proposal schedule.hex -o release.bundle\n\nExit codes: 0 done, 2 bad input (the file, the entry or the byte \
offset named; for verify, every problem found), 1 internal error."
    )]
    Bundle(BundleCommand),
    /// Files across the air gap as BC-UR parts (ur:bytes), one per line.
    #[command(
        subcommand,
        after_help = "Example:\n  bounded-signer airgap send release.bundle > parts.txt\n  bounded-signer airgap receive --text parts.txt \
-o release.bundle\n\nExit codes: 0 done, 2 bad input (a line that is not a part of the file, corrupted, too few \
parts), 1 internal error."
    )]
    Airgap(AirgapCommand),
    /// Safe transactions: their EIP-712 hashes, checked before an owner approves one.
    #[command(subcommand)]
    Safe(SafeCommand),
    /// Storage layout compatibility of an upgrade's implementations.
    #[command(
        subcommand,
        after_help = "Input: solc's standard-JSON output or a build-info file (Foundry, Hardhat), compiled with \
outputSelection storageLayout and ast.\n\nExample:\n  bounded-signer layout check v1.json v2.json --reference BoxV1 \
--contract BoxV2\n\nExit codes: 0 compatible, 3 incompatible, 2 bad input, 1 internal error."
    )]
    Layout(LayoutCommand),
    /// After the executor fired: check what the chain did against the manifest, on a
    /// post-execution witness, and contain the release when it diverged.
    #[command(after_help = VERIFY_EXECUTION_HELP)]
    VerifyExecution(VerifyExecutionArgs),
    /// A software Ledger (Ethereum app 1.22.0) for tests and rehearsals.
    #[command(
        after_help = "Input: ports, the approval mode, a fault to inject, a uhid device.\n\nExamples:\n  \
bounded-signer emulator --apdu-port 9999 --api-port 5000 --approve manual\n  \
sudo bounded-signer emulator --uhid --serial 0002 --apdu-port 0 --api-port 0\n\n\
Exit codes: 0 stopped (the uhid device unplugged), 2 bad input (a port in use, no uhid), 1 internal error."
    )]
    Emulator(EmulatorArgs),
    /// A full signing rehearsal against the built-in emulator with the bundled example.
    #[command(after_help = "Input: none (the bundled example release and proposals; with --simulate, also \
examples/gate: a release on a local chain and its state witness).\n\nExample:\n  bounded-signer rehearse --simulate\n\n\
Exit codes: 0 everything behaved as expected, 1 otherwise.")]
    Rehearse(RehearseArgs),
    /// Print a shell completion script on stdout (see README: "Install").
    Completions {
        /// The shell.
        shell: CompletionShell,
    },
    /// Print the manual page (roff) on stdout: `bounded-signer man | man -l -`.
    Man,
}

/// The shells completions are written for.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum CompletionShell {
    /// bash.
    Bash,
    /// zsh.
    Zsh,
    /// fish.
    Fish,
}

const CHECK_HELP: &str = concat!(
    "TX is one of: a path; - for stdin (also when TX is omitted and stdin is not a terminal); hex of the \
unsigned signing payload or of a signed raw transaction (`cast mktx --raw-unsigned`); or JSON: a request \
with eth_signTransaction field names, a JSON-RPC envelope or its params array, ethers' Transaction.toJSON(), \
a signed transaction's JSON (v, r, s, yParity, hash), or an eth_signTransaction result {raw, tx}.\n\n",
    "Example:\n  bounded-signer check --manifest release.manifest.cbor --approved-hash 0x67e7… proposal.json\n\n",
    "Exit codes: 0 approved, 3 refused (the verdict says why, with a hint for every failed check), \
2 bad input, 1 internal error."
);

const SIGN_HELP: &str = concat!(
    "TX as for check (unsigned forms only). Before the device is asked, sign prints the check, what the \
Ledger answered, and every screen the Ledger will show, line by line as it shows them.\n\n",
    "Example:\n  bounded-signer sign --manifest release.manifest.cbor --approved-hash 0x67e7… proposal.json --out signed.json\n\n",
    "Exit codes: 0 signed (or the journaled signature of the same payload), 3 refused, 4 device \
(not found, locked, rejected on the device…), 5 already signed (the action has another signature), \
2 bad input, 1 internal error (the signature is journaled and printed when --out cannot be written)."
);

const APPROVE_HELP: &str = concat!(
    "Input: the canonical manifest (what `manifest build` wrote). approve prints the manifest, the facts \
it signs (manifest hash, release, chain, window) and their EIP-712 hashes, then every screen the Ledger will \
show. Full mode (the default) sends every field: with the Ethereum app's \"Raw messages\" setting on, the \
device shows them; with it off, \"Blind signing\" must be on and the device shows the domain and the \
message hash. --hashed sends the two hashes only. The file is canonical CBOR; `check --trust` counts it.\n\n",
    "Example:\n  bounded-signer approve --manifest release.manifest.cbor -o alice.approval\n\n",
    "Exit codes: 0 approved (or the journaled approval of the same manifest), 3 refused (the window has \
closed), 4 device (not found, locked, rejected, a setting off), 2 bad input, 1 internal error."
);

const DECODE_HELP: &str = concat!(
    "TX as for check; or --calldata HEX [--to ADDR] for bare calldata.\n\n",
    "Example:\n  bounded-signer decode proposal.json\n  bounded-signer decode --calldata 0x3659cfe6… --to 0x78a3…\n\n",
    "Exit codes: 0 decoded, 2 bad input, 1 internal error."
);

/// `sign …`
#[derive(Args, Debug)]
pub struct SignArgs {
    /// The manifest, from its file or a bundle.
    #[command(flatten)]
    pub source: ManifestFlags,
    /// How the manifest is approved.
    #[command(flatten)]
    pub proof: ProofFlags,
    /// The proposed transaction: a path, - for stdin, hex, or JSON (unsigned); read from stdin
    /// when omitted and stdin is not a terminal.
    pub tx: Option<String>,
    /// ledger, ledger:PATH, speculos or speculos:HOST:PORT.
    #[arg(long, default_value = "ledger", value_parser = DeviceSpec::parse)]
    pub device: DeviceSpec,
    /// Derivation path of the executor account.
    #[arg(long, default_value = "m/44'/60'/0'/0/0", value_parser = DerivationPath::parse)]
    pub path: DerivationPath,
    /// Also write the result document to this file.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Overwrite --out if it exists.
    #[arg(long)]
    pub force: bool,
    /// The simulation gate's witness and the block hash you compared.
    #[command(flatten)]
    pub witness: crate::gate::WitnessFlags,
}

/// `address …`
#[derive(Args, Debug)]
pub struct AddressArgs {
    /// ledger, ledger:PATH, speculos or speculos:HOST:PORT.
    #[arg(long, default_value = "ledger", value_parser = DeviceSpec::parse)]
    pub device: DeviceSpec,
    /// Derivation path.
    #[arg(long, default_value = "m/44'/60'/0'/0/0", value_parser = DerivationPath::parse)]
    pub path: DerivationPath,
    /// Show the address on the device and wait for the person to confirm it.
    #[arg(long)]
    pub confirm: bool,
    /// List connected Ledgers (their hidraw paths).
    #[arg(long)]
    pub list: bool,
}

/// `journal …`
#[derive(Subcommand, Debug)]
pub enum JournalCommand {
    /// List the records.
    Show,
    /// Check the hash chain (exit 2 if broken).
    Verify {
        /// A head recorded earlier (N:HASH, as every signing output prints it): exit 2 unless
        /// the journal still extends it (not truncated, not replaced).
        #[arg(long, value_parser = crate::journal::Head::parse)]
        head: Option<crate::journal::Head>,
    },
}

/// `safe …`
#[derive(Subcommand, Debug)]
pub enum SafeCommand {
    /// The domain separator, message hash and safeTxHash of a Safe transaction, its call tree,
    /// and the hashes as the Ledger pages them.
    #[command(after_help = SAFE_HASH_HELP)]
    Hash(SafeHashArgs),
    /// Check a Safe transaction against the manifest's Safe actions and, if it is one of them,
    /// sign its safeTxHash on the Ledger as one of the Safe's owners.
    #[command(after_help = SAFE_SIGN_HELP)]
    Sign(SafeSignArgs),
    /// Assemble the executor's execTransaction for a manifest Safe action from its owners'
    /// signatures (sorted as the Safe requires), as the unsigned payload `sign` takes.
    #[command(name = "exec-tx", after_help = SAFE_EXEC_TX_HELP)]
    ExecTx(SafeExecTxArgs),
}

const SAFE_EXEC_TX_HELP: &str = concat!(
    "Each --signature is 65 bytes r ‖ s ‖ v in hex, a file holding that hex, or a `safe sign --json` \
output file. Each must recover, over the action's safeTxHash, to an owner of its Safe, once; together they \
must reach the Safe's threshold. They are sorted by owner, as the Safe requires. The transaction goes to \
the Safe with value 0 on the manifest's chain: EIP-1559 with --max-fee and --priority-fee, or legacy \
(EIP-155) with --legacy-gas-price. `sign` then checks it against the manifest as any other.\n\n",
    "Example:\n  bounded-signer safe exec-tx --manifest release.manifest.cbor --action schedule \\\n    \
--signature owner-a.json --signature owner-b.json --nonce 12 --gas-limit 300000 \\\n    \
--max-fee 30000000000 --priority-fee 1000000000 -o exec.tx\n\n",
    "Exit codes: 0 written, 2 bad input (a signature that is not an owner's, too few, an unknown action), \
1 internal error."
);

/// `safe exec-tx …`
#[derive(Args, Debug)]
pub struct SafeExecTxArgs {
    /// The manifest file (canonical CBOR).
    #[arg(long)]
    pub manifest: PathBuf,
    /// The name of the Safe action.
    #[arg(long)]
    pub action: String,
    /// An owner's signature: hex, a file with the hex, or a `safe sign --json` output (repeated).
    #[arg(long = "signature", required_unless_present = "approved_by")]
    pub signatures: Vec<String>,
    /// An owner whose approval is an on-chain approveHash (a nested Safe whose approving action
    /// the manifest holds, or the executor itself): its approved-hash entry (v 1) goes in.
    #[arg(long = "approved-by", value_parser = parse_address)]
    pub approved_by: Vec<Address>,
    /// The executor's account nonce.
    #[arg(long)]
    pub nonce: u64,
    /// The gas limit.
    #[arg(long)]
    pub gas_limit: u64,
    /// maxFeePerGas in wei (EIP-1559).
    #[arg(long, value_parser = crate::values::parse_quantity_str, requires = "priority_fee", conflicts_with = "legacy_gas_price")]
    pub max_fee: Option<alloy_primitives::U256>,
    /// maxPriorityFeePerGas in wei (EIP-1559).
    #[arg(long, value_parser = crate::values::parse_quantity_str, requires = "max_fee")]
    pub priority_fee: Option<alloy_primitives::U256>,
    /// gasPrice in wei, for a legacy (EIP-155) transaction instead.
    #[arg(long, value_parser = crate::values::parse_quantity_str)]
    pub legacy_gas_price: Option<alloy_primitives::U256>,
    /// Where to write the unsigned payload (hex).
    #[arg(short = 'o', long = "out")]
    pub out: PathBuf,
    /// Overwrite it if it exists.
    #[arg(long)]
    pub force: bool,
}

const SAFE_SIGN_HELP: &str = concat!(
    "SAFE_TX is read as for `safe hash`. What the input and the flags leave open, the approved manifest \
fills: its chain, and the version it declares for the Safe. The Safe transaction must be one of the \
manifest's Safe actions field for field; the Ledger's account at --path must be one of that Safe's owners. \
The signature is printed as the Safe takes it (r, s, v: 27/28, or 31/32 with --eth-sign).\n\n",
    "Example:\n  bounded-signer safe sign --manifest release.manifest.cbor --approved-hash 0x… tx-service.json \
--path \"m/44'/60'/0'/0/1\"\n\n",
    "Exit codes: 0 signed (or returned from the journal), 3 refused by the policy, 2 bad input, 4 device \
problem, 5 this owner already signed another hash for the action, 1 internal error."
);

/// `safe sign …`
#[derive(Args, Debug)]
pub struct SafeSignArgs {
    /// The manifest, from its file or a bundle.
    #[command(flatten)]
    pub source: ManifestFlags,
    /// How the manifest is approved.
    #[command(flatten)]
    pub proof: ProofFlags,
    /// The Safe transaction: a path, - for stdin, or inline JSON (with --bundle, omitted: the
    /// bundle's Safe proposal).
    pub safe_tx: Option<String>,
    /// What the input lacks (the chain and version default to the approved manifest's).
    #[command(flatten)]
    pub flags: SafeTxFlags,
    /// Sign the safeTxHash as an eth_sign personal message (v 31/32; Safes from 1.1.0) instead of
    /// EIP-712, for a device without EIP-712.
    #[arg(long)]
    pub eth_sign: bool,
    /// ledger, ledger:PATH, speculos or speculos:HOST:PORT.
    #[arg(long, default_value = "ledger", value_parser = DeviceSpec::parse)]
    pub device: DeviceSpec,
    /// Derivation path of the owner's account.
    #[arg(long, default_value = "m/44'/60'/0'/0/0", value_parser = DerivationPath::parse)]
    pub path: DerivationPath,
    /// The simulation gate's witness and the block hash it is proven against.
    #[command(flatten)]
    pub witness: crate::gate::WitnessFlags,
}

/// Where the manifest comes from: its file, or a bundle (which may carry the proposal too).
#[derive(Args, Debug, Clone)]
pub struct ManifestFlags {
    /// The manifest file (canonical CBOR).
    #[arg(long, required_unless_present = "bundle", conflicts_with = "bundle")]
    pub manifest: Option<PathBuf>,
    /// A release bundle in place of --manifest: its manifest, its approvals (joining any
    /// --approvals) and its proposals (TX may then be omitted). Transport, never proof.
    #[arg(long)]
    pub bundle: Option<PathBuf>,
    /// Which of the bundle's proposals (0-based), when it holds several.
    #[arg(long = "proposal", value_name = "N", requires = "bundle")]
    pub proposal: Option<usize>,
}

impl ManifestFlags {
    /// The source, as `approvals::open` takes it.
    pub fn source(&self) -> crate::approvals::Source {
        match (&self.manifest, &self.bundle) {
            (_, Some(b)) => crate::approvals::Source::Bundle(b.clone()),
            (Some(m), None) => crate::approvals::Source::File(m.clone()),
            // clap requires one of the two.
            (None, None) => crate::approvals::Source::File(PathBuf::new()),
        }
    }
}

/// The proof that the manifest is approved: exactly one of the hash governance published, or a
/// quorum of approvals under the laptop's trust file.
#[derive(Args, Debug, Clone)]
pub struct ProofFlags {
    /// The manifest hash governance approved (32 bytes hex).
    #[arg(
        long = "approved-hash",
        value_parser = parse_manifest_hash,
        required_unless_present_any = ["trust", "approvals"],
        conflicts_with_all = ["trust", "approvals"]
    )]
    pub approved_hash: Option<ManifestHash>,
    /// The pinned trust file (threshold, approvers, separate_roles); default
    /// $BOUNDED_SIGNER_HOME/trust.toml.
    #[arg(long)]
    pub trust: Option<PathBuf>,
    /// An approval file (`approve` writes them); repeat for each approver.
    #[arg(long = "approvals", value_name = "FILE")]
    pub approvals: Vec<PathBuf>,
}

impl ProofFlags {
    /// The proof, as `approvals::open` takes it.
    pub fn proof(&self) -> crate::approvals::ProofArgs {
        match self.approved_hash {
            Some(hash) => crate::approvals::ProofArgs::Hash(hash),
            None => crate::approvals::ProofArgs::Quorum {
                trust: self.trust.clone(),
                approvals: self.approvals.clone(),
            },
        }
    }
}

/// `approve …`
#[derive(Args, Debug)]
pub struct ApproveArgs {
    /// The manifest file (canonical CBOR).
    #[arg(long)]
    pub manifest: PathBuf,
    /// Where to write the approval file.
    #[arg(short = 'o', long = "out")]
    pub out: PathBuf,
    /// Overwrite the output file.
    #[arg(long)]
    pub force: bool,
    /// Send the domain and message hashes only (EIP-712 hashed mode) instead of every field.
    #[arg(long)]
    pub hashed: bool,
    /// ledger, ledger:PATH, speculos or speculos:HOST:PORT.
    #[arg(long, default_value = "ledger", value_parser = DeviceSpec::parse)]
    pub device: DeviceSpec,
    /// Derivation path of the approver's account.
    #[arg(long, default_value = "m/44'/60'/0'/0/0", value_parser = DerivationPath::parse)]
    pub path: DerivationPath,
}

const SAFE_HASH_HELP: &str = concat!(
    "SAFE_TX is a path, - for stdin, or inline JSON, in any of these forms (detected by shape): the Safe \
Transaction Service's object (its other keys, dataDecoded above all, ignored and never trusted; it names \
no chain and no version: the flags give them); EIP-712 typed data for SafeTx (eth_signTypedData_v4, as \
Safe{Wallet} and `cast wallet sign --data` take it), whose domain and types must be the version's; or \
{\"safe\", \"chainId\", \"safeVersion\", \"to\", \"value\", \"data\", \"operation\", \"nonce\", …}; or a \
Safe{Wallet} Transaction Builder batch file (with --nonce and --safe-version), turned into the Safe \
transaction Safe{Wallet} proposes. The flags fill what the input lacks; one that disagrees with it is an \
error.\n\n",
    "Example:\n  bounded-signer safe hash tx-service.json --chain-id 1 --safe-version 1.4.1\n\n",
    "Exit codes: 0 hashed, 2 bad input (a flag disagrees, a claimed safeTxHash differs), 1 internal error."
);

/// `safe hash …`
#[derive(Args, Debug)]
pub struct SafeHashArgs {
    /// The Safe transaction: a path, - for stdin, or inline JSON.
    pub safe_tx: String,
    /// What the input lacks.
    #[command(flatten)]
    pub flags: SafeTxFlags,
}

/// What a Safe transaction's input form may lack, given on the command line; each must agree
/// with the input where it names the same thing.
#[derive(Args, Debug, Clone)]
pub struct SafeTxFlags {
    /// The chain (in the domain from Safe 1.3.0).
    #[arg(long)]
    pub chain_id: Option<u64>,
    /// 0.1.0, 1.0.0, 1.1.0, 1.1.1, 1.2.0, 1.3.0, 1.4.1 or 1.5.0 (a +L2 suffix accepted).
    #[arg(long, value_parser = parse_safe_version)]
    pub safe_version: Option<(firmware_policy::safe_tx::SafeVersion, bool)>,
    /// The Safe's address.
    #[arg(long, value_parser = parse_address)]
    pub safe: Option<Address>,
    /// The Safe nonce (a Transaction Builder batch has none).
    #[arg(long, value_parser = crate::values::parse_quantity_str)]
    pub nonce: Option<alloy_primitives::U256>,
}

fn parse_safe_version(s: &str) -> Result<(firmware_policy::safe_tx::SafeVersion, bool), String> {
    firmware_policy::safe_tx::SafeVersion::parse(s).ok_or_else(|| {
        "expected 0.1.0, 1.0.0, 1.1.0, 1.1.1, 1.2.0, 1.3.0, 1.4.1 or 1.5.0 (a +L2 suffix accepted)".into()
    })
}

/// `emulator …`
#[derive(Args, Debug)]
pub struct EmulatorArgs {
    /// Raw APDU TCP port (0 picks a free one).
    #[arg(long, default_value_t = 9999)]
    pub apdu_port: u16,
    /// REST API port (0 picks a free one).
    #[arg(long, default_value_t = 5000)]
    pub api_port: u16,
    /// A file with one line of BIP-39 words (default: the public Speculos test mnemonic).
    #[arg(long)]
    pub mnemonic_file: Option<PathBuf>,
    /// auto, reject or manual (POST /button/both approves, /button/left rejects).
    #[arg(long, default_value = "auto", value_parser = parse_approve)]
    pub approve: Approve,
    /// on or off.
    #[arg(long, default_value = "on", value_parser = parse_on_off, action = clap::ArgAction::Set)]
    pub blind_signing: bool,
    /// on or off: the app's "Raw messages" setting (EIP-712 full mode shows every field; off,
    /// as on a fresh device, it shows the domain and the message hash, and needs blind signing).
    #[arg(long, default_value = "off", value_parser = parse_on_off, action = clap::ArgAction::Set)]
    pub verbose_eip712: bool,
    /// disconnect-after=N, garbage, wrong-signature, locked or wrong-app.
    #[arg(long, value_parser = Fault::parse)]
    pub fault: Option<Fault>,
    /// Also plug the emulator into this Linux kernel as a USB Nano S+, through uhid (PATH
    /// defaults to /dev/uhid, which only root may open): hidapi, udev and `--device ledger` then
    /// see a Ledger. The process ends when the device is unplugged (a disconnect fault).
    #[arg(long, value_name = "PATH", num_args = 0..=1, default_missing_value = "/dev/uhid")]
    pub uhid: Option<PathBuf>,
    /// The uhid device's serial number (HID uniq), to tell several virtual Ledgers apart.
    #[arg(long, default_value = "0001", requires = "uhid")]
    pub serial: String,
}

fn parse_approve(s: &str) -> Result<Approve, String> {
    match s {
        "auto" => Ok(Approve::Auto),
        "reject" => Ok(Approve::Reject),
        "manual" => Ok(Approve::Manual),
        _ => Err("expected auto, reject or manual".into()),
    }
}

fn parse_on_off(s: &str) -> Result<bool, String> {
    match s {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err("expected on or off".into()),
    }
}

/// `manifest …`
#[derive(Subcommand, Debug)]
pub enum ManifestCommand {
    /// Compile RELEASE.toml into the canonical CBOR manifest and print its hash.
    Build {
        /// The authoring file.
        release: PathBuf,
        /// Where to write the manifest (default: RELEASE.manifest.cbor next to the input).
        #[arg(short = 'o', long = "out")]
        out: Option<PathBuf>,
        /// Overwrite an existing output file.
        #[arg(long)]
        force: bool,
    },
    /// Print every field and every action's call tree.
    Show {
        /// The manifest file.
        manifest: PathBuf,
    },
    /// Print the manifest hash.
    Hash {
        /// The manifest file.
        manifest: PathBuf,
    },
}

/// `airgap …`
#[derive(Subcommand, Debug)]
pub enum AirgapCommand {
    /// Print a file as fountain-coded UR parts (uppercase, one per line).
    Send(AirgapSendArgs),
    /// Assemble a file from UR parts in any order, with duplicates and gaps.
    Receive(AirgapReceiveArgs),
    /// Show the device's account key as an ERC-4527 `ur:crypto-hdkey`, for a watch-only wallet.
    ExportAccount(AirgapExportAccountArgs),
    /// Check a watch-only wallet's ERC-4527 `ur:eth-sign-request` against the manifest, sign it on
    /// the Ledger, and answer with its `ur:eth-signature`.
    SignRequest(Box<AirgapSignRequestArgs>),
}

/// `airgap send …`
#[derive(Args, Debug)]
pub struct AirgapSendArgs {
    /// The file (a bundle, manifest, approval or signature document).
    pub file: PathBuf,
    /// Bytes of the file per part (default 250: about 540 characters, a version 13 QR code at level L).
    #[arg(long)]
    pub fragment_len: Option<usize>,
    /// How many parts (default: 3.25 times the fragments, and 25 more).
    #[arg(long)]
    pub frames: Option<usize>,
    #[command(flatten)]
    pub show: FramesOut,
}

/// Where UR parts go: text lines, QR images, or an animated QR code in the terminal.
#[derive(Args, Debug)]
pub struct FramesOut {
    /// One part per line on stdout (the default when stdout is not a terminal).
    #[arg(long, conflicts_with_all = ["png_dir", "terminal"])]
    pub text: bool,
    /// An animated QR code in the terminal, looping until Ctrl-C (the default on a terminal).
    #[arg(long, conflicts_with = "png_dir")]
    pub terminal: bool,
    /// Frames a second of the terminal animation (default 8).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=30), conflicts_with_all = ["text", "png_dir"])]
    pub fps: Option<u32>,
    /// Write each part as a QR code image, DIR/frame-00001.png and on (an existing DIR needs
    /// --force).
    #[arg(long, value_name = "DIR")]
    pub png_dir: Option<PathBuf>,
    /// With --png-dir: write into an existing directory.
    #[arg(long, requires = "png_dir")]
    pub force: bool,
}

/// `airgap sign-request …`
#[derive(Args, Debug)]
pub struct AirgapSignRequestArgs {
    /// The manifest, from its file or a bundle.
    #[command(flatten)]
    pub source: ManifestFlags,
    /// How the manifest is approved.
    #[command(flatten)]
    pub proof: ProofFlags,
    /// The request: its UR text, a file of its UR parts (one a line), or - for stdin.
    #[arg(conflicts_with = "request_images")]
    pub request: Option<String>,
    /// The request as QR code images (PNG), as a camera saved the wallet's frames.
    #[arg(long, num_args = 1.., value_name = "FILE")]
    pub request_images: Vec<std::path::PathBuf>,
    /// ledger, ledger:PATH, speculos or speculos:HOST:PORT.
    #[arg(long, default_value = "ledger", value_parser = DeviceSpec::parse)]
    pub device: DeviceSpec,
    /// Where the `ur:eth-signature` goes (default: its text on stdout).
    #[command(flatten)]
    pub show: FramesOut,
    /// The simulation gate's witness and the block hash it is proven against.
    #[command(flatten)]
    pub witness: crate::gate::WitnessFlags,
}

/// `airgap export-account …`
#[derive(Args, Debug)]
pub struct AirgapExportAccountArgs {
    /// ledger, ledger:PATH, speculos or speculos:HOST:PORT.
    #[arg(long, default_value = "ledger", value_parser = DeviceSpec::parse)]
    pub device: DeviceSpec,
    /// The account key's path: m/44'/60'/N' (the wallet derives 0/i below it).
    #[arg(long, default_value = "m/44'/60'/0'", value_parser = DerivationPath::parse)]
    pub path: DerivationPath,
    #[command(flatten)]
    pub show: FramesOut,
}

/// `airgap receive …`
#[derive(Args, Debug)]
pub struct AirgapReceiveArgs {
    /// The UR text: a file, or - for stdin (what a handheld scanner types).
    #[arg(long, required_unless_present = "images", conflicts_with = "images")]
    pub text: Option<PathBuf>,
    /// QR code images (PNG), in any order, as a camera or `airgap send --png-dir` made them.
    #[arg(long, num_args = 1.., value_name = "FILE")]
    pub images: Vec<PathBuf>,
    /// Where to write the file.
    #[arg(short = 'o', long = "out")]
    pub out: PathBuf,
    /// Overwrite the output file.
    #[arg(long)]
    pub force: bool,
}

/// `layout …`
#[derive(Subcommand, Debug)]
pub enum LayoutCommand {
    /// Whether NEW's storage layout keeps OLD's: every old variable's slot, offset and type; new
    /// variables after the old ones or in slots a __gap gives up; ERC-7201 namespaces kept.
    Check(LayoutCheckArgs),
}

/// `layout check …`
#[derive(Args, Debug)]
pub struct LayoutCheckArgs {
    /// The old implementation's compiler output (standard-JSON output or build-info).
    pub old: PathBuf,
    /// The new implementation's.
    pub new: PathBuf,
    /// The new contract (`Name` or `path:Name`); default: the one contract with storage.
    #[arg(long)]
    pub contract: Option<String>,
    /// The old contract; default: --contract.
    #[arg(long)]
    pub reference: Option<String>,
}

/// `bundle …`
#[derive(Subcommand, Debug)]
pub enum BundleCommand {
    /// Write a bundle from the release's files, each checked first.
    Create(BundleCreateArgs),
    /// Print the bundle's hash and what each entry is.
    Show {
        /// The bundle file.
        bundle: PathBuf,
    },
    /// Check the bundle: canonical, the rollback the manifest's, every approval recovering.
    Verify {
        /// The bundle file.
        bundle: PathBuf,
    },
}

/// `bundle create …`
#[derive(Args, Debug)]
pub struct BundleCreateArgs {
    /// The manifest file (canonical CBOR).
    #[arg(long)]
    pub manifest: PathBuf,
    /// An approval file of the manifest (repeat for each).
    #[arg(long = "approvals", value_name = "FILE")]
    pub approvals: Vec<PathBuf>,
    /// The rollback manifest (its hash must be the manifest's rollback.manifest_hash).
    #[arg(long)]
    pub rollback: Option<PathBuf>,
    /// A trust file whose approver set the bundle shows (for display only).
    #[arg(long = "trust-display", value_name = "TRUST")]
    pub trust_display: Option<PathBuf>,
    /// A proposed transaction, unsigned (as TX for sign; repeat for each).
    #[arg(long = "proposal", value_name = "TX")]
    pub proposals: Vec<String>,
    /// A proposed Safe transaction (as SAFE_TX for safe sign; the manifest fills its chain and
    /// version; repeat for each).
    #[arg(long = "safe-proposal", value_name = "SAFE_TX")]
    pub safe_proposals: Vec<String>,
    /// A containment file `verify-execution` wrote (repeat for each): every laptop that reads the
    /// bundle signs nothing more of the manifest it names.
    #[arg(long = "containment", value_name = "FILE")]
    pub containments: Vec<PathBuf>,
    /// A state witness for the simulation gate (repeat for each): `check`, `sign` and `safe
    /// sign --bundle` use the one whose block hash the signer types with --block-hash.
    #[arg(long = "witness", value_name = "W")]
    pub witnesses: Vec<PathBuf>,
    /// Where to write the bundle.
    #[arg(short = 'o', long = "out")]
    pub out: PathBuf,
    /// Overwrite the output file.
    #[arg(long)]
    pub force: bool,
}

/// `decode …`
#[derive(Args, Debug)]
pub struct DecodeArgs {
    /// The transaction: a path, - for stdin, hex, or JSON; read from stdin when omitted (and
    /// --calldata is not given) and stdin is not a terminal.
    #[arg(conflicts_with = "calldata")]
    pub tx: Option<String>,
    /// Decode bare calldata instead of a transaction.
    #[arg(long)]
    pub calldata: Option<String>,
    /// The address the calldata is sent to (with --calldata).
    #[arg(long, requires = "calldata", value_parser = parse_address)]
    pub to: Option<Address>,
}

const VERIFY_EXECUTION_HELP: &str = "Input: the manifest and its proof of approval, a post-execution witness \
(bounded-signer-witness --after TXHASH), the block hash you compared, and the transaction hash.\n\nExample:\n  \
bounded-signer verify-execution --manifest release.cbor --approved-hash 0x… --witness after.witness \
--block-hash 0x… --tx 0x… -o release.containment\n\nExit codes: 0 what the chain did is the manifest's, 3 it \
diverged (post_execution_mismatch: the release is contained, the containment file written with -o) or the \
witness does not prove it, 2 bad input, 1 internal error.";

/// `verify-execution …`
#[derive(Args, Debug)]
pub struct VerifyExecutionArgs {
    /// The manifest, from its file or a bundle.
    #[command(flatten)]
    pub source: ManifestFlags,
    /// How the manifest is approved.
    #[command(flatten)]
    pub proof: ProofFlags,
    /// The post-execution witness and the hash of its block, as you compared it.
    #[command(flatten)]
    pub witness: crate::gate::WitnessFlags,
    /// The executed transaction's hash.
    #[arg(long = "tx", value_name = "TXHASH", value_parser = crate::gate::parse_hash)]
    pub tx: B256,
    /// Where the containment file goes when the execution diverged (`bundle create
    /// --containment` carries it to other laptops).
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Overwrite FILE if it exists.
    #[arg(long)]
    pub force: bool,
}

/// `rehearse …`
#[derive(Args, Debug)]
pub struct RehearseArgs {
    /// Also rehearse the simulation gate: the bundled local-chain release's execute, replayed
    /// offline on its state witness (examples/gate) at the witness's time, then signed.
    #[arg(long)]
    pub simulate: bool,
}

/// `check …`
#[derive(Args, Debug)]
pub struct CheckArgs {
    /// The manifest, from its file or a bundle.
    #[command(flatten)]
    pub source: ManifestFlags,
    /// How the manifest is approved.
    #[command(flatten)]
    pub proof: ProofFlags,
    /// The proposed transaction: a path, - for stdin, hex, or JSON; read from stdin when omitted
    /// and stdin is not a terminal.
    pub tx: Option<String>,
    /// Evaluate at this instant (RFC 3339 or unix seconds) instead of the system clock.
    #[arg(long, value_parser = crate::timefmt::parse_instant)]
    pub now: Option<u64>,
    /// The simulation gate's witness and the block hash you compared.
    #[command(flatten)]
    pub witness: crate::gate::WitnessFlags,
}

/// Runs the CLI and returns the process exit code.
pub fn main() -> ExitCode {
    let json_requested = std::env::args().any(|a| a == "--json");
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind as K;
            if matches!(e.kind(), K::DisplayHelp | K::DisplayVersion) {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            if json_requested {
                let err = CliError::input(e.to_string().trim().to_string())
                    .hint("Run bounded-signer --help for usage.");
                print_json(&error_json(&err));
            } else {
                // clap quotes the offending argument: it goes through the terminal escaping too.
                print_diagnostic(e.to_string().trim_end());
            }
            return ExitCode::from(Exit::Input.code());
        }
    };
    let json = cli.json;
    let exit = match run(cli) {
        Ok(exit) => ExitCode::from(exit.code()),
        Err(e) => {
            if json {
                print_json(&error_json(&e));
            }
            // What went wrong with its whole cause chain, then what to do: for every kind.
            print_diagnostic(&format!("error: {}", e.full_message()));
            print_diagnostic(&format!("hint: {}", e.what_to_do()));
            ExitCode::from(e.kind.exit_code())
        }
    };
    output_failure(exit)
}

/// Dispatches a parsed command; returns the exit code for outcomes that are not errors (0, 3).
pub fn run(cli: Cli) -> Result<Exit, CliError> {
    let json = cli.json;
    match cli.command {
        Command::Manifest(ManifestCommand::Build { release, out, force }) => {
            commands::manifest::build(&release, out.as_deref(), force, json)
        }
        Command::Manifest(ManifestCommand::Show { manifest }) => commands::manifest::show(&manifest, json),
        Command::Manifest(ManifestCommand::Hash { manifest }) => commands::manifest::hash(&manifest, json),
        Command::Decode(args) => commands::decode::run(&args, json),
        Command::Check(args) => commands::check::run(&args, json),
        Command::VerifyExecution(args) => commands::verify_execution::run(&args, json),
        Command::Sign(args) => commands::sign::run(&args, json),
        Command::Address(args) => commands::address::run(&args, json),
        Command::Journal(JournalCommand::Show) => commands::journal::show(json),
        Command::Journal(JournalCommand::Verify { head }) => commands::journal::verify(head, json),
        Command::Approve(args) => commands::approve::run(&args, json),
        Command::Airgap(AirgapCommand::Send(args)) => commands::airgap::send(&args),
        Command::Airgap(AirgapCommand::Receive(args)) => commands::airgap::receive(&args, json),
        Command::Airgap(AirgapCommand::ExportAccount(args)) => commands::export_account::run(&args, json),
        Command::Airgap(AirgapCommand::SignRequest(args)) => commands::sign_request::run(&args, json),
        Command::Layout(LayoutCommand::Check(args)) => commands::layout::check(&args, json),
        Command::Bundle(BundleCommand::Create(args)) => commands::bundle::create(&args, json),
        Command::Bundle(BundleCommand::Show { bundle }) => commands::bundle::show(&bundle, json),
        Command::Bundle(BundleCommand::Verify { bundle }) => commands::bundle::verify(&bundle, json),
        Command::Safe(SafeCommand::Hash(args)) => commands::safe::hash(&args, json),
        Command::Safe(SafeCommand::Sign(args)) => commands::safe_sign::run(&args, json),
        Command::Safe(SafeCommand::ExecTx(args)) => commands::safe_exec::run(&args, json),
        Command::Emulator(args) => commands::emulator::run(&args),
        Command::Rehearse(args) => commands::rehearse::run(&args, json),
        Command::Completions { shell } => completions(shell),
        Command::Man => man_page(),
    }
}

/// The completion script for `shell` on stdout.
fn completions(shell: CompletionShell) -> Result<Exit, CliError> {
    use clap::CommandFactory;
    let shell = match shell {
        CompletionShell::Bash => clap_complete::Shell::Bash,
        CompletionShell::Zsh => clap_complete::Shell::Zsh,
        CompletionShell::Fish => clap_complete::Shell::Fish,
    };
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "bounded-signer", &mut script);
    let mut out = std::io::stdout().lock();
    note_output(out.write_all(&script).and_then(|()| out.flush()));
    Ok(Exit::Success)
}

/// The man page (roff) on stdout: the top page, then each command's own section.
fn man_page() -> Result<Exit, CliError> {
    use clap::CommandFactory;
    let command = Cli::command();
    let mut page = Vec::new();
    let man = clap_mangen::Man::new(command.clone());
    man.render(&mut page).map_err(|e| CliError::internal(format!("man page: {e}")))?;
    // Each command: its description, its options, then its --help epilogue (input forms,
    // example, exit codes).
    for sub in command.get_subcommands().filter(|c| !c.is_hide_set()) {
        let _ = writeln!(page, ".SH \"BOUNDED-SIGNER {}\"", sub.get_name().to_uppercase());
        let sub_man = clap_mangen::Man::new(sub.clone());
        sub_man
            .render_description_section(&mut page)
            .map_err(|e| CliError::internal(format!("man page: {e}")))?;
        if sub.get_arguments().any(|a| !a.is_hide_set()) {
            sub_man
                .render_options_section(&mut page)
                .map_err(|e| CliError::internal(format!("man page: {e}")))?;
        }
        if let Some(after) = sub.get_after_help() {
            let _ = writeln!(page, ".PP\n{}", roff_escape(&after.to_string()));
        }
    }
    let mut out = std::io::stdout().lock();
    note_output(out.write_all(&page).and_then(|()| out.flush()));
    Ok(Exit::Success)
}

/// Text as roff reads it: a backslash doubled, a line starting with `.` or `'` guarded.
fn roff_escape(text: &str) -> String {
    text.lines()
        .map(|l| {
            let l = l.replace('\\', "\\\\");
            if l.starts_with(['.', '\'']) { format!("\\&{l}") } else { l }
        })
        .collect::<Vec<_>>()
        .join("\n.br\n")
}

/// Prints one JSON document on stdout. A closed pipe is not an error worth a panic.
pub fn print_json(v: &impl serde::Serialize) {
    let mut out = WipingBuf::new(std::io::stdout().lock());
    // Written as it is serialized: a document with megabytes of hex is never a second string.
    let written =
        crate::render::json::write(&mut out, v).and_then(|()| writeln!(out)).and_then(|()| out.flush());
    note_output(written);
}

/// The first failed write to stdout or stderr, reported when the command is done.
static OUTPUT_FAILED: std::sync::OnceLock<std::io::ErrorKind> = std::sync::OnceLock::new();

fn note_output(result: std::io::Result<()>) {
    if let Err(e) = result {
        let _ = OUTPUT_FAILED.set(e.kind());
    }
}

/// What a failed write means for the exit: a closed pipe (`| head`) is a quiet end, as in
/// ripgrep; any other failure (a full disk, a closed terminal) is an error a person must see.
fn output_failure(exit: ExitCode) -> ExitCode {
    match OUTPUT_FAILED.get() {
        None | Some(std::io::ErrorKind::BrokenPipe) => exit,
        Some(kind) => {
            let _ = writeln!(std::io::stderr(), "error: could not write the output: {kind}");
            ExitCode::from(Exit::Internal.code())
        }
    }
}

/// Whether stdout gets colour: a terminal, and no `NO_COLOR` (https://no-color.org: set and not
/// empty turns it off).
fn colour_on_stdout() -> bool {
    use std::io::IsTerminal;
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| {
        std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
    })
}

/// The verdict words in colour (green APPROVED, red REFUSED and FAIL). Applied after the terminal
/// escaping, so the only escape sequences on the screen are these.
fn coloured(s: &str) -> std::borrow::Cow<'_, str> {
    const WORDS: [(&str, &str); 3] = [
        ("Verdict: APPROVED", "Verdict: \x1b[1;32mAPPROVED\x1b[0m"),
        ("Verdict: REFUSED", "Verdict: \x1b[1;31mREFUSED\x1b[0m"),
        ("  FAIL ", "  \x1b[1;31mFAIL\x1b[0m "),
    ];
    if !WORDS.iter().any(|(w, _)| s.contains(w)) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = s.to_string();
    for (word, painted) in WORDS {
        out = out.replace(word, painted);
    }
    std::borrow::Cow::Owned(out)
}

/// What goes to stdout: escaped, then coloured on a terminal. Borrowed unless something had to
/// change (text can hold payload hex; a copy of it would be freed unwiped).
fn for_stdout(s: &str) -> std::borrow::Cow<'_, str> {
    let escaped = crate::text::for_terminal(s);
    if !colour_on_stdout() {
        return escaped;
    }
    match coloured(&escaped) {
        std::borrow::Cow::Borrowed(_) => escaped,
        std::borrow::Cow::Owned(painted) => std::borrow::Cow::Owned(painted),
    }
}

/// Prints human text on stdout.
pub fn print_text(s: &str) {
    let mut out = std::io::stdout().lock();
    note_output(out.write_all(for_stdout(s).as_bytes()).and_then(|()| out.flush()));
}

/// Human text streamed to stdout through a buffer, escaped as [`print_text`] escapes it: for
/// output too large to build as one string (a call tree of thousands of calls).
pub struct TextOut {
    out: WipingBuf<std::io::StdoutLock<'static>>,
}

impl TextOut {
    /// Locks stdout for writing.
    pub fn new() -> Self {
        TextOut { out: WipingBuf::new(std::io::stdout().lock()) }
    }
}

/// A write buffer that wipes itself: output can hold payload hex, and `BufWriter` frees its
/// buffer as it is.
pub struct WipingBuf<W: std::io::Write> {
    inner: W,
    buf: zeroize::Zeroizing<Vec<u8>>,
}

impl<W: std::io::Write> WipingBuf<W> {
    const CAPACITY: usize = 64 << 10;

    /// Buffers writes to `inner`.
    pub fn new(inner: W) -> Self {
        WipingBuf { inner, buf: zeroize::Zeroizing::new(Vec::with_capacity(Self::CAPACITY)) }
    }
}

impl<W: std::io::Write> std::io::Write for WipingBuf<W> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.buf.len() + data.len() > Self::CAPACITY {
            self.flush()?;
        }
        if data.len() >= Self::CAPACITY {
            return self.inner.write(data);
        }
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let written = self.inner.write_all(&self.buf);
        zeroize::Zeroize::zeroize(&mut *self.buf);
        self.buf.clear();
        written.and_then(|()| self.inner.flush())
    }
}

impl<W: std::io::Write> Drop for WipingBuf<W> {
    fn drop(&mut self) {
        note_output(std::io::Write::flush(self));
    }
}

impl Default for TextOut {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Write for TextOut {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        // Escaping is per character, so escaping each fragment is escaping the whole.
        note_output(self.out.write_all(for_stdout(s).as_bytes()));
        Ok(())
    }
}

impl Drop for TextOut {
    fn drop(&mut self) {
        note_output(std::io::Write::flush(&mut self.out));
    }
}

/// Prints a diagnostic line on stderr, through the same terminal escaping as [`print_text`].
pub fn print_diagnostic(s: &str) {
    let mut err = std::io::stderr().lock();
    note_output(writeln!(err, "{}", crate::text::for_terminal(s)));
}

/// Where a command's running story goes while it works (`sign`, `rehearse`): each part is
/// flushed before the next device step, so the signer reads what is about to happen before the
/// device asks. A `String` collects it (tests, library callers).
pub trait Narrate: std::fmt::Write {
    /// Sends what was written so far.
    fn flush_now(&mut self) {}
}

impl Narrate for String {}

/// The story on stdout in human mode, on stderr with `--json` (stdout then holds only the
/// document); escaped for the terminal as [`print_text`] escapes.
pub struct Narrator {
    out: WipingBuf<Box<dyn std::io::Write>>,
    stdout: bool,
}

impl Narrator {
    /// The narrator for a command's output mode.
    pub fn for_output(json: bool) -> Self {
        let out: Box<dyn std::io::Write> =
            if json { Box::new(std::io::stderr()) } else { Box::new(std::io::stdout()) };
        Narrator { out: WipingBuf::new(out), stdout: !json }
    }
}

impl std::fmt::Write for Narrator {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let text = if self.stdout { for_stdout(s) } else { crate::text::for_terminal(s) };
        note_output(self.out.write_all(text.as_bytes()));
        Ok(())
    }
}

impl Narrate for Narrator {
    fn flush_now(&mut self) {
        note_output(std::io::Write::flush(&mut self.out));
    }
}
