//! The head/tail layout of ABI-encoded arguments, checked in one linear pass before any decode.
//!
//! The ABI lets a dynamic argument's offset point anywhere, so several offsets can share one tail
//! (or overlap). A decoder then copies the shared bytes once per offset, and a Timelock batch whose
//! payloads all alias one string, nested a few levels, grows as N^depth: a 7 KB transaction made
//! `check` allocate 14 GB. alloy's `abi_decode_validate` decodes (and copies) before it compares,
//! so it cannot prevent that. The canonical encoding has exactly one layout: tails in argument
//! order, each starting where the previous one ends, the last ending where the data ends. That is
//! what this module accepts, and nothing else; so whatever a decoder copies afterwards adds up to
//! at most the input's own length.
//!
//! It checks the layout only (offsets and lengths). Whether each value is canonical (zero padding,
//! clean address words) is still decided by re-encoding what alloy decoded.

use core::fmt;

/// The shape of one parameter, as far as the layout is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Param {
    /// One static word: address, uintN, bytes32, bool.
    Word,
    /// `bytes` (or `string`): a length word, then the data padded to whole words.
    Bytes,
    /// An array of static words (`address[]`, `uint256[]`): a length word, then one word each.
    Words,
    /// `bytes[]`: a length word, then a tuple of that many `bytes`.
    BytesList,
}

/// Why a layout is not the canonical one; `at` is a byte offset into the arguments (after the
/// selector).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LayoutError {
    /// What is wrong.
    pub problem: Problem,
    /// The argument byte where it is.
    pub at: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Problem {
    /// The data ends inside a head, a length word or a tail.
    Truncated,
    /// A dynamic argument's offset is not where the previous tail ends.
    Misplaced,
    /// A length or offset word does not fit the data.
    Oversized,
    /// Bytes follow the last tail.
    Trailing,
}

impl fmt::Display for LayoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = self.at;
        match self.problem {
            Problem::Truncated => write!(f, "ABI data ends early (argument byte {at})"),
            Problem::Misplaced => write!(
                f,
                "ABI offset at argument byte {at} does not point where the previous tail ends \
                 (shared, overlapping or out-of-order data)"
            ),
            Problem::Oversized => write!(f, "ABI length or offset at argument byte {at} runs past the data"),
            Problem::Trailing => write!(f, "bytes follow the last ABI argument (argument byte {at})"),
        }
    }
}

const WORD: usize = 32;

/// Checks that `args` (the calldata after the selector) is laid out exactly as the canonical
/// encoding of `params` would be. Runs in O(len(args)) whatever the bytes.
pub fn check(params: &[Param], args: &[u8]) -> Result<(), LayoutError> {
    let end = tuple(params.iter().copied(), params.len(), args, 0)?;
    if end != args.len() {
        return Err(LayoutError { problem: Problem::Trailing, at: end });
    }
    Ok(())
}

/// Reads the word at `at` as a length or offset; anything that does not fit `usize` (or is
/// beyond the data) is oversized.
fn word_at(args: &[u8], at: usize) -> Result<usize, LayoutError> {
    let end = at.checked_add(WORD).ok_or(LayoutError { problem: Problem::Truncated, at })?;
    let word = args.get(at..end).ok_or(LayoutError { problem: Problem::Truncated, at })?;
    let (high, low) = word.split_at(WORD - 8);
    if high.iter().any(|b| *b != 0) {
        return Err(LayoutError { problem: Problem::Oversized, at });
    }
    let mut be = [0u8; 8];
    be.copy_from_slice(low);
    let value = u64::from_be_bytes(be);
    let value = usize::try_from(value).map_err(|_| LayoutError { problem: Problem::Oversized, at })?;
    if value > args.len() {
        return Err(LayoutError { problem: Problem::Oversized, at });
    }
    Ok(value)
}

/// A tuple of `count` parameters starting at `base`; returns where its last tail ends.
/// Every parameter takes one head word (none of ours is a static tuple or fixed array).
fn tuple(
    params: impl Iterator<Item = Param>,
    count: usize,
    args: &[u8],
    base: usize,
) -> Result<usize, LayoutError> {
    let overflow = LayoutError { problem: Problem::Oversized, at: base };
    let head_len = count.checked_mul(WORD).ok_or(overflow)?;
    let head_end = base.checked_add(head_len).ok_or(overflow)?;
    if head_end > args.len() {
        return Err(LayoutError { problem: Problem::Truncated, at: base });
    }
    // Where the next tail must start, relative to `base`.
    let mut next = head_len;
    for (index, param) in params.enumerate() {
        if param == Param::Word {
            continue;
        }
        let slot = base.saturating_add(index.saturating_mul(WORD));
        let offset = word_at(args, slot)?;
        if offset != next {
            return Err(LayoutError { problem: Problem::Misplaced, at: slot });
        }
        let start = base.checked_add(offset).ok_or(LayoutError { problem: Problem::Oversized, at: slot })?;
        let tail_end = tail(param, args, start)?;
        next = tail_end.saturating_sub(base);
    }
    Ok(base.saturating_add(next))
}

/// The tail of one dynamic parameter starting at `start`; returns where it ends.
fn tail(param: Param, args: &[u8], start: usize) -> Result<usize, LayoutError> {
    let len = word_at(args, start)?;
    let body = start.saturating_add(WORD);
    let truncated = LayoutError { problem: Problem::Truncated, at: start };
    match param {
        Param::Word => Ok(start),
        Param::Bytes => {
            let padded = len.div_ceil(WORD).checked_mul(WORD).ok_or(truncated)?;
            let end = body.checked_add(padded).ok_or(truncated)?;
            if end > args.len() {
                return Err(truncated);
            }
            Ok(end)
        }
        Param::Words => {
            let end = len.checked_mul(WORD).and_then(|n| body.checked_add(n)).ok_or(truncated)?;
            if end > args.len() {
                return Err(truncated);
            }
            Ok(end)
        }
        // `len` ≤ args.len() (word_at), and the head of `len` words must fit before the loop
        // starts, so the loop below is bounded by the input too.
        Param::BytesList => tuple(core::iter::repeat_n(Param::Bytes, len), len, args, body),
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use alloc::vec;
    use alloc::vec::Vec;

    use alloy_primitives::{Address, B256, Bytes, U256};
    use alloy_sol_types::SolCall;

    use super::*;
    use crate::calls::{proxy::Proxy, timelock::TimelockController};

    fn args(call: &impl SolCall) -> Vec<u8> {
        call.abi_encode().split_off(4)
    }

    const BATCH: [Param; 6] =
        [Param::Words, Param::Words, Param::BytesList, Param::Word, Param::Word, Param::Word];

    fn batch(payloads: Vec<Bytes>) -> TimelockController::scheduleBatchCall {
        let n = payloads.len();
        TimelockController::scheduleBatchCall {
            targets: vec![Address::ZERO; n],
            values: vec![U256::ZERO; n],
            payloads,
            predecessor: B256::ZERO,
            salt: B256::ZERO,
            delay: U256::ZERO,
        }
    }

    #[test]
    fn canonical_encodings_pass() {
        let call = batch(vec![Bytes::from(vec![1u8; 33]), Bytes::new(), Bytes::from(vec![2u8; 64])]);
        assert_eq!(check(&BATCH, &args(&call)), Ok(()));
        let call =
            Proxy::upgradeToAndCallCall { newImplementation: Address::ZERO, data: Bytes::from(vec![7; 5]) };
        assert_eq!(check(&[Param::Word, Param::Bytes], &args(&call)), Ok(()));
        assert_eq!(check(&BATCH, &args(&batch(vec![]))), Ok(()));
    }

    #[test]
    fn aliased_payloads_are_refused() {
        let call = batch(vec![Bytes::from(vec![1u8; 40]), Bytes::from(vec![1u8; 40])]);
        let mut data = args(&call);
        // payloads tail: at the offset in head word 2; its element offsets follow its length word.
        let list = usize::try_from(U256::from_be_slice(&data[64..96])).expect("small");
        let second_offset_at = list + 32 + 32;
        // Point the second element at the first one's tail.
        let first = data[list + 32..list + 64].to_vec();
        data[second_offset_at..second_offset_at + 32].copy_from_slice(&first);
        let e = check(&BATCH, &data).expect_err("aliased");
        assert_eq!((e.problem, e.at), (Problem::Misplaced, second_offset_at));
    }

    #[test]
    fn trailing_and_truncated_and_oversized() {
        let call =
            Proxy::upgradeToAndCallCall { newImplementation: Address::ZERO, data: Bytes::from(vec![7; 5]) };
        let params = [Param::Word, Param::Bytes];
        let mut data = args(&call);
        data.extend_from_slice(&[0; 32]);
        assert_eq!(check(&params, &data).map_err(|e| e.problem), Err(Problem::Trailing));
        let data = args(&call);
        assert_eq!(check(&params, &data[..data.len() - 1]).map_err(|e| e.problem), Err(Problem::Truncated));
        let mut data = args(&call);
        data[64..96].copy_from_slice(&[0xff; 32]);
        assert_eq!(check(&params, &data).map_err(|e| e.problem), Err(Problem::Oversized));
        assert_eq!(check(&[Param::Word], &[]).map_err(|e| e.problem), Err(Problem::Truncated));
    }

    #[test]
    fn a_huge_claimed_list_length_costs_nothing() {
        // bytes[] claiming as many elements as the data has bytes: the head check stops it.
        let mut data = vec![0u8; 96];
        data[31] = 32; // offset of the list
        data[63] = 64; // its length: 64 elements, whose 2 KiB head does not fit
        assert_eq!(check(&[Param::BytesList], &data).map_err(|e| e.problem), Err(Problem::Truncated));
    }
}
