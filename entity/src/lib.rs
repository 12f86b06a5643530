//! sea-orm entities of motcua. Plain rows: no GraphQL derives, no policy.
//! Enumerations are stored as their SCREAMING_SNAKE_CASE names in string
//! columns; `src/domain` owns their meaning.
pub mod account;
pub mod account_role;
pub mod agency;
pub mod attachment;
pub mod audit_head;
pub mod audit_log;
pub mod audit_pending;
pub mod calendar_day;
pub mod delivery;
pub mod document;
pub mod dossier;
pub mod dossier_code_counter;
pub mod dossier_event;
pub mod dossier_stat;
pub mod dossier_task;
pub mod feedback;
pub mod field;
pub mod notification;
pub mod outbox;
pub mod payment;
pub mod procedure;
pub mod procedure_agency;
pub mod procedure_version;
pub mod rating;
pub mod sector;
pub mod server_secret;
pub mod session;
