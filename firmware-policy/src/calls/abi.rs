//! The ABI of every wrapper the decoder recurses into, and which contracts use each selector.

#![allow(missing_docs, unreachable_pub)]

use alloy_sol_types::sol;

use super::layout::Param::{self, BytesList, Word, Words};
use super::{CallNode, Ctx, Decoded};

sol! {
    // ERC-1967 / UUPS proxies, TransparentUpgradeableProxy (OZ v4), UpgradeableBeacon.
    function upgradeTo(address newImplementation);
    function upgradeToAndCall(address newImplementation, bytes data);
    function changeAdmin(address newAdmin);
    // ProxyAdmin: `upgrade` and `changeProxyAdmin` are OpenZeppelin v4; `upgradeAndCall` is in
    // v4 and v5 with the same selector.
    function upgrade(address proxy, address implementation);
    function upgradeAndCall(address proxy, address implementation, bytes data);
    function changeProxyAdmin(address proxy, address newAdmin);
    // Ownable.
    function transferOwnership(address newOwner);
    // TimelockController.
    function schedule(address target, uint256 value, bytes data, bytes32 predecessor, bytes32 salt, uint256 delay);
    function scheduleBatch(address[] targets, uint256[] values, bytes[] payloads, bytes32 predecessor, bytes32 salt, uint256 delay);
    function execute(address target, uint256 value, bytes payload, bytes32 predecessor, bytes32 salt);
    function executeBatch(address[] targets, uint256[] values, bytes[] payloads, bytes32 predecessor, bytes32 salt);
    function cancel(bytes32 id);
    // Safe.
    function execTransaction(address to, uint256 value, bytes data, uint8 operation, uint256 safeTxGas, uint256 baseGas, uint256 gasPrice, address gasToken, address refundReceiver, bytes signatures);
    function approveHash(bytes32 hashToApprove);
    // MultiSend and MultiSendCallOnly.
    function multiSend(bytes transactions);
}

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

/// The table, in one place so a reviewer can read every selector the tool recognises.
fn table() -> [([u8; 4], Known); 15] {
    use super::*;
    [
        (
            upgradeToCall::SELECTOR,
            Known {
                signature: upgradeToCall::SIGNATURE,
                known_as: &[
                    "UUPS proxy (ERC-1967)",
                    "TransparentUpgradeableProxy (OZ v4)",
                    "UpgradeableBeacon",
                ],
                params: &[Word],
                decode: upgrade_to,
            },
        ),
        (
            upgradeToAndCallCall::SELECTOR,
            Known {
                signature: upgradeToAndCallCall::SIGNATURE,
                known_as: &["UUPS proxy (ERC-1967)", "TransparentUpgradeableProxy"],
                params: &[Word, Param::Bytes],
                decode: upgrade_to_and_call,
            },
        ),
        (
            changeAdminCall::SELECTOR,
            Known {
                signature: changeAdminCall::SIGNATURE,
                known_as: &["TransparentUpgradeableProxy (OZ v4)"],
                params: &[Word],
                decode: change_admin,
            },
        ),
        (
            upgradeCall::SELECTOR,
            Known {
                signature: upgradeCall::SIGNATURE,
                known_as: &["ProxyAdmin (OZ v4)"],
                params: &[Word, Word],
                decode: proxy_admin_upgrade,
            },
        ),
        (
            upgradeAndCallCall::SELECTOR,
            Known {
                signature: upgradeAndCallCall::SIGNATURE,
                known_as: &["ProxyAdmin (OZ v4)", "ProxyAdmin (OZ v5)"],
                params: &[Word, Word, Param::Bytes],
                decode: proxy_admin_upgrade_and_call,
            },
        ),
        (
            changeProxyAdminCall::SELECTOR,
            Known {
                signature: changeProxyAdminCall::SIGNATURE,
                known_as: &["ProxyAdmin (OZ v4)"],
                params: &[Word, Word],
                decode: change_proxy_admin,
            },
        ),
        (
            transferOwnershipCall::SELECTOR,
            Known {
                signature: transferOwnershipCall::SIGNATURE,
                known_as: &["Ownable", "ProxyAdmin", "UpgradeableBeacon"],
                params: &[Word],
                decode: transfer_ownership,
            },
        ),
        (
            scheduleCall::SELECTOR,
            Known {
                signature: scheduleCall::SIGNATURE,
                known_as: TIMELOCK,
                params: &[Word, Word, Param::Bytes, Word, Word, Word],
                decode: schedule,
            },
        ),
        (
            scheduleBatchCall::SELECTOR,
            Known {
                signature: scheduleBatchCall::SIGNATURE,
                known_as: TIMELOCK,
                params: &[Words, Words, BytesList, Word, Word, Word],
                decode: schedule_batch,
            },
        ),
        (
            executeCall::SELECTOR,
            Known {
                signature: executeCall::SIGNATURE,
                known_as: TIMELOCK,
                params: &[Word, Word, Param::Bytes, Word, Word],
                decode: execute,
            },
        ),
        (
            executeBatchCall::SELECTOR,
            Known {
                signature: executeBatchCall::SIGNATURE,
                known_as: TIMELOCK,
                params: &[Words, Words, BytesList, Word, Word],
                decode: execute_batch,
            },
        ),
        (
            cancelCall::SELECTOR,
            Known { signature: cancelCall::SIGNATURE, known_as: TIMELOCK, params: &[Word], decode: cancel },
        ),
        (
            execTransactionCall::SELECTOR,
            Known {
                signature: execTransactionCall::SIGNATURE,
                known_as: SAFE,
                params: &[Word, Word, Param::Bytes, Word, Word, Word, Word, Word, Word, Param::Bytes],
                decode: exec_transaction,
            },
        ),
        (
            approveHashCall::SELECTOR,
            Known {
                signature: approveHashCall::SIGNATURE,
                known_as: SAFE,
                params: &[Word],
                decode: approve_hash,
            },
        ),
        (
            multiSendCall::SELECTOR,
            Known {
                signature: multiSendCall::SIGNATURE,
                known_as: &["MultiSend", "MultiSendCallOnly"],
                params: &[Param::Bytes],
                decode: multi_send,
            },
        ),
    ]
}

/// The decoder for `selector`, if it is one of the known wrappers.
pub(super) fn lookup(selector: [u8; 4]) -> Option<Known> {
    table().into_iter().find(|(s, _)| *s == selector).map(|(_, known)| known)
}

/// Every selector in the table (for tests that walk it).
#[cfg(test)]
pub(super) fn all_selectors() -> impl Iterator<Item = [u8; 4]> {
    table().into_iter().map(|(s, _)| s)
}
