//! HTTP: `/graphql` (POST; GET for queries only), `/graphiql`, the
//! WebSocket endpoint `/graphql/ws`, the downloads, `/healthz`, `/readyz`,
//! and the tower layers (request ids, tracing, body limit, timeout, CORS,
//! security headers).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql::parser::types::OperationType;
use async_graphql_axum::{GraphQLProtocol, GraphQLRequest, GraphQLWebSocket};
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{FromRequest, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use tower_http::cors::{AllowOrigin, Any, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use tracing::instrument::WithSubscriber;

use crate::error::{AppError, Missing};
use crate::graphql::context::RequestContext;
use crate::graphql::loaders::loaders;
use crate::graphql::policy::{envelope_error, Executed};
use crate::graphql::MotcuaSchema;
use crate::state::AppState;

mod exports;
mod forms;
mod media;
mod session;
pub mod ws;

use media::Media;
use session::{refusal, refuse, signed_in, RequestMeta, X_REQUEST_ID};
pub use session::{PathId, Session};

/// The playground's page and its files, served from the binary itself so
/// that it works on an isolated network: our page, start-up script and
/// styles, and GraphiQL 3 with React 18 vendored from the npm registry by
/// `src/http/graphiql/update.sh` (pinned versions and SHA-256 in
/// `src/http/graphiql/VERSIONS`). (path, content type, body).
const PLAYGROUND_FILES: [(&str, &str, &str); 7] = [
    (
        "/graphiql",
        "text/html; charset=utf-8",
        include_str!("graphiql/index.html"),
    ),
    (
        "/graphiql/app.js",
        "text/javascript; charset=utf-8",
        include_str!("graphiql/app.js"),
    ),
    (
        "/graphiql/app.css",
        "text/css; charset=utf-8",
        include_str!("graphiql/app.css"),
    ),
    (
        "/graphiql/vendor/graphiql.min.js",
        "text/javascript; charset=utf-8",
        include_str!("graphiql/graphiql.min.js"),
    ),
    (
        "/graphiql/vendor/graphiql.min.css",
        "text/css; charset=utf-8",
        include_str!("graphiql/graphiql.min.css"),
    ),
    (
        "/graphiql/vendor/react.production.min.js",
        "text/javascript; charset=utf-8",
        include_str!("graphiql/react.production.min.js"),
    ),
    (
        "/graphiql/vendor/react-dom.production.min.js",
        "text/javascript; charset=utf-8",
        include_str!("graphiql/react-dom.production.min.js"),
    ),
];

/// What every route reads: the shared state and the GraphQL schema.
#[derive(Clone)]
pub struct Web {
    /// What the use cases read.
    pub state: AppState,
    /// The schema, with its limits and the error policy.
    pub schema: MotcuaSchema,
}

/// The whole HTTP surface over `state` and `schema`, with its tower layers.
pub fn router(state: AppState, schema: MotcuaSchema) -> Router {
    let app = Web { state, schema };
    let config = app.state.config.clone();
    let cors = {
        let base = CorsLayer::new()
            .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::ACCEPT_LANGUAGE,
            ])
            // A browser client reads a download's file name and any
            // answer's request id across origins.
            .expose_headers([
                header::CONTENT_DISPOSITION,
                header::HeaderName::from_static(X_REQUEST_ID),
            ])
            .max_age(Duration::from_secs(3600));
        if config.cors_origins.is_empty() {
            base.allow_origin(Any)
        } else {
            let origins: Vec<HeaderValue> = config
                .cors_origins
                .iter()
                .filter_map(|o| HeaderValue::from_str(o).ok())
                .collect();
            base.allow_origin(AllowOrigin::list(origins))
        }
    };
    Router::new()
        .route(
            "/graphql",
            get(graphql_get)
                .post(graphql_post)
                // The statements each request runs (`store::counting`).
                .layer(axum::middleware::from_fn(count_statements)),
        )
        .merge(playground())
        .route("/graphql/ws", get(graphql_ws))
        .route("/attachments/{id}", get(download_attachment))
        .route("/documents/{id}", get(download_document))
        .merge(forms::routes())
        .route("/payments/callback", axum::routing::post(payment_callback))
        .merge(exports::routes())
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .fallback(no_route)
        .with_state(app)
        // Inside the routing, where the route's template is known.
        .layer(axum::middleware::from_fn(crate::telemetry::record_http))
        // A panic in a handler (ours or a library's) answers 500, which
        // json_errors below shapes as INTERNAL, instead of dropping the
        // connection; the process and the other requests go on.
        .layer(tower_http::catch_panic::CatchPanicLayer::new())
        // Innermost first: each Router::layer call wraps everything above it.
        // The outer bound covers a full multipart upload; JSON bodies get
        // the tighter MOTCUA_BODY_LIMIT_BYTES in read_request.
        .layer(RequestBodyLimitLayer::new(
            config.body_limit_bytes + config.upload_max_bytes * config.upload_max_files,
        ))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            config.request_timeout,
        ))
        // The layers above answer bare statuses (413, 408, 405): give them
        // the JSON error shape too.
        .layer(axum::middleware::from_fn(json_errors))
        // Every answer, downloads included: browsers must not guess a
        // content type other than the one we send (OWASP ASVS 5.0 V3.4).
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(cors)
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let id = req
                .headers()
                .get(X_REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-");
            tracing::info_span!("http", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        // Outermost: a client's request id is kept only when it fits where
        // it is stored (the audit records' request_id, 64 characters) and
        // is plain; otherwise the layer above draws a UUID.
        .layer(axum::middleware::map_request(plain_request_id))
}

/// Drops a client's X-Request-Id that is not 1 to 64 characters of
/// letters, digits, `-`, `_`, `.` or `:`.
async fn plain_request_id(mut req: Request) -> Request {
    let plain = req
        .headers()
        .get(X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            (1..=64).contains(&v.len())
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
        });
    if !plain {
        req.headers_mut().remove(X_REQUEST_ID);
    }
    req
}

/// A stored file a download serves.
#[derive(Clone, Copy)]
enum Stored {
    Attachment,
    Document,
}

/// An attachment's content, for whoever may read its dossier.
async fn download_attachment(
    State(app): State<Web>,
    PathId(id): PathId,
    session: Session,
) -> Response {
    download(app, Stored::Attachment, id, session).await
}

/// A document of the signed-in account's data store.
async fn download_document(
    State(app): State<Web>,
    PathId(id): PathId,
    session: Session,
) -> Response {
    download(app, Stored::Document, id, session).await
}

/// Streams a stored file: 401 without a session, 403
/// PASSWORD_CHANGE_REQUIRED or FORBIDDEN, 404 NOT_FOUND for an id that
/// does not exist, cannot exist, or names a file the caller may not read.
async fn download(app: Web, stored: Stored, id: Option<i64>, session: Session) -> Response {
    let Session { actor, meta } = session;
    let not_found = AppError::NotFound(match stored {
        Stored::Attachment => Missing::Attachment,
        Stored::Document => Missing::Document,
    });
    let Some(id) = id else {
        return refuse(&meta, not_found);
    };
    let caller = crate::services::Caller::new(Some(&actor), &meta.request_id, &meta.client_addr);
    let opened = match stored {
        Stored::Attachment => crate::services::attachments::open(&app.state, &caller, id)
            .await
            .map(|m| (m.filename, m.content_type, m.size_bytes, m.sha256)),
        Stored::Document => crate::services::documents::open(&app.state, &caller, id)
            .await
            .map(|m| (m.filename, m.content_type, m.size_bytes, m.sha256)),
    };
    let (filename, content_type, size_bytes, sha256) = match opened {
        Ok(found) => found,
        Err(e) => return refuse(&meta, e),
    };
    // Missing or unreachable: INTERNAL with the request id, logged.
    let content = match app.state.files.open(&sha256).await {
        Ok(c) => c,
        Err(e) => {
            let cause = e.context(format!("the content of {filename} cannot be read"));
            return refuse(&meta, cause.into());
        }
    };
    let body = axum::body::Body::from_stream(content);
    let disposition = format!("attachment; filename*=UTF-8''{}", percent_encode(&filename));
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CONTENT_LENGTH, size_bytes.to_string()),
        ],
        body,
    )
        .into_response()
}

/// The payment gateway's callback: the raw body signed with HMAC-SHA256
/// under the shared secret, hex in `X-Signature`. Answers JSON with a
/// `result` (CREDITED, ALREADY_RECORDED, NOT_SUCCESSFUL) or an `error`
/// (BAD_SIGNATURE 401, BAD_REQUEST 400, UNKNOWN_REFERENCE 404,
/// AMOUNT_MISMATCH 422, ALREADY_PAID 409, INTERNAL 500).
async fn payment_callback(
    State(app): State<Web>,
    meta: RequestMeta,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    use crate::services::payments::{callback, CallbackError as E, CallbackOutcome as O};
    let signature = headers.get("x-signature").and_then(|v| v.to_str().ok());
    let secret = app.state.payment_secret.clone();
    let paid = |result: &str, p: &entity::payment::Model| serde_json::json!({ "result": result, "reference": p.reference, "receiptNumber": p.receipt_number });
    let (status, value) = match callback(&app.state, &secret, &body, signature).await {
        Ok(O::Credited(p)) => (StatusCode::OK, paid("CREDITED", &p)),
        Ok(O::AlreadyRecorded(p)) => (StatusCode::OK, paid("ALREADY_RECORDED", &p)),
        Ok(O::NotSuccessful) => (
            StatusCode::OK,
            serde_json::json!({ "result": "NOT_SUCCESSFUL" }),
        ),
        Err(e) => {
            let status = match &e {
                E::BadSignature => StatusCode::UNAUTHORIZED,
                E::Malformed(_) => StatusCode::BAD_REQUEST,
                E::UnknownReference => StatusCode::NOT_FOUND,
                E::AmountMismatch { .. } => StatusCode::UNPROCESSABLE_ENTITY,
                E::AlreadyPaid | E::NothingOwed => StatusCode::CONFLICT,
                E::Internal(detail) => {
                    tracing::error!(request_id = meta.request_id, error = %detail, "payment callback failed");
                    StatusCode::INTERNAL_SERVER_ERROR
                }
            };
            let mut v = serde_json::json!({ "error": e.to_string() });
            match e {
                E::AmountMismatch { expected, got } => {
                    v["expectedVnd"] = expected.into();
                    v["receivedVnd"] = got.into();
                }
                E::Malformed(detail) => v["detail"] = detail.into(),
                _ => {}
            }
            (status, v)
        }
    };
    (status, axum::Json(value)).into_response()
}

/// RFC 5987 encoding for a Content-Disposition file name.
fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Any other path: 404 NOT_FOUND in the JSON error shape, like an id that
/// does not exist.
async fn no_route(meta: RequestMeta) -> Response {
    refuse(&meta, AppError::NotFound(Missing::Route))
}

async fn healthz() -> &'static str {
    "ok"
}

/// Ready when the database answers, and Redis too when configured.
/// `{ready, database, redis}`: 200 when the database answers, else 503;
/// `redis` is `null` when not configured, else whether it answers (a
/// detail: it does not make the instance unready).
async fn readyz(State(app): State<Web>) -> Response {
    let db = crate::store::ping(&app.state.db).await;
    let redis = match &app.state.redis {
        None => None,
        Some(client) => Some(redis_ping(client).await),
    };
    // Ready when the database answers: an instance serves every request
    // through a Redis outage (live events stay local, counters in memory),
    // so a load balancer must not take it out; Redis is reported as a
    // detail.
    let ready = db;
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(json!({ "ready": ready, "database": db, "redis": redis })),
    )
        .into_response()
}

/// Prometheus metrics (text format 0.0.4; `crate::telemetry` lists them).
/// Public like `/healthz`: counts and latencies, no citizen's data; a
/// deployment keeps it off the internet at its load balancer.
async fn metrics(State(app): State<Web>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        crate::telemetry::render(&app.state).await,
    )
        .into_response()
}

async fn redis_ping(client: &redis::Client) -> bool {
    let attempt = async {
        let mut conn = client.get_multiplexed_async_connection().await?;
        redis::cmd("PING").query_async::<String>(&mut conn).await
    };
    matches!(
        tokio::time::timeout(Duration::from_secs(2), attempt).await,
        Ok(Ok(_))
    )
}

/// The playground's Content-Security-Policy: every script, style and font
/// comes from this origin (the page's own start-up script and styles are
/// files, not inline; GraphiQL's fonts and icons are data: URLs inside its
/// stylesheet); its requests go to this origin only (`'self'` covers
/// ws:/wss: to it in CSP Level 3); no other page may frame it
/// (clickjacking).
const GRAPHIQL_CSP: &str = "default-src 'none'; \
    script-src 'self'; style-src 'self'; font-src 'self' data:; img-src 'self' data:; \
    connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// `/graphiql` and its files, with the browser-facing security headers
/// (OWASP ASVS 5.0 V3.4: CSP, X-Frame-Options, Referrer-Policy).
fn playground() -> Router<Web> {
    let mut router = Router::new();
    for (path, content_type, body) in PLAYGROUND_FILES {
        router = router.route(
            path,
            get(move || async move { ([(header::CONTENT_TYPE, content_type)], body) }),
        );
    }
    router.layer(
        tower::ServiceBuilder::new()
            .layer(SetResponseHeaderLayer::overriding(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(GRAPHIQL_CSP),
            ))
            .layer(SetResponseHeaderLayer::overriding(
                header::X_FRAME_OPTIONS,
                HeaderValue::from_static("DENY"),
            ))
            .layer(SetResponseHeaderLayer::overriding(
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            )),
    )
}

/// Gives an error answered without a JSON body (by a tower layer or axum
/// itself) the JSON error shape every other error has.
async fn json_errors(req: Request, next: axum::middleware::Next) -> Response {
    // Only the language and the request id matter here.
    let meta = RequestMeta::read(req.headers(), req.extensions(), false);
    let response = next.run(req).await;
    let status = response.status();
    let json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("application/json") || c.contains("+json"));
    if json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let err = match status {
        StatusCode::PAYLOAD_TOO_LARGE => bad_request("Yêu cầu quá lớn", "The request is too large"),
        StatusCode::REQUEST_TIMEOUT => bad_request(
            "Yêu cầu xử lý quá thời gian cho phép",
            "The request took longer than allowed",
        ),
        StatusCode::METHOD_NOT_ALLOWED => bad_request(
            "Phương thức HTTP không được hỗ trợ ở địa chỉ này",
            "This HTTP method is not supported here",
        ),
        s if s.is_server_error() => AppError::internal(format!("bare {s} answer")),
        _ => bad_request("Yêu cầu không hợp lệ", "Not a valid request"),
    };
    refusal(status, &meta, err)
}

fn bad_request(vi: &str, en: &str) -> AppError {
    AppError::bad_input(
        "request",
        crate::domain::Problem::Invalid {
            vi: vi.into(),
            en: en.into(),
        },
    )
}

struct Incoming {
    meta: RequestMeta,
    /// What the answer is written in.
    media: Media,
    context: RequestContext,
    request: async_graphql::Request,
}

/// Negotiates the answer's media type (406 when `Accept` takes neither),
/// reads the body as one GraphQL request (415 unless JSON or multipart, a
/// JSON array — a batch — refused) and resolves the caller (a bad token is
/// refused, never taken for none).
async fn incoming(app: &Web, req: Request) -> Result<Incoming, Response> {
    let headers = req.headers().clone();
    let meta = RequestMeta::read(
        &headers,
        req.extensions(),
        app.state.config.trust_forwarded_for,
    );
    let Some(media) = Media::negotiate(&headers) else {
        return Err(media::not_acceptable(&meta));
    };
    if req.method() == Method::POST && !graphql_body(&headers) {
        return Err(media.reject(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            &meta,
            bad_request(
                "Nội dung yêu cầu phải là application/json hoặc multipart/form-data",
                "The request body must be application/json or multipart/form-data",
            ),
        ));
    }
    let gql = match read_request(app, req).await {
        Ok(r) => r,
        Err(rej) => {
            let (status, err) = match rej {
                async_graphql::ParseRequestError::PayloadTooLarge => (
                    StatusCode::PAYLOAD_TOO_LARGE,
                    bad_request("Yêu cầu quá lớn", "The request is too large"),
                ),
                // multer's "field/stream size exceeded": a file over the limit.
                async_graphql::ParseRequestError::InvalidMultipart(e)
                    if e.to_string().contains("exceeded") =>
                {
                    (
                        StatusCode::PAYLOAD_TOO_LARGE,
                        bad_request("Tệp đính kèm quá lớn", "The file is too large"),
                    )
                }
                // A body without Content-Length is cut off by the limit layer while read.
                async_graphql::ParseRequestError::Io(e) if is_length_limit(&e) => (
                    StatusCode::PAYLOAD_TOO_LARGE,
                    bad_request("Yêu cầu quá lớn", "The request is too large"),
                ),
                async_graphql::ParseRequestError::UnsupportedBatch => (
                    StatusCode::BAD_REQUEST,
                    bad_request(
                        "Không hỗ trợ gửi nhiều truy vấn trong một yêu cầu",
                        "Batched requests are not supported",
                    ),
                ),
                _ => (
                    StatusCode::BAD_REQUEST,
                    bad_request(
                        "Yêu cầu GraphQL không hợp lệ",
                        "Not a valid GraphQL request",
                    ),
                ),
            };
            return Err(media.reject(status, &meta, err));
        }
    };
    // The session check for each root field is the GraphQL policy's
    // (`graphql::policy`, calling `domain::authz::admit`).
    let actor = signed_in(app, &headers)
        .await
        .map_err(|e| media.refuse(&meta, e))?;
    Ok(Incoming {
        context: RequestContext {
            actor,
            token: None,
            lang: meta.lang,
            request_id: meta.request_id.clone(),
            client_addr: meta.client_addr.clone(),
        },
        meta,
        media,
        request: gql,
    })
}

/// Whether a POST body is of a type GraphQL requests come in:
/// `application/json` or `multipart/form-data` (uploads). Without a
/// `Content-Type` it is not (GraphQL over HTTP: 4xx).
fn graphql_body(headers: &HeaderMap) -> bool {
    let essence = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    matches!(
        essence.as_deref(),
        Some("application/json" | "multipart/form-data")
    )
}

/// Whether reading failed on the body limit. The limit's error arrives boxed
/// inside axum's and io's errors, so its type is lost on the way: compare its
/// text (`http_body_util::LengthLimitError`'s Display).
fn is_length_limit(e: &std::io::Error) -> bool {
    const LENGTH_LIMIT_EXCEEDED: &str = "length limit exceeded";
    let mut source: Option<&(dyn std::error::Error + 'static)> = e.get_ref().map(|r| r as _);
    while let Some(err) = source {
        if err.is::<http_body_util::LengthLimitError>() || err.to_string() == LENGTH_LIMIT_EXCEEDED
        {
            return true;
        }
        source = err.source();
    }
    false
}

/// Reads one GraphQL request: from the query string (GET), a JSON body
/// (bounded by MOTCUA_BODY_LIMIT_BYTES), or a multipart upload (bounded per
/// file and in number of files). A JSON array — a batch — is refused.
async fn read_request(
    app: &Web,
    req: Request,
) -> Result<async_graphql::Request, async_graphql::ParseRequestError> {
    use futures_util::TryStreamExt;
    use tokio_util::compat::TokioAsyncReadCompatExt;
    if req.method() == Method::GET {
        return GraphQLRequest::<async_graphql_axum::rejection::GraphQLRejection>::from_request(
            req,
            &(),
        )
        .await
        .map(GraphQLRequest::into_inner)
        .map_err(|r| r.0);
    }
    let config = &app.state.config;
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let multipart = content_type
        .as_deref()
        .is_some_and(|c| c.starts_with("multipart/"));
    let body = if multipart {
        req.into_body()
    } else {
        axum::body::Body::new(http_body_util::Limited::new(
            req.into_body(),
            config.body_limit_bytes,
        ))
    };
    // async-graphql writes every file part to a temporary file as it reads
    // and counts the files only at the end: 20,000 parts of a few bytes
    // held 20,000 open files. The parts are counted as they stream by.
    let mut parts = PartCount::new(if multipart {
        config.upload_max_files + 2
    } else {
        usize::MAX
    });
    let too_many = parts.tripped.clone();
    let stream = body
        .into_data_stream()
        .map_err(|e| std::io::Error::other(e.to_string()))
        .and_then(move |chunk| {
            let counted = parts.read(&chunk);
            async move {
                counted?;
                Ok(chunk)
            }
        });
    let reader = tokio_util::io::StreamReader::new(stream).compat();
    let options = async_graphql::http::MultipartOptions::default()
        .max_file_size(config.upload_max_bytes)
        .max_num_files(config.upload_max_files);
    let request = async_graphql::http::receive_batch_body(content_type, reader, options)
        .await
        // More parts than files allowed: too large, as more files are.
        .map_err(|e| match too_many.load(Ordering::Acquire) {
            true => async_graphql::ParseRequestError::PayloadTooLarge,
            false => e,
        })?
        .into_single()?;
    // MultipartOptions bounds the parts it reads; the files a request maps
    // are counted here.
    if request.uploads.len() > config.upload_max_files {
        return Err(async_graphql::ParseRequestError::PayloadTooLarge);
    }
    Ok(request)
}

/// The parts of a multipart body, counted by their `Content-Disposition`
/// header lines as the body streams by (a line split between two chunks is
/// seen through the tail kept from the last one). More than `max` parts
/// (the files allowed, `operations` and `map`) is an error.
struct PartCount {
    max: usize,
    seen: usize,
    tail: Vec<u8>,
    /// Set once the parts went past `max`.
    tripped: Arc<AtomicBool>,
}

impl PartCount {
    const HEADER: &'static [u8] = b"\r\ncontent-disposition:";

    fn new(max: usize) -> Self {
        PartCount {
            max,
            seen: 0,
            tail: Vec::new(),
            tripped: Arc::new(AtomicBool::new(false)),
        }
    }

    fn read(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        if self.max == usize::MAX {
            return Ok(());
        }
        let mut window = std::mem::take(&mut self.tail);
        window.extend_from_slice(chunk);
        let lower = window.to_ascii_lowercase();
        self.seen += lower
            .windows(Self::HEADER.len())
            .filter(|w| *w == Self::HEADER)
            .count();
        let keep = Self::HEADER.len() - 1;
        self.tail = window[window.len().saturating_sub(keep)..].to_vec();
        if self.seen > self.max {
            self.tripped.store(true, Ordering::Release);
            return Err(std::io::Error::other("too many multipart parts"));
        }
        Ok(())
    }
}

async fn execute(app: &Web, incoming: Incoming) -> Response {
    let Incoming {
        meta,
        media,
        context,
        request,
    } = incoming;
    let executed = Executed::default();
    let request = request
        .data(loaders(app.state.db.clone()))
        .data(context)
        .data(executed.clone());
    // The schema's policy extension shapes every error (graphql::policy).
    let response = app.schema.execute(request).await;
    media.respond(&meta, &executed, response)
}

/// Counts the SQL statements the request runs, into the counter already in
/// scope (a test's probe) or a new one: read by the metrics extension.
async fn count_statements(req: Request, next: axum::middleware::Next) -> Response {
    crate::store::counted(next.run(req)).await
}

/// POST carries queries and mutations; a subscription is refused before
/// execution like a request that does not validate (BAD_USER_INPUT, no
/// `data`; 400 with graphql-response+json, 200 with json): it goes over
/// the WebSocket.
async fn graphql_post(State(app): State<Web>, req: Request) -> Response {
    let mut incoming = match incoming(&app, req).await {
        Ok(i) => i,
        Err(resp) => return resp,
    };
    // Parsed here only when the text could hold one (execution parses it
    // again).
    if incoming.request.query.contains("subscription")
        && has_operation(&mut incoming.request, |ty| {
            ty == OperationType::Subscription
        })
    {
        return incoming.media.refuse(
            &incoming.meta,
            bad_request(
                "Đăng ký theo dõi (subscription) phải gửi qua WebSocket /graphql/ws",
                "Subscriptions go over the WebSocket at /graphql/ws",
            ),
        );
    }
    execute(&app, incoming).await
}

/// Whether the request's document holds an operation of a kind `kind`
/// accepts; a document that does not parse holds none (execution answers
/// its error).
///
/// A document over the policy's text bounds holds none here (the policy
/// refuses it at execution) — parsing it first is what those bounds
/// prevent. The parse is kept for the execution.
fn has_operation(
    request: &mut async_graphql::Request,
    kind: impl Fn(OperationType) -> bool,
) -> bool {
    if !crate::graphql::policy::within_text_bounds(&request.query) {
        return false;
    }
    request
        .parsed_query()
        .is_ok_and(|doc| doc.operations.iter().any(|(_, op)| kind(op.node.ty)))
}

/// GET carries queries only (GraphQL over HTTP): a mutation must be POSTed.
async fn graphql_get(State(app): State<Web>, req: Request) -> Response {
    let mut incoming = match incoming(&app, req).await {
        Ok(i) => i,
        Err(resp) => return resp,
    };
    if has_operation(&mut incoming.request, |ty| ty != OperationType::Query) {
        let mut refused = incoming.media.reject(
            StatusCode::METHOD_NOT_ALLOWED,
            &incoming.meta,
            bad_request(
                "Thao tác thay đổi dữ liệu phải gửi bằng POST",
                "Mutations must be sent with POST",
            ),
        );
        // RFC 9110 §15.5.6: a 405 names the methods that would do.
        refused
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return refused;
    }
    execute(&app, incoming).await
}

/// A WebSocket's read buffer, in bytes: a client's messages are a few
/// hundred bytes (`connection_init` with a token, `subscribe`, `ping`); a
/// larger one grows it.
const WS_READ_BUFFER: usize = 1024;

/// Subscriptions over graphql-transport-ws (our own loop, `ws::serve`) or
/// the legacy graphql-ws (async-graphql's). The session token travels in
/// `connection_init` (`{"authorization": "Bearer …"}` or `{"token": "…"}`);
/// a bad one closes the connection. When the server stops, every socket
/// closes with 1001 (going away) so that clients reconnect elsewhere.
async fn graphql_ws(
    State(app): State<Web>,
    protocol: GraphQLProtocol,
    meta: RequestMeta,
    upgrade: WebSocketUpgrade,
) -> Response {
    // A message is bounded like an HTTP body.
    let max_message = app.state.config.body_limit_bytes;
    // Each socket is throttled as its own client (`meta`), like an HTTP
    // request.
    let shutdown = app.state.shutdown.clone();
    // graphql-transport-ws when the client offers it, else graphql-ws (the
    // extractor refused a socket that offers neither).
    // An idle subscription must cost little (tens of thousands of phones):
    // a small read buffer that grows for a large message, and frames
    // written at once rather than gathered (the library's defaults hold
    // 128 KiB each per socket). A client that stops reading is dropped
    // when a message waits on it too long (`ws::serve`).
    let upgrade = upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .read_buffer_size(WS_READ_BUFFER)
        .write_buffer_size(0)
        .max_write_buffer_size(max_message + WS_READ_BUFFER)
        .max_message_size(max_message)
        .max_frame_size(max_message);
    let transport_ws = upgrade
        .selected_protocol()
        .is_some_and(|p| p == ALL_WEBSOCKET_PROTOCOLS[0]);
    let live = live_runtime();
    upgrade.on_upgrade(move |socket| async move {
        // Counted until it ends, so that a stopping process sends every
        // socket its close frame before it exits.
        let serving = shutdown.clone().track(async move {
            if transport_ws {
                ws::serve(socket, app.schema, app.state, meta, shutdown).await;
            } else {
                // Boxed: async-graphql's loop is several times the size
                // of ours, and every socket's task would be sized for it.
                Box::pin(serve_legacy(socket, protocol, app, meta, shutdown)).await;
            }
        });
        // Logged through the subscriber of the request that opened it (the
        // process's, or a test's own).
        live.spawn(serving.with_current_subscriber());
    })
}

/// The runtime WebSockets run on, with threads of their own. A fan-out
/// wakes every subscriber at once: on the runtime that serves HTTP, tens
/// of thousands of deliveries would queue ahead of a request that arrives
/// during it, which would wait for all of them. Here they queue behind
/// each other only, and the operating system shares the cores between
/// these threads and the HTTP runtime's. A socket's reads and writes are
/// still driven by the runtime that accepted it.
static LIVE: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();

/// Password hashes a WebSocket's mutations may run at once on the live
/// runtime (each holds 19 MiB; HTTP requests have the main runtime's).
const LIVE_BLOCKING_THREADS: usize = 16;

/// Starts the WebSockets' runtime with `threads` worker threads
/// (MOTCUA_LIVE_THREADS), once per process: the first App of a process
/// decides, the runtime lasts as long as the process. Called by
/// `App::start`, so that a server that cannot have its threads does not
/// start. Errors when the operating system refuses them.
pub fn start_live_runtime(threads: usize) -> anyhow::Result<()> {
    static STARTING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = STARTING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if LIVE.get().is_some() {
        return Ok(());
    }
    // Built on a thread of its own: tokio panics when a worker thread
    // cannot start, and its unwinding then waits for the threads it did
    // start, for good. A build that does not answer in time is a refusal.
    let refused = || format!("cannot start the WebSockets' {threads} threads");
    let (built, answer) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("motcua-live-start".into())
        .spawn(move || {
            let _ = built.send(
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(threads)
                    .max_blocking_threads(LIVE_BLOCKING_THREADS)
                    .thread_name("motcua-live")
                    .enable_all()
                    .build(),
            );
        })
        .with_context(refused)?;
    let built = match answer.recv_timeout(std::time::Duration::from_secs(10)) {
        Ok(runtime) => runtime.with_context(refused)?,
        Err(_) => anyhow::bail!("{}: the operating system refused some", refused()),
    };
    // Set under the lock: no other runtime was built meanwhile.
    let _ = LIVE.set(built);
    Ok(())
}

/// The WebSockets' runtime, or the current one when it was never started
/// (an application put together without `App::start`).
fn live_runtime() -> tokio::runtime::Handle {
    match LIVE.get() {
        Some(runtime) => runtime.handle().clone(),
        None => tokio::runtime::Handle::current(),
    }
}

/// The legacy `graphql-ws` subprotocol (subscriptions-transport-ws) through
/// async-graphql's loop, with an init timeout (a silent socket is dropped)
/// and a close with 1001 when the server stops.
async fn serve_legacy(
    socket: axum::extract::ws::WebSocket,
    protocol: GraphQLProtocol,
    app: Web,
    meta: RequestMeta,
    shutdown: crate::state::Shutdown,
) {
    use futures_util::{SinkExt, StreamExt};
    let (mut sink, stream) = socket.split();
    let state = app.state.clone();
    let init_timeout = state.config.ws_init_timeout;
    let initialised = Arc::new(AtomicBool::new(false));
    let flag = initialised.clone();
    let serve = GraphQLWebSocket::new_with_pair(&mut sink, stream, app.schema.clone(), protocol)
        .on_connection_init(move |payload| async move {
            flag.store(true, Ordering::SeqCst);
            ws::caller_data(&state, Some(&payload), &meta)
                .await
                .map(|mut data| {
                    data.insert(crate::graphql::policy::OpenOperations::default());
                    data
                })
                // Answered as connection_error with the message.
                .map_err(|e| envelope_error(&e, meta.lang, &meta.request_id, "connection_init"))
        })
        .serve();
    // async-graphql has no init timeout of its own: a socket that never
    // sends connection_init is dropped (closed) here.
    let watchdog = async {
        tokio::time::sleep(init_timeout).await;
        if initialised.load(Ordering::SeqCst) {
            std::future::pending::<()>().await;
        }
    };
    let stopping = tokio::select! {
        _ = serve => false,
        _ = watchdog => {
            tracing::debug!("websocket closed: no connection_init in time");
            false
        }
        _ = shutdown.stopping() => true,
    };
    if stopping {
        let frame = axum::extract::ws::CloseFrame {
            code: ws::close::GOING_AWAY,
            reason: "Server shutting down".into(),
        };
        let _ = tokio::time::timeout(
            Duration::from_secs(5),
            sink.send(axum::extract::ws::Message::Close(Some(frame))),
        )
        .await;
    }
}
