//! Satisfaction ratings (Hà Nam 30/2019 Art. 13): after the result (or the
//! reasoned refusal to give one) the applicant rates three criteria once,
//! and may revise within seven days.

use chrono::{DateTime, Duration, Utc};

use super::lifecycle::DossierStatus;

labelled_enum! {
    /// Mức độ hài lòng.
    pub enum RatingLevel {
        VerySatisfied => ("VERY_SATISFIED", "Rất hài lòng", "Very satisfied"),
        Satisfied => ("SATISFIED", "Hài lòng", "Satisfied"),
        NotSatisfied => ("NOT_SATISFIED", "Chưa hài lòng", "Not satisfied"),
    }
}

labelled_enum! {
    /// Tiêu chí đánh giá.
    pub enum RatingCriterion {
        ServiceUse => ("SERVICE_USE", "Việc sử dụng dịch vụ", "Use of the service"),
        StaffAttitude => ("STAFF_ATTITUDE", "Thái độ của cán bộ", "Staff attitude"),
        ProcessingTime => ("PROCESSING_TIME", "Thời gian giải quyết", "Processing time"),
    }
}

/// How long a rating may be revised.
pub const REVISION_WINDOW: Duration = Duration::days(7);

/// Whether a dossier in this status can be rated.
pub fn ratable(status: DossierStatus) -> bool {
    matches!(status, DossierStatus::Returned | DossierStatus::NotEligible)
}

/// Whether a rating given at `rated_at` may still be revised at `now`.
pub fn revisable(rated_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now - rated_at <= REVISION_WINDOW
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_settled_and_returned_dossiers_are_rated() {
        for s in DossierStatus::ALL {
            assert_eq!(
                ratable(*s),
                matches!(s, DossierStatus::Returned | DossierStatus::NotEligible),
                "{s}"
            );
        }
    }

    #[test]
    fn revision_closes_after_seven_days() {
        let t = Utc::now();
        assert!(revisable(t, t + Duration::days(7)));
        assert!(!revisable(t, t + Duration::days(7) + Duration::seconds(1)));
    }
}
