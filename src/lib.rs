//! bounded-signer, the agent: everything with a side effect (files, terminal, clock, devices)
//! around the pure policy core in `firmware-policy`.
//!
//! The binary is a thin layer over these modules so integration tests and Rust programs can use
//! the same code paths the ceremony uses.
#![forbid(unsafe_code)]

pub mod abi;
pub mod airgap;
pub mod approvals;
pub mod authoring;
pub mod chains;
pub mod cli;
pub mod commands;
pub mod containment;
pub mod device;
pub mod emulator;
pub mod error;
pub mod gate;
pub mod hints;
pub mod home;
pub mod input;
pub mod journal;
pub mod layout;
pub mod ledger_screens;
pub mod manifest_file;
pub mod output;
pub mod render;
pub mod request;
pub mod safe_input;
pub mod signer;
pub mod signing;
pub mod text;
pub mod timefmt;
pub mod values;

/// The tool version written into every verdict.
pub const TOOL_VERSION: &str = concat!("bounded-signer ", env!("CARGO_PKG_VERSION"));
