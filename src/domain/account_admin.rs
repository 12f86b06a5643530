//! What an administrator may do to an account: the rules that keep the
//! system administrable (`updateOfficialRoles`, `deactivateAccount`).

use super::authz::{Grant, Role};
use super::Problem;

/// Whether `deactivateAccount` may close `target`. The caller never closes
/// its own account (there would be nobody left to undo a mistake), and the
/// last active ADMIN stays. `other_active_admins`: active accounts holding
/// ADMIN, `target` excluded.
///
/// Errors: the problem to report on `accountId`.
pub fn may_deactivate(
    caller_account: i64,
    target: i64,
    target_is_admin: bool,
    other_active_admins: u64,
) -> Result<(), Problem> {
    if caller_account == target {
        return Err(Problem::Invalid {
            vi: "Không thể tự khóa tài khoản của chính mình".into(),
            en: "You cannot deactivate your own account".into(),
        });
    }
    if target_is_admin && other_active_admins == 0 {
        return Err(last_admin());
    }
    Ok(())
}

/// Whether `updateOfficialRoles` may replace an active account's grants with
/// `new_grants`: the last active ADMIN keeps its ADMIN grant.
///
/// Errors: the problem to report on `roles`.
pub fn may_change_roles(
    target_active: bool,
    target_is_admin: bool,
    new_grants: &[Grant],
    other_active_admins: u64,
) -> Result<(), Problem> {
    let keeps_admin = new_grants.iter().any(|g| g.role == Role::Admin);
    if target_active && target_is_admin && !keeps_admin && other_active_admins == 0 {
        return Err(last_admin());
    }
    Ok(())
}

fn last_admin() -> Problem {
    Problem::Invalid {
        vi: "Đây là quản trị viên cuối cùng đang hoạt động; hãy cấp quyền quản trị cho người khác trước".into(),
        en: "This is the last active administrator; make someone else an administrator first".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ADMIN: Grant = Grant {
        role: Role::Admin,
        agency_id: None,
    };
    const ANALYST: Grant = Grant {
        role: Role::Analyst,
        agency_id: None,
    };

    #[test]
    fn an_admin_never_deactivates_itself() {
        assert!(may_deactivate(1, 1, true, 5).is_err());
        assert!(may_deactivate(1, 1, false, 5).is_err());
    }

    #[test]
    fn the_last_active_admin_is_never_deactivated() {
        assert!(may_deactivate(1, 2, true, 0).is_err());
        assert!(may_deactivate(1, 2, true, 1).is_ok());
        assert!(may_deactivate(1, 2, false, 0).is_ok());
    }

    #[test]
    fn the_last_active_admin_keeps_its_admin_grant() {
        assert!(may_change_roles(true, true, &[ANALYST], 0).is_err());
        assert!(may_change_roles(true, true, &[ANALYST, ADMIN], 0).is_ok());
        assert!(may_change_roles(true, true, &[ANALYST], 1).is_ok());
        // Not an admin now, or inactive: nothing is lost.
        assert!(may_change_roles(true, false, &[ANALYST], 0).is_ok());
        assert!(may_change_roles(false, true, &[ANALYST], 0).is_ok());
    }
}
