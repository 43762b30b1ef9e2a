//! The journal's rules as pure functions of its records, so every signer (the CLI, the library
//! signer, later Safe co-signing and approvals) applies the same ones.

use std::fmt;

use alloy_primitives::{Address, B256};

use super::record::{Kind, Record, Signs, TxFacts};

/// What one-time use is keyed on: a signer signs one thing of one kind per (manifest, action).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UseKey {
    /// The approved manifest.
    pub manifest_hash: B256,
    /// The action index (none for an approval of the whole manifest).
    pub action: Option<usize>,
    /// The account that signs.
    pub signer: Address,
    /// What kind of thing is signed.
    pub signs: Signs,
}

impl UseKey {
    fn matches(&self, record: &Record) -> bool {
        let b = &record.body;
        b.manifest_hash == Some(self.manifest_hash)
            && b.action == self.action
            && b.signer == Some(self.signer)
            && b.signs == Some(self.signs)
    }
}

/// Where an action stands.
#[derive(Debug, PartialEq, Eq)]
pub enum Use<'a> {
    /// Never signed, and no attempt that may have produced a signature.
    Free,
    /// Signed for this very signing hash: return that signature (after verifying it).
    SignedSame(&'a Record),
    /// An attempt for this signing hash may have produced a signature: asking again is the
    /// same signature (or none), so it may go on.
    PendingSame,
    /// Signed, or possibly signed, for another signing hash: refuse (exit 5).
    Taken(&'a Record),
    /// A replacement of every earlier signature or attempt of a `replaceable` action: the same
    /// transaction paying at least 10 % more in every fee field, so at most one can execute.
    Replaces(&'a Record),
}

/// geth's replacement rule: every fee field at least 110 % of the one it replaces.
pub const PRICE_BUMP_PERCENT: u64 = 10;

/// Whether `new` may replace `old`: the same type, nonce, chain, target, value, calldata, access
/// list and authorizations, and each fee field at least [`PRICE_BUMP_PERCENT`] higher.
pub fn replaces(new: &TxFacts, old: &TxFacts) -> Result<(), String> {
    let same = new.tx_type == old.tx_type
        && new.chain_id == old.chain_id
        && new.nonce == old.nonce
        && new.to == old.to
        && new.value == old.value
        && new.calldata_keccak == old.calldata_keccak
        && new.calldata_len == old.calldata_len
        && new.lists_keccak.is_some()
        && new.lists_keccak == old.lists_keccak;
    if !same {
        return Err(
            "a replacement must be the same transaction (type, nonce, target, value, calldata, access \
                    list, authorizations) with higher fees"
                .into(),
        );
    }
    let bumped = |name: &str, new: Option<alloy_primitives::U256>, old: Option<alloy_primitives::U256>| {
        let (Some(new), Some(old)) = (new, old) else {
            return if new.is_none() && old.is_none() { Ok(()) } else { Err(format!("{name}: missing")) };
        };
        let hundred = alloy_primitives::U256::from(100u64);
        let needed = old.saturating_mul(alloy_primitives::U256::from(100 + PRICE_BUMP_PERCENT));
        if new.saturating_mul(hundred) >= needed {
            Ok(())
        } else {
            Err(format!("{name} {new} is less than 110 % of the {old} it would replace"))
        }
    };
    bumped("gasPrice", new.gas_price, old.gas_price)?;
    bumped("maxFeePerGas", new.max_fee_per_gas, old.max_fee_per_gas)?;
    bumped("maxPriorityFeePerGas", new.max_priority_fee_per_gas, old.max_priority_fee_per_gas)
}

/// [`one_time_use`], and for a `replaceable` action a transaction that replaces every earlier
/// signature and attempt that may have produced one ([`replaces`]); `Err` says why a refused
/// replacement was not one.
pub fn use_of<'a>(
    records: &'a [Record],
    key: &UseKey,
    signing_hash: B256,
    replaceable: Option<&TxFacts>,
) -> (Use<'a>, Option<String>) {
    let usage = one_time_use(records, key, signing_hash);
    let (Use::Taken(taken), Some(new)) = (&usage, replaceable) else { return (usage, None) };
    let taken = *taken;
    // Every record that signed or may have signed (an intent not released) must be replaced.
    // One of them for this very signing hash is that signature (or that attempt) again.
    let mut binding: Vec<&Record> = Vec::new();
    for record in records.iter().filter(|r| key.matches(r)) {
        match record.body.kind {
            Kind::Signed | Kind::Intent => binding.push(record),
            Kind::Failed if record.body.released == Some(true) => {
                binding.retain(|b| {
                    !(b.body.kind == Kind::Intent && b.body.signing_hash == record.body.signing_hash)
                });
            }
            _ => {}
        }
    }
    let same = |r: &&Record| r.body.signing_hash == Some(signing_hash);
    if let Some(signed) = binding.iter().find(|r| r.body.kind == Kind::Signed && same(r)) {
        return (Use::SignedSame(signed), None);
    }
    if binding.iter().any(|r| r.body.kind == Kind::Intent && same(r)) {
        return (Use::PendingSame, None);
    }
    for old in &binding {
        let Some(facts) = old.body.tx.as_ref() else {
            return (Use::Taken(taken), Some(format!("record {} holds no transaction facts", old.number())));
        };
        if let Err(why) = replaces(new, facts) {
            return (Use::Taken(old), Some(why));
        }
    }
    (Use::Replaces(taken), None)
}

/// Applies one-time use: the first signature binds the action; an intent binds it until a
/// `failed` record for it says the device is known not to have signed (`released`).
pub fn one_time_use<'a>(records: &'a [Record], key: &UseKey, signing_hash: B256) -> Use<'a> {
    let mut pending: Option<&Record> = None;
    for record in records.iter().filter(|r| key.matches(r)) {
        let same = record.body.signing_hash == Some(signing_hash);
        match record.body.kind {
            Kind::Signed => return if same { Use::SignedSame(record) } else { Use::Taken(record) },
            Kind::Intent => pending = Some(record),
            Kind::Failed => {
                let releases = record.body.released == Some(true);
                if releases && pending.is_some_and(|p| p.body.signing_hash == record.body.signing_hash) {
                    pending = None;
                }
            }
            Kind::Torn | Kind::Contained => {}
        }
    }
    match pending {
        None => Use::Free,
        Some(p) if p.body.signing_hash == Some(signing_hash) => Use::PendingSame,
        Some(p) => Use::Taken(p),
    }
}

/// How far a journal reached: its record count and the hash of its last record. Written into
/// the ceremony log, it lets anyone detect later that the journal was truncated or replaced,
/// which a hash chain alone cannot show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Head {
    /// Number of records.
    pub records: u64,
    /// Hash of record `records` (zero for an empty journal).
    pub hash: B256,
}

impl Head {
    /// The head of `records`.
    pub fn of(records: &[Record]) -> Self {
        Head { records: records.len() as u64, hash: records.last().map_or(B256::ZERO, |r| r.hash) }
    }

    /// Parses `N:0xHASH`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let (n, hash) = s.split_once(':').ok_or("expected N:HASH (the record count, a colon, its hash)")?;
        let records = n.parse::<u64>().map_err(|_| format!("{n:?} is not a record count"))?;
        let bytes = crate::values::parse_prefixed_hex(hash).map_err(|e| format!("hash: {e}"))?;
        let hash = B256::try_from(bytes.as_slice()).map_err(|_| "hash: expected 32 bytes".to_string())?;
        Ok(Head { records, hash })
    }

    /// Whether `records` still extends this head: it has at least that many records, and the
    /// one at the head is the same.
    pub fn is_extended_by(&self, records: &[Record]) -> bool {
        match usize::try_from(self.records).ok() {
            Some(0) => self.hash == B256::ZERO,
            Some(n) => records.get(n - 1).is_some_and(|r| r.hash == self.hash),
            None => false,
        }
    }
}

impl fmt::Display for Head {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{:#x}", self.records, self.hash)
    }
}

#[cfg(test)]
mod replacement_tests {
    use alloy_primitives::U256;

    use super::*;

    fn facts(max_fee: u64, priority: u64) -> TxFacts {
        TxFacts {
            tx_type: 2,
            chain_id: Some(1),
            nonce: 7,
            to: Some(Address::repeat_byte(0x3a)),
            value: U256::ZERO,
            calldata_keccak: B256::repeat_byte(0xcd),
            calldata_len: 452,
            gas_limit: 300_000,
            gas_price: None,
            max_fee_per_gas: Some(U256::from(max_fee)),
            max_priority_fee_per_gas: Some(U256::from(priority)),
            lists_keccak: Some(B256::repeat_byte(0x11)),
        }
    }

    #[test]
    fn every_fee_field_must_be_at_least_110_percent() {
        let old = facts(1000, 100);
        assert_eq!(replaces(&facts(1100, 110), &old), Ok(()), "exactly 110 %");
        assert!(replaces(&facts(1099, 110), &old).is_err());
        assert!(replaces(&facts(1100, 109), &old).is_err());
        // The gas limit may change (as in geth); nothing else may.
        let mut more_gas = facts(2000, 200);
        more_gas.gas_limit = 400_000;
        assert_eq!(replaces(&more_gas, &old), Ok(()));
        let mut other_nonce = facts(2000, 200);
        other_nonce.nonce = 8;
        assert!(replaces(&other_nonce, &old).is_err());
        let mut other_lists = facts(2000, 200);
        other_lists.lists_keccak = Some(B256::repeat_byte(0x22));
        assert!(replaces(&other_lists, &old).is_err());
        // A record from before the lists were recorded cannot be matched.
        let mut unknown = old;
        unknown.lists_keccak = None;
        assert!(replaces(&facts(2000, 200), &unknown).is_err());
    }
}
