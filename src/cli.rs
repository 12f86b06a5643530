//! The `motcua` command line. Every failure prints one line and exits 1.

use std::future::IntoFuture;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use secrecy::ExposeSecret;

use crate::app::App;
use crate::config::Config;
use crate::domain::authz::{Grant, Role};
use crate::error::AppError;
use crate::services::{accounts, demo};

#[derive(Parser)]
#[command(
    name = "motcua",
    version,
    about = "Headless GraphQL backend of a provincial one-stop administrative-procedure system"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Migrate, load the demo when configured, and serve HTTP (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Load the demo province into an empty database and exit.
    SeedDemo,
    /// Print the GraphQL schema (SDL); `schema.graphql` is its output.
    ExportSchema,
    /// Print the X-Signature header value the payment gateway would send
    /// with this callback body (HMAC-SHA256 under MOTCUA_PAYMENT_SECRET, or
    /// the key in the server's database): for testing POST
    /// /payments/callback by hand.
    SignCallback {
        /// The exact JSON body, e.g.
        /// '{"reference":"TT…","transactionId":"GW-1","amountVnd":10000,"status":"SUCCESS"}'
        body: String,
    },
    /// Create an ADMIN account with a one-time password, printed once.
    CreateAdmin {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "Quản trị hệ thống")]
        name: String,
    },
    /// Back the SQLite database and its stored files up into DIR while the
    /// server runs: a consistent snapshot, the files it references, a
    /// manifest. (PostgreSQL: pg_dump and WAL archiving, see the README.)
    Backup {
        /// A new or empty directory.
        dir: PathBuf,
    },
    /// Restore a backup into a scratch database and check it: migrations,
    /// the audit chain, row counts, files. PATH is a `motcua backup`
    /// directory or a pg_dump file (custom, tar, directory or plain SQL).
    VerifyBackup {
        path: PathBuf,
        /// The PostgreSQL server to restore a dump on, in a scratch
        /// database dropped afterwards (default: MOTCUA_DATABASE_URL's).
        #[arg(long, value_name = "URL")]
        into: Option<String>,
    },
}

pub async fn run() -> ExitCode {
    let cli = Cli::parse();
    match execute(cli.command.unwrap_or(Command::Serve)).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(reason) => {
            // `{:#}`: the context, then each cause, on one line.
            eprintln!("motcua: {reason:#}");
            ExitCode::FAILURE
        }
    }
}

async fn execute(command: Command) -> anyhow::Result<()> {
    if let Command::ExportSchema = command {
        print!("{}", crate::graphql::sdl());
        return Ok(());
    }
    let mut config = Config::from_env()?;
    init_tracing(&config);
    match command {
        Command::Serve => serve(config).await,
        Command::SignCallback { body } => {
            let secret = crate::app::served_payment_callback_secret(&config)
                .await
                .context("cannot read the payment callback secret")?;
            println!("{}", crate::domain::payment::sign(&secret, body.as_bytes()));
            Ok(())
        }
        Command::Migrate => {
            let db = crate::store::connect(config.database_url.expose_secret())
                .await
                .context("cannot open the database")?;
            crate::store::migrate(&db)
                .await
                .context("cannot migrate the database")?;
            println!("migrations applied");
            Ok(())
        }
        Command::SeedDemo => {
            config.demo = false;
            let app = App::start(config).await?;
            let loaded = demo::load_if_empty(&app.state)
                .await
                .map_err(AppError::into_cause)
                .context("cannot load the demo province")?;
            println!(
                "{}",
                if loaded {
                    "demo province loaded"
                } else {
                    "the database already has agencies; nothing loaded"
                }
            );
            Ok(())
        }
        Command::CreateAdmin { email, name } => {
            config.demo = false;
            let app = App::start(config).await?;
            // The same policy as `createOfficial`: a one-time password the
            // rule accepts, to be changed at first sign-in.
            let (_, password) = accounts::create_official(
                &app.state,
                &crate::services::Caller::SYSTEM,
                accounts::OfficialInput {
                    full_name: name,
                    email,
                    phone: None,
                    grants: vec![Grant {
                        role: Role::Admin,
                        agency_id: None,
                    }],
                },
            )
            .await
            .map_err(AppError::into_cause)
            .context("cannot create the admin")?;
            println!("one-time password (change it at first login): {password}");
            Ok(())
        }
        Command::Backup { dir } => {
            let manifest = crate::backup::backup(&config, &dir).await?;
            println!(
                "backup written to {}: {} tables, {} files, audit chain head {}",
                dir.display(),
                manifest.tables.len(),
                manifest.files.len(),
                manifest.audit_head.last_id
            );
            Ok(())
        }
        Command::VerifyBackup { path, into } => {
            let server = into.unwrap_or_else(|| config.database_url.expose_secret().to_owned());
            crate::backup::verify(&path, &server, |line| println!("{line}")).await?;
            println!("backup verified");
            Ok(())
        }
        Command::ExportSchema => Ok(()),
    }
}

/// Serves until SIGTERM or Ctrl-C, then stops gracefully: no new
/// connection is accepted, requests in flight finish, open WebSockets close
/// with 1001 (going away), the relay and the delivery worker finish their
/// step; after MOTCUA_SHUTDOWN_GRACE_SECS the process exits regardless.
async fn serve(config: Config) -> anyhow::Result<()> {
    let bind = config.bind;
    let grace = config.shutdown_grace;
    let app = App::start(config).await?;
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("MOTCUA_BIND: cannot listen on {bind}"))?;
    let shutdown = app.state.shutdown.clone();
    tokio::spawn({
        let shutdown = shutdown.clone();
        async move {
            stop_signal().await;
            tracing::info!("stopping: finishing requests in flight");
            shutdown.begin();
        }
    });
    tracing::info!(%bind, "serving; playground at http://{bind}/graphiql");
    let server = axum::serve(
        listener,
        app.router()
            .into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown({
        let shutdown = shutdown.clone();
        async move { shutdown.stopping().await }
    })
    .into_future();
    tokio::pin!(server);
    tokio::select! {
        served = &mut server => return served.context("server error"),
        _ = shutdown.stopping() => {}
    }
    let stopped = tokio::time::timeout(grace, async {
        let served = server.await;
        shutdown.finished().await;
        served
    })
    .await;
    match stopped {
        Ok(served) => served.context("server error")?,
        Err(_) => tracing::warn!(
            grace_secs = grace.as_secs(),
            "stopping: work still in progress after the grace period; exiting anyway"
        ),
    }
    tracing::info!("stopped");
    Ok(())
}

/// SIGTERM (what orchestrators send) or Ctrl-C.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
                return;
            }
            Err(e) => tracing::warn!(error = %e, "cannot listen for SIGTERM; Ctrl-C only"),
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

fn init_tracing(config: &Config) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_new(&config.log).unwrap_or_else(|_| EnvFilter::new("info"));
    // Colour codes only on a terminal: a file or a pipe (journald, a log
    // collector) gets plain text.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let _ = if config.log_json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
