//! The manifest's one byte string: RFC 8949 core deterministic CBOR with small integer keys.
//!
//! Encoding writes every key, in ascending order, with shortest-form heads and definite lengths;
//! absent optional values are `null`, so "omitted" and "given as the default" encode alike.
//! Decoding is strict about the schema (types, lengths, unknown and missing keys) and leaves
//! byte-level canonicality to the caller, which re-encodes and compares: one rule, no gaps.
//!
//! Schema (documented with a hex example in `docs/manifest-format.md`):
//!
//! ```text
//! manifest = { 0: format text, 1: release text, 2: chain_id uint, 3: executor bytes(20),
//!              4: not_before uint, 5: expires_at uint, 6: [* bytes(20)] allowed_targets,
//!              7: { * bytes(20) => text } labels, 8: { 0: bytes(32) hash, 1: text note },
//!              9: [* action], 10: [* safe] safes }
//! safe     = { 0: address bytes(20), 1: version text, 2: [+ bytes(20)] owners, 3: threshold uint,
//!              4: [* bytes(20)] delegatecall_allowed, 5: owned_by bytes(20)/null }
//! action   = { 0: name text, 1: kind text, 2: to bytes(20), 3: value uint/bignum,
//!              4: data bytes, 5: nonce uint/null, 6: gas_limit_max uint/null,
//!              7: max_fee_per_gas_max uint/bignum/null, 8: max_priority_fee_per_gas_max …,
//!              9: [* [chain_id uint/bignum, address bytes(20), nonce uint]] authorizations,
//!              ? 10: true replaceable, ? 11: [+ text] abi, ? 12: safe bytes(20),
//!              ? 13: 1 operation, ? 14: safe_tx_gas, ? 15: base_gas, ? 16: gas_price (each a
//!              non-zero uint/bignum), ? 17: gas_token bytes(20), ? 18: refund_receiver bytes(20),
//!              ? 19: approves uint (the approved action's index),
//!              ? 20: [+ bytes(20)] approved_hashes (strictly ascending) }
//! ```
//!
//! Keys added after v1's first keys (action ≥ 10) follow the schema-evolution rule: written only
//! when they differ from their default, and refused when they hold it, so a manifest that does
//! not use them keeps its bytes and its hash, and each content still has one encoding.

use alloc::string::String;
use alloc::vec::Vec;

use alloy_primitives::{Address, B256, U256};
use ciborium_ll::{Decoder, Encoder, Header, simple, tag};
use zeroize::{Zeroize, Zeroizing};

use super::{
    Action, ActionKind, AuthorizationBound, FORMAT_V1, Field, LayoutRecord, Manifest, ManifestError,
    ManifestErrorKind as K, Rollback, SafeActionFields, SafeDecl,
};
use crate::cbor_io::{EndOfInput, Slice};
use crate::limits;
use crate::safe_tx::SafeVersion;

mod effects;

const MANIFEST_KEYS: [&str; 14] = [
    "format",
    "release",
    "chain_id",
    "executor",
    "not_before",
    "expires_at",
    "allowed_targets",
    "labels",
    "rollback",
    "actions",
    "safes",
    "max_state_age",
    "code",
    "authority",
];
/// The manifest keys every manifest writes; the later ones only when not their default.
const MANIFEST_REQUIRED_KEYS: usize = 11;
const ACTION_KEYS: [&str; 23] = [
    "name",
    "kind",
    "to",
    "value",
    "data",
    "nonce",
    "gas_limit_max",
    "max_fee_per_gas_max",
    "max_priority_fee_per_gas_max",
    "authorizations",
    "replaceable",
    "abi",
    "safe",
    "operation",
    "safe_tx_gas",
    "base_gas",
    "gas_price",
    "gas_token",
    "refund_receiver",
    "approves",
    "approved_hashes",
    "expect",
    "layout",
];
const SAFE_KEYS: [&str; 6] =
    ["address", "version", "owners", "threshold", "delegatecall_allowed", "owned_by"];
/// The action keys every manifest writes; the others are written only when not their default.
const ACTION_REQUIRED_KEYS: usize = 10;
const ROLLBACK_KEYS: [&str; 2] = ["manifest_hash", "note"];

// ---------------------------------------------------------------------------------------------
// Encoding

/// Counts bytes, so the output buffer can be allocated once at its exact size: a growing `Vec`
/// would leave unzeroed copies of the manifest behind in freed memory. (A local type holding a
/// reference, because ciborium-io's blanket impls change when another crate turns on its `std`.)
struct Counter<'a>(&'a mut usize);

impl ciborium_io::Write for Counter<'_> {
    type Error = core::convert::Infallible;
    fn write_all(&mut self, data: &[u8]) -> Result<(), Self::Error> {
        *self.0 = self.0.saturating_add(data.len());
        Ok(())
    }
    fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// Appends into a vector whose capacity was reserved up front; never reallocates.
struct Exact<'a>(&'a mut Vec<u8>);

impl ciborium_io::Write for Exact<'_> {
    type Error = core::convert::Infallible;
    fn write_all(&mut self, data: &[u8]) -> Result<(), Self::Error> {
        debug_assert!(self.0.capacity().saturating_sub(self.0.len()) >= data.len());
        self.0.extend_from_slice(data);
        Ok(())
    }
    fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// Encodes `manifest` in canonical form.
pub(super) fn encode(manifest: &Manifest) -> Zeroizing<Vec<u8>> {
    let mut len = 0usize;
    write_manifest(&mut Encoder::from(Counter(&mut len)), manifest);
    let mut out = Zeroizing::new(Vec::with_capacity(len));
    write_manifest(&mut Encoder::from(Exact(&mut out)), manifest);
    out
}

trait Sink {
    fn head(&mut self, header: Header);
    fn raw(&mut self, data: &[u8]);
}

impl<W: ciborium_io::Write<Error = core::convert::Infallible>> Sink for Encoder<W> {
    fn head(&mut self, header: Header) {
        let Ok(()) = self.push(header);
    }
    fn raw(&mut self, data: &[u8]) {
        let Ok(()) = ciborium_io::Write::write_all(self, data);
    }
}

fn key(out: &mut impl Sink, k: usize) {
    out.head(Header::Positive(k as u64));
}

fn bytes(out: &mut impl Sink, data: &[u8]) {
    out.head(Header::Bytes(Some(data.len())));
    out.raw(data);
}

fn text(out: &mut impl Sink, s: &str) {
    out.head(Header::Text(Some(s.len())));
    out.raw(s.as_bytes());
}

fn null(out: &mut impl Sink) {
    out.head(Header::Simple(simple::NULL));
}

/// Unsigned integers: major type 0 when they fit 64 bits, else tag 2 with the minimal
/// big-endian bytes (RFC 8949 preferred serialization).
fn uint(out: &mut impl Sink, value: U256) {
    match u64::try_from(value) {
        Ok(small) => out.head(Header::Positive(small)),
        Err(_) => {
            let be = value.to_be_bytes::<32>();
            let first = be.iter().position(|b| *b != 0).unwrap_or(be.len());
            out.head(Header::Tag(tag::BIGPOS));
            bytes(out, be.get(first..).unwrap_or_default());
        }
    }
}

fn opt_uint(out: &mut impl Sink, value: Option<U256>) {
    match value {
        Some(v) => uint(out, v),
        None => null(out),
    }
}

fn write_manifest(out: &mut impl Sink, m: &Manifest) {
    let present = MANIFEST_REQUIRED_KEYS.saturating_add(effects::manifest_keys_present(m));
    out.head(Header::Map(Some(present)));
    key(out, 0);
    text(out, FORMAT_V1);
    key(out, 1);
    text(out, &m.release);
    key(out, 2);
    out.head(Header::Positive(m.chain_id));
    key(out, 3);
    bytes(out, m.executor.as_slice());
    key(out, 4);
    out.head(Header::Positive(m.not_before));
    key(out, 5);
    out.head(Header::Positive(m.expires_at));
    key(out, 6);
    out.head(Header::Array(Some(m.allowed_targets.len())));
    for target in &m.allowed_targets {
        bytes(out, target.as_slice());
    }
    key(out, 7);
    out.head(Header::Map(Some(m.labels.len())));
    for (address, label) in &m.labels {
        bytes(out, address.as_slice());
        text(out, label);
    }
    key(out, 8);
    out.head(Header::Map(Some(ROLLBACK_KEYS.len())));
    key(out, 0);
    bytes(out, m.rollback.manifest_hash.as_slice());
    key(out, 1);
    text(out, &m.rollback.note);
    key(out, 9);
    out.head(Header::Array(Some(m.actions.len())));
    for action in &m.actions {
        write_action(out, action);
    }
    key(out, 10);
    out.head(Header::Array(Some(m.safes.len())));
    for safe in &m.safes {
        write_safe(out, safe);
    }
    effects::write_manifest_keys(out, m);
}

fn write_safe(out: &mut impl Sink, s: &SafeDecl) {
    out.head(Header::Map(Some(SAFE_KEYS.len())));
    key(out, 0);
    bytes(out, s.address.as_slice());
    key(out, 1);
    text(out, &s.version_text());
    key(out, 2);
    out.head(Header::Array(Some(s.owners.len())));
    for owner in &s.owners {
        bytes(out, owner.as_slice());
    }
    key(out, 3);
    out.head(Header::Positive(s.threshold));
    key(out, 4);
    out.head(Header::Array(Some(s.delegatecall_allowed.len())));
    for target in &s.delegatecall_allowed {
        bytes(out, target.as_slice());
    }
    key(out, 5);
    match &s.owned_by {
        Some(outer) => bytes(out, outer.as_slice()),
        None => null(out),
    }
}

/// A Safe action's keys 12–19, each present only when not its default: (key, its value).
fn safe_keys(s: &SafeActionFields) -> [(usize, Option<SafeValue>); 8] {
    let uint = |v: U256| (!v.is_zero()).then_some(SafeValue::Uint(v));
    let address = |a: Address| (a != Address::ZERO).then_some(SafeValue::Address(a));
    [
        (12, Some(SafeValue::Address(s.safe))),
        (13, uint(U256::from(s.operation))),
        (14, uint(s.safe_tx_gas)),
        (15, uint(s.base_gas)),
        (16, uint(s.gas_price)),
        (17, address(s.gas_token)),
        (18, address(s.refund_receiver)),
        (19, s.approves.map(|i| SafeValue::Uint(U256::from(i)))),
    ]
}

enum SafeValue {
    Uint(U256),
    Address(Address),
}

fn write_action(out: &mut impl Sink, a: &Action) {
    let safe = a.safe_tx.as_ref().map(safe_keys);
    let safe_present = safe.as_ref().map_or(0, |keys| keys.iter().filter(|(_, v)| v.is_some()).count());
    let optional = usize::from(a.replaceable)
        .saturating_add(usize::from(!a.abi.is_empty()))
        .saturating_add(safe_present)
        .saturating_add(usize::from(!a.approved_hashes.is_empty()))
        .saturating_add(usize::from(!a.expect.is_empty()))
        .saturating_add(usize::from(a.layout.is_some()));
    out.head(Header::Map(Some(ACTION_REQUIRED_KEYS.saturating_add(optional))));
    key(out, 0);
    text(out, &a.name);
    key(out, 1);
    text(out, a.kind.as_str());
    key(out, 2);
    bytes(out, a.to.as_slice());
    key(out, 3);
    uint(out, a.value);
    key(out, 4);
    bytes(out, &a.data);
    key(out, 5);
    opt_uint(out, a.nonce.map(U256::from));
    key(out, 6);
    opt_uint(out, a.gas_limit_max.map(U256::from));
    key(out, 7);
    opt_uint(out, a.max_fee_per_gas_max.map(U256::from));
    key(out, 8);
    opt_uint(out, a.max_priority_fee_per_gas_max.map(U256::from));
    key(out, 9);
    out.head(Header::Array(Some(a.authorizations.len())));
    for auth in &a.authorizations {
        out.head(Header::Array(Some(3)));
        uint(out, auth.chain_id);
        bytes(out, auth.address.as_slice());
        out.head(Header::Positive(auth.nonce));
    }
    if a.replaceable {
        key(out, 10);
        out.head(Header::Simple(simple::TRUE));
    }
    if !a.abi.is_empty() {
        key(out, 11);
        out.head(Header::Array(Some(a.abi.len())));
        for entry in &a.abi {
            text(out, entry);
        }
    }
    for (k, value) in safe.iter().flatten() {
        match value {
            Some(SafeValue::Uint(v)) => {
                key(out, *k);
                uint(out, *v);
            }
            Some(SafeValue::Address(address)) => {
                key(out, *k);
                bytes(out, address.as_slice());
            }
            None => {}
        }
    }
    if !a.approved_hashes.is_empty() {
        key(out, 20);
        out.head(Header::Array(Some(a.approved_hashes.len())));
        for owner in &a.approved_hashes {
            bytes(out, owner.as_slice());
        }
    }
    effects::write_expect(out, &a.expect);
    if let Some(layout) = &a.layout {
        key(out, 22);
        out.head(Header::Array(Some(4)));
        bytes(out, layout.old_digest.as_slice());
        bytes(out, layout.new_digest.as_slice());
        out.head(Header::Simple(if layout.compatible { simple::TRUE } else { simple::FALSE }));
        text(out, &layout.allowed_change);
    }
}

// ---------------------------------------------------------------------------------------------
// Decoding

struct Reader<'a> {
    dec: Decoder<Slice<'a>>,
    total: usize,
    /// The field being read, for error messages.
    field: Field,
}

type Res<T> = core::result::Result<T, ManifestError>;

impl<'a> Reader<'a> {
    fn err(&mut self, kind: K, offset: usize) -> ManifestError {
        ManifestError { kind, field: Some(self.field), offset: Some(offset) }
    }

    fn offset(&mut self) -> usize {
        self.dec.offset()
    }

    fn remaining(&mut self) -> usize {
        self.total.saturating_sub(self.dec.offset())
    }

    fn pull(&mut self) -> Res<(Header, usize)> {
        let at = self.offset();
        match self.dec.pull() {
            Ok(h) => Ok((h, at)),
            Err(ciborium_ll::Error::Io(EndOfInput)) => Err(self.err(K::Truncated, at)),
            Err(ciborium_ll::Error::Syntax(o)) => Err(self.err(K::MalformedCbor, o)),
        }
    }

    fn unexpected(&mut self, expected: &'static str, at: usize) -> ManifestError {
        self.err(K::UnexpectedType { expected }, at)
    }

    fn payload(&mut self, len: usize, at: usize) -> Res<Zeroizing<Vec<u8>>> {
        if len > self.remaining() {
            return Err(self.err(K::Truncated, at));
        }
        let mut buf = Zeroizing::new(alloc::vec![0u8; len]);
        if ciborium_io::Read::read_exact(&mut self.dec, &mut buf).is_err() {
            return Err(self.err(K::Truncated, at));
        }
        Ok(buf)
    }

    /// Passes over `len` payload bytes without keeping them.
    fn skip(&mut self, len: usize, at: usize) -> Res<()> {
        if len > self.remaining() {
            return Err(self.err(K::Truncated, at));
        }
        let mut scratch = [0u8; 64];
        let mut left = len;
        while left > 0 {
            let n = left.min(scratch.len());
            let chunk = scratch.get_mut(..n).ok_or(ManifestError {
                kind: K::Truncated,
                field: None,
                offset: Some(at),
            })?;
            if ciborium_io::Read::read_exact(&mut self.dec, chunk).is_err() {
                return Err(self.err(K::Truncated, at));
            }
            left = left.saturating_sub(n);
        }
        scratch.zeroize();
        Ok(())
    }

    fn bytes(&mut self) -> Res<Zeroizing<Vec<u8>>> {
        match self.pull()? {
            (Header::Bytes(Some(len)), at) => self.payload(len, at),
            (_, at) => Err(self.unexpected("a byte string of definite length", at)),
        }
    }

    fn fixed<const N: usize>(&mut self) -> Res<[u8; N]> {
        let at = self.offset();
        let data = self.bytes()?;
        <[u8; N]>::try_from(data.as_slice()).map_err(|_| self.err(K::WrongLength { expected: N }, at))
    }

    fn address(&mut self) -> Res<Address> {
        Ok(Address::from(self.fixed::<20>()?))
    }

    fn text(&mut self, max: usize) -> Res<String> {
        let (header, at) = self.pull()?;
        let Header::Text(Some(len)) = header else {
            return Err(self.unexpected("a text string of definite length", at));
        };
        if len > max {
            return Err(self.err(K::TextTooLong { max }, at));
        }
        let mut data = self.payload(len, at)?;
        let owned = core::mem::take(&mut *data);
        String::from_utf8(owned).map_err(|e| {
            let mut bad = e.into_bytes();
            zeroize::Zeroize::zeroize(&mut bad);
            ManifestError { kind: K::InvalidUtf8, field: Some(self.field), offset: Some(at) }
        })
    }

    fn u64(&mut self) -> Res<u64> {
        match self.pull()? {
            (Header::Positive(v), _) => Ok(v),
            (_, at) => Err(self.unexpected("an unsigned integer", at)),
        }
    }

    fn uint(&mut self) -> Res<U256> {
        let (header, at) = self.pull()?;
        self.uint_from(header, at)
    }

    fn uint_from(&mut self, header: Header, at: usize) -> Res<U256> {
        match header {
            Header::Positive(v) => Ok(U256::from(v)),
            Header::Tag(tag::BIGPOS) => {
                let data = self.bytes()?;
                U256::try_from_be_slice(&data).ok_or_else(|| self.err(K::NumberTooLarge, at))
            }
            _ => Err(self.unexpected("an unsigned integer", at)),
        }
    }

    fn opt_uint(&mut self) -> Res<Option<U256>> {
        match self.pull()? {
            (Header::Simple(simple::NULL), _) => Ok(None),
            (header, at) => self.uint_from(header, at).map(Some),
        }
    }

    fn opt_u64(&mut self) -> Res<Option<u64>> {
        let at = self.offset();
        match self.opt_uint()? {
            None => Ok(None),
            Some(v) => u64::try_from(v).map(Some).map_err(|_| self.err(K::NumberTooLarge, at)),
        }
    }

    fn opt_u128(&mut self) -> Res<Option<u128>> {
        let at = self.offset();
        match self.opt_uint()? {
            None => Ok(None),
            Some(v) => u128::try_from(v).map(Some).map_err(|_| self.err(K::NumberTooLarge, at)),
        }
    }

    fn array(&mut self, max: usize) -> Res<usize> {
        match self.pull()? {
            (Header::Array(Some(len)), at) => {
                // Every element takes at least one byte, so a longer claim is a lie we need not
                // allocate for.
                if len > max {
                    return Err(self.err(K::TooMany { max }, at));
                }
                if len > self.remaining() {
                    return Err(self.err(K::Truncated, at));
                }
                Ok(len)
            }
            (_, at) => Err(self.unexpected("an array of definite length", at)),
        }
    }

    fn map(&mut self, max: usize) -> Res<usize> {
        match self.pull()? {
            (Header::Map(Some(len)), at) => {
                if len > max {
                    return Err(self.err(K::TooMany { max }, at));
                }
                if len > self.remaining() {
                    return Err(self.err(K::Truncated, at));
                }
                Ok(len)
            }
            (_, at) => Err(self.unexpected("a map of definite length", at)),
        }
    }

    /// Reads a schema map whose keys are exactly `0..keys.len()` in order, calling `value` for
    /// each. Unknown, missing, repeated and out-of-order keys are named.
    fn schema_map(
        &mut self,
        keys: &[&'static str],
        field: impl Fn(&'static str) -> Field,
        value: impl FnMut(&mut Self, usize) -> Res<()>,
    ) -> Res<()> {
        self.schema_map_evolving(keys, keys.len(), field, value)
    }

    /// A map of `keys` by index, ascending: the first `required` keys all present, each later one
    /// present or absent (its callback refuses it holding its default).
    fn schema_map_evolving(
        &mut self,
        keys: &[&'static str],
        required: usize,
        field: impl Fn(&'static str) -> Field,
        mut value: impl FnMut(&mut Self, usize) -> Res<()>,
    ) -> Res<()> {
        let outer = self.field;
        let len = self.map(keys.len().saturating_add(16))?;
        let mut next = 0usize;
        for _ in 0..len {
            let (header, at) = self.pull()?;
            let Header::Positive(k) = header else {
                return Err(self.unexpected("an unsigned integer key", at));
            };
            let Some(name) = usize::try_from(k).ok().and_then(|i| keys.get(i)) else {
                return Err(self.err(K::UnknownKey { key: k }, at));
            };
            self.field = field(name);
            if k < next as u64 {
                return Err(self.err(K::NotCanonical, at));
            }
            if k > next as u64 && next < required {
                let missing = keys.get(next).copied().unwrap_or("?");
                self.field = field(missing);
                return Err(self.err(K::MissingKey, at));
            }
            let index = usize::try_from(k).unwrap_or(usize::MAX);
            value(self, index)?;
            next = index.saturating_add(1);
        }
        if let Some(missing) = keys.get(next).filter(|_| next < required) {
            self.field = field(missing);
            let at = self.offset();
            return Err(self.err(K::MissingKey, at));
        }
        self.field = outer;
        Ok(())
    }
}

/// Decodes a manifest, checking the schema. Canonical byte form is the caller's check.
/// Deepest nesting the well-formedness walk follows (the schema itself nests four levels).
const MAX_WALK_DEPTH: usize = 32;

/// Walks `input` as one CBOR item without interpreting it, in one pass and without allocating
/// for what it reads: the check a manifest gets when its hash is not the approved one, so an
/// unapproved file is never decoded (RFC 8949 §5.3.1 well-formedness; trailing bytes refused).
pub(super) fn well_formed(input: &[u8]) -> Res<()> {
    enum Frame {
        /// Items left in a definite array, map (counted as key + value) or tag.
        Items(u64),
        /// An indefinite array or map: items until a break.
        Open,
        /// An indefinite byte (false) or text (true) string: definite chunks until a break.
        Chunks(bool),
    }
    let mut r =
        Reader { dec: Decoder::from(Slice(input)), total: input.len(), field: Field::top("manifest") };
    let mut stack = alloc::vec![Frame::Items(1)];
    while let Some(top) = stack.last_mut() {
        let breakable = match top {
            Frame::Items(0) => {
                stack.pop();
                continue;
            }
            Frame::Items(n) => {
                *n = n.saturating_sub(1);
                false
            }
            Frame::Open | Frame::Chunks(_) => true,
        };
        let chunks = match stack.last() {
            Some(Frame::Chunks(text)) => Some(*text),
            _ => None,
        };
        let (header, at) = r.pull()?;
        let nested = match (header, chunks) {
            (Header::Break, _) if breakable => {
                stack.pop();
                None
            }
            (Header::Break, _) => return Err(r.err(K::MalformedCbor, at)),
            (Header::Bytes(Some(len)), Some(false)) | (Header::Text(Some(len)), Some(true)) => {
                r.skip(len, at)?;
                None
            }
            (_, Some(_)) => return Err(r.err(K::MalformedCbor, at)),
            (Header::Positive(_) | Header::Negative(_) | Header::Float(_) | Header::Simple(_), None) => None,
            (Header::Bytes(Some(len)) | Header::Text(Some(len)), None) => {
                r.skip(len, at)?;
                None
            }
            (Header::Bytes(None), None) => Some(Frame::Chunks(false)),
            (Header::Text(None), None) => Some(Frame::Chunks(true)),
            (Header::Tag(_), None) => Some(Frame::Items(1)),
            (Header::Array(Some(n)), None) => Some(Frame::Items(u64::try_from(n).unwrap_or(u64::MAX))),
            (Header::Map(Some(n)), None) => {
                Some(Frame::Items(u64::try_from(n).unwrap_or(u64::MAX).saturating_mul(2)))
            }
            (Header::Array(None) | Header::Map(None), None) => Some(Frame::Open),
        };
        if let Some(frame) = nested {
            if stack.len() >= MAX_WALK_DEPTH {
                return Err(r.err(K::MalformedCbor, at));
            }
            stack.push(frame);
        }
    }
    if r.remaining() != 0 {
        let at = r.offset();
        return Err(r.err(K::TrailingBytes, at));
    }
    Ok(())
}

/// The facts an approval signs, read from the first keys of the canonical encoding (format,
/// release, chain id, executor, not_before, expires_at come first, in that order) without reading
/// further: what the quorum check needs of a file it has not yet trusted.
pub(super) fn header(input: &[u8]) -> Res<(String, u64, u64, u64)> {
    let mut r =
        Reader { dec: Decoder::from(Slice(input)), total: input.len(), field: Field::top("manifest") };
    let (h, at) = r.pull()?;
    if !matches!(h, Header::Map(Some(n)) if n >= 6) {
        return Err(r.unexpected("a map of the manifest's keys", at));
    }
    let (mut release, mut chain_id, mut not_before, mut expires_at) = (String::new(), 0, 0, 0);
    for (k, name) in MANIFEST_KEYS.iter().enumerate().take(6) {
        r.field = Field::top(name);
        let (h, at) = r.pull()?;
        if h != Header::Positive(k as u64) {
            return Err(r.err(K::MissingKey, at));
        }
        match k {
            0 => {
                let at = r.offset();
                if r.text(limits::MAX_NAME_BYTES)? != FORMAT_V1 {
                    return Err(r.err(K::UnknownFormat, at));
                }
            }
            1 => release = r.text(limits::MAX_NAME_BYTES)?,
            2 => chain_id = r.u64()?,
            3 => {
                r.address()?;
            }
            4 => not_before = r.u64()?,
            _ => expires_at = r.u64()?,
        }
    }
    Ok((release, chain_id, not_before, expires_at))
}

pub(super) fn decode(input: &[u8]) -> Res<Manifest> {
    let mut r =
        Reader { dec: Decoder::from(Slice(input)), total: input.len(), field: Field::top("manifest") };
    let mut m = Manifest {
        release: String::new(),
        chain_id: 0,
        executor: Address::ZERO,
        not_before: 0,
        expires_at: 0,
        allowed_targets: Vec::new(),
        labels: Vec::new(),
        rollback: Rollback { manifest_hash: B256::ZERO, note: String::new() },
        actions: Vec::new(),
        safes: Vec::new(),
        max_state_age: crate::manifest::effects::DEFAULT_MAX_STATE_AGE,
        code: Vec::new(),
        authority: Vec::new(),
    };
    r.schema_map_evolving(&MANIFEST_KEYS, MANIFEST_REQUIRED_KEYS, Field::top, |r, k| {
        match k {
            0 => {
                let at = r.offset();
                let format = r.text(limits::MAX_NAME_BYTES)?;
                if format != FORMAT_V1 {
                    return Err(r.err(K::UnknownFormat, at));
                }
            }
            1 => m.release = r.text(limits::MAX_NAME_BYTES)?,
            2 => m.chain_id = r.u64()?,
            3 => m.executor = r.address()?,
            4 => m.not_before = r.u64()?,
            5 => m.expires_at = r.u64()?,
            6 => {
                let n = r.array(limits::MAX_TARGETS)?;
                m.allowed_targets.reserve_exact(n);
                for i in 0..n {
                    r.field = Field::item("allowed_targets", i);
                    m.allowed_targets.push(r.address()?);
                }
            }
            7 => {
                let n = r.map(limits::MAX_LABELS)?;
                m.labels.reserve_exact(n);
                for i in 0..n {
                    r.field = Field::item("labels", i);
                    let address = r.address()?;
                    m.labels.push((address, r.text(limits::MAX_NAME_BYTES)?));
                }
            }
            8 => {
                let sub = |name| Field::top("rollback").sub(name);
                r.schema_map(&ROLLBACK_KEYS, sub, |r, k| {
                    match k {
                        0 => m.rollback.manifest_hash = B256::from(r.fixed::<32>()?),
                        _ => m.rollback.note = r.text(limits::MAX_NOTE_BYTES)?,
                    }
                    Ok(())
                })?;
            }
            9 => {
                let n = r.array(limits::MAX_ACTIONS)?;
                m.actions.reserve_exact(n);
                for i in 0..n {
                    r.field = Field::item("actions", i);
                    m.actions.push(read_action(r, i)?);
                }
            }
            11 => m.max_state_age = effects::read_max_state_age(r)?,
            12 => m.code = effects::read_code(r)?,
            13 => m.authority = effects::read_authority(r)?,
            _ => {
                let n = r.array(limits::MAX_SAFES)?;
                m.safes.reserve_exact(n);
                for i in 0..n {
                    r.field = Field::item("safes", i);
                    m.safes.push(read_safe(r, i)?);
                }
            }
        }
        Ok(())
    })?;
    if r.remaining() != 0 {
        let at = r.offset();
        r.field = Field::top("manifest");
        return Err(r.err(K::TrailingBytes, at));
    }
    Ok(m)
}

fn read_action(r: &mut Reader<'_>, index: usize) -> Res<Action> {
    let mut a = Action {
        name: String::new(),
        kind: ActionKind::Call,
        to: Address::ZERO,
        value: U256::ZERO,
        data: Vec::new(),
        nonce: None,
        gas_limit_max: None,
        max_fee_per_gas_max: None,
        max_priority_fee_per_gas_max: None,
        authorizations: Vec::new(),
        replaceable: false,
        abi: Vec::new(),
        approved_hashes: Vec::new(),
        safe_tx: None,
        expect: Default::default(),
        layout: None,
    };
    let mut safe: Option<SafeActionFields> = None;
    let field = move |name| Field::item("actions", index).sub(name);
    r.schema_map_evolving(&ACTION_KEYS, ACTION_REQUIRED_KEYS, field, |r, k| {
        match k {
            0 => a.name = r.text(limits::MAX_NAME_BYTES)?,
            1 => {
                let at = r.offset();
                let kind = r.text(limits::MAX_NAME_BYTES)?;
                a.kind = ActionKind::parse(&kind).ok_or_else(|| r.err(K::UnknownActionKind, at))?;
            }
            2 => a.to = r.address()?,
            3 => a.value = r.uint()?,
            4 => {
                let mut data = r.bytes()?;
                a.data = core::mem::take(&mut *data);
            }
            5 => a.nonce = r.opt_u64()?,
            6 => a.gas_limit_max = r.opt_u64()?,
            7 => a.max_fee_per_gas_max = r.opt_u128()?,
            8 => a.max_priority_fee_per_gas_max = r.opt_u128()?,
            10 => {
                // Written only when true: `false` here would be a second encoding of the default.
                let at = r.offset();
                match r.pull()? {
                    (Header::Simple(simple::TRUE), _) => a.replaceable = true,
                    (Header::Simple(simple::FALSE), _) => return Err(r.err(K::NotCanonical, at)),
                    (_, at) => return Err(r.unexpected("true", at)),
                }
            }
            11 => {
                let at = r.offset();
                let n = r.array(limits::MAX_ABI_ENTRIES)?;
                if n == 0 {
                    // Written only when not empty: `[]` would be a second encoding of the default.
                    return Err(r.err(K::NotCanonical, at));
                }
                a.abi.reserve_exact(n);
                for _ in 0..n {
                    a.abi.push(r.text(limits::MAX_NAME_BYTES)?);
                }
            }
            20 => {
                // Only a Safe action's (key 12 first), and written only when not empty.
                let at = r.offset();
                if safe.is_none() {
                    return Err(r.err(K::NotForThisKind, at));
                }
                let n = r.array(limits::MAX_SAFE_OWNERS)?;
                if n == 0 {
                    return Err(r.err(K::NotCanonical, at));
                }
                a.approved_hashes.reserve_exact(n);
                for _ in 0..n {
                    a.approved_hashes.push(r.address()?);
                }
            }
            21 => a.expect = effects::read_expect(r, index)?,
            22 => {
                let at = r.offset();
                if r.array(4)? != 4 {
                    return Err(r.unexpected("[old_digest, new_digest, compatible, allow_layout_change]", at));
                }
                let old_digest = B256::from(r.fixed::<32>()?);
                let new_digest = B256::from(r.fixed::<32>()?);
                let compatible = match r.pull()? {
                    (Header::Simple(simple::TRUE), _) => true,
                    (Header::Simple(simple::FALSE), _) => false,
                    (_, at) => return Err(r.unexpected("true or false", at)),
                };
                let allowed_change = r.text(limits::MAX_NOTE_BYTES)?;
                a.layout = Some(LayoutRecord { old_digest, new_digest, compatible, allowed_change });
            }
            12..=19 => {
                // Key 12 (the Safe) comes first; a later Safe key without it is no Safe action's.
                let at = r.offset();
                let fields = match (k, safe.as_mut()) {
                    (12, _) => safe.insert(SafeActionFields::through(r.address()?)),
                    (_, Some(fields)) => fields,
                    (_, None) => return Err(r.err(K::NotForThisKind, at)),
                };
                // Written only when not the default: a zero here would be a second encoding.
                match k {
                    12 => {}
                    19 => fields.approves = Some(r.u64()?),
                    17 | 18 => {
                        let address = r.address()?;
                        if address == Address::ZERO {
                            return Err(r.err(K::NotCanonical, at));
                        }
                        if k == 17 { fields.gas_token = address } else { fields.refund_receiver = address }
                    }
                    _ => {
                        let v = r.uint()?;
                        if v.is_zero() {
                            return Err(r.err(K::NotCanonical, at));
                        }
                        match k {
                            13 => {
                                fields.operation =
                                    u8::try_from(v).ok().filter(|o| *o == 1).ok_or_else(|| {
                                        r.err(
                                            K::UnexpectedType { expected: "operation 1 (0 is not written)" },
                                            at,
                                        )
                                    })?
                            }
                            14 => fields.safe_tx_gas = v,
                            15 => fields.base_gas = v,
                            _ => fields.gas_price = v,
                        }
                    }
                }
            }
            _ => {
                let n = r.array(limits::MAX_AUTHORIZATIONS)?;
                a.authorizations.reserve_exact(n);
                for _ in 0..n {
                    let at = r.offset();
                    if r.array(3)? != 3 {
                        return Err(r.err(K::UnexpectedType { expected: "[chain_id, address, nonce]" }, at));
                    }
                    let chain_id = r.uint()?;
                    let address = r.address()?;
                    let nonce = r.u64()?;
                    a.authorizations.push(AuthorizationBound { chain_id, address, nonce });
                }
            }
        }
        Ok(())
    })?;
    a.safe_tx = safe;
    Ok(a)
}

fn read_safe(r: &mut Reader<'_>, index: usize) -> Res<SafeDecl> {
    let mut s = SafeDecl {
        address: Address::ZERO,
        version: SafeVersion::V1_4_1,
        l2: false,
        owners: Vec::new(),
        threshold: 0,
        delegatecall_allowed: Vec::new(),
        owned_by: None,
    };
    let field = move |name| Field::item("safes", index).sub(name);
    r.schema_map(&SAFE_KEYS, field, |r, k| {
        match k {
            0 => s.address = r.address()?,
            1 => {
                let at = r.offset();
                let text = r.text(limits::MAX_NAME_BYTES)?;
                let (version, l2) = SafeVersion::parse(&text)
                    .ok_or_else(|| r.err(K::BadSafe { rule: "not a Safe version this tool knows" }, at))?;
                s.version = version;
                s.l2 = l2;
            }
            2 | 4 => {
                let n = r.array(if k == 2 { limits::MAX_SAFE_OWNERS } else { limits::MAX_TARGETS })?;
                let list = if k == 2 { &mut s.owners } else { &mut s.delegatecall_allowed };
                list.reserve_exact(n);
                for _ in 0..n {
                    list.push(r.address()?);
                }
            }
            3 => s.threshold = r.u64()?,
            _ => {
                let at = r.offset();
                s.owned_by = match r.pull()? {
                    (Header::Simple(simple::NULL), _) => None,
                    (Header::Bytes(Some(len)), _) => {
                        let data = r.payload(len, at)?;
                        let outer = <[u8; 20]>::try_from(data.as_slice())
                            .map_err(|_| r.err(K::WrongLength { expected: 20 }, at))?;
                        Some(Address::from(outer))
                    }
                    (_, at) => return Err(r.unexpected("bytes(20) or null", at)),
                };
            }
        }
        Ok(())
    })?;
    Ok(s)
}
