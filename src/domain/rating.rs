//! Satisfaction ratings (Hà Nam 30/2019 Art. 13): after the result (or the
//! reasoned refusal to give one) the applicant rates three criteria once,
//! and may revise within seven days.

use chrono::{DateTime, Duration, Utc};

use super::identity::optional_text;
use super::lifecycle::DossierStatus;
use super::Problem;

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

/// The longest comment, in characters.
pub const COMMENT_MAX: usize = 2_000;

/// What `rateDossier` knows before deciding.
#[derive(Debug, Clone, Copy)]
pub struct RatingFacts {
    /// Whether the caller is the dossier's applicant.
    pub by_applicant: bool,
    pub status: DossierStatus,
    /// When the dossier was first rated, if it was.
    pub rated_at: Option<DateTime<Utc>>,
}

/// What to write: a first rating, or a revision of the one there is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RatingPlan {
    pub revision: bool,
    /// The comment, trimmed; none when blank.
    pub comment: Option<String>,
}

/// Why a rating is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RatingRefusal {
    /// Only the applicant rates (FORBIDDEN).
    NotApplicant,
    /// The dossier is not settled yet (INVALID_TRANSITION).
    NotRatable,
    /// The comment is too long (BAD_USER_INPUT on `comment`).
    Comment(Problem),
    /// The seven days to revise are over (INVALID_TRANSITION).
    RevisionClosed,
}

impl RatingRefusal {
    /// The (Vietnamese, English) explanation of a refused transition.
    pub fn explain(&self) -> (&'static str, &'static str) {
        match self {
            RatingRefusal::NotRatable => (
                "Chỉ đánh giá được hồ sơ đã trả kết quả hoặc không đủ điều kiện giải quyết",
                "Only returned or not-eligible dossiers can be rated",
            ),
            RatingRefusal::RevisionClosed => (
                "Đã quá 7 ngày, không thể sửa đánh giá",
                "A rating can be revised for seven days only",
            ),
            RatingRefusal::NotApplicant | RatingRefusal::Comment(_) => ("", ""),
        }
    }
}

/// Decides a rating: the applicant of a settled dossier rates once and
/// revises within [`REVISION_WINDOW`]. Refusals in this order: not the
/// applicant, not settled, a bad comment, the window closed.
pub fn plan(
    facts: RatingFacts,
    comment: Option<&str>,
    now: DateTime<Utc>,
) -> Result<RatingPlan, RatingRefusal> {
    if !facts.by_applicant {
        return Err(RatingRefusal::NotApplicant);
    }
    if !ratable(facts.status) {
        return Err(RatingRefusal::NotRatable);
    }
    let comment = optional_text(comment, COMMENT_MAX).map_err(RatingRefusal::Comment)?;
    match facts.rated_at {
        Some(at) if !revisable(at, now) => Err(RatingRefusal::RevisionClosed),
        rated => Ok(RatingPlan {
            revision: rated.is_some(),
            comment,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(rated_at: Option<DateTime<Utc>>) -> RatingFacts {
        RatingFacts {
            by_applicant: true,
            status: DossierStatus::Returned,
            rated_at,
        }
    }

    #[test]
    fn the_applicant_rates_a_settled_dossier_once_then_revises() {
        let now = Utc::now();
        let first = plan(facts(None), Some("  Tốt "), now).unwrap();
        assert_eq!(
            (first.revision, first.comment.as_deref()),
            (false, Some("Tốt"))
        );
        let again = plan(facts(Some(now - Duration::days(2))), Some(" "), now).unwrap();
        assert_eq!((again.revision, again.comment), (true, None));
    }

    #[test]
    fn refusals_come_in_order() {
        let now = Utc::now();
        let long = "x".repeat(COMMENT_MAX + 1);
        let late = Some(now - Duration::days(8));
        let stranger = RatingFacts {
            by_applicant: false,
            ..facts(late)
        };
        assert_eq!(
            plan(stranger, Some(&long), now),
            Err(RatingRefusal::NotApplicant)
        );
        let open = RatingFacts {
            status: DossierStatus::Processing,
            ..facts(late)
        };
        assert_eq!(plan(open, Some(&long), now), Err(RatingRefusal::NotRatable));
        assert!(matches!(
            plan(facts(late), Some(&long), now),
            Err(RatingRefusal::Comment(Problem::TooLong { .. }))
        ));
        assert_eq!(
            plan(facts(late), None, now),
            Err(RatingRefusal::RevisionClosed)
        );
    }

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
