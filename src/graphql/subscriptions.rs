//! Subscriptions: dossier events as they commit, for the applicant's mobile
//! app and the officers' desks. Authorization is the queries' own, checked
//! when subscribing and again for every event (a revoked session or an
//! officer moved elsewhere stops receiving).

use std::collections::HashMap;
use std::time::Duration;

use async_graphql::{Context, Result, SimpleObject, Subscription, ID};
use chrono::{DateTime, Utc};
use futures_util::Stream;
use tokio::sync::broadcast::error::RecvError;

use super::context::{parse_id, ContextExt};
use super::enums::{DossierAction, DossierStatus, Role};
use crate::domain::authz::{admit, covers, Actor, AgencyScope, EntryPoint};
use crate::domain::lifecycle as dl;
use crate::error::{AppError, Lang};
use crate::events::{BusMessage, LiveEvent};
use crate::services::{accounts, dossiers};
use crate::state::AppState;
use crate::store;

/// A dossier moved — or, with `resyncRequired`, events may have been missed:
/// call `dossierEvents(dossierId, afterSequence)` for the dossiers followed.
#[derive(SimpleObject, Clone, Default)]
pub struct DossierStatusEvent {
    pub resync_required: bool,
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
    pub due_at: Option<DateTime<Utc>>,
    pub actor_role: Option<Role>,
    pub actor_agency_id: Option<ID>,
    pub at: Option<DateTime<Utc>>,
}

impl DossierStatusEvent {
    fn of(e: &LiveEvent, lang: Lang) -> Self {
        let to = dl::DossierStatus::parse(&e.to_status);
        let from = e.from_status.as_deref().and_then(dl::DossierStatus::parse);
        DossierStatusEvent {
            resync_required: false,
            dossier_id: Some(e.dossier_id.into()),
            code: e.code.clone(),
            seq: Some(e.seq),
            action: dl::DossierAction::parse(&e.action).map(Into::into),
            from_status: from.map(Into::into),
            from_status_label: from.map(|s| lang.pick(s.label_vi(), s.label_en())),
            to_status: to.map(Into::into),
            to_status_label: to.map(|s| lang.pick(s.label_vi(), s.label_en())),
            national_status_code: e.national_status_code.map(i32::from),
            due_at: e.due_at,
            actor_role: e
                .actor_role
                .as_deref()
                .and_then(crate::domain::authz::Role::parse)
                .map(Into::into),
            actor_agency_id: e.actor_agency_id.map(Into::into),
            at: Some(e.at),
        }
    }

    fn resync() -> Self {
        DossierStatusEvent {
            resync_required: true,
            ..Default::default()
        }
    }
}

/// Which events a subscription wants.
#[derive(Clone)]
enum Interest {
    Dossier(i64),
    Applicant(i64),
    /// An agency and everything below it.
    Agency {
        agency_id: i64,
        subtree: Vec<i64>,
    },
}

impl Interest {
    fn matches(&self, e: &LiveEvent) -> bool {
        match self {
            Interest::Dossier(id) => e.dossier_id == *id,
            Interest::Applicant(id) => e.applicant_account_id == Some(*id),
            // A draft is not work for anybody yet.
            Interest::Agency { subtree, .. } => {
                e.to_status != "DRAFT"
                    && (subtree.contains(&e.receiving_agency_id)
                        || subtree.contains(&e.settling_agency_id))
            }
        }
    }

    /// Whether the actor may still see this, now.
    async fn allowed(&self, st: &AppState, actor: &Actor) -> Result<bool, AppError> {
        match self {
            Interest::Dossier(id) => Ok(dossiers::may_follow(st, actor, *id).await?.is_some()),
            Interest::Applicant(id) => Ok(actor.account_id == *id),
            Interest::Agency { agency_id, .. } => may_watch_agency(st, actor, *agency_id).await,
        }
    }
}

async fn may_watch_agency(st: &AppState, actor: &Actor, agency_id: i64) -> Result<bool, AppError> {
    let lineage = store::agencies::lineage(&st.db, agency_id).await?;
    if lineage.is_empty() {
        return Ok(false);
    }
    let scope = AgencyScope { lineage: &lineage };
    Ok(actor
        .grants
        .iter()
        .any(|g| (g.role.reads_agency_records() || g.role.is_province_wide()) && covers(g, scope)))
}

/// The error of a subscription, with the `AppError` as its source: the
/// policy (`graphql::policy`) gives it its envelope — message in the
/// caller's language, code, and for an `INTERNAL` the request id and one log
/// line with the cause — the same as over HTTP.
fn ws_error(e: AppError) -> async_graphql::Error {
    async_graphql::Error::from(e)
}

/// How often a subscription re-checks its session when no event comes: a
/// deactivation or a revocation made on another instance ends it within
/// this (one on this instance ends it at once, through the bus).
const SESSION_RECHECK: Duration = Duration::from_secs(30);

struct Follow {
    rx: tokio::sync::broadcast::Receiver<BusMessage>,
    st: AppState,
    token: String,
    account_id: i64,
    interest: Interest,
    lang: Lang,
    last_seq: HashMap<i64, i32>,
    recheck: tokio::time::Interval,
    done: bool,
}

/// The stream of a subscription: filtered, deduplicated by (dossier, seq),
/// re-authorized per event; a lagging subscriber gets a resync marker
/// instead of an unbounded buffer. `known`: the sequence numbers the
/// subscriber already has, per dossier; events up to them are not sent.
/// It ends with UNAUTHENTICATED as soon as the session does: at the next
/// event, at once when the account is deactivated on this instance, and
/// within [`SESSION_RECHECK`] otherwise.
fn follow(
    st: AppState,
    (actor, token): (Actor, String),
    interest: Interest,
    lang: Lang,
    known: HashMap<i64, i32>,
) -> impl Stream<Item = Result<DossierStatusEvent>> {
    let mut recheck = tokio::time::interval_at(
        tokio::time::Instant::now() + SESSION_RECHECK,
        SESSION_RECHECK,
    );
    recheck.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let state = Follow {
        rx: st.bus.subscribe(),
        st,
        token,
        account_id: actor.account_id,
        interest,
        lang,
        last_seq: known,
        recheck,
        done: false,
    };
    futures_util::stream::unfold(state, |mut s| async move {
        if s.done {
            return None;
        }
        let item = s.next_item().await?;
        if item.is_err() {
            s.done = true;
        }
        Some((item, s))
    })
}

impl Follow {
    /// The next item to send (an error ends the stream), or None when the
    /// bus is gone.
    async fn next_item(&mut self) -> Option<Result<DossierStatusEvent>> {
        loop {
            let message = tokio::select! {
                m = self.rx.recv() => m,
                _ = self.recheck.tick() => {
                    match accounts::check_session(&self.st, &self.token).await {
                        Ok(()) => continue,
                        Err(err) => return Some(Err(ws_error(err))),
                    }
                }
            };
            match message {
                Ok(BusMessage::Event(e)) => {
                    if let Some(item) = self.deliver(&e).await {
                        return Some(item);
                    }
                }
                Ok(BusMessage::AccountClosed(id)) if id == self.account_id => {
                    return Some(Err(ws_error(AppError::Unauthenticated)));
                }
                Ok(BusMessage::AccountClosed(_)) => {}
                Ok(BusMessage::Resync) | Err(RecvError::Lagged(_)) => {
                    return Some(Ok(DossierStatusEvent::resync()));
                }
                Err(RecvError::Closed) => return None,
            }
        }
    }

    /// The event for the subscriber, an error that ends the stream, or None
    /// when this event is not for it.
    async fn deliver(&mut self, e: &LiveEvent) -> Option<Result<DossierStatusEvent>> {
        if !self.interest.matches(e) {
            return None;
        }
        if self
            .last_seq
            .get(&e.dossier_id)
            .is_some_and(|seen| *seen >= e.seq)
        {
            return None;
        }
        let actor = match accounts::authenticate(&self.st, &self.token).await {
            Ok(a) => a,
            Err(err) => return Some(Err(ws_error(err))),
        };
        match self.interest.allowed(&self.st, &actor).await {
            Ok(true) => {}
            Ok(false) => return Some(Err(ws_error(AppError::Forbidden))),
            Err(err) => return Some(Err(ws_error(err))),
        }
        if self.last_seq.len() > 10_000 {
            self.last_seq.clear();
        }
        self.last_seq.insert(e.dossier_id, e.seq);
        Some(Ok(DossierStatusEvent::of(e, self.lang)))
    }
}

/// The signed-in caller of a subscription, with the token to re-check,
/// after the one session check (`domain::authz::admit`) for this field. The
/// session is looked up again: the socket may have outlived it.
async fn signed_in(ctx: &Context<'_>) -> Result<(Actor, String), AppError> {
    let rc = ctx.request()?;
    let Some(token) = &rc.token else {
        return Err(AppError::Unauthenticated);
    };
    if rc.actor.is_none() {
        return Err(AppError::Unauthenticated);
    }
    let actor = accounts::authenticate(ctx.state()?, token).await?;
    admit(&actor, EntryPoint::GraphqlField(ctx.field().name()))?;
    Ok((actor, token.clone()))
}

#[derive(Default)]
pub struct SubscriptionRoot;

#[Subscription]
impl SubscriptionRoot {
    /// One dossier's events: for its applicant and the officials involved.
    async fn dossier_status_changed(
        &self,
        ctx: &Context<'_>,
        dossier_id: ID,
    ) -> Result<impl Stream<Item = Result<DossierStatusEvent>>> {
        let lang = ctx.lang();
        let id = parse_id("dossierId", &dossier_id).map_err(ws_error)?;
        let signed = signed_in(ctx).await.map_err(ws_error)?;
        let st = ctx.state().map_err(ws_error)?.clone();
        // Subscribing after reading the dossier: what it already showed is
        // not sent again, only what comes after.
        let version = dossiers::may_follow(&st, &signed.0, id)
            .await
            .map_err(ws_error)?
            .ok_or_else(|| ws_error(AppError::NotFound("dossier")))?;
        let known = HashMap::from([(id, version)]);
        Ok(follow(st, signed, Interest::Dossier(id), lang, known))
    }

    /// Every event of the signed-in applicant's dossiers (the mobile app).
    async fn my_dossier_events(
        &self,
        ctx: &Context<'_>,
    ) -> Result<impl Stream<Item = Result<DossierStatusEvent>>> {
        let lang = ctx.lang();
        let signed = signed_in(ctx).await.map_err(ws_error)?;
        let account_id = signed.0.account_id;
        Ok(follow(
            ctx.state().map_err(ws_error)?.clone(),
            signed,
            Interest::Applicant(account_id),
            lang,
            HashMap::new(),
        ))
    }

    /// New and returning work at an agency (and below it), for its officials.
    async fn agency_queue(
        &self,
        ctx: &Context<'_>,
        agency_id: ID,
    ) -> Result<impl Stream<Item = Result<DossierStatusEvent>>> {
        let lang = ctx.lang();
        let id = parse_id("agencyId", &agency_id).map_err(ws_error)?;
        let signed = signed_in(ctx).await.map_err(ws_error)?;
        let st = ctx.state().map_err(ws_error)?.clone();
        if !may_watch_agency(&st, &signed.0, id)
            .await
            .map_err(ws_error)?
        {
            return Err(ws_error(AppError::Forbidden));
        }
        let subtree = store::agencies::subtree(&st.db, id)
            .await
            .map_err(|e| ws_error(e.into()))?;
        Ok(follow(
            st,
            signed,
            Interest::Agency {
                agency_id: id,
                subtree,
            },
            lang,
            HashMap::new(),
        ))
    }
}
