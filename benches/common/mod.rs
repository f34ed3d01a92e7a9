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

/// The machine's CPU time so far (Linux, `/proc/stat`), all of it and the part the
/// hypervisor gave to other guests (steal), in clock ticks: how much of a run's time the
/// host took away, which no ratio measured inside the guest can correct for.
#[allow(dead_code)] // only the benchmarks that measure scaling read it
pub(crate) fn cpu_ticks() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let fields: Vec<u64> = stat
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .map(|field| field.parse().ok())
        .collect::<Option<_>>()?;
    Some((fields.iter().sum(), *fields.get(7)?))
}

/// The share of the machine's CPU time stolen by the host between two [`cpu_ticks`]
/// readings, as a sentence for a report.
#[allow(dead_code)]
pub(crate) fn steal_report(before: Option<(u64, u64)>, after: Option<(u64, u64)>) -> String {
    match before.zip(after) {
        Some(((total_0, steal_0), (total_1, steal_1))) if total_1 > total_0 => format!(
            "the host took {:.1}% of the CPU time meanwhile (steal)",
            100.0 * (steal_1 - steal_0) as f64 / (total_1 - total_0) as f64
        ),
        _ => "steal time unknown".to_owned(),
    }
}
