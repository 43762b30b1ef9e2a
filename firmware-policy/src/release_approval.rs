//! Approvals of a release manifest: what an approver signs, and the file that carries the
//! signature to the ceremony laptop.
//!
//! An approver signs EIP-712 typed data that names the manifest by its hash and repeats the
//! facts a person can compare on a device screen (release name, chain, window):
//!
//! ```text
//! EIP712Domain(string name,string version,uint256 chainId)     name "bounded-signer", version "1"
//! ReleaseApproval(bytes32 manifestHash,string release,uint256 chainId,uint64 notBefore,uint64 expiresAt)
//! ```
//!
//! The domain's chain id is the manifest's, so an approval is bound to one chain twice over (the
//! hash covers the manifest's chain id too). The hashes are alloy's (`sol!` and `Eip712Domain`).
//!
//! The approval file is canonical CBOR, `{0: "bounded-signer/approval/v1", 1: manifest hash
//! bytes(32), 2: approver bytes(20), 3: r ‖ s ‖ v bytes(65), 4: "full" | "hashed"}`, decoded
//! strictly and re-encoded to compare (one encoding per content). It proves nothing by itself:
//! whoever reads one recovers the signer from the signature and the manifest's facts.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use alloy_primitives::{Address, B256, Signature, U256};
use alloy_sol_types::{Eip712Domain, SolStruct, sol};
use ciborium_ll::{Decoder, Encoder, Header};

use crate::cbor_io::{Slice, VecSink};
use crate::manifest::{Manifest, ManifestHash};

sol! {
    /// What an approver signs.
    #[allow(missing_docs)]
    struct ReleaseApproval {
        bytes32 manifestHash;
        string release;
        uint256 chainId;
        uint64 notBefore;
        uint64 expiresAt;
    }
}

/// The EIP-712 domain name of every approval.
pub const DOMAIN_NAME: &str = "bounded-signer";
/// The EIP-712 domain version of every approval.
pub const DOMAIN_VERSION: &str = "1";
/// The approval file's format text.
pub const FORMAT_V1: &str = "bounded-signer/approval/v1";
/// Largest approval file accepted (a valid one is under 160 bytes).
pub const MAX_APPROVAL_FILE_BYTES: usize = 1024;

/// The manifest facts an approval signs: its hash and what the approver reads on the device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReleaseSubject {
    /// keccak256 of the manifest's canonical bytes.
    pub manifest_hash: ManifestHash,
    /// The release name.
    pub release: String,
    /// The manifest's chain.
    pub chain_id: u64,
    /// The window's opening (Unix seconds).
    pub not_before: u64,
    /// The window's end (Unix seconds).
    pub expires_at: u64,
}

/// The three hashes of an approval: what the device shows in hashed mode and what it signs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ApprovalHashes {
    /// `hashStruct(EIP712Domain)`.
    pub domain_separator: B256,
    /// `hashStruct(ReleaseApproval)`.
    pub message_hash: B256,
    /// `keccak256(0x19 ‖ 0x01 ‖ domain ‖ message)`: the digest the signature is over.
    pub signing_hash: B256,
}

impl ReleaseSubject {
    /// The facts of a manifest whose hash is `manifest_hash`.
    pub fn of(manifest: &Manifest, manifest_hash: ManifestHash) -> Self {
        ReleaseSubject {
            manifest_hash,
            release: manifest.release.clone(),
            chain_id: manifest.chain_id,
            not_before: manifest.not_before,
            expires_at: manifest.expires_at,
        }
    }

    /// The typed message.
    pub fn message(&self) -> ReleaseApproval {
        ReleaseApproval {
            manifestHash: self.manifest_hash.0,
            release: self.release.clone(),
            chainId: U256::from(self.chain_id),
            notBefore: self.not_before,
            expiresAt: self.expires_at,
        }
    }

    /// The domain: this chain's.
    pub fn domain(&self) -> Eip712Domain {
        Eip712Domain::new(
            Some(DOMAIN_NAME.into()),
            Some(DOMAIN_VERSION.into()),
            Some(U256::from(self.chain_id)),
            None,
            None,
        )
    }

    /// Its hashes.
    pub fn hashes(&self) -> ApprovalHashes {
        let domain = self.domain();
        let message = self.message();
        ApprovalHashes {
            domain_separator: domain.separator(),
            message_hash: message.eip712_hash_struct(),
            signing_hash: message.eip712_signing_hash(&domain),
        }
    }
}

/// How the approver's device signed: with the typed data's fields (full mode) or its two hashes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignedAs {
    /// EIP-712 full mode: the device received every field.
    Full,
    /// EIP-712 hashed mode: the device received the domain and message hashes.
    Hashed,
}

impl SignedAs {
    /// The file's text for it.
    pub fn as_str(self) -> &'static str {
        match self {
            SignedAs::Full => "full",
            SignedAs::Hashed => "hashed",
        }
    }
}

/// One approval, as its file carries it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApprovalFile {
    /// The manifest it approves.
    pub manifest_hash: ManifestHash,
    /// Who says they signed it (the signature must recover to them).
    pub approver: Address,
    /// `r ‖ s ‖ v`, v 27 or 28.
    pub signature: [u8; 65],
    /// How it was signed (for the record; both modes sign the same digest).
    pub signed_as: SignedAs,
}

/// Why bytes are not an approval file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApprovalFileError {
    /// What is wrong.
    pub problem: &'static str,
    /// The byte offset it was found at.
    pub offset: usize,
}

impl fmt::Display for ApprovalFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at byte {})", self.problem, self.offset)
    }
}

/// One value of the file's map: every value is a definite text or byte string.
struct Value {
    bytes: Vec<u8>,
    text: bool,
    offset: usize,
}

fn put(enc: &mut Encoder<VecSink<'_>>, key: u64, header: Header, data: &[u8]) {
    let Ok(()) = enc.push(Header::Positive(key));
    let Ok(()) = enc.push(header);
    let Ok(()) = ciborium_io::Write::write_all(enc, data);
}

impl ApprovalFile {
    /// The signature as alloy reads it (`None` when v is not 27 or 28).
    pub fn parsed_signature(&self) -> Option<Signature> {
        let parity = match self.signature[64] {
            27 => false,
            28 => true,
            _ => return None,
        };
        let r = U256::from_be_slice(&self.signature[..32]);
        let s = U256::from_be_slice(&self.signature[32..64]);
        Some(Signature::new(r, s, parity))
    }

    /// Who signed it, for `subject`: the recovered address, or why there is none. A high-s
    /// signature is refused, as OpenZeppelin's `ECDSA.recover` refuses it.
    pub fn recover(&self, subject: &ReleaseSubject) -> Result<Address, &'static str> {
        let signature = self.parsed_signature().ok_or("its v is neither 27 nor 28")?;
        if signature.normalize_s().is_some() {
            return Err("its s is in the upper half of the curve order (a malleated signature)");
        }
        signature
            .recover_address_from_prehash(&subject.hashes().signing_hash)
            .map_err(|_| "it recovers no key")
    }

    /// The one canonical encoding.
    pub fn to_canonical_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(160);
        self.write(&mut Encoder::from(VecSink(&mut out)));
        out
    }

    fn write(&self, enc: &mut Encoder<VecSink<'_>>) {
        let Ok(()) = enc.push(Header::Map(Some(5)));
        let text = |s: &str| Header::Text(Some(s.len()));
        let bytes = |b: &[u8]| Header::Bytes(Some(b.len()));
        put(enc, 0, text(FORMAT_V1), FORMAT_V1.as_bytes());
        put(enc, 1, bytes(self.manifest_hash.0.as_slice()), self.manifest_hash.0.as_slice());
        put(enc, 2, bytes(self.approver.as_slice()), self.approver.as_slice());
        put(enc, 3, bytes(&self.signature), &self.signature);
        let mode = self.signed_as.as_str();
        put(enc, 4, text(mode), mode.as_bytes());
    }

    /// Decodes `bytes`, which must be the canonical encoding of an approval file.
    pub fn from_canonical_bytes(bytes: &[u8]) -> Result<Self, ApprovalFileError> {
        let err = |problem, offset| ApprovalFileError { problem, offset };
        if bytes.len() > MAX_APPROVAL_FILE_BYTES {
            return Err(err("larger than an approval file can be (1024 bytes)", 0));
        }
        let mut dec = Decoder::from(Slice(bytes));
        let head = |dec: &mut Decoder<Slice<'_>>| {
            let at = dec.offset();
            dec.pull().map(|h| (h, at)).map_err(|_| err("not well-formed CBOR", at))
        };
        match head(&mut dec)? {
            (Header::Map(Some(5)), _) => {}
            (_, at) => return Err(err("not a map of the five approval keys", at)),
        }
        let mut values: Vec<Value> = Vec::with_capacity(5);
        for expected in 0u64..5 {
            match head(&mut dec)? {
                (Header::Positive(k), _) if k == expected => {}
                (_, at) => return Err(err("the keys must be 0, 1, 2, 3 and 4, in that order", at)),
            }
            let (h, at) = head(&mut dec)?;
            let (len, text) = match h {
                Header::Text(Some(len)) => (len, true),
                Header::Bytes(Some(len)) => (len, false),
                _ => return Err(err("a value must be a definite text or byte string", at)),
            };
            if len > bytes.len().saturating_sub(dec.offset()) {
                return Err(err("the file ends inside a value", at));
            }
            let mut value = alloc::vec![0u8; len];
            if ciborium_io::Read::read_exact(&mut dec, &mut value).is_err() {
                return Err(err("the file ends inside a value", at));
            }
            values.push(Value { bytes: value, text, offset: at });
        }
        if dec.offset() != bytes.len() {
            return Err(err("bytes after the approval", dec.offset()));
        }
        let [format, hash, approver, signature, mode] =
            <[Value; 5]>::try_from(values).map_err(|_| err("a key is missing", 0))?;
        if !format.text || format.bytes != FORMAT_V1.as_bytes() {
            return Err(err("key 0 is not \"bounded-signer/approval/v1\"", format.offset));
        }
        let fixed = |v: &Value, len: usize, problem| {
            if v.text || v.bytes.len() != len { Err(err(problem, v.offset)) } else { Ok(()) }
        };
        fixed(&hash, 32, "key 1 is not the manifest hash (32 bytes)")?;
        fixed(&approver, 20, "key 2 is not the approver's address (20 bytes)")?;
        fixed(&signature, 65, "key 3 is not a signature r ‖ s ‖ v (65 bytes)")?;
        let signed_as = match (mode.bytes.as_slice(), mode.text) {
            (b"full", true) => SignedAs::Full,
            (b"hashed", true) => SignedAs::Hashed,
            _ => return Err(err("key 4 is neither \"full\" nor \"hashed\"", mode.offset)),
        };
        let mut sig = [0u8; 65];
        sig.copy_from_slice(&signature.bytes);
        let file = ApprovalFile {
            manifest_hash: ManifestHash(B256::from_slice(&hash.bytes)),
            approver: Address::from_slice(&approver.bytes),
            signature: sig,
            signed_as,
        };
        // Shortest heads are the one thing the reads above accept in more than one form.
        let canonical = file.to_canonical_bytes();
        if canonical != bytes {
            let at = canonical.iter().zip(bytes).position(|(a, b)| a != b).unwrap_or(0);
            return Err(err("not the canonical encoding (a head is longer than it needs to be)", at));
        }
        Ok(file)
    }
}

#[cfg(test)]
mod tests;
