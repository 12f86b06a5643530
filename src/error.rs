//! `AppError`: the one error type of the services and resolvers.
//!
//! Use it everywhere below the GraphQL layer. Resolvers may `?` it directly:
//! async-graphql keeps the value as the error's source, and
//! `graphql::policy` turns it into a stable `extensions.code` and a message in
//! the caller's language. Anything else that reaches a response (a `DbErr`, a
//! panic message) becomes `INTERNAL` with its details logged, never sent.

use crate::domain::authz::Denied;
use crate::domain::{Problem, StoredEnum};

#[derive(Debug, Clone, thiserror::Error)]
pub enum AppError {
    #[error("chưa đăng nhập")]
    Unauthenticated,
    #[error("không có quyền")]
    Forbidden,
    #[error("không tìm thấy {0}")]
    NotFound(&'static str),
    #[error("dữ liệu không hợp lệ: {field}")]
    BadInput { field: String, problem: Problem },
    #[error("thao tác không hợp lệ ở trạng thái hiện tại")]
    InvalidTransition { vi: String, en: String },
    #[error("dữ liệu đã bị thay đổi")]
    VersionConflict,
    #[error("phải đổi mật khẩu")]
    PasswordChangeRequired,
    #[error("quá nhiều yêu cầu")]
    RateLimited { retry_after_secs: u64 },
    /// A limit on a request's cost: `limit` is `depth`, `complexity`,
    /// `introspection` (one `__schema`, ten `__type` a request) or `seconds` (the time an
    /// operation may run).
    #[error("truy vấn quá tốn kém")]
    QueryTooExpensive {
        limit: &'static str,
        actual: usize,
        max: usize,
    },
    #[error("lỗi hệ thống")]
    Internal(String),
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

/// The language of messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Vi,
    En,
}

impl Lang {
    /// English when the first language the client names is English.
    pub fn from_accept_language(header: Option<&str>) -> Lang {
        let first = header.and_then(|h| h.split(',').next()).map(|t| {
            t.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
        match first {
            Some(tag) if tag == "en" || tag.starts_with("en-") => Lang::En,
            _ => Lang::Vi,
        }
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

    pub fn internal(e: impl std::fmt::Display) -> Self {
        AppError::Internal(e.to_string())
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
                format!("Không tìm thấy {}", vi_noun(what)),
                format!("{what} not found"),
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

fn vi_noun(what: &str) -> &str {
    match what {
        "agency" => "cơ quan",
        "sector" => "ngành",
        "field" => "lĩnh vực",
        "procedure" => "thủ tục",
        "account" => "tài khoản",
        "attachment" => "tệp đính kèm",
        "document" => "giấy tờ",
        "route" => "địa chỉ",
        _ => "đối tượng",
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

impl From<sea_orm::DbErr> for AppError {
    fn from(e: sea_orm::DbErr) -> Self {
        AppError::Internal(e.to_string())
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
