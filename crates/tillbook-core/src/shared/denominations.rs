//! The notes and coins of a currency, in minor units, largest first: the till
//! offers the notes above a total as quick cash buttons, and a blind close is
//! counted by them.

/// At most this many denominations per currency (the longest list is 15).
pub const DENOMINATIONS_MAX: usize = 16;

/// Notes and coins in circulation, largest first, in minor units at the
/// currency's usual scale. A currency not listed gets a 1-2-5 series (see
/// [`denominations_minor`]).
const KNOWN: &[(&str, u32, &[i64])] = &[
    (
        "GBP",
        2,
        &[5000, 2000, 1000, 500, 200, 100, 50, 20, 10, 5, 2, 1],
    ),
    (
        "EUR",
        2,
        &[
            50000, 20000, 10000, 5000, 2000, 1000, 500, 200, 100, 50, 20, 10, 5, 2, 1,
        ],
    ),
    ("USD", 2, &[10000, 5000, 2000, 1000, 500, 100, 25, 10, 5, 1]),
    (
        "CAD",
        2,
        &[10000, 5000, 2000, 1000, 500, 200, 100, 25, 10, 5],
    ),
    (
        "AUD",
        2,
        &[10000, 5000, 2000, 1000, 500, 200, 100, 50, 20, 10, 5],
    ),
    (
        "NZD",
        2,
        &[10000, 5000, 2000, 1000, 500, 200, 100, 50, 20, 10],
    ),
    (
        "CHF",
        2,
        &[
            100000, 20000, 10000, 5000, 2000, 1000, 500, 200, 100, 50, 20, 10, 5,
        ],
    ),
    (
        "SEK",
        2,
        &[100000, 50000, 20000, 10000, 5000, 2000, 1000, 500, 200, 100],
    ),
    (
        "NOK",
        2,
        &[100000, 50000, 20000, 10000, 5000, 2000, 1000, 500, 100],
    ),
    (
        "DKK",
        2,
        &[
            100000, 50000, 20000, 10000, 5000, 2000, 1000, 500, 200, 100, 50,
        ],
    ),
    (
        "PLN",
        2,
        &[
            50000, 20000, 10000, 5000, 2000, 1000, 500, 200, 100, 50, 20, 10, 5, 2, 1,
        ],
    ),
    ("JPY", 0, &[10000, 5000, 2000, 1000, 500, 100, 50, 10, 5, 1]),
    (
        "INR",
        2,
        &[50000, 20000, 10000, 5000, 2000, 1000, 500, 200, 100],
    ),
];

/// The currency's notes and coins, largest first. An unlisted currency (or a
/// listed one at an unusual scale) gets 1-2-5 steps from its smallest unit up
/// to 500 major units, so quick cash and counting still work everywhere.
pub fn denominations_minor(code: &str, scale: u32) -> Vec<i64> {
    if let Some((_, _, list)) = KNOWN.iter().find(|(c, s, _)| *c == code && *s == scale) {
        return list.to_vec();
    }
    let top = 500 * 10_i64.pow(scale.min(4));
    // 1-2-5 steps over at most 7 decades: at most 21 values before the cut.
    let mut out: Vec<i64> = (0..7)
        .flat_map(|e| [1, 2, 5].map(|m| m * 10_i64.pow(e)))
        .filter(|d| *d <= top)
        .collect();
    out.reverse();
    out.truncate(DENOMINATIONS_MAX);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_lists_are_largest_first_and_within_the_limit() {
        for (code, scale, list) in KNOWN {
            assert!(list.len() <= DENOMINATIONS_MAX, "{code}");
            assert!(list.windows(2).all(|w| w[0] > w[1]), "{code}");
            assert_eq!(denominations_minor(code, *scale), list.to_vec());
        }
    }

    #[test]
    fn an_unlisted_currency_gets_a_one_two_five_series() {
        let d = denominations_minor("XYZ", 2);
        assert_eq!(d.first(), Some(&50000));
        assert!(d.windows(2).all(|w| w[0] > w[1]));
        assert!(d.len() <= DENOMINATIONS_MAX);
        assert_eq!(
            denominations_minor("XYZ", 0),
            vec![500, 200, 100, 50, 20, 10, 5, 2, 1]
        );
    }
}
