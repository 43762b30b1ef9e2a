//! The simulation gate's offline half: state witnesses ([`witness`]), proven against the block
//! hash the signer typed ([`proof`]). Nothing here reaches a network or an async runtime: it runs
//! on the air-gapped laptop, and the online collector (`bounded-signer-witness`) only writes the
//! files it reads.
#![forbid(unsafe_code)]

pub mod observe;
pub mod proof;
pub mod replay;
#[cfg(feature = "rpc")]
pub mod rpc;
pub mod witness;
