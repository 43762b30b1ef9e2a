//! `safe hash SAFE_TX`: what a Safe owner signs, computed here rather than taken from the input.

use std::fmt::Write as _;
use std::path::PathBuf;

use firmware_policy::Operation;
use firmware_policy::calls::decode_call;
use firmware_policy::limits::MAX_TX_BYTES;
use firmware_policy::safe_tx::SafeTxHashes;
use serde_json::json;
use zeroize::Zeroizing;

use crate::cli::{SafeHashArgs, TextOut, print_json, print_text};
use crate::error::{CliError, Exit};
use crate::input::{Source, read_file_limited, read_stdin_limited};
use crate::render::{self, human::no_labels};
use crate::safe_input::{self, Flags, SafeTxInput};

/// A Safe transaction's JSON: its calldata as hex (up to the transaction limit), plus the rest.
const MAX_SAFE_TX_TEXT: usize = 2 * MAX_TX_BYTES + 64 * 1024;

/// Reads SAFE_TX: a path, `-` for stdin, or inline JSON.
fn read_argument(arg: &str) -> Result<(Source, Zeroizing<Vec<u8>>), CliError> {
    Ok(if arg == "-" {
        (Source::Stdin, read_stdin_limited(MAX_SAFE_TX_TEXT)?)
    } else if arg.trim_start().starts_with('{') {
        (Source::Inline, Zeroizing::new(arg.as_bytes().to_vec()))
    } else {
        let path = PathBuf::from(arg);
        (Source::File(path.clone()), read_file_limited(&path, MAX_SAFE_TX_TEXT)?)
    })
}

/// The Safe transaction SAFE_TX names, completed by the flags; its claimed hash is not judged
/// here (`safe hash` refuses a wrong one, `safe sign` lets its check refuse it).
pub fn read_safe_tx_input(arg: &str, flags: &Flags) -> Result<(Source, SafeTxInput), CliError> {
    let (source, bytes) = read_argument(arg)?;
    let text =
        std::str::from_utf8(&bytes).map_err(|e| CliError::input(format!("{source}: not UTF-8: {e}")))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let input = safe_input::parse(text, flags).map_err(|e| {
        CliError::input(format!("{source}: {e}"))
            .hint("Give the Safe transaction as the Transaction Service returns it, as its EIP-712 typed data, or as {\"safe\", \"chainId\", \"safeVersion\", \"to\", …, \"nonce\"}.")
    })?;
    Ok((source, input))
}

/// The Safe transaction SAFE_TX names, completed by the flags, its claimed hash checked.
pub fn read_safe_tx(arg: &str, flags: &Flags) -> Result<(SafeTxInput, SafeTxHashes), CliError> {
    let (source, input) = read_safe_tx_input(arg, flags)?;
    let hashes = input.domain.hashes(&input.tx);
    if let Some(claimed) = input.claimed_hash.filter(|c| *c != hashes.safe_tx_hash) {
        return Err(CliError::input(format!(
            "{source}: safeTxHash {claimed:#x} is not the hash of these fields ({:#x})",
            hashes.safe_tx_hash
        ))
        .hint("Do not sign: the fields and the hash that came with them disagree. Check the Safe, chain, version and nonce."));
    }
    Ok((input, hashes))
}

/// The command line's flags for a Safe transaction, with what an approved manifest says, if any.
pub fn flags_of(
    flags: &crate::cli::SafeTxFlags,
    manifest: Option<crate::safe_input::ManifestFacts>,
) -> Flags {
    Flags {
        safe: flags.safe,
        chain_id: flags.chain_id,
        version: flags.safe_version,
        nonce: flags.nonce,
        manifest,
    }
}

/// The warning for a version whose domain has no chain id (`None` for the others).
pub fn no_chain_warning(input: &SafeTxInput) -> Option<String> {
    (!input.domain.version.domain_has_chain_id()).then(|| {
        format!(
            "Safe {}'s domain has no chain id: a signature of this safeTxHash is valid for a Safe at {} on every chain.",
            version_text(input),
            input.domain.safe
        )
    })
}

/// The version as given, with `+L2` when it was.
pub fn version_text(input: &SafeTxInput) -> String {
    format!("{}{}", input.domain.version.as_str(), if input.l2 { "+L2" } else { "" })
}

/// The Safe transaction field by field, as a signer reads it.
pub fn write_summary(s: &mut String, input: &SafeTxInput) {
    let tx = &input.tx;
    let version = input.domain.version;
    let version_text = version_text(input);
    let operation = if tx.operation == 1 { Operation::DelegateCall } else { Operation::Call };
    let _ = writeln!(s, "Safe transaction ({})", input.form.describe());
    let _ = writeln!(s, "  safe             {}", input.domain.safe);
    let _ = writeln!(s, "  version          {version_text}");
    match input.domain.chain_id {
        Some(chain) if version.domain_has_chain_id() => {
            let _ = writeln!(s, "  chain id         {chain}");
        }
        Some(chain) => {
            let _ = writeln!(s, "  chain id         {chain} (not in the domain: not signed)");
        }
        None => {
            let _ = writeln!(s, "  chain id         none (not in the domain)");
        }
    }
    let _ = writeln!(s, "  nonce            {}", tx.nonce);
    let _ = writeln!(s, "  to               {}", tx.to);
    let _ = writeln!(s, "  value            {} wei", tx.value);
    let _ = writeln!(s, "  operation        {} ({})", tx.operation, operation.as_str());
    let _ = writeln!(
        s,
        "  data             {} bytes, keccak256 {:#x}",
        tx.data.len(),
        alloy_primitives::keccak256(&tx.data)
    );
    let _ = writeln!(s, "  safeTxGas        {}", tx.safe_tx_gas);
    let _ = writeln!(s, "  {:<16} {}", version.gas_field(), tx.base_gas);
    let _ = writeln!(
        s,
        "  gasPrice         {}{}",
        tx.gas_price,
        if tx.gas_price.is_zero() { " (no refund)" } else { "" }
    );
    let _ = writeln!(s, "  gasToken         {}", tx.gas_token);
    let _ = writeln!(s, "  refundReceiver   {}", tx.refund_receiver);
}

/// The three hashes, as a signer compares them.
pub fn write_hashes(s: &mut String, hashes: &SafeTxHashes) {
    let _ = writeln!(s, "  domain separator {:#x}", hashes.domain_separator);
    let _ = writeln!(s, "  message hash     {:#x}", hashes.message_hash);
    let _ = writeln!(s, "  safeTxHash       {:#x}", hashes.safe_tx_hash);
}

pub fn hash(args: &SafeHashArgs, json: bool) -> Result<Exit, CliError> {
    let flags = flags_of(&args.flags, None);
    let (input, hashes) = read_safe_tx(&args.safe_tx, &flags)?;
    let tx = &input.tx;
    let operation = if tx.operation == 1 { Operation::DelegateCall } else { Operation::Call };
    let calls = decode_call(Some(tx.to), tx.value, operation, &tx.data)
        .map_err(|e| CliError::input(format!("the Safe transaction's data: {e}")))?;
    let version_text = version_text(&input);
    let warning = no_chain_warning(&input);
    if json {
        print_json(&json!({
            "domain_separator": render::json::bytes(hashes.domain_separator.as_slice()),
            "message_hash": render::json::bytes(hashes.message_hash.as_slice()),
            "safe_tx_hash": render::json::bytes(hashes.safe_tx_hash.as_slice()),
            "safe_version": version_text,
            "chain_id": input.domain.chain_id,
            "safe": render::json::address(&input.domain.safe),
            "nonce": tx.nonce.to_string(),
            "calls": render::json::call_node(&calls),
            "warnings": warning.iter().collect::<Vec<_>>(),
        }));
        return Ok(Exit::Success);
    }
    let mut s = String::new();
    if let Some(w) = &warning {
        let _ = writeln!(s, "WARNING: {w}\n");
    }
    write_summary(&mut s, &input);
    s.push('\n');
    print_text(&s);
    render::human::write_calls(&mut TextOut::new(), &calls, &no_labels);
    let mut s = String::new();
    let _ = writeln!(s, "\nHashes");
    write_hashes(&mut s, &hashes);
    let screens = crate::ledger_screens::typed_message(
        hashes.domain_separator.as_slice(),
        hashes.message_hash.as_slice(),
    );
    let _ = writeln!(
        s,
        "\nA Ledger signing it in hashed EIP-712 mode shows these {} screens (right button: next):",
        screens.len()
    );
    render::ledger::write_screens(&mut s, &screens);
    print_text(&s);
    Ok(Exit::Success)
}
