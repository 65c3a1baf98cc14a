//! The arithmetic of the bench: percentiles, rates and ratios, kept apart so they can be
//! tested without sockets.

use std::time::Duration;

/// The `p`-th percentile (0 < p <= 100) by nearest rank: the smallest sample with at
/// least p% of the samples at or below it. `None` for no samples.
pub fn percentile(samples: &[f64], p: f64) -> Option<f64> {
    if samples.is_empty() || !(p > 0.0 && p <= 100.0) {
        return None;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

pub fn median(samples: &[f64]) -> Option<f64> {
    percentile(samples, 50.0)
}

pub fn mean(samples: &[f64]) -> Option<f64> {
    (!samples.is_empty()).then(|| samples.iter().sum::<f64>() / samples.len() as f64)
}

/// Bytes over an interval as Gbit/s (10^9 bits per second, as iperf3 counts).
pub fn gbit_per_s(bytes: u64, elapsed: Duration) -> f64 {
    let seconds = elapsed.as_secs_f64();
    if seconds <= 0.0 {
        return 0.0;
    }
    bytes as f64 * 8.0 / seconds / 1e9
}

/// Events over an interval, per second.
pub fn per_second(count: u64, elapsed: Duration) -> f64 {
    let seconds = elapsed.as_secs_f64();
    if seconds <= 0.0 {
        return 0.0;
    }
    count as f64 / seconds
}

/// `value / baseline`, or `None` when either is missing or the baseline is not positive
/// (a ratio to nothing is not a ratio).
pub fn ratio(value: Option<f64>, baseline: Option<f64>) -> Option<f64> {
    match (value, baseline) {
        (Some(value), Some(baseline)) if baseline > 0.0 && value.is_finite() => {
            Some(value / baseline)
        }
        _ => None,
    }
}

/// `value - baseline` (e.g. latency a proxy adds over a direct connection).
pub fn added(value: Option<f64>, baseline: Option<f64>) -> Option<f64> {
    Some(value? - baseline?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let samples: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&samples, 50.0), Some(50.0));
        assert_eq!(percentile(&samples, 99.0), Some(99.0));
        assert_eq!(percentile(&samples, 100.0), Some(100.0));
        assert_eq!(percentile(&samples, 0.5), Some(1.0));
        // Order of the input does not matter.
        let shuffled = [5.0, 1.0, 4.0, 2.0, 3.0];
        assert_eq!(median(&shuffled), Some(3.0));
        assert_eq!(percentile(&shuffled, 99.0), Some(5.0));
        // Even count: the lower middle (nearest rank), not an interpolation.
        assert_eq!(median(&[1.0, 2.0, 3.0, 4.0]), Some(2.0));
    }

    #[test]
    fn percentiles_of_nothing_or_nonsense_are_none() {
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(percentile(&[1.0], 0.0), None);
        assert_eq!(percentile(&[1.0], 101.0), None);
        assert_eq!(percentile(&[7.0], 99.0), Some(7.0));
    }

    #[test]
    fn rates_and_means() {
        assert_eq!(gbit_per_s(125_000_000, Duration::from_secs(1)), 1.0);
        assert_eq!(gbit_per_s(1_000, Duration::ZERO), 0.0);
        assert_eq!(per_second(300, Duration::from_millis(1500)), 200.0);
        assert_eq!(mean(&[1.0, 2.0, 6.0]), Some(3.0));
        assert_eq!(mean(&[]), None);
    }

    #[test]
    fn ratios_need_a_positive_baseline() {
        assert_eq!(ratio(Some(4.5), Some(9.0)), Some(0.5));
        assert_eq!(ratio(Some(4.5), Some(0.0)), None);
        assert_eq!(ratio(Some(4.5), None), None);
        assert_eq!(ratio(None, Some(1.0)), None);
        assert_eq!(ratio(Some(f64::NAN), Some(1.0)), None);
        assert_eq!(added(Some(30.0), Some(12.5)), Some(17.5));
        assert_eq!(added(None, Some(1.0)), None);
    }
}
