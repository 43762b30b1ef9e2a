//! What a signer reads. Nothing is truncated: addresses and hashes are printed whole, long byte
//! strings are summarized with their length and keccak256 (so two screens can be compared), and
//! text from input is escaped.

use std::fmt::Write as _;

use alloy_primitives::{Address, U256, hex, keccak256};
use firmware_policy::diff::{ARROW, TreeDiff};
use firmware_policy::{ArgValue, CallNode, DecodedTx, LoadedManifest, TxForm, Verdict};

use crate::text::escape;
use crate::timefmt::format_instant;

/// Looks up the manifest label of an address.
pub type Labels<'a> = &'a dyn Fn(&Address) -> Option<String>;

/// No labels.
pub fn no_labels(_: &Address) -> Option<String> {
    None
}

/// An address with its manifest label, when it has one.
pub(crate) fn addr(a: &Address, labels: Labels<'_>) -> String {
    match labels(a) {
        Some(l) => format!("{} ({})", a.to_checksum(None), escape(&l)),
        None => a.to_checksum(None),
    }
}

fn bytes_text(b: &[u8]) -> String {
    if b.len() <= 64 {
        if b.is_empty() { "0x (empty)".into() } else { hex::encode_prefixed(b) }
    } else {
        format!("{} bytes, keccak256 {}", b.len(), keccak256(b))
    }
}

/// An argument or detail value as the signer reads it, written straight into the output: a
/// value can be policy data (a salt, an initializer's bytes), and a temporary string of it would
/// be freed unwiped.
struct Value<'a>(&'a ArgValue, Labels<'a>);

impl std::fmt::Display for Value<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let labels = self.1;
        match self.0 {
            ArgValue::Address(a) => f.write_str(&addr(a, labels)),
            ArgValue::Uint(u) => write!(f, "{u}"),
            ArgValue::Word(w) => write!(f, "{w}"),
            ArgValue::Bytes(b) if b.is_empty() => f.write_str("0x (empty)"),
            ArgValue::Bytes(b) if b.len() <= 64 => {
                f.write_str("0x")?;
                b.iter().try_for_each(|byte| write!(f, "{byte:02x}"))
            }
            ArgValue::Bytes(b) => write!(f, "{} bytes, keccak256 {}", b.len(), keccak256(b)),
            ArgValue::Bool(b) => write!(f, "{b}"),
            ArgValue::Text(t) => f.write_str(t),
            ArgValue::String(s) => f.write_str(&escape(s)),
            ArgValue::List(l) => {
                f.write_str("[")?;
                for (i, item) in l.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{}", Value(item, labels))?;
                }
                f.write_str("]")
            }
        }
    }
}

fn wei(v: U256) -> String {
    format!("{v} wei")
}

/// The transaction block.
pub fn tx(
    t: &DecodedTx,
    sender: Option<Address>,
    claimed_from: Option<Address>,
    labels: Labels<'_>,
) -> String {
    let mut s = String::new();
    let form = match t.form() {
        TxForm::Unsigned => "unsigned signing payload",
        TxForm::Signed => "signed raw transaction (its unsigned part is evaluated)",
    };
    let _ = writeln!(s, "Transaction");
    let _ = writeln!(s, "  type          {} (0x{:02x}), {form}", t.tx_type().name(), t.tx_type().byte());
    let chain = t.chain_id().map_or("none (pre-EIP-155: no replay protection)".into(), |c| c.to_string());
    let _ = writeln!(s, "  chain id      {chain}");
    let _ = writeln!(s, "  nonce         {}", t.nonce());
    let _ = writeln!(s, "  gas limit     {}", t.gas_limit());
    if let Some(p) = t.gas_price() {
        let _ = writeln!(s, "  gas price     {p} wei/gas");
    }
    if let Some(p) = t.max_fee_per_gas() {
        let _ = writeln!(s, "  max fee       {p} wei/gas");
    }
    if let Some(p) = t.max_priority_fee_per_gas() {
        let _ = writeln!(s, "  priority fee  {p} wei/gas");
    }
    let to = t.to().map_or("none (contract creation)".into(), |a| addr(&a, labels));
    let _ = writeln!(s, "  to            {to}");
    let _ = writeln!(s, "  value         {}", wei(t.value()));
    let calldata = match t.input() {
        b if b.len() <= 64 => bytes_text(b),
        b => format!("{} bytes, keccak256 {}", b.len(), t.input_keccak()),
    };
    let _ = writeln!(s, "  calldata      {calldata}");
    if t.access_list_len() > 0 {
        let _ = writeln!(s, "  access list   {} entries", t.access_list_len());
    }
    for (i, a) in t.authorizations().iter().enumerate() {
        let _ = writeln!(
            s,
            "  authorization [{i}] chain {} delegate {} nonce {}",
            a.chain_id,
            addr(&a.address, labels),
            a.nonce
        );
    }
    if !t.blob_hashes().is_empty() {
        let _ = writeln!(s, "  blobs         {}", t.blob_hashes().len());
    }
    if let Some(sender) = sender {
        let _ = writeln!(s, "  sender        {} (recovered from the signature)", sender.to_checksum(None));
    }
    if let Some(f) = claimed_from {
        let _ = writeln!(s, "  from          {} (claimed by the request; not trusted)", f.to_checksum(None));
    }
    let _ = writeln!(s, "  signing hash  {}  (the \"Tx hash\" a Ledger shows)", t.signing_hash());
    s
}

/// The call tree, one node per block, indented by depth.
pub fn calls(root: &CallNode, labels: Labels<'_>) -> String {
    let mut s = String::new();
    write_calls(&mut s, root, labels);
    s
}

/// Writes the call tree into `out` as it walks it, so a tree of thousands of calls is never held
/// as one string.
pub fn write_calls(out: &mut (impl std::fmt::Write + ?Sized), root: &CallNode, labels: Labels<'_>) {
    write_calls_marked(out, root, labels, None);
}

/// [`write_calls`] with every node that differs from the closest approved action marked.
pub fn write_calls_marked(
    out: &mut (impl std::fmt::Write + ?Sized),
    root: &CallNode,
    labels: Labels<'_>,
    diff: Option<&TreeDiff>,
) {
    let _ = out.write_str("Calls\n");
    node(out, root, 0, labels, &mut Vec::new(), diff);
}

fn node(
    s: &mut (impl std::fmt::Write + ?Sized),
    n: &CallNode,
    depth: usize,
    labels: Labels<'_>,
    at: &mut Vec<usize>,
    diff: Option<&TreeDiff>,
) {
    let pad = "  ".repeat(depth + 1);
    let to = match (n.to, n.operation) {
        (Some(a), _) => addr(&a, labels),
        (None, firmware_policy::Operation::Create) => "(new contract)".into(),
        // Only `decode --calldata` without `--to` makes a call without a target.
        (None, _) => "(to: not given)".into(),
    };
    let function = match (n.function, n.selector) {
        (Some(f), _) => f.to_string(),
        (None, Some(sel)) if n.named.is_some() => format!(
            "{}  (named by the manifest; selector {})",
            n.named.as_ref().map(|x| escape(&x.signature)).unwrap_or_default(),
            hex::encode_prefixed(sel)
        ),
        (None, Some(sel)) => format!("unknown function, selector {}", hex::encode_prefixed(sel)),
        (None, None) if n.calldata_len == 0 => "no calldata".into(),
        (None, None) => format!("{} bytes of calldata that are not an ABI call", n.calldata_len),
    };
    let _ = writeln!(s, "{pad}- {} {to}", n.operation.as_str());
    let _ = writeln!(s, "{pad}  function  {function}");
    if !n.known_as.is_empty() {
        let _ = writeln!(s, "{pad}  known as  {}", n.known_as.join(", "));
    }
    if n.value != U256::ZERO {
        let _ = writeln!(s, "{pad}  value     {}", wei(n.value));
    }
    for a in &n.args {
        let _ = writeln!(s, "{pad}  arg {} ({}) = {}", a.name, a.ty, Value(&a.value, labels));
    }
    if let Some(named) = &n.named {
        for a in &named.args {
            let _ = writeln!(
                s,
                "{pad}  arg {} ({}) = {}",
                escape(&a.name),
                escape(&a.ty),
                Value(&a.value, labels)
            );
        }
        if let Some(why) = &named.not_decoded {
            let _ = writeln!(s, "{pad}  {}", escape(why));
        }
    }
    for d in &n.details {
        let _ = writeln!(s, "{pad}  {} = {}", d.key, Value(&d.value, labels));
    }
    if !n.canonical {
        let _ = writeln!(
            s,
            "{pad}  NOT CANONICAL: the calldata is not the exact ABI encoding of these arguments"
        );
    }
    for e in diff.iter().flat_map(|d| &d.entries).filter(|e| e.node == *at) {
        let what = e.path.rsplit(ARROW).next().unwrap_or(&e.path);
        let _ = writeln!(
            s,
            "{pad}  >>> DIFFERS {what}: proposed {}, approved {}",
            Value(&e.proposed, labels),
            Value(&e.approved, labels)
        );
    }
    for (i, c) in n.children.iter().enumerate() {
        at.push(i);
        node(s, c, depth + 1, labels, at, diff);
        at.pop();
    }
}

/// The differences from the closest approved action, one path each, proposed beside approved.
/// An address the allowlist holds is said to be allowlisted: no other check can catch its swap.
pub fn write_diff(
    out: &mut (impl std::fmt::Write + ?Sized),
    d: &TreeDiff,
    manifest: &firmware_policy::Manifest,
    labels: Labels<'_>,
) {
    let name = manifest.actions.get(d.action).map(|a| escape(&a.name)).unwrap_or_default();
    let count = d.entries.len();
    let plural = if count == 1 { "difference" } else { "differences" };
    let _ = writeln!(out, "Differs from the closest approved action {} ({name}): {count} {plural}", d.action);
    let allowlisted = |v: &ArgValue| match v {
        ArgValue::Address(a) if manifest.allowed_targets.contains(a) => "  (allowlisted)",
        _ => "",
    };
    for e in &d.entries {
        let _ = writeln!(out, "  {}", e.path);
        let _ = writeln!(out, "    proposed  {}{}", Value(&e.proposed, labels), allowlisted(&e.proposed));
        let _ = writeln!(out, "    approved  {}{}", Value(&e.approved, labels), allowlisted(&e.approved));
    }
}

/// Who signed the root `execTransaction`, entry by entry as the Safe reads them, under the tree.
pub fn write_safe_signers(
    out: &mut (impl std::fmt::Write + ?Sized),
    report: &firmware_policy::safe_signatures::BlobReport,
    labels: Labels<'_>,
) {
    use firmware_policy::safe_signatures::Standing;
    let _ = writeln!(
        out,
        "  signers of execTransaction ({} of threshold {} count)",
        report.counted(),
        report.threshold
    );
    for e in &report.entries {
        let owner = e.owner.map_or_else(|| String::from("no owner"), |o| addr(&o, labels));
        let standing = match &e.standing {
            Standing::Counted => String::from("counted"),
            Standing::CountedOnChain(why) => format!("counted: {why}"),
            Standing::NotCounted(why) => format!("NOT COUNTED: {why}"),
            Standing::Invalid(why) => format!("INVALID: {why}"),
        };
        let _ = writeln!(out, "    #{} {owner} ({}) {standing}", e.index, e.kind.name());
    }
    if report.extra_entries > 0 {
        let _ = writeln!(out, "    {} more entries the Safe does not read (ignored)", report.extra_entries);
    }
}

/// What a check found about a proposal: the verdict, the difference from the closest approved
/// action (with `payload_not_approved`), and the simulation on a witness when one ran.
pub struct Evaluation<'a> {
    /// The verdict.
    pub verdict: &'a Verdict,
    /// The difference from the closest approved action.
    pub diff: Option<&'a TreeDiff>,
    /// The simulation.
    pub simulation: Option<&'a crate::gate::Simulation>,
}

/// What `check` prints, and `sign` before it asks the device: the transaction, its call tree
/// (streamed: it can hold thousands of calls), the simulation and the verdict. Labels and action
/// names come only from an approved manifest (`trusted`).
pub fn write_report(
    out: &mut (impl std::fmt::Write + ?Sized),
    trusted: Option<&firmware_policy::Manifest>,
    proposal: &firmware_policy::Proposal,
    sender: Option<Address>,
    claimed_from: Option<Address>,
    evaluation: Evaluation<'_>,
) {
    let Evaluation { verdict: v, diff, simulation } = evaluation;
    let lookup = |a: &Address| trusted.and_then(|m| m.label(a)).map(str::to_string);
    let _ = out.write_str(&tx(proposal.tx(), sender, claimed_from, &lookup));
    let _ = out.write_str("\n");
    write_calls_marked(out, proposal.calls(), &lookup, diff);
    if let Some(report) = v.safe_signers() {
        write_safe_signers(out, report, &lookup);
    }
    if let Some(sim) = simulation {
        let _ = out.write_str("\n");
        let _ = out.write_str(&super::simulation::text(sim, trusted, &lookup));
    }
    let _ = out.write_str("\n");
    let _ = out.write_str(&verdict(v, Some(proposal.tx()), trusted));
    if let (Some(d), Some(m)) = (diff, trusted) {
        write_diff(out, d, m, &lookup);
    }
}

/// The verdict block: each failed check with its hint. `manifest` is the approved manifest (none
/// when the hash did not match).
/// The verdict with its checks and hints; `tx` is the proposed transaction (`None` for a Safe
/// transaction).
pub fn verdict(v: &Verdict, tx: Option<&DecodedTx>, manifest: Option<&firmware_policy::Manifest>) -> String {
    verdict_as(v, tx, manifest, ["APPROVED", "REFUSED", "Refused because"])
}

/// [`verdict`] in other words: the head when every check passed, when one failed, and the line
/// that lists the failed checks' codes (`verify-execution` verifies rather than approves).
pub fn verdict_as(
    v: &Verdict,
    tx: Option<&DecodedTx>,
    manifest: Option<&firmware_policy::Manifest>,
    [passed, failed, because]: [&str; 3],
) -> String {
    let action_name = v.action().and_then(|i| manifest?.actions.get(i)).map(|a| a.name.as_str());
    let mut s = String::new();
    let head = if v.approved() { passed } else { failed };
    let action = match (v.action(), action_name) {
        (Some(i), Some(n)) => format!("action {i} ({})", escape(n)),
        (Some(i), None) => format!("action {i}"),
        _ => "no action matched".into(),
    };
    let _ = writeln!(s, "Verdict: {head} ({action})");
    let _ = writeln!(s, "  manifest hash {}", v.manifest_hash());
    let _ = writeln!(s, "  evaluated at  {}", format_instant(v.evaluated_at()));
    for c in v.checks() {
        let mark = if c.ok { "ok  " } else { "FAIL" };
        let code = c.reason.map(|r| format!("  [{}]", r.code())).unwrap_or_default();
        let _ = writeln!(s, "  {mark} {:<13} {}{code}", c.check.name(), c.detail);
        if let Some(hint) = crate::hints::hint(c, v, manifest, tx) {
            let _ = writeln!(s, "       {:<13} hint: {hint}", "");
        }
    }
    if let Some(q) = v.quorum() {
        write_quorum(&mut s, q);
    }
    if !v.approved() {
        let codes: Vec<&str> = v.reasons().iter().map(|r| r.code()).collect();
        let _ = writeln!(s, "{because}: {}", codes.join(", "));
    }
    s
}

/// Each approval file given, in order: whose it is and whether it counts.
pub fn write_quorum(out: &mut String, q: &firmware_policy::quorum::QuorumReport) {
    let _ = writeln!(
        out,
        "  approvals ({} of threshold {} count; the trust file names {} approvers)",
        q.counted().count(),
        q.threshold,
        q.trusted
    );
    for e in &q.entries {
        let standing =
            e.standing.why().map_or_else(|| String::from("counted"), |why| format!("NOT COUNTED: {why}"));
        let _ = writeln!(out, "    #{} {} ({}) {standing}", e.index, e.approver, e.signed_as.as_str());
    }
}

/// The manifest, every field and every action's call tree.
pub fn manifest(loaded: &LoadedManifest) -> String {
    let m = loaded.manifest();
    let labels = |a: &Address| m.label(a).map(str::to_string);
    let mut s = String::new();
    let _ = writeln!(s, "Manifest {}", loaded.hash());
    let _ = writeln!(s, "  format        {}", firmware_policy::manifest::FORMAT_V1);
    let _ = writeln!(s, "  release       {}", escape(&m.release));
    let _ = writeln!(s, "  chain id      {}", m.chain_id);
    let _ = writeln!(s, "  executor      {}", addr(&m.executor, &labels));
    let _ =
        writeln!(s, "  window        [{}, {})", format_instant(m.not_before), format_instant(m.expires_at));
    let _ = writeln!(s, "  rollback      {}", m.rollback.manifest_hash);
    if !m.rollback.note.is_empty() {
        let _ = writeln!(s, "  rollback note {}", escape(&m.rollback.note));
    }
    let _ = writeln!(s, "  allowed targets ({})", m.allowed_targets.len());
    for t in &m.allowed_targets {
        let _ = writeln!(s, "    {}", addr(t, &labels));
    }
    if !m.safes.is_empty() {
        let _ = writeln!(s, "  safes ({})", m.safes.len());
    }
    for safe in &m.safes {
        let _ = writeln!(
            s,
            "    {}  Safe {}, {} of {} owners",
            addr(&safe.address, &labels),
            safe.version_text(),
            safe.threshold,
            safe.owners.len()
        );
        if !safe.version.domain_has_chain_id() {
            let _ = writeln!(
                s,
                "      WARNING: its domain has no chain id: its owners' signatures are valid on every chain"
            );
        }
        for owner in &safe.owners {
            let _ = writeln!(s, "      owner     {}", addr(owner, &labels));
        }
        for target in &safe.delegatecall_allowed {
            let _ = writeln!(s, "      may delegatecall {}", addr(target, &labels));
        }
        if let Some(outer) = &safe.owned_by {
            let _ = writeln!(s, "      an owner of {}", addr(outer, &labels));
        }
    }
    s.push_str(&super::gate::manifest_lines(m, &labels));
    let _ = writeln!(s, "  actions ({})", m.actions.len());
    let abi = crate::abi::namer_of(loaded);
    for (i, a) in m.actions.iter().enumerate() {
        let _ = writeln!(s, "  [{i}] {} ({})", escape(&a.name), a.kind.as_str());
        if let (Some(st), Some(hashes)) = (a.safe_tx, m.safe_tx_hashes(a)) {
            let _ = writeln!(s, "      safe      {}", addr(&st.safe, &labels));
            let _ = writeln!(s, "      safe nonce {}", a.nonce.unwrap_or_default());
            let _ = writeln!(s, "      operation {} ({})", st.operation, a.operation().as_str());
            if st.safe_tx_gas != U256::ZERO || st.base_gas != U256::ZERO || st.gas_price != U256::ZERO {
                let _ = writeln!(
                    s,
                    "      refund    safeTxGas {} baseGas {} gasPrice {}",
                    st.safe_tx_gas, st.base_gas, st.gas_price
                );
            }
            if st.gas_token != Address::ZERO || st.refund_receiver != Address::ZERO {
                let _ = writeln!(
                    s,
                    "      refund in {} to {}",
                    addr(&st.gas_token, &labels),
                    addr(&st.refund_receiver, &labels)
                );
            }
            let _ = writeln!(
                s,
                "      safeTxHash {:#x}  (domain {:#x}, message {:#x})",
                hashes.safe_tx_hash, hashes.domain_separator, hashes.message_hash
            );
            if let Some(outer) = st.approves.and_then(|i| usize::try_from(i).ok()) {
                let name = m.actions.get(outer).map_or("?", |o| o.name.as_str());
                let _ = writeln!(
                    s,
                    "      approves  action {outer} ({}) of the Safe it owns: its approveHash counts there",
                    escape(name)
                );
            }
            for owner in &a.approved_hashes {
                let _ = writeln!(
                    s,
                    "      approved hash by {} counts: it relies on that owner's approveHash on chain, which does not bind the Safe nonce",
                    addr(owner, &labels)
                );
            }
        }
        let _ = writeln!(s, "      to        {}", addr(&a.to, &labels));
        let _ = writeln!(s, "      value     {}", wei(a.value));
        let _ = writeln!(s, "      calldata  {}", bytes_text(&a.data));
        let bound = |v: Option<String>| v.unwrap_or_else(|| "not bound".into());
        if a.safe_tx.is_none() {
            let _ = writeln!(s, "      nonce     {}", bound(a.nonce.map(|n| n.to_string())));
        }
        let _ = writeln!(s, "      gas cap   {}", bound(a.gas_limit_max.map(|n| n.to_string())));
        let _ =
            writeln!(s, "      fee cap   {}", bound(a.max_fee_per_gas_max.map(|n| format!("{n} wei/gas"))));
        let _ = writeln!(
            s,
            "      tip cap   {}",
            bound(a.max_priority_fee_per_gas_max.map(|n| format!("{n} wei/gas")))
        );
        for entry in &a.abi {
            let _ = writeln!(s, "      abi       {}  (names calls of this action's tree)", escape(entry));
        }
        if a.replaceable {
            let _ = writeln!(
                s,
                "      replaceable: a stuck transaction may be replaced by one paying ≥ 110 % in every fee"
            );
        }
        s.push_str(&super::gate::action_lines(a, &labels));
        for (j, x) in a.authorizations.iter().enumerate() {
            let _ = writeln!(
                s,
                "      authorization [{j}] chain {} delegate {} nonce {}",
                x.chain_id,
                addr(&x.address, &labels),
                x.nonce
            );
        }
        if let Some(tree) = crate::abi::action_tree(loaded, i, abi.as_ref()) {
            for line in calls(&tree, &labels).lines() {
                let _ = writeln!(s, "      {line}");
            }
        }
    }
    s
}
