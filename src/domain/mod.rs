//! Pure rules of the domain: no database, no GraphQL, no async runtime.
//! Everything here is unit-tested in place.

#[macro_use]
mod labels;
pub mod account_admin;
pub mod applicant;
pub mod audit;
pub mod authz;
pub mod calendar;
pub mod catalogue;
pub mod control_sheet;
pub mod documents;
pub mod evaluation;
pub mod feedback;
pub mod files;
pub mod identity;
pub mod lifecycle;
pub mod masking;
pub mod notification;
pub mod payment;
pub mod problem;
pub mod rating;
pub mod rollup;
pub mod text;
pub mod throttle;
pub mod transition;

pub use labels::{EnumLabel, StoredEnum};
pub use problem::Problem;
