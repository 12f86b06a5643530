//! What every resolver needs: the app state, the request's actor and
//! language, and page arguments turned into a validated `PageRequest`.

use async_graphql::{Context, ID};
use base64::Engine;
use chrono::DateTime;

use super::loaders::Loaders;
use crate::config::GraphqlLimits;
use crate::domain::authz::Actor;
use crate::domain::Problem;
use crate::error::{AppError, AppResult, Lang};
use crate::services::dossiers::{ListRequest, Position, SortKey};
use crate::services::{Caller, PageRequest};
use crate::state::AppState;

/// Built by the HTTP layer for each request (or WebSocket connection).
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub actor: Option<Actor>,
    /// The bearer token, kept on WebSocket connections so that every event
    /// re-checks the session.
    pub token: Option<String>,
    pub lang: Lang,
    pub request_id: String,
    pub client_addr: String,
}

/// What a resolver reads from its context. The schema's data is inserted by
/// the HTTP layer (`AppState`, `Loaders`) and per request or socket
/// (`RequestContext`); a missing one is a wiring bug, answered `INTERNAL`
/// (never a panic). What only shapes the answer falls back safely when the
/// request is missing: no actor, Vietnamese, masked.
pub trait ContextExt {
    /// The application state. Errors: INTERNAL when not in the schema's data.
    fn state(&self) -> AppResult<&AppState>;
    /// This request's (or socket's) context. Errors: INTERNAL when missing.
    fn request(&self) -> AppResult<&RequestContext>;
    /// The request's data loaders. Errors: INTERNAL when missing.
    fn loaders(&self) -> AppResult<&Loaders>;
    /// The signed-in actor; None for an anonymous caller (or a missing
    /// request context, which then gets no more than an anonymous caller).
    fn actor(&self) -> Option<&Actor> {
        self.request().ok().and_then(|r| r.actor.as_ref())
    }
    /// The caller as the services see it. Errors: INTERNAL when the request
    /// context is missing.
    fn caller(&self) -> AppResult<Caller<'_>> {
        let rc = self.request()?;
        Ok(Caller::new(
            rc.actor.as_ref(),
            &rc.request_id,
            &rc.client_addr,
        ))
    }
    /// The language of messages (Vietnamese when unknown).
    fn lang(&self) -> Lang {
        self.request().map(|r| r.lang).unwrap_or_default()
    }
    /// Analysts read with personal data masked and free text withheld
    /// (DOMAIN.md: the ANALYST role). Masked, too, without a request context.
    fn masked(&self) -> bool {
        match self.request() {
            Ok(rc) => rc.actor.as_ref().is_some_and(|a| a.is_analyst_only()),
            Err(_) => true,
        }
    }
    /// Postal staff read only what delivering a result needs (DOMAIN.md: the
    /// POSTAL_STAFF role): the applicant's name, phone and address, the
    /// code, the procedure and the status; not the e-form, the files, the
    /// tasks, the payments or the history's details.
    fn delivery_only(&self) -> bool {
        self.actor().is_some_and(|a| a.is_postal_only())
    }
    /// Free text officials or citizens wrote (it may name people), withheld
    /// from analysts and from postal staff.
    fn free_text<'a>(&self, text: Option<&'a str>) -> Option<&'a str> {
        if self.masked() || self.delivery_only() {
            None
        } else {
            text
        }
    }
    fn label(&self, vi: &'static str, en: &'static str) -> &'static str {
        match self.lang() {
            Lang::Vi => vi,
            Lang::En => en,
        }
    }
}

impl ContextExt for Context<'_> {
    fn state(&self) -> AppResult<&AppState> {
        schema_data(self)
    }

    fn request(&self) -> AppResult<&RequestContext> {
        schema_data(self)
    }

    fn loaders(&self) -> AppResult<&Loaders> {
        schema_data(self)
    }
}

/// A value of the schema's or the request's data, or INTERNAL naming the
/// type that was not inserted.
fn schema_data<'a, T: Send + Sync + 'static>(ctx: &'a Context<'_>) -> AppResult<&'a T> {
    ctx.data_opt::<T>().ok_or_else(|| {
        AppError::internal(format!(
            "{} missing from the GraphQL context",
            std::any::type_name::<T>()
        ))
    })
}

/// Parses an `ID` argument as a database id.
pub fn parse_id(field: &str, id: &ID) -> AppResult<i64> {
    id.parse::<i64>()
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| AppError::bad_input(field, Problem::UnknownReference))
}

pub fn parse_opt_id(field: &str, id: Option<&ID>) -> AppResult<Option<i64>> {
    id.map(|i| parse_id(field, i)).transpose()
}

pub const DEFAULT_PAGE_SIZE: i32 = 20;

/// Validates `first`/`after`: a page holds 0 to the configured maximum.
pub fn page_request(
    limits: &GraphqlLimits,
    first: Option<i32>,
    after: Option<&str>,
) -> AppResult<PageRequest> {
    Ok(PageRequest {
        first: page_size(limits, "first", first)?,
        after: after.map(|s| decode_cursor("after", s)).transpose()?,
    })
}

/// A page's size, `field` (`first` or `last`): 0 to the configured most,
/// DEFAULT_PAGE_SIZE when not given.
fn page_size(limits: &GraphqlLimits, field: &str, n: Option<i32>) -> AppResult<u64> {
    let n = n.unwrap_or(DEFAULT_PAGE_SIZE);
    if n < 0 || n as usize > limits.max_page_size {
        return Err(AppError::bad_input(
            field,
            Problem::OutOfRange {
                min: 0,
                max: limits.max_page_size as i64,
            },
        ));
    }
    Ok(n as u64)
}

/// A dossier list's page arguments turned into a `ListRequest` (`count`:
/// whether the total is asked for): forward (`first`, `after`) or backward
/// (`last`, `before`), never both (BAD_USER_INPUT on `last` or `before`); a
/// cursor from a list in another order is BAD_USER_INPUT on
/// `after`/`before`.
pub fn list_request(
    limits: &GraphqlLimits,
    (key, descending, count): (SortKey, bool, bool),
    (first, after): (Option<i32>, Option<&str>),
    (last, before): (Option<i32>, Option<&str>),
) -> AppResult<ListRequest> {
    let backward = last.is_some() || before.is_some();
    if backward && (first.is_some() || after.is_some()) {
        let field = if last.is_some() { "last" } else { "before" };
        return Err(AppError::bad_input(
            field,
            Problem::Invalid {
                vi: "Chỉ lật trang theo một chiều: first/after hoặc last/before".into(),
                en: "Page one way: first/after or last/before".into(),
            },
        ));
    }
    let (field, size, cursor) = match backward {
        false => ("first", first, after),
        true => ("last", last, before),
    };
    let cursor_field = if backward { "before" } else { "after" };
    Ok(ListRequest {
        size: page_size(limits, field, size)?,
        key,
        descending,
        from: cursor
            .map(|s| decode_position(cursor_field, key, s))
            .transpose()?,
        backward,
        count,
    })
}

pub fn encode_cursor(id: i64) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("c:{id}"))
}

/// The cursor of a dossier at `p` in a list sorted by `key`: `c:{id}` in
/// creation order (the cursor every list uses), else
/// `c:{key}:{nanoseconds since 1970, or - without the time}:{id}`.
pub fn encode_position(key: SortKey, p: Position) -> String {
    let Some(tag) = sort_tag(key) else {
        return encode_cursor(p.id);
    };
    let at =
        p.at.and_then(|t| t.timestamp_nanos_opt())
            .map_or_else(|| "-".to_string(), |n| n.to_string());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("c:{tag}:{at}:{}", p.id))
}

fn sort_tag(key: SortKey) -> Option<&'static str> {
    match key {
        SortKey::Created => None,
        SortKey::Received => Some("r"),
        SortKey::Due => Some("d"),
        SortKey::Updated => Some("u"),
    }
}

fn decode_position(field: &str, key: SortKey, s: &str) -> AppResult<Position> {
    let text = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| AppError::bad_input(field, Problem::UnknownValue))?;
    let parts: Vec<&str> = text.splitn(4, ':').collect();
    let (tag, at, id) = match parts[..] {
        ["c", id] => (None, None, id),
        ["c", tag, at, id] => (Some(tag), Some(at), id),
        _ => return Err(AppError::bad_input(field, Problem::UnknownValue)),
    };
    if tag != sort_tag(key) {
        return Err(AppError::bad_input(
            field,
            Problem::Invalid {
                vi: "Con trỏ này thuộc danh sách sắp xếp theo cách khác".into(),
                en: "This cursor belongs to a list in another order".into(),
            },
        ));
    }
    let id = id
        .parse()
        .map_err(|_| AppError::bad_input(field, Problem::UnknownValue))?;
    let at = match at {
        None | Some("-") => None,
        Some(n) => {
            Some(DateTime::from_timestamp_nanos(n.parse().map_err(|_| {
                AppError::bad_input(field, Problem::UnknownValue)
            })?))
        }
    };
    Ok(Position { at, id })
}

fn decode_cursor(field: &str, s: &str) -> AppResult<i64> {
    decode_position(field, SortKey::Created, s).map(|p| p.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: GraphqlLimits = GraphqlLimits {
        max_depth: 10,
        max_complexity: 100,
        max_page_size: 50,
        introspection: true,
    };

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let c = encode_cursor(42);
        assert_eq!(
            page_request(&LIMITS, Some(5), Some(&c)).unwrap().after,
            Some(42)
        );
        assert!(page_request(&LIMITS, None, Some("zzz")).is_err());
    }

    #[test]
    fn page_size_is_bounded() {
        assert!(page_request(&LIMITS, Some(51), None).is_err());
        assert!(page_request(&LIMITS, Some(-1), None).is_err());
        assert_eq!(page_request(&LIMITS, None, None).unwrap().first, 20);
    }
}
