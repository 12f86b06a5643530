//! Tests that walk the whole schema (issue 11): every `String` argument and
//! input field states its maximum length and refuses one character more;
//! every argument given a value of the wrong type or out of range answers
//! `BAD_USER_INPUT` (or another client code), never `INTERNAL`.

use std::collections::HashMap;

use axum::body::Body;
use axum::http::Request;
use serde_json::{json, Value};

use crate::helpers::TestApp;

const INTROSPECTION: &str = r#"
query {
  __schema {
    queryType { name }
    mutationType { name }
    types {
      kind name
      enumValues { name }
      fields { name args { name description defaultValue type { ...T } } type { ...T } }
      inputFields { name description defaultValue type { ...T } }
    }
  }
}
fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } }
"#;

/// The schema as the walker needs it.
struct Schema {
    types: HashMap<String, Value>,
    query: String,
    mutation: String,
}

impl Schema {
    async fn load(t: &TestApp) -> Schema {
        let d = t.data(None, INTROSPECTION, json!({})).await;
        let s = &d["__schema"];
        let types = s["types"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| (t["name"].as_str().unwrap().to_owned(), t.clone()))
            .collect();
        Schema {
            types,
            query: s["queryType"]["name"].as_str().unwrap().to_owned(),
            mutation: s["mutationType"]["name"].as_str().unwrap().to_owned(),
        }
    }

    fn fields_of(&self, type_name: &str) -> Vec<Value> {
        self.types[type_name]["fields"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }
}

/// The named type under NON_NULL and LIST wrappers, and whether a list is
/// among them.
fn named(t: &Value) -> (String, bool) {
    let mut t = t;
    let mut list = false;
    while t["name"].is_null() {
        list |= t["kind"] == "LIST";
        t = &t["ofType"];
    }
    (t["name"].as_str().unwrap().to_owned(), list)
}

fn required(arg: &Value) -> bool {
    arg["type"]["kind"] == "NON_NULL" && arg["defaultValue"].is_null()
}

/// A literal of the right type for `t`: what every argument other than the
/// one under test receives. `None` when no literal can stand for it (an
/// upload).
fn literal(s: &Schema, t: &Value, name: &str, depth: usize) -> Option<String> {
    match t["kind"].as_str().unwrap() {
        "NON_NULL" => literal(s, &t["ofType"], name, depth),
        "LIST" => Some(format!("[{}]", literal(s, &t["ofType"], name, depth)?)),
        "ENUM" => {
            let ty = &s.types[t["name"].as_str().unwrap()];
            Some(ty["enumValues"][0]["name"].as_str().unwrap().to_owned())
        }
        "INPUT_OBJECT" => {
            if depth > 4 {
                return None;
            }
            let ty = &s.types[t["name"].as_str().unwrap()];
            let mut parts = Vec::new();
            for f in ty["inputFields"].as_array().unwrap() {
                if required(f) {
                    let n = f["name"].as_str().unwrap();
                    parts.push(format!("{n}: {}", literal(s, &f["type"], n, depth + 1)?));
                }
            }
            Some(format!("{{ {} }}", parts.join(", ")))
        }
        _ => Some(
            match t["name"].as_str().unwrap() {
                "ID" => "\"1\"",
                "String" => "\"x\"",
                "Int" if name == "year" => "2026",
                "Int" => "1",
                "Float" => "1.0",
                "Boolean" => "false",
                "DateTime" => "\"2026-11-30T03:00:00Z\"",
                "NaiveDate" => "\"2026-11-30\"",
                "JSON" => "{}",
                _ => return None,
            }
            .to_owned(),
        ),
    }
}

/// One place a value can be put: a root field's argument, or a field of an
/// input object inside it (path of names).
#[derive(Clone, Debug)]
struct Slot {
    root: String,
    field: Value,
    path: Vec<String>,
    ty: Value,
    description: Option<String>,
}

fn slots(s: &Schema) -> Vec<Slot> {
    let mut out = Vec::new();
    for root in [&s.query, &s.mutation] {
        for field in s.fields_of(root) {
            for arg in field["args"].as_array().unwrap() {
                let base = Slot {
                    root: root.clone(),
                    field: field.clone(),
                    path: vec![arg["name"].as_str().unwrap().to_owned()],
                    ty: arg["type"].clone(),
                    description: arg["description"].as_str().map(str::to_owned),
                };
                nested(s, base, &mut out, 0);
            }
        }
    }
    out
}

fn nested(s: &Schema, slot: Slot, out: &mut Vec<Slot>, depth: usize) {
    let (name, _) = named(&slot.ty);
    out.push(slot.clone());
    if depth > 3 {
        return;
    }
    if s.types[&name]["kind"] == "INPUT_OBJECT" {
        for f in s.types[&name]["inputFields"].as_array().unwrap() {
            let mut path = slot.path.clone();
            path.push(f["name"].as_str().unwrap().to_owned());
            nested(
                s,
                Slot {
                    path,
                    ty: f["type"].clone(),
                    description: f["description"].as_str().map(str::to_owned),
                    ..slot.clone()
                },
                out,
                depth + 1,
            );
        }
    }
}

/// The operation that puts `value` (a literal) at the slot and fills every
/// other required place with a literal of the right type.
fn operation(s: &Schema, slot: &Slot, value: &str) -> Option<String> {
    let field = &slot.field;
    let mut args = Vec::new();
    for arg in field["args"].as_array().unwrap() {
        let n = arg["name"].as_str().unwrap();
        if n == slot.path[0] {
            args.push(format!(
                "{n}: {}",
                place(s, &arg["type"], &slot.path[1..], value)?
            ));
        } else if required(arg) {
            args.push(format!("{n}: {}", literal(s, &arg["type"], n, 0)?));
        }
    }
    let (ret, _) = named(&field["type"]);
    let selection = match s.types[&ret]["kind"].as_str().unwrap() {
        "OBJECT" | "INTERFACE" | "UNION" => " { __typename }",
        _ => "",
    };
    let keyword = if slot.root == s.mutation {
        "mutation"
    } else {
        "query"
    };
    Some(format!(
        "{keyword} {{ {}({}){selection} }}",
        field["name"].as_str().unwrap(),
        args.join(", ")
    ))
}

/// `value` at `path` inside a value of type `t`.
fn place(s: &Schema, t: &Value, path: &[String], value: &str) -> Option<String> {
    if path.is_empty() {
        return Some(value.to_owned());
    }
    let (name, list) = named(t);
    let ty = &s.types[&name];
    let mut parts = Vec::new();
    for f in ty["inputFields"].as_array().unwrap() {
        let n = f["name"].as_str().unwrap();
        if n == path[0] {
            parts.push(format!("{n}: {}", place(s, &f["type"], &path[1..], value)?));
        } else if required(f) {
            parts.push(format!("{n}: {}", literal(s, &f["type"], n, 1)?));
        }
    }
    let object = format!("{{ {} }}", parts.join(", "));
    Some(if list { format!("[{object}]") } else { object })
}

async fn post(t: &TestApp, token: Option<&str>, query: &str) -> (u16, Value) {
    let mut req = Request::post("/graphql").header("content-type", "application/json");
    if let Some(token) = token {
        req = req.header("authorization", format!("Bearer {token}"));
    }
    let body = json!({ "query": query }).to_string();
    let (status, v) = t.send(req.body(Body::from(body)).unwrap()).await;
    (status.as_u16(), v)
}

fn codes(v: &Value) -> Vec<String> {
    v["errors"]
        .as_array()
        .map(|es| {
            es.iter()
                .map(|e| {
                    e["extensions"]["code"]
                        .as_str()
                        .unwrap_or("(none)")
                        .to_owned()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The maximum a description states: "At most N characters".
fn stated_limit(description: Option<&str>) -> Option<usize> {
    let d = description?;
    let at = d.find("At most ")? + "At most ".len();
    let n: String = d[at..].chars().take_while(|c| c.is_ascii_digit()).collect();
    let rest = &d[at + n.len()..];
    rest.starts_with(" characters").then(|| n.parse().ok())?
}

#[tokio::test]
async fn every_string_argument_states_its_limit_and_refuses_one_character_more() {
    let t = TestApp::spawn().await;
    let s = Schema::load(&t).await;
    let mut unstated = Vec::new();
    let mut unenforced = Vec::new();
    let mut checked = 0;
    // Arguments of fields below the root are stated too.
    for ty in s.types.values() {
        for f in ty["fields"].as_array().into_iter().flatten() {
            for a in f["args"].as_array().unwrap() {
                if named(&a["type"]).0 == "String"
                    && stated_limit(a["description"].as_str()).is_none()
                {
                    unstated.push(format!("{}.{}({})", ty["name"], f["name"], a["name"]));
                }
            }
        }
    }
    for slot in slots(&s) {
        if named(&slot.ty).0 != "String" {
            continue;
        }
        let where_ = format!("{}({})", slot.field["name"], slot.path.join("."));
        let Some(max) = stated_limit(slot.description.as_deref()) else {
            unstated.push(where_);
            continue;
        };
        let long = format!("\"{}\"", "a".repeat(max + 1));
        let value = if named(&slot.ty).1 {
            format!("[{long}]")
        } else {
            long
        };
        let Some(op) = operation(&s, &slot, &value) else {
            continue;
        };
        let (_, v) = post(&t, None, &op).await;
        let field = v["errors"][0]["extensions"]["field"].as_str().unwrap_or("");
        let last = slot.path.last().unwrap();
        // The field is named bare or by its path (`filter.search`).
        let named = field.rsplit('.').next() == Some(last.as_str());
        if codes(&v).first().map(String::as_str) != Some("BAD_USER_INPUT") || !named {
            unenforced.push(format!("{where_}: {v}"));
        }
        checked += 1;
    }
    assert!(unstated.is_empty(), "no stated limit: {unstated:#?}");
    assert!(unenforced.is_empty(), "limit not enforced: {unenforced:#?}");
    assert!(checked > 100, "only {checked} string places were checked");
}

/// Values of the wrong type, or out of any range the databases hold, for
/// each kind of argument.
fn wrong_values(s: &Schema, ty: &Value) -> Vec<String> {
    let (name, _) = named(ty);
    let strings = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    match (s.types[&name]["kind"].as_str().unwrap(), name.as_str()) {
        ("INPUT_OBJECT", _) => strings(&["\"x\"", "{}", "[1]"]),
        ("ENUM", _) => strings(&["NOPE", "\"X\"", "1"]),
        (_, "String") => strings(&["12345", "true", "\"nul\\u0000byte\"", "{ a: 1 }"]),
        (_, "ID") => strings(&[
            "1.5",
            "true",
            "\"-1\"",
            "\"abc\"",
            "\"99999999999999999999\"",
            "\"9223372036854775807\"",
        ]),
        (_, "Int") => strings(&["\"x\"", "2147483648", "-2147483648", "-4714", "0"]),
        (_, "Float") => strings(&["\"x\"", "1e308", "-1", "0"]),
        (_, "Boolean") => strings(&["\"true\"", "1"]),
        (_, "DateTime") => strings(&[
            "1700000000",
            "\"garbage\"",
            "\"-4714-01-01T00:00:00Z\"",
            "\"+200000-01-01T00:00:00Z\"",
            "\"0001-01-01T00:00:00Z\"",
        ]),
        (_, "NaiveDate") => strings(&[
            "20261130",
            "\"2026-13-45\"",
            "\"0001-01-01\"",
            "\"9999-12-31\"",
        ]),
        (_, "JSON") => strings(&[
            "\"x\"",
            "[1]",
            "{ a: \"\\u0000\" }",
            "{ a: [[[[[[[[[[1]]]]]]]]]] }",
        ]),
        (_, "Upload") => strings(&["\"file\"", "1"]),
        _ => Vec::new(),
    }
}

#[tokio::test]
async fn no_argument_of_the_wrong_type_or_range_answers_internal() {
    let t = TestApp::spawn().await;
    let s = Schema::load(&t).await;
    let mut faults = Vec::new();
    let mut sent = 0;
    for who in ["quantri@demo.motcua.vn", "congdan@demo.motcua.vn"] {
        let mut token = t.login_demo(who).await;
        for slot in slots(&s) {
            for value in wrong_values(&s, &slot.ty) {
                let Some(op) = operation(&s, &slot, &value) else {
                    continue;
                };
                let (status, v) = post(&t, Some(&token), &op).await;
                sent += 1;
                if status >= 500 || codes(&v).iter().any(|c| c == "INTERNAL" || c == "(none)") {
                    faults.push(format!("{op}\n  → {status} {v}"));
                }
                if codes(&v).iter().any(|c| c == "UNAUTHENTICATED") {
                    // An operation ended the session (logout-like): sign in again.
                    token = t.login_demo(who).await;
                }
            }
        }
    }
    assert!(
        faults.is_empty(),
        "{} faults:\n{}",
        faults.len(),
        faults.join("\n")
    );
    assert!(sent > 500, "only {sent} requests were sent");
}
