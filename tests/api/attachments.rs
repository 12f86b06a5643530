//! Attachments over the GraphQL multipart request spec: stored by SHA-256
//! (on disk, or in an S3 bucket every instance reads), typed by content,
//! bounded in size, readable by the dossier's readers only.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tower::ServiceExt;

use crate::fixtures::{flow, flow_with, register_other_citizen};
use crate::helpers::{self, error_code, error_field, pdf, Options, OwnS3, ServerProcess};

const UPLOAD: &str = "mutation($f: Upload!, $d: ID!) { uploadAttachment(dossierId: $d, component: \"Đơn đề nghị cấp giấy phép xây dựng theo Mẫu số 01 Phụ lục II Nghị định số 175/2024/NĐ-CP\", file: $f) { id filename contentType sizeBytes sha256 downloadUrl } }";

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
        "Đơn đề nghị cấp giấy phép xây dựng theo Mẫu số 01 Phụ lục II Nghị định số 175/2024/NĐ-CP"
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

#[tokio::test]
async fn a_file_uploaded_through_one_instance_downloads_through_another_from_s3() {
    let test =
        "attachments::a_file_uploaded_through_one_instance_downloads_through_another_from_s3";
    let Some(s3) = OwnS3::start(test).await else {
        return;
    };
    s3.create_bucket("motcua-files").await;
    // The database, the demo, a signed-in applicant and a draft.
    let f = flow().await;
    let d = f.draft().await;
    let url = secrecy::ExposeSecret::expose_secret(&f.t.app.state.config.database_url).to_owned();
    let mut env = s3.env("motcua-files");
    env.push(("MOTCUA_DATABASE_URL", url));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    // Two server processes, each with its own data directory.
    let one = ServerProcess::start(&env).await;
    let other = ServerProcess::start(&env).await;
    let http = helpers::http_client();

    let bytes = pdf(1_000_000);
    let (content_type, body) =
        helpers::multipart_body(UPLOAD, json!({ "d": d["id"] }), "f", "Bản vẽ.pdf", &bytes);
    let answer = http
        .post(one.url("/graphql"))
        .header("content-type", content_type)
        .header("authorization", format!("Bearer {}", f.citizen))
        .body(body)
        .send()
        .await
        .unwrap();
    let v: Value = serde_json::from_slice(&answer.bytes().await.unwrap()).unwrap();
    let a = &v["data"]["uploadAttachment"];
    let digest = hex::encode(Sha256::digest(&bytes));
    assert_eq!(a["sha256"], digest.as_str(), "{v}");

    let got = http
        .get(other.url(a["downloadUrl"].as_str().unwrap()))
        .header("authorization", format!("Bearer {}", f.citizen))
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), StatusCode::OK);
    assert!(got.bytes().await.unwrap() == bytes, "different bytes");
    // In the bucket, under the same key as on disk; in no data directory.
    let stored = s3
        .get(
            "motcua-files",
            &format!("attachments/{}/{digest}", &digest[..2]),
        )
        .await;
    assert!(stored == bytes, "not in the bucket");
    for server in [&one, &other] {
        let local = motcua::services::attachments::path_of(server.data.path(), &digest);
        assert!(!local.exists(), "{} exists", local.display());
    }
}

#[tokio::test]
async fn a_missing_stored_file_answers_internal_with_the_request_id() {
    let f = flow().await;
    let d = f.draft().await;
    let (_, v) =
        f.t.send(multipart(&f.citizen, &d["id"], "a.pdf", &pdf(700)))
            .await;
    let a = &v["data"]["uploadAttachment"];
    let path = motcua::services::attachments::path_of(
        &f.t.app.state.config.data_dir,
        a["sha256"].as_str().unwrap(),
    );
    std::fs::remove_file(&path).unwrap();
    let resp =
        f.t.app
            .router()
            .oneshot(
                Request::get(a["downloadUrl"].as_str().unwrap())
                    .header("authorization", format!("Bearer {}", f.citizen))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
    assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let request_id = resp.headers()["x-request-id"].to_str().unwrap().to_owned();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(error_code(&v), "INTERNAL", "{v}");
    assert_eq!(
        v["errors"][0]["extensions"]["requestId"],
        request_id.as_str()
    );
    assert!(
        !v.to_string().contains("attachments/"),
        "a path leaked: {v}"
    );
}
