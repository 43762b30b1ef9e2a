//! The node a witness is collected from, at one block: its header, EIP-1186 proofs and code.
//! [`RpcNode`] reaches a JSON-RPC endpoint with `alloy-provider`; the tests answer from a real
//! anvil's recorded answers through the same trait.

use std::future::IntoFuture;

use alloy_consensus::Header;
use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{Address, B256, Bytes};
use alloy_provider::{Provider, RootProvider};
use alloy_rpc_types_eth::EIP1186AccountProofResponse;
use bounded_signer_simulator::witness::BlockBody;

/// Why the node could not be used.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The URL is not one.
    #[error("--rpc {url}: not a URL ({why})")]
    Url {
        /// What was given.
        url: String,
        /// Why it is not a URL.
        why: String,
    },
    /// A request failed (unreachable, an error answer, an answer that is not what it should be).
    #[error("{what}: {why}")]
    Request {
        /// What was asked.
        what: String,
        /// What went wrong.
        why: String,
    },
    /// The block does not exist on that node.
    #[error("the node has no block {0}")]
    NoBlock(String),
    /// The node's header fields do not hash to the hash it gave for them.
    #[error(
        "the node's header of block {number} hashes to {computed}, not to the hash {claimed} it \
         gave (a header field this tool does not know?)"
    )]
    HeaderHash {
        /// The block number.
        number: u64,
        /// keccak256 of the RLP of the fields.
        computed: B256,
        /// The hash the node gave.
        claimed: B256,
    },
    /// The async runtime could not start.
    #[error("cannot start the network runtime: {0}")]
    Runtime(String),
}

/// One block's state, as a node proves it.
pub trait Node {
    /// The account's EIP-1186 proof, with proofs of `slots`.
    fn proof(&mut self, address: Address, slots: &[B256]) -> Result<EIP1186AccountProofResponse, NodeError>;
    /// The account's runtime code.
    fn code(&mut self, address: Address) -> Result<Bytes, NodeError>;
}

/// A JSON-RPC node, pinned to one block by number (the header's hash pins the answers: a proof
/// from any other state fails against its state root).
pub struct RpcNode {
    runtime: tokio::runtime::Runtime,
    provider: RootProvider,
    block: BlockId,
}

/// Which block: a number, or the node's latest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockChoice {
    /// The node's latest block.
    Latest,
    /// That block.
    Number(u64),
}

impl RpcNode {
    /// Connects to `url` and reads the header of `choice`: the node pinned to that block, the
    /// header, and its hash (checked against the header's fields).
    pub fn connect(url: &str, choice: BlockChoice) -> Result<(RpcNode, Header, B256), NodeError> {
        let parsed: url::Url = url
            .parse()
            .map_err(|e: url::ParseError| NodeError::Url { url: url.to_string(), why: e.to_string() })?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| NodeError::Runtime(e.to_string()))?;
        let provider = RootProvider::new_http(parsed);
        let tag = match choice {
            BlockChoice::Latest => BlockNumberOrTag::Latest,
            BlockChoice::Number(n) => BlockNumberOrTag::Number(n),
        };
        let block: alloy_rpc_types_eth::Block = runtime
            .block_on(provider.get_block_by_number(tag).into_future())
            .map_err(|e| request(format!("eth_getBlockByNumber({tag})"), e))?
            .ok_or_else(|| NodeError::NoBlock(tag.to_string()))?;
        let header = block.header.inner;
        let computed = header.hash_slow();
        if computed != block.header.hash {
            return Err(NodeError::HeaderHash {
                number: header.number,
                computed,
                claimed: block.header.hash,
            });
        }
        let node = RpcNode { runtime, provider, block: BlockId::number(header.number) };
        Ok((node, header, computed))
    }
}

impl RpcNode {
    /// Connects to `url` at the block holding transaction `tx`: the node pinned there, the
    /// header, its hash, and the block's raw transactions and receipts (EIP-2718 bytes, in block
    /// order; each raw transaction hashes to the hash the block lists).
    pub fn connect_after(url: &str, tx: B256) -> Result<(RpcNode, Header, B256, BlockBody), NodeError> {
        let (probe, _, _) = RpcNode::connect(url, BlockChoice::Latest)?;
        let receipt = probe
            .runtime
            .block_on(probe.provider.get_transaction_receipt(tx).into_future())
            .map_err(|e| request(format!("eth_getTransactionReceipt({tx})"), e))?
            .ok_or_else(|| {
                NodeError::NoBlock(format!("holding transaction {tx} (no receipt: not mined?)"))
            })?;
        let number = receipt.block_number.ok_or_else(|| {
            NodeError::NoBlock(format!("holding transaction {tx} (its receipt names none)"))
        })?;
        let (node, header, hash) = RpcNode::connect(url, BlockChoice::Number(number))?;
        let block: alloy_rpc_types_eth::Block = node
            .runtime
            .block_on(node.provider.get_block_by_number(BlockNumberOrTag::Number(number)).into_future())
            .map_err(|e| request(format!("eth_getBlockByNumber({number})"), e))?
            .ok_or_else(|| NodeError::NoBlock(number.to_string()))?;
        let mut body = BlockBody::default();
        for hash in block.transactions.hashes() {
            let raw = node
                .runtime
                .block_on(node.provider.get_raw_transaction_by_hash(hash).into_future())
                .map_err(|e| request(format!("eth_getRawTransactionByHash({hash})"), e))?
                .ok_or_else(|| {
                    request(format!("eth_getRawTransactionByHash({hash})"), "no such transaction")
                })?;
            if alloy_primitives::keccak256(&raw) != hash {
                return Err(request(
                    format!("eth_getRawTransactionByHash({hash})"),
                    "the bytes hash to another hash",
                ));
            }
            body.transactions.push(raw.to_vec());
        }
        let receipts = node
            .runtime
            .block_on(node.provider.get_block_receipts(BlockId::number(number)).into_future())
            .map_err(|e| request(format!("eth_getBlockReceipts({number})"), e))?
            .ok_or_else(|| NodeError::NoBlock(number.to_string()))?;
        for receipt in receipts {
            let envelope = receipt.inner.into_primitives_receipt();
            body.receipts.push(alloy_eips::eip2718::Encodable2718::encoded_2718(&envelope));
        }
        Ok((node, header, hash, body))
    }
}

fn request(what: String, e: impl std::fmt::Display) -> NodeError {
    NodeError::Request { what, why: e.to_string() }
}

impl Node for RpcNode {
    fn proof(&mut self, address: Address, slots: &[B256]) -> Result<EIP1186AccountProofResponse, NodeError> {
        let call = self.provider.get_proof(address, slots.to_vec()).block_id(self.block);
        self.runtime.block_on(call.into_future()).map_err(|e| request(format!("eth_getProof({address})"), e))
    }

    fn code(&mut self, address: Address) -> Result<Bytes, NodeError> {
        let call = self.provider.get_code_at(address).block_id(self.block);
        self.runtime.block_on(call.into_future()).map_err(|e| request(format!("eth_getCode({address})"), e))
    }
}
