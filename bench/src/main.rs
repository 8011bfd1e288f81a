//! `tenantry-bench`: what a Tenantry request costs. Seeds fresh databases, starts the release
//! server on them, drives each scenario with `wrk` from its own process and prints requests/s,
//! p50/p99 and each scenario's throughput against the bare `/healthz` baseline (and the GraphQL
//! scenarios against a hand-rolled peer) measured in the same run. The table also goes to
//! `bench/results.md`.
//!
//! `cargo run --release -p tenantry-bench` (or `just bench`); `--help` for the knobs.

mod churn;
mod flood;
mod load;
mod report;
mod scenarios;
mod seed;
mod server;
mod sign_in;

use std::error::Error;
use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::time::Duration;

use clap::Parser;
use tenantry::config::Config;

use crate::load::Load;
use crate::report::{Measured, Report, SizeFigures};
use crate::scenarios::Scenario;
use crate::seed::Seeded;
use crate::server::Server;

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// Every rate limit, raised out of the way: the benchmark measures requests, not the limiter.
const UNLIMITED: u32 = 1_000_000_000;
/// The demo tenant's leads, for the `leads(first: 20)` scenario.
const LEADS: u64 = 10_000;
const SMALL: u64 = 10;

#[derive(Parser, Debug)]
#[command(about = "Benchmark Tenantry against a bare baseline and a hand-rolled peer")]
struct Args {
    /// Seconds of measured load per scenario (each is preceded by a 2 s warm-up)
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Open connections of the load generator
    #[arg(long, default_value_t = 64)]
    connections: u32,
    /// Threads of the load generator
    #[arg(long, default_value_t = 1)]
    threads: u32,
    /// Tenants of the large database of the scale scenario (8 domains each)
    #[arg(long, default_value_t = 100_000)]
    tenants: u64,
    /// PostgreSQL server of the write scenario on PostgreSQL; a database `tenantry_bench` is
    /// created on it and dropped afterwards
    #[arg(
        long,
        env = "TENANTRY_BENCH_POSTGRES_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    postgres_url: String,
    /// Leave out the PostgreSQL scenario (no PostgreSQL server at hand)
    #[arg(long)]
    no_postgres: bool,
    /// Run only the password sign-in scenario and print its figures (nothing is written)
    #[arg(long)]
    sign_in_only: bool,
    /// Run only the "API key under an anonymous flood" scenario and print its figures
    #[arg(long)]
    flood_only: bool,
    /// Run only the "sign-ins and logouts beside a key" scenario and print its figures
    #[arg(long)]
    churn_only: bool,
    /// Where the table is written (Markdown)
    #[arg(long, default_value = "bench/results.md")]
    output: PathBuf,
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Args::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("bench: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<()> {
    if cfg!(debug_assertions) {
        return Err("measure a release build: cargo run --release -p tenantry-bench".into());
    }
    let bin_dir = build()?;
    let wrk = wrk()?;
    let scratch = tempfile::tempdir()?;
    let bench = Bench {
        wrk,
        bin_dir,
        scratch: scratch.path().to_owned(),
        load: Load {
            threads: args.threads,
            connections: args.connections,
            duration: Duration::from_secs(args.duration),
        },
    };
    let mut report = Report::new(&bench.load, &args.output);
    if args.sign_in_only {
        report.sign_in(bench.sign_in().await?);
        report.flood(bench.flood().await?);
        println!("{}", report.render_sign_in());
        return Ok(());
    }
    if args.flood_only {
        report.flood(bench.flood().await?);
        println!("{}", report.render_flood());
        return Ok(());
    }
    if args.churn_only {
        report.churn(bench.churn().await?);
        println!("{}", report.render_churn());
        return Ok(());
    }

    eprintln!("== {SMALL} tenants, {LEADS} leads (SQLite)");
    let (server, seeded) = bench.start_sqlite("small", SMALL, LEADS).await?;
    let scenarios = Scenario::all(&seeded);
    for id in ["1", "2", "4"] {
        report.add(bench.measure(&server, scenarios.get(id)?).await?);
    }
    report.size(SizeFigures::of(&report, &seeded, server.memory_kib()?));
    for id in ["3", "5", "6", "9", "7"] {
        report.add(bench.measure(&server, scenarios.get(id)?).await?);
    }
    drop(server);
    let peer = Server::peer(&bench.bin_dir).await?;
    report.add(bench.measure(&peer, scenarios.get("1b")?).await?);
    drop(peer);

    report.sign_in(bench.sign_in().await?);
    report.flood(bench.flood().await?);
    report.churn(bench.churn().await?);

    eprintln!("== {} tenants (SQLite)", args.tenants);
    let (server, seeded) = bench.start_sqlite("large", args.tenants, 0).await?;
    let scenarios = Scenario::all(&seeded);
    let mut large = Vec::new();
    for id in ["1", "2", "4"] {
        large.push(bench.measure(&server, scenarios.get(id)?).await?);
    }
    report.size(SizeFigures::from_rows(
        &large,
        &seeded,
        server.memory_kib()?,
    ));
    drop(server);

    if args.no_postgres {
        eprintln!("== PostgreSQL left out (--no-postgres)");
    } else {
        eprintln!("== PostgreSQL");
        let database = "tenantry_bench";
        let url = seed::fresh_postgres(&args.postgres_url, database)
            .await
            .map_err(|e| {
                format!(
                    "PostgreSQL at {}: {e} (or --no-postgres)",
                    args.postgres_url
                )
            })?;
        let (server, seeded) = bench.start(url, "postgres", SMALL, 0).await?;
        let scenarios = Scenario::all(&seeded);
        let baseline = bench.measure(&server, scenarios.get("1")?).await?;
        let write = bench.measure(&server, scenarios.get("7")?).await?;
        report.add_postgres(baseline, write);
        drop(server);
        seed::drop_postgres(&args.postgres_url, database).await?;
    }

    let text = report.render(&machine());
    println!("{text}");
    std::fs::write(&args.output, &text)?;
    eprintln!("written to {}", args.output.display());
    Ok(())
}

struct Bench {
    wrk: PathBuf,
    bin_dir: PathBuf,
    scratch: PathBuf,
    load: Load,
}

impl Bench {
    async fn start_sqlite(&self, name: &str, tenants: u64, leads: u64) -> Result<(Server, Seeded)> {
        self.start_sqlite_with(name, tenants, leads, |_| async { Ok(()) })
            .await
    }

    /// As [`Bench::start_sqlite`], with `more` seeded before the server starts.
    async fn start_sqlite_with<F, Fut>(
        &self,
        name: &str,
        tenants: u64,
        leads: u64,
        more: F,
    ) -> Result<(Server, Seeded)>
    where
        F: FnOnce(Config) -> Fut,
        Fut: std::future::Future<Output = Result<()>>,
    {
        let file = self.scratch.join(format!("{name}.db"));
        let url = format!("sqlite://{}?mode=rwc", file.display());
        self.start_with(url, name, tenants, leads, more, Limits::Raised, "")
            .await
    }

    /// Seeds the empty database at `url`, then starts a server on it.
    async fn start(
        &self,
        database_url: String,
        name: &str,
        tenants: u64,
        leads: u64,
    ) -> Result<(Server, Seeded)> {
        self.start_with(
            database_url,
            name,
            tenants,
            leads,
            |_| async { Ok(()) },
            Limits::Raised,
            "",
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn start_with<F, Fut>(
        &self,
        database_url: String,
        name: &str,
        tenants: u64,
        leads: u64,
        more: F,
        limits: Limits,
        extra_toml: &str,
    ) -> Result<(Server, Seeded)>
    where
        F: FnOnce(Config) -> Fut,
        Fut: std::future::Future<Output = Result<()>>,
    {
        let config = config(database_url);
        let started = std::time::Instant::now();
        let seeded = seed::seed(&config, tenants, leads).await?;
        more(config.clone()).await?;
        eprintln!(
            "seeded {} tenants, {} domains in {:.1} s",
            seeded.tenants,
            seeded.domains,
            started.elapsed().as_secs_f64()
        );
        let file = self.scratch.join(format!("{name}.toml"));
        std::fs::write(&file, config_toml(&config, limits, extra_toml))?;
        let server = Server::tenantry(
            &self.bin_dir,
            &file,
            &self.scratch.join(format!("{name}.log")),
        )
        .await?;
        Ok((server, seeded))
    }

    /// "API key under an anonymous flood", on a server of its own with the default limits.
    async fn flood(&self) -> Result<flood::FloodFigures> {
        eprintln!("== an API key under an anonymous flood (SQLite, default limits)");
        let file = self.scratch.join("flood.db");
        let url = format!("sqlite://{}?mode=rwc", file.display());
        let (server, seeded) = self
            .start_with(
                url,
                "flood",
                SMALL,
                0,
                |_| async { Ok(()) },
                Limits::Default,
                "",
            )
            .await?;
        let figures = flood::measure(&self.wrk, &self.scratch, &server, &seeded, self.load).await?;
        eprintln!(
            "key alone: {} sent, {} ok, {} limited, p99 {:.1} ms; under a flood of {:.0} req/s ({} refused): {} sent, {} ok, {} limited, p99 {:.1} ms",
            figures.quiet.sent,
            figures.quiet.ok,
            figures.quiet.limited,
            figures.quiet.p99_ms,
            figures.flood_per_second,
            figures.flood_refused,
            figures.flooded.sent,
            figures.flooded.ok,
            figures.flooded.limited,
            figures.flooded.p99_ms
        );
        Ok(figures)
    }

    /// "Sign-ins and logouts beside a key", on a server of its own with cheap password hashing.
    async fn churn(&self) -> Result<churn::ChurnFigures> {
        eprintln!("== an API key beside sign-ins and sign-outs (SQLite)");
        let file = self.scratch.join("churn.db");
        let url = format!("sqlite://{}?mode=rwc", file.display());
        let (server, seeded) = self
            .start_with(
                url,
                "churn",
                SMALL,
                0,
                churn::seed_people,
                Limits::Raised,
                churn::CHEAP_HASHING,
            )
            .await?;
        let figures = churn::measure(&self.wrk, &self.scratch, &server, &seeded, self.load).await?;
        eprintln!(
            "key alone {:.0} req/s, beside {} sign-in/out pairs ({} failed) {:.0} req/s: {:.2}x",
            figures.alone,
            figures.pairs,
            figures.failed,
            figures.beside,
            figures.ratio()
        );
        Ok(figures)
    }

    /// The password sign-in scenario, on a server of its own (its peak memory is its own).
    async fn sign_in(&self) -> Result<sign_in::SignInFigures> {
        eprintln!("== password sign-in under a burst of unknown addresses (SQLite)");
        let (server, _) = self
            .start_sqlite_with("sign-in", SMALL, 0, sign_in::seed_known)
            .await?;
        let figures = sign_in::measure(&server).await?;
        eprintln!(
            "peak RSS {} -> {} KiB; burst {:.0} ms; known {:.1} ms, unknown {:.1} ms",
            figures.peak_before_kib,
            figures.peak_after_kib,
            figures.burst_ms,
            figures.known_ms,
            figures.unknown_ms
        );
        Ok(figures)
    }

    /// Checks one answer, warms up, then measures under load.
    async fn measure(&self, server: &Server, scenario: &Scenario) -> Result<Measured> {
        scenario.check(&server.base).await?;
        let warm_up = Load {
            duration: Duration::from_secs(2),
            ..self.load
        };
        load::run(
            &self.wrk,
            &self.scratch,
            &server.base,
            &scenario.shape,
            warm_up,
        )?;
        let before = server.statements().await?;
        let figures = load::run(
            &self.wrk,
            &self.scratch,
            &server.base,
            &scenario.shape,
            self.load,
        )?;
        let after = server.statements().await?;
        let measured = Measured::new(scenario, figures, before.zip(after))?;
        eprintln!("{}", measured.summary());
        Ok(measured)
    }
}

/// The configuration of the seeding and of the server (written out by [`config_toml`]).
/// The master key of every server this run starts (and of its seeding), as text.
pub fn master_key() -> &'static str {
    static KEY: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(tenantry::auth::master_key::MasterKey::generate);
    &KEY
}

fn config(database_url: String) -> Config {
    let mut config = Config::default();
    config.database.url = database_url;
    config.secrets.master_key = Some(tenantry::config::Secret::new(master_key()));
    config.limits = tenantry::config::Limits {
        tenant_per_minute: UNLIMITED,
        api_key_per_minute: UNLIMITED,
        ip_per_minute: UNLIMITED,
        address_per_minute: UNLIMITED,
        public_ip_per_minute: UNLIMITED,
        anonymous_graphql_per_minute: UNLIMITED,
        user_per_minute: UNLIMITED,
        redis_url: None,
    };
    // Longer than any run, so the minted token stays valid throughout.
    config.tokens.access_ttl = Duration::from_secs(6 * 3600);
    config
}

/// The server's configuration file: every rate limit raised out of the way, or (`limits`) the
/// defaults, for the scenario that measures the limits themselves.
fn config_toml(config: &Config, limits: Limits, extra: &str) -> String {
    let mut toml = format!(
        "[database]\nurl = {:?}\n[tokens]\naccess_ttl_secs = {}\n",
        config.database.url,
        config.tokens.access_ttl.as_secs()
    );
    if limits == Limits::Raised {
        toml += "[limits]\n";
        for name in [
            "tenant_per_minute",
            "api_key_per_minute",
            "ip_per_minute",
            "address_per_minute",
            "public_ip_per_minute",
            "anonymous_graphql_per_minute",
            "user_per_minute",
        ] {
            toml += &format!("{name} = {UNLIMITED}\n");
        }
    }
    toml + extra
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Limits {
    Raised,
    Default,
}

/// Builds the server and the peer in release; answers the directory they are in (this binary's).
fn build() -> Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args([
            "build",
            "--release",
            "--locked",
            "-p",
            "tenantry",
            "--bin",
            "tenantry",
        ])
        .args(["-p", "tenantry-bench", "--bin", "bench-peer"])
        .status()?;
    if !status.success() {
        return Err(format!("cargo build failed ({status})").into());
    }
    let exe = std::env::current_exe()?;
    Ok(exe
        .parent()
        .ok_or("no directory of this binary")?
        .to_owned())
}

/// `wrk` on the PATH, installed with apt-get when missing.
fn wrk() -> Result<PathBuf> {
    if let Some(found) = on_path("wrk") {
        return Ok(found);
    }
    eprintln!("wrk is not installed; installing it with apt-get");
    let root = Command::new("id").arg("-u").output()?.stdout == b"0\n";
    let install = "apt-get install -y wrk || (apt-get update && apt-get install -y wrk)";
    let status = match root {
        true => Command::new("sh").args(["-c", install]).status()?,
        false => Command::new("sudo")
            .args(["-n", "sh", "-c", install])
            .status()?,
    };
    match (status.success(), on_path("wrk")) {
        (true, Some(found)) => Ok(found),
        _ => Err("cannot install wrk; install it (Debian: apt-get install wrk) and retry".into()),
    }
}

fn on_path(program: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|path| path.is_file())
}

/// One line on what the figures were measured on.
fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|line| line.strip_prefix("model name"))
                .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let memory_gib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|line| line.strip_prefix("MemTotal:"))
                .and_then(|rest| rest.split_whitespace().next()?.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0 / 1024.0);
    let command = |program: &str, args: &[&str]| {
        Command::new(program)
            .args(args)
            .output()
            .ok()
            .map(|out| {
                let text = String::from_utf8_lossy(&out.stdout).into_owned()
                    + &String::from_utf8_lossy(&out.stderr);
                text.lines().next().unwrap_or_default().trim().to_owned()
            })
            .unwrap_or_default()
    };
    format!(
        "{cpu}, {cores} cores, {memory_gib:.0} GiB; {}; {}; {}",
        command("uname", &["-sr"]),
        command("rustc", &["--version"]),
        command("wrk", &["--version"]),
    )
}
