//! Keys as the device derives them: BIP-39 seed (empty passphrase), BIP-32 paths, secp256k1.

use bip32::{Language, Mnemonic, XPrv};
use k256::ecdsa::SigningKey;
use zeroize::Zeroizing;

use crate::device::DerivationPath;

/// The seed of one mnemonic, wiped on drop.
pub struct Keys {
    seed: Zeroizing<[u8; 64]>,
}

impl Keys {
    /// From BIP-39 English words (one line; surrounding whitespace ignored).
    pub fn from_mnemonic(phrase: &str) -> Result<Self, String> {
        let words = Zeroizing::new(phrase.split_whitespace().collect::<Vec<_>>().join(" "));
        let mnemonic =
            Mnemonic::new(words.as_str(), Language::English).map_err(|e| format!("invalid mnemonic: {e}"))?;
        let seed = mnemonic.to_seed("");
        Ok(Keys { seed: Zeroizing::new(*seed.as_bytes()) })
    }

    /// From a BIP-39 seed already derived (the fuzz target, which cannot pay PBKDF2's 2,048
    /// rounds an input).
    pub fn from_seed(seed: Zeroizing<[u8; 64]>) -> Self {
        Keys { seed }
    }

    /// The private key and chain code at `path`.
    pub fn derive(&self, path: &DerivationPath) -> Result<(SigningKey, [u8; 32]), String> {
        let bip_path: bip32::DerivationPath = path.to_string().parse().map_err(|e| format!("path: {e}"))?;
        let xprv = XPrv::derive_from_path(*self.seed, &bip_path).map_err(|e| format!("derivation: {e}"))?;
        Ok((xprv.private_key().clone(), xprv.attrs().chain_code))
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::Address;

    use super::*;
    use crate::emulator::SPECULOS_MNEMONIC;

    fn address(keys: &Keys, path: &str) -> Address {
        let (key, _) = keys.derive(&DerivationPath::parse(path).unwrap()).unwrap();
        Address::from_public_key(key.verifying_key())
    }

    #[test]
    fn speculos_seed_gives_the_published_addresses() {
        let keys = Keys::from_mnemonic(SPECULOS_MNEMONIC).unwrap();
        let want = [
            ("m/44'/60'/0'/0/0", "0xDad77910DbDFdE764fC21FCD4E74D71bBACA6D8D"),
            ("m/44'/60'/0'/0/1", "0xd692Cb1346262F584D17B4B470954501f6715a82"),
            ("m/44'/60'/1'/0/0", "0x463e4e114AA57F54f2Fd2C3ec03572C6f75d84C2"),
            ("m/44'/60'/0'/0", "0xfe984369CE3919aA7Bb4f431082D027b4f8ed70c"),
        ];
        for (path, addr) in want {
            assert_eq!(address(&keys, path).to_checksum(None), addr, "{path}");
        }
    }

    #[test]
    fn bad_mnemonics_are_refused() {
        assert!(Keys::from_mnemonic("glory promote mansion").is_err());
        assert!(Keys::from_mnemonic(&SPECULOS_MNEMONIC.replace("skin", "skip")).is_err());
    }
}
