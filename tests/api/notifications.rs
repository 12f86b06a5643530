//! Notifications: written with the change that causes them, delivered by
//! the outbox worker at least once (retried with backoff, resumed after a
//! restart, deduplicated by id), listed in myNotifications.

use std::sync::{Arc, Mutex};

use chrono::Duration;
use motcua::domain::notification::{Facts, Template};
use motcua::notify::worker::{self, deliver_once, Pass};
use motcua::notify::{Outgoing, SendFuture, Sender, Senders};
use motcua::services::notifications::{enqueue, About, Recipient};
use sea_orm::EntityTrait;
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use crate::fixtures::{flow, register_other_citizen};
use crate::helpers::{error_code, error_field};
use crate::payments::{callback, secret, success};

const MINE: &str = "{ myNotifications(first: 50) { totalCount edges { node { template subject body dossierId deliveries { channel recipient status attempts } } } } }";

/// Records what it is asked to send; fails the first `failures` times.
#[derive(Default)]
struct Recording {
    sent: Mutex<Vec<Outgoing>>,
    failures: Mutex<u32>,
}

impl Sender for Recording {
    fn send<'a>(&'a self, m: &'a Outgoing) -> SendFuture<'a> {
        Box::pin(async move {
            self.sent.lock().unwrap().push(m.clone());
            let mut left = self.failures.lock().unwrap();
            if *left > 0 {
                *left -= 1;
                return Err(anyhow::anyhow!("SMTP 451 try again later"));
            }
            Ok(())
        })
    }
}

/// Never answers: a worker stuck (then killed) mid-send.
struct Hanging;

impl Sender for Hanging {
    fn send<'a>(&'a self, _: &'a Outgoing) -> SendFuture<'a> {
        Box::pin(std::future::pending())
    }
}

/// Sends once let through: a delivery held in hand until the test says so.
#[derive(Default)]
struct Gated {
    open: tokio::sync::Notify,
    sent: Mutex<Vec<Outgoing>>,
}

impl Sender for Gated {
    fn send<'a>(&'a self, m: &'a Outgoing) -> SendFuture<'a> {
        Box::pin(async move {
            self.open.notified().await;
            self.sent.lock().unwrap().push(m.clone());
            Ok(())
        })
    }
}

/// A delivery worker on `st`'s database, once it has claimed a delivery.
async fn claiming_worker(
    st: &motcua::state::AppState,
    senders: Senders,
    stop: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    let worker = tokio::spawn(worker::run(
        st.db.clone(),
        st.clock.clone(),
        senders,
        st.delivery_wakeup.clone(),
        stop,
    ));
    crate::helpers::eventually(
        "the worker to claim a delivery",
        std::time::Duration::from_secs(2),
        || async {
            let rows = entity::delivery::Entity::find().all(&st.db).await.unwrap();
            rows.iter().any(|d| d.attempts == 1)
        },
    )
    .await;
    worker
}

fn senders(s: Arc<dyn Sender>) -> Senders {
    Senders {
        email: s.clone(),
        sms: s,
    }
}

/// The templates in the order they were sent (the list is newest first).
fn templates(v: &Value) -> Vec<String> {
    v["myNotifications"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .map(|e| e["node"]["template"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_applicant_is_told_of_each_step_in_vietnamese() {
    let f = flow().await;
    let d = f.processing().await;
    let d = f
        .ok(
            &f.specialist,
            "pauseDossier",
            &d,
            ", kind: SUPPLEMENT, reason: \"Thiếu bản vẽ mặt bằng\"",
        )
        .await;
    let d = f.ok(&f.specialist, "resumeDossier", &d, "").await;
    let d = f.approved(&d).await;
    f.paid(&d).await;
    let d = f
        .ok(&f.reception, "returnResult", &d, ", method: COUNTER")
        .await;
    let refused = f.submitted().await;
    f.ok(
        &f.reception,
        "refuseDossier",
        &refused,
        ", reason: \"Sai thẩm quyền giải quyết\"",
    )
    .await;
    let mine = f.t.data(Some(&f.citizen), MINE, json!({})).await;
    assert_eq!(
        templates(&mine),
        [
            "SUBMITTED",
            "RECEIVED",
            "PAUSED",
            "RESULT_READY",
            // The fee taken at the counter before the return.
            "PAYMENT_RECEIVED",
            "RETURNED",
            "SUBMITTED",
            "REFUSED"
        ]
    );
    // Newest first: reversed into the order they were sent.
    let nodes: Vec<&Value> = mine["myNotifications"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .collect();
    let received = &nodes[1]["node"];
    let code = d["code"].as_str().unwrap();
    assert_eq!(
        received["subject"].as_str().unwrap(),
        format!("[Dịch vụ công] Đã tiếp nhận hồ sơ {code}")
    );
    // The due date in the province's time, as forms write it.
    let due = chrono::DateTime::parse_from_rfc3339(d["dueAt"].as_str().unwrap())
        .unwrap()
        .with_timezone(&chrono_tz::Asia::Ho_Chi_Minh)
        .format("%d/%m/%Y %H:%M")
        .to_string();
    let body = received["body"].as_str().unwrap();
    assert!(
        body.contains(&format!("Ngày hẹn trả kết quả: {due}.")),
        "{body}"
    );
    assert!(nodes[2]["node"]["body"]
        .as_str()
        .unwrap()
        .contains("Lý do: Thiếu bản vẽ mặt bằng."));
    assert!(nodes[7]["node"]["body"]
        .as_str()
        .unwrap()
        .contains("Sai thẩm quyền giải quyết"));
    // E-mail and SMS to the contact on the dossier, waiting for the worker.
    let channels: Vec<&str> = received["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["channel"].as_str().unwrap())
        .collect();
    assert!(channels.contains(&"EMAIL"), "{received}");
    assert!(received["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .all(|x| x["status"] == "PENDING"));
    // Payment received and feedback answered have their messages too.
    let paid = f.submitted().await;
    let p =
        f.t.data(
            Some(&f.citizen),
            "mutation($d: ID!) { createPayment(dossierId: $d) { reference } }",
            json!({ "d": paid["id"] }),
        )
        .await["createPayment"]
            .clone();
    callback(
        &f.t,
        &secret(&f.t),
        &success(&p["reference"], "GW-N1", 150000),
    )
    .await;
    let mine = f.t.data(Some(&f.citizen), MINE, json!({})).await;
    // Newest first.
    let last = mine["myNotifications"]["edges"][0]["node"].clone();
    assert_eq!(last["template"], "PAYMENT_RECEIVED");
    assert!(
        last["body"].as_str().unwrap().contains("150.000 đồng"),
        "{last}"
    );
    // Nobody else sees them.
    let other = register_other_citizen(&f.t).await;
    let theirs = f.t.data(Some(&other), MINE, json!({})).await;
    assert_eq!(theirs["myNotifications"]["totalCount"], 0);

    // The worker delivers them all, each once.
    let rec = Arc::new(Recording::default());
    let st = &f.t.app.state;
    let mut total = Pass::default();
    loop {
        let p = deliver_once(&st.db, &st.clock, &senders(rec.clone()))
            .await
            .unwrap();
        if p.handled() == 0 {
            break;
        }
        total.sent += p.sent;
    }
    let sent = rec.sent.lock().unwrap().clone();
    assert_eq!(total.sent, sent.len());
    let mut ids: Vec<&str> = sent.iter().map(|m| m.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), sent.len());
    assert!(sent.iter().any(|m| m.subject.ends_with(code)));
    let mine = f.t.data(Some(&f.citizen), MINE, json!({})).await;
    assert!(mine["myNotifications"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| e["node"]["deliveries"].as_array().unwrap().clone())
        .all(|x| x["status"] == "SENT" && x["attempts"] == 1));
}

async fn write(st: &motcua::state::AppState, title: &str, commit: bool) {
    let txn = motcua::store::write_txn(&st.db).await.unwrap();
    let facts = Facts {
        applicant: "Nguyễn Văn An".into(),
        title: Some(title.into()),
        ..Default::default()
    };
    let to = Recipient {
        account_id: None,
        email: Some("an@example.vn".into()),
        phone: None,
    };
    enqueue(
        &txn,
        st.clock.now(),
        Template::FeedbackAnswered,
        &facts,
        &to,
        About::default(),
    )
    .await
    .unwrap();
    if commit {
        txn.commit().await.unwrap();
    } else {
        txn.rollback().await.unwrap();
    }
}

#[tokio::test]
async fn the_outbox_delivers_committed_notifications_only_and_retries_with_backoff() {
    let f = flow().await;
    let st = f.t.app.state.clone();
    write(&st, "Đã bị hủy", false).await;
    write(&st, "Đã ghi nhận", true).await;
    let rec = Arc::new(Recording::default());
    *rec.failures.lock().unwrap() = 2;
    let s = senders(rec.clone());

    let p = deliver_once(&st.db, &st.clock, &s).await.unwrap();
    assert_eq!((p.sent, p.retried), (0, 1));
    // Not again before its backoff (30 s after the first failure).
    assert_eq!(
        deliver_once(&st.db, &st.clock, &s).await.unwrap().handled(),
        0
    );
    st.clock.advance(Duration::seconds(31));
    let p = deliver_once(&st.db, &st.clock, &s).await.unwrap();
    assert_eq!((p.sent, p.retried), (0, 1));
    // The second wait is twice as long.
    st.clock.advance(Duration::seconds(31));
    assert_eq!(
        deliver_once(&st.db, &st.clock, &s).await.unwrap().handled(),
        0
    );
    st.clock.advance(Duration::seconds(31));
    let p = deliver_once(&st.db, &st.clock, &s).await.unwrap();
    assert_eq!((p.sent, p.retried), (1, 0));
    st.clock.advance(Duration::hours(2));
    assert_eq!(
        deliver_once(&st.db, &st.clock, &s).await.unwrap().handled(),
        0
    );

    let sent = rec.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 3, "three attempts of one message");
    assert!(sent
        .iter()
        .all(|m| m.id == sent[0].id && m.to == "an@example.vn"));
    assert!(sent[0].body.contains("«Đã ghi nhận»"));
    assert!(!sent.iter().any(|m| m.body.contains("Đã bị hủy")));
}

#[tokio::test]
async fn a_restarted_worker_resumes_what_a_dead_one_left() {
    let f = flow().await;
    let st = f.t.app.state.clone();
    write(&st, "Trước khi dừng", true).await;
    // A worker takes the delivery and dies mid-send.
    let dead = claiming_worker(&st, senders(Arc::new(Hanging)), CancellationToken::new()).await;
    dead.abort();
    // Its lease holds the delivery for a while; then the new worker takes it.
    let rec = Arc::new(Recording::default());
    let s = senders(rec.clone());
    assert_eq!(
        deliver_once(&st.db, &st.clock, &s).await.unwrap().handled(),
        0
    );
    st.clock.advance(Duration::seconds(121));
    let p = deliver_once(&st.db, &st.clock, &s).await.unwrap();
    assert_eq!(p.sent, 1);
    let sent = rec.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    assert!(sent[0].body.contains("«Trước khi dừng»"));
    assert!(sent[0].id.starts_with("delivery-"));
}

#[tokio::test]
async fn a_stopping_worker_finishes_the_delivery_in_hand_and_leaves_the_rest() {
    let f = flow().await;
    let st = f.t.app.state.clone();
    write(&st, "Thư thứ nhất", true).await;
    write(&st, "Thư thứ hai", true).await;
    let gate = Arc::new(Gated::default());
    let stop = CancellationToken::new();
    // The worker holds the first delivery (claimed, being sent)…
    let worker = claiming_worker(&st, senders(gate.clone()), stop.clone()).await;
    // …when the process is told to stop; the send then completes.
    stop.cancel();
    gate.open.notify_one();
    tokio::time::timeout(std::time::Duration::from_secs(5), worker)
        .await
        .expect("the worker ends once its step is done")
        .unwrap();
    let rows = entity::delivery::Entity::find().all(&st.db).await.unwrap();
    let mut statuses: Vec<(&str, i32)> = rows
        .iter()
        .map(|d| (d.status.as_str(), d.attempts))
        .collect();
    statuses.sort();
    assert_eq!(
        statuses,
        [("PENDING", 0), ("SENT", 1)],
        "the one in hand is sent; the other waits for the next start"
    );
    assert_eq!(gate.sent.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn the_app_lists_newest_first_counts_the_unread_and_marks_them_read() {
    let f = flow().await;
    let d = f.submitted().await;
    let d = f.ok(&f.reception, "receiveDossier", &d, "").await;
    f.ok(&f.reception, "transferDossier", &d, "").await;
    let q = "query($u: Boolean) { unreadNotificationCount myNotifications(first: 10, unreadOnly: $u) { totalCount edges { cursor node { id template read readAt } } } }";
    let list = |v: &Value| -> Vec<(String, bool)> {
        v["myNotifications"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["node"]["template"].as_str().unwrap().to_owned(),
                    e["node"]["read"].as_bool().unwrap(),
                )
            })
            .collect()
    };
    let v = f.t.data(Some(&f.citizen), q, json!({})).await;
    // Submitted, then received: newest first, both unread.
    assert_eq!(
        list(&v),
        [
            ("RECEIVED".to_owned(), false),
            ("SUBMITTED".to_owned(), false)
        ]
    );
    assert_eq!(v["unreadNotificationCount"], 2);
    // The next page after the newest is the older one.
    let newest = v["myNotifications"]["edges"][0].clone();
    let page = f
        .t
        .data(
            Some(&f.citizen),
            "query($a: String) { myNotifications(first: 1, after: $a) { edges { node { template } } pageInfo { hasNextPage } } }",
            json!({ "a": newest["cursor"] }),
        )
        .await;
    assert_eq!(
        page["myNotifications"]["edges"][0]["node"]["template"],
        "SUBMITTED"
    );
    assert_eq!(page["myNotifications"]["pageInfo"]["hasNextPage"], false);

    // Another account cannot mark them; a malformed id is refused.
    let other = register_other_citizen(&f.t).await;
    let mark = "mutation($ids: [ID!]) { markNotificationsRead(ids: $ids) }";
    let theirs =
        f.t.data(Some(&other), mark, json!({ "ids": [newest["node"]["id"]] }))
            .await;
    assert_eq!(theirs["markNotificationsRead"], 0);
    let v =
        f.t.gql(Some(&f.citizen), mark, json!({ "ids": ["x"] }))
            .await;
    assert_eq!((error_code(&v), error_field(&v)), ("BAD_USER_INPUT", "ids"));
    let v = f.t.gql(None, mark, json!({})).await;
    assert_eq!(error_code(&v), "UNAUTHENTICATED");

    let mark_newest = || {
        f.t.data(
            Some(&f.citizen),
            mark,
            json!({ "ids": [newest["node"]["id"]] }),
        )
    };
    // One marked: one unread left, listed alone with unreadOnly.
    let m = mark_newest().await;
    assert_eq!(m["markNotificationsRead"], 1);
    let v = f.t.data(Some(&f.citizen), q, json!({ "u": true })).await;
    assert_eq!(list(&v), [("SUBMITTED".to_owned(), false)]);
    assert_eq!(v["unreadNotificationCount"], 1);
    // Marked again: nothing changes, its first reading time stays.
    let v = f.t.data(Some(&f.citizen), q, json!({})).await;
    let read_at = v["myNotifications"]["edges"][0]["node"]["readAt"].clone();
    assert!(read_at.is_string(), "{v}");
    let m = mark_newest().await;
    assert_eq!(m["markNotificationsRead"], 0);
    // All at once.
    let m = f.t.data(Some(&f.citizen), mark, json!({})).await;
    assert_eq!(m["markNotificationsRead"], 1);
    let v = f.t.data(Some(&f.citizen), q, json!({})).await;
    assert_eq!(v["unreadNotificationCount"], 0);
    assert_eq!(v["myNotifications"]["edges"][0]["node"]["readAt"], read_at);
    assert_eq!(
        list(&v),
        [
            ("RECEIVED".to_owned(), true),
            ("SUBMITTED".to_owned(), true)
        ]
    );
}
