//! The `ztd-dashboard` command. Thin: parse the command line, start logging, hand over.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use ztd_dashboard::sandbox::{
    FaultSettings, JobTiming, RegisteredClient, Sandbox, SandboxConfig, DEMO_USERS,
};
use ztd_dashboard::server::startup::Application;
use ztd_dashboard::server::Config;

#[derive(Parser)]
#[command(
    name = "ztd-dashboard",
    version,
    about = "Register Windows Autopilot devices through Partner Center"
)]
struct Cli {
    /// What to run; without one, the dashboard.
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the dashboard (configured by ZTD_* variables; see README). The default.
    Serve,
    /// Run the built-in simulator of Entra ID and Partner Center on its own.
    Sandbox(SandboxArgs),
    /// Check device lists (CSV, text, XLSX, XLS, ODS) exactly as an upload would, without
    /// signing in. Exit status: 0 all rows valid, 1 some row has an error, 2 a file cannot be read.
    Check(CheckArgs),
}

#[derive(Args)]
struct CheckArgs {
    /// The files to check.
    #[arg(required = true)]
    files: Vec<std::path::PathBuf>,
    /// Print a JSON document instead of a readable report.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct SandboxArgs {
    /// Address to listen on (port 0 picks a free one).
    #[arg(long, env = "ZTD_SANDBOX_ADDR", default_value = "127.0.0.1:3100")]
    addr: SocketAddr,
    /// Host name used in the URLs the sandbox hands out.
    #[arg(long, env = "ZTD_SANDBOX_HOST", default_value = "localhost")]
    public_host: String,
    /// Client id of the app registration.
    #[arg(long, env = "ZTD_SANDBOX_CLIENT_ID", default_value_t = ztd_dashboard::sandbox::config::DEFAULT_CLIENT_ID.to_string())]
    client_id: String,
    /// Client secret of the app registration.
    #[arg(long, env = "ZTD_SANDBOX_CLIENT_SECRET", default_value = ztd_dashboard::sandbox::config::DEFAULT_CLIENT_SECRET)]
    client_secret: String,
    /// Allowed redirect URI (repeat for several; compared byte for byte).
    #[arg(long = "redirect-uri", env = "ZTD_SANDBOX_REDIRECT_URIS", value_delimiter = ',',
          default_value = ztd_dashboard::sandbox::config::DEFAULT_REDIRECT_URI)]
    redirect_uris: Vec<String>,
    /// Lifetime of access and id tokens, in seconds.
    #[arg(long, env = "ZTD_SANDBOX_TOKEN_LIFETIME", default_value_t = 3600)]
    token_lifetime: u64,
    /// Milliseconds a job stays queued.
    #[arg(long, env = "ZTD_SANDBOX_JOB_QUEUED_MS", default_value_t = 1000)]
    job_queued_ms: u64,
    /// Milliseconds a job spends processing.
    #[arg(long, env = "ZTD_SANDBOX_JOB_PROCESSING_MS", default_value_t = 2000)]
    job_processing_ms: u64,
    /// Seed of the deterministic data.
    #[arg(long, env = "ZTD_SANDBOX_SEED", default_value_t = 2026)]
    seed: u64,
    /// How much seed data: `small`, or `large` (50,000 more devices, for the device index).
    #[arg(long, env = "ZTD_SANDBOX_SEED_SIZE", default_value = "small")]
    seed_size: ztd_dashboard::sandbox::config::SeedSize,
    /// Do not prefix JSON bodies with a UTF-8 BOM.
    #[arg(long, env = "ZTD_SANDBOX_NO_BOM")]
    no_bom: bool,
    /// Added latency per Partner Center request, in milliseconds.
    #[arg(long, env = "ZTD_SANDBOX_LATENCY_MS", default_value_t = 0)]
    latency_ms: u64,
    /// Share (0-1) of Partner Center requests answered 500/503.
    #[arg(long, env = "ZTD_SANDBOX_ERROR_RATE", default_value_t = 0.0)]
    error_rate: f64,
    /// Share (0-1) of Partner Center connections dropped after processing.
    #[arg(long, env = "ZTD_SANDBOX_DROP_RATE", default_value_t = 0.0)]
    drop_rate: f64,
    /// Requests per minute per partner tenant before 429.
    #[arg(long, env = "ZTD_SANDBOX_RATE_LIMIT")]
    rate_limit_per_minute: Option<u32>,
}

impl SandboxArgs {
    fn into_config(self) -> Result<SandboxConfig, String> {
        for (name, rate) in [
            ("--error-rate", self.error_rate),
            ("--drop-rate", self.drop_rate),
        ] {
            if !(0.0..=1.0).contains(&rate) {
                return Err(format!("{name} must be between 0 and 1, not {rate}"));
            }
        }
        Ok(SandboxConfig {
            addr: self.addr,
            public_host: self.public_host,
            clients: vec![RegisteredClient {
                client_id: self.client_id,
                client_secret: self.client_secret,
                redirect_uris: self.redirect_uris,
            }],
            access_token_lifetime: Duration::from_secs(self.token_lifetime),
            jobs: JobTiming {
                queued: Duration::from_millis(self.job_queued_ms),
                processing: Duration::from_millis(self.job_processing_ms),
            },
            faults: FaultSettings {
                latency_ms: self.latency_ms,
                error_rate: self.error_rate,
                drop_rate: self.drop_rate,
                rate_limit_per_minute: self.rate_limit_per_minute,
                ..FaultSettings::default()
            },
            emit_bom: !self.no_bom,
            seed: self.seed,
            size: self.seed_size,
            ..SandboxConfig::default()
        })
    }
}

/// How log lines are written (`ZTD_LOG_FORMAT`): for people, or one JSON object a line for a
/// log collector.
#[derive(Clone, Copy)]
enum LogFormat {
    Text,
    Json,
}

impl LogFormat {
    fn from_env() -> Option<LogFormat> {
        match std::env::var("ZTD_LOG_FORMAT").unwrap_or_default().trim() {
            "" | "text" => Some(LogFormat::Text),
            "json" => Some(LogFormat::Json),
            _ => None,
        }
    }
}

/// What runs as a service: under a runtime, with the log set up.
enum Service {
    Dashboard,
    Sandbox(SandboxArgs),
}

fn main() -> ExitCode {
    let service = match Cli::parse().command {
        // `check` reads files and prints a report: no runtime, no log. Its start-up is part
        // of every run a person times (`make bench`: whole processes against `cat`).
        Some(Command::Check(args)) => return check(&args),
        None | Some(Command::Serve) => Service::Dashboard,
        Some(Command::Sandbox(args)) => Service::Sandbox(args),
    };
    ztd_dashboard::server::memory::configure();
    match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime.block_on(serve(service)),
        Err(error) => {
            eprintln!("ztd-dashboard: cannot start: {error}");
            ExitCode::from(2)
        }
    }
}

async fn serve(service: Service) -> ExitCode {
    let Some(format) = LogFormat::from_env() else {
        eprintln!("invalid configuration: ZTD_LOG_FORMAT: expected text or json");
        return ExitCode::from(2);
    };
    // PostgreSQL's notices on `IF [NOT] EXISTS` at each start ("relation … already exists,
    // skipping") are not news; its warnings still show.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sqlx::postgres::notice=warn".into());
    let logs = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Text => logs.init(),
        // One object a line, with the fields of the spans it is in (the request's id, the
        // Partner Center call's correlation id) beside its own.
        LogFormat::Json => logs.json().with_span_list(true).init(),
    }
    ztd_dashboard::server::panics::report();
    match service {
        Service::Dashboard => run_dashboard(format).await,
        Service::Sandbox(args) => run_sandbox(args).await,
    }
}

fn check(args: &CheckArgs) -> ExitCode {
    let (report, status) = ztd_dashboard::check::run(&args.files, args.json);
    print!("{report}");
    ExitCode::from(status)
}

async fn run_dashboard(format: LogFormat) -> ExitCode {
    // Where it listens and how to sign in, for the person who started it; a log line of its
    // own where the log is JSON, so that every line of the output is one object.
    let say = |line: String| match format {
        LogFormat::Text => println!("{line}"),
        LogFormat::Json => tracing::info!("{line}"),
    };
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("ztd-dashboard: {error}");
            return ExitCode::from(2);
        }
    };
    let app = match Application::build(config).await {
        Ok(app) => app,
        Err(error) => {
            eprintln!("ztd-dashboard: {error}");
            return ExitCode::from(1);
        }
    };
    let listening = format!("http://{}/", app.local_addr());
    match app.public_url().as_str() {
        public if public == listening => say(format!("ztd-dashboard is listening on {public}")),
        // Behind a load balancer, or any other front: where it listens, and where people go.
        public => say(format!(
            "ztd-dashboard is listening on {listening} (public address {public})"
        )),
    }
    if let Some(sandbox) = app.sandbox() {
        say(format!(
            "No Microsoft configuration: using the built-in sandbox at {}",
            sandbox.base_url()
        ));
        say(format!(
            "Open {} and sign in as one of these demo users:",
            app.public_url()
        ));
        for user in DEMO_USERS.iter() {
            say(format!("  {:<42} {}", user.upn, user.purpose));
        }
    }
    match app.run_until(stop_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("ztd-dashboard: server error: {error}");
            ExitCode::from(1)
        }
    }
}

/// Ctrl-C or SIGTERM.
async fn stop_signal() {
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate() => {}
    }
}

async fn run_sandbox(args: SandboxArgs) -> ExitCode {
    let config = match args.into_config() {
        Ok(config) => config,
        Err(message) => {
            eprintln!("ztd-dashboard sandbox: {message}");
            return ExitCode::from(2);
        }
    };
    let sandbox = match Sandbox::start(config).await {
        Ok(sandbox) => sandbox,
        Err(error) => {
            eprintln!("ztd-dashboard sandbox: cannot listen: {error}");
            return ExitCode::from(1);
        }
    };
    let client = &sandbox.config().clients[0];
    println!(
        "Sandbox (Entra ID + Partner Center) listening on {}",
        sandbox.local_addr()
    );
    println!(
        "  Partner Center base URL: {}  (routes under /v1)",
        sandbox.base_url()
    );
    println!("  Entra ID authority:      {}", sandbox.authority());
    println!("  client id:               {}", client.client_id);
    println!("  client secret:           {}", client.client_secret);
    println!(
        "  redirect URIs:           {}",
        client.redirect_uris.join(", ")
    );
    println!("  admin and help:          {}/_sandbox", sandbox.base_url());
    println!("Demo users (any password-less sign-in; add login_hint=<upn> to skip the page):");
    for user in DEMO_USERS.iter() {
        println!("  {:<42} {}", user.upn, user.purpose);
    }
    stop_signal().await;
    println!("Sandbox stopping.");
    sandbox.shutdown().await;
    ExitCode::SUCCESS
}

/// Resolves on SIGTERM (never on platforms without it).
async fn terminate() {
    #[cfg(unix)]
    if let Ok(mut signal) =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
    {
        signal.recv().await;
        return;
    }
    std::future::pending::<()>().await
}
