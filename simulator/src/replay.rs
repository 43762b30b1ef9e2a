//! The offline replay: the exact checked transaction, run by revm on proven state only, in the
//! block that would follow the witnessed one. Every read goes through [`ProvenDb`]: a value the
//! witness does not prove stops the replay as incomplete (`witness_incomplete`), never a zero.
//!
//! The block: number = parent + 1, timestamp = the witness's T, base fee = the next base fee of
//! the parent (EIP-1559), coinbase = the zero address, gas limit = the parent's, prevrandao = the
//! parent's mix hash (the next one is unknowable before it is made), BLOCKHASH only of the parent.

use std::collections::BTreeMap;

use alloy_consensus::Header;
use alloy_eips::eip1559::BaseFeeParams;
use alloy_primitives::{Address, B256, Bytes, Log, TxKind, U256};
use alloy_trie::KECCAK_EMPTY;
use revm::context::result::{EVMError, ExecutionResult};
use revm::context::{BlockEnv, CfgEnv, TxEnv};
use revm::context_interface::block::BlobExcessGasAndPrice;
use revm::context_interface::transaction::{AccessList, AccessListItem};
use revm::database_interface::DBErrorMarker;
use revm::primitives::hardfork::SpecId;
use revm::state::{AccountInfo, Bytecode};
use revm::{Context, Database, ExecuteEvm, MainBuilder, MainContext};

use crate::proof::{ProvenState, Unproven};

impl DBErrorMarker for Unproven {}

/// The fork a chain runs at a timestamp. Known chains by their schedule; any other chain (a
/// local anvil, a devnet) is taken to run the newest fork mainnet runs.
pub fn fork_for(chain_id: u64, timestamp: u64) -> SpecId {
    // (chain, Prague from, Osaka from), unix seconds.
    const SCHEDULE: [(u64, u64, u64); 4] = [
        (1, 1_746_612_311, 1_764_798_551),
        (11_155_111, 1_741_159_776, 1_760_427_360),
        (17_000, 1_740_434_112, 1_759_308_480),
        (560_048, 0, 1_761_677_592),
    ];
    match SCHEDULE.iter().find(|(chain, _, _)| *chain == chain_id) {
        Some((_, _, osaka)) if timestamp >= *osaka => SpecId::OSAKA,
        Some((_, prague, _)) if timestamp >= *prague => SpecId::PRAGUE,
        Some(_) => SpecId::CANCUN,
        None => SpecId::OSAKA,
    }
}

/// The transaction to replay, as the signer will send it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxSpec {
    /// EIP-2718 type (0 legacy, 1, 2, 4).
    pub tx_type: u8,
    /// The sender (the executor, or for a Safe simulation the owner that sends it).
    pub caller: Address,
    /// The called account.
    pub to: Address,
    /// Wei sent.
    pub value: U256,
    /// Calldata.
    pub data: Bytes,
    /// Gas limit.
    pub gas_limit: u64,
    /// The sender's nonce.
    pub nonce: u64,
    /// The chain id the transaction carries.
    pub chain_id: Option<u64>,
    /// `gasPrice`, or `maxFeePerGas`.
    pub max_fee_per_gas: u128,
    /// `maxPriorityFeePerGas` (typed 1559 and later).
    pub max_priority_fee_per_gas: Option<u128>,
    /// The access list.
    pub access_list: Vec<(Address, Vec<B256>)>,
}

/// What the replay may change about the witnessed state before it runs (a Safe simulation's
/// threshold slot and the sender's balance check); each is reported with the outcome.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Overrides {
    /// Slots set before the transaction runs.
    pub storage: Vec<(Address, B256, U256)>,
    /// Whether the sender's balance is left unchecked (a simulated sender need not hold gas).
    pub no_balance_check: bool,
}

/// The block a replay runs in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NextBlock {
    /// The parent's number + 1.
    pub number: u64,
    /// The witness's timestamp.
    pub timestamp: u64,
    /// EIP-1559's next base fee of the parent.
    pub basefee: u64,
    /// The parent's gas limit.
    pub gas_limit: u64,
    /// The parent's mix hash.
    pub prevrandao: B256,
}

/// The block after `parent`, at `timestamp`.
pub fn next_block(parent: &Header, timestamp: u64) -> NextBlock {
    let basefee = parent.next_block_base_fee(BaseFeeParams::ethereum()).unwrap_or(0);
    NextBlock {
        number: parent.number.saturating_add(1),
        timestamp,
        basefee,
        gas_limit: parent.gas_limit,
        prevrandao: parent.mix_hash,
    }
}

/// How the transaction ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// It ran to the end.
    Success,
    /// It reverted, with this revert data.
    Reverted(Bytes),
    /// It halted (out of gas, invalid opcode…): the reason.
    Halted(String),
}

/// A slot's value before and after.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlotChange {
    /// The slot.
    pub slot: B256,
    /// Its value before the transaction.
    pub before: U256,
    /// After it.
    pub after: U256,
}

/// What the transaction changed in one account.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountChange {
    /// The balance before and after, when it changed.
    pub balance: Option<(U256, U256)>,
    /// The nonce before and after, when it changed.
    pub nonce: Option<(u64, u64)>,
    /// The code hash before and after, when it changed.
    pub code_hash: Option<(B256, B256)>,
    /// Slots whose value changed, ascending.
    pub slots: Vec<SlotChange>,
}

/// What the replay did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// How it ended.
    pub status: Status,
    /// Gas used, as the receipt would say.
    pub gas_used: u64,
    /// The logs, in order (none when it did not succeed).
    pub logs: Vec<Log>,
    /// Every account it changed.
    pub diff: BTreeMap<Address, AccountChange>,
    /// The block it ran in.
    pub block: NextBlock,
}

/// Why the replay could not say what the transaction does.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReplayError {
    /// It read something the witness does not prove.
    #[error("the replay read what the witness does not prove: {0}")]
    Incomplete(Unproven),
    /// The transaction is not valid in that block (nonce, balance, fee, gas limit).
    #[error("the transaction is not valid in the next block: {0}")]
    InvalidTransaction(String),
}

/// revm's database over proven state only.
struct ProvenDb<'a> {
    state: &'a ProvenState,
    overrides: &'a Overrides,
}

impl Database for ProvenDb<'_> {
    type Error = Unproven;

    fn basic(&mut self, address: Address) -> Result<Option<AccountInfo>, Unproven> {
        Ok(self.state.account(&address)?.map(|s| {
            let code = (s.code_hash != KECCAK_EMPTY)
                .then(|| self.state.code(&address).ok().map(Bytecode::new_raw))
                .flatten();
            AccountInfo {
                balance: s.balance,
                nonce: s.nonce,
                code_hash: s.code_hash,
                code,
                ..Default::default()
            }
        }))
    }

    fn code_by_hash(&mut self, code_hash: B256) -> Result<Bytecode, Unproven> {
        self.state.code_by_hash(&code_hash).map(Bytecode::new_raw)
    }

    fn storage(&mut self, address: Address, index: U256) -> Result<U256, Unproven> {
        let slot = B256::from(index);
        if let Some((_, _, value)) =
            self.overrides.storage.iter().find(|(a, s, _)| *a == address && *s == slot)
        {
            return Ok(*value);
        }
        self.state.storage(&address, &slot)
    }

    fn block_hash(&mut self, number: u64) -> Result<B256, Unproven> {
        if number == self.state.header.number {
            Ok(self.state.block_hash)
        } else {
            Err(Unproven::BlockHash(number))
        }
    }
}

/// A view call's result on `state` with `overrides` (the state after a replay: its written slots),
/// in the same next block: the return data, or why the call failed. It is sent from the zero
/// address (the coinbase, which every witness proves), with no nonce or balance check.
pub fn view_call(
    state: &ProvenState,
    spec: SpecId,
    overrides: &Overrides,
    to: Address,
    calldata: &[u8],
) -> Result<Result<Bytes, String>, ReplayError> {
    let block = next_block(&state.header, state.timestamp);
    let tx = TxSpec {
        tx_type: 2,
        caller: Address::ZERO,
        to,
        value: U256::ZERO,
        data: Bytes::copy_from_slice(calldata),
        // EIP-7825's cap on a transaction's gas (Osaka), which is plenty for a view.
        gas_limit: block.gas_limit.min(1 << 24),
        nonce: 0,
        chain_id: None,
        max_fee_per_gas: u128::from(block.basefee),
        max_priority_fee_per_gas: Some(0),
        access_list: Vec::new(),
    };
    let overrides = Overrides { no_balance_check: true, ..overrides.clone() };
    let (result, _) = execute(state, &tx, spec, &overrides, true)?;
    Ok(match result {
        ExecutionResult::Success { output, .. } => Ok(output.into_data()),
        ExecutionResult::Revert { output, .. } => {
            Err(format!("reverted with 0x{}", alloy_primitives::hex::encode(&output)))
        }
        ExecutionResult::Halt { reason, .. } => Err(format!("halted: {reason:?}")),
    })
}

/// Runs `tx` in the next block, returning revm's result and state.
fn execute(
    state: &ProvenState,
    tx: &TxSpec,
    spec: SpecId,
    overrides: &Overrides,
    view: bool,
) -> Result<(ExecutionResult, revm::state::EvmState), ReplayError> {
    let block = next_block(&state.header, state.timestamp);
    let mut cfg = CfgEnv::new_with_spec(spec);
    cfg.chain_id = tx.chain_id.unwrap_or_default();
    cfg.tx_chain_id_check = tx.chain_id.is_some();
    cfg.disable_balance_check = overrides.no_balance_check;
    cfg.disable_nonce_check = view;
    let block_env = BlockEnv {
        number: U256::from(block.number),
        beneficiary: Address::ZERO,
        timestamp: U256::from(block.timestamp),
        gas_limit: block.gas_limit,
        basefee: block.basefee,
        difficulty: U256::ZERO,
        prevrandao: Some(block.prevrandao),
        blob_excess_gas_and_price: Some(BlobExcessGasAndPrice::new(
            state.header.excess_blob_gas.unwrap_or_default(),
            if spec >= SpecId::PRAGUE { 5_007_716 } else { 3_338_477 },
        )),
        ..Default::default()
    };
    let tx_env = TxEnv {
        tx_type: tx.tx_type,
        caller: tx.caller,
        gas_limit: tx.gas_limit,
        gas_price: tx.max_fee_per_gas,
        kind: TxKind::Call(tx.to),
        value: tx.value,
        data: tx.data.clone(),
        nonce: tx.nonce,
        chain_id: tx.chain_id,
        access_list: AccessList(
            tx.access_list
                .iter()
                .map(|(address, keys)| AccessListItem { address: *address, storage_keys: keys.clone() })
                .collect(),
        ),
        gas_priority_fee: tx.max_priority_fee_per_gas,
        ..Default::default()
    };
    let db = ProvenDb { state, overrides };
    let mut evm = Context::mainnet().with_db(db).with_block(block_env).with_cfg(cfg).build_mainnet();
    let done = evm.transact(tx_env).map_err(|e| match e {
        EVMError::Database(unproven) => ReplayError::Incomplete(unproven),
        other => ReplayError::InvalidTransaction(other.to_string()),
    })?;
    Ok((done.result, done.state))
}

/// Replays `tx` on `state` in the next block, on `spec`.
pub fn replay(
    state: &ProvenState,
    tx: &TxSpec,
    spec: SpecId,
    overrides: &Overrides,
) -> Result<Outcome, ReplayError> {
    let block = next_block(&state.header, state.timestamp);
    let (result, evm_state) = execute(state, tx, spec, overrides, false)?;
    let (status, gas_used, logs) = match result {
        ExecutionResult::Success { gas, logs, .. } => (Status::Success, gas.tx_gas_used(), logs),
        ExecutionResult::Revert { gas, output, .. } => {
            (Status::Reverted(output), gas.tx_gas_used(), Vec::new())
        }
        ExecutionResult::Halt { reason, gas, .. } => {
            (Status::Halted(format!("{reason:?}")), gas.tx_gas_used(), Vec::new())
        }
    };
    let mut diff = BTreeMap::new();
    for (address, account) in evm_state {
        if !account.is_touched() {
            continue;
        }
        let before = state.account(&address).map_err(ReplayError::Incomplete)?.copied();
        let (b_balance, b_nonce, b_code) =
            before.map_or((U256::ZERO, 0, KECCAK_EMPTY), |s| (s.balance, s.nonce, s.code_hash));
        let info = &account.info;
        let mut change = AccountChange {
            balance: (info.balance != b_balance).then_some((b_balance, info.balance)),
            nonce: (info.nonce != b_nonce).then_some((b_nonce, info.nonce)),
            code_hash: (info.code_hash != b_code).then_some((b_code, info.code_hash)),
            slots: Vec::new(),
        };
        for (index, slot) in &account.storage {
            if slot.original_value != slot.present_value {
                change.slots.push(SlotChange {
                    slot: B256::from(*index),
                    before: slot.original_value,
                    after: slot.present_value,
                });
            }
        }
        change.slots.sort_by_key(|s| s.slot);
        if change != AccountChange::default() {
            diff.insert(address, change);
        }
    }
    Ok(Outcome { status, gas_used, logs, diff, block })
}
