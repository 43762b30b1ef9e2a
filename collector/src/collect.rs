//! Collecting a witness: prove what the laptop's replay will read, and nothing is guessed.
//!
//! The collector does not predict reads. It runs the ceremony's own replay
//! (`bounded_signer_simulator::observe`) on the state it has proven so far; each time the replay
//! stops on something unproven, it asks the node for exactly that (an account with its proof and
//! code, one slot's proof, a code), proves everything again against the header, and runs again.
//! When the replay runs to the end, the witness holds everything the laptop will read, because
//! the laptop runs the same code on the same proven state. A node whose answers do not prove
//! against its own header is refused, never patched.

use std::collections::BTreeMap;

use alloy_primitives::{Address, B256, Bytes, KECCAK256_EMPTY as KECCAK_EMPTY, keccak256};
use bounded_signer_simulator::proof::{self, ProvenState, Unproven, WitnessInvalid};
use bounded_signer_simulator::rpc::account_entry;
use bounded_signer_simulator::witness::{AccountProof, BlockBody, MAX_ACCOUNTS, Witness};

use crate::node::{Node, NodeError};

/// Why no witness could be collected.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    /// The node failed to answer.
    #[error(transparent)]
    Node(#[from] NodeError),
    /// The node's answers do not prove against the header it gave.
    #[error("the node's answers do not prove against its own block header: {0}")]
    Unprovable(WitnessInvalid),
    /// The node answered for another account than the one asked.
    #[error("asked for the proof of {asked}, the node answered for {answered}")]
    WrongAccount {
        /// The account asked for.
        asked: Address,
        /// The account the answer is for.
        answered: Address,
    },
    /// The code the node gave does not hash to the proven code hash.
    #[error("the node's code for {0} does not hash to the account's proven code hash")]
    WrongCode(Address),
    /// What was asked for is still unproven after the node answered.
    #[error("the node answered, but its answer does not prove what the replay needs: {0}")]
    StillUnproven(Unproven),
    /// The replay reads the hash of a block other than the parent, which no witness proves.
    #[error(
        "the transaction reads the hash of block {0}; a witness proves only the parent's hash, so \
         this transaction cannot be simulated offline"
    )]
    BlockHash(u64),
    /// More state than a witness may hold.
    #[error("the replay reads more than a witness may hold ({MAX_ACCOUNTS} accounts)")]
    TooLarge,
}

/// The block the witness stands on: its header's RLP and hash, and the simulated timestamp.
pub struct Block {
    /// The header's RLP (its keccak256 is `hash`).
    pub header: Vec<u8>,
    /// The block hash.
    pub hash: B256,
    /// The simulated block's timestamp T.
    pub timestamp: u64,
    /// The block's transactions and receipts (a post-execution witness); empty otherwise.
    pub body: BlockBody,
}

/// A witness collected, and what the replay on it returned.
pub struct Collected<R> {
    /// The witness, canonical and proven against the block hash.
    pub witness: Witness,
    /// The replay's last result, on exactly that witness.
    pub result: R,
    /// Answers asked of the node.
    pub requests: usize,
}

/// What has been gathered from the node so far.
#[derive(Default)]
struct Gathered {
    accounts: BTreeMap<Address, AccountProof>,
    codes: BTreeMap<Address, Vec<u8>>,
    requests: usize,
}

impl Gathered {
    /// The account's proof with `slots` (each slot's proof joins those already gathered), and its
    /// code when it has any.
    fn fetch(&mut self, node: &mut dyn Node, address: Address, slots: &[B256]) -> Result<(), CollectError> {
        if self.accounts.len() >= MAX_ACCOUNTS && !self.accounts.contains_key(&address) {
            return Err(CollectError::TooLarge);
        }
        let answer = node.proof(address, slots)?;
        self.requests = self.requests.saturating_add(1);
        let entry = account_entry(&answer);
        if entry.address != address {
            return Err(CollectError::WrongAccount { asked: address, answered: entry.address });
        }
        let code_hash = entry.state.map(|s| s.code_hash).filter(|h| *h != KECCAK_EMPTY);
        match self.accounts.get_mut(&address) {
            Some(known) => known.storage.extend(entry.storage),
            None => {
                self.accounts.insert(address, entry);
            }
        }
        if let Some(hash) = code_hash
            && !self.codes.contains_key(&address)
        {
            self.code(node, address, hash)?;
        }
        Ok(())
    }

    fn code(&mut self, node: &mut dyn Node, address: Address, hash: B256) -> Result<(), CollectError> {
        let code: Bytes = node.code(address)?;
        self.requests = self.requests.saturating_add(1);
        if keccak256(&code) != hash {
            return Err(CollectError::WrongCode(address));
        }
        self.codes.insert(address, code.to_vec());
        Ok(())
    }

    /// Asks the node for what the replay found unproven.
    fn supply(&mut self, node: &mut dyn Node, missing: &Unproven) -> Result<(), CollectError> {
        match missing {
            Unproven::Account(a) => self.fetch(node, *a, &[]),
            Unproven::Slot(a, s) => self.fetch(node, *a, &[*s]),
            Unproven::Code(a) => {
                let hash = self.accounts.get(a).and_then(|e| e.state).map(|s| s.code_hash);
                match hash {
                    Some(h) => self.code(node, *a, h),
                    None => self.fetch(node, *a, &[]),
                }
            }
            Unproven::CodeHash(h) => {
                let holder = self
                    .accounts
                    .values()
                    .find(|e| {
                        e.state.is_some_and(|s| s.code_hash == *h) && !self.codes.contains_key(&e.address)
                    })
                    .map(|e| e.address);
                match holder {
                    Some(a) => self.code(node, a, *h),
                    None => Err(CollectError::StillUnproven(missing.clone())),
                }
            }
            Unproven::BlockHash(n) => Err(CollectError::BlockHash(*n)),
        }
    }

    fn witness(&self, block: &Block) -> Witness {
        Witness::assemble(
            block.header.clone(),
            block.timestamp,
            self.accounts.values().cloned(),
            self.codes.values().cloned(),
            block.body.clone(),
        )
    }
}

/// Collects from `node` the witness on which `run` (the ceremony's replay and reads) completes:
/// `seeds` first (accounts and slots known to be read, in one answer each), then whatever `run`
/// finds unproven, one answer at a time, until it needs nothing more.
pub fn collect<R>(
    node: &mut dyn Node,
    block: &Block,
    seeds: &[(Address, Vec<B256>)],
    mut run: impl FnMut(&ProvenState) -> Result<R, Unproven>,
) -> Result<Collected<R>, CollectError> {
    let mut gathered = Gathered::default();
    for (address, slots) in seeds {
        gathered.fetch(node, *address, slots)?;
    }
    let mut last: Option<Unproven> = None;
    loop {
        let witness = gathered.witness(block);
        let state = proof::verify(&witness, block.hash).map_err(CollectError::Unprovable)?;
        match run(&state) {
            Ok(result) => return Ok(Collected { witness, result, requests: gathered.requests }),
            // Each round must prove something new: the same gap twice is a node that does not
            // answer what it is asked.
            Err(missing) if last.as_ref() == Some(&missing) => {
                return Err(CollectError::StillUnproven(missing));
            }
            Err(missing) => {
                gathered.supply(node, &missing)?;
                last = Some(missing);
            }
        }
    }
}
