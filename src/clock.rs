//! Time and randomness, passed in rather than reached for.
//!
//! Everything in credgate that depends on the time (OAuth1 timestamps, token expiry, webhook
//! replay windows) or on randomness (OAuth1 nonces, OAuth2 `state` and PKCE verifiers) asks
//! a [`Clock`] or a [`RandomSource`]. The defaults, [`SystemClock`] and [`OsRandom`], use
//! the system clock and the operating system's generator; tests pass [`ManualClock`] and a
//! deterministic source so that every vector is exact.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A source of the current wall-clock time.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current time.
    fn now(&self) -> SystemTime;

    /// The current time as whole seconds since the Unix epoch (0 for times before it).
    ///
    /// Hot paths check deadlines with this rather than [`now`](Self::now), so a clock may
    /// answer it from a cheaper source, as long as it agrees with `now` to the second.
    fn unix_seconds(&self) -> u64 {
        self.now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs())
    }
}

/// The system's wall clock.
///
/// On Linux and Android, [`Clock::unix_seconds`] reads `CLOCK_REALTIME_COARSE`, the time of
/// the last timer tick: at most a few milliseconds behind, for a third of the cost of the
/// precise clock, which the hot path of OAuth 2.0 pays on every request to check the
/// token's expiry. [`Clock::now`] is [`SystemTime::now`].
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[inline]
    fn unix_seconds(&self) -> u64 {
        let now = rustix::time::clock_gettime(rustix::time::ClockId::RealtimeCoarse);
        u64::try_from(now.tv_sec).unwrap_or(0)
    }
}

/// A clock that says what it is told, for tests and replays.
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use credgate::{Clock, ManualClock};
///
/// let clock = ManualClock::at_unix_seconds(1_700_000_000);
/// clock.advance(Duration::from_secs(5));
/// assert_eq!(clock.unix_seconds(), 1_700_000_005);
/// ```
#[derive(Debug, Default)]
pub struct ManualClock {
    unix_millis: AtomicU64,
}

impl ManualClock {
    /// A clock stopped at `seconds` after the Unix epoch.
    pub fn at_unix_seconds(seconds: u64) -> Self {
        Self {
            unix_millis: AtomicU64::new(seconds.saturating_mul(1000)),
        }
    }

    /// Sets the time to `seconds` after the Unix epoch.
    pub fn set_unix_seconds(&self, seconds: u64) {
        self.unix_millis
            .store(seconds.saturating_mul(1000), Ordering::SeqCst);
    }

    /// Moves the clock forward by `by` (millisecond resolution).
    pub fn advance(&self, by: Duration) {
        let millis = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.unix_millis.fetch_add(millis, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(self.unix_millis.load(Ordering::SeqCst))
    }

    fn unix_seconds(&self) -> u64 {
        self.unix_millis.load(Ordering::SeqCst) / 1000
    }
}

/// A source of unpredictable bytes, for nonces, `state` values and PKCE verifiers.
pub trait RandomSource: Send + Sync + fmt::Debug {
    /// Fills `dest` with random bytes.
    fn fill_bytes(&self, dest: &mut [u8]);
}

/// The operating system's cryptographically secure generator.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsRandom;

impl RandomSource for OsRandom {
    fn fill_bytes(&self, dest: &mut [u8]) {
        // getrandom fails only where the OS offers no generator at all; a nonce drawn from a
        // broken source must not be used, and no caller input can reach this.
        #[allow(clippy::expect_used)]
        getrandom::getrandom(dest).expect("the operating system's random generator failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_clock_seconds_agree_with_the_precise_clock() {
        let precise = |clock: &SystemClock| {
            clock
                .now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |since| since.as_secs())
        };
        let before = precise(&SystemClock);
        let seconds = SystemClock.unix_seconds();
        let after = precise(&SystemClock);
        // The coarse clock lags by at most a tick, which may cross a second boundary.
        assert!(before.saturating_sub(1) <= seconds && seconds <= after);
    }

    #[test]
    fn manual_clock_seconds_round_down() {
        let clock = ManualClock::at_unix_seconds(1_700_000_000);
        clock.advance(Duration::from_millis(1_999));
        assert_eq!(clock.unix_seconds(), 1_700_000_001);
        assert_eq!(
            clock.now(),
            UNIX_EPOCH + Duration::from_millis(1_700_000_001_999)
        );
    }
}
