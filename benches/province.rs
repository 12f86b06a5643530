//! motcua against the generic alternative at a province's scale: a
//! private PostgreSQL 15 filled with N dossiers (default 1,000,000) of the
//! demo province, served at once by `motcua serve` and by PostGraphile
//! 4.14.1 (the GraphQL server a province's IT team would pick instead; it
//! compiles each GraphQL query into one SQL statement), and measured in
//! one run, the systems interleaved cell by cell: public tracking, the
//! 50-row work queue of a reception officer, a specialist and a leader, a
//! dossier's detail with its history, the statistics by agency and by
//! month (motcua only: PostGraphile has no aggregates), each at 1, 8 and
//! 64 concurrent clients; then transitions (a reception officer's
//! `receiveDossier`) at 8 and 32 clients against pgbench running the same
//! transaction's SQL (`benches/province/receive.pgbench`).
//!
//! ```sh
//! cargo bench --bench province               # 1,000,000 dossiers
//! cargo bench --bench province -- 50000      # fewer
//! ```
//!
//! Each cell: a warm-up, then a measured window; every client keeps one
//! HTTP/1.1 connection. A cell reports requests per second, the p50 and
//! p99 latency of the requests completed in the window, errors (a GraphQL
//! `errors` answer, another status than 200 or a failed exchange, warm-up
//! included: a cell with any is marked ✗) and the SQL statements per
//! request, from `pg_stat_statements` (reset before the cell, read after
//! its last answer, over all its requests; counted for the system's own
//! database role only; motcua's background loops' idle rate, measured
//! first, is subtracted). The servers' resident memory
//! is read after each workload. The table goes to stdout and to
//! `target/bench-province.md` (a run limited by `MOTCUA_BENCH_ONLY` to
//! `target/bench-province-only-<filter>.md`, leaving the whole table).
//!
//! Environment:
//! - `MOTCUA_BENCH_PGDATA`: the cluster's directory (default
//!   `target/bench-pg`); a database already filled with the same N by the
//!   same fill version is reused, so a second run skips the fill;
//! - `MOTCUA_BENCH_PGPORT`: its port on 127.0.0.1 (default 5499);
//! - `MOTCUA_BENCH_PGBIN`: PostgreSQL's programs (default
//!   `/usr/lib/postgresql/15/bin`; `pgbench` is taken from the PATH);
//! - `MOTCUA_BENCH_SECONDS` (default 6) and `MOTCUA_BENCH_WARMUP` (default
//!   1): each cell's measured window and warm-up, in seconds;
//! - `MOTCUA_BENCH_ONLY`: run only the workloads whose name contains this
//!   (e.g. `workQueue`, `receive`).
//!
//! Needs node and npm (`npm ci` installs the pinned PostGraphile into
//! `benches/province/node_modules` when it is missing) and, run as root,
//! `runuser` (PostgreSQL will not run as root: its programs run as
//! `postgres`, which then owns the data directory). The cluster is stopped
//! at the end, also when the bench panics; one left running by a killed
//! run is stopped by the next (or by `pg_ctl -D target/bench-pg stop`).

// A measuring tool: a failure should stop it loudly.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use sea_orm::ConnectionTrait;
use serde_json::json;

#[path = "province/cluster.rs"]
mod cluster;
#[path = "common/fill.rs"]
mod fill;
#[path = "province/load.rs"]
mod load;
#[path = "common/machine.rs"]
mod machine;
#[path = "province/report.rs"]
mod report;
#[path = "province/servers.rs"]
mod servers;
#[path = "province/transitions.rs"]
mod transitions;
#[path = "province/workloads.rs"]
mod workloads;

use cluster::Cluster;
use report::{Cell, Row};
use servers::{Server, System};

/// Bump when `benches/common/fill.rs` fills differently: a database filled
/// by another version is filled anew.
const FILL_VERSION: i32 = 3;
/// motcua's PostgreSQL pool (`store::connect`); PostGraphile gets as many.
const POOL: usize = 20;
/// Concurrent clients of the reads, and of the transitions.
const READ_CLIENTS: [usize; 3] = [1, 8, 64];
const WRITE_CLIENTS: [usize; 2] = [8, 32];
/// Per hundred dossiers, open work in the demo officers' queues.
const OPEN_WORK_PERCENT: usize = 8;

const PASSWORD: &str = "motcua@2026";

/// The run's settings, from the command line and the environment.
pub struct Settings {
    pub n: usize,
    pub data: PathBuf,
    pub port: u16,
    pub bin: PathBuf,
    pub window: Duration,
    pub warm_up: Duration,
    pub only: Option<String>,
}

impl Settings {
    fn read() -> Settings {
        let n = std::env::args()
            .skip(1)
            .find(|a| !a.starts_with('-'))
            .map(|a| a.parse().expect("N is a number of dossiers"))
            .unwrap_or(1_000_000);
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let secs = |k: &str, default: f64| {
            Duration::from_secs_f64(var(k).map_or(default, |v| v.parse().expect(k)))
        };
        Settings {
            n,
            data: var("MOTCUA_BENCH_PGDATA").map_or_else(
                || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-pg"),
                PathBuf::from,
            ),
            port: var("MOTCUA_BENCH_PGPORT").map_or(5499, |v| v.parse().expect("port")),
            bin: PathBuf::from(
                var("MOTCUA_BENCH_PGBIN").unwrap_or_else(|| "/usr/lib/postgresql/15/bin".into()),
            ),
            window: secs("MOTCUA_BENCH_SECONDS", 6.0),
            warm_up: secs("MOTCUA_BENCH_WARMUP", 1.0),
            only: var("MOTCUA_BENCH_ONLY"),
        }
    }

    fn wants(&self, name: &str) -> bool {
        self.only.as_ref().is_none_or(|o| name.contains(o.as_str()))
    }
}

#[tokio::main]
async fn main() {
    let settings = Settings::read();
    let started = Instant::now();
    let mut report = report::Report::new(&settings);
    println!("{}", report.machine_line());

    let cluster = Cluster::start(&settings.data, settings.port, &settings.bin).await;
    report.pg_version = cluster.version().await;
    let awaiting = fill_once(&cluster, settings.n, &mut report).await;

    let t = Instant::now();
    let motcua = Server::motcua(&cluster.url("motcua")).await;
    let postgraphile = Server::postgraphile(&cluster.url("postgraphile")).await;
    report.phase("servers started", t.elapsed());
    // What motcua's background loops (outbox relay, notification worker)
    // run when idle, per second: subtracted from its cells.
    cluster.reset_statements().await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    report.motcua_idle_per_second = cluster.statements("motcua").await as f64 / 3.0;

    let sessions = workloads::Sessions {
        reception: login(&motcua, "motcua@demo.motcua.vn").await,
        specialist: login(&motcua, "chuyenvien@demo.motcua.vn").await,
        leader: login(&motcua, "lanhdao@demo.motcua.vn").await,
    };
    let reader = motcua::store::connect(&cluster.url("postgres"))
        .await
        .expect("the bench database");
    let targets = workloads::Targets::sample(&reader).await;
    for w in workloads::all(&targets, &sessions) {
        if !settings.wants(w.name) {
            continue;
        }
        if let Some(pg) = &w.postgraphile {
            same_rows(w.name, (&motcua, &w.motcua), (&postgraphile, pg)).await;
        }
        let t = Instant::now();
        for &c in &READ_CLIENTS {
            let m = measure(&cluster, &settings, &motcua, c, w.motcua.clone()).await;
            let p = match &w.postgraphile {
                Some(make) => {
                    Some(measure(&cluster, &settings, &postgraphile, c, make.clone()).await)
                }
                None => None,
            };
            report.add(Row {
                workload: w.name.to_owned(),
                concurrency: c,
                motcua: m,
                other: p,
                other_name: "PostGraphile",
            });
        }
        report.rss(w.name, motcua.rss_mib(), postgraphile.rss_mib());
        report.phase(w.name, t.elapsed());
        report.print_last(w.name);
    }
    if settings.wants("statistics") {
        report.raw_group_by = workloads::raw_group_by(&reader).await;
    }
    if settings.wants(transitions::NAME) {
        let t = Instant::now();
        let block = transitions::Block::new(&reader, awaiting).await;
        for &c in &WRITE_CLIENTS {
            block.reset().await;
            let m =
                transitions::motcua(&cluster, &settings, &motcua, &block, &sessions.reception, c)
                    .await;
            block.reset().await;
            let p = transitions::pgbench(&cluster, &settings, &block, c).await;
            report.add(Row {
                workload: transitions::NAME.to_owned(),
                concurrency: c,
                motcua: m,
                other: Some(p),
                other_name: "pgbench",
            });
        }
        block.reset().await;
        report.rss(transitions::NAME, motcua.rss_mib(), postgraphile.rss_mib());
        report.phase(transitions::NAME, t.elapsed());
        report.print_last(transitions::NAME);
    }
    report.phase("total", started.elapsed());
    report.finish();
}

/// Fills the shared database unless the marker says it holds N dossiers
/// of this fill version; the block of dossiers waiting for reception.
async fn fill_once(cluster: &Cluster, n: usize, report: &mut report::Report) -> (i64, i64) {
    if let Some((filled, version, first, last)) = cluster.filled().await {
        if filled == n as i64 && version == FILL_VERSION {
            println!("reusing the database filled with {n} dossiers (fill version {version})");
            report.phase("fill: reused the filled database", Duration::ZERO);
            return (first, last);
        }
    }
    let t = Instant::now();
    cluster.recreate_database().await;
    let data = tempfile::tempdir().expect("temp dir");
    let url = cluster.url("motcua");
    let app = fill::demo_app(&url, data.path()).await;
    let mix = fill::Mix {
        open_work_percent: OPEN_WORK_PERCENT,
        awaiting_reception: (n / 10).clamp(5_000.min(n / 2), 50_000),
    };
    report.phase("fill: demo province loaded", t.elapsed());
    let filled = fill::fill(&app, n, &mix).await;
    println!("{n} dossiers loaded in {:.1} s", filled.seconds);
    report.phase(
        "fill: dossiers, ratings, files, histories, tasks",
        Duration::from_secs_f64(filled.seconds),
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
    report.phase("fill: rollup rebuilt", t.elapsed());
    // As autovacuum would have left a running database: planner
    // statistics and the visibility map.
    let t = Instant::now();
    app.state
        .db
        .execute_unprepared("VACUUM (ANALYZE)")
        .await
        .expect("vacuum");
    println!(
        "vacuumed and analysed in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    report.phase("fill: VACUUM (ANALYZE)", t.elapsed());
    app.state.shutdown.begin();
    app.state.shutdown.finished().await;
    let awaiting = (*filled.awaiting.start(), *filled.awaiting.end());
    cluster.mark_filled(n, FILL_VERSION, awaiting).await;
    awaiting
}

async fn login(server: &Server, email: &str) -> String {
    let answer = load::once(
        server.addr,
        json!({
            "query": "mutation($i: String!, $p: String!) { login(identifier: $i, password: $p) { token } }",
            "variables": { "i": email, "p": PASSWORD },
        })
        .to_string(),
        &[],
    )
    .await;
    answer["data"]["login"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("{email}: {answer}"))
        .to_owned()
}

/// Sends a workload's first request to both systems and prints how many
/// rows each counts (`totalCount`), so that a reader sees PostGraphile was
/// given motcua's scope; warns when they differ.
async fn same_rows(
    name: &str,
    (m, m_make): (&Server, &load::Maker),
    (p, p_make): (&Server, &load::Maker),
) {
    fn total(v: &serde_json::Value) -> Option<i64> {
        match v {
            serde_json::Value::Object(o) => o
                .get("totalCount")
                .and_then(serde_json::Value::as_i64)
                .or_else(|| o.values().find_map(total)),
            _ => None,
        }
    }
    let (Some(mc), Some(pc)) = (m_make(0), p_make(0)) else {
        return;
    };
    let mv = load::once(m.addr, mc.body, &mc.headers).await;
    let pv = load::once(p.addr, pc.body, &pc.headers).await;
    if let (Some(a), Some(b)) = (total(&mv), total(&pv)) {
        let same = if a == b {
            ""
        } else {
            "  ✗ NOT THE SAME ROWS"
        };
        println!("{name}: motcua counts {a} rows, PostGraphile {b}{same}");
    }
}

/// One cell: the load, and the statements the server's role ran over the
/// whole cell (counted from before the first request until after the
/// last answer, so that none is cut in two).
async fn measure(
    cluster: &Cluster,
    settings: &Settings,
    server: &Server,
    clients: usize,
    make: load::Maker,
) -> Cell {
    let role = match server.system {
        System::Motcua => "motcua",
        System::PostGraphile => "postgraphile",
    };
    cluster.reset_statements().await;
    let counting = Instant::now();
    let measured = load::run(
        server.addr,
        clients,
        settings.warm_up,
        settings.window,
        make,
    )
    .await;
    let statements = cluster.statements(role).await;
    let background = match server.system {
        System::Motcua => counting.elapsed().as_secs_f64(),
        System::PostGraphile => 0.0,
    };
    Cell::new(measured, statements, background)
}
