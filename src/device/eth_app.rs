//! The Ethereum app's commands over any [`Exchange`]: configuration (the "right app open" probe
//! and the blind-signing flag), addresses (the returned text is checked against the address
//! derived from the returned public key), and signatures with `v` rebuilt by the robust rule
//! (alloy-signer-ledger misreads the wrapped byte for some chain ids, §7.3).

use alloy_primitives::{Address, Signature, U256, keccak256};
use firmware_policy::release_approval::SignedAs;
use firmware_policy::{BoundApproval, Signable, TxType};

use super::apdu::{
    self, Answer, Command, Ins, MAX_DATA, P1_DISPLAY, P1_NO_DISPLAY, P2_NO_CHAIN_CODE, SW_OK, VRule,
};
use super::path::DerivationPath;
use super::status::DeviceError;
use super::transport::Exchange;

/// The oldest app this tool signs with: 1.13.0 fixed the legacy EIP-155 tail bug (§3.4.2).
pub const MIN_APP_VERSION: (u8, u8, u8) = (1, 13, 0);

/// GET_APP_CONFIGURATION's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AppConfiguration {
    /// Whether the "Blind signing" setting is on (flag 0x01).
    pub blind_signing: bool,
    /// The raw flags byte.
    pub flags: u8,
    /// (major, minor, patch).
    pub version: (u8, u8, u8),
}

impl AppConfiguration {
    /// `1.22.0`.
    pub fn version_string(&self) -> String {
        let (a, b, c) = self.version;
        format!("{a}.{b}.{c}")
    }
}

/// GET_ETH_PUBLIC_ADDRESS's answer, cross-checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublicAddress {
    /// Uncompressed public key `04 ‖ X ‖ Y`.
    pub public_key: [u8; 65],
    /// keccak256(X ‖ Y)[12..], which equals the text the device returned.
    pub address: Address,
}

/// Counts of what crossed the transport, for the benchmark and the APDU-minimum test.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExchangeStats {
    /// APDUs sent.
    pub apdus: usize,
    /// Bytes sent (APDU bytes, without transport framing).
    pub bytes_out: usize,
    /// Bytes received (answer bytes including status words).
    pub bytes_in: usize,
}

/// A signing exchange that returned no usable signature, and whether the device may have made
/// one anyway: the journal may release the attempt only when it certainly did not.
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct SignFailure {
    /// What went wrong (its causes are its own: this wrapper adds only the flag).
    pub error: DeviceError,
    /// False only for an explicit rejection (6985) or a failure before the last chunk was sent.
    pub device_may_have_signed: bool,
}

impl SignFailure {
    fn after(error: DeviceError, sent_last: bool) -> Self {
        let device_may_have_signed = sent_last && !matches!(error, DeviceError::Rejected);
        SignFailure { error, device_may_have_signed }
    }
}

/// The app, reached over one transport.
pub struct EthApp<T: Exchange> {
    transport: T,
    stats: ExchangeStats,
}

impl<T: Exchange> EthApp<T> {
    /// Wraps a transport.
    pub fn new(transport: T) -> Self {
        EthApp { transport, stats: ExchangeStats::default() }
    }

    /// The transport (to read its own counters).
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// What crossed the transport so far.
    pub fn stats(&self) -> ExchangeStats {
        self.stats
    }

    /// Resets the counters (to measure one operation).
    pub fn reset_stats(&mut self) {
        self.stats = ExchangeStats::default();
    }

    fn send(&mut self, cmd: &Command) -> Result<Vec<u8>, DeviceError> {
        let bytes = zeroize::Zeroizing::new(cmd.to_bytes());
        let raw = self.transport.exchange(&bytes)?;
        self.stats.apdus += 1;
        self.stats.bytes_out += bytes.len();
        self.stats.bytes_in += raw.len();
        let answer = Answer::parse(&raw).ok_or(DeviceError::BadAnswer("shorter than a status word"))?;
        if answer.sw != SW_OK {
            // Data before a bad status word is junk (§2.1): judge by the status word alone.
            return Err(DeviceError::from_status(answer.sw));
        }
        Ok(answer.data)
    }

    /// GET_APP_CONFIGURATION: works without user interaction, so it doubles as the probe that
    /// the Ethereum app is open.
    pub fn app_configuration(&mut self) -> Result<AppConfiguration, DeviceError> {
        let data = self.send(&Command::eth(Ins::GetAppConfiguration, 0, 0, vec![]))?;
        match data.as_slice() {
            [flags, major, minor, patch, ..] => Ok(AppConfiguration {
                blind_signing: flags & 0x01 != 0,
                flags: *flags,
                version: (*major, *minor, *patch),
            }),
            _ => Err(DeviceError::BadAnswer("configuration shorter than 4 bytes")),
        }
    }

    /// Checks the app version and, when the transaction has calldata, the blind-signing flag,
    /// before any prompt is shown.
    pub fn preflight(&mut self, needs_blind_signing: bool) -> Result<AppConfiguration, DeviceError> {
        let config = self.app_configuration()?;
        if config.version < MIN_APP_VERSION {
            return Err(DeviceError::AppTooOld { found: config.version_string(), required: "1.13.0" });
        }
        if needs_blind_signing && !config.blind_signing {
            return Err(DeviceError::BlindSigningOff);
        }
        Ok(config)
    }

    /// GET_ETH_PUBLIC_ADDRESS, silently or (`confirm`) shown on the device for the person to
    /// approve.
    pub fn address(&mut self, path: &DerivationPath, confirm: bool) -> Result<PublicAddress, DeviceError> {
        let p1 = if confirm { P1_DISPLAY } else { P1_NO_DISPLAY };
        let data = self.send(&Command::eth(Ins::GetPublicKey, p1, P2_NO_CHAIN_CODE, path.to_apdu_bytes()))?;
        parse_address_answer(&data)
    }

    /// The public key at `path` with its BIP-32 chain code, without a prompt: what a watch-only
    /// wallet needs to derive the addresses below it (ERC-4527 `crypto-hdkey`).
    pub fn extended_key(&mut self, path: &DerivationPath) -> Result<(PublicAddress, [u8; 32]), DeviceError> {
        let data = self.send(&Command::eth(
            Ins::GetPublicKey,
            P1_NO_DISPLAY,
            apdu::P2_CHAIN_CODE,
            path.to_apdu_bytes(),
        ))?;
        let key = parse_address_answer(&data)?;
        let chain_code: [u8; 32] = data
            .get(1 + 65 + 1 + 40..)
            .and_then(|c| c.try_into().ok())
            .ok_or(DeviceError::BadAnswer("the chain code is not 32 bytes"))?;
        Ok((key, chain_code))
    }

    /// Signs what a bound approval allows, and nothing else: the one public signing call. The
    /// approval's signer is the device account (`Verdict::bind` checked it); the bytes are the
    /// ones the check approved.
    pub fn sign(&mut self, path: &DerivationPath, bound: &BoundApproval) -> Result<Signature, SignFailure> {
        match bound.approval().signable() {
            Signable::Transaction(tx) => {
                let rule = match tx.tx_type() {
                    TxType::Legacy => VRule::Eip155 { chain_id: tx.chain_id() },
                    _ => VRule::Typed,
                };
                self.sign_chunked(path, tx.payload(), rule, MAX_DATA)
            }
            // The one approved pair of hashes, in hashed mode: the device signs their digest.
            Signable::SafeTx(hashes) => self
                .eip712_hashed(path, hashes.domain_separator, hashes.message_hash)
                .map_err(|error| SignFailure::after(error, true)),
            // The safeTxHash itself as a 32-byte personal message (one chunk).
            Signable::SafeTxEthSign(hashes) => self.personal_message(path, hashes.safe_tx_hash.as_slice()),
            Signable::ReleaseApproval(a) => match a.signed_as() {
                SignedAs::Full => self.eip712_full(path, &super::eip712::release_approval(a.subject())),
                SignedAs::Hashed => self
                    .eip712_hashed(path, a.hashes().domain_separator, a.hashes().message_hash)
                    .map_err(|error| SignFailure::after(error, true)),
            },
            // Later kinds are signed here too, each by its own command.
            _ => Err(SignFailure {
                error: DeviceError::BadAnswer("this kind of approval has no signing command yet"),
                device_may_have_signed: false,
            }),
        }
    }

    /// SIGN_ETH_TRANSACTION of `payload` in chunks of `chunk_size`; `v` read by `rule` (for the
    /// emulator's tests, which send payloads no check approved).
    #[cfg(test)]
    pub(crate) fn sign_payload(
        &mut self,
        path: &DerivationPath,
        payload: &[u8],
        rule: VRule,
        chunk_size: usize,
    ) -> Result<Signature, DeviceError> {
        self.sign_chunked(path, payload, rule, chunk_size).map_err(|f| f.error)
    }

    fn sign_chunked(
        &mut self,
        path: &DerivationPath,
        payload: &[u8],
        rule: VRule,
        chunk_size: usize,
    ) -> Result<Signature, SignFailure> {
        let chunks = apdu::sign_chunks(&path.to_apdu_bytes(), payload, chunk_size);
        let last = chunks.len().saturating_sub(1);
        let mut answer = Vec::new();
        for (i, chunk) in chunks.iter().enumerate() {
            // Once the last chunk is sent the device has all it needs to sign: from then on
            // only an explicit rejection proves it did not.
            let sent_last = i == last;
            answer = self.send(chunk).map_err(|error| SignFailure::after(error, sent_last))?;
            if i < last && !answer.is_empty() {
                let error = DeviceError::BadAnswer("data in the answer to an intermediate chunk");
                return Err(SignFailure { error, device_may_have_signed: false });
            }
        }
        signature_from_answer(&answer, rule).map_err(|error| SignFailure::after(error, true))
    }

    /// SIGN_ETH_PERSONAL_MESSAGE of a message no check approved, for the emulator's tests only.
    #[cfg(test)]
    pub(crate) fn sign_personal_message(
        &mut self,
        path: &DerivationPath,
        message: &[u8],
    ) -> Result<Signature, DeviceError> {
        self.personal_message(path, message).map_err(|f| f.error)
    }

    /// SIGN_ETH_PERSONAL_MESSAGE (EIP-191); the device hashes the prefixed message itself.
    fn personal_message(&mut self, path: &DerivationPath, message: &[u8]) -> Result<Signature, SignFailure> {
        let chunks = apdu::personal_message_chunks(&path.to_apdu_bytes(), message);
        let last = chunks.len().saturating_sub(1);
        let mut answer = Vec::new();
        for (i, chunk) in chunks.iter().enumerate() {
            answer = self.send(chunk).map_err(|error| SignFailure::after(error, i == last))?;
        }
        signature_from_answer(&answer, VRule::Legacy27).map_err(|error| SignFailure::after(error, true))
    }

    /// SIGN_ETH_EIP_712 of hashes no check approved, for the emulator's tests only: the product
    /// path reaches the device's signing commands through [`EthApp::sign`] alone.
    #[cfg(test)]
    pub(crate) fn sign_eip712_hashed(
        &mut self,
        path: &DerivationPath,
        domain_separator: alloy_primitives::B256,
        struct_hash: alloy_primitives::B256,
    ) -> Result<Signature, DeviceError> {
        self.eip712_hashed(path, domain_separator, struct_hash)
    }

    /// EIP-712 full mode for structs no check approved, for the emulator's tests only.
    #[cfg(test)]
    pub(crate) fn sign_eip712_full_unchecked(
        &mut self,
        path: &DerivationPath,
        structs: &[super::eip712::TypedStruct],
    ) -> Result<Signature, DeviceError> {
        self.eip712_full(path, structs).map_err(|f| f.error)
    }

    /// EIP-712 in full mode: every struct's definition, then the domain's and the message's
    /// values, then SIGN_ETH_EIP_712 P2 01. Until that last command the device cannot have
    /// signed; a refusal before it (6A80 when neither "Raw messages" nor "Blind signing" is on)
    /// releases the attempt.
    fn eip712_full(
        &mut self,
        path: &DerivationPath,
        structs: &[super::eip712::TypedStruct],
    ) -> Result<Signature, SignFailure> {
        let commands = structs
            .iter()
            .flat_map(super::eip712::definition)
            .chain(structs.iter().flat_map(super::eip712::implementation));
        for command in commands {
            let answer = self.send(&command).map_err(|error| {
                let error = match (command.ins, error) {
                    (super::eip712::INS_STRUCT_IMPLEMENTATION, DeviceError::IncorrectData) => {
                        DeviceError::TypedDataRefused
                    }
                    (_, error) => error,
                };
                SignFailure::after(error, false)
            })?;
            if !answer.is_empty() {
                let error = DeviceError::BadAnswer("data in the answer to an EIP-712 struct command");
                return Err(SignFailure { error, device_may_have_signed: false });
            }
        }
        let sign = Command::eth(Ins::SignEip712, 0x00, super::eip712::P2_EIP712_FULL, path.to_apdu_bytes());
        let answer = self.send(&sign).map_err(|error| SignFailure::after(error, true))?;
        signature_from_answer(&answer, VRule::Legacy27).map_err(|error| SignFailure::after(error, true))
    }

    /// SIGN_ETH_EIP_712 in hashed mode: `path ‖ domainSeparator ‖ hashStruct(message)`, one
    /// APDU (so once it is sent the device may have signed).
    fn eip712_hashed(
        &mut self,
        path: &DerivationPath,
        domain_separator: alloy_primitives::B256,
        struct_hash: alloy_primitives::B256,
    ) -> Result<Signature, DeviceError> {
        let mut data = path.to_apdu_bytes();
        data.extend_from_slice(domain_separator.as_slice());
        data.extend_from_slice(struct_hash.as_slice());
        let answer = self.send(&Command::eth(Ins::SignEip712, 0x00, apdu::P2_EIP712_HASHED, data))?;
        signature_from_answer(&answer, VRule::Legacy27)
    }
}

/// Parses `65 ‖ pubkey(65) ‖ 40 ‖ ascii address(40) [‖ chain code]` and checks the text against
/// the address derived from the key.
pub fn parse_address_answer(data: &[u8]) -> Result<PublicAddress, DeviceError> {
    let (&key_len, rest) = data.split_first().ok_or(DeviceError::BadAnswer("empty address answer"))?;
    if key_len != 65 {
        return Err(DeviceError::BadAnswer("public key length is not 65"));
    }
    let (key, rest) = rest.split_at_checked(65).ok_or(DeviceError::BadAnswer("public key cut short"))?;
    let (&addr_len, rest) = rest.split_first().ok_or(DeviceError::BadAnswer("address length missing"))?;
    if addr_len != 40 {
        return Err(DeviceError::BadAnswer("address length is not 40"));
    }
    let text = rest.get(..40).ok_or(DeviceError::BadAnswer("address cut short"))?;
    let public_key: [u8; 65] = key.try_into().map_err(|_| DeviceError::BadAnswer("public key"))?;
    if public_key[0] != 0x04 {
        return Err(DeviceError::BadAnswer("public key is not uncompressed"));
    }
    let derived = Address::from_slice(&keccak256(&public_key[1..])[12..]);
    let text = std::str::from_utf8(text).map_err(|_| DeviceError::BadAnswer("address text is not ASCII"))?;
    let mut returned = [0u8; 20];
    alloy_primitives::hex::decode_to_slice(text, &mut returned)
        .map_err(|_| DeviceError::BadAnswer("address text is not hex"))?;
    if Address::from(returned) != derived {
        return Err(DeviceError::BadAnswer("the address text does not match the public key"));
    }
    Ok(PublicAddress { public_key, address: derived })
}

/// `v(1) ‖ r(32) ‖ s(32)` → a signature with its y-parity.
pub fn signature_from_answer(data: &[u8], rule: VRule) -> Result<Signature, DeviceError> {
    let [v, rs @ ..] = data else {
        return Err(DeviceError::BadAnswer("empty signature"));
    };
    if rs.len() != 64 {
        return Err(DeviceError::BadAnswer("signature is not 65 bytes"));
    }
    let parity = apdu::parity_from_v(*v, rule)
        .ok_or(DeviceError::BadAnswer("impossible v byte for this transaction"))?;
    let r = U256::from_be_slice(&rs[..32]);
    let s = U256::from_be_slice(&rs[32..]);
    Ok(Signature::new(r, s, parity))
}
