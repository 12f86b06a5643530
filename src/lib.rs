//! motcua: the headless GraphQL backend of a provincial administrative-
//! procedure system (Cổng Dịch vụ công + Hệ thống một cửa điện tử).
//!
//! Data flows one way: `http` → `graphql` → `services` → `domain` and
//! `store` → back. Modules import downwards only (`tests/api/layers.rs`
//! checks it): `app` and `cli` wire everything; `http` → `graphql` →
//! `services` → `state` → `events`, `store`, `files` → `error`, `config` →
//! `domain`, which imports nothing of ours.

/// Start-up and wiring: connect, migrate, spawn the background loops, build
/// the schema and the router.
pub mod app;
/// `motcua backup` and `verify-backup`: snapshots, manifests, checks.
pub mod backup;
/// The `motcua` command line: serve, migrate, seed-demo, export-schema,
/// create-admin, sign-callback, backup, verify-backup.
pub mod cli;
/// `MOTCUA_*` environment variables → `Config`.
pub mod config;
/// Pure rules: identities, roles and authorization, the catalogue, throttling.
pub mod domain;
/// `AppError`, its stable codes and its messages in Vietnamese and English.
pub mod error;
/// Live events: the bus (in-process, Redis) and the outbox relay.
pub mod events;
/// Stored files (attachments, results, data-store documents): the data
/// directory, or an S3-compatible bucket shared by every instance.
pub mod files;
/// The GraphQL schema, its limits and its error policy.
pub mod graphql;
/// Routes and tower layers.
pub mod http;
/// Delivering notifications: senders (SMTP, SMS, log) and the outbox worker.
pub mod notify;
/// Files and folders only the server's user may read.
pub mod private_files;
/// Use cases: one transaction each.
pub mod services;
/// The shared state every use case reads (database, Redis, configuration,
/// clock, event bus, attempt counters): infrastructure only.
pub mod state;
/// Database connection, migrations, queries and the attempt counters.
pub mod store;
/// Prometheus metrics (`/metrics`).
pub mod telemetry;
