//! `airgap export-account [--device D] [--path P] (--text | --png-dir DIR | --terminal)`: the
//! device's account key as an ERC-4527 `ur:crypto-hdkey`, so a watch-only wallet (MetaMask,
//! Rabby, a Keystone companion) derives the addresses below it and sends its requests here.
//!
//! The Ethereum app gives no master key (it refuses paths outside 44'/60'), so the key's
//! `source-fingerprint` is its own: the first four bytes of hash160 of the compressed public key
//! at the account path. The `parent-fingerprint` is that of `m/44'/60'`, which the app gives.
//! Both are documented in `docs/decisions.md`.

use alloy_primitives::hex;
use bip32::PublicKey as _;
use k256::ecdsa::VerifyingKey;
use serde_json::json;

use crate::airgap::registry::{AccountKey, crypto_hdkey};
use crate::cli::{AirgapExportAccountArgs, print_diagnostic, print_json};
use crate::device::{DerivationPath, DeviceError, EthApp};
use crate::error::{CliError, Exit};

const HARDENED: u32 = 0x8000_0000;

/// `airgap export-account`.
pub fn run(args: &AirgapExportAccountArgs, json_out: bool) -> Result<Exit, CliError> {
    let indices = args.path.indices();
    let [purpose, coin, account] = indices else {
        return Err(path_error(&args.path));
    };
    if *purpose != 44 | HARDENED || *coin != 60 | HARDENED || account & HARDENED == 0 {
        return Err(path_error(&args.path));
    }
    let parent = DerivationPath::parse("m/44'/60'").map_err(CliError::internal)?;
    let mut app = EthApp::new(args.device.open().map_err(CliError::from)?);
    app.app_configuration().map_err(CliError::from)?;
    let (key, chain_code) = app.extended_key(&args.path).map_err(CliError::from)?;
    let (parent_key, _) = app.extended_key(&parent).map_err(CliError::from)?;
    let account_key = compressed(&key.public_key)?;
    let exported = AccountKey {
        key: account_key,
        chain_code,
        origin: indices.iter().map(|i| (i & !HARDENED, i & HARDENED != 0)).collect(),
        source_fingerprint: fingerprint(&key.public_key)?,
        parent_fingerprint: fingerprint(&parent_key.public_key)?,
        name: "bounded-signer".into(),
    };
    let cbor = crypto_hdkey(&exported);
    let ur = ur::ur::encode(&cbor, &ur::Type::Custom("crypto-hdkey")).to_ascii_uppercase();
    if json_out {
        print_json(&json!({
            "path": args.path.to_string(),
            "public_key": hex::encode_prefixed(account_key),
            "chain_code": hex::encode_prefixed(chain_code),
            "source_fingerprint": format!("{:08x}", exported.source_fingerprint),
            "parent_fingerprint": format!("{:08x}", exported.parent_fingerprint),
            "ur": ur,
        }));
        return Ok(Exit::Success);
    }
    print_diagnostic(&format!(
        "Account key {} (fingerprint {:08x}), its addresses 0/i for the wallet to derive: scan it with the \
         watch-only wallet's \"connect a QR hardware wallet\".",
        args.path, exported.source_fingerprint
    ));
    crate::commands::airgap::show(&[ur], &args.show)
}

fn path_error(path: &DerivationPath) -> CliError {
    CliError::input(format!("--path {path}: an account key is m/44'/60'/N' (three levels, all hardened)"))
        .hint(
            "Pass --path m/44'/60'/0' for the first account; the wallet derives the addresses 0/i below it.",
        )
}

fn verifying_key(uncompressed: &[u8; 65]) -> Result<VerifyingKey, CliError> {
    VerifyingKey::from_sec1_bytes(uncompressed)
        .map_err(|_| CliError::from(DeviceError::BadAnswer("the public key is not a point on secp256k1")))
}

fn compressed(uncompressed: &[u8; 65]) -> Result<[u8; 33], CliError> {
    let point = verifying_key(uncompressed)?.to_encoded_point(true);
    point.as_bytes().try_into().map_err(|_| CliError::internal("a compressed key is 33 bytes"))
}

/// BIP-32's fingerprint: the first four bytes of RIPEMD-160(SHA-256(compressed key)).
fn fingerprint(uncompressed: &[u8; 65]) -> Result<u32, CliError> {
    Ok(u32::from_be_bytes(verifying_key(uncompressed)?.fingerprint()))
}
