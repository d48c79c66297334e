//! Time as the caller passes it in: the core never reads a clock.
//!
//! [`Instant`] is a point on the caller's monotonic clock, counted in microseconds from any
//! origin the caller likes (boot, process start, a test's virtual zero). Durations are
//! [`core::time::Duration`].

use core::ops::{Add, Sub};
use core::time::Duration;

/// A point in time on the caller's monotonic clock, in microseconds since an arbitrary origin.
///
/// ```
/// use core::time::Duration;
/// use sockettask::Instant;
///
/// let t = Instant::from_millis(1_500);
/// assert_eq!(t + Duration::from_millis(500), Instant::from_millis(2_000));
/// assert_eq!(Instant::from_millis(2_000) - t, Duration::from_millis(500));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant {
    micros: u64,
}

impl Instant {
    /// The clock's origin.
    pub const ZERO: Instant = Instant { micros: 0 };

    /// The instant `micros` microseconds after the origin.
    pub const fn from_micros(micros: u64) -> Self {
        Instant { micros }
    }

    /// The instant `millis` milliseconds after the origin (saturating).
    pub const fn from_millis(millis: u64) -> Self {
        Instant { micros: millis.saturating_mul(1_000) }
    }

    /// Microseconds since the origin.
    pub const fn micros(self) -> u64 {
        self.micros
    }

    /// Milliseconds since the origin (rounded down).
    pub const fn millis(self) -> u64 {
        self.micros / 1_000
    }

    /// The time from `earlier` to `self`, or zero when `earlier` is later.
    pub fn saturating_duration_since(self, earlier: Instant) -> Duration {
        Duration::from_micros(self.micros.saturating_sub(earlier.micros))
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;

    /// Saturates at the end of time instead of overflowing. (In `u64`: `Duration::as_micros`
    /// is `u128` arithmetic, which a 32-bit target pays for in flash; and out of line: the
    /// saturating 64-bit multiply is some 70 bytes of Thumb code at each timer; inline on
    /// hosts, where it is a few instructions.)
    #[cfg_attr(target_os = "none", inline(never))]
    #[cfg_attr(not(target_os = "none"), inline)]
    fn add(self, rhs: Duration) -> Instant {
        let micros = rhs.as_secs().saturating_mul(1_000_000).saturating_add(u64::from(rhs.subsec_micros()));
        Instant { micros: self.micros.saturating_add(micros) }
    }
}

/// When a timer fires, or never: an `Option<Instant>` in one `u64` (`u64::MAX` is never),
/// so that the earlier of two is their minimum, one compare, where a 32-bit target would
/// otherwise move and test 16-byte options at every timer. The last microsecond of the clock
/// (`u64::MAX`) is taken by "never": a timer that saturates there fires one microsecond
/// before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Deadline(u64);

impl Deadline {
    /// No timer.
    pub(crate) const NEVER: Deadline = Deadline(u64::MAX);

    /// Due at once: a timer that expired behind waiting events (see `Socket::next_due`).
    pub(crate) const NOW: Deadline = Deadline(0);

    /// At `at` (at `u64::MAX - 1` µs for `u64::MAX`, which means never). One copy on bare
    /// metal, where a 64-bit compare is long.
    #[cfg_attr(target_os = "none", inline(never))]
    pub(crate) const fn at(at: Instant) -> Deadline {
        Deadline(if at.micros == u64::MAX { u64::MAX - 1 } else { at.micros })
    }

    /// The instant, unless never.
    pub(crate) const fn instant(self) -> Option<Instant> {
        if self.0 == u64::MAX { None } else { Some(Instant { micros: self.0 }) }
    }

    /// Whether it is due at `now` (never is never due).
    #[inline]
    pub(crate) const fn is_due(self, now: Instant) -> bool {
        self.0 <= now.micros && self.0 != u64::MAX
    }
}

impl Sub for Instant {
    type Output = Duration;

    /// Saturates at zero when `rhs` is later than `self`.
    fn sub(self, rhs: Instant) -> Duration {
        self.saturating_duration_since(rhs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates() {
        assert_eq!(Instant::from_millis(u64::MAX).micros(), u64::MAX);
        assert_eq!(Instant::from_micros(u64::MAX) + Duration::from_secs(1), Instant::from_micros(u64::MAX));
        assert_eq!(Instant::ZERO - Instant::from_millis(1), Duration::ZERO);
        assert_eq!(Instant::from_micros(2_500).millis(), 2);
    }

    proptest::proptest! {
        /// Adding a duration is `Duration::as_micros` (sub-microsecond parts dropped),
        /// saturated at `u64::MAX`.
        #[test]
        fn add_is_as_micros_saturated(start in 0u64..=u64::MAX, secs in proptest::prop_oneof![
            0u64..=10_000, 0u64..=u64::MAX / 1_000_000 + 1, 0u64..=u64::MAX
        ], nanos in 0u32..1_000_000_000) {
            let d = Duration::new(secs, nanos);
            let want = start.saturating_add(u64::try_from(d.as_micros()).unwrap_or(u64::MAX));
            proptest::prop_assert_eq!((Instant::from_micros(start) + d).micros(), want);
        }
    }
}
