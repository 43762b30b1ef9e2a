//! Safe transactions and their EIP-712 hashes, for every Safe version in use.
//!
//! A Safe owner approves a Safe transaction by signing its `safeTxHash`:
//! `keccak256(0x19 ‖ 0x01 ‖ domainSeparator ‖ hashStruct(SafeTx))`. Two things changed across
//! versions, and nothing else:
//! - 0.1.0 names the gas field of the refund `dataGas`; 1.0.0 renamed it `baseGas`, which changes
//!   the type hash (the field's value and position are the same);
//! - before 1.3.0 the domain is `EIP712Domain(address verifyingContract)`: no chain id, so one
//!   signature is valid for the same Safe address on every chain. From 1.3.0 it is
//!   `EIP712Domain(uint256 chainId,address verifyingContract)`.
//!
//! The type strings are alloy's, from `sol!` structs whose definitions are the Safe contracts'
//! own; the domain is alloy's `Eip712Domain`; `hashStruct(SafeTx)` is alloy's ABI encoding of
//! the type hash and the members, `data` as its keccak256 (EIP-712's rule for `bytes`), which
//! the tests hold equal to alloy's `SolStruct::eip712_hash_struct` for every version.

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_sol_types::{Eip712Domain, SolStruct, SolValue, sol};

use crate::tx::wipe_bytes;

mod proposal;
pub use proposal::SafeProposal;

mod v0_1_0 {
    #![allow(missing_docs)]
    alloy_sol_types::sol! {
        struct SafeTx {
            address to;
            uint256 value;
            bytes data;
            uint8 operation;
            uint256 safeTxGas;
            uint256 dataGas;
            uint256 gasPrice;
            address gasToken;
            address refundReceiver;
            uint256 nonce;
        }
    }
}

sol! {
    /// The SafeTx struct of Safe 1.0.0 and later.
    #[allow(missing_docs)]
    struct SafeTx {
        address to;
        uint256 value;
        bytes data;
        uint8 operation;
        uint256 safeTxGas;
        uint256 baseGas;
        uint256 gasPrice;
        address gasToken;
        address refundReceiver;
        uint256 nonce;
    }
}

/// A Safe contract version whose transaction hash this module knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SafeVersion {
    /// 0.1.0 (`dataGas`, no chain id).
    V0_1_0,
    /// 1.0.0 (no chain id).
    V1_0_0,
    /// 1.1.0 (no chain id).
    V1_1_0,
    /// 1.1.1 (no chain id).
    V1_1_1,
    /// 1.2.0 (no chain id).
    V1_2_0,
    /// 1.3.0 (chain id in the domain, as in every later version).
    V1_3_0,
    /// 1.4.1.
    V1_4_1,
    /// 1.5.0.
    V1_5_0,
}

impl SafeVersion {
    /// Every version, oldest first.
    pub const ALL: [SafeVersion; 8] = [
        SafeVersion::V0_1_0,
        SafeVersion::V1_0_0,
        SafeVersion::V1_1_0,
        SafeVersion::V1_1_1,
        SafeVersion::V1_2_0,
        SafeVersion::V1_3_0,
        SafeVersion::V1_4_1,
        SafeVersion::V1_5_0,
    ];

    /// `1.4.1`, or `1.4.1+L2` (the L2 singleton emits events; it hashes alike). The flag says
    /// whether `+L2` was given.
    pub fn parse(text: &str) -> Option<(SafeVersion, bool)> {
        let (base, l2) = match text.strip_suffix("+L2") {
            Some(base) => (base, true),
            None => (text, false),
        };
        SafeVersion::ALL.into_iter().find(|v| v.as_str() == base).map(|v| (v, l2))
    }

    /// The version as Safe writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            SafeVersion::V0_1_0 => "0.1.0",
            SafeVersion::V1_0_0 => "1.0.0",
            SafeVersion::V1_1_0 => "1.1.0",
            SafeVersion::V1_1_1 => "1.1.1",
            SafeVersion::V1_2_0 => "1.2.0",
            SafeVersion::V1_3_0 => "1.3.0",
            SafeVersion::V1_4_1 => "1.4.1",
            SafeVersion::V1_5_0 => "1.5.0",
        }
    }

    /// Whether the domain binds the chain (1.3.0 and later). Without it, the same signature is
    /// valid for the Safe at this address on every chain.
    pub fn domain_has_chain_id(self) -> bool {
        self >= SafeVersion::V1_3_0
    }

    /// The name of the refund's gas field in the SafeTx type.
    pub fn gas_field(self) -> &'static str {
        if self == SafeVersion::V0_1_0 { "dataGas" } else { "baseGas" }
    }
}

/// The fields of a Safe transaction, as `execTransaction` takes them and `SafeTx` hashes them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SafeTxFields {
    /// The inner call's target.
    pub to: Address,
    /// Wei the Safe sends.
    pub value: U256,
    /// The inner calldata.
    pub data: Bytes,
    /// 0 call, 1 delegatecall (anything else reverts on chain, and is hashed as given).
    pub operation: u8,
    /// Gas for the inner call.
    pub safe_tx_gas: U256,
    /// Gas the refund covers beyond it (`dataGas` in 0.1.0).
    pub base_gas: U256,
    /// The refund's gas price (0: no refund).
    pub gas_price: U256,
    /// The refund's token (zero: ether).
    pub gas_token: Address,
    /// Who gets the refund (zero: the executor).
    pub refund_receiver: Address,
    /// The Safe's nonce.
    pub nonce: U256,
}

impl Drop for SafeTxFields {
    /// The inner calldata is policy state: its last holder wipes it (`tx::wipe_bytes`).
    fn drop(&mut self) {
        wipe_bytes(&mut self.data);
    }
}

/// Which Safe, on which chain, at which version: what the domain is made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SafeDomain {
    /// The Safe (`verifyingContract`).
    pub safe: Address,
    /// The chain. In the domain from 1.3.0 only, where a missing one hashes as chain 0 (which
    /// no Safe is deployed on): callers require it for those versions.
    pub chain_id: Option<u64>,
    /// The Safe's version.
    pub version: SafeVersion,
}

/// The three hashes of a Safe transaction; the Ledger pages the first two in hashed EIP-712
/// mode, and the owner signs the third.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SafeTxHashes {
    /// `hashStruct(EIP712Domain)`.
    pub domain_separator: B256,
    /// `hashStruct(SafeTx)`.
    pub message_hash: B256,
    /// `keccak256(0x1901 ‖ domain_separator ‖ message_hash)`.
    pub safe_tx_hash: B256,
}

impl SafeDomain {
    fn eip712(&self) -> Eip712Domain {
        let chain_id =
            self.version.domain_has_chain_id().then(|| U256::from(self.chain_id.unwrap_or_default()));
        Eip712Domain::new(None, None, chain_id, Some(self.safe), None)
    }

    /// The domain separator.
    pub fn separator(&self) -> B256 {
        self.eip712().hash_struct()
    }

    /// The hashes of `tx` for this Safe, each computed once (alloy's `eip712_signing_hash` would
    /// hash the struct and the domain again).
    pub fn hashes(&self, tx: &SafeTxFields) -> SafeTxHashes {
        let domain_separator = self.separator();
        let message_hash = message_hash(self.version, tx);
        // EIP-712's digest: keccak256(0x19 ‖ 0x01 ‖ domainSeparator ‖ hashStruct(message)).
        let mut digest = [0u8; 66];
        digest[..2].copy_from_slice(&[0x19, 0x01]);
        digest[2..34].copy_from_slice(domain_separator.as_slice());
        digest[34..].copy_from_slice(message_hash.as_slice());
        SafeTxHashes { domain_separator, message_hash, safe_tx_hash: keccak256(digest) }
    }
}

/// `hashStruct(SafeTx)`: keccak256 of the type hash and every member as a word, `data` as its
/// keccak256 (EIP-712's rule for `bytes`, and what the Safe's `encodeTransactionData` computes
/// with `abi.encode`). The calldata is hashed where it is: alloy's `SolStruct` would first copy
/// it into a packed buffer it frees unwiped (tests hold both to the same hash).
fn message_hash(version: SafeVersion, tx: &SafeTxFields) -> B256 {
    let type_hash = keccak256(safe_tx_type(version).as_bytes());
    let words = (
        type_hash,
        tx.to,
        tx.value,
        keccak256(&tx.data),
        // A uint8 member is one word, as a uint256 of the same value.
        U256::from(tx.operation),
        tx.safe_tx_gas,
        tx.base_gas,
        tx.gas_price,
        tx.gas_token,
        tx.refund_receiver,
        tx.nonce,
    )
        .abi_encode();
    keccak256(words)
}

/// The calldata of `execTransaction` for `tx` (its nonce is the Safe's own, not in the call)
/// with the owners' `signatures` blob: what the executor sends to the Safe.
pub fn exec_transaction_calldata(tx: &SafeTxFields, signatures: &[u8]) -> alloc::vec::Vec<u8> {
    use alloy_sol_types::SolCall;
    crate::calls::safe::Safe::execTransactionCall {
        to: tx.to,
        value: tx.value,
        data: tx.data.clone(),
        operation: tx.operation,
        safeTxGas: tx.safe_tx_gas,
        baseGas: tx.base_gas,
        gasPrice: tx.gas_price,
        gasToken: tx.gas_token,
        refundReceiver: tx.refund_receiver,
        signatures: Bytes::copy_from_slice(signatures),
    }
    .abi_encode()
}

/// The SafeTx type string of a version, as its contract declares it (for typed-data checks).
pub fn safe_tx_type(version: SafeVersion) -> alloc::string::String {
    if version == SafeVersion::V0_1_0 {
        v0_1_0::SafeTx::eip712_encode_type().into_owned()
    } else {
        SafeTx::eip712_encode_type().into_owned()
    }
}

#[cfg(test)]
mod tests;
