//! The bench's own PostgreSQL: a cluster in `MOTCUA_BENCH_PGDATA`, started
//! with the settings below and stopped when the `Cluster` is dropped (at
//! the end, or when the bench panics). Nothing else runs on it, so the
//! statement counts are the systems' own; each system connects as a role
//! of its own, which is how `pg_stat_statements` tells them apart.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

/// The settings the figures assume, given on the server's command line
/// (so an existing data directory takes them too) and printed with the
/// table. Sized for the 2-core, 24 GiB development machine; durability
/// stays on, as in production.
pub const SETTINGS: &[(&str, &str)] = &[
    ("shared_buffers", "1GB"),
    ("max_connections", "200"),
    ("work_mem", "16MB"),
    ("maintenance_work_mem", "256MB"),
    ("effective_cache_size", "8GB"),
    ("random_page_cost", "1.1"),
    ("synchronous_commit", "on"),
    ("fsync", "on"),
    ("max_wal_size", "8GB"),
    ("checkpoint_timeout", "30min"),
    ("jit", "off"),
    ("shared_preload_libraries", "pg_stat_statements"),
    ("pg_stat_statements.max", "10000"),
    ("pg_stat_statements.track_utility", "on"),
];

/// The database the systems share.
pub const DATABASE: &str = "motcua";
/// The roles: motcua (the owner), PostGraphile and pgbench (members of
/// it, with its rights). The bench itself is `postgres`.
pub const ROLES: [&str; 3] = ["motcua", "postgraphile", "pgbench"];

/// A running private cluster, stopped on drop.
pub struct Cluster {
    pub data: PathBuf,
    pub port: u16,
    bin: PathBuf,
    /// `postgres` on the `postgres` database: roles, counters, the marker.
    pub admin: DatabaseConnection,
}

impl Cluster {
    /// Creates the cluster if the directory holds none, stops a server a
    /// killed run left on it, and starts it.
    pub async fn start(data: &Path, port: u16, bin: &Path) -> Cluster {
        std::fs::create_dir_all(data).expect("the bench's data directory");
        let data = data.canonicalize().expect("data directory");
        let cluster_bin = bin.to_path_buf();
        as_postgres_owner(&data);
        if !data.join("PG_VERSION").exists() {
            run_as_postgres(
                Command::new(bin.join("initdb")).arg("-D").arg(&data).args([
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--locale=C",
                ]),
                "initdb",
            );
        }
        let pg_ctl = |args: &[&str]| {
            let mut c = Command::new(bin.join("pg_ctl"));
            c.arg("-D").arg(&data).args(args);
            c
        };
        // A server a killed run left behind.
        if run_as_postgres_status(&mut pg_ctl(&["status"])) {
            run_as_postgres(&mut pg_ctl(&["-m", "fast", "-w", "stop"]), "pg_ctl stop");
        }
        let mut options = format!(
            "-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={}",
            data.display()
        );
        for (k, v) in SETTINGS {
            options.push_str(&format!(" -c {k}={v}"));
        }
        let log = data.join("server.log");
        run_as_postgres(
            pg_ctl(&["-w", "-t", "120", "-l"])
                .arg(&log)
                .arg("-o")
                .arg(&options)
                .arg("start"),
            "pg_ctl start",
        );
        let admin = motcua::store::connect(&url("postgres", "postgres", port))
            .await
            .expect("the bench's PostgreSQL");
        let cluster = Cluster {
            data,
            port,
            bin: cluster_bin,
            admin,
        };
        cluster
            .exec("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            .await;
        for role in ROLES {
            let exists = cluster
                .scalar(&format!(
                    "SELECT count(*) FROM pg_roles WHERE rolname = '{role}'"
                ))
                .await;
            if exists == 0 {
                let member = if role == "motcua" {
                    ""
                } else {
                    " IN ROLE motcua"
                };
                cluster
                    .exec(&format!("CREATE ROLE {role} LOGIN{member}"))
                    .await;
            }
        }
        cluster
            .exec(
                "CREATE TABLE IF NOT EXISTS bench_fill (n bigint NOT NULL, version int NOT NULL, \
                 awaiting_first bigint NOT NULL, awaiting_last bigint NOT NULL, filled_at timestamptz NOT NULL DEFAULT now())",
            )
            .await;
        cluster
    }

    /// A system's connection string.
    pub fn url(&self, role: &str) -> String {
        url(role, DATABASE, self.port)
    }

    /// The PostgreSQL server's version.
    pub async fn version(&self) -> String {
        self.text("SELECT current_setting('server_version')").await
    }

    pub async fn exec(&self, sql: &str) {
        self.admin
            .execute_unprepared(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// The first column of the first row, as a number.
    pub async fn scalar(&self, sql: &str) -> i64 {
        self.text(&format!("SELECT ({sql})::text"))
            .await
            .parse()
            .unwrap_or(0)
    }

    async fn text(&self, sql: &str) -> String {
        let row = self
            .admin
            .query_one_raw(Statement::from_string(
                self.admin.get_database_backend(),
                sql,
            ))
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .expect("a row");
        row.try_get_by_index::<Option<String>>(0)
            .expect("text")
            .unwrap_or_default()
    }

    /// The filled database's marker: (dossiers, fill version, the block
    /// waiting for reception), when one is complete.
    pub async fn filled(&self) -> Option<(i64, i32, i64, i64)> {
        let row = self
            .admin
            .query_one_raw(Statement::from_string(
                self.admin.get_database_backend(),
                "SELECT n, version, awaiting_first, awaiting_last FROM bench_fill ORDER BY filled_at DESC LIMIT 1",
            ))
            .await
            .expect("marker")?;
        let exists = self
            .scalar(&format!(
                "SELECT count(*) FROM pg_database WHERE datname = '{DATABASE}'"
            ))
            .await;
        (exists == 1).then(|| {
            (
                row.try_get_by_index(0).expect("n"),
                row.try_get_by_index(1).expect("version"),
                row.try_get_by_index(2).expect("first"),
                row.try_get_by_index(3).expect("last"),
            )
        })
    }

    /// An empty database for a new fill: the old one and its marker go.
    pub async fn recreate_database(&self) {
        self.exec("DELETE FROM bench_fill").await;
        self.exec(&format!("DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
            .await;
        self.exec(&format!("CREATE DATABASE {DATABASE} OWNER motcua"))
            .await;
    }

    pub async fn mark_filled(&self, n: usize, version: i32, awaiting: (i64, i64)) {
        self.exec(&format!(
            "INSERT INTO bench_fill (n, version, awaiting_first, awaiting_last) VALUES ({n}, {version}, {}, {})",
            awaiting.0, awaiting.1
        ))
        .await;
    }

    /// Forgets the statements counted so far.
    pub async fn reset_statements(&self) {
        self.exec("SELECT pg_stat_statements_reset()").await;
    }

    /// Statements executed on the shared database since the last reset,
    /// by `role`.
    pub async fn statements(&self, role: &str) -> i64 {
        self.scalar(&format!(
            "SELECT coalesce(sum(s.calls), 0) FROM pg_stat_statements s \
             JOIN pg_roles r ON r.oid = s.userid JOIN pg_database d ON d.oid = s.dbid \
             WHERE r.rolname = '{role}' AND d.datname = '{DATABASE}'"
        ))
        .await
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let status = run_as_postgres_status(
            Command::new(self.bin.join("pg_ctl"))
                .arg("-D")
                .arg(&self.data)
                .args(["-m", "fast", "-w", "stop"]),
        );
        if !status {
            eprintln!(
                "could not stop the bench's PostgreSQL: {}/pg_ctl -D {} stop",
                self.bin.display(),
                self.data.display()
            );
        }
    }
}

fn url(role: &str, database: &str, port: u16) -> String {
    format!("postgres://{role}@127.0.0.1:{port}/{database}")
}

/// PostgreSQL refuses to run as root: then its tools run as `postgres`,
/// which must own the data directory.
fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn as_postgres_owner(data: &Path) {
    if is_root() {
        let status = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(data)
            .status()
            .expect("chown");
        assert!(status.success(), "chown postgres {}", data.display());
        let status = Command::new("chmod")
            .arg("700")
            .arg(data)
            .status()
            .expect("chmod");
        assert!(status.success(), "chmod 700 {}", data.display());
    }
}

/// Runs a PostgreSQL tool (as `postgres` when we are root), its output
/// discarded: whether it succeeded.
fn run_as_postgres_status(command: &mut Command) -> bool {
    let mut runuser = Command::new("runuser");
    let command = if is_root() {
        runuser
            .args(["-u", "postgres", "--"])
            .arg(command.get_program())
            .args(command.get_args());
        &mut runuser
    } else {
        command
    };
    command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn run_as_postgres(command: &mut Command, what: &str) {
    assert!(run_as_postgres_status(command), "{what} failed");
}
