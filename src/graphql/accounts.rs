//! Accounts in GraphQL: registration, login, sessions, officials.

use super::input::{Chars, Items};
use super::time::Time;
use async_graphql::{Context, InputObject, Object, Result, SimpleObject, ID};

use super::catalogue::Agency;
use super::context::{parse_id, parse_opt_id, ContextExt};
use super::enums::{AccountKind, Role};
use super::loaders::AgencyId;
use crate::domain::authz::{self as da, Grant};
use crate::error::{stored_enum, AppError};
use crate::services::account_admin as admin;
use crate::services::accounts::{self as svc, AccountView};

/// An account. Personal fields are shown to the account itself and to those
/// who manage accounts.
pub struct Account(pub AccountView);

#[Object]
impl Account {
    async fn id(&self) -> ID {
        self.0.account.id.into()
    }
    async fn kind(&self) -> Result<AccountKind> {
        Ok(stored_enum::<da::AccountKind>(&self.0.account.kind)?.into())
    }
    /// Họ và tên, or the organisation's name.
    async fn full_name(&self) -> &str {
        &self.0.account.full_name
    }
    /// Số định danh cá nhân (citizens).
    async fn citizen_id(&self) -> Option<&str> {
        self.0.account.citizen_id.as_deref()
    }
    /// Mã số thuế (organisations).
    async fn tax_code(&self) -> Option<&str> {
        self.0.account.tax_code.as_deref()
    }
    async fn phone(&self) -> Option<&str> {
        self.0.account.phone.as_deref()
    }
    async fn email(&self) -> Option<&str> {
        self.0.account.email.as_deref()
    }
    /// True until an official replaces the one-time password.
    async fn must_change_password(&self) -> bool {
        self.0.account.must_change_password
    }
    async fn active(&self) -> bool {
        self.0.account.active
    }
    async fn roles(&self) -> Vec<RoleGrant> {
        self.0.grants.iter().copied().map(RoleGrant).collect()
    }
    async fn created_at(&self) -> Time {
        self.0.account.created_at.into()
    }
}

/// A role, with the agency it is bound to.
pub struct RoleGrant(pub Grant);

#[Object]
impl RoleGrant {
    async fn role(&self) -> Role {
        self.0.role.into()
    }
    async fn role_label(&self, ctx: &Context<'_>) -> &'static str {
        ctx.label(self.0.role.label_vi(), self.0.role.label_en())
    }
    async fn agency(&self, ctx: &Context<'_>) -> Result<Option<Agency>> {
        match self.0.agency_id {
            Some(id) => Ok(ctx.loaders()?.load_one(AgencyId(id)).await?.map(Agency)),
            None => Ok(None),
        }
    }
}

#[derive(SimpleObject)]
pub struct LoginResult {
    /// Send as `Authorization: Bearer <token>`. Shown once.
    pub token: String,
    /// The absolute expiry; a session idle too long ends earlier.
    pub expires_at: Time,
    pub account: Account,
}

#[derive(SimpleObject)]
pub struct CreatedOfficial {
    pub account: Account,
    /// The one-time password to hand over; it must be changed at first login.
    pub one_time_password: String,
}

#[derive(InputObject)]
pub struct RegisterCitizenInput {
    /// At most 300 characters.
    #[graphql(validator(custom = "Chars::new(\"fullName\", 300)"))]
    pub full_name: String,
    /// Số định danh cá nhân: 12 digits.
    /// At most 20 characters.
    #[graphql(validator(custom = "Chars::new(\"citizenId\", 20)"))]
    pub citizen_id: String,
    /// At most 20 characters.
    #[graphql(validator(custom = "Chars::new(\"phone\", 20)"))]
    pub phone: String,
    /// At most 254 characters.
    #[graphql(validator(custom = "Chars::new(\"email\", 254)"))]
    pub email: Option<String>,
    /// 8 to 128 characters, any characters; not a common or breached
    /// password, and not containing the account's name, e-mail, phone, ID
    /// number or tax code (NIST SP 800-63B). Refused as BAD_USER_INPUT on
    /// `password`.
    /// At most 128 characters.
    #[graphql(validator(custom = "Chars::new(\"password\", 128)"))]
    pub password: String,
}

#[derive(InputObject)]
pub struct RegisterOrganisationInput {
    /// At most 300 characters.
    #[graphql(validator(custom = "Chars::new(\"name\", 300)"))]
    pub name: String,
    /// Mã số thuế: 10 digits, or 13 for a dependent unit.
    /// At most 20 characters.
    #[graphql(validator(custom = "Chars::new(\"taxCode\", 20)"))]
    pub tax_code: String,
    /// At most 20 characters.
    #[graphql(validator(custom = "Chars::new(\"phone\", 20)"))]
    pub phone: String,
    /// At most 254 characters.
    #[graphql(validator(custom = "Chars::new(\"email\", 254)"))]
    pub email: String,
    /// The same rule as `RegisterCitizenInput.password`.
    /// At most 128 characters.
    #[graphql(validator(custom = "Chars::new(\"password\", 128)"))]
    pub password: String,
}

#[derive(InputObject)]
pub struct RoleGrantInput {
    pub role: Role,
    /// Required for agency-bound roles, absent for province-wide ones.
    pub agency_id: Option<ID>,
}

#[derive(InputObject)]
pub struct CreateOfficialInput {
    /// At most 300 characters.
    #[graphql(validator(custom = "Chars::new(\"fullName\", 300)"))]
    pub full_name: String,
    /// At most 254 characters.
    #[graphql(validator(custom = "Chars::new(\"email\", 254)"))]
    pub email: String,
    /// At most 20 characters.
    #[graphql(validator(custom = "Chars::new(\"phone\", 20)"))]
    pub phone: Option<String>,
    /// At most 100 items.
    #[graphql(validator(custom = "Items(\"roles\", 100)"))]
    pub roles: Vec<RoleGrantInput>,
}

#[derive(Default)]
pub struct AccountQuery;

#[Object]
impl AccountQuery {
    /// The signed-in account.
    async fn me(&self, ctx: &Context<'_>) -> Result<Account> {
        Ok(Account(svc::me(ctx.state()?, ctx.actor()).await?))
    }

    /// The officials of an agency: for its leaders and controllers (and
    /// those of agencies above it), the province supervisors and admins.
    #[graphql(complexity = "100 * child_complexity")]
    async fn agency_staff(&self, ctx: &Context<'_>, agency_id: ID) -> Result<Vec<Account>> {
        let id = parse_id("agencyId", &agency_id)?;
        Ok(svc::agency_staff(ctx.state()?, ctx.actor(), id)
            .await?
            .into_iter()
            .map(Account)
            .collect())
    }
}

#[derive(Default)]
pub struct AccountMutation;

#[Object]
impl AccountMutation {
    /// A citizen registers.
    async fn register_citizen(
        &self,
        ctx: &Context<'_>,
        input: RegisterCitizenInput,
    ) -> Result<Account> {
        let view = svc::register_citizen(
            ctx.state()?,
            &ctx.caller()?,
            svc::CitizenRegistration {
                full_name: input.full_name,
                citizen_id: input.citizen_id,
                phone: input.phone,
                email: input.email,
                password: input.password,
            },
        )
        .await?;
        Ok(Account(view))
    }

    /// An organisation or business registers.
    async fn register_organisation(
        &self,
        ctx: &Context<'_>,
        input: RegisterOrganisationInput,
    ) -> Result<Account> {
        let view = svc::register_organisation(
            ctx.state()?,
            &ctx.caller()?,
            svc::OrganisationRegistration {
                name: input.name,
                tax_code: input.tax_code,
                phone: input.phone,
                email: input.email,
                password: input.password,
            },
        )
        .await?;
        Ok(Account(view))
    }

    /// Signs in with an e-mail address, citizen ID number or tax code.
    async fn login(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "At most 254 characters.",
            validator(custom = "Chars::new(\"identifier\", 254)")
        )]
        identifier: String,
        #[graphql(
            desc = "At most 128 characters.",
            validator(custom = "Chars::new(\"password\", 128)")
        )]
        password: String,
    ) -> Result<LoginResult> {
        let out = svc::login(ctx.state()?, &ctx.caller()?, &identifier, &password).await?;
        Ok(LoginResult {
            token: out.token,
            expires_at: out.expires_at.into(),
            account: Account(out.account),
        })
    }

    /// Ends the current session.
    async fn logout(&self, ctx: &Context<'_>) -> Result<bool> {
        svc::logout(ctx.state()?, &ctx.caller()?).await?;
        Ok(true)
    }

    /// Changes the password and ends every other session of the account.
    /// `newPassword` follows the rule of `RegisterCitizenInput.password`
    /// (BAD_USER_INPUT on `newPassword`); a wrong `currentPassword` is
    /// BAD_USER_INPUT on `currentPassword`.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "At most 128 characters.",
            validator(custom = "Chars::new(\"currentPassword\", 128)")
        )]
        current_password: String,
        #[graphql(
            desc = "At most 128 characters.",
            validator(custom = "Chars::new(\"newPassword\", 128)")
        )]
        new_password: String,
    ) -> Result<bool> {
        svc::change_password(
            ctx.state()?,
            &ctx.caller()?,
            &current_password,
            &new_password,
        )
        .await?;
        Ok(true)
    }

    /// ADMIN: create an official with roles and a one-time password.
    async fn create_official(
        &self,
        ctx: &Context<'_>,
        input: CreateOfficialInput,
    ) -> Result<CreatedOfficial> {
        let grants = grants_of(&input.roles)?;
        let (view, one_time_password) = svc::create_official(
            ctx.state()?,
            &ctx.caller()?,
            svc::OfficialInput {
                full_name: input.full_name,
                email: input.email,
                phone: input.phone,
                grants,
            },
        )
        .await?;
        Ok(CreatedOfficial {
            account: Account(view),
            one_time_password,
        })
    }

    /// ADMIN: replace an official's roles (the same rules as
    /// `createOfficial`'s). The last active ADMIN keeps its ADMIN grant:
    /// BAD_USER_INPUT on `roles`. An account that is not an official's:
    /// BAD_USER_INPUT on `accountId`. Audited.
    async fn update_official_roles(
        &self,
        ctx: &Context<'_>,
        account_id: ID,
        #[graphql(
            desc = "The whole new set of grants; at least one, at most 100.",
            validator(custom = "Items(\"roles\", 100)")
        )]
        roles: Vec<RoleGrantInput>,
    ) -> Result<Account> {
        let id = parse_id("accountId", &account_id)?;
        let grants = grants_of(&roles)?;
        let view = admin::update_official_roles(ctx.state()?, &ctx.caller()?, id, grants).await?;
        Ok(Account(view))
    }

    /// ADMIN: deactivate an account. It can no longer sign in, its sessions
    /// end at once and its subscriptions stop. Not one's own account, nor
    /// the last active ADMIN: BAD_USER_INPUT on `accountId`. Audited with
    /// the reason.
    async fn deactivate_account(
        &self,
        ctx: &Context<'_>,
        account_id: ID,
        #[graphql(
            desc = "Why (kept in the audit log). At most 2000 characters.",
            validator(custom = "Chars::new(\"reason\", 2000)")
        )]
        reason: String,
    ) -> Result<Account> {
        let id = parse_id("accountId", &account_id)?;
        let view = admin::deactivate_account(ctx.state()?, &ctx.caller()?, id, &reason).await?;
        Ok(Account(view))
    }
}

/// Role grants from the API's input; `roles.N.agencyId` names a bad id.
fn grants_of(roles: &[RoleGrantInput]) -> Result<Vec<Grant>, AppError> {
    roles
        .iter()
        .enumerate()
        .map(|(i, r)| {
            Ok(Grant {
                role: r.role.into(),
                agency_id: parse_opt_id(&format!("roles.{i}.agencyId"), r.agency_id.as_ref())?,
            })
        })
        .collect()
}
