//! [`JsonLine`]: the JSON log line format, written by hand.
//!
//! One flat object per event, the keys and value types of
//! tracing-subscriber's JSON format with `flatten_event(true)`, no span
//! fields and the target (which it replaces, see [`crate::telemetry`]):
//!
//! ```json
//! {"timestamp":"2026-12-02T11:10:22.123456Z","level":"INFO","message":"request completed","request_id":"…","status":200,"latency_ms":1.2,"target":"service_kit::telemetry"}
//! ```
//!
//! plus `request_id` on every line logged while a request is being served
//! ([`crate::request_scope`]) that does not carry one itself. The line is
//! written straight into the fmt layer's reusable per-thread buffer: no
//! intermediate map of fields, no serializer, no allocation; the date part
//! of the timestamp is formatted once per second and thread.

use std::cell::RefCell;
use std::fmt::{self, Write as _};
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_log::NormalizeEvent;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

use crate::request_scope;

/// The JSON line event formatter (see the module documentation).
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonLine;

impl<S, N> FormatEvent<S, N> for JsonLine
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let normalized = event.normalized_metadata();
        let meta = normalized.as_ref().unwrap_or_else(|| event.metadata());
        writer.write_str("{\"timestamp\":\"")?;
        write_timestamp(&mut writer, SystemTime::now())?;
        writer.write_str("\",\"level\":\"")?;
        writer.write_str(meta.level().as_str())?;
        writer.write_char('"')?;
        let mut fields = Fields {
            out: &mut writer,
            has_request_id: false,
            result: Ok(()),
        };
        event.record(&mut fields);
        fields.result?;
        if !fields.has_request_id {
            request_scope::with_current(|id| match id {
                Some(id) => {
                    writer.write_str(",\"request_id\":")?;
                    write_str(&mut writer, id)
                }
                None => Ok(()),
            })?;
        }
        writer.write_str(",\"target\":")?;
        write_str(&mut writer, meta.target())?;
        writer.write_str("}\n")
    }
}

/// Writes each field as `,"name":value`.
struct Fields<'a, 'w> {
    out: &'a mut Writer<'w>,
    has_request_id: bool,
    result: fmt::Result,
}

impl Fields<'_, '_> {
    /// Writes `,"name":` and answers true for a field to write; false for
    /// one to leave out (the `log.*` fields of a `log` record, already in the
    /// metadata) or after an error.
    fn key(&mut self, field: &Field) -> bool {
        let name = field.name();
        if self.result.is_err() || name.starts_with("log.") {
            return false;
        }
        if name == "request_id" {
            self.has_request_id = true;
        }
        let name = name.strip_prefix("r#").unwrap_or(name);
        self.result = self
            .out
            .write_char(',')
            .and_then(|()| write_str(self.out, name))
            .and_then(|()| self.out.write_char(':'));
        self.result.is_ok()
    }
}

impl Visit for Fields<'_, '_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if self.key(field) {
            let out = &mut *self.out;
            self.result = out
                .write_char('"')
                .and_then(|()| write!(Escaped(out), "{value:?}"))
                .and_then(|()| out.write_char('"'));
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if self.key(field) {
            let out = &mut *self.out;
            self.result = write_str(out, value);
        }
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        if self.key(field) {
            let out = &mut *self.out;
            self.result = out.write_str(if value { "true" } else { "false" });
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        if self.key(field) {
            let out = &mut *self.out;
            self.result = write!(out, "{value}");
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        if self.key(field) {
            let out = &mut *self.out;
            self.result = write!(out, "{value}");
        }
    }

    fn record_i128(&mut self, field: &Field, value: i128) {
        if self.key(field) {
            let out = &mut *self.out;
            self.result = write!(out, "{value}");
        }
    }

    fn record_u128(&mut self, field: &Field, value: u128) {
        if self.key(field) {
            let out = &mut *self.out;
            self.result = write!(out, "{value}");
        }
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        if self.key(field) {
            let out = &mut *self.out;
            // JSON has no NaN or infinity (serde_json writes null too)
            self.result = if value.is_finite() {
                // Debug, not Display: `1.0`, `1e-7` as serde_json writes them
                write!(out, "{value:?}")
            } else {
                out.write_str("null")
            };
        }
    }
}

/// `"value"`, JSON-escaped.
fn write_str(out: &mut Writer<'_>, value: &str) -> fmt::Result {
    out.write_char('"')?;
    Escaped(out).write_str(value)?;
    out.write_char('"')
}

/// Escapes what is written through it as the inside of a JSON string.
struct Escaped<'a, 'w>(&'a mut Writer<'w>);

impl fmt::Write for Escaped<'_, '_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let bytes = s.as_bytes();
        let mut start = 0;
        for (i, &b) in bytes.iter().enumerate() {
            let escape = match b {
                b'"' => "\\\"",
                b'\\' => "\\\\",
                b'\n' => "\\n",
                b'\r' => "\\r",
                b'\t' => "\\t",
                0..=0x1f => "",
                _ => continue,
            };
            self.0.write_str(&s[start..i])?;
            if escape.is_empty() {
                write!(self.0, "\\u{b:04x}")?;
            } else {
                self.0.write_str(escape)?;
            }
            start = i + 1;
        }
        self.0.write_str(&s[start..])
    }
}

thread_local! {
    /// The second last formatted on this thread and its `YYYY-MM-DDTHH:MM:SS`.
    static DATE: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
}

/// `2026-12-02T11:10:22.123456Z` (UTC, microseconds), as tracing-subscriber
/// writes it; the calendar part is computed once a second.
fn write_timestamp(out: &mut Writer<'_>, now: SystemTime) -> fmt::Result {
    let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    DATE.with(|cell| {
        let mut cached = cell.borrow_mut();
        if cached.0 != secs {
            *cached = (secs, date_time(secs));
        }
        out.write_str(&cached.1)
    })?;
    write!(out, ".{:06}Z", since.subsec_micros())
}

/// `YYYY-MM-DDTHH:MM:SS` of `secs` since the epoch (UTC).
fn date_time(secs: u64) -> String {
    let t = i64::try_from(secs)
        .ok()
        .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timestamps_read_like_tracing_subscribers() {
        let t = UNIX_EPOCH + Duration::new(1_796_210_222, 123_456_789);
        let mut s = String::new();
        write_timestamp(&mut Writer::new(&mut s), t).unwrap();
        assert_eq!(s, "2026-12-02T11:17:02.123456Z");
        let mut s = String::new();
        write_timestamp(
            &mut Writer::new(&mut s),
            UNIX_EPOCH + Duration::from_secs(951_782_400),
        )
        .unwrap();
        assert_eq!(s, "2000-02-29T00:00:00.000000Z");
    }

    #[test]
    fn strings_are_escaped() {
        let mut s = String::new();
        write_str(&mut Writer::new(&mut s), "a\"b\\c\nd\u{1}é").unwrap();
        assert_eq!(s, r#""a\"b\\c\nd\u0001é""#);
        let parsed: String = serde_json::from_str(&s).unwrap();
        assert_eq!(parsed, "a\"b\\c\nd\u{1}é");
    }
}
