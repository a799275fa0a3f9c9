//! Ready-to-play plugin instances for the scenarios, in either format: the fixture set up,
//! the bundle loaded, the test model selected.
//!
//! Every scenario is one function generic over [`Format`], run against the CLAP and the
//! VST3 bundle alike.

use crate::bundles::{clap_library, vst3_library};
use crate::clap_host::{frame_state, ClapHost};
use crate::fixture::{setup, TEST_MODEL};
use crate::host::{select_model, PluginHost};
use crate::vst3_host::Vst3Host;

/// A plugin format: how to load its release bundle and how its state stream is framed.
pub trait Format {
    type Host: PluginHost;
    const NAME: &'static str;
    /// A fresh instance of the release bundle with its default settings (the fixture set up).
    fn load() -> Self::Host;
    /// The plugin's state JSON as this format's state stream carries it.
    fn frame_state(json: &[u8]) -> Vec<u8>;
}

/// A format's unit type and its [`Format`] implementation.
macro_rules! plugin_format {
    ($(#[$doc:meta])* $format:ident, $host:ty, $name:literal, $library:path, $frame:expr) => {
        $(#[$doc])*
        pub struct $format;

        impl Format for $format {
            type Host = $host;
            const NAME: &'static str = $name;
            fn load() -> $host {
                setup();
                <$host>::load(&$library())
            }
            fn frame_state(json: &[u8]) -> Vec<u8> {
                $frame(json)
            }
        }
    };
}

plugin_format!(
    /// nice-plug's CLAP wrapper prefixes the state JSON with its length.
    Clap, ClapHost, "CLAP", clap_library, frame_state
);
plugin_format!(
    /// nice-plug's VST3 state stream is the JSON itself.
    Vst3, Vst3Host, "VST3", vst3_library, |json: &[u8]| json.to_vec()
);

/// An instance of `F` playing the test model.
pub fn instance<F: Format>() -> F::Host {
    let mut host = F::load();
    select_model(&mut host, TEST_MODEL);
    host
}

/// A CLAP instance of the release bundle playing the test model.
pub fn clap() -> ClapHost {
    instance::<Clap>()
}

/// A VST3 instance of the release bundle playing the test model.
pub fn vst3() -> Vst3Host {
    instance::<Vst3>()
}

/// Every parameter's normalized value, by name.
pub fn param_values(host: &mut dyn PluginHost) -> Vec<(String, f64)> {
    host.param_names()
        .into_iter()
        .map(|n| (n.clone(), host.param(&n)))
        .collect()
}

/// A test per scenario and format: `both_formats!(a, b)` makes `clap::a`, `vst3::a`, ...
/// calling `a::<Clap>()` and `a::<Vst3>()` (which the test file imports).
#[macro_export]
macro_rules! both_formats {
    ($($scenario:ident),* $(,)?) => {
        mod clap {
            $(#[test] fn $scenario() { super::$scenario::<super::Clap>() })*
        }
        mod vst3 {
            $(#[test] fn $scenario() { super::$scenario::<super::Vst3>() })*
        }
    };
}
