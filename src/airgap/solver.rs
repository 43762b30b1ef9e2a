//! Solves for a fountain-coded message's fragments from the parts received: each part is one
//! equation over GF(2) (its data is the XOR of the fragments its indexes name), and Gaussian
//! elimination finishes as soon as the parts received span every fragment.
//!
//! The reference decoders only peel: they wait for a part that reduces to a single unknown
//! fragment. On BC-UR's degree distribution (most mixed parts combine hundreds of fragments) that
//! needs markedly more parts than elimination, which needs a handful more than the fragment count
//! whatever was lost (see `benches/frames.rs`). Rows are kept in echelon form by their lowest
//! unknown fragment; a received fragment's row is a unit vector, so reducing by it clears one bit
//! and XORs one fragment, and the work per part is at most the fragment count times (one row's
//! words plus one fragment).

use zeroize::Zeroizing;

/// One stored equation: its lowest set bit is the fragment it is the pivot of.
struct Row {
    bits: Vec<u64>,
    /// Whether the only set bit is the pivot (a fragment received or solved as it is).
    unit: bool,
    data: Zeroizing<Vec<u8>>,
}

/// What one part did to the system.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// It determined something new.
    Used,
    /// It follows from the parts before it (a repeat, or a combination of them).
    Redundant,
}

/// A part that follows from the parts before it as to which fragments it combines, yet carries
/// other bytes: it cannot belong to the same message.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Contradiction;

/// The system for one message of `fragments` fragments of `fragment_len` bytes.
pub(crate) struct Solver {
    fragment_len: usize,
    words: usize,
    rows: Vec<Option<Row>>,
    rank: usize,
}

impl Solver {
    /// An empty system.
    pub(crate) fn new(fragments: usize, fragment_len: usize) -> Self {
        Solver {
            fragment_len,
            words: fragments.div_ceil(64),
            rows: std::iter::repeat_with(|| None).take(fragments).collect(),
            rank: 0,
        }
    }

    /// How many fragments the parts so far determine (the rank of the system).
    pub(crate) fn rank(&self) -> usize {
        self.rank
    }

    /// Whether every fragment is determined.
    pub(crate) fn complete(&self) -> bool {
        self.rank == self.rows.len()
    }

    /// Adds the equation "XOR of the fragments at `indexes` = `data`". Indexes must be below the
    /// fragment count and `data` one fragment long (the caller checked both).
    pub(crate) fn add(&mut self, indexes: &[usize], data: &[u8]) -> Result<Step, Contradiction> {
        let mut bits = vec![0u64; self.words];
        for &i in indexes {
            if let Some(word) = bits.get_mut(i / 64) {
                *word ^= 1 << (i % 64);
            }
        }
        let mut data = Zeroizing::new(data.to_vec());
        let mut word = 0;
        loop {
            while bits.get(word).is_some_and(|w| *w == 0) {
                word += 1;
            }
            let Some(&w) = bits.get(word) else {
                // Every fragment it names is known: its bytes must be what they combine to.
                return if data.iter().all(|b| *b == 0) { Ok(Step::Redundant) } else { Err(Contradiction) };
            };
            let column = word * 64 + w.trailing_zeros() as usize;
            match self.rows.get(column).and_then(Option::as_ref) {
                Some(pivot) => {
                    if pivot.unit {
                        bits[word] &= w - 1;
                    } else {
                        // The pivot has no bits below its column, so none below this word.
                        for (mine, theirs) in bits.iter_mut().zip(&pivot.bits).skip(word) {
                            *mine ^= *theirs;
                        }
                    }
                    xor_into(&mut data, &pivot.data);
                }
                None => {
                    let unit = (w & (w - 1)) == 0 && bits.iter().skip(word + 1).all(|w| *w == 0);
                    if let Some(slot) = self.rows.get_mut(column) {
                        *slot = Some(Row { bits, unit, data });
                        self.rank += 1;
                    }
                    return Ok(Step::Used);
                }
            }
        }
    }

    /// The fragments in order, concatenated, once complete: back-substitution from the last
    /// fragment down, each row then depending only on fragments solved before it.
    pub(crate) fn fragments(mut self) -> Option<Zeroizing<Vec<u8>>> {
        if !self.complete() {
            return None;
        }
        for column in (0..self.rows.len()).rev() {
            let (head, solved) = self.rows.split_at_mut(column + 1);
            let row = head.last_mut()?.as_mut()?;
            if row.unit {
                continue;
            }
            for (w, word) in row.bits.iter().enumerate() {
                let mut rest = *word;
                while rest != 0 {
                    let other = w * 64 + rest.trailing_zeros() as usize;
                    rest &= rest - 1;
                    if other > column {
                        let known = solved.get(other - column - 1)?.as_ref()?;
                        xor_into(&mut row.data, &known.data);
                    }
                }
            }
            row.unit = true;
        }
        let mut out = Zeroizing::new(Vec::with_capacity(self.rows.len() * self.fragment_len));
        for row in self.rows.iter().flatten() {
            out.extend_from_slice(&row.data);
        }
        Some(out)
    }
}

fn xor_into(into: &mut [u8], from: &[u8]) {
    for (a, b) in into.iter_mut().zip(from) {
        *a ^= *b;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solves_what_peeling_cannot() {
        // a^b, b^c, a^c^d... no part is a single unknown, yet four independent equations
        // determine all four fragments.
        let (a, b, c, d) = (1u8, 2u8, 4u8, 8u8);
        let mut s = Solver::new(4, 1);
        assert_eq!(s.add(&[0, 1], &[a ^ b]), Ok(Step::Used));
        assert_eq!(s.add(&[1, 2], &[b ^ c]), Ok(Step::Used));
        assert_eq!(s.add(&[0, 2], &[a ^ c]), Ok(Step::Redundant));
        assert_eq!(s.add(&[0, 2], &[a ^ c ^ 1]), Err(Contradiction));
        assert_eq!(s.add(&[0, 2, 3], &[a ^ c ^ d]), Ok(Step::Used));
        assert!(!s.complete());
        assert_eq!(s.rank(), 3);
        assert_eq!(s.add(&[1, 3], &[b ^ d]), Ok(Step::Used));
        assert!(s.complete());
        assert_eq!(s.fragments().unwrap().as_slice(), &[a, b, c, d]);
    }

    #[test]
    fn an_incomplete_system_gives_nothing() {
        let mut s = Solver::new(70, 2);
        for i in 0..69 {
            assert_eq!(s.add(&[i], &[u8::try_from(i).unwrap(), 1]), Ok(Step::Used));
        }
        assert_eq!(s.add(&[3], &[3, 1]), Ok(Step::Redundant));
        assert!(s.fragments().is_none());
    }
}
