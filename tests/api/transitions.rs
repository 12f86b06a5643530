//! Every transition from every status: allowed ones (by hand, from
//! DOMAIN.md's diagram) succeed for the right actor, the others answer
//! INVALID_TRANSITION and change nothing.

use serde_json::{json, Value};

use crate::fixtures::{flow, Flow};
use crate::helpers::error_code;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Who {
    Citizen,
    Reception,
    Specialist,
    Leader,
}

/// (mutation, extra arguments, who takes it)
const TRANSITIONS: &[(&str, &str, Who)] = &[
    ("submitDossier", "", Who::Citizen),
    ("receiveDossier", "", Who::Reception),
    (
        "requestSupplement",
        ", items: [{ component: \"Đơn\", reason: \"Thiếu chữ ký\" }]",
        Who::Reception,
    ),
    ("supplementDossier", "", Who::Citizen),
    (
        "refuseDossier",
        ", reason: \"Không thuộc thẩm quyền\"",
        Who::Reception,
    ),
    ("transferDossier", "", Who::Reception),
    (
        "pauseDossier",
        ", kind: FINANCIAL_OBLIGATION, reason: \"Chờ nộp phí\"",
        Who::Specialist,
    ),
    ("resumeDossier", "", Who::Specialist),
    ("submitForApproval", "", Who::Specialist),
    (
        "sendBackDossier",
        ", reason: \"Bổ sung ý kiến\"",
        Who::Leader,
    ),
    ("approveDossier", "", Who::Leader),
    (
        "declareNotEligible",
        ", reason: \"Không đủ điều kiện\"",
        Who::Specialist,
    ),
    (
        "stopDossier",
        ", reason: \"Dừng theo đề nghị\"",
        Who::Leader,
    ),
    ("returnResult", ", method: COUNTER", Who::Reception),
    ("withdrawDossier", "", Who::Citizen),
];

/// Which mutations each status allows, read off the diagram.
fn allowed(status: &str) -> &'static [&'static str] {
    match status {
        "DRAFT" => &["submitDossier", "withdrawDossier"],
        "SUBMITTED" => &[
            "receiveDossier",
            "requestSupplement",
            "refuseDossier",
            "withdrawDossier",
        ],
        "NEEDS_SUPPLEMENT" => &["supplementDossier", "withdrawDossier"],
        "RECEIVED" => &["transferDossier", "withdrawDossier"],
        "PROCESSING" => &[
            "pauseDossier",
            "submitForApproval",
            "declareNotEligible",
            "stopDossier",
            "withdrawDossier",
        ],
        // A financial pause: the officer resumes, the applicant cannot "supplement".
        "PAUSED" => &["resumeDossier", "stopDossier", "withdrawDossier"],
        "AWAITING_APPROVAL" => &[
            "sendBackDossier",
            "approveDossier",
            "declareNotEligible",
            "withdrawDossier",
        ],
        "RESULT_READY" => &["returnResult"],
        _ => &[],
    }
}

fn token(f: &Flow, who: Who) -> &str {
    match who {
        Who::Citizen => &f.citizen,
        Who::Reception => &f.reception,
        Who::Specialist => &f.specialist,
        Who::Leader => &f.leader,
    }
}

/// Drives a fresh dossier to a status along the shortest path.
async fn dossier_in(f: &Flow, status: &str) -> Value {
    let path: &[&str] = match status {
        "DRAFT" => &[],
        "SUBMITTED" => &["submitDossier"],
        "NEEDS_SUPPLEMENT" => &["submitDossier", "requestSupplement"],
        "RECEIVED" => &["submitDossier", "receiveDossier"],
        "REFUSED" => &["submitDossier", "refuseDossier"],
        "PROCESSING" => &["submitDossier", "receiveDossier", "transferDossier"],
        "PAUSED" => &[
            "submitDossier",
            "receiveDossier",
            "transferDossier",
            "pauseDossier",
        ],
        "AWAITING_APPROVAL" => &[
            "submitDossier",
            "receiveDossier",
            "transferDossier",
            "submitForApproval",
        ],
        "RESULT_READY" => &[
            "submitDossier",
            "receiveDossier",
            "transferDossier",
            "submitForApproval",
            "approveDossier",
        ],
        "NOT_ELIGIBLE" => &[
            "submitDossier",
            "receiveDossier",
            "transferDossier",
            "declareNotEligible",
        ],
        "STOPPED" => &[
            "submitDossier",
            "receiveDossier",
            "transferDossier",
            "stopDossier",
        ],
        "RETURNED" => &[
            "submitDossier",
            "receiveDossier",
            "transferDossier",
            "submitForApproval",
            "approveDossier",
            "returnResult",
        ],
        "WITHDRAWN" => &["withdrawDossier"],
        other => panic!("no path to {other}"),
    };
    let mut d = f.draft().await;
    for step in path {
        let (name, args, who) = TRANSITIONS.iter().find(|t| t.0 == *step).unwrap();
        d = f.ok(token(f, *who), name, &d, args).await;
        if *step == "receiveDossier" {
            // The fee is taken once received: paying changes no status,
            // and the result can then be returned (fees are due first).
            f.paid(&d).await;
        }
    }
    assert_eq!(d["status"], status);
    d
}

const STATUSES: [&str; 13] = [
    "DRAFT",
    "SUBMITTED",
    "NEEDS_SUPPLEMENT",
    "RECEIVED",
    "REFUSED",
    "PROCESSING",
    "PAUSED",
    "AWAITING_APPROVAL",
    "RESULT_READY",
    "NOT_ELIGIBLE",
    "STOPPED",
    "RETURNED",
    "WITHDRAWN",
];

#[tokio::test]
async fn every_transition_from_every_status_is_allowed_exactly_as_the_diagram_says() {
    let f = flow().await;
    let read = "query($id: ID!) { dossier(id: $id) { status version } }";
    for status in STATUSES {
        let mut d = dossier_in(&f, status).await;
        for (name, args, who) in TRANSITIONS {
            let v = f.act(token(&f, *who), name, &d, args).await;
            if allowed(status).contains(name) {
                assert!(
                    v.get("errors").is_none(),
                    "{name} from {status} should pass: {v}"
                );
                // That one moved on: take a fresh dossier in the same status.
                d = dossier_in(&f, status).await;
                continue;
            }
            // A draft does not exist for anybody but its applicant.
            let expected = if status == "DRAFT" && *who != Who::Citizen {
                "NOT_FOUND"
            } else {
                "INVALID_TRANSITION"
            };
            assert_eq!(error_code(&v), expected, "{name} from {status}: {v}");
            let now =
                f.t.data(Some(&f.citizen), read, json!({ "id": d["id"] }))
                    .await;
            assert_eq!(
                now["dossier"],
                json!({ "status": status, "version": d["version"] }),
                "{name} from {status} changed it"
            );
        }
    }
}

/// The statuses where each mutation is allowed, to try it there.
fn a_status_allowing(name: &str) -> &'static str {
    STATUSES
        .iter()
        .find(|s| allowed(s).contains(&name))
        .copied()
        .unwrap()
}

#[tokio::test]
async fn every_transition_is_forbidden_to_every_wrong_actor() {
    let f = flow().await;
    let other_citizen = crate::fixtures::register_other_citizen(&f.t).await;
    let ward_desk = f.t.login_demo("motcua.phuong@demo.motcua.vn").await;
    let ward_leader = f.t.login_demo("lanhdao.phuong@demo.motcua.vn").await;
    let ward_specialist = f.t.login_demo("chuyenvien.phuong@demo.motcua.vn").await;
    let postal = f.t.login_demo("buudien@demo.motcua.vn").await;
    let supervisor = f.t.login_demo("giamsat@demo.motcua.vn").await;
    let admin = f.t.login_demo("quantri@demo.motcua.vn").await;
    let actors: Vec<(&str, &str)> = vec![
        ("citizen", &f.citizen),
        ("other citizen", &other_citizen),
        ("reception", &f.reception),
        ("specialist", &f.specialist),
        ("leader", &f.leader),
        ("ward desk", &ward_desk),
        ("ward leader", &ward_leader),
        ("ward specialist", &ward_specialist),
        ("postal", &postal),
        ("supervisor", &supervisor),
        ("admin", &admin),
    ];
    let read = "query($id: ID!) { dossier(id: $id) { status version } }";
    for (name, args, who) in TRANSITIONS {
        // The applicant acts for themselves; the one-stop unit receives and
        // returns; specialists and leaders process; leaders decide.
        let rightful: &[&str] = match (*name, who) {
            (_, Who::Citizen) => &["citizen"],
            (_, Who::Reception) => &["reception"],
            ("pauseDossier" | "resumeDossier" | "submitForApproval" | "declareNotEligible", _) => {
                &["specialist", "leader"]
            }
            _ => &["leader"],
        };
        let status = a_status_allowing(name);
        let d = dossier_in(&f, status).await;
        // Who may read it: the applicant, the centre's desk, the
        // department, the province-wide roles; a draft is the applicant's
        // alone. To everybody else it does not exist (NOT_FOUND); readers
        // who may not act are FORBIDDEN.
        let readers: &[&str] = if status == "DRAFT" {
            &["citizen"]
        } else {
            &[
                "citizen",
                "reception",
                "specialist",
                "leader",
                "supervisor",
                "admin",
            ]
        };
        for (label, token) in &actors {
            if rightful.contains(label) {
                continue;
            }
            let expected = if readers.contains(label) {
                "FORBIDDEN"
            } else {
                "NOT_FOUND"
            };
            let v = f.act(token, name, &d, args).await;
            assert_eq!(
                error_code(&v),
                expected,
                "{name} by {label} from {status}: {v}"
            );
        }
        let now =
            f.t.data(Some(&f.citizen), read, json!({ "id": d["id"] }))
                .await;
        assert_eq!(
            now["dossier"],
            json!({ "status": status, "version": d["version"] }),
            "{name} changed it"
        );
        // And the rightful actor may.
        let v = f.act(token(&f, *who), name, &d, args).await;
        assert!(v.get("errors").is_none(), "{name} by its actor: {v}");
    }
}
