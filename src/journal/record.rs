//! One journal record: small and typed. It keeps what the one-time-use rules and a later audit
//! need (who signed what kind of thing for which action, the transaction's facts, the signing
//! hash, the signature and the transaction hash), never the payload itself: the calldata is
//! represented by its keccak256 and length.

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use firmware_policy::{DecodedTx, TxType};
use serde::{Deserialize, Serialize};

/// What a record says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The device is about to be asked to sign this signing hash.
    Intent,
    /// The device signed and the signature recovered to the signer.
    Signed,
    /// The attempt ended without a signature to return. `released` says whether the device is
    /// known not to have signed (only then does the attempt stop binding the action).
    Failed,
    /// Unparsable bytes left by an interrupted write, sealed as evidence (their sha256).
    Torn,
    /// `verify-execution` found the executed transaction `tx_hash` diverged from the manifest:
    /// nothing more of `manifest_hash` is signed from this journal (`release_contained`).
    Contained,
}

/// What kind of thing a signature is over: half of the one-time-use key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Signs {
    /// An Ethereum transaction's signing payload.
    Transaction,
    /// A Safe transaction's safeTxHash, signed as EIP-712 (hashed mode).
    SafeTx,
    /// A Safe transaction's safeTxHash, signed as an `eth_sign` personal message.
    SafeTxEthSign,
    /// An approval of the whole manifest (EIP-712 `ReleaseApproval`): one per approver.
    ReleaseApproval,
}

impl Signs {
    /// What the record's `signing_hash` is the hash of, for people.
    pub fn describe(self) -> &'static str {
        match self {
            Signs::Transaction => "transaction",
            Signs::SafeTx => "Safe transaction (EIP-712)",
            Signs::SafeTxEthSign => "Safe transaction (eth_sign)",
            Signs::ReleaseApproval => "approval of the manifest (EIP-712)",
        }
    }
}

/// The facts of a Safe transaction an owner signs: which Safe on which chain at which version,
/// every SafeTx field (the calldata by its keccak256 and length), and the two hashes of its
/// digest, so an audit can recompute the safeTxHash without the payload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SafeTxFacts {
    /// The Safe.
    pub safe: Address,
    /// The chain the check was for (in the domain from Safe 1.3.0).
    pub chain_id: Option<u64>,
    /// The Safe's version (without the `+L2` suffix, which does not change the hash).
    pub version: String,
    /// The Safe nonce.
    pub nonce: U256,
    /// The inner call's target.
    pub to: Address,
    /// Wei the Safe sends.
    pub value: U256,
    /// keccak256 of the inner calldata.
    pub calldata_keccak: B256,
    /// Length of the inner calldata.
    pub calldata_len: usize,
    /// 0 call, 1 delegatecall.
    pub operation: u8,
    /// safeTxGas.
    pub safe_tx_gas: U256,
    /// baseGas (dataGas in 0.1.0).
    pub base_gas: U256,
    /// The refund's gas price.
    pub gas_price: U256,
    /// The refund's token.
    pub gas_token: Address,
    /// The refund's receiver.
    pub refund_receiver: Address,
    /// The EIP-712 domain separator.
    pub domain_separator: B256,
    /// hashStruct(SafeTx).
    pub message_hash: B256,
}

impl SafeTxFacts {
    /// The facts of a Safe transaction as the co-signer's check saw it.
    pub fn of(proposal: &firmware_policy::SafeTxProposal) -> Self {
        let (domain, tx, hashes) = (proposal.domain(), proposal.tx(), proposal.hashes());
        SafeTxFacts {
            safe: domain.safe,
            chain_id: domain.chain_id,
            version: domain.version.as_str().to_string(),
            nonce: tx.nonce,
            to: tx.to,
            value: tx.value,
            calldata_keccak: keccak256(&tx.data),
            calldata_len: tx.data.len(),
            operation: tx.operation,
            safe_tx_gas: tx.safe_tx_gas,
            base_gas: tx.base_gas,
            gas_price: tx.gas_price,
            gas_token: tx.gas_token,
            refund_receiver: tx.refund_receiver,
            domain_separator: hashes.domain_separator,
            message_hash: hashes.message_hash,
        }
    }
}

/// The facts of a signed (or about to be signed) transaction, enough to apply replacement and
/// audit rules later without keeping the payload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TxFacts {
    /// EIP-2718 type (0 for legacy).
    pub tx_type: u8,
    /// The chain id (`None` for pre-EIP-155 legacy).
    pub chain_id: Option<u64>,
    /// The account nonce.
    pub nonce: u64,
    /// The target (`None` for creation).
    pub to: Option<Address>,
    /// Wei sent.
    pub value: U256,
    /// keccak256 of the calldata.
    pub calldata_keccak: B256,
    /// Length of the calldata.
    pub calldata_len: usize,
    /// The gas limit.
    pub gas_limit: u64,
    /// gasPrice of legacy and EIP-2930 transactions.
    pub gas_price: Option<U256>,
    /// maxFeePerGas of fee-market transactions.
    pub max_fee_per_gas: Option<U256>,
    /// maxPriorityFeePerGas of fee-market transactions.
    pub max_priority_fee_per_gas: Option<U256>,
    /// keccak256 of the RLP of the access list and of the authorization list, one after the
    /// other: what a replacement must keep besides to, value and calldata. Absent in records
    /// written before it existed (which a replacement then cannot match).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lists_keccak: Option<B256>,
}

impl TxFacts {
    /// The facts of a decoded transaction.
    pub fn of(tx: &DecodedTx) -> Self {
        TxFacts {
            tx_type: tx.tx_type().byte(),
            chain_id: tx.chain_id(),
            nonce: tx.nonce(),
            to: tx.to(),
            value: tx.value(),
            calldata_keccak: tx.input_keccak(),
            calldata_len: tx.input().len(),
            gas_limit: tx.gas_limit(),
            gas_price: tx.gas_price().map(U256::from),
            max_fee_per_gas: tx.max_fee_per_gas().map(U256::from),
            max_priority_fee_per_gas: tx.max_priority_fee_per_gas().map(U256::from),
            lists_keccak: Some(lists_keccak(tx)),
        }
    }

    /// Whether `tx_type` is the legacy type (its `v` follows EIP-155).
    pub fn is_legacy(&self) -> bool {
        self.tx_type == TxType::Legacy.byte()
    }
}

fn lists_keccak(tx: &DecodedTx) -> B256 {
    use alloy_consensus::Transaction as _;
    let mut lists = Vec::new();
    let empty = alloy_eips::eip2930::AccessList::default();
    alloy_rlp::Encodable::encode(tx.inner().access_list().unwrap_or(&empty), &mut lists);
    alloy_rlp::Encodable::encode(&tx.authorizations().to_vec(), &mut lists);
    keccak256(&lists)
}

/// A record without its own hash: the bytes that are hashed, in this field order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Body {
    /// Position in the journal, from 0 (people see it numbered from 1).
    pub seq: u64,
    /// Hash of the previous record (zero for the first).
    pub prev: B256,
    /// What happened.
    pub kind: Kind,
    /// Unix seconds.
    pub time: u64,
    /// The approved manifest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest_hash: Option<B256>,
    /// The action index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<usize>,
    /// The action name (shown escaped: it is text from a manifest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_name: Option<String>,
    /// The account that signs (the manifest's executor for a transaction).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signer: Option<Address>,
    /// What kind of thing is signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signs: Option<Signs>,
    /// The hash the device signs (keccak256 of the signing payload for a transaction).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_hash: Option<B256>,
    /// The transaction's facts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tx: Option<TxFacts>,
    /// The Safe transaction's facts (for `safe_tx` and `safe_tx_eth_sign`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub safe_tx: Option<SafeTxFacts>,
    /// The signature `r ‖ s ‖ y_parity` (65 bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<Bytes>,
    /// keccak256 of the signed transaction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tx_hash: Option<B256>,
    /// For `failed`: true when the device is known not to have signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub released: Option<bool>,
    /// For `torn`: sha256 of the sealed bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub torn_sha256: Option<B256>,
    /// For `torn`: how many bytes were sealed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub torn_len: Option<u64>,
    /// Why an attempt failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// For an approval of the manifest: how the device was asked (the signature is the same
    /// either way, so a later run in the other mode returns this one and says so).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typed_data_mode: Option<TypedDataMode>,
}

/// How an EIP-712 message reached the device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TypedDataMode {
    /// Every struct and field (full mode).
    Full,
    /// The domain and message hashes only.
    Hashed,
}

impl Body {
    /// A record of `kind` with nothing else set (`append` fills seq, prev and time).
    pub fn new(kind: Kind) -> Self {
        Body {
            seq: 0,
            prev: B256::ZERO,
            kind,
            time: 0,
            manifest_hash: None,
            action: None,
            action_name: None,
            signer: None,
            signs: None,
            signing_hash: None,
            tx: None,
            safe_tx: None,
            signature: None,
            tx_hash: None,
            released: None,
            torn_sha256: None,
            torn_len: None,
            detail: None,
            typed_data_mode: None,
        }
    }

    /// keccak256 of this body's JSON: the record's hash and the next record's `prev`.
    pub fn hash(&self) -> B256 {
        // Serializing a struct of plain fields into a Vec cannot fail.
        keccak256(serde_json::to_vec(self).unwrap_or_default())
    }

    /// The fields each kind must carry, so a reader never acts on a half-empty record.
    pub(super) fn missing_field(&self) -> Option<&'static str> {
        // An approval is of the whole manifest: it names no action, and must not.
        let approval = self.signs == Some(Signs::ReleaseApproval);
        let attempt = [
            ("manifest_hash", self.manifest_hash.is_some()),
            (
                if approval { "its manifest-wide scope (an approval names no action)" } else { "action" },
                self.action.is_some() != approval,
            ),
            ("signer", self.signer.is_some()),
            ("signs", self.signs.is_some()),
            ("signing_hash", self.signing_hash.is_some()),
        ];
        let needed: &[(&'static str, bool)] = match self.kind {
            Kind::Intent => &attempt,
            Kind::Failed => &[("released", self.released.is_some())],
            // A transaction's signature makes a transaction, with its hash; a Safe owner's
            // signature makes nothing more (the Safe transaction's facts say what it signs).
            Kind::Signed if self.signs == Some(Signs::Transaction) => &[
                ("signature", self.signature.as_ref().is_some_and(|s| s.len() == 65)),
                ("tx_hash", self.tx_hash.is_some()),
            ],
            Kind::Signed if approval => {
                &[("signature", self.signature.as_ref().is_some_and(|s| s.len() == 65))]
            }
            Kind::Signed => &[
                ("signature", self.signature.as_ref().is_some_and(|s| s.len() == 65)),
                ("safe_tx", self.safe_tx.is_some()),
            ],
            Kind::Torn => {
                &[("torn_sha256", self.torn_sha256.is_some()), ("torn_len", self.torn_len.is_some())]
            }
            Kind::Contained => {
                &[("manifest_hash", self.manifest_hash.is_some()), ("tx_hash", self.tx_hash.is_some())]
            }
        };
        let extra: &[(&'static str, bool)] =
            if matches!(self.kind, Kind::Failed | Kind::Signed) { &attempt } else { &[] };
        needed.iter().chain(extra).find(|(_, present)| !present).map(|(name, _)| *name)
    }
}

/// A record as stored: the body and its hash. (Not flattened: serde ignores
/// `deny_unknown_fields` inside a flattened struct, and no key may pass unchecked.)
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// The hashed part.
    pub body: Body,
    /// keccak256 of the body's JSON.
    pub hash: B256,
}

impl Record {
    /// The record's number as people count: from 1.
    pub fn number(&self) -> u64 {
        self.body.seq.saturating_add(1)
    }
}

impl Drop for Record {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        if let Some(name) = self.body.action_name.as_mut() {
            name.zeroize();
        }
        if let Some(detail) = self.body.detail.as_mut() {
            detail.zeroize();
        }
    }
}
