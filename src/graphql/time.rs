//! The `DateTime` scalar: every instant the API writes is RFC 3339 in the
//! province's zone, to the whole second (`2026-12-01T14:05:09+07:00`), in
//! queries, mutations and subscriptions alike — the times notifications,
//! receipts and forms print. What a client sends may carry any offset
//! (`Z`, `+07:00`…) and a fraction of a second.
//!
//! The offset is `MOTCUA_TIMEZONE`'s (Asia/Ho_Chi_Minh by default) as it
//! is today, fixed, set once per process when the first application is
//! built ([`set_zone`]): +07:00 for every instant. Vietnam keeps no
//! daylight saving; the tz database's historical offsets (+07:06:40 local
//! mean time before 1906, +08:00 in 1943–45 and 1959–75) would write old
//! instants with other offsets and, not being whole minutes, misstate them
//! by seconds (adversary finding).

use std::sync::OnceLock;

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{DateTime, FixedOffset, Offset, SecondsFormat, SubsecRound, TimeZone, Utc};
use chrono_tz::Tz;

static OFFSET: OnceLock<FixedOffset> = OnceLock::new();

/// The zone instants are written in, for this process, at its offset of
/// today: the first call wins (one province per process); later calls
/// change nothing.
pub fn set_zone(tz: Tz) {
    let _ = OFFSET.get_or_init(|| offset_today(tz));
}

fn offset_today(tz: Tz) -> FixedOffset {
    tz.offset_from_utc_datetime(&Utc::now().naive_utc()).fix()
}

fn zone() -> FixedOffset {
    *OFFSET.get_or_init(|| offset_today(chrono_tz::Asia::Ho_Chi_Minh))
}

/// An instant: stored and compared in UTC, written in the province's zone
/// to the whole second (truncated).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time(pub DateTime<Utc>);

impl Time {
    /// `t` as the API writes it: `2026-12-01T14:05:09+07:00`.
    pub fn written(t: DateTime<Utc>) -> String {
        t.trunc_subsecs(0)
            .with_timezone(&zone())
            .to_rfc3339_opts(SecondsFormat::Secs, false)
    }

    /// The year of this instant at the province's offset (what a person
    /// typing `1900-01-01T00:00:00+07:00` means by 1900).
    pub fn local_year(&self) -> i32 {
        use chrono::Datelike;
        self.0.with_timezone(&zone()).year()
    }
}

/// Writes the instants inside a JSON record the server made (a history
/// event's `data`, an audit summary) as the scalar writes them: every
/// string under a key ending in `At`, or named `at` or `deadline`, that is
/// an RFC 3339 instant. Other strings (notes, reasons) are left as they
/// are.
pub fn localise(v: &mut serde_json::Value) {
    use serde_json::Value as J;
    match v {
        J::Object(map) => {
            for (key, value) in map.iter_mut() {
                let instant = key.ends_with("At") || key == "at" || key == "deadline";
                match value {
                    J::String(s) if instant => {
                        if let Ok(t) = DateTime::parse_from_rfc3339(s) {
                            *s = Time::written(t.with_timezone(&Utc));
                        }
                    }
                    other => localise(other),
                }
            }
        }
        J::Array(items) => items.iter_mut().for_each(localise),
        _ => {}
    }
}

impl From<DateTime<Utc>> for Time {
    fn from(t: DateTime<Utc>) -> Self {
        Time(t)
    }
}

impl From<Time> for DateTime<Utc> {
    fn from(t: Time) -> Self {
        t.0
    }
}

/// An instant in RFC 3339: written in the province's zone (`+07:00`) to
/// the whole second; read with any offset, fractions of a second allowed.
#[Scalar(name = "DateTime")]
impl ScalarType for Time {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => DateTime::parse_from_rfc3339(s)
                .map(|t| Time(t.with_timezone(&Utc)))
                .map_err(|_| {
                    InputValueError::custom(format!(
                        "not an RFC 3339 instant with an offset (e.g. 2026-12-01T08:00:00+07:00): {s:?}"
                    ))
                }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(Time::written(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_in_the_provinces_zone_to_the_whole_second() {
        let t = DateTime::parse_from_rfc3339("2026-12-01T07:05:09.987654Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(Time::written(t), "2026-12-01T14:05:09+07:00");
        // Late in the UTC day is the next local day.
        let t = DateTime::parse_from_rfc3339("2026-12-31T17:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(Time::written(t), "2027-01-01T00:30:00+07:00");
    }

    #[test]
    fn instants_in_a_record_are_written_alike_and_text_is_left_alone() {
        let mut v = serde_json::json!({
            "previousDueAt": "2026-12-01T07:05:09.5Z",
            "tasks": [{ "deadline": "2026-12-02T01:00:00Z", "task": "2026-12-02T01:00:00Z" }],
            "note": "2026-12-01T07:05:09Z",
            "createdAt": "không phải thời điểm"
        });
        localise(&mut v);
        assert_eq!(
            v,
            serde_json::json!({
                "previousDueAt": "2026-12-01T14:05:09+07:00",
                "tasks": [{ "deadline": "2026-12-02T08:00:00+07:00", "task": "2026-12-02T01:00:00Z" }],
                "note": "2026-12-01T07:05:09Z",
                "createdAt": "không phải thời điểm"
            })
        );
    }

    #[test]
    fn read_with_any_offset() {
        let read = |s: &str| Time::parse(Value::String(s.into())).map(|t| t.0.to_rfc3339());
        assert_eq!(
            read("2026-12-01T08:00:00+07:00").unwrap(),
            "2026-12-01T01:00:00+00:00"
        );
        assert_eq!(
            read("2026-12-01T01:00:00.5Z").unwrap(),
            "2026-12-01T01:00:00.500+00:00"
        );
        assert!(read("2026-12-01 08:00").is_err());
        assert!(read("2026-12-01T08:00:00").is_err(), "no offset");
    }
}
