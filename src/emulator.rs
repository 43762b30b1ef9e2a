//! `bounded-signer emulator`: a software stand-in for a Ledger Nano S+ running the Ethereum app
//! 1.22.0, for tests and ceremony rehearsals.
//!
//! It serves what Speculos serves, on 127.0.0.1 only: the raw APDU TCP protocol (the same
//! transport the client uses for real Speculos) and the REST API (`/apdu`, `/button/…`,
//! `/events`). It answers as the real app does (chunking, status words, the wrapped v byte,
//! GET_APP_CONFIGURATION 1.22.0) and signs with RFC 6979 from a BIP-39 mnemonic, so its
//! signatures are byte-identical to the real app's and to eth-account's for the same key.
//! It never holds value: the default mnemonic is Speculos's public test seed.

pub mod app;
pub mod http;
pub mod keys;
pub mod server;
pub mod uhid;
pub mod ui;

pub use app::{Approve, EmulatorApp, Fault, Settings};
pub use server::{Emulator, EmulatorConfig};

/// Speculos's public test mnemonic (never hold value with it).
pub const SPECULOS_MNEMONIC: &str = "glory promote mansion idle axis finger extra february uncover one trip resource lawn turtle enact monster seven myth punch hobby comfort wild raise skin";
