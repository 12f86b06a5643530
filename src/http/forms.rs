//! `GET /dossiers/{id}/forms/{form}.pdf`: a dossier's printable forms
//! (Circular 03/2025/TT-VPCP, Mẫu số 01–06) as PDF, for whoever may read
//! the dossier's personal data (`services::forms::page`).

mod pdf;

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::session::{parse_id, refuse};
use super::{Session, Web};
use crate::domain::forms::Form;
use crate::error::{AppError, Missing};

/// The forms' routes, merged into `http::router`.
pub(super) fn routes() -> Router<Web> {
    Router::new().route("/dossiers/{id}/forms/{form}", get(download_form))
}

/// Form `form` (`01.pdf` … `06.pdf`) of dossier `id` as
/// `application/pdf`, inline, named `{code}-mau-{form}.pdf` (`ho-so-{id}-…` before the dossier has a
/// code). Refusals are
/// JSON like every download's: 401 without a session; 404 NOT_FOUND for a
/// dossier that does not exist or that the caller may not read, for a form
/// number other than 01–06, and for a form the dossier has not been issued;
/// 403 FORBIDDEN for analysts and postal staff (no personal data).
async fn download_form(
    State(app): State<Web>,
    Path((id, form)): Path<(String, String)>,
    session: Session,
) -> Response {
    let Session { actor, meta } = session;
    let Some(id) = parse_id(&id) else {
        return refuse(&meta, AppError::NotFound(Missing::Dossier));
    };
    let Some(form) = form.strip_suffix(".pdf").and_then(Form::parse) else {
        return refuse(&meta, AppError::NotFound(Missing::Form));
    };
    let caller = crate::services::Caller::new(Some(&actor), &meta.request_id, &meta.client_addr);
    let page = match crate::services::forms::page(&app.state, &caller, id, form).await {
        Ok(p) => p,
        Err(e) => return refuse(&meta, e),
    };
    // Drawing a page is CPU work of some milliseconds: off the async workers.
    let drawn = tokio::task::spawn_blocking(move || {
        let code: String = page
            .code
            .clone()
            .unwrap_or_else(|| format!("ho-so-{id}"))
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
            .collect();
        pdf::render(&page).map(|bytes| (bytes, code))
    })
    .await;
    let (bytes, code) = match drawn {
        Ok(Ok(done)) => done,
        Ok(Err(e)) => return refuse(&meta, e),
        Err(e) => return refuse(&meta, AppError::internal(e)),
    };
    let disposition = format!("inline; filename=\"{code}-mau-{}.pdf\"", form.number());
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response()
}
