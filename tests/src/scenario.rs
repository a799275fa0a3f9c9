//! Ready-to-play plugin instances for the scenarios: the fixture set up, the bundle loaded,
//! the test model selected.

use crate::bundles::{clap_library, vst3_library};
use crate::clap_host::ClapHost;
use crate::fixture::{setup, TEST_MODEL};
use crate::host::{select_model, PluginHost};
use crate::vst3_host::Vst3Host;

/// A CLAP instance of the release bundle playing the test model.
pub fn clap() -> ClapHost {
    setup();
    let mut host = ClapHost::load(&clap_library());
    select_model(&mut host, TEST_MODEL);
    host
}

/// A VST3 instance of the release bundle playing the test model.
pub fn vst3() -> Vst3Host {
    setup();
    let mut host = Vst3Host::load(&vst3_library());
    select_model(&mut host, TEST_MODEL);
    host
}

/// Every parameter's normalized value, by name.
pub fn param_values(host: &mut dyn PluginHost) -> Vec<(String, f64)> {
    host.param_names()
        .into_iter()
        .map(|n| (n.clone(), host.param(&n)))
        .collect()
}
