//! Fees and payments (Hà Nam 30/2019 Art. 10.2.c–d): how a dossier's fees
//! stand, which payments may be refunded, and the gateway's signature.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::catalogue::FeeLine;
use super::lifecycle::DossierStatus;

labelled_enum! {
    /// How a fee was paid.
    pub enum PaymentMethod {
        OnlineGateway => ("ONLINE_GATEWAY", "Thanh toán trực tuyến", "Online payment gateway"),
        BankTransfer => ("BANK_TRANSFER", "Chuyển khoản ngân hàng", "Bank transfer"),
        Counter => ("COUNTER", "Nộp tại Bộ phận Một cửa", "At the counter"),
        Postal => ("POSTAL", "Nộp qua bưu chính công ích", "By post"),
    }
}

labelled_enum! {
    /// Where a payment stands.
    pub enum PaymentStatus {
        Pending => ("PENDING", "Chờ thanh toán", "Awaiting payment"),
        Paid => ("PAID", "Đã thanh toán", "Paid"),
        Refunded => ("REFUNDED", "Đã hoàn trả", "Refunded"),
    }
}

labelled_enum! {
    /// Where a dossier's fees stand.
    pub enum FeeStatus {
        NoFee => ("NO_FEE", "Không thu phí, lệ phí", "No fee"),
        Unpaid => ("UNPAID", "Chưa nộp phí, lệ phí", "Unpaid"),
        Paid => ("PAID", "Đã nộp phí, lệ phí", "Paid"),
        Refunded => ("REFUNDED", "Đã hoàn trả phí, lệ phí", "Refunded"),
    }
}

labelled_enum! {
    /// When a procedure's fees are due. Unless the procedure says otherwise,
    /// before the result is returned (DOMAIN "Fees"; Hà Nam 30/2019
    /// Art. 10.2.c: fees are taken with the dossier or before the result).
    pub enum PaymentDue {
        BeforeReception => ("BEFORE_RECEPTION", "Nộp trước khi tiếp nhận", "Before reception"),
        BeforeReturn => ("BEFORE_RETURN", "Nộp trước khi trả kết quả", "Before the result is returned"),
        AfterReturn => ("AFTER_RETURN", "Nộp sau khi trả kết quả (theo thông báo)", "After the result is returned (on notice)"),
    }
}

/// What one payment contributes to a dossier's fees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paid {
    pub status: PaymentStatus,
    pub amount_vnd: i64,
}

/// A dossier's fees against its payments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fees {
    pub total_vnd: i64,
    pub paid_vnd: i64,
    pub refunded_vnd: i64,
    pub outstanding_vnd: i64,
    pub status: FeeStatus,
}

impl Fees {
    /// A dossier's fees: the procedure version's fee lines (in VND) summed,
    /// against its payments.
    pub fn for_procedure(lines: &[FeeLine], payments: &[Paid]) -> Fees {
        Fees::of(lines.iter().map(|l| l.amount_vnd).sum(), payments)
    }

    /// `total_vnd` owed against the payments: paid ones count, a refund
    /// means nothing is owed any more.
    pub fn of(total_vnd: i64, payments: &[Paid]) -> Fees {
        let sum = |s: PaymentStatus| -> i64 {
            payments
                .iter()
                .filter(|p| p.status == s)
                .map(|p| p.amount_vnd)
                .sum()
        };
        let paid_vnd = sum(PaymentStatus::Paid);
        let refunded_vnd = sum(PaymentStatus::Refunded);
        let outstanding_vnd = if refunded_vnd > 0 {
            0 // the agency gave up on the service: nothing is owed
        } else {
            (total_vnd - paid_vnd).max(0)
        };
        let status = if refunded_vnd > 0 {
            FeeStatus::Refunded
        } else if total_vnd == 0 {
            FeeStatus::NoFee
        } else if outstanding_vnd == 0 {
            FeeStatus::Paid
        } else {
            FeeStatus::Unpaid
        };
        Fees {
            total_vnd,
            paid_vnd,
            refunded_vnd,
            outstanding_vnd,
            status,
        }
    }
}

impl PaymentDue {
    /// When fees are due where the procedure does not say: before the
    /// result is returned.
    pub const DEFAULT: PaymentDue = PaymentDue::BeforeReturn;

    /// Whether unpaid fees stop this step (`reception`: receiving the
    /// dossier; otherwise returning its result). `due` as the procedure
    /// says, None for the default.
    pub fn blocks(due: Option<PaymentDue>, reception: bool) -> bool {
        match due.unwrap_or(PaymentDue::DEFAULT) {
            PaymentDue::BeforeReception => true,
            PaymentDue::BeforeReturn => !reception,
            PaymentDue::AfterReturn => false,
        }
    }

    /// The refusal (Vietnamese, English) of a step that `owed_vnd` unpaid
    /// stops, as [`PaymentDue::blocks`] says; None when the step may go.
    pub fn unpaid(
        due: Option<PaymentDue>,
        reception: bool,
        owed_vnd: i64,
    ) -> Option<(String, String)> {
        (owed_vnd > 0 && PaymentDue::blocks(due, reception)).then(|| {
            (
                format!("Hồ sơ chưa nộp đủ phí, lệ phí (còn thiếu {owed_vnd} đồng)"),
                format!("The fees are not paid ({owed_vnd} VND owed)"),
            )
        })
    }
}

/// Whether a paid fee goes back to the applicant: only when the agency could
/// not deliver the service (refused at reception, or not eligible), never
/// because the applicant did not collect a result (Art. 10.2.d).
pub fn refundable(status: DossierStatus) -> bool {
    matches!(status, DossierStatus::Refused | DossierStatus::NotEligible)
}

/// Payments are accepted while the dossier is alive, and once its result
/// is returned for what it still owes (fees due AFTER_RETURN are collected
/// on notice); never for a draft, nor a dossier refused, withdrawn, stopped
/// or found not eligible (nothing is owed for a service not delivered).
pub fn payable(status: DossierStatus) -> bool {
    !matches!(
        status,
        DossierStatus::Draft
            | DossierStatus::Refused
            | DossierStatus::Withdrawn
            | DossierStatus::Stopped
            | DossierStatus::NotEligible
    )
}

/// The MAC of a body under a secret (HMAC takes a key of any length, so
/// this is never `None` in practice).
fn mac(secret: &[u8], body: &[u8]) -> Option<Hmac<Sha256>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).ok()?;
    mac.update(body);
    Some(mac)
}

/// HMAC-SHA256 of a callback body under the gateway secret, lowercase hex.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    mac(secret, body)
        .map(|m| hex::encode(m.finalize().into_bytes()))
        .unwrap_or_default()
}

/// Checks a callback's signature in constant time.
pub fn verify(secret: &[u8], body: &[u8], signature_hex: &str) -> bool {
    match (hex::decode(signature_hex.trim()), mac(secret, body)) {
        (Ok(sig), Some(m)) => m.verify_slice(&sig).is_ok(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paid(status: PaymentStatus, amount_vnd: i64) -> Paid {
        Paid { status, amount_vnd }
    }

    fn line(amount_vnd: i64) -> FeeLine {
        FeeLine {
            name: "Lệ phí".into(),
            amount_vnd,
        }
    }

    #[test]
    fn a_procedures_fee_lines_add_up_against_what_was_paid() {
        let lines = [line(100_000), line(50_000)];
        let f = Fees::for_procedure(&lines, &[paid(PaymentStatus::Paid, 100_000)]);
        assert_eq!(
            (f.total_vnd, f.paid_vnd, f.outstanding_vnd),
            (150_000, 100_000, 50_000)
        );
        assert_eq!(f.status, FeeStatus::Unpaid);
        // A pending payment pays nothing.
        let f = Fees::for_procedure(
            &lines,
            &[
                paid(PaymentStatus::Pending, 150_000),
                paid(PaymentStatus::Paid, 150_000),
            ],
        );
        assert_eq!((f.outstanding_vnd, f.status), (0, FeeStatus::Paid));
        assert_eq!(Fees::for_procedure(&[], &[]).status, FeeStatus::NoFee);
    }

    #[test]
    fn fees_stand_against_what_was_paid() {
        let f = Fees::of(150_000, &[]);
        assert_eq!((f.status, f.outstanding_vnd), (FeeStatus::Unpaid, 150_000));
        let f = Fees::of(150_000, &[paid(PaymentStatus::Pending, 150_000)]);
        assert_eq!((f.status, f.outstanding_vnd), (FeeStatus::Unpaid, 150_000));
        let f = Fees::of(150_000, &[paid(PaymentStatus::Paid, 150_000)]);
        assert_eq!((f.status, f.outstanding_vnd), (FeeStatus::Paid, 0));
        let f = Fees::of(0, &[]);
        assert_eq!((f.status, f.outstanding_vnd), (FeeStatus::NoFee, 0));
        let f = Fees::of(150_000, &[paid(PaymentStatus::Refunded, 150_000)]);
        assert_eq!(
            (f.status, f.outstanding_vnd, f.refunded_vnd),
            (FeeStatus::Refunded, 0, 150_000)
        );
    }

    #[test]
    fn refunds_only_when_the_agency_cannot_deliver() {
        assert!(refundable(DossierStatus::Refused));
        assert!(refundable(DossierStatus::NotEligible));
        // The result was issued: not collecting it is the applicant's choice.
        assert!(!refundable(DossierStatus::ResultReady));
        assert!(!refundable(DossierStatus::Returned));
        assert!(!refundable(DossierStatus::Withdrawn));
        assert!(!refundable(DossierStatus::Processing));
    }

    #[test]
    fn payment_requirements_block_their_step() {
        assert!(!PaymentDue::blocks(None, true));
        assert!(PaymentDue::blocks(Some(PaymentDue::BeforeReception), true));
        assert!(PaymentDue::blocks(Some(PaymentDue::BeforeReception), false));
        assert!(!PaymentDue::blocks(Some(PaymentDue::BeforeReturn), true));
        assert!(PaymentDue::blocks(Some(PaymentDue::BeforeReturn), false));
    }

    #[test]
    fn signatures_verify_only_for_the_same_secret_and_body() {
        // RFC 4231 test case 2.
        assert_eq!(
            sign(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let s = sign(b"secret", b"{\"a\":1}");
        assert!(verify(b"secret", b"{\"a\":1}", &s));
        assert!(verify(b"secret", b"{\"a\":1}", &s.to_uppercase()));
        assert!(!verify(b"secret", b"{\"a\":2}", &s));
        assert!(!verify(b"other", b"{\"a\":1}", &s));
        assert!(!verify(b"secret", b"{\"a\":1}", "not hex"));
        assert!(!verify(b"secret", b"{\"a\":1}", ""));
    }
}
