//! Characters that can hide or reorder what a signer reads: control characters, bidirectional
//! formatting (the "Trojan Source" set), and every other invisible format character. The manifest
//! refuses them in its text, and every output path escapes them in text that came from input.
//!
//! The core has no Unicode tables of its own under `no_std` beyond `char::is_control`, so the
//! format characters are listed here: every code point of general category Cf, Zl and Zp
//! (generated from Unicode 14.0, with the Egyptian hieroglyph format controls Unicode 15.0 added),
//! the Hangul fillers (category Lo, but they render as nothing), and the whole tag block.

/// Inclusive ranges, sorted, non-overlapping.
const INVISIBLE: [(char, char); 23] = [
    ('\u{ad}', '\u{ad}'),
    ('\u{600}', '\u{605}'),
    ('\u{61c}', '\u{61c}'),
    ('\u{6dd}', '\u{6dd}'),
    ('\u{70f}', '\u{70f}'),
    ('\u{890}', '\u{891}'),
    ('\u{8e2}', '\u{8e2}'),
    ('\u{115f}', '\u{1160}'),
    ('\u{180e}', '\u{180e}'),
    ('\u{200b}', '\u{200f}'),
    ('\u{2028}', '\u{202e}'),
    ('\u{2060}', '\u{2064}'),
    ('\u{2066}', '\u{206f}'),
    ('\u{3164}', '\u{3164}'),
    ('\u{feff}', '\u{feff}'),
    ('\u{ffa0}', '\u{ffa0}'),
    ('\u{fff9}', '\u{fffb}'),
    ('\u{110bd}', '\u{110bd}'),
    ('\u{110cd}', '\u{110cd}'),
    ('\u{13430}', '\u{1343f}'),
    ('\u{1bca0}', '\u{1bca3}'),
    ('\u{1d173}', '\u{1d17a}'),
    ('\u{e0000}', '\u{e007f}'),
];

/// True for a character a terminal or a reviewer's screen could use to hide or reorder text.
pub fn is_deceptive_char(c: char) -> bool {
    c.is_control()
        || INVISIBLE
            .binary_search_by(|(low, high)| {
                if *high < c {
                    core::cmp::Ordering::Less
                } else if *low > c {
                    core::cmp::Ordering::Greater
                } else {
                    core::cmp::Ordering::Equal
                }
            })
            .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_and_disjoint() {
        assert!(INVISIBLE.windows(2).all(|w| w[0].1 < w[1].0));
        assert!(INVISIBLE.iter().all(|(a, b)| a <= b));
    }

    #[test]
    fn invisible_and_reordering_characters_are_caught() {
        for c in [
            '\u{1b}',
            '\u{9b}',
            '\u{202e}',
            '\u{2066}',
            '\u{200e}',
            '\u{61c}',
            '\u{200b}',
            '\u{200c}',
            '\u{200d}',
            '\u{2060}',
            '\u{feff}',
            '\u{ad}',
            '\u{2028}',
            '\u{2029}',
            '\u{115f}',
            '\u{1160}',
            '\u{3164}',
            '\u{ffa0}',
            '\u{e0000}',
            '\u{e0001}',
            '\u{e007f}',
            '\u{180e}',
            '\u{1d173}',
        ] {
            assert!(is_deceptive_char(c), "U+{:04X}", c as u32);
        }
        for c in ['a', ' ', '\u{e9}', '\u{4e2d}', '\u{1f600}', '-', '\u{2010}'] {
            assert!(!is_deceptive_char(c), "U+{:04X}", c as u32);
        }
    }
}
