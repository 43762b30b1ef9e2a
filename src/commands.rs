//! One module per command; each reads its inputs, calls the core, and prints.

pub(crate) mod check;
pub(crate) mod decode;
pub(crate) mod manifest;
