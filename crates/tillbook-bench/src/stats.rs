//! Percentiles and the number formats the tables print: integers only, so a
//! table reads the same on every machine.

use std::time::Duration;

/// The `p`th percentile of `sorted` (ascending), by the nearest rank below;
/// zero when there are no samples.
pub(crate) fn percentile(sorted: &[Duration], p: usize) -> Duration {
    sorted
        .get((sorted.len() * p / 100).min(sorted.len().saturating_sub(1)))
        .copied()
        .unwrap_or_default()
}

/// The largest of `sorted` (ascending); zero when there are no samples.
pub(crate) fn max_of(sorted: &[Duration]) -> Duration {
    sorted.last().copied().unwrap_or_default()
}

pub(crate) fn per_second(ops: usize, d: Duration) -> u128 {
    (ops as u128 * 1_000_000) / d.as_micros().max(1)
}

/// `a / b` as a decimal with two places, without floats.
pub(crate) fn ratio(a: u128, b: u128) -> String {
    let hundredths = (a * 100 + b / 2) / b.max(1);
    format!("{}.{:02}", hundredths / 100, hundredths % 100)
}

/// Milliseconds with two decimals.
pub(crate) fn ms_2(d: Duration) -> String {
    let us = d.as_micros();
    format!("{}.{:02}", us / 1000, us % 1000 / 10)
}
