//! DataLoaders: a page of objects loads each kind of relation with one
//! `IN (…)` query. The batch delay is cut from async-graphql's 1 ms default
//! (issue #1306): sibling fields register their keys in the same poll.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_graphql::dataloader::{DataLoader, Loader};
use entity::{
    agency, attachment, delivery, dossier_event, dossier_task, field, payment, procedure,
    procedure_version, rating, sector,
};
use sea_orm::DatabaseConnection;

use crate::domain::catalogue::ProcedureContent;
use crate::error::AppError;
use crate::services::{attachments, catalogue, dossiers, notifications, payments, ratings};

const BATCH_DELAY: Duration = Duration::from_micros(100);

pub struct Db(pub DatabaseConnection);

pub type Loaders = DataLoader<Db>;

/// A request's loaders: their batches run in tasks of their own, which
/// count their statements into the request's (`store::counting`).
pub fn loaders(db: DatabaseConnection) -> Loaders {
    let count = crate::store::statement_counter();
    DataLoader::new(Db(db), move |batch| {
        let count = count.clone();
        tokio::spawn(async move {
            match count {
                Some(c) => crate::store::counting(c, batch).await,
                None => batch.await,
            }
        })
    })
    .delay(BATCH_DELAY)
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct AgencyId(pub i64);
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SectorId(pub i64);
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProcedureId(pub i64);
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct FieldId(pub i64);
/// (procedure id, version number).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct VersionKey(pub i64, pub i32);

type LoadError = Arc<AppError>;

impl Loader<AgencyId> for Db {
    type Value = agency::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[AgencyId]) -> Result<HashMap<AgencyId, Self::Value>, Self::Error> {
        let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
        let rows = catalogue::agencies_by_ids(&self.0, &ids)
            .await
            .map_err(Arc::new)?;
        Ok(rows.into_iter().map(|r| (AgencyId(r.id), r)).collect())
    }
}

impl Loader<ProcedureId> for Db {
    type Value = procedure::Model;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[ProcedureId],
    ) -> Result<HashMap<ProcedureId, Self::Value>, Self::Error> {
        let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
        let rows = catalogue::procedures_by_ids(&self.0, &ids)
            .await
            .map_err(Arc::new)?;
        Ok(rows.into_iter().map(|r| (ProcedureId(r.id), r)).collect())
    }
}

impl Loader<SectorId> for Db {
    type Value = sector::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[SectorId]) -> Result<HashMap<SectorId, Self::Value>, Self::Error> {
        let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
        let rows = catalogue::sectors_by_ids(&self.0, &ids)
            .await
            .map_err(Arc::new)?;
        Ok(rows.into_iter().map(|r| (SectorId(r.id), r)).collect())
    }
}

impl Loader<FieldId> for Db {
    type Value = field::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[FieldId]) -> Result<HashMap<FieldId, Self::Value>, Self::Error> {
        let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
        let rows = catalogue::fields_by_ids(&self.0, &ids)
            .await
            .map_err(Arc::new)?;
        Ok(rows.into_iter().map(|r| (FieldId(r.id), r)).collect())
    }
}

/// A dossier's history, tasks, attachments and rating.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct HistoryOf(pub i64);
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TasksOf(pub i64);
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct AttachmentsOf(pub i64);
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct RatingOf(pub i64);
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PaymentsOf(pub i64);
/// A notification's deliveries (by notification id).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeliveriesOf(pub i64);

/// Groups rows by their parent (a dossier, a notification); every key gets
/// an entry, empty or not.
fn by_dossier<K: Copy + Eq + std::hash::Hash, M>(
    keys: &[K],
    rows: Vec<M>,
    key: impl Fn(&M) -> K,
) -> HashMap<K, Vec<M>> {
    let mut map: HashMap<K, Vec<M>> = keys.iter().map(|k| (*k, Vec::new())).collect();
    for row in rows {
        map.entry(key(&row)).or_default().push(row);
    }
    map
}

impl Loader<HistoryOf> for Db {
    type Value = Vec<dossier_event::Model>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[HistoryOf],
    ) -> Result<HashMap<HistoryOf, Self::Value>, Self::Error> {
        let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
        let rows = dossiers::events_of_many(&self.0, &ids)
            .await
            .map_err(Arc::new)?;
        Ok(by_dossier(keys, rows, |r| HistoryOf(r.dossier_id)))
    }
}

impl Loader<TasksOf> for Db {
    type Value = Vec<dossier_task::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[TasksOf]) -> Result<HashMap<TasksOf, Self::Value>, Self::Error> {
        let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
        let rows = dossiers::tasks_of_many(&self.0, &ids)
            .await
            .map_err(Arc::new)?;
        Ok(by_dossier(keys, rows, |r| TasksOf(r.dossier_id)))
    }
}

impl Loader<AttachmentsOf> for Db {
    type Value = Vec<attachment::Model>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[AttachmentsOf],
    ) -> Result<HashMap<AttachmentsOf, Self::Value>, Self::Error> {
        let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
        let rows = attachments::of_dossiers(&self.0, &ids)
            .await
            .map_err(Arc::new)?;
        Ok(by_dossier(keys, rows, |r| AttachmentsOf(r.dossier_id)))
    }
}

impl Loader<PaymentsOf> for Db {
    type Value = Vec<payment::Model>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[PaymentsOf],
    ) -> Result<HashMap<PaymentsOf, Self::Value>, Self::Error> {
        let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
        let rows = payments::of_dossiers(&self.0, &ids)
            .await
            .map_err(Arc::new)?;
        Ok(by_dossier(keys, rows, |r| PaymentsOf(r.dossier_id)))
    }
}

impl Loader<DeliveriesOf> for Db {
    type Value = Vec<delivery::Model>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[DeliveriesOf],
    ) -> Result<HashMap<DeliveriesOf, Self::Value>, Self::Error> {
        let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
        let rows = notifications::deliveries_of(&self.0, &ids)
            .await
            .map_err(Arc::new)?;
        Ok(by_dossier(keys, rows, |r| DeliveriesOf(r.notification_id)))
    }
}

impl Loader<RatingOf> for Db {
    type Value = rating::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[RatingOf]) -> Result<HashMap<RatingOf, Self::Value>, Self::Error> {
        let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
        let rows = ratings::of_dossiers(&self.0, &ids)
            .await
            .map_err(Arc::new)?;
        Ok(rows
            .into_iter()
            .map(|r| (RatingOf(r.dossier_id), r))
            .collect())
    }
}

/// A version row with its decoded content.
#[derive(Clone)]
pub struct LoadedVersion {
    pub row: procedure_version::Model,
    pub content: Arc<ProcedureContent>,
}

impl Loader<VersionKey> for Db {
    type Value = LoadedVersion;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[VersionKey],
    ) -> Result<HashMap<VersionKey, Self::Value>, Self::Error> {
        let wanted: Vec<(i64, i32)> = keys.iter().map(|k| (k.0, k.1)).collect();
        let rows = catalogue::versions_by_keys(&self.0, &wanted)
            .await
            .map_err(Arc::new)?;
        rows.into_iter()
            .map(|row| {
                let content = Arc::new(catalogue::content_of(&row).map_err(Arc::new)?);
                Ok((
                    VersionKey(row.procedure_id, row.version_no),
                    LoadedVersion { row, content },
                ))
            })
            .collect()
    }
}
