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

use chrono::Datelike;
use sea_orm::ConnectionTrait;

// The province bench reads what the fill returns beyond the time.
#[allow(dead_code)]
#[path = "common/fill.rs"]
mod fill;

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
    let app = fill::demo_app(&url, dir.path()).await;
    let db = &app.state.db;

    // The year's dossiers alone: no extra open work, none waiting.
    let mix = fill::Mix {
        open_work_percent: 0,
        awaiting_reception: 0,
    };
    let filled = fill::fill(&app, n, &mix).await;
    println!(
        "{n} dossiers on {:?} loaded in {:.1} s",
        db.get_database_backend(),
        filled.seconds
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

    let year = app
        .now()
        .with_timezone(&app.state.config.calendar.tz)
        .year();
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
