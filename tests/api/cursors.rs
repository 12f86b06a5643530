//! Live events' cursors: a client resumes from the last event it heard —
//! dossiers it never saw included — with no gap and no duplicate at the
//! seam; a polling client pages with `dossierEventsSince`; control events
//! reach the subscriptions of every instance.

use std::collections::BTreeMap;
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{json, Value};

use crate::fixtures::{flow, Flow};
use crate::helpers::{error_code, TestApp};
use crate::live::{relayed, serve, stream_as, subscribed, Client};

const MINE: &str = "subscription($after: String) { myDossierEvents(after: $after) { resyncRequired cursor dossierId seq toStatus } }";
const QUEUE: &str = "subscription($a: ID!, $after: String) { agencyQueue(agencyId: $a, after: $after) { cursor dossierId seq toStatus } }";
const SINCE: &str = "query($after: String, $a: ID, $first: Int) { dossierEventsSince(after: $after, agencyId: $a, first: $first) { events { cursor dossierId seq toStatus } endCursor hasNextPage } }";
const WAIT: Duration = Duration::from_secs(15);
const QUIET: Duration = Duration::from_millis(800);

/// The cursor of "now" for a caller.
async fn now_cursor(t: &TestApp, token: &str) -> String {
    let d = t.data(Some(token), SINCE, json!({})).await;
    let page = &d["dossierEventsSince"];
    assert_eq!(page["events"], json!([]), "no events without a cursor");
    page["endCursor"].as_str().unwrap().to_owned()
}

/// Reads events of `field` until none comes for a while.
async fn drain(c: &mut Client, field: &str) -> Vec<Value> {
    let mut out = Vec::new();
    while let Some(m) = c.next(QUIET).await {
        assert!(m.get("errors").is_none(), "{m}");
        out.push(m["data"][field].clone());
    }
    out
}

/// `(dossierId, seq)` of each event.
fn keys(events: &[Value]) -> Vec<(String, i64)> {
    events
        .iter()
        .map(|e| {
            (
                e["dossierId"].as_str().unwrap().to_owned(),
                e["seq"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// Every event of the citizen's dossiers, from the history (the truth),
/// for the dossiers in `ids`, as `(dossierId, seq)` in history order.
async fn history_of(f: &Flow, ids: &[String]) -> BTreeMap<String, Vec<i64>> {
    let mut out = BTreeMap::new();
    for id in ids {
        let d = json!({ "id": id });
        let seqs = f
            .history(&f.citizen, &d, 0)
            .await
            .iter()
            .map(|e| e["seq"].as_i64().unwrap())
            .collect();
        out.insert(id.clone(), seqs);
    }
    out
}

/// Groups `(dossierId, seq)` by dossier, keeping the order heard.
fn by_dossier(heard: &[(String, i64)]) -> BTreeMap<String, Vec<i64>> {
    let mut out: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for (d, s) in heard {
        out.entry(d.clone()).or_default().push(*s);
    }
    out
}

#[tokio::test]
async fn a_client_resumes_from_its_cursor_and_hears_dossiers_it_never_saw() {
    let f = flow().await;
    let addr = serve(&f.t).await;
    let start = now_cursor(&f.t, &f.citizen).await;
    let mut c = Client::connect(addr, false, &f.citizen).await;
    c.subscribe("1", MINE, json!({ "after": start })).await;
    subscribed(&f.t, 1).await;
    let first = f.submitted().await;
    let heard = drain(&mut c, "myDossierEvents").await;
    assert_eq!(heard.len(), 2, "created and submitted: {heard:?}");
    let cursor = heard[1]["cursor"].as_str().unwrap().to_owned();
    drop(c);

    // While the client is away: its dossier moves, and a new one appears.
    f.ok(&f.reception, "receiveDossier", &first, "").await;
    let second = f.submitted().await;

    let mut c = Client::connect(addr, false, &f.citizen).await;
    c.subscribe("2", MINE, json!({ "after": cursor })).await;
    let replayed = drain(&mut c, "myDossierEvents").await;
    let (a, b) = (
        first["id"].as_str().unwrap().to_owned(),
        second["id"].as_str().unwrap().to_owned(),
    );
    assert_eq!(
        keys(&replayed),
        vec![(a.clone(), 3), (b.clone(), 1), (b.clone(), 2)],
        "what was missed, in order, and nothing twice"
    );
    assert!(replayed.iter().all(|e| e["resyncRequired"] == false));
    // Then live, on the same subscription.
    f.ok(&f.reception, "receiveDossier", &second, "").await;
    let live = drain(&mut c, "myDossierEvents").await;
    assert_eq!(keys(&live), vec![(b, 3)]);
    let cursors: Vec<i64> = replayed
        .iter()
        .chain(&live)
        .map(|e| e["cursor"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(cursors.windows(2).all(|w| w[0] < w[1]), "{cursors:?}");
}

#[tokio::test]
async fn the_seam_between_replay_and_live_has_no_gap_and_no_duplicate() {
    let f = flow().await;
    let addr = serve(&f.t).await;
    let start = now_cursor(&f.t, &f.citizen).await;
    // Events keep committing while the subscription replays and goes live.
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(f.submitted().await["id"].as_str().unwrap().to_owned());
    }
    let mut c = Client::connect(addr, false, &f.citizen).await;
    let busy = async {
        let mut more = Vec::new();
        for _ in 0..4 {
            more.push(f.submitted().await["id"].as_str().unwrap().to_owned());
        }
        more
    };
    let (more, ()) = tokio::join!(busy, c.subscribe("1", MINE, json!({ "after": start })));
    ids.extend(more);
    let heard = keys(&drain(&mut c, "myDossierEvents").await);
    let mut unique = heard.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), heard.len(), "nothing twice: {heard:?}");
    assert_eq!(
        by_dossier(&heard),
        history_of(&f, &ids).await,
        "nothing missed"
    );
}

#[tokio::test]
async fn an_agency_queue_resumes_from_its_cursor() {
    let f = flow().await;
    let addr = serve(&f.t).await;
    let centre = f.t.agency_id(motcua::services::demo::CENTRE_CODE).await;
    let start = {
        let d =
            f.t.data(Some(&f.reception), SINCE, json!({ "a": centre }))
                .await;
        d["dossierEventsSince"]["endCursor"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    // Work arrives while nobody at the desk listens.
    let d = f.draft().await;
    let d = f.ok(&f.citizen, "submitDossier", &d, "").await;
    f.ok(&f.reception, "receiveDossier", &d, "").await;
    let mut c = Client::connect(addr, false, &f.reception).await;
    c.subscribe("1", QUEUE, json!({ "a": centre, "after": start }))
        .await;
    let heard = drain(&mut c, "agencyQueue").await;
    let id = d["id"].as_str().unwrap().to_owned();
    // The draft is nobody's work: not replayed.
    assert_eq!(keys(&heard), vec![(id.clone(), 2), (id, 3)], "{heard:?}");
    assert_eq!(heard[0]["toStatus"], "SUBMITTED");
}

#[tokio::test]
async fn a_draft_withdrawn_before_it_was_submitted_is_no_agency_s_work() {
    let f = flow().await;
    let addr = serve(&f.t).await;
    let centre = f.t.agency_id(motcua::services::demo::CENTRE_CODE).await;
    let start =
        f.t.data(Some(&f.reception), SINCE, json!({ "a": centre }))
            .await["dossierEventsSince"]["endCursor"]
            .clone();
    let mut live = Client::connect(addr, false, &f.reception).await;
    live.subscribe("1", QUEUE, json!({ "a": centre })).await;
    subscribed(&f.t, 1).await;
    let d = f.draft().await;
    f.ok(&f.citizen, "withdrawDossier", &d, "").await;
    // A submitted one after it, so that "nothing" is not just "not yet".
    let later = f.submitted().await;
    let heard = drain(&mut live, "agencyQueue").await;
    let id = later["id"].as_str().unwrap().to_owned();
    assert_eq!(keys(&heard), vec![(id.clone(), 2)], "live: {heard:?}");
    relayed(&f.t).await;
    let d =
        f.t.data(
            Some(&f.reception),
            SINCE,
            json!({ "a": centre, "after": start }),
        )
        .await;
    let replayed = d["dossierEventsSince"]["events"].as_array().unwrap();
    assert_eq!(keys(replayed), vec![(id, 2)], "replayed: {replayed:?}");
}

#[tokio::test]
async fn a_sign_out_during_a_replay_ends_it_within_a_second() {
    let f = flow().await;
    let start = now_cursor(&f.t, &f.citizen).await;
    for _ in 0..4 {
        f.submitted().await;
    }
    relayed(&f.t).await;
    // A second session replays the eight events, slowly: it reads one,
    // then its session is signed out.
    let token = f.t.login_demo("congdan@demo.motcua.vn").await;
    let mut stream = std::pin::pin!(
        stream_as(
            &f.t,
            &token,
            format!("subscription {{ myDossierEvents(after: \"{start}\") {{ seq }} }}")
        )
        .await
    );
    let first = stream.next().await.unwrap();
    assert!(first.errors.is_empty(), "{first:?}");
    f.t.data(Some(&token), "mutation { logout }", json!({}))
        .await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let next = stream.next().await.unwrap();
    assert_eq!(
        next.errors[0]
            .extensions
            .as_ref()
            .and_then(|x| x.get("code"))
            .cloned(),
        Some(async_graphql::Value::from("UNAUTHENTICATED")),
        "{next:?}"
    );
}

#[tokio::test]
async fn a_polling_client_pages_through_the_events_after_its_cursor() {
    let f = flow().await;
    let start = now_cursor(&f.t, &f.citizen).await;
    let mut dossiers = Vec::new();
    for _ in 0..3 {
        dossiers.push(f.submitted().await);
    }
    let ids: Vec<String> = dossiers
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect();
    // Six events, two a page, once the relay has ordered them.
    relayed(&f.t).await;
    let mut cursor = start;
    let mut heard = Vec::new();
    let mut pages = 0;
    loop {
        let d =
            f.t.data(
                Some(&f.citizen),
                SINCE,
                json!({ "after": cursor, "first": 2 }),
            )
            .await;
        let page = &d["dossierEventsSince"];
        heard.extend(page["events"].as_array().unwrap().iter().cloned());
        cursor = page["endCursor"].as_str().unwrap().to_owned();
        pages += 1;
        if page["hasNextPage"] == false {
            break;
        }
        assert!(pages < 10, "pages end");
    }
    assert_eq!(by_dossier(&keys(&heard)), history_of(&f, &ids).await);
    assert_eq!(
        heard.last().unwrap()["cursor"].as_str().unwrap(),
        cursor,
        "the end is the last event"
    );
    // Nothing new: an empty page that keeps the place.
    let d =
        f.t.data(Some(&f.citizen), SINCE, json!({ "after": cursor }))
            .await;
    assert_eq!(d["dossierEventsSince"]["events"], json!([]));
    let next = d["dossierEventsSince"]["endCursor"].as_str().unwrap();
    // Then exactly the next event, once the relay has ordered it (a poll
    // sees it within the relay's delay).
    f.ok(&f.reception, "receiveDossier", &dossiers[0], "").await;
    let deadline = tokio::time::Instant::now() + WAIT;
    let events = loop {
        let d =
            f.t.data(Some(&f.citizen), SINCE, json!({ "after": next }))
                .await;
        let events = d["dossierEventsSince"]["events"]
            .as_array()
            .unwrap()
            .clone();
        if !events.is_empty() || tokio::time::Instant::now() > deadline {
            break events;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(keys(&events), vec![(ids[0].clone(), 3)]);
}

#[tokio::test]
async fn bad_cursors_and_foreign_queues_are_refused() {
    let f = flow().await;
    let centre = f.t.agency_id(motcua::services::demo::CENTRE_CODE).await;
    for (vars, code, field) in [
        (json!({ "after": "abc" }), "BAD_USER_INPUT", "after"),
        (json!({ "after": "-1" }), "BAD_USER_INPUT", "after"),
        (
            json!({ "after": "0", "first": 0 }),
            "BAD_USER_INPUT",
            "first",
        ),
        (
            json!({ "after": "0", "first": 501 }),
            "BAD_USER_INPUT",
            "first",
        ),
        (json!({ "a": centre }), "FORBIDDEN", ""),
    ] {
        let v = f.t.gql(Some(&f.citizen), SINCE, vars.clone()).await;
        assert_eq!(error_code(&v), code, "{vars}: {v}");
        if !field.is_empty() {
            assert_eq!(v["errors"][0]["extensions"]["field"], field, "{v}");
        }
        assert!(v["data"].is_null() || v["data"]["dossierEventsSince"].is_null());
    }
    let v = f.t.gql(None, SINCE, json!({})).await;
    assert_eq!(error_code(&v), "UNAUTHENTICATED");

    let addr = serve(&f.t).await;
    let mut c = Client::connect(addr, false, &f.citizen).await;
    c.subscribe("1", MINE, json!({ "after": "not a cursor" }))
        .await;
    let refused = c.next(WAIT).await.unwrap();
    assert_eq!(refused["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
}

#[tokio::test]
async fn a_cursor_ahead_of_the_database_asks_for_a_resync_then_goes_live() {
    let f = flow().await;
    let addr = serve(&f.t).await;
    let now: i64 = now_cursor(&f.t, &f.citizen).await.parse().unwrap();
    // A cursor from a database this one was restored behind.
    let mut c = Client::connect(addr, false, &f.citizen).await;
    c.subscribe("1", MINE, json!({ "after": (now + 1000).to_string() }))
        .await;
    let marker = c.next(WAIT).await.unwrap();
    let marker = &marker["data"]["myDossierEvents"];
    assert_eq!(marker["resyncRequired"], true, "{marker}");
    assert_eq!(marker["cursor"], now.to_string());
    // A poller is told the same.
    let page = f
        .t
        .data(
            Some(&f.citizen),
            "query($a: String) { dossierEventsSince(after: $a) { events { seq } endCursor resyncRequired } }",
            json!({ "a": (now + 1000).to_string() }),
        )
        .await;
    assert_eq!(
        page["dossierEventsSince"],
        json!({ "events": [], "endCursor": now.to_string(), "resyncRequired": true })
    );
    subscribed(&f.t, 1).await;
    let d = f.submitted().await;
    let live = drain(&mut c, "myDossierEvents").await;
    let id = d["id"].as_str().unwrap().to_owned();
    assert_eq!(keys(&live), vec![(id.clone(), 1), (id, 2)]);
}

#[tokio::test]
async fn a_deactivation_on_one_instance_ends_subscriptions_on_another_within_a_second() {
    let f = flow().await;
    // A second instance on the same database, without Redis: the control
    // event reaches it through the outbox.
    let mut config = (*f.t.app.state.config).clone();
    config.demo = false;
    config.redis_url = None;
    let second = TestApp::from_app(motcua::app::App::start(config).await.unwrap());
    let addr = serve(&second).await;
    let mut c = Client::connect(addr, false, &f.citizen).await;
    c.subscribe("1", MINE, json!({})).await;
    subscribed(&second, 1).await;
    let me = f.t.data(Some(&f.citizen), "{ me { id } }", json!({})).await;
    let admin = f.t.login_demo("quantri@demo.motcua.vn").await;
    f.t.data(
        Some(&admin),
        "mutation($a: ID!) { deactivateAccount(accountId: $a, reason: \"Thử\") { id } }",
        json!({ "a": me["me"]["id"] }),
    )
    .await;
    let started = std::time::Instant::now();
    let ended = c.next(WAIT).await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        ended["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{ended}"
    );
}
