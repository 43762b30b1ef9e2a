//! APDU framing as pure functions: commands (always with Lc, never Le, §2.1), answers (data ‖ SW),
//! the SIGN chunking rule (§3.4.2) and the v-byte rule (§3.4.4). No I/O here, so every byte can
//! be tested against the fact sheet's vectors.

use alloy_primitives::U256;

/// CLA of every Ethereum-app command.
pub const CLA_ETH: u8 = 0xE0;
/// CLA of OS-level (BOLOS) commands.
pub const CLA_BOLOS: u8 = 0xB0;

/// Ethereum-app instructions (app-ethereum `src/apdu_constants.h`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Ins {
    /// GET_ETH_PUBLIC_ADDRESS.
    GetPublicKey = 0x02,
    /// SIGN_ETH_TRANSACTION.
    SignTransaction = 0x04,
    /// GET_APP_CONFIGURATION.
    GetAppConfiguration = 0x06,
    /// SIGN_ETH_PERSONAL_MESSAGE.
    SignPersonalMessage = 0x08,
    /// SIGN_ETH_EIP_712.
    SignEip712 = 0x0C,
}

/// BOLOS GET_APP_AND_VERSION.
pub const INS_GET_APP_AND_VERSION: u8 = 0x01;

/// P1 of chunked commands: the first chunk.
pub const P1_FIRST_CHUNK: u8 = 0x00;
/// P1 of chunked commands: a later chunk.
pub const P1_MORE_CHUNKS: u8 = 0x80;
/// P1 of GET_ETH_PUBLIC_ADDRESS: return silently.
pub const P1_NO_DISPLAY: u8 = 0x00;
/// P1 of GET_ETH_PUBLIC_ADDRESS: show the address and wait for the user.
pub const P1_DISPLAY: u8 = 0x01;
/// P2 of GET_ETH_PUBLIC_ADDRESS: no chain code.
pub const P2_NO_CHAIN_CODE: u8 = 0x00;
/// P2 of GET_ETH_PUBLIC_ADDRESS: append the 32-byte chain code.
pub const P2_CHAIN_CODE: u8 = 0x01;
/// P2 of SIGN_ETH_TRANSACTION: process and start the review flow.
pub const P2_SIGN_PROCESS_AND_START: u8 = 0x00;
/// P2 of SIGN_ETH_EIP_712: hashed mode (v0).
pub const P2_EIP712_HASHED: u8 = 0x00;

/// Longest data field of a short APDU.
pub const MAX_DATA: usize = 255;

/// One command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command {
    /// Class.
    pub cla: u8,
    /// Instruction.
    pub ins: u8,
    /// Parameter 1.
    pub p1: u8,
    /// Parameter 2.
    pub p2: u8,
    /// Data (at most 255 bytes).
    pub data: Vec<u8>,
}

impl Command {
    /// An Ethereum-app command.
    pub fn eth(ins: Ins, p1: u8, p2: u8, data: Vec<u8>) -> Self {
        Command { cla: CLA_ETH, ins: ins as u8, p1, p2, data }
    }

    /// `CLA INS P1 P2 Lc data`. Lc is always written (`00` when there is no data), as Ledger's own
    /// clients do; data longer than 255 bytes is a bug in the caller.
    #[expect(
        clippy::cast_possible_truncation,
        reason = "data is at most 255 bytes: every builder chunks to MAX_DATA"
    )]
    pub fn to_bytes(&self) -> Vec<u8> {
        debug_assert!(self.data.len() <= MAX_DATA);
        let mut out = Vec::with_capacity(5 + self.data.len());
        out.extend_from_slice(&[self.cla, self.ins, self.p1, self.p2, self.data.len() as u8]);
        out.extend_from_slice(&self.data);
        out
    }
}

impl Drop for Command {
    /// Chunks of a signing payload are policy bytes: wiped when the command is dropped.
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.data);
    }
}

/// An answer: data, then the status word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// The data bytes (meaningless when `sw` is not 9000).
    pub data: Vec<u8>,
    /// The status word.
    pub sw: u16,
}

/// Success.
pub const SW_OK: u16 = 0x9000;

impl Answer {
    /// Splits `data ‖ SW1 SW2`; `None` when shorter than two bytes.
    pub fn parse(bytes: &[u8]) -> Option<Self> {
        let split = bytes.len().checked_sub(2)?;
        let (data, sw) = bytes.split_at(split);
        Some(Answer { data: data.to_vec(), sw: u16::from_be_bytes([sw[0], sw[1]]) })
    }

    /// The reverse of [`Answer::parse`].
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.data.clone();
        out.extend_from_slice(&self.sw.to_be_bytes());
        out
    }
}

/// Splits `path ‖ payload` into SIGN_ETH_TRANSACTION chunks of `chunk_size` bytes (P1 00 on the
/// first, 80 on the rest). The first chunk always holds at least one payload byte.
pub fn sign_chunks(path: &[u8], payload: &[u8], chunk_size: usize) -> Vec<Command> {
    chunked(Ins::SignTransaction, P2_SIGN_PROCESS_AND_START, path, payload, chunk_size)
}

fn chunked(ins: Ins, p2: u8, head: &[u8], body: &[u8], chunk_size: usize) -> Vec<Command> {
    let size = chunk_size.clamp(1, MAX_DATA);
    let mut whole = zeroize::Zeroizing::new(Vec::with_capacity(head.len() + body.len()));
    whole.extend_from_slice(head);
    whole.extend_from_slice(body);
    whole
        .chunks(size)
        .enumerate()
        .map(|(i, c)| Command::eth(ins, if i == 0 { P1_FIRST_CHUNK } else { P1_MORE_CHUNKS }, p2, c.to_vec()))
        .collect()
}

/// SIGN_ETH_PERSONAL_MESSAGE chunks: `path ‖ u32be(len) ‖ message`.
#[expect(
    clippy::cast_possible_truncation,
    reason = "the app's length field is u32; messages are far smaller"
)]
pub fn personal_message_chunks(path: &[u8], message: &[u8]) -> Vec<Command> {
    let mut head = path.to_vec();
    head.extend_from_slice(&(message.len() as u32).to_be_bytes());
    chunked(Ins::SignPersonalMessage, 0x00, &head, message, MAX_DATA)
}

/// The chunk size for a legacy transaction on apps before 1.13.0, which took a chunk ending just
/// before the EIP-155 tail as the end of a pre-155 transaction (ledgerjs `safeChunkTransaction`):
/// the largest size ≤ 255 whose last chunk is empty or longer than the tail.
pub fn legacy_safe_chunk_size(total_len: usize, tail_len: usize) -> usize {
    (1..=MAX_DATA)
        .rev()
        .find(|cs| total_len.is_multiple_of(*cs) || total_len % cs > tail_len)
        .unwrap_or(MAX_DATA)
}

/// The length of the EIP-155 tail `rlp(chainId) ‖ 80 ‖ 80`.
pub fn eip155_tail_len(chain_id: u64) -> usize {
    alloy_rlp::Encodable::length(&chain_id) + 2
}

/// How to read the v byte of a signature (§3.4.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VRule {
    /// Typed transactions (1, 2, 4): the byte is the y-parity.
    Typed,
    /// Legacy with EIP-155: the app returns the low byte of `35 + 2·chainId' + parity`, where
    /// chainId' is the top four bytes of the RLP chain id. It can wrap.
    Eip155 {
        /// The transaction's chain id.
        chain_id: u64,
    },
    /// personal_sign, EIP-712 and pre-155: 27 or 28.
    Legacy27,
}

/// The low byte the app computes for `35 + 2·chainId'` (chainId' = the top ≤ 4 bytes of the
/// chain id's big-endian encoding), before adding the parity.
pub fn eip155_v_base_byte(chain_id: u64) -> u8 {
    let be = chain_id.to_be_bytes();
    let first = be.iter().position(|b| *b != 0).unwrap_or(be.len());
    let significant = &be[first..];
    let top = &significant[..significant.len().min(4)];
    let c32 = top.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b));
    (c32.wrapping_mul(2).wrapping_add(35) & 0xff) as u8
}

/// The y-parity from the device's v byte, checked against what the app can return; `None` when
/// the byte is impossible for this rule (a garbled or forged answer).
pub fn parity_from_v(byte: u8, rule: VRule) -> Option<bool> {
    match rule {
        VRule::Typed => match byte {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        },
        VRule::Eip155 { chain_id } => {
            let base = eip155_v_base_byte(chain_id);
            if byte == base {
                Some(false)
            } else if byte == base.wrapping_add(1) {
                Some(true)
            } else {
                None
            }
        }
        VRule::Legacy27 => match byte {
            27 => Some(false),
            28 => Some(true),
            _ => None,
        },
    }
}

/// The full `v` of a legacy EIP-155 transaction: `35 + 2·chainId + parity` (may exceed 64 bits'
/// worth of headroom for huge chain ids, hence U256).
pub fn eip155_v(chain_id: u64, parity: bool) -> U256 {
    U256::from(chain_id) * U256::from(2) + U256::from(35 + u64::from(parity))
}

#[cfg(test)]
mod tests;
