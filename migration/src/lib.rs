//! The one migrator of motcua, used by `motcua serve` at start and by `motcua migrate`.
//! Every migration runs on SQLite and PostgreSQL alike: only portable column types.
pub use sea_orm_migration::prelude::*;

mod m20261123_000001_foundation;
mod m20261123_000002_audit;
mod m20261123_000003_dossiers;
mod m20261123_000004_dossier_tasks;
mod m20261123_000005_attachments;
mod m20261123_000006_ratings;
mod m20261123_000007_feedback;
mod m20261130_000008_store_payments_notifications;
mod m20261130_000009_statistics_rollup;
mod m20261130_000010_evaluation_rollup;
mod m20261130_000011_drop_login_throttle;
mod m20261130_000012_postal_delivery;
mod m20261130_000013_dossier_creation_key;
mod m20261130_000014_server_secret;
mod m20261130_000015_event_positions;
mod m20261201_000016_audit_pending;
mod m20261201_000017_open_dossier_index;
mod m20261201_000018_recount_online_receptions;
mod m20261201_000019_notification_read;
mod m20261201_000020_dossier_search;
mod m20261201_000021_dossier_list_indexes;
mod m20261201_000022_dossier_creation_request;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_foundation::Migration),
            Box::new(m20261123_000002_audit::Migration),
            Box::new(m20261123_000003_dossiers::Migration),
            Box::new(m20261123_000004_dossier_tasks::Migration),
            Box::new(m20261123_000005_attachments::Migration),
            Box::new(m20261123_000006_ratings::Migration),
            Box::new(m20261123_000007_feedback::Migration),
            Box::new(m20261130_000008_store_payments_notifications::Migration),
            Box::new(m20261130_000009_statistics_rollup::Migration),
            Box::new(m20261130_000010_evaluation_rollup::Migration),
            Box::new(m20261130_000011_drop_login_throttle::Migration),
            Box::new(m20261130_000012_postal_delivery::Migration),
            Box::new(m20261130_000013_dossier_creation_key::Migration),
            Box::new(m20261130_000014_server_secret::Migration),
            Box::new(m20261130_000015_event_positions::Migration),
            Box::new(m20261201_000016_audit_pending::Migration),
            Box::new(m20261201_000017_open_dossier_index::Migration),
            Box::new(m20261201_000018_recount_online_receptions::Migration),
            Box::new(m20261201_000019_notification_read::Migration),
            Box::new(m20261201_000020_dossier_search::Migration),
            Box::new(m20261201_000021_dossier_list_indexes::Migration),
            Box::new(m20261201_000022_dossier_creation_request::Migration),
        ]
    }
}
