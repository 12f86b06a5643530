//! Subscriptions: dossier events as they commit, for the applicant's mobile
//! app and the officers' desks, and the cursor a client resumes from.
//!
//! A subscription is authorized once, when it starts. Handing it an event
//! is a filter in memory (`Interest::matches`): no SQL. What can change
//! its right to listen comes as a control event through the same ordered
//! stream (`events::Control`): a sign-out, a password change, replaced
//! roles or a deactivation make that account's subscriptions check their
//! session and scope again, once; a changed agency tree makes the agency
//! subscriptions check in memory. The session is also looked at when it
//! would expire or go idle.
//!
//! Every event carries a `cursor` ordering all events. Given one (`after`),
//! a subscription first replays from the outbox what its scope missed —
//! including dossiers the client has never seen — then goes live with no
//! gap and no duplicate at the seam; a subscriber that falls behind the
//! bus catches up the same way. A database error is retried, never ends
//! the stream.

use super::time::Time;
use std::collections::VecDeque;
use std::time::Duration;

use async_graphql::{Context, Object, Result, SimpleObject, Subscription, ID};
use chrono::{DateTime, Utc};
use futures_util::Stream;
use tokio::sync::broadcast::error::RecvError;

use super::context::{parse_id, ContextExt};
use super::enums::{DossierAction, DossierStatus, Role};
use super::input::Chars;
use crate::domain::authz::{admit, covers, Actor, AgencyScope, EntryPoint};
use crate::domain::lifecycle as dl;
use crate::domain::Problem;
use crate::error::{AppError, Lang, Missing};
use crate::events::relay::{self, Resume, Scope};
use crate::events::{AgencyTree, BusMessage, Control, LiveEvent};
use crate::services::{accounts, dossiers};
use crate::state::AppState;

/// A dossier moved — or, with `resyncRequired`, the server could not
/// replay from the cursor given (it is ahead of this database, e.g. after a
/// restore): reload what is shown, then go on from this event's `cursor`.
#[derive(SimpleObject, Clone, Default)]
pub struct DossierStatusEvent {
    pub resync_required: bool,
    /// Where this event stands in the order of all events: give it as
    /// `after` to resume right after it. Opaque; ordered by the server.
    pub cursor: Option<String>,
    pub dossier_id: Option<ID>,
    pub code: Option<String>,
    /// The dossier's history sequence number of this event.
    pub seq: Option<i32>,
    pub action: Option<DossierAction>,
    pub from_status: Option<DossierStatus>,
    pub from_status_label: Option<String>,
    pub to_status: Option<DossierStatus>,
    pub to_status_label: Option<String>,
    pub national_status_code: Option<i32>,
    pub due_at: Option<Time>,
    pub actor_role: Option<Role>,
    pub actor_agency_id: Option<ID>,
    pub at: Option<Time>,
}

impl DossierStatusEvent {
    fn of(e: &LiveEvent, lang: Lang) -> Self {
        let to = dl::DossierStatus::parse(&e.to_status);
        let from = e.from_status.as_deref().and_then(dl::DossierStatus::parse);
        DossierStatusEvent {
            resync_required: false,
            cursor: Some(e.position.to_string()),
            dossier_id: Some(e.dossier_id.into()),
            code: e.code.clone(),
            seq: Some(e.seq),
            action: dl::DossierAction::parse(&e.action).map(Into::into),
            from_status: from.map(Into::into),
            from_status_label: from.map(|s| lang.pick(s.label_vi(), s.label_en())),
            to_status: to.map(Into::into),
            to_status_label: to.map(|s| lang.pick(s.label_vi(), s.label_en())),
            national_status_code: e.national_status_code.map(i32::from),
            due_at: e.due_at.map(Time),
            actor_role: e
                .actor_role
                .as_deref()
                .and_then(crate::domain::authz::Role::parse)
                .map(Into::into),
            actor_agency_id: e.actor_agency_id.map(Into::into),
            at: Some(e.at.into()),
        }
    }

    fn resync(position: i64) -> Self {
        DossierStatusEvent {
            resync_required: true,
            cursor: Some(position.to_string()),
            ..Default::default()
        }
    }
}

/// Which events a subscription wants, decided in memory.
#[derive(Clone, Debug)]
enum Interest {
    /// One dossier's events after the sequence number the subscriber has;
    /// with the dossier's agencies last seen (a move re-checks access).
    Dossier {
        id: i64,
        seq: i32,
        agencies: (i64, i64),
    },
    Applicant(i64),
    /// An agency and everything below it; a dossier never submitted is
    /// nobody's work (`relay::is_agency_work`).
    Agency(i64),
}

impl Interest {
    fn matches(&self, e: &LiveEvent, tree: &AgencyTree) -> bool {
        match self {
            Interest::Dossier { id, seq, .. } => e.dossier_id == *id && e.seq > *seq,
            Interest::Applicant(id) => e.applicant_account_id == Some(*id),
            Interest::Agency(root) => {
                relay::is_agency_work(e)
                    && (tree.is_within(e.receiving_agency_id, *root)
                        || tree.is_within(e.settling_agency_id, *root))
            }
        }
    }

    /// What to read from the outbox to catch up.
    fn scope(&self, tree: &AgencyTree) -> Scope {
        match self {
            Interest::Dossier { id, .. } => Scope::Dossier(*id),
            Interest::Applicant(id) => Scope::Applicant(*id),
            Interest::Agency(root) => Scope::Agencies(tree.subtree(*root)),
        }
    }
}

/// Whether the actor may watch an agency's queue: a grant reading agency
/// records (or province-wide) that covers it. In memory, on the tree.
fn may_watch_agency(actor: &Actor, tree: &AgencyTree, agency_id: i64) -> bool {
    let lineage = tree.lineage(agency_id);
    if lineage.is_empty() {
        return false;
    }
    let scope = AgencyScope { lineage: &lineage };
    actor
        .grants
        .iter()
        .any(|g| (g.role.reads_agency_records() || g.role.is_province_wide()) && covers(g, scope))
}

/// The error of a subscription, with the `AppError` as its source: the
/// policy (`graphql::policy`) gives it its envelope — message in the
/// caller's language, code, and for an `INTERNAL` the request id and one log
/// line with the cause — the same as over HTTP.
fn ws_error(e: AppError) -> async_graphql::Error {
    async_graphql::Error::from(e)
}

/// Outbox rows read per catch-up step.
const PAGE: u64 = 200;
/// How long a subscription retries the database before it gives up.
const RETRY_FOR: Duration = Duration::from_secs(3);
/// How often a subscription catching up from the database looks at its
/// session and scope (it does not read the control events meanwhile).
const CATCH_UP_RECHECK: Duration = Duration::from_secs(1);

/// Runs `op` until it succeeds, fails for a reason of the caller's, or our
/// faults (the database) outlast [`RETRY_FOR`]: they are retried with a
/// growing wait, so that a restarting database only delays the subscriber.
/// The last fault is returned: the socket then closes with 1013, and the
/// client reconnects and resumes from its cursor (`http::ws`).
async fn retrying<T, F, Fut>(mut op: F) -> Result<T, AppError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, AppError>>,
{
    let started = tokio::time::Instant::now();
    let mut wait = Duration::from_millis(100);
    loop {
        match op().await {
            Err(AppError::Internal(cause)) if started.elapsed() < RETRY_FOR => {
                tracing::warn!(
                    error = format!("{cause:#}"),
                    "subscription waits for the database"
                );
                tokio::time::sleep(wait.min(RETRY_FOR.saturating_sub(started.elapsed()))).await;
                wait *= 2;
            }
            done => return done,
        }
    }
}

/// One subscription's state: who listens, for what, and where it stands.
struct Follow {
    rx: tokio::sync::broadcast::Receiver<BusMessage>,
    st: AppState,
    token: String,
    actor: Actor,
    interest: Interest,
    lang: Lang,
    /// The last position handed on or passed over: older messages are
    /// duplicates.
    position: i64,
    /// Events read from the outbox, sent before anything live.
    pending: VecDeque<LiveEvent>,
    /// The position to read the outbox up to before listening again (a
    /// resume, or messages the bus dropped for a slow reader). Past it, the
    /// bus holds every message — control events included — in order.
    behind: Option<i64>,
    /// When the session ends by the server's clock (its expiry or idle
    /// end, as last looked up): then it is looked at again.
    session_until: DateTime<Utc>,
    /// When the session and scope were last looked at.
    checked_at: tokio::time::Instant,
    /// A marker to send first (a cursor ahead of this database).
    resync: Option<i64>,
    done: bool,
}

/// The stream of a subscription (see the module's documentation). It ends
/// with UNAUTHENTICATED when the session ends, FORBIDDEN when the scope is
/// no longer the caller's.
fn follow(state: Follow) -> impl Stream<Item = Result<DossierStatusEvent>> {
    futures_util::stream::unfold(state, |mut s| async move {
        if s.done {
            return None;
        }
        let item = s.next_item().await?;
        if item.is_err() {
            s.done = true;
        }
        Some((item.map_err(ws_error), s))
    })
}

impl Follow {
    /// The next item to send (an error ends the stream), or None when the
    /// bus is gone. What may read the database is boxed: the future waits
    /// for the next event in a few hundred bytes rather than with room for
    /// every query it might run (tens of thousands wait at once).
    async fn next_item(&mut self) -> Option<Result<DossierStatusEvent, AppError>> {
        if let Some(position) = self.resync.take() {
            return Some(Ok(DossierStatusEvent::resync(position)));
        }
        loop {
            // Replaying, the bus is not read: a sign-out or a changed scope
            // is looked up at least once a second instead, and the
            // session's end when it is due.
            let replaying = self.behind.is_some() || !self.pending.is_empty();
            if replaying && (self.checked_at.elapsed() >= CATCH_UP_RECHECK || self.session_due()) {
                if let Err(err) = Box::pin(self.recheck()).await {
                    return Some(Err(err));
                }
            }
            if let Some(e) = self.pending.pop_front() {
                return Some(Box::pin(self.hand_on(&e)).await);
            }
            if let Some(until) = self.behind {
                if let Err(err) = Box::pin(self.catch_up(until)).await {
                    return Some(Err(err));
                }
                continue;
            }
            let message = tokio::select! {
                m = self.rx.recv() => m,
                _ = tokio::time::sleep_until(deadline(self.session_until, self.st.clock.now())) => {
                    match Box::pin(self.recheck()).await {
                        Ok(()) => continue,
                        Err(err) => return Some(Err(err)),
                    }
                }
            };
            match message {
                Ok(BusMessage::Event(e)) => {
                    if e.position <= self.position {
                        continue;
                    }
                    self.position = e.position;
                    let tree = self.st.bus.agencies();
                    if self.interest.matches(&e, &tree) {
                        // A session that ended while the event was on its
                        // way hears nothing more.
                        if self.session_due() {
                            if let Err(err) = Box::pin(self.recheck()).await {
                                return Some(Err(err));
                            }
                        }
                        // Handed on as it comes: `pending` holds only what
                        // a catch-up read (it counts as replaying).
                        self.seen(&e);
                        return Some(Box::pin(self.hand_on(&e)).await);
                    }
                }
                Ok(BusMessage::Control(Control::AccountChanged { account_id }))
                    if account_id == self.actor.account_id =>
                {
                    if let Err(err) = Box::pin(self.recheck()).await {
                        return Some(Err(err));
                    }
                }
                Ok(BusMessage::Control(Control::AgenciesChanged)) => {
                    if let Err(err) = Box::pin(self.rescope()).await {
                        return Some(Err(err));
                    }
                }
                Ok(BusMessage::Control(_)) => {}
                Err(RecvError::Lagged(_)) => {
                    // Control events may be among the dropped messages:
                    // look at the session and scope now, then read what
                    // was dropped up to the newest position.
                    if let Err(err) = Box::pin(self.recheck()).await {
                        return Some(Err(err));
                    }
                    let db = &self.st.db;
                    match Box::pin(retrying(|| async { Ok(relay::head(db).await?) })).await {
                        Ok(head) => self.behind = Some(head),
                        Err(err) => return Some(Err(err)),
                    }
                }
                Err(RecvError::Closed) => return None,
            }
        }
    }

    /// Whether the session's end is due by the server's clock (read each
    /// time: a timer set earlier may lag a clock step or a suspended
    /// machine).
    fn session_due(&self) -> bool {
        self.st.clock.now() >= self.session_until
    }

    /// An event as the subscriber gets it, once it may still see it.
    async fn hand_on(&mut self, e: &LiveEvent) -> Result<DossierStatusEvent, AppError> {
        self.still_allowed(e).await?;
        Ok(DossierStatusEvent::of(e, self.lang))
    }

    /// Records a dossier's sequence number and agencies as handed on.
    fn seen(&mut self, e: &LiveEvent) {
        if let Interest::Dossier { seq, .. } = &mut self.interest {
            *seq = e.seq;
        }
    }

    /// Reads the next page of missed events, up to `until`, from the outbox.
    async fn catch_up(&mut self, until: i64) -> Result<(), AppError> {
        let scope = self.interest.scope(&self.st.bus.agencies());
        let (db, position) = (&self.st.db, self.position);
        let page = retrying(|| async {
            Ok(relay::events_after(db, &scope, position, until, PAGE).await?)
        })
        .await?;
        if page.more {
            self.position = page.position;
        } else {
            self.position = until;
            self.behind = None;
        }
        let tree = self.st.bus.agencies();
        for e in page.events {
            if self.interest.matches(&e, &tree) {
                self.seen(&e);
                self.pending.push_back(e);
            }
        }
        Ok(())
    }

    /// Following one dossier as an official: when the dossier moves to
    /// other agencies, whether it is still readable is looked up (once per
    /// move, for this subscription only).
    async fn still_allowed(&mut self, e: &LiveEvent) -> Result<(), AppError> {
        let Interest::Dossier { id, agencies, .. } = &mut self.interest else {
            return Ok(());
        };
        let now = (e.receiving_agency_id, e.settling_agency_id);
        if *agencies == now || e.applicant_account_id == Some(self.actor.account_id) {
            return Ok(());
        }
        *agencies = now;
        let id = *id;
        if self.may_follow(id).await? {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// Whether the actor may still read the dossier `id` (one look-up).
    async fn may_follow(&self, id: i64) -> Result<bool, AppError> {
        let (st, actor) = (&self.st, &self.actor);
        st.bus.subscription_checked();
        Ok(retrying(|| dossiers::may_follow(st, actor, id))
            .await?
            .is_some())
    }

    /// Looks at the session and the scope again (an account change, or the
    /// session's expiry or idle end is due).
    async fn recheck(&mut self) -> Result<(), AppError> {
        let (st, token) = (&self.st, self.token.as_str());
        st.bus.subscription_checked();
        let (actor, until) = retrying(|| accounts::session_actor(st, token)).await?;
        self.session_until = until;
        self.checked_at = tokio::time::Instant::now();
        self.actor = actor;
        self.rescope().await
    }

    /// Whether the scope is still the actor's (after its grants or the
    /// agency tree changed): in memory, except for an official following
    /// one dossier (one look-up). FORBIDDEN when it is not.
    async fn rescope(&mut self) -> Result<(), AppError> {
        let allowed = match &self.interest {
            Interest::Dossier { id, .. } => self.may_follow(*id).await?,
            Interest::Applicant(id) => *id == self.actor.account_id,
            Interest::Agency(root) => may_watch_agency(&self.actor, &self.st.bus.agencies(), *root),
        };
        if allowed {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
}

/// The timer for a session that lasts until `until`, by the clock's `now`.
fn deadline(until: DateTime<Utc>, now: DateTime<Utc>) -> tokio::time::Instant {
    let left = (until - now).to_std().unwrap_or_default();
    tokio::time::Instant::now() + left + Duration::from_millis(100)
}

/// A cursor given by a client: a position (a number, 0 or more).
fn parse_cursor(field: &str, cursor: &str) -> Result<i64, AppError> {
    Some(cursor)
        .filter(|c| !c.is_empty() && c.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|c| c.parse::<i64>().ok())
        .ok_or_else(|| {
            AppError::bad_input(
                field,
                Problem::Invalid {
                    vi: "Con trỏ sự kiện không hợp lệ: dùng giá trị `cursor` máy chủ đã gửi".into(),
                    en: "Not an event cursor: give a `cursor` the server sent".into(),
                },
            )
        })
}

/// The signed-in caller of a subscription, its token, and when its session
/// must be looked at again, after the one session check
/// (`domain::authz::admit`) for this field. The session is looked up
/// again: the socket may have outlived it.
async fn signed_in(ctx: &Context<'_>) -> Result<(Actor, String, DateTime<Utc>), AppError> {
    let rc = ctx.request()?;
    let Some(token) = &rc.token else {
        return Err(AppError::Unauthenticated);
    };
    if rc.actor.is_none() {
        return Err(AppError::Unauthenticated);
    }
    let (actor, until) = accounts::session_actor(ctx.state()?, token).await?;
    admit(&actor, EntryPoint::GraphqlField(ctx.field().name()))?;
    Ok((actor, token.clone(), until))
}

/// Starts a subscription for a signed-in caller: listening first, then
/// placed at `after` (catching up from the outbox) or at what this
/// instance has handed on so far.
async fn start(
    ctx: &Context<'_>,
    (actor, token, until): (Actor, String, DateTime<Utc>),
    interest: Interest,
    after: Option<i64>,
) -> Result<Follow, AppError> {
    let st = ctx.state()?.clone();
    let rx = st.bus.subscribe();
    let (position, behind, resync) = match after {
        None => (st.bus.handed_on(), None, None),
        Some(after) => {
            // Authorized now: what happened up to now is replayed, and what
            // comes after — control events included — is heard live.
            let db = &st.db;
            match retrying(|| async { Ok(relay::resume(db, after).await?) }).await? {
                Resume::Ahead { head } => (head, None, Some(head)),
                Resume::Replay { after, until } => (after, Some(until), None),
            }
        }
    };
    Ok(Follow {
        rx,
        session_until: until,
        checked_at: tokio::time::Instant::now(),
        st,
        token,
        actor,
        interest,
        lang: ctx.lang(),
        position,
        pending: VecDeque::new(),
        behind,
        resync,
        done: false,
    })
}

/// The resolvers box what reads the database: async-graphql keeps the
/// stream a resolver made, with room for the resolver's own future, for as
/// long as the subscription lasts.
#[derive(Default)]
pub struct SubscriptionRoot;

#[Subscription]
impl SubscriptionRoot {
    /// One dossier's events: for its applicant and the officials involved.
    /// Starts after the version the caller can read now.
    async fn dossier_status_changed(
        &self,
        ctx: &Context<'_>,
        dossier_id: ID,
    ) -> Result<impl Stream<Item = Result<DossierStatusEvent>>> {
        let id = parse_id("dossierId", &dossier_id).map_err(ws_error)?;
        let signed = Box::pin(signed_in(ctx)).await.map_err(ws_error)?;
        let st = ctx.state().map_err(ws_error)?;
        // Listening before reading the dossier: what it already showed is
        // not sent again, only what comes after.
        let placeholder = Interest::Dossier {
            id,
            seq: i32::MAX,
            agencies: (0, 0),
        };
        let mut state = Box::pin(start(ctx, signed, placeholder, None))
            .await
            .map_err(ws_error)?;
        let d = Box::pin(dossiers::may_follow(st, &state.actor, id))
            .await
            .map_err(ws_error)?
            .ok_or_else(|| ws_error(AppError::NotFound(Missing::Dossier)))?;
        state.interest = Interest::Dossier {
            id,
            seq: d.version,
            agencies: (d.receiving_agency_id, d.settling_agency_id),
        };
        Ok(follow(state))
    }

    /// Every event of the signed-in applicant's dossiers (the mobile app).
    /// `after`: a cursor from an earlier event (or `dossierEventsSince`):
    /// what happened since is sent first, then live events; omitted, only
    /// live events. BAD_USER_INPUT on a malformed cursor.
    async fn my_dossier_events(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "A `cursor` the server sent. At most 20 characters.",
            validator(custom = "Chars::new(\"after\", 20)")
        )]
        after: Option<String>,
    ) -> Result<impl Stream<Item = Result<DossierStatusEvent>>> {
        let after = after
            .map(|c| parse_cursor("after", &c))
            .transpose()
            .map_err(ws_error)?;
        let signed = Box::pin(signed_in(ctx)).await.map_err(ws_error)?;
        let interest = Interest::Applicant(signed.0.account_id);
        let state = Box::pin(start(ctx, signed, interest, after))
            .await
            .map_err(ws_error)?;
        Ok(follow(state))
    }

    /// New and returning work at an agency (and below it), for its
    /// officials. `after` as in `myDossierEvents`. FORBIDDEN when the
    /// caller's grants do not cover the agency.
    async fn agency_queue(
        &self,
        ctx: &Context<'_>,
        agency_id: ID,
        #[graphql(
            desc = "A `cursor` the server sent. At most 20 characters.",
            validator(custom = "Chars::new(\"after\", 20)")
        )]
        after: Option<String>,
    ) -> Result<impl Stream<Item = Result<DossierStatusEvent>>> {
        let id = parse_id("agencyId", &agency_id).map_err(ws_error)?;
        let after = after
            .map(|c| parse_cursor("after", &c))
            .transpose()
            .map_err(ws_error)?;
        let signed = Box::pin(signed_in(ctx)).await.map_err(ws_error)?;
        let st = ctx.state().map_err(ws_error)?;
        if !may_watch_agency(&signed.0, &st.bus.agencies(), id) {
            return Err(ws_error(AppError::Forbidden));
        }
        let state = Box::pin(start(ctx, signed, Interest::Agency(id), after))
            .await
            .map_err(ws_error)?;
        Ok(follow(state))
    }
}

/// A page of events after a cursor, for clients that poll.
#[derive(SimpleObject)]
pub struct DossierEventPage {
    /// Oldest first.
    pub events: Vec<DossierStatusEvent>,
    /// Where to continue: give it as `after` to the next call or to a
    /// subscription. Past the last event, and past what was read when the
    /// page holds none of the caller's events.
    pub end_cursor: String,
    /// Whether more events may follow right away.
    pub has_next_page: bool,
    /// The cursor given is ahead of this database (it was restored from a
    /// backup): reload what is shown, then go on from `endCursor`.
    pub resync_required: bool,
}

#[derive(Default)]
pub struct LiveQuery;

#[Object]
impl LiveQuery {
    /// The events after a cursor, paged: the applicant's own dossiers, or
    /// with `agencyId` that agency's queue (as the subscriptions). `after`
    /// omitted: no events, and `endCursor` is where now is — how a new
    /// client gets its first cursor. `first`: 1 to 500 (default 100).
    /// Errors: UNAUTHENTICATED, FORBIDDEN (the agency), BAD_USER_INPUT
    /// (`after`, `first`).
    #[graphql(complexity = "first.unwrap_or(100).max(0) as usize * child_complexity + 1")]
    async fn dossier_events_since(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "A `cursor` the server sent. At most 20 characters.",
            validator(custom = "Chars::new(\"after\", 20)")
        )]
        after: Option<String>,
        agency_id: Option<ID>,
        first: Option<i32>,
    ) -> Result<DossierEventPage> {
        let first = first.unwrap_or(100);
        let st = ctx.state()?;
        let caller = ctx.caller()?;
        let actor = caller.signed_in()?;
        let agency = agency_id.map(|a| parse_id("agencyId", &a)).transpose()?;
        let after = after.map(|c| parse_cursor("after", &c)).transpose()?;
        if !(1..=500).contains(&first) {
            return Err(
                AppError::bad_input("first", Problem::OutOfRange { min: 1, max: 500 }).into(),
            );
        }
        let tree = st.bus.agencies();
        let interest = match agency {
            Some(id) if may_watch_agency(actor, &tree, id) => Interest::Agency(id),
            Some(_) => return Err(AppError::Forbidden.into()),
            None => Interest::Applicant(actor.account_id),
        };
        let Some(after) = after else {
            return Ok(DossierEventPage {
                events: Vec::new(),
                end_cursor: relay::head(&st.db)
                    .await
                    .map_err(AppError::from)?
                    .to_string(),
                has_next_page: false,
                resync_required: false,
            });
        };
        let (after, until) = match relay::resume(&st.db, after).await.map_err(AppError::from)? {
            Resume::Replay { after, until } => (after, until),
            Resume::Ahead { head } => {
                return Ok(DossierEventPage {
                    events: Vec::new(),
                    end_cursor: head.to_string(),
                    has_next_page: false,
                    resync_required: true,
                })
            }
        };
        // The end is the last event's position, or — with no more to read —
        // `until`: nothing else of the caller's up to it.
        let page = relay::events_after(&st.db, &interest.scope(&tree), after, until, first as u64)
            .await
            .map_err(AppError::from)?;
        Ok(DossierEventPage {
            events: page
                .events
                .iter()
                .map(|e| DossierStatusEvent::of(e, ctx.lang()))
                .collect(),
            end_cursor: page.position.to_string(),
            has_next_page: page.more,
            resync_required: false,
        })
    }
}
