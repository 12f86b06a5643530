//! Public statistics on a fixture whose numbers the test counts by hand.

use serde_json::{json, Value};

use crate::dossiers::flow;

const STATS: &str = "query($f: StatisticsFilter, $g: StatisticsGroup) { statistics(filter: $f, groupBy: $g) {
  from to total { received receivedOnline onlineShare settled early onTime late onTimeRate inProgressNotDue inProgressOverdue refused withdrawn }
  rows { key label received } } }";

#[tokio::test]
async fn statistics_count_what_happened_in_the_period() {
    let f = flow().await;
    // Two returned, one processing, one refused, one withdrawn before
    // reception, one counter dossier processing, one draft.
    for _ in 0..2 {
        let d = f.processing().await;
        let d = f.ok(&f.specialist, "submitForApproval", &d, "").await;
        let d = f.ok(&f.leader, "approveDossier", &d, "").await;
        f.ok(&f.reception, "returnResult", &d, ", method: COUNTER")
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

    let year = chrono::DateTime::parse_from_rfc3339(processing["receivedAt"].as_str().unwrap())
        .unwrap()
        .with_timezone(&chrono_tz::Asia::Ho_Chi_Minh)
        .format("%Y")
        .to_string()
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
    let rows: Vec<(String, i64)> = by_channel["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["key"].as_str().unwrap().to_owned(),
                r["received"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(rows, [("DIRECT".to_owned(), 1), ("ONLINE".to_owned(), 3)]);
    let by_agency = stats(json!({ "year": year }), "AGENCY").await;
    assert_eq!(
        by_agency["rows"][0]["label"].as_str().unwrap(),
        "Sở Xây dựng tỉnh Quảng Ngãi"
    );

    let ward = f.t.agency_id(motcua::services::demo::DEMO_WARD_CODE).await;
    let elsewhere = stats(json!({ "year": year, "agencyId": ward }), "NONE").await;
    assert_eq!(elsewhere["total"]["received"], 0);
    let before = stats(json!({ "year": year - 1 }), "NONE").await;
    assert_eq!(before["total"]["received"], 0);

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
    assert_eq!(crate::helpers::error_field(&v), "period.month");
}
