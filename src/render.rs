//! How results are shown: JSON documents of `spec/cli.md` and the human text a signer reads.

pub mod gate;
pub mod human;
pub mod json;
pub mod ledger;
pub mod simulation;
