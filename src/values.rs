//! The values people type, parsed one way everywhere: addresses, quantities and `0x` hex, in the
//! authoring TOML, JSON requests and flags alike. One parser per value means one set of rules a
//! reviewer has to read (and no `0x0x…` slipping through one of several).

use alloy_primitives::{Address, B256, U256, hex};
use firmware_policy::ManifestHash;

/// Parses an address: any case, but a mixed-case address must carry a valid EIP-55 checksum.
pub fn parse_address(s: &str) -> Result<Address, String> {
    let digits = s.strip_prefix("0x").ok_or_else(|| format!("{s:?} is not a 0x address"))?;
    if digits.len() != 40 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("{s:?} is not a 20-byte hex address"));
    }
    let has_upper = digits.bytes().any(|b| b.is_ascii_uppercase());
    let has_lower = digits.bytes().any(|b| b.is_ascii_lowercase());
    let mut raw = [0u8; 20];
    hex::decode_to_slice(digits, &mut raw).map_err(|e| format!("{s:?}: {e}"))?;
    let address = Address::from(raw);
    if has_upper && has_lower && address.to_checksum(None) != s {
        return Err(format!("{s:?} has a wrong EIP-55 checksum (expected {})", address.to_checksum(None)));
    }
    Ok(address)
}

/// `"123"` or `"0x7b"` → 123.
pub fn parse_quantity_str(s: &str) -> Result<U256, String> {
    if let Some(digits) = s.strip_prefix("0x") {
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!("{s:?} is not a 0x quantity"));
        }
        U256::from_str_radix(digits, 16).map_err(|_| format!("{s:?} is above 2^256-1"))
    } else {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("{s:?} is not a decimal number"));
        }
        U256::from_str_radix(s, 10).map_err(|_| format!("{s:?} is above 2^256-1"))
    }
}

/// `0x`-prefixed hex → bytes. The prefix is required once: `0x0x12` is refused (alloy's
/// `hex::decode` would strip a second prefix), and the first character that is not a hex digit
/// is named by its position.
pub fn parse_prefixed_hex(s: &str) -> Result<Vec<u8>, String> {
    let digits = s.strip_prefix("0x").ok_or("expected 0x-prefixed hex")?;
    if let Some(at) = digits.bytes().position(|b| !b.is_ascii_hexdigit()) {
        return Err(format!("not a hex digit at character {}", at.saturating_add(2)));
    }
    if !digits.len().is_multiple_of(2) {
        return Err(format!("odd number of hex digits ({})", digits.len()));
    }
    hex::decode(digits).map_err(|e| e.to_string())
}

/// A manifest hash as governance publishes it: 32 bytes hex, with or without `0x`, any case.
pub fn parse_manifest_hash(s: &str) -> Result<ManifestHash, String> {
    let digits = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")).unwrap_or(s);
    if let Some(at) = digits.bytes().position(|b| !b.is_ascii_hexdigit()) {
        return Err(format!("not a hex digit at character {}", at.saturating_add(s.len() - digits.len())));
    }
    if digits.len() != 64 {
        return Err(format!("expected 32 bytes (64 hex digits), got {} digits", digits.len()));
    }
    let mut word = [0u8; 32];
    hex::decode_to_slice(digits, &mut word).map_err(|e| e.to_string())?;
    Ok(ManifestHash(B256::from(word)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_doubled_prefix_is_refused_everywhere() {
        assert_eq!(parse_prefixed_hex("0x0x12").unwrap_err(), "not a hex digit at character 3");
        assert!(parse_quantity_str("0x0x7b").is_err());
        assert!(parse_address("0x0x000000000000000000000000000000000000a1").is_err());
        assert_eq!(parse_prefixed_hex("0x0a12").unwrap(), vec![0x0a, 0x12]);
        assert_eq!(parse_prefixed_hex("0x").unwrap(), Vec::<u8>::new());
        assert!(parse_prefixed_hex("12").is_err());
        assert!(parse_prefixed_hex("0x123").unwrap_err().contains("odd"));
    }

    #[test]
    fn quantities_above_256_bits_say_so() {
        let big = "115792089237316195423570985008687907853269984665640564039457584007913129639936";
        assert!(parse_quantity_str(big).unwrap_err().contains("above 2^256-1"));
        assert_eq!(parse_quantity_str(&big.replace("936", "935")).unwrap(), U256::MAX);
    }
}
