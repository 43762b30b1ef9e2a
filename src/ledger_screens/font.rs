//! Where a Nano S+ breaks a value into lines and pages. The device wraps by pixel width, not by
//! characters: an address line holds 17 to 19 characters depending on its digits and letters, so
//! a model that counts characters shows the signer different lines than the device does.
//!
//! The widths are those of the font app-ethereum 1.22.0's review screens use (NBGL "Open Sans
//! Regular 11px", 1 bpp: the advance width of each ASCII glyph, less the font's kerning of one
//! pixel), as published in LedgerHQ/ledger-secure-sdk v25.12.3,
//! `lib_nbgl/include/fonts/nbgl_font_open_sans_regular_11.json`. The rules are those the SDK's
//! documentation of its text functions describes and the real app shows under Speculos
//! (ledger-protocol.md §5.5): a value area 114 pixels wide (the 128-pixel screen less 7 on each
//! side), three value lines a page under the title, a line broken after the last space, `-` or
//! `_` that fits (the delimiter stays at the end of its line), else before the first character
//! that does not fit.

/// Advance widths of the glyphs 0x20 (space) to 0x7E (`~`), in pixels.
const ADVANCE: [u8; 95] = [
    4, 4, 5, 8, 7, 10, 10, 3, 4, 4, 7, 7, 4, 5, 4, 5, // space ! " # $ % & ' ( ) * + , - . /
    7, 7, 7, 7, 9, 7, 7, 7, 7, 7, // 0-9
    4, 4, 7, 7, 7, 6, 11, // : ; < = > ? @
    8, 8, 8, 9, 7, 7, 9, 9, 4, 4, 8, 7, 11, 9, 10, 8, 10, 8, 7, 8, 9, 8, 11, 8, 7, 7, // A-Z
    5, 5, 5, 7, 6, 7, // [ \ ] ^ _ `
    7, 8, 6, 8, 7, 6, 7, 8, 4, 4, 7, 4, 11, 8, 8, 8, 8, 5, 6, 5, 8, 7, 10, 7, 7, 6, // a-z
    5, 7, 5, 7, // { | } ~
];

/// The font's kerning: every glyph advances one pixel less than its cell.
const KERNING: u8 = 1;

/// The width of a value line, in pixels.
pub(super) const AVAILABLE_WIDTH: u32 = 114;

/// Value lines under a page's title.
pub(super) const LINES_PER_PAGE: usize = 3;

/// A character's width on screen; characters the font lacks take no room (and are not drawn).
fn width(c: char) -> u32 {
    let index = u32::from(c).checked_sub(0x20).and_then(|i| usize::try_from(i).ok());
    index.and_then(|i| ADVANCE.get(i)).map_or(0, |w| u32::from(w.saturating_sub(KERNING)))
}

fn is_delimiter(c: char) -> bool {
    matches!(c, ' ' | '-' | '_')
}

/// The characters of the first line of `text`, as the device draws it: up to the last delimiter
/// that fits (kept, and only when something precedes it), else up to the first character that
/// does not fit. A newline ends the line and is consumed with it.
fn line_len(text: &[char]) -> usize {
    let mut used = 0u32;
    let mut len = 0usize;
    let mut at_delimiter: Option<(usize, u32)> = None;
    for &c in text {
        if c == '\n' {
            return len.saturating_add(1);
        }
        let w = width(c);
        if w == 0 {
            len = len.saturating_add(1);
            continue;
        }
        if is_delimiter(c) {
            at_delimiter = Some((len, used));
        }
        if used.saturating_add(w) > AVAILABLE_WIDTH {
            return match at_delimiter {
                Some((delimiter_len, delimiter_used)) if delimiter_used > 0 => {
                    delimiter_len.saturating_add(1)
                }
                _ => len,
            };
        }
        len = len.saturating_add(1);
        used = used.saturating_add(w);
    }
    len
}

/// The lines of `text`, at most `max_lines` of them (a page's text, or a whole value when
/// `max_lines` is `usize::MAX`). Each line's text is as the device reports it, a kept delimiter
/// included; a newline is not part of a line.
pub(super) fn lines(text: &str, max_lines: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut rest: &[char] = &chars;
    let mut out = Vec::new();
    while !rest.is_empty() && out.len() < max_lines {
        // A glyph wider than a line cannot exist in this font; never loop on one.
        let len = line_len(rest).max(1);
        let (line, tail) = rest.split_at(len.min(rest.len()));
        out.push(line.iter().filter(|c| **c != '\n').collect());
        rest = tail;
    }
    out
}

/// `text` split into pages of [`LINES_PER_PAGE`] lines.
pub(super) fn pages(text: &str) -> Vec<Vec<String>> {
    let all = lines(text, usize::MAX);
    all.chunks(LINES_PER_PAGE).map(<[String]>::to_vec).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_follow_the_glyphs() {
        assert_eq!((width(' '), width('0'), width('4'), width('m'), width('i')), (3, 6, 8, 10, 3));
        assert_eq!(width('é'), 0, "a character the font lacks takes no room");
    }

    #[test]
    fn lines_hold_what_fits_in_114_pixels() {
        // Measured on the real app (ledger-protocol.md §5.5): a mixed-case address line holds 17
        // characters, one of 0x and ones 19.
        let address = "0xDad77910DbDFdE764fC21FCD4E74D71bBACA6D8D";
        assert_eq!(lines(address, usize::MAX), ["0xDad77910DbDFdE7", "64fC21FCD4E74D71b", "BACA6D8D"]);
        let ones = format!("0x{}", "1".repeat(40));
        assert_eq!(lines(&ones, usize::MAX).iter().map(String::len).collect::<Vec<_>>(), [19, 19, 4]);
    }

    #[test]
    fn words_break_after_a_delimiter_that_stays_on_its_line() {
        assert_eq!(lines("Enable transaction blind signing", 9), ["Enable transaction ", "blind signing"]);
        assert_eq!(lines("short", 9), ["short"]);
        assert_eq!(lines("one\ntwo", 9), ["one", "two"]);
        assert!(lines("", 9).is_empty());
    }

    #[test]
    fn a_hash_is_two_pages() {
        let hash = format!("0x{}", "ab".repeat(32));
        let p = pages(&hash);
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].len(), LINES_PER_PAGE);
        assert_eq!(p.concat().concat(), hash);
    }
}
