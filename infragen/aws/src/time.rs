//! Timestamps of AWS answers as RFC 3339 text.
use aws_sdk_ecs::primitives::{DateTime, DateTimeFormat};

/// `2026-12-02T09:30:00Z`, or `None` for a date the format cannot express.
pub(crate) fn format_time(t: &DateTime) -> Option<String> {
    t.fmt(DateTimeFormat::DateTime).ok()
}
