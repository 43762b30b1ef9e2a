//! One module per command; each reads its inputs, calls the core, and prints.

pub mod address;
pub mod airgap;
pub mod approve;
pub mod bundle;
pub mod check;
pub mod decode;
pub mod emulator;
pub mod export_account;
pub mod journal;
pub mod layout;
pub mod manifest;
pub mod rehearse;
pub mod safe;
pub mod safe_exec;
pub mod safe_sign;
pub mod sign;
pub mod sign_request;
pub mod verify_execution;
