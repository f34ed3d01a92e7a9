//! RFC 3339 date-times for `expiresAt`, without a date crate: UTC seconds only.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Days from 1970-01-01 to `year-month-day` (proleptic Gregorian; Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    // Both are in range by construction (1..=31 and 1..=12).
    (
        year,
        u32::try_from(month).unwrap_or(1),
        u32::try_from(day).unwrap_or(1),
    )
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Parses an RFC 3339 `date-time` (`2026-11-22T10:00:00Z`, `...T10:00:00.5+01:00`; `t`,
/// `z` and a space separator accepted). Fractions of a second are dropped. `None` for
/// anything else. Times before the Unix epoch are valid instants and load as such.
pub(crate) fn parse_rfc3339(input: &str) -> Option<SystemTime> {
    let bytes = input.trim().as_bytes();
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        let digits = bytes.get(range)?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        digits.iter().try_fold(0u32, |n, d| {
            n.checked_mul(10)?.checked_add(u32::from(d - b'0'))
        })
    };
    let separators_ok = bytes.get(4) == Some(&b'-')
        && bytes.get(7) == Some(&b'-')
        && matches!(bytes.get(10), Some(b'T' | b't' | b' '))
        && bytes.get(13) == Some(&b':')
        && bytes.get(16) == Some(&b':');
    if !separators_ok {
        return None;
    }
    let year = i64::from(number(0..4)?);
    let (month, day) = (number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut rest = &bytes[19..];
    if let Some(fraction) = rest.strip_prefix(b".") {
        let digits = fraction.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        rest = &fraction[digits..];
    }
    let offset_seconds: i64 = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let digits = [*h1, *h2, *m1, *m2];
            if !digits.iter().all(u8::is_ascii_digit) {
                return None;
            }
            let hours = i64::from((h1 - b'0') * 10 + (h2 - b'0'));
            let minutes = i64::from((m1 - b'0') * 10 + (m2 - b'0'));
            if hours > 23 || minutes > 59 {
                return None;
            }
            let offset = hours * 3600 + minutes * 60;
            if *sign == b'+' { offset } else { -offset }
        }
        _ => return None,
    };
    let seconds = days_from_civil(year, month, day) * 86_400
        + i64::from(hour) * 3600
        + i64::from(minute) * 60
        + i64::from(second.min(59))
        - offset_seconds;
    match u64::try_from(seconds) {
        Ok(after) => UNIX_EPOCH.checked_add(Duration::from_secs(after)),
        Err(_) => UNIX_EPOCH.checked_sub(Duration::from_secs(seconds.unsigned_abs())),
    }
}

/// Go's zero `time.Time` (`0001-01-01T00:00:00Z`), which Go services write for "unset".
fn is_go_zero_time(time: SystemTime) -> bool {
    const GO_ZERO_SECONDS: u64 = 62_135_596_800;
    UNIX_EPOCH
        .duration_since(time)
        .is_ok_and(|before| before == Duration::from_secs(GO_ZERO_SECONDS))
}

/// Reads a credential's `expiresAt`: `Ok(None)` for Go's zero time, which means no expiry
/// is known (the token is then used until a 401 is reported); `Err(())` for anything that
/// is not an RFC 3339 date-time.
pub(crate) fn parse_expires_at(input: &str) -> Result<Option<SystemTime>, ()> {
    let time = parse_rfc3339(input).ok_or(())?;
    Ok((!is_go_zero_time(time)).then_some(time))
}

/// Formats `time` as `YYYY-MM-DDTHH:MM:SSZ` (UTC, whole seconds, rounded down).
pub(crate) fn format_rfc3339(time: SystemTime) -> String {
    let seconds = match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX / 2),
        Err(before) => {
            let before = before.duration();
            let whole = i64::try_from(before.as_secs()).unwrap_or(i64::MAX / 2);
            -whole - i64::from(before.subsec_nanos() > 0)
        }
    };
    let (year, month, day) = civil_from_days(seconds.div_euclid(86_400));
    let in_day = seconds.rem_euclid(86_400);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        in_day / 3600,
        in_day % 3600 / 60,
        in_day % 60
    )
}

/// Parses an HTTP-date (RFC 9110 §5.6.7): the preferred IMF-fixdate
/// (`Sun, 06 Nov 1994 08:49:37 GMT`) and the two obsolete forms recipients must accept,
/// RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime (`Sun Nov  6 08:49:37 1994`).
/// `None` for anything else.
pub(crate) fn parse_http_date(input: &str) -> Option<SystemTime> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let month_of = |name: &str| -> Option<u32> {
        let index = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(name))?;
        u32::try_from(index + 1).ok()
    };
    let number = |text: &str| -> Option<u32> {
        (!text.is_empty() && text.len() <= 4 && text.bytes().all(|b| b.is_ascii_digit()))
            .then(|| text.parse().ok())
            .flatten()
    };
    let words: Vec<&str> = input.split_ascii_whitespace().collect();
    let (year, month, day, clock) = match words.as_slice() {
        // IMF-fixdate.
        [_, day, month, year, clock, "GMT"] if year.len() == 4 => (
            i64::from(number(year)?),
            month_of(month)?,
            number(day)?,
            *clock,
        ),
        // RFC 850: a two-digit year; read as the nearest century (RFC 9110 §5.6.7 allows
        // any year that looks more than 50 years in the future to be the past one's).
        [_, date, clock, "GMT"] => {
            let mut parts = date.split('-');
            let (day, month, year) = (parts.next()?, parts.next()?, parts.next()?);
            if parts.next().is_some() || year.len() != 2 {
                return None;
            }
            let year = i64::from(number(year)?);
            let year = if year < 70 { 2000 + year } else { 1900 + year };
            (year, month_of(month)?, number(day)?, *clock)
        }
        // asctime.
        [_, month, day, clock, year] if year.len() == 4 => (
            i64::from(number(year)?),
            month_of(month)?,
            number(day)?,
            *clock,
        ),
        _ => return None,
    };
    let mut hms = clock.split(':');
    let (hour, minute, second) = (
        number(hms.next()?)?,
        number(hms.next()?)?,
        number(hms.next()?)?,
    );
    if hms.next().is_some()
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let seconds = days_from_civil(year, month, day) * 86_400
        + i64::from(hour) * 3600
        + i64::from(minute) * 60
        + i64::from(second.min(59));
    match u64::try_from(seconds) {
        Ok(after) => UNIX_EPOCH.checked_add(Duration::from_secs(after)),
        Err(_) => UNIX_EPOCH.checked_sub(Duration::from_secs(seconds.unsigned_abs())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds)
    }

    #[test]
    fn parses_http_dates() {
        // RFC 9110 §5.6.7's example, in its three forms.
        let expected = Some(at(784_111_777));
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), expected);
        assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), expected);
        assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994"), expected);
        for bad in [
            "",
            "120",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 31 Feb 1994 08:49:37 GMT",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn parses_dates_before_the_epoch_and_reads_go_zero_time_as_unknown() {
        let before = parse_rfc3339("1969-12-31T23:59:59Z");
        assert_eq!(before, UNIX_EPOCH.checked_sub(Duration::from_secs(1)));
        assert_eq!(format_rfc3339(before.unwrap()), "1969-12-31T23:59:59Z");
        assert_eq!(parse_expires_at("0001-01-01T00:00:00Z"), Ok(None));
        assert_eq!(
            parse_expires_at("1900-01-01T00:00:00Z"),
            Ok(parse_rfc3339("1900-01-01T00:00:00Z"))
        );
    }

    #[test]
    fn parses_known_instants() {
        // `date -u -d 2026-11-22T10:00:00Z +%s` = 1795341600.
        assert_eq!(
            parse_rfc3339("2026-11-22T10:00:00Z"),
            Some(at(1_795_341_600))
        );
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(at(0)));
        // RFC 3339 §5.8 examples.
        assert_eq!(
            parse_rfc3339("1985-04-12T23:20:50.52Z"),
            Some(at(482_196_050))
        );
        assert_eq!(
            parse_rfc3339("1996-12-19T16:39:57-08:00"),
            Some(at(851_042_397))
        );
        assert_eq!(parse_rfc3339("2000-02-29t00:00:00z"), Some(at(951_782_400)));
    }

    #[test]
    fn rejects_malformed_input() {
        for bad in [
            "",
            "2026-11-22",
            "2026-11-22T10:00:00",
            "2026-13-01T00:00:00Z",
            "2026-02-29T00:00:00Z",
            "2026-11-22T24:00:00Z",
            "2026-11-22T10:00:00.Z",
            "2026-11-22T10:00:00+1:00",
            "２026-11-22T10:00:00Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn formats_and_round_trips() {
        assert_eq!(format_rfc3339(at(1_795_341_600)), "2026-11-22T10:00:00Z");
        assert_eq!(format_rfc3339(at(951_782_400)), "2000-02-29T00:00:00Z");
        for seconds in [0, 59, 86_399, 951_868_799, 4_102_444_800, 253_402_300_799] {
            assert_eq!(
                parse_rfc3339(&format_rfc3339(at(seconds))),
                Some(at(seconds))
            );
        }
    }
}
