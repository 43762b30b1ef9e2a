//! Amounts as app-ethereum 1.22.0 formats them: wei as a decimal with 18 places, trailing zeros
//! (and a bare point) dropped, then a space and the ticker, in a 50-byte buffer (49 characters
//! and the terminating NUL). What does not fit is refused: the app answers 6807 for an amount
//! (`EXCEPTION_OVERFLOW`) and shows an empty "Max fees" for a fee. So the boundary is a length,
//! not a number: 10^47 wei fits, 2^154 wei (47 digits, 18 of them fractional) does not.

use alloy_primitives::U256;

/// The app's display buffer, NUL included.
const BUFFER: usize = 50;
/// Wei per ether, as decimal places.
const DECIMALS: usize = 18;

/// `value` wei as the device shows it with `ticker`, or `None` when it does not fit the screen
/// buffer.
pub fn format(value: U256, ticker: &str) -> Option<String> {
    let digits = value.to_string();
    // The decimal digits, a point and the NUL must fit before anything is trimmed.
    if digits.len() > DECIMALS && digits.len() + 2 > BUFFER {
        return None;
    }
    let mut text = if digits == "0" {
        digits
    } else if digits.len() <= DECIMALS {
        let fraction = format!("{digits:0>DECIMALS$}");
        format!("0.{}", fraction.trim_end_matches('0'))
    } else {
        let (whole, fraction) = digits.split_at(digits.len() - DECIMALS);
        let fraction = fraction.trim_end_matches('0');
        if fraction.is_empty() { whole.to_string() } else { format!("{whole}.{fraction}") }
    };
    // The amount, a space, the ticker and the NUL.
    if text.len() + 1 + ticker.len() + 1 > BUFFER {
        return None;
    }
    text.push(' ');
    text.push_str(ticker);
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pow(base: u64, exp: usize) -> U256 {
        U256::from(base).pow(U256::from(exp))
    }

    #[test]
    fn formats_as_the_app_does() {
        assert_eq!(format(U256::ZERO, "ETH").as_deref(), Some("0 ETH"));
        assert_eq!(format(U256::from(1_250_000_000_000_000_000u128), "ETH").as_deref(), Some("1.25 ETH"));
        assert_eq!(format(U256::from(1_050_000_000_000_000u128), "ETH").as_deref(), Some("0.00105 ETH"));
        assert_eq!(format(U256::from(1), "ETH").as_deref(), Some("0.000000000000000001 ETH"));
        assert_eq!(format(pow(10, 18), "???").as_deref(), Some("1 ???"));
        assert_eq!(format(U256::from(30_000_000_000_000_000u128), "POL").as_deref(), Some("0.03 POL"));
    }

    /// The boundaries measured on the real app (ledger-protocol.md §5.5).
    #[test]
    fn the_6807_boundary_follows_the_formatted_length() {
        for (value, fits) in [
            (pow(10, 40), true),
            (pow(10, 44), true),
            (pow(10, 47), true),
            (pow(10, 48), false),
            (pow(10, 45) - U256::from(1), false),
            (pow(2, 154), false),
            (pow(2, 255), false),
            (U256::MAX, false),
        ] {
            assert_eq!(format(value, "ETH").is_some(), fits, "{value}");
        }
    }
}
