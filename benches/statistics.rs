//! The statistics and evaluation at a province's scale: fills a database
//! with N dossiers of the current year (default 1,000,000) on the demo
//! province, then times the public queries through the HTTP router, as a client sends them.
//!
//! ```sh
//! cargo bench --bench statistics                  # SQLite in a temp dir, 1M dossiers
//! cargo bench --bench statistics -- 200000        # fewer
//! MOTCUA_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1/bench cargo bench --bench statistics
//! ```
//!
//! The results are written down in the README ("Performance").

// A measuring tool: a failure should stop it loudly.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::time::Instant;

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use tower::ServiceExt;

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use entity::{dossier, procedure_agency};
use motcua::app::App;
use motcua::config::Config;
use rand::{Rng, SeedableRng};
use sea_orm::{ConnectionTrait, EntityTrait, Set};

// 37 columns a row: 500 rows stay under SQLite's 32,766 bound variables.
const BATCH: usize = 500;

#[tokio::main]
async fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let url = std::env::var("MOTCUA_BENCH_DATABASE_URL").unwrap_or_else(|_| {
        format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("bench.db").display()
        )
    });
    let config = Config::from_lookup(|k| match k {
        "MOTCUA_DATABASE_URL" => Some(url.clone()),
        "MOTCUA_DATA_DIR" => Some(dir.path().display().to_string()),
        "MOTCUA_DEMO" => Some("true".into()),
        "MOTCUA_DEMO_ACTIVITY" => Some("false".into()),
        _ => None,
    })
    .expect("config");
    let app = App::start(config).await.expect("start");
    let db = &app.state.db;

    let pairs: Vec<(i64, i64)> = procedure_agency::Entity::find()
        .all(db)
        .await
        .expect("procedures")
        .into_iter()
        .map(|pa| (pa.procedure_id, pa.agency_id))
        .collect();
    let now = app.now();
    let tz = app.state.config.calendar.tz;
    let year_start = tz
        .with_ymd_and_hms(now.with_timezone(&tz).year(), 1, 1, 0, 0, 0)
        .single()
        .expect("new year")
        .with_timezone(&Utc);
    let span = (now - year_start).num_seconds().max(1);
    let mut rng = rand::rngs::StdRng::seed_from_u64(766);

    let started = Instant::now();
    let mut batch = Vec::with_capacity(BATCH);
    for i in 0..n {
        batch.push(one(i, &pairs, year_start, span, now, &mut rng));
        if batch.len() == BATCH || i + 1 == n {
            dossier::Entity::insert_many(std::mem::take(&mut batch))
                .exec(db)
                .await
                .expect("insert");
        }
    }
    // A third of the returned are rated; half the dossiers have a file.
    let backend = db.get_database_backend();
    for sql in [
        "INSERT INTO rating (dossier_id, account_id, agency_id, procedure_id, field_id, service_use, staff_attitude, processing_time, comment, rated_at, revised_at) \
         SELECT d.id, 1, d.settling_agency_id, d.procedure_id, p.field_id, \
           CASE WHEN d.id % 10 = 0 THEN 'NOT_SATISFIED' ELSE 'VERY_SATISFIED' END, 'SATISFIED', \
           CASE WHEN d.id % 7 = 0 THEN 'NOT_SATISFIED' ELSE 'SATISFIED' END, NULL, d.settled_at, NULL \
         FROM dossier d JOIN procedure p ON p.id = d.procedure_id WHERE d.status = 'RETURNED' AND d.id % 3 = 0",
        "INSERT INTO attachment (dossier_id, component, filename, content_type, size_bytes, sha256, uploaded_by, created_at) \
         SELECT id, 'Đơn đề nghị', 'don.pdf', 'application/pdf', 100000, 'bench', NULL, created_at FROM dossier WHERE id % 2 = 0",
    ] {
        db.execute_raw(sea_orm::Statement::from_string(backend, sql))
            .await
            .expect("fill");
    }
    println!(
        "{n} dossiers on {:?} loaded in {:.1} s",
        backend,
        started.elapsed().as_secs_f64()
    );
    // Loaded behind the transitions' back: the rollup is rebuilt, as after
    // a bulk import.
    let t = Instant::now();
    motcua::services::rollup::rebuild(&app.state)
        .await
        .expect("rollup");
    println!(
        "statistics rollup rebuilt in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    // Fresh planner statistics, as a running database would have.
    db.execute_unprepared("ANALYZE").await.expect("analyze");

    let year = now.with_timezone(&tz).year();
    let queries = [
        ("statistics, province, this year", "{ statistics { total { received settled onTimeRate inProgressOverdue satisfactionRate } } }".to_owned()),
        ("statistics by agency", "{ statistics(groupBy: AGENCY) { rows { label received onTimeRate } } }".to_owned()),
        ("statistics by month (12 periods)", "{ statistics(groupBy: MONTH) { rows { key received settled } } }".to_owned()),
        ("statistics, one month by channel", format!("{{ statistics(filter: {{ year: {year}, month: 6 }}, groupBy: CHANNEL) {{ rows {{ key received }} }} }}")),
        ("agency evaluation, the year", "{ agencyEvaluation { agencies { rank percent indicators { points } } } }".to_owned()),
        ("rating summary", "{ ratingSummary { total criteria { levels { count } } } }".to_owned()),
    ];
    for (name, q) in queries {
        let mut best = f64::MAX;
        for _ in 0..3 {
            let t = Instant::now();
            let body = serde_json::json!({ "query": q }).to_string();
            let req = Request::post("/graphql")
                .header("content-type", "application/json")
                .body(Body::from(body))
                .expect("request");
            let resp = app.router().oneshot(req).await.expect("response");
            let bytes = resp.into_body().collect().await.expect("body").to_bytes();
            let value: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
            assert!(value.get("errors").is_none(), "{name}: {value}");
            best = best.min(t.elapsed().as_secs_f64());
        }
        println!("{name:<40} {:>8.1} ms (best of 3)", best * 1000.0);
    }
}

/// One dossier of the year, settled or not.
fn one(
    i: usize,
    pairs: &[(i64, i64)],
    year_start: DateTime<Utc>,
    span: i64,
    now: DateTime<Utc>,
    rng: &mut impl Rng,
) -> dossier::ActiveModel {
    let (procedure_id, agency_id) = pairs[rng.random_range(0..pairs.len())];
    let received = year_start + Duration::seconds(rng.random_range(0..span));
    let due = received + Duration::days(15);
    let channel = match rng.random_range(0..100) {
        0..70 => "ONLINE",
        70..95 => "DIRECT",
        _ => "POSTAL",
    };
    let recent = now - received < Duration::days(30);
    let status = match rng.random_range(0..100) {
        0..40 if recent => "PROCESSING",
        0..85 => "RETURNED",
        85..90 => "REFUSED",
        90..93 => "WITHDRAWN",
        93..95 => "NOT_ELIGIBLE",
        _ => "PROCESSING",
    };
    let settled = matches!(status, "RETURNED" | "NOT_ELIGIBLE")
        .then(|| (received + Duration::hours(rng.random_range(2..480))).min(now));
    let timeliness = settled.map(|s| {
        if s < due - Duration::days(2) {
            "EARLY"
        } else if s <= due {
            "ON_TIME"
        } else {
            "LATE"
        }
    });
    let updated = settled.unwrap_or(received + Duration::hours(1)).min(now);
    dossier::ActiveModel {
        code: Set(Some(format!("BENCH-{i:08}"))),
        procedure_id: Set(procedure_id),
        procedure_version: Set(1),
        applicant_account_id: Set(None),
        applicant_name: Set("Người Thử Nghiệm".into()),
        applicant_id_number: Set(None),
        applicant_phone: Set(None),
        applicant_email: Set(None),
        applicant_address: Set(None),
        channel: Set(channel.into()),
        status: Set(status.into()),
        pause_kind: Set(None),
        version: Set(5),
        receiving_agency_id: Set(agency_id),
        settling_agency_id: Set(agency_id),
        handler_account_id: Set(None),
        form_data: Set("{}".into()),
        idempotency_key: Set(None),
        submitted_at: Set(Some(received - Duration::hours(2))),
        received_at: Set(Some(received)),
        transferred_at: Set(Some(received)),
        due_at: Set(Some(due)),
        legal_due_at: Set(Some(due)),
        paused_at: Set(None),
        paused_seconds: Set(0),
        supplement_requests: Set(match rng.random_range(0..100) {
            0..87 => 0,
            87..97 => 1,
            _ => 2,
        }),
        reception_seconds: Set(Some(rng.random_range(0..40_000))),
        transfer_seconds: Set(Some(3_600)),
        settled_at: Set(settled),
        timeliness: Set(timeliness.map(Into::into)),
        returned_at: Set(settled.filter(|_| status == "RETURNED")),
        return_method: Set(None),
        tracking_number: Set(None),
        created_at: Set(received - Duration::hours(3)),
        updated_at: Set(updated),
        ..Default::default()
    }
}
