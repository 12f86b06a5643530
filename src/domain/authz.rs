//! Roles, the signed-in actor, and the one `authorize` every use case calls.
//!
//! An official's role is bound to an agency and reaches that agency and every
//! agency below it in the tree; ADMIN, PROVINCE_SUPERVISOR and ANALYST are
//! province-wide. Citizens and organisations act for themselves only.

labelled_enum! {
    /// Vai trò.
    pub enum Role {
        Citizen => ("CITIZEN", "Công dân, tổ chức", "Citizen or organisation"),
        PostalStaff => ("POSTAL_STAFF", "Nhân viên bưu chính", "Postal staff"),
        ReceptionOfficer => ("RECEPTION_OFFICER", "Cán bộ một cửa", "Reception officer"),
        Specialist => ("SPECIALIST", "Chuyên viên xử lý", "Specialist"),
        AgencyLeader => ("AGENCY_LEADER", "Lãnh đạo cơ quan", "Agency leader"),
        TthcController => ("TTHC_CONTROLLER", "Cán bộ đầu mối kiểm soát TTHC", "Procedure controller"),
        ProvinceSupervisor => ("PROVINCE_SUPERVISOR", "Văn phòng UBND tỉnh", "Province supervisor"),
        Analyst => ("ANALYST", "Người phân tích số liệu", "Analyst"),
        Admin => ("ADMIN", "Quản trị hệ thống", "Administrator"),
    }
}

labelled_enum! {
    /// Loại tài khoản.
    pub enum AccountKind {
        Citizen => ("CITIZEN", "Công dân", "Citizen"),
        Organisation => ("ORGANISATION", "Tổ chức, doanh nghiệp", "Organisation"),
        Official => ("OFFICIAL", "Cán bộ, công chức", "Official"),
    }
}

impl Role {
    /// Roles an official holds at an agency (the others are not bound).
    pub fn is_agency_bound(self) -> bool {
        matches!(
            self,
            Role::PostalStaff
                | Role::ReceptionOfficer
                | Role::Specialist
                | Role::AgencyLeader
                | Role::TthcController
        )
    }

    /// Roles that see the whole province.
    pub fn is_province_wide(self) -> bool {
        matches!(self, Role::Admin | Role::ProvinceSupervisor | Role::Analyst)
    }

    /// Agency-bound roles that read what reaches their agency (its
    /// dossiers, its feedback). Not postal staff: they see only the
    /// dossiers they registered or deliver (`lifecycle::may_read`).
    pub fn reads_agency_records(self) -> bool {
        self.is_agency_bound() && self != Role::PostalStaff
    }
}

/// One role of an account, with its agency when bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    pub role: Role,
    pub agency_id: Option<i64>,
}

/// Who is making a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub account_id: i64,
    pub session_id: i64,
    pub kind: AccountKind,
    pub grants: Vec<Grant>,
    pub must_change_password: bool,
}

impl Actor {
    pub fn has_role(&self, role: Role) -> bool {
        self.grants.iter().any(|g| g.role == role)
    }

    /// An analyst and nothing else: reads with personal data masked.
    pub fn is_analyst_only(&self) -> bool {
        !self.grants.is_empty() && self.grants.iter().all(|g| g.role == Role::Analyst)
    }

    /// Postal staff and nothing else: reads only what delivery needs (the
    /// applicant's name, phone and address, the code, the procedure, the
    /// status; not the e-form, the files or the history's details).
    pub fn is_postal_only(&self) -> bool {
        !self.grants.is_empty() && self.grants.iter().all(|g| g.role == Role::PostalStaff)
    }

    /// The main role to record against an action: the first grant's.
    pub fn primary_role(&self) -> Option<Role> {
        self.grants.first().map(|g| g.role)
    }
}

/// The agency an action touches, with its ancestors (nearest first, the
/// agency itself included), so that a grant higher up the tree covers it.
#[derive(Debug, Clone, Copy)]
pub struct AgencyScope<'a> {
    pub lineage: &'a [i64],
}

/// What an actor wants to do.
#[derive(Debug, Clone, Copy)]
pub enum Action<'a> {
    /// Create or edit agencies, sectors, fields and procedures; the calendar.
    ManageCatalogue,
    /// Create officials and change their roles; read any account.
    ManageAccounts,
    /// Read the officials of an agency (leaders and controllers of it or of an
    /// agency above it, the province supervisors, admins).
    ReadAgencyStaff(AgencyScope<'a>),
    /// Act on one's own account.
    OwnAccount { account_id: i64 },
    /// Filter or search records by a person's identifiers (ID number, tax
    /// code, phone, name, e-mail): everybody within their own scope except
    /// analysts, who read masked data and may not single a person out
    /// (DOMAIN.md, ANALYST).
    SearchPersonalData,
}

/// Why an action is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    Unauthenticated,
    Forbidden,
    PasswordChangeRequired,
}

/// How a request reaches the server, for [`admit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryPoint<'a> {
    /// A root field of a GraphQL operation (query, mutation or
    /// subscription) by its schema name, over HTTP or WebSocket.
    GraphqlField(&'a str),
    /// Any other route that serves data to a signed-in caller: the file
    /// downloads `GET /attachments/{id}` and `GET /documents/{id}`, and every
    /// route added later.
    Http,
}

/// GraphQL root fields a session may use while its account still holds a
/// one-time password: enough to see who one is, change it, or sign out.
pub const ALLOWED_BEFORE_PASSWORD_CHANGE: &[&str] =
    &["me", "changePassword", "logout", "__typename"];

/// The one session check every entry point calls once it knows the actor:
/// whether this (live, authenticated) session may be used here.
///
/// An official created by an ADMIN holds a one-time password and must change
/// it at first sign-in (DOMAIN.md "Roles"; NIST SP 800-63B §3.1.1.2 on
/// activation secrets): until then only the fields in
/// [`ALLOWED_BEFORE_PASSWORD_CHANGE`] answer, and everything else — other
/// GraphQL fields over HTTP or WebSocket, subscriptions, file downloads — is
/// `Denied::PasswordChangeRequired`.
pub fn admit(actor: &Actor, entry: EntryPoint<'_>) -> Result<(), Denied> {
    if !actor.must_change_password {
        return Ok(());
    }
    match entry {
        EntryPoint::GraphqlField(name) if ALLOWED_BEFORE_PASSWORD_CHANGE.contains(&name) => Ok(()),
        EntryPoint::GraphqlField(_) | EntryPoint::Http => Err(Denied::PasswordChangeRequired),
    }
}

/// The single authorization entry point.
pub fn authorize(actor: Option<&Actor>, action: Action<'_>) -> Result<(), Denied> {
    let actor = actor.ok_or(Denied::Unauthenticated)?;
    if actor.must_change_password {
        return Err(Denied::PasswordChangeRequired);
    }
    let allowed = match action {
        Action::ManageCatalogue | Action::ManageAccounts => actor.has_role(Role::Admin),
        Action::ReadAgencyStaff(scope) => actor.grants.iter().any(|g| match g.role {
            Role::Admin | Role::ProvinceSupervisor => true,
            Role::AgencyLeader | Role::TthcController => covers(g, scope),
            _ => false,
        }),
        Action::OwnAccount { account_id } => actor.account_id == account_id,
        Action::SearchPersonalData => !actor.is_analyst_only(),
    };
    if allowed {
        Ok(())
    } else {
        Err(Denied::Forbidden)
    }
}

/// Whether a grant reaches an agency: province-wide roles always, bound roles
/// when their agency is the target or one of its ancestors.
pub fn covers(grant: &Grant, scope: AgencyScope<'_>) -> bool {
    grant.role.is_province_wide()
        || grant
            .agency_id
            .is_some_and(|id| scope.lineage.contains(&id))
}

/// An official (account 7) with these grants, for the domain's tests.
#[cfg(test)]
pub(crate) fn official(grants: &[(Role, Option<i64>)]) -> Actor {
    Actor {
        account_id: 7,
        session_id: 1,
        kind: AccountKind::Official,
        grants: grants
            .iter()
            .map(|&(role, agency_id)| Grant { role, agency_id })
            .collect(),
        must_change_password: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nobody_signed_in_is_unauthenticated() {
        assert_eq!(
            authorize(None, Action::ManageCatalogue),
            Err(Denied::Unauthenticated)
        );
    }

    #[test]
    fn a_pending_password_change_blocks_everything() {
        let mut admin = official(&[(Role::Admin, None)]);
        admin.must_change_password = true;
        assert_eq!(
            authorize(Some(&admin), Action::ManageCatalogue),
            Err(Denied::PasswordChangeRequired)
        );
    }

    #[test]
    fn a_one_time_password_admits_only_me_change_password_and_logout() {
        let mut fresh = official(&[(Role::Specialist, Some(3))]);
        fresh.must_change_password = true;
        for allowed in ["me", "changePassword", "logout"] {
            assert_eq!(admit(&fresh, EntryPoint::GraphqlField(allowed)), Ok(()));
        }
        for refused in [
            EntryPoint::GraphqlField("dossiers"),
            EntryPoint::GraphqlField("dossierStatusChanged"),
            EntryPoint::Http,
        ] {
            assert_eq!(
                admit(&fresh, refused),
                Err(Denied::PasswordChangeRequired),
                "{refused:?}"
            );
        }
        fresh.must_change_password = false;
        assert_eq!(admit(&fresh, EntryPoint::Http), Ok(()));
        assert_eq!(admit(&fresh, EntryPoint::GraphqlField("dossiers")), Ok(()));
    }

    #[test]
    fn only_admins_manage_the_catalogue() {
        assert!(authorize(
            Some(&official(&[(Role::Admin, None)])),
            Action::ManageCatalogue
        )
        .is_ok());
        let leader = official(&[(Role::AgencyLeader, Some(3))]);
        assert_eq!(
            authorize(Some(&leader), Action::ManageCatalogue),
            Err(Denied::Forbidden)
        );
    }

    #[test]
    fn a_leader_reads_staff_of_own_agency_and_below_but_not_beside() {
        let leader = official(&[(Role::AgencyLeader, Some(3))]);
        // Agency 5 under 3 under 1.
        let below = AgencyScope {
            lineage: &[5, 3, 1],
        };
        let beside = AgencyScope { lineage: &[4, 1] };
        assert!(authorize(Some(&leader), Action::ReadAgencyStaff(below)).is_ok());
        assert_eq!(
            authorize(Some(&leader), Action::ReadAgencyStaff(beside)),
            Err(Denied::Forbidden)
        );
        let specialist = official(&[(Role::Specialist, Some(3))]);
        assert_eq!(
            authorize(Some(&specialist), Action::ReadAgencyStaff(below)),
            Err(Denied::Forbidden)
        );
    }

    #[test]
    fn own_account_means_own() {
        let a = official(&[(Role::Specialist, Some(3))]);
        assert!(authorize(Some(&a), Action::OwnAccount { account_id: 7 }).is_ok());
        assert_eq!(
            authorize(Some(&a), Action::OwnAccount { account_id: 8 }),
            Err(Denied::Forbidden)
        );
    }

    #[test]
    fn analysts_never_search_by_personal_identifiers() {
        let analyst = official(&[(Role::Analyst, None)]);
        assert_eq!(
            authorize(Some(&analyst), Action::SearchPersonalData),
            Err(Denied::Forbidden)
        );
        for role in [Role::ReceptionOfficer, Role::ProvinceSupervisor] {
            let o = official(&[(role, Some(3))]);
            assert!(authorize(Some(&o), Action::SearchPersonalData).is_ok());
        }
    }

    #[test]
    fn postal_staff_do_not_read_their_agency_records() {
        assert!(!Role::PostalStaff.reads_agency_records());
        assert!(Role::PostalStaff.is_agency_bound());
        assert!(Role::ReceptionOfficer.reads_agency_records());
        assert!(official(&[(Role::PostalStaff, Some(3))]).is_postal_only());
        assert!(!official(&[
            (Role::PostalStaff, Some(3)),
            (Role::ReceptionOfficer, Some(3))
        ])
        .is_postal_only());
    }

    #[test]
    fn role_names_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(*r));
        }
    }
}
