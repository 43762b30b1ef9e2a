//! The JSON shapes of `spec/cli.md`: EIP-55 addresses, `0x` lowercase hex, quantities as decimal
//! strings, `y_parity` as 0/1.

use alloy_primitives::{Address, B256, hex};
use firmware_policy::diff::TreeDiff;
use firmware_policy::{ArgValue, CallNode, DecodedTx, LoadedManifest, Manifest, TxForm, TxType, Verdict};
use serde_json::{Value, json};

use crate::timefmt::format_instant;

/// Builds an object by moving the values in. `serde_json::json!` serializes each interpolated
/// value into a new copy and drops the original unwiped; output holds payload bytes.
pub fn obj<const N: usize>(pairs: [(&str, Value); N]) -> Value {
    Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

/// An address, checksummed.
pub fn address(a: &Address) -> Value {
    Value::String(a.to_checksum(None))
}

/// Bytes as `0x` + lowercase hex.
pub fn bytes(b: &[u8]) -> Value {
    Value::String(hex::encode_prefixed(b))
}

/// A quantity as a decimal string.
pub fn quantity(q: impl std::fmt::Display) -> Value {
    Value::String(q.to_string())
}

fn word(w: &B256) -> Value {
    bytes(w.as_slice())
}

/// A decoded argument value.
pub fn arg_value(v: &ArgValue) -> Value {
    match v {
        ArgValue::Address(a) => address(a),
        ArgValue::Uint(u) => quantity(*u),
        ArgValue::Word(w) => word(w),
        ArgValue::Bytes(b) => bytes(b),
        ArgValue::Bool(b) => Value::Bool(*b),
        ArgValue::Text(t) => Value::String((*t).to_string()),
        ArgValue::String(s) => Value::String(s.clone()),
        ArgValue::List(l) => Value::Array(l.iter().map(arg_value).collect()),
    }
}

/// A call-tree node.
pub fn call_node(n: &CallNode) -> Value {
    let details: serde_json::Map<String, Value> =
        n.details.iter().map(|d| (d.key.to_string(), arg_value(&d.value))).collect();
    if let Some(named) = &n.named {
        return named_node(n, named, details);
    }
    obj([
        ("to", n.to.as_ref().map_or(Value::Null, address)),
        ("value", quantity(n.value)),
        ("operation", n.operation.as_str().into()),
        ("selector", n.selector.as_ref().map_or(Value::Null, |s| bytes(s))),
        ("function", n.function.map_or(Value::Null, Value::from)),
        ("known_as", n.known_as.iter().map(|k| Value::from(*k)).collect()),
        (
            "args",
            n.args
                .iter()
                .map(|a| {
                    obj([("name", a.name.into()), ("type", a.ty.into()), ("value", arg_value(&a.value))])
                })
                .collect(),
        ),
        ("canonical", n.canonical.into()),
        ("calldata_len", n.calldata_len.into()),
        ("details", Value::Object(details)),
        ("children", n.children.iter().map(call_node).collect()),
    ])
}

/// A call the manifest's `abi` names: `function` is its signature, `named_by` says whose name it
/// is, and `known_as` is empty (no built-in decoder knows it).
fn named_node(
    n: &CallNode,
    named: &firmware_policy::calls::Named,
    details: serde_json::Map<String, Value>,
) -> Value {
    let args: Vec<Value> = named
        .args
        .iter()
        .map(|a| {
            obj([
                ("name", a.name.clone().into()),
                ("type", a.ty.clone().into()),
                ("value", arg_value(&a.value)),
            ])
        })
        .collect();
    let mut v = obj([
        ("to", n.to.as_ref().map_or(Value::Null, address)),
        ("value", quantity(n.value)),
        ("operation", n.operation.as_str().into()),
        ("selector", n.selector.as_ref().map_or(Value::Null, |s| bytes(s))),
        ("function", named.signature.clone().into()),
        ("named_by", "manifest".into()),
        ("known_as", Value::Array(Vec::new())),
        ("args", Value::Array(args)),
        ("canonical", n.canonical.into()),
        ("calldata_len", n.calldata_len.into()),
        ("details", Value::Object(details)),
        ("children", n.children.iter().map(call_node).collect()),
    ]);
    if let (Some(why), Some(o)) = (&named.not_decoded, v.as_object_mut()) {
        o.insert("not_decoded".into(), why.clone().into());
    }
    v
}

/// The transaction's fields.
pub fn tx(t: &DecodedTx, sender: Option<Address>, claimed_from: Option<Address>) -> Value {
    let mut v = json!({
        "type": t.tx_type().name(),
        "type_byte": t.tx_type().byte(),
        "form": match t.form() { TxForm::Unsigned => "unsigned", TxForm::Signed => "signed" },
        "chain_id": t.chain_id().map(quantity),
        "nonce": quantity(t.nonce()),
        "gas_limit": quantity(t.gas_limit()),
        "to": t.to().as_ref().map(address),
        "value": quantity(t.value()),
        "data": bytes(t.input()),
    });
    let obj = v.as_object_mut();
    if let Some(obj) = obj {
        if let Some(p) = t.gas_price() {
            obj.insert("gas_price".into(), quantity(p));
        }
        if let Some(p) = t.max_fee_per_gas() {
            obj.insert("max_fee_per_gas".into(), quantity(p));
        }
        if let Some(p) = t.max_priority_fee_per_gas() {
            obj.insert("max_priority_fee_per_gas".into(), quantity(p));
        }
        if t.tx_type() == TxType::Eip4844 {
            obj.insert("max_fee_per_blob_gas".into(), t.max_fee_per_blob_gas().map(quantity).into());
            obj.insert("blob_versioned_hashes".into(), t.blob_hashes().iter().map(word).collect());
        }
        if matches!(t.tx_type(), TxType::Eip2930 | TxType::Eip1559 | TxType::Eip4844 | TxType::Eip7702) {
            obj.insert("access_list_entries".into(), json!(t.access_list_len()));
        }
        if t.tx_type() == TxType::Eip7702 {
            let auths: Vec<Value> = t
                .authorizations()
                .iter()
                .map(|a| json!({"chain_id": quantity(a.chain_id), "address": address(&a.address), "nonce": quantity(a.nonce)}))
                .collect();
            obj.insert("authorization_list".into(), Value::Array(auths));
        }
        if let Some(s) = sender {
            obj.insert("sender".into(), address(&s));
        }
        if let Some(f) = claimed_from {
            obj.insert("from_claimed".into(), address(&f));
        }
    }
    v
}

/// The `checks` entries of a verdict; each failed one with its `reason` and `hint`.
pub fn checks(v: &Verdict, tx: Option<&DecodedTx>, manifest: Option<&Manifest>) -> Value {
    v.checks()
        .iter()
        .map(|c| {
            let mut o = json!({"check": c.check.name(), "ok": c.ok, "detail": c.detail.to_string()});
            if let (Some(r), Some(obj)) = (c.reason, o.as_object_mut()) {
                obj.insert("reason".into(), Value::String(r.code().into()));
                if let Some(hint) = crate::hints::hint(c, v, manifest, tx) {
                    obj.insert("hint".into(), Value::String(hint));
                }
            }
            o
        })
        .collect()
}

/// The `diff` of a verdict: every difference from the closest approved action.
fn diff(d: &TreeDiff) -> Value {
    d.entries
        .iter()
        .map(|e| json!({"path": e.path, "approved": arg_value(&e.approved), "proposed": arg_value(&e.proposed)}))
        .collect()
}

/// The verdict document. `manifest` is the approved manifest (none when the hash did not match):
/// hints take their numbers from it; `tree_diff` is the difference from the closest action.
pub fn verdict(
    v: &Verdict,
    proposal_tx: &DecodedTx,
    calls: &CallNode,
    manifest: Option<&Manifest>,
    tree_diff: Option<&TreeDiff>,
    simulation: Option<&crate::gate::Simulation>,
) -> Value {
    let checks = checks(v, Some(proposal_tx), manifest);
    let mut doc = obj([
        ("verdict", (if v.approved() { "approved" } else { "refused" }).into()),
        ("manifest_hash", word(&v.manifest_hash().0)),
        ("action", v.action().map_or(Value::Null, Value::from)),
        ("reasons", v.reasons().iter().map(|r| Value::from(r.code())).collect()),
        ("checks", checks),
        ("evaluated_at", format_instant(v.evaluated_at()).into()),
        ("tool_version", crate::TOOL_VERSION.into()),
        ("signing_payload", bytes(proposal_tx.signing_payload())),
        ("signing_hash", word(&proposal_tx.signing_hash())),
        ("calls", call_node(calls)),
    ]);
    if let (Some(d), Some(o)) = (tree_diff, doc.as_object_mut()) {
        o.insert("diff".into(), diff(d));
        o.insert("diff_action".into(), Value::from(d.action));
    }
    if let (Some(q), Some(o)) = (v.quorum(), doc.as_object_mut()) {
        o.insert("approvals".into(), quorum(q));
    }
    if let (Some(sim), Some(o)) = (simulation, doc.as_object_mut()) {
        o.insert("simulation".into(), super::simulation::json(sim, manifest));
    }
    doc
}

/// The manifest as JSON (for `manifest show --json`).
pub fn manifest(loaded: &LoadedManifest) -> Value {
    let abi = crate::abi::namer_of(loaded);
    let m: &Manifest = loaded.manifest();
    let actions: Vec<Value> = m
        .actions
        .iter()
        .enumerate()
        .map(|(i, a)| {
            json!({
                "name": a.name,
                "kind": a.kind.as_str(),
                "to": address(&a.to),
                "value": quantity(a.value),
                "data": bytes(&a.data),
                "nonce": a.nonce.map(quantity),
                "gas_limit_max": a.gas_limit_max.map(quantity),
                "max_fee_per_gas_max": a.max_fee_per_gas_max.map(quantity),
                "max_priority_fee_per_gas_max": a.max_priority_fee_per_gas_max.map(quantity),
                "authorizations": a.authorizations.iter().map(|x| json!({
                    "chain_id": quantity(x.chain_id), "address": address(&x.address), "nonce": quantity(x.nonce)
                })).collect::<Vec<_>>(),
                "replaceable": a.replaceable,
                "abi": a.abi,
                "safe_tx": a.safe_tx.map(|st| {
                    let hashes = m.safe_tx_hashes(a);
                    json!({
                        "safe": address(&st.safe),
                        "operation": st.operation,
                        "safe_tx_gas": quantity(st.safe_tx_gas),
                        "base_gas": quantity(st.base_gas),
                        "gas_price": quantity(st.gas_price),
                        "gas_token": address(&st.gas_token),
                        "refund_receiver": address(&st.refund_receiver),
                        "domain_separator": hashes.map(|h| word(&h.domain_separator)),
                        "message_hash": hashes.map(|h| word(&h.message_hash)),
                        "safe_tx_hash": hashes.map(|h| word(&h.safe_tx_hash)),
                        "approves": st.approves,
                        "approved_hashes": a.approved_hashes.iter().map(address).collect::<Vec<_>>(),
                    })
                }),
                "expect": super::gate::expect_json(a),
                "layout": super::gate::layout_json(a),
                "calls": crate::abi::action_tree(loaded, i, abi.as_ref()).as_ref().map(call_node),
            })
        })
        .collect();
    let labels: serde_json::Map<String, Value> =
        m.labels.iter().map(|(a, l)| (a.to_checksum(None), Value::String(l.clone()))).collect();
    let mut doc = json!({
        "format": firmware_policy::manifest::FORMAT_V1,
        "release": m.release,
        "chain_id": quantity(m.chain_id),
        "executor": address(&m.executor),
        "not_before": format_instant(m.not_before),
        "expires_at": format_instant(m.expires_at),
        "allowed_targets": m.allowed_targets.iter().map(address).collect::<Vec<_>>(),
        "labels": labels,
        "rollback": {"manifest_hash": word(&m.rollback.manifest_hash), "note": m.rollback.note},
        "actions": actions,
        "safes": m.safes.iter().map(|safe| json!({
            "address": address(&safe.address),
            "version": safe.version_text(),
            "owners": safe.owners.iter().map(address).collect::<Vec<_>>(),
            "threshold": safe.threshold,
            "delegatecall_allowed": safe.delegatecall_allowed.iter().map(address).collect::<Vec<_>>(),
            "owned_by": safe.owned_by.as_ref().map(address),
        })).collect::<Vec<_>>(),
        "manifest_hash": word(&loaded.hash().0),
    });
    if let Some(o) = doc.as_object_mut() {
        for (key, value) in super::gate::manifest_json(m) {
            o.insert(key.into(), value);
        }
    }
    doc
}

/// serde_json's pretty printer, except that every string it writes has its control, bidi and
/// invisible format characters as `\uXXXX` escapes (serde_json escapes only C0 controls and
/// passes U+202E and friends through raw). A JSON reader sees the same string; a person who
/// `cat`s the document cannot be shown a reordered one.
struct Escaping(serde_json::ser::PrettyFormatter<'static>);

impl serde_json::ser::Formatter for Escaping {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut start = 0;
        for (at, c) in fragment.char_indices() {
            if firmware_policy::manifest::is_deceptive_char(c) {
                w.write_all(&fragment.as_bytes()[start..at])?;
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    write!(w, "\\u{unit:04x}")?;
                }
                start = at + c.len_utf8();
            }
        }
        w.write_all(&fragment.as_bytes()[start..])
    }
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object_value(w)
    }
}

/// Writes a JSON document into `out` as it is serialized: pretty, with input text escaped (see
/// [`Escaping`]).
pub fn write(out: &mut impl std::io::Write, v: &impl serde::Serialize) -> std::io::Result<()> {
    let mut ser =
        serde_json::Serializer::with_formatter(out, Escaping(serde_json::ser::PrettyFormatter::new()));
    v.serialize(&mut ser).map_err(std::io::Error::other)
}

/// The one way a JSON document becomes text: pretty, with input text escaped (see [`Escaping`]).
/// Written into a buffer of its exact size (a counting pass first): a growing buffer would free
/// partial copies of the document, payload hex included, unwiped.
pub fn to_text(v: &impl serde::Serialize) -> zeroize::Zeroizing<String> {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    // Writing into memory cannot fail: no I/O, and every key is a string.
    let _ = write(&mut count, v);
    let mut out = zeroize::Zeroizing::new(Vec::with_capacity(count.0 + 1));
    let _ = write(&mut *out, v);
    let bytes = std::mem::take(&mut *out);
    // Only valid UTF-8 was written (serde_json's own output plus ASCII escapes).
    zeroize::Zeroizing::new(String::from_utf8(bytes).unwrap_or_default())
}

// ---------------------------------------------------------------------------------------------
// Streaming views. A verdict over a 1 MiB payload holds that payload as hex at every wrapper
// level; built as a `Value` and then as text it would be held several times over. These views
// serialize straight into the writer, hex included (`collect_str`), in the same key order as
// the builders above, so a document costs its output, not a copy of it.

/// Bytes as `0x` + lowercase hex, written as they are serialized.
pub struct Hex<'a>(pub &'a [u8]);

impl std::fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("0x")?;
        let mut buf = [0u8; 256];
        for chunk in self.0.chunks(buf.len() / 2) {
            let out = &mut buf[..chunk.len() * 2];
            // Sizes match by construction: two hex digits a byte.
            if hex::encode_to_slice(chunk, out).is_err() {
                return Err(std::fmt::Error);
            }
            f.write_str(std::str::from_utf8(out).map_err(|_| std::fmt::Error)?)?;
        }
        Ok(())
    }
}

impl serde::Serialize for Hex<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// What an argument entry shows, for built-in and manifest-named calls alike.
trait ArgFields {
    fn name(&self) -> &str;
    fn ty(&self) -> &str;
    fn value(&self) -> &ArgValue;
}

impl ArgFields for firmware_policy::calls::Arg {
    fn name(&self) -> &str {
        self.name
    }
    fn ty(&self) -> &str {
        self.ty
    }
    fn value(&self) -> &ArgValue {
        &self.value
    }
}

impl ArgFields for firmware_policy::calls::NamedArg {
    fn name(&self) -> &str {
        &self.name
    }
    fn ty(&self) -> &str {
        &self.ty
    }
    fn value(&self) -> &ArgValue {
        &self.value
    }
}

/// A call's `args`, streamed: `{"name", "type", "value"}` each.
struct Args<'a, T>(&'a [T]);

impl<T: ArgFields> serde::Serialize for Args<'_, T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        struct Entry<'a, T>(&'a T);
        impl<T: ArgFields> serde::Serialize for Entry<'_, T> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(Some(3))?;
                m.serialize_entry("name", self.0.name())?;
                m.serialize_entry("type", self.0.ty())?;
                m.serialize_entry("value", &ArgJson(self.0.value()))?;
                m.end()
            }
        }
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for a in self.0 {
            seq.serialize_element(&Entry(a))?;
        }
        seq.end()
    }
}

/// An argument or detail value, streamed.
pub struct ArgJson<'a>(pub &'a ArgValue);

impl serde::Serialize for ArgJson<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        match self.0 {
            ArgValue::Bytes(b) => Hex(b).serialize(s),
            ArgValue::Word(w) => Hex(w.as_slice()).serialize(s),
            ArgValue::List(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&ArgJson(item))?;
                }
                seq.end()
            }
            other => arg_value(other).serialize(s),
        }
    }
}

/// A call-tree node, streamed (the shape of [`call_node`]).
pub struct CallJson<'a>(pub &'a CallNode);

impl serde::Serialize for CallJson<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        struct Details<'a>(&'a [firmware_policy::calls::Detail]);
        impl serde::Serialize for Details<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(Some(self.0.len()))?;
                for d in self.0 {
                    m.serialize_entry(d.key, &ArgJson(&d.value))?;
                }
                m.end()
            }
        }
        struct Children<'a>(&'a [CallNode]);
        impl serde::Serialize for Children<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeSeq;
                let mut seq = s.serialize_seq(Some(self.0.len()))?;
                for c in self.0 {
                    seq.serialize_element(&CallJson(c))?;
                }
                seq.end()
            }
        }
        let n = self.0;
        let mut m = s.serialize_map(None)?;
        if let Some(named) = &n.named {
            // Named by the manifest's `abi` (the shape of `named_node`).
            m.serialize_entry("to", &n.to.as_ref().map_or(Value::Null, address))?;
            m.serialize_entry("value", &quantity(n.value))?;
            m.serialize_entry("operation", n.operation.as_str())?;
            m.serialize_entry("selector", &n.selector.as_ref().map(|sel| Hex(sel)))?;
            m.serialize_entry("function", &named.signature)?;
            m.serialize_entry("named_by", "manifest")?;
            m.serialize_entry("known_as", &[] as &[&str])?;
            m.serialize_entry("args", &Args(&named.args))?;
            m.serialize_entry("canonical", &n.canonical)?;
            m.serialize_entry("calldata_len", &n.calldata_len)?;
            m.serialize_entry("details", &Details(&n.details))?;
            m.serialize_entry("children", &Children(&n.children))?;
            if let Some(why) = &named.not_decoded {
                m.serialize_entry("not_decoded", why)?;
            }
            return m.end();
        }
        m.serialize_entry("to", &n.to.as_ref().map_or(Value::Null, address))?;
        m.serialize_entry("value", &quantity(n.value))?;
        m.serialize_entry("operation", n.operation.as_str())?;
        m.serialize_entry("selector", &n.selector.as_ref().map(|sel| Hex(sel)))?;
        m.serialize_entry("function", &n.function)?;
        m.serialize_entry("known_as", n.known_as)?;
        m.serialize_entry("args", &Args(&n.args))?;
        m.serialize_entry("canonical", &n.canonical)?;
        m.serialize_entry("calldata_len", &n.calldata_len)?;
        m.serialize_entry("details", &Details(&n.details))?;
        m.serialize_entry("children", &Children(&n.children))?;
        m.end()
    }
}

/// The verdict document, streamed (the shape of [`verdict`]).
pub struct VerdictJson<'a> {
    /// The verdict.
    pub verdict: &'a Verdict,
    /// The evaluated transaction.
    pub tx: &'a DecodedTx,
    /// Its call tree.
    pub calls: &'a CallNode,
    /// The approved manifest (none when the hash did not match).
    pub manifest: Option<&'a Manifest>,
    /// The difference from the closest approved action (with `payload_not_approved`).
    pub diff: Option<&'a TreeDiff>,
    /// The simulation on a witness, when one ran.
    pub simulation: Option<&'a crate::gate::Simulation>,
}

impl serde::Serialize for VerdictJson<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let v = self.verdict;
        let mut m = s.serialize_map(Some(10))?;
        m.serialize_entry("verdict", if v.approved() { "approved" } else { "refused" })?;
        m.serialize_entry("manifest_hash", &word(&v.manifest_hash().0))?;
        m.serialize_entry("action", &v.action())?;
        m.serialize_entry("reasons", &v.reasons().iter().map(|r| r.code()).collect::<Vec<_>>())?;
        m.serialize_entry("checks", &checks(v, Some(self.tx), self.manifest))?;
        m.serialize_entry("evaluated_at", &format_instant(v.evaluated_at()))?;
        m.serialize_entry("tool_version", crate::TOOL_VERSION)?;
        m.serialize_entry("signing_payload", &Hex(self.tx.signing_payload()))?;
        m.serialize_entry("signing_hash", &word(&self.tx.signing_hash()))?;
        m.serialize_entry("calls", &CallJson(self.calls))?;
        if let Some(report) = v.safe_signers() {
            m.serialize_entry("safe_signers", &safe_signers(report))?;
        }
        if let Some(report) = v.quorum() {
            m.serialize_entry("approvals", &quorum(report))?;
        }
        if let Some(d) = self.diff {
            m.serialize_entry("diff", &diff(d))?;
            m.serialize_entry("diff_action", &d.action)?;
        }
        if let Some(sim) = self.simulation {
            m.serialize_entry("simulation", &super::simulation::json(sim, self.manifest))?;
        }
        m.end()
    }
}

/// The approval files' evaluation: each one's approver, mode and standing, and the threshold.
pub fn quorum(q: &firmware_policy::quorum::QuorumReport) -> Value {
    let entries: Vec<Value> = q
        .entries
        .iter()
        .map(|e| {
            json!({
                "index": e.index,
                "approver": address(&e.approver),
                "signed_as": e.signed_as.as_str(),
                "standing": e.standing.code(),
                "why": e.standing.why(),
            })
        })
        .collect();
    json!({
        "threshold": q.threshold,
        "trusted_approvers": q.trusted,
        "counted": q.counted().count(),
        "entries": entries,
    })
}

/// The Safe's reading of an `execTransaction`'s signatures: each evaluated entry's owner, kind
/// and standing, and what the Safe ignores.
pub fn safe_signers(report: &firmware_policy::safe_signatures::BlobReport) -> Value {
    use firmware_policy::safe_signatures::Standing;
    let entries: Vec<Value> = report
        .entries
        .iter()
        .map(|e| {
            let (standing, why) = match &e.standing {
                Standing::Counted => ("counted", None),
                Standing::CountedOnChain(why) => ("counted_on_chain", Some(why)),
                Standing::NotCounted(why) => ("not_counted", Some(why)),
                Standing::Invalid(why) => ("invalid", Some(why)),
            };
            json!({
                "index": e.index,
                "owner": e.owner.as_ref().map(address),
                "kind": e.kind.name(),
                "standing": standing,
                "why": why,
            })
        })
        .collect();
    json!({
        "threshold": quantity(report.threshold),
        "counted": report.counted(),
        "entries": entries,
        "ignored_entries": report.extra_entries,
    })
}

/// A document of small `Value` fields and streamed parts, in order.
pub struct Document<'a>(pub Vec<(&'static str, Part<'a>)>);

/// One field of a [`Document`].
pub enum Part<'a> {
    /// A small value.
    Value(Value),
    /// A verdict, streamed.
    Verdict(VerdictJson<'a>),
    /// A call tree, streamed.
    Calls(&'a CallNode),
    /// Bytes as hex, streamed.
    Hex(&'a [u8]),
}

impl serde::Serialize for Document<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (key, part) in &self.0 {
            match part {
                Part::Value(v) => m.serialize_entry(key, v)?,
                Part::Verdict(v) => m.serialize_entry(key, v)?,
                Part::Calls(c) => m.serialize_entry(key, &CallJson(c))?,
                Part::Hex(b) => m.serialize_entry(key, &Hex(b))?,
            }
        }
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The streaming views are the builders' documents, key for key and in order.
    #[test]
    fn streamed_views_equal_the_built_documents() {
        use alloy_primitives::{Address, U256};
        use firmware_policy::Operation;
        // The example's Timelock schedule of ProxyAdmin.upgradeAndCall with an initializer.
        let release =
            crate::authoring::parse_release(include_str!("../../examples/box-v2-upgrade.toml")).unwrap();
        let data = release.actions[0].data.clone();
        let tree = firmware_policy::calls::decode_call(
            Some(Address::repeat_byte(1)),
            U256::ZERO,
            Operation::Call,
            &data,
        )
        .unwrap();
        assert_eq!(tree.children.len(), 1, "the example decodes");
        assert_eq!(serde_json::to_value(CallJson(&tree)).unwrap(), call_node(&tree));
        let text = to_text(&CallJson(&tree));
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), call_node(&tree));
        let keys: Vec<String> =
            serde_json::from_str::<serde_json::Map<String, Value>>(&text).unwrap().keys().cloned().collect();
        let built: Vec<String> = call_node(&tree).as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, built, "same key order");
        assert_eq!(Hex(&[0xab; 300]).to_string(), format!("0x{}", "ab".repeat(300)));
    }

    #[test]
    fn json_text_escapes_bidi_c1_and_format_characters_and_reads_back_the_same() {
        let v = json!({"release": "box\u{202e}v2\u{9b}\u{200b}\u{e0041}", "n": 1, "list": ["a\u{2028}"]});
        let text = to_text(&v);
        assert!(text.contains(r#""box\u202ev2\u009b\u200b\udb40\udc41""#), "{}", &*text);
        assert!(text.contains(r#""a\u2028""#), "{}", &*text);
        assert!(text.is_ascii());
        let back: Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(back, v);
    }
}

/// A JSON document that holds policy bytes as hex (a call tree, a verdict), wiped when dropped.
#[derive(Debug)]
pub struct WipingValue(pub Value);

impl Drop for WipingValue {
    fn drop(&mut self) {
        crate::request::wipe_json(&mut self.0);
    }
}

impl std::ops::Deref for WipingValue {
    type Target = Value;
    fn deref(&self) -> &Value {
        &self.0
    }
}

impl serde::Serialize for WipingValue {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}
