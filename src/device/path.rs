//! BIP-32 derivation paths as the spec writes them (`m/44'/60'/0'/0/0`, also without `m/`, with
//! `h` or `'` for hardened, at most 10 levels) and as the Ethereum app reads them (§3.1).

use std::fmt;

/// Most levels the app accepts.
pub const MAX_LEVELS: usize = 10;
const HARDENED: u32 = 0x8000_0000;

/// A derivation path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DerivationPath(Vec<u32>);

impl DerivationPath {
    /// The default account: `m/44'/60'/0'/0/0`.
    pub fn default_account() -> Self {
        DerivationPath(vec![44 | HARDENED, 60 | HARDENED, HARDENED, 0, 0])
    }

    /// Parses a path; the error says what is wrong.
    pub fn parse(s: &str) -> Result<Self, String> {
        let body = s.strip_prefix("m/").unwrap_or(s);
        if body.is_empty() || body == "m" {
            return Err(format!("{s:?}: a path needs at least one level"));
        }
        let mut levels = Vec::new();
        for part in body.split('/') {
            let (digits, hardened) = match part.strip_suffix('\'').or_else(|| part.strip_suffix('h')) {
                Some(d) => (d, true),
                None => (part, false),
            };
            if digits.is_empty()
                || !digits.bytes().all(|b| b.is_ascii_digit())
                || (digits.len() > 1 && digits.starts_with('0'))
            {
                return Err(format!(
                    "{s:?}: {part:?} is not a level (a number, optionally followed by ' or h)"
                ));
            }
            let index: u32 = digits.parse().map_err(|_| format!("{s:?}: {digits} is too large"))?;
            if index >= HARDENED {
                return Err(format!("{s:?}: {index} is too large (at most 2147483647)"));
            }
            levels.push(if hardened { index | HARDENED } else { index });
        }
        if levels.len() > MAX_LEVELS {
            return Err(format!("{s:?}: {} levels; at most {MAX_LEVELS}", levels.len()));
        }
        Ok(DerivationPath(levels))
    }

    /// The indices (hardened ones with the top bit set).
    pub fn indices(&self) -> &[u32] {
        &self.0
    }

    /// The app's encoding: a count byte, then each index as 4 bytes big-endian.
    #[expect(clippy::cast_possible_truncation, reason = "parse allows at most 10 levels")]
    pub fn to_apdu_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1 + 4 * self.0.len());
        out.push(self.0.len() as u8);
        for index in &self.0 {
            out.extend_from_slice(&index.to_be_bytes());
        }
        out
    }

    /// Decodes the app's encoding; `None` when malformed.
    pub fn from_apdu_bytes(bytes: &[u8]) -> Option<(Self, &[u8])> {
        let (&count, rest) = bytes.split_first()?;
        let count = usize::from(count);
        if count == 0 {
            return None;
        }
        let (indices, rest) = rest.split_at_checked(count * 4)?;
        let levels = indices.chunks_exact(4).map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]])).collect();
        Some((DerivationPath(levels), rest))
    }
}

impl fmt::Display for DerivationPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("m")?;
        for index in &self.0 {
            if index & HARDENED != 0 {
                write!(f, "/{}'", index & !HARDENED)?;
            } else {
                write!(f, "/{index}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_spelling_and_encodes_like_the_app() {
        let want = alloy_primitives::hex!("058000002c8000003c800000000000000000000000");
        for s in ["m/44'/60'/0'/0/0", "44'/60'/0'/0/0", "m/44h/60h/0h/0/0", "44h/60'/0h/0/0"] {
            let p = DerivationPath::parse(s).unwrap();
            assert_eq!(p.to_apdu_bytes(), want, "{s}");
            assert_eq!(p.to_string(), "m/44'/60'/0'/0/0");
        }
        assert_eq!(DerivationPath::default_account().to_apdu_bytes(), want);
        let (back, rest) = DerivationPath::from_apdu_bytes(&want).unwrap();
        assert_eq!(back, DerivationPath::default_account());
        assert!(rest.is_empty());
    }

    #[test]
    fn refuses_what_the_spec_refuses() {
        for bad in [
            "",
            "m",
            "m/",
            "m/44'/x",
            "m/44''",
            "m/01",
            "m/2147483648",
            "1/2/3/4/5/6/7/8/9/10/11",
            "m/-1",
            "m/44' ",
        ] {
            assert!(DerivationPath::parse(bad).is_err(), "{bad:?}");
        }
        assert!(DerivationPath::parse("1/2/3/4/5/6/7/8/9/10").is_ok());
    }
}
