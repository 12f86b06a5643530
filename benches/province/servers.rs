//! The two GraphQL servers on the bench's database, each a process of its
//! own, killed when dropped: `motcua serve` (the release binary built with
//! this bench) and PostGraphile 4 from `benches/province/node_modules`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// Where the pinned npm package lives.
pub fn package_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/province")
}

/// The systems measured.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum System {
    Motcua,
    PostGraphile,
}

/// A server process, killed on drop.
pub struct Server {
    pub system: System,
    child: Child,
    pub addr: SocketAddr,
    /// Its data directory (motcua) and its log.
    dir: tempfile::TempDir,
}

impl Server {
    /// `motcua serve` on `database_url`, its client addresses taken from
    /// `X-Forwarded-For` (each tracking request is another citizen: the
    /// public lookups are throttled per address). Only the variables set
    /// here reach it.
    pub async fn motcua(database_url: &str) -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let addr = free_addr();
        let mut command = Command::new(env!("CARGO_BIN_EXE_motcua"));
        for (k, _) in std::env::vars() {
            if k.starts_with("MOTCUA_") {
                command.env_remove(k);
            }
        }
        command
            .arg("serve")
            .env("MOTCUA_BIND", addr.to_string())
            .env("MOTCUA_DATA_DIR", dir.path())
            .env("MOTCUA_DATABASE_URL", database_url)
            .env("MOTCUA_DEMO", "true")
            .env("MOTCUA_DEMO_ACTIVITY", "false")
            .env("MOTCUA_TRUST_FORWARDED_FOR", "true")
            // The notification worker would work off every earlier run's
            // SMS backlog (one per reception) while the cells are counted,
            // and it is no part of a request (a deployment may run it apart).
            .env("MOTCUA_NOTIFY_WORKER", "false")
            .env("MOTCUA_LOG", "warn");
        Server::spawn(System::Motcua, command, addr, dir).await
    }

    /// PostGraphile 4 on `database_url` with the connection-filter plugin
    /// (`.postgraphilerc.js` beside its package enables the relations'
    /// filters), a pool as large as motcua's, no query log, no GraphiQL.
    /// Installs the pinned package first when `node_modules` is missing.
    pub async fn postgraphile(database_url: &str) -> Server {
        let package = package_dir();
        if !package.join("node_modules/.bin/postgraphile").exists() {
            println!("npm ci in {}", package.display());
            let status = Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(&package)
                .status()
                .expect("npm");
            assert!(status.success(), "npm ci failed");
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let addr = free_addr();
        let mut command = Command::new("node");
        command
            .arg(package.join("node_modules/.bin/postgraphile"))
            .args(["-c", database_url])
            .args(["--host", "127.0.0.1", "--port", &addr.port().to_string()])
            .args(["--max-pool-size", &super::POOL.to_string()])
            .args([
                "--disable-query-log",
                "--dynamic-json",
                "--disable-graphiql",
            ])
            .args(["--append-plugins", "postgraphile-plugin-connection-filter"])
            .env("NODE_ENV", "production")
            .current_dir(&package);
        Server::spawn(System::PostGraphile, command, addr, dir).await
    }

    async fn spawn(
        system: System,
        mut command: Command,
        addr: SocketAddr,
        dir: tempfile::TempDir,
    ) -> Server {
        let log = std::fs::File::create(dir.path().join("server.log")).expect("log file");
        let child = command
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("{system:?}: {e}"));
        let server = Server {
            system,
            child,
            addr,
            dir,
        };
        let started = Instant::now();
        while !server.ready().await {
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "{system:?} was not ready within 2 minutes: {}",
                server.log()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        server
    }

    /// Whether it answers a GraphQL request.
    async fn ready(&self) -> bool {
        let body = r#"{"query":"{ __typename }"}"#;
        let Ok(stream) = tokio::net::TcpStream::connect(self.addr).await else {
            return false;
        };
        let Ok((mut send, conn)) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await
        else {
            return false;
        };
        tokio::spawn(conn);
        let request = super::load::post(self.addr, body.into(), &[]);
        matches!(send.send_request(request).await, Ok(r) if r.status().is_success())
    }

    /// The process's resident memory (VmRSS), in MiB.
    pub fn rss_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(0.0, |kib| kib / 1024.0)
    }

    /// What it wrote to its log.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_addr() -> SocketAddr {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    ([127, 0, 0, 1], port).into()
}
