//! Text that came from input is shown escaped: a release name, a journal string or a TOML line
//! must not be able to move the cursor, clear the screen, hide characters or reorder what a
//! signer reads (bidi overrides, zero-width and other format characters).
//!
//! One rule, [`is_deceptive_char`] from the policy core, applied in two places: renderers escape
//! each field from input with [`escape`] (which also doubles backslashes, so an escape cannot be
//! forged by typing one), and everything written to the terminal passes [`for_terminal`] last,
//! which escapes whatever a renderer missed and keeps only the line breaks the tool wrote.

use std::borrow::Cow;

use firmware_policy::manifest::is_deceptive_char;

fn push_escaped(out: &mut String, c: char) {
    use std::fmt::Write as _;
    let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
}

/// Escapes control, bidirectional and invisible format characters as `\u{…}` (lowercase hex),
/// and `\` as `\\`. For one field of text from input.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c == '\\' {
            out.push_str("\\\\");
        } else if is_deceptive_char(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    out
}

/// The last pass over human output before it reaches a terminal: every deceptive character
/// except `\n` is escaped (backslashes are left alone, so text [`escape`] already handled is
/// unchanged).
pub fn for_terminal(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c != '\n' && is_deceptive_char(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len().saturating_add(16));
    for c in s.chars() {
        if c != '\n' && is_deceptive_char(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls_bidi_and_invisible_characters() {
        assert_eq!(escape("box\u{202e}2v"), "box\\u{202e}2v");
        assert_eq!(escape("a\x1b[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(escape("zero\u{200b}width\u{e0041}tag"), "zero\\u{200b}width\\u{e0041}tag");
        assert_eq!(escape("plain name"), "plain name");
        assert_eq!(escape("back\\slash"), "back\\\\slash");
    }

    #[test]
    fn the_terminal_pass_keeps_line_breaks_and_what_escape_made() {
        assert_eq!(for_terminal("line 1\nline\u{9b}2\r\n"), "line 1\nline\\u{9b}2\\u{d}\n");
        let escaped = escape("a\u{202e}b\\c");
        assert_eq!(for_terminal(&escaped), escaped);
        assert!(matches!(for_terminal("plain\n"), Cow::Borrowed(_)));
    }
}
