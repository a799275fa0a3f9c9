//! How much network work the audio thread may do: an allowance earned by the audio rendered.
//!
//! A cap per buffer let a 32-frame buffer take as many LSTM steps as a 4096-frame one, and
//! overran small buffers (bach, 12-note chords heard every half beat: 225% of a 32-frame
//! buffer at the 99.9th percentile). An allowance in proportion to the buffer's duration
//! keeps every buffer's share of work the same, whatever the host's buffer size; the work it
//! spreads (hearing the musician, drawing the next event ahead) is never needed at once,
//! since each event is drawn well before it is due.

/// Network steps (one step of one network) a second of audio allows. At 48 kHz a 32-frame
/// buffer gets 1 step, a 128-frame one 4. A step of the shipped models takes about 35 µs
/// with its weights in cache (`deepmidi bench`), but the audio thread steps now and then,
/// and a step whose 1.6 MB of weights come from memory takes 100-250 µs, up to 37% of a
/// 32-frame buffer: at 3,000 a second, two such steps in one buffer took `bach 32
/// temperature` to 25-45% at the 99.9th percentile. 1,500 is still far more than music
/// needs: a 12-note chord every half beat at 120 BPM is 96 steps a second to hear in split
/// mode, and an event takes at most 40 steps, earned in 28 ms.
pub const STEPS_PER_SECOND: f64 = 1500.0;

/// The time `steps` network steps need to be earned, and a step more for the rounding at
/// each end: how far ahead of an onset its event must be known for the allowance alone to
/// draw it. Closer than that, what is left is done at the onset, in one buffer.
pub fn seconds_to_earn(steps: usize) -> f64 {
    (steps as f64 + 2.0) / STEPS_PER_SECOND
}

/// The allowance of the buffer being rendered.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct WorkBudget {
    /// The fraction of a step earned and not yet spent; whole steps not used in their buffer
    /// are not kept, so no buffer can spend a backlog.
    carry: f64,
    /// Steps a buffer took beyond its allowance for work that cannot be split (hearing one
    /// note of the musician steps both networks): the next buffers pay them back.
    owed: u32,
}

impl WorkBudget {
    /// The whole steps a buffer of `frames` at `sample_rate` may take, less what is owed.
    pub fn earn(&mut self, frames: u32, sample_rate: f64) -> u32 {
        let earned = self.carry + f64::from(frames) * STEPS_PER_SECOND / sample_rate.max(1.0);
        let steps = earned.floor();
        self.carry = earned - steps;
        let steps = steps.min(f64::from(u32::MAX)) as u32;
        let paid = steps.min(self.owed);
        self.owed -= paid;
        steps - paid
    }

    /// Takes `steps` beyond this buffer's allowance, to be paid back by the next ones.
    pub fn borrow(&mut self, steps: u32) {
        self.owed = self.owed.saturating_add(steps);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_allowance_follows_the_audio_whatever_the_buffer_sizes() {
        let mut small = WorkBudget::default();
        let steps: u32 = (0..1500).map(|_| small.earn(32, 48_000.0)).sum();
        let mut large = WorkBudget::default();
        let big: u32 = (0..375).map(|_| large.earn(128, 48_000.0)).sum();
        // One second of audio either way.
        assert_eq!(steps, STEPS_PER_SECOND as u32);
        assert_eq!(big, STEPS_PER_SECOND as u32);
        // A tiny buffer earns a step now and then, never more than its share.
        let mut tiny = WorkBudget::default();
        let per_buffer: Vec<u32> = (0..64).map(|_| tiny.earn(1, 48_000.0)).collect();
        assert!(per_buffer.iter().all(|&s| s <= 1));
        assert_eq!(
            per_buffer.iter().sum::<u32>(),
            (64.0 * STEPS_PER_SECOND / 48_000.0) as u32
        );
    }

    #[test]
    fn a_step_borrowed_is_paid_back_by_the_next_buffers() {
        let mut budget = WorkBudget::default();
        let each = budget.earn(64, 48_000.0);
        assert!(each >= 1);
        budget.borrow(each + 1);
        assert_eq!(budget.earn(64, 48_000.0), 0);
        assert_eq!(budget.earn(64, 48_000.0), each - 1);
        assert_eq!(budget.earn(64, 48_000.0), each);
    }
}
