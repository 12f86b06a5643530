//! ADMIN operations on existing accounts: `updateOfficialRoles` and
//! `deactivateAccount` — who may, what they check, the audit trail, the
//! last administrator, and a deactivated account's sessions and
//! subscriptions ending at once.

use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::{error_code, error_field, TestApp};
use crate::live::{serve, Client};

const ROLES: &str = "mutation($a: ID!, $r: [RoleGrantInput!]!) { updateOfficialRoles(accountId: $a, roles: $r) { id active roles { role agency { code } } } }";
const DEACTIVATE: &str = "mutation($a: ID!, $why: String!) { deactivateAccount(accountId: $a, reason: $why) { id active } }";
const ME: &str = "{ me { id } }";
const LOG: &str = "query($f: AuditFilter) { auditLog(filter: $f, first: 100) { edges { node { operation targetType targetId actorAccountId summary } } } }";

async fn id_of(t: &TestApp, token: &str) -> String {
    t.data(Some(token), ME, json!({})).await["me"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The audit records of `operation`.
async fn audited(t: &TestApp, admin: &str, operation: &str) -> Vec<Value> {
    let d = t
        .data(Some(admin), LOG, json!({ "f": { "operation": operation } }))
        .await;
    d["auditLog"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

#[tokio::test]
async fn an_admin_replaces_an_officials_roles_and_the_change_is_audited() {
    let t = TestApp::spawn().await;
    let admin = t.login_demo("quantri@demo.motcua.vn").await;
    let specialist = t.login_demo("chuyenvien@demo.motcua.vn").await;
    let id = id_of(&t, &specialist).await;
    let centre = t.agency_id(motcua::services::demo::CENTRE_CODE).await;

    let d = t
        .data(
            Some(&admin),
            ROLES,
            json!({ "a": id, "r": [{ "role": "ANALYST" }, { "role": "RECEPTION_OFFICER", "agencyId": centre }] }),
        )
        .await;

    let roles = &d["updateOfficialRoles"]["roles"];
    assert_eq!(roles[0]["role"], "ANALYST", "{d}");
    assert_eq!(roles[1]["role"], "RECEPTION_OFFICER", "{d}");
    assert_eq!(
        roles[1]["agency"]["code"],
        motcua::services::demo::CENTRE_CODE
    );
    assert_eq!(roles.as_array().unwrap().len(), 2, "the old grant is gone");
    let records = audited(&t, &admin, "updateOfficialRoles").await;
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["targetType"], "account");
    assert_eq!(records[0]["targetId"], id.as_str());
    assert_eq!(
        records[0]["actorAccountId"],
        id_of(&t, &admin).await.as_str()
    );
    // The official's next request acts in the new roles.
    let v = t
        .gql(Some(&specialist), "{ me { roles { role } } }", json!({}))
        .await;
    assert_eq!(v["data"]["me"]["roles"][0]["role"], "ANALYST", "{v}");
}

#[tokio::test]
async fn only_admins_change_roles_or_deactivate_and_inputs_are_checked() {
    let t = TestApp::spawn().await;
    let leader = t.login_demo("lanhdao@demo.motcua.vn").await;
    let specialist = t.login_demo("chuyenvien@demo.motcua.vn").await;
    let citizen = t.login_demo("congdan@demo.motcua.vn").await;
    let id = id_of(&t, &specialist).await;
    let roles = json!({ "a": id, "r": [{ "role": "ANALYST" }] });
    let why = json!({ "a": id, "why": "Nghỉ việc" });

    assert_eq!(
        error_code(&t.gql(None, ROLES, roles.clone()).await),
        "UNAUTHENTICATED"
    );
    assert_eq!(
        error_code(&t.gql(Some(&leader), ROLES, roles).await),
        "FORBIDDEN"
    );
    assert_eq!(
        error_code(&t.gql(Some(&leader), DEACTIVATE, why).await),
        "FORBIDDEN"
    );

    let admin = t.login_demo("quantri@demo.motcua.vn").await;
    let unknown = t
        .gql(
            Some(&admin),
            ROLES,
            json!({ "a": "999999", "r": [{ "role": "ANALYST" }] }),
        )
        .await;
    assert_eq!(error_code(&unknown), "NOT_FOUND");
    let unknown = t
        .gql(
            Some(&admin),
            DEACTIVATE,
            json!({ "a": "999999", "why": "x" }),
        )
        .await;
    assert_eq!(error_code(&unknown), "NOT_FOUND");
    let v = t
        .gql(
            Some(&admin),
            ROLES,
            json!({ "a": id, "r": [{ "role": "SPECIALIST" }] }),
        )
        .await;
    assert_eq!(
        (error_code(&v), error_field(&v)),
        ("BAD_USER_INPUT", "roles.0.agencyId")
    );
    let v = t
        .gql(Some(&admin), ROLES, json!({ "a": id, "r": [] }))
        .await;
    assert_eq!(
        (error_code(&v), error_field(&v)),
        ("BAD_USER_INPUT", "roles")
    );
    let citizen_id = id_of(&t, &citizen).await;
    let v = t
        .gql(
            Some(&admin),
            ROLES,
            json!({ "a": citizen_id, "r": [{ "role": "ANALYST" }] }),
        )
        .await;
    assert_eq!(
        (error_code(&v), error_field(&v)),
        ("BAD_USER_INPUT", "accountId")
    );
    let v = t
        .gql(Some(&admin), DEACTIVATE, json!({ "a": id, "why": "   " }))
        .await;
    assert_eq!(
        (error_code(&v), error_field(&v)),
        ("BAD_USER_INPUT", "reason")
    );
    // Nothing changed.
    t.data(Some(&specialist), ME, json!({})).await;
}

#[tokio::test]
async fn the_last_admin_keeps_its_grant_and_nobody_deactivates_themselves() {
    let t = TestApp::spawn().await;
    let admin = t.login_demo("quantri@demo.motcua.vn").await;
    let me = id_of(&t, &admin).await;

    let v = t
        .gql(
            Some(&admin),
            ROLES,
            json!({ "a": me, "r": [{ "role": "ANALYST" }] }),
        )
        .await;
    assert_eq!(
        (error_code(&v), error_field(&v)),
        ("BAD_USER_INPUT", "roles")
    );
    let v = t
        .gql(Some(&admin), DEACTIVATE, json!({ "a": me, "why": "Thử" }))
        .await;
    assert_eq!(
        (error_code(&v), error_field(&v)),
        ("BAD_USER_INPUT", "accountId")
    );

    // With a second administrator, the first may step down.
    t.data(
        Some(&admin),
        "mutation($i: CreateOfficialInput!) { createOfficial(input: $i) { account { id } } }",
        json!({ "i": { "fullName": "Ngô Quản Trị", "email": "quantri2@demo.motcua.vn", "roles": [{ "role": "ADMIN" }] } }),
    )
    .await;
    let d = t
        .data(
            Some(&admin),
            ROLES,
            json!({ "a": me, "r": [{ "role": "ANALYST" }] }),
        )
        .await;
    assert_eq!(d["updateOfficialRoles"]["roles"][0]["role"], "ANALYST");
}

#[tokio::test]
async fn a_deactivated_account_is_signed_out_at_once_and_audited() {
    let t = TestApp::spawn().await;
    let admin = t.login_demo("quantri@demo.motcua.vn").await;
    let first = t.login_demo("congdan@demo.motcua.vn").await;
    let second = t.login_demo("congdan@demo.motcua.vn").await;
    let id = id_of(&t, &first).await;

    let d = t
        .data(
            Some(&admin),
            DEACTIVATE,
            json!({ "a": id, "why": "Tài khoản bị chiếm dụng" }),
        )
        .await;

    assert_eq!(d["deactivateAccount"]["active"], false);
    for token in [&first, &second] {
        assert_eq!(
            error_code(&t.gql(Some(token), ME, json!({})).await),
            "UNAUTHENTICATED"
        );
    }
    let login =
        "mutation($i: String!, $p: String!) { login(identifier: $i, password: $p) { token } }";
    let v = t
        .gql(
            None,
            login,
            json!({ "i": "congdan@demo.motcua.vn", "p": motcua::services::demo::DEMO_PASSWORD }),
        )
        .await;
    assert_eq!(error_code(&v), "UNAUTHENTICATED");
    let records = audited(&t, &admin, "deactivateAccount").await;
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["targetId"], id.as_str());
    assert!(
        records[0]["summary"].to_string().contains("chiếm dụng"),
        "{records:?}"
    );
}

#[tokio::test]
async fn a_deactivated_accounts_subscription_ends_at_once() {
    let t = TestApp::spawn().await;
    let addr = serve(&t).await;
    let admin = t.login_demo("quantri@demo.motcua.vn").await;
    let citizen = t.login_demo("congdan@demo.motcua.vn").await;
    let id = id_of(&t, &citizen).await;
    let mut c = Client::connect(addr, false, &citizen).await;
    c.subscribe("1", "subscription { myDossierEvents { seq } }", json!({}))
        .await;
    // Nothing comes before the deactivation; this also lets the
    // subscription start.
    assert!(c.next(Duration::from_millis(300)).await.is_none());

    t.data(Some(&admin), DEACTIVATE, json!({ "a": id, "why": "Khóa" }))
        .await;

    // No dossier event needed: the subscription ends by itself, promptly.
    let got = c.next(Duration::from_secs(2)).await.unwrap();
    assert!(got["data"]["myDossierEvents"].is_null(), "{got}");
    assert_eq!(
        got["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{got}"
    );
    assert_eq!(
        c.next(Duration::from_secs(2)).await.unwrap()["complete"],
        true
    );
}
