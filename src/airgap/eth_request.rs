//! ERC-4527's `eth-sign-request` (read) and `eth-signature` (written), with `ciborium-ll` (see
//! `docs/decisions.md`). A request is read strictly: a definite map of the known keys only, each
//! once, every length within the input; an unknown key is refused rather than skipped, because a
//! field this tool cannot judge could change what the wallet means.

use ciborium_ll::{Decoder, Encoder, Header};

use super::VecSink;

/// `uuid`'s tag (RFC 4122 bytes).
const TAG_UUID: u64 = 37;
/// `crypto-keypath`'s tag.
const TAG_KEYPATH: u64 = 304;
/// The largest request read: a maximal transaction and its envelope.
pub const MAX_REQUEST_BYTES: usize = firmware_policy::limits::MAX_TX_BYTES + 4096;

/// What the request asks to sign (ERC-4527's `data-type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataType {
    /// 1: a legacy transaction, its RLP signing payload.
    LegacyTransaction,
    /// 2: EIP-712 typed data (JSON).
    TypedData,
    /// 3: a personal message.
    PersonalMessage,
    /// 4: a typed transaction (EIP-2718), its signing payload.
    TypedTransaction,
}

/// A decoded `eth-sign-request`.
#[derive(Debug)]
pub struct SignRequest {
    /// The request id, echoed in the signature.
    pub request_id: Option<[u8; 16]>,
    /// The bytes to sign (a signing payload, typed data JSON, or a message).
    pub sign_data: Vec<u8>,
    /// What they are.
    pub data_type: DataType,
    /// The chain the wallet means.
    pub chain_id: Option<u64>,
    /// The key path: (index, hardened) per level.
    pub path: Vec<(u32, bool)>,
    /// The account the wallet expects to sign.
    pub address: Option<[u8; 20]>,
    /// The wallet's name for itself.
    pub origin: Option<String>,
}

/// Reads a CBOR item header by header over a slice.
struct Reader<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn header(&mut self) -> Result<Header, String> {
        let rest = self.data.get(self.at..).unwrap_or_default();
        let mut d = Decoder::from(rest);
        let h = d.pull().map_err(|_| format!("no CBOR item at byte {}", self.at))?;
        self.at += d.offset();
        Ok(h)
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], String> {
        let end = self.at.checked_add(len).filter(|e| *e <= self.data.len());
        let bytes = end
            .and_then(|e| self.data.get(self.at..e))
            .ok_or_else(|| format!("{len} bytes run past the end at byte {}", self.at))?;
        self.at += len;
        Ok(bytes)
    }

    fn bytes(&mut self, what: &str) -> Result<&'a [u8], String> {
        match self.header()? {
            Header::Bytes(Some(len)) => self.take(len),
            _ => Err(format!("{what} is not a byte string")),
        }
    }

    fn uint(&mut self, what: &str) -> Result<u64, String> {
        match self.header()? {
            Header::Positive(n) => Ok(n),
            _ => Err(format!("{what} is not an unsigned integer")),
        }
    }

    fn keypath(&mut self) -> Result<Vec<(u32, bool)>, String> {
        if self.header()? != Header::Tag(TAG_KEYPATH) {
            return Err("derivation-path is not a crypto-keypath (tag 304)".into());
        }
        let Header::Map(Some(n)) = self.header()? else { return Err("derivation-path is not a map".into()) };
        let mut components = None;
        for _ in 0..n {
            match self.uint("a derivation-path key")? {
                1 => {
                    let Header::Array(Some(len)) = self.header()? else {
                        return Err("derivation-path components are not an array".into());
                    };
                    if len % 2 != 0 || len > 2 * crate::device::path::MAX_LEVELS {
                        return Err(format!("derivation-path has {len} component items"));
                    }
                    let mut path = Vec::with_capacity(len / 2);
                    for _ in 0..len / 2 {
                        let index = u32::try_from(self.uint("a path index")?)
                            .map_err(|_| "a path index over 2^32".to_string())?;
                        let hardened = match self.header()? {
                            Header::Simple(ciborium_ll::simple::TRUE) => true,
                            Header::Simple(ciborium_ll::simple::FALSE) => false,
                            _ => return Err("a path component's hardened flag is not a boolean".into()),
                        };
                        path.push((index, hardened));
                    }
                    components = Some(path);
                }
                // The source fingerprint and depth: the wallet's view of the key, not needed to
                // sign (the device derives the path itself).
                2 | 3 => {
                    self.uint("a derivation-path field")?;
                }
                k => return Err(format!("derivation-path has an unknown key {k}")),
            }
        }
        components.ok_or_else(|| "derivation-path has no components".into())
    }
}

/// Decodes an `eth-sign-request`'s CBOR.
pub fn decode(cbor: &[u8]) -> Result<SignRequest, String> {
    if cbor.len() > MAX_REQUEST_BYTES {
        return Err(format!("{} bytes; a request is at most {MAX_REQUEST_BYTES}", cbor.len()));
    }
    let mut r = Reader { data: cbor, at: 0 };
    let Header::Map(Some(n)) = r.header()? else { return Err("not a definite map".into()) };
    let mut seen = [false; 8];
    let (mut request_id, mut sign_data, mut data_type, mut chain_id, mut path, mut address, mut origin) =
        (None, None, None, None, None, None, None);
    for _ in 0..n {
        let key = r.uint("a key")?;
        let slot =
            usize::try_from(key).ok().filter(|k| (1..=7).contains(k)).ok_or(format!("unknown key {key}"))?;
        if std::mem::replace(&mut seen[slot], true) {
            return Err(format!("key {key} twice"));
        }
        match key {
            1 => {
                if r.header()? != Header::Tag(TAG_UUID) {
                    return Err("request-id is not a uuid (tag 37)".into());
                }
                let id: [u8; 16] = r
                    .bytes("request-id")?
                    .try_into()
                    .map_err(|_| "request-id is not 16 bytes".to_string())?;
                request_id = Some(id);
            }
            2 => sign_data = Some(r.bytes("sign-data")?.to_vec()),
            3 => {
                data_type = Some(match r.uint("data-type")? {
                    1 => DataType::LegacyTransaction,
                    2 => DataType::TypedData,
                    3 => DataType::PersonalMessage,
                    4 => DataType::TypedTransaction,
                    t => return Err(format!("data-type {t} is not one ERC-4527 defines")),
                });
            }
            4 => {
                chain_id = Some(match r.header()? {
                    Header::Positive(c) => c,
                    _ => return Err("chain-id is not an unsigned integer".into()),
                });
            }
            5 => path = Some(r.keypath()?),
            6 => {
                let a: [u8; 20] =
                    r.bytes("address")?.try_into().map_err(|_| "address is not 20 bytes".to_string())?;
                address = Some(a);
            }
            _ => {
                let Header::Text(Some(len)) = r.header()? else {
                    return Err("origin is not a text string".into());
                };
                let text =
                    std::str::from_utf8(r.take(len)?).map_err(|_| "origin is not UTF-8".to_string())?;
                origin = Some(text.to_string());
            }
        }
    }
    if r.at != cbor.len() {
        return Err(format!("{} bytes follow the request", cbor.len() - r.at));
    }
    Ok(SignRequest {
        request_id,
        sign_data: sign_data.ok_or("no sign-data (key 2)")?,
        data_type: data_type.ok_or("no data-type (key 3)")?,
        chain_id,
        path: path.ok_or("no derivation-path (key 5)")?,
        address,
        origin,
    })
}

/// The `eth-signature` answering `request_id`: `signature` is r ‖ s ‖ v, v as the data type
/// wants it (see the command).
pub fn signature_cbor(request_id: Option<[u8; 16]>, signature: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(signature.len() + 32);
    let mut e = Encoder::from(VecSink(&mut out));
    let Ok(()) = e.push(Header::Map(Some(if request_id.is_some() { 2 } else { 1 })));
    if let Some(id) = request_id {
        for h in [Header::Positive(1), Header::Tag(TAG_UUID)] {
            let Ok(()) = e.push(h);
        }
        let Ok(()) = e.bytes(&id, None);
    }
    let Ok(()) = e.push(Header::Positive(2));
    let Ok(()) = e.bytes(signature, None);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::hex;

    /// Built by Keystone's `@keystonehq/bc-ur-registry-eth` 0.22 (`constructETHRequest` of sign
    /// data `02e4`, typed transaction, m/44'/60'/0'/0/1, fingerprint d366769c, a fixed uuid,
    /// chain 11155111, the executor, origin "metamask"), and its `ETHSignature` of 64 × 0x11 ‖ 01
    /// for that uuid.
    const KEYSTONE_REQUEST: &str = "a701d825509b1deb4d3b7d4bad9bdd2b0d7b3dcb6d024202e40304041a00aa36a705d90130a2018a182cf5183cf500f500f401f4021ad366769c0654dad77910dbdfde764fc21fcd4e74d71bbaca6d8d07686d6574616d61736b";
    const KEYSTONE_SIGNATURE: &str = "a201d825509b1deb4d3b7d4bad9bdd2b0d7b3dcb6d0258411111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111101";
    const UUID: [u8; 16] = hex!("9b1deb4d3b7d4bad9bdd2b0d7b3dcb6d");

    #[test]
    fn reads_keystones_request_and_writes_its_signature_byte_for_byte() {
        let r = decode(&hex::decode(KEYSTONE_REQUEST).unwrap()).unwrap();
        assert_eq!(r.request_id, Some(UUID));
        assert_eq!(r.sign_data, hex!("02e4"));
        assert_eq!(r.data_type, DataType::TypedTransaction);
        assert_eq!(r.chain_id, Some(11_155_111));
        assert_eq!(r.path, vec![(44, true), (60, true), (0, true), (0, false), (1, false)]);
        assert_eq!(r.address, Some(hex!("dad77910dbdfde764fc21fcd4e74d71bbaca6d8d")));
        assert_eq!(r.origin.as_deref(), Some("metamask"));
        let mut rsv = vec![0x11; 64];
        rsv.push(1);
        assert_eq!(hex::encode(signature_cbor(Some(UUID), &rsv)), KEYSTONE_SIGNATURE);
    }

    #[test]
    fn unknown_repeated_and_trailing_fields_are_refused() {
        let good = hex::decode(KEYSTONE_REQUEST).unwrap();
        // Key 7 (origin) renumbered 8: unknown.
        let mut unknown = good.clone();
        let at = unknown.len() - 10;
        assert_eq!(unknown[at], 0x07);
        unknown[at] = 0x08;
        assert!(decode(&unknown).unwrap_err().contains("unknown key 8"));
        // Key 7 renumbered 6: twice.
        let mut twice = good.clone();
        twice[at] = 0x06;
        assert!(decode(&twice).unwrap_err().contains("twice"));
        let mut trailing = good.clone();
        trailing.push(0);
        assert!(decode(&trailing).unwrap_err().contains("follow"));
        assert!(decode(&good[..good.len() - 3]).is_err(), "cut short");
        assert!(decode(&[0xa0]).unwrap_err().contains("sign-data"), "an empty map");
    }
}
