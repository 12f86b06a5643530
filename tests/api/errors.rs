//! The one error envelope: an `INTERNAL` reaches the client with its
//! request id and nothing else, and its cause reaches the log once, under
//! that request id — over both WebSocket protocols too.

use std::time::Duration;

use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::helpers::TestApp;
use crate::live::{serve, Client};
use crate::logs::capture;

const MINE: &str = "subscription { myDossierEvents { seq toStatus dossierId } }";

#[tokio::test]
async fn an_internal_error_in_a_subscription_is_logged_once_with_its_request_id() {
    for legacy in [false, true] {
        // Arrange: a citizen follows their dossiers; then the table the
        // session check reads disappears for good.
        let (logs, _guard) = capture(tracing::Level::ERROR);
        let t = TestApp::spawn().await;
        let token = t.login_demo("congdan@demo.motcua.vn").await;
        let me = t.data(Some(&token), "{ me { id } }", json!({})).await;
        let account_id: i64 = me["me"]["id"].as_str().unwrap().parse().unwrap();
        let addr = serve(&t).await;
        let mut c = Client::connect(addr, legacy, &token).await;
        c.subscribe("1", MINE, json!({})).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        t.app
            .state
            .db
            .execute_unprepared(r#"ALTER TABLE "session" RENAME TO "session_gone""#)
            .await
            .unwrap();

        // Act: the account changes, so its subscriptions check again; the
        // check fails past the subscription's retries.
        let change = motcua::events::Control::AccountChanged { account_id };
        motcua::events::record_control(&t.app.state.db, chrono::Utc::now(), &change)
            .await
            .unwrap();
        t.app.state.outbox_committed();
        let reply = c.next(Duration::from_secs(10)).await.expect("an answer");

        // Assert: the client sees INTERNAL and a request id, no detail...
        let error = &reply["errors"][0];
        assert_eq!(error["extensions"]["code"], "INTERNAL", "{reply}");
        let request_id = error["extensions"]["requestId"].as_str().unwrap();
        assert!(request_id.len() > 8, "{reply}");
        assert!(!reply.to_string().contains("session"), "{reply}");
        // ...and the log has the cause, once, under that request id.
        let text = logs.text();
        let lines: Vec<&str> = text
            .lines()
            .filter(|l| l.contains("internal error"))
            .collect();
        assert_eq!(lines.len(), 1, "legacy: {legacy}\n{text}");
        assert!(lines[0].contains(request_id), "{text}");
        assert!(lines[0].contains("session"), "the cause is logged: {text}");
    }
}
