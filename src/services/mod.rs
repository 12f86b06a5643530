//! Use cases. Each opens its transaction, loads, asks `domain` for the rule,
//! writes, and commits. Resolvers call exactly one of these.

pub mod accounts;
pub mod calendar;
pub mod catalogue;
pub mod demo;
pub mod password;

/// A page request after validation: at most `first` items after the cursor.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    pub first: u64,
    pub after: Option<i64>,
}

/// One page of a keyset-paginated list ordered by id.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_next: bool,
    pub total: u64,
}
