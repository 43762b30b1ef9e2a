//! `safe exec-tx --manifest M --action NAME --signature S… --nonce N --gas-limit G (--max-fee F
//! --priority-fee P | --legacy-gas-price P) -o TX`: the executor's `execTransaction` for an
//! approved Safe action, from its owners' signatures, as the unsigned payload `sign` takes. It
//! decides nothing: `sign` checks the result against the manifest like any other proposal. It
//! only refuses to assemble what the Safe would refuse.

use std::fmt::Write as _;
use std::path::PathBuf;

use alloy_consensus::{SignableTransaction, TxEip1559, TxLegacy};
use alloy_primitives::{Address, B256, TxKind, U256, keccak256};
use firmware_policy::safe_signatures::{self, SafeContext, signer_of};
use firmware_policy::safe_tx::exec_transaction_calldata;
use firmware_policy::{ActionKind, LoadedManifest};
use serde_json::json;

use crate::cli::{SafeExecTxArgs, print_json, print_text};
use crate::error::{CliError, Exit};
use crate::input::read_file_limited;
use crate::manifest_file::load;
use crate::output::{check_output, write_output};

/// A signature argument's file: a `safe sign --json` document, or a line of hex.
const MAX_SIGNATURE_FILE: usize = 16 * 1024 * 1024;

/// One owner's signature, and whom it recovers to.
struct OwnerSignature {
    owner: Address,
    kind: &'static str,
    bytes: [u8; 65],
}

/// The 65 bytes a `--signature` value names: hex itself, or a file holding hex or a
/// `safe sign --json` document (its `signature_bytes`).
fn signature_bytes(arg: &str) -> Result<[u8; 65], CliError> {
    let hex_of = |text: &str, what: &str| -> Result<[u8; 65], CliError> {
        let bytes = crate::values::parse_prefixed_hex(text.trim())
            .map_err(|e| CliError::input(format!("{what}: {e}")))?;
        <[u8; 65]>::try_from(bytes.as_slice())
            .map_err(|_| CliError::input(format!("{what}: {} bytes, not the 65 of r ‖ s ‖ v", bytes.len())))
    };
    let looks_hex = (arg.len() == 132 && arg.starts_with("0x")) || arg.len() == 130;
    if looks_hex && !std::path::Path::new(arg).exists() {
        return hex_of(arg, "--signature");
    }
    let path = PathBuf::from(arg);
    let content = read_file_limited(&path, MAX_SIGNATURE_FILE)?;
    let text = std::str::from_utf8(&content)
        .map_err(|_| CliError::input(format!("{}: not UTF-8 text", path.display())))?;
    let what = path.display().to_string();
    if text.trim_start().starts_with('{') {
        let mut doc =
            crate::request::parse_strict_json(text).map_err(|e| CliError::input(format!("{what}: {e}")))?;
        let found = doc.get("signature_bytes").and_then(|v| v.as_str()).map(str::to_string);
        crate::request::wipe_json(&mut doc);
        let hex = found.ok_or_else(|| {
            CliError::input(format!("{what}: no \"signature_bytes\" (is it a `safe sign --json` output?)"))
        })?;
        return hex_of(&hex, &format!("{what}: signature_bytes"));
    }
    hex_of(text, &what)
}

/// Reads and recovers the owners' signatures for `safe_tx_hash`.
fn owner_signatures(
    args: &[String],
    safe_tx_hash: B256,
    owners: &[Address],
) -> Result<Vec<OwnerSignature>, CliError> {
    let mut out: Vec<OwnerSignature> = Vec::with_capacity(args.len());
    for (i, arg) in args.iter().enumerate() {
        let bytes = signature_bytes(arg)?;
        let n = i + 1;
        let (kind, owner) = signer_of(&bytes, safe_tx_hash);
        let Some(owner) = owner else {
            return Err(CliError::input(format!(
                "--signature #{n}: v = {} is not an owner's ECDSA signature (27/28 EIP-712, 31/32 eth_sign), or it recovers no account",
                bytes[64]
            )));
        };
        if !owners.contains(&owner) {
            return Err(CliError::input(format!(
                "--signature #{n} recovers to {owner} over safeTxHash {safe_tx_hash:#x}, which is not an owner of the Safe"
            ))
            .hint("It is another owner's key, or a signature of another Safe transaction (another action, nonce, chain or field)."));
        }
        if out.iter().any(|s| s.owner == owner) {
            return Err(CliError::input(format!(
                "--signature #{n}: {owner} signed twice; give each owner's signature once"
            )));
        }
        out.push(OwnerSignature { owner, kind: kind.name(), bytes });
    }
    Ok(out)
}

fn u128_of(v: U256, flag: &str) -> Result<u128, CliError> {
    u128::try_from(v).map_err(|_| CliError::input(format!("{flag} {v} does not fit 128 bits")))
}

/// The unsigned signing payload of the executor's transaction to `safe` with `input`.
fn payload(args: &SafeExecTxArgs, chain_id: u64, safe: Address, input: Vec<u8>) -> Result<Vec<u8>, CliError> {
    let mut out = Vec::new();
    match (args.max_fee, args.priority_fee, args.legacy_gas_price) {
        (Some(max_fee), Some(priority), None) => TxEip1559 {
            chain_id,
            nonce: args.nonce,
            gas_limit: args.gas_limit,
            max_fee_per_gas: u128_of(max_fee, "--max-fee")?,
            max_priority_fee_per_gas: u128_of(priority, "--priority-fee")?,
            to: TxKind::Call(safe),
            value: U256::ZERO,
            access_list: Default::default(),
            input: input.into(),
        }
        .encode_for_signing(&mut out),
        (None, None, Some(price)) => TxLegacy {
            chain_id: Some(chain_id),
            nonce: args.nonce,
            gas_price: u128_of(price, "--legacy-gas-price")?,
            gas_limit: args.gas_limit,
            to: TxKind::Call(safe),
            value: U256::ZERO,
            input: input.into(),
        }
        .encode_for_signing(&mut out),
        _ => {
            return Err(CliError::input("give the fees: --max-fee and --priority-fee, or --legacy-gas-price")
                .hint("EIP-1559 is the usual choice; a legacy gasPrice needs the action's max-fee cap to be signed."));
        }
    }
    Ok(out)
}

/// `safe exec-tx` from the command line.
pub fn run(args: &SafeExecTxArgs, json_out: bool) -> Result<Exit, CliError> {
    check_output(&args.out, args.force)?;
    let loaded: LoadedManifest = load(&args.manifest)?;
    let m = loaded.manifest();
    let manifest_name = args.manifest.display();
    let (index, action) = m
        .actions
        .iter()
        .enumerate()
        .find(|(_, a)| a.name == args.action)
        .ok_or_else(|| CliError::input(format!("{manifest_name}: no action named {:?}", args.action)))?;
    if action.kind != ActionKind::Safe {
        return Err(CliError::input(format!(
            "{manifest_name}: action {index} ({}) is a call action, not a Safe action",
            args.action
        ))
        .hint("exec-tx assembles execTransaction for a kind = \"safe\" action; a call action's transaction is proposed as it is."));
    }
    let (Some(fields), Some(hashes), Some(decl)) = (
        action.safe_tx_fields(),
        loaded.manifest().safe_tx_hashes(action),
        action.safe_tx.and_then(|s| m.safe(&s.safe)),
    ) else {
        return Err(CliError::internal(format!("action {index}: a Safe action without its Safe")));
    };
    let mut signatures = owner_signatures(&args.signatures, hashes.safe_tx_hash, &decl.owners)?;
    let approved_by = loaded.manifest().approving_safes(index);
    // What `check` will judge the blob by, so exec-tx refuses here what check would refuse.
    let context = SafeContext {
        safe_tx_hash: hashes.safe_tx_hash,
        owners: &decl.owners,
        threshold: decl.threshold,
        executor: m.executor,
        approved_by: &approved_by,
        approved_on_chain: &action.approved_hashes,
    };
    for owner in &args.approved_by {
        if !decl.owners.contains(owner) {
            return Err(CliError::input(format!("--approved-by {owner} is not an owner of the Safe")));
        }
        if signatures.iter().any(|s| s.owner == *owner) {
            return Err(CliError::input(format!("--approved-by {owner}: that owner already signed")));
        }
        if !context.approved_hash_counts(owner) {
            return Err(CliError::input(format!(
                "--approved-by {owner}: the action's approved_hashes does not list it, no approving action of the manifest (approves = \"{}\") stands behind it, and it is not the executor",
                action.name
            ))
            .hint("An approved hash counts only for the executor, an owner the action lists in approved_hashes, or a nested Safe whose approveHash action the manifest holds."));
        }
        // address(r) = the owner, s = 0, v = 1: the Safe checks approvedHashes (or msg.sender).
        let mut bytes = [0u8; 65];
        bytes[12..32].copy_from_slice(owner.as_slice());
        bytes[64] = 1;
        signatures.push(OwnerSignature { owner: *owner, kind: "approved hash", bytes });
    }
    // The Safe requires the owners strictly ascending.
    signatures.sort_by_key(|s| s.owner);
    let blob: Vec<u8> = signatures.iter().flat_map(|s| s.bytes).collect();
    // What the Safe will read of it, judged by the same evaluation `check` applies.
    let report = safe_signatures::evaluate(&blob, &context);
    if !report.sufficient() || report.any_invalid() {
        return Err(CliError::input(format!(
            "{} owners' signatures of safeTxHash {:#x}; the Safe's threshold is {}",
            report.counted(),
            hashes.safe_tx_hash,
            decl.threshold
        ))
        .hint("Collect the missing owners' `safe sign` outputs and give each with --signature."));
    }
    let calldata = exec_transaction_calldata(&fields, &blob);
    let payload = payload(args, m.chain_id, decl.address, calldata)?;
    let signing_hash = keccak256(&payload);
    let hex = format!("0x{}\n", alloy_primitives::hex::encode(&payload));
    write_output(&args.out, hex.as_bytes(), args.force)?;
    let path = args.out.display().to_string();
    if json_out {
        print_json(&json!({
            "path": path,
            "manifest_hash": loaded.hash().to_string(),
            "action": index,
            "safe": decl.address.to_checksum(None),
            "safe_nonce": fields.nonce.to_string(),
            "safe_tx_hash": format!("{:#x}", hashes.safe_tx_hash),
            "signers": signatures.iter().map(|s| json!({"owner": s.owner.to_checksum(None), "scheme": s.kind})).collect::<Vec<_>>(),
            "signing_payload": hex.trim_end(),
            "signing_hash": format!("{signing_hash:#x}"),
        }));
    } else {
        let mut s = String::new();
        let _ =
            writeln!(s, "execTransaction for Safe action {index} ({})", crate::text::escape(&action.name));
        let _ = writeln!(s, "  safe          {}", decl.address);
        let _ = writeln!(s, "  safe nonce    {}", fields.nonce);
        let _ = writeln!(s, "  safeTxHash    {:#x}", hashes.safe_tx_hash);
        for (i, sig) in signatures.iter().enumerate() {
            let _ = writeln!(s, "  signature {}   {} ({})", i + 1, sig.owner, sig.kind);
        }
        let _ = writeln!(s, "  threshold     {} of {} owners", decl.threshold, decl.owners.len());
        let _ = writeln!(s, "Unsigned transaction written to {path}");
        let _ = writeln!(s, "  signing hash  {signing_hash:#x}");
        let _ =
            writeln!(s, "Next: bounded-signer sign --manifest {manifest_name} --approved-hash 0x… {path}");
        print_text(&s);
    }
    Ok(Exit::Success)
}
