//! What a release must do to chain state, and who must control it: the simulation gate's
//! expectations, carried in the manifest so governance approves them with everything else.
//!
//! - An action's [`Expect`]: slot values after the action, and events that must appear, in order,
//!   among the transaction's logs.
//! - The manifest's [`ExpectedCode`]: code that becomes reachable and the hash it must have.
//! - The manifest's [`Authority`]: the chain of control (a slot value, or a view call's exact
//!   return bytes) that must hold before and after every action.
//!
//! Everything is kept as the bytes the chain holds or returns (slots and values as 32-byte words,
//! events as topics and data, view calls as calldata and return data): the policy core compares
//! bytes, and the human signatures beside them are for display, checked against those bytes by
//! the agent that reads them. A manifest that names any of these cannot be signed without a
//! witness (`witness_missing`): leaving the witness out cannot skip the gate.

use alloc::string::String;
use alloc::vec::Vec;

use alloy_primitives::{Address, B256, b256};
use zeroize::Zeroize;

/// `max_state_age` when the manifest names none (seconds).
pub const DEFAULT_MAX_STATE_AGE: u64 = 3600;
/// The largest `max_state_age` a manifest may name: a week-old state proves little about today.
pub const MAX_STATE_AGE_LIMIT: u64 = 7 * 24 * 3600;

/// The storage slots the authoring file may name, and the contracts that use them.
pub mod named_slots {
    use super::*;

    /// EIP-1967 `bytes32(uint256(keccak256("eip1967.proxy.implementation")) - 1)`.
    pub const EIP1967_IMPLEMENTATION: B256 =
        b256!("360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc");
    /// EIP-1967 `bytes32(uint256(keccak256("eip1967.proxy.admin")) - 1)`.
    pub const EIP1967_ADMIN: B256 = b256!("b53127684a568b3173ae13b9f8a6016e243e63b6e8ee1178d6a717850b5d6103");
    /// EIP-1967 `bytes32(uint256(keccak256("eip1967.proxy.beacon")) - 1)`.
    pub const EIP1967_BEACON: B256 =
        b256!("a3f0ad74e5423aebfd80d3ef4346578335a9a72aeaee59ff6cb3582b35133d50");
    /// OpenZeppelin 5 `Initializable`, ERC-7201 namespace `openzeppelin.storage.Initializable`.
    pub const OZ_INITIALIZABLE: B256 =
        b256!("f0c57e16840df040f15088dc2f81fe391c3923bec73e23a9662efc9c229c6a00");
    /// OpenZeppelin 5 `OwnableUpgradeable`, ERC-7201 namespace `openzeppelin.storage.Ownable`.
    pub const OZ_OWNABLE_UPGRADEABLE: B256 =
        b256!("9016d09d72d40fdae2fd8ceac6b6234c7706214fd39c1cd1e609a0528c199300");

    /// Every named slot, by the name the authoring file uses.
    pub const ALL: [(&str, B256); 5] = [
        ("eip1967.implementation", EIP1967_IMPLEMENTATION),
        ("eip1967.admin", EIP1967_ADMIN),
        ("eip1967.beacon", EIP1967_BEACON),
        ("oz.initializable", OZ_INITIALIZABLE),
        ("oz.ownable_upgradeable", OZ_OWNABLE_UPGRADEABLE),
    ];

    /// The slot a name stands for.
    pub fn by_name(name: &str) -> Option<B256> {
        ALL.iter().find(|(n, _)| *n == name).map(|(_, slot)| *slot)
    }

    /// The name of a slot, when it has one.
    pub fn name_of(slot: &B256) -> Option<&'static str> {
        ALL.iter().find(|(_, s)| s == slot).map(|(n, _)| *n)
    }
}

/// A storage slot and the 32-byte word it must hold.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ExpectedSlot {
    /// The account whose storage it is.
    pub address: Address,
    /// The slot.
    pub slot: B256,
    /// The word (an address is left-padded).
    pub value: B256,
}

/// A log that must appear: its emitter, topics and data exactly, with the human signature it was
/// written from (`Upgraded(address indexed implementation)`), whose event selector is topic 0.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpectedEvent {
    /// The contract that emits it.
    pub emitter: Address,
    /// The event as its author wrote it, for display (the agent checks topic 0 against it).
    pub signature: String,
    /// Topic 0 (the event selector), then the indexed arguments.
    pub topics: Vec<B256>,
    /// The ABI encoding of the arguments that are not indexed.
    pub data: Vec<u8>,
}

/// What one action must do: slot values after it, and events among its logs (an ordered
/// subsequence). Empty when the action expects nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expect {
    /// Strictly ascending by (address, slot).
    pub slots: Vec<ExpectedSlot>,
    /// In the order they must appear.
    pub events: Vec<ExpectedEvent>,
}

impl Expect {
    /// Whether the action expects nothing.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty() && self.events.is_empty()
    }
}

/// Code that becomes reachable (a new implementation) and the keccak256 of its runtime bytecode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpectedCode {
    /// The account.
    pub address: Address,
    /// keccak256 of its deployed code (immutables included: they are part of the deployed bytes).
    pub code_hash: B256,
}

/// A view call and the exact bytes it must return.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorityCall {
    /// The contract called.
    pub on: Address,
    /// The call as its author wrote it, `owner()(address)`, for display.
    pub signature: String,
    /// Selector and encoded arguments.
    pub calldata: Vec<u8>,
    /// The ABI encoding of the values it must return.
    pub returns: Vec<u8>,
}

/// One link of the chain of control, which must hold before and after every action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Authority {
    /// A slot holds a word (the proxy's EIP-1967 admin is the ProxyAdmin).
    Slot(ExpectedSlot),
    /// A view call returns exact bytes (the ProxyAdmin's `owner()` is the Timelock).
    Call(AuthorityCall),
}

impl Authority {
    /// The account the entry reads.
    pub fn account(&self) -> Address {
        match self {
            Authority::Slot(s) => s.address,
            Authority::Call(c) => c.on,
        }
    }
}

impl Zeroize for ExpectedSlot {
    fn zeroize(&mut self) {
        self.address.0.0.zeroize();
        self.slot.0.zeroize();
        self.value.0.zeroize();
    }
}

impl Zeroize for ExpectedEvent {
    fn zeroize(&mut self) {
        self.emitter.0.0.zeroize();
        self.signature.zeroize();
        for topic in &mut self.topics {
            topic.0.zeroize();
        }
        self.topics.clear();
        self.data.zeroize();
    }
}

impl Zeroize for Expect {
    fn zeroize(&mut self) {
        for slot in &mut self.slots {
            slot.zeroize();
        }
        self.slots.clear();
        for event in &mut self.events {
            event.zeroize();
        }
        self.events.clear();
    }
}

impl Zeroize for ExpectedCode {
    fn zeroize(&mut self) {
        self.address.0.0.zeroize();
        self.code_hash.0.zeroize();
    }
}

impl Zeroize for Authority {
    fn zeroize(&mut self) {
        match self {
            Authority::Slot(s) => s.zeroize(),
            Authority::Call(c) => {
                c.on.0.0.zeroize();
                c.signature.zeroize();
                c.calldata.zeroize();
                c.returns.zeroize();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{U256, keccak256};

    /// EIP-1967: keccak256(label) − 1.
    fn eip1967(label: &str) -> B256 {
        B256::from(U256::from_be_bytes(keccak256(label).0) - U256::from(1))
    }

    /// ERC-7201: keccak256(abi.encode(uint256(keccak256(id)) − 1)) & ~0xff.
    fn erc7201(id: &str) -> B256 {
        let inner = U256::from_be_bytes(keccak256(id).0) - U256::from(1);
        let mut slot = keccak256(inner.to_be_bytes::<32>()).0;
        slot[31] = 0;
        B256::from(slot)
    }

    #[test]
    fn the_named_slots_are_the_standards_formulas() {
        use named_slots::*;
        assert_eq!(EIP1967_IMPLEMENTATION, eip1967("eip1967.proxy.implementation"));
        assert_eq!(EIP1967_ADMIN, eip1967("eip1967.proxy.admin"));
        assert_eq!(EIP1967_BEACON, eip1967("eip1967.proxy.beacon"));
        assert_eq!(OZ_INITIALIZABLE, erc7201("openzeppelin.storage.Initializable"));
        assert_eq!(OZ_OWNABLE_UPGRADEABLE, erc7201("openzeppelin.storage.Ownable"));
        for (name, slot) in ALL {
            assert_eq!(by_name(name), Some(slot));
            assert_eq!(name_of(&slot), Some(name));
        }
        assert_eq!(by_name("eip1967.other"), None);
    }
}
