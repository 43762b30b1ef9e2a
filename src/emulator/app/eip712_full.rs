//! EIP-712 full mode as app-ethereum 1.22.0 handles it on a Nano S+ (its
//! `src/features/sign_message_eip712`, and the recording in
//! `tests/vectors/eip712_full_release_approval.json`): struct definitions (0x1A), then the
//! domain's and the message's values (0x1C), hashed as they arrive, then the signature (0x0C P2
//! 01).
//!
//! What the device shows depends on two settings. With "Raw messages" (the app's
//! `verbose_eip712`) on it shows "Review struct" and every field of both structs, with a "Press
//! right button to continue message or press both to skip" screen between them; with only
//! "Blind signing" on it shows the domain's fields and then the message hash; with neither it
//! refuses (6A80) on the first value it would show, and leaves "Blind signing must be enabled in
//! settings" on screen. Either way, without Ledger-signed filters, it first warns "Blind signing
//! ahead".
//!
//! Known differences, none reachable by this tool's client: arrays and nested structs (P2 0F,
//! custom types) are refused with 6A80 at their definition (the app takes them); sizes outside
//! 1..=32 and names that are not Solidity identifiers are refused with 6A80 (the app hashes
//! them as given); "both buttons to skip" is not modelled (a manual decision is taken on "Sign
//! message").

use alloy_dyn_abi::DynSolValue;
use alloy_dyn_abi::eip712::{PropertyDef, Resolver, TypeDef};
use alloy_primitives::{Address, B256, I256, U256, hex};
use zeroize::Zeroizing;

use super::Settings;
use crate::device::eip712::{FieldType, P1_COMPLETE, P1_PARTIAL, P2_FIELD, P2_NAME};
use crate::ledger_screens::{self as screens, Screen};

/// Most structs one message may define (the app is bounded by its RAM; this by a constant).
const MAX_STRUCTS: usize = 32;
/// Most fields one struct may have.
const MAX_FIELDS: usize = 64;
/// The app's display buffer (`strings.tmp.tmp`, 380 bytes with its terminating zero).
const DISPLAY_MAX: usize = 379;

const DOMAIN: &str = "EIP712Domain";

struct StructDef {
    name: String,
    fields: Vec<(String, FieldType)>,
}

/// The struct whose values are arriving.
struct Root {
    index: usize,
    is_domain: bool,
    words: Vec<DynSolValue>,
    /// A dynamic value arriving in chunks: bytes still expected, and those received.
    partial: Option<(usize, Zeroizing<Vec<u8>>)>,
}

/// One full-mode session, from the first definition to the signature.
#[derive(Default)]
pub(super) struct TypedSession {
    structs: Vec<StructDef>,
    /// Set by the first root: definitions are closed.
    implementing: bool,
    root: Option<Root>,
    domain_hash: Option<B256>,
    message_hash: Option<B256>,
    /// The warning and "Review typed message" were shown.
    started: bool,
    /// Items (struct headers, fields) shown, for the screens between them.
    items_shown: usize,
}

/// What a command did: its status word, the screens it showed, and whether the session ends
/// (any refusal ends it, as the app frees its context).
pub(super) struct Step {
    /// 9000 or the refusal.
    pub(super) status: u16,
    /// Screens shown, in order.
    pub(super) screens: Vec<Screen>,
}

impl Step {
    fn ok(screens: Vec<Screen>) -> Self {
        Step { status: 0x9000, screens }
    }
    fn refuse(status: u16) -> Self {
        Step { status, screens: Vec::new() }
    }
}

fn sol_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// A field definition: type descriptor, [size], key length, key.
fn parse_field(data: &[u8]) -> Option<(String, FieldType)> {
    let (&descriptor, rest) = data.split_first()?;
    let (size, rest) = if descriptor & 0x40 != 0 {
        let (&size, rest) = rest.split_first()?;
        (Some(size), rest)
    } else {
        (None, rest)
    };
    let ty = FieldType::from_descriptor(descriptor, size)?;
    let (&len, key) = rest.split_first()?;
    if key.len() != usize::from(len) {
        return None;
    }
    let key = std::str::from_utf8(key).ok().filter(|k| sol_identifier(k))?;
    Some((key.to_string(), ty))
}

/// The 32-byte word the app encodes a static value into, or `None` where it refuses the value.
fn static_word(ty: FieldType, value: &[u8]) -> Option<B256> {
    let left = |fill: u8| {
        let mut word = [fill; 32];
        word.get_mut(32usize.checked_sub(value.len())?..)?.copy_from_slice(value);
        Some(B256::from(word))
    };
    match ty {
        FieldType::Uint(_) => left(0),
        // Negative only when sent at full width with the top bit set.
        FieldType::Int(size) => {
            let negative = value.len() == usize::from(size) && value.first().is_some_and(|b| b & 0x80 != 0);
            left(if negative { 0xFF } else { 0 })
        }
        FieldType::FixedBytes(_) => {
            let mut word = [0u8; 32];
            word.get_mut(..value.len())?.copy_from_slice(value);
            Some(B256::from(word))
        }
        FieldType::Address if value.len() == 20 => left(0),
        FieldType::Bool if value.len() == 1 => left(0),
        _ => None,
    }
}

fn truncated(mut text: String) -> String {
    if text.len() > DISPLAY_MAX {
        let mut cut = DISPLAY_MAX - 3;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push_str("...");
    }
    text
}

/// What the app shows for a value.
fn display(ty: FieldType, value: &[u8], word: Option<B256>) -> String {
    match ty {
        FieldType::String => truncated(String::from_utf8_lossy(value).into_owned()),
        FieldType::Bytes | FieldType::FixedBytes(_) => {
            let shown = value.get(..(DISPLAY_MAX - 2) / 2).unwrap_or(value);
            let mut text = format!("0x{}", hex::encode_upper(shown));
            if shown.len() < value.len() {
                text.truncate(DISPLAY_MAX - 3);
                text.push_str("...");
            }
            text
        }
        FieldType::Uint(_) => word.map(|w| U256::from_be_bytes(w.0).to_string()).unwrap_or_default(),
        FieldType::Int(_) => word.map(|w| I256::from_be_bytes(w.0).to_string()).unwrap_or_default(),
        FieldType::Address => Address::from_slice(value).to_checksum(None),
        FieldType::Bool => if value.iter().any(|&b| b != 0) { "true" } else { "false" }.to_string(),
    }
}

impl TypedSession {
    /// Whether a definition or value has arrived (0x0C P2 01 needs one).
    pub(super) fn is_open(&self) -> bool {
        !self.structs.is_empty()
    }

    /// EIP712 SEND STRUCT DEFINITION.
    pub(super) fn definition(&mut self, p2: u8, data: &[u8]) -> Step {
        if self.implementing {
            return Step::refuse(0x6A00);
        }
        match p2 {
            P2_NAME => {
                let Ok(name) = std::str::from_utf8(data) else { return Step::refuse(0x6A80) };
                if !sol_identifier(name) || self.structs.len() >= MAX_STRUCTS {
                    return Step::refuse(0x6A80);
                }
                self.structs.push(StructDef { name: name.to_string(), fields: Vec::new() });
                Step::ok(Vec::new())
            }
            P2_FIELD => {
                let (Some(last), Some(field)) = (self.structs.last_mut(), parse_field(data)) else {
                    return Step::refuse(0x6A80);
                };
                if last.fields.len() >= MAX_FIELDS {
                    return Step::refuse(0x6A84);
                }
                last.fields.push(field);
                Step::ok(Vec::new())
            }
            _ => Step::refuse(0x6B00),
        }
    }

    fn intro(&mut self, settings: Settings, screens_out: &mut Vec<Screen>) -> bool {
        if !self.started {
            if !settings.verbose_eip712 && !settings.blind_signing {
                screens_out.push(screens::blind_signing_disabled());
                return false;
            }
            screens_out.extend(screens::typed_message_intro());
            self.started = true;
        }
        if settings.verbose_eip712 && self.items_shown > 0 {
            screens_out.push(screens::continue_or_skip());
        }
        self.items_shown += 1;
        true
    }

    /// EIP712 SEND STRUCT IMPLEMENTATION (a root, or a field's value).
    pub(super) fn implementation(&mut self, p1: u8, p2: u8, data: &[u8], settings: Settings) -> Step {
        if !self.is_open() {
            return Step::refuse(0x6980);
        }
        match p2 {
            P2_NAME => self.root(data, settings),
            P2_FIELD if p1 == P1_COMPLETE || p1 == P1_PARTIAL => self.value(p1 == P1_PARTIAL, data, settings),
            P2_FIELD => Step::refuse(0x6A80),
            _ => Step::refuse(0x6B00),
        }
    }

    fn root(&mut self, name: &[u8], settings: Settings) -> Step {
        let is_domain = name == DOMAIN.as_bytes();
        let expected = if is_domain { self.root.is_none() } else { self.domain_hash.is_some() };
        let index = self.structs.iter().position(|s| s.name.as_bytes() == name);
        let (true, Some(index), None) = (expected && self.message_hash.is_none(), index, &self.root) else {
            return Step::refuse(0x6A80);
        };
        self.implementing = true;
        self.root = Some(Root { index, is_domain, words: Vec::new(), partial: None });
        let mut shown = Vec::new();
        if settings.verbose_eip712 {
            self.intro(settings, &mut shown);
            shown.push(screens::review_struct(&String::from_utf8_lossy(name)));
        }
        Step::ok(shown)
    }

    fn value(&mut self, partial: bool, data: &[u8], settings: Settings) -> Step {
        let Some(root) = self.root.as_mut() else { return Step::refuse(0x6A80) };
        let Some(def) = self.structs.get(root.index) else { return Step::refuse(0x6A80) };
        let Some((key, ty)) = def.fields.get(root.words.len()).cloned() else { return Step::refuse(0x6A80) };
        // The first chunk leads with the value's length (at most 65535 bytes: reserved once,
        // so the value never reallocates and leaves no unwiped copy behind).
        let (remaining, mut value, chunk) = match root.partial.take() {
            Some((remaining, value)) => (remaining, value, data),
            None => {
                let Some((len, rest)) = data.split_first_chunk::<2>() else { return Step::refuse(0x6A80) };
                let len = usize::from(u16::from_be_bytes(*len));
                (len, Zeroizing::new(Vec::with_capacity(len)), rest)
            }
        };
        if chunk.len() > remaining {
            return Step::refuse(0x6A80);
        }
        value.extend_from_slice(chunk);
        self.finish_chunk(key, ty, remaining - chunk.len(), value, partial, settings)
    }

    fn finish_chunk(
        &mut self,
        key: String,
        ty: FieldType,
        remaining: usize,
        value: Zeroizing<Vec<u8>>,
        partial: bool,
        settings: Settings,
    ) -> Step {
        let Some(root) = self.root.as_mut() else { return Step::refuse(0x6A80) };
        if remaining > 0 {
            // Only a dynamic value may span chunks, and only chunks marked partial.
            if !partial || !ty.is_dynamic() {
                return Step::refuse(0x6A80);
            }
            root.partial = Some((remaining, value));
            return Step::ok(Vec::new());
        }
        if partial {
            return Step::refuse(0x6A80);
        }
        let word = if ty.is_dynamic() {
            None
        } else {
            match static_word(ty, &value) {
                Some(word) => Some(word),
                None => return Step::refuse(0x6A80),
            }
        };
        let is_domain = root.is_domain;
        root.words.push(match word {
            Some(word) => DynSolValue::FixedBytes(word, 32),
            None => DynSolValue::Bytes(value.to_vec()),
        });
        let mut shown = Vec::new();
        if settings.verbose_eip712 || is_domain {
            if !self.intro(settings, &mut shown) {
                return Step { status: 0x6A80, screens: shown };
            }
            shown.extend(screens::typed_field(&key, &display(ty, &value, word)));
        }
        if let Err(status) = self.close_root_if_complete() {
            return Step::refuse(status);
        }
        Step::ok(shown)
    }

    /// Once a root's last value arrived: its struct hash.
    fn close_root_if_complete(&mut self) -> Result<(), u16> {
        let Some(root) = self.root.as_ref() else { return Ok(()) };
        let def = self.structs.get(root.index).ok_or(0x6A80u16)?;
        if root.words.len() < def.fields.len() {
            return Ok(());
        }
        let mut resolver = Resolver::default();
        for s in &self.structs {
            let props = s
                .fields
                .iter()
                .map(|(key, ty)| PropertyDef::new(ty.sol_name(), key.clone()))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| 0x6A80u16)?;
            resolver.ingest(TypeDef::new(s.name.clone(), props).map_err(|_| 0x6A80u16)?);
        }
        let value = DynSolValue::CustomStruct {
            name: def.name.clone(),
            prop_names: def.fields.iter().map(|(k, _)| k.clone()).collect(),
            tuple: root.words.clone(),
        };
        let hash = resolver.eip712_data_word(&value).map_err(|_| 0x6A80u16)?;
        if root.is_domain {
            self.domain_hash = Some(hash);
        } else {
            self.message_hash = Some(hash);
        }
        self.root = None;
        Ok(())
    }

    /// For SIGN_ETH_EIP_712 P2 01: both hashes, once every value arrived.
    pub(super) fn hashes(&self) -> Option<(B256, B256)> {
        match (self.domain_hash, self.message_hash, &self.root) {
            (Some(d), Some(m), None) => Some((d, m)),
            _ => None,
        }
    }

    /// The screens up to the decision: the message hash (unless the fields were shown), then
    /// "Sign message".
    pub(super) fn final_screens(&self, settings: Settings) -> Vec<Screen> {
        let mut out = Vec::new();
        if let (false, Some(m)) = (settings.verbose_eip712, self.message_hash) {
            out.extend(screens::paged("Message hash", &format!("0x{}", hex::encode_upper(m))));
        }
        out.push(screens::sign_message());
        out
    }
}
