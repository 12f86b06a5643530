//! The `motcua` command line. Every failure prints one line and exits 1.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use secrecy::ExposeSecret;

use crate::app::App;
use crate::config::Config;
use crate::domain::authz::{Grant, Role};
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
    /// with this callback body (HMAC-SHA256 under the configured secret):
    /// for testing POST /payments/callback by hand.
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
}

pub async fn run() -> ExitCode {
    let cli = Cli::parse();
    match execute(cli.command.unwrap_or(Command::Serve)).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(reason) => {
            eprintln!("motcua: {reason}");
            ExitCode::FAILURE
        }
    }
}

async fn execute(command: Command) -> Result<(), String> {
    if let Command::ExportSchema = command {
        print!("{}", crate::graphql::sdl());
        return Ok(());
    }
    let mut config = Config::from_env().map_err(|e| e.to_string())?;
    init_tracing(&config);
    match command {
        Command::Serve => serve(config).await,
        Command::SignCallback { body } => {
            let secret = crate::app::payment_callback_secret(&config)
                .map_err(|e| format!("cannot read the payment callback secret: {e}"))?;
            println!("{}", crate::domain::payment::sign(&secret, body.as_bytes()));
            Ok(())
        }
        Command::Migrate => {
            let db = crate::store::connect(config.database_url.expose_secret())
                .await
                .map_err(|e| format!("cannot open the database: {e}"))?;
            crate::store::migrate(&db)
                .await
                .map_err(|e| format!("cannot migrate the database: {e}"))?;
            println!("migrations applied");
            Ok(())
        }
        Command::SeedDemo => {
            config.demo = false;
            let app = App::start(config).await.map_err(|e| e.to_string())?;
            let loaded = demo::load_if_empty(&app.state)
                .await
                .map_err(|e| format!("cannot load the demo province: {e}"))?;
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
            let app = App::start(config).await.map_err(|e| e.to_string())?;
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
            .map_err(|e| {
                format!(
                    "cannot create the admin: {}",
                    e.message(crate::error::Lang::En)
                )
            })?;
            println!("one-time password (change it at first login): {password}");
            Ok(())
        }
        Command::ExportSchema => Ok(()),
    }
}

async fn serve(config: Config) -> Result<(), String> {
    let bind = config.bind;
    let app = App::start(config).await.map_err(|e| e.to_string())?;
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(|e| format!("MOTCUA_BIND: cannot listen on {bind}: {e}"))?;
    tracing::info!(%bind, "serving; playground at http://{bind}/graphiql");
    axum::serve(
        listener,
        app.router()
            .into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .map_err(|e| format!("server error: {e}"))
}

fn init_tracing(config: &Config) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_new(&config.log).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if config.log_json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
