//! The command line of `spec/cli.md`: parsing, dispatch, and the one place errors become exit
//! codes and error documents.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::commands;
use crate::error::{CliError, error_json};

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
    #[command(subcommand)]
    Manifest(ManifestCommand),
    /// Decode a transaction (or bare calldata) into its call tree.
    Decode(DecodeArgs),
    /// Evaluate a proposed transaction against an approved manifest, without any device.
    Check(CheckArgs),
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

/// `decode …`
#[derive(Args, Debug)]
pub struct DecodeArgs {
    /// The transaction: a path, - for stdin, hex, or a JSON request.
    #[arg(required_unless_present = "calldata", conflicts_with = "calldata")]
    pub tx: Option<String>,
    /// Decode bare calldata instead of a transaction.
    #[arg(long)]
    pub calldata: Option<String>,
    /// The address the calldata is sent to (with --calldata).
    #[arg(long, requires = "calldata")]
    pub to: Option<String>,
}

/// `check …`
#[derive(Args, Debug)]
pub struct CheckArgs {
    /// The manifest file (canonical CBOR).
    #[arg(long)]
    pub manifest: PathBuf,
    /// The manifest hash governance approved (32 bytes hex).
    #[arg(long = "approved-hash")]
    pub approved_hash: String,
    /// The proposed transaction: a path, - for stdin, hex, or a JSON request.
    pub tx: String,
    /// Evaluate at this instant (RFC 3339 or unix seconds) instead of the system clock.
    #[arg(long)]
    pub now: Option<String>,
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
                let _ = e.print();
            }
            return ExitCode::from(2);
        }
    };
    let json = cli.json;
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            if json {
                print_json(&error_json(&e));
            }
            eprintln!("error: {}", e.message);
            if let Some(hint) = &e.hint {
                eprintln!("hint: {hint}");
            }
            ExitCode::from(e.kind.exit_code())
        }
    }
}

/// Dispatches a parsed command; returns the exit code for outcomes that are not errors (0, 3).
pub fn run(cli: Cli) -> Result<u8, CliError> {
    let json = cli.json;
    match cli.command {
        Command::Manifest(ManifestCommand::Build { release, out, force }) => {
            commands::manifest::build(&release, out.as_deref(), force, json)
        }
        Command::Manifest(ManifestCommand::Show { manifest }) => commands::manifest::show(&manifest, json),
        Command::Manifest(ManifestCommand::Hash { manifest }) => commands::manifest::hash(&manifest, json),
        Command::Decode(args) => commands::decode::run(&args, json),
        Command::Check(args) => commands::check::run(&args, json),
    }
}

/// Prints one JSON document on stdout. A closed pipe is not an error worth a panic.
pub fn print_json(v: &serde_json::Value) {
    let mut out = std::io::stdout().lock();
    let text = serde_json::to_string_pretty(v).unwrap_or_else(|_| "{}".into());
    let _ = writeln!(out, "{text}");
}

/// Prints human text on stdout.
pub fn print_text(s: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(s.as_bytes());
}
