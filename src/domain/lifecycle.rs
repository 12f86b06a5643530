//! The dossier lifecycle (DOMAIN.md "The dossier lifecycle"): statuses, the
//! actions that move between them, who may take each action, and the
//! national portal's status codes.

use super::authz::{covers, Actor, AgencyScope, Denied, Grant, Role};

labelled_enum! {
    /// Trạng thái hồ sơ.
    pub enum DossierStatus {
        Draft => ("DRAFT", "Chưa nộp", "Draft"),
        Submitted => ("SUBMITTED", "Chờ tiếp nhận", "Submitted"),
        NeedsSupplement => ("NEEDS_SUPPLEMENT", "Yêu cầu bổ sung", "Supplement requested"),
        Received => ("RECEIVED", "Đã tiếp nhận", "Received"),
        Refused => ("REFUSED", "Từ chối tiếp nhận", "Refused"),
        Processing => ("PROCESSING", "Đang xử lý", "Processing"),
        Paused => ("PAUSED", "Tạm dừng", "Paused"),
        AwaitingApproval => ("AWAITING_APPROVAL", "Chờ phê duyệt", "Awaiting approval"),
        ResultReady => ("RESULT_READY", "Có kết quả, chờ trả", "Result ready"),
        NotEligible => ("NOT_ELIGIBLE", "Không đủ điều kiện", "Not eligible"),
        Stopped => ("STOPPED", "Dừng giải quyết", "Stopped"),
        Returned => ("RETURNED", "Đã trả kết quả", "Returned"),
        Withdrawn => ("WITHDRAWN", "Đã rút", "Withdrawn"),
    }
}

labelled_enum! {
    /// Kênh nộp hồ sơ (national codes 2, 1, 3).
    pub enum Channel {
        Online => ("ONLINE", "Trực tuyến", "Online"),
        Direct => ("DIRECT", "Trực tiếp", "At the counter"),
        Postal => ("POSTAL", "Qua bưu chính", "By post"),
    }
}

labelled_enum! {
    /// Why processing is paused.
    pub enum PauseKind {
        Supplement => ("SUPPLEMENT", "Chờ bổ sung hồ sơ", "Waiting for a supplement"),
        FinancialObligation => ("FINANCIAL_OBLIGATION", "Chờ thực hiện nghĩa vụ tài chính", "Waiting for a financial obligation"),
    }
}

labelled_enum! {
    /// How the result goes back to the applicant.
    pub enum ReturnMethod {
        Counter => ("COUNTER", "Tại Bộ phận Một cửa", "At the counter"),
        Post => ("POST", "Qua bưu chính", "By post"),
        Online => ("ONLINE", "Trực tuyến", "Online"),
    }
}

labelled_enum! {
    /// Everything that happens to a dossier, recorded in its history.
    pub enum DossierAction {
        Create => ("CREATE", "Tạo hồ sơ", "Create"),
        Update => ("UPDATE", "Sửa hồ sơ", "Edit"),
        Submit => ("SUBMIT", "Nộp hồ sơ", "Submit"),
        Receive => ("RECEIVE", "Tiếp nhận", "Receive"),
        RequestSupplement => ("REQUEST_SUPPLEMENT", "Yêu cầu bổ sung", "Request a supplement"),
        Supplement => ("SUPPLEMENT", "Bổ sung hồ sơ", "Supplement"),
        Refuse => ("REFUSE", "Từ chối tiếp nhận", "Refuse"),
        Transfer => ("TRANSFER", "Chuyển xử lý", "Transfer"),
        AssignHandler => ("ASSIGN_HANDLER", "Phân công xử lý", "Assign a handler"),
        Pause => ("PAUSE", "Tạm dừng", "Pause"),
        Resume => ("RESUME", "Tiếp tục xử lý", "Resume"),
        SubmitForApproval => ("SUBMIT_FOR_APPROVAL", "Trình phê duyệt", "Submit for approval"),
        SendBack => ("SEND_BACK", "Trả lại xử lý", "Send back"),
        Approve => ("APPROVE", "Phê duyệt", "Approve"),
        DeclareNotEligible => ("DECLARE_NOT_ELIGIBLE", "Không đủ điều kiện giải quyết", "Declare not eligible"),
        Stop => ("STOP", "Dừng giải quyết", "Stop"),
        IssueApology => ("ISSUE_APOLOGY", "Xin lỗi và gia hạn", "Apologise and extend"),
        ReturnResult => ("RETURN_RESULT", "Trả kết quả", "Return the result"),
        Withdraw => ("WITHDRAW", "Rút hồ sơ", "Withdraw"),
        RequestConsultation => ("REQUEST_CONSULTATION", "Xin ý kiến", "Request a consultation"),
        AnswerConsultation => ("ANSWER_CONSULTATION", "Trả lời xin ý kiến", "Answer a consultation"),
        ScheduleVerification => ("SCHEDULE_VERIFICATION", "Lập lịch xác minh", "Schedule a verification"),
        AssignInterAgency => ("ASSIGN_INTER_AGENCY", "Phân công liên thông", "Assign inter-agency tasks"),
        CompleteInterAgencyTask => ("COMPLETE_INTER_AGENCY_TASK", "Hoàn thành phần việc liên thông", "Complete an inter-agency task"),
        RecordPostalDelivery => ("RECORD_POSTAL_DELIVERY", "Ghi nhận phát kết quả qua bưu chính", "Record the postal delivery"),
    }
}

labelled_enum! {
    /// Work a dossier asks of someone besides its handler.
    pub enum TaskKind {
        Consultation => ("CONSULTATION", "Xin ý kiến", "Consultation"),
        Verification => ("VERIFICATION", "Xác minh, thẩm tra", "Verification"),
        InterAgency => ("INTER_AGENCY", "Liên thông", "Inter-agency task"),
    }
}

/// Reception, and transfer to the settling agency, within 8 working hours,
/// in seconds (Thanh Hóa 17/2024 Art. 11; Đắk Lắk 04/2024 Art. 8).
pub const HANDOVER_LIMIT_SECONDS: i64 = 8 * 3600;

impl DossierAction {
    /// The API operation that records this action (and names it in the
    /// audit log): the one table of action ↔ operation.
    pub fn operation(self) -> &'static str {
        use DossierAction as A;
        match self {
            A::Create => "createDossier",
            A::Update => "updateDossier",
            A::Submit => "submitDossier",
            A::Receive => "receiveDossier",
            A::RequestSupplement => "requestSupplement",
            A::Supplement => "supplementDossier",
            A::Refuse => "refuseDossier",
            A::Transfer => "transferDossier",
            A::AssignHandler => "assignHandler",
            A::Pause => "pauseDossier",
            A::Resume => "resumeDossier",
            A::SubmitForApproval => "submitForApproval",
            A::SendBack => "sendBackDossier",
            A::Approve => "approveDossier",
            A::DeclareNotEligible => "declareNotEligible",
            A::Stop => "stopDossier",
            A::IssueApology => "issueApology",
            A::ReturnResult => "returnResult",
            A::Withdraw => "withdrawDossier",
            A::RequestConsultation => "requestConsultation",
            A::AnswerConsultation => "answerConsultation",
            A::ScheduleVerification => "scheduleVerification",
            A::AssignInterAgency => "assignInterAgency",
            A::CompleteInterAgencyTask => "completeInterAgencyTask",
            A::RecordPostalDelivery => "recordPostalDelivery",
        }
    }
}

impl DossierStatus {
    /// The national public-service portal's status code (1–10) for
    /// synchronisation. A draft has none.
    pub fn national_code(self, pause: Option<PauseKind>) -> Option<u8> {
        use DossierStatus::*;
        Some(match self {
            Draft => return None,
            Submitted => 1,
            Received => 2,
            Refused => 3,
            Processing | AwaitingApproval => 4,
            NeedsSupplement => 5,
            Paused => match pause {
                Some(PauseKind::FinancialObligation) => 6,
                _ => 5,
            },
            Withdrawn => 7,
            Stopped => 8,
            ResultReady | NotEligible => 9,
            Returned => 10,
        })
    }

    /// No action leads anywhere from here.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            DossierStatus::Refused
                | DossierStatus::Stopped
                | DossierStatus::Returned
                | DossierStatus::Withdrawn
                | DossierStatus::NotEligible
        )
    }

    /// Settled: a result (or a reasoned refusal to give one) exists.
    pub fn is_settled(self) -> bool {
        matches!(
            self,
            DossierStatus::ResultReady | DossierStatus::NotEligible | DossierStatus::Returned
        )
    }
}

impl Channel {
    pub fn national_code(self) -> u8 {
        match self {
            Channel::Direct => 1,
            Channel::Online => 2,
            Channel::Postal => 3,
        }
    }
}

/// The status an action leads to from `from`, or `None` when the action is
/// not allowed there. Actions that record without moving (edit, assign,
/// apology) lead back to `from`. NOT_ELIGIBLE is final but returns its
/// reasoned document like a result.
pub fn next_status(
    from: DossierStatus,
    action: DossierAction,
    pause: Option<PauseKind>,
) -> Option<DossierStatus> {
    use DossierAction as A;
    use DossierStatus as S;
    let to = match (from, action) {
        (S::Draft, A::Update) => S::Draft,
        (S::Draft, A::Submit) => S::Submitted,
        (S::Submitted, A::Receive) => S::Received,
        (S::Submitted, A::RequestSupplement) => S::NeedsSupplement,
        (S::Submitted, A::Refuse) => S::Refused,
        (S::NeedsSupplement, A::Supplement) => S::Submitted,
        (S::Received, A::Transfer) => S::Processing,
        (S::Received | S::Processing | S::AwaitingApproval, A::AssignHandler) => from,
        (S::Processing, A::Pause) => S::Paused,
        // A paused supplement is answered by the applicant; a financial
        // obligation is confirmed by an officer.
        (S::Paused, A::Supplement) if pause == Some(PauseKind::Supplement) => S::Processing,
        (S::Paused, A::Resume) => S::Processing,
        (S::Processing, A::SubmitForApproval) => S::AwaitingApproval,
        (S::AwaitingApproval, A::SendBack) => S::Processing,
        (S::AwaitingApproval, A::Approve) => S::ResultReady,
        (S::Processing | S::AwaitingApproval, A::DeclareNotEligible) => S::NotEligible,
        (S::Processing | S::Paused, A::Stop) => S::Stopped,
        (S::Received | S::Processing | S::Paused | S::AwaitingApproval, A::IssueApology) => from,
        (
            S::Processing,
            A::RequestConsultation | A::ScheduleVerification | A::AssignInterAgency,
        ) => from,
        (
            S::Processing | S::Paused | S::AwaitingApproval,
            A::AnswerConsultation | A::CompleteInterAgencyTask,
        ) => from,
        (S::ResultReady, A::ReturnResult) => S::Returned,
        // The post delivers what the unit handed it: recorded on the
        // returned dossier, which stays returned.
        (S::Returned, A::RecordPostalDelivery) => S::Returned,
        (
            S::Draft
            | S::Submitted
            | S::NeedsSupplement
            | S::Received
            | S::Processing
            | S::Paused
            | S::AwaitingApproval,
            A::Withdraw,
        ) => S::Withdrawn,
        _ => return None,
    };
    Some(to)
}

/// Who takes an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    /// The dossier's applicant.
    Applicant,
    /// An officer at the receiving one-stop unit (or above it).
    Reception,
    /// A handler at the settling agency: specialist or leader.
    Processing,
    /// The settling agency's leader.
    Leader,
    /// An official (specialist or leader) of an agency asked to contribute.
    Consulted,
    /// Postal staff of the unit that handed the result to the post.
    Postal,
}

pub fn party(action: DossierAction) -> Party {
    use DossierAction as A;
    match action {
        A::Create | A::Update | A::Submit | A::Supplement | A::Withdraw => Party::Applicant,
        A::Receive | A::RequestSupplement | A::Refuse | A::Transfer | A::ReturnResult => {
            Party::Reception
        }
        A::Pause
        | A::Resume
        | A::SubmitForApproval
        | A::DeclareNotEligible
        | A::RequestConsultation
        | A::ScheduleVerification
        | A::AssignInterAgency => Party::Processing,
        A::AnswerConsultation | A::CompleteInterAgencyTask => Party::Consulted,
        A::AssignHandler | A::SendBack | A::Approve | A::Stop | A::IssueApology => Party::Leader,
        A::RecordPostalDelivery => Party::Postal,
    }
}

/// The people and places a dossier involves.
#[derive(Debug, Clone, Copy)]
pub struct Parties<'a> {
    pub applicant_account_id: Option<i64>,
    /// The handler a leader assigned: from then on only they and the
    /// settling agency's leaders take the processing actions (DOMAIN.md,
    /// SPECIALIST).
    pub handler_account_id: Option<i64>,
    /// The official who entered the dossier on the applicant's behalf (at
    /// the counter or by post).
    pub registered_by_account_id: Option<i64>,
    /// The result was handed to the post (returned with method POST): the
    /// receiving unit's postal staff deliver it.
    pub by_post: bool,
    /// The receiving one-stop unit and its ancestors.
    pub receiving: AgencyScope<'a>,
    /// The settling agency and its ancestors.
    pub settling: AgencyScope<'a>,
    /// Agencies asked to contribute (consulted, inter-agency) and their
    /// ancestors; for an answer, the answering task's agency only.
    pub consulted: AgencyScope<'a>,
}

/// Whether the actor may take the action on this dossier, and the grant
/// they act under (none for the applicant).
pub fn may(
    actor: Option<&Actor>,
    action: DossierAction,
    parties: &Parties<'_>,
) -> Result<Option<Grant>, Denied> {
    let actor = actor.ok_or(Denied::Unauthenticated)?;
    if actor.must_change_password {
        return Err(Denied::PasswordChangeRequired);
    }
    let bound = |roles: &[Role], scope: AgencyScope<'_>| {
        actor
            .grants
            .iter()
            .find(|g| roles.contains(&g.role) && g.agency_id.is_some() && covers(g, scope))
            .copied()
    };
    let found = match party(action) {
        Party::Applicant => {
            return if parties.applicant_account_id == Some(actor.account_id) {
                Ok(None)
            } else {
                Err(Denied::Forbidden)
            }
        }
        Party::Reception => bound(&[Role::ReceptionOfficer], parties.receiving),
        Party::Processing => match parties.handler_account_id {
            // Assigned to someone else: the leaders still may, other
            // specialists no longer.
            Some(h) if h != actor.account_id => bound(&[Role::AgencyLeader], parties.settling),
            _ => bound(&[Role::Specialist, Role::AgencyLeader], parties.settling),
        },
        Party::Leader => bound(&[Role::AgencyLeader], parties.settling),
        Party::Consulted => bound(&[Role::Specialist, Role::AgencyLeader], parties.consulted),
        Party::Postal => bound(&[Role::PostalStaff], parties.receiving),
    };
    found.map(Some).ok_or(Denied::Forbidden)
}

/// Whether the actor may file the result's electronic copy: whoever
/// processes the dossier now (the handler rule included), or the receiving
/// unit's reception officer who returns it.
pub fn may_file_result(actor: &Actor, parties: &Parties<'_>) -> bool {
    may(Some(actor), DossierAction::SubmitForApproval, parties).is_ok()
        || may(Some(actor), DossierAction::ReturnResult, parties).is_ok()
}

/// Whether the actor may read the dossier: its applicant, officials of the
/// agencies it involves (or above them), and the province-wide roles. A
/// draft is its applicant's alone: nobody else sees it before submission.
/// Postal staff see only the dossiers they registered and those their unit
/// handed to the post for delivery (and then only what delivery needs:
/// `authz::Actor::is_postal_only`).
pub fn may_read(actor: &Actor, parties: &Parties<'_>, status: DossierStatus) -> bool {
    if parties.applicant_account_id == Some(actor.account_id) {
        return true;
    }
    status != DossierStatus::Draft
        && actor.grants.iter().any(|g| match g.role {
            Role::PostalStaff => {
                parties.registered_by_account_id == Some(actor.account_id)
                    || (parties.by_post && covers(g, parties.receiving))
            }
            role if role.is_province_wide() => true,
            role if role.reads_agency_records() => {
                covers(g, parties.receiving)
                    || covers(g, parties.settling)
                    || covers(g, parties.consulted)
            }
            _ => false,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::authz::AccountKind;
    use DossierAction as A;
    use DossierStatus as S;

    #[test]
    fn the_happy_path_reaches_returned() {
        let mut s = S::Draft;
        for a in [
            A::Submit,
            A::Receive,
            A::Transfer,
            A::SubmitForApproval,
            A::Approve,
            A::ReturnResult,
        ] {
            s = next_status(s, a, None).unwrap();
        }
        assert_eq!(s, S::Returned);
    }

    #[test]
    fn final_statuses_allow_nothing_but_recording_the_postal_delivery() {
        for s in S::ALL.iter().filter(|s| s.is_final()) {
            for a in A::ALL.iter().filter(|a| **a != A::RecordPostalDelivery) {
                assert_eq!(next_status(*s, *a, None), None, "{s} {a}");
            }
        }
        // The delivery is recorded on a returned dossier and moves nothing.
        for s in S::ALL {
            let expected = (*s == S::Returned).then_some(S::Returned);
            assert_eq!(
                next_status(*s, A::RecordPostalDelivery, None),
                expected,
                "{s}"
            );
        }
    }

    #[test]
    fn withdrawal_is_possible_only_before_a_result() {
        for s in S::ALL {
            let allowed = next_status(*s, A::Withdraw, None).is_some();
            let before_result = !s.is_final() && *s != S::ResultReady;
            assert_eq!(allowed, before_result, "{s}");
        }
    }

    #[test]
    fn a_financial_pause_is_not_ended_by_a_supplement() {
        assert_eq!(
            next_status(S::Paused, A::Supplement, Some(PauseKind::Supplement)),
            Some(S::Processing)
        );
        assert_eq!(
            next_status(
                S::Paused,
                A::Supplement,
                Some(PauseKind::FinancialObligation)
            ),
            None
        );
        assert_eq!(
            next_status(S::Paused, A::Resume, Some(PauseKind::FinancialObligation)),
            Some(S::Processing)
        );
    }

    #[test]
    fn national_codes_follow_the_portal() {
        assert_eq!(S::Submitted.national_code(None), Some(1));
        assert_eq!(S::AwaitingApproval.national_code(None), Some(4));
        assert_eq!(
            S::Paused.national_code(Some(PauseKind::Supplement)),
            Some(5)
        );
        assert_eq!(
            S::Paused.national_code(Some(PauseKind::FinancialObligation)),
            Some(6)
        );
        assert_eq!(S::NotEligible.national_code(None), Some(9));
        assert_eq!(S::Returned.national_code(None), Some(10));
        assert_eq!(S::Draft.national_code(None), None);
        assert_eq!(Channel::Online.national_code(), 2);
    }

    fn officer(role: Role, agency: i64) -> Actor {
        Actor {
            account_id: 50,
            session_id: 1,
            kind: AccountKind::Official,
            grants: vec![Grant {
                role,
                agency_id: Some(agency),
            }],
            must_change_password: false,
        }
    }

    #[test]
    fn each_party_acts_only_where_it_works() {
        // Receiving unit 10 under 1; settling department 20 under 1.
        let parties = Parties {
            applicant_account_id: Some(7),
            handler_account_id: None,
            registered_by_account_id: None,
            by_post: false,
            receiving: AgencyScope { lineage: &[10, 1] },
            settling: AgencyScope { lineage: &[20, 1] },
            consulted: AgencyScope { lineage: &[30, 1] },
        };
        let reception = officer(Role::ReceptionOfficer, 10);
        assert!(may(Some(&reception), A::Receive, &parties).is_ok());
        assert_eq!(
            may(Some(&reception), A::Approve, &parties),
            Err(Denied::Forbidden)
        );
        let elsewhere = officer(Role::ReceptionOfficer, 11);
        assert_eq!(
            may(Some(&elsewhere), A::Receive, &parties),
            Err(Denied::Forbidden)
        );
        let specialist = officer(Role::Specialist, 20);
        assert!(may(Some(&specialist), A::SubmitForApproval, &parties).is_ok());
        assert_eq!(
            may(Some(&specialist), A::Approve, &parties),
            Err(Denied::Forbidden)
        );
        let leader = officer(Role::AgencyLeader, 20);
        assert!(may(Some(&leader), A::Approve, &parties).is_ok());
        let mut applicant = officer(Role::Citizen, 0);
        applicant.grants = vec![Grant {
            role: Role::Citizen,
            agency_id: None,
        }];
        applicant.account_id = 7;
        assert_eq!(may(Some(&applicant), A::Withdraw, &parties), Ok(None));
        applicant.account_id = 8;
        assert_eq!(
            may(Some(&applicant), A::Withdraw, &parties),
            Err(Denied::Forbidden)
        );
        let open = S::Processing;
        assert!(may_read(&leader, &parties, open) && !may_read(&elsewhere, &parties, open));
        assert!(
            !may_read(&leader, &parties, S::Draft),
            "a draft is the applicant's alone"
        );
        let consulted = officer(Role::Specialist, 30);
        assert!(may(Some(&consulted), A::AnswerConsultation, &parties).is_ok());
        assert!(may_read(&consulted, &parties, open));
        assert_eq!(
            may(Some(&specialist), A::AnswerConsultation, &parties),
            Err(Denied::Forbidden)
        );
    }

    /// Receiving unit 10 under 1; settling department 20 under 1; nothing
    /// consulted.
    fn department_dossier() -> Parties<'static> {
        Parties {
            applicant_account_id: Some(7),
            handler_account_id: None,
            registered_by_account_id: None,
            by_post: false,
            receiving: AgencyScope { lineage: &[10, 1] },
            settling: AgencyScope { lineage: &[20, 1] },
            consulted: AgencyScope { lineage: &[] },
        }
    }

    #[test]
    fn once_a_handler_is_assigned_only_they_and_the_leaders_process() {
        let mut handler = officer(Role::Specialist, 20);
        handler.account_id = 51;
        let colleague = officer(Role::Specialist, 20);
        let leader = officer(Role::AgencyLeader, 20);
        let unassigned = department_dossier();
        let assigned = Parties {
            handler_account_id: Some(51),
            ..department_dossier()
        };
        let processing: Vec<A> = A::ALL
            .iter()
            .copied()
            .filter(|a| party(*a) == Party::Processing)
            .collect();
        assert!(processing.contains(&A::Pause) && processing.contains(&A::ScheduleVerification));
        for a in processing {
            assert!(may(Some(&colleague), a, &unassigned).is_ok(), "{a}");
            assert_eq!(
                may(Some(&colleague), a, &assigned),
                Err(Denied::Forbidden),
                "{a}"
            );
            assert!(may(Some(&handler), a, &assigned).is_ok(), "{a}");
            assert!(may(Some(&leader), a, &assigned).is_ok(), "{a}");
        }
        assert!(!may_file_result(&colleague, &assigned));
        assert!(may_file_result(&handler, &assigned));
        assert!(may_file_result(
            &officer(Role::ReceptionOfficer, 10),
            &assigned
        ));
        // The colleague still reads it.
        assert!(may_read(&colleague, &assigned, S::Processing));
    }

    #[test]
    fn postal_staff_read_what_they_registered_or_deliver() {
        let postal = officer(Role::PostalStaff, 10);
        let online = department_dossier();
        assert!(!may_read(&postal, &online, S::Processing));
        let registered = Parties {
            registered_by_account_id: Some(postal.account_id),
            ..department_dossier()
        };
        assert!(may_read(&postal, &registered, S::Processing));
        let someone_elses = Parties {
            registered_by_account_id: Some(99),
            ..department_dossier()
        };
        assert!(!may_read(&postal, &someone_elses, S::Processing));
        let by_post = Parties {
            by_post: true,
            ..department_dossier()
        };
        assert!(may_read(&postal, &by_post, S::Returned));
        assert!(may(Some(&postal), A::RecordPostalDelivery, &by_post).is_ok());
        // Another unit's post office does not deliver it.
        let elsewhere = officer(Role::PostalStaff, 11);
        assert!(!may_read(&elsewhere, &by_post, S::Returned));
        assert_eq!(
            may(Some(&elsewhere), A::RecordPostalDelivery, &by_post),
            Err(Denied::Forbidden)
        );
        // Nobody else records a delivery, and postal staff nothing else.
        let reception = officer(Role::ReceptionOfficer, 10);
        assert_eq!(
            may(Some(&reception), A::RecordPostalDelivery, &by_post),
            Err(Denied::Forbidden)
        );
        assert_eq!(
            may(Some(&postal), A::ReturnResult, &by_post),
            Err(Denied::Forbidden)
        );
    }
}
