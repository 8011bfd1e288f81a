//! Logging: `RUST_LOG` filters, pretty or JSON lines, with the request's span
//! (request id, tenant) on every line logged while serving it.
//!
//! The server writes its lines from a thread of their own ([`batched`]): a request leaves its line
//! in memory and goes on. When the writer falls behind (a slow disk, a stalled pipe) and
//! `log.buffered_lines` are waiting, further lines are dropped and counted rather than a request
//! waiting for the log.

mod batched;
mod line;

use std::io::IsTerminal;

use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::config::{Log, LogFormat};

/// Keeps the server's log writer running; dropping it writes out what is buffered.
#[must_use = "the log writer stops when this is dropped"]
pub struct LogGuard {
    _writer: Option<batched::Writing>,
}

/// The server's logging: `info` unless `RUST_LOG` says otherwise, written off the request path.
pub fn init_server(log: &Log) -> LogGuard {
    let Ok((writer, dropped, writing)) = batched::start(std::io::stderr(), log.buffered_lines)
    else {
        // No thread for the log: lines are written as they happen instead.
        install(log.format, "info", std::io::stderr);
        return LogGuard { _writer: None };
    };
    match install(log.format, "info", writer) {
        true => {
            crate::metrics::follow_log_drops(move || dropped.lines());
            LogGuard {
                _writer: Some(writing),
            }
        }
        false => LogGuard { _writer: None },
    }
}

/// The logging of one-shot commands, whose output is their answer: `default_filter` (`warn`)
/// unless `RUST_LOG` says otherwise, written as it happens.
pub fn init(format: LogFormat, default_filter: &str) {
    install(format, default_filter, std::io::stderr);
}

/// Sets the process's subscriber; `false` when one was already set (tests start many apps in one
/// process, and the first keeps its logging).
///
/// A `RUST_LOG` of targets and levels only (`info`, `warn,tenantry=debug`) becomes a `Targets`
/// filter, decided once per call site. Span and field directives need an `EnvFilter`, which
/// looks at every span entered and exited: a cost on every request, paid only when asked for.
fn install<W>(format: LogFormat, default_filter: &str, writer: W) -> bool
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let spec = std::env::var("RUST_LOG")
        .ok()
        .filter(|spec| !spec.trim().is_empty());
    // Colours only for a person at a terminal: escape codes in a log file are noise to grep.
    let terminal = std::io::stderr().is_terminal();
    let lines = tracing_subscriber::fmt::layer()
        .with_ansi(terminal)
        .with_writer(writer);
    let lines = match format {
        LogFormat::Pretty if terminal => lines.boxed(),
        // The same line, written for a file or a pipe at a fraction of the cost ([`line`]).
        LogFormat::Pretty => lines
            .event_format(line::Line)
            .fmt_fields(line::Fields)
            .boxed(),
        LogFormat::Json => lines
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .boxed(),
    };
    let fallback = || {
        default_filter
            .parse::<Targets>()
            .unwrap_or_default()
            .boxed()
    };
    // A `RUST_LOG` that does not parse leaves the default, rather than silencing the server.
    let filter = match spec.as_deref() {
        Some(spec) if needs_env_filter(spec) => EnvFilter::try_new(spec)
            .map(Layer::boxed)
            .unwrap_or_else(|_| fallback()),
        Some(spec) => spec
            .parse::<Targets>()
            .map(Layer::boxed)
            .unwrap_or_else(|_| fallback()),
        None => fallback(),
    };
    tracing_subscriber::registry()
        .with(filter)
        .with(lines)
        .try_init()
        .is_ok()
}

/// Whether `spec` has span (`[…]`) or field (`{…}`) directives, which `Targets` would take for
/// part of a target name.
fn needs_env_filter(spec: &str) -> bool {
    spec.contains(['[', '{'])
}

#[cfg(test)]
mod tests {
    use super::needs_env_filter;

    /// `Targets` parses a span or field directive without complaint (as a strange target name),
    /// so those must be recognised first, or they would silently match nothing.
    #[test]
    fn span_and_field_directives_go_to_an_env_filter() {
        assert!(!needs_env_filter("info"));
        assert!(!needs_env_filter("warn,tenantry::http=debug"));
        assert!(needs_env_filter("info,tenantry[request]=debug"));
        assert!(needs_env_filter("[{tenant=acme}]=debug"));
    }
}
