//! Text that came from input is shown escaped: a release name must not be able to move the
//! cursor, clear the screen or reorder what a signer reads (bidi overrides).

use firmware_policy::manifest::is_deceptive_char;

/// Escapes control and bidirectional formatting characters as `\u{…}`.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if is_deceptive_char(c) || c == '\\' {
            if c == '\\' {
                out.push_str("\\\\");
            } else {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls_and_bidi() {
        assert_eq!(escape("box\u{202e}2v"), "box\\u{202e}2v");
        assert_eq!(escape("a\x1b[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(escape("plain name"), "plain name");
        assert_eq!(escape("back\\slash"), "back\\\\slash");
    }
}
