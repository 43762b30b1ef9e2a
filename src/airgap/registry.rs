//! The BC-UR registry types ERC-4527 uses, written with `ciborium-ll` (see `docs/decisions.md`
//! for why not Keystone's `ur-registry` crate): `crypto-hdkey` (BCR-2020-007) with its
//! `crypto-keypath` (tag 304) and `crypto-coin-info` (tag 305), as Keystone devices export an
//! Ethereum account to MetaMask. Map keys ascending and every head shortest: one encoding.

use ciborium_ll::{Encoder, Header};

use super::VecSink;

/// `crypto-keypath`'s tag.
const TAG_KEYPATH: u64 = 304;
/// `crypto-coin-info`'s tag.
const TAG_COIN_INFO: u64 = 305;
/// SLIP-44's coin type of Ethereum.
const COIN_ETH: u64 = 60;
/// The wallet software that reads this, by its `note`: a standard BIP-44 account whose
/// addresses are `0/i` below the key (what MetaMask's air-gapped keyring calls
/// `account.standard`).
const NOTE_STANDARD: &str = "account.standard";

/// An account's extended public key and where it sits.
pub struct AccountKey {
    /// The compressed public key.
    pub key: [u8; 33],
    /// Its BIP-32 chain code.
    pub chain_code: [u8; 32],
    /// Its path from the master key: (index, hardened) per level.
    pub origin: Vec<(u32, bool)>,
    /// Whose key the path starts from. The Ethereum app gives no master key (it refuses paths
    /// outside 44'/60'), so this is the account key's own fingerprint (see the command).
    pub source_fingerprint: u32,
    /// The fingerprint of the key one level up.
    pub parent_fingerprint: u32,
    /// A name the wallet shows.
    pub name: String,
}

/// The `crypto-hdkey` CBOR of `account`, with children `0/*` and use-info Ethereum.
pub fn crypto_hdkey(account: &AccountKey) -> Vec<u8> {
    let mut out = Vec::with_capacity(192);
    let mut e = Encoder::from(VecSink(&mut out));
    let depth = u64::try_from(account.origin.len()).unwrap_or(u64::MAX);
    for h in [Header::Map(Some(8)), Header::Positive(3)] {
        let Ok(()) = e.push(h);
    }
    let Ok(()) = e.bytes(&account.key, None);
    let Ok(()) = e.push(Header::Positive(4));
    let Ok(()) = e.bytes(&account.chain_code, None);
    // 5: use-info, Ethereum.
    for h in [Header::Positive(5), Header::Tag(TAG_COIN_INFO), Header::Map(Some(1)), Header::Positive(1)] {
        let Ok(()) = e.push(h);
    }
    let Ok(()) = e.push(Header::Positive(COIN_ETH));
    // 6: origin, with its source fingerprint and depth.
    for h in [Header::Positive(6), Header::Tag(TAG_KEYPATH), Header::Map(Some(3)), Header::Positive(1)] {
        let Ok(()) = e.push(h);
    }
    keypath_components(&mut e, account.origin.iter().map(|&(i, h)| Some((i, h))));
    for h in [
        Header::Positive(2),
        Header::Positive(u64::from(account.source_fingerprint)),
        Header::Positive(3),
        Header::Positive(depth),
    ] {
        let Ok(()) = e.push(h);
    }
    // 7: children, 0/* (a wildcard is an empty array).
    for h in [Header::Positive(7), Header::Tag(TAG_KEYPATH), Header::Map(Some(1)), Header::Positive(1)] {
        let Ok(()) = e.push(h);
    }
    keypath_components(&mut e, [Some((0, false)), None].into_iter());
    for h in
        [Header::Positive(8), Header::Positive(u64::from(account.parent_fingerprint)), Header::Positive(9)]
    {
        let Ok(()) = e.push(h);
    }
    let Ok(()) = e.text(&account.name, None);
    let Ok(()) = e.push(Header::Positive(10));
    let Ok(()) = e.text(NOTE_STANDARD, None);
    out
}

/// `[index, hardened, …]`, a wildcard (`None`) as `[], false`.
fn keypath_components(
    e: &mut Encoder<VecSink<'_>>,
    components: impl ExactSizeIterator<Item = Option<(u32, bool)>>,
) {
    let Ok(()) = e.push(Header::Array(Some(components.len() * 2)));
    for component in components {
        let (index, hardened) = match component {
            Some((i, h)) => (Header::Positive(u64::from(i)), h),
            None => (Header::Array(Some(0)), false),
        };
        let Ok(()) = e.push(index);
        let Ok(()) = e.push(Header::Simple(if hardened {
            ciborium_ll::simple::TRUE
        } else {
            ciborium_ll::simple::FALSE
        }));
    }
}
