//! Formatting helpers shared by the dissectors and the renderers.

use core::fmt::Write as _;
use std::time::Duration;

/// Bytes as lowercase hex without separators, as tshark prints byte fields.
///
/// ```
/// assert_eq!(strata::decode::format_hex(&[0x0a, 0xff]), "0aff");
/// ```
#[must_use]
pub fn format_hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        // Writing to a String cannot fail.
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// A time since the Unix epoch as `YYYY-MM-DD hh:mm:ss.nnnnnnnnn UTC`.
///
/// ```
/// use std::time::Duration;
/// let t = Duration::new(1_700_000_000, 123_456_000);
/// assert_eq!(strata::decode::format_utc(t), "2023-11-14 22:13:20.123456000 UTC");
/// ```
#[must_use]
pub fn format_utc(since_epoch: Duration) -> String {
    let secs = since_epoch.as_secs();
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}.{:09} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        since_epoch.subsec_nanos()
    )
}

/// Seconds since the epoch with nine decimals, as tshark prints
/// `frame.time_epoch`.
pub(crate) fn format_epoch(since_epoch: Duration) -> String {
    format!(
        "{}.{:09}",
        since_epoch.as_secs(),
        since_epoch.subsec_nanos()
    )
}

/// The proleptic Gregorian date of a day count since 1970-01-01, by the
/// era-based method (400-year cycles of 146 097 days) that needs no tables.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    // Shift the epoch to 0000-03-01 so leap days fall at the end of a year.
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// A bit-field diagram as packet analysers draw it: the bits of `mask`
/// within a `width`-bit field shown as `0`/`1`, the others as `.`, in
/// groups of four (`.... ..1. = `).
pub(crate) fn bits(value: u64, mask: u64, width: u32) -> String {
    let mut s = String::with_capacity(width as usize * 5 / 4 + 3);
    for i in (0..width).rev() {
        let bit = 1u64 << i;
        s.push(if mask & bit == 0 {
            '.'
        } else if value & bit == 0 {
            '0'
        } else {
            '1'
        });
        if i % 4 == 0 && i != 0 {
            s.push(' ');
        }
    }
    s.push_str(" = ");
    s
}

/// `Set` / `Not set`, as flag lines read.
pub(crate) fn set(flag: bool) -> &'static str {
    if flag { "Set" } else { "Not set" }
}

/// At most `max` bytes of hex for a tree line, with an ellipsis after.
pub(crate) fn hex_preview(bytes: &[u8], max: usize) -> String {
    match bytes.get(..max) {
        Some(head) if bytes.len() > max => format!("{}…", format_hex(head)),
        _ => format_hex(bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(
            format_utc(Duration::new(1_795_688_932, 853_190_000)),
            "2026-11-26 10:28:52.853190000 UTC"
        );
    }

    #[test]
    fn bit_diagrams() {
        assert_eq!(bits(0x40, 0x40, 8), ".1.. .... = ");
        assert_eq!(bits(0x002, 0x002, 12), ".... .... ..1. = ");
        assert_eq!(bits(0, 0xe00, 12), "000. .... .... = ");
    }

    #[test]
    fn previews() {
        assert_eq!(hex_preview(&[1, 2, 3], 2), "0102…");
        assert_eq!(hex_preview(&[1, 2], 2), "0102");
    }
}
