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
use crate::device::eip712;
use crate::ledger_screens as screens;

/// The app settings the emulator models (both off on a fresh device).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    /// "Blind signing": transactions with calldata, and hashed EIP-712.
    pub blind_signing: bool,
    /// "Raw messages" (the app's `verbose_eip712`): full-mode EIP-712 shows every field.
    pub verbose_eip712: bool,
}

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
    TypedData(Box<eip712_full::TypedSession>),
}

/// The app: settings, keys, the screen, and the state of a multi-chunk command.
pub struct EmulatorApp {
    keys: Keys,
    settings: Settings,
    approve: Approve,
    fault: Option<Fault>,
    ui: Arc<Ui>,
    pending: Option<Pending>,
    apdus: usize,
    /// The last answer, as the app's I/O buffer still holds it: a wrong Lc is answered with the
    /// buffer (the new request over the old answer) for the old answer's length.
    io: Zeroizing<Vec<u8>>,
}

fn sw(code: u16) -> Outcome {
    Outcome::Answer(code.to_be_bytes().to_vec())
}

fn echo(request: &[u8], code: u16) -> Outcome {
    let mut out = request.to_vec();
    out.extend_from_slice(&code.to_be_bytes());
    Outcome::Answer(out)
}

fn ok(mut data: Vec<u8>) -> Outcome {
    data.extend_from_slice(&[0x90, 0x00]);
    Outcome::Answer(data)
}

impl EmulatorApp {
    /// An app with these keys and settings.
    pub fn new(keys: Keys, settings: Settings, approve: Approve, fault: Option<Fault>, ui: Arc<Ui>) -> Self {
        ui.show_screen(&screens::home());
        EmulatorApp {
            keys,
            settings,
            approve,
            fault,
            ui,
            pending: None,
            apdus: 0,
            io: Zeroizing::new(Vec::new()),
        }
    }

    /// Handles one APDU.
    pub fn handle(&mut self, apdu: &[u8]) -> Outcome {
        let outcome = self.answer(apdu);
        if let Outcome::Answer(answer) = &outcome {
            self.io = Zeroizing::new(answer.clone());
        }
        outcome
    }

    /// The I/O buffer after `request` arrived: the request over the previous answer, for the
    /// previous answer's length (measured: 109 bytes echoed after a 109-byte address answer).
    fn stale_echo(&self, request: &[u8]) -> Vec<u8> {
        let len = self.io.len();
        let mut out: Vec<u8> = request.iter().take(len).copied().collect();
        out.extend(self.io.iter().skip(out.len()).take(len.saturating_sub(out.len())));
        out
    }

    fn answer(&mut self, apdu: &[u8]) -> Outcome {
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
        // The real app answers a wrong Lc with 6A87 and its I/O buffer as data.
        let data: &[u8] = match rest {
            [] => &[],
            [lc, data @ ..] if usize::from(*lc) == data.len() => data,
            _ => return echo(&self.stale_echo(apdu), 0x6A87),
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
                let flags =
                    FLAG_ERC20_EXTERNAL | if self.settings.blind_signing { FLAG_BLIND_SIGNING } else { 0 };
                ok(vec![flags, VERSION.0, VERSION.1, VERSION.2])
            }
            (CLA_ETH, 0x02) => self.get_address(*p1, *p2, data),
            (CLA_ETH, 0x04) => self.sign_transaction(*p1, *p2, data),
            (CLA_ETH, 0x08) => self.sign_message(*p1, *p2, data),
            (CLA_ETH, 0x0C) => self.sign_eip712(*p1, *p2, data),
            (CLA_ETH, eip712::INS_STRUCT_DEFINITION) => self.struct_definition(*p2, data),
            (CLA_ETH, eip712::INS_STRUCT_IMPLEMENTATION) => self.struct_implementation(*p1, *p2, data),
            (CLA_ETH, 0x34) => self.sign_7702_authorization(*p1, data),
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
            self.show_all(&screens::address(address));
            let approved = self.decide();
            self.ui.show_screen(&screens::address_decided(approved));
            self.ui.show_screen(&screens::home());
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
        let chunk_start = match p1 {
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
                0
            }
            0x80 => match &mut self.pending {
                Some(Pending::Transaction { payload, .. }) => {
                    let start = payload.len();
                    append_wiping(payload, data);
                    start
                }
                _ => return sw(0x6980),
            },
            _ => return sw(0x6B00),
        };
        let Some(Pending::Transaction { payload, .. }) = &self.pending else { return sw(0x6980) };
        if payload.len() > firmware_policy::limits::MAX_TX_BYTES {
            self.pending = None;
            return sw(0x6A84);
        }
        // The app parses as the chunks arrive: with blind signing off it refuses a call on the
        // chunk where the calldata starts, before any review (not at the end).
        if !self.settings.blind_signing
            && let Some(field) = data_field(payload)
            && field.len >= 4
            && field.to_present
            && (chunk_start..payload.len()).contains(&field.start)
        {
            self.pending = None;
            self.ui.show_screen(&screens::blind_signing_disabled());
            return sw(0x6A80);
        }
        let Some(total) = expected_len(payload) else { return ok(vec![]) };
        if payload.len() < total {
            return ok(vec![]);
        }
        // A pre-EIP-155 legacy list (6 items) is not complete for the app: it waits for the
        // EIP-155 tail, and signs a following `v, r, s` as chain id `v` (so `1b 80 80` is chain 27).
        let pre_155 = payload.first().is_some_and(|b| *b >= 0xC0) && item_count(payload) == Some(6);
        let chain_override = if pre_155 {
            match legacy_tail(payload.get(total..).unwrap_or_default()) {
                Tail::Incomplete => return ok(vec![]),
                Tail::Malformed => {
                    self.pending = None;
                    return sw(0x6A80);
                }
                Tail::Chain(chain) => Some(chain),
            }
        } else if payload.len() > total {
            self.pending = None;
            return sw(0x6A80);
        } else {
            None
        };
        let Some(Pending::Transaction { path, payload }) = self.pending.take() else { return sw(0x6980) };
        let list = payload.get(..total).unwrap_or_default();
        let Ok(tx) = DecodedTx::decode(list) else { return sw(0x6A80) };
        // The app hashes every byte it was sent, tail included.
        let hash = keccak256(&payload[..]);
        self.finish_transaction(&path, &tx, hash, chain_override)
    }

    fn finish_transaction(
        &mut self,
        path: &DerivationPath,
        tx: &DecodedTx,
        hash: B256,
        chain_override: Option<u64>,
    ) -> Outcome {
        if tx.tx_type() == TxType::Eip4844 {
            return sw(0x6501);
        }
        // Calldata too short for a selector, or a creation: refused at the end, not mid-stream.
        if !tx.input().is_empty() && !self.settings.blind_signing {
            self.ui.show_screen(&screens::blind_signing_disabled());
            return sw(0x6A80);
        }
        let (key, _) = match self.key(path) {
            Ok(k) => k,
            Err(e) => return e,
        };
        let review =
            screens::TxReview::of(tx, Address::from_public_key(key.verifying_key()), hash, chain_override);
        let chain = review.chain_id;
        // An amount the screen buffer cannot hold: EXCEPTION_OVERFLOW, before any review.
        let Some(review) = screens::transaction(&review) else { return sw(0x6807) };
        self.show_all(&review);
        let approved = self.decide_transaction();
        self.ui.show_screen(&screens::transaction_decided(approved));
        self.ui.show_screen(&screens::home());
        if !approved {
            return sw(0x6985);
        }
        let v_base = match (tx.tx_type(), chain) {
            (TxType::Legacy, 0) => Some(27),
            (TxType::Legacy, chain) => Some(eip155_v_base_byte(chain)),
            _ => None,
        };
        self.signature(&key, hash, v_base)
    }

    fn show_all(&self, screens: &[screens::Screen]) {
        for s in screens {
            self.ui.show_screen(s);
        }
    }

    /// The decision on a transaction: in manual mode, right on the decision screen shows "Reject
    /// transaction", where both buttons reject.
    fn decide_transaction(&self) -> bool {
        match self.approve {
            Approve::Manual => self.ui.await_decision_with_reject(&screens::reject_transaction()),
            _ => self.decide(),
        }
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
        self.show_all(&screens::personal_message(&message));
        let approved = self.decide();
        self.ui.show_screen(&screens::message_decided(approved));
        self.ui.show_screen(&screens::home());
        if !approved {
            return sw(0x6985);
        }
        let mut prefixed = format!("\x19Ethereum Signed Message:\n{}", message.len()).into_bytes();
        prefixed.extend_from_slice(&message);
        self.signature(&key, keccak256(&prefixed), Some(27))
    }

    /// SIGN_EIP7702_AUTHORIZATION as measured on the real app: no data is 6A80; a chunk that is
    /// not a first chunk (P1 01), or a first chunk without the TLV's 2-byte length, is 6A00; a
    /// complete TLV that is not an authorization (tags 0 version 1, 1 delegate, 2 chain id, 3
    /// nonce, each once, nothing else) is 6A80. A valid one is 6980: the "Smart accounts" setting
    /// is off by default, and the app says so on screen. This client never sends one.
    fn sign_7702_authorization(&mut self, p1: u8, data: &[u8]) -> Outcome {
        if data.is_empty() {
            return sw(0x6A80);
        }
        if p1 != 0x01 {
            return sw(0x6A00);
        }
        let rest = match self.path(data) {
            Ok((_, rest)) => rest,
            Err(e) => return e,
        };
        match rest.split_first_chunk::<2>() {
            Some((len, tlv)) if tlv.len() == usize::from(u16::from_be_bytes(*len)) => {
                if !is_authorization_tlv(tlv) {
                    return sw(0x6A80);
                }
                self.show_all(&screens::smart_accounts_disabled());
                self.ui.show_screen(&screens::home());
                sw(0x6980)
            }
            Some((len, tlv)) if tlv.len() < usize::from(u16::from_be_bytes(*len)) => ok(vec![]),
            _ => sw(0x6A00),
        }
    }

    /// Shows a full-mode step's screens and answers its status; a refusal ends the session and
    /// returns home, except the settings refusal, whose screen stays (as on the device).
    fn typed_step(&mut self, step: eip712_full::Step) -> Outcome {
        self.show_all(&step.screens);
        if step.status != 0x9000 {
            self.pending = None;
            if step.screens.is_empty() {
                self.ui.show_screen(&screens::home());
            }
        }
        sw(step.status)
    }

    /// The first definition opens a full-mode session (dropping any other pending command, as
    /// the app frees its contexts).
    fn struct_definition(&mut self, p2: u8, data: &[u8]) -> Outcome {
        let mut session = match self.pending.take() {
            Some(Pending::TypedData(session)) => session,
            _ => Box::default(),
        };
        let step = session.definition(p2, data);
        self.pending = Some(Pending::TypedData(session));
        self.typed_step(step)
    }

    fn struct_implementation(&mut self, p1: u8, p2: u8, data: &[u8]) -> Outcome {
        let settings = self.settings;
        let step = match &mut self.pending {
            Some(Pending::TypedData(session)) => session.implementation(p1, p2, data, settings),
            _ => return sw(0x6980),
        };
        self.typed_step(step)
    }

    /// SIGN_ETH_EIP_712 P2 01: the signature over the hashes the session computed.
    fn sign_eip712_full(&mut self, data: &[u8]) -> Outcome {
        let Some(Pending::TypedData(session)) = self.pending.take() else { return sw(0x6980) };
        let (path, rest) = match self.path(data) {
            Ok(x) => x,
            Err(e) => return e,
        };
        let Some((domain, message)) = session.hashes() else { return sw(0x6A80) };
        if !rest.is_empty() {
            return sw(0x6A80);
        }
        let (key, _) = match self.key(&path) {
            Ok(k) => k,
            Err(e) => return e,
        };
        self.show_all(&session.final_screens(self.settings));
        self.sign_typed_hashes(&key, domain, message)
    }

    /// The decision on a typed message and, approved, its signature over
    /// `keccak256(0x1901 ‖ domain ‖ message)`.
    fn sign_typed_hashes(&self, key: &SigningKey, domain: B256, message: B256) -> Outcome {
        let approved = self.decide();
        self.ui.show_screen(&screens::message_decided(approved));
        self.ui.show_screen(&screens::home());
        if !approved {
            return sw(0x6985);
        }
        let mut preimage = vec![0x19, 0x01];
        preimage.extend_from_slice(domain.as_slice());
        preimage.extend_from_slice(message.as_slice());
        self.signature(key, keccak256(&preimage), Some(27))
    }

    fn sign_eip712(&mut self, p1: u8, p2: u8, data: &[u8]) -> Outcome {
        // Full mode (P2 01) needs the struct definitions sent first: without them, 6980.
        if (p1, p2) == (0, 1) {
            return self.sign_eip712_full(data);
        }
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
        if !self.settings.blind_signing {
            self.ui.show(&["Blind signing must", "be enabled in", "settings"]);
            return sw(0x6A80);
        }
        let (key, _) = match self.key(&path) {
            Ok(k) => k,
            Err(e) => return e,
        };
        let (domain, message) = rest.split_at(32);
        self.show_all(&screens::typed_message(domain, message));
        self.sign_typed_hashes(&key, B256::from_slice(domain), B256::from_slice(message))
    }
}

/// Where a transaction's calldata is, once enough bytes have arrived to read every header up to
/// it: its first byte's offset in the payload, its length, and whether the `to` field is set.
struct DataField {
    start: usize,
    len: usize,
    to_present: bool,
}

/// The RLP header at the start of `buf`: (header length, payload length, is a list), from the
/// header bytes alone. alloy's `Header::decode` also requires the whole payload to be present,
/// but the app reads headers as the chunks stream in, so the emulator must too. Checked against
/// alloy's decoder on complete input (tests).
fn stream_header(buf: &[u8]) -> Option<(usize, usize, bool)> {
    let first = *buf.first()?;
    let (list, short_base, long_base) = if first >= 0xc0 { (true, 0xc0, 0xf7) } else { (false, 0x80, 0xb7) };
    match first {
        0x00..=0x7f => Some((0, 1, false)),
        b if b <= long_base => Some((1, usize::from(b - short_base), list)),
        b => {
            let len_of_len = usize::from(b - long_base);
            let bytes = buf.get(1..1 + len_of_len)?;
            let len =
                bytes.iter().try_fold(0usize, |acc, b| acc.checked_mul(256)?.checked_add(usize::from(*b)))?;
            Some((1 + len_of_len, len, list))
        }
    }
}

fn data_field(payload: &[u8]) -> Option<DataField> {
    let (type_len, data_index) = match payload.first()? {
        0xC0..=0xFF => (0, 5),
        0x01 => (1, 6),
        0x02 | 0x04 => (1, 7),
        _ => return None,
    };
    let (list_header, _, is_list) = stream_header(payload.get(type_len..)?)?;
    if !is_list {
        return None;
    }
    let mut offset = type_len + list_header;
    let mut to_present = false;
    for index in 0..=data_index {
        let (header_len, payload_len, _) = stream_header(payload.get(offset..)?)?;
        if index + 2 == data_index {
            to_present = payload_len > 0;
        }
        if index == data_index {
            return Some(DataField { start: offset + header_len, len: payload_len, to_present });
        }
        offset = offset.checked_add(header_len)?.checked_add(payload_len)?;
    }
    None
}

/// The number of items in the RLP list at the start of a complete legacy payload.
fn item_count(payload: &[u8]) -> Option<usize> {
    let mut buf = payload;
    let header = alloy_rlp::Header::decode(&mut buf).ok()?;
    let mut body = buf.get(..header.payload_length)?;
    let mut count = 0;
    while !body.is_empty() {
        let h = alloy_rlp::Header::decode(&mut body).ok()?;
        body = body.get(h.payload_length..)?;
        count += 1;
    }
    Some(count)
}

/// What follows a pre-EIP-155 legacy list.
enum Tail {
    /// Not all three items yet.
    Incomplete,
    /// Not three RLP strings, or bytes after them.
    Malformed,
    /// `v, r, s` whose `v` is this chain id.
    Chain(u64),
}

fn legacy_tail(tail: &[u8]) -> Tail {
    if tail.is_empty() {
        return Tail::Incomplete;
    }
    let mut buf = tail;
    let mut items = Vec::with_capacity(3);
    while items.len() < 3 {
        if buf.is_empty() {
            return Tail::Incomplete;
        }
        let before = buf.len();
        let Ok(h) = alloy_rlp::Header::decode(&mut buf) else { return Tail::Incomplete };
        if h.list {
            return Tail::Malformed;
        }
        let header_len = before - buf.len();
        let Some(value) =
            tail.get(tail.len() - before + header_len..).and_then(|b| b.get(..h.payload_length))
        else {
            return Tail::Incomplete;
        };
        items.push(value);
        buf = buf.get(h.payload_length..).unwrap_or_default();
    }
    if !buf.is_empty() {
        return Tail::Malformed;
    }
    match items.first().filter(|v| v.len() <= 8) {
        Some(v) => Tail::Chain(v.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b))),
        None => Tail::Malformed,
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

mod eip712_full;

#[cfg(test)]
mod tests;

/// An EIP-7702 authorization as app-ethereum's TLV: one-byte tags and lengths, the version (tag 0,
/// value 1), the delegate (tag 1, 20 bytes), the chain id and the nonce (tags 2 and 3, at most 8
/// big-endian bytes), each exactly once and nothing else.
fn is_authorization_tlv(mut tlv: &[u8]) -> bool {
    let mut seen = [false; 4];
    while let Some((&tag, rest)) = tlv.split_first() {
        let Some((&len, rest)) = rest.split_first() else { return false };
        let Some((value, rest)) = rest.split_at_checked(usize::from(len)) else { return false };
        let valid = match tag {
            0 => value == [1],
            1 => value.len() == 20,
            2 | 3 => value.len() <= 8,
            _ => false,
        };
        let Some(slot) = seen.get_mut(usize::from(tag)) else { return false };
        if !valid || *slot {
            return false;
        }
        *slot = true;
        tlv = rest;
    }
    seen.iter().all(|s| *s)
}
