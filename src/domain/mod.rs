//! Pure rules of the domain: no database, no GraphQL, no async runtime.
//! Everything here is unit-tested in place.

#[macro_use]
mod labels;
pub mod account_admin;
pub mod applicant;
pub mod audit;
pub mod authz;
pub mod calendar;
pub mod catalogue;
pub mod control_sheet;
pub mod documents;
pub mod evaluation;
pub mod feedback;
pub mod files;
pub mod forms;
pub mod identity;
pub mod lifecycle;
pub mod masking;
pub mod notification;
pub mod payment;
pub mod problem;
pub mod rating;
pub mod rollup;
pub mod text;
pub mod throttle;
pub mod transition;

pub use labels::{EnumLabel, StoredEnum};
pub use problem::Problem;

/// `part / whole`, or `None` when there is nothing to count (`whole` is 0):
/// every rate and share the API returns. A rate with no denominator is
/// unknown, never 0 % nor 100 %.
pub fn ratio(part: i64, whole: i64) -> Option<f64> {
    (whole != 0).then(|| part as f64 / whole as f64)
}

#[cfg(test)]
mod ratio_tests {
    #[test]
    fn a_rate_with_nothing_to_count_is_unknown() {
        assert_eq!(super::ratio(0, 0), None);
        assert_eq!(super::ratio(3, 4), Some(0.75));
    }
}
