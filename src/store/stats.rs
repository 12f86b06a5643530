//! The statistics rollup (`dossier_stat`): adding a change's delta, and
//! rebuilding every row from the dossiers. What a change adds is decided in
//! `domain::rollup`; here it is only written.

use chrono::{DateTime, Utc};
use entity::{attachment, dossier, dossier_stat, payment, rating};
use sea_orm::sea_query::{
    Alias, CaseStatement, Expr, ExprTrait, Func, JoinType, OnConflict, Query, SelectStatement,
    UnionType,
};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, QuerySelect};

use crate::domain::calendar::Timeliness;
use crate::domain::documents::AttachmentKind;
use crate::domain::lifecycle::{Channel, DossierStatus};
use crate::domain::payment::PaymentMethod;
use crate::domain::rating::RatingLevel;
use crate::domain::rollup::{Delta, LocalMonths, M, MEASURES};

use dossier_stat::Column as S;

/// The column of `dossier_stat` a measure is counted in.
pub fn column(m: M) -> S {
    match m {
        M::Received => S::Received,
        M::Settled => S::Settled,
        M::Early => S::Early,
        M::OnTime => S::OnTime,
        M::Late => S::Late,
        M::Refused => S::Refused,
        M::Withdrawn => S::Withdrawn,
        M::Rated => S::Rated,
        M::VerySatisfied => S::VerySatisfied,
        M::Satisfied => S::Satisfied,
        M::NotSatisfied => S::NotSatisfied,
        M::OnTime766 => S::OnTime766,
        M::ReceptionChecked => S::ReceptionChecked,
        M::ReceptionWithin => S::ReceptionWithin,
        M::WithComponentFile => S::WithComponentFile,
        M::OnlineReused => S::OnlineReused,
        M::Returned => S::Returned,
        M::ReturnedWithFile => S::ReturnedWithFile,
        M::Paid => S::Paid,
        M::PaidOnline => S::PaidOnline,
    }
}

/// The row a change adds to: a local month ("2026-11"), the settling
/// agency, the procedure and the channel of a dossier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    pub month: String,
    pub settling_agency_id: i64,
    pub procedure_id: i64,
    pub channel: String,
}

const KEY: [S; 4] = [S::Month, S::SettlingAgencyId, S::ProcedureId, S::Channel];

fn columns() -> Vec<S> {
    KEY.into_iter()
        .chain(MEASURES.iter().map(|m| column(*m)))
        .collect()
}

/// Adds `delta` to the row of `key` (an upsert: `excluded` adds to what is
/// there), on the caller's connection or transaction. Nothing when the
/// delta is empty.
pub async fn add(conn: &impl ConnectionTrait, key: &Key, delta: &Delta) -> Result<(), DbErr> {
    if delta.is_empty() {
        return Ok(());
    }
    let mut values: Vec<Expr> = vec![
        key.month.clone().into(),
        key.settling_agency_id.into(),
        key.procedure_id.into(),
        key.channel.clone().into(),
    ];
    values.extend(delta.counts().map(|(_, n)| Expr::from(n)));
    let excluded = Alias::new("excluded");
    let mut on_conflict = OnConflict::columns(KEY);
    for m in MEASURES {
        let c = column(m);
        on_conflict.value(
            c,
            Expr::col((dossier_stat::Entity, c)).add(Expr::col((excluded.clone(), c))),
        );
    }
    let stmt = Query::insert()
        .into_table(dossier_stat::Entity)
        .columns(columns())
        .values(values)
        .map_err(|e| DbErr::Custom(e.to_string()))?
        .on_conflict(on_conflict)
        .to_owned();
    conn.execute(&stmt).await?;
    Ok(())
}

/// Whether the rollup has no row.
pub async fn is_empty(conn: &impl ConnectionTrait) -> Result<bool, DbErr> {
    let any = dossier_stat::Entity::find()
        .select_only()
        .column(S::Month)
        .limit(1)
        .into_tuple::<String>()
        .one(conn)
        .await?;
    Ok(any.is_none())
}

/// Whether a dossier exists that the rollup would count (received, or
/// refused or withdrawn before reception).
pub async fn any_counted_dossier(conn: &impl ConnectionTrait) -> Result<bool, DbErr> {
    use sea_orm::{ColumnTrait, QueryFilter};
    let any = dossier::Entity::find()
        .select_only()
        .column(dossier::Column::Id)
        .filter(
            dossier::Column::ReceivedAt
                .is_not_null()
                .or(dossier::Column::Status.is_in([
                    DossierStatus::Refused.as_str(),
                    DossierStatus::Withdrawn.as_str(),
                ])),
        )
        .limit(1)
        .into_tuple::<i64>()
        .one(conn)
        .await?;
    Ok(any.is_some())
}

/// The earliest and latest instant the rollup buckets (reception,
/// settlement, refusal or withdrawal, return, rating, payment); None when
/// there is nothing to count.
pub async fn counted_span(
    conn: &impl ConnectionTrait,
) -> Result<Option<(DateTime<Utc>, DateTime<Utc>)>, DbErr> {
    use dossier::Column as D;
    let mut span: Option<(DateTime<Utc>, DateTime<Utc>)> = None;
    let mut widen = |lo: Option<DateTime<Utc>>, hi: Option<DateTime<Utc>>| {
        if let (Some(lo), Some(hi)) = (lo, hi) {
            span = Some(match span {
                Some((a, b)) => (Ord::min(a, lo), Ord::max(b, hi)),
                None => (lo, hi),
            });
        }
    };
    for c in [D::ReceivedAt, D::SettledAt, D::UpdatedAt, D::ReturnedAt] {
        let (lo, hi) = min_max(conn, dossier::Entity, c).await?;
        widen(lo, hi);
    }
    let (lo, hi) = min_max(conn, rating::Entity, rating::Column::RatedAt).await?;
    widen(lo, hi);
    let (lo, hi) = min_max(conn, payment::Entity, payment::Column::PaidAt).await?;
    widen(lo, hi);
    Ok(span)
}

type Span = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

async fn min_max<E: EntityTrait>(
    conn: &impl ConnectionTrait,
    entity: E,
    c: E::Column,
) -> Result<Span, DbErr> {
    let stmt = Query::select()
        .expr_as(Expr::col(c).min(), Alias::new("lo"))
        .expr_as(Expr::col(c).max(), Alias::new("hi"))
        .from(entity)
        .to_owned();
    Ok(match conn.query_one(&stmt).await? {
        Some(r) => (r.try_get("", "lo")?, r.try_get("", "hi")?),
        None => (None, None),
    })
}

/// One SELECT of the rebuild: the instant that buckets its month, the rows
/// (aliased `dd` for the dossier), and each measure it counts (others 0).
struct Branch {
    at: Expr,
    select: SelectStatement,
    measures: Vec<(M, Expr)>,
}

fn one_if(cond: Expr) -> Expr {
    CaseStatement::new().case(cond, 1).finally(0).into()
}

fn dd(c: dossier::Column) -> Expr {
    Expr::col((Alias::new("dd"), c))
}

/// 1 when the dossier `dd` has an attachment of `kind` (from the data store
/// only, when `reused`).
fn has_file(kind: AttachmentKind, reused: bool) -> Expr {
    let x = Alias::new("x");
    let mut q = Query::select();
    q.expr(Expr::val(1))
        .from_as(attachment::Entity, x.clone())
        .and_where(
            Expr::col((x.clone(), attachment::Column::DossierId))
                .equals((Alias::new("dd"), dossier::Column::Id)),
        )
        .and_where(Expr::col((x.clone(), attachment::Column::Kind)).eq(kind.as_str()));
    if reused {
        q.and_where(Expr::col((x, attachment::Column::DocumentId)).is_not_null());
    }
    one_if(Expr::exists(q.to_owned()))
}

/// A rating's answers at `level`, over its three criteria.
fn answers(level: RatingLevel) -> Expr {
    let r = Alias::new("r");
    [
        rating::Column::ServiceUse,
        rating::Column::StaffAttitude,
        rating::Column::ProcessingTime,
    ]
    .into_iter()
    .map(|c| one_if(Expr::col((r.clone(), c)).eq(level.as_str())))
    .reduce(|a, b| a.add(b))
    .unwrap_or_else(|| Expr::val(0))
}

fn dossiers() -> SelectStatement {
    Query::select()
        .from_as(dossier::Entity, Alias::new("dd"))
        .to_owned()
}

/// Ratings (`r`) joined to their dossier (`dd`).
fn ratings_with_dossier() -> SelectStatement {
    let r = Alias::new("r");
    Query::select()
        .from_as(rating::Entity, r.clone())
        .join_as(
            JoinType::InnerJoin,
            dossier::Entity,
            Alias::new("dd"),
            dd(dossier::Column::Id).eq(Expr::col((r, rating::Column::DossierId))),
        )
        .to_owned()
}

/// Paid payments (`y`) joined to their dossier (`dd`).
fn paid_with_dossier() -> SelectStatement {
    let y = Alias::new("y");
    Query::select()
        .from_as(payment::Entity, y.clone())
        .join_as(
            JoinType::InnerJoin,
            dossier::Entity,
            Alias::new("dd"),
            dd(dossier::Column::Id).eq(Expr::col((y.clone(), payment::Column::DossierId))),
        )
        .and_where(Expr::col((y, payment::Column::PaidAt)).is_not_null())
        .to_owned()
}

fn branches(handover_limit_seconds: i64) -> Vec<Branch> {
    use dossier::Column as D;
    let timeliness = |t: Timeliness| dd(D::Timeliness).eq(t.as_str());
    let r = Alias::new("r");
    let y = Alias::new("y");
    let (ratings, payments) = (ratings_with_dossier(), paid_with_dossier());
    vec![
        Branch {
            at: dd(D::ReceivedAt),
            select: dossiers()
                .and_where(dd(D::ReceivedAt).is_not_null())
                .to_owned(),
            measures: vec![
                (M::Received, Expr::val(1)),
                // Online dossiers only (Thanh Hóa Art. 11.1.a), as
                // `domain::rollup::deltas`.
                (
                    M::ReceptionChecked,
                    one_if(
                        dd(D::Channel)
                            .eq(Channel::Online.as_str())
                            .and(dd(D::ReceptionSeconds).is_not_null()),
                    ),
                ),
                (
                    M::ReceptionWithin,
                    one_if(
                        dd(D::Channel)
                            .eq(Channel::Online.as_str())
                            .and(dd(D::ReceptionSeconds).lte(handover_limit_seconds)),
                    ),
                ),
                (
                    M::WithComponentFile,
                    has_file(AttachmentKind::Component, false),
                ),
                (
                    M::OnlineReused,
                    one_if(dd(D::Channel).eq(Channel::Online.as_str()))
                        .mul(has_file(AttachmentKind::Component, true)),
                ),
            ],
        },
        Branch {
            at: dd(D::SettledAt),
            select: dossiers()
                .and_where(dd(D::SettledAt).is_not_null())
                .to_owned(),
            measures: vec![
                (M::Settled, Expr::val(1)),
                (M::Early, one_if(timeliness(Timeliness::Early))),
                (M::OnTime, one_if(timeliness(Timeliness::OnTime))),
                (M::Late, one_if(timeliness(Timeliness::Late))),
                // Decision 766: on time, and sent back for a supplement at most once.
                (
                    M::OnTime766,
                    one_if(
                        dd(D::Timeliness)
                            .is_in([Timeliness::Early.as_str(), Timeliness::OnTime.as_str()])
                            .and(dd(D::SupplementRequests).lte(1)),
                    ),
                ),
            ],
        },
        Branch {
            at: dd(D::UpdatedAt),
            select: dossiers()
                .and_where(dd(D::Status).is_in([
                    DossierStatus::Refused.as_str(),
                    DossierStatus::Withdrawn.as_str(),
                ]))
                .to_owned(),
            measures: vec![
                (
                    M::Refused,
                    one_if(dd(D::Status).eq(DossierStatus::Refused.as_str())),
                ),
                (
                    M::Withdrawn,
                    one_if(dd(D::Status).eq(DossierStatus::Withdrawn.as_str())),
                ),
            ],
        },
        Branch {
            at: dd(D::ReturnedAt),
            select: dossiers()
                .and_where(dd(D::ReturnedAt).is_not_null())
                .to_owned(),
            measures: vec![
                (M::Returned, Expr::val(1)),
                (M::ReturnedWithFile, has_file(AttachmentKind::Result, false)),
            ],
        },
        Branch {
            at: Expr::col((r.clone(), rating::Column::RatedAt)),
            select: ratings,
            measures: vec![
                (M::Rated, Expr::val(1)),
                (M::VerySatisfied, answers(RatingLevel::VerySatisfied)),
                (M::Satisfied, answers(RatingLevel::Satisfied)),
                (M::NotSatisfied, answers(RatingLevel::NotSatisfied)),
            ],
        },
        Branch {
            at: Expr::col((y.clone(), payment::Column::PaidAt)),
            select: payments,
            measures: vec![
                (M::Paid, Expr::val(1)),
                (
                    M::PaidOnline,
                    one_if(
                        Expr::col((y, payment::Column::Method))
                            .eq(PaymentMethod::OnlineGateway.as_str()),
                    ),
                ),
            ],
        },
    ]
}

/// The local month of `at` as a CASE over the months' UTC starts: the same
/// statement on every database, right in any time zone (summer time
/// included), since the boundaries are computed from the zone's rules.
fn month_case(months: &LocalMonths, at: Expr) -> Expr {
    let last = months.0.last().map(|(k, _)| k.clone()).unwrap_or_default();
    if months.0.len() < 2 {
        return Expr::val(last);
    }
    let mut case = CaseStatement::new();
    for pair in months.0.windows(2) {
        let (key, _) = &pair[0];
        let (_, next_start) = pair[1];
        case = case.case(at.clone().lt(next_start), key.clone());
    }
    case.finally(last).into()
}

/// Empties the rollup and fills it again from the dossiers, ratings and
/// payments, bucketing each count in the local month of `months` (which
/// must cover every counted instant, see [`counted_span`]).
pub async fn rebuild(
    conn: &impl ConnectionTrait,
    months: &LocalMonths,
    handover_limit_seconds: i64,
) -> Result<(), DbErr> {
    conn.execute(&Query::delete().from_table(dossier_stat::Entity).to_owned())
        .await?;
    if months.0.is_empty() {
        return Ok(());
    }
    let c = |i: usize| Alias::new(format!("c{i}"));
    let dd = Alias::new("dd");
    let mut selects = branches(handover_limit_seconds).into_iter().map(|b| {
        let mut q = b.select;
        q.expr_as(month_case(months, b.at), Alias::new("m"))
            .expr_as(
                Expr::col((dd.clone(), dossier::Column::SettlingAgencyId)),
                Alias::new("a"),
            )
            .expr_as(
                Expr::col((dd.clone(), dossier::Column::ProcedureId)),
                Alias::new("pr"),
            )
            .expr_as(
                Expr::col((dd.clone(), dossier::Column::Channel)),
                Alias::new("ch"),
            );
        for (i, m) in MEASURES.iter().enumerate() {
            let e = b
                .measures
                .iter()
                .find(|(x, _)| x == m)
                .map(|(_, e)| e.clone())
                .unwrap_or_else(|| Expr::val(0));
            q.expr_as(e, c(i));
        }
        q
    });
    let Some(mut union) = selects.next() else {
        return Ok(());
    };
    union.unions(selects.map(|s| (UnionType::All, s)));
    let mut grouped = Query::select();
    grouped.columns([
        Alias::new("m"),
        Alias::new("a"),
        Alias::new("pr"),
        Alias::new("ch"),
    ]);
    for i in 0..MEASURES.len() {
        grouped.expr(Func::sum(Expr::col(c(i))));
    }
    grouped
        .from_subquery(union, Alias::new("x"))
        .group_by_columns([
            Alias::new("m"),
            Alias::new("a"),
            Alias::new("pr"),
            Alias::new("ch"),
        ]);
    let insert = Query::insert()
        .into_table(dossier_stat::Entity)
        .columns(columns())
        .select_from(grouped.to_owned())
        .map_err(|e| DbErr::Custom(e.to_string()))?
        .to_owned();
    conn.execute(&insert).await?;
    Ok(())
}
