//! Listen through each format: a phrase played into the bundle's note input. The plugin must
//! answer exactly as the engine does in-process hearing the same notes (so the notes reach
//! the networks as meant), on the first beat after the configured silence and not before,
//! fall silent within the buffer the musician plays again in, leave no note hanging, and
//! give the same answer whatever the host's buffer sizes.

use deepmidi_engine::model::load_model_set;
use deepmidi_engine::realtime::{AnswerLength, Engine, EngineParams, Listening};
use deepmidi_host_tests::both_formats;
use deepmidi_host_tests::capture::{assert_same_notes, Note};
use deepmidi_host_tests::fixture::{setup, TEST_MODEL};
use deepmidi_host_tests::host::{set_param_text, PluginHost, Session, SAMPLE_RATE};
use deepmidi_host_tests::lockstep::Lockstep;
use deepmidi_host_tests::scenario::{instance, Clap, Format, Vst3};

/// The plugin's default seed.
const SEED: u64 = 1;
const TEMPO: f64 = 120.0;
/// Samples a beat at [`TEMPO`].
const BEAT: i64 = 24_000;

/// Eight eighth notes from beat 1, each held 0.4 beat: the phrase ends at beat 4.9.
const PHRASE: [(f64, f64, u8); 8] = [
    (1.0, 0.4, 66),
    (1.5, 0.4, 68),
    (2.0, 0.4, 70),
    (2.5, 0.4, 71),
    (3.0, 0.4, 73),
    (3.5, 0.4, 71),
    (4.0, 0.4, 70),
    (4.5, 0.4, 66),
];
const PHRASE_END: f64 = 4.9;

fn engine() -> Engine {
    let model = load_model_set(&setup().models_dir.join(TEST_MODEL)).unwrap();
    Engine::new(&model, SAMPLE_RATE, SEED).unwrap()
}

/// The engine's settings for Listen on, and the texts a musician types for them.
fn listening(after: f64, length: AnswerLength) -> EngineParams {
    EngineParams {
        listen: Some(Listening::new(after, length)),
        ..EngineParams::default()
    }
}

fn set_listen(host: &mut dyn PluginHost, params: &EngineParams) {
    let listen = params.listen.expect("Listen on");
    set_param_text(host, "Listen", "On");
    set_param_text(host, "Answer After", &listen.answer_after.to_string());
    let length = match listen.answer_length {
        AnswerLength::Bars(n) => n.to_string(),
        AnswerLength::UntilIPlay => "until I play again".to_owned(),
    };
    set_param_text(host, "Answer Length", &length);
}

/// Plays the phrase (and `more`, notes in beats) into the plugin with `params` for
/// `seconds` in random buffers from `buffers`, beside the engine; checks they agree and
/// returns the plugin's notes.
fn play<F: Format>(
    params: &EngineParams,
    more: &[(f64, f64, u8)],
    seconds: f64,
    buffers: u64,
) -> Vec<Note> {
    let mut session = Session::new(instance::<F>(), TEMPO);
    assert!(session.host.has_note_input(), "{}: no note input", F::NAME);
    if params.listen.is_some() {
        set_listen(&mut session.host, params);
    }
    session.schedule_melody(&PHRASE);
    session.schedule_melody(more);
    let mut lockstep = Lockstep::new(engine(), buffers);
    lockstep.run(&mut session, params, seconds);
    let what = format!("{} {params:?}", F::NAME);
    session.capture.assert_clean(&what);
    if let Some(Listening {
        answer_length: AnswerLength::Bars(_),
        ..
    }) = params.listen
    {
        // Every answer here ends before the run does, and each of its notes with it.
        assert_eq!(session.capture.sounding(), 0, "{what}: notes left hanging");
    }
    let (want, got) = (lockstep.expected.notes(), session.capture.notes());
    assert_same_notes(&want, &got, 0, &what);
    got
}

fn beats(sample: i64) -> f64 {
    sample as f64 / BEAT as f64
}

fn answers_on_the_beat_after_the_silence<F: Format>() {
    for (after, bars) in [(2.0, 2), (0.75, 1)] {
        let params = listening(after, AnswerLength::Bars(bars));
        let notes = play::<F>(&params, &[], 14.0, 3);
        let start = (PHRASE_END + after).ceil();
        let first = notes.first().expect("an answer").on;
        assert_eq!(
            first,
            (start * BEAT as f64) as i64,
            "{}: the answer starts at beat {}, not {start}",
            F::NAME,
            beats(first)
        );
        let last = notes.last().unwrap().on;
        assert!(
            beats(last) < start + 4.0 * f64::from(bars),
            "{}: an onset at beat {} after {bars} bars",
            F::NAME,
            beats(last)
        );
        assert!(notes.len() >= 2 * bars as usize, "{}: {notes:?}", F::NAME);
    }
    // What is played after the phrase is not what plays without listening.
    let heard = play::<F>(&listening(2.0, AnswerLength::Bars(4)), &[], 16.0, 5);
    let free = play::<F>(&EngineParams::default(), &[], 16.0, 5);
    let window = |notes: &[Note]| -> Vec<(i64, u8)> {
        notes
            .iter()
            .filter(|n| n.on >= 7 * BEAT)
            .map(|n| (n.on, n.pitch))
            .collect()
    };
    assert!(window(&heard).len() >= 4);
    assert_ne!(window(&heard), window(&free), "{}", F::NAME);
}

/// A chord struck during an answer (Answer Length: until I play) ends the answer's notes at
/// its sample; the next answer follows the next silence.
fn playing_again_silences_the_answer<F: Format>() {
    let params = listening(1.0, AnswerLength::UntilIPlay);
    // The answer starts at beat 6; the chord comes at beat 9.3, held half a beat.
    let chord = [(9.3, 0.5, 61), (9.3, 0.5, 65), (9.3, 0.5, 68)];
    let notes = play::<F>(&params, &chord, 9.0, 11);
    let cut = (9.3 * BEAT as f64).round() as i64;
    let before: Vec<&Note> = notes.iter().filter(|n| n.on < cut).collect();
    assert!(
        before.len() >= 3,
        "{}: {} notes before the cut",
        F::NAME,
        before.len()
    );
    assert!(
        before.iter().all(|n| n.off <= cut),
        "{}: a note of the answer sounds past the cut",
        F::NAME
    );
    assert!(
        before.iter().any(|n| n.off == cut),
        "{}: no note was cut",
        F::NAME
    );
    let next = notes.iter().find(|n| n.on >= cut).expect("a second answer");
    assert_eq!(
        next.on,
        11 * BEAT,
        "{}: after 1 beat of silence from 9.8",
        F::NAME
    );
}

/// The same notes at the same samples give the same answer in buffers of 1 to 4096 samples.
fn any_buffer_sizes_give_the_same_answer<F: Format>() {
    let params = listening(0.5, AnswerLength::Bars(2));
    let more = [(9.1, 0.3, 60), (9.6, 0.3, 62), (10.1, 1.0, 64)];
    let reference = play::<F>(&params, &more, 10.0, 1);
    assert!(reference.len() >= 8);
    for seed in [2, 3] {
        assert_eq!(
            play::<F>(&params, &more, 10.0, seed),
            reference,
            "{}",
            F::NAME
        );
    }
}

both_formats!(
    answers_on_the_beat_after_the_silence,
    playing_again_silences_the_answer,
    any_buffer_sizes_give_the_same_answer,
);
