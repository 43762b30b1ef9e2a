//! `layout check` through the binary, on compiler output shaped as solc writes it (the reference
//! comparison with @openzeppelin/upgrades-core on solc-js's own output is tests/layout/run.sh):
//! exit 0 compatible, 3 incompatible with the finding named, 2 for what is not a layout; a
//! build-info file reads as its output; AST ids in type ids do not matter.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::json;

/// A standard-JSON output with contract `name` in `file`, its variables `(label, slot, offset,
/// type id)`, the type ids carrying `ast` as solc's do.
fn output(file: &str, name: &str, vars: &[(&str, u64, u64, &str)], ast: u64) -> serde_json::Value {
    let uint = format!("t_uint256_{ast}");
    let storage: Vec<serde_json::Value> = vars
        .iter()
        .map(|(label, slot, offset, ty)| {
            let ty = ty.replace("AST", &ast.to_string());
            json!({"astId": ast, "contract": format!("{file}:{name}"), "label": label, "offset": offset, "slot": slot.to_string(), "type": ty})
        })
        .collect();
    json!({"contracts": {file: {name: {"storageLayout": {"storage": storage, "types": {
        uint.clone(): {"encoding": "inplace", "label": "uint256", "numberOfBytes": "32"},
        "t_address": {"encoding": "inplace", "label": "address", "numberOfBytes": "20"},
        format!("t_contract(IERC20){ast}"): {"encoding": "inplace", "label": "contract IERC20", "numberOfBytes": "20"},
        format!("t_mapping(t_address,t_uint256_{ast})"): {"encoding": "mapping", "key": "t_address", "label": "mapping(address => uint256)", "numberOfBytes": "32", "value": uint},
    }}}}}, "sources": {}})
}

#[test]
fn compatible_incompatible_and_not_a_layout() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, doc: serde_json::Value| {
        let path = dir.path().join(name);
        std::fs::write(&path, doc.to_string()).unwrap();
        path.to_str().unwrap().to_string()
    };
    let v1 = write(
        "v1.json",
        output(
            "Box.sol",
            "Box",
            &[("a", 0, 0, "t_uint256_AST"), ("token", 1, 0, "t_contract(IERC20)AST")],
            7,
        ),
    );
    // Other AST ids, the token as an address, a mapping appended: compatible. As a build-info file.
    let v2 = output(
        "Box.sol",
        "Box",
        &[
            ("a", 0, 0, "t_uint256_AST"),
            ("token", 1, 0, "t_address"),
            ("balances", 2, 0, "t_mapping(t_address,t_uint256_AST)"),
        ],
        99,
    );
    let v2 = write("v2.json", json!({"_format": "ethers-rs-sol-build-info-1", "input": {}, "output": v2}));
    let ok = run(&["--json", "layout", "check", &v1, &v2]);
    assert_eq!(code(&ok), 0, "{}", stdout(&ok));
    let doc = json(&ok);
    assert_eq!(doc["compatible"], true);
    assert_eq!(doc["findings"][0]["what"], "appended");
    // The digest is of structure: the same layout under other AST ids has the same digest.
    let again = write(
        "v1-again.json",
        output(
            "Box.sol",
            "Box",
            &[("a", 0, 0, "t_uint256_AST"), ("token", 1, 0, "t_contract(IERC20)AST")],
            1234,
        ),
    );
    let same = json(&run(&["--json", "layout", "check", &v1, &again]));
    assert_eq!(same["old"]["digest"], same["new"]["digest"]);
    assert_eq!(same["findings"], json!([]));
    // The slots swapped: incompatible, exit 3, each move named.
    let swapped = write(
        "swapped.json",
        output("Box.sol", "Box", &[("token", 0, 0, "t_address"), ("a", 1, 0, "t_uint256_AST")], 7),
    );
    let bad = run(&["layout", "check", &v1, &swapped]);
    assert_eq!(code(&bad), 3, "{}", stdout(&bad));
    let text = stdout(&bad);
    assert!(
        text.contains("INCOMPATIBLE")
            && text.contains("FAIL moved")
            && text.contains("a (uint256) moved from slot 0 offset 0 to slot 1 offset 0"),
        "{text}"
    );
    // Not a compiler output, and a contract that is not there: exit 2, naming the file.
    let junk = write("junk.json", json!({"hello": 1}));
    let out = run(&["layout", "check", &v1, &junk]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("junk.json") && stderr(&out).contains("no `contracts`"),
        "{}",
        stderr(&out)
    );
    let out = run(&["layout", "check", &v1, &v2, "--contract", "Nope"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("no contract Nope"), "{}", stderr(&out));
}

/// `manifest build` runs the comparison when an action names `layout`, records both digests and
/// the result in the manifest, and refuses an incompatible pair unless `allow_layout_change`
/// says why; `manifest show` prints it.
#[test]
fn manifest_build_records_the_layouts_and_refuses_an_unexplained_change() {
    let dir = tempfile::tempdir().unwrap();
    let (_, _) = release_now(dir.path());
    let base = std::fs::read_to_string(dir.path().join("release.toml")).unwrap();
    let v1 = output(
        "Box.sol",
        "Box",
        &[("a", 0, 0, "t_uint256_AST"), ("token", 1, 0, "t_contract(IERC20)AST")],
        7,
    );
    std::fs::write(dir.path().join("v1.json"), v1.to_string()).unwrap();
    let v2 = output(
        "Box.sol",
        "Box",
        &[("a", 0, 0, "t_uint256_AST"), ("token", 1, 0, "t_address"), ("b", 2, 0, "t_uint256_AST")],
        8,
    );
    std::fs::write(dir.path().join("v2.json"), v2.to_string()).unwrap();
    let swapped = output("Box.sol", "Box", &[("token", 0, 0, "t_address"), ("a", 1, 0, "t_uint256_AST")], 9);
    std::fs::write(dir.path().join("swapped.json"), swapped.to_string()).unwrap();
    let build = |name: &str, extra: &str| {
        let toml = dir.path().join(format!("{name}.toml"));
        std::fs::write(&toml, format!("{base}{extra}")).unwrap();
        let out = dir.path().join(format!("{name}.cbor"));
        (run(&["--json", "manifest", "build", toml.to_str().unwrap(), "-o", out.to_str().unwrap()]), out)
    };
    let (built, manifest) =
        build("kept", "layout = { old = \"v1.json\", new = \"v2.json\", contract = \"Box\" }\n");
    assert_eq!(code(&built), 0, "{}", stderr(&built));
    let shown = json(&run(&["--json", "manifest", "show", manifest.to_str().unwrap()]));
    let layout = &shown["actions"][1]["layout"];
    assert_eq!(layout["compatible"], true);
    let checked = json(&run(&[
        "--json",
        "layout",
        "check",
        dir.path().join("v1.json").to_str().unwrap(),
        dir.path().join("v2.json").to_str().unwrap(),
    ]));
    assert_eq!(layout["old_digest"], checked["old"]["digest"]);
    assert_eq!(layout["new_digest"], checked["new"]["digest"]);
    let text = stdout(&run(&["manifest", "show", manifest.to_str().unwrap()]));
    assert!(text.contains("layout    the new implementation keeps the old storage layout"), "{text}");
    // Incompatible: refused, naming the action and the finding.
    let (refused, _) =
        build("moved", "layout = { old = \"v1.json\", new = \"swapped.json\", contract = \"Box\" }\n");
    assert_eq!(code(&refused), 2, "{}", stdout(&refused));
    let why = stderr(&refused);
    assert!(
        why.contains("actions[1].layout") && why.contains("moved") && why.contains("allow_layout_change"),
        "{why}"
    );
    // Released anyway with a reason: recorded, warned about, shown.
    let (allowed, manifest) = build(
        "allowed",
        "layout = { old = \"v1.json\", new = \"swapped.json\", contract = \"Box\" }\nallow_layout_change = \"the proxy is re-initialized by the upgrade call\"\n",
    );
    assert_eq!(code(&allowed), 0, "{}", stderr(&allowed));
    assert!(
        json(&allowed)["warnings"].to_string().contains("does not keep the old storage layout"),
        "{}",
        stdout(&allowed)
    );
    let shown = json(&run(&["--json", "manifest", "show", manifest.to_str().unwrap()]));
    assert_eq!(shown["actions"][1]["layout"]["compatible"], false);
    assert_eq!(
        shown["actions"][1]["layout"]["allow_layout_change"],
        "the proxy is re-initialized by the upgrade call"
    );
    // A reason with no layout is a mistake.
    let (stray, _) = build("stray", "allow_layout_change = \"nothing\"\n");
    assert_eq!(code(&stray), 2);
    assert!(stderr(&stray).contains("actions[1].allow_layout_change"), "{}", stderr(&stray));
}
