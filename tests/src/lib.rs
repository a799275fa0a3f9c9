//! Test hosts for the built DeepMIDI bundles.
//!
//! The plugin is loaded from `target/bundled/` exactly as a DAW loads it: a CLAP host on
//! `clack-host` ([`clap_host`]) and a VST3 host on the `vst3` bindings ([`vst3_host`]). Both
//! implement [`host::PluginHost`], so the scenarios (in `tests/`) drive them the same way: a
//! simulated transport ([`transport`]) in, captured note events ([`capture`]) out.
//!
//! [`lockstep`] plays the engine in-process beside a bundle, buffer for buffer, to check
//! that what the host hands the plugin reaches the engine as meant.
//!
//! [`clap_gui`] opens the CLAP bundle's editor embedded in a parent window of a private X
//! server ([`display`]), which screenshots it.
//!
//! Bundles are found by path and never built by the tests: a missing bundle fails the test
//! with the command that builds it ([`bundles`]).

pub mod bundles;
pub mod capture;
pub mod clap_gui;
pub mod clap_host;
pub mod display;
pub mod fixture;
pub mod host;
pub mod lockstep;
pub mod scenario;
pub mod transport;
pub mod vst3_host;
