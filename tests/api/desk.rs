//! What officers and citizens see at the desk is exact (issue 16): the
//! receipt lists what was handed in, the control sheet's last row is the
//! return, and files and components agree.

use serde_json::{json, Value};

use crate::fixtures::{flow, Flow, FIELDS};
use crate::helpers::{self, error_code, error_field, pdf};

/// The construction permit for works (Sở Xây dựng, 1.009974): four
/// required components and a fifth "(nếu có)".
const WORKS_PERMIT: &str = "Cấp giấy phép xây dựng mới đối với công trình không theo tuyến";

async fn works_permit(f: &Flow) -> Value {
    let d = f.t.data(
        None,
        "query($a: ID) { procedures(filter: { agencyId: $a }, first: 50) { edges { node { id name current { components { name required } } } } } }",
        json!({ "a": f.department }),
    )
    .await;
    d["procedures"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .find(|p| p["name"] == WORKS_PERMIT)
        .expect("the demo has the works permit")
}

fn names(p: &Value, required: bool) -> Vec<String> {
    p["current"]["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["required"] == required)
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect()
}

/// The citizen's draft of procedure `p` whose e-form names `components`.
async fn draft(f: &Flow, p: &Value, components: &[String]) -> Value {
    let form = json!({ "components": components.iter().map(|n| json!({ "name": n })).collect::<Vec<_>>() });
    let q =
        format!("mutation($i: CreateDossierInput!) {{ createDossier(input: $i) {{ {FIELDS} }} }}");
    f.t.data(
        Some(&f.citizen),
        &q,
        json!({ "i": { "procedureId": p["id"], "agencyId": f.department, "formData": form } }),
    )
    .await["createDossier"]
        .clone()
}

async fn upload(f: &Flow, d: &Value, component: &str) -> Value {
    let (_, v) =
        f.t.send(helpers::multipart(
            &f.citizen,
            "mutation($f: Upload!, $d: ID!, $c: String!) { uploadAttachment(dossierId: $d, component: $c, file: $f) { id component } }",
            json!({ "d": d["id"], "c": component }),
            "f",
            "scan.pdf",
            &pdf(1_000),
        ))
        .await;
    v
}

#[tokio::test]
async fn the_receipt_lists_the_components_handed_in_and_a_file_is_enough() {
    let f = flow().await;
    let p = works_permit(&f).await;
    let required = names(&p, true);
    let optional = names(&p, false);
    assert_eq!((required.len(), optional.len()), (4, 1));
    assert!(optional[0].ends_with("(nếu có)"), "{optional:?}");
    // The e-form names three; the fourth is a file only.
    let d = draft(&f, &p, &required[..3]).await;
    let v = f.act(&f.citizen, "submitDossier", &d, "").await;
    assert_eq!(
        (error_code(&v), error_field(&v)),
        ("BAD_USER_INPUT", "formData.components"),
        "nothing holds the fourth yet: {v}"
    );
    // A file for a component the procedure does not have is refused.
    let v = upload(&f, &d, "Đơn").await;
    assert_eq!(
        (error_code(&v), error_field(&v)),
        ("BAD_USER_INPUT", "component"),
        "{v}"
    );
    let v = upload(&f, &d, &required[3]).await;
    assert!(v.get("errors").is_none(), "{v}");
    let d = f.ok(&f.citizen, "submitDossier", &d, "").await;
    let d = f.ok(&f.reception, "receiveDossier", &d, "").await;
    let r =
        f.t.data(
            Some(&f.reception),
            "query($id: ID!) { dossier(id: $id) { receipt { components } } }",
            json!({ "id": d["id"] }),
        )
        .await;
    // Form 01 lists the four handed in, in the procedure's order; not the
    // fifth, which nobody brought.
    assert_eq!(r["dossier"]["receipt"]["components"], json!(required));
}

#[tokio::test]
async fn the_control_sheets_last_row_is_the_return_not_the_reception() {
    let f = flow().await;
    let p = works_permit(&f).await;
    f.t.to_working_hours().await;
    let f = f.relogin().await;
    let d = draft(&f, &p, &names(&p, true)).await;
    let d = f.ok(&f.citizen, "submitDossier", &d, "").await;
    let d = f.ok(&f.reception, "receiveDossier", &d, "").await;
    let d = f.ok(&f.reception, "transferDossier", &d, "").await;
    f.t.app.state.clock.advance(chrono::Duration::days(3));
    let f = f.relogin().await;
    let d = f.approved(&d).await;
    // The return comes two days after the signature.
    f.t.app.state.clock.advance(chrono::Duration::days(2));
    let f = f.relogin().await;
    f.paid(&d).await;
    let d = f
        .ok(&f.reception, "returnResult", &d, ", method: COUNTER")
        .await;
    let sheet = f.t.data(
        Some(&f.reception),
        "query($id: ID!) { dossier(id: $id) { settledAt returnedAt receivedAt transferredAt controlSheet { steps role startedAt finishedAt } } }",
        json!({ "id": d["id"] }),
    )
    .await["dossier"]
        .clone();
    let rows = sheet["controlSheet"].as_array().unwrap();
    let (first, last) = (&rows[0], rows.last().unwrap());
    assert_eq!(last["steps"], json!(["Vào sổ, đóng dấu và trả kết quả"]));
    assert_eq!(
        (&first["startedAt"], &first["finishedAt"]),
        (&sheet["receivedAt"], &sheet["transferredAt"])
    );
    assert_eq!(
        (&last["startedAt"], &last["finishedAt"]),
        (&sheet["settledAt"], &sheet["returnedAt"]),
        "{sheet:#}"
    );
    assert_ne!(last["startedAt"], first["startedAt"]);
}

#[tokio::test]
async fn a_dossier_left_open_past_its_due_counts_late_in_the_evaluation() {
    let f = flow().await;
    let d = f.processing().await;
    // Past its legal due instant, still open.
    let due = chrono::DateTime::parse_from_rfc3339(d["legalDueAt"].as_str().unwrap()).unwrap();
    let now = f.t.app.now();
    f.t.app
        .state
        .clock
        .advance(due.with_timezone(&chrono::Utc) - now + chrono::Duration::days(1));
    let f = f.relogin().await;
    let year = chrono::Datelike::year(&f.t.app.now().with_timezone(&chrono_tz::Asia::Ho_Chi_Minh));
    let q = "query($p: EvaluationPeriod) { agencyEvaluation(period: $p) { agencies { measured agency { code } indicators { indicator numerator denominator points } } } }";
    let on_time = |e: &Value| -> Value {
        let dept = e["agencyEvaluation"]["agencies"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["agency"]["code"] == motcua::services::demo::DEMO_DEPARTMENT_CODE)
            .unwrap()
            .clone();
        let i = dept["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["indicator"] == "ON_TIME_SETTLEMENT")
            .unwrap()
            .clone();
        json!({ "measured": dept["measured"], "n": i["numerator"], "d": i["denominator"], "points": i["points"] })
    };
    // Nothing settled, one open past its due: 0 of 1 (Decision 766), not
    // "not computable" (which would let a late dossier left open help).
    let e = f.t.data(None, q, json!({ "p": { "year": year } })).await;
    assert_eq!(
        on_time(&e),
        json!({ "measured": true, "n": 0, "d": 1, "points": 0.0 })
    );
    // Settled late within the period: counted once, as late.
    let d = f.approved(&d).await;
    assert_eq!(d["timeliness"], "LATE");
    let e = f.t.data(None, q, json!({ "p": { "year": year } })).await;
    assert_eq!(
        on_time(&e),
        json!({ "measured": true, "n": 0, "d": 1, "points": 0.0 })
    );
}

#[tokio::test]
async fn not_found_names_the_dossier_in_both_languages() {
    let f = flow().await;
    let q = "query($id: ID!) { dossier(id: $id) { id } }";
    let vi =
        f.t.gql(Some(&f.reception), q, json!({ "id": "999999" }))
            .await;
    let en =
        f.t.gql_with(
            Some(&f.reception),
            q,
            json!({ "id": "999999" }),
            &[("accept-language", "en")],
        )
        .await;
    assert_eq!(
        (error_code(&vi), vi["errors"][0]["message"].as_str()),
        ("NOT_FOUND", Some("Không tìm thấy hồ sơ"))
    );
    assert_eq!(en["errors"][0]["message"], "dossier not found");
}

/// Every string of `v` that is an RFC 3339 instant.
fn instants(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) if chrono::DateTime::parse_from_rfc3339(s).is_ok() => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|i| instants(i, out)),
        Value::Object(map) => map.values().for_each(|i| instants(i, out)),
        _ => {}
    }
}

/// Every instant the API writes — a dossier's fields, its control sheet,
/// a history event's details, an audit summary, the calendar's answers —
/// is RFC 3339 in the province's zone to the whole second (issue 16,
/// item 8); what a client sends may carry any offset and a fraction.
#[tokio::test]
async fn every_instant_the_api_writes_is_local_to_the_whole_second() {
    let f = flow().await;
    let d = f.processing().await;
    let due = chrono::DateTime::parse_from_rfc3339(d["dueAt"].as_str().unwrap()).unwrap();
    // Sent in UTC with microseconds; written back at +07:00, truncated.
    let later = (due + chrono::Duration::days(5) + chrono::Duration::microseconds(750_000))
        .with_timezone(&chrono::Utc);
    let sent = later.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    assert!(sent.ends_with(".750000Z"), "{sent}");
    let args = format!(", reason: \"Cần xác minh thực địa\", newDueAt: \"{sent}\"");
    let a = f.ok(&f.leader, "issueApology", &d, &args).await;
    let written = (due + chrono::Duration::days(5)).to_rfc3339();
    assert!(written.ends_with("+07:00"), "{written}");
    assert_eq!(a["dueAt"], written.as_str());

    let q = "query($id: ID!) {
      dossier(id: $id) { createdAt updatedAt submittedAt receivedAt transferredAt dueAt legalDueAt
        controlSheet { startedAt dueAt finishedAt } }
      dossierEvents(dossierId: $id) { action at data }
      addWorkingTime(from: \"2026-12-01T01:00:00.750Z\", workingHours: 1) }";
    let v = f.t.data(Some(&f.leader), q, json!({ "id": d["id"] })).await;
    let apology = v["dossierEvents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "ISSUE_APOLOGY")
        .unwrap();
    assert_eq!(apology["data"]["newDueAt"], written.as_str(), "{apology}");
    // 08:00:00.75 local on a Tuesday, one working hour on.
    assert_eq!(v["addWorkingTime"], "2026-12-01T09:00:00+07:00");
    let admin = f.t.login_demo("quantri@demo.motcua.vn").await;
    let audit =
        f.t.data(
            Some(&admin),
            "{ auditLog(first: 50) { edges { node { at summary } } } }",
            json!({}),
        )
        .await;

    let mut all = Vec::new();
    instants(&a, &mut all);
    instants(&v, &mut all);
    instants(&audit, &mut all);
    assert!(all.len() > 20, "{all:?}");
    for s in &all {
        // 2026-12-01T09:00:00+07:00: no fraction, the province's offset.
        assert!(s.len() == 25 && s.ends_with("+07:00"), "{s}");
    }
}

/// Times are bounded to the years 1900–2200 as the province counts them
/// (issue 16, item 8): midnight of 1 January 1900 at +07:00 is 1899 in UTC
/// and is taken; 06:00 on 1 January 2201 at +07:00 is 2200 in UTC and is
/// refused.
#[tokio::test]
async fn the_year_bounds_are_the_provinces_years() {
    let f = flow().await;
    let q = "query($t: DateTime) { dossiers(filter: { submittedFrom: $t }) { totalCount } }";
    for (t, taken) in [
        ("1900-01-01T00:00:00+07:00", true),
        ("1899-12-31T17:00:00Z", true),
        ("1899-12-31T23:59:59+07:00", false),
        ("1899-12-31T16:59:59Z", false),
        ("2200-12-31T23:59:59+07:00", true),
        ("2201-01-01T06:00:00+07:00", false),
        ("2200-12-31T23:00:00Z", false),
    ] {
        let v = f.t.gql(Some(&f.reception), q, json!({ "t": t })).await;
        if taken {
            assert!(v.get("errors").is_none(), "{t}: {v}");
        } else {
            assert!(v.get("errors").is_some(), "{t}: {v}");
            assert_eq!(error_code(&v), "BAD_USER_INPUT", "{t}: {v}");
            assert_eq!(error_field(&v), "filter.submittedFrom", "{t}: {v}");
        }
    }
    // Old instants are written at +07:00 too, not at the tz database's
    // historical offsets (+07:06:40 in 1906, +08:00 in 1960), which
    // misstated them by seconds.
    for from in ["1906-06-01T08:00:00+07:00", "1960-06-01T08:00:00+07:00"] {
        let v =
            f.t.data(
                None,
                "query($f: DateTime!) { addWorkingTime(from: $f, workingHours: 1) }",
                json!({ "f": from }),
            )
            .await;
        let written = v["addWorkingTime"].as_str().unwrap();
        assert!(
            written.len() == 25 && written.ends_with("+07:00"),
            "{written}"
        );
    }
}

/// A query that does not validate is refused in the caller's language, as
/// specifically in Vietnamese as in English (issue 16, item 9): the same
/// names, types and suggestion.
#[tokio::test]
async fn validation_errors_speak_vietnamese_unless_english_is_asked_for() {
    let f = flow().await;
    let ask = |q: &'static str, lang: &'static str| {
        let t = &f.t;
        async move {
            let v = t
                .gql_with(None, q, json!({}), &[("accept-language", lang)])
                .await;
            assert_eq!(error_code(&v), "BAD_USER_INPUT", "{v}");
            assert!(v.get("data").is_none(), "{v}");
            v["errors"][0]["message"].as_str().unwrap().to_owned()
        }
    };
    let typo = "{ procedures(first: 1) { totalCount edges { node { nme } } } }";
    assert_eq!(
        ask(typo, "vi").await,
        "Kiểu \"Procedure\" không có trường \"nme\". Có phải ý bạn là \"name\"?"
    );
    assert_eq!(
        ask(typo, "en").await,
        "Unknown field \"nme\" on type \"Procedure\". Did you mean \"name\"?"
    );
    let missing = "{ trackDossier(code: \"X\") { statusLabel } }";
    assert_eq!(
        ask(missing, "vi").await,
        "Trường \"trackDossier\" của kiểu \"QueryRoot\" thiếu tham số bắt buộc \"idNumberOrPhone\""
    );
    let unused = "query Q($v: Int) { __typename }";
    assert_eq!(
        ask(unused, "vi").await,
        "Biến \"$v\" không được dùng trong thao tác \"Q\""
    );
    let broken = ask("{ procedures(", "vi").await;
    assert!(broken.starts_with("Truy vấn sai cú pháp:\n"), "{broken}");
    assert!(!ask("{ procedures(", "en").await.contains("cú pháp"));
}
