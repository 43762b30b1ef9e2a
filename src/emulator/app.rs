//! The Ethereum app's APDU handling, as app-ethereum 1.22.0 answers (§2–§3 of the fact sheet):
//! the same instructions, parameters, chunking rules and status words, and the same v byte
//! (including the wrap-around for legacy chain ids ≥ 110).
//!
//! Known differences from the real app, none visible to a client that follows the protocol:
//! `6A80` for blind signing is answered on the last chunk of a transaction (the app answers on
//! the chunk where the data starts); SIGN P2 01/02 (clear-signing descriptors) and the PROVIDE_*
//! metadata commands are not implemented (`6B00` / `6D00`).

use std::sync::Arc;

use alloy_primitives::{Address, B256, keccak256};
use firmware_policy::{DecodedTx, TxType};
use k256::ecdsa::SigningKey;
use zeroize::Zeroizing;

use super::keys::Keys;
use super::ui::Ui;
use crate::device::DerivationPath;
use crate::device::apdu::{CLA_BOLOS, CLA_ETH, INS_GET_APP_AND_VERSION, eip155_v_base_byte};

/// How prompts are answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Approve {
    /// Approve every prompt.
    Auto,
    /// Reject every prompt (6985).
    Reject,
    /// Wait for `POST /button/both` (approve) or `/button/left` (reject).
    Manual,
}

/// Faults to inject, for tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Close the connection instead of answering the APDU after the first N.
    DisconnectAfter(usize),
    /// Answer every APDU with bytes that are not the app's layout.
    Garbage,
    /// Sign with another key.
    WrongSignature,
    /// A PIN is set and not entered: 5515 to everything.
    Locked,
    /// Another app is open: 6E00 to everything.
    WrongApp,
}

impl Fault {
    /// Parses the `--fault` values of the spec.
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "garbage" => Ok(Fault::Garbage),
            "wrong-signature" => Ok(Fault::WrongSignature),
            "locked" => Ok(Fault::Locked),
            "wrong-app" => Ok(Fault::WrongApp),
            _ => match s.strip_prefix("disconnect-after=").map(str::parse) {
                Some(Ok(n)) => Ok(Fault::DisconnectAfter(n)),
                _ => Err("expected disconnect-after=N, garbage, wrong-signature, locked or wrong-app".into()),
            },
        }
    }
}

/// What the app does with one APDU.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// `data ‖ SW`.
    Answer(Vec<u8>),
    /// Drop the connection.
    Disconnect,
}

const VERSION: (u8, u8, u8) = (1, 22, 0);

/// Appends without leaving the old block behind: a growing vector frees its previous buffer
/// unwiped, so grow into a fresh zeroizing buffer instead.
fn append_wiping(buf: &mut Zeroizing<Vec<u8>>, data: &[u8]) {
    if buf.capacity() - buf.len() < data.len() {
        let mut bigger = Zeroizing::new(Vec::with_capacity((buf.len() + data.len()).max(2 * buf.capacity())));
        bigger.extend_from_slice(buf);
        *buf = bigger;
    }
    buf.extend_from_slice(data);
}
const FLAG_BLIND_SIGNING: u8 = 0x01;
const FLAG_ERC20_EXTERNAL: u8 = 0x02;

enum Pending {
    Transaction { path: DerivationPath, payload: Zeroizing<Vec<u8>> },
    Message { path: DerivationPath, total: usize, message: Zeroizing<Vec<u8>> },
}

/// The app: settings, keys, the screen, and the state of a multi-chunk command.
pub struct EmulatorApp {
    keys: Keys,
    blind_signing: bool,
    approve: Approve,
    fault: Option<Fault>,
    ui: Arc<Ui>,
    pending: Option<Pending>,
    apdus: usize,
}

fn sw(code: u16) -> Outcome {
    Outcome::Answer(code.to_be_bytes().to_vec())
}

fn ok(mut data: Vec<u8>) -> Outcome {
    data.extend_from_slice(&[0x90, 0x00]);
    Outcome::Answer(data)
}

impl EmulatorApp {
    /// An app with these keys and settings.
    pub fn new(keys: Keys, blind_signing: bool, approve: Approve, fault: Option<Fault>, ui: Arc<Ui>) -> Self {
        ui.show(&["Ethereum", "app is ready"]);
        EmulatorApp { keys, blind_signing, approve, fault, ui, pending: None, apdus: 0 }
    }

    /// Handles one APDU.
    pub fn handle(&mut self, apdu: &[u8]) -> Outcome {
        self.apdus += 1;
        match self.fault {
            Some(Fault::DisconnectAfter(n)) if self.apdus > n => return Outcome::Disconnect,
            Some(Fault::Locked) => return sw(0x5515),
            Some(Fault::WrongApp) => return sw(0x6E00),
            Some(Fault::Garbage) => return ok(vec![0x13, 0x37, 0x42]),
            _ => {}
        }
        let [cla, ins, p1, p2, rest @ ..] = apdu else {
            return sw(0x6A87);
        };
        // No Lc reads as Lc = 0; a present Lc must count exactly the bytes that follow (§2.1).
        let data: &[u8] = match rest {
            [] => &[],
            [lc, data @ ..] if usize::from(*lc) == data.len() => data,
            _ => return sw(0x6A87),
        };
        match (*cla, *ins) {
            (CLA_BOLOS, INS_GET_APP_AND_VERSION) if (*p1, *p2) == (0, 0) => {
                let mut out = vec![0x01, 8];
                out.extend_from_slice(b"Ethereum");
                out.push(6);
                out.extend_from_slice(b"1.22.0");
                out.extend_from_slice(&[0x01, 0x00]);
                ok(out)
            }
            (CLA_ETH, 0x06) => {
                let flags = FLAG_ERC20_EXTERNAL | if self.blind_signing { FLAG_BLIND_SIGNING } else { 0 };
                ok(vec![flags, VERSION.0, VERSION.1, VERSION.2])
            }
            (CLA_ETH, 0x02) => self.get_address(*p1, *p2, data),
            (CLA_ETH, 0x04) => self.sign_transaction(*p1, *p2, data),
            (CLA_ETH, 0x08) => self.sign_message(*p1, *p2, data),
            (CLA_ETH, 0x0C) => self.sign_eip712(*p1, *p2, data),
            (CLA_ETH, _) => sw(0x6D00),
            _ => sw(0x6E00),
        }
    }

    fn key(&self, path: &DerivationPath) -> Result<(SigningKey, [u8; 32]), Outcome> {
        self.keys.derive(path).map_err(|_| sw(0x6A80))
    }

    /// Parses `path ‖ rest`, applying the app's path rules: ≤ 10 levels (else 6A80), and only
    /// 44'/60', 45' and 12381/3600 prefixes (else 6A15).
    fn path<'a>(&self, data: &'a [u8]) -> Result<(DerivationPath, &'a [u8]), Outcome> {
        let Some(&count) = data.first() else { return Err(sw(0x6A80)) };
        if count == 0 || usize::from(count) > crate::device::path::MAX_LEVELS {
            return Err(sw(0x6A80));
        }
        let (path, rest) = DerivationPath::from_apdu_bytes(data).ok_or(sw(0x6A80))?;
        let allowed =
            matches!(path.indices(), [0x8000_002C, 0x8000_003C, ..] | [0x8000_002D, ..] | [12381, 3600, ..]);
        if !allowed {
            return Err(sw(0x6A15));
        }
        Ok((path, rest))
    }

    fn decide(&self) -> bool {
        match self.approve {
            Approve::Auto => true,
            Approve::Reject => false,
            Approve::Manual => self.ui.await_decision(),
        }
    }

    fn get_address(&mut self, p1: u8, p2: u8, data: &[u8]) -> Outcome {
        if p1 > 1 || p2 > 1 {
            return sw(0x6B00);
        }
        let (path, rest) = match self.path(data) {
            Ok(x) => x,
            Err(e) => return e,
        };
        // An optional 8-byte chain id only changes what the screen shows.
        if !(rest.is_empty() || rest.len() == 8) {
            return sw(0x6A80);
        }
        let (key, chain_code) = match self.key(&path) {
            Ok(k) => k,
            Err(e) => return e,
        };
        let point = key.verifying_key().to_encoded_point(false);
        let address = Address::from_public_key(key.verifying_key());
        let text = address.to_checksum(None);
        if p1 == 1 {
            self.ui.show(&["Verify Ethereum", "address"]);
            self.ui.show(&["Address", &text[2..22], &text[22..]]);
            self.ui.show(&["Confirm"]);
            let approved = self.decide();
            self.ui.show(&["Ethereum", "app is ready"]);
            if !approved {
                return sw(0x6985);
            }
        }
        let mut out = vec![65];
        out.extend_from_slice(point.as_bytes());
        out.push(40);
        out.extend_from_slice(&text.as_bytes()[2..]);
        if p2 == 1 {
            out.extend_from_slice(&chain_code);
        }
        ok(out)
    }

    fn sign_transaction(&mut self, p1: u8, p2: u8, data: &[u8]) -> Outcome {
        if p2 != 0 {
            return sw(0x6B00);
        }
        match p1 {
            0x00 => {
                let (path, tx) = match self.path(data) {
                    Ok(x) => x,
                    Err(e) => return e,
                };
                let Some(&first) = tx.first() else { return sw(0x6A80) };
                match first {
                    0x01 | 0x02 | 0x04 | 0xC0..=0xFF => {}
                    0x00..=0x7F => return sw(0x6501),
                    _ => return sw(0x6A80),
                }
                self.pending = Some(Pending::Transaction { path, payload: Zeroizing::new(tx.to_vec()) });
            }
            0x80 => match &mut self.pending {
                Some(Pending::Transaction { payload, .. }) => append_wiping(payload, data),
                _ => return sw(0x6980),
            },
            _ => return sw(0x6B00),
        }
        let Some(Pending::Transaction { payload, .. }) = &self.pending else { return sw(0x6980) };
        if payload.len() > firmware_policy::limits::MAX_TX_BYTES {
            self.pending = None;
            return sw(0x6A84);
        }
        match expected_len(payload) {
            Some(total) if payload.len() == total => {}
            Some(total) if payload.len() > total => {
                self.pending = None;
                return sw(0x6A80);
            }
            _ => return ok(vec![]),
        }
        let Some(Pending::Transaction { path, payload }) = self.pending.take() else { return sw(0x6980) };
        self.finish_transaction(&path, &payload)
    }

    fn finish_transaction(&mut self, path: &DerivationPath, payload: &[u8]) -> Outcome {
        let Ok(tx) = DecodedTx::decode(payload) else { return sw(0x6A80) };
        if tx.tx_type() == TxType::Eip4844 {
            return sw(0x6501);
        }
        if !tx.input().is_empty() && !self.blind_signing {
            self.ui.show(&["Blind signing must", "be enabled in", "settings"]);
            return sw(0x6A80);
        }
        let (key, _) = match self.key(path) {
            Ok(k) => k,
            Err(e) => return e,
        };
        let from = Address::from_public_key(key.verifying_key()).to_checksum(None);
        let hash = tx.signing_hash();
        let hash_text = format!("{:x}", hash);
        if !tx.input().is_empty() {
            self.ui.show(&["Blind signing ahead", "To accept risk, press both buttons"]);
        }
        self.ui.show(&["Review transaction"]);
        self.ui.show(&["From", &from]);
        if let Some(to) = tx.to() {
            self.ui.show(&["To", &to.to_checksum(None)]);
        }
        self.ui.show(&["Max fees"]);
        if !tx.input().is_empty() {
            self.ui.show(&["Tx hash (1/2)", &hash_text[..32]]);
            self.ui.show(&["Tx hash (2/2)", &hash_text[32..]]);
            self.ui.show(&["Accept risk and sign transaction"]);
        } else {
            self.ui.show(&["Sign transaction"]);
        }
        let approved = self.decide();
        self.ui.show(&["Ethereum", "app is ready"]);
        if !approved {
            return sw(0x6985);
        }
        let v_base = match (tx.tx_type(), tx.chain_id()) {
            (TxType::Legacy, Some(chain)) if chain != 0 => Some(eip155_v_base_byte(chain)),
            (TxType::Legacy, _) => Some(27),
            _ => None,
        };
        self.signature(&key, hash, v_base)
    }

    /// `v ‖ r ‖ s` over `hash`; `v_base` is added to the parity (None: the bare parity).
    fn signature(&self, key: &SigningKey, hash: B256, v_base: Option<u8>) -> Outcome {
        let wrong;
        let key = if self.fault == Some(Fault::WrongSignature) {
            wrong =
                SigningKey::from_bytes(&keccak256(key.to_bytes()).0.into()).unwrap_or_else(|_| key.clone());
            &wrong
        } else {
            key
        };
        let Ok((sig, recid)) = key.sign_prehash_recoverable(hash.as_slice()) else { return sw(0x6F00) };
        let parity = u8::from(recid.is_y_odd());
        let mut out = vec![v_base.map_or(parity, |b| b.wrapping_add(parity))];
        out.extend_from_slice(&sig.to_bytes());
        ok(out)
    }

    fn sign_message(&mut self, p1: u8, p2: u8, data: &[u8]) -> Outcome {
        if p2 != 0 {
            return sw(0x6B00);
        }
        match p1 {
            0x00 => {
                let (path, rest) = match self.path(data) {
                    Ok(x) => x,
                    Err(e) => return e,
                };
                let Some((len, message)) = rest.split_first_chunk::<4>() else { return sw(0x6A80) };
                let total = u32::from_be_bytes(*len) as usize;
                if total > 0xFFFF {
                    return sw(0x6A84);
                }
                self.pending =
                    Some(Pending::Message { path, total, message: Zeroizing::new(message.to_vec()) });
            }
            0x80 => match &mut self.pending {
                Some(Pending::Message { message, .. }) => append_wiping(message, data),
                _ => return sw(0x6980),
            },
            _ => return sw(0x6B00),
        }
        let Some(Pending::Message { total, message, .. }) = &self.pending else { return sw(0x6980) };
        if message.len() < *total {
            return ok(vec![]);
        }
        let Some(Pending::Message { path, total, message }) = self.pending.take() else { return sw(0x6980) };
        if message.len() > total {
            return sw(0x6A80);
        }
        let (key, _) = match self.key(&path) {
            Ok(k) => k,
            Err(e) => return e,
        };
        self.ui.show(&["Review message"]);
        self.ui.show(&["Message", &String::from_utf8_lossy(&message)]);
        self.ui.show(&["Sign message"]);
        if !self.decide() {
            return sw(0x6985);
        }
        let mut prefixed = format!("\x19Ethereum Signed Message:\n{}", message.len()).into_bytes();
        prefixed.extend_from_slice(&message);
        self.signature(&key, keccak256(&prefixed), Some(27))
    }

    fn sign_eip712(&mut self, p1: u8, p2: u8, data: &[u8]) -> Outcome {
        if p1 != 0 || p2 != 0 {
            return sw(0x6B00);
        }
        let (path, rest) = match self.path(data) {
            Ok(x) => x,
            Err(e) => return e,
        };
        if rest.len() != 64 {
            return sw(0x6A80);
        }
        if !self.blind_signing {
            self.ui.show(&["Blind signing must", "be enabled in", "settings"]);
            return sw(0x6A80);
        }
        let (key, _) = match self.key(&path) {
            Ok(k) => k,
            Err(e) => return e,
        };
        let (domain, message) = rest.split_at(32);
        self.ui.show(&["Blind signing ahead", "To accept risk, press both buttons"]);
        self.ui.show(&["Review typed message"]);
        self.ui.show(&["Domain hash", &alloy_primitives::hex::encode(domain)]);
        self.ui.show(&["Message hash", &alloy_primitives::hex::encode(message)]);
        self.ui.show(&["Sign message"]);
        if !self.decide() {
            return sw(0x6985);
        }
        let mut preimage = vec![0x19, 0x01];
        preimage.extend_from_slice(rest);
        self.signature(&key, keccak256(&preimage), Some(27))
    }
}

/// The total payload length once enough bytes have arrived to read the RLP list header.
fn expected_len(payload: &[u8]) -> Option<usize> {
    let (type_len, list) = match payload.first()? {
        0xC0..=0xFF => (0, payload),
        _ => (1, payload.get(1..)?),
    };
    let mut buf = list;
    let header = alloy_rlp::Header::decode(&mut buf).ok()?;
    let header_len = list.len() - buf.len();
    Some(type_len + header_len + header.payload_length)
}

#[cfg(test)]
mod tests;
