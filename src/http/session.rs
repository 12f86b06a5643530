//! Who is calling an HTTP route, and the route's path ids: axum extractors
//! whose refusals have the GraphQL error shape
//! (`{"errors":[{"message":…,"extensions":{"code":…}}]}`).
//!
//! Every route outside `/graphql` that serves data takes [`Session`]: it
//! authenticates the bearer token (`services::accounts::authenticate`) and
//! then asks the one session check, `domain::authz::admit`, whether this
//! session may be used here — the same check the GraphQL policy makes for
//! every root field over HTTP and WebSocket.

use std::convert::Infallible;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRef, FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{header, Extensions, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::Web;
use crate::domain::authz::{admit, Actor, EntryPoint};
use crate::error::{AppError, Lang};
use crate::services::accounts;

pub(crate) const X_REQUEST_ID: &str = "x-request-id";

/// What every route needs to know about a request besides its body, read
/// in one place for GraphQL over HTTP, the WebSocket and the downloads:
/// the caller's language (`Accept-Language` with q-values), the request id
/// set by the request-id layer (`-` without one), and the client's address.
///
/// As an extractor it never refuses.
#[derive(Debug, Clone)]
pub struct RequestMeta {
    /// Vietnamese unless `Accept-Language` prefers English.
    pub lang: Lang,
    /// The `x-request-id` header the request-id layer set (a UUID), or `-`.
    pub request_id: String,
    /// The peer's IP address or, behind a trusted load balancer
    /// (`MOTCUA_TRUST_FORWARDED_FOR`), the last `X-Forwarded-For` entry;
    /// `local` when neither is known (a request through the router alone).
    pub client_addr: String,
}

impl RequestMeta {
    /// Reads the headers and the connection info axum left in `extensions`.
    pub fn read(headers: &HeaderMap, extensions: &Extensions, trust_forwarded_for: bool) -> Self {
        let peer = extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
        RequestMeta {
            lang: Lang::from_accept_language(
                headers
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok()),
            ),
            request_id: headers
                .get(X_REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-")
                .to_owned(),
            client_addr: client_address(headers, peer, trust_forwarded_for),
        }
    }
}

impl<S> FromRequestParts<S> for RequestMeta
where
    Web: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let trust = Web::from_ref(state).state.config.trust_forwarded_for;
        Ok(RequestMeta::read(&parts.headers, &parts.extensions, trust))
    }
}

/// The client's address: the peer, or behind a trusted load balancer the
/// last address it appended to X-Forwarded-For.
fn client_address(
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
    trust_forwarded_for: bool,
) -> String {
    if trust_forwarded_for {
        if let Some(addr) = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .map(str::trim)
            .filter(|v| !v.is_empty())
        {
            return addr.to_owned();
        }
    }
    peer.map(|p| p.ip().to_string())
        .unwrap_or_else(|| "local".into())
}

/// A GraphQL-shaped refusal outside the executor (bad body, batch, GET
/// mutation, bad token, a download refused): `{"errors": [envelope]}`
/// (`AppError::envelope`, which logs an `INTERNAL` with the request id).
pub(crate) fn refusal(status: StatusCode, meta: &RequestMeta, err: AppError) -> Response {
    (status, Json(refusal_body(meta, err))).into_response()
}

/// The body of a refusal: `{"errors": [envelope]}`, a GraphQL response
/// without `data`.
pub(crate) fn refusal_body(meta: &RequestMeta, err: AppError) -> serde_json::Value {
    let envelope = err.envelope(meta.lang, &meta.request_id, "http");
    json!({ "errors": [envelope.to_json()] })
}

/// The HTTP status of an error answered outside GraphQL.
pub(crate) fn http_status(e: &AppError) -> StatusCode {
    status_of_code(e.code())
}

/// The HTTP status that goes with an error's `extensions.code`, for an
/// error of ours or one relayed from a GraphQL answer (an export's).
pub(crate) fn status_of_code(code: &str) -> StatusCode {
    use crate::error::code as c;
    match code {
        c::UNAUTHENTICATED => StatusCode::UNAUTHORIZED,
        c::NOT_FOUND => StatusCode::NOT_FOUND,
        c::FORBIDDEN | c::PASSWORD_CHANGE_REQUIRED => StatusCode::FORBIDDEN,
        c::RATE_LIMITED => StatusCode::TOO_MANY_REQUESTS,
        c::INTERNAL => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    }
}

/// [`refusal`] with the status that goes with the error.
pub(crate) fn refuse(meta: &RequestMeta, err: AppError) -> Response {
    refusal(http_status(&err), meta, err)
}

/// The caller behind the Authorization header: none without one,
/// `UNAUTHENTICATED` for a bad, revoked or expired token (the client must
/// drop it: it is never taken for no token), `INTERNAL` when the sessions
/// cannot be read. Entry points then apply `domain::authz::admit`.
pub(crate) async fn signed_in(app: &Web, headers: &HeaderMap) -> Result<Option<Actor>, AppError> {
    match bearer(headers)? {
        Some(token) => accounts::authenticate(&app.state, token).await.map(Some),
        None => Ok(None),
    }
}

/// The token of `Authorization: Bearer <token>` (the scheme in any case,
/// RFC 9110 §11.1). None without the header or with an empty token (what
/// clients send before sign-in); UNAUTHENTICATED for any other scheme or a
/// value that is not text: a credential the server cannot read is never
/// taken for none.
fn bearer(headers: &HeaderMap) -> Result<Option<&str>, AppError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| AppError::Unauthenticated)?
        .trim();
    if value.is_empty() {
        return Ok(None);
    }
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AppError::Unauthenticated);
    }
    let token = token.trim();
    Ok((!token.is_empty()).then_some(token))
}

/// A signed-in caller whose session may be used on an HTTP route
/// (`admit(actor, EntryPoint::Http)`), with the request's [`RequestMeta`].
///
/// Refusals: 401 `UNAUTHENTICATED` without a token or with a bad, revoked
/// or expired one; 403 `PASSWORD_CHANGE_REQUIRED` while the account holds
/// a one-time password.
pub struct Session {
    pub actor: Actor,
    pub meta: RequestMeta,
}

impl<S> FromRequestParts<S> for Session
where
    Web: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let app = Web::from_ref(state);
        let meta = RequestMeta::read(
            &parts.headers,
            &parts.extensions,
            app.state.config.trust_forwarded_for,
        );
        let actor = signed_in(&app, &parts.headers)
            .await
            .and_then(|actor| actor.ok_or(AppError::Unauthenticated))
            .map_err(|e| refuse(&meta, e))?;
        admit(&actor, EntryPoint::Http).map_err(|d| refuse(&meta, d.into()))?;
        Ok(Session { actor, meta })
    }
}

/// A database id in the path (`/attachments/{id}`): a positive integer,
/// or `None` for anything else (`abc`, `-1`, a number past `i64`), which
/// the route answers as 404 `NOT_FOUND` — an id that cannot exist is simply
/// not found. Never rejects, so that axum's plain-text 400 never answers.
pub struct PathId(pub Option<i64>);

impl<S> FromRequestParts<S> for PathId
where
    S: Send + Sync,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let id = Path::<String>::from_request_parts(parts, state)
            .await
            .ok()
            .and_then(|Path(raw)| parse_id(&raw));
        Ok(PathId(id))
    }
}

/// A positive decimal id, the way ids are written in URLs.
pub(super) fn parse_id(raw: &str) -> Option<i64> {
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    raw.parse::<i64>().ok().filter(|id| *id > 0)
}

#[cfg(test)]
mod tests {
    use super::parse_id;

    #[test]
    fn only_positive_decimal_ids_parse() {
        assert_eq!(parse_id("42"), Some(42));
        for bad in [
            "",
            "abc",
            "-1",
            "0",
            "+5",
            " 5",
            "1e3",
            "99999999999999999999",
        ] {
            assert_eq!(parse_id(bad), None, "{bad:?}");
        }
    }
}
