//! Unix seconds shown as RFC 3339 UTC (`2026-11-21T12:00:00Z`) in verdict details, so a signer
//! reads the window without converting numbers. Pure arithmetic: the core has no clock and no
//! date library.

use core::fmt;

/// Formats as RFC 3339 in UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Utc(pub u64);

impl fmt::Display for Utc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.0 / 86_400;
        let secs = self.0 % 86_400;
        let (year, month, day) = civil_from_days(days);
        let (hour, minute, second) = (secs / 3600, secs / 60 % 60, secs % 60);
        if year > 9999 {
            return write!(f, "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}Z");
        }
        // Every verdict formats its window: digits written directly, as `core::fmt`'s padded
        // integers cost more than the rest of a small check.
        let mut out = *b"0000-00-00T00:00:00Z";
        let fields =
            [(0..4, year), (5..7, month), (8..10, day), (11..13, hour), (14..16, minute), (17..19, second)];
        for (range, value) in fields {
            let mut v = value;
            for slot in out.get_mut(range).into_iter().flatten().rev() {
                let digit = usize::try_from(v % 10).unwrap_or(0);
                *slot = b"0123456789".get(digit).copied().unwrap_or(b'0');
                v /= 10;
            }
        }
        f.write_str(core::str::from_utf8(&out).unwrap_or("invalid instant"))
    }
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar
/// (H. Hinnant's `civil_from_days`, for non-negative day counts). Wrapping operations cannot
/// wrap here: every intermediate is below 2^63 for any `u64` of seconds.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days.wrapping_add(719_468);
    let era = z / 146_097;
    let doe = z.wrapping_sub(era.wrapping_mul(146_097));
    let yoe = doe.wrapping_sub(doe / 1_460).wrapping_add(doe / 36_524).wrapping_sub(doe / 146_096) / 365;
    let doy = doe.wrapping_sub(yoe.wrapping_mul(365).wrapping_add(yoe / 4).wrapping_sub(yoe / 100));
    let mp = doy.wrapping_mul(5).wrapping_add(2) / 153;
    let day = doy.wrapping_sub(mp.wrapping_mul(153).wrapping_add(2) / 5).wrapping_add(1);
    let month = if mp < 10 { mp.wrapping_add(3) } else { mp.wrapping_sub(9) };
    let year = yoe.wrapping_add(era.wrapping_mul(400)).wrapping_add(u64::from(month <= 2));
    (year, month, day)
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::string::ToString;

    use super::Utc;

    #[test]
    fn known_instants() {
        assert_eq!(Utc(0).to_string(), "1970-01-01T00:00:00Z");
        assert_eq!(Utc(951_782_400).to_string(), "2000-02-29T00:00:00Z");
        assert_eq!(Utc(1_795_262_400).to_string(), "2026-11-21T12:00:00Z");
        assert_eq!(Utc(1_798_761_599).to_string(), "2026-12-31T23:59:59Z");
        assert_eq!(Utc(4_102_444_800).to_string(), "2100-01-01T00:00:00Z");
        // Does not panic at the extreme.
        assert!(Utc(u64::MAX).to_string().ends_with('Z'));
    }
}
