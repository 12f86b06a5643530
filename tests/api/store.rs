//! The store's hand-built statements on the test database (SQLite, or
//! PostgreSQL with `MOTCUA_TEST_DATABASE_URL`): one sea-query statement for
//! both, run on whatever connection the caller passes.

use sea_orm::TransactionTrait;

use crate::helpers::TestApp;
use motcua::services::demo::{CENTRE_CODE, DEMO_WARD_DESK_CODE};
use motcua::store;

async fn id_of(t: &TestApp, code: &str) -> i64 {
    t.agency_id(code).await.parse().unwrap()
}

#[tokio::test]
async fn the_daily_code_counter_counts_per_agency_and_day_inside_the_callers_transaction() {
    let t = TestApp::spawn().await;
    let db = &t.app.state.db;
    let (centre, ward) = (
        id_of(&t, CENTRE_CODE).await,
        id_of(&t, DEMO_WARD_DESK_CODE).await,
    );
    assert_eq!(store::codes::next(db, centre, "991231").await.unwrap(), 1);
    assert_eq!(store::codes::next(db, centre, "991231").await.unwrap(), 2);
    assert_eq!(store::codes::next(db, ward, "991231").await.unwrap(), 1);
    assert_eq!(store::codes::next(db, centre, "000101").await.unwrap(), 1);
    // A number taken in a transaction that rolls back is given again.
    let txn = db.begin().await.unwrap();
    assert_eq!(store::codes::next(&txn, centre, "991231").await.unwrap(), 3);
    txn.rollback().await.unwrap();
    assert_eq!(store::codes::next(db, centre, "991231").await.unwrap(), 3);
}

#[tokio::test]
async fn lineage_and_subtree_walk_the_same_tree_both_ways() {
    let t = TestApp::spawn().await;
    let db = &t.app.state.db;
    let ward = id_of(&t, DEMO_WARD_DESK_CODE).await;
    let lineage = store::agencies::lineage(db, ward).await.unwrap();
    assert_eq!(lineage.first(), Some(&ward), "nearest first");
    assert!(lineage.len() >= 2, "{lineage:?}");
    for ancestor in &lineage {
        let below = store::agencies::subtree(db, *ancestor).await.unwrap();
        assert!(below.contains(&ward), "{ancestor} holds {ward}");
        assert!(below.windows(2).all(|w| w[0] < w[1]), "by id");
    }
    assert!(store::agencies::lineage(db, 987_654)
        .await
        .unwrap()
        .is_empty());
    assert!(store::agencies::subtree(db, 987_654)
        .await
        .unwrap()
        .is_empty());
}
