//! Reads for public statistics and the agency evaluation: sums over the
//! monthly rollup (`dossier_stat`, flows) and counts of the dossiers open
//! now (stocks), grouped in the database.

use chrono::{DateTime, Utc};
use entity::{dossier, dossier_stat, feedback, procedure, procedure_version};
use sea_orm::sea_query::{
    Alias, Asterisk, CaseStatement, Condition, Expr, ExprTrait, Func, JoinType, Query,
    SelectStatement,
};
use sea_orm::{ConnectionTrait, DbErr, QueryResult};

use crate::domain::catalogue::{OnlineServiceLevel, ProcedureStatus};
use crate::domain::lifecycle::{Channel, DossierStatus};

/// The dossiers a statistic covers.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Settled by one of these agencies (an agency and its subtree).
    pub agencies: Option<Vec<i64>>,
    pub procedure_id: Option<i64>,
    pub field_id: Option<i64>,
}

/// What rows are grouped by; `All` gives at most one row, keyed "ALL".
/// `Month` ("2026-11") groups the rollup's flows only (`flows`): the
/// dossiers have no month column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    All,
    Month,
    Agency,
    Procedure,
    Field,
    Channel,
}

/// Statuses of a dossier in progress (received, not settled).
const OPEN: [DossierStatus; 4] = [
    DossierStatus::Received,
    DossierStatus::Processing,
    DossierStatus::Paused,
    DossierStatus::AwaitingApproval,
];

fn d(c: dossier::Column) -> Expr {
    Expr::col((Alias::new("d"), c))
}

fn s(c: dossier_stat::Column) -> Expr {
    Expr::col((Alias::new("d"), c))
}

/// `CAST(SUM(e) AS BIGINT)`: PostgreSQL sums BIGINT columns as NUMERIC.
fn total(e: impl Into<Expr>) -> Expr {
    Func::cast_as(Func::sum(e.into()), Alias::new("BIGINT")).into()
}

fn one_if(cond: Expr) -> Expr {
    CaseStatement::new().case(cond, 1).finally(0).into()
}

fn when(cond: Expr, then: Expr) -> Expr {
    CaseStatement::new().case(cond, then).finally(0).into()
}

/// `FROM <table> d JOIN procedure p ON p.id = d.procedure_id`, with the
/// scope's conditions (the columns it names exist in both tables).
fn scoped<T: sea_orm::sea_query::IntoTableRef>(table: T, scope: &Scope) -> SelectStatement {
    let p = Alias::new("p");
    let mut q = Query::select();
    q.from_as(table, Alias::new("d")).join_as(
        JoinType::InnerJoin,
        procedure::Entity,
        p.clone(),
        Expr::col((p.clone(), procedure::Column::Id))
            .equals((Alias::new("d"), dossier::Column::ProcedureId)),
    );
    if let Some(ids) = &scope.agencies {
        q.and_where(d(dossier::Column::SettlingAgencyId).is_in(ids.iter().copied()));
    }
    if let Some(id) = scope.procedure_id {
        q.and_where(d(dossier::Column::ProcedureId).eq(id));
    }
    if let Some(id) = scope.field_id {
        q.and_where(Expr::col((p, procedure::Column::FieldId)).eq(id));
    }
    q
}

/// Selects the key as `k` and groups by it; `All` counts rows as `n` instead,
/// so that an empty result can be told from a row of zeros.
fn keyed(q: &mut SelectStatement, key: Key) {
    let text = |e: Expr| -> Expr { Func::cast_as(e, Alias::new("TEXT")).into() };
    let k = match key {
        Key::All => {
            q.expr_as(Expr::col(Asterisk).count(), Alias::new("n"));
            return;
        }
        Key::Agency => text(d(dossier::Column::SettlingAgencyId)),
        Key::Procedure => text(d(dossier::Column::ProcedureId)),
        Key::Field => text(Expr::col((Alias::new("p"), procedure::Column::FieldId))),
        Key::Channel => d(dossier::Column::Channel),
        Key::Month => s(dossier_stat::Column::Month),
    };
    q.expr_as(k, Alias::new("k")).group_by_col(Alias::new("k"));
}

/// The key of a row selected by [`keyed`]; None for an empty `All` row.
fn key_of(r: &QueryResult, key: Key) -> Result<Option<String>, DbErr> {
    match key {
        Key::All => Ok((r.try_get::<i64>("", "n")? > 0).then(|| "ALL".to_owned())),
        _ => r.try_get::<String>("", "k").map(Some),
    }
}

fn n(r: &QueryResult, c: &str) -> Result<i64, DbErr> {
    Ok(r.try_get::<Option<i64>>("", c)?.unwrap_or(0))
}

/// The rollup's sums of one group over months `from_month` (inclusive) to
/// `to_month` (exclusive), keys as "2026-11".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Flows {
    pub key: String,
    pub received: i64,
    pub received_online: i64,
    pub settled: i64,
    pub early: i64,
    pub on_time: i64,
    pub late: i64,
    pub refused: i64,
    pub withdrawn: i64,
    pub rated: i64,
    pub very_satisfied: i64,
    pub satisfied: i64,
    pub not_satisfied: i64,
}

/// Received, settled (early, on time, late), refused, withdrawn and the
/// ratings given in the months `[from_month, to_month)`, per group.
pub async fn flows(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    key: Key,
    from_month: &str,
    to_month: &str,
) -> Result<Vec<Flows>, DbErr> {
    use dossier_stat::Column as S;
    let mut q = scoped(dossier_stat::Entity, scope);
    keyed(&mut q, key);
    let online = when(s(S::Channel).eq(Channel::Online.as_str()), s(S::Received));
    q.expr_as(total(s(S::Received)), Alias::new("received"))
        .expr_as(total(online), Alias::new("received_online"));
    let plain = [
        (S::Settled, "settled"),
        (S::Early, "early"),
        (S::OnTime, "on_time"),
        (S::Late, "late"),
        (S::Refused, "refused"),
        (S::Withdrawn, "withdrawn"),
        (S::Rated, "rated"),
        (S::VerySatisfied, "very_satisfied"),
        (S::Satisfied, "satisfied"),
        (S::NotSatisfied, "not_satisfied"),
    ];
    for (c, name) in plain {
        q.expr_as(total(s(c)), Alias::new(name));
    }
    q.and_where(s(S::Month).gte(from_month))
        .and_where(s(S::Month).lt(to_month));
    let mut out = Vec::new();
    for r in conn.query_all(&q).await? {
        let Some(key) = key_of(&r, key)? else {
            continue;
        };
        out.push(Flows {
            key,
            received: n(&r, "received")?,
            received_online: n(&r, "received_online")?,
            settled: n(&r, "settled")?,
            early: n(&r, "early")?,
            on_time: n(&r, "on_time")?,
            late: n(&r, "late")?,
            refused: n(&r, "refused")?,
            withdrawn: n(&r, "withdrawn")?,
            rated: n(&r, "rated")?,
            very_satisfied: n(&r, "very_satisfied")?,
            satisfied: n(&r, "satisfied")?,
            not_satisfied: n(&r, "not_satisfied")?,
        });
    }
    Ok(out)
}

fn open_dossiers(scope: &Scope) -> SelectStatement {
    let mut q = scoped(dossier::Entity, scope);
    q.and_where(d(dossier::Column::Status).is_in(OPEN.map(|s| s.as_str())));
    q
}

/// Dossiers open at `now` and received before `received_before`, per
/// group: (key, not yet due, overdue).
pub async fn open_now(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    key: Key,
    now: DateTime<Utc>,
    received_before: DateTime<Utc>,
) -> Result<Vec<(String, i64, i64)>, DbErr> {
    let mut q = open_dossiers(scope);
    keyed(&mut q, key);
    q.expr_as(
        total(one_if(d(dossier::Column::DueAt).gte(now))),
        Alias::new("not_due"),
    )
    .expr_as(
        total(one_if(d(dossier::Column::DueAt).lt(now))),
        Alias::new("overdue"),
    )
    .and_where(d(dossier::Column::ReceivedAt).lt(received_before));
    let mut out = Vec::new();
    for r in conn.query_all(&q).await? {
        let Some(k) = key_of(&r, key)? else { continue };
        out.push((k, n(&r, "not_due")?, n(&r, "overdue")?));
    }
    Ok(out)
}

/// Dossiers open at `now` and received before each of `ends`: (not yet
/// due, overdue) per end, counted in one pass.
pub async fn open_at(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    now: DateTime<Utc>,
    ends: &[DateTime<Utc>],
) -> Result<Vec<(i64, i64)>, DbErr> {
    let mut q = open_dossiers(scope);
    for (i, end) in ends.iter().enumerate() {
        let before = || d(dossier::Column::ReceivedAt).lt(*end);
        q.expr_as(
            total(one_if(before().and(d(dossier::Column::DueAt).gte(now)))),
            Alias::new(format!("nd{i}")),
        )
        .expr_as(
            total(one_if(before().and(d(dossier::Column::DueAt).lt(now)))),
            Alias::new(format!("od{i}")),
        );
    }
    if ends.is_empty() {
        return Ok(Vec::new());
    }
    let row = conn.query_one(&q).await?;
    (0..ends.len())
        .map(|i| {
            Ok(match &row {
                Some(r) => (n(r, &format!("nd{i}"))?, n(r, &format!("od{i}"))?),
                None => (0, 0),
            })
        })
        .collect()
}

/// Per settling agency (`overdue`): the dossiers still open at `end` past
/// their legal due instant, which Decision 766 counts as late (otherwise
/// leaving a late dossier open would raise the score): received before
/// `end`, either open now and not paused (a supplement stops the clock)
/// or settled at or after `end`, and due before `cutoff` (the period's
/// end, or now when that is earlier).
pub async fn overdue_at_end(
    conn: &impl ConnectionTrait,
    end: DateTime<Utc>,
    cutoff: DateTime<Utc>,
) -> Result<Vec<AgencyCounts>, DbErr> {
    use dossier::Column as D;
    let running = [
        DossierStatus::Received,
        DossierStatus::Processing,
        DossierStatus::AwaitingApproval,
    ];
    let mut q = Query::select();
    q.from_as(dossier::Entity, Alias::new("d"))
        .expr_as(d(D::SettlingAgencyId), Alias::new("a"))
        .expr_as(Expr::val(1).count(), Alias::new("overdue"))
        .and_where(d(D::ReceivedAt).lt(end))
        .and_where(d(D::LegalDueAt).lt(cutoff))
        .and_where(
            d(D::Status)
                .is_in(running.map(|s| s.as_str()))
                .or(d(D::SettledAt).gte(end)),
        )
        .add_group_by([d(D::SettlingAgencyId)]);
    per_agency(conn, &q, &["overdue"]).await
}

/// Named counts of one agency.
#[derive(Debug, Clone, Default)]
pub struct AgencyCounts {
    pub agency_id: i64,
    pub counts: Vec<(&'static str, i64)>,
}

impl AgencyCounts {
    /// The count named `name` (0 when not counted).
    pub fn get(&self, name: &str) -> i64 {
        self.counts
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(0, |(_, v)| *v)
    }
}

async fn per_agency(
    conn: &impl ConnectionTrait,
    q: &SelectStatement,
    names: &[&'static str],
) -> Result<Vec<AgencyCounts>, DbErr> {
    let mut out = Vec::new();
    for r in conn.query_all(q).await? {
        let counts = names
            .iter()
            .map(|name| Ok((*name, n(&r, name)?)))
            .collect::<Result<_, DbErr>>()?;
        out.push(AgencyCounts {
            agency_id: r.try_get("", "a")?,
            counts,
        });
    }
    Ok(out)
}

/// The evaluation's inputs from the rollup, per settling agency, over the
/// months `[from_month, to_month)`: settled, on_time (Decision 766),
/// received, checked and within (reception in 8 working hours), capable
/// and online (of online procedures, received / received online),
/// digitised (with a component file), online_received and reused, returned
/// and results (returned with the file), answers and satisfied (rating
/// answers), paid and paid_online.
pub async fn evaluation_inputs(
    conn: &impl ConnectionTrait,
    from_month: &str,
    to_month: &str,
) -> Result<Vec<AgencyCounts>, DbErr> {
    use dossier_stat::Column as S;
    let capable = Expr::col((Alias::new("p"), procedure::Column::OnlineServiceLevel))
        .ne(OnlineServiceLevel::None.as_str());
    let online = s(S::Channel).eq(Channel::Online.as_str());
    let sums: [(&'static str, Expr); 16] = [
        ("settled", s(S::Settled)),
        ("on_time", s(S::OnTime766)),
        ("received", s(S::Received)),
        ("checked", s(S::ReceptionChecked)),
        ("within", s(S::ReceptionWithin)),
        ("capable", when(capable.clone(), s(S::Received))),
        ("online", when(capable.and(online.clone()), s(S::Received))),
        ("digitised", s(S::WithComponentFile)),
        ("online_received", when(online, s(S::Received))),
        ("reused", s(S::OnlineReused)),
        ("returned", s(S::Returned)),
        ("results", s(S::ReturnedWithFile)),
        ("answers", Expr::val(3).mul(s(S::Rated))),
        ("satisfied", s(S::VerySatisfied).add(s(S::Satisfied))),
        ("paid", s(S::Paid)),
        ("paid_online", s(S::PaidOnline)),
    ];
    let mut q = scoped(dossier_stat::Entity, &Scope::default());
    q.expr_as(s(S::SettlingAgencyId), Alias::new("a"));
    for (name, e) in sums.iter().cloned() {
        q.expr_as(total(e), Alias::new(name));
    }
    q.and_where(s(S::Month).gte(from_month))
        .and_where(s(S::Month).lt(to_month))
        .group_by_col((Alias::new("d"), S::SettlingAgencyId));
    let names: Vec<&'static str> = sums.iter().map(|(n, _)| *n).collect();
    per_agency(conn, &q, &names).await
}

/// Feedback due in `[from, to)` and already decided (closed, or past due
/// and still open at `now`), per agency: due, and on_time (closed by the
/// due date).
pub async fn feedback_timeliness(
    conn: &impl ConnectionTrait,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<AgencyCounts>, DbErr> {
    use feedback::Column as F;
    let f = |c: F| Expr::col((Alias::new("f"), c));
    let closed_in_time = f(F::ClosedAt)
        .is_not_null()
        .and(f(F::ClosedAt).lte(f(F::DueAt)));
    let q = Query::select()
        .expr_as(f(F::AgencyId), Alias::new("a"))
        .expr_as(total(Expr::val(1)), Alias::new("due"))
        .expr_as(total(one_if(closed_in_time)), Alias::new("on_time"))
        .from_as(feedback::Entity, Alias::new("f"))
        .and_where(f(F::DueAt).gte(from))
        .and_where(f(F::DueAt).lt(to))
        .cond_where(
            Condition::any()
                .add(f(F::ClosedAt).is_not_null())
                .add(f(F::DueAt).lt(now)),
        )
        .group_by_col((Alias::new("f"), F::AgencyId))
        .to_owned();
    per_agency(conn, &q, &["due", "on_time"]).await
}

/// The current version of every active procedure.
pub async fn current_active_versions(
    conn: &impl ConnectionTrait,
) -> Result<Vec<procedure_version::Model>, DbErr> {
    use sea_orm::{EntityTrait, QueryFilter};
    let p = Alias::new("p");
    let current = Query::select()
        .expr(Expr::val(1))
        .from_as(procedure::Entity, p.clone())
        .and_where(Expr::col((p.clone(), procedure::Column::Id)).equals((
            procedure_version::Entity,
            procedure_version::Column::ProcedureId,
        )))
        .and_where(
            Expr::col((p.clone(), procedure::Column::CurrentVersion)).equals((
                procedure_version::Entity,
                procedure_version::Column::VersionNo,
            )),
        )
        .and_where(Expr::col((p, procedure::Column::Status)).eq(ProcedureStatus::Active.as_str()))
        .to_owned();
    procedure_version::Entity::find()
        .filter(Expr::exists(current))
        .all(conn)
        .await
}
