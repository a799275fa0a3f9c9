//! The xtask's library: what `cargo xtask package` builds, shared with the tests of the
//! release (`tests/install_sh.rs` stages the archive's folder the way the package does).

pub mod package;
