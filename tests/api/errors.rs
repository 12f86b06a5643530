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

/// An event for `account_id`'s dossiers, as the relay would publish it.
fn event_for(account_id: i64) -> motcua::events::LiveEvent {
    motcua::events::LiveEvent {
        dossier_id: 1,
        code: None,
        seq: 2,
        action: "SUBMIT".into(),
        from_status: Some("DRAFT".into()),
        to_status: "SUBMITTED".into(),
        national_status_code: None,
        due_at: None,
        actor_role: None,
        actor_agency_id: None,
        receiving_agency_id: 1,
        settling_agency_id: 1,
        applicant_account_id: Some(account_id),
        at: chrono::Utc::now(),
    }
}

#[tokio::test]
async fn an_internal_error_in_a_subscription_is_logged_once_with_its_request_id() {
    for legacy in [false, true] {
        // Arrange: a citizen follows their dossiers; then the table every
        // event's session check reads disappears.
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

        // Act
        t.app.state.bus.publish(event_for(account_id)).await;
        let reply = c.next(Duration::from_secs(5)).await.expect("an answer");

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
