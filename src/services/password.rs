//! argon2id hashing and the new-password policy, run on the blocking pool
//! so that a burst of logins or registrations never stalls the async
//! workers.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use crate::domain::identity::{AccountIdentifiers, NewPassword};
use crate::error::{AppError, AppResult, AtField};

/// `NewPassword::parse` (the policy) off the async workers: zxcvbn's
/// estimate takes milliseconds, and over 100 ms for a long input full of
/// l33t-able characters. A refusal is BAD_USER_INPUT on `field`
/// (`password`, or `newPassword` for `changePassword`).
pub async fn check_new(
    password: &str,
    own: AccountIdentifiers<'_>,
    field: &'static str,
) -> AppResult<NewPassword> {
    let password = password.to_owned();
    let owned = [own.name, own.email, own.phone, own.citizen_id, own.tax_code]
        .map(|v| v.map(str::to_owned));
    tokio::task::spawn_blocking(move || {
        let [name, email, phone, citizen_id, tax_code] = &owned;
        let own = AccountIdentifiers {
            name: name.as_deref(),
            email: email.as_deref(),
            phone: phone.as_deref(),
            citizen_id: citizen_id.as_deref(),
            tax_code: tax_code.as_deref(),
        };
        NewPassword::parse(&password, &own)
    })
    .await
    .map_err(AppError::internal)?
    .at(field)
}

pub async fn hash(password: String) -> AppResult<String> {
    tokio::task::spawn_blocking(move || {
        let mut bytes = [0u8; 16];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
        let salt = SaltString::encode_b64(&bytes).map_err(AppError::internal)?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(AppError::internal)
    })
    .await
    .map_err(AppError::internal)?
}

/// Verifies in constant time. With no stored hash (unknown account) it still
/// spends the same time on a dummy hash, so timing does not tell whether an
/// account exists.
pub async fn verify(password: String, stored: Option<String>) -> AppResult<bool> {
    tokio::task::spawn_blocking(move || {
        let stored = stored.unwrap_or_else(|| DUMMY_HASH.to_owned());
        let parsed = PasswordHash::new(&stored).map_err(AppError::internal)?;
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await
    .map_err(AppError::internal)?
}

/// argon2id of a random string nobody knows, with the default parameters.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$q2fXh4h3n5vZL1R1m2xX0w9O5P0k3Zc2T0bV8bG0p9E";
