//! Feedback and petitions (phản ánh, kiến nghị; Đắk Lắk 04/2024 Art. 21):
//! their statuses, what may happen to them, and who may do it.
//!
//! RECEIVED → PROCESSING → ANSWERED; or TRANSFERRED to the competent agency
//! (which then handles it like a received one); or REJECTED with a reason.
//! An answer may then be published to the public questions-and-answers list.

use chrono::{DateTime, Utc};

use super::authz::{covers, Actor, AgencyScope, Role};

mod plan;
pub use plan::*;

labelled_enum! {
    /// Loại phản ánh, kiến nghị.
    pub enum FeedbackKind {
        Feedback => ("FEEDBACK", "Phản ánh", "Feedback"),
        Petition => ("PETITION", "Kiến nghị", "Petition"),
    }
}

labelled_enum! {
    /// Cách thức gửi phản ánh, kiến nghị.
    pub enum FeedbackChannel {
        Online => ("ONLINE", "Qua Hệ thống thông tin giải quyết TTHC", "Through the system"),
        Email => ("EMAIL", "Thư điện tử", "E-mail"),
        Hotline => ("HOTLINE", "Đường dây nóng", "Hotline"),
        Post => ("POST", "Qua bưu chính", "By post"),
        InPerson => ("IN_PERSON", "Trực tiếp", "In person"),
    }
}

labelled_enum! {
    /// Trạng thái phản ánh, kiến nghị.
    pub enum FeedbackStatus {
        Received => ("RECEIVED", "Đã tiếp nhận", "Received"),
        Processing => ("PROCESSING", "Đang xử lý", "Processing"),
        Answered => ("ANSWERED", "Đã trả lời", "Answered"),
        Transferred => ("TRANSFERRED", "Đã chuyển cơ quan có thẩm quyền", "Transferred to the competent agency"),
        Rejected => ("REJECTED", "Không thuộc phạm vi xử lý", "Rejected"),
    }
}

labelled_enum! {
    /// Thao tác xử lý phản ánh, kiến nghị.
    pub enum FeedbackAction {
        Assign => ("ASSIGN", "Phân công xử lý", "Assign"),
        Answer => ("ANSWER", "Trả lời", "Answer"),
        Transfer => ("TRANSFER", "Chuyển cơ quan có thẩm quyền", "Transfer"),
        Reject => ("REJECT", "Từ chối xử lý", "Reject"),
        Publish => ("PUBLISH", "Công khai trả lời", "Publish the answer"),
    }
}

impl FeedbackAction {
    /// The API operation that takes this action (and names it in the audit
    /// log): the one table of action ↔ operation.
    pub fn operation(self) -> &'static str {
        match self {
            FeedbackAction::Assign => "assignFeedback",
            FeedbackAction::Answer => "answerFeedback",
            FeedbackAction::Transfer => "transferFeedback",
            FeedbackAction::Reject => "rejectFeedback",
            FeedbackAction::Publish => "publishFeedback",
        }
    }
}

/// Working days to answer, counted from arrival (Art. 21.4).
pub const DEFAULT_DUE_WORKING_DAYS: u32 = 13;
/// Working hours within which feedback that arrived outside the system must
/// be entered into it (Art. 21.3).
pub const ENTRY_LIMIT_HOURS: i64 = 8;

impl FeedbackStatus {
    /// Still waiting for an answer.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            FeedbackStatus::Received | FeedbackStatus::Processing | FeedbackStatus::Transferred
        )
    }

    /// Open statuses, as stored.
    pub const OPEN: [&'static str; 3] = ["RECEIVED", "PROCESSING", "TRANSFERRED"];
}

/// The status an action leads to, or None when it is not allowed.
pub fn next(status: FeedbackStatus, action: FeedbackAction) -> Option<FeedbackStatus> {
    use FeedbackAction as A;
    use FeedbackStatus as S;
    match action {
        A::Assign if status.is_open() => Some(S::Processing),
        A::Answer if status.is_open() => Some(S::Answered),
        A::Transfer if status.is_open() => Some(S::Transferred),
        A::Reject if status.is_open() => Some(S::Rejected),
        A::Publish if status == S::Answered => Some(S::Answered),
        _ => None,
    }
}

/// Whether an entry made `entry_working_seconds` after arrival is late.
pub fn late_entry(entry_working_seconds: i64) -> bool {
    entry_working_seconds > ENTRY_LIMIT_HOURS * 3600
}

/// Whether closing at `closed_at` meets the due date.
pub fn on_time(due_at: DateTime<Utc>, closed_at: DateTime<Utc>) -> bool {
    closed_at <= due_at
}

/// Officials who manage the feedback of an agency: its leaders and
/// procedure controllers (and those of the agencies above it), and the
/// province supervisors.
pub fn manages(actor: &Actor, agency: AgencyScope<'_>) -> bool {
    actor.grants.iter().any(|g| match g.role {
        Role::ProvinceSupervisor => true,
        Role::AgencyLeader | Role::TthcController => covers(g, agency),
        _ => false,
    })
}

/// Who may take an action on feedback at an agency: managers take every
/// action; the assigned handler may answer.
pub fn may_act(
    actor: &Actor,
    action: FeedbackAction,
    agency: AgencyScope<'_>,
    handler_account_id: Option<i64>,
) -> bool {
    manages(actor, agency)
        || (action == FeedbackAction::Answer && handler_account_id == Some(actor.account_id))
}

/// Who may read feedback: its sender, any official whose agency-bound role
/// reaches its agency (not postal staff, who handle no feedback), and the
/// province-wide roles (analysts masked).
pub fn may_read(actor: &Actor, agency: AgencyScope<'_>, sender_account_id: Option<i64>) -> bool {
    sender_account_id == Some(actor.account_id)
        || actor.grants.iter().any(|g| {
            (g.role.reads_agency_records() || g.role.is_province_wide()) && covers(g, agency)
        })
}

/// Officials who may enter feedback that arrived by e-mail, hotline, post
/// or in person: reception officers and procedure controllers.
pub fn may_record(role: Role) -> bool {
    matches!(role, Role::ReceptionOfficer | Role::TthcController)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::authz::{official, AccountKind};
    use chrono::Duration;

    #[test]
    fn open_feedback_can_be_assigned_answered_transferred_or_rejected() {
        use FeedbackAction as A;
        use FeedbackStatus as S;
        for s in [S::Received, S::Processing, S::Transferred] {
            assert_eq!(next(s, A::Assign), Some(S::Processing));
            assert_eq!(next(s, A::Answer), Some(S::Answered));
            assert_eq!(next(s, A::Transfer), Some(S::Transferred));
            assert_eq!(next(s, A::Reject), Some(S::Rejected));
            assert_eq!(next(s, A::Publish), None, "{s}");
        }
        for s in [S::Answered, S::Rejected] {
            for a in [A::Assign, A::Answer, A::Transfer, A::Reject] {
                assert_eq!(next(s, a), None, "{a} from {s}");
            }
        }
        assert_eq!(next(S::Answered, A::Publish), Some(S::Answered));
        assert_eq!(next(S::Rejected, A::Publish), None);
    }

    #[test]
    fn entry_after_eight_working_hours_is_late() {
        assert!(!late_entry(8 * 3600));
        assert!(late_entry(8 * 3600 + 1));
        assert!(!late_entry(0));
    }

    #[test]
    fn answering_on_the_due_instant_is_on_time() {
        let due = Utc::now();
        assert!(on_time(due, due));
        assert!(!on_time(due, due + Duration::seconds(1)));
    }

    #[test]
    fn leaders_of_the_agency_or_above_manage_the_handler_only_answers() {
        let below = AgencyScope { lineage: &[5, 3] };
        let beside = AgencyScope { lineage: &[4, 1] };
        let leader = official(&[(Role::AgencyLeader, Some(3))]);
        assert!(may_act(&leader, FeedbackAction::Reject, below, None));
        assert!(!may_act(&leader, FeedbackAction::Reject, beside, None));
        let specialist = official(&[(Role::Specialist, Some(5))]);
        assert!(!may_act(
            &specialist,
            FeedbackAction::Assign,
            below,
            Some(7)
        ));
        assert!(may_act(&specialist, FeedbackAction::Answer, below, Some(7)));
        assert!(!may_act(
            &specialist,
            FeedbackAction::Answer,
            below,
            Some(8)
        ));
        let supervisor = official(&[(Role::ProvinceSupervisor, None)]);
        assert!(may_act(&supervisor, FeedbackAction::Publish, beside, None));
        let analyst = official(&[(Role::Analyst, None)]);
        assert!(!may_act(&analyst, FeedbackAction::Answer, beside, None));
        assert!(may_read(&analyst, beside, None));
        let admin = official(&[(Role::Admin, None)]);
        assert!(!may_act(&admin, FeedbackAction::Answer, beside, None));
    }

    #[test]
    fn readers_are_the_sender_and_officials_reaching_the_agency() {
        let scope = AgencyScope { lineage: &[5, 3] };
        let mut citizen = official(&[]);
        citizen.kind = AccountKind::Citizen;
        assert!(may_read(&citizen, scope, Some(7)));
        assert!(!may_read(&citizen, scope, Some(8)));
        assert!(may_read(
            &official(&[(Role::Specialist, Some(5))]),
            scope,
            None
        ));
        assert!(!may_read(
            &official(&[(Role::Specialist, Some(4))]),
            scope,
            None
        ));
        // Postal staff handle no feedback, even at the agency.
        assert!(!may_read(
            &official(&[(Role::PostalStaff, Some(5))]),
            scope,
            None
        ));
    }
}
