//! Logging: `RUST_LOG` filters, pretty or JSON lines, with the request's span
//! (request id, tenant) on every line logged while serving it.
//!
//! The server writes its lines from a thread of their own: a request hands its line over and goes
//! on. When the writer falls behind (a slow disk, a stalled pipe) and `log.buffered_lines` are
//! waiting, further lines are dropped and counted rather than a request waiting for the log.

use std::io::{BufWriter, IsTerminal};

use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::config::{Log, LogFormat};

/// Keeps the server's log writer running; dropping it writes out what is buffered.
#[must_use = "the log writer stops when this is dropped"]
pub struct LogGuard {
    _writer: Option<WorkerGuard>,
}

/// The server's logging: `info` unless `RUST_LOG` says otherwise, written off the request path.
pub fn init_server(log: &Log) -> LogGuard {
    // A block of lines is written at once, then flushed when the worker has no more waiting.
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(true)
        .buffered_lines_limit(log.buffered_lines.max(1))
        .thread_name("tenantry-log")
        .finish(BufWriter::with_capacity(64 * 1024, std::io::stderr()));
    let counter = writer.error_counter();
    match install(log.format, "info", writer) {
        true => {
            crate::metrics::follow_log_drops(counter);
            LogGuard {
                _writer: Some(guard),
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
fn install<W>(format: LogFormat, default_filter: &str, writer: W) -> bool
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    // Colours only for a person at a terminal: escape codes in a log file are noise to grep.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(writer);
    match format {
        LogFormat::Pretty => builder.try_init().is_ok(),
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .try_init()
            .is_ok(),
    }
}
