//! The API test suite: one binary, modules by area. Every test runs on a
//! fresh SQLite database, or on a fresh PostgreSQL database when
//! `MOTCUA_TEST_DATABASE_URL` is set (and with Redis when
//! `MOTCUA_TEST_REDIS_URL` is set).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod account_admin;
mod accounts;
mod attachments;
mod audit;
mod backup;
mod calendar;
mod catalogue;
mod cli;
mod cursors;
mod desk;
mod documents;
mod dossiers;
mod errors;
mod exports;
mod feedback;
mod fixtures;
mod forms;
mod hardening;
mod hardening_scopes;
mod hardening_sessions;
mod helpers;
mod http;
mod layers;
mod limits;
mod live;
mod logs;
mod metrics;
mod notifications;
mod ordering;
mod outages;
mod over_http;
mod payments;
mod races;
mod ratings;
mod readme;
mod schema_walk;
mod search;
mod shutdown;
mod statements;
mod statistics;
mod store;
mod transactions;
mod transitions;
mod websocket;
