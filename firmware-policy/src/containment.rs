//! The containment record: what `verify-execution` writes when what the chain did diverged from
//! the manifest. While a signer's journal or a bundle carries one for a manifest, no further
//! action of that manifest is signed (`release_contained`); its rollback manifest is another
//! manifest, and stays signable.
//!
//! ```text
//! containment = { 0: "bounded-signer/containment/v1", 1: manifest_hash bytes(32),
//!                 2: rollback_manifest_hash bytes(32), 3: tx_hash bytes(32),
//!                 4: block_hash bytes(32), 5: block_number uint, 6: contained_at uint }
//! ```
//!
//! Canonical CBOR: decoded strictly, re-encoded to the same bytes or refused. It holds hashes and
//! numbers only, nothing secret; it proves nothing by itself (anyone can write one), and it can
//! only ever stop signing, never allow it.

use alloc::vec::Vec;
use core::fmt;

use alloy_primitives::B256;
use ciborium_ll::{Decoder, Encoder, Header};

use crate::cbor_io::{Slice, VecSink};
use crate::manifest::ManifestHash;

/// The format text.
pub const FORMAT_V1: &str = "bounded-signer/containment/v1";
/// Largest record accepted (it is about 180 bytes).
pub const MAX_CONTAINMENT_BYTES: usize = 512;

/// A release contained after its execution diverged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Containment {
    /// The contained manifest.
    pub manifest_hash: ManifestHash,
    /// Its rollback manifest (the only one whose actions the runbook now signs).
    pub rollback_manifest_hash: B256,
    /// The executed transaction that diverged.
    pub tx_hash: B256,
    /// The block it was proven in.
    pub block_hash: B256,
    /// That block's number.
    pub block_number: u64,
    /// When it was contained (unix seconds).
    pub contained_at: u64,
}

/// Why bytes are not a containment record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContainmentError {
    /// What is wrong.
    pub problem: &'static str,
    /// Where.
    pub offset: usize,
}

impl fmt::Display for ContainmentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not a containment record: {} (at byte {})", self.problem, self.offset)
    }
}

impl Containment {
    /// The canonical bytes.
    pub fn to_canonical_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        let mut enc = Encoder::from(VecSink(&mut out));
        // Writing to a vector cannot fail.
        let _ = enc.push(Header::Map(Some(7)));
        let _ = enc.push(Header::Positive(0));
        let _ = enc.text(FORMAT_V1, None);
        for (key, word) in [
            (1u64, &self.manifest_hash.0),
            (2, &self.rollback_manifest_hash),
            (3, &self.tx_hash),
            (4, &self.block_hash),
        ] {
            let _ = enc.push(Header::Positive(key));
            let _ = enc.bytes(word.as_slice(), None);
        }
        let _ = enc.push(Header::Positive(5));
        let _ = enc.push(Header::Positive(self.block_number));
        let _ = enc.push(Header::Positive(6));
        let _ = enc.push(Header::Positive(self.contained_at));
        out
    }

    /// Decodes a record: strictly, and only its one canonical encoding.
    pub fn from_canonical_bytes(bytes: &[u8]) -> Result<Self, ContainmentError> {
        let err = |problem, offset| ContainmentError { problem, offset };
        if bytes.len() > MAX_CONTAINMENT_BYTES {
            return Err(err("larger than a record can be (512 bytes)", 0));
        }
        let mut dec = Decoder::from(Slice(bytes));
        let pull = |dec: &mut Decoder<Slice<'_>>| {
            let at = dec.offset();
            dec.pull().map(|h| (h, at)).map_err(|_| err("not well-formed CBOR", at))
        };
        match pull(&mut dec)? {
            (Header::Map(Some(7)), _) => {}
            (_, at) => return Err(err("not a map of the seven keys", at)),
        }
        let mut words = [B256::ZERO; 4];
        let mut numbers = [0u64; 2];
        for key in 0u64..7 {
            match pull(&mut dec)? {
                (Header::Positive(k), _) if k == key => {}
                (_, at) => return Err(err("the keys must be 0 to 6, in order", at)),
            }
            let (value, at) = pull(&mut dec)?;
            match (key, value) {
                (0, Header::Text(Some(n))) if n == FORMAT_V1.len() => {
                    let mut text = [0u8; FORMAT_V1.len()];
                    ciborium_io::Read::read_exact(&mut dec, &mut text)
                        .map_err(|_| err("the file ends", at))?;
                    if text != FORMAT_V1.as_bytes() {
                        return Err(err("not bounded-signer/containment/v1", at));
                    }
                }
                (1..=4, Header::Bytes(Some(32))) => {
                    let mut word = [0u8; 32];
                    ciborium_io::Read::read_exact(&mut dec, &mut word)
                        .map_err(|_| err("the file ends", at))?;
                    if let Some(slot) =
                        usize::try_from(key.saturating_sub(1)).ok().and_then(|i| words.get_mut(i))
                    {
                        *slot = B256::from(word);
                    }
                }
                (5 | 6, Header::Positive(n)) => {
                    if let Some(slot) =
                        usize::try_from(key.saturating_sub(5)).ok().and_then(|i| numbers.get_mut(i))
                    {
                        *slot = n;
                    }
                }
                _ => return Err(err("a value of the wrong type or length", at)),
            }
        }
        if dec.offset() != bytes.len() {
            return Err(err("bytes after the record", dec.offset()));
        }
        let [manifest, rollback, tx_hash, block_hash] = words;
        let [block_number, contained_at] = numbers;
        let record = Containment {
            manifest_hash: ManifestHash(manifest),
            rollback_manifest_hash: rollback,
            tx_hash,
            block_hash,
            block_number,
            contained_at,
        };
        if record.to_canonical_bytes() != bytes {
            return Err(err("not the canonical encoding", 0));
        }
        Ok(record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> Containment {
        Containment {
            manifest_hash: ManifestHash(B256::repeat_byte(1)),
            rollback_manifest_hash: B256::repeat_byte(2),
            tx_hash: B256::repeat_byte(3),
            block_hash: B256::repeat_byte(4),
            block_number: 1_000_000,
            contained_at: 1_796_500_000,
        }
    }

    /// The bytes of a record, by hand from the format in the module docs (they also seed the
    /// `containment_decode` fuzz target).
    #[test]
    fn the_encoding_is_the_documented_one() {
        let record = Containment { block_number: 42, contained_at: 0x6b14_bc85, ..record() };
        let words: alloc::string::String = (1..=4u8)
            .map(|k| alloc::format!("{:02x}5820{}", k, alloc::format!("{k:02x}").repeat(32)))
            .collect();
        let expected =
            alloc::format!("a700781d{}{words}05182a061a6b14bc85", alloy_primitives::hex::encode(FORMAT_V1));
        assert_eq!(alloy_primitives::hex::encode(record.to_canonical_bytes()), expected);
    }

    #[test]
    fn a_record_round_trips_and_any_other_encoding_is_refused() {
        let bytes = record().to_canonical_bytes();
        assert_eq!(Containment::from_canonical_bytes(&bytes), Ok(record()));
        for cut in 0..bytes.len() {
            assert!(
                Containment::from_canonical_bytes(bytes.get(..cut).unwrap_or_default()).is_err(),
                "cut {cut}"
            );
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(Containment::from_canonical_bytes(&longer).is_err());
        // A non-shortest block number (0x1b + 8 bytes for a number that fits in 4).
        let at = bytes.windows(5).position(|w| w == [0x05, 0x1a, 0x00, 0x0f, 0x42]).unwrap_or(usize::MAX);
        let mut long_head = bytes.get(..at.saturating_add(1)).unwrap_or_default().to_vec();
        long_head.extend([0x1b, 0, 0, 0, 0, 0x00, 0x0f, 0x42, 0x40]);
        long_head.extend(bytes.get(at.saturating_add(6)..).unwrap_or_default());
        assert!(Containment::from_canonical_bytes(&long_head).is_err());
    }
}
