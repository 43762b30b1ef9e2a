//! Wiping policy bytes at memory speed. `zeroize`'s slice impl writes one volatile byte at a
//! time, which made wiping the largest cost of a check after hashing (a 200 KB transaction is
//! held and wiped several times). Here the aligned middle is written as `u128` words, still by
//! `zeroize`'s volatile writes, and only the unaligned ends byte by byte; zerocopy (already in
//! the tree, under ciborium) makes the word view without `unsafe`.

use zerocopy::FromBytes;
use zeroize::Zeroize;

/// Overwrites `bytes` with zeros by volatile writes the compiler cannot drop.
pub fn wipe(bytes: &mut [u8]) {
    let head = bytes.as_ptr().align_offset(core::mem::align_of::<u128>()).min(bytes.len());
    let (prefix, rest) = bytes.split_at_mut(head);
    prefix.zeroize();
    match <[u128]>::mut_from_prefix(rest) {
        Ok((words, tail)) => {
            words.zeroize();
            tail.zeroize();
        }
        // Not reached: `rest` starts aligned, and any length has a (maybe empty) word prefix.
        Err(e) => e.into_src().zeroize(),
    }
}

/// A byte buffer wiped with [`wipe`] when dropped: for the signing payload, the largest buffer a
/// check holds. It never grows, so no unwiped copy is left behind by a reallocation.
pub struct WipedBytes(alloc::vec::Vec<u8>);

impl WipedBytes {
    /// A buffer of exactly `capacity` bytes' room, filled by `fill` (which must not write more).
    pub fn filled(capacity: usize, fill: impl FnOnce(&mut alloc::vec::Vec<u8>)) -> Self {
        let mut out = WipedBytes(alloc::vec::Vec::with_capacity(capacity));
        fill(&mut out.0);
        out
    }

    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }
}

impl Drop for WipedBytes {
    fn drop(&mut self) {
        wipe(&mut self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_is_wiped_at_every_alignment_and_length() {
        let mut buf = [0xA5u8; 97];
        for start in 0..17 {
            for end in start..buf.len() {
                buf.fill(0xA5);
                wipe(&mut buf[start..end]);
                assert!(buf[start..end].iter().all(|&b| b == 0), "{start}..{end}");
                assert!(buf[..start].iter().chain(&buf[end..]).all(|&b| b == 0xA5), "only {start}..{end}");
            }
        }
    }
}
