//! Transitions: the provincial centre's reception officer receives
//! dossiers submitted online (`receiveDossier`: the code, the due date,
//! the receipt, the history, the audit, the live event, the rollup), each
//! client its own dossiers, through motcua's API; and pgbench runs the SQL
//! that transaction runs (`receive.pgbench`) with the same number of
//! clients. The candidates are the fill's block of dossiers waiting for
//! reception, put back as they were before each cell.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::json;

use super::cluster::{Cluster, DATABASE};
use super::load::{self, Call, Measured};
use super::report::Cell;
use super::servers::{package_dir, Server};
use super::Settings;

pub const NAME: &str = "receiveDossier (transition), reception officer";

const RECEIVE: &str = "mutation($id: ID!, $v: Int!) { receiveDossier(id: $id, expectedVersion: $v) { id version status code dueAt } }";
/// A dossier waiting for reception is at version 2: created, submitted.
const WAITING_VERSION: i32 = 2;

/// The dossiers waiting for reception, by id, and what pgbench's script
/// needs to know besides.
pub struct Block {
    db: DatabaseConnection,
    pub first: i64,
    pub last: i64,
    /// `-D name=value` for receive.pgbench: the reception officer's
    /// session and account, the centre, today in the calendar's zone.
    variables: Vec<(&'static str, String)>,
}

impl Block {
    /// Reads the officer's latest session (signed in by the bench) and ids.
    pub async fn new(db: &DatabaseConnection, (first, last): (i64, i64)) -> Block {
        let text = |sql: String| async move {
            let row = db
                .query_one_raw(sea_orm::Statement::from_string(
                    db.get_database_backend(),
                    sql.clone(),
                ))
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"))
                .unwrap_or_else(|| panic!("{sql}: no row"));
            row.try_get_by_index::<String>(0).expect("text")
        };
        let account =
            text("SELECT id::text FROM account WHERE email = 'motcua@demo.motcua.vn'".into()).await;
        let token_hash = text(format!(
            "SELECT token_hash FROM session WHERE account_id = {account} ORDER BY id DESC LIMIT 1"
        ))
        .await;
        let unit = text(format!(
            "SELECT id::text FROM agency WHERE code = '{}'",
            super::fill::CENTRE_CODE
        ))
        .await;
        let today = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Ho_Chi_Minh);
        Block {
            db: db.clone(),
            first,
            last,
            variables: vec![
                ("token_hash", token_hash),
                ("account", account),
                ("unit", unit),
                ("unit_code", super::fill::CENTRE_CODE.into()),
                ("day", today.format("%y%m%d").to_string()),
                ("month", today.format("%Y-%m").to_string()),
                // The calendar motcua reads: from a week before the day.
                (
                    "since",
                    (today.date_naive() - chrono::Duration::days(7)).to_string(),
                ),
            ],
        }
    }

    fn len(&self) -> i64 {
        self.last - self.first + 1
    }

    /// Puts the received ones back: waiting, without code or due date,
    /// their reception's history event gone. (The audit trail, the live
    /// events and the rollup keep what happened: they only grow.)
    pub async fn reset(&self) {
        let (a, b) = (self.first, self.last);
        for sql in [
            format!("DELETE FROM dossier_event WHERE dossier_id BETWEEN {a} AND {b} AND seq > {WAITING_VERSION}"),
            format!(
                "UPDATE dossier SET status = 'SUBMITTED', version = {WAITING_VERSION}, code = NULL, received_at = NULL, \
                 due_at = NULL, legal_due_at = NULL, reception_seconds = NULL, updated_at = submitted_at \
                 WHERE id BETWEEN {a} AND {b} AND version <> {WAITING_VERSION}"
            ),
        ] {
            self.db
                .execute_unprepared(&sql)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
    }
}

/// motcua: each request receives the next dossier of the block.
pub async fn motcua(
    cluster: &Cluster,
    settings: &Settings,
    server: &Server,
    block: &Block,
    token: &str,
    clients: usize,
) -> Cell {
    let (first, len) = (block.first, block.len() as u64);
    let headers = vec![("authorization", format!("Bearer {token}"))];
    let make: load::Maker = Arc::new(move |n| {
        (n < len).then(|| Call {
            body: json!({ "query": RECEIVE, "variables": { "id": (first + n as i64).to_string(), "v": WAITING_VERSION } })
                .to_string(),
            headers: headers.clone(),
        })
    });
    super::measure(cluster, settings, server, clients, make).await
}

/// pgbench with the same clients: a warm-up on the block's first fifth,
/// then the measured window on the rest, each client its own stride of
/// consecutive dossiers.
pub async fn pgbench(
    cluster: &Cluster,
    settings: &Settings,
    block: &Block,
    clients: usize,
) -> Cell {
    let warm = block.len() / 5;
    let logs = tempfile::tempdir().expect("temp dir");
    cluster.reset_statements().await;
    let warm_up = run_pgbench(
        cluster,
        block,
        settings.warm_up,
        (block.first, warm),
        clients,
        None,
    );
    let mut measured = run_pgbench(
        cluster,
        block,
        settings.window,
        (block.first + warm, block.len() - warm),
        clients,
        Some(logs.path()),
    );
    // PostgreSQL 15's pg_stat_statements counts a BEGIN or COMMIT
    // prepared by pgbench (-M prepared) at a connection's first execution
    // only: the script's two per transaction are added back for the rest.
    measured.exchanges += warm_up.exchanges;
    let connections = 2 * clients as u64;
    let statements = cluster.statements("pgbench").await
        + 2 * measured.exchanges.saturating_sub(connections) as i64;
    measured.errors += warm_up.errors;
    measured.first_error = measured.first_error.or(warm_up.first_error);
    Cell::new(measured, statements, 0.0)
}

/// One pgbench run on the `len` dossiers from `first` (latencies from its
/// per-transaction log when `logs` is given).
fn run_pgbench(
    cluster: &Cluster,
    block: &Block,
    duration: std::time::Duration,
    (first, len): (i64, i64),
    clients: usize,
    logs: Option<&Path>,
) -> Measured {
    // pgbench runs whole seconds.
    let seconds = duration.as_secs_f64().round().max(1.0) as u64;
    let mut command = Command::new("pgbench");
    command
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &cluster.port.to_string(),
            "-U",
            "pgbench",
        ])
        .args(["-n", "-M", "prepared"])
        .args([
            "-c",
            &clients.to_string(),
            "-j",
            &clients.min(2).to_string(),
        ])
        .args(["-T", &seconds.to_string()])
        .arg("-f")
        .arg(package_dir().join("receive.pgbench"))
        .args(["-D", &format!("first={first}")])
        .args(["-D", &format!("stride={}", len / clients as i64)])
        .args(["-D", "n=0"]);
    for (k, v) in &block.variables {
        command.args(["-D", &format!("{k}={v}")]);
    }
    if let Some(dir) = logs {
        command
            .arg("-l")
            .arg(format!("--log-prefix={}", dir.join("tx").display()));
    }
    let out = command.arg(DATABASE).output().expect("pgbench");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let number = |label: &str| -> f64 {
        stdout
            .lines()
            .find_map(|l| l.trim().strip_prefix(label))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    };
    let processed = number("number of transactions actually processed:") as u64;
    let failed = number("number of failed transactions:") as u64;
    let aborted = stderr.lines().filter(|l| l.contains("aborted")).count() as u64;
    let mut latencies = logs.map(read_latencies).unwrap_or_default();
    latencies.sort_by(f64::total_cmp);
    let at = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0.0)
    };
    let errors = failed + aborted + u64::from(!out.status.success());
    Measured {
        requests: processed,
        exchanges: processed + failed,
        seconds: seconds as f64,
        p50_ms: at(0.5),
        p99_ms: at(0.99),
        errors,
        first_error: (errors > 0).then(|| {
            stderr
                .lines()
                .find(|l| l.contains("ERROR") || l.contains("aborted") || l.contains("error"))
                .unwrap_or(stderr.trim())
                .to_owned()
        }),
    }
}

/// The latencies (ms) in pgbench's per-transaction logs: `client_id
/// transaction_no time_us script_no time_epoch time_epoch_us`.
fn read_latencies(dir: &Path) -> Vec<f64> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("pgbench logs").flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        out.extend(text.lines().filter_map(|l| {
            l.split_whitespace()
                .nth(2)
                .and_then(|us| us.parse::<f64>().ok())
                .map(|us| us / 1000.0)
        }));
    }
    out
}
