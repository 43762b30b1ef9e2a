//! What a check compared, for people, formatted only when it is shown. Every approving verdict
//! carries a dozen of these; formatting them eagerly (checksummed addresses, instants, amounts)
//! cost about as much as decoding a small transaction, so the passing details of the common
//! path are kept as their values and written out by `Display`.

use alloc::string::String;
use core::fmt;

use alloy_primitives::{Address, U256};

use crate::instant::Utc;
use crate::manifest::ManifestHash;
use crate::tx::TxType;

/// A check's detail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Detail(Kind);

#[derive(Clone, Debug, PartialEq, Eq)]
enum Kind {
    Text(String),
    Static(&'static str),
    ApprovedHash(ManifestHash),
    ChainIs(u64),
    TxTypeIs(TxType),
    TxToAllowed(Address),
    Matches(usize, String),
    ValueIs(U256),
    NonceIs(u64),
    NonceUnbound(u64),
    GasWithin(u64, u64),
    GasNoCap(u64),
    InWindow(u64, u64, u64),
}

impl Detail {
    pub(super) fn fixed(text: &'static str) -> Self {
        Detail(Kind::Static(text))
    }
    pub(super) fn approved_hash(hash: ManifestHash) -> Self {
        Detail(Kind::ApprovedHash(hash))
    }
    pub(super) fn chain_is(chain: u64) -> Self {
        Detail(Kind::ChainIs(chain))
    }
    pub(super) fn tx_type_is(ty: TxType) -> Self {
        Detail(Kind::TxTypeIs(ty))
    }
    pub(super) fn tx_to_allowed(to: Address) -> Self {
        Detail(Kind::TxToAllowed(to))
    }
    pub(super) fn matches(index: usize, name: &str) -> Self {
        Detail(Kind::Matches(index, String::from(name)))
    }
    pub(super) fn value_is(value: U256) -> Self {
        Detail(Kind::ValueIs(value))
    }
    pub(super) fn nonce(nonce: u64, bound: bool) -> Self {
        Detail(if bound { Kind::NonceIs(nonce) } else { Kind::NonceUnbound(nonce) })
    }
    pub(super) fn gas(limit: u64, cap: Option<u64>) -> Self {
        Detail(match cap {
            Some(cap) => Kind::GasWithin(limit, cap),
            None => Kind::GasNoCap(limit),
        })
    }
    pub(super) fn in_window(now: u64, not_before: u64, expires_at: u64) -> Self {
        Detail(Kind::InWindow(now, not_before, expires_at))
    }

    /// Whether the written-out detail contains `needle`.
    pub fn contains(&self, needle: &str) -> bool {
        alloc::string::ToString::to_string(self).contains(needle)
    }
}

impl From<String> for Detail {
    fn from(text: String) -> Self {
        Detail(Kind::Text(text))
    }
}

impl fmt::Display for Detail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Kind::Text(t) => f.write_str(t),
            Kind::Static(t) => f.write_str(t),
            Kind::ApprovedHash(h) => write!(f, "manifest hash {h} is the approved hash"),
            Kind::ChainIs(c) => write!(f, "tx chain {c} is the manifest chain"),
            Kind::TxTypeIs(t) => write!(f, "{} transaction", t.name()),
            Kind::TxToAllowed(to) => write!(f, "tx to {to} is in allowed_targets"),
            Kind::Matches(i, name) => write!(f, "matches action {i} ({name})"),
            Kind::ValueIs(v) => write!(f, "value {v} wei is the action's"),
            Kind::NonceIs(n) => write!(f, "nonce {n} is the action's"),
            Kind::NonceUnbound(n) => write!(f, "nonce {n} (the action binds none)"),
            Kind::GasWithin(g, cap) => write!(f, "gas limit {g} within the cap {cap}"),
            Kind::GasNoCap(g) => write!(f, "gas limit {g} (no cap)"),
            Kind::InWindow(now, nb, ea) => write!(f, "now {} is in [{}, {})", Utc(*now), Utc(*nb), Utc(*ea)),
        }
    }
}
