//! The processing control sheet (phiếu kiểm soát quá trình giải quyết hồ
//! sơ, form 06 of Circular 03/2025/TT-VPCP): each step of the internal
//! process against its share of the processing time.
//!
//! A dossier's timeline has four phases — the one-stop unit (reception to
//! transfer), the handler (transfer to the last submission for approval, or
//! to settlement), the leader (that submission to settlement), and the
//! one-stop unit again (settlement to the return: "Vào sổ, đóng dấu và trả
//! kết quả", the last row of form 06). Consecutive internal steps of the
//! same role share their phase, so they make one row; a one-stop row after
//! a handler's or a leader's is the return's.

use chrono::{DateTime, Utc};

use super::authz::Role;
use super::calendar::{Calendar, Timeliness};
use super::catalogue::ProcessStep;

/// When a phase ran; `paused_seconds` of working time inside it do not count.
#[derive(Debug, Clone, Copy, Default)]
pub struct Phase {
    pub started: Option<DateTime<Utc>>,
    pub finished: Option<DateTime<Utc>>,
    pub paused_seconds: i64,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Timeline {
    pub reception: Phase,
    pub handling: Phase,
    pub approval: Phase,
    /// Settlement to the result's return (or its delivery's record).
    pub returning: Phase,
}

impl Timeline {
    /// A row's phase: the one-stop unit's rows before the dossier reached
    /// the agency are the reception's, after it the return's.
    fn phase(&self, role: Role, after_agency: bool) -> Option<&Phase> {
        match role {
            Role::ReceptionOfficer | Role::PostalStaff if after_agency => Some(&self.returning),
            Role::ReceptionOfficer | Role::PostalStaff => Some(&self.reception),
            Role::Specialist | Role::TthcController => Some(&self.handling),
            Role::AgencyLeader => Some(&self.approval),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub steps: Vec<String>,
    pub role: Role,
    pub allotted_seconds: i64,
    pub started_at: Option<DateTime<Utc>>,
    pub due_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub timeliness: Option<Timeliness>,
}

pub fn rows(steps: &[ProcessStep], timeline: &Timeline, calendar: &Calendar<'_>) -> Vec<Row> {
    let mut out: Vec<Row> = Vec::new();
    for step in steps {
        match out.last_mut() {
            Some(last) if last.role == step.role => {
                last.steps.push(step.name.clone());
                last.allotted_seconds += i64::from(step.working_hours) * 3600;
            }
            _ => out.push(Row {
                steps: vec![step.name.clone()],
                role: step.role,
                allotted_seconds: i64::from(step.working_hours) * 3600,
                started_at: None,
                due_at: None,
                finished_at: None,
                timeliness: None,
            }),
        }
    }
    let mut after_agency = false;
    for row in &mut out {
        let one_stop = matches!(row.role, Role::ReceptionOfficer | Role::PostalStaff);
        let phase = timeline.phase(row.role, after_agency);
        after_agency |= !one_stop;
        let Some(phase) = phase else {
            continue;
        };
        let Some(start) = phase.started else { continue };
        let due = calendar.add_seconds(start, row.allotted_seconds + phase.paused_seconds);
        row.started_at = Some(start);
        row.due_at = Some(due);
        row.finished_at = phase.finished;
        row.timeliness = phase.finished.map(|f| calendar.classify(due, f));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::WorkingHours;
    use chrono::TimeZone;
    use std::collections::BTreeMap;

    fn vn(d: u32, h: u32) -> DateTime<Utc> {
        chrono_tz::Asia::Ho_Chi_Minh
            .with_ymd_and_hms(2031, 3, d, h, 0, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    /// `rows` on 07:30–11:30, 13:00–17:00 in Vietnam, no exceptions.
    fn on_default_calendar(steps: &[ProcessStep], timeline: &Timeline) -> Vec<Row> {
        let hours = WorkingHours::default();
        let ex = BTreeMap::new();
        let cal = Calendar {
            tz: chrono_tz::Asia::Ho_Chi_Minh,
            hours: &hours,
            exceptions: &ex,
        };
        rows(steps, timeline, &cal)
    }

    fn step(name: &str, role: Role, hours: u32) -> ProcessStep {
        ProcessStep {
            name: name.into(),
            role,
            working_hours: hours,
        }
    }

    #[test]
    fn each_phase_is_judged_by_its_own_share() {
        let steps = [
            step("Tiếp nhận", Role::ReceptionOfficer, 4),
            step("Thẩm định", Role::Specialist, 16),
            step("Dự thảo kết quả", Role::Specialist, 8),
            step("Ký duyệt", Role::AgencyLeader, 4),
        ];
        // Monday 3/3/2031: received 08:00, transferred 10:00 (within 4 h);
        // handled until Friday 09:00 (more than 24 h, but 8 h were paused);
        // signed Friday 15:00, past its 4 h.
        let timeline = Timeline {
            reception: Phase {
                started: Some(vn(3, 8)),
                finished: Some(vn(3, 10)),
                paused_seconds: 0,
            },
            handling: Phase {
                started: Some(vn(3, 10)),
                finished: Some(vn(7, 9)),
                paused_seconds: 8 * 3600,
            },
            approval: Phase {
                started: Some(vn(7, 9)),
                finished: Some(vn(7, 15)),
                paused_seconds: 0,
            },
            ..Default::default()
        };
        let r = on_default_calendar(&steps, &timeline);
        assert_eq!(r.len(), 3, "the two specialist steps share a row");
        assert_eq!(r[1].steps, ["Thẩm định", "Dự thảo kết quả"]);
        assert_eq!(r[0].timeliness, Some(Timeliness::OnTime));
        // 24 h + 8 paused from Monday 10:00 end Friday 10:00; done Friday 09:00.
        assert_eq!(r[1].due_at, Some(vn(7, 10)));
        assert_eq!(r[1].timeliness, Some(Timeliness::OnTime));
        // 4 h from Friday 09:00: 11:30 plus 1.5 h → 14:30; signed 15:00.
        assert_eq!(r[2].due_at, Some(vn(7, 14) + chrono::Duration::minutes(30)));
        assert_eq!(r[2].timeliness, Some(Timeliness::Late));
    }

    #[test]
    fn the_last_one_stop_row_is_the_return_not_the_reception() {
        let steps = [
            step("Tiếp nhận hồ sơ", Role::ReceptionOfficer, 4),
            step("Thẩm định", Role::Specialist, 8),
            step("Ký duyệt", Role::AgencyLeader, 4),
            step("Vào sổ, đóng dấu và trả kết quả", Role::ReceptionOfficer, 4),
        ];
        // Received Monday 08:00, transferred 09:00; signed Tuesday 10:00;
        // returned Wednesday 08:00: 4 h from Tuesday 10:00 end 15:30
        // (1.5 h before the 11:30–13:00 lunch, 2.5 h after), so the return
        // is late.
        let timeline = Timeline {
            reception: Phase {
                started: Some(vn(3, 8)),
                finished: Some(vn(3, 9)),
                paused_seconds: 0,
            },
            handling: Phase {
                started: Some(vn(3, 9)),
                finished: Some(vn(4, 8)),
                paused_seconds: 0,
            },
            approval: Phase {
                started: Some(vn(4, 8)),
                finished: Some(vn(4, 10)),
                paused_seconds: 0,
            },
            returning: Phase {
                started: Some(vn(4, 10)),
                finished: Some(vn(5, 8)),
                paused_seconds: 0,
            },
        };
        let r = on_default_calendar(&steps, &timeline);
        assert_eq!(r.len(), 4);
        assert_eq!(
            (r[0].started_at, r[0].finished_at),
            (Some(vn(3, 8)), Some(vn(3, 9)))
        );
        assert_eq!(
            (r[3].started_at, r[3].due_at, r[3].finished_at),
            (
                Some(vn(4, 10)),
                Some(vn(4, 15) + chrono::Duration::minutes(30)),
                Some(vn(5, 8))
            )
        );
        assert_eq!(r[3].timeliness, Some(Timeliness::Late));
    }

    #[test]
    fn phases_not_reached_have_no_times() {
        let timeline = Timeline {
            reception: Phase {
                started: Some(vn(3, 8)),
                finished: None,
                paused_seconds: 0,
            },
            ..Default::default()
        };
        let r = on_default_calendar(
            &[
                step("Tiếp nhận", Role::ReceptionOfficer, 4),
                step("Ký", Role::AgencyLeader, 4),
            ],
            &timeline,
        );
        // 08:00 + 4 h: 3.5 h before lunch, 0.5 h after.
        let due = vn(3, 13) + chrono::Duration::minutes(30);
        assert_eq!((r[0].due_at, r[0].timeliness), (Some(due), None));
        assert_eq!(r[1].started_at, None);
    }
}
