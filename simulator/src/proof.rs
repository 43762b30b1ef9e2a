//! Proving a witness against the block hash the signer typed: the header must hash to it, every
//! account and slot must be proven against the header's state root (absence included), and every
//! code must be the code of a proven account. What comes out is the only state a replay may read;
//! anything it does not hold is unproven, never a silent zero.

use std::collections::{BTreeMap, HashMap};

use alloy_consensus::Header;
use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_rlp::Decodable;
use alloy_trie::{EMPTY_ROOT_HASH, KECCAK_EMPTY, Nibbles, TrieAccount, proof::verify_proof};

use crate::witness::{AccountState, BlockBody, Witness};

/// Why a witness does not prove what it claims (`witness_invalid`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WitnessInvalid {
    /// The header hashes to another block hash.
    #[error("the header hashes to {got}, not the block hash {expected} you typed")]
    HeaderHash {
        /// The typed block hash.
        expected: B256,
        /// keccak256 of the header.
        got: B256,
    },
    /// The header's bytes are not one header's canonical RLP.
    #[error("the header is not a block header's RLP")]
    HeaderMalformed,
    /// An account's proof fails against the state root.
    #[error("the proof of account {address} fails against the state root: {why}")]
    Account {
        /// The account.
        address: Address,
        /// What the trie said.
        why: String,
    },
    /// A slot's proof fails against its account's storage root.
    #[error("the proof of slot {slot} of {address} fails against its storage root: {why}")]
    Slot {
        /// The account.
        address: Address,
        /// The slot.
        slot: B256,
        /// What the trie said.
        why: String,
    },
    /// A slot of an account proven absent, or with an empty storage root, holds a value.
    #[error("slot {slot} of {address} claims a value, but the account has no storage")]
    SlotOfEmptyStorage {
        /// The account.
        address: Address,
        /// The slot.
        slot: B256,
    },
    /// A code no proven account holds: nothing vouches for it.
    #[error("a code with hash {hash} is the code of no proven account")]
    UnprovenCode {
        /// Its keccak256.
        hash: B256,
    },
    /// The block's transactions or receipts do not rebuild the root the header names.
    #[error("the block's {what} rebuild the root {computed}, not the header's {header}")]
    BlockRoot {
        /// `transactions` or `receipts`.
        what: &'static str,
        /// The root of the witness's items.
        computed: B256,
        /// The header's root.
        header: B256,
    },
}

/// A proven account: its state (or its proven absence), its proven slots, its code when given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProvenAccount {
    /// `None`: proven not to exist.
    pub state: Option<AccountState>,
    /// Proven slot values.
    pub slots: BTreeMap<B256, U256>,
    /// Its code, when the witness carries it (empty code needs none).
    pub code: Option<Bytes>,
}

/// What the witness did not prove (`witness_incomplete` when a replay needs it).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Unproven {
    /// An account not in the witness.
    #[error("account {0} is not in the witness")]
    Account(Address),
    /// A slot not in the witness, of an account with storage.
    #[error("slot {1} of {0} is not in the witness")]
    Slot(Address, B256),
    /// The code of an account whose code hash is proven, but whose code is not carried.
    #[error("the code of {0} is not in the witness")]
    Code(Address),
    /// Code by a hash no proven account holds.
    #[error("code with hash {0} is not in the witness")]
    CodeHash(B256),
    /// The hash of a block other than the parent (BLOCKHASH reaches only the parent).
    #[error("the hash of block {0} is not in the witness (only the parent's is)")]
    BlockHash(u64),
}

/// State proven against one block: all a replay may read.
#[derive(Clone, Debug)]
pub struct ProvenState {
    /// The header the state is proven against.
    pub header: Header,
    /// Its hash (the one the signer typed).
    pub block_hash: B256,
    /// The simulated block's timestamp.
    pub timestamp: u64,
    accounts: BTreeMap<Address, ProvenAccount>,
}

impl ProvenState {
    /// An account's state; `Ok(None)` when proven absent.
    pub fn account(&self, address: &Address) -> Result<Option<&AccountState>, Unproven> {
        self.accounts.get(address).map(|a| a.state.as_ref()).ok_or(Unproven::Account(*address))
    }

    /// A slot's value: proven in the witness, or zero because the account has no storage.
    pub fn storage(&self, address: &Address, slot: &B256) -> Result<U256, Unproven> {
        let account = self.accounts.get(address).ok_or(Unproven::Account(*address))?;
        if let Some(value) = account.slots.get(slot) {
            return Ok(*value);
        }
        match &account.state {
            None => Ok(U256::ZERO),
            Some(s) if s.storage_root == EMPTY_ROOT_HASH => Ok(U256::ZERO),
            Some(_) => Err(Unproven::Slot(*address, *slot)),
        }
    }

    /// An account's code: empty for an absent account or one without code.
    pub fn code(&self, address: &Address) -> Result<Bytes, Unproven> {
        let account = self.accounts.get(address).ok_or(Unproven::Account(*address))?;
        match &account.state {
            None => Ok(Bytes::new()),
            Some(s) if s.code_hash == KECCAK_EMPTY => Ok(Bytes::new()),
            Some(_) => account.code.clone().ok_or(Unproven::Code(*address)),
        }
    }

    /// Code by its hash, when a proven account holds it and the witness carries it.
    pub fn code_by_hash(&self, hash: &B256) -> Result<Bytes, Unproven> {
        if *hash == KECCAK_EMPTY {
            return Ok(Bytes::new());
        }
        self.accounts
            .values()
            .find(|a| a.state.is_some_and(|s| s.code_hash == *hash))
            .and_then(|a| a.code.clone())
            .ok_or(Unproven::CodeHash(*hash))
    }

    /// Every proven account.
    pub fn accounts(&self) -> impl Iterator<Item = (&Address, &ProvenAccount)> {
        self.accounts.iter()
    }
}

/// The header of a witness, and that it is the one the signer typed the hash of.
pub fn header_of(witness: &Witness, block_hash: B256) -> Result<Header, WitnessInvalid> {
    let got = keccak256(&witness.header);
    if got != block_hash {
        return Err(WitnessInvalid::HeaderHash { expected: block_hash, got });
    }
    let mut rest = witness.header.as_slice();
    let header = Header::decode(&mut rest).map_err(|_| WitnessInvalid::HeaderMalformed)?;
    if !rest.is_empty() || alloy_rlp::encode(&header) != witness.header {
        return Err(WitnessInvalid::HeaderMalformed);
    }
    Ok(header)
}

/// Proves a post-execution block body against its (proven) header: its raw
/// transactions and its receipts, in block order, rebuild the header's transactions root and
/// receipts root (trie keys rlp(index), values the EIP-2718 bytes). An empty body proves an empty
/// block only.
pub fn verify_block(body: &BlockBody, header: &Header) -> Result<(), WitnessInvalid> {
    for (what, items, root) in [
        ("transactions", &body.transactions, header.transactions_root),
        ("receipts", &body.receipts, header.receipts_root),
    ] {
        let computed = alloy_trie::root::ordered_trie_root_encoded(items);
        if computed != root {
            return Err(WitnessInvalid::BlockRoot { what, computed, header: root });
        }
    }
    Ok(())
}

/// Proves `value` of `slot` against a storage root. Zero is proven by absence, as Ethereum's
/// clients keep no zero in the trie; a leaf that holds zero (anvil keeps a slot its constructor
/// wrote to zero) proves zero too. Either way the value is zero: no proof of one value can pass
/// as another.
fn prove_slot(root: B256, slot: B256, value: U256, nodes: &[Bytes]) -> Result<(), String> {
    let key = Nibbles::unpack(keccak256(slot));
    if !value.is_zero() {
        return verify_proof(root, key, Some(alloy_rlp::encode(value)), nodes).map_err(|e| e.to_string());
    }
    verify_proof(root, key, None, nodes)
        .or_else(|absent| {
            verify_proof(root, key, Some(alloy_rlp::encode(U256::ZERO)), nodes).map_err(|_| absent)
        })
        .map_err(|e| e.to_string())
}

/// Proves an account's `state` against a state root; `None` (no account) is proven by absence,
/// as Ethereum's clients keep no empty account since EIP-161, or by a leaf holding the empty
/// account (anvil keeps a precompile an earlier transaction touched). The EVM cannot tell the
/// two apart (EIP-161, EIP-1052), and no proof of an account with state can pass as either.
fn prove_account(
    root: B256,
    address: Address,
    state: Option<&AccountState>,
    nodes: &[Bytes],
) -> Result<(), String> {
    let key = Nibbles::unpack(keccak256(address));
    let leaf = |s: &AccountState| {
        alloy_rlp::encode(TrieAccount {
            nonce: s.nonce,
            balance: s.balance,
            storage_root: s.storage_root,
            code_hash: s.code_hash,
        })
    };
    match state {
        Some(s) => verify_proof(root, key, Some(leaf(s)), nodes).map_err(|e| e.to_string()),
        None => {
            let empty = AccountState {
                nonce: 0,
                balance: U256::ZERO,
                storage_root: EMPTY_ROOT_HASH,
                code_hash: KECCAK_EMPTY,
            };
            verify_proof(root, key, None, nodes)
                .or_else(|absent| verify_proof(root, key, Some(leaf(&empty)), nodes).map_err(|_| absent))
                .map_err(|e| e.to_string())
        }
    }
}

/// Proves every account, slot and code of `witness` against the header that hashes to
/// `block_hash`. Work is linear in the witness: each proof node is decoded once.
pub fn verify(witness: &Witness, block_hash: B256) -> Result<ProvenState, WitnessInvalid> {
    let header = header_of(witness, block_hash)?;
    let mut codes: HashMap<B256, &[u8]> =
        witness.codes.iter().map(|c| (keccak256(c), c.as_slice())).collect();
    let mut accounts = BTreeMap::new();
    for entry in &witness.accounts {
        let address = entry.address;
        let nodes: Vec<Bytes> = entry.proof.iter().map(|n| Bytes::copy_from_slice(n)).collect();
        prove_account(header.state_root, address, entry.state.as_ref(), &nodes)
            .map_err(|why| WitnessInvalid::Account { address, why })?;
        let root = entry.state.map_or(EMPTY_ROOT_HASH, |s| s.storage_root);
        let mut slots = BTreeMap::new();
        for slot in &entry.storage {
            if root == EMPTY_ROOT_HASH && !slot.value.is_zero() {
                return Err(WitnessInvalid::SlotOfEmptyStorage { address, slot: slot.slot });
            }
            let nodes: Vec<Bytes> = slot.proof.iter().map(|n| Bytes::copy_from_slice(n)).collect();
            prove_slot(root, slot.slot, slot.value, &nodes).map_err(|why| WitnessInvalid::Slot {
                address,
                slot: slot.slot,
                why,
            })?;
            slots.insert(slot.slot, slot.value);
        }
        let code = entry
            .state
            .filter(|s| s.code_hash != KECCAK_EMPTY)
            .and_then(|s| codes.get(&s.code_hash).map(|c| Bytes::copy_from_slice(c)));
        accounts.insert(address, ProvenAccount { state: entry.state, slots, code });
    }
    // Every code must be some proven account's.
    let held: std::collections::HashSet<B256> =
        witness.accounts.iter().filter_map(|a| a.state.map(|s| s.code_hash)).collect();
    codes.retain(|hash, _| !held.contains(hash));
    if let Some(hash) = codes.keys().min() {
        return Err(WitnessInvalid::UnprovenCode { hash: *hash });
    }
    Ok(ProvenState { header, block_hash, timestamp: witness.timestamp, accounts })
}

#[cfg(test)]
mod tests {
    use alloy_trie::HashBuilder;
    use alloy_trie::proof::ProofRetainer;

    use super::*;

    /// A trie of `entries` (the keccak256 of each key's preimage, and the leaf as stored), and
    /// the proof of the key whose preimage is `target`.
    fn trie(entries: &[(&[u8], Vec<u8>)], target: &[u8]) -> (B256, Vec<Bytes>) {
        let mut leaves: Vec<(Nibbles, &Vec<u8>)> =
            entries.iter().map(|(k, v)| (Nibbles::unpack(keccak256(k)), v)).collect();
        leaves.sort_by_key(|l| l.0);
        let target = Nibbles::unpack(keccak256(target));
        let mut builder = HashBuilder::default().with_proof_retainer(ProofRetainer::from_iter([target]));
        for (key, value) in leaves {
            builder.add_leaf(key, value);
        }
        let root = builder.root();
        let nodes = builder.take_proof_nodes().into_nodes_sorted().into_iter().map(|(_, n)| n).collect();
        (root, nodes)
    }

    #[test]
    fn no_account_is_proven_by_absence_or_by_an_empty_leaf() {
        let (a, b, c) = (Address::repeat_byte(1), Address::repeat_byte(2), Address::repeat_byte(3));
        let leaf = |nonce: u64, balance: u64| {
            alloy_rlp::encode(TrieAccount {
                nonce,
                balance: U256::from(balance),
                storage_root: EMPTY_ROOT_HASH,
                code_hash: KECCAK_EMPTY,
            })
        };
        let funded = AccountState {
            nonce: 0,
            balance: U256::from(5),
            storage_root: EMPTY_ROOT_HASH,
            code_hash: KECCAK_EMPTY,
        };
        // b absent: no account; a funded b is refused.
        let (root, nodes) = trie(&[(a.as_slice(), leaf(1, 0)), (c.as_slice(), leaf(1, 0))], b.as_slice());
        prove_account(root, b, None, &nodes).unwrap();
        assert!(prove_account(root, b, Some(&funded), &nodes).is_err());
        // b kept as an empty account (as anvil keeps a touched precompile): no account.
        let (root, nodes) = trie(&[(a.as_slice(), leaf(1, 0)), (b.as_slice(), leaf(0, 0))], b.as_slice());
        prove_account(root, b, None, &nodes).unwrap();
        assert!(prove_account(root, b, Some(&funded), &nodes).is_err());
        // b funded: never no account.
        let (root, nodes) = trie(&[(a.as_slice(), leaf(1, 0)), (b.as_slice(), leaf(0, 5))], b.as_slice());
        prove_account(root, b, Some(&funded), &nodes).unwrap();
        assert!(prove_account(root, b, None, &nodes).is_err());
    }

    #[test]
    fn zero_is_proven_by_absence_or_by_a_leaf_that_holds_zero() {
        let (one, two, three) = (B256::with_last_byte(1), B256::with_last_byte(2), B256::with_last_byte(3));
        let seven = alloy_rlp::encode(U256::from(7));
        // Slot 2 absent: zero by absence; seven is refused.
        let (root, nodes) =
            trie(&[(one.as_slice(), seven.clone()), (three.as_slice(), seven.clone())], two.as_slice());
        prove_slot(root, two, U256::ZERO, &nodes).unwrap();
        assert!(prove_slot(root, two, U256::from(7), &nodes).is_err());
        // Slot 2 stored as zero (as anvil keeps it): zero, and only zero.
        let (root, nodes) = trie(
            &[(one.as_slice(), seven.clone()), (two.as_slice(), alloy_rlp::encode(U256::ZERO))],
            two.as_slice(),
        );
        prove_slot(root, two, U256::ZERO, &nodes).unwrap();
        assert!(prove_slot(root, two, U256::from(7), &nodes).is_err());
        // Slot 2 holding seven: seven, never zero.
        let (root, nodes) = trie(&[(one.as_slice(), seven.clone()), (two.as_slice(), seven)], two.as_slice());
        prove_slot(root, two, U256::from(7), &nodes).unwrap();
        assert!(prove_slot(root, two, U256::ZERO, &nodes).is_err());
    }
}
