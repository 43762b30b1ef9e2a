//! Exact decoding of the transaction a Ledger signs.
//!
//! Input is either the unsigned signing payload (exactly the bytes the device receives) or a
//! signed raw transaction. Either way the result carries one canonical unsigned payload, and the
//! policy decides on those very bytes. alloy's decoders are lenient in two ways that matter here
//! (trailing bytes, a permissive legacy form), so every decode is followed by an emptiness check
//! and a byte-for-byte comparison with alloy's own re-encoding.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;

use alloy_consensus::transaction::{RlpEcdsaDecodableTx, RlpEcdsaEncodableTx};
use alloy_consensus::{
    EthereumTypedTransaction, SignableTransaction, Transaction, TxEip1559, TxEip2930, TxEip4844, TxEip7702,
    TxLegacy,
};
use alloy_eips::eip7702::SignedAuthorization;
use alloy_primitives::{Address, B256, Bytes, Signature, TxKind, U256, keccak256};
use alloy_rlp::{Decodable, Header};
use zeroize::Zeroizing;

use crate::limits;

/// The unsigned transaction as alloy models it.
pub type UnsignedTx = EthereumTypedTransaction<TxEip4844>;

/// Transaction types by their EIP-2718 type byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxType {
    /// Legacy RLP list (EIP-155 or pre-155).
    Legacy = 0,
    /// EIP-2930 access-list transaction.
    Eip2930 = 1,
    /// EIP-1559 fee-market transaction.
    Eip1559 = 2,
    /// EIP-4844 blob transaction.
    Eip4844 = 3,
    /// EIP-7702 set-code transaction.
    Eip7702 = 4,
}

impl TxType {
    /// The type byte (0 for legacy).
    pub fn byte(self) -> u8 {
        self as u8
    }

    /// The name signers know it by.
    pub fn name(self) -> &'static str {
        match self {
            TxType::Legacy => "legacy",
            TxType::Eip2930 => "eip2930",
            TxType::Eip1559 => "eip1559",
            TxType::Eip4844 => "eip4844",
            TxType::Eip7702 => "eip7702",
        }
    }

    /// Items in the unsigned RLP list of this type (legacy: the EIP-155 form).
    fn unsigned_items(self) -> usize {
        match self {
            TxType::Legacy => 9,
            TxType::Eip2930 => 8,
            TxType::Eip1559 => 9,
            TxType::Eip4844 => 11,
            TxType::Eip7702 => 10,
        }
    }
}

/// Which form the input had.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxForm {
    /// The unsigned signing payload.
    Unsigned,
    /// A signed raw transaction (its unsigned part is what the policy sees).
    Signed,
}

/// Why transaction bytes were refused. `offset` is a byte offset into the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxDecodeError {
    /// What is wrong.
    pub kind: TxErrorKind,
    /// Where, when known.
    pub offset: Option<usize>,
}

/// The kinds of transaction decoding problems.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TxErrorKind {
    /// No bytes at all.
    Empty,
    /// More than [`limits::MAX_TX_BYTES`].
    TooLarge {
        /// Bytes in the input.
        len: usize,
    },
    /// A type byte this tool does not know (0x00, 0x05–0x7f).
    UnknownType {
        /// The byte.
        byte: u8,
    },
    /// The bytes are neither a legacy RLP list nor an EIP-2718 typed payload.
    NotATransaction,
    /// The RLP is malformed.
    Rlp(alloy_rlp::Error),
    /// The list does not have the item count of any form of this type.
    ItemCount {
        /// The type.
        ty: TxType,
        /// Items found.
        items: usize,
    },
    /// Bytes follow the transaction.
    TrailingBytes,
    /// The bytes decode, but are not the canonical encoding of what they decode to.
    NotCanonical,
}

impl fmt::Display for TxErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TxErrorKind::Empty => f.write_str("no transaction bytes"),
            TxErrorKind::TooLarge { len } => {
                write!(f, "transaction is {len} bytes, more than the {} byte limit", limits::MAX_TX_BYTES)
            }
            TxErrorKind::UnknownType { byte } => {
                write!(f, "unknown transaction type 0x{byte:02x} (known: legacy, 0x01–0x04)")
            }
            TxErrorKind::NotATransaction => {
                f.write_str("not a transaction: expected an RLP list or a type byte 0x01–0x04")
            }
            TxErrorKind::Rlp(e) => write!(f, "malformed RLP: {e}"),
            TxErrorKind::ItemCount { ty, items } => {
                let unsigned = ty.unsigned_items();
                let signed = unsigned.saturating_add(3);
                if *ty == TxType::Legacy {
                    write!(f, "legacy list has {items} items; expected 6 (pre-EIP-155), or 9")
                } else {
                    write!(
                        f,
                        "{} list has {items} items; expected {unsigned} (unsigned) or {signed} (signed)",
                        ty.name()
                    )
                }
            }
            TxErrorKind::TrailingBytes => f.write_str("bytes follow the end of the transaction"),
            TxErrorKind::NotCanonical => {
                f.write_str("not the canonical encoding of the transaction it decodes to")
            }
        }
    }
}

impl fmt::Display for TxDecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.offset {
            Some(offset) => write!(f, "byte {offset}: {}", self.kind),
            None => write!(f, "{}", self.kind),
        }
    }
}

impl core::error::Error for TxDecodeError {}

fn err(kind: TxErrorKind, offset: usize) -> TxDecodeError {
    TxDecodeError { kind, offset: Some(offset) }
}

/// A transaction decoded exactly, with its one canonical unsigned signing payload.
///
/// Its memory is wiped on drop: the payload lives in `Zeroizing`, and the calldata copy alloy
/// keeps inside the transaction is overwritten before it is freed.
pub struct DecodedTx {
    tx: UnsignedTx,
    /// Shared with the approval a check builds, so the bytes checked and the bytes signed are
    /// one buffer (wiped when the last holder drops it).
    payload: Arc<crate::wipe::WipedBytes>,
    signing_hash: B256,
    signature: Option<Signature>,
    form: TxForm,
    /// keccak256 of the calldata, computed the first time it is asked for: the human output and
    /// the journal both show it, and a megabyte of calldata is hashed once.
    input_keccak: core::cell::OnceCell<B256>,
}

impl DecodedTx {
    /// Decodes a signing payload or a signed raw transaction, exactly.
    pub fn decode(input: &[u8]) -> Result<Self, TxDecodeError> {
        if input.is_empty() {
            return Err(TxDecodeError { kind: TxErrorKind::Empty, offset: None });
        }
        if input.len() > limits::MAX_TX_BYTES {
            let kind = TxErrorKind::TooLarge { len: input.len() };
            return Err(TxDecodeError { kind, offset: None });
        }
        let (first, body) = input.split_first().ok_or(err(TxErrorKind::Empty, 0))?;
        let (ty, list, base) = match *first {
            0xc0..=0xff => (TxType::Legacy, input, 0usize),
            0x01 => (TxType::Eip2930, body, 1),
            0x02 => (TxType::Eip1559, body, 1),
            0x03 => (TxType::Eip4844, body, 1),
            0x04 => (TxType::Eip7702, body, 1),
            byte @ 0x00..=0x7f => return Err(err(TxErrorKind::UnknownType { byte }, 0)),
            _ => return Err(err(TxErrorKind::NotATransaction, 0)),
        };
        let shape = list_shape(list).map_err(|(kind, at)| err(kind, base.saturating_add(at)))?;
        let items = shape.items;
        let unsigned_items = ty.unsigned_items();
        let (tx, signature, form) = if ty == TxType::Legacy {
            decode_legacy(list, &shape)?
        } else if items == unsigned_items {
            (decode_typed_unsigned(ty, list)?, None, TxForm::Unsigned)
        } else if items == unsigned_items.saturating_add(3) {
            let (tx, sig) = decode_typed_signed(ty, list)?;
            (tx, Some(sig), TxForm::Signed)
        } else {
            return Err(err(TxErrorKind::ItemCount { ty, items }, base));
        };

        let payload =
            crate::wipe::WipedBytes::filled(tx.payload_len_for_signature(), |out| tx.encode_for_signing(out));
        // An unsigned input is its own signing payload: compared where it is, not copied.
        let signed: Option<Zeroizing<Vec<u8>>> = match (&signature, form) {
            (Some(sig), TxForm::Signed) => {
                let mut out = Zeroizing::new(Vec::with_capacity(signed_len(&tx, sig)));
                encode_signed(&tx, sig, &mut out);
                Some(out)
            }
            _ => None,
        };
        let reencoded: &[u8] = signed.as_deref().map_or(payload.as_slice(), Vec::as_slice);
        if reencoded != input {
            let at = reencoded.iter().zip(input).position(|(a, b)| a != b);
            let at = at.unwrap_or_else(|| reencoded.len().min(input.len()));
            return Err(err(TxErrorKind::NotCanonical, at));
        }
        let signing_hash = keccak256(payload.as_slice());
        Ok(DecodedTx {
            tx,
            payload: Arc::new(payload),
            signing_hash,
            signature,
            form,
            input_keccak: core::cell::OnceCell::new(),
        })
    }

    /// The type.
    pub fn tx_type(&self) -> TxType {
        match &self.tx {
            EthereumTypedTransaction::Legacy(_) => TxType::Legacy,
            EthereumTypedTransaction::Eip2930(_) => TxType::Eip2930,
            EthereumTypedTransaction::Eip1559(_) => TxType::Eip1559,
            EthereumTypedTransaction::Eip4844(_) => TxType::Eip4844,
            EthereumTypedTransaction::Eip7702(_) => TxType::Eip7702,
        }
    }

    /// Which form the input had.
    pub fn form(&self) -> TxForm {
        self.form
    }

    /// The alloy transaction, for fields this view does not name.
    pub fn inner(&self) -> &UnsignedTx {
        &self.tx
    }

    /// The chain id; `None` for a pre-EIP-155 legacy transaction.
    pub fn chain_id(&self) -> Option<u64> {
        self.tx.chain_id()
    }

    /// The account nonce.
    pub fn nonce(&self) -> u64 {
        self.tx.nonce()
    }

    /// The gas limit.
    pub fn gas_limit(&self) -> u64 {
        self.tx.gas_limit()
    }

    /// gasPrice of legacy and EIP-2930 transactions.
    pub fn gas_price(&self) -> Option<u128> {
        self.tx.gas_price()
    }

    /// maxFeePerGas of fee-market transactions.
    pub fn max_fee_per_gas(&self) -> Option<u128> {
        match self.tx_type() {
            TxType::Legacy | TxType::Eip2930 => None,
            _ => Some(self.tx.max_fee_per_gas()),
        }
    }

    /// maxPriorityFeePerGas of fee-market transactions.
    pub fn max_priority_fee_per_gas(&self) -> Option<u128> {
        self.tx.max_priority_fee_per_gas()
    }

    /// maxFeePerBlobGas of a blob transaction.
    pub fn max_fee_per_blob_gas(&self) -> Option<u128> {
        self.tx.max_fee_per_blob_gas()
    }

    /// The target; `None` for contract creation.
    pub fn to(&self) -> Option<Address> {
        match self.tx.kind() {
            TxKind::Call(to) => Some(to),
            TxKind::Create => None,
        }
    }

    /// The value in wei.
    pub fn value(&self) -> U256 {
        self.tx.value()
    }

    /// keccak256 of the calldata, hashed once however often it is asked for.
    pub fn input_keccak(&self) -> B256 {
        *self.input_keccak.get_or_init(|| alloy_primitives::keccak256(self.input()))
    }

    /// The calldata.
    pub fn input(&self) -> &[u8] {
        self.tx.input()
    }

    /// Number of access-list entries (0 when the type has none).
    pub fn access_list_len(&self) -> usize {
        self.tx.access_list().map_or(0, |l| l.0.len())
    }

    /// The EIP-7702 authorization list (empty for other types).
    pub fn authorizations(&self) -> &[SignedAuthorization] {
        self.tx.authorization_list().unwrap_or_default()
    }

    /// Blob versioned hashes of an EIP-4844 transaction.
    pub fn blob_hashes(&self) -> &[B256] {
        self.tx.blob_versioned_hashes().unwrap_or_default()
    }

    /// The canonical unsigned payload: the exact bytes checked and sent to the device.
    pub fn signing_payload(&self) -> &[u8] {
        self.payload.as_slice()
    }

    /// The same payload, shared (no copy): what an approval carries.
    pub(crate) fn shared_payload(&self) -> Arc<crate::wipe::WipedBytes> {
        Arc::clone(&self.payload)
    }

    /// keccak256 of the signing payload (the "Tx hash" a Ledger shows).
    pub fn signing_hash(&self) -> B256 {
        self.signing_hash
    }

    /// The signature of a signed raw transaction.
    pub fn signature(&self) -> Option<&Signature> {
        self.signature.as_ref()
    }

    /// The signed raw transaction (what `eth_sendRawTransaction` takes) for `signature` over
    /// this payload; legacy `v` is derived from the chain id (EIP-155).
    pub fn signed_encoding(&self, signature: &Signature) -> Zeroizing<Vec<u8>> {
        // Sized up front: a growing vector would free copies of the payload unwiped.
        let mut out = Zeroizing::new(Vec::with_capacity(signed_len(&self.tx, signature)));
        encode_signed(&self.tx, signature, &mut out);
        out
    }
}

fn input_mut(tx: &mut UnsignedTx) -> Option<&mut Bytes> {
    Some(match tx {
        EthereumTypedTransaction::Legacy(t) => &mut t.input,
        EthereumTypedTransaction::Eip2930(t) => &mut t.input,
        EthereumTypedTransaction::Eip1559(t) => &mut t.input,
        EthereumTypedTransaction::Eip4844(t) => &mut t.input,
        EthereumTypedTransaction::Eip7702(t) => &mut t.input,
    })
}

/// Overwrites calldata held in an alloy `Bytes` before it is freed. `Bytes` is reference
/// counted and immutable; when this is the only reference the buffer can be reclaimed as
/// mutable and wiped. (A shared buffer is left to its other owners.)
pub fn wipe_bytes(bytes: &mut Bytes) {
    let taken = core::mem::take(&mut bytes.0);
    if let Ok(mut unique) = taken.try_into_mut() {
        crate::wipe::wipe(unique.as_mut());
    }
}

impl Drop for DecodedTx {
    fn drop(&mut self) {
        if let Some(input) = input_mut(&mut self.tx) {
            wipe_bytes(input);
        }
    }
}

impl fmt::Debug for DecodedTx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecodedTx")
            .field("type", &self.tx_type())
            .field("form", &self.form)
            .field("signing_hash", &self.signing_hash)
            .finish_non_exhaustive()
    }
}

/// What walking an RLP list's item headers tells the decoder.
struct ListShape {
    /// Number of items.
    items: usize,
    /// Whether the last two items are empty strings (a legacy unsigned `…, 0, 0` tail).
    last_two_empty: bool,
}

/// Walks the items of the RLP list at the start of `buf`, which must be exactly that list.
fn list_shape(buf: &[u8]) -> Result<ListShape, (TxErrorKind, usize)> {
    let total = buf.len();
    let mut rest = buf;
    let header = Header::decode(&mut rest).map_err(|e| (TxErrorKind::Rlp(e), 0))?;
    if !header.list {
        return Err((TxErrorKind::NotATransaction, 0));
    }
    let header_len = total.saturating_sub(rest.len());
    let Some((mut body, trailing)) = rest.split_at_checked(header.payload_length) else {
        return Err((TxErrorKind::Rlp(alloy_rlp::Error::InputTooShort), total));
    };
    if !trailing.is_empty() {
        return Err((TxErrorKind::TrailingBytes, header_len.saturating_add(header.payload_length)));
    }
    let mut items = 0usize;
    // Emptiness of the last two items seen, most recent last.
    let mut recent = [false; 2];
    while !body.is_empty() {
        let at = header_len.saturating_add(header.payload_length.saturating_sub(body.len()));
        let item = Header::decode(&mut body).map_err(|e| (TxErrorKind::Rlp(e), at))?;
        body =
            body.get(item.payload_length..).ok_or((TxErrorKind::Rlp(alloy_rlp::Error::InputTooShort), at))?;
        recent = [recent[1], !item.list && item.payload_length == 0];
        items = items.saturating_add(1);
    }
    Ok(ListShape { items, last_two_empty: items >= 2 && recent == [true, true] })
}

/// Maps an alloy decoding failure to the offset where the cursor stopped.
fn rlp_err(total: usize, rest: &[u8], base: usize, e: alloy_rlp::Error) -> TxDecodeError {
    err(TxErrorKind::Rlp(e), base.saturating_add(total.saturating_sub(rest.len())))
}

fn decode_legacy(
    list: &[u8],
    shape: &ListShape,
) -> Result<(UnsignedTx, Option<Signature>, TxForm), TxDecodeError> {
    let total = list.len();
    let mut buf = list;
    match shape.items {
        6 => {
            let tx = TxLegacy::rlp_decode(&mut buf).map_err(|e| rlp_err(total, buf, 0, e))?;
            Ok((tx.into(), None, TxForm::Unsigned))
        }
        9 if shape.last_two_empty => {
            let header = Header::decode(&mut buf).map_err(|e| rlp_err(total, buf, 0, e))?;
            debug_assert!(header.list);
            let mut tx = TxLegacy::rlp_decode_fields(&mut buf).map_err(|e| rlp_err(total, buf, 0, e))?;
            let chain_id = u64::decode(&mut buf).map_err(|e| rlp_err(total, buf, 0, e))?;
            for _ in 0..2 {
                u8::decode(&mut buf).map_err(|e| rlp_err(total, buf, 0, e))?;
            }
            tx.chain_id = Some(chain_id);
            Ok((tx.into(), None, TxForm::Unsigned))
        }
        9 => {
            let signed = TxLegacy::rlp_decode_signed(&mut buf).map_err(|e| rlp_err(total, buf, 0, e))?;
            let (tx, sig, _) = signed.into_parts();
            Ok((tx.into(), Some(sig), TxForm::Signed))
        }
        _ => Err(err(TxErrorKind::ItemCount { ty: TxType::Legacy, items: shape.items }, 0)),
    }
}

fn decode_typed_unsigned(ty: TxType, list: &[u8]) -> Result<UnsignedTx, TxDecodeError> {
    let total = list.len();
    let mut buf = list;
    let tx: UnsignedTx = match ty {
        TxType::Eip2930 => TxEip2930::rlp_decode(&mut buf).map(Into::into),
        TxType::Eip1559 => TxEip1559::rlp_decode(&mut buf).map(Into::into),
        TxType::Eip4844 => TxEip4844::rlp_decode(&mut buf).map(Into::into),
        TxType::Eip7702 => TxEip7702::rlp_decode(&mut buf).map(Into::into),
        TxType::Legacy => Err(alloy_rlp::Error::Custom("legacy is not typed")),
    }
    .map_err(|e| rlp_err(total, buf, 1, e))?;
    Ok(tx)
}

fn decode_typed_signed(ty: TxType, list: &[u8]) -> Result<(UnsignedTx, Signature), TxDecodeError> {
    fn parts<T: RlpEcdsaDecodableTx>(buf: &mut &[u8]) -> alloy_rlp::Result<(T, Signature)> {
        let (tx, sig, _) = T::rlp_decode_signed(buf)?.into_parts();
        Ok((tx, sig))
    }
    let total = list.len();
    let mut buf = list;
    let decoded: alloy_rlp::Result<(UnsignedTx, Signature)> = match ty {
        TxType::Eip2930 => parts::<TxEip2930>(&mut buf).map(|(t, s)| (t.into(), s)),
        TxType::Eip1559 => parts::<TxEip1559>(&mut buf).map(|(t, s)| (t.into(), s)),
        TxType::Eip4844 => parts::<TxEip4844>(&mut buf).map(|(t, s)| (t.into(), s)),
        TxType::Eip7702 => parts::<TxEip7702>(&mut buf).map(|(t, s)| (t.into(), s)),
        TxType::Legacy => Err(alloy_rlp::Error::Custom("legacy is not typed")),
    };
    decoded.map_err(|e| rlp_err(total, buf, 1, e))
}

fn signed_len(tx: &UnsignedTx, sig: &Signature) -> usize {
    match tx {
        EthereumTypedTransaction::Legacy(t) => t.rlp_encoded_length_with_signature(sig),
        EthereumTypedTransaction::Eip2930(t) => t.eip2718_encoded_length(sig),
        EthereumTypedTransaction::Eip1559(t) => t.eip2718_encoded_length(sig),
        EthereumTypedTransaction::Eip4844(t) => t.eip2718_encoded_length(sig),
        EthereumTypedTransaction::Eip7702(t) => t.eip2718_encoded_length(sig),
    }
}

fn encode_signed(tx: &UnsignedTx, sig: &Signature, out: &mut Vec<u8>) {
    match tx {
        EthereumTypedTransaction::Legacy(t) => t.rlp_encode_signed(sig, out),
        EthereumTypedTransaction::Eip2930(t) => t.eip2718_encode(sig, out),
        EthereumTypedTransaction::Eip1559(t) => t.eip2718_encode(sig, out),
        EthereumTypedTransaction::Eip4844(t) => t.eip2718_encode(sig, out),
        EthereumTypedTransaction::Eip7702(t) => t.eip2718_encode(sig, out),
    }
}

#[cfg(test)]
mod tests;
