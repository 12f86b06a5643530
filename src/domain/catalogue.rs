//! The catalogue: agencies' levels and kinds, and the procedure record with
//! every field the regulations require to be public (Đồng Nai 33/2015 Art.
//! 4.1.b, Hà Nam 30/2019 Art. 5, Quảng Ngãi 34/2023 Art. 7).

use serde::{Deserialize, Serialize};

use super::authz::Role;
use super::identity::{optional_text, required_text};
use super::Problem;

labelled_enum! {
    /// Cấp hành chính. DISTRICT is kept for history: the district level was
    /// abolished on 1 July 2025 (Decree 118/2025/NĐ-CP).
    pub enum AgencyLevel {
        Province => ("PROVINCE", "Cấp tỉnh", "Province"),
        District => ("DISTRICT", "Cấp huyện (trước 01/7/2025)", "District (before 1 July 2025)"),
        Commune => ("COMMUNE", "Cấp xã", "Commune"),
    }
}

labelled_enum! {
    /// Loại cơ quan.
    pub enum AgencyKind {
        PeoplesCommittee => ("PEOPLES_COMMITTEE", "Ủy ban nhân dân", "People's committee"),
        Department => ("DEPARTMENT", "Sở, ban, ngành", "Department"),
        SpecialistDivision => ("SPECIALIST_DIVISION", "Phòng chuyên môn", "Specialist division"),
        OneStopUnit => ("ONE_STOP_UNIT", "Bộ phận Một cửa", "One-stop unit"),
        VerticalAgency => ("VERTICAL_AGENCY", "Cơ quan ngành dọc", "Vertical agency"),
        Other => ("OTHER", "Khác", "Other"),
    }
}

labelled_enum! {
    /// Trạng thái thủ tục.
    pub enum ProcedureStatus {
        Active => ("ACTIVE", "Đang áp dụng", "Active"),
        Suspended => ("SUSPENDED", "Tạm ngưng", "Suspended"),
        Abolished => ("ABOLISHED", "Đã bãi bỏ", "Abolished"),
    }
}

labelled_enum! {
    /// Mức độ dịch vụ công trực tuyến (Decree 42/2022/NĐ-CP).
    pub enum OnlineServiceLevel {
        Full => ("FULL", "Toàn trình", "Full"),
        Partial => ("PARTIAL", "Một phần", "Partial"),
        None => ("NONE", "Không hỗ trợ trực tuyến", "None"),
    }
}

labelled_enum! {
    /// Đơn vị thời hạn giải quyết.
    pub enum ProcessingUnit {
        WorkingDays => ("WORKING_DAYS", "Ngày làm việc", "Working days"),
        WorkingHours => ("WORKING_HOURS", "Giờ làm việc", "Working hours"),
    }
}

labelled_enum! {
    /// Cách thức thực hiện.
    pub enum SubmissionMethod {
        Direct => ("DIRECT", "Trực tiếp", "In person"),
        Online => ("ONLINE", "Trực tuyến", "Online"),
        Postal => ("POSTAL", "Dịch vụ bưu chính", "By post"),
    }
}

/// The national systems store durations in working hours, 8 to a day.
pub const HOURS_PER_WORKING_DAY: u32 = 8;

/// Thời hạn giải quyết.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProcessingTime {
    pub amount: u32,
    pub unit: ProcessingUnit,
}

impl ProcessingTime {
    pub fn working_hours(self) -> u32 {
        match self.unit {
            // Saturating: an absurd amount stays absurd, for `normalise` to refuse.
            ProcessingUnit::WorkingDays => self.amount.saturating_mul(HOURS_PER_WORKING_DAY),
            ProcessingUnit::WorkingHours => self.amount,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MethodInfo {
    pub method: SubmissionMethod,
    pub description: Option<String>,
}

/// Thành phần hồ sơ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Component {
    pub name: String,
    pub originals: u32,
    pub copies: u32,
    pub required: bool,
    pub form_template: Option<String>,
    /// The data-store document type that can satisfy this component.
    pub data_store_document_type: Option<String>,
}

/// Phí, lệ phí: one line, in VND.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FeeLine {
    pub name: String,
    pub amount_vnd: i64,
}

/// One step of the internal process (quy trình nội bộ) with its share of the
/// processing time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProcessStep {
    pub name: String,
    pub role: Role,
    pub working_hours: u32,
}

/// Everything a procedure version says. Stored whole, as JSON, per version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProcedureContent {
    pub name: String,
    pub sector_id: i64,
    pub field_id: i64,
    pub levels: Vec<AgencyLevel>,
    pub agency_ids: Vec<i64>,
    pub online_service_level: OnlineServiceLevel,
    /// Mức độ 1–4 under the superseded classification, kept for history.
    pub legacy_online_level: Option<u8>,
    pub processing_time: ProcessingTime,
    /// "Giải quyết trong ngày": received after the cut-off, due at the end of
    /// the next working day.
    pub within_day: bool,
    pub steps: Vec<String>,
    pub methods: Vec<MethodInfo>,
    pub components: Vec<Component>,
    pub subjects: Vec<String>,
    pub result_document: String,
    /// The data-store document type of the result (e.g. `GIAY_KHAI_SINH`):
    /// the copy saved into the applicant's store carries it, so that a
    /// component requiring that type takes it. None: the result's name.
    #[serde(default)]
    pub result_document_type: Option<String>,
    pub fees: Vec<FeeLine>,
    /// When the fees are due as the procedure says; None: the default
    /// (`PaymentDue::DEFAULT`, before the return). Read it through
    /// [`ProcedureContent::fees_due`].
    #[serde(default)]
    pub payment_due: Option<super::payment::PaymentDue>,
    pub conditions: Option<String>,
    pub legal_basis: Vec<String>,
    pub internal_process: Vec<ProcessStep>,
}

/// A refusal of one field of a procedure record: its path and the reason.
pub type FieldProblem = (String, Problem);

impl ProcedureContent {
    /// When this procedure's fees are due: as it says, else the default;
    /// None when it has no fee.
    pub fn fees_due(&self) -> Option<super::payment::PaymentDue> {
        let total: i64 = self.fees.iter().map(|f| f.amount_vnd).sum();
        (total > 0).then(|| {
            self.payment_due
                .unwrap_or(super::payment::PaymentDue::DEFAULT)
        })
    }

    /// The component of this version named `name` exactly; a refusal that
    /// names it when the procedure has none of that name (a file or a
    /// stored document is for one of the procedure's components).
    pub fn component(&self, name: &str) -> Result<&Component, Problem> {
        self.components
            .iter()
            .find(|c| c.name == name)
            .ok_or_else(|| Problem::Invalid {
                vi: format!("Thủ tục không có thành phần hồ sơ «{name}»"),
                en: format!("The procedure has no component «{name}»"),
            })
    }

    /// The components handed in, in this version's order: those the
    /// e-form's `components` list names and those with a file (`filed`:
    /// the files are the truth, a file needs no second mention). The
    /// receipt (form 01 of Circular 03/2025/TT-VPCP) lists these, not every
    /// component the procedure knows.
    pub fn handed_in(&self, form: &serde_json::Value, filed: &[String]) -> Vec<&Component> {
        let named: Vec<&str> = form
            .get("components")
            .and_then(serde_json::Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|c| c.get("name").and_then(serde_json::Value::as_str))
                    .collect()
            })
            .unwrap_or_default();
        self.components
            .iter()
            .filter(|c| named.contains(&c.name.as_str()) || filed.contains(&c.name))
            .collect()
    }

    /// E-form data is a JSON object; when `complete` (at submission and
    /// intake), every required component of this version is handed in
    /// ([`Self::handed_in`]: named by its `components` list,
    /// `{"components": [{"name": …}, …]}`, or filed). The error names
    /// `formData` or `formData.components`.
    pub fn check_form(
        &self,
        form: &serde_json::Value,
        filed: &[String],
        complete: bool,
    ) -> Result<(), FieldProblem> {
        if !form.is_object() {
            return Err((
                "formData".to_owned(),
                Problem::Invalid {
                    vi: "Dữ liệu biểu mẫu phải là một đối tượng JSON".into(),
                    en: "Form data must be a JSON object".into(),
                },
            ));
        }
        if !complete {
            return Ok(());
        }
        let given = self.handed_in(form, filed);
        let missing: Vec<&str> = self
            .components
            .iter()
            .filter(|c| c.required && !given.iter().any(|g| g.name == c.name))
            .map(|c| c.name.as_str())
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        Err((
            "formData.components".to_owned(),
            Problem::Invalid {
                vi: format!("Thiếu thành phần hồ sơ bắt buộc: {}", missing.join("; ")),
                en: format!("Required components are missing: {}", missing.join("; ")),
            },
        ))
    }
}

fn at(path: impl Into<String>) -> impl FnOnce(Problem) -> FieldProblem {
    let path = path.into();
    move |p| (path, p)
}

/// The longest name of a procedure, a component or a step, in characters
/// (an upload or a supplement item names a component by it).
pub const NAME_MAX: usize = 500;
const TEXT_MAX: usize = 10_000;
/// A year of working days is the longest processing time we accept.
const MAX_PROCESSING_HOURS: u32 = 260 * HOURS_PER_WORKING_DAY;

impl ProcedureContent {
    /// Checks and normalises a record (trims text). Cross-references (sector,
    /// field, agencies) are checked by the service against the store.
    pub fn normalise(mut self) -> Result<Self, FieldProblem> {
        self.name = required_text(&self.name, NAME_MAX).map_err(at("name"))?;
        self.result_document =
            required_text(&self.result_document, NAME_MAX).map_err(at("resultDocument"))?;
        self.result_document_type = optional_text(self.result_document_type.as_deref(), 100)
            .map_err(at("resultDocumentType"))?;
        self.conditions =
            optional_text(self.conditions.as_deref(), TEXT_MAX).map_err(at("conditions"))?;
        if self.levels.is_empty() {
            return Err(("levels".into(), Problem::Required));
        }
        self.levels.sort();
        self.levels.dedup();
        if self.agency_ids.is_empty() {
            return Err(("agencyIds".into(), Problem::Required));
        }
        self.agency_ids.sort_unstable();
        self.agency_ids.dedup();
        if self.methods.is_empty() {
            return Err(("methods".into(), Problem::Required));
        }
        if let Some(level) = self.legacy_online_level {
            if !(1..=4).contains(&level) {
                return Err((
                    "legacyOnlineLevel".into(),
                    Problem::OutOfRange { min: 1, max: 4 },
                ));
            }
        }
        let hours = self.processing_time.working_hours();
        if hours > MAX_PROCESSING_HOURS {
            return Err((
                "processingTime.amount".into(),
                Problem::OutOfRange {
                    min: 0,
                    max: i64::from(MAX_PROCESSING_HOURS),
                },
            ));
        }
        for (i, c) in self.components.iter_mut().enumerate() {
            c.name =
                required_text(&c.name, NAME_MAX).map_err(at(format!("components.{i}.name")))?;
        }
        for (i, f) in self.fees.iter_mut().enumerate() {
            f.name = required_text(&f.name, NAME_MAX).map_err(at(format!("fees.{i}.name")))?;
            if f.amount_vnd < 0 {
                return Err((
                    format!("fees.{i}.amountVnd"),
                    Problem::OutOfRange {
                        min: 0,
                        max: i64::MAX,
                    },
                ));
            }
        }
        for (i, s) in self.steps.iter_mut().enumerate() {
            *s = required_text(s, TEXT_MAX).map_err(at(format!("steps.{i}")))?;
        }
        for (i, step) in self.internal_process.iter_mut().enumerate() {
            step.name = required_text(&step.name, NAME_MAX)
                .map_err(at(format!("internalProcess.{i}.name")))?;
            if matches!(step.role, Role::Citizen | Role::Analyst) {
                return Err((format!("internalProcess.{i}.role"), Problem::UnknownValue));
            }
        }
        // The internal process divides the processing time among its steps
        // (form 06, the processing control sheet, judges each step by its share).
        if !self.internal_process.is_empty() {
            let total: u32 = self.internal_process.iter().map(|s| s.working_hours).sum();
            if total != hours {
                return Err((
                    "internalProcess".into(),
                    Problem::Invalid {
                        vi: format!(
                            "Tổng thời gian các bước ({total} giờ) phải bằng thời hạn giải quyết ({hours} giờ làm việc)"
                        ),
                        en: format!(
                            "The steps' time ({total} h) must equal the processing time ({hours} working hours)"
                        ),
                    },
                ));
            }
        }
        Ok(self)
    }

    pub fn has_level(&self, level: AgencyLevel) -> bool {
        self.levels.contains(&level)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn sample() -> ProcedureContent {
        ProcedureContent {
            name: " Cấp Phiếu lý lịch tư pháp ".into(),
            sector_id: 1,
            field_id: 2,
            levels: vec![AgencyLevel::Province],
            agency_ids: vec![3, 3],
            online_service_level: OnlineServiceLevel::Full,
            legacy_online_level: None,
            processing_time: ProcessingTime {
                amount: 10,
                unit: ProcessingUnit::WorkingDays,
            },
            within_day: false,
            steps: vec!["Nộp hồ sơ".into()],
            methods: vec![MethodInfo {
                method: SubmissionMethod::Online,
                description: None,
            }],
            components: vec![],
            subjects: vec![],
            result_document: "Phiếu lý lịch tư pháp".into(),
            result_document_type: None,
            fees: vec![FeeLine {
                name: "Phí".into(),
                amount_vnd: 200_000,
            }],
            payment_due: None,
            conditions: Some("  ".into()),
            legal_basis: vec![],
            internal_process: vec![
                ProcessStep {
                    name: "Tiếp nhận".into(),
                    role: Role::ReceptionOfficer,
                    working_hours: 4,
                },
                ProcessStep {
                    name: "Thẩm định".into(),
                    role: Role::Specialist,
                    working_hours: 72,
                },
                ProcessStep {
                    name: "Ký".into(),
                    role: Role::AgencyLeader,
                    working_hours: 4,
                },
            ],
        }
    }

    #[test]
    fn a_valid_record_is_trimmed_and_deduplicated() {
        let c = sample().normalise().unwrap();
        assert_eq!(c.name, "Cấp Phiếu lý lịch tư pháp");
        assert_eq!(c.agency_ids, vec![3]);
        assert_eq!(c.conditions, None);
        assert_eq!(c.processing_time.working_hours(), 80);
    }

    #[test]
    fn internal_process_must_add_up_to_the_processing_time() {
        let mut c = sample();
        c.internal_process[1].working_hours = 70;
        assert_eq!(c.normalise().unwrap_err().0, "internalProcess");
    }

    #[test]
    fn missing_name_levels_or_negative_fees_are_refused() {
        let mut c = sample();
        c.name = " ".into();
        assert_eq!(
            c.normalise().unwrap_err(),
            ("name".into(), Problem::Required)
        );
        let mut c = sample();
        c.levels.clear();
        assert_eq!(c.normalise().unwrap_err().0, "levels");
        let mut c = sample();
        c.fees[0].amount_vnd = -1;
        assert_eq!(c.normalise().unwrap_err().0, "fees.0.amountVnd");
    }

    fn component(name: &str, required: bool) -> Component {
        Component {
            name: name.into(),
            originals: 1,
            copies: 0,
            required,
            form_template: None,
            data_store_document_type: None,
        }
    }

    #[test]
    fn what_was_handed_in_is_what_the_form_names_or_a_file_holds() {
        let mut c = sample();
        c.components = vec![
            component("Tờ khai", true),
            component("Bản sao CCCD", true),
            component("Giấy ủy quyền (nếu có)", false),
        ];
        let form = serde_json::json!({ "components": [{ "name": "Tờ khai" }] });
        // The optional component was not handed in: the receipt lists two.
        let got: Vec<&str> = c
            .handed_in(&form, &["Bản sao CCCD".to_owned()])
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(got, ["Tờ khai", "Bản sao CCCD"]);
        // A file is enough: no second mention in the e-form.
        assert!(c
            .check_form(&form, &["Bản sao CCCD".to_owned()], true)
            .is_ok());
        let (field, problem) = c.check_form(&form, &[], true).unwrap_err();
        assert_eq!(
            (field.as_str(), problem.en()),
            (
                "formData.components",
                "Required components are missing: Bản sao CCCD".to_owned()
            )
        );
        assert_eq!(
            c.component("Đơn").unwrap_err().en(),
            "The procedure has no component «Đơn»"
        );
    }

    #[test]
    fn content_round_trips_through_json() {
        let c = sample();
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(json["onlineServiceLevel"], "FULL");
        assert_eq!(json["internalProcess"][0]["role"], "RECEPTION_OFFICER");
        let back: ProcedureContent = serde_json::from_value(json).unwrap();
        assert_eq!(back, c);
    }
}
