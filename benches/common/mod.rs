//! Timing shared by the benchmarks that print ratios to a baseline measured back to back.

use std::time::Instant;

/// Nanoseconds per call of one batch of `calls` calls of `f`.
pub(crate) fn batch_ns(calls: u32, f: &mut dyn FnMut()) -> f64 {
    let start = Instant::now();
    for _ in 0..calls {
        f();
    }
    start.elapsed().as_nanos() as f64 / f64::from(calls)
}

/// The median of `samples`.
#[allow(dead_code)] // not every benchmark takes medians of plain samples
pub(crate) fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}
