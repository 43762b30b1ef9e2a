//! Instants as users write them (RFC 3339 or unix seconds) and as the tool prints them.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Parses RFC 3339 (with an offset) or unix seconds.
pub fn parse_instant(s: &str) -> Result<u64, String> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse::<u64>().map_err(|_| format!("{s:?} is too large for unix seconds"));
    }
    let t = OffsetDateTime::parse(s, &Rfc3339)
        .map_err(|e| format!("{s:?} is neither RFC 3339 (2026-11-21T12:00:00Z) nor unix seconds: {e}"))?;
    u64::try_from(t.unix_timestamp()).map_err(|_| format!("{s:?} is before 1970"))
}

/// Formats unix seconds as RFC 3339 in UTC (`2026-11-21T12:00:00Z`).
pub fn format_instant(secs: u64) -> String {
    i64::try_from(secs)
        .ok()
        .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| format!("{secs} (unix seconds)"))
}

/// The system clock in unix seconds.
pub fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_forms() {
        assert_eq!(parse_instant("2026-11-21T12:00:00Z"), Ok(1_795_262_400));
        assert_eq!(parse_instant("2026-11-21T13:00:00+01:00"), Ok(1_795_262_400));
        assert_eq!(parse_instant("1795262400"), Ok(1_795_262_400));
        assert!(parse_instant("2026-11-21 12:00").is_err());
        assert!(parse_instant("1969-12-31T23:59:59Z").is_err());
        assert_eq!(format_instant(1_795_262_400), "2026-11-21T12:00:00Z");
    }
}
