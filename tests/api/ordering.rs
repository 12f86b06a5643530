//! Dossier lists sorted by received, due and updated time, both ways, and
//! paged both ways (issue 16, item 10): `orderBy`, `first`/`after`,
//! `last`/`before`, on `dossiers`, `myDossiers` and `workQueue`.

use serde_json::{json, Value};

use crate::fixtures::{flow, Flow};
use crate::helpers::{error_code, error_field};

const NODE: &str = "id receivedAt dueAt updatedAt";

/// Five dossiers d1…d5 (in creation order), the clock a minute on between
/// every step: all submitted; then d3, d1 and d5 received in that order;
/// then d3 transferred. d2 and d4 are never received (no received or due
/// time).
async fn five(f: Flow) -> (Flow, Vec<String>) {
    f.t.to_working_hours().await;
    let f = f.relogin().await;
    let minute = || f.t.app.state.clock.advance(chrono::Duration::minutes(1));
    let mut d = Vec::new();
    for _ in 0..5 {
        minute();
        d.push(f.submitted().await);
    }
    for i in [2, 0, 4] {
        minute();
        d[i] = f.ok(&f.reception, "receiveDossier", &d[i], "").await;
    }
    minute();
    f.ok(&f.reception, "transferDossier", &d[2], "").await;
    let ids = d
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect();
    (f, ids)
}

/// One page of `field` (`dossiers`, `myDossiers`, `workQueue`) as `token`
/// with `args` (e.g. `orderBy: {…}, first: 2`): the ids, and the page info.
async fn page(f: &Flow, token: &str, field: &str, args: &str) -> (Vec<String>, Value) {
    let q = format!(
        "{{ {field}({args}) {{ totalCount pageInfo {{ hasPreviousPage hasNextPage startCursor endCursor }} edges {{ cursor node {{ {NODE} }} }} }} }}"
    );
    let v = f.t.data(Some(token), &q, json!({})).await;
    let ids = v[field]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
        .collect();
    (ids, v[field]["pageInfo"].clone())
}

/// `dossiers` in `order`, read 2 at a time forward, then 2 at a time
/// backward from the end: both walks give the same list, the flags say
/// where the pages sit.
async fn walked(f: &Flow, token: &str, order: &str) -> Vec<String> {
    let mut forward = Vec::new();
    let mut after = String::new();
    loop {
        let (ids, info) = page(
            f,
            token,
            "dossiers",
            &format!("orderBy: {order}, first: 2{after}"),
        )
        .await;
        assert_eq!(
            info["hasPreviousPage"],
            !forward.is_empty(),
            "{order}: {info}"
        );
        forward.extend(ids);
        if info["hasNextPage"] == false {
            break;
        }
        after = format!(", after: {}", info["endCursor"]);
    }
    let mut backward = Vec::new();
    let mut before = String::new();
    loop {
        let (ids, info) = page(
            f,
            token,
            "dossiers",
            &format!("orderBy: {order}, last: 2{before}"),
        )
        .await;
        assert_eq!(info["hasNextPage"], !backward.is_empty(), "{order}: {info}");
        backward.splice(0..0, ids);
        if info["hasPreviousPage"] == false {
            break;
        }
        before = format!(", before: {}", info["startCursor"]);
    }
    assert_eq!(forward, backward, "{order}: forward and backward");
    forward
}

#[tokio::test]
async fn officers_sort_by_received_and_updated_time_both_ways_paging_both_ways() {
    let (f, d) = five(flow().await).await;
    let ids = |order: &[usize]| order.iter().map(|i| d[i - 1].clone()).collect::<Vec<_>>();
    // Not yet received sorts after every time: last going up, first going down.
    assert_eq!(
        walked(&f, &f.reception, "{field: RECEIVED_AT}").await,
        ids(&[3, 1, 5, 2, 4])
    );
    assert_eq!(
        walked(&f, &f.reception, "{field: RECEIVED_AT, direction: DESC}").await,
        ids(&[4, 2, 5, 1, 3])
    );
    // d3's transfer is the last change; d2 and d4 changed when submitted.
    assert_eq!(
        walked(&f, &f.reception, "{field: UPDATED_AT, direction: DESC}").await,
        ids(&[3, 5, 1, 4, 2])
    );
    assert_eq!(
        walked(&f, &f.reception, "{field: UPDATED_AT}").await,
        ids(&[2, 4, 1, 5, 3])
    );
    assert_eq!(
        walked(&f, &f.reception, "{direction: DESC}").await,
        ids(&[5, 4, 3, 2, 1])
    );
    assert_eq!(walked(&f, &f.reception, "{}").await, ids(&[1, 2, 3, 4, 5]));
    // The citizen's own list and a search sort the same way.
    let (mine, _) = page(
        &f,
        &f.citizen,
        "myDossiers",
        "orderBy: {field: UPDATED_AT, direction: DESC}",
    )
    .await;
    assert_eq!(mine, ids(&[3, 5, 1, 4, 2]));
    let (found, _) = page(
        &f,
        &f.reception,
        "dossiers",
        "filter: {search: \"nguyen van an\"}, orderBy: {direction: DESC}, last: 2",
    )
    .await;
    assert_eq!(found, ids(&[2, 1]));
    let (found, _) = page(
        &f,
        &f.reception,
        "dossiers",
        "filter: {search: \"nguyen van an\"}, orderBy: {field: RECEIVED_AT, direction: DESC}, first: 3",
    )
    .await;
    assert_eq!(found, ids(&[4, 2, 5]));
}

#[tokio::test]
async fn the_work_queue_puts_the_most_urgent_first_and_the_due_order_follows_the_due_time() {
    let (f, d) = five(flow().await).await;
    // The reception officer's queue: d1 and d5 received (due in that
    // order), d2 and d4 waiting to be received (no due time yet); d3 went on.
    let (queue, info) = page(&f, &f.reception, "workQueue", "orderBy: {field: DUE_AT}").await;
    assert_eq!(queue, [&d[0], &d[4], &d[1], &d[3]].map(String::as_str));
    assert_eq!(info["hasPreviousPage"], false);
    // Every dossier sorted by due time, newest first: those without one
    // first (by id, descending), then by the due time the API shows.
    let q = format!(
        "{{ dossiers(orderBy: {{field: DUE_AT, direction: DESC}}) {{ edges {{ node {{ {NODE} }} }} }} }}"
    );
    let v = f.t.data(Some(&f.reception), &q, json!({})).await;
    let nodes: Vec<&Value> = v["dossiers"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["node"])
        .collect();
    let ids: Vec<&str> = nodes.iter().map(|n| n["id"].as_str().unwrap()).collect();
    assert_eq!(ids[..2], [d[3].as_str(), d[1].as_str()]);
    let dues: Vec<&str> = nodes[2..]
        .iter()
        .map(|n| n["dueAt"].as_str().unwrap())
        .collect();
    assert!(dues.windows(2).all(|w| w[0] >= w[1]), "{dues:?}");
    assert_eq!(ids[2..].len(), 3);
    assert!(ids[2..].contains(&d[2].as_str()));
}

#[tokio::test]
async fn a_cursor_belongs_to_its_order_and_a_page_goes_one_way() {
    let (f, d) = five(flow().await).await;
    let (_, info) = page(
        &f,
        &f.reception,
        "dossiers",
        "orderBy: {field: RECEIVED_AT}, first: 2",
    )
    .await;
    let cursor = info["endCursor"].clone();
    for (args, field) in [
        (
            format!("orderBy: {{field: DUE_AT}}, after: {cursor}"),
            "after",
        ),
        (format!("after: {cursor}"), "after"),
        (
            format!("orderBy: {{field: UPDATED_AT}}, last: 1, before: {cursor}"),
            "before",
        ),
        ("first: 2, last: 2".to_string(), "last"),
        (format!("after: {cursor}, before: {cursor}"), "before"),
        ("last: -1".to_string(), "last"),
        ("before: \"bm90IGEgY3Vyc29y\"".to_string(), "before"),
    ] {
        let v =
            f.t.gql(
                Some(&f.reception),
                &format!("{{ dossiers({args}) {{ totalCount }} }}"),
                json!({}),
            )
            .await;
        assert_eq!(error_code(&v), "BAD_USER_INPUT", "{args}: {v}");
        assert_eq!(error_field(&v), field, "{args}: {v}");
    }
    // The same cursor in its own order, both ways.
    let (after, _) = page(
        &f,
        &f.reception,
        "dossiers",
        &format!("orderBy: {{field: RECEIVED_AT}}, after: {cursor}"),
    )
    .await;
    let (before, info) = page(
        &f,
        &f.reception,
        "dossiers",
        &format!("orderBy: {{field: RECEIVED_AT}}, before: {cursor}"),
    )
    .await;
    // Received in the order d3, d1, d5; then d2, d4: the cursor is d1's.
    assert_eq!(before, [d[2].clone()]);
    assert_eq!(info["hasNextPage"], true);
    assert_eq!(info["hasPreviousPage"], false);
    assert_eq!(after.len(), 3);
}

/// The total is counted only when asked for, however it is asked: by name,
/// under an alias, in an inline or a named fragment.
#[tokio::test]
async fn the_total_is_counted_whenever_it_is_asked_for() {
    let (f, _) = five(flow().await).await;
    for q in [
        "{ dossiers(first: 1) { totalCount } }",
        "{ dossiers(first: 1) { n: totalCount } }",
        "{ dossiers(first: 1) { ... on DossierConnection { totalCount } } }",
        "{ dossiers(first: 1) { ...Counted } } fragment Counted on DossierConnection { totalCount }",
    ] {
        let v = f.t.data(Some(&f.reception), q, json!({})).await;
        let total = v["dossiers"]["totalCount"].as_u64().or(v["dossiers"]["n"].as_u64());
        assert_eq!(total, Some(5), "{q}: {v}");
    }
    let v =
        f.t.data(
            Some(&f.citizen),
            "{ workQueue { totalCount } myDossiers(last: 1) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(v["myDossiers"]["totalCount"], 5, "{v}");
    assert_eq!(v["workQueue"]["totalCount"], 0, "{v}");
}

/// A search counts its matches in the page's own statement: the total is
/// the list's on every page, past a cursor, backward, and on an empty page.
#[tokio::test]
async fn a_searchs_total_is_the_lists_on_every_page() {
    let (f, d) = five(flow().await).await;
    let q = "query($a: String, $b: String, $first: Int, $last: Int) {
      dossiers(filter: { search: \"nguyen van an\" }, first: $first, after: $a, last: $last, before: $b) {
        totalCount pageInfo { endCursor } edges { node { id } } } }";
    let ask = |vars: Value| async {
        let v = f.t.data(Some(&f.reception), q, vars).await;
        v["dossiers"].clone()
    };
    let first = ask(json!({ "first": 2 })).await;
    assert_eq!(first["totalCount"], 5, "{first}");
    let second = ask(json!({ "first": 2, "a": first["pageInfo"]["endCursor"] })).await;
    assert_eq!(second["totalCount"], 5, "{second}");
    assert_eq!(second["edges"][0]["node"]["id"], d[2].as_str());
    let last = ask(json!({ "last": 1, "b": first["pageInfo"]["endCursor"] })).await;
    assert_eq!(last["totalCount"], 5, "{last}");
    assert_eq!(last["edges"][0]["node"]["id"], d[0].as_str());
    let end = ask(json!({ "first": 2, "a": encoded_cursor_past_the_end() })).await;
    assert_eq!(end["edges"], json!([]), "{end}");
    assert_eq!(end["totalCount"], 5, "{end}");
}

/// The cursor of an id beyond every dossier, in creation order.
fn encoded_cursor_past_the_end() -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("c:999999999")
}
