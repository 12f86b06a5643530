use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    motcua::cli::run().await
}
