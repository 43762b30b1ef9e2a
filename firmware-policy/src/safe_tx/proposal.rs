//! A Safe transaction as a bundle carries it: the Safe, its chain and version, and every SafeTx
//! field, in one canonical CBOR map. Quantities are 32-byte big-endian words (one encoding each,
//! whatever their size); addresses 20 bytes; the calldata a byte string.
//!
//! ```text
//! { 0: safe bytes(20), 1: chain_id uint, 2: version text ("1.4.1", "1.4.1+L2"), 3: to bytes(20),
//!   4: value bytes(32), 5: data bytes, 6: operation uint, 7: safe_tx_gas bytes(32),
//!   8: base_gas bytes(32), 9: gas_price bytes(32), 10: gas_token bytes(20),
//!   11: refund_receiver bytes(20), 12: nonce bytes(32) }
//! ```

use alloc::vec::Vec;

use alloy_primitives::{Address, Bytes, U256};
use ciborium_ll::{Decoder, Encoder, Header};
use zeroize::Zeroizing;

use super::{SafeDomain, SafeTxFields, SafeVersion};
use crate::cbor_io::{Slice, VecSink};

/// A Safe transaction with everything its hash needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SafeProposal {
    /// The Safe, chain and version (the chain is always given here).
    pub domain: SafeDomain,
    /// Whether the version carries `+L2`.
    pub l2: bool,
    /// The fields.
    pub tx: SafeTxFields,
}

const BAD: &str = "not a Safe proposal (the canonical map of the Safe, chain, version and SafeTx fields)";

impl SafeProposal {
    /// The one canonical encoding (sized up front, wiped on drop: it holds the calldata).
    pub fn to_canonical_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(self.tx.data.len().saturating_add(400)));
        let mut enc = Encoder::from(VecSink(&mut out));
        let bytes = |enc: &mut Encoder<VecSink<'_>>, key: u64, data: &[u8]| {
            let Ok(()) = enc.push(Header::Positive(key));
            let Ok(()) = enc.push(Header::Bytes(Some(data.len())));
            let Ok(()) = ciborium_io::Write::write_all(enc, data);
        };
        let version = self.version_text();
        let Ok(()) = enc.push(Header::Map(Some(13)));
        bytes(&mut enc, 0, self.domain.safe.as_slice());
        let Ok(()) = enc.push(Header::Positive(1));
        let Ok(()) = enc.push(Header::Positive(self.domain.chain_id.unwrap_or_default()));
        let Ok(()) = enc.push(Header::Positive(2));
        let Ok(()) = enc.push(Header::Text(Some(version.len())));
        let Ok(()) = ciborium_io::Write::write_all(&mut enc, version.as_bytes());
        let t = &self.tx;
        bytes(&mut enc, 3, t.to.as_slice());
        bytes(&mut enc, 4, &t.value.to_be_bytes::<32>());
        bytes(&mut enc, 5, &t.data);
        let Ok(()) = enc.push(Header::Positive(6));
        let Ok(()) = enc.push(Header::Positive(u64::from(t.operation)));
        bytes(&mut enc, 7, &t.safe_tx_gas.to_be_bytes::<32>());
        bytes(&mut enc, 8, &t.base_gas.to_be_bytes::<32>());
        bytes(&mut enc, 9, &t.gas_price.to_be_bytes::<32>());
        bytes(&mut enc, 10, t.gas_token.as_slice());
        bytes(&mut enc, 11, t.refund_receiver.as_slice());
        bytes(&mut enc, 12, &t.nonce.to_be_bytes::<32>());
        out
    }

    fn version_text(&self) -> alloc::string::String {
        let mut v = alloc::string::String::from(self.domain.version.as_str());
        if self.l2 {
            v.push_str("+L2");
        }
        v
    }

    /// Decodes `bytes`, which must be the canonical encoding; work and memory linear in them.
    pub fn from_canonical_bytes(bytes: &[u8]) -> Result<Self, &'static str> {
        let mut dec = Decoder::from(Slice(bytes));
        let total = bytes.len();
        let read = |dec: &mut Decoder<Slice<'_>>, key: u64| -> Result<Header, &'static str> {
            if dec.pull().map_err(|_| BAD)? != Header::Positive(key) {
                return Err(BAD);
            }
            dec.pull().map_err(|_| BAD)
        };
        let take = |dec: &mut Decoder<Slice<'_>>, h: Header, want: Option<usize>| {
            let Header::Bytes(Some(len)) = h else { return Err(BAD) };
            if want.is_some_and(|w| w != len) || len > total.saturating_sub(dec.offset()) {
                return Err(BAD);
            }
            let mut out = Zeroizing::new(alloc::vec![0u8; len]);
            ciborium_io::Read::read_exact(dec, &mut out).map_err(|_| BAD)?;
            Ok(out)
        };
        if dec.pull().map_err(|_| BAD)? != Header::Map(Some(13)) {
            return Err(BAD);
        }
        let address = |b: &[u8]| Address::from_slice(b);
        let word = |b: &[u8]| U256::from_be_slice(b);
        let h = read(&mut dec, 0)?;
        let safe = address(&take(&mut dec, h, Some(20))?);
        let Header::Positive(chain_id) = read(&mut dec, 1)? else { return Err(BAD) };
        let Header::Text(Some(len)) = read(&mut dec, 2)? else { return Err(BAD) };
        if len > 16 {
            return Err(BAD);
        }
        let mut text = alloc::vec![0u8; len];
        ciborium_io::Read::read_exact(&mut dec, &mut text).map_err(|_| BAD)?;
        let (version, l2) = core::str::from_utf8(&text).ok().and_then(SafeVersion::parse).ok_or(BAD)?;
        let next = |dec: &mut Decoder<Slice<'_>>, key: u64, want: Option<usize>| {
            let h = read(dec, key)?;
            take(dec, h, want)
        };
        let to = address(&next(&mut dec, 3, Some(20))?);
        let value = word(&next(&mut dec, 4, Some(32))?);
        let data = next(&mut dec, 5, None)?;
        let Header::Positive(operation) = read(&mut dec, 6)? else { return Err(BAD) };
        let operation = u8::try_from(operation).map_err(|_| BAD)?;
        let safe_tx_gas = word(&next(&mut dec, 7, Some(32))?);
        let base_gas = word(&next(&mut dec, 8, Some(32))?);
        let gas_price = word(&next(&mut dec, 9, Some(32))?);
        let gas_token = address(&next(&mut dec, 10, Some(20))?);
        let refund_receiver = address(&next(&mut dec, 11, Some(20))?);
        let nonce = word(&next(&mut dec, 12, Some(32))?);
        if dec.offset() != total {
            return Err(BAD);
        }
        let proposal = SafeProposal {
            domain: SafeDomain { safe, chain_id: Some(chain_id), version },
            l2,
            tx: SafeTxFields {
                to,
                value,
                data: Bytes::copy_from_slice(&data),
                operation,
                safe_tx_gas,
                base_gas,
                gas_price,
                gas_token,
                refund_receiver,
                nonce,
            },
        };
        if proposal.to_canonical_bytes().as_slice() != bytes {
            return Err("not the canonical encoding of a Safe proposal");
        }
        Ok(proposal)
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::address;

    use super::*;

    #[test]
    fn a_safe_proposal_round_trips_and_has_one_encoding() {
        let p = SafeProposal {
            domain: SafeDomain {
                safe: address!("0x1111111111111111111111111111111111111111"),
                chain_id: Some(11_155_111),
                version: SafeVersion::V1_4_1,
            },
            l2: true,
            tx: SafeTxFields {
                to: address!("0x2222222222222222222222222222222222222222"),
                value: U256::from(5u64),
                data: Bytes::from_static(&[1, 2, 3]),
                operation: 1,
                safe_tx_gas: U256::ZERO,
                base_gas: U256::ZERO,
                gas_price: U256::ZERO,
                gas_token: Address::ZERO,
                refund_receiver: Address::ZERO,
                nonce: U256::from(7u64),
            },
        };
        let bytes = p.to_canonical_bytes();
        assert_eq!(SafeProposal::from_canonical_bytes(&bytes), Ok(p));
        for cut in 0..bytes.len() {
            assert!(SafeProposal::from_canonical_bytes(&bytes[..cut]).is_err(), "cut {cut}");
        }
        let mut longer = bytes.to_vec();
        longer.push(0);
        assert!(SafeProposal::from_canonical_bytes(&longer).is_err());
    }
}
