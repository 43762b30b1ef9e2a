//! ERC-1967 proxies (UUPS, TransparentUpgradeableProxy), UpgradeableBeacon, OpenZeppelin's
//! ProxyAdmin (v4 and v5) and Ownable: the calls that install new code or hand over authority.
//! A ProxyAdmin call becomes the parent of the call it makes on the proxy, and an upgrade's
//! initializer the delegatecall child of the upgrade.

#![allow(missing_docs)]

use alloc::vec;

use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::{SolCall, sol};

use super::{
    ArgValue, CallNode, Ctx, Decoded, NEW_IMPLEMENTATION, Operation, addr, bytes, decode_known, detail,
};
use crate::tx::wipe_bytes;

sol! {
    interface Proxy {
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
    }
}

pub(super) fn upgrade_to(node: &mut CallNode, data: &[u8], _: &Ctx<'_>) -> Decoded {
    let (call, canonical) = decode_known::<Proxy::upgradeToCall>(data)?;
    node.canonical = canonical;
    node.args = vec![addr("newImplementation", call.newImplementation)];
    node.details = vec![detail(NEW_IMPLEMENTATION, ArgValue::Address(call.newImplementation))];
    Ok(())
}

pub(super) fn upgrade_to_and_call(node: &mut CallNode, data: &[u8], ctx: &Ctx<'_>) -> Decoded {
    let (mut call, canonical) = decode_known::<Proxy::upgradeToAndCallCall>(data)?;
    node.canonical = canonical;
    let filled = fill_upgrade_to_and_call(node, call.newImplementation, &call.data, ctx);
    wipe_bytes(&mut call.data);
    filled
}

/// The arguments and the initializer child of `upgradeToAndCall(implementation, data)`.
fn fill_upgrade_to_and_call(
    node: &mut CallNode,
    implementation: Address,
    data: &Bytes,
    ctx: &Ctx<'_>,
) -> Decoded {
    node.args = vec![addr("newImplementation", implementation), bytes("data", data)];
    node.details = vec![detail(NEW_IMPLEMENTATION, ArgValue::Address(implementation))];
    if !data.is_empty() {
        let init = ctx.child(Some(implementation), U256::ZERO, Operation::DelegateCall, data)?;
        node.children.push(init);
    }
    Ok(())
}

pub(super) fn proxy_admin_upgrade(node: &mut CallNode, data: &[u8], ctx: &Ctx<'_>) -> Decoded {
    let (call, canonical) = decode_known::<Proxy::upgradeCall>(data)?;
    node.canonical = canonical;
    node.args = vec![addr("proxy", call.proxy), addr("implementation", call.implementation)];
    let inner = Proxy::upgradeToCall { newImplementation: call.implementation }.abi_encode();
    node.children.push(ctx.child(Some(call.proxy), U256::ZERO, Operation::Call, &inner)?);
    Ok(())
}

pub(super) fn proxy_admin_upgrade_and_call(node: &mut CallNode, data: &[u8], ctx: &Ctx<'_>) -> Decoded {
    let (mut call, canonical) = decode_known::<Proxy::upgradeAndCallCall>(data)?;
    node.canonical = canonical;
    node.args = vec![
        addr("proxy", call.proxy),
        addr("implementation", call.implementation),
        bytes("data", &call.data),
    ];
    // Both OpenZeppelin v4 and v5 forward msg.value to the proxy. The call it makes is
    // `upgradeToAndCall(implementation, data)` on the proxy: built here from the decoded fields,
    // sharing `data`, rather than encoded and decoded again (two more copies of the payload).
    let padded = call.data.len().div_ceil(32).saturating_mul(32);
    let encoded_len = padded.saturating_add(4 + 3 * 32);
    let (implementation, payload) = (call.implementation, &call.data);
    let child = ctx.synthesized(
        Some(call.proxy),
        node.value,
        Operation::Call,
        Proxy::upgradeToAndCallCall::SELECTOR,
        encoded_len,
        |child, ctx| fill_upgrade_to_and_call(child, implementation, payload, ctx),
    );
    wipe_bytes(&mut call.data);
    node.children.push(child?);
    Ok(())
}

pub(super) fn change_proxy_admin(node: &mut CallNode, data: &[u8], ctx: &Ctx<'_>) -> Decoded {
    let (call, canonical) = decode_known::<Proxy::changeProxyAdminCall>(data)?;
    node.canonical = canonical;
    node.args = vec![addr("proxy", call.proxy), addr("newAdmin", call.newAdmin)];
    let inner = Proxy::changeAdminCall { newAdmin: call.newAdmin }.abi_encode();
    node.children.push(ctx.child(Some(call.proxy), U256::ZERO, Operation::Call, &inner)?);
    Ok(())
}

pub(super) fn change_admin(node: &mut CallNode, data: &[u8], _: &Ctx<'_>) -> Decoded {
    let (call, canonical) = decode_known::<Proxy::changeAdminCall>(data)?;
    node.canonical = canonical;
    node.args = vec![addr("newAdmin", call.newAdmin)];
    node.details = vec![detail("new_admin", ArgValue::Address(call.newAdmin))];
    Ok(())
}

pub(super) fn transfer_ownership(node: &mut CallNode, data: &[u8], _: &Ctx<'_>) -> Decoded {
    let (call, canonical) = decode_known::<Proxy::transferOwnershipCall>(data)?;
    node.canonical = canonical;
    node.args = vec![addr("newOwner", call.newOwner)];
    node.details = vec![detail("new_owner", ArgValue::Address(call.newOwner))];
    Ok(())
}
