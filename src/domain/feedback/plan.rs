//! Deciding an official's action on feedback: `plan` takes the command and
//! the loaded facts and returns what to write, or why not.

use chrono::{DateTime, Utc};

use super::{next, on_time, FeedbackAction, FeedbackStatus};
use crate::domain::identity::required_text;
use crate::domain::text::fold;
use crate::domain::Problem;

/// The longest title of a feedback, in characters.
pub const TITLE_MAX: usize = 500;
/// The longest text of a feedback (content, answer, reasons), in characters.
pub const TEXT_MAX: usize = 10_000;

/// An action an official takes on feedback, with its input.
#[derive(Debug, Clone)]
pub enum FeedbackCommand {
    Assign {
        handler_account_id: i64,
    },
    Answer {
        answer: String,
    },
    Transfer {
        agency_id: i64,
        reason: String,
    },
    Reject {
        reason: String,
    },
    /// Publishes the answer, with the question rewritten free of personal
    /// data when given.
    Publish {
        public_title: Option<String>,
        public_content: Option<String>,
    },
}

impl FeedbackCommand {
    pub fn action(&self) -> FeedbackAction {
        match self {
            FeedbackCommand::Assign { .. } => FeedbackAction::Assign,
            FeedbackCommand::Answer { .. } => FeedbackAction::Answer,
            FeedbackCommand::Transfer { .. } => FeedbackAction::Transfer,
            FeedbackCommand::Reject { .. } => FeedbackAction::Reject,
            FeedbackCommand::Publish { .. } => FeedbackAction::Publish,
        }
    }

    /// The API operation's name, for the audit log
    /// (`FeedbackAction::operation`).
    pub fn operation(&self) -> &'static str {
        self.action().operation()
    }
}

/// What the service loaded about the feedback before deciding.
#[derive(Debug, Clone, Copy)]
pub struct FeedbackFacts<'a> {
    pub status: FeedbackStatus,
    pub version: i32,
    pub published: bool,
    pub agency_id: i64,
    pub due_at: DateTime<Utc>,
    pub title: &'a str,
    pub content: &'a str,
    pub answer: Option<&'a str>,
    /// Assign: whether the handler-to-be holds an agency-bound role at the
    /// feedback's agency or below it.
    pub handler_works_there: bool,
    /// Transfer: whether the agency named exists.
    pub target_agency_exists: bool,
}

/// What an action changes, beyond the status and the version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedbackChange {
    Assign {
        handler_account_id: i64,
    },
    /// Answered (and closed) now; `on_time` against the due date.
    Answer {
        answer: String,
        on_time: bool,
    },
    /// Handed to another agency, unassigned.
    Transfer {
        from_agency_id: i64,
        to_agency_id: i64,
        reason: String,
    },
    Reject {
        reason: String,
    },
    /// Published with this title and content; `search_text` folded for search.
    Publish {
        title: String,
        content: String,
        search_text: String,
    },
}

/// The decision on an action: from which status to which, and the change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedbackPlan {
    pub from: FeedbackStatus,
    pub to: FeedbackStatus,
    pub change: FeedbackChange,
}

impl FeedbackPlan {
    /// Whether the sender is told (the feedback has just been answered).
    pub fn notifies_sender(&self) -> bool {
        self.to == FeedbackStatus::Answered && self.from != FeedbackStatus::Answered
    }
}

/// Why an action on feedback is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedbackRefusal {
    /// Someone changed it since `expectedVersion` (VERSION_CONFLICT).
    VersionConflict,
    /// Not in this status, or already published (INVALID_TRANSITION).
    NotNow { vi: String, en: String },
    /// A bad input value (BAD_USER_INPUT on `field`).
    Input {
        field: &'static str,
        problem: Problem,
    },
}

fn input(field: &'static str, s: &str, max: usize) -> Result<String, FeedbackRefusal> {
    required_text(s, max).map_err(|problem| FeedbackRefusal::Input { field, problem })
}

/// Decides an action on feedback the caller may take (`may_act`, checked
/// before): the version, the status, then the command's input.
pub fn plan(
    cmd: &FeedbackCommand,
    expected_version: i32,
    facts: &FeedbackFacts<'_>,
    now: DateTime<Utc>,
) -> Result<FeedbackPlan, FeedbackRefusal> {
    if facts.version != expected_version {
        return Err(FeedbackRefusal::VersionConflict);
    }
    let action = cmd.action();
    let from = facts.status;
    let already_published = action == FeedbackAction::Publish && facts.published;
    let to = next(from, action)
        .filter(|_| !already_published)
        .ok_or_else(|| not_now(action, from, already_published))?;
    let change = match cmd {
        FeedbackCommand::Assign { handler_account_id } => {
            if !facts.handler_works_there {
                return Err(FeedbackRefusal::Input {
                    field: "handlerAccountId",
                    problem: Problem::UnknownReference,
                });
            }
            FeedbackChange::Assign {
                handler_account_id: *handler_account_id,
            }
        }
        FeedbackCommand::Answer { answer } => FeedbackChange::Answer {
            answer: input("answer", answer, TEXT_MAX)?,
            on_time: on_time(facts.due_at, now),
        },
        FeedbackCommand::Transfer { agency_id, reason } => {
            let reason = input("reason", reason, TEXT_MAX)?;
            let problem = if !facts.target_agency_exists {
                Some(Problem::UnknownReference)
            } else if *agency_id == facts.agency_id {
                Some(Problem::UnknownValue)
            } else {
                None
            };
            if let Some(problem) = problem {
                return Err(FeedbackRefusal::Input {
                    field: "agencyId",
                    problem,
                });
            }
            FeedbackChange::Transfer {
                from_agency_id: facts.agency_id,
                to_agency_id: *agency_id,
                reason,
            }
        }
        FeedbackCommand::Reject { reason } => FeedbackChange::Reject {
            reason: input("reason", reason, TEXT_MAX)?,
        },
        FeedbackCommand::Publish {
            public_title,
            public_content,
        } => {
            let title = match public_title {
                Some(t) => input("publicTitle", t, TITLE_MAX)?,
                None => facts.title.to_owned(),
            };
            let content = match public_content {
                Some(c) => input("publicContent", c, TEXT_MAX)?,
                None => facts.content.to_owned(),
            };
            let answer = facts.answer.unwrap_or_default();
            let search_text = fold(&format!("{title} {content} {answer}"));
            FeedbackChange::Publish {
                title,
                content,
                search_text,
            }
        }
    };
    Ok(FeedbackPlan { from, to, change })
}

fn not_now(
    action: FeedbackAction,
    from: FeedbackStatus,
    already_published: bool,
) -> FeedbackRefusal {
    FeedbackRefusal::NotNow {
        vi: format!(
            "Không thể «{}» khi phản ánh, kiến nghị {}",
            action.label_vi(),
            if already_published {
                "đã được công khai".to_owned()
            } else {
                format!("đang ở trạng thái «{}»", from.label_vi())
            }
        ),
        en: format!(
            "Cannot {} feedback that is {}",
            action.label_en().to_lowercase(),
            if already_published {
                "already published".to_owned()
            } else {
                from.label_en().to_lowercase()
            }
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(status: FeedbackStatus) -> FeedbackFacts<'static> {
        FeedbackFacts {
            status,
            version: 3,
            published: false,
            agency_id: 7,
            due_at: Utc::now() + chrono::Duration::days(1),
            title: "Đường hỏng",
            content: "Ổ gà",
            answer: Some("Đã sửa"),
            handler_works_there: true,
            target_agency_exists: true,
        }
    }

    #[test]
    fn an_answer_closes_open_feedback_and_tells_the_sender() {
        let cmd = FeedbackCommand::Answer {
            answer: " Đã xử lý ".into(),
        };
        let p = plan(&cmd, 3, &facts(FeedbackStatus::Processing), Utc::now()).unwrap();
        assert_eq!(p.to, FeedbackStatus::Answered);
        assert!(p.notifies_sender());
        assert_eq!(
            p.change,
            FeedbackChange::Answer {
                answer: "Đã xử lý".into(),
                on_time: true
            }
        );
    }

    #[test]
    fn a_stale_version_comes_before_everything_else() {
        let cmd = FeedbackCommand::Reject { reason: "".into() };
        assert_eq!(
            plan(&cmd, 2, &facts(FeedbackStatus::Answered), Utc::now()),
            Err(FeedbackRefusal::VersionConflict)
        );
    }

    #[test]
    fn closed_or_published_feedback_refuses_the_action() {
        let reject = FeedbackCommand::Reject { reason: "x".into() };
        assert!(matches!(
            plan(&reject, 3, &facts(FeedbackStatus::Answered), Utc::now()),
            Err(FeedbackRefusal::NotNow { .. })
        ));
        let publish = FeedbackCommand::Publish {
            public_title: None,
            public_content: None,
        };
        let published = FeedbackFacts {
            published: true,
            ..facts(FeedbackStatus::Answered)
        };
        assert!(matches!(
            plan(&publish, 3, &published, Utc::now()),
            Err(FeedbackRefusal::NotNow { en, .. }) if en.contains("already published")
        ));
        let p = plan(&publish, 3, &facts(FeedbackStatus::Answered), Utc::now()).unwrap();
        assert!(!p.notifies_sender());
        assert!(matches!(p.change, FeedbackChange::Publish { title, .. } if title == "Đường hỏng"));
    }

    #[test]
    fn a_transfer_needs_another_existing_agency_and_a_reason() {
        let to = |agency_id| FeedbackCommand::Transfer {
            agency_id,
            reason: "Sai thẩm quyền".into(),
        };
        let open = facts(FeedbackStatus::Received);
        let field_of = |r| match r {
            Err(FeedbackRefusal::Input { field, problem }) => (field, problem),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            field_of(plan(&to(7), 3, &open, Utc::now())),
            ("agencyId", Problem::UnknownValue)
        );
        let missing = FeedbackFacts {
            target_agency_exists: false,
            ..open
        };
        assert_eq!(
            field_of(plan(&to(8), 3, &missing, Utc::now())),
            ("agencyId", Problem::UnknownReference)
        );
        let blank = FeedbackCommand::Transfer {
            agency_id: 8,
            reason: " ".into(),
        };
        assert_eq!(
            field_of(plan(&blank, 3, &open, Utc::now())),
            ("reason", Problem::Required)
        );
        assert!(plan(&to(8), 3, &open, Utc::now()).is_ok());
    }

    #[test]
    fn only_someone_working_there_is_assigned() {
        let cmd = FeedbackCommand::Assign {
            handler_account_id: 5,
        };
        let elsewhere = FeedbackFacts {
            handler_works_there: false,
            ..facts(FeedbackStatus::Received)
        };
        assert!(matches!(
            plan(&cmd, 3, &elsewhere, Utc::now()),
            Err(FeedbackRefusal::Input {
                field: "handlerAccountId",
                ..
            })
        ));
    }
}
