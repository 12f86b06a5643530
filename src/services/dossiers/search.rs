//! Officers' search of dossiers by a phrase of the code, the applicant's
//! name, phone digits or e-mail, without diacritics (issue 16, item 10).
//! Each dossier keeps its folded `search_text`
//! (`domain::text::dossier_search_text`), written at intake and when the
//! code is assigned; migration m20261201_000020 indexes it by trigrams on
//! both databases.

use entity::dossier;
use sea_orm::sea_query::{Expr, ExprTrait, SimpleExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, Order, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::domain::text::dossier_search_text;
use crate::error::AppResult;
use crate::store;

/// The condition "the dossier's search text contains `phrase`" (a folded
/// phrase from `domain::text::dossier_search_phrase`, at least 3
/// characters), as each database's trigram index serves it:
/// PostgreSQL: `search_text LIKE '%phrase%'` (pg_trgm GIN);
/// SQLite: `id IN (SELECT rowid FROM dossier_search WHERE dossier_search
/// MATCH '"phrase"')` (FTS5 trigram: a quoted phrase matches as a substring).
pub fn contains(backend: DatabaseBackend, phrase: &str) -> SimpleExpr {
    match backend {
        DatabaseBackend::Postgres => store::contains_word(dossier::Column::SearchText, phrase),
        _ => Expr::cust_with_values(
            "\"dossier\".\"id\" IN (SELECT rowid FROM dossier_search WHERE dossier_search MATCH ?)",
            [format!("\"{}\"", phrase.replace('"', "\"\""))],
        ),
    }
}

/// Orders a search's page on PostgreSQL by `id + 0` first (then by `id`,
/// the page's key, in the same order — `descending` for newest first or a
/// backward page): the planner cannot then walk the primary key in order,
/// testing every row until the page fills, which on a common phrase with
/// few matches in the caller's scope read the whole table (0.9–1.7 s at
/// 1,000,000 dossiers); it intersects the trigram index with the scope's
/// indexes and sorts the matches instead (about 0.1 s). Only for lists in
/// creation order.
pub fn order_for_search<Q: QueryOrder>(backend: DatabaseBackend, q: Q, descending: bool) -> Q {
    let order = match descending {
        false => Order::Asc,
        true => Order::Desc,
    };
    match backend {
        DatabaseBackend::Postgres => q.order_by(
            Expr::col((dossier::Entity, dossier::Column::Id)).add(0),
            order,
        ),
        _ => q,
    }
}

/// Rows written per statement batch by `backfill`.
const BACKFILL_BATCH: u64 = 500;

/// At start: gives dossiers without a search text (those that existed
/// before m20261201_000020) theirs, a batch at a time. Returns how many.
/// The partial index `idx_dossier_search_pending` (m20261201_000021) holds
/// exactly those, so a start with none left reads nothing of the table.
pub async fn backfill(db: &impl ConnectionTrait) -> AppResult<u64> {
    let mut done = 0;
    let mut after = 0i64;
    loop {
        let rows = dossier::Entity::find()
            .filter(dossier::Column::SearchText.eq(""))
            .filter(dossier::Column::Id.gt(after))
            .order_by_asc(dossier::Column::Id)
            .limit(BACKFILL_BATCH)
            .all(db)
            .await?;
        let Some(last) = rows.last() else {
            return Ok(done);
        };
        after = last.id;
        for d in rows {
            let text = dossier_search_text(
                d.code.as_deref(),
                &d.applicant_name,
                d.applicant_phone.as_deref(),
                d.applicant_email.as_deref(),
            );
            dossier::Entity::update_many()
                .set(dossier::ActiveModel {
                    search_text: Set(text),
                    ..Default::default()
                })
                .filter(dossier::Column::Id.eq(d.id))
                .exec(db)
                .await?;
            done += 1;
        }
    }
}
