//! End-to-end tests: the real `lakewarden` binary on real (temporary) lakes.
//! One test binary on purpose (see crates/cli/Cargo.toml).

mod accuracy;
mod audit;
mod bad_input;
mod cli;
mod crash;
mod incremental;
mod llm;
mod memory;
mod proxy;
mod stores;
mod util;
