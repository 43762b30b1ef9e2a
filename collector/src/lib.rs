//! `bounded-signer-witness`, the online half of the simulation gate: it asks a node for the
//! header of one block and the EIP-1186 proofs of everything the ceremony's replay will read on
//! it, and writes them as a state witness. It decides nothing and is trusted for nothing: the
//! air-gapped laptop proves every value against the block hash the signer typed. This crate,
//! unlike the ceremony binary, links an HTTP client and an async runtime.
#![forbid(unsafe_code)]

pub mod collect;
pub mod node;
pub mod run;
