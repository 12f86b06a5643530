//! `AppError`: the one error type of the request path, and the one
//! envelope every transport answers it in.
//!
//! The error policy:
//!
//! - **Domain rules** return their own small types (`domain::Problem`,
//!   `authz::Denied`, a lifecycle refusal): pure, no I/O, no codes.
//! - **Services, the store and resolvers** return [`AppResult`]. A refusal
//!   the client can act on is one of the coded variants; anything else —
//!   a `DbErr`, an I/O error, a row that breaks an invariant — is
//!   [`AppError::Internal`], which keeps its cause (an `anyhow::Error`
//!   chain) for the log and never shows it to the client. Use `?` on a
//!   `DbErr` or an `anyhow::Error`, and `AppError::internal(e)` for any
//!   other error or a message.
//! - **Start-up, the CLI and background work** (the outbox relay, the
//!   notification worker) return `anyhow::Result` with `.context(…)`: their
//!   failures go to a log line or to stderr, never to a client.
//! - **Every transport** — HTTP routes, GraphQL over HTTP and both
//!   WebSocket protocols — answers an `AppError` through [`envelope`]: a
//!   message in the caller's language and `extensions.code`; an `INTERNAL`
//!   adds `extensions.requestId` and is logged there, once, with its cause
//!   chain and the request id. async-graphql keeps an `AppError` a resolver
//!   returns as the error's source; `graphql::policy` finds it there.

use std::sync::Arc;

use serde_json::{json, Map, Value};

use crate::domain::authz::Denied;
use crate::domain::{Problem, StoredEnum};

#[derive(Debug, Clone, thiserror::Error)]
pub enum AppError {
    /// `UNAUTHENTICATED`: no session, or a bad, revoked or expired token.
    #[error("chưa đăng nhập")]
    Unauthenticated,
    /// `FORBIDDEN`: the actor's roles or agency scope do not allow this.
    #[error("không có quyền")]
    Forbidden,
    /// `NOT_FOUND`: no such thing, or one the caller may not see; the
    /// message names it in the caller's language.
    #[error("không tìm thấy {}", .0.vi())]
    NotFound(Missing),
    /// `BAD_USER_INPUT` with `extensions.field`: a value breaks a rule.
    #[error("dữ liệu không hợp lệ: {field}")]
    BadInput { field: String, problem: Problem },
    /// `INVALID_TRANSITION`: the action is not allowed in the dossier's (or
    /// feedback's) current status; the message says why.
    #[error("thao tác không hợp lệ ở trạng thái hiện tại")]
    InvalidTransition { vi: String, en: String },
    /// `VERSION_CONFLICT`: someone else changed the row first.
    #[error("dữ liệu đã bị thay đổi")]
    VersionConflict,
    /// `PASSWORD_CHANGE_REQUIRED`: the account holds a one-time password.
    #[error("phải đổi mật khẩu")]
    PasswordChangeRequired,
    /// `RATE_LIMITED` with `extensions.retryAfterSeconds`.
    #[error("quá nhiều yêu cầu")]
    RateLimited { retry_after_secs: u64 },
    /// `BAD_USER_INPUT` with `extensions.limit`, `actual` and `max`: a limit
    /// on a request's cost: `limit` is `depth`, `complexity`,
    /// `introspection` (one `__schema`, ten `__type` a request) or `seconds`
    /// (the time an operation may run).
    #[error("truy vấn quá tốn kém")]
    QueryTooExpensive {
        limit: &'static str,
        actual: usize,
        max: usize,
    },
    /// `INTERNAL` with `extensions.requestId`: a fault of ours. Holds the
    /// cause for the log; the client sees a generic message.
    #[error("lỗi hệ thống")]
    Internal(Arc<anyhow::Error>),
}

/// The stable codes of `extensions.code`.
pub mod code {
    pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
    pub const FORBIDDEN: &str = "FORBIDDEN";
    pub const NOT_FOUND: &str = "NOT_FOUND";
    pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
    pub const INVALID_TRANSITION: &str = "INVALID_TRANSITION";
    pub const VERSION_CONFLICT: &str = "VERSION_CONFLICT";
    pub const PASSWORD_CHANGE_REQUIRED: &str = "PASSWORD_CHANGE_REQUIRED";
    pub const RATE_LIMITED: &str = "RATE_LIMITED";
    pub const INTERNAL: &str = "INTERNAL";
}

/// The entries of a header listing weighted values (`Accept`,
/// `Accept-Language`), in order: each value lowercased without its
/// parameters, with its quality. RFC 9110 §12.4.2: `q` (or `Q`) is 0 to 1,
/// 1 when absent; an unreadable one counts as 0 ("not this one").
pub(crate) fn weighted_values(header: &str) -> impl Iterator<Item = (String, f32)> + '_ {
    header.split(',').map(|entry| {
        let mut parts = entry.split(';');
        let value = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .map(|p| p.trim().to_ascii_lowercase())
            .find_map(|p| p.strip_prefix("q=").map(str::to_owned))
            .map(|v| {
                v.trim()
                    .parse::<f32>()
                    .ok()
                    .filter(|q| (0.0..=1.0).contains(q))
                    .unwrap_or(0.0)
            })
            .unwrap_or(1.0);
        (value, q)
    })
}

/// The language of messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Vi,
    En,
}

impl Lang {
    /// The language an `Accept-Language` header prefers among Vietnamese
    /// and English: the higher quality (`q`, 1 when absent) wins, a tie goes
    /// to the one listed first, and without either (or without a header)
    /// Vietnamese. `q=0` means "not this one"; an unreadable `q` counts as 0.
    pub fn from_accept_language(header: Option<&str>) -> Lang {
        let mut best: Option<(Lang, f32)> = None;
        for (tag, q) in weighted_values(header.unwrap_or("")) {
            let lang = match tag.split('-').next().unwrap_or("") {
                "vi" => Lang::Vi,
                "en" => Lang::En,
                _ => continue,
            };
            if q > 0.0 && best.is_none_or(|(_, b)| q > b) {
                best = Some((lang, q));
            }
        }
        best.map_or(Lang::Vi, |(lang, _)| lang)
    }

    pub fn pick(self, vi: impl Into<String>, en: impl Into<String>) -> String {
        match self {
            Lang::Vi => vi.into(),
            Lang::En => en.into(),
        }
    }
}

impl AppError {
    pub fn bad_input(field: impl Into<String>, problem: Problem) -> Self {
        AppError::BadInput {
            field: field.into(),
            problem,
        }
    }

    /// The same error with a BAD_USER_INPUT's field placed under `parent`
    /// (`amountVnd` in `feePayment` → `feePayment.amountVnd`); any other
    /// error as it is.
    pub fn under(self, parent: &str) -> Self {
        match self {
            AppError::BadInput { field, problem } => AppError::BadInput {
                field: format!("{parent}.{field}"),
                problem,
            },
            other => other,
        }
    }

    /// An `INTERNAL` error caused by `e`: any error value (kept as the
    /// cause, downcastable) or a message saying which invariant broke.
    pub fn internal<E>(e: E) -> Self
    where
        E: std::fmt::Display + std::fmt::Debug + Send + Sync + 'static,
    {
        AppError::Internal(Arc::new(anyhow::Error::msg(e)))
    }

    /// This error as the cause of a failure outside the request path
    /// (start-up, the CLI): an `INTERNAL` gives back its cause chain, any
    /// other its English message.
    pub fn into_cause(self) -> anyhow::Error {
        match self {
            AppError::Internal(cause) => match Arc::try_unwrap(cause) {
                Ok(cause) => cause,
                Err(shared) => anyhow::anyhow!("{shared:#}"),
            },
            other => anyhow::anyhow!(other.message(Lang::En)),
        }
    }

    /// The one answer every transport gives for this error (see the module
    /// comment); logs an `INTERNAL`'s cause chain once, with `request_id`
    /// and `at` (the route or field path).
    pub fn envelope(&self, lang: Lang, request_id: &str, at: &str) -> Envelope {
        let mut extensions = Map::new();
        extensions.insert("code".into(), json!(self.code()));
        match self {
            AppError::BadInput { field, .. } => {
                extensions.insert("field".into(), json!(field));
            }
            AppError::QueryTooExpensive { limit, actual, max } => {
                extensions.insert("limit".into(), json!(limit));
                extensions.insert("actual".into(), json!(actual));
                extensions.insert("max".into(), json!(max));
            }
            AppError::RateLimited { retry_after_secs } => {
                extensions.insert("retryAfterSeconds".into(), json!(retry_after_secs));
            }
            AppError::Internal(cause) => {
                tracing::error!(
                    request_id,
                    at,
                    error = format!("{cause:#}"),
                    "internal error"
                );
                extensions.insert("requestId".into(), json!(request_id));
            }
            _ => {}
        }
        Envelope {
            message: self.message(lang),
            extensions,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthenticated => code::UNAUTHENTICATED,
            AppError::Forbidden => code::FORBIDDEN,
            AppError::NotFound(_) => code::NOT_FOUND,
            AppError::BadInput { .. } | AppError::QueryTooExpensive { .. } => code::BAD_USER_INPUT,
            AppError::InvalidTransition { .. } => code::INVALID_TRANSITION,
            AppError::VersionConflict => code::VERSION_CONFLICT,
            AppError::PasswordChangeRequired => code::PASSWORD_CHANGE_REQUIRED,
            AppError::RateLimited { .. } => code::RATE_LIMITED,
            AppError::Internal(_) => code::INTERNAL,
        }
    }

    /// The message a client sees.
    pub fn message(&self, lang: Lang) -> String {
        match self {
            AppError::Unauthenticated => lang.pick(
                "Bạn cần đăng nhập (hoặc phiên đăng nhập đã hết hạn)",
                "You must sign in (or your session has expired)",
            ),
            AppError::Forbidden => lang.pick(
                "Bạn không có quyền thực hiện thao tác này",
                "You are not allowed to do this",
            ),
            AppError::NotFound(what) => lang.pick(
                format!("Không tìm thấy {}", what.vi()),
                format!("{} not found", what.en()),
            ),
            AppError::BadInput { field, problem } => match lang {
                Lang::Vi => format!("Dữ liệu không hợp lệ ở trường {field}: {}", problem.vi()),
                Lang::En => format!("Invalid value for {field}: {}", problem.en()),
            },
            AppError::InvalidTransition { vi, en } => lang.pick(vi.clone(), en.clone()),
            AppError::VersionConflict => lang.pick(
                "Dữ liệu đã được người khác thay đổi; hãy tải lại và thử lại",
                "Someone else changed this first; reload and try again",
            ),
            AppError::PasswordChangeRequired => lang.pick(
                "Bạn phải đổi mật khẩu trước khi tiếp tục",
                "You must change your password before doing anything else",
            ),
            AppError::RateLimited { retry_after_secs } => lang.pick(
                format!("Quá nhiều yêu cầu; thử lại sau {retry_after_secs} giây"),
                format!("Too many attempts; try again in {retry_after_secs} seconds"),
            ),
            AppError::QueryTooExpensive { limit, actual, max } => {
                let (vi, en) = match *limit {
                    "depth" => ("độ sâu", "depth"),
                    "complexity" => ("độ phức tạp", "complexity"),
                    "introspection" => (
                        "số lần đọc lược đồ (__schema, __type)",
                        "introspection (__schema, __type) count",
                    ),
                    "seconds" => ("thời gian xử lý (giây)", "time (seconds)"),
                    other => (other, other),
                };
                match lang {
                    Lang::Vi => format!(
                        "Truy vấn vượt giới hạn {vi}: {actual} > {max}; hãy thu hẹp truy vấn hoặc giảm kích thước trang"
                    ),
                    Lang::En => format!(
                        "The query exceeds the {en} limit: {actual} > {max}; narrow it or ask for smaller pages"
                    ),
                }
            }
            AppError::Internal(_) => lang.pick(
                "Lỗi hệ thống; vui lòng thử lại sau",
                "Internal error; please try again later",
            ),
        }
    }
}

/// What a NOT_FOUND names, in both languages: every message is equally
/// specific in Vietnamese and in English (issue 16).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    Account,
    Agency,
    Attachment,
    Document,
    Dossier,
    Feedback,
    /// A printable form the dossier has not been issued (yet).
    Form,
    Payment,
    Procedure,
    /// An HTTP path the server does not serve.
    Route,
    /// A year without a calendar.
    Year,
}

impl Missing {
    pub fn vi(self) -> &'static str {
        match self {
            Missing::Account => "tài khoản",
            Missing::Agency => "cơ quan",
            Missing::Attachment => "tệp đính kèm",
            Missing::Document => "giấy tờ",
            Missing::Dossier => "hồ sơ",
            Missing::Feedback => "phản ánh, kiến nghị",
            Missing::Form => "biểu mẫu đã ban hành cho hồ sơ",
            Missing::Payment => "khoản thanh toán",
            Missing::Procedure => "thủ tục",
            Missing::Route => "địa chỉ",
            Missing::Year => "lịch của năm",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Missing::Account => "account",
            Missing::Agency => "agency",
            Missing::Attachment => "attachment",
            Missing::Document => "document",
            Missing::Dossier => "dossier",
            Missing::Feedback => "feedback",
            Missing::Form => "issued form",
            Missing::Payment => "payment",
            Missing::Procedure => "procedure",
            Missing::Route => "route",
            Missing::Year => "calendar year",
        }
    }
}

impl From<Denied> for AppError {
    fn from(d: Denied) -> Self {
        match d {
            Denied::Unauthenticated => AppError::Unauthenticated,
            Denied::Forbidden => AppError::Forbidden,
            Denied::PasswordChangeRequired => AppError::PasswordChangeRequired,
        }
    }
}

impl From<crate::domain::transition::Refusal> for AppError {
    fn from(r: crate::domain::transition::Refusal) -> Self {
        use crate::domain::transition::Refusal;
        match r {
            Refusal::Stale => AppError::VersionConflict,
            Refusal::State { vi, en } => AppError::InvalidTransition { vi, en },
            Refusal::Input { field, problem } => AppError::BadInput { field, problem },
        }
    }
}

/// A refusal of one field, as the domain's validators return it.
impl From<crate::domain::catalogue::FieldProblem> for AppError {
    fn from((field, problem): crate::domain::catalogue::FieldProblem) -> Self {
        AppError::BadInput { field, problem }
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(e: sea_orm::DbErr) -> Self {
        AppError::Internal(Arc::new(anyhow::Error::new(e)))
    }
}

impl From<anyhow::Error> for AppError {
    fn from(e: anyhow::Error) -> Self {
        AppError::Internal(Arc::new(e))
    }
}

/// An error as a client receives it: `{message, extensions: {code, …}}`,
/// the shape of a GraphQL error.
#[derive(Debug, Clone)]
pub struct Envelope {
    /// In the caller's language.
    pub message: String,
    /// `code`, and `field`, `requestId`, `retryAfterSeconds` or the limit's
    /// `limit`/`actual`/`max` when they apply.
    pub extensions: Map<String, Value>,
}

impl Envelope {
    /// The error as JSON: `{"message": …, "extensions": {…}}`.
    pub fn to_json(&self) -> Value {
        json!({ "message": self.message, "extensions": self.extensions })
    }
}

pub type AppResult<T> = Result<T, AppError>;

/// Reads an enum value the database stored by name (a status, a kind, a
/// channel…). An unknown name is corrupt data, not the caller's fault:
/// INTERNAL, naming the enum and the value in the logged details only.
pub fn stored_enum<T: StoredEnum>(stored: &str) -> AppResult<T> {
    T::from_stored(stored)
        .ok_or_else(|| AppError::internal(format!("unknown stored {} {stored:?}", T::ENUM_NAME)))
}

/// Places a domain [`Problem`] at an input field: the one conversion from a
/// rule's refusal to `BAD_USER_INPUT`.
///
/// ```ignore
/// let name = required_text(name, 200).at("name")?;
/// ```
pub trait AtField<T> {
    /// `Err(problem)` becomes [`AppError::BadInput`] naming `field` (a path
    /// such as `sender.phone` or `content.0.label`); `Ok` passes through.
    fn at(self, field: impl Into<String>) -> AppResult<T>;
}

impl<T> AtField<T> for Result<T, Problem> {
    fn at(self, field: impl Into<String>) -> AppResult<T> {
        self.map_err(|problem| AppError::bad_input(field, problem))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_only_when_asked_first() {
        assert_eq!(Lang::from_accept_language(Some("en-US,en;q=0.9")), Lang::En);
        assert_eq!(Lang::from_accept_language(Some("en")), Lang::En);
        assert_eq!(Lang::from_accept_language(Some("vi,en;q=0.8")), Lang::Vi);
        assert_eq!(Lang::from_accept_language(None), Lang::Vi);
    }

    #[test]
    fn the_higher_quality_wins_and_a_tie_goes_to_the_first_listed() {
        let lang = |h| Lang::from_accept_language(Some(h));
        assert_eq!(lang("en;q=0.1, vi"), Lang::Vi);
        assert_eq!(lang("vi;q=0.5, en-GB;q=0.8"), Lang::En);
        assert_eq!(lang("en;q=0.7, vi;q=0.7"), Lang::En);
        assert_eq!(lang("vi-VN, en"), Lang::Vi);
        assert_eq!(lang("fr, en;q=0.2"), Lang::En);
        assert_eq!(lang("en;q=0, fr"), Lang::Vi);
        assert_eq!(lang("en;q=abc"), Lang::Vi);
        assert_eq!(lang("en;q=2, vi;q=0.5"), Lang::Vi);
        assert_eq!(lang("en;q=inf"), Lang::Vi);
        assert_eq!(lang("vi;Q=0.1, en;q=0.5"), Lang::En);
        assert_eq!(lang("fr-FR, de"), Lang::Vi);
        assert_eq!(lang(""), Lang::Vi);
    }

    #[test]
    fn an_internal_error_keeps_its_cause_and_its_envelope_names_the_request() {
        let db = sea_orm::DbErr::Custom("no such table: dossier".into());
        let e = AppError::from(db);
        let AppError::Internal(cause) = &e else {
            panic!("not internal")
        };
        assert!(cause.downcast_ref::<sea_orm::DbErr>().is_some());
        let json = e.envelope(Lang::En, "req-1", "test").to_json();
        assert_eq!(json["extensions"]["code"], "INTERNAL");
        assert_eq!(json["extensions"]["requestId"], "req-1");
        assert!(!json["message"].as_str().unwrap_or("").contains("dossier"));
    }

    #[test]
    fn a_problem_is_placed_at_its_field() {
        let e = Err::<(), _>(Problem::Required)
            .at("sender.phone")
            .unwrap_err();
        assert_eq!(e.code(), "BAD_USER_INPUT");
        assert!(
            matches!(e, AppError::BadInput { field, problem: Problem::Required } if field == "sender.phone")
        );
        assert_eq!(Ok::<_, Problem>(3).at("x").unwrap(), 3);
    }

    #[test]
    fn a_stored_enum_reads_back_or_is_internal() {
        use crate::domain::authz::Role;
        assert_eq!(stored_enum::<Role>("ADMIN").unwrap(), Role::Admin);
        let e = stored_enum::<Role>("KING").unwrap_err();
        assert_eq!(e.code(), "INTERNAL");
    }

    #[test]
    fn internal_errors_never_show_their_details() {
        let e = AppError::internal("relation \"account\" does not exist at /src/x.rs");
        for lang in [Lang::Vi, Lang::En] {
            assert!(!e.message(lang).contains("account"));
        }
        assert_eq!(e.code(), "INTERNAL");
    }
}
