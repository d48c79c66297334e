//! Where on the stack a benchmark's state and loop lie: a time shared out over several
//! depths, so that no contender's figure is one draw of the process's stack placement.
//!
//! On the machines here the time of a small in-memory case moves with the address of the
//! stack it runs on, not only with its code. The same binary of `examples/instructions`,
//! started with environments of different sizes (which move the stack's start), ran both
//! 16 B sends in a fast state (about 10–12 ns) or a slow one (17–19 ns), a state per size;
//! the ratio of the two was 0.88 in one and 0.97–1.04 in the other. Both contenders keep
//! their state on the stack and their buffers on the heap, and Linux starts each process's
//! stack at a random offset in its page. With the batches moved through the depths of
//! [`at_depth`] (`ab`), the same eight environment sizes all gave a ratio of 0.912–0.913.
//! [`spread`] does the same for criterion: each sample is the sum over [`PLACEMENTS`]
//! depths, for every contender alike.

use std::hint::black_box;
use std::time::{Duration, Instant};

/// How many stack depths [`spread`] shares a measurement out over.
pub const PLACEMENTS: u32 = 16;

/// Bytes of padding in each frame [`spread`] descends through: with the frame's own return
/// address and saved registers, a little over this much deeper per placement, so that the
/// [`PLACEMENTS`] depths cover a whole 4 KiB page.
const STEP: usize = 240;

/// Times `iters` calls of `routine`, shared out over [`PLACEMENTS`] stack depths: at each,
/// `setup` makes a fresh state in a frame that far down, and `routine` runs on it there (its
/// result goes through `black_box`, as in criterion's `Bencher::iter`). Returns the time of
/// the `routine` calls alone, for criterion's `Bencher::iter_custom`: not `setup`, not the
/// one untimed call of `routine` after each `setup` (it touches the new state's pages: a
/// fresh 1 MiB buffer's first write faults them in), not dropping the state.
///
/// The depths differ by a little over 240 B each, so the state and the loop's own frame lie
/// at [`PLACEMENTS`] offsets spread over a 4 KiB page, relative to everything not on the
/// stack (the heap, the code): what the process's stack start would otherwise decide once.
///
/// ```
/// let mut calls = 0;
/// let time = sockettask_benches::placement::spread(100, || 0u64, |sum| {
///     *sum += 1;
///     calls += 1;
/// });
/// // 100 timed, and one untimed at each of the 16 placements.
/// assert_eq!(calls, 116);
/// assert!(time > std::time::Duration::ZERO);
/// ```
pub fn spread<S, O>(
    iters: u64,
    mut setup: impl FnMut() -> S,
    mut routine: impl FnMut(&mut S) -> O,
) -> Duration {
    let mut total = Duration::ZERO;
    for depth in 0..PLACEMENTS {
        // `iters` shared out as evenly as it goes: the first `iters % PLACEMENTS` depths get
        // one more.
        let n = iters / u64::from(PLACEMENTS) + u64::from(u64::from(depth) < iters % u64::from(PLACEMENTS));
        if n == 0 {
            continue;
        }
        at_depth(depth, &mut || {
            let mut state = setup();
            // One call untimed: the fresh state's pages touched and its lines cached, as the
            // state of a run on one placement would be after criterion's warm-up.
            black_box(routine(&mut state));
            let start = Instant::now();
            for _ in 0..n {
                black_box(routine(&mut state));
            }
            total += start.elapsed();
        });
    }
    total
}

/// Runs `run` `depth` frames of a little over 240 B each below this one: placement number
/// `depth` of [`spread`]'s (taken modulo [`PLACEMENTS`]), for a harness that times by
/// itself.
///
/// ```
/// let mut ran = false;
/// sockettask_benches::placement::at_depth(3, &mut || ran = true);
/// assert!(ran);
/// ```
pub fn at_depth(depth: u32, run: &mut dyn FnMut()) {
    descend(depth % PLACEMENTS, run);
}

/// Runs `run` `depth` frames of [`STEP`] bytes of padding below this one.
#[inline(never)]
fn descend(depth: u32, run: &mut dyn FnMut()) {
    let pad = [0u8; STEP];
    black_box(&pad);
    if depth == 0 {
        run();
    } else {
        descend(depth - 1, run);
    }
    // Used again after the call: the frame stays (no tail call).
    black_box(&pad);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every iteration runs once, at every count, small or not a multiple of the placements,
    /// besides the one untimed call after each set-up.
    #[test]
    fn spread_runs_each_iteration_once() {
        for iters in [0, 1, 15, 16, 17, 100, 1000] {
            let mut calls = 0u64;
            let mut setups = 0u64;
            spread(
                iters,
                || {
                    setups += 1;
                },
                |()| calls += 1,
            );
            let used = iters.min(u64::from(PLACEMENTS));
            assert_eq!(setups, used);
            assert_eq!(calls, iters + used);
        }
    }

    /// The state lies at as many different addresses as there are placements, and they span
    /// most of a page (optimised or not, a frame is at least the padding deep).
    #[test]
    fn spread_moves_the_state() {
        let mut addresses = Vec::new();
        spread(u64::from(PLACEMENTS), || 0u8, |state| addresses.push(std::ptr::from_mut(state) as usize));
        addresses.sort_unstable();
        addresses.dedup();
        assert_eq!(addresses.len(), PLACEMENTS as usize);
        let span = addresses[addresses.len() - 1] - addresses[0];
        assert!(span >= STEP * (PLACEMENTS as usize - 1), "span {span}");
    }
}
