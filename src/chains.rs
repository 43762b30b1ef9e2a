//! The chains a Ledger names: the network name and ticker app-ethereum 1.22.0 shows for a chain
//! id, for the chains this project's tests and examples use (each was checked against the real
//! app's built-in table). Any other chain shows as its bare number with the ticker "???", as the
//! app does for chains it does not know.
//!
//! One table for the emulator's screens and, later, the host's twin of them, so the two cannot
//! disagree.

/// A chain as the device names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chain {
    /// The chain id.
    pub id: u64,
    /// The network name shown on the "Network" screen.
    pub name: &'static str,
    /// The ticker shown after amounts and fees.
    pub ticker: &'static str,
}

const KNOWN: &[Chain] = &[
    Chain { id: 1, name: "Ethereum", ticker: "ETH" },
    Chain { id: 5, name: "Goerli", ticker: "ETH" },
    Chain { id: 10, name: "OP Mainnet", ticker: "ETH" },
    Chain { id: 56, name: "BSC", ticker: "BNB" },
    Chain { id: 100, name: "Gnosis", ticker: "xDAI" },
    Chain { id: 137, name: "Polygon", ticker: "POL" },
    Chain { id: 8453, name: "Base", ticker: "ETH" },
    Chain { id: 17000, name: "Holesky", ticker: "ETH" },
    Chain { id: 42161, name: "Arbitrum", ticker: "ETH" },
    Chain { id: 11155111, name: "Sepolia", ticker: "ETH" },
];

/// The ticker of a chain the device does not know.
pub const UNKNOWN_TICKER: &str = "???";

/// The chain with this id, if the device knows it.
pub fn known(id: u64) -> Option<Chain> {
    KNOWN.iter().copied().find(|c| c.id == id)
}

/// The ticker shown for `id` ("???" when unknown).
pub fn ticker(id: u64) -> &'static str {
    known(id).map_or(UNKNOWN_TICKER, |c| c.ticker)
}

/// The "Network" value shown for `id`: its name, or the bare number.
pub fn network_name(id: u64) -> String {
    known(id).map_or_else(|| id.to_string(), |c| c.name.to_string())
}
