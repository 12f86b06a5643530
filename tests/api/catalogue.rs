//! The catalogue: agencies, sectors and fields, procedure search, filters,
//! pagination, and versioned editing by ADMIN.

use serde_json::{json, Value};

use crate::helpers::{error_code, error_field, TestApp};

const SEARCH: &str = "query($f: ProcedureFilter, $n: Int, $a: String) {
  procedures(filter: $f, first: $n, after: $a) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { id code name status onlineServiceLevel processingHours sector { id } field { id }
      current { levels agencies { id } } } }
  }
}";

fn nodes(d: &Value) -> Vec<Value> {
    d["procedures"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

fn codes(d: &Value) -> Vec<String> {
    nodes(d)
        .iter()
        .map(|n| n["code"].as_str().unwrap().to_owned())
        .collect()
}

/// Folds like the server should: lower case, no diacritics, đ → d.
fn fold(s: &str) -> String {
    let table = [
        ("aàáảãạăằắẳẵặâầấẩẫậ", 'a'),
        ("eèéẻẽẹêềếểễệ", 'e'),
        ("iìíỉĩị", 'i'),
        ("oòóỏõọôồốổỗộơờớởỡợ", 'o'),
        ("uùúủũụưừứửữự", 'u'),
        ("yỳýỷỹỵ", 'y'),
        ("dđ", 'd'),
    ];
    s.to_lowercase()
        .chars()
        .map(|c| {
            table
                .iter()
                .find(|(set, _)| set.contains(c))
                .map(|(_, b)| *b)
                .unwrap_or(c)
        })
        .collect()
}

#[tokio::test]
async fn search_ignores_diacritics_and_case() {
    let t = TestApp::spawn().await;
    let plain = t
        .data(
            None,
            SEARCH,
            json!({ "f": { "text": "cap giay phep xay dung" }, "n": 100 }),
        )
        .await;
    let marked = t
        .data(
            None,
            SEARCH,
            json!({ "f": { "text": "Cấp GIẤY phép Xây Dựng" }, "n": 100 }),
        )
        .await;
    let found = codes(&plain);
    assert!(!found.is_empty(), "the demo has construction permits");
    assert_eq!(found, codes(&marked));
    for n in nodes(&plain) {
        let name = fold(n["name"].as_str().unwrap());
        for word in ["cap", "giay", "phep", "xay", "dung"] {
            assert!(name.contains(word), "{name} lacks {word}");
        }
    }
    // Words in any order; a national code finds its procedure.
    let shuffled = t
        .data(
            None,
            SEARCH,
            json!({ "f": { "text": "xay dung giay phep cap" }, "n": 100 }),
        )
        .await;
    assert_eq!(codes(&shuffled), found);
    let by_code = t
        .data(None, SEARCH, json!({ "f": { "text": found[0] } }))
        .await;
    assert!(codes(&by_code).contains(&found[0]));
    let none = t
        .data(
            None,
            SEARCH,
            json!({ "f": { "text": "khong co thu tuc nao nhu vay" } }),
        )
        .await;
    assert_eq!(none["procedures"]["totalCount"], 0);
}

#[tokio::test]
async fn pages_walk_the_whole_list_with_stable_cursors() {
    let t = TestApp::spawn().await;
    let first = t.data(None, SEARCH, json!({ "n": 7 })).await;
    let total = first["procedures"]["totalCount"].as_u64().unwrap();
    assert!(total >= 40, "at least 40 demo procedures, got {total}");
    let mut seen: Vec<String> = codes(&first);
    let mut page = first;
    while page["procedures"]["pageInfo"]["hasNextPage"] == true {
        let after = page["procedures"]["pageInfo"]["endCursor"].clone();
        page = t.data(None, SEARCH, json!({ "n": 7, "a": after })).await;
        assert_eq!(page["procedures"]["totalCount"].as_u64().unwrap(), total);
        seen.extend(codes(&page));
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "no item twice");
    assert_eq!(seen.len() as u64, total, "no item skipped");

    // The same cursor gives the same page again.
    let a = t.data(None, SEARCH, json!({ "n": 5 })).await;
    let cursor = a["procedures"]["edges"][2]["cursor"].clone();
    let b1 = t.data(None, SEARCH, json!({ "n": 5, "a": cursor })).await;
    let b2 = t.data(None, SEARCH, json!({ "n": 5, "a": cursor })).await;
    assert_eq!(codes(&b1), codes(&b2));
    assert_eq!(codes(&b1)[..2], codes(&a)[3..5]);
}

#[tokio::test]
async fn bad_page_arguments_are_refused() {
    let t = TestApp::spawn().await;
    let v = t.gql(None, SEARCH, json!({ "n": 101 })).await;
    assert_eq!(
        (error_code(&v), error_field(&v)),
        ("BAD_USER_INPUT", "first")
    );
    let v = t
        .gql(None, SEARCH, json!({ "n": 5, "a": "not-a-cursor" }))
        .await;
    assert_eq!(
        (error_code(&v), error_field(&v)),
        ("BAD_USER_INPUT", "after")
    );
}

#[tokio::test]
async fn filters_narrow_the_list_consistently() {
    let t = TestApp::spawn().await;
    let all = nodes(&t.data(None, SEARCH, json!({ "n": 100 })).await);
    let some = &all[0];
    let sector = some["sector"]["id"].clone();
    let field = some["field"]["id"].clone();
    let level = some["current"]["levels"][0].clone();
    let agency = some["current"]["agencies"][0]["id"].clone();
    let online = some["onlineServiceLevel"].clone();

    let check = |filter: Value, pred: Box<dyn Fn(&Value) -> bool>| {
        let expected: Vec<String> = all
            .iter()
            .filter(|n| pred(n))
            .map(|n| n["code"].as_str().unwrap().to_owned())
            .collect();
        (filter, expected)
    };
    let cases = vec![
        check(
            json!({ "sectorId": sector }),
            Box::new({
                let s = sector.clone();
                move |n: &Value| n["sector"]["id"] == s
            }),
        ),
        check(
            json!({ "fieldId": field }),
            Box::new({
                let f = field.clone();
                move |n: &Value| n["field"]["id"] == f
            }),
        ),
        check(
            json!({ "level": level }),
            Box::new({
                let l = level.clone();
                move |n: &Value| n["current"]["levels"].as_array().unwrap().contains(&l)
            }),
        ),
        check(
            json!({ "agencyId": agency }),
            Box::new({
                let a = agency.clone();
                move |n: &Value| {
                    n["current"]["agencies"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|x| x["id"] == a)
                }
            }),
        ),
        check(
            json!({ "onlineServiceLevel": online }),
            Box::new({
                let o = online.clone();
                move |n: &Value| n["onlineServiceLevel"] == o
            }),
        ),
        check(
            json!({ "sectorId": sector, "onlineServiceLevel": online }),
            Box::new({
                let (s, o) = (sector.clone(), online.clone());
                move |n: &Value| n["sector"]["id"] == s && n["onlineServiceLevel"] == o
            }),
        ),
    ];
    for (filter, expected) in cases {
        assert!(!expected.is_empty());
        let d = t.data(None, SEARCH, json!({ "f": filter, "n": 100 })).await;
        assert_eq!(codes(&d), expected, "filter {filter}");
        assert_eq!(
            d["procedures"]["totalCount"].as_u64().unwrap(),
            expected.len() as u64
        );
    }
}

#[tokio::test]
async fn the_agency_tree_has_the_two_level_structure() {
    let t = TestApp::spawn().await;
    let q = "{ agencies(filter: { rootsOnly: true }) { totalCount edges { node { code level kind children { code level kind active children { kind } } } } } }";
    let d = t.data(None, q, json!({})).await;
    assert_eq!(d["agencies"]["totalCount"], 1, "one province at the root");
    let root = &d["agencies"]["edges"][0]["node"];
    assert_eq!(
        (root["level"].as_str(), root["kind"].as_str()),
        (Some("PROVINCE"), Some("PEOPLES_COMMITTEE"))
    );
    let children = root["children"].as_array().unwrap();
    let departments = children
        .iter()
        .filter(|c| c["kind"] == "DEPARTMENT")
        .count();
    assert!(departments >= 20, "{departments} departments");
    let communes: Vec<&Value> = children
        .iter()
        .filter(|c| c["level"] == "COMMUNE")
        .collect();
    assert!(!communes.is_empty());
    for c in communes {
        assert!(
            c["children"]
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d["kind"] == "ONE_STOP_UNIT"),
            "each commune has a one-stop unit"
        );
    }
    // Districts are kept for history, inactive.
    let districts = t
        .data(
            None,
            "{ agencies(filter: { level: DISTRICT }) { edges { node { active } } } }",
            json!({}),
        )
        .await;
    for e in districts["agencies"]["edges"].as_array().unwrap() {
        assert_eq!(e["node"]["active"], false);
    }
    let all = t
        .data(None, "{ agencies(first: 1) { totalCount } }", json!({}))
        .await;
    assert!(all["agencies"]["totalCount"].as_u64().unwrap() >= 60);
    // Search agencies without diacritics.
    let found = t
        .data(
            None,
            "{ agencies(filter: { text: \"so tu phap\" }) { edges { node { name } } } }",
            json!({}),
        )
        .await;
    assert!(found["agencies"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["node"]["name"]
            .as_str()
            .unwrap()
            .starts_with("Sở Tư pháp")));
}

#[tokio::test]
async fn labels_come_in_vietnamese_or_english() {
    let t = TestApp::spawn().await;
    let q = "{ agencies(filter: { rootsOnly: true }) { edges { node { levelLabel kindLabel } } } enumLabels(enumName: \"OnlineServiceLevel\") { value vi en } }";
    let vi = t.data(None, q, json!({})).await;
    assert_eq!(vi["agencies"]["edges"][0]["node"]["levelLabel"], "Cấp tỉnh");
    assert_eq!(
        vi["enumLabels"][0],
        json!({ "value": "FULL", "vi": "Toàn trình", "en": "Full" })
    );
    let en = t
        .gql_with(None, q, json!({}), &[("accept-language", "en-US,en;q=0.9")])
        .await;
    assert_eq!(
        en["data"]["agencies"]["edges"][0]["node"]["levelLabel"],
        "Province"
    );
}

pub fn content(sector: &Value, field: &Value, agency: &Value, days: u32) -> Value {
    json!({
        "name": "Cấp giấy phép khai thác nước dưới đất",
        "sectorId": sector, "fieldId": field, "levels": ["PROVINCE"], "agencyIds": [agency],
        "onlineServiceLevel": "PARTIAL",
        "processingTime": { "amount": days, "unit": "WORKING_DAYS" },
        "methods": [{ "method": "DIRECT" }, { "method": "ONLINE", "description": "Qua Cổng Dịch vụ công tỉnh" }],
        "components": [{ "name": "Đơn đề nghị cấp phép", "originals": 1, "copies": 0, "required": true, "formTemplate": "Mẫu 01" }],
        "resultDocument": "Giấy phép khai thác nước dưới đất",
        "fees": [{ "name": "Phí thẩm định", "amountVnd": 1500000 }],
        "internalProcess": [
            { "name": "Tiếp nhận", "role": "RECEPTION_OFFICER", "workingHours": 4 },
            { "name": "Thẩm định", "role": "SPECIALIST", "workingHours": days * 8 - 8 },
            { "name": "Phê duyệt", "role": "AGENCY_LEADER", "workingHours": 4 }
        ]
    })
}

pub const CREATE: &str = "mutation($i: CreateProcedureInput!) { createProcedure(input: $i) { id code status currentVersion processingHours } }";
const UPDATE: &str = "mutation($id: ID!, $v: Int!, $i: UpdateProcedureInput!) { updateProcedure(id: $id, expectedVersion: $v, input: $i) { currentVersion processingHours name versions { versionNo decisionRef processingTime { amount workingHours } } } }";

pub async fn refs(t: &TestApp) -> (Value, Value, Value) {
    let d = t
        .data(
            None,
            "{ sectors { id fields { id } } agencies(first: 1) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    (
        d["sectors"][0]["id"].clone(),
        d["sectors"][0]["fields"][0]["id"].clone(),
        d["agencies"]["edges"][0]["node"]["id"].clone(),
    )
}

#[tokio::test]
async fn admins_publish_and_edit_procedures_in_versions() {
    let t = TestApp::spawn().await;
    let admin = t.login_demo("quantri@demo.motcua.vn").await;
    let (s, f, a) = refs(&t).await;
    let d = t
        .data(Some(&admin), CREATE, json!({ "i": { "code": "2.000999", "content": content(&s, &f, &a, 10), "decisionRef": "QĐ 100/QĐ-UBND" } }))
        .await;
    let p = &d["createProcedure"];
    assert_eq!(
        (
            p["status"].as_str(),
            p["currentVersion"].as_i64(),
            p["processingHours"].as_i64()
        ),
        (Some("ACTIVE"), Some(1), Some(80))
    );
    let id = p["id"].clone();

    let edited = t
        .data(Some(&admin), UPDATE, json!({ "id": id, "v": 1, "i": { "content": content(&s, &f, &a, 15), "decisionRef": "QĐ 200/QĐ-UBND" } }))
        .await;
    let u = &edited["updateProcedure"];
    assert_eq!(u["currentVersion"], 2);
    assert_eq!(u["processingHours"], 120);
    assert_eq!(u["versions"].as_array().unwrap().len(), 2);
    assert_eq!(
        u["versions"][0]["processingTime"],
        json!({ "amount": 10, "workingHours": 80 })
    );
    assert_eq!(u["versions"][1]["decisionRef"], "QĐ 200/QĐ-UBND");

    // A stale editor loses and changes nothing.
    let v = t
        .gql(
            Some(&admin),
            UPDATE,
            json!({ "id": id, "v": 1, "i": { "content": content(&s, &f, &a, 20) } }),
        )
        .await;
    assert_eq!(error_code(&v), "VERSION_CONFLICT");
    let now = t
        .data(
            None,
            "query($id: ID) { procedure(id: $id) { currentVersion processingHours } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        now["procedure"],
        json!({ "currentVersion": 2, "processingHours": 120 })
    );

    // Search finds it under its new state; code lookup works.
    let found = t
        .data(
            None,
            SEARCH,
            json!({ "f": { "text": "khai thac nuoc duoi dat" } }),
        )
        .await;
    assert!(codes(&found).contains(&"2.000999".to_owned()));
    let by_code = t.data(None, "{ procedure(code: \"2.000999\") { current { name fees { amountVnd } totalFeeVnd internalProcess { role workingHours } } } }", json!({})).await;
    assert_eq!(by_code["procedure"]["current"]["totalFeeVnd"], 1500000);
}

#[tokio::test]
async fn procedure_records_are_validated() {
    let t = TestApp::spawn().await;
    let admin = t.login_demo("quantri@demo.motcua.vn").await;
    let (s, f, a) = refs(&t).await;
    let mut bad_steps = content(&s, &f, &a, 10);
    bad_steps["internalProcess"][1]["workingHours"] = json!(1);
    let v = t
        .gql(
            Some(&admin),
            CREATE,
            json!({ "i": { "code": "2.000998", "content": bad_steps } }),
        )
        .await;
    assert_eq!(
        (error_code(&v), error_field(&v)),
        ("BAD_USER_INPUT", "content.internalProcess")
    );

    let mut unknown_agency = content(&s, &f, &a, 10);
    unknown_agency["agencyIds"] = json!(["987654"]);
    let v = t
        .gql(
            Some(&admin),
            CREATE,
            json!({ "i": { "code": "2.000998", "content": unknown_agency } }),
        )
        .await;
    assert_eq!(
        (error_code(&v), error_field(&v)),
        ("BAD_USER_INPUT", "content.agencyIds")
    );

    let existing = t.data(None, SEARCH, json!({ "n": 1 })).await;
    let taken = codes(&existing)[0].clone();
    let v = t
        .gql(
            Some(&admin),
            CREATE,
            json!({ "i": { "code": taken, "content": content(&s, &f, &a, 10) } }),
        )
        .await;
    assert_eq!(
        (error_code(&v), error_field(&v)),
        ("BAD_USER_INPUT", "code")
    );
    let none = t
        .data(None, SEARCH, json!({ "f": { "text": "2.000998" } }))
        .await;
    assert_eq!(none["procedures"]["totalCount"], 0, "nothing half-written");
}

#[tokio::test]
async fn suspending_and_abolishing_follow_the_rules() {
    let t = TestApp::spawn().await;
    let admin = t.login_demo("quantri@demo.motcua.vn").await;
    let first = nodes(&t.data(None, SEARCH, json!({ "n": 1 })).await)[0].clone();
    let id = first["id"].clone();
    let status =
        |name: &str| format!("mutation($id: ID!) {{ {name}(id: $id) {{ status statusLabel }} }}");

    let d = t
        .data(
            Some(&admin),
            &status("suspendProcedure"),
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        d["suspendProcedure"],
        json!({ "status": "SUSPENDED", "statusLabel": "Tạm ngưng" })
    );
    let suspended = t
        .data(None, SEARCH, json!({ "f": { "status": "SUSPENDED" } }))
        .await;
    assert_eq!(
        codes(&suspended),
        vec![first["code"].as_str().unwrap().to_owned()]
    );
    let v = t
        .gql(
            Some(&admin),
            &status("suspendProcedure"),
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_code(&v), "INVALID_TRANSITION");
    t.data(
        Some(&admin),
        &status("resumeProcedure"),
        json!({ "id": id }),
    )
    .await;
    t.data(
        Some(&admin),
        &status("abolishProcedure"),
        json!({ "id": id }),
    )
    .await;
    let v = t
        .gql(
            Some(&admin),
            &status("resumeProcedure"),
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_code(&v), "INVALID_TRANSITION");

    let citizen = t.login_demo("congdan@demo.motcua.vn").await;
    let v = t
        .gql(
            Some(&citizen),
            &status("suspendProcedure"),
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_code(&v), "FORBIDDEN");
    let v = t
        .gql(None, &status("suspendProcedure"), json!({ "id": id }))
        .await;
    assert_eq!(error_code(&v), "UNAUTHENTICATED");
}

#[tokio::test]
async fn admins_manage_agencies_without_making_cycles() {
    let t = TestApp::spawn().await;
    let admin = t.login_demo("quantri@demo.motcua.vn").await;
    let justice = t
        .agency_id(motcua::services::demo::DEMO_DEPARTMENT_CODE)
        .await;
    let create = "mutation($i: AgencyInput!) { createAgency(input: $i) { id code parent { id } levelLabel } }";
    let input = |parent: &str, code: &str| json!({ "i": { "parentId": parent, "code": code, "name": "Phòng Hành chính tư pháp", "level": "PROVINCE", "kind": "SPECIALIST_DIVISION", "email": "HCTP@quangngai.gov.vn" } });
    let d = t
        .data(Some(&admin), create, input(&justice, "000.99.01.H56"))
        .await;
    let division = d["createAgency"]["id"].as_str().unwrap().to_owned();
    assert_eq!(d["createAgency"]["parent"]["id"], justice.as_str());

    let v = t
        .gql(Some(&admin), create, input(&justice, "000.99.01.H56"))
        .await;
    assert_eq!(
        (error_code(&v), error_field(&v)),
        ("BAD_USER_INPUT", "code")
    );

    // Moving the department under its own division would make a cycle.
    let update = "mutation($id: ID!, $i: AgencyInput!) { updateAgency(id: $id, input: $i) { id } }";
    let mut moved = input(&division, motcua::services::demo::DEMO_DEPARTMENT_CODE);
    moved["i"]["kind"] = json!("DEPARTMENT");
    let v = t
        .gql(
            Some(&admin),
            update,
            json!({ "id": justice, "i": moved["i"] }),
        )
        .await;
    assert_eq!(
        (error_code(&v), error_field(&v)),
        ("BAD_USER_INPUT", "parentId")
    );

    let citizen = t.login_demo("congdan@demo.motcua.vn").await;
    let v = t
        .gql(Some(&citizen), create, input(&justice, "000.99.02.H56"))
        .await;
    assert_eq!(error_code(&v), "FORBIDDEN");
}
