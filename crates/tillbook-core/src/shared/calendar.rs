//! Civil dates (UTC, proleptic Gregorian) in integers: day numbers since
//! 1970-01-01, `YYYY-MM-DD` dates and the lengths of a day and an hour in ms.
//! Due dates, the aging cut-off, report buckets and export timestamps all
//! count days the same way because they all count them here.

use crate::error::{Error, Result};

pub const HOUR_MS: i64 = 3_600_000;
pub const DAY_MS: i64 = 24 * HOUR_MS;
const MINUTE_MS: i64 = 60_000;
const SECOND_MS: i64 = 1000;

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
/// `days_from_civil`).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A day since the epoch as (year, month, day) (H. Hinnant's `civil_from_days`).
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The UTC day number of an instant.
pub fn day_of_ms(ms: i64) -> i64 {
    ms.div_euclid(DAY_MS)
}

/// `YYYY-MM-DD` of a day number.
pub fn date_of_day(day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `2026-01-31` for the UTC day holding `ms`.
pub fn date_of_ms(ms: i64) -> String {
    date_of_day(day_of_ms(ms))
}

/// `2026-01-31T14:05:09.250Z`.
pub fn utc_timestamp(ms: i64) -> String {
    let in_day = ms.rem_euclid(DAY_MS);
    format!(
        "{}T{:02}:{:02}:{:02}.{:03}Z",
        date_of_ms(ms),
        in_day / HOUR_MS,
        in_day % HOUR_MS / MINUTE_MS,
        in_day % MINUTE_MS / SECOND_MS,
        in_day % SECOND_MS
    )
}

/// Parses a `YYYY-MM-DD` date (years 2000–2999) into its day number; an error
/// names `field`.
pub fn parse_date(field: &str, s: &str) -> Result<i64> {
    let bad = || Error::validation(field, "must be a real date like 2026-12-31");
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| s[r].parse::<i64>().map_err(|_| bad());
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(2000..=2999).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return Err(bad());
    }
    let day = days_from_civil(y, m, d);
    // 2026-02-30 comes back as 2026-03-02: not a real date.
    if civil_from_days(day) != (y, m, d) {
        return Err(bad());
    }
    Ok(day)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn calendar_days_round_trip() {
        // 2026-01-01T00:00:00Z, the test suite's start.
        let start = day_of_ms(1_767_225_600_000);
        assert_eq!(date_of_day(start), "2026-01-01");
        assert_eq!(parse_date("d", "2026-01-01").unwrap(), start);
        assert_eq!(date_of_day(start + 31 + 28), "2026-03-01");
        assert_eq!(
            date_of_day(parse_date("d", "2028-02-29").unwrap()),
            "2028-02-29"
        );
        assert_eq!(day_of_ms(1_767_225_600_000 - 1), start - 1);
        for d in start - 4000..start + 40_000 {
            assert_eq!(parse_date("d", &date_of_day(d)).unwrap(), d);
        }
    }

    #[test]
    fn impossible_dates_are_refused_naming_the_field() {
        for bad in [
            "2026-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-1-01",
            "26-01-01",
            "2026/01/01",
            "1999-12-31",
            "2026-04-31",
            "２０２６-01-01",
        ] {
            let e = parse_date("due_date", bad).unwrap_err();
            assert!(
                matches!(e, Error::Validation { ref field, .. } if field == "due_date"),
                "{bad}"
            );
        }
    }

    #[test]
    fn dates_are_proleptic_gregorian() {
        assert_eq!(date_of_ms(0), "1970-01-01");
        assert_eq!(date_of_ms(-1), "1969-12-31");
        assert_eq!(date_of_ms(1_767_225_600_000), "2026-01-01");
        assert_eq!(date_of_ms(951_782_400_000), "2000-02-29");
        assert_eq!(
            utc_timestamp(1_767_225_600_000 - 1),
            "2025-12-31T23:59:59.999Z"
        );
    }

    /// Every day from 1 BC-ish to ~4700 AD: each maps to a real date, back to
    /// itself, and the next day is the next date (day + 1, or the 1st of the
    /// next month, or 1 January of the next year).
    #[test]
    fn every_day_over_five_thousand_years_round_trips_and_follows_its_predecessor() {
        let (first, last) = (days_from_civil(-1, 1, 1), days_from_civil(4700, 12, 31));
        let mut prev = civil_from_days(first - 1);
        for day in first..=last {
            let (y, m, d) = civil_from_days(day);
            assert!((1..=12).contains(&m) && (1..=31).contains(&d), "{day}");
            assert_eq!(days_from_civil(y, m, d), day);
            let next_of_prev = if (y, m) == (prev.0, prev.1) {
                (prev.0, prev.1, prev.2 + 1)
            } else if y == prev.0 {
                (y, prev.1 + 1, 1)
            } else {
                (prev.0 + 1, 1, 1)
            };
            assert_eq!((y, m, d), next_of_prev, "{day}");
            prev = (y, m, d);
        }
    }

    #[test]
    fn february_has_29_days_exactly_in_leap_years() {
        for (year, leap) in [(1900, false), (2000, true), (2024, true), (2100, false)] {
            let march_1 = days_from_civil(year, 3, 1);
            assert_eq!(
                civil_from_days(march_1 - 1) == (year, 2, 29),
                leap,
                "{year}"
            );
        }
    }

    proptest! {
        /// Far beyond any date the shop can see, in both directions.
        #[test]
        fn days_civil_days_round_trips(day in -100_000_000i64..100_000_000) {
            let (y, m, d) = civil_from_days(day);
            prop_assert_eq!(days_from_civil(y, m, d), day);
            prop_assert_eq!(date_of_ms(day * DAY_MS), date_of_ms(day * DAY_MS + DAY_MS - 1));
            prop_assert_eq!(day_of_ms(day * DAY_MS + DAY_MS - 1), day);
        }
    }
}
