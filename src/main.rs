//! The `taskfish` command line: parse flags, load the configuration file and
//! hand over to [`taskfish::serve`]. Nothing else lives here.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use taskfish::config::Config;

/// A Redfish service whose long operations run as DMTF tasks.
#[derive(Debug, Parser)]
#[command(name = "taskfish", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the Redfish service until SIGTERM or SIGINT.
    Serve(ServeArgs),
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// TOML configuration file; flags given on the command line win.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Address to listen on; port 0 picks a free port.
    #[arg(long)]
    listen: Option<String>,
    /// Multiplies every simulated duration (0.01 makes a 10 s reset take 0.1 s).
    #[arg(long)]
    time_scale: Option<f64>,
    /// Directory of the durable task store (created if missing).
    #[arg(long, value_name = "DIR", conflicts_with = "ephemeral")]
    data_dir: Option<PathBuf>,
    /// Keep tasks in memory only: everything is lost when the process ends.
    #[arg(long)]
    ephemeral: bool,
    /// Let `POST /redfish/v1/TaskService/Tasks` create synthetic tasks.
    #[arg(long)]
    test_tasks: bool,
    /// Log filter in `tracing` syntax, e.g. `info` or `taskfish=debug`.
    #[arg(long)]
    log: Option<String>,
    /// Write logs as JSON lines instead of text.
    #[arg(long)]
    log_json: bool,
}

fn main() -> ExitCode {
    let Cli {
        command: Command::Serve(args),
    } = Cli::parse();
    let config = match load_config(&args) {
        Ok(config) => config,
        Err(err) => {
            eprintln!("taskfish: {err}");
            return ExitCode::from(2);
        }
    };
    taskfish::logging::init(&config.log, config.log_json);

    match taskfish::serve(config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("taskfish: {err}");
            ExitCode::FAILURE
        }
    }
}

/// Reads the configuration file (if any) and lays the flags over it.
fn load_config(args: &ServeArgs) -> Result<Config, taskfish::config::ConfigError> {
    let mut config = match &args.config {
        Some(path) => Config::from_file(path)?,
        None => Config::default(),
    };
    if let Some(listen) = &args.listen {
        config.listen.clone_from(listen);
    }
    if let Some(scale) = args.time_scale {
        config.time_scale = scale;
    }
    if args.test_tasks {
        config.test_tasks = true;
    }
    if let Some(dir) = &args.data_dir {
        config.data_dir = Some(dir.clone());
    }
    config.ephemeral |= args.ephemeral;
    if let Some(log) = &args.log {
        config.log.clone_from(log);
    }
    config.log_json |= args.log_json;
    config.validate()?;
    Ok(config)
}
