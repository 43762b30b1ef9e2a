//! EIP-712 full mode on the wire (app-ethereum's EIP712 SEND STRUCT DEFINITION, 0x1A, and SEND
//! STRUCT IMPLEMENTATION, 0x1C, then SIGN_ETH_EIP_712 with P2 01): the device receives every
//! struct's definition and every field's value, hashes them itself and can show them. Pure
//! functions, checked byte for byte against the real app's recording
//! (`tests/vectors/eip712_full_release_approval.json`).
//!
//! Only flat structs of atomic types are modelled: the approval needs nothing more, and arrays
//! and nested structs would need the app's array-size command (P2 0F) and path rules.

use alloy_primitives::U256;
use zeroize::Zeroizing;

use super::apdu::{CLA_ETH, Command, MAX_DATA};

/// EIP712 SEND STRUCT DEFINITION.
pub const INS_STRUCT_DEFINITION: u8 = 0x1A;
/// EIP712 SEND STRUCT IMPLEMENTATION.
pub const INS_STRUCT_IMPLEMENTATION: u8 = 0x1C;
/// P2 of both: a struct's name (definition) or the root struct (implementation).
pub const P2_NAME: u8 = 0x00;
/// P2 of both: one field's definition or value.
pub const P2_FIELD: u8 = 0xFF;
/// P1 of a field value: the last (or only) chunk.
pub const P1_COMPLETE: u8 = 0x00;
/// P1 of a field value: more chunks follow (dynamic types only).
pub const P1_PARTIAL: u8 = 0xFF;
/// P2 of SIGN_ETH_EIP_712: full mode (the structs were sent).
pub const P2_EIP712_FULL: u8 = 0x01;

/// An atomic EIP-712 type, as the app's type descriptor encodes it (low nibble, with the size
/// byte for sized types).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldType {
    /// `intN`, with N/8 bytes.
    Int(u8),
    /// `uintN`, with N/8 bytes.
    Uint(u8),
    /// `address`.
    Address,
    /// `bool`.
    Bool,
    /// `string`.
    String,
    /// `bytesN`.
    FixedBytes(u8),
    /// `bytes`.
    Bytes,
}

const TYPESIZE_FLAG: u8 = 0x40;

impl FieldType {
    /// The type descriptor byte and the size byte, when the type has one.
    pub fn descriptor(self) -> (u8, Option<u8>) {
        match self {
            FieldType::Int(n) => (TYPESIZE_FLAG | 1, Some(n)),
            FieldType::Uint(n) => (TYPESIZE_FLAG | 2, Some(n)),
            FieldType::Address => (3, None),
            FieldType::Bool => (4, None),
            FieldType::String => (5, None),
            FieldType::FixedBytes(n) => (TYPESIZE_FLAG | 6, Some(n)),
            FieldType::Bytes => (7, None),
        }
    }

    /// The type a descriptor and size byte name (`None` for custom structs, arrays, and sizes
    /// outside 1..=32).
    pub fn from_descriptor(descriptor: u8, size: Option<u8>) -> Option<Self> {
        let sized = |n: u8| (1..=32).contains(&n).then_some(n);
        match (descriptor, size) {
            (0x41, Some(n)) => sized(n).map(FieldType::Int),
            (0x42, Some(n)) => sized(n).map(FieldType::Uint),
            (0x03, None) => Some(FieldType::Address),
            (0x04, None) => Some(FieldType::Bool),
            (0x05, None) => Some(FieldType::String),
            (0x46, Some(n)) => sized(n).map(FieldType::FixedBytes),
            (0x07, None) => Some(FieldType::Bytes),
            _ => None,
        }
    }

    /// Its Solidity name (what the type hash is computed over).
    pub fn sol_name(self) -> String {
        match self {
            FieldType::Int(n) => format!("int{}", u16::from(n) * 8),
            FieldType::Uint(n) => format!("uint{}", u16::from(n) * 8),
            FieldType::Address => "address".into(),
            FieldType::Bool => "bool".into(),
            FieldType::String => "string".into(),
            FieldType::FixedBytes(n) => format!("bytes{n}"),
            FieldType::Bytes => "bytes".into(),
        }
    }

    /// Whether its value may span several chunks.
    pub fn is_dynamic(self) -> bool {
        matches!(self, FieldType::String | FieldType::Bytes)
    }
}

/// One field of a struct, with the value the device receives for it.
pub struct TypedField {
    /// Its name.
    pub key: &'static str,
    /// Its type.
    pub ty: FieldType,
    /// Its value as the app takes it: big-endian without leading zeros for integers (one zero
    /// byte for zero), the bytes of a string or `bytes`, all N bytes of `bytesN`, 20 of an
    /// address, one of a bool.
    pub value: Zeroizing<Vec<u8>>,
}

impl TypedField {
    /// An unsigned integer field.
    pub fn uint(key: &'static str, bytes: u8, value: U256) -> Self {
        let be = value.to_be_bytes::<32>();
        let first = be.iter().position(|&b| b != 0).unwrap_or(31);
        TypedField { key, ty: FieldType::Uint(bytes), value: Zeroizing::new(be[first..].to_vec()) }
    }

    /// A string field.
    pub fn string(key: &'static str, value: &str) -> Self {
        TypedField { key, ty: FieldType::String, value: Zeroizing::new(value.as_bytes().to_vec()) }
    }

    /// A `bytes32` field.
    pub fn bytes32(key: &'static str, value: &[u8; 32]) -> Self {
        TypedField { key, ty: FieldType::FixedBytes(32), value: Zeroizing::new(value.to_vec()) }
    }
}

/// One struct: its name and fields, in declaration order.
pub struct TypedStruct {
    /// Its name.
    pub name: &'static str,
    /// Its fields.
    pub fields: Vec<TypedField>,
}

/// The domain and message of an approval of the manifest, as full mode sends them (the types
/// `firmware_policy::release_approval` documents; a test holds the two equal).
pub fn release_approval(subject: &firmware_policy::release_approval::ReleaseSubject) -> [TypedStruct; 2] {
    let chain_id = U256::from(subject.chain_id);
    let domain = TypedStruct {
        name: "EIP712Domain",
        fields: vec![
            TypedField::string("name", firmware_policy::release_approval::DOMAIN_NAME),
            TypedField::string("version", firmware_policy::release_approval::DOMAIN_VERSION),
            TypedField::uint("chainId", 32, chain_id),
        ],
    };
    let message = TypedStruct {
        name: "ReleaseApproval",
        fields: vec![
            TypedField::bytes32("manifestHash", &subject.manifest_hash.0.0),
            TypedField::string("release", &subject.release),
            TypedField::uint("chainId", 32, chain_id),
            TypedField::uint("notBefore", 8, U256::from(subject.not_before)),
            TypedField::uint("expiresAt", 8, U256::from(subject.expires_at)),
        ],
    };
    [domain, message]
}

fn command(ins: u8, p1: u8, p2: u8, data: Vec<u8>) -> Command {
    Command { cla: CLA_ETH, ins, p1, p2, data }
}

/// A name or key as the app reads one: a length byte, then the bytes (names over 255 bytes
/// cannot be sent; callers' names are short constants).
#[expect(clippy::cast_possible_truncation, reason = "callers' names are short constants")]
fn length_prefixed(out: &mut Vec<u8>, name: &str) {
    debug_assert!(name.len() <= 255);
    out.push(name.len() as u8);
    out.extend_from_slice(name.as_bytes());
}

/// The definition of `s`: its name, then one command per field.
pub fn definition(s: &TypedStruct) -> Vec<Command> {
    let mut out = vec![command(INS_STRUCT_DEFINITION, 0, P2_NAME, s.name.as_bytes().to_vec())];
    for field in &s.fields {
        let (descriptor, size) = field.ty.descriptor();
        let mut data = vec![descriptor];
        data.extend(size);
        length_prefixed(&mut data, field.key);
        out.push(command(INS_STRUCT_DEFINITION, 0, P2_FIELD, data));
    }
    out
}

/// The implementation of `s` as a root struct: its name, then each value, its first chunk led by
/// the value's 2-byte big-endian length, in chunks of at most 255 bytes.
pub fn implementation(s: &TypedStruct) -> Vec<Command> {
    let mut out = vec![command(INS_STRUCT_IMPLEMENTATION, 0, P2_NAME, s.name.as_bytes().to_vec())];
    for field in &s.fields {
        let len = u16::try_from(field.value.len()).unwrap_or(u16::MAX);
        let mut framed = Zeroizing::new(Vec::with_capacity(field.value.len() + 2));
        framed.extend_from_slice(&len.to_be_bytes());
        framed.extend_from_slice(&field.value);
        let chunks: Vec<&[u8]> = framed.chunks(MAX_DATA).collect();
        let last = chunks.len().saturating_sub(1);
        for (i, chunk) in chunks.into_iter().enumerate() {
            let p1 = if i == last { P1_COMPLETE } else { P1_PARTIAL };
            out.push(command(INS_STRUCT_IMPLEMENTATION, p1, P2_FIELD, chunk.to_vec()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptors_round_trip_and_refuse_what_is_not_modelled() {
        for ty in [
            FieldType::Int(1),
            FieldType::Uint(32),
            FieldType::Address,
            FieldType::Bool,
            FieldType::String,
            FieldType::FixedBytes(32),
            FieldType::Bytes,
        ] {
            let (d, size) = ty.descriptor();
            assert_eq!(FieldType::from_descriptor(d, size), Some(ty));
        }
        assert_eq!(FieldType::from_descriptor(0x42, Some(33)), None, "uint264 is not a type");
        assert_eq!(FieldType::from_descriptor(0x00, None), None, "a custom struct");
        assert_eq!(FieldType::from_descriptor(0x82, None), None, "an array");
        assert_eq!(FieldType::Uint(8).sol_name(), "uint64");
    }

    #[test]
    fn a_long_value_is_chunked_with_its_length_in_the_first_chunk() {
        let long = "x".repeat(300);
        let s = TypedStruct { name: "S", fields: vec![TypedField::string("s", &long)] };
        let commands = implementation(&s);
        assert_eq!(commands.len(), 3);
        assert_eq!((commands[1].p1, commands[1].data.len()), (P1_PARTIAL, 255));
        assert_eq!(&commands[1].data[..2], &300u16.to_be_bytes());
        assert_eq!((commands[2].p1, commands[2].data.len()), (P1_COMPLETE, 302 - 255));
        let zero = TypedField::uint("n", 32, U256::ZERO);
        assert_eq!(zero.value.as_slice(), &[0]);
    }
}
