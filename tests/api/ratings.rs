//! Satisfaction ratings (Hà Nam Art. 13): who, when, once, revisable for
//! seven days; public summaries whose numbers the test counts by hand.

use serde_json::{json, Value};

use crate::fixtures::{flow, register_other_citizen, Flow};
use crate::helpers::error_code;

const RATE: &str = "mutation($d: ID!, $i: RateDossierInput!) { rateDossier(dossierId: $d, input: $i) { serviceUse staffAttitude processingTime comment revisedAt } }";
const SUMMARY: &str = "query($f: RatingSummaryFilter) { ratingSummary(filter: $f) { total criteria { criterion levels { level count share } } } }";

fn rating(s: &str, a: &str, p: &str) -> Value {
    json!({ "serviceUse": s, "staffAttitude": a, "processingTime": p, "comment": "Cán bộ nhiệt tình" })
}

async fn returned(f: &Flow) -> Value {
    let d = f.processing().await;
    let d = f.ok(&f.specialist, "submitForApproval", &d, "").await;
    let d = f.ok(&f.leader, "approveDossier", &d, "").await;
    f.paid(&d).await;
    f.ok(&f.reception, "returnResult", &d, ", method: COUNTER")
        .await
}

#[tokio::test]
async fn only_the_applicant_rates_and_only_after_the_result() {
    let f = flow().await;
    let open = f.processing().await;
    let r = rating("SATISFIED", "SATISFIED", "SATISFIED");
    let v =
        f.t.gql(Some(&f.citizen), RATE, json!({ "d": open["id"], "i": r }))
            .await;
    assert_eq!(error_code(&v), "INVALID_TRANSITION");
    let d = returned(&f).await;
    let other = register_other_citizen(&f.t).await;
    assert_eq!(
        error_code(
            &f.t.gql(Some(&other), RATE, json!({ "d": d["id"], "i": r }))
                .await
        ),
        "NOT_FOUND"
    );
    assert_eq!(
        error_code(
            &f.t.gql(Some(&f.reception), RATE, json!({ "d": d["id"], "i": r }))
                .await
        ),
        "FORBIDDEN"
    );
    assert_eq!(
        error_code(&f.t.gql(None, RATE, json!({ "d": d["id"], "i": r })).await),
        "UNAUTHENTICATED"
    );
    let ok =
        f.t.data(Some(&f.citizen), RATE, json!({ "d": d["id"], "i": r }))
            .await;
    assert_eq!(ok["rateDossier"]["serviceUse"], "SATISFIED");
    assert!(ok["rateDossier"]["revisedAt"].is_null());
    // Not eligible can be rated too.
    let n = f.processing().await;
    let n = f
        .ok(
            &f.specialist,
            "declareNotEligible",
            &n,
            ", reason: \"Không đủ điều kiện\"",
        )
        .await;
    f.t.data(Some(&f.citizen), RATE, json!({ "d": n["id"], "i": r }))
        .await;
}

#[tokio::test]
async fn a_rating_is_revised_within_seven_days_then_closed() {
    let f = flow().await;
    let d = returned(&f).await;
    f.t.data(
        Some(&f.citizen),
        RATE,
        json!({ "d": d["id"], "i": rating("NOT_SATISFIED", "SATISFIED", "SATISFIED") }),
    )
    .await;
    f.t.app.state.clock.advance(chrono::Duration::days(6));
    let f = f.relogin().await;
    let revised =
        f.t.data(
            Some(&f.citizen),
            RATE,
            json!({ "d": d["id"], "i": rating("VERY_SATISFIED", "SATISFIED", "SATISFIED") }),
        )
        .await;
    assert_eq!(revised["rateDossier"]["serviceUse"], "VERY_SATISFIED");
    assert!(revised["rateDossier"]["revisedAt"].is_string());
    let s = f.t.data(None, SUMMARY, json!({})).await;
    assert_eq!(s["ratingSummary"]["total"], 1, "still one rating");
    // The public statistics count the revised answers, and one rating.
    let stats = f
        .t
        .data(
            None,
            "{ statistics { total { rated verySatisfiedShare satisfiedShare notSatisfiedShare } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        stats["statistics"]["total"],
        json!({ "rated": 1, "verySatisfiedShare": 1.0 / 3.0, "satisfiedShare": 2.0 / 3.0, "notSatisfiedShare": 0.0 })
    );
    f.t.app.state.clock.advance(chrono::Duration::days(2));
    let f = f.relogin().await;
    let v =
        f.t.gql(
            Some(&f.citizen),
            RATE,
            json!({ "d": d["id"], "i": rating("SATISFIED", "SATISFIED", "SATISFIED") }),
        )
        .await;
    assert_eq!(error_code(&v), "INVALID_TRANSITION");
}

#[tokio::test]
async fn summaries_count_each_level_by_agency_and_period() {
    let f = flow().await;
    let given = [
        ("VERY_SATISFIED", "VERY_SATISFIED", "SATISFIED"),
        ("SATISFIED", "VERY_SATISFIED", "NOT_SATISFIED"),
        ("VERY_SATISFIED", "SATISFIED", "NOT_SATISFIED"),
    ];
    for (s, a, p) in given {
        let d = returned(&f).await;
        f.t.data(
            Some(&f.citizen),
            RATE,
            json!({ "d": d["id"], "i": rating(s, a, p) }),
        )
        .await;
    }
    let province = f.t.agency_id("000.00.00.H56").await;
    let ward = f.t.agency_id(motcua::services::demo::DEMO_WARD_CODE).await;
    let s =
        f.t.data(None, SUMMARY, json!({ "f": { "agencyId": province } }))
            .await;
    let summary = &s["ratingSummary"];
    assert_eq!(summary["total"], 3);
    // By hand: service use 2 very / 1 satisfied; attitude 2 very / 1
    // satisfied; time 1 satisfied / 2 not satisfied.
    let count = |criterion: &str, level: &str| -> (i64, f64) {
        let c = summary["criteria"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["criterion"] == criterion)
            .unwrap();
        let l = c["levels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["level"] == level)
            .unwrap();
        (l["count"].as_i64().unwrap(), l["share"].as_f64().unwrap())
    };
    assert_eq!(count("SERVICE_USE", "VERY_SATISFIED").0, 2);
    assert_eq!(count("SERVICE_USE", "SATISFIED").0, 1);
    assert_eq!(count("STAFF_ATTITUDE", "VERY_SATISFIED").0, 2);
    assert_eq!(count("PROCESSING_TIME", "NOT_SATISFIED"), (2, 2.0 / 3.0));
    assert_eq!(count("PROCESSING_TIME", "VERY_SATISFIED"), (0, 0.0));
    let s =
        f.t.data(None, SUMMARY, json!({ "f": { "agencyId": ward } }))
            .await;
    assert_eq!(
        s["ratingSummary"]["total"], 0,
        "another agency's summary is empty"
    );
    let s =
        f.t.data(
            None,
            SUMMARY,
            json!({ "f": { "to": "2000-01-01T00:00:00Z" } }),
        )
        .await;
    assert_eq!(s["ratingSummary"]["total"], 0, "no rating before 2000");
}
