//! The state witness file: one block header, the simulation's timestamp, and EIP-1186 proofs of
//! every account and slot a replay may read, with the code those accounts hold; after execution,
//! also the block's raw transactions and receipts. Canonical CBOR, decoded strictly and
//! re-encoded to the same bytes or refused, as manifests and bundles are.
//!
//! ```text
//! witness = { 0: "bounded-signer/witness/v1", 1: [+ entry] }
//! entry   = [kind uint, body]
//!   0 header       bytes: the block header's RLP                        exactly one
//!   1 timestamp    uint: the simulated block's timestamp T              exactly one
//!   2 account      { 0: address bytes(20),
//!                    1: [nonce uint, balance bytes(32), storage_root bytes(32),
//!                        code_hash bytes(32)] or null (proven absent),
//!                    2: [* bytes] account proof nodes,
//!                    3: [* [slot bytes(32), value bytes(32), [* bytes] proof nodes]] }
//!                                                         ascending by address, slots by slot
//!   3 code         bytes: runtime code                  ascending by keccak256, each once
//!   4 transaction  bytes: a raw (EIP-2718) transaction of the block, in block order
//!   5 receipt      bytes: its EIP-2718 receipt, in block order, one per transaction
//! ```
//!
//! Entries are typed, so later kinds join without a format change; a kind this version does not
//! know is refused, never skipped. Nothing here is trusted: [`crate::proof`] proves every value
//! against the header, and the header against the block hash the signer typed.

use std::fmt;

use alloy_primitives::{Address, B256, U256, keccak256};
use ciborium_ll::{Decoder, Encoder, Header};

/// The format text.
pub const FORMAT_V1: &str = "bounded-signer/witness/v1";
/// Largest witness file accepted (a bundle must be able to carry it).
pub const MAX_WITNESS_BYTES: usize = 8 << 20;
/// Most accounts one witness may prove.
pub const MAX_ACCOUNTS: usize = 4096;
/// Most slots one account's entry may prove.
pub const MAX_SLOTS: usize = 8192;
/// Most nodes one proof may have (a path through a trie of 2^256 keys has at most 64 levels).
pub const MAX_PROOF_NODES: usize = 64;
/// Largest trie node (a full branch of 17 hashes is 532 bytes).
pub const MAX_NODE_BYTES: usize = 1024;
/// Largest code (EIP-170 allows 24,576 bytes; a later fork may raise it).
pub const MAX_CODE_BYTES: usize = 256 << 10;
/// Most codes one witness may carry.
pub const MAX_CODES: usize = 4096;
/// Most transactions (and receipts) of one block.
pub const MAX_BLOCK_TXS: usize = 65_536;
/// Largest header, transaction or receipt.
pub const MAX_ITEM_BYTES: usize = 1 << 20;

/// An account as the state trie holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountState {
    /// Its nonce.
    pub nonce: u64,
    /// Its balance in wei.
    pub balance: U256,
    /// The root of its storage trie.
    pub storage_root: B256,
    /// keccak256 of its code.
    pub code_hash: B256,
}

/// A slot of an account's storage and its proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlotProof {
    /// The slot.
    pub slot: B256,
    /// Its value (zero for a slot proven absent).
    pub value: U256,
    /// Storage trie nodes from the root to the slot.
    pub proof: Vec<Vec<u8>>,
}

/// An account, proven present with its state or proven absent, and its proven slots.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountProof {
    /// The account.
    pub address: Address,
    /// Its state; `None` when the proof shows there is no such account.
    pub state: Option<AccountState>,
    /// State trie nodes from the root to the account.
    pub proof: Vec<Vec<u8>>,
    /// Strictly ascending by slot.
    pub storage: Vec<SlotProof>,
}

/// The block a post-execution witness describes: its raw transactions and their receipts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BlockBody {
    /// EIP-2718 encodings, in block order.
    pub transactions: Vec<Vec<u8>>,
    /// EIP-2718 receipt encodings, one per transaction.
    pub receipts: Vec<Vec<u8>>,
}

impl BlockBody {
    /// The index of the transaction whose EIP-2718 bytes hash to `tx_hash`.
    pub fn position(&self, tx_hash: B256) -> Option<usize> {
        self.transactions.iter().position(|t| keccak256(t) == tx_hash)
    }

    /// The receipt at `index`, decoded exactly; `None` when there is none or it is not one.
    pub fn receipt(&self, index: usize) -> Option<alloy_consensus::ReceiptEnvelope> {
        let bytes = self.receipts.get(index)?;
        alloy_eips::eip2718::Decodable2718::decode_2718_exact(bytes.as_slice()).ok()
    }
}

/// A decoded witness (unproven: see [`crate::proof::verify`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Witness {
    /// The block header's RLP.
    pub header: Vec<u8>,
    /// The simulated block's timestamp.
    pub timestamp: u64,
    /// Strictly ascending by address.
    pub accounts: Vec<AccountProof>,
    /// Strictly ascending by keccak256.
    pub codes: Vec<Vec<u8>>,
    /// The block's transactions and receipts (a post-execution witness); empty otherwise.
    pub block: BlockBody,
}

/// Why bytes are not a witness.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{problem}{}", offset.map(|o| format!(" (at byte {o})")).unwrap_or_default())]
pub struct WitnessFormatError {
    /// What is wrong.
    pub problem: FormatProblem,
    /// Where, when decoding.
    pub offset: Option<usize>,
}

/// The kinds of [`WitnessFormatError`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FormatProblem {
    /// Larger than [`MAX_WITNESS_BYTES`].
    TooLarge,
    /// Not the structure of the module docs (what was expected).
    Malformed(&'static str),
    /// Not `bounded-signer/witness/v1`.
    UnknownFormat,
    /// An entry kind this version does not know.
    UnknownKind(u64),
    /// A count or size over its limit (which one).
    OverLimit(&'static str),
    /// A rule of the structure is broken (which one).
    Rule(&'static str),
    /// The bytes decode, but not as the one canonical encoding.
    NotCanonical,
}

impl fmt::Display for FormatProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FormatProblem::TooLarge => write!(f, "larger than a witness may be ({MAX_WITNESS_BYTES} bytes)"),
            FormatProblem::Malformed(what) => write!(f, "not a witness: expected {what}"),
            FormatProblem::UnknownFormat => write!(f, "not a {FORMAT_V1} file"),
            FormatProblem::UnknownKind(k) => write!(f, "entry kind {k} is unknown to this version"),
            FormatProblem::OverLimit(what) => write!(f, "over the limit: {what}"),
            FormatProblem::Rule(rule) => f.write_str(rule),
            FormatProblem::NotCanonical => f.write_str(
                "not the canonical encoding (entries by kind and key, shortest heads, definite lengths)",
            ),
        }
    }
}

const KIND_HEADER: u64 = 0;
const KIND_TIMESTAMP: u64 = 1;
const KIND_ACCOUNT: u64 = 2;
const KIND_CODE: u64 = 3;
const KIND_TRANSACTION: u64 = 4;
const KIND_RECEIPT: u64 = 5;

impl Witness {
    /// A witness from entries in any order and with repeats, as a collector gathers them:
    /// accounts ascending (an account given twice keeps its first proof and the union of its
    /// slots), slots ascending, codes ascending by keccak256, each once.
    pub fn assemble(
        header: Vec<u8>,
        timestamp: u64,
        accounts: impl IntoIterator<Item = AccountProof>,
        codes: impl IntoIterator<Item = Vec<u8>>,
        block: BlockBody,
    ) -> Witness {
        let mut by_address: std::collections::BTreeMap<Address, AccountProof> = Default::default();
        for account in accounts {
            match by_address.entry(account.address) {
                std::collections::btree_map::Entry::Vacant(v) => {
                    v.insert(account);
                }
                std::collections::btree_map::Entry::Occupied(mut o) => {
                    o.get_mut().storage.extend(account.storage)
                }
            }
        }
        let accounts = by_address
            .into_values()
            .map(|mut a| {
                a.storage.sort_by_key(|s| s.slot);
                a.storage.dedup_by_key(|s| s.slot);
                a
            })
            .collect();
        let codes: std::collections::BTreeMap<B256, Vec<u8>> =
            codes.into_iter().map(|c| (keccak256(&c), c)).collect();
        Witness { header, timestamp, accounts, codes: codes.into_values().collect(), block }
    }

    /// Checks the structure's rules: orders, counts, limits, receipts matching transactions.
    pub fn validate(&self) -> Result<(), WitnessFormatError> {
        let rule = |r| Err(WitnessFormatError { problem: FormatProblem::Rule(r), offset: None });
        let over = |r| Err(WitnessFormatError { problem: FormatProblem::OverLimit(r), offset: None });
        if self.header.is_empty() || self.header.len() > MAX_ITEM_BYTES {
            return over("the header is empty or over 1 MiB");
        }
        if self.accounts.len() > MAX_ACCOUNTS {
            return over("more than 4096 accounts");
        }
        if !self.accounts.windows(2).all(|w| w[0].address < w[1].address) {
            return rule("accounts must be strictly ascending by address");
        }
        for account in &self.accounts {
            if account.storage.len() > MAX_SLOTS {
                return over("more than 8192 slots in one account");
            }
            if !account.storage.windows(2).all(|w| w[0].slot < w[1].slot) {
                return rule("an account's slots must be strictly ascending");
            }
            let proofs = std::iter::once(&account.proof).chain(account.storage.iter().map(|s| &s.proof));
            for proof in proofs {
                if proof.len() > MAX_PROOF_NODES
                    || proof.iter().any(|n| n.is_empty() || n.len() > MAX_NODE_BYTES)
                {
                    return over("a proof of more than 64 nodes, or an empty or over-long node");
                }
            }
            if account.state.is_none() && account.storage.iter().any(|s| !s.value.is_zero()) {
                return rule("an absent account has no storage values");
            }
        }
        if self.codes.len() > MAX_CODES || self.codes.iter().any(|c| c.len() > MAX_CODE_BYTES) {
            return over("more than 4096 codes, or a code over 256 KiB");
        }
        let hashes: Vec<B256> = self.codes.iter().map(keccak256).collect();
        if !hashes.windows(2).all(|w| w[0] < w[1]) {
            return rule("codes must be strictly ascending by keccak256, each once");
        }
        let block = &self.block;
        if block.transactions.len() > MAX_BLOCK_TXS
            || block
                .transactions
                .iter()
                .chain(&block.receipts)
                .any(|t| t.is_empty() || t.len() > MAX_ITEM_BYTES)
        {
            return over("more than 65536 transactions, or an empty or over-long one or receipt");
        }
        if block.transactions.len() != block.receipts.len() {
            return rule("one receipt per transaction");
        }
        Ok(())
    }

    /// The canonical bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut enc = Encoder::from(&mut out);
        let entries = 2 + self.accounts.len() + self.codes.len() + 2 * self.block.transactions.len();
        // Writing to a vector cannot fail.
        let head = |enc: &mut Encoder<&mut Vec<u8>>, h: Header| {
            let _ = enc.push(h);
        };
        head(&mut enc, Header::Map(Some(2)));
        head(&mut enc, Header::Positive(0));
        text(&mut enc, FORMAT_V1);
        head(&mut enc, Header::Positive(1));
        head(&mut enc, Header::Array(Some(entries)));
        entry(&mut enc, KIND_HEADER);
        bytes(&mut enc, &self.header);
        entry(&mut enc, KIND_TIMESTAMP);
        head(&mut enc, Header::Positive(self.timestamp));
        for account in &self.accounts {
            entry(&mut enc, KIND_ACCOUNT);
            head(&mut enc, Header::Map(Some(4)));
            head(&mut enc, Header::Positive(0));
            bytes(&mut enc, account.address.as_slice());
            head(&mut enc, Header::Positive(1));
            match &account.state {
                Some(s) => {
                    head(&mut enc, Header::Array(Some(4)));
                    head(&mut enc, Header::Positive(s.nonce));
                    bytes(&mut enc, &s.balance.to_be_bytes::<32>());
                    bytes(&mut enc, s.storage_root.as_slice());
                    bytes(&mut enc, s.code_hash.as_slice());
                }
                None => head(&mut enc, Header::Simple(ciborium_ll::simple::NULL)),
            }
            head(&mut enc, Header::Positive(2));
            nodes(&mut enc, &account.proof);
            head(&mut enc, Header::Positive(3));
            head(&mut enc, Header::Array(Some(account.storage.len())));
            for slot in &account.storage {
                head(&mut enc, Header::Array(Some(3)));
                bytes(&mut enc, slot.slot.as_slice());
                bytes(&mut enc, &slot.value.to_be_bytes::<32>());
                nodes(&mut enc, &slot.proof);
            }
        }
        for code in &self.codes {
            entry(&mut enc, KIND_CODE);
            bytes(&mut enc, code);
        }
        for tx in &self.block.transactions {
            entry(&mut enc, KIND_TRANSACTION);
            bytes(&mut enc, tx);
        }
        for receipt in &self.block.receipts {
            entry(&mut enc, KIND_RECEIPT);
            bytes(&mut enc, receipt);
        }
        out
    }

    /// Decodes a witness file: strictly, within the limits, in one pass; refused unless it is
    /// the canonical encoding of a witness that keeps the rules.
    pub fn from_bytes(input: &[u8]) -> Result<Self, WitnessFormatError> {
        if input.len() > MAX_WITNESS_BYTES {
            return Err(WitnessFormatError { problem: FormatProblem::TooLarge, offset: None });
        }
        let mut r = Reader { dec: Decoder::from(input), total: input.len() };
        let witness = r.witness()?;
        let end = r.offset();
        if end != input.len() {
            return Err(r.at(FormatProblem::Malformed("nothing after the witness"), end));
        }
        witness.validate()?;
        if witness.to_bytes() != input {
            return Err(WitnessFormatError { problem: FormatProblem::NotCanonical, offset: None });
        }
        Ok(witness)
    }
}

fn text(enc: &mut Encoder<&mut Vec<u8>>, s: &str) {
    let _ = enc.text(s, None);
}

fn bytes(enc: &mut Encoder<&mut Vec<u8>>, b: &[u8]) {
    let _ = enc.bytes(b, None);
}

fn entry(enc: &mut Encoder<&mut Vec<u8>>, kind: u64) {
    let _ = enc.push(Header::Array(Some(2)));
    let _ = enc.push(Header::Positive(kind));
}

fn nodes(enc: &mut Encoder<&mut Vec<u8>>, proof: &[Vec<u8>]) {
    let _ = enc.push(Header::Array(Some(proof.len())));
    for node in proof {
        bytes(enc, node);
    }
}

struct Reader<'a> {
    dec: Decoder<&'a [u8]>,
    total: usize,
}

type Res<T> = Result<T, WitnessFormatError>;

impl Reader<'_> {
    fn offset(&mut self) -> usize {
        self.dec.offset()
    }

    fn at(&self, problem: FormatProblem, offset: usize) -> WitnessFormatError {
        WitnessFormatError { problem, offset: Some(offset) }
    }

    fn pull(&mut self, expected: &'static str) -> Res<(Header, usize)> {
        let at = self.offset();
        self.dec.pull().map(|h| (h, at)).map_err(|_| self.at(FormatProblem::Malformed(expected), at))
    }

    fn uint(&mut self, what: &'static str) -> Res<u64> {
        match self.pull(what)? {
            (Header::Positive(v), _) => Ok(v),
            (_, at) => Err(self.at(FormatProblem::Malformed(what), at)),
        }
    }

    /// A definite array of at most `max` items (each at least a byte, so a longer claim than
    /// the input left is refused before anything is allocated for it).
    fn array(&mut self, max: usize, what: &'static str) -> Res<usize> {
        match self.pull(what)? {
            (Header::Array(Some(n)), at) => {
                if n > max || n > self.total.saturating_sub(self.offset()) {
                    return Err(self.at(FormatProblem::OverLimit(what), at));
                }
                Ok(n)
            }
            (_, at) => Err(self.at(FormatProblem::Malformed(what), at)),
        }
    }

    fn bytes(&mut self, max: usize, what: &'static str) -> Res<Vec<u8>> {
        match self.pull(what)? {
            (Header::Bytes(Some(n)), at) => {
                if n > max || n > self.total.saturating_sub(self.offset()) {
                    return Err(self.at(FormatProblem::OverLimit(what), at));
                }
                let mut out = vec![0u8; n];
                ciborium_io::Read::read_exact(&mut self.dec, &mut out)
                    .map_err(|_| self.at(FormatProblem::Malformed(what), at))?;
                Ok(out)
            }
            (_, at) => Err(self.at(FormatProblem::Malformed(what), at)),
        }
    }

    fn fixed<const N: usize>(&mut self, what: &'static str) -> Res<[u8; N]> {
        let at = self.offset();
        let b = self.bytes(N, what)?;
        <[u8; N]>::try_from(b.as_slice()).map_err(|_| self.at(FormatProblem::Malformed(what), at))
    }

    fn key(&mut self, expected: u64) -> Res<()> {
        match self.pull("a map key")? {
            (Header::Positive(k), _) if k == expected => Ok(()),
            (_, at) => Err(self.at(FormatProblem::Malformed("the next key of the map, in order"), at)),
        }
    }

    fn nodes(&mut self) -> Res<Vec<Vec<u8>>> {
        let n = self.array(MAX_PROOF_NODES, "a proof: an array of at most 64 nodes")?;
        (0..n).map(|_| self.bytes(MAX_NODE_BYTES, "a proof node of at most 1024 bytes")).collect()
    }

    fn witness(&mut self) -> Res<Witness> {
        match self.pull("a map {0: format, 1: entries}")? {
            (Header::Map(Some(2)), _) => {}
            (_, at) => return Err(self.at(FormatProblem::Malformed("a map {0: format, 1: entries}"), at)),
        }
        self.key(0)?;
        let at = self.offset();
        let format = self.bytes_text(64)?;
        if format != FORMAT_V1 {
            return Err(self.at(FormatProblem::UnknownFormat, at));
        }
        self.key(1)?;
        let limit = 2 + MAX_ACCOUNTS + MAX_CODES + 2 * MAX_BLOCK_TXS;
        let n = self.array(limit, "the entries")?;
        let mut header = None;
        let mut timestamp = None;
        let mut w = Witness {
            header: Vec::new(),
            timestamp: 0,
            accounts: Vec::new(),
            codes: Vec::new(),
            block: BlockBody::default(),
        };
        let mut last_kind = 0u64;
        for _ in 0..n {
            let at = self.offset();
            if self.array(2, "an entry [kind, body]")? != 2 {
                return Err(self.at(FormatProblem::Malformed("an entry [kind, body]"), at));
            }
            let kind = self.uint("an entry kind")?;
            if kind < last_kind {
                return Err(self.at(FormatProblem::NotCanonical, at));
            }
            last_kind = kind;
            match kind {
                KIND_HEADER if header.is_none() => {
                    header = Some(self.bytes(MAX_ITEM_BYTES, "the header's RLP")?)
                }
                KIND_TIMESTAMP if timestamp.is_none() => timestamp = Some(self.uint("the timestamp")?),
                KIND_HEADER | KIND_TIMESTAMP => {
                    return Err(self.at(FormatProblem::Rule("exactly one header and one timestamp"), at));
                }
                KIND_ACCOUNT => {
                    if w.accounts.len() >= MAX_ACCOUNTS {
                        return Err(self.at(FormatProblem::OverLimit("more than 4096 accounts"), at));
                    }
                    w.accounts.push(self.account()?);
                }
                KIND_CODE => w.codes.push(self.bytes(MAX_CODE_BYTES, "code of at most 256 KiB")?),
                KIND_TRANSACTION => {
                    w.block.transactions.push(self.bytes(MAX_ITEM_BYTES, "a raw transaction")?)
                }
                KIND_RECEIPT => w.block.receipts.push(self.bytes(MAX_ITEM_BYTES, "a receipt")?),
                other => return Err(self.at(FormatProblem::UnknownKind(other), at)),
            }
        }
        match (header, timestamp) {
            (Some(h), Some(t)) => {
                w.header = h;
                w.timestamp = t;
                Ok(w)
            }
            _ => Err(WitnessFormatError {
                problem: FormatProblem::Rule("exactly one header and one timestamp"),
                offset: None,
            }),
        }
    }

    fn bytes_text(&mut self, max: usize) -> Res<String> {
        match self.pull("the format text")? {
            (Header::Text(Some(n)), at) if n <= max && n <= self.total.saturating_sub(self.offset()) => {
                let mut out = vec![0u8; n];
                ciborium_io::Read::read_exact(&mut self.dec, &mut out)
                    .map_err(|_| self.at(FormatProblem::Malformed("the format text"), at))?;
                String::from_utf8(out).map_err(|_| self.at(FormatProblem::UnknownFormat, at))
            }
            (_, at) => Err(self.at(FormatProblem::Malformed("the format text"), at)),
        }
    }

    fn account(&mut self) -> Res<AccountProof> {
        match self.pull("an account map of 4 keys")? {
            (Header::Map(Some(4)), _) => {}
            (_, at) => return Err(self.at(FormatProblem::Malformed("an account map of 4 keys"), at)),
        }
        self.key(0)?;
        let address = Address::from(self.fixed::<20>("an address of 20 bytes")?);
        self.key(1)?;
        let state = match self.pull("the account state or null")? {
            (Header::Simple(ciborium_ll::simple::NULL), _) => None,
            (Header::Array(Some(4)), _) => Some(AccountState {
                nonce: self.uint("the nonce")?,
                balance: U256::from_be_bytes(self.fixed::<32>("a balance of 32 bytes")?),
                storage_root: B256::from(self.fixed::<32>("a storage root of 32 bytes")?),
                code_hash: B256::from(self.fixed::<32>("a code hash of 32 bytes")?),
            }),
            (_, at) => return Err(self.at(FormatProblem::Malformed("the account state or null"), at)),
        };
        self.key(2)?;
        let proof = self.nodes()?;
        self.key(3)?;
        let n = self.array(MAX_SLOTS, "the slots")?;
        let mut storage = Vec::with_capacity(n);
        for _ in 0..n {
            let at = self.offset();
            if self.array(3, "a slot [slot, value, proof]")? != 3 {
                return Err(self.at(FormatProblem::Malformed("a slot [slot, value, proof]"), at));
            }
            storage.push(SlotProof {
                slot: B256::from(self.fixed::<32>("a slot of 32 bytes")?),
                value: U256::from_be_bytes(self.fixed::<32>("a value of 32 bytes")?),
                proof: self.nodes()?,
            });
        }
        Ok(AccountProof { address, state, proof, storage })
    }
}

#[cfg(test)]
mod tests;
