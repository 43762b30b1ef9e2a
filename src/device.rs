//! Talking to a Ledger running the Ethereum app: APDU framing (pure functions), the app's
//! commands, status words worded for people, and the transports behind one `Exchange` trait.
//!
//! Protocol facts are from `../shared/ledger-protocol.md` (checked against app-ethereum 1.22.0
//! under Speculos); section numbers in comments refer to it.

pub mod apdu;
pub mod eip712;
pub mod eth_app;
pub mod hid;
pub mod hid_framing;
pub mod path;
pub mod speculos;
pub mod status;
pub mod transport;

pub use eth_app::{AppConfiguration, EthApp, PublicAddress, SignFailure};
pub use path::DerivationPath;
pub use status::DeviceError;
pub use transport::{Exchange, TransportError};

/// Where the device is, as `--device` names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeviceSpec {
    /// A Ledger over USB HID; `Some(path)` names one hidraw device.
    Ledger(Option<String>),
    /// A Speculos-style raw APDU TCP port (real Speculos or `bounded-signer emulator`).
    Speculos(String),
}

impl DeviceSpec {
    /// Parses `ledger`, `ledger:PATH`, `speculos`, `speculos:HOST:PORT`.
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "ledger" => Ok(DeviceSpec::Ledger(None)),
            "speculos" => Ok(DeviceSpec::Speculos(speculos::DEFAULT_ADDRESS.to_string())),
            _ => {
                if let Some(path) = s.strip_prefix("ledger:") {
                    Ok(DeviceSpec::Ledger(Some(path.to_string())))
                } else if let Some(addr) = s.strip_prefix("speculos:") {
                    if addr
                        .rsplit_once(':')
                        .is_none_or(|(host, port)| host.is_empty() || port.parse::<u16>().is_err())
                    {
                        return Err("expected speculos:HOST:PORT".into());
                    }
                    Ok(DeviceSpec::Speculos(addr.to_string()))
                } else {
                    Err("expected ledger, ledger:PATH, speculos or speculos:HOST:PORT".into())
                }
            }
        }
    }

    /// Opens the transport.
    pub fn open(&self) -> Result<Box<dyn Exchange>, DeviceError> {
        match self {
            DeviceSpec::Ledger(path) => Ok(Box::new(hid::HidTransport::open(path.as_deref())?)),
            DeviceSpec::Speculos(addr) => Ok(Box::new(speculos::SpeculosTransport::connect(addr)?)),
        }
    }
}
