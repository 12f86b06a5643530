//! The request policy: one async-graphql extension that every transport
//! goes through (GraphQL over HTTP, and both WebSocket protocols), so that
//! they share the same limits and the same error shape:
//!
//! - query depth and complexity limits, one introspection schema a request;
//! - a time limit on executing an operation (`MOTCUA_REQUEST_TIMEOUT_SECS`);
//! - the first-login password change, checked on every root field;
//! - one root field that hashes a password a request;
//! - every error leaves with a stable `extensions.code` and a message in the
//!   caller's language, never an internal detail: `AppError`s keep their
//!   code, input bounds (`graphql::input`) and argument values of the wrong
//!   type become `BAD_USER_INPUT` naming the argument, anything else at a
//!   field is `INTERNAL` with the request id, logged once;
//! - whether the operation reached execution ([`Executed`]), which tells a
//!   GraphQL request error from a response.

use std::any::TypeId;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextPrepareRequest,
    NextRequest, NextResolve, NextSubscribe, NextValidation, ResolveInfo,
};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::Name;
use async_graphql::{
    Request, Response, ServerError, ServerResult, ValidationResult, Value, Variables,
};
use futures_util::stream::BoxStream;
use futures_util::StreamExt;

use super::context::RequestContext;
use super::input;
use crate::config::GraphqlLimits;
use crate::domain::authz::{admit, EntryPoint};
use crate::domain::Problem;
use crate::error::{code, AppError, Lang};

/// Root fields that hash a password (deliberately slow): one of them a
/// request.
const ONCE_PER_REQUEST: &[&str] = &[
    "login",
    "registerCitizen",
    "registerOrganisation",
    "changePassword",
    "createOfficial",
];

/// How many `__schema` fields one request may ask for: the whole schema is
/// large, and aliases would multiply it.
const MAX_SCHEMA_INTROSPECTIONS: usize = 1;
/// How many `__type` fields one request may ask for, for the same reason.
const MAX_TYPE_INTROSPECTIONS: usize = 10;
/// How many selections (fields, fragment spreads and inline fragments)
/// one document may have: each operation and each fragment definition
/// (used or not) counted with its fragment spreads expanded. Checked
/// before async-graphql's checks and validation, which walk every spread
/// where it appears and compare fields pairwise (a 1 MB document of
/// 100,000 aliases took 22 s to validate; a 1.4 KB "fragment bomb" of
/// spreads alone kept a core busy without end). graphql-js's standard
/// introspection query counts about 400.
pub const MAX_SELECTIONS: usize = 2_000;
/// How long a document may be, in bytes: parsing is linear but not free
/// (1.7 MB of aliases took 3.5 s in a debug build); every client query of
/// the README is under 2,000.
pub const MAX_QUERY_BYTES: usize = 100_000;
/// How much variable checking one request may cost (`variable_work`):
/// an e-form of 100,000 characters is a few thousand values, named once.
pub const MAX_VARIABLE_WORK: usize = 100_000;

/// How long an error's message may be, in characters: a wrong value is
/// quoted in it, and a 1 MB value quoted by 100 errors made 100 MB.
const MAX_MESSAGE_CHARS: usize = 1_000;

/// How many errors of the document itself (parsing, validation, coercion)
/// one response carries: the first ones (a client fixes those first;
/// 28,000 errors of one document cost 24 s to shape and 5.6 MB to send).
pub const MAX_ERRORS: usize = 100;

/// How deep brackets (`{`, `[`, `(`) may nest in a document, and
/// selections and fragment spreads while counting them (async-graphql
/// refuses selections past 32 anyway, but its parser recursed into nested
/// values until the stack overflowed).
const MAX_NESTING: usize = 64;

/// Whether a request's operation started executing, for a transport that
/// puts it in the request's data: set by the policy. A request that never
/// got there — its document did not parse or validate, its operation could
/// not be chosen, its variables did not coerce — failed with a GraphQL
/// request error, which GraphQL over HTTP answers without a `data` entry.
#[derive(Clone, Default)]
pub struct Executed(Arc<AtomicBool>);

impl Executed {
    /// Whether execution started (a field error or a timeout may have
    /// followed).
    pub fn started(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

pub struct Policy {
    pub limits: GraphqlLimits,
    /// The longest an operation may run.
    pub timeout: Duration,
}

impl ExtensionFactory for Policy {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(PolicyExtension {
            limits: self.limits,
            timeout: self.timeout,
            seen: Arc::new(Mutex::new(Seen::default())),
        })
    }
}

/// What one request's extension learned while parsing, for shaping its
/// errors later.
#[derive(Default)]
struct Seen {
    lang: Lang,
    request_id: Option<String>,
    query: Option<Arc<str>>,
    /// Whether a password-hashing root field already ran.
    hashed_a_password: bool,
    /// Every operation asks only for introspection fields (`__schema`,
    /// `__type`, `__typename`): the standard introspection queries of tools
    /// (graphql-js's `getIntrospectionQuery`) nest `ofType` deeper than the
    /// depth limit, so these are bounded by the introspection counts and the
    /// complexity limit instead.
    introspection_only: bool,
}

struct PolicyExtension {
    limits: GraphqlLimits,
    timeout: Duration,
    seen: Arc<Mutex<Seen>>,
}

fn lock(seen: &Mutex<Seen>) -> std::sync::MutexGuard<'_, Seen> {
    // A poisoned lock only means a panic elsewhere; the data is plain.
    seen.lock().unwrap_or_else(|e| e.into_inner())
}

fn shape_with(seen: &Mutex<Seen>, response: Response) -> Response {
    let (lang, request_id, query) = {
        let s = lock(seen);
        (
            s.lang,
            s.request_id.clone().unwrap_or_else(|| "-".into()),
            s.query.clone(),
        )
    };
    shape_response(response, lang, &request_id, query.as_deref())
}

impl PolicyExtension {
    fn seen(&self) -> std::sync::MutexGuard<'_, Seen> {
        lock(&self.seen)
    }
}

/// An error of the whole request, at no position in the query.
fn refusal(e: AppError) -> ServerError {
    let mut error = async_graphql::Error::from(e).into_server_error(Default::default());
    error.locations.clear();
    error
}

#[async_graphql::async_trait::async_trait]
impl Extension for PolicyExtension {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let response = next.run(ctx).await;
        shape_with(&self.seen, response)
    }

    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        // The stream outlives this call, and parsing happens while it is
        // polled: shape each response with what parsing learned by then.
        let seen = self.seen.clone();
        // On a legacy graphql-ws socket, at most MAX_SOCKET_OPERATIONS at
        // once (our graphql-transport-ws loop counts its own).
        let open = match ctx.data_opt::<OpenOperations>().map(OpenOperations::enter) {
            Some(Err(actual)) => {
                let refused = Response::from_errors(vec![too_much(
                    "operations",
                    actual,
                    MAX_SOCKET_OPERATIONS,
                )]);
                return futures_util::stream::once(async move { shape_with(&seen, refused) })
                    .boxed();
            }
            Some(Ok(open)) => Some(open),
            None => None,
        };
        next.run(ctx, stream)
            .map(move |r| {
                let _open = &open;
                shape_with(&seen, r)
            })
            .boxed()
    }

    /// Before async-graphql sees the document: at most `MAX_QUERY_BYTES`,
    /// brackets nested at most `MAX_NESTING` deep, parsed here (the parse
    /// is kept for the request), at most `MAX_SELECTIONS` selections.
    /// async-graphql's parser recurses into nested values without a bound
    /// (a stack overflow at 300 levels); its own checks after parsing walk
    /// every fragment spread again wherever it appears (exponential in a
    /// "fragment bomb") and its validation recurses down chains of
    /// fragments, used or not (a stack overflow): neither gets a document
    /// this refuses.
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        let rc = request
            .data
            .get(&TypeId::of::<RequestContext>())
            .and_then(|d| d.downcast_ref::<RequestContext>())
            .or_else(|| ctx.data_opt::<RequestContext>());
        if let Some(rc) = rc {
            let mut s = self.seen();
            s.lang = rc.lang;
            s.request_id = Some(rc.request_id.clone());
        }
        self.seen().query = Some(Arc::from(request.query.as_str()));
        if let Some(refused) = over_text_bounds(&request.query) {
            return Err(refused);
        }
        if !files_are_sent(&request) {
            return Err(refusal(AppError::bad_input(
                "variables",
                Problem::Invalid {
                    vi: "Biến tham chiếu một tệp không được gửi kèm".into(),
                    en: "A variable refers to a file that was not sent".into(),
                },
            )));
        }
        let work = variable_work(&request);
        if work > MAX_VARIABLE_WORK {
            return Err(too_much("variables", work, MAX_VARIABLE_WORK));
        }
        let selections = count_selections(request.parsed_query()?);
        if selections > MAX_SELECTIONS {
            return Err(too_much("selections", selections, MAX_SELECTIONS));
        }
        next.run(ctx, request).await
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        if let Some(rc) = ctx.data_opt::<RequestContext>() {
            let mut s = self.seen();
            s.lang = rc.lang;
            s.request_id = Some(rc.request_id.clone());
        }
        self.seen().query = Some(Arc::from(query));
        let doc = next.run(ctx, query, variables).await?;
        self.seen().introspection_only = self.limits.introspection
            && doc
                .operations
                .iter()
                .all(|(_, op)| only_introspection(&doc, &op.node.selection_set.node));
        // Introspection switched off (MOTCUA_INTROSPECTION=false)
        // is a limit of zero: refused with a code, not answered null.
        let on = usize::from(self.limits.introspection);
        for (field, max) in [
            ("__schema", MAX_SCHEMA_INTROSPECTIONS * on),
            ("__type", MAX_TYPE_INTROSPECTIONS * on),
        ] {
            let actual = doc
                .operations
                .iter()
                .map(|(_, op)| count_root_fields(&doc, &op.node.selection_set.node, field))
                .max()
                .unwrap_or(0);
            if actual > max {
                return Err(refusal(AppError::QueryTooExpensive {
                    limit: "introspection",
                    actual,
                    max,
                }));
            }
        }
        Ok(doc)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        let introspection_only = self.seen().introspection_only;
        let exceeded = if result.depth > self.limits.max_depth && !introspection_only {
            Some(("depth", result.depth, self.limits.max_depth))
        } else if result.complexity > self.limits.max_complexity {
            Some(("complexity", result.complexity, self.limits.max_complexity))
        } else {
            None
        };
        match exceeded {
            Some((limit, actual, max)) => Err(vec![refusal(AppError::QueryTooExpensive {
                limit,
                actual,
                max,
            })]),
            None => Ok(result),
        }
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        if let Some(executed) = ctx.data_opt::<Executed>() {
            executed.0.store(true, Ordering::Release);
        }
        match tokio::time::timeout(self.timeout, next.run(ctx, operation_name)).await {
            Ok(response) => response,
            // Dropping the execution stops its work at its next await.
            Err(_) => Response::from_errors(vec![refusal(AppError::QueryTooExpensive {
                limit: "seconds",
                actual: self.timeout.as_secs() as usize,
                max: self.timeout.as_secs() as usize,
            })]),
        }
    }

    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        // Every root field, over HTTP or WebSocket (and each event of a
        // subscription), passes the one session check.
        let is_root = info.path_node.parent.is_none();
        if is_root && !info.is_for_introspection {
            let actor = ctx
                .data_opt::<RequestContext>()
                .and_then(|r| r.actor.as_ref());
            if let Some(actor) = actor {
                admit(actor, EntryPoint::GraphqlField(info.name)).map_err(|denied| {
                    async_graphql::Error::from(AppError::from(denied))
                        .into_server_error(info.field.name.pos)
                })?;
            }
            if let Some(name) = ONCE_PER_REQUEST.iter().find(|n| **n == info.name) {
                if std::mem::replace(&mut self.seen().hashed_a_password, true) {
                    return Err(async_graphql::Error::from(AppError::bad_input(
                        *name,
                        Problem::Invalid {
                            vi: format!(
                                "Mỗi yêu cầu chỉ được gọi một trong {} một lần",
                                ONCE_PER_REQUEST.join(", ")
                            ),
                            en: format!(
                                "Only one of {} may be asked, once, in a request",
                                ONCE_PER_REQUEST.join(", ")
                            ),
                        },
                    ))
                    .into_server_error(info.field.name.pos));
                }
            }
        }
        next.run(ctx, info).await
    }
}

/// How many fields named `name` an operation selects at its root, through
/// inline fragments and fragment spreads (each fragment counted once: a
/// cycle is refused by validation later, and must not loop here).
/// Whether a root selection set (through its fragments) names only
/// introspection fields.
fn only_introspection(doc: &ExecutableDocument, set: &SelectionSet) -> bool {
    let fields = ["__schema", "__type", "__typename"];
    let total: usize = fields.iter().map(|f| count_root_fields(doc, set, f)).sum();
    total > 0 && total == count_root_fields(doc, set, "")
}

/// Whether a document's text is within the bounds checked before parsing
/// (`MAX_QUERY_BYTES`, `MAX_NESTING`): what may be parsed at all, here or
/// by a transport that looks at the operation's type first.
pub fn within_text_bounds(query: &str) -> bool {
    over_text_bounds(query).is_none()
}

/// The refusal of a document's text over the bounds checked before
/// parsing, if it is: more than `MAX_QUERY_BYTES`, or brackets nested past
/// `MAX_NESTING` (the parser recurses into nested values, `[[[…]]]`, with no
/// bound of its own: 300 levels overflowed the stack).
fn over_text_bounds(query: &str) -> Option<ServerError> {
    let bytes = query.len();
    if bytes > MAX_QUERY_BYTES {
        return Some(too_much("bytes", bytes, MAX_QUERY_BYTES));
    }
    let nesting = nesting_of(query);
    (nesting > MAX_NESTING).then(|| too_much("nesting", nesting, MAX_NESTING))
}

/// How many operations one WebSocket may have open at once.
pub const MAX_SOCKET_OPERATIONS: usize = 100;

/// The operations open on one legacy graphql-ws socket, in its session
/// data: async-graphql's loop for that protocol bounds neither their
/// number nor their ids (10,000 subscriptions on one socket held 146 MB;
/// 2,000 replaying from a cursor took 14 s of CPU).
#[derive(Clone, Default)]
pub struct OpenOperations(Arc<AtomicUsize>);

/// One open operation of a socket, counted until dropped.
pub struct OpenOperation(Arc<AtomicUsize>);

impl OpenOperations {
    /// Counts one more operation, or answers how many it would make.
    fn enter(&self) -> Result<OpenOperation, usize> {
        let now = self.0.fetch_add(1, Ordering::AcqRel) + 1;
        if now > MAX_SOCKET_OPERATIONS {
            self.0.fetch_sub(1, Ordering::AcqRel);
            return Err(now);
        }
        Ok(OpenOperation(self.0.clone()))
    }
}

impl Drop for OpenOperation {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// async-graphql's marker of the n-th uploaded file in a request's
/// variables; it indexes the uploads by n without a check.
const FILE_MARKER: &str = "#__graphql_file__:";

/// Whether every file marker of the request names a file sent with it, and
/// the document itself writes none (a marker written into JSON or
/// WebSocket variables, or as a literal, made async-graphql panic).
fn files_are_sent(request: &Request) -> bool {
    fn check(v: &Value, files: usize) -> bool {
        match v {
            Value::String(s) => s
                .strip_prefix(FILE_MARKER)
                .is_none_or(|n| n.parse::<usize>().is_ok_and(|n| n < files)),
            Value::List(items) => items.iter().all(|i| check(i, files)),
            Value::Object(map) => map.values().all(|i| check(i, files)),
            _ => true,
        }
    }
    let files = request.uploads.len();
    !request.query.contains(FILE_MARKER) && request.variables.values().all(|v| check(v, files))
}

/// The work of checking a request's variables: each variable's values
/// (every list item and object field counts one) times the times the
/// document names it (`$f`, its declaration aside). async-graphql clones
/// and checks a variable for every argument that uses it, before any
/// bound of ours on its items: 250 aliases of a 100,000-item filter took
/// 17.5 s.
fn variable_work(request: &Request) -> usize {
    fn values(v: &Value) -> usize {
        match v {
            Value::List(items) => items.iter().map(values).fold(1, usize::saturating_add),
            Value::Object(map) => map.values().map(values).fold(1, usize::saturating_add),
            _ => 1,
        }
    }
    // `$name` as the document writes it, counted in one pass.
    let mut named: HashMap<&str, usize> = HashMap::new();
    let text = request.query.as_str();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        let after = &rest[at + 1..];
        let len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        *named.entry(&after[..len]).or_default() += 1;
        rest = &after[len..];
    }
    request
        .variables
        .iter()
        .map(|(name, v)| {
            let uses = named
                .get(name.as_str())
                .map_or(1, |n| n.saturating_sub(1).max(1));
            values(v).saturating_mul(uses)
        })
        .fold(0, usize::saturating_add)
}

/// A document over a bound: `actual` is capped at a billion (a saturated
/// count would not survive a JavaScript client's numbers).
fn too_much(limit: &'static str, actual: usize, max: usize) -> ServerError {
    refusal(AppError::QueryTooExpensive {
        limit,
        actual: actual.min(1_000_000_000),
        max,
    })
}

/// How deep `{`, `[` and `(` nest in a GraphQL document, strings, block
/// strings and comments aside; one pass, no recursion.
fn nesting_of(query: &str) -> usize {
    let bytes = query.as_bytes();
    let (mut depth, mut deepest, mut i) = (0usize, 0usize, 0usize);
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i += 3;
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    // An escaped triple quote stays inside the block.
                    i += if bytes[i..].starts_with(b"\\\"\"\"") {
                        4
                    } else {
                        1
                    };
                }
                i += 2;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    deepest
}

/// How many selections a document has: each operation and each fragment
/// definition, with fragment spreads expanded, every field, spread and
/// inline fragment counting one (saturating; a spread of a missing
/// fragment or one closing a cycle, which validation refuses, counts one;
/// nesting past `MAX_NESTING` counts as too many).
fn count_selections(doc: &ExecutableDocument) -> usize {
    let mut memo: HashMap<Name, usize> = HashMap::new();
    let mut open = HashSet::new();
    let operations = doc
        .operations
        .iter()
        .map(|(_, op)| &op.node.selection_set.node);
    let fragments = doc.fragments.values().map(|f| &f.node.selection_set.node);
    operations
        .chain(fragments)
        .map(|set| selections_in(doc, set, 0, &mut memo, &mut open))
        .fold(0, usize::saturating_add)
}

fn selections_in(
    doc: &ExecutableDocument,
    set: &SelectionSet,
    depth: usize,
    memo: &mut HashMap<Name, usize>,
    open: &mut HashSet<Name>,
) -> usize {
    if depth > MAX_NESTING {
        return usize::MAX;
    }
    let mut count = 0usize;
    for item in &set.items {
        let n = match &item.node {
            Selection::Field(f) => 1usize.saturating_add(selections_in(
                doc,
                &f.node.selection_set.node,
                depth + 1,
                memo,
                open,
            )),
            Selection::InlineFragment(f) => 1usize.saturating_add(selections_in(
                doc,
                &f.node.selection_set.node,
                depth + 1,
                memo,
                open,
            )),
            Selection::FragmentSpread(s) => {
                let name = &s.node.fragment_name.node;
                let inside = if let Some(&n) = memo.get(name) {
                    n
                } else if !open.insert(name.clone()) {
                    0
                } else {
                    let n = doc.fragments.get(name).map_or(0, |def| {
                        selections_in(doc, &def.node.selection_set.node, depth + 1, memo, open)
                    });
                    open.remove(name);
                    memo.insert(name.clone(), n);
                    n
                };
                1usize.saturating_add(inside)
            }
        };
        count = count.saturating_add(n);
    }
    count
}

/// How many root fields named `name` (any name when empty) a selection set
/// asks for, through its fragments.
fn count_root_fields(doc: &ExecutableDocument, set: &SelectionSet, name: &str) -> usize {
    let mut visited = HashSet::new();
    let mut stack = vec![set];
    let mut count = 0;
    while let Some(set) = stack.pop() {
        for item in &set.items {
            match &item.node {
                Selection::Field(f) if name.is_empty() || f.node.name.node == name => count += 1,
                Selection::Field(_) => {}
                Selection::InlineFragment(f) => stack.push(&f.node.selection_set.node),
                Selection::FragmentSpread(s) => {
                    let fragment = &s.node.fragment_name.node;
                    if visited.insert(fragment.clone()) {
                        if let Some(def) = doc.fragments.get(fragment) {
                            stack.push(&def.node.selection_set.node);
                        }
                    }
                }
            }
        }
    }
    count
}

/// Gives every error of a response its code and localised message. `query`
/// is the request's text, to name the argument of a value of the wrong type.
pub fn shape_response(
    mut response: Response,
    lang: Lang,
    request_id: &str,
    query: Option<&str>,
) -> Response {
    // At most MAX_ERRORS errors of the document itself (no path: parsing,
    // validation, coercion) are answered: shaping one may look through the
    // query's text, and 14,000 repeated wrong arguments made 28,000 errors
    // shaped in 24 s. Field errors, one a field at most, are bounded by
    // the selections.
    let mut of_document = 0;
    response.errors.retain(|e| {
        of_document += usize::from(e.path.is_empty());
        !e.path.is_empty() || of_document <= MAX_ERRORS
    });
    // A field priced by its arguments (`first`) parses them again to
    // compute its complexity, and repeats validation's wrong-type error at
    // the field, naming no argument: validation's error names it.
    if response.errors.len() > 1 {
        response.errors.retain(|e| !repeats_validation(e, query));
    }
    for e in &mut response.errors {
        shape_error(e, lang, request_id, query);
        if let Some((cut, _)) = e.message.char_indices().nth(MAX_MESSAGE_CHARS) {
            e.message.truncate(cut);
            e.message.push('…');
        }
    }
    response
}

/// Whether `e` is the complexity visitor's copy of a wrong-typed argument
/// (`Expected input type "Int", found "x".` at the field, not at a value).
fn repeats_validation(e: &ServerError, query: Option<&str>) -> bool {
    (e.message.starts_with("Expected input type") || e.message.starts_with("Failed to parse"))
        && named_in(&e.message).is_none()
        && e.locations.first().is_some_and(|pos| {
            query
                .and_then(|q| argument_at(q, pos.line, pos.column))
                .is_none()
        })
}

/// Gives `e` the envelope of `app` (`AppError::envelope`, which logs an
/// `INTERNAL` once).
fn set_app_error(e: &mut ServerError, app: &AppError, lang: Lang, request_id: &str) {
    let at = format!("{:?}", e.path);
    let envelope = app.envelope(lang, request_id, &at);
    e.message = envelope.message;
    copy_extensions(envelope.extensions, &mut e.extensions);
}

/// `app`'s envelope as an async-graphql error, for what answers outside
/// the executor (a refused WebSocket `connection_init`). `at` names the
/// place for the log.
pub fn envelope_error(
    app: &AppError,
    lang: Lang,
    request_id: &str,
    at: &str,
) -> async_graphql::Error {
    let envelope = app.envelope(lang, request_id, at);
    let mut error = async_graphql::Error::new(envelope.message);
    copy_extensions(envelope.extensions, &mut error.extensions);
    error
}

fn copy_extensions(
    from: serde_json::Map<String, serde_json::Value>,
    to: &mut Option<async_graphql::ErrorExtensionValues>,
) {
    let ext = to.get_or_insert_with(Default::default);
    for (k, v) in from {
        ext.set(k, Value::from_json(v).unwrap_or(Value::Null));
    }
}

/// Messages async-graphql gives a value that does not parse as its type
/// (`InputValueError`), or that validation finds of the wrong type.
const WRONG_VALUE_PREFIXES: &[&str] = &[
    "Failed to parse",
    "Expected input type",
    "Invalid value for argument",
];

fn shape_error(e: &mut ServerError, lang: Lang, request_id: &str, query: Option<&str>) {
    let app = e
        .source::<AppError>()
        .or_else(|| e.source::<Arc<AppError>>().map(|a| a.as_ref()))
        .cloned();
    if let Some(app) = app {
        set_app_error(e, &app, lang, request_id);
        return;
    }
    if let Some(app) = bounded_input(e) {
        e.extensions = None;
        set_app_error(e, &app, lang, request_id);
        return;
    }
    let has_code = e
        .extensions
        .as_ref()
        .is_some_and(|x| x.get("code").is_some());
    if has_code {
        return;
    }
    if WRONG_VALUE_PREFIXES
        .iter()
        .any(|p| e.message.starts_with(p))
    {
        let field = e
            .locations
            .first()
            .and_then(|pos| {
                let q = query?;
                argument_at(q, pos.line, pos.column)
                    .or_else(|| page_size_at(q, pos.line, pos.column))
            })
            .or_else(|| named_in(&e.message))
            .unwrap_or_else(|| "argument".into());
        let detail = e.message.clone();
        let app = AppError::bad_input(
            field,
            Problem::Invalid {
                vi: format!(
                    "Giá trị không đúng kiểu ({})",
                    super::messages::vietnamese(&detail)
                ),
                en: detail,
            },
        );
        set_app_error(e, &app, lang, request_id);
        return;
    }
    if e.path.is_empty() {
        // A malformed or invalid query: its message speaks of the query,
        // not of the server, in the caller's language.
        e.extensions
            .get_or_insert_with(Default::default)
            .set("code", code::BAD_USER_INPUT);
        if lang == Lang::Vi {
            e.message = super::messages::vietnamese(&e.message);
        }
    } else {
        set_app_error(e, &AppError::internal(e.message.clone()), lang, request_id);
    }
}

/// A refusal by one of `graphql::input`'s bounds, read back from the
/// extensions the validator set.
fn bounded_input(e: &ServerError) -> Option<AppError> {
    let ext = e.extensions.as_ref()?;
    ext.get(input::MARKER_KEY)?;
    let text = |k: &str| match ext.get(k) {
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    };
    Some(AppError::bad_input(
        text(input::FIELD_KEY),
        Problem::Invalid {
            vi: text(input::PROBLEM_KEY),
            en: text(input::PROBLEM_EN_KEY),
        },
    ))
}

/// The argument or variable a message names (`Invalid value for argument
/// "groupBy", …`, `… variable "$filter" …`): the name between the quotes.
fn named_in(message: &str) -> Option<String> {
    ["argument \"", "variable \"$", "Variable \"$"]
        .iter()
        .find_map(|lead| {
            let rest = &message[message.find(lead)? + lead.len()..];
            let name = &rest[..rest.find('"')?];
            (!name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.'))
            .then(|| name.to_owned())
        })
}

/// The byte offset of (line, column) in the query, both counted from 1
/// (columns in characters).
fn offset_of(query: &str, line: usize, column: usize) -> Option<usize> {
    let line_start: usize = query
        .split_inclusive('\n')
        .take(line.checked_sub(1)?)
        .map(str::len)
        .sum();
    let rest = query.get(line_start..)?;
    let offset = rest
        .char_indices()
        .nth(column.checked_sub(1)?)
        .map(|(i, _)| i)?;
    Some(line_start + offset)
}

/// The page size (`first` or `last`) of the field at (line, column) whose
/// value is not an Int literal (a variable, `1.5`, `2147483648`): what a
/// paged field's complexity parsed and failed on, reported at the field.
fn page_size_at(query: &str, line: usize, column: usize) -> Option<String> {
    let rest = query.get(offset_of(query, line, column)?..)?;
    let open = rest.find('(')?;
    if rest[..open].contains(['{', '}']) {
        return None;
    }
    let args = &rest[open + 1..];
    let args = &args[..args.find(')')?];
    ["first", "last"]
        .into_iter()
        .find(|name| {
            args.match_indices(name).any(|(at, _)| {
                let whole = !args[..at]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
                let Some(value) = args[at + name.len()..].trim_start().strip_prefix(':') else {
                    return false;
                };
                let value = value
                    .trim_start()
                    .split(|c: char| c.is_whitespace() || c == ',')
                    .next()
                    .unwrap_or("");
                whole && value.parse::<i32>().is_err()
            })
        })
        .map(str::to_owned)
}

/// The argument whose value starts at (line, column) of the query: the name
/// before the colon that precedes it.
fn argument_at(query: &str, line: usize, column: usize) -> Option<String> {
    let at = offset_of(query, line, column)?;
    let before = query.get(..at)?.trim_end();
    let before = before.strip_suffix(':')?.trim_end();
    let name: String = before
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_counts_brackets_outside_strings_and_comments() {
        assert_eq!(nesting_of("{ a(x: [[1]]) { b } }"), 4);
        assert_eq!(nesting_of("{ a(x: \"[[[[{{\\\"[[\") # [[[[[\n }"), 2);
        assert_eq!(nesting_of("{ a(x: \"\"\" [[[ \\\"\"\" {{{ \"\"\") }"), 2);
        assert_eq!(nesting_of(&"[".repeat(300)), 300);
        assert_eq!(nesting_of("}}}{"), 1);
    }

    #[test]
    fn a_message_names_its_argument_or_variable() {
        assert_eq!(
            named_in("Invalid value for argument \"groupBy\", enumeration type \"StatisticsGroup\" does not contain the value \"WEEKDAY\"").as_deref(),
            Some("groupBy")
        );
        assert_eq!(named_in("Failed to parse \"Int\""), None);
    }

    #[test]
    fn the_argument_of_a_value_is_found_by_its_position() {
        let q = "{ dueDate(procedureId: \"1\",\n  receivedAt: 1700000000) { dueAt } }";
        assert_eq!(argument_at(q, 2, 15).as_deref(), Some("receivedAt"));
        assert_eq!(argument_at(q, 1, 24).as_deref(), Some("procedureId"));
        assert_eq!(argument_at(q, 1, 1), None);
        assert_eq!(argument_at(q, 9, 1), None);
        let paged = "{\n  dossiers(filter: {}, last: 2147483648) { totalCount }\n}";
        assert_eq!(page_size_at(paged, 2, 3).as_deref(), Some("last"));
        let paged = "query($f: Int) { workQueue(first: $f) { totalCount } }";
        assert_eq!(page_size_at(paged, 1, 18).as_deref(), Some("first"));
        assert_eq!(
            page_size_at("{ dossiers(first: 5) { totalCount } }", 1, 3),
            None
        );
        assert_eq!(page_size_at("{ me { id } }", 1, 3), None);
    }
}
