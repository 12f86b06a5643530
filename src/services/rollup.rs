//! The statistics rollup: per local month, settling agency, procedure and
//! channel, how many dossiers were received, settled (early, on time,
//! late), refused and withdrawn. Each transition adds to it in its own
//! transaction, so the public statistics sum a few thousand rows instead of
//! scanning millions of dossiers. Statistics periods are whole months
//! (a year, a quarter or a month), so a month is the finest bucket needed.

use chrono::{DateTime, Utc};
use entity::dossier;
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};

use crate::app::AppState;
use crate::domain::calendar::Timeliness;
use crate::domain::lifecycle::{DossierAction, DossierStatus};
use crate::domain::rating::RatingLevel;
use crate::error::AppResult;

/// What one transition adds.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Delta {
    pub received: i64,
    pub settled: i64,
    pub early: i64,
    pub on_time: i64,
    pub late: i64,
    pub refused: i64,
    pub withdrawn: i64,
    /// Ratings given (in the month of their first rating) and their
    /// criterion answers per level; a revision moves answers, not ratings.
    pub rated: i64,
    pub very_satisfied: i64,
    pub satisfied: i64,
    pub not_satisfied: i64,
}

impl Delta {
    /// The counts a transition changes (`d` as it is after it).
    pub fn of(
        action: DossierAction,
        from: Option<DossierStatus>,
        to: DossierStatus,
        d: &dossier::Model,
    ) -> Option<Delta> {
        let mut delta = Delta::default();
        if action == DossierAction::Receive {
            delta.received = 1;
        }
        // Settled once: the first settled status (RESULT_READY or
        // NOT_ELIGIBLE), not the return that follows.
        if to.is_settled() && !from.is_some_and(|f| f.is_settled()) && d.settled_at.is_some() {
            delta.settled = 1;
            match d.timeliness.as_deref().and_then(Timeliness::parse) {
                Some(Timeliness::Early) => delta.early = 1,
                Some(Timeliness::OnTime) => delta.on_time = 1,
                Some(Timeliness::Late) => delta.late = 1,
                None => {}
            }
        }
        match to {
            DossierStatus::Refused => delta.refused = 1,
            DossierStatus::Withdrawn => delta.withdrawn = 1,
            _ => {}
        }
        (delta != Delta::default()).then_some(delta)
    }

    /// A rating's answers, counted with `sign` (+1 given, -1 taken back).
    pub fn answers(levels: [&str; 3], sign: i64) -> Delta {
        let mut delta = Delta::default();
        for level in levels {
            match RatingLevel::parse(level) {
                Some(RatingLevel::VerySatisfied) => delta.very_satisfied += sign,
                Some(RatingLevel::Satisfied) => delta.satisfied += sign,
                Some(RatingLevel::NotSatisfied) => delta.not_satisfied += sign,
                None => {}
            }
        }
        delta
    }

    pub fn plus(mut self, o: Delta) -> Delta {
        self.received += o.received;
        self.settled += o.settled;
        self.early += o.early;
        self.on_time += o.on_time;
        self.late += o.late;
        self.refused += o.refused;
        self.withdrawn += o.withdrawn;
        self.rated += o.rated;
        self.very_satisfied += o.very_satisfied;
        self.satisfied += o.satisfied;
        self.not_satisfied += o.not_satisfied;
        self
    }
}

/// The local month of an instant, as the rollup keys it ("2026-11").
pub fn month_of(st: &AppState, at: DateTime<Utc>) -> String {
    at.with_timezone(&st.config.calendar.tz)
        .format("%Y-%m")
        .to_string()
}

const COLUMNS: &str = "month, settling_agency_id, procedure_id, channel, received, settled, early, on_time, late, refused, withdrawn, rated, very_satisfied, satisfied, not_satisfied";

/// Adds a transition's counts, inside its transaction.
pub async fn add(
    txn: &impl ConnectionTrait,
    st: &AppState,
    d: &dossier::Model,
    at: DateTime<Utc>,
    delta: Delta,
) -> AppResult<()> {
    let backend = txn.get_database_backend();
    let sql = format!(
        "INSERT INTO dossier_stat ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (month, settling_agency_id, procedure_id, channel) DO UPDATE SET \
         received = dossier_stat.received + excluded.received, \
         settled = dossier_stat.settled + excluded.settled, \
         early = dossier_stat.early + excluded.early, \
         on_time = dossier_stat.on_time + excluded.on_time, \
         late = dossier_stat.late + excluded.late, \
         refused = dossier_stat.refused + excluded.refused, \
         withdrawn = dossier_stat.withdrawn + excluded.withdrawn, \
         rated = dossier_stat.rated + excluded.rated, \
         very_satisfied = dossier_stat.very_satisfied + excluded.very_satisfied, \
         satisfied = dossier_stat.satisfied + excluded.satisfied, \
         not_satisfied = dossier_stat.not_satisfied + excluded.not_satisfied"
    );
    let values: Vec<Value> = vec![
        month_of(st, at).into(),
        d.settling_agency_id.into(),
        d.procedure_id.into(),
        d.channel.clone().into(),
        delta.received.into(),
        delta.settled.into(),
        delta.early.into(),
        delta.on_time.into(),
        delta.late.into(),
        delta.refused.into(),
        delta.withdrawn.into(),
        delta.rated.into(),
        delta.very_satisfied.into(),
        delta.satisfied.into(),
        delta.not_satisfied.into(),
    ];
    txn.execute_raw(Statement::from_sql_and_values(
        backend,
        super::statistics::numbered(&sql, backend),
        values,
    ))
    .await?;
    Ok(())
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
    let sql = format!(
        "INSERT INTO dossier_stat ({COLUMNS}) \
         SELECT m, a, pr, ch, SUM(rc), SUM(st), SUM(e), SUM(o), SUM(l), SUM(rf), SUM(w), \
           SUM(rt), SUM(vs), SUM(s), SUM(ns) FROM ( \
           SELECT {} AS m, settling_agency_id AS a, procedure_id AS pr, channel AS ch, \
             1 AS rc, 0 AS st, 0 AS e, 0 AS o, 0 AS l, 0 AS rf, 0 AS w, 0 AS rt, 0 AS vs, 0 AS s, 0 AS ns \
             FROM dossier WHERE received_at IS NOT NULL \
           UNION ALL SELECT {}, settling_agency_id, procedure_id, channel, 0, 1, \
             CASE WHEN timeliness = 'EARLY' THEN 1 ELSE 0 END, \
             CASE WHEN timeliness = 'ON_TIME' THEN 1 ELSE 0 END, \
             CASE WHEN timeliness = 'LATE' THEN 1 ELSE 0 END, 0, 0, 0, 0, 0, 0 \
             FROM dossier WHERE settled_at IS NOT NULL \
           UNION ALL SELECT {}, settling_agency_id, procedure_id, channel, 0, 0, 0, 0, 0, \
             CASE WHEN status = 'REFUSED' THEN 1 ELSE 0 END, \
             CASE WHEN status = 'WITHDRAWN' THEN 1 ELSE 0 END, 0, 0, 0, 0 \
             FROM dossier WHERE status IN ('REFUSED', 'WITHDRAWN') \
           UNION ALL SELECT {}, d.settling_agency_id, d.procedure_id, d.channel, 0, 0, 0, 0, 0, 0, 0, 1, \
             (CASE WHEN r.service_use = 'VERY_SATISFIED' THEN 1 ELSE 0 END) + (CASE WHEN r.staff_attitude = 'VERY_SATISFIED' THEN 1 ELSE 0 END) + (CASE WHEN r.processing_time = 'VERY_SATISFIED' THEN 1 ELSE 0 END), (CASE WHEN r.service_use = 'SATISFIED' THEN 1 ELSE 0 END) + (CASE WHEN r.staff_attitude = 'SATISFIED' THEN 1 ELSE 0 END) + (CASE WHEN r.processing_time = 'SATISFIED' THEN 1 ELSE 0 END), (CASE WHEN r.service_use = 'NOT_SATISFIED' THEN 1 ELSE 0 END) + (CASE WHEN r.staff_attitude = 'NOT_SATISFIED' THEN 1 ELSE 0 END) + (CASE WHEN r.processing_time = 'NOT_SATISFIED' THEN 1 ELSE 0 END) \
             FROM rating r JOIN dossier d ON d.id = r.dossier_id \
         ) x GROUP BY m, a, pr, ch",
        month("received_at"),
        month("settled_at"),
        month("updated_at"),
        month("r.rated_at"),
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
