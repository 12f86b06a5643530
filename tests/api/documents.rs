//! The data store (Quảng Ngãi Art. 10): upload, list and delete one's own
//! documents; reuse a valid one in a dossier (an expired one is refused);
//! the dossier's copy outlives the stored one; results saved on return.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{Duration, NaiveDate};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use crate::fixtures::{flow, register_other_citizen, Flow};
use crate::helpers::{error_code, error_field, multipart, pdf};

const UPLOAD_DOC: &str = "mutation($f: Upload!, $i: DocumentInput!) { uploadDocument(input: $i, file: $f) { id docType number validUntil valid sha256 source downloadUrl } }";
const MINE: &str = "{ myDocuments { totalCount edges { node { id docType number issuer source sourceDossierId valid sha256 } } } }";
const ATTACH: &str = "mutation($d: ID!, $c: String!, $doc: ID!) { attachStoredDocument(dossierId: $d, component: $c, documentId: $doc) { id component sha256 fromDataStore kind downloadUrl } }";

fn today(f: &Flow) -> NaiveDate {
    let st = &f.t.app.state;
    st.clock
        .now()
        .with_timezone(&st.config.calendar.tz)
        .date_naive()
}

async fn upload(f: &Flow, token: &str, input: Value, bytes: &[u8]) -> Value {
    let (status, v) =
        f.t.send(multipart(
            token,
            UPLOAD_DOC,
            json!({ "i": input }),
            "f",
            "so-do.pdf",
            bytes,
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v
}

/// The component of the demo procedure that takes a stored land-use
/// certificate (GCN_QSDD).
async fn land_component(f: &Flow) -> String {
    let v = f
        .t
        .data(
            None,
            "query($id: ID!) { procedure(id: $id) { current { components { name dataStoreDocumentType } } } }",
            json!({ "id": f.procedure["id"] }),
        )
        .await;
    v["procedure"]["current"]["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["dataStoreDocumentType"] == "GCN_QSDD")
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .expect("a component taking GCN_QSDD")
}

async fn get(f: &Flow, url: &str, token: &str) -> (StatusCode, Vec<u8>) {
    let resp =
        f.t.app
            .router()
            .oneshot(
                Request::get(url)
                    .header("authorization", format!("Bearer {token}"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
    let status = resp.status();
    (
        status,
        resp.into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
}

#[tokio::test]
async fn a_stored_document_satisfies_a_component_and_outlives_its_deletion() {
    let f = flow().await;
    let bytes = pdf(3_000);
    let valid_until = today(&f) + Duration::days(365);
    let v = upload(
        &f,
        &f.citizen,
        json!({ "docType": "GCN_QSDD", "number": "CS 01234", "issuer": "Sở Nông nghiệp và Môi trường", "issuedOn": "2020-05-04", "validUntil": valid_until.to_string() }),
        &bytes,
    )
    .await;
    let doc = v["data"]["uploadDocument"].clone();
    assert_eq!(
        (
            doc["docType"].as_str(),
            doc["valid"].as_bool(),
            doc["source"].as_str()
        ),
        (Some("GCN_QSDD"), Some(true), Some("UPLOAD"))
    );
    let cccd = upload(
        &f,
        &f.citizen,
        json!({ "docType": "CCCD", "number": "051090001234" }),
        &pdf(2_000),
    )
    .await["data"]["uploadDocument"]
        .clone();
    let mine = f.t.data(Some(&f.citizen), MINE, json!({})).await;
    assert_eq!(mine["myDocuments"]["totalCount"], 2);

    // Nobody reads another account's store.
    let other = register_other_citizen(&f.t).await;
    let theirs = f.t.data(Some(&other), MINE, json!({})).await;
    assert_eq!(theirs["myDocuments"]["totalCount"], 0);
    let url = doc["downloadUrl"].as_str().unwrap().to_owned();
    assert_eq!(get(&f, &url, &other).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        get(&f, &url, &f.citizen).await,
        (StatusCode::OK, bytes.clone())
    );
    let v =
        f.t.gql(
            Some(&other),
            "mutation($id: ID!) { deleteDocument(id: $id) }",
            json!({ "id": doc["id"] }),
        )
        .await;
    assert_eq!(error_code(&v), "NOT_FOUND");
    // Officials keep no store.
    let v = f.t.gql(Some(&f.reception), MINE, json!({})).await;
    assert_eq!(error_code(&v), "FORBIDDEN");

    let d = f.draft().await;
    let component = land_component(&f).await;
    let vars = |doc: &Value| json!({ "d": d["id"], "c": component, "doc": doc["id"] });
    // The component names the type it takes.
    let v = f.t.gql(Some(&f.citizen), ATTACH, vars(&cccd)).await;
    assert_eq!(
        (error_code(&v), error_field(&v)),
        ("BAD_USER_INPUT", "documentId")
    );
    // Another account's document does not exist for the applicant.
    let foreign = upload(&f, &other, json!({ "docType": "GCN_QSDD" }), &pdf(1_000)).await["data"]
        ["uploadDocument"]
        .clone();
    let v = f.t.gql(Some(&f.citizen), ATTACH, vars(&foreign)).await;
    assert_eq!(error_code(&v), "NOT_FOUND");
    // Nor does the applicant's dossier for someone else.
    let v = f.t.gql(Some(&other), ATTACH, vars(&foreign)).await;
    assert_eq!(error_code(&v), "NOT_FOUND");

    let a = f.t.data(Some(&f.citizen), ATTACH, vars(&doc)).await["attachStoredDocument"].clone();
    assert_eq!(
        (
            a["fromDataStore"].as_bool(),
            a["kind"].as_str(),
            a["sha256"].as_str()
        ),
        (Some(true), Some("COMPONENT"), doc["sha256"].as_str())
    );
    assert_eq!(a["component"], component.as_str());

    // Deleted from the store: the dossier keeps its copy.
    let del =
        f.t.data(
            Some(&f.citizen),
            "mutation($id: ID!) { deleteDocument(id: $id) }",
            json!({ "id": doc["id"] }),
        )
        .await;
    assert_eq!(del["deleteDocument"], true);
    assert_eq!(get(&f, &url, &f.citizen).await.0, StatusCode::NOT_FOUND);
    let mine = f.t.data(Some(&f.citizen), MINE, json!({})).await;
    assert_eq!(mine["myDocuments"]["totalCount"], 1);
    let listed = f
        .t
        .data(
            Some(&f.citizen),
            "query($id: ID!) { dossier(id: $id) { attachments { sha256 fromDataStore downloadUrl } } }",
            json!({ "id": d["id"] }),
        )
        .await;
    let kept = &listed["dossier"]["attachments"][0];
    assert_eq!(kept["sha256"], doc["sha256"]);
    let kept_url = kept["downloadUrl"].as_str().unwrap();
    assert_eq!(get(&f, kept_url, &f.citizen).await, (StatusCode::OK, bytes));
    // And it is submitted with it.
    let submitted = f.ok(&f.citizen, "submitDossier", &d, "").await;
    assert_eq!(submitted["status"], "SUBMITTED");
}

#[tokio::test]
async fn an_expired_document_is_refused() {
    let f = flow().await;
    let yesterday = today(&f) - Duration::days(1);
    // Already expired: refused at upload, naming the day it ended, and
    // nothing stored.
    let v = upload(
        &f,
        &f.citizen,
        json!({ "docType": "GCN_QSDD", "issuedOn": "2015-01-01", "validUntil": yesterday.to_string() }),
        &pdf(1_500),
    )
    .await;
    assert_eq!(
        (error_code(&v), error_field(&v)),
        ("BAD_USER_INPUT", "validUntil"),
        "{v}"
    );
    let mine =
        f.t.data(
            Some(&f.citizen),
            "{ myDocuments { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(mine["myDocuments"]["totalCount"], 0);
    // Valid through today when stored, expired once the day is over.
    let doc = upload(
        &f,
        &f.citizen,
        json!({ "docType": "GCN_QSDD", "issuedOn": "2015-01-01", "validUntil": today(&f).to_string() }),
        &pdf(1_500),
    )
    .await["data"]["uploadDocument"]
    .clone();
    assert_eq!(doc["valid"], true);
    f.t.app.state.clock.advance(Duration::days(1));
    let f = f.relogin().await;
    let d = f.draft().await;
    let component = land_component(&f).await;
    let v =
        f.t.gql(
            Some(&f.citizen),
            ATTACH,
            json!({ "d": d["id"], "c": component, "doc": doc["id"] }),
        )
        .await;
    assert_eq!(
        (error_code(&v), error_field(&v)),
        ("BAD_USER_INPUT", "documentId")
    );
    let message = v["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("hết hiệu lực"), "{message}");
    // Nothing was attached.
    let listed =
        f.t.data(
            Some(&f.citizen),
            "query($id: ID!) { dossier(id: $id) { attachments { id } } }",
            json!({ "id": d["id"] }),
        )
        .await;
    assert_eq!(listed["dossier"]["attachments"], json!([]));
    // Dates that contradict each other are refused at upload.
    let (_, v) = f
        .t
        .send(multipart(
            &f.citizen,
            UPLOAD_DOC,
            json!({ "i": { "docType": "CCCD", "issuedOn": "2020-01-02", "validUntil": "2020-01-01" } }),
            "f",
            "cccd.pdf",
            &pdf(1_000),
        ))
        .await;
    assert_eq!(
        (error_code(&v), error_field(&v)),
        ("BAD_USER_INPUT", "validUntil")
    );
}

#[tokio::test]
async fn the_result_of_a_returned_dossier_goes_into_the_applicants_store() {
    let f = flow().await;
    const RESULT: &str = "mutation($f: Upload!, $d: ID!) { uploadResult(dossierId: $d, file: $f) { id kind component sha256 } }";
    // Without an electronic result, nothing can be returned online.
    let plain = f.processing().await;
    let plain = f.approved(&plain).await;
    f.paid(&plain).await;
    let v = f
        .act(&f.reception, "returnResult", &plain, ", method: ONLINE")
        .await;
    assert_eq!(error_code(&v), "INVALID_TRANSITION");

    let d = f.processing().await;
    let bytes = pdf(4_000);
    let upload_as = |token: &str| {
        multipart(
            token,
            RESULT,
            json!({ "d": d["id"] }),
            "f",
            "giay-phep.pdf",
            &bytes,
        )
    };
    let (_, v) = f.t.send(upload_as(&f.citizen)).await;
    assert_eq!(error_code(&v), "FORBIDDEN");
    let (status, v) = f.t.send(upload_as(&f.specialist)).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let r = v["data"]["uploadResult"].clone();
    assert_eq!(r["kind"], "RESULT");
    let d = f.approved(&d).await;
    f.paid(&d).await;
    let d = f
        .ok(&f.reception, "returnResult", &d, ", method: ONLINE")
        .await;
    assert_eq!(d["status"], "RETURNED");

    let mine = f.t.data(Some(&f.citizen), MINE, json!({})).await;
    let docs = mine["myDocuments"]["edges"].as_array().unwrap();
    assert_eq!(docs.len(), 1);
    let saved = &docs[0]["node"];
    assert_eq!(
        (
            saved["source"].as_str(),
            saved["sourceDossierId"].as_str(),
            saved["sha256"].as_str()
        ),
        (Some("RESULT"), d["id"].as_str(), r["sha256"].as_str())
    );
    // It carries the procedure's result type code (issue 16): a component
    // requiring GIAY_PHEP_XAY_DUNG takes it.
    assert_eq!(saved["docType"], "GIAY_PHEP_XAY_DUNG");
    assert_ne!(r["component"], "GIAY_PHEP_XAY_DUNG");
    assert_eq!(saved["number"], d["code"]);
    assert!(
        saved["issuer"].as_str().unwrap().starts_with("Sở"),
        "{saved}"
    );
    // Nothing else was saved for the dossier returned without a file.
    f.paid(&plain).await;
    f.ok(&f.reception, "returnResult", &plain, ", method: COUNTER")
        .await;
    let mine = f.t.data(Some(&f.citizen), MINE, json!({})).await;
    assert_eq!(mine["myDocuments"]["totalCount"], 1);
}
