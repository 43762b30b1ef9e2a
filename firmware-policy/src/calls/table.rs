//! Every selector the decoder recurses into, in one table so a reviewer can read them all: which
//! contracts use it, the head/tail shape of its arguments, and the family decoder it goes to.

use super::layout::Param::{self, BytesList, Word, Words};
use super::multisend::{self, MultiSend};
use super::proxy::{self, Proxy};
use super::safe::{self, Safe};
use super::timelock::{self, TimelockController};
use super::{CallNode, Ctx, Decoded};
use alloy_sol_types::SolCall;

/// A selector the decoder knows.
pub(super) struct Known {
    pub(super) signature: &'static str,
    pub(super) known_as: &'static [&'static str],
    /// The head/tail shape of the arguments, checked before alloy decodes anything.
    pub(super) params: &'static [Param],
    pub(super) decode: fn(&mut CallNode, &[u8], &Ctx<'_>) -> Decoded,
}

const TIMELOCK: &[&str] = &["TimelockController"];
const SAFE: &[&str] = &["Safe"];

/// The table, in one place so a reviewer can read every selector the tool recognises. A
/// static: every node of every tree looks its selector up here.
static TABLE: [([u8; 4], Known); 15] = [
    (
        Proxy::upgradeToCall::SELECTOR,
        Known {
            signature: Proxy::upgradeToCall::SIGNATURE,
            known_as: &["UUPS proxy (ERC-1967)", "TransparentUpgradeableProxy (OZ v4)", "UpgradeableBeacon"],
            params: &[Word],
            decode: proxy::upgrade_to,
        },
    ),
    (
        Proxy::upgradeToAndCallCall::SELECTOR,
        Known {
            signature: Proxy::upgradeToAndCallCall::SIGNATURE,
            known_as: &["UUPS proxy (ERC-1967)", "TransparentUpgradeableProxy"],
            params: &[Word, Param::Bytes],
            decode: proxy::upgrade_to_and_call,
        },
    ),
    (
        Proxy::changeAdminCall::SELECTOR,
        Known {
            signature: Proxy::changeAdminCall::SIGNATURE,
            known_as: &["TransparentUpgradeableProxy (OZ v4)"],
            params: &[Word],
            decode: proxy::change_admin,
        },
    ),
    (
        Proxy::upgradeCall::SELECTOR,
        Known {
            signature: Proxy::upgradeCall::SIGNATURE,
            known_as: &["ProxyAdmin (OZ v4)"],
            params: &[Word, Word],
            decode: proxy::proxy_admin_upgrade,
        },
    ),
    (
        Proxy::upgradeAndCallCall::SELECTOR,
        Known {
            signature: Proxy::upgradeAndCallCall::SIGNATURE,
            known_as: &["ProxyAdmin (OZ v4)", "ProxyAdmin (OZ v5)"],
            params: &[Word, Word, Param::Bytes],
            decode: proxy::proxy_admin_upgrade_and_call,
        },
    ),
    (
        Proxy::changeProxyAdminCall::SELECTOR,
        Known {
            signature: Proxy::changeProxyAdminCall::SIGNATURE,
            known_as: &["ProxyAdmin (OZ v4)"],
            params: &[Word, Word],
            decode: proxy::change_proxy_admin,
        },
    ),
    (
        Proxy::transferOwnershipCall::SELECTOR,
        Known {
            signature: Proxy::transferOwnershipCall::SIGNATURE,
            known_as: &["Ownable", "ProxyAdmin", "UpgradeableBeacon"],
            params: &[Word],
            decode: proxy::transfer_ownership,
        },
    ),
    (
        TimelockController::scheduleCall::SELECTOR,
        Known {
            signature: TimelockController::scheduleCall::SIGNATURE,
            known_as: TIMELOCK,
            params: &[Word, Word, Param::Bytes, Word, Word, Word],
            decode: timelock::schedule,
        },
    ),
    (
        TimelockController::scheduleBatchCall::SELECTOR,
        Known {
            signature: TimelockController::scheduleBatchCall::SIGNATURE,
            known_as: TIMELOCK,
            params: &[Words, Words, BytesList, Word, Word, Word],
            decode: timelock::schedule_batch,
        },
    ),
    (
        TimelockController::executeCall::SELECTOR,
        Known {
            signature: TimelockController::executeCall::SIGNATURE,
            known_as: TIMELOCK,
            params: &[Word, Word, Param::Bytes, Word, Word],
            decode: timelock::execute,
        },
    ),
    (
        TimelockController::executeBatchCall::SELECTOR,
        Known {
            signature: TimelockController::executeBatchCall::SIGNATURE,
            known_as: TIMELOCK,
            params: &[Words, Words, BytesList, Word, Word],
            decode: timelock::execute_batch,
        },
    ),
    (
        TimelockController::cancelCall::SELECTOR,
        Known {
            signature: TimelockController::cancelCall::SIGNATURE,
            known_as: TIMELOCK,
            params: &[Word],
            decode: timelock::cancel,
        },
    ),
    (
        Safe::execTransactionCall::SELECTOR,
        Known {
            signature: Safe::execTransactionCall::SIGNATURE,
            known_as: SAFE,
            params: &[Word, Word, Param::Bytes, Word, Word, Word, Word, Word, Word, Param::Bytes],
            decode: safe::exec_transaction,
        },
    ),
    (
        Safe::approveHashCall::SELECTOR,
        Known {
            signature: Safe::approveHashCall::SIGNATURE,
            known_as: SAFE,
            params: &[Word],
            decode: safe::approve_hash,
        },
    ),
    (
        MultiSend::multiSendCall::SELECTOR,
        Known {
            signature: MultiSend::multiSendCall::SIGNATURE,
            known_as: &["MultiSend", "MultiSendCallOnly"],
            params: &[Param::Bytes],
            decode: multisend::multi_send,
        },
    ),
];

/// The decoder for `selector`, if it is one of the known wrappers.
pub(super) fn lookup(selector: [u8; 4]) -> Option<&'static Known> {
    TABLE.iter().find(|(s, _)| *s == selector).map(|(_, known)| known)
}

/// Every selector in the table (for tests that walk it).
#[cfg(test)]
pub(super) fn all_selectors() -> impl Iterator<Item = [u8; 4]> {
    TABLE.iter().map(|(s, _)| *s)
}
