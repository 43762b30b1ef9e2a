//! Size and depth limits. Every reader of outside input enforces one of these before it allocates,
//! so a hostile file costs at most a bounded amount of memory and work.

/// Largest canonical manifest accepted (bytes).
pub const MAX_MANIFEST_BYTES: usize = 1 << 20;
/// Most actions one manifest may approve.
pub const MAX_ACTIONS: usize = 4096;
/// Largest decoded transaction (bytes of the signing payload or signed raw tx).
pub const MAX_TX_BYTES: usize = 1 << 20;
/// Deepest call tree accepted: the root is depth 0.
pub const MAX_CALL_DEPTH: usize = 8;
/// Longest free text fields (bytes of UTF-8): release name, labels, action names.
pub const MAX_NAME_BYTES: usize = 256;
/// Longest rollback note (bytes of UTF-8).
pub const MAX_NOTE_BYTES: usize = 4096;
/// Most labels in one manifest.
pub const MAX_LABELS: usize = 4096;
/// Most allowed targets in one manifest.
pub const MAX_TARGETS: usize = 4096;
/// Most EIP-7702 authorizations one action may name.
pub const MAX_AUTHORIZATIONS: usize = 64;
/// Most calls one call tree may hold: a bound on work and memory whatever the calldata.
pub const MAX_TREE_NODES: usize = 65_536;
/// Most calldata (bytes, summed over every call of one tree) a call tree may carry.
pub const MAX_TREE_BYTES: usize = 8 << 20;

/// Most function signatures one action's `abi` may declare.
pub const MAX_ABI_ENTRIES: usize = 64;

/// Most Safes one manifest may declare.
pub const MAX_SAFES: usize = 64;
/// Most owners one declared Safe may have.
pub const MAX_SAFE_OWNERS: usize = 64;

/// Most slots one action may expect.
pub const MAX_EXPECTED_SLOTS: usize = 256;
/// Most events one action may expect.
pub const MAX_EXPECTED_EVENTS: usize = 256;
/// Most topics a log has (the EVM's LOG4).
pub const MAX_EVENT_TOPICS: usize = 4;
/// Largest event data, view calldata or return data a manifest may name (bytes).
pub const MAX_EFFECT_BYTES: usize = 16 << 10;
/// Most `code` entries in one manifest.
pub const MAX_CODE_ENTRIES: usize = 256;
/// Most `authority` entries in one manifest.
pub const MAX_AUTHORITY_ENTRIES: usize = 256;
