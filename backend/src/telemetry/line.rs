//! The text line of a log written to a file or a pipe: the same line as `tracing-subscriber`'s
//! default format, written straight into the line's buffer.
//!
//! The default format runs every part of a line through styling wrappers (even with colours off)
//! and formats the timestamp from scratch on every line; on a busy server that was most of what
//! logging a request cost. Here the timestamp's date and time to the second are kept per thread
//! and reused within the second, and fields are written without styling:
//!
//! `2026-12-03T18:10:23.724970Z  INFO request{request_id=… method=POST path=/graphql tenant="acme"}: tenantry::http: request finished status=200 latency_ms=0.063`

use std::cell::RefCell;
use std::fmt::{self, Write as _};
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::field::{MakeVisitor, VisitFmt, VisitOutput};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

/// The event format ([`FormatEvent`]).
pub struct Line;

/// The field format ([`FormatFields`], through [`MakeVisitor`]): `name=value`, space-separated,
/// strings and `?` values in their `Debug` form, `%` values as they display, `message` bare.
pub struct Fields;

impl<S, N> FormatEvent<S, N> for Line
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        timestamp(&mut writer)?;
        let metadata = event.metadata();
        writer.write_str(level(metadata.level()))?;
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                writer.write_str(span.name())?;
                let extensions = span.extensions();
                if let Some(fields) = extensions.get::<FormattedFields<N>>()
                    && !fields.is_empty()
                {
                    writer.write_char('{')?;
                    writer.write_str(fields)?;
                    writer.write_char('}')?;
                }
                writer.write_char(':')?;
            }
            writer.write_char(' ')?;
        }
        writer.write_str(metadata.target())?;
        writer.write_str(": ")?;
        ctx.format_fields(writer.by_ref(), event)?;
        writer.write_char('\n')
    }
}

/// As the default format pads them: five characters, right-aligned, then a space.
fn level(level: &Level) -> &'static str {
    match *level {
        Level::TRACE => "TRACE ",
        Level::DEBUG => "DEBUG ",
        Level::INFO => " INFO ",
        Level::WARN => " WARN ",
        Level::ERROR => "ERROR ",
    }
}

/// `2026-12-03T18:10:23.724970Z ` (UTC, microseconds, then a space).
fn timestamp(writer: &mut Writer<'_>) -> fmt::Result {
    thread_local! {
        /// The second last written and its text (`2026-12-03T18:10:23`).
        static SECOND: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let (seconds, micros) = (now.as_secs(), now.subsec_micros());
    SECOND.with_borrow_mut(|(second, text)| {
        if *second != seconds {
            *second = seconds;
            text.clear();
            write_second(text, seconds);
        }
        writer.write_str(text)?;
        write!(writer, ".{micros:06}Z ")
    })
}

/// The UTC date and time of `seconds` since the Unix epoch, to the second.
fn write_second(out: &mut String, seconds: u64) {
    let (days, in_day) = (seconds / 86_400, seconds % 86_400);
    let (year, month, day) = civil_from_days(days);
    let _ = write!(
        out,
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        in_day / 3600,
        in_day % 3600 / 60,
        in_day % 60
    );
}

/// The proleptic Gregorian date of `days` since 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

impl<'a> MakeVisitor<Writer<'a>> for Fields {
    type Visitor = FieldWriter<'a>;

    fn make_visitor(&self, target: Writer<'a>) -> Self::Visitor {
        FieldWriter {
            writer: target,
            first: true,
            result: Ok(()),
        }
    }
}

/// Writes one event's or span's fields.
pub struct FieldWriter<'a> {
    writer: Writer<'a>,
    first: bool,
    result: fmt::Result,
}

impl FieldWriter<'_> {
    fn field(&mut self, field: &Field, value: impl FnOnce(&mut Writer<'_>) -> fmt::Result) {
        if self.result.is_err() {
            return;
        }
        self.result = (|| {
            if !self.first {
                self.writer.write_char(' ')?;
            }
            self.first = false;
            let name = field.name();
            // `r#type` is written `type`, as the default format does.
            let name = name.strip_prefix("r#").unwrap_or(name);
            if name != "message" {
                self.writer.write_str(name)?;
                self.writer.write_char('=')?;
            }
            value(&mut self.writer)
        })();
    }
}

impl Visit for FieldWriter<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "message" => self.field(field, |w| w.write_str(value)),
            _ => self.field(field, |w| write!(w, "{value:?}")),
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.field(field, |w| write!(w, "{value}"));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.field(field, |w| write!(w, "{value}"));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.field(field, |w| w.write_str(if value { "true" } else { "false" }));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        // `%` values arrive here too, as a `Debug` that displays them.
        self.field(field, |w| write!(w, "{value:?}"));
    }
}

impl VisitOutput<fmt::Result> for FieldWriter<'_> {
    fn finish(self) -> fmt::Result {
        self.result
    }
}

impl VisitFmt for FieldWriter<'_> {
    fn writer(&mut self) -> &mut dyn fmt::Write {
        &mut self.writer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_the_calendars() {
        let text = |seconds| {
            let mut out = String::new();
            write_second(&mut out, seconds);
            out
        };
        assert_eq!(text(0), "1970-01-01T00:00:00");
        assert_eq!(text(951_782_400), "2000-02-29T00:00:00");
        assert_eq!(text(1_709_251_199), "2024-02-29T23:59:59");
        assert_eq!(text(1_796_324_223), "2026-12-03T18:57:03");
        assert_eq!(text(4_107_542_400), "2100-03-01T00:00:00");
    }
}
