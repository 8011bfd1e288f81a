//! The figures of a run, the ratios that matter, and the Markdown table they are written as.

use std::error::Error;
use std::fmt::Write;
use std::path::Path;

use crate::load::{Figures, Load};
use crate::scenarios::Scenario;
use crate::seed::Seeded;

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// One scenario under load.
pub struct Measured {
    pub id: &'static str,
    name: &'static str,
    figures: Figures,
    read_only: bool,
    /// SQL statements the server ran during the load, (reads, writes); `None` for the peer.
    statements: Option<(u64, u64)>,
}

impl Measured {
    /// Refuses figures that include answers other than the scenario's own status.
    pub fn new(
        scenario: &Scenario,
        figures: Figures,
        statements: Option<((u64, u64), (u64, u64))>,
    ) -> Result<Self> {
        let refused = match scenario.status {
            status if status >= 400 => figures.requests - figures.status_errors,
            _ => figures.status_errors,
        };
        if refused > 0 || figures.socket_errors > 0 || figures.requests == 0 {
            return Err(format!(
                "scenario {}: {} of {} answers had another status than {}, {} socket errors",
                scenario.id, refused, figures.requests, scenario.status, figures.socket_errors
            )
            .into());
        }
        Ok(Self {
            id: scenario.id,
            name: scenario.name,
            figures,
            read_only: scenario.read_only,
            statements: statements.map(|((r0, w0), (r1, w1))| (r1 - r0, w1 - w0)),
        })
    }

    pub fn summary(&self) -> String {
        format!(
            "{:>3} {:>9.0} req/s  p50 {:>6.2} ms  p99 {:>6.2} ms  {}",
            self.id,
            self.figures.per_second(),
            self.figures.p50_ms(),
            self.figures.p99_ms(),
            self.name
        )
    }

    fn per_second(&self) -> f64 {
        self.figures.per_second()
    }

    /// Statements per request, (reads, writes).
    fn per_request(&self) -> Option<(f64, f64)> {
        let requests = self.figures.requests as f64;
        self.statements
            .map(|(reads, writes)| (reads as f64 / requests, writes as f64 / requests))
    }
}

/// One database size of the scale scenario.
pub struct SizeFigures {
    tenants: u64,
    domains: u64,
    baseline: f64,
    branding: f64,
    viewer: f64,
    rss_kib: u64,
    peak_kib: u64,
}

impl SizeFigures {
    /// From the rows of scenarios 1, 2 and 4 measured on one server.
    pub fn from_rows(rows: &[Measured], seeded: &Seeded, (rss, peak): (u64, u64)) -> Self {
        let rate = |id| {
            rows.iter()
                .find(|row| row.id == id)
                .map_or(0.0, Measured::per_second)
        };
        Self {
            tenants: seeded.tenants,
            domains: seeded.domains,
            baseline: rate("1"),
            branding: rate("2"),
            viewer: rate("4"),
            rss_kib: rss,
            peak_kib: peak,
        }
    }

    pub fn of(report: &Report, seeded: &Seeded, memory: (u64, u64)) -> Self {
        Self::from_rows(&report.rows, seeded, memory)
    }
}

pub struct Report {
    load: Load,
    output: String,
    rows: Vec<Measured>,
    sizes: Vec<SizeFigures>,
    postgres: Option<(Measured, Measured)>,
    sign_in: Option<crate::sign_in::SignInFigures>,
    flood: Option<crate::flood::FloodFigures>,
    churn: Option<crate::churn::ChurnFigures>,
}

impl Report {
    pub fn new(load: &Load, output: &Path) -> Self {
        Self {
            load: *load,
            output: output.display().to_string(),
            rows: Vec::new(),
            sizes: Vec::new(),
            sign_in: None,
            flood: None,
            churn: None,
            postgres: None,
        }
    }

    pub fn add(&mut self, measured: Measured) {
        self.rows.push(measured);
    }

    pub fn size(&mut self, size: SizeFigures) {
        self.sizes.push(size);
    }

    /// The baseline and the write scenario on PostgreSQL.
    pub fn sign_in(&mut self, figures: crate::sign_in::SignInFigures) {
        self.sign_in = Some(figures);
    }

    pub fn add_postgres(&mut self, baseline: Measured, write: Measured) {
        self.postgres = Some((baseline, write));
    }

    fn rate(&self, id: &str) -> f64 {
        self.rows
            .iter()
            .find(|row| row.id == id)
            .map_or(f64::NAN, Measured::per_second)
    }

    pub fn render(&self, machine: &str) -> String {
        let mut out = String::from("# Tenantry benchmark\n\n");
        let _ = writeln!(
            out,
            "Measured {} on {machine}.\n\n\
             `cargo run --release -p tenantry-bench` (`just bench`) wrote this file ({}). Load: wrk, \
             {} thread, {} connections, {} s a scenario after a 2 s warm-up, from its own process on \
             the same machine. Server: the release `tenantry serve` with its default configuration \
             (logging at `info`, one line a request, to a file) on a fresh database, rate limits raised \
             out of the way. Ratios are throughputs against the baseline (1) or the peer (1b) \
             measured in the same run; DB columns are the SQL statements the server ran during the \
             load, per request (`tenantry_db_statements_total`).\n",
            chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
            self.output,
            self.load.threads,
            self.load.connections,
            self.load.duration.as_secs(),
        );
        let baseline = self.rate("1");
        let peer = self.rate("1b");
        out += "## Scenarios (SQLite, 10 tenants)\n\n";
        out += "| # | scenario | req/s | p50 ms | p99 ms | × baseline | × peer | DB reads/req | DB writes/req |\n";
        out += "|---|---|---:|---:|---:|---:|---:|---:|---:|\n";
        let mut rows: Vec<&Measured> = self.rows.iter().collect();
        rows.sort_by_key(|row| order(row.id));
        for row in rows {
            let versus_peer = match row.id {
                "4" | "5" => format!("{:.2}", row.per_second() / peer),
                _ => String::new(),
            };
            table_row(&mut out, row, row.per_second() / baseline, &versus_peer);
        }
        if let Some((pg_baseline, write)) = &self.postgres {
            out += "\n## Write on PostgreSQL (10 tenants)\n\n";
            out += "| # | scenario | req/s | p50 ms | p99 ms | × baseline | × peer | DB reads/req | DB writes/req |\n";
            out += "|---|---|---:|---:|---:|---:|---:|---:|---:|\n";
            for row in [pg_baseline, write] {
                table_row(
                    &mut out,
                    row,
                    row.per_second() / pg_baseline.per_second(),
                    "",
                );
            }
        }
        out += &self.scale();
        out += &self.sign_in_section();
        out += &self.flood_section();
        out += &self.churn_section();
        out += &self.targets(baseline, peer);
        out
    }

    fn scale(&self) -> String {
        let mut out = String::from(
            "\n## Scale (SQLite): scenarios 2 and 4 on 10 tenants and on many\n\n\
             Memory is the server's resident set (and its peak) after scenarios 1, 2 and 4. The two \
             sizes run on two server processes one after the other, so the machine's state moves \
             between them: the last row relates each size's 2 and 4 to its own baseline first, and \
             the targets are judged on it.\n\n\
             | tenants | domains | 1 req/s | 2 req/s | 4 req/s | RSS MiB | peak RSS MiB |\n\
             |---:|---:|---:|---:|---:|---:|---:|\n",
        );
        for size in &self.sizes {
            let _ = writeln!(
                out,
                "| {} | {} | {:.0} | {:.0} | {:.0} | {:.1} | {:.1} |",
                size.tenants,
                size.domains,
                size.baseline,
                size.branding,
                size.viewer,
                size.rss_kib as f64 / 1024.0,
                size.peak_kib as f64 / 1024.0
            );
        }
        if let [small, large] = self.sizes.as_slice() {
            let _ = writeln!(
                out,
                "| ratio | | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} |",
                large.baseline / small.baseline,
                large.branding / small.branding,
                large.viewer / small.viewer,
                large.rss_kib as f64 / small.rss_kib as f64,
                large.peak_kib as f64 / small.peak_kib as f64
            );
            let (branding, viewer) = relative(small, large);
            let _ = writeln!(
                out,
                "| ratio, each against its baseline | | 1.00 | {branding:.2} | {viewer:.2} | | |"
            );
        }
        out
    }

    pub fn churn(&mut self, figures: crate::churn::ChurnFigures) {
        self.churn = Some(figures);
    }

    /// The churn section alone, for `--churn-only`.
    pub fn render_churn(&self) -> String {
        self.churn_section()
    }

    fn churn_section(&self) -> String {
        let Some(f) = &self.churn else {
            return String::new();
        };
        let mut out = String::from("\n## An API key beside sign-ins and sign-outs (SQLite)\n\n");
        let _ = writeln!(
            out,
            "wrk drives `viewer` with a secret key, alone and then while people of the same \
             tenant sign in with a password and sign out again, {} pairs a second (argon2id made \
             cheap for this scenario: what it measures is the sessions' writes and cache events). \
             Each sign-out must drop its own session from the caches and nothing else. Target: \
             the key's throughput beside them ≥ 0.9× alone.\n",
            crate::churn::RATE
        );
        out += "| key `viewer` | req/s |\n|---|---:|\n";
        let _ = writeln!(out, "| alone | {:.0} |", f.alone);
        let _ = writeln!(
            out,
            "| beside {} sign-in/sign-out pairs ({} failed) | {:.0} |",
            f.pairs, f.failed, f.beside
        );
        let _ = writeln!(out, "| ratio | {:.2}× |", f.ratio());
        out
    }

    pub fn flood(&mut self, figures: crate::flood::FloodFigures) {
        self.flood = Some(figures);
    }

    /// The flood section alone, for `--flood-only`.
    pub fn render_flood(&self) -> String {
        self.flood_section()
    }

    fn flood_section(&self) -> String {
        let Some(f) = &self.flood else {
            return String::new();
        };
        let mut out =
            String::from("\n## API key under an anonymous flood (SQLite, default limits)\n\n");
        let _ = writeln!(
            out,
            "A secret key sends `viewer` at {} requests a second, alone and then while wrk floods \
             `/api/branding` on the same tenant's host from random client addresses \
             (`X-Forwarded-For` from the trusted loopback): {:.0} requests a second, {} of them \
             refused by the per-IP budget.\n",
            crate::flood::RATE,
            f.flood_per_second,
            f.flood_refused
        );
        out += "| key requests | sent | 200 | 429 | other | p50 ms | p99 ms |\n|---|---:|---:|---:|---:|---:|---:|\n";
        for (name, p) in [("alone", &f.quiet), ("under the flood", &f.flooded)] {
            let _ = writeln!(
                out,
                "| {name} | {} | {} | {} | {} | {:.1} | {:.1} |",
                p.sent, p.ok, p.limited, p.other, p.p50_ms, p.p99_ms
            );
        }
        out
    }

    /// The sign-in section alone, for `--sign-in-only`.
    pub fn render_sign_in(&self) -> String {
        self.sign_in_section()
    }

    fn sign_in_section(&self) -> String {
        let Some(f) = &self.sign_in else {
            return String::new();
        };
        let mut out = String::from(
            "\n## Password sign-in (SQLite, default argon2 cost and hashing limit)\n\n",
        );
        let _ = writeln!(
            out,
            "{} bursts of {} concurrent logins for unknown addresses, then {} serial wrong \
             passwords each for a known address and an unknown one, alternating.\n",
            3,
            crate::sign_in::CONCURRENT,
            crate::sign_in::SAMPLES,
        );
        out += "| figure | value |\n|---|---:|\n";
        let _ = writeln!(
            out,
            "| peak resident memory before the bursts | {:.1} MiB |",
            f.peak_before_kib as f64 / 1024.0
        );
        let _ = writeln!(
            out,
            "| peak resident memory after the bursts | {:.1} MiB |",
            f.peak_after_kib as f64 / 1024.0
        );
        let _ = writeln!(
            out,
            "| slowest login of a burst (median of bursts) | {:.0} ms |",
            f.burst_ms
        );
        let _ = writeln!(
            out,
            "| median answer, known address | {:.1} ms |",
            f.known_ms
        );
        let _ = writeln!(
            out,
            "| median answer, unknown address | {:.1} ms |",
            f.unknown_ms
        );
        out
    }

    fn targets(&self, baseline: f64, peer: f64) -> String {
        let mut out = String::from("\n## Targets\n\n");
        let verdict = |met: bool| if met { "met" } else { "**missed**" };
        for (id, floor) in [("2", 0.85), ("3", 0.85)] {
            let ratio = self.rate(id) / baseline;
            let _ = writeln!(
                out,
                "- {id} at ≥ {floor}× the baseline: {ratio:.2}×, {}",
                verdict(ratio >= floor)
            );
        }
        for id in ["4", "5"] {
            let ratio = self.rate(id) / peer;
            let _ = writeln!(
                out,
                "- {id} at ≥ 0.9× the peer: {ratio:.2}×, {} (stretch ≥ 1.0×: {})",
                verdict(ratio >= 0.9),
                verdict(ratio >= 1.0)
            );
        }
        if let [small, large] = self.sizes.as_slice() {
            let (branding, viewer) = relative(small, large);
            for (id, ratio, raw) in [
                ("2", branding, large.branding / small.branding),
                ("4", viewer, large.viewer / small.viewer),
            ] {
                let _ = writeln!(
                    out,
                    "- {id} with {} tenants within 0.9× of {} tenants: {ratio:.2}× against \
                     each baseline ({raw:.2}× raw), {}",
                    self.sizes[1].tenants,
                    self.sizes[0].tenants,
                    verdict(ratio >= 0.9)
                );
            }
            let ratio = large.rss_kib as f64 / small.rss_kib as f64;
            let _ = writeln!(
                out,
                "- resident memory with {} tenants ≤ 1.2× that with {}: {ratio:.2}×, {}",
                large.tenants,
                small.tenants,
                verdict(ratio <= 1.2)
            );
        }
        if let Some(f) = &self.flood {
            let all_ok = f.flooded.ok == f.flooded.sent && f.flooded.limited == 0;
            let _ = writeln!(
                out,
                "- every key request under an anonymous flood answers 200, none 429: {} of {} 200, {} 429, {} (p99 {:.1} ms, {:.1} ms alone)",
                f.flooded.ok,
                f.flooded.sent,
                f.flooded.limited,
                verdict(all_ok),
                f.flooded.p99_ms,
                f.quiet.p99_ms
            );
        }
        if let Some(f) = &self.sign_in {
            let peak_mib = f.peak_after_kib as f64 / 1024.0;
            let _ = writeln!(
                out,
                "- peak resident memory under {} concurrent unknown-address logins ≤ 300 MiB: {peak_mib:.0} MiB, {}",
                crate::sign_in::CONCURRENT,
                verdict(peak_mib <= 300.0)
            );
            let gap = (f.known_ms - f.unknown_ms).abs() / f.unknown_ms.max(f.known_ms);
            let _ = writeln!(
                out,
                "- median answer of a known address within 10% of an unknown one: {:.1} ms vs {:.1} ms ({:.1}% apart), {}",
                f.known_ms,
                f.unknown_ms,
                gap * 100.0,
                verdict(gap <= 0.10)
            );
        }
        let writes: Vec<String> = self
            .rows
            .iter()
            .filter(|row| row.read_only)
            .filter_map(|row| Some((row.id, row.statements?.1)))
            .map(|(id, writes)| format!("{id}: {writes}"))
            .collect();
        let none = self
            .rows
            .iter()
            .filter(|row| row.read_only)
            .all(|row| row.per_request().is_none_or(|(_, writes)| writes < 0.01));
        let _ = writeln!(
            out,
            "- no write per request on the read paths: {} (statements written during each read \
             scenario, in all: {}; a few are the batched `last_used_at` of API keys, written \
             every `key_usage_flush_interval_secs`)",
            verdict(none),
            writes.join(", ")
        );
        out
    }
}

/// Scenarios 2 and 4 of the large size against those of the small, each first divided by its own
/// server's baseline.
fn relative(small: &SizeFigures, large: &SizeFigures) -> (f64, f64) {
    let share = |rate: f64, size: &SizeFigures| rate / size.baseline;
    (
        share(large.branding, large) / share(small.branding, small),
        share(large.viewer, large) / share(small.viewer, small),
    )
}

fn table_row(out: &mut String, row: &Measured, versus_baseline: f64, versus_peer: &str) {
    let (reads, writes) = row
        .per_request()
        .map_or((String::new(), String::new()), |(reads, writes)| {
            (format!("{reads:.3}"), format!("{writes:.3}"))
        });
    let _ = writeln!(
        out,
        "| {} | {} | {:.0} | {:.2} | {:.2} | {versus_baseline:.2} | {versus_peer} | {reads} | {writes} |",
        row.id,
        row.name,
        row.per_second(),
        row.figures.p50_ms(),
        row.figures.p99_ms(),
    );
}

/// Table order: 1, 1b, 2, 3, …
fn order(id: &str) -> (u32, String) {
    let digits: String = id.chars().take_while(char::is_ascii_digit).collect();
    (digits.parse().unwrap_or(u32::MAX), id.to_owned())
}
