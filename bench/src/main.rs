//! `tenantry-bench`: what a Tenantry request costs. Seeds fresh databases, starts the release
//! server on them, drives each scenario with `wrk` from its own process and prints requests/s,
//! p50/p99 and each scenario's throughput against the bare `/healthz` baseline (and the GraphQL
//! scenarios against a hand-rolled peer) measured in the same run. The table also goes to
//! `bench/results.md`.
//!
//! `cargo run --release -p tenantry-bench` (or `just bench`); `--help` for the knobs.

mod churn;
mod fanout;
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
use crate::report::{Measured, Report, Run, SizeFigures};
use crate::scenarios::{Scenario, Scenarios, Target};
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
    /// Run only the "subscription fan-out" scenario and print its figures
    #[arg(long)]
    fanout_only: bool,
    /// Run only these scenarios of the SQLite table (with what they are compared with: the
    /// baseline, their peer) and print them: `--only 4,5` checks one change in minutes
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Runs of each scenario; ratios and rates are the medians
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Where the table is written (Markdown)
    #[arg(long, default_value = "bench/results.md")]
    output: PathBuf,
}

/// The SQLite scenarios, in the order of a round: 1, 2 and 4 first, after which the memory of the
/// scale comparison is read.
const SQLITE: [&str; 13] = [
    "1", "2", "4", "1b", "3", "5", "5o", "5g", "6", "6b", "7", "7b", "9",
];
const POSTGRES: [&str; 5] = ["1", "6", "6b", "7", "7b"];
const SCALE: [&str; 3] = ["1", "2", "4"];

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
    let mut report = Report::new(&bench.load, args.rounds, &args.output);
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
    if args.fanout_only {
        report.fanout(bench.fanout().await?);
        println!("{}", report.render_fanout());
        return Ok(());
    }
    if !args.only.is_empty() {
        let ids = with_references(&args.only)?;
        eprintln!(
            "== {SMALL} tenants, {LEADS} leads (SQLite): {}",
            ids.join(", ")
        );
        let servers = bench.start_sqlite_set("small", SMALL, LEADS).await?;
        let (rows, _) = bench.rounds(&servers, &ids, args.rounds, None).await?;
        report.add(rows);
        println!("{}\n{}", report.render_rows(), report.row_targets());
        return Ok(());
    }

    eprintln!("== {SMALL} tenants, {LEADS} leads (SQLite)");
    let servers = bench.start_sqlite_set("small", SMALL, LEADS).await?;
    let (rows, memory) = bench
        .rounds(&servers, &SQLITE, args.rounds, Some("4"))
        .await?;
    report.size(SizeFigures::from_rows(
        &rows,
        &servers.seeded,
        memory.ok_or("no memory reading")?,
        servers.tenantry.start_peak_kib,
    ));
    report.add(rows);
    let scenarios = Scenario::all(&servers.seeded);
    report.profile(bench.profile(&servers.tenantry, scenarios.get("5")?).await);
    drop(servers);

    report.sign_in(bench.sign_in().await?);
    report.flood(bench.flood().await?);
    report.churn(bench.churn().await?);
    report.fanout(bench.fanout().await?);

    eprintln!("== {} tenants (SQLite)", args.tenants);
    let (server, seeded) = bench.start_sqlite("large", args.tenants, 0).await?;
    let large = Servers {
        tenantry: server,
        log_off: None,
        peer: None,
        seeded,
    };
    let (rows, memory) = bench.rounds(&large, &SCALE, args.rounds, Some("4")).await?;
    report.size(SizeFigures::from_rows(
        &rows,
        &large.seeded,
        memory.ok_or("no memory reading")?,
        large.tenantry.start_peak_kib,
    ));
    drop(large);

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
        let (server, seeded) = bench.start(url.clone(), "postgres", SMALL, LEADS).await?;
        let peer = Server::peer(&bench.bin_dir, Some((&url, seeded.tenant_id))).await?;
        let servers = Servers {
            tenantry: server,
            log_off: None,
            peer: Some(peer),
            seeded,
        };
        let (rows, _) = bench.rounds(&servers, &POSTGRES, args.rounds, None).await?;
        report.add_postgres(rows);
        drop(servers);
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
            &[],
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

    /// The subscription fan-out, on a server of its own (its memory is the subscribers').
    async fn fanout(&self) -> Result<fanout::FanoutFigures> {
        eprintln!(
            "== subscription fan-out: {} subscribers, {} leads a second (SQLite)",
            fanout::SUBSCRIBERS,
            fanout::RATE
        );
        let (server, seeded) = self.start_sqlite("fanout", SMALL, 0).await?;
        let figures = fanout::measure(&server, &seeded)
            .await
            .map_err(|e| e.to_string())?;
        eprintln!(
            "{} of {} deliveries; p50 {:.1} ms, p99 {:.1} ms; {:.1} KiB per subscription",
            figures.delivered,
            figures.posted * figures.subscribers,
            figures.p50_ms,
            figures.p99_ms,
            figures.kib_per_subscription()
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

    /// The SQLite servers of the main table: Tenantry, the same with its log off, and the peer,
    /// on one freshly seeded database.
    async fn start_sqlite_set(&self, name: &str, tenants: u64, leads: u64) -> Result<Servers> {
        let (tenantry, seeded) = self.start_sqlite(name, tenants, leads).await?;
        let config = self.scratch.join(format!("{name}.toml"));
        let log_off = Server::tenantry(
            &self.bin_dir,
            &config,
            &self.scratch.join(format!("{name}-log-off.log")),
            &[("RUST_LOG", "warn")],
        )
        .await?;
        let url = format!(
            "sqlite://{}?mode=rwc",
            self.scratch.join(format!("{name}.db")).display()
        );
        let peer = Server::peer(&self.bin_dir, Some((&url, seeded.tenant_id))).await?;
        Ok(Servers {
            tenantry,
            log_off: Some(log_off),
            peer: Some(peer),
            seeded,
        })
    }

    /// Runs each of `ids` once a round for `rounds` rounds (the first warmed up); with
    /// `memory_after`, the Tenantry server's memory right after that scenario's first run.
    async fn rounds(
        &self,
        servers: &Servers,
        ids: &[&str],
        rounds: usize,
        memory_after: Option<&str>,
    ) -> Result<(Vec<Measured>, Option<(u64, u64)>)> {
        let scenarios: Scenarios = Scenario::all(&servers.seeded);
        let mut rows: Vec<Measured> = ids
            .iter()
            .map(|id| scenarios.get(id).map(Measured::new))
            .collect::<Result<_>>()?;
        let mut memory = None;
        for round in 0..rounds.max(1) {
            eprintln!("-- round {} of {}", round + 1, rounds.max(1));
            for (row, id) in rows.iter_mut().zip(ids) {
                let scenario = scenarios.get(id)?;
                let server = servers.of(scenario.target)?;
                row.push(self.measure(server, scenario, round == 0).await?);
                if round == 0 && memory_after == Some(*id) {
                    memory = Some(servers.tenantry.memory_kib()?);
                }
            }
        }
        Ok((rows, memory))
    }

    /// Checks one answer, warms up (on the first run), then measures under load.
    async fn measure(&self, server: &Server, scenario: &Scenario, warm_up: bool) -> Result<Run> {
        scenario.check(&server.base).await?;
        if warm_up {
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
        }
        let before = server.statements().await?;
        let cpu = server.cpu_seconds()?;
        let figures = load::run(
            &self.wrk,
            &self.scratch,
            &server.base,
            &scenario.shape,
            self.load,
        )?;
        let cpu = server.cpu_seconds()? - cpu;
        let after = server.statements().await?;
        let run = Run::new(scenario, figures, cpu, before.zip(after))?;
        eprintln!("{}", run.summary(scenario));
        Ok(run)
    }

    /// The top symbols of a `perf record` of `server` under `scenario`, or why there are none.
    async fn profile(
        &self,
        server: &Server,
        scenario: &Scenario,
    ) -> std::result::Result<Vec<(f64, String)>, String> {
        eprintln!("== profile of scenario {}", scenario.id);
        let perf = installed("perf", "linux-perf")
            .map_err(|e| format!("perf is not installed and cannot be: {e}"))?;
        let data = self.scratch.join("perf.data");
        let load = Load {
            duration: Duration::from_secs(8),
            ..self.load
        };
        let (wrk, scratch, base, shape) = (
            self.wrk.clone(),
            self.scratch.clone(),
            server.base.clone(),
            scenario.shape.clone(),
        );
        let loading =
            std::thread::spawn(move || load::run(&wrk, &scratch, &base, &shape, load).is_ok());
        tokio::time::sleep(Duration::from_secs(2)).await;
        let recorded = Command::new(&perf)
            .args(["record", "-F", "999", "-q", "-o"])
            .arg(&data)
            .args(["-p", &server.pid().to_string(), "--", "sleep", "5"])
            .output()
            .map_err(|e| format!("perf record: {e}"))?;
        let _ = loading.join();
        if !recorded.status.success() {
            return Err(format!(
                "perf record failed here ({})",
                String::from_utf8_lossy(&recorded.stderr).trim()
            ));
        }
        let report = Command::new(&perf)
            .args([
                "report",
                "--stdio",
                "--no-children",
                "--sort",
                "dso,symbol",
                "-i",
            ])
            .arg(&data)
            .output()
            .map_err(|e| format!("perf report: {e}"))?;
        let symbols: Vec<(f64, String)> = String::from_utf8_lossy(&report.stdout)
            .lines()
            .filter(|line| !line.starts_with('#'))
            .filter_map(|line| {
                let (share, rest) = line.trim().split_once('%')?;
                // `perf` pads the columns it leaves empty with `-`.
                let words = rest.split_whitespace().filter(|word| *word != "-");
                let symbol = words.collect::<Vec<_>>().join(" ");
                Some((share.parse().ok()?, symbol.chars().take(160).collect()))
            })
            .take(25)
            .collect();
        match symbols.is_empty() {
            true => Err("perf report found no samples".into()),
            false => Ok(symbols),
        }
    }
}

/// The servers a set of scenarios loads, and the credentials seeded for them.
struct Servers {
    tenantry: Server,
    log_off: Option<Server>,
    peer: Option<Server>,
    seeded: Seeded,
}

impl Servers {
    fn of(&self, target: Target) -> Result<&Server> {
        match target {
            Target::Tenantry => Ok(&self.tenantry),
            Target::LogOff => self
                .log_off
                .as_ref()
                .ok_or_else(|| "no log-off server".into()),
            Target::Peer => self.peer.as_ref().ok_or_else(|| "no peer".into()),
        }
    }
}

/// `ids` with what they are compared with (the baseline, a peer, 5 for 5o), in round order.
fn with_references(ids: &[String]) -> Result<Vec<&'static str>> {
    let mut wanted: Vec<&str> = vec!["1"];
    for id in ids {
        let id = SQLITE
            .iter()
            .find(|known| **known == id.trim())
            .ok_or_else(|| format!("no scenario {id} (known: {})", SQLITE.join(", ")))?;
        wanted.push(id);
        wanted.extend(report::peer_of(id));
        if *id == "5o" || *id == "5g" {
            wanted.push("5");
        }
    }
    Ok(SQLITE
        .iter()
        .copied()
        .filter(|id| wanted.contains(id))
        .collect())
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

/// How the server, the peer and this binary are built (as `just bench` builds them first).
const BUILD: [&str; 7] = [
    "build",
    "--release",
    "--locked",
    "-p",
    "tenantry",
    "-p",
    "tenantry-bench",
];

/// Builds the server and the peer in release; answers the directory they are in (this binary's).
fn build() -> Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        // The same command as `just bench`'s: a second build with another selection of packages
        // could unify features differently and compile everything again.
        .args(BUILD)
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
    installed("wrk", "wrk")
}

/// `program` on the PATH, installed with apt-get (Debian's `package`) when missing.
fn installed(program: &str, package: &str) -> Result<PathBuf> {
    if let Some(found) = on_path(program) {
        return Ok(found);
    }
    eprintln!("{program} is not installed; installing {package} with apt-get");
    let root = Command::new("id").arg("-u").output()?.stdout == b"0\n";
    let install =
        format!("apt-get install -y {package} || (apt-get update && apt-get install -y {package})");
    let status = match root {
        true => Command::new("sh").args(["-c", &install]).status()?,
        false => Command::new("sudo")
            .args(["-n", "sh", "-c", &install])
            .status()?,
    };
    match (status.success(), on_path(program)) {
        (true, Some(found)) => Ok(found),
        _ => Err(format!(
            "cannot install {program}; install it (Debian: apt-get install {package}) and retry"
        )
        .into()),
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
