//! The network steps taken since the stream's snapshot, kept so that drawing an event again
//! (the settings changed while it was drawn ahead) redoes only the steps whose input changed.
//!
//! A temperature automated every buffer used to throw away every step drawn ahead; now a
//! step whose input is what it was is replayed from the log (its logits and the state after
//! it are copied back), which costs a copy instead of a network step. Replay is exact: the
//! stream is first put back to the snapshot, so a step with the same input starts from the
//! same state and ends in the same one.

use crate::model::{StepInput, StreamKind};
use crate::realtime::lstm::{LstmState, PackedLstm};
use crate::tokens::MetricPosition;

struct Entry {
    kind: StreamKind,
    input: StepInput,
    state_after: LstmState,
    logits: Vec<f32>,
}

pub(crate) struct StepLog {
    /// Allocated once; the first `len` are valid.
    entries: Vec<Entry>,
    len: usize,
    /// The next entry a step is compared with.
    cursor: usize,
    /// Network steps run (not replayed) since construction: what the work allowance is
    /// about, counted for tests and the benchmark.
    ran: u64,
    /// Logged steps replayed since construction: a fraction of a step each
    /// ([`super::REPLAYS_PER_STEP`]).
    replayed: u64,
}

impl StepLog {
    /// Room for `capacity` steps of networks whose states look like `state` and whose
    /// vocabularies are at most `vocab`. Allocates: build off the audio thread.
    pub fn new(capacity: usize, state: &LstmState, vocab: usize) -> StepLog {
        let entries = (0..capacity)
            .map(|_| Entry {
                kind: StreamKind::Note,
                input: StepInput {
                    prev: Default::default(),
                    current: Default::default(),
                    position: MetricPosition {
                        step_in_bar: 0,
                        bar_steps: 0,
                        beat_steps: 0,
                    },
                },
                state_after: state.clone(),
                logits: Vec::with_capacity(vocab),
            })
            .collect();
        StepLog {
            entries,
            len: 0,
            cursor: 0,
            ran: 0,
            replayed: 0,
        }
    }

    /// Network steps run since construction.
    pub fn ran(&self) -> u64 {
        self.ran
    }

    /// Logged steps replayed since construction.
    pub fn replayed(&self) -> u64 {
        self.replayed
    }

    /// A new snapshot was taken: nothing logged applies to it.
    pub fn clear(&mut self) {
        self.len = 0;
        self.cursor = 0;
    }

    /// The stream went back to its snapshot: steps are compared from the first again.
    pub fn rewind(&mut self) {
        self.cursor = 0;
    }

    /// Steps `kind`'s network `net` from `state` on `input`, or replays the logged step when
    /// it is the same step from the same state. Returns the logits and whether the network
    /// ran. Allocation-free: a step past the log's room runs unlogged.
    pub fn step<'a>(
        &'a mut self,
        net: &'a mut PackedLstm,
        state: &mut LstmState,
        kind: StreamKind,
        input: &StepInput,
    ) -> (&'a [f32], bool) {
        let k = self.cursor;
        self.cursor += 1;
        if k < self.len && self.entries[k].kind == kind && self.entries[k].input == *input {
            let entry = &self.entries[k];
            state.clone_from(&entry.state_after);
            self.replayed += 1;
            return (&entry.logits, false);
        }
        // What was logged from here on followed a different step.
        self.len = k.min(self.len);
        self.ran += 1;
        let logits = net.step(state, input);
        let Some(entry) = self.entries.get_mut(k) else {
            return (logits, true);
        };
        entry.kind = kind;
        entry.input = *input;
        entry.state_after.clone_from(state);
        entry.logits.clear();
        entry.logits.extend_from_slice(logits);
        self.len = k + 1;
        (&entry.logits, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{load_model_set, PerStream};
    use std::path::PathBuf;

    fn input(note: u32, offset: u32, step_in_bar: u32) -> StepInput {
        StepInput {
            prev: PerStream::from_fn(|kind| match kind {
                StreamKind::Note => note,
                StreamKind::Offset => offset,
            }),
            current: PerStream::default(),
            position: MetricPosition {
                step_in_bar,
                bar_steps: 96,
                beat_steps: 24,
            },
        }
    }

    #[test]
    fn an_unchanged_step_is_replayed_exactly_and_a_changed_one_runs() {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models/irish");
        let model = load_model_set(&dir).unwrap();
        let kind = StreamKind::Note;
        let mut net = PackedLstm::new(&model, kind).unwrap();
        let start = net.new_state();
        let mut log = StepLog::new(2, &start, net.vocab());
        let steps = [input(3, 2, 0), input(5, 4, 12), input(7, 2, 24)];

        let mut state = start.clone();
        let mut first = Vec::new();
        for step in &steps {
            let (logits, ran) = log.step(&mut net, &mut state, kind, step);
            assert!(ran);
            first.push((logits.to_vec(), state.clone()));
        }
        // Back to the snapshot: the two logged steps replay, the third (no room) runs.
        log.rewind();
        let mut state = start.clone();
        for (k, step) in steps.iter().enumerate() {
            let (logits, ran) = log.step(&mut net, &mut state, kind, step);
            assert_eq!(ran, k == 2, "step {k}");
            assert_eq!((logits.to_vec(), state.clone()), first[k], "step {k}");
        }
        // A changed first step runs, and so does the step after it, whose state differs.
        log.rewind();
        let mut state = start.clone();
        let (_, ran) = log.step(&mut net, &mut state, kind, &input(4, 2, 0));
        assert!(ran);
        let (logits, ran) = log.step(&mut net, &mut state, kind, &steps[1]);
        assert!(ran);
        assert_ne!(logits, &first[1].0[..]);
        // A cleared log replays nothing.
        log.clear();
        let mut state = start.clone();
        assert!(log.step(&mut net, &mut state, kind, &steps[0]).1);
        // Another stream's step is not this one's, even with the same input.
        log.rewind();
        let mut offsets = PackedLstm::new(&model, StreamKind::Offset).unwrap();
        let mut state = offsets.new_state();
        assert!(
            log.step(&mut offsets, &mut state, StreamKind::Offset, &steps[0])
                .1
        );
    }
}
