//! One module per command; each reads its inputs, calls the core, and prints.

pub mod check;
pub mod decode;
pub mod manifest;
