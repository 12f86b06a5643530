//! Issue 11 (hardening): one session check at every entry point, the
//! password rule, security headers, and path ids that cannot exist.

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use serde_json::{json, Value};

use crate::fixtures::{create_official, flow, Flow, CHANGE_PASSWORD};
use crate::helpers::{self, pdf, TestApp};

const UPLOAD: &str = "mutation($f: Upload!, $d: ID!) { uploadAttachment(dossierId: $d, component: \"Đơn đề nghị cấp giấy phép xây dựng theo Mẫu số 01 Phụ lục II Nghị định số 175/2024/NĐ-CP\", file: $f) { id downloadUrl sha256 } }";

/// A GET through the router: status, headers and body (JSON when it is).
async fn get(t: &TestApp, path: &str, token: Option<&str>) -> (StatusCode, HeaderMap, Value) {
    let mut req = Request::get(path);
    if let Some(token) = token {
        req = req.header("authorization", format!("Bearer {token}"));
    }
    t.exchange(req.body(Body::empty()).unwrap()).await
}

/// A dossier of the demo department, received and transferred, with one
/// attachment of content never stored before (the data directory is shared
/// between runs on PostgreSQL); returns the attachment (`id downloadUrl
/// sha256`).
async fn dossier_with_attachment(f: &Flow) -> Value {
    let d = f.draft().await;
    let mut content = pdf(2_000);
    content.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    let (status, v) =
        f.t.send(helpers::multipart(
            &f.citizen,
            UPLOAD,
            json!({ "d": d["id"] }),
            "f",
            "don.pdf",
            &content,
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let d = f.ok(&f.citizen, "submitDossier", &d, "").await;
    let d = f.ok(&f.reception, "receiveDossier", &d, "").await;
    f.ok(&f.reception, "transferDossier", &d, "").await;
    v["data"]["uploadAttachment"].clone()
}

#[tokio::test]
async fn a_one_time_password_session_cannot_download_until_the_password_is_changed() {
    // Arrange: a leader of the dossier's agency, still on the one-time password.
    let f = flow().await;
    let attachment = dossier_with_attachment(&f).await;
    let url = attachment["downloadUrl"].as_str().unwrap();
    let otp = create_official(&f.t, "moi@demo.motcua.vn", "AGENCY_LEADER", &f.department).await;
    let token = f.t.login("moi@demo.motcua.vn", &otp).await;

    // Act + Assert: both download routes refuse, in the JSON error shape.
    for path in [url, "/documents/1"] {
        let (status, _, v) = get(&f.t, path, Some(&token)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {v}");
        assert_eq!(
            v["errors"][0]["extensions"]["code"], "PASSWORD_CHANGE_REQUIRED",
            "{path}: {v}"
        );
        assert!(v["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
    }

    // Once the password is changed, the same session downloads the file.
    f.t.data(
        Some(&token),
        CHANGE_PASSWORD,
        json!({ "c": otp, "n": "hoa-sen-no-giua-dong" }),
    )
    .await;
    let (status, headers, body) = get(&f.t, url, Some(&token)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(headers["content-type"], "application/pdf");
}

#[tokio::test]
async fn a_path_id_that_cannot_exist_is_not_found_in_the_json_error_shape() {
    let t = TestApp::spawn().await;
    let citizen = t.login_demo("congdan@demo.motcua.vn").await;
    for path in [
        "/attachments/abc",
        "/documents/-1",
        "/attachments/99999999999999999999",
        "/documents/0",
        "/attachments/1.5",
        "/documents/%FF",
        "/attachments/999999",
        "/no-such-route",
    ] {
        let (status, headers, v) = get(&t, path, Some(&citizen)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {v}");
        assert_eq!(headers["content-type"], "application/json", "{path}");
        assert_eq!(
            v["errors"][0]["extensions"]["code"], "NOT_FOUND",
            "{path}: {v}"
        );
        assert!(v["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
    }
}

#[tokio::test]
async fn the_playground_forbids_framing_inline_scripts_and_referrers() {
    let t = TestApp::spawn_empty().await;
    for (path, content_type) in [
        ("/graphiql", "text/html; charset=utf-8"),
        ("/graphiql/app.js", "text/javascript; charset=utf-8"),
        ("/graphiql/app.css", "text/css; charset=utf-8"),
        (
            "/graphiql/vendor/graphiql.min.js",
            "text/javascript; charset=utf-8",
        ),
        (
            "/graphiql/vendor/graphiql.min.css",
            "text/css; charset=utf-8",
        ),
    ] {
        let (status, h, _) = get(&t, path, None).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(h["content-type"], content_type, "{path}");
        let csp = h["content-security-policy"].to_str().unwrap();
        let directive = |name: &str| {
            csp.split(';')
                .map(str::trim)
                .find(|d| d.split(' ').next() == Some(name))
                .unwrap_or_else(|| panic!("no {name} in {csp}"))
                .to_owned()
        };
        assert_eq!(directive("frame-ancestors"), "frame-ancestors 'none'");
        assert_eq!(directive("default-src"), "default-src 'none'");
        assert_eq!(directive("script-src"), "script-src 'self'");
        assert_eq!(directive("style-src"), "style-src 'self'");
        assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"));
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
    }
    // The page runs no inline script or style, which the policy would block.
    let (_, _, page) = get(&t, "/graphiql", None).await;
    let page = page.as_str().unwrap();
    assert!(!page.contains("<script>") && !page.contains("<style"));
    assert!(page.contains("src=\"/graphiql/app.js\""));
}

/// Every `src` and `href` value of `page`.
fn references(page: &str) -> Vec<String> {
    ["src=\"", "href=\""]
        .iter()
        .flat_map(|attr| page.split(attr).skip(1))
        .map(|rest| rest.split('"').next().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_playground_works_offline_from_this_origin_only() {
    let t = TestApp::spawn_empty().await;
    let (_, h, page) = get(&t, "/graphiql", None).await;
    let page = page.as_str().unwrap();
    let refs = references(page);
    // React, ReactDOM, GraphiQL's script and styles, ours.
    assert_eq!(refs.len(), 6, "{refs:?}");
    for r in &refs {
        // A path on this origin: not `https://…`, not `//host/…`.
        assert!(r.starts_with('/') && !r.starts_with("//"), "{r}");
        let (status, _, body) = get(&t, r, None).await;
        assert_eq!(status, StatusCode::OK, "{r}");
        let text = body.as_str().unwrap_or_default();
        assert!(!text.contains("unpkg.com"), "{r} loads from a CDN");
    }
    // The policy allows no other origin either: a browser would refuse a
    // file from anywhere else.
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(!csp.contains("http") && !csp.contains('*'), "{csp}");
    // The vendored files are the pinned ones (src/http/graphiql/VERSIONS).
    let versions = include_str!("../../src/http/graphiql/VERSIONS");
    let (_, _, graphiql) = get(&t, "/graphiql/vendor/graphiql.min.js", None).await;
    let digest = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
        graphiql.as_str().unwrap(),
    ));
    assert!(versions.contains(&format!("{digest}  graphiql.min.js")));
}

#[tokio::test]
async fn api_answers_and_downloads_forbid_content_sniffing() {
    let f = flow().await;
    let attachment = dossier_with_attachment(&f).await;
    let url = attachment["downloadUrl"].as_str().unwrap();
    let (status, h, _) = get(&f.t, url, Some(&f.citizen)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(h["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment;"));
    for path in [
        "/graphql?query=%7B__typename%7D",
        "/healthz",
        "/attachments/abc",
    ] {
        let (_, h, _) = get(&f.t, path, Some(&f.citizen)).await;
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
    }
}

#[cfg(unix)]
#[tokio::test]
async fn stored_files_are_readable_by_the_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let f = flow().await;
    let data_dir = f.t.app.state.config.data_dir.clone();
    // The payment key is kept in the database, not beside the files (on
    // PostgreSQL the tests share one data directory, where an older
    // version's key file may lie: only a private one tells).
    if crate::helpers::postgres_url().is_none() {
        assert!(!data_dir.join("payment-callback.key").exists());
    }

    let attachment = dossier_with_attachment(&f).await;
    let stored =
        motcua::services::attachments::path_of(&data_dir, attachment["sha256"].as_str().unwrap());
    assert_eq!(mode(&stored), 0o600);
    assert_eq!(mode(&data_dir.join("attachments")), 0o700);
    // …and the two-hex-digit folder it sits in.
    assert_eq!(mode(stored.parent().unwrap()), 0o700);
}

const REGISTER: &str = "mutation($i: RegisterCitizenInput!) { registerCitizen(input: $i) { id } }";

fn citizen_with(password: &str) -> Value {
    json!({ "i": { "fullName": "Trần Thị Bình", "citizenId": "051195004321", "phone": "+84 905 111 222", "email": "Binh@Example.vn", "password": password } })
}

/// The first error's code, field and message.
fn refusal(v: &Value) -> (&str, &str, &str) {
    let e = &v["errors"][0];
    (
        e["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("{v:#}")),
        e["extensions"]["field"]
            .as_str()
            .unwrap_or_else(|| panic!("{v:#}")),
        e["message"].as_str().unwrap(),
    )
}

#[tokio::test]
async fn common_passwords_and_the_accounts_own_identifiers_are_refused_at_registration() {
    let t = TestApp::spawn_empty().await;
    let en = [("accept-language", "en")];
    for (password, why) in [
        ("12345678", "too common"),
        ("password", "too common"),
        ("Password1", "too common"),
        ("binh@example.vn", "must not contain"),
        ("mk-051195004321", "must not contain"),
        ("0905111222-ok-ok", "must not contain"),
    ] {
        let v = t
            .gql_with(None, REGISTER, citizen_with(password), &en)
            .await;
        let (code, field, message) = refusal(&v);
        assert_eq!(
            (code, field),
            ("BAD_USER_INPUT", "password"),
            "{password}: {v}"
        );
        assert!(message.contains(why), "{password}: {message}");
        assert!(v["data"].is_null());
    }
    // In Vietnamese by default.
    let v = t.gql(None, REGISTER, citizen_with("12345678")).await;
    assert!(refusal(&v).2.contains("quá phổ biến"), "{v}");
    // Nothing was stored: the same person registers with a good password.
    t.data(None, REGISTER, citizen_with("hoa-sen-no-giua-dong"))
        .await;
    t.login("051195004321", "hoa-sen-no-giua-dong").await;
}

#[tokio::test]
async fn organisations_and_password_changes_follow_the_same_rule() {
    let t = TestApp::spawn().await;
    let q = "mutation($i: RegisterOrganisationInput!) { registerOrganisation(input: $i) { id } }";
    let organisation = |password: &str| json!({ "i": { "name": "Công ty TNHH Sông Trà", "taxCode": "4300123458-001", "phone": "0255 3822 999", "email": "st@x.vn", "password": password } });
    for password in ["4300123458abc", "songtra2026", "qwerty123"] {
        let v = t.gql(None, q, organisation(password)).await;
        let (code, field, _) = refusal(&v);
        assert_eq!((code, field), ("BAD_USER_INPUT", "password"), "{password}");
    }

    let citizen = t.login_demo("congdan@demo.motcua.vn").await;
    for new in ["congdan@demo.motcua.vn", "iloveyou", "NguyenVanAn1"] {
        let v = t
            .gql(
                Some(&citizen),
                CHANGE_PASSWORD,
                json!({ "c": helpers::DEMO_PASSWORD, "n": new }),
            )
            .await;
        let (code, field, _) = refusal(&v);
        assert_eq!(
            (code, field),
            ("BAD_USER_INPUT", "newPassword"),
            "{new}: {v}"
        );
    }
    t.data(
        Some(&citizen),
        CHANGE_PASSWORD,
        json!({ "c": helpers::DEMO_PASSWORD, "n": "hoa-sen-no-giua-dong" }),
    )
    .await;
}
