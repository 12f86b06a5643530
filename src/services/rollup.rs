//! The statistics rollup: per local month, settling agency, procedure and
//! channel, the counts the public statistics and the agency evaluation
//! need — received, settled (early, on time, late, on time under Decision
//! 766), refused, withdrawn, ratings and their answers, reception within 8
//! working hours, files and reused documents, results returned with their
//! electronic copy, fees paid (online). Every change adds to it in its own
//! transaction, so a year's figures sum a few thousand rows instead of
//! scanning millions of dossiers. Statistics and evaluation periods are
//! whole months (a year, a quarter or a month): a month is the finest
//! bucket needed.

use chrono::{DateTime, Utc};
use entity::dossier;
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};

use super::attachments::files_of;
use super::dossiers::HANDOVER_LIMIT_SECONDS;
use crate::domain::calendar::Timeliness;
use crate::domain::documents::AttachmentKind;
use crate::domain::lifecycle::{Channel, DossierAction, DossierStatus};
use crate::domain::rating::RatingLevel;
use crate::error::AppResult;
use crate::state::AppState;

/// One counted measure: a column of `dossier_stat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum M {
    Received,
    Settled,
    Early,
    OnTime,
    Late,
    Refused,
    Withdrawn,
    /// Ratings given (in the month of their first rating); a revision moves
    /// answers, not ratings.
    Rated,
    VerySatisfied,
    Satisfied,
    NotSatisfied,
    /// Settled by the legal due date and not sent back for a supplement
    /// more than once (Decision 766's rule).
    OnTime766,
    ReceptionChecked,
    ReceptionWithin,
    /// Received dossiers with a component file (counted once per dossier,
    /// also when the file comes after reception).
    WithComponentFile,
    /// Online dossiers received with a component from the data store.
    OnlineReused,
    Returned,
    ReturnedWithFile,
    Paid,
    PaidOnline,
}

/// Every measure, in column order.
pub const MEASURES: [M; 20] = [
    M::Received,
    M::Settled,
    M::Early,
    M::OnTime,
    M::Late,
    M::Refused,
    M::Withdrawn,
    M::Rated,
    M::VerySatisfied,
    M::Satisfied,
    M::NotSatisfied,
    M::OnTime766,
    M::ReceptionChecked,
    M::ReceptionWithin,
    M::WithComponentFile,
    M::OnlineReused,
    M::Returned,
    M::ReturnedWithFile,
    M::Paid,
    M::PaidOnline,
];

impl M {
    pub fn column(self) -> &'static str {
        match self {
            M::Received => "received",
            M::Settled => "settled",
            M::Early => "early",
            M::OnTime => "on_time",
            M::Late => "late",
            M::Refused => "refused",
            M::Withdrawn => "withdrawn",
            M::Rated => "rated",
            M::VerySatisfied => "very_satisfied",
            M::Satisfied => "satisfied",
            M::NotSatisfied => "not_satisfied",
            M::OnTime766 => "on_time_766",
            M::ReceptionChecked => "reception_checked",
            M::ReceptionWithin => "reception_within",
            M::WithComponentFile => "with_component_file",
            M::OnlineReused => "online_reused",
            M::Returned => "returned",
            M::ReturnedWithFile => "returned_with_file",
            M::Paid => "paid",
            M::PaidOnline => "paid_online",
        }
    }

    fn index(self) -> usize {
        MEASURES.iter().position(|m| *m == self).unwrap_or(0)
    }
}

/// What one change adds to one row of the rollup.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Delta([i64; MEASURES.len()]);

impl Delta {
    pub fn add(&mut self, m: M, n: i64) {
        self.0[m.index()] += n;
    }

    pub fn with(mut self, m: M, n: i64) -> Delta {
        self.add(m, n);
        self
    }

    pub fn get(&self, m: M) -> i64 {
        self.0[m.index()]
    }

    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|n| *n == 0)
    }

    pub fn plus(mut self, o: Delta) -> Delta {
        for (a, b) in self.0.iter_mut().zip(o.0) {
            *a += b;
        }
        self
    }

    /// The counts a transition changes that its dossier row tells (`d` as
    /// it is after it); `received_with` says what files it was received
    /// with (component, from the data store).
    pub fn of(
        action: DossierAction,
        from: Option<DossierStatus>,
        to: DossierStatus,
        d: &dossier::Model,
    ) -> Delta {
        let mut delta = Delta::default();
        if action == DossierAction::Receive {
            delta.add(M::Received, 1);
            if let Some(secs) = d.reception_seconds {
                delta.add(M::ReceptionChecked, 1);
                delta.add(
                    M::ReceptionWithin,
                    i64::from(secs <= HANDOVER_LIMIT_SECONDS),
                );
            }
        }
        // Settled once: the first settled status (RESULT_READY or
        // NOT_ELIGIBLE), not the return that follows.
        if to.is_settled() && !from.is_some_and(|f| f.is_settled()) && d.settled_at.is_some() {
            delta.add(M::Settled, 1);
            let t = d.timeliness.as_deref().and_then(Timeliness::parse);
            match t {
                Some(Timeliness::Early) => delta.add(M::Early, 1),
                Some(Timeliness::OnTime) => delta.add(M::OnTime, 1),
                Some(Timeliness::Late) => delta.add(M::Late, 1),
                None => {}
            }
            let in_time = matches!(t, Some(Timeliness::Early | Timeliness::OnTime));
            delta.add(
                M::OnTime766,
                i64::from(in_time && d.supplement_requests <= 1),
            );
        }
        match to {
            DossierStatus::Refused => delta.add(M::Refused, 1),
            DossierStatus::Withdrawn => delta.add(M::Withdrawn, 1),
            DossierStatus::Returned if action == DossierAction::ReturnResult => {
                delta.add(M::Returned, 1)
            }
            _ => {}
        }
        delta
    }

    /// A rating's answers, counted with `sign` (+1 given, -1 taken back).
    pub fn answers(levels: [&str; 3], sign: i64) -> Delta {
        let mut delta = Delta::default();
        for level in levels {
            match RatingLevel::parse(level) {
                Some(RatingLevel::VerySatisfied) => delta.add(M::VerySatisfied, sign),
                Some(RatingLevel::Satisfied) => delta.add(M::Satisfied, sign),
                Some(RatingLevel::NotSatisfied) => delta.add(M::NotSatisfied, sign),
                None => {}
            }
        }
        delta
    }
}

/// The local month of an instant, as the rollup keys it ("2026-11").
pub fn month_of(st: &AppState, at: DateTime<Utc>) -> String {
    at.with_timezone(&st.config.calendar.tz)
        .format("%Y-%m")
        .to_string()
}

/// A transition's counts, inside its transaction.
pub async fn on_transition(
    txn: &impl ConnectionTrait,
    st: &AppState,
    d: &dossier::Model,
    action: DossierAction,
    from: Option<DossierStatus>,
    to: DossierStatus,
    at: DateTime<Utc>,
) -> AppResult<()> {
    let mut delta = Delta::of(action, from, to, d);
    if delta.get(M::Received) > 0 || delta.get(M::Returned) > 0 {
        let (component, reused, result) = files_of(txn, d.id).await?;
        if delta.get(M::Received) > 0 {
            delta.add(M::WithComponentFile, i64::from(component));
            let online = d.channel == Channel::Online.as_str();
            delta.add(M::OnlineReused, i64::from(online && reused));
        }
        if delta.get(M::Returned) > 0 {
            delta.add(M::ReturnedWithFile, i64::from(result));
        }
    }
    add(txn, st, d, at, delta).await
}

/// A file attached to a dossier already received: the first component
/// file (and the first reused document) counts in the month it was
/// received. Call before inserting the attachment.
pub async fn on_attachment(
    txn: &impl ConnectionTrait,
    st: &AppState,
    d: &dossier::Model,
    kind: AttachmentKind,
    from_data_store: bool,
) -> AppResult<()> {
    let Some(received) = d.received_at else {
        return Ok(()); // counted at reception
    };
    if kind != AttachmentKind::Component {
        return Ok(()); // results are counted at return
    }
    let (component, reused, _) = files_of(txn, d.id).await?;
    let mut delta = Delta::default();
    delta.add(M::WithComponentFile, i64::from(!component));
    let online = d.channel == Channel::Online.as_str();
    delta.add(
        M::OnlineReused,
        i64::from(online && from_data_store && !reused),
    );
    add(txn, st, d, received, delta).await
}

fn columns() -> String {
    let measures: Vec<&str> = MEASURES.iter().map(|m| m.column()).collect();
    format!(
        "month, settling_agency_id, procedure_id, channel, {}",
        measures.join(", ")
    )
}

/// Adds to the row of `d`'s agency, procedure and channel in the month of
/// `at`, inside the caller's transaction.
pub async fn add(
    txn: &impl ConnectionTrait,
    st: &AppState,
    d: &dossier::Model,
    at: DateTime<Utc>,
    delta: Delta,
) -> AppResult<()> {
    if delta.is_empty() {
        return Ok(());
    }
    let backend = txn.get_database_backend();
    let updates: Vec<String> = MEASURES
        .iter()
        .map(|m| format!("{c} = dossier_stat.{c} + excluded.{c}", c = m.column()))
        .collect();
    let sql = format!(
        "INSERT INTO dossier_stat ({}) VALUES (?, ?, ?, ?{}) \
         ON CONFLICT (month, settling_agency_id, procedure_id, channel) DO UPDATE SET {}",
        columns(),
        ", ?".repeat(MEASURES.len()),
        updates.join(", ")
    );
    let mut values: Vec<Value> = vec![
        month_of(st, at).into(),
        d.settling_agency_id.into(),
        d.procedure_id.into(),
        d.channel.clone().into(),
    ];
    values.extend(delta.0.iter().map(|n| Value::from(*n)));
    txn.execute_raw(Statement::from_sql_and_values(
        backend,
        super::statistics::numbered(&sql, backend),
        values,
    ))
    .await?;
    Ok(())
}

/// One SELECT of the rebuild: the month expression, the rows, and each
/// measure it counts (others are 0).
struct Branch {
    month_of: &'static str,
    from: &'static str,
    measures: Vec<(M, String)>,
}

/// Rebuilds the rollup from the dossiers, in one transaction: after a bulk
/// import, or at start when it is empty but dossiers exist (a database
/// from before the rollup). SQLite buckets months by the time zone's
/// current UTC offset (exact for Vietnam, which keeps no summer time).
pub async fn rebuild(st: &AppState) -> AppResult<()> {
    let tz = st.config.calendar.tz;
    let backend = st.db.get_database_backend();
    let month = |col: &str| match backend {
        DbBackend::Postgres => format!("to_char({col} AT TIME ZONE '{}', 'YYYY-MM')", tz.name()),
        _ => {
            use chrono::Offset;
            let offset = st
                .clock
                .now()
                .with_timezone(&tz)
                .offset()
                .fix()
                .local_minus_utc();
            format!("strftime('%Y-%m', {col}, '{offset:+} seconds')")
        }
    };
    let when = |cond: &str| format!("CASE WHEN {cond} THEN 1 ELSE 0 END");
    let has = |cond: &str| {
        when(&format!(
            "EXISTS (SELECT 1 FROM attachment x WHERE x.dossier_id = dd.id AND {cond})"
        ))
    };
    let answers = |level: &str| {
        format!(
            "{} + {} + {}",
            when(&format!("r.service_use = '{level}'")),
            when(&format!("r.staff_attitude = '{level}'")),
            when(&format!("r.processing_time = '{level}'"))
        )
    };
    let one = || "1".to_owned();
    let branches = [
        Branch {
            month_of: "dd.received_at",
            from: "dossier dd WHERE dd.received_at IS NOT NULL",
            measures: vec![
                (M::Received, one()),
                (
                    M::ReceptionChecked,
                    when("dd.reception_seconds IS NOT NULL"),
                ),
                (
                    M::ReceptionWithin,
                    when(&format!("dd.reception_seconds <= {HANDOVER_LIMIT_SECONDS}")),
                ),
                (M::WithComponentFile, has("x.kind = 'COMPONENT'")),
                (
                    M::OnlineReused,
                    format!(
                        "(CASE WHEN dd.channel = 'ONLINE' THEN 1 ELSE 0 END) * ({})",
                        has("x.kind = 'COMPONENT' AND x.document_id IS NOT NULL")
                    ),
                ),
            ],
        },
        Branch {
            month_of: "dd.settled_at",
            from: "dossier dd WHERE dd.settled_at IS NOT NULL",
            measures: vec![
                (M::Settled, one()),
                (M::Early, when("dd.timeliness = 'EARLY'")),
                (M::OnTime, when("dd.timeliness = 'ON_TIME'")),
                (M::Late, when("dd.timeliness = 'LATE'")),
                (
                    M::OnTime766,
                    when("dd.timeliness IN ('EARLY', 'ON_TIME') AND dd.supplement_requests <= 1"),
                ),
            ],
        },
        Branch {
            month_of: "dd.updated_at",
            from: "dossier dd WHERE dd.status IN ('REFUSED', 'WITHDRAWN')",
            measures: vec![
                (M::Refused, when("dd.status = 'REFUSED'")),
                (M::Withdrawn, when("dd.status = 'WITHDRAWN'")),
            ],
        },
        Branch {
            month_of: "dd.returned_at",
            from: "dossier dd WHERE dd.returned_at IS NOT NULL",
            measures: vec![
                (M::Returned, one()),
                (M::ReturnedWithFile, has("x.kind = 'RESULT'")),
            ],
        },
        Branch {
            month_of: "r.rated_at",
            from: "rating r JOIN dossier dd ON dd.id = r.dossier_id",
            measures: vec![
                (M::Rated, one()),
                (M::VerySatisfied, answers("VERY_SATISFIED")),
                (M::Satisfied, answers("SATISFIED")),
                (M::NotSatisfied, answers("NOT_SATISFIED")),
            ],
        },
        Branch {
            month_of: "y.paid_at",
            from: "payment y JOIN dossier dd ON dd.id = y.dossier_id WHERE y.paid_at IS NOT NULL",
            measures: vec![
                (M::Paid, one()),
                (M::PaidOnline, when("y.method = 'ONLINE_GATEWAY'")),
            ],
        },
    ];
    let selects: Vec<String> = branches
        .iter()
        .map(|b| {
            let cols: Vec<String> = MEASURES
                .iter()
                .enumerate()
                .map(|(i, m)| {
                    let expr = b
                        .measures
                        .iter()
                        .find(|(x, _)| x == m)
                        .map(|(_, e)| e.clone())
                        .unwrap_or_else(|| "0".into());
                    format!("{expr} AS c{i}")
                })
                .collect();
            format!(
                "SELECT {} AS m, dd.settling_agency_id AS a, dd.procedure_id AS pr, dd.channel AS ch, {} FROM {}",
                month(b.month_of),
                cols.join(", "),
                b.from
            )
        })
        .collect();
    let sums: Vec<String> = (0..MEASURES.len()).map(|i| format!("SUM(c{i})")).collect();
    let sql = format!(
        "INSERT INTO dossier_stat ({}) SELECT m, a, pr, ch, {} FROM ({}) x GROUP BY m, a, pr, ch",
        columns(),
        sums.join(", "),
        selects.join(" UNION ALL ")
    );
    let txn = crate::store::write_txn(&st.db).await?;
    txn.execute_unprepared("DELETE FROM dossier_stat").await?;
    txn.execute_unprepared(&sql).await?;
    txn.commit().await?;
    Ok(())
}
/// At start: fills an empty rollup when dossiers already exist.
pub async fn backfill_if_empty(st: &AppState) -> AppResult<bool> {
    let backend = st.db.get_database_backend();
    let exists = |sql: &'static str| async move {
        Ok::<bool, crate::error::AppError>(
            st.db
                .query_one_raw(Statement::from_string(backend, sql))
                .await?
                .is_some(),
        )
    };
    if exists("SELECT 1 AS x FROM dossier_stat LIMIT 1").await? {
        return Ok(false);
    }
    if !exists(
        "SELECT 1 AS x FROM dossier WHERE received_at IS NOT NULL OR status IN ('REFUSED', 'WITHDRAWN') LIMIT 1",
    )
    .await?
    {
        return Ok(false);
    }
    rebuild(st).await?;
    Ok(true)
}
