//! The working calendar through the API: the ADMIN's holidays and
//! compensatory days, and the deadline calculator. Dates are in 2183 (laid
//! out like 2031: 1 January is a Wednesday), a year the demo has no
//! holidays for until 2182 (it loads this year's and next year's), so each
//! test lays out its own.

use chrono::{DateTime, FixedOffset};
use serde_json::{json, Value};

use crate::catalogue::{content, refs, CREATE};
use crate::helpers::{error_code, error_field, TestApp};

const SET: &str = "mutation($d: NaiveDate!, $k: DayKind!, $n: String!) { setCalendarDay(date: $d, kind: $k, name: $n) { date kind kindLabel } }";
const ADD: &str = "query($f: DateTime!, $h: Float!) { addWorkingTime(from: $f, workingHours: $h) }";

fn instant(v: &Value) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap()
}

fn vn(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

async fn add(t: &TestApp, from: &str, hours: f64) -> DateTime<FixedOffset> {
    instant(&t.data(None, ADD, json!({ "f": from, "h": hours })).await["addWorkingTime"])
}

#[tokio::test]
async fn holidays_and_compensatory_days_move_deadlines() {
    let t = TestApp::spawn().await;
    let admin = t.login_demo("quantri@demo.motcua.vn").await;
    t.data(
        Some(&admin),
        SET,
        json!({ "d": "2183-01-01", "k": "HOLIDAY", "n": "Tết Dương lịch" }),
    )
    .await;
    let d = t
        .data(
            Some(&admin),
            SET,
            json!({ "d": "2183-01-04", "k": "WORKDAY", "n": "Làm bù" }),
        )
        .await;
    assert_eq!(d["setCalendarDay"]["kindLabel"], "Ngày làm bù");

    // Tuesday 31/12/2182 15:00 + 4 h: 2 h that day, 1/1 off, 2 h on Thursday.
    assert_eq!(
        add(&t, "2182-12-31T15:00:00+07:00", 4.0).await,
        vn("2183-01-02T09:30:00+07:00")
    );
    // Friday 3/1 16:00 + 2 h: one hour, then the compensatory Saturday.
    assert_eq!(
        add(&t, "2183-01-03T16:00:00+07:00", 2.0).await,
        vn("2183-01-04T08:30:00+07:00")
    );
    t.data(
        Some(&admin),
        "mutation { clearCalendarDay(date: \"2183-01-04\") }",
        json!({}),
    )
    .await;
    assert_eq!(
        add(&t, "2183-01-03T16:00:00+07:00", 2.0).await,
        vn("2183-01-06T08:30:00+07:00")
    );

    let days = t
        .data(
            None,
            "{ calendarDays(year: 2183) { date kind name } }",
            json!({}),
        )
        .await;
    assert_eq!(
        days["calendarDays"],
        json!([{ "date": "2183-01-01", "kind": "HOLIDAY", "name": "Tết Dương lịch" }])
    );
}

#[tokio::test]
async fn working_time_between_skips_lunch_and_nights() {
    let t = TestApp::spawn_empty().await;
    let q = "query($a: DateTime!, $b: DateTime!) { workingTimeBetween(from: $a, to: $b) { seconds hours } }";
    let d = t
        .data(
            None,
            q,
            json!({ "a": "2183-01-02T11:00:00+07:00", "b": "2183-01-02T14:00:00+07:00" }),
        )
        .await;
    assert_eq!(
        d["workingTimeBetween"],
        json!({ "seconds": 5400, "hours": 1.5 })
    );
    let d = t
        .data(
            None,
            q,
            json!({ "a": "2183-01-03T16:00:00+07:00", "b": "2183-01-06T08:30:00+07:00" }),
        )
        .await;
    assert_eq!(d["workingTimeBetween"]["seconds"], 7200);
}

#[tokio::test]
async fn due_dates_follow_the_procedure() {
    let t = TestApp::spawn().await;
    let admin = t.login_demo("quantri@demo.motcua.vn").await;
    let (s, f, a) = refs(&t).await;
    let five_days = t
        .data(
            Some(&admin),
            CREATE,
            json!({ "i": { "code": "9.000001", "content": content(&s, &f, &a, 5) } }),
        )
        .await;
    let mut same_day = content(&s, &f, &a, 1);
    same_day["withinDay"] = json!(true);
    let within = t
        .data(
            Some(&admin),
            CREATE,
            json!({ "i": { "code": "9.000002", "content": same_day } }),
        )
        .await;
    let q = "query($p: ID!, $r: DateTime!) { dueDate(procedureId: $p, receivedAt: $r) { startsAt dueAt processingHours withinDay } }";

    // Received on Friday evening: the clock starts Monday 07:30; 40 working
    // hours end on Friday 17:00.
    let d = t
        .data(
            None,
            q,
            json!({ "p": five_days["createProcedure"]["id"], "r": "2183-01-10T17:30:00+07:00" }),
        )
        .await;
    assert_eq!(
        instant(&d["dueDate"]["startsAt"]),
        vn("2183-01-13T07:30:00+07:00")
    );
    assert_eq!(
        instant(&d["dueDate"]["dueAt"]),
        vn("2183-01-17T17:00:00+07:00")
    );
    assert_eq!(d["dueDate"]["processingHours"], 40);

    // "Within the day", received after the 15:00 cut-off: the next day's end.
    let id = within["createProcedure"]["id"].clone();
    let d = t
        .data(
            None,
            q,
            json!({ "p": id, "r": "2183-01-13T15:30:00+07:00" }),
        )
        .await;
    assert_eq!(
        instant(&d["dueDate"]["dueAt"]),
        vn("2183-01-14T17:00:00+07:00")
    );
    let d = t
        .data(
            None,
            q,
            json!({ "p": id, "r": "2183-01-13T10:00:00+07:00" }),
        )
        .await;
    assert_eq!(
        instant(&d["dueDate"]["dueAt"]),
        vn("2183-01-13T17:00:00+07:00")
    );
}

#[tokio::test]
async fn only_admins_change_the_calendar_and_only_weekends_become_workdays() {
    let t = TestApp::spawn().await;
    let citizen = t.login_demo("congdan@demo.motcua.vn").await;
    let v = t
        .gql(
            Some(&citizen),
            SET,
            json!({ "d": "2183-01-01", "k": "HOLIDAY", "n": "x" }),
        )
        .await;
    assert_eq!(error_code(&v), "FORBIDDEN");
    let admin = t.login_demo("quantri@demo.motcua.vn").await;
    let v = t
        .gql(
            Some(&admin),
            SET,
            json!({ "d": "2183-01-06", "k": "WORKDAY", "n": "x" }),
        )
        .await;
    assert_eq!(
        (error_code(&v), error_field(&v)),
        ("BAD_USER_INPUT", "kind")
    );
    let v = t
        .gql(
            None,
            ADD,
            json!({ "f": "2183-01-06T08:00:00+07:00", "h": -1.0 }),
        )
        .await;
    assert_eq!(
        (error_code(&v), error_field(&v)),
        ("BAD_USER_INPUT", "workingHours")
    );
}

#[tokio::test]
async fn the_demo_has_this_years_and_next_years_holidays() {
    let t = TestApp::spawn().await;
    let year = chrono::Datelike::year(&chrono::Utc::now());
    for y in [year, year + 1] {
        let d = t
            .data(
                None,
                "query($y: Int!) { calendarDays(year: $y) { date kind } }",
                json!({ "y": y }),
            )
            .await;
        let days = d["calendarDays"].as_array().unwrap();
        assert!(days.len() >= 8, "{y}: {days:?}");
        assert!(days.iter().all(|d| d["kind"] == "HOLIDAY"));
    }
}
