//! The network steps taken since the stream's snapshot, kept so that drawing an event again
//! (the settings changed while it was drawn ahead) redoes only the steps whose input changed.
//!
//! A temperature automated every buffer used to throw away every step drawn ahead; now a
//! step whose input is what it was is replayed from the log (its logits and the state after
//! it are copied back), which costs a copy instead of a network step. Replay is exact: the
//! stream is first put back to the snapshot, so a step with the same input starts from the
//! same state and ends in the same one.

use super::lstm::{LstmState, PackedLstm};
use crate::model::{StepInput, StreamKind};
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
        }
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
            return (&entry.logits, false);
        }
        // What was logged from here on followed a different step.
        self.len = k.min(self.len);
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
