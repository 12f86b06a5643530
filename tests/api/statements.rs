//! How many SQL statements one request runs (issue 15): its session
//! look-up, its resolvers, its loaders' batches and its audit record, counted
//! for that request alone through the router (`store::counting`).

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use axum::body::Body;
use axum::http::Request;
use serde_json::{json, Value};

use crate::fixtures::{flow, form_for, ward};
use crate::helpers::TestApp;

/// Sends one GraphQL request and returns its answer and the statements it
/// ran.
async fn counted(t: &TestApp, token: Option<&str>, query: &str, variables: Value) -> (Value, u32) {
    let mut req = Request::post("/graphql").header("content-type", "application/json");
    if let Some(token) = token {
        req = req.header("authorization", format!("Bearer {token}"));
    }
    let body = json!({ "query": query, "variables": variables }).to_string();
    let req = req.body(Body::from(body)).unwrap();
    let count = Arc::new(AtomicU32::new(0));
    let (_, value) = motcua::store::counting(count.clone(), t.send(req)).await;
    assert!(value.get("errors").is_none(), "{value:#}");
    (value["data"].clone(), count.load(Ordering::Relaxed))
}

#[tokio::test]
async fn a_public_lookup_runs_one_statement() {
    let f = flow().await;
    let d = f.submitted().await;
    let d = f.ok(&f.reception, "receiveDossier", &d, "").await;
    let q = "query($c: String!, $k: String!) { trackDossier(code: $c, idNumberOrPhone: $k) { code procedureName applicantName status statusLabel receivedAt dueAt } }";
    let vars = json!({ "c": d["code"], "k": motcua::services::demo::DEMO_CITIZEN_ID });
    let (found, n) = counted(&f.t, None, q, vars).await;
    assert_eq!(found["trackDossier"]["code"], d["code"]);
    // The dossier by its code with its procedure's name; nothing written
    // (the throttle counts in memory or Redis).
    assert_eq!(n, 1);
}

const QUEUE: &str = "{ workQueue(first: 50) { totalCount edges { node { code status dueAt procedure { name } settlingAgency { name } receivingAgency { name } applicant { name idNumber } } } } }";

#[tokio::test]
async fn a_work_queue_page_runs_one_statement_per_relation() {
    // The session with its grants (1), the agency's subtree (1), the count and
    // the page (2), the audit record of the applicants shown (1), and one
    // batch per relation: procedures (1), agencies, receiving and settling
    // together (1). The page's size does not change it.
    let f = flow().await;
    for _ in 0..3 {
        let d = f.submitted().await;
        let d = f.ok(&f.reception, "receiveDossier", &d, "").await;
        f.ok(&f.reception, "transferDossier", &d, "").await;
    }
    for _ in 0..2 {
        f.submitted().await;
    }
    for token in [&f.reception, &f.specialist, &f.leader] {
        let (page, n) = counted(&f.t, Some(token), QUEUE, json!({})).await;
        let rows = page["workQueue"]["edges"].as_array().unwrap().len();
        assert!(rows >= 2, "{page}");
        assert!(n <= 7, "{n} statements for {rows} rows");
    }
}

#[tokio::test]
async fn statistics_by_agency_load_their_labels_in_one_statement() {
    let f = flow().await;
    let d = f.submitted().await;
    f.ok(&f.reception, "receiveDossier", &d, "").await;
    // A second agency's row: a counter dossier at the ward.
    let w = ward(&f).await;
    let q = "mutation($i: IntakeInput!, $p: CounterPaymentInput) { registerCounterDossier(input: $i, returnImmediately: true, feePayment: $p) { status } }";
    let input = json!({ "i": { "procedureId": w.immediate["id"], "agencyId": w.ward, "formData": form_for(&w.immediate), "applicant": { "name": "Đỗ Văn Chứng", "phone": "0905777888" } }, "p": w.fee_at_counter() });
    f.t.data(Some(&w.desk), q, input).await;

    let q = "{ statistics(groupBy: AGENCY) { rows { key label received inProgressNotDue } } }";
    let (stats, n) = counted(&f.t, None, q, json!({})).await;
    let rows = stats["statistics"]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{stats}");
    assert!(rows.iter().all(|r| r["label"] != "Tất cả"), "{stats}");
    // The rollup's flows, the open dossiers, the agencies' names.
    assert!(n <= 3, "{n} statements for {} rows", rows.len());
}

#[tokio::test]
async fn statistics_by_month_read_the_rollup_once() {
    let f = flow().await;
    let d = f.submitted().await;
    f.ok(&f.reception, "receiveDossier", &d, "").await;
    let q = "query($g: StatisticsGroup) { statistics(groupBy: $g) { total { received inProgressNotDue inProgressOverdue } rows { key received inProgressNotDue } } }";
    let (whole, _) = counted(&f.t, None, q, json!({ "g": "NONE" })).await;
    for g in ["MONTH", "QUARTER"] {
        let (by, n) = counted(&f.t, None, q, json!({ "g": g })).await;
        // The flows of every month, then the open dossiers at each end.
        assert!(n <= 2, "{g}: {n} statements");
        assert_eq!(
            by["statistics"]["total"], whole["statistics"]["total"],
            "{g}"
        );
        let rows = by["statistics"]["rows"].as_array().unwrap();
        let received: i64 = rows.iter().map(|r| r["received"].as_i64().unwrap()).sum();
        assert_eq!(received, 1, "{g}");
    }
}

#[tokio::test]
async fn an_officers_search_runs_one_statement_per_relation() {
    // The session with its grants (1), the agency's subtree (1), the search's
    // audit record (1), the count and the page (2), the audit record of the
    // applicants shown (1), procedures (1), agencies (1): as a work queue
    // page, plus the search's own record.
    let f = flow().await;
    for _ in 0..3 {
        f.submitted().await;
    }
    let q = "query($s: String) { dossiers(first: 50, filter: { search: $s }) { totalCount edges { node { code status procedure { name } settlingAgency { name } receivingAgency { name } applicant { name phone } } } } }";
    let (page, n) = counted(&f.t, Some(&f.reception), q, json!({ "s": "nguyen van an" })).await;
    assert_eq!(page["dossiers"]["totalCount"], 3, "{page}");
    assert!(n <= 8, "{n} statements");
}
