//! `airgap sign-request (--manifest M | --bundle B) (--approved-hash H | --trust T [--approvals A]…)
//! REQUEST [--device D] [--png-dir DIR | --terminal] [--json]`: a watch-only wallet's ERC-4527
//! `ur:eth-sign-request` for a transaction, checked against the manifest exactly as `sign` checks
//! it (the same reading, pipeline, journal and device), answered with the `ur:eth-signature` of
//! the same request id. Anything the policy refuses makes no signature and exits 3.

use alloy_primitives::hex;
use serde_json::json;

use crate::airgap::eth_request::{self, DataType};
use crate::airgap::{MAX_FILE_BYTES, Receiver};
use crate::cli::{AirgapSignRequestArgs, FramesOut, Narrator, SignArgs, print_json};
use crate::commands::sign::{SignOutcome, read_request, sign_with};
use crate::device::{DerivationPath, DeviceSpec};
use crate::error::{CliError, Exit};
use crate::home::ensure_state_home;
use firmware_policy::SignerClaim;

const HARDENED: u32 = 0x8000_0000;

/// The request's CBOR from its UR text, a file of UR lines, or QR images.
fn read(args: &AirgapSignRequestArgs) -> Result<(String, zeroize::Zeroizing<Vec<u8>>), CliError> {
    let mut receiver = Receiver::for_type("eth-sign-request");
    let mut take = |name: &str, text: &str| {
        receiver.receive(text).map_err(|e| {
            CliError::input(format!("{name}: {e}"))
                .hint("Pass the wallet's ur:eth-sign-request (its text, a file of its parts, or QR images).")
        })
    };
    let name = if args.request_images.is_empty() {
        let request = args.request.as_deref().unwrap_or("-");
        let text = if request.to_ascii_lowercase().starts_with("ur:") {
            request.to_string()
        } else {
            let bytes = if request == "-" {
                crate::input::read_stdin_limited(MAX_FILE_BYTES * 4)?
            } else {
                crate::input::read_file_limited(std::path::Path::new(request), MAX_FILE_BYTES * 4)?
            };
            String::from_utf8(bytes.to_vec())
                .map_err(|_| CliError::input(format!("{request}: not UTF-8 text")))?
        };
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            take(request, line)?;
        }
        request.to_string()
    } else {
        for path in &args.request_images {
            let bytes = crate::input::read_file_limited(path, 64 << 20)?;
            let texts = crate::airgap::qr::texts_in_png(&bytes)
                .map_err(|e| CliError::input(format!("{}: {e}", path.display())))?;
            for text in texts {
                take(&path.display().to_string(), &text)?;
            }
        }
        format!("{} images", args.request_images.len())
    };
    if !receiver.complete() {
        return Err(CliError::input(format!("{name}: the request's parts are not all here"))
            .hint("Scan every frame of the wallet's animated QR code."));
    }
    let payload = receiver.payload().map_err(|e| CliError::input(format!("{name}: {e}")))?;
    Ok((name, payload))
}

/// The request's path, and what it and the request's account say about the signer: the policy
/// weighs them before the device is asked (`signer_mismatch` for a path outside 44'/60' or an
/// account the approval does not name). A path of more levels than the app takes is exit 2.
fn signer_of(
    name: &str,
    request: &eth_request::SignRequest,
) -> Result<(DerivationPath, Vec<SignerClaim>), CliError> {
    let text: Vec<String> =
        request.path.iter().map(|&(i, h)| if h { format!("{i}'") } else { i.to_string() }).collect();
    let written = format!("m/{}", text.join("/"));
    let path = DerivationPath::parse(&written)
        .map_err(|e| CliError::input(format!("{name}: the request's path: {e}")))?;
    let mut claims = Vec::new();
    if !matches!(path.indices(), [p, c, ..] if *p == 44 | HARDENED && *c == 60 | HARDENED) {
        claims.push(SignerClaim::PathOutsideApp(written));
    }
    if let Some(account) = request.address {
        claims.push(SignerClaim::Account(alloy_primitives::Address::from(account)));
    }
    Ok((path, claims))
}

/// `airgap sign-request`.
pub fn run(args: &AirgapSignRequestArgs, json_out: bool) -> Result<Exit, CliError> {
    let (name, cbor) = read(args)?;
    let request = eth_request::decode(&cbor)
        .map_err(|e| CliError::input(format!("{name}: the eth-sign-request: {e}")))?;
    match request.data_type {
        DataType::LegacyTransaction | DataType::TypedTransaction => {}
        DataType::PersonalMessage => {
            return Err(CliError::input(format!("{name}: a personal message (data type 3)")).hint(
                "This tool signs only what a release manifest approves: transactions, never messages.",
            ));
        }
        DataType::TypedData => return sign_typed_data(args, &name, &request, json_out),
    }
    let (path, claims) = signer_of(&name, &request)?;
    let sign_args = SignArgs {
        source: args.source.clone(),
        proof: args.proof.clone(),
        tx: Some(hex::encode_prefixed(&request.sign_data)),
        device: args.device.clone(),
        path,
        out: None,
        force: false,
        witness: args.witness.clone(),
    };
    let mut req = read_request(&sign_args)?;
    req.claims = claims;
    // The data type must name what the transaction decoder found.
    let legacy = req.proposal.tx().tx_type() == firmware_policy::TxType::Legacy;
    if legacy != (request.data_type == DataType::LegacyTransaction) {
        return Err(CliError::input(format!(
            "{name}: data type {} but the sign-data is {}",
            if legacy { "4 (typed)" } else { "1 (legacy)" },
            if legacy { "a legacy transaction" } else { "a typed transaction" }
        )));
    }
    let tx_chain = req.proposal.tx().chain_id();
    if request.chain_id.is_some_and(|c| Some(c) != tx_chain) {
        return Err(CliError::input(format!(
            "{name}: the request names chain {} but its transaction is for chain {}",
            request.chain_id.unwrap_or(0),
            tx_chain.map_or("none".to_string(), |c| c.to_string())
        )));
    }
    let home = ensure_state_home()?;
    // Stdout carries the answer: the check and the device steps go to stderr.
    let mut say = Narrator::for_output(true);
    let signed = match sign_with(req, DeviceSpec::open, &crate::timefmt::now, &home, &mut say)? {
        SignOutcome::Refused { verdict } => {
            if json_out {
                print_json(&json!({"verdict": verdict, "request_id": request.request_id.map(uuid_text)}));
            }
            return Ok(Exit::Refused);
        }
        SignOutcome::Signed(signed) => signed,
    };
    let (signature, tx) = signed.signature();
    let mut rsv = Vec::with_capacity(72);
    rsv.extend_from_slice(&signature.r().to_be_bytes::<32>());
    rsv.extend_from_slice(&signature.s().to_be_bytes::<32>());
    if request.data_type == DataType::LegacyTransaction {
        // 35 + 2·chainId + parity, big-endian without leading zeros (ERC-4527, as wallets rebuild
        // a legacy signature).
        let v = crate::device::apdu::eip155_v(tx.chain_id().unwrap_or(0), signature.v());
        let be = v.to_be_bytes::<32>();
        let first = be.iter().position(|b| *b != 0).unwrap_or(31);
        rsv.extend_from_slice(&be[first..]);
    } else {
        rsv.push(u8::from(signature.v()));
    }
    answer(args, &request, &rsv, signed.journal(), json_out)
}

/// Typed data (data type 2): a SafeTx as EIP-712 JSON, through `safe sign`'s own reading and
/// pipeline, the request's chain filling a domain that names none. v is 27/28.
fn sign_typed_data(
    args: &AirgapSignRequestArgs,
    name: &str,
    request: &eth_request::SignRequest,
    json_out: bool,
) -> Result<Exit, CliError> {
    use crate::commands::safe_sign::{self, Read, SafeSignOutcome, SafeSignRequest};
    let (path, claims) = signer_of(name, request)?;
    let typed = std::str::from_utf8(&request.sign_data)
        .map_err(|_| CliError::input(format!("{name}: the typed data is not UTF-8 JSON")))?;
    let safe_args = crate::cli::SafeSignArgs {
        source: args.source.clone(),
        proof: args.proof.clone(),
        safe_tx: Some(typed.to_string()),
        flags: crate::cli::SafeTxFlags {
            chain_id: request.chain_id,
            safe_version: None,
            safe: None,
            nonce: None,
        },
        eth_sign: false,
        device: args.device.clone(),
        path,
        witness: args.witness.clone(),
    };
    let refused = |verdict: crate::render::json::WipingValue| {
        if json_out {
            print_json(&json!({"verdict": &*verdict, "request_id": request.request_id.map(uuid_text)}));
        }
        Ok(Exit::Refused)
    };
    let req = match safe_sign::read_request(&safe_args)? {
        Read::Request(req) => SafeSignRequest { claims, ..*req },
        Read::NotApproved(opened) => {
            return refused(safe_sign::refuse_unapproved(&opened, &mut Narrator::for_output(true)));
        }
    };
    let home = ensure_state_home()?;
    let mut say = Narrator::for_output(true);
    match safe_sign::sign_with(req, DeviceSpec::open, &crate::timefmt::now, &home, &mut say)? {
        SafeSignOutcome::Refused { verdict } => refused(verdict),
        SafeSignOutcome::Signed(signed) => {
            let journal = signed.document().get("journal").cloned().unwrap_or(serde_json::Value::Null);
            answer(args, request, &signed.signature_bytes(), journal, json_out)
        }
    }
}

/// The `ur:eth-signature` of `rsv` for the request, as `--json` or the frames the flags ask for.
fn answer(
    args: &AirgapSignRequestArgs,
    request: &eth_request::SignRequest,
    rsv: &[u8],
    journal: serde_json::Value,
    json_out: bool,
) -> Result<Exit, CliError> {
    let answer = eth_request::signature_cbor(request.request_id, rsv);
    let ur = ur::ur::encode(&answer, &ur::Type::Custom("eth-signature")).to_ascii_uppercase();
    if json_out {
        print_json(&json!({
            "verdict": "approved",
            "request_id": request.request_id.map(uuid_text),
            "signature": hex::encode_prefixed(rsv),
            "ur": ur,
            "journal": journal,
        }));
        return Ok(Exit::Success);
    }
    let out = FramesOut {
        text: args.show.png_dir.is_none() && !args.show.terminal,
        terminal: args.show.terminal,
        fps: args.show.fps,
        png_dir: args.show.png_dir.clone(),
        force: args.show.force,
    };
    crate::commands::airgap::show(&[ur], &out)
}

/// A UUID as text, 8-4-4-4-12.
fn uuid_text(id: [u8; 16]) -> String {
    let h = hex::encode(id);
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}
