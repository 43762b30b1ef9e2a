//! The Speculos raw APDU TCP protocol (§5.2): request `u32be(len) ‖ apdu`, answer
//! `u32be(len(data)) ‖ data ‖ SW` (the length does not count the status word). Real Speculos and
//! `bounded-signer emulator` both speak it. Plain `std::net`: a loopback socket needs no async
//! runtime or HTTP stack in a ceremony binary.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use super::transport::{Exchange, TransportError};

/// Speculos's default APDU port.
pub const DEFAULT_ADDRESS: &str = "127.0.0.1:9999";
/// Largest answer accepted (the largest Ethereum-app answer is 141 bytes).
const MAX_ANSWER: usize = 64 * 1024;

/// One long-lived connection (Speculos serves one client at a time and sends a pending answer to
/// whichever client is connected, so the transport never reconnects mid-flow).
pub struct SpeculosTransport {
    stream: TcpStream,
}

impl SpeculosTransport {
    /// Connects to `address` (`HOST:PORT`), within 5 seconds.
    pub fn connect(address: &str) -> Result<Self, TransportError> {
        let err = |reason: String| TransportError::Connect { address: address.to_string(), reason };
        let addrs: Vec<_> = address.to_socket_addrs().map_err(|e| err(e.to_string()))?.collect();
        let mut last = String::from("no address");
        for addr in addrs {
            match TcpStream::connect_timeout(&addr, Duration::from_secs(5)) {
                Ok(stream) => {
                    let _ = stream.set_nodelay(true);
                    return Ok(SpeculosTransport { stream });
                }
                Err(e) => last = e.to_string(),
            }
        }
        Err(err(last))
    }
}

/// Frames one request.
#[expect(clippy::cast_possible_truncation, reason = "an APDU is at most 260 bytes")]
pub fn frame_request(apdu: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + apdu.len());
    out.extend_from_slice(&(apdu.len() as u32).to_be_bytes());
    out.extend_from_slice(apdu);
    out
}

impl Exchange for SpeculosTransport {
    fn exchange(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        let gone = |e: std::io::Error| TransportError::Disconnected(e.to_string());
        let request = zeroize::Zeroizing::new(frame_request(apdu));
        self.stream.write_all(&request).map_err(gone)?;
        let mut len = [0u8; 4];
        self.stream.read_exact(&mut len).map_err(gone)?;
        let len = u32::from_be_bytes(len) as usize;
        if len > MAX_ANSWER {
            return Err(TransportError::Garbled(format!("answer length {len}")));
        }
        let mut answer = vec![0u8; len + 2];
        self.stream.read_exact(&mut answer).map_err(gone)?;
        Ok(answer)
    }
}
