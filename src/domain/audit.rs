//! The audit chain: each record's hash covers its own fields and the
//! previous record's hash, so altering or deleting a record breaks every
//! hash after it (Decree 13/2023/NĐ-CP asks that processing of personal data
//! be traceable).

use chrono::{DateTime, SecondsFormat, Utc};
use sha2::{Digest, Sha256};

/// The hash the first record chains to.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields a record's hash covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fields<'a> {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_account_id: Option<i64>,
    pub actor_role: Option<&'a str>,
    pub actor_agency_id: Option<i64>,
    pub operation: &'a str,
    pub target_type: &'a str,
    pub target_id: &'a str,
    pub summary: &'a str,
    pub request_id: &'a str,
}

/// Timestamps are stored and hashed to the microsecond, the precision both
/// databases keep.
pub fn truncate(at: DateTime<Utc>) -> DateTime<Utc> {
    let micros = at.timestamp_micros();
    DateTime::from_timestamp_micros(micros).unwrap_or(at)
}

/// SHA-256 over the previous hash and the fields, each length-prefixed so
/// that no two different records serialise alike.
pub fn hash(prev: &str, f: &Fields<'_>) -> String {
    let mut h = Sha256::new();
    let mut put = |s: &str| {
        h.update((s.len() as u64).to_be_bytes());
        h.update(s.as_bytes());
    };
    put(prev);
    put(&f.id.to_string());
    put(&truncate(f.at).to_rfc3339_opts(SecondsFormat::Micros, true));
    put(&f
        .actor_account_id
        .map(|v| v.to_string())
        .unwrap_or_default());
    put(f.actor_role.unwrap_or_default());
    put(&f.actor_agency_id.map(|v| v.to_string()).unwrap_or_default());
    put(f.operation);
    put(f.target_type);
    put(f.target_id);
    put(f.summary);
    put(f.request_id);
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(summary: &str) -> Fields<'_> {
        Fields {
            id: 1,
            at: DateTime::from_timestamp(1_800_000_000, 123_456_789).unwrap(),
            actor_account_id: Some(7),
            actor_role: Some("ADMIN"),
            actor_agency_id: None,
            operation: "createProcedure",
            target_type: "procedure",
            target_id: "42",
            summary,
            request_id: "r-1",
        }
    }

    #[test]
    fn any_change_changes_the_hash() {
        let a = hash(GENESIS, &fields("{}"));
        assert_eq!(a.len(), 64);
        assert_ne!(a, hash(GENESIS, &fields("{\"x\":1}")));
        assert_ne!(a, hash(&a, &fields("{}")));
        let mut f = fields("{}");
        f.actor_account_id = Some(8);
        assert_ne!(a, hash(GENESIS, &f));
    }

    #[test]
    fn nanoseconds_below_a_microsecond_do_not_matter() {
        let mut f = fields("{}");
        let a = hash(GENESIS, &f);
        f.at = DateTime::from_timestamp(1_800_000_000, 123_456_000).unwrap();
        assert_eq!(a, hash(GENESIS, &f));
    }
}
