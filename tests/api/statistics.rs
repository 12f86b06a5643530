//! Public statistics on a fixture whose numbers the test counts by hand.

use serde_json::{json, Value};

use crate::fixtures::flow;
use motcua::services::demo::DEMO_DEPARTMENT_CODE;

const STATS: &str = "query($f: StatisticsFilter, $g: StatisticsGroup) { statistics(filter: $f, groupBy: $g) {
  from to total { received receivedOnline onlineShare settled early onTime late onTimeRate inProgressNotDue inProgressOverdue refused withdrawn }
  rows { key label received } } }";
const RATING_STATS: &str =
    "query($f: StatisticsFilter, $g: StatisticsGroup) { statistics(filter: $f, groupBy: $g) {
  total { rated verySatisfiedShare satisfiedShare notSatisfiedShare satisfactionRate }
  rows { key label received settled rated inProgressNotDue } } }";
const RATE: &str = "mutation($d: ID!, $i: RateDossierInput!) { rateDossier(dossierId: $d, input: $i) { ratedAt } }";

/// (key, received) of each row.
fn received_by_key(statistics: &Value) -> Vec<(String, i64)> {
    statistics["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["key"].as_str().unwrap().to_owned(),
                r["received"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// An instant formatted in the province's local time.
fn local(instant: &str, format: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(instant)
        .unwrap()
        .with_timezone(&chrono_tz::Asia::Ho_Chi_Minh)
        .format(format)
        .to_string()
}

#[tokio::test]
async fn statistics_count_what_happened_in_the_period() {
    let f = flow().await;
    // Two returned, one processing, one refused, one withdrawn before
    // reception, one counter dossier processing, one draft.
    // The two returned are rated: (very satisfied, very satisfied, not
    // satisfied) and (satisfied ×3): of six answers, two very satisfied,
    // three satisfied, one not.
    let ratings = [
        ["VERY_SATISFIED", "VERY_SATISFIED", "NOT_SATISFIED"],
        ["SATISFIED", "SATISFIED", "SATISFIED"],
    ];
    for r in ratings {
        let d = f.processing().await;
        let d = f.ok(&f.specialist, "submitForApproval", &d, "").await;
        let d = f.ok(&f.leader, "approveDossier", &d, "").await;
        f.paid(&d).await;
        let d = f
            .ok(&f.reception, "returnResult", &d, ", method: COUNTER")
            .await;
        let input = json!({ "serviceUse": r[0], "staffAttitude": r[1], "processingTime": r[2] });
        f.t.data(Some(&f.citizen), RATE, json!({ "d": d["id"], "i": input }))
            .await;
    }
    let processing = f.processing().await;
    let d = f.submitted().await;
    f.ok(
        &f.reception,
        "refuseDossier",
        &d,
        ", reason: \"Sai thẩm quyền\"",
    )
    .await;
    let d = f.submitted().await;
    f.ok(&f.citizen, "withdrawDossier", &d, "").await;
    let input = json!({ "procedureId": f.procedure["id"], "agencyId": f.department, "formData": f.form, "applicant": { "name": "Lê Văn Quầy" } });
    let counter =
        f.t.data(
            Some(&f.reception),
            "mutation($i: IntakeInput!) { registerCounterDossier(input: $i) { id version } }",
            json!({ "i": input }),
        )
        .await["registerCounterDossier"]
            .clone();
    f.ok(&f.reception, "transferDossier", &counter, "").await;
    f.draft().await;

    let year = local(processing["receivedAt"].as_str().unwrap(), "%Y")
        .parse::<i32>()
        .unwrap();
    let stats = |filter: Value, group: &str| {
        let t = f.t.clone_handle();
        let group = group.to_owned();
        async move {
            t.data(None, STATS, json!({ "f": filter, "g": group }))
                .await["statistics"]
                .clone()
        }
    };
    let s = stats(json!({ "year": year }), "NONE").await;
    assert_eq!(
        s["total"],
        json!({
            "received": 4, "receivedOnline": 3, "onlineShare": 0.75, "settled": 2, "early": 2, "onTime": 0, "late": 0,
            "onTimeRate": 1.0, "inProgressNotDue": 2, "inProgressOverdue": 0, "refused": 1, "withdrawn": 1
        })
    );
    let by_channel = stats(json!({ "year": year }), "CHANNEL").await;
    let rows: Vec<(String, i64)> = received_by_key(&by_channel);
    assert_eq!(rows, [("DIRECT".to_owned(), 1), ("ONLINE".to_owned(), 3)]);
    let by_agency = stats(json!({ "year": year }), "AGENCY").await;
    assert_eq!(
        by_agency["rows"][0]["label"].as_str().unwrap(),
        "Sở Xây dựng tỉnh Quảng Ngãi"
    );

    let rated =
        f.t.data(
            None,
            RATING_STATS,
            json!({ "f": { "year": year }, "g": "NONE" }),
        )
        .await;
    assert_eq!(
        rated["statistics"]["total"],
        json!({ "rated": 2, "verySatisfiedShare": 2.0 / 6.0, "satisfiedShare": 3.0 / 6.0, "notSatisfiedShare": 1.0 / 6.0, "satisfactionRate": 5.0 / 6.0 })
    );
    // By month: twelve rows, everything in this month; by quarter: four.
    let month = local(processing["receivedAt"].as_str().unwrap(), "%Y-%m");
    let by_month =
        f.t.data(
            None,
            RATING_STATS,
            json!({ "f": { "year": year }, "g": "MONTH" }),
        )
        .await;
    let rows = by_month["statistics"]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 12);
    assert_eq!(rows[0]["key"], format!("{year}-01"));
    assert_eq!(rows[0]["label"], format!("Tháng 01/{year}"));
    for r in rows {
        let this = r["key"] == month.as_str();
        assert_eq!(r["received"], if this { 4 } else { 0 }, "{r}");
        assert_eq!(r["settled"], if this { 2 } else { 0 }, "{r}");
        assert_eq!(r["rated"], if this { 2 } else { 0 }, "{r}");
        // Open now, received before the month ended: the two open dossiers
        // from their month on.
        let since = r["key"].as_str().unwrap() >= month.as_str();
        assert_eq!(r["inProgressNotDue"], if since { 2 } else { 0 }, "{r}");
    }
    let by_quarter =
        f.t.data(
            None,
            RATING_STATS,
            json!({ "f": { "year": year }, "g": "QUARTER" }),
        )
        .await;
    let quarters: Vec<(String, i64)> = received_by_key(&by_quarter["statistics"]);
    let this_quarter = format!(
        "{year}-Q{}",
        (month[5..].parse::<u32>().unwrap() - 1) / 3 + 1
    );
    assert_eq!(quarters.len(), 4);
    for (key, received) in quarters {
        assert_eq!(received, if key == this_quarter { 4 } else { 0 }, "{key}");
    }

    let ward = f.t.agency_id(motcua::services::demo::DEMO_WARD_CODE).await;
    let elsewhere = stats(json!({ "year": year, "agencyId": ward }), "NONE").await;
    assert_eq!(elsewhere["total"]["received"], 0);
    let before = stats(json!({ "year": year - 1 }), "NONE").await;
    assert_eq!(before["total"]["received"], 0);

    // The rollup rebuilt from the dossiers (as after a bulk import) says
    // what the one the transitions kept says.
    let both = || async {
        (
            stats(json!({ "year": year }), "CHANNEL").await,
            f.t.data(
                None,
                RATING_STATS,
                json!({ "f": { "year": year }, "g": "MONTH" }),
            )
            .await,
        )
    };
    let kept = both().await;
    motcua::services::rollup::rebuild(&f.t.app.state)
        .await
        .unwrap();
    let rebuilt = both().await;
    assert_eq!(kept, rebuilt);
    assert_eq!(rebuilt.0["total"]["received"], 4);

    // Three months on, the two open dossiers are overdue.
    f.t.app.state.clock.advance(chrono::Duration::days(90));
    let later = stats(json!({ "year": year }), "NONE").await;
    assert_eq!(
        (
            later["total"]["inProgressNotDue"].as_i64(),
            later["total"]["inProgressOverdue"].as_i64()
        ),
        (Some(0), Some(2))
    );
}

#[tokio::test]
async fn bad_periods_are_refused() {
    let f = flow().await;
    let v = f.t.gql(None, STATS, json!({ "f": { "month": 13 } })).await;
    assert_eq!(crate::helpers::error_code(&v), "BAD_USER_INPUT", "{v}");
    assert_eq!(crate::helpers::error_field(&v), "filter.month");
}

const EVALUATION: &str = "query($p: EvaluationPeriod, $a: ID) { agencyEvaluation(period: $p, agencyId: $a) {
  from to weights { group points }
  agencies { rank measured agency { code } points availablePoints percent
    groups { group maxPoints availablePoints points }
    indicators { indicator group computable reason numerator denominator ratio fullAt maxPoints points } } } }";

fn indicator<'a>(agency: &'a Value, code: &str) -> &'a Value {
    agency["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["indicator"] == code)
        .unwrap()
}

/// Asserts an indicator's inputs and points.
fn counted(agency: &Value, code: &str, numerator: i64, denominator: i64, points: f64) {
    let i = indicator(agency, code);
    assert_eq!(
        (&i["numerator"], &i["denominator"], &i["points"]),
        (&json!(numerator), &json!(denominator), &json!(points)),
        "{code}"
    );
}

#[tokio::test]
async fn the_agency_evaluation_scores_what_the_data_supports_and_ranks() {
    let f = flow().await;
    // Settled: one on time; one on time but sent back for a supplement
    // twice (late for the index). Open: one online, one at the counter.
    let d = f.processing().await;
    let d = f.ok(&f.specialist, "submitForApproval", &d, "").await;
    let d = f.ok(&f.leader, "approveDossier", &d, "").await;
    f.paid(&d).await;
    let first = f
        .ok(&f.reception, "returnResult", &d, ", method: COUNTER")
        .await;
    let items = ", items: [{ component: \"Đơn đề nghị\", reason: \"Sai mẫu\" }]";
    let mut d = f.submitted().await;
    for _ in 0..2 {
        d = f.ok(&f.reception, "requestSupplement", &d, items).await;
        d = f.ok(&f.citizen, "supplementDossier", &d, "").await;
    }
    let d = f.ok(&f.reception, "receiveDossier", &d, "").await;
    let d = f.ok(&f.reception, "transferDossier", &d, "").await;
    let d = f.ok(&f.specialist, "submitForApproval", &d, "").await;
    let d = f.ok(&f.leader, "approveDossier", &d, "").await;
    f.paid(&d).await;
    let second = f
        .ok(&f.reception, "returnResult", &d, ", method: COUNTER")
        .await;
    assert_eq!(second["supplementRequests"], 2);
    assert_eq!(second["timeliness"], "EARLY");
    let open = f.processing().await;
    let input = json!({ "procedureId": f.procedure["id"], "agencyId": f.department, "formData": f.form, "applicant": { "name": "Lê Văn Quầy" } });
    let counter =
        f.t.data(
            Some(&f.reception),
            "mutation($i: IntakeInput!) { registerCounterDossier(input: $i) { id } }",
            json!({ "i": input }),
        )
        .await["registerCounterDossier"]
            .clone();
    // Two more fees paid: one online, one at the counter.
    let p =
        f.t.data(
            Some(&f.citizen),
            "mutation($d: ID!) { createPayment(dossierId: $d) { reference } }",
            json!({ "d": open["id"] }),
        )
        .await["createPayment"]
            .clone();
    let (status, _) = crate::payments::callback(
        &f.t,
        &crate::payments::secret(&f.t),
        &crate::payments::success(&p["reference"], "GW-EV1", 150000),
    )
    .await;
    assert_eq!(status, axum::http::StatusCode::OK);
    f.t.data(
        Some(&f.reception),
        "mutation($i: RecordPaymentInput!) { recordPayment(input: $i) { id } }",
        json!({ "i": { "dossierId": counter["id"], "method": "COUNTER", "amountVnd": 150000 } }),
    )
    .await;
    // The counter dossier's scan, attached after its reception.
    let (status, v) = f
        .t
        .send(crate::helpers::multipart(
            &f.reception,
            "mutation($f: Upload!, $d: ID!) { uploadAttachment(dossierId: $d, component: \"Đơn đề nghị cấp giấy phép xây dựng theo Mẫu số 01 Phụ lục II Nghị định số 175/2024/NĐ-CP\", file: $f) { id } }",
            json!({ "d": counter["id"] }),
            "f",
            "don.pdf",
            &crate::helpers::pdf(2_000),
        ))
        .await;
    assert_eq!(status, axum::http::StatusCode::OK, "{v}");
    // One rating: two satisfied answers of three.
    f.t.data(
        Some(&f.citizen),
        RATE,
        json!({ "d": first["id"], "i": { "serviceUse": "VERY_SATISFIED", "staffAttitude": "SATISFIED", "processingTime": "NOT_SATISFIED" } }),
    )
    .await;

    let year = local(first["receivedAt"].as_str().unwrap(), "%Y")
        .parse::<i32>()
        .unwrap();
    let e =
        f.t.data(None, EVALUATION, json!({ "p": { "year": year } }))
            .await["agencyEvaluation"]
            .clone();
    let weights: Vec<f64> = e["weights"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["points"].as_f64().unwrap())
        .collect();
    assert_eq!(weights, [18.0, 20.0, 12.0, 10.0, 22.0, 18.0]);
    let agencies = e["agencies"].as_array().unwrap();
    let dept = agencies
        .iter()
        .find(|a| a["agency"]["code"] == DEMO_DEPARTMENT_CODE)
        .unwrap();

    // Progress: 1 of 2 settled on time → 20 × 0.6 × 1/2 = 6; the 3 online
    // dossiers received within 8 working hours → 20 × 0.4 = 8 (the counter
    // dossier, received as it was registered, is not judged: Thanh Hóa
    // Art. 11.1.a).
    counted(dept, "ON_TIME_SETTLEMENT", 1, 2, 6.0);
    counted(dept, "RECEPTION_WITHIN_8_HOURS", 3, 3, 8.0);
    // Satisfaction: 2 of 3 answers satisfied, full at 90 % →
    // 18 × 0.6 × (2/3) / 0.9 = 8.0.
    counted(dept, "SATISFIED_RATINGS", 2, 3, 8.0);
    // No feedback fell due: not computable.
    let feedback = indicator(dept, "FEEDBACK_ON_TIME");
    assert_eq!(feedback["computable"], false);
    assert!(feedback["reason"].as_str().unwrap().contains("phản ánh"));
    // One of the four received has a file → 22 × 0.4 × 0.25 / 0.8 = 2.75.
    counted(dept, "DIGITISED_DOSSIERS", 1, 4, 2.75);
    // Online submissions: 3 of 4 dossiers of an online procedure (when the
    // procedure is offered online), full at 50 % → 12 × 0.5 = 6.
    let level =
        f.t.data(
            None,
            "query($id: ID!) { procedure(id: $id) { current { onlineServiceLevel } } }",
            json!({ "id": f.procedure["id"] }),
        )
        .await["procedure"]["current"]["onlineServiceLevel"]
            .clone();
    if level == "NONE" {
        assert_eq!(indicator(dept, "ONLINE_SUBMISSIONS")["computable"], false);
    } else {
        counted(dept, "ONLINE_SUBMISSIONS", 3, 4, 6.0);
    }
    // Procedures of the department, counted from the public catalogue.
    let procs = f
        .t
        .data(
            None,
            "query($a: ID) { procedures(filter: { agencyId: $a, status: ACTIVE }, first: 100) { edges { node { current { onlineServiceLevel legalBasis components { name } steps subjects } } } } }",
            json!({ "a": f.department }),
        )
        .await;
    let nodes: Vec<&Value> = procs["procedures"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["node"]["current"])
        .collect();
    let nonempty = |v: &Value| !v.as_array().unwrap().is_empty();
    let complete = nodes
        .iter()
        .filter(|c| {
            nonempty(&c["legalBasis"])
                && nonempty(&c["components"])
                && nonempty(&c["steps"])
                && nonempty(&c["subjects"])
        })
        .count();
    let online = nodes
        .iter()
        .filter(|c| c["onlineServiceLevel"] != "NONE")
        .count();
    let published = indicator(dept, "PUBLISHED_RECORDS");
    assert_eq!(
        (&published["numerator"], &published["denominator"]),
        (&json!(complete), &json!(nodes.len()))
    );
    let offered = indicator(dept, "ONLINE_PROCEDURES");
    assert_eq!(
        (&offered["numerator"], &offered["denominator"]),
        (&json!(online), &json!(nodes.len()))
    );
    // Payments: 1 of 4 online (the two returned dossiers' fees were taken
    // at the counter before their return), full at 80 %
    // → 10 × 0.25 / 0.8 = 3.125, rounded 3.13.
    counted(dept, "ONLINE_PAYMENTS", 1, 4, 3.13);
    // Two results returned, neither as a file; three dossiers came online,
    // none reusing a stored document.
    counted(dept, "DIGITISED_RESULTS", 0, 2, 0.0);
    counted(dept, "DATA_REUSE", 0, 3, 0.0);
    // What the system does not record is not computable, with a reason.
    let sync = indicator(dept, "NATIONAL_PORTAL_SYNC");
    assert_eq!(sync["computable"], false);
    assert!(sync["points"].is_null());
    assert!(!sync["reason"].as_str().unwrap().is_empty());
    // The total is the sum of the indicators' points, of the points of the
    // computable ones, and anyone can recompute each from its inputs.
    let mut points = 0.0;
    let mut available = 0.0;
    for i in dept["indicators"].as_array().unwrap() {
        if let Some(p) = i["points"].as_f64() {
            let ratio = i["numerator"].as_f64().unwrap() / i["denominator"].as_f64().unwrap();
            let expected =
                i["maxPoints"].as_f64().unwrap() * (ratio / i["fullAt"].as_f64().unwrap()).min(1.0);
            assert!((p - expected).abs() < 0.006, "{i}");
            points += p;
            available += i["maxPoints"].as_f64().unwrap();
        }
    }
    assert!((dept["points"].as_f64().unwrap() - points).abs() < 0.01);
    assert!((dept["availablePoints"].as_f64().unwrap() - available).abs() < 0.01);
    let percent = dept["percent"].as_f64().unwrap();
    assert!((percent - 100.0 * points / available).abs() < 0.01);
    // The only agency with dossiers ranks first, above every idle agency
    // at 100 % of its catalogue alone (issue 16); then best first among
    // the unmeasured; nothing computable last.
    assert_eq!(
        (&dept["rank"], &dept["measured"]),
        (&json!(1), &json!(true))
    );
    let rest = &agencies[1..];
    assert!(rest.iter().all(|a| a["measured"] == false), "{rest:?}");
    assert!(rest.iter().any(|a| a["percent"].as_f64() > Some(percent)));
    let percents: Vec<f64> = rest
        .iter()
        .map(|a| a["percent"].as_f64().unwrap_or(-1.0))
        .collect();
    assert!(percents.windows(2).all(|w| w[0] >= w[1]), "{percents:?}");
    let idle = rest
        .iter()
        .find(|a| a["percent"].is_number())
        .expect("an idle agency scored on its catalogue");
    assert_eq!(indicator(idle, "ON_TIME_SETTLEMENT")["computable"], false);

    // The rollup rebuilt from the dossiers scores the same.
    motcua::services::rollup::rebuild(&f.t.app.state)
        .await
        .unwrap();
    let again =
        f.t.data(None, EVALUATION, json!({ "p": { "year": year } }))
            .await["agencyEvaluation"]
            .clone();
    assert_eq!(again, e);

    // A subtree and a quarter; a month is not an evaluation period.
    let ward = f.t.agency_id(motcua::services::demo::DEMO_WARD_CODE).await;
    let sub =
        f.t.data(
            None,
            EVALUATION,
            json!({ "p": { "year": year }, "a": ward }),
        )
        .await;
    assert!(sub["agencyEvaluation"]["agencies"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["agency"]["code"] != DEMO_DEPARTMENT_CODE));
    let v =
        f.t.gql(
            None,
            EVALUATION,
            json!({ "p": { "year": year, "quarter": 5 } }),
        )
        .await;
    assert_eq!(crate::helpers::error_field(&v), "period.quarter");
}

#[tokio::test]
async fn evaluation_weights_are_configuration() {
    let t = crate::helpers::TestApp::spawn_with(crate::helpers::Options {
        tune: |c| {
            c.evaluation_weights =
                motcua::domain::evaluation::Weights([10.0, 40.0, 10.0, 10.0, 20.0, 10.0])
        },
        ..Default::default()
    })
    .await;
    let e = t.data(None, EVALUATION, json!({})).await["agencyEvaluation"].clone();
    assert_eq!(e["weights"][1]["points"], 40.0);
    let some = &e["agencies"][0];
    assert_eq!(indicator(some, "ON_TIME_SETTLEMENT")["maxPoints"], 24.0);
    assert_eq!(
        indicator(some, "RECEPTION_WITHIN_8_HOURS")["maxPoints"],
        16.0
    );
}

#[tokio::test]
async fn a_period_with_nothing_to_count_has_no_rate() {
    let f = flow().await;
    // One dossier settled this year, so the province is not empty.
    let d = f.processing().await;
    f.approved(&d).await;
    // December of next year: nothing received, settled or rated.
    let next = chrono::Datelike::year(&f.t.app.now()) + 1;
    let q = "query($f: StatisticsFilter) { statistics(filter: $f) { total { received settled onlineShare onTimeRate rated verySatisfiedShare satisfiedShare notSatisfiedShare satisfactionRate } } }";
    let s =
        f.t.data(None, q, json!({ "f": { "year": next, "month": 12 } }))
            .await;
    assert_eq!(
        s["statistics"]["total"],
        json!({
            "received": 0, "settled": 0, "onlineShare": null, "onTimeRate": null, "rated": 0,
            "verySatisfiedShare": null, "satisfiedShare": null, "notSatisfiedShare": null, "satisfactionRate": null
        })
    );
    let r = f.t.data(
        None,
        "query($f: RatingSummaryFilter) { ratingSummary(filter: $f) { total criteria { levels { count share } } } }",
        json!({ "f": { "from": format!("{next}-12-01T00:00:00+07:00") } }),
    )
    .await;
    assert_eq!(r["ratingSummary"]["total"], 0);
    assert_eq!(
        r["ratingSummary"]["criteria"][0]["levels"][0],
        json!({ "count": 0, "share": null })
    );
}
