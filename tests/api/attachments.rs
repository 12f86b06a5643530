//! Attachments over the GraphQL multipart request spec: stored on disk by
//! SHA-256, typed by content, bounded in size, readable by the dossier's
//! readers only.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tower::ServiceExt;

use crate::fixtures::{flow, flow_with, register_other_citizen};
use crate::helpers::{self, error_code, error_field, pdf, Options};

const UPLOAD: &str = "mutation($f: Upload!, $d: ID!) { uploadAttachment(dossierId: $d, component: \"Đơn đề nghị\", file: $f) { id filename contentType sizeBytes sha256 downloadUrl } }";

fn multipart(token: &str, dossier_id: &Value, filename: &str, bytes: &[u8]) -> Request<Body> {
    helpers::multipart(
        token,
        UPLOAD,
        json!({ "d": dossier_id }),
        "f",
        filename,
        bytes,
    )
}

#[tokio::test]
async fn an_applicant_attaches_a_pdf_stored_by_its_digest() {
    let f = flow().await;
    let d = f.draft().await;
    let bytes = pdf(5_000);
    let (status, v) =
        f.t.send(multipart(
            &f.citizen,
            &d["id"],
            "../Đơn đề nghị.pdf",
            &bytes,
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let a = &v["data"]["uploadAttachment"];
    let digest = hex::encode(Sha256::digest(&bytes));
    assert_eq!(a["sha256"], digest.as_str());
    assert_eq!(
        (a["contentType"].as_str(), a["sizeBytes"].as_i64()),
        (Some("application/pdf"), Some(5_000))
    );
    assert_eq!(a["filename"], "Đơn đề nghị.pdf");
    // On disk, not in the database.
    let path = motcua::services::attachments::path_of(&f.t.app.state.config.data_dir, &digest);
    assert_eq!(std::fs::read(&path).unwrap(), bytes);

    // Downloaded by the dossier's readers only.
    let url = a["downloadUrl"].as_str().unwrap().to_owned();
    let get = |token: &str| {
        Request::get(&url)
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap()
    };
    let resp = f.t.app.router().oneshot(get(&f.citizen)).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        resp.into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
        bytes
    );
    // Analysts see dossiers masked, so never their files (once submitted:
    // a draft does not exist for them at all).
    f.ok(&f.citizen, "submitDossier", &d, "").await;
    let analyst = f.t.login_demo("phantich@demo.motcua.vn").await;
    let resp = f.t.app.router().oneshot(get(&analyst)).await.unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let other = register_other_citizen(&f.t).await;
    let resp = f.t.app.router().oneshot(get(&other)).await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let resp =
        f.t.app
            .router()
            .oneshot(Request::get(&url).body(Body::empty()).unwrap())
            .await
            .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);

    let listed =
        f.t.data(
            Some(&f.citizen),
            "query($id: ID!) { dossier(id: $id) { attachments { component sha256 } } }",
            json!({ "id": d["id"] }),
        )
        .await;
    assert_eq!(
        listed["dossier"]["attachments"][0]["component"],
        "Đơn đề nghị"
    );
}

#[tokio::test]
async fn files_of_other_types_or_at_the_wrong_time_are_refused() {
    let f = flow().await;
    let d = f.draft().await;
    let (_, v) =
        f.t.send(multipart(
            &f.citizen,
            &d["id"],
            "setup.pdf",
            b"MZ\x90\x00 not a pdf",
        ))
        .await;
    assert_eq!(
        (error_code(&v), error_field(&v)),
        ("BAD_USER_INPUT", "file")
    );
    let submitted = f.ok(&f.citizen, "submitDossier", &d, "").await;
    let (_, v) =
        f.t.send(multipart(
            &f.citizen,
            &submitted["id"],
            "late.pdf",
            &pdf(100),
        ))
        .await;
    assert_eq!(error_code(&v), "INVALID_TRANSITION");
    // The reception officer may add a file at the counter.
    let (_, v) =
        f.t.send(multipart(
            &f.reception,
            &submitted["id"],
            "scan.pdf",
            &pdf(100),
        ))
        .await;
    assert!(v.get("errors").is_none(), "{v}");
    let (_, v) =
        f.t.send(multipart(
            &f.specialist,
            &submitted["id"],
            "scan.pdf",
            &pdf(100),
        ))
        .await;
    assert_eq!(error_code(&v), "FORBIDDEN");
}

#[tokio::test]
async fn oversized_files_are_refused() {
    let f = flow_with(Options {
        demo: true,
        tune: |c| c.upload_max_bytes = 4_096,
        ..Default::default()
    })
    .await;
    let d = f.draft().await;
    let (status, v) =
        f.t.send(multipart(&f.citizen, &d["id"], "big.pdf", &pdf(10_000)))
            .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    let (_, v) =
        f.t.send(multipart(&f.citizen, &d["id"], "small.pdf", &pdf(4_000)))
            .await;
    assert!(v.get("errors").is_none(), "{v}");
}
