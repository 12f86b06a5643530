//! The foundation: agencies, the catalogue (sectors, fields, versioned procedures),
//! accounts with roles, sessions, login throttling and the working calendar.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Agency::Table)
                .col(big_pk_auto(Agency::Id))
                .col(big_integer_null(Agency::ParentId))
                .col(string_len_uniq(Agency::Code, 32))
                .col(string(Agency::Name))
                .col(string_null(Agency::ShortName))
                .col(string(Agency::NameSearch))
                .col(string_len(Agency::Level, 16))
                .col(string_len(Agency::Kind, 32))
                .col(boolean(Agency::Active))
                .col(string_null(Agency::Address))
                .col(string_null(Agency::Phone))
                .col(string_null(Agency::Email))
                .col(string_null(Agency::Hotline))
                .col(timestamp_with_time_zone(Agency::CreatedAt))
                .col(timestamp_with_time_zone(Agency::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Agency::Table, Agency::ParentId)
                        .to(Agency::Table, Agency::Id),
                )
                .to_owned(),
        )
        .await?;
        index(m, Agency::Table, "idx_agency_parent", &[Agency::ParentId]).await?;

        m.create_table(
            Table::create()
                .table(Sector::Table)
                .col(big_pk_auto(Sector::Id))
                .col(string_len_uniq(Sector::Code, 32))
                .col(string(Sector::Name))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Field::Table)
                .col(big_pk_auto(Field::Id))
                .col(big_integer(Field::SectorId))
                .col(string_len_uniq(Field::Code, 32))
                .col(string(Field::Name))
                .foreign_key(
                    ForeignKey::create()
                        .from(Field::Table, Field::SectorId)
                        .to(Sector::Table, Sector::Id),
                )
                .to_owned(),
        )
        .await?;
        index(m, Field::Table, "idx_field_sector", &[Field::SectorId]).await?;

        // The current version's searchable and filterable columns live on the
        // procedure row; every version's full content lives in procedure_version.
        m.create_table(
            Table::create()
                .table(Procedure::Table)
                .col(big_pk_auto(Procedure::Id))
                .col(string_len_uniq(Procedure::Code, 32))
                .col(string_len(Procedure::Status, 16))
                .col(integer(Procedure::CurrentVersion))
                .col(string(Procedure::Name))
                .col(string(Procedure::SearchText))
                .col(big_integer(Procedure::SectorId))
                .col(big_integer(Procedure::FieldId))
                .col(string_len(Procedure::OnlineServiceLevel, 16))
                .col(boolean(Procedure::LevelProvince))
                .col(boolean(Procedure::LevelDistrict))
                .col(boolean(Procedure::LevelCommune))
                .col(integer(Procedure::ProcessingHours))
                .col(timestamp_with_time_zone(Procedure::CreatedAt))
                .col(timestamp_with_time_zone(Procedure::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Procedure::Table, Procedure::SectorId)
                        .to(Sector::Table, Sector::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Procedure::Table, Procedure::FieldId)
                        .to(Field::Table, Field::Id),
                )
                .to_owned(),
        )
        .await?;
        index(
            m,
            Procedure::Table,
            "idx_procedure_sector",
            &[Procedure::SectorId],
        )
        .await?;
        index(
            m,
            Procedure::Table,
            "idx_procedure_field",
            &[Procedure::FieldId],
        )
        .await?;
        index(
            m,
            Procedure::Table,
            "idx_procedure_status",
            &[Procedure::Status],
        )
        .await?;
        index(
            m,
            Procedure::Table,
            "idx_procedure_online",
            &[Procedure::OnlineServiceLevel],
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ProcedureAgency::Table)
                .col(big_integer(ProcedureAgency::ProcedureId))
                .col(big_integer(ProcedureAgency::AgencyId))
                .primary_key(
                    Index::create()
                        .col(ProcedureAgency::ProcedureId)
                        .col(ProcedureAgency::AgencyId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(ProcedureAgency::Table, ProcedureAgency::ProcedureId)
                        .to(Procedure::Table, Procedure::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(ProcedureAgency::Table, ProcedureAgency::AgencyId)
                        .to(Agency::Table, Agency::Id),
                )
                .to_owned(),
        )
        .await?;
        index(
            m,
            ProcedureAgency::Table,
            "idx_procedure_agency_agency",
            &[ProcedureAgency::AgencyId],
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ProcedureVersion::Table)
                .col(big_pk_auto(ProcedureVersion::Id))
                .col(big_integer(ProcedureVersion::ProcedureId))
                .col(integer(ProcedureVersion::VersionNo))
                .col(json(ProcedureVersion::Content))
                .col(string_null(ProcedureVersion::DecisionRef))
                .col(text_null(ProcedureVersion::Note))
                .col(big_integer_null(ProcedureVersion::CreatedBy))
                .col(timestamp_with_time_zone(ProcedureVersion::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(ProcedureVersion::Table, ProcedureVersion::ProcedureId)
                        .to(Procedure::Table, Procedure::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_procedure_version")
                .table(ProcedureVersion::Table)
                .col(ProcedureVersion::ProcedureId)
                .col(ProcedureVersion::VersionNo)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Account::Table)
                .col(big_pk_auto(Account::Id))
                .col(string_len(Account::Kind, 16))
                .col(string(Account::FullName))
                .col(string_len_null(Account::CitizenId, 12).unique_key())
                .col(string_len_null(Account::TaxCode, 16).unique_key())
                .col(string_len_null(Account::Phone, 16))
                .col(string_null(Account::Email).unique_key())
                .col(string_null(Account::ExternalId).unique_key())
                .col(string(Account::PasswordHash))
                .col(boolean(Account::MustChangePassword))
                .col(boolean(Account::Active))
                .col(timestamp_with_time_zone(Account::CreatedAt))
                .col(timestamp_with_time_zone(Account::UpdatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(AccountRole::Table)
                .col(big_pk_auto(AccountRole::Id))
                .col(big_integer(AccountRole::AccountId))
                .col(string_len(AccountRole::Role, 32))
                .col(big_integer_null(AccountRole::AgencyId))
                .foreign_key(
                    ForeignKey::create()
                        .from(AccountRole::Table, AccountRole::AccountId)
                        .to(Account::Table, Account::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(AccountRole::Table, AccountRole::AgencyId)
                        .to(Agency::Table, Agency::Id),
                )
                .to_owned(),
        )
        .await?;
        index(
            m,
            AccountRole::Table,
            "idx_account_role_account",
            &[AccountRole::AccountId],
        )
        .await?;
        index(
            m,
            AccountRole::Table,
            "idx_account_role_agency",
            &[AccountRole::AgencyId],
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Session::Table)
                .col(big_pk_auto(Session::Id))
                .col(big_integer(Session::AccountId))
                .col(string_len_uniq(Session::TokenHash, 64))
                .col(timestamp_with_time_zone(Session::CreatedAt))
                .col(timestamp_with_time_zone(Session::LastSeenAt))
                .col(timestamp_with_time_zone(Session::ExpiresAt))
                .col(timestamp_with_time_zone_null(Session::RevokedAt))
                .col(string_null(Session::ClientAddr))
                .foreign_key(
                    ForeignKey::create()
                        .from(Session::Table, Session::AccountId)
                        .to(Account::Table, Account::Id),
                )
                .to_owned(),
        )
        .await?;
        index(
            m,
            Session::Table,
            "idx_session_account",
            &[Session::AccountId],
        )
        .await?;

        m.create_table(
            Table::create()
                .table(LoginThrottle::Table)
                .col(string_len(LoginThrottle::Key, 128).primary_key())
                .col(integer(LoginThrottle::Failures))
                .col(timestamp_with_time_zone(LoginThrottle::WindowStartedAt))
                .col(timestamp_with_time_zone_null(LoginThrottle::BlockedUntil))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(CalendarDay::Table)
                .col(date(CalendarDay::Day).primary_key())
                .col(string_len(CalendarDay::Kind, 16))
                .col(string(CalendarDay::Name))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            CalendarDay::Table.into_iden(),
            LoginThrottle::Table.into_iden(),
            Session::Table.into_iden(),
            AccountRole::Table.into_iden(),
            Account::Table.into_iden(),
            ProcedureVersion::Table.into_iden(),
            ProcedureAgency::Table.into_iden(),
            Procedure::Table.into_iden(),
            Field::Table.into_iden(),
            Sector::Table.into_iden(),
            Agency::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

async fn index<T, C>(m: &SchemaManager<'_>, table: T, name: &str, cols: &[C]) -> Result<(), DbErr>
where
    T: IntoIden + Copy + 'static,
    C: IntoIden + Copy + 'static,
{
    let mut stmt = Index::create();
    stmt.name(name).table(table);
    for col in cols {
        stmt.col(*col);
    }
    m.create_index(stmt).await
}

#[derive(DeriveIden, Clone, Copy)]
enum Agency {
    Table,
    Id,
    ParentId,
    Code,
    Name,
    ShortName,
    NameSearch,
    Level,
    Kind,
    Active,
    Address,
    Phone,
    Email,
    Hotline,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Sector {
    Table,
    Id,
    Code,
    Name,
}

#[derive(DeriveIden, Clone, Copy)]
enum Field {
    Table,
    Id,
    SectorId,
    Code,
    Name,
}

#[derive(DeriveIden, Clone, Copy)]
enum Procedure {
    Table,
    Id,
    Code,
    Status,
    CurrentVersion,
    Name,
    SearchText,
    SectorId,
    FieldId,
    OnlineServiceLevel,
    LevelProvince,
    LevelDistrict,
    LevelCommune,
    ProcessingHours,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ProcedureAgency {
    Table,
    ProcedureId,
    AgencyId,
}

#[derive(DeriveIden, Clone, Copy)]
enum ProcedureVersion {
    Table,
    Id,
    ProcedureId,
    VersionNo,
    Content,
    DecisionRef,
    Note,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Account {
    Table,
    Id,
    Kind,
    FullName,
    CitizenId,
    TaxCode,
    Phone,
    Email,
    ExternalId,
    PasswordHash,
    MustChangePassword,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum AccountRole {
    Table,
    Id,
    AccountId,
    Role,
    AgencyId,
}

#[derive(DeriveIden, Clone, Copy)]
enum Session {
    Table,
    Id,
    AccountId,
    TokenHash,
    CreatedAt,
    LastSeenAt,
    ExpiresAt,
    RevokedAt,
    ClientAddr,
}

#[derive(DeriveIden, Clone, Copy)]
enum LoginThrottle {
    Table,
    Key,
    Failures,
    WindowStartedAt,
    BlockedUntil,
}

#[derive(DeriveIden, Clone, Copy)]
enum CalendarDay {
    Table,
    Day,
    Kind,
    Name,
}
