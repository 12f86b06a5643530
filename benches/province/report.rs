//! The table: one row per workload and concurrency, motcua beside the
//! other system, then the servers' memory, the phases' times and where
//! it was measured. Printed as each workload ends, and written whole to
//! `target/bench-province.md`.

use std::fmt::Write;
use std::time::Duration;

use super::load::Measured;
use super::Settings;

/// One system's cell.
pub struct Cell {
    pub measured: Measured,
    /// Statements its database role ran in the window.
    pub statements: i64,
    /// motcua's: for how long its background loops' idle rate is
    /// subtracted (the counters ran through the whole cell); 0 for the
    /// others.
    pub background_seconds: f64,
}

impl Cell {
    pub fn new(measured: Measured, statements: i64, background_seconds: f64) -> Cell {
        Cell {
            measured,
            statements,
            background_seconds,
        }
    }

    fn per_request(&self, idle_per_second: f64) -> f64 {
        let m = &self.measured;
        if m.exchanges == 0 {
            return 0.0;
        }
        let idle = idle_per_second * self.background_seconds;
        ((self.statements as f64 - idle) / m.exchanges as f64).max(0.0)
    }

    fn columns(&self, idle_per_second: f64) -> String {
        let m = &self.measured;
        let mark = if m.errors > 0 {
            format!(" ✗ {} errors", m.errors)
        } else {
            String::new()
        };
        format!(
            "{}{mark} | {} / {} | {:.1}",
            rate(m.rate()),
            ms(m.p50_ms),
            ms(m.p99_ms),
            self.per_request(idle_per_second)
        )
    }
}

pub struct Row {
    pub workload: String,
    pub concurrency: usize,
    pub motcua: Cell,
    /// PostGraphile's or pgbench's; `None`: it cannot answer.
    pub other: Option<Cell>,
    pub other_name: &'static str,
}

pub struct Report {
    n: usize,
    window: Duration,
    warm_up: Duration,
    pub pg_version: String,
    pub motcua_idle_per_second: f64,
    /// One SQL GROUP BY over the year's dossiers, best of 3, in ms.
    pub raw_group_by: Vec<(&'static str, f64)>,
    rows: Vec<Row>,
    rss: Vec<(String, f64, f64)>,
    phases: Vec<(String, Duration)>,
    cores: usize,
    cpu: String,
    commit: String,
    date: String,
    /// Where the table goes: `target/bench-province.md` for a whole run, a
    /// file of its own for a partial one (`MOTCUA_BENCH_ONLY`), so that a
    /// partial run never replaces the whole table.
    file: String,
}

impl Report {
    pub fn new(s: &Settings) -> Report {
        let cpu = crate::machine::cpu_model();
        let commit = std::process::Command::new("git")
            .args(["rev-parse", "--short", "HEAD"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default();
        Report {
            n: s.n,
            window: s.window,
            warm_up: s.warm_up,
            pg_version: String::new(),
            motcua_idle_per_second: 0.0,
            raw_group_by: Vec::new(),
            rows: Vec::new(),
            rss: Vec::new(),
            phases: Vec::new(),
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            cpu,
            commit,
            date: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
            file: match &s.only {
                None => "bench-province.md".to_owned(),
                Some(only) => format!(
                    "bench-province-only-{}.md",
                    only.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
                ),
            },
        }
    }

    pub fn machine_line(&self) -> String {
        format!(
            "province bench: {} dossiers, commit {}, {} cores ({}), {}",
            thousands(self.n),
            self.commit,
            self.cores,
            self.cpu,
            self.date
        )
    }

    pub fn add(&mut self, row: Row) {
        self.rows.push(row);
    }

    pub fn rss(&mut self, after: &str, motcua: f64, postgraphile: f64) {
        self.rss.push((after.to_owned(), motcua, postgraphile));
    }

    pub fn phase(&mut self, name: &str, took: Duration) {
        self.phases.push((name.to_owned(), took));
    }

    /// The rows of one workload, as soon as it is measured.
    pub fn print_last(&self, workload: &str) {
        for r in self.rows.iter().filter(|r| r.workload == workload) {
            println!("{}", self.line(r));
            for cell in std::iter::once(&r.motcua).chain(&r.other) {
                if let Some(e) = &cell.measured.first_error {
                    println!("    first error: {e}");
                }
            }
        }
        if let Some((_, took)) = self.phases.last() {
            println!("    ({:.0} s)", took.as_secs_f64());
        }
    }

    fn line(&self, r: &Row) -> String {
        let idle = self.motcua_idle_per_second;
        let (other, ratio) = match &r.other {
            Some(o) => (
                format!("{} {}", r.other_name, o.columns(idle)),
                if o.measured.rate() > 0.0 {
                    format!("{:.2}", r.motcua.measured.rate() / o.measured.rate())
                } else {
                    "—".into()
                },
            ),
            None => ("— | — | —".into(), "—".into()),
        };
        format!(
            "| {} | {} | {} | {other} | {ratio} |",
            r.workload,
            r.concurrency,
            r.motcua.columns(idle)
        )
    }

    /// The whole table, to stdout and `target/bench-province.md` (a
    /// partial run's to `target/bench-province-only-<filter>.md`).
    pub fn finish(&self) {
        let mut out = String::new();
        let _ = writeln!(out, "## {}\n", self.machine_line());
        let _ = writeln!(
            out,
            "PostgreSQL {} (private cluster; {}). Each cell: {:.1} s warm-up, {:.1} s measured, \
             one keep-alive HTTP/1.1 connection per client; req/s over the window and its tail \
             (each client's last request), p50 / p99 latency in ms of the requests sent in the \
             window, SQL statements per request from pg_stat_statements over the whole cell \
             (motcua's idle background, {:.1}/s, subtracted). PostGraphile 4.14.1 with \
             postgraphile-plugin-connection-filter has no access control: it is given the filter \
             motcua's role scope applies. The ratio is motcua's req/s over the other's. ✗: the \
             cell had errors.\n",
            self.pg_version,
            super::cluster::SETTINGS
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(", "),
            self.warm_up.as_secs_f64(),
            self.window.as_secs_f64(),
            self.motcua_idle_per_second
        );
        let _ = writeln!(
            out,
            "| workload | clients | motcua req/s | p50 / p99 ms | stmts/req | other req/s | p50 / p99 ms | stmts/req | ratio |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|");
        for r in &self.rows {
            let _ = writeln!(out, "{}", self.line(r));
        }
        if self.rows.iter().any(|r| r.other_name == "pgbench") {
            let _ = writeln!(
                out,
                "\nTransitions: pgbench runs benches/province/receive.pgbench, the SQL of the same \
             request (21 statements: the session, then 20 in the transaction, BEGIN and COMMIT \
             included). motcua's count also holds what its outbox relay and audit sealer run for \
             the request's live event and audit record; they run during pgbench's cells too, for \
             pgbench's rows. The notification worker is off (MOTCUA_NOTIFY_WORKER=false): the SMS \
             is written, not sent."
            );
        }
        if !self.raw_group_by.is_empty() {
            let raw: Vec<String> = self
                .raw_group_by
                .iter()
                .map(|(name, ms)| format!("{name} {ms:.0} ms"))
                .collect();
            let _ = writeln!(
                out,
                "\nStatistics, for reference: one SQL GROUP BY over the year's dossiers (what an \
                 aggregates plugin would run per request): {}.",
                raw.join(", ")
            );
        }
        let _ = writeln!(
            out,
            "\n| server memory (RSS) after | motcua | PostGraphile (node) |"
        );
        let _ = writeln!(out, "|---|---|---|");
        for (after, m, p) in &self.rss {
            let _ = writeln!(out, "| {after} | {m:.0} MiB | {p:.0} MiB |");
        }
        let _ = writeln!(out, "\n| phase | took |\n|---|---|");
        for (name, took) in &self.phases {
            let _ = writeln!(out, "| {name} | {:.0} s |", took.as_secs_f64());
        }
        println!("\n{out}");
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("target")
            .join(&self.file);
        if let Err(e) = std::fs::write(&path, &out) {
            eprintln!("could not write {}: {e}", path.display());
        } else {
            println!("written to {}", path.display());
        }
    }
}

fn rate(r: f64) -> String {
    if r >= 100.0 {
        thousands(r.round() as usize)
    } else {
        format!("{r:.1}")
    }
}

fn ms(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
