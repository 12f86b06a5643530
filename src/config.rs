//! Configuration: `MOTCUA_*` environment variables → `Config`, with one clear
//! error naming the variable for a bad value.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

#[derive(Debug, Clone)]
pub struct Config {
    /// `sqlite:…` or `postgres://user:password@…`: secret, for its password.
    pub database_url: SecretString,
    /// `redis://[user:password@]host…`: secret, for its password.
    pub redis_url: Option<SecretString>,
    /// The Redis pub/sub channel prefix: instances of one deployment share
    /// it; deployments sharing a Redis must not.
    pub redis_channel: String,
    pub bind: SocketAddr,
    /// The local data: stored files (unless `s3` is set) and nothing else.
    pub data_dir: PathBuf,
    /// Set when `MOTCUA_S3_BUCKET` is: stored files live in that bucket,
    /// shared by every instance, instead of under `data_dir`.
    pub s3: Option<S3Config>,
    /// Load the demo province into an empty database at start.
    pub demo: bool,
    /// With the demo, some dossiers, a rating and feedback.
    pub demo_activity: bool,
    pub log: String,
    pub log_json: bool,
    /// Allowed CORS origins; empty means any origin (tokens travel in a
    /// header, never in cookies, so no credentials are shared).
    pub cors_origins: Vec<String>,
    /// Behind a load balancer: take the client address from the last entry
    /// of X-Forwarded-For (login throttling counts per address).
    pub trust_forwarded_for: bool,
    pub request_timeout: Duration,
    /// Events a subscriber may fall behind the bus by before it catches up
    /// from the database instead.
    pub event_buffer: usize,
    /// A WebSocket that sends no connection_init this long is closed.
    pub ws_init_timeout: Duration,
    /// Threads of the runtime WebSockets run on
    /// (`http::start_live_runtime`): MOTCUA_LIVE_THREADS, 1 to 64, by
    /// default half the cores (at least 1).
    pub live_threads: usize,
    /// Connections of this instance's PostgreSQL pool: MOTCUA_DB_POOL_SIZE,
    /// 1 to 1,000, by default 20 (SQLite keeps 8: one writer at a time).
    pub db_pool_size: u32,
    /// How long a stopping process (SIGTERM, Ctrl-C) waits for requests in
    /// flight and background steps before it exits anyway.
    pub shutdown_grace: Duration,
    /// Limit of a JSON request body.
    pub body_limit_bytes: usize,
    /// Limit of one uploaded file.
    pub upload_max_bytes: usize,
    /// Files in one multipart request.
    pub upload_max_files: usize,
    pub graphql: GraphqlLimits,
    pub sessions: SessionPolicy,
    pub calendar: CalendarConfig,
    /// Working days to answer feedback, counted from its arrival.
    pub feedback_due_working_days: u32,
    /// The agency evaluation's group weights.
    pub evaluation_weights: crate::domain::evaluation::Weights,
    pub notify: NotifyConfig,
    /// The payment gateway's callback secret (HMAC-SHA256). Unset: a random
    /// one kept in the database, shared by every instance.
    pub payment_secret: Option<SecretString>,
    /// The public portal's address (`http(s)://…`, no trailing slash): the
    /// printed forms' QR code links to `{public_url}/tra-cuu?ma={code}`.
    pub public_url: String,
}

/// S3-compatible object storage for the stored files. Credentials come
/// from the standard `AWS_*` variables (or the instance's role).
#[derive(Debug, Clone)]
pub struct S3Config {
    pub bucket: String,
    /// `http(s)://host[:port]` of an S3-compatible server (MinIO, Ceph…);
    /// unset: AWS itself (or `AWS_ENDPOINT`). Plain `http://` is allowed.
    pub endpoint: Option<String>,
    /// Unset: `AWS_REGION`/`AWS_DEFAULT_REGION`, else `us-east-1`.
    pub region: Option<String>,
}

/// How notifications leave the system.
#[derive(Debug, Clone)]
pub struct NotifyConfig {
    /// `smtp://[user:password@]host[:port]` (STARTTLS when offered),
    /// `smtps://…` (TLS from the start); unset: e-mails are only logged.
    pub smtp_url: Option<SecretString>,
    pub mail_from: String,
    /// Run the delivery worker in this process.
    pub worker: bool,
}

/// The working calendar's fixed settings; holidays are data.
#[derive(Debug, Clone)]
pub struct CalendarConfig {
    pub tz: chrono_tz::Tz,
    pub hours: crate::domain::calendar::WorkingHours,
    /// "Within the day" procedures received after this are due the next
    /// working day.
    pub same_day_cutoff: chrono::NaiveTime,
}

#[derive(Debug, Clone, Copy)]
pub struct GraphqlLimits {
    pub max_depth: usize,
    pub max_complexity: usize,
    pub max_page_size: usize,
    pub introspection: bool,
}

#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    /// A session unused this long expires.
    pub idle: chrono::Duration,
    /// A session expires this long after login, used or not.
    pub absolute: chrono::Duration,
}

#[derive(Debug, thiserror::Error)]
#[error("{var}: {reason}")]
pub struct ConfigError {
    pub var: &'static str,
    pub reason: String,
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://motcua.db?mode=rwc";

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads from any lookup (tests pass a map). A blank value counts as
    /// unset. Errors name the variable: `MOTCUA_X: reason`.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let get = |k: &str| get(k).filter(|v| !v.trim().is_empty());
        let stores = stores(&get)?;
        let is_sqlite = stores.database_url.expose_secret().starts_with("sqlite:");
        let http = http(&get)?;
        Ok(Config {
            database_url: stores.database_url,
            redis_url: stores.redis_url,
            redis_channel: stores.redis_channel,
            bind: parse(&get, "MOTCUA_BIND", "127.0.0.1:8080".parse().ok())?,
            data_dir: get("MOTCUA_DATA_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| "data".into()),
            s3: s3(&get)?,
            demo: parse_bool(&get, "MOTCUA_DEMO", is_sqlite)?,
            demo_activity: parse_bool(&get, "MOTCUA_DEMO_ACTIVITY", true)?,
            log: get("MOTCUA_LOG").unwrap_or_else(|| "info".into()),
            log_json: log_json(&get)?,
            cors_origins: http.cors_origins,
            trust_forwarded_for: http.trust_forwarded_for,
            event_buffer: positive(&get, "MOTCUA_EVENT_BUFFER", 1_024)?,
            ws_init_timeout: http.ws_init_timeout,
            live_threads: http.live_threads,
            db_pool_size: db_pool_size(&get)?,
            shutdown_grace: http.shutdown_grace,
            request_timeout: http.request_timeout,
            body_limit_bytes: http.body_limit_bytes,
            upload_max_bytes: http.upload_max_bytes,
            upload_max_files: http.upload_max_files,
            graphql: graphql_limits(&get)?,
            calendar: calendar(&get)?,
            feedback_due_working_days: feedback_due_working_days(&get)?,
            evaluation_weights: evaluation_weights(&get)?,
            notify: notify(&get)?,
            payment_secret: get("MOTCUA_PAYMENT_SECRET").map(SecretString::from),
            public_url: public_url(&get)?,
            sessions: sessions(&get)?,
        })
    }

    /// Whether the database is SQLite (the embedded single instance).
    pub fn is_sqlite(&self) -> bool {
        self.database_url.expose_secret().starts_with("sqlite:")
    }

    /// The file of a SQLite database URL (`sqlite://motcua.db?mode=rwc` →
    /// `motcua.db`); None for PostgreSQL or an in-memory database.
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        let url = self.database_url.expose_secret();
        let rest = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))?;
        let path = rest.split('?').next().unwrap_or_default();
        (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
    }

    /// The database URL fit for a message or a log: its password, if any,
    /// replaced by `***`.
    pub fn database_url_shown(&self) -> String {
        without_password(self.database_url.expose_secret())
    }
}

/// `scheme://user:password@host…` → `scheme://user:***@host…`; anything
/// else unchanged.
fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return url.to_owned();
    };
    match rest[..at].split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***{}", &rest[at..]),
        None => url.to_owned(),
    }
}

/// A lookup of `MOTCUA_*` values, blanks already treated as unset.
trait Lookup: Fn(&str) -> Option<String> {}
impl<F: Fn(&str) -> Option<String>> Lookup for F {}

/// Where the data lives: the database, Redis and its channel prefix.
struct Stores {
    database_url: SecretString,
    redis_url: Option<SecretString>,
    redis_channel: String,
}

fn stores(get: &impl Lookup) -> Result<Stores, ConfigError> {
    let database_url = get("MOTCUA_DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.into());
    if !["sqlite:", "postgres://", "postgresql://"]
        .iter()
        .any(|p| database_url.starts_with(p))
    {
        return Err(ConfigError {
            var: "MOTCUA_DATABASE_URL",
            reason: "must start with sqlite: or postgres://".into(),
        });
    }
    let redis_url = get("MOTCUA_REDIS_URL");
    if let Some(url) = &redis_url {
        if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
            return Err(ConfigError {
                var: "MOTCUA_REDIS_URL",
                reason: "must start with redis:// or rediss://".into(),
            });
        }
    }
    Ok(Stores {
        database_url: database_url.into(),
        redis_url: redis_url.map(SecretString::from),
        redis_channel: get("MOTCUA_REDIS_CHANNEL").unwrap_or_else(|| "motcua".into()),
    })
}

fn s3(get: &impl Lookup) -> Result<Option<S3Config>, ConfigError> {
    let Some(bucket) = get("MOTCUA_S3_BUCKET") else {
        for var in ["MOTCUA_S3_ENDPOINT", "MOTCUA_S3_REGION"] {
            if get(var).is_some() {
                return Err(ConfigError {
                    var: "MOTCUA_S3_BUCKET",
                    reason: format!("is required with {var}"),
                });
            }
        }
        return Ok(None);
    };
    let endpoint = get("MOTCUA_S3_ENDPOINT");
    if let Some(e) = &endpoint {
        if !(e.starts_with("http://") || e.starts_with("https://")) {
            return Err(ConfigError {
                var: "MOTCUA_S3_ENDPOINT",
                reason: "must start with http:// or https://".into(),
            });
        }
    }
    Ok(Some(S3Config {
        bucket: bucket.trim().to_owned(),
        endpoint,
        region: get("MOTCUA_S3_REGION"),
    }))
}

fn log_json(get: &impl Lookup) -> Result<bool, ConfigError> {
    match get("MOTCUA_LOG_FORMAT").as_deref() {
        None | Some("text") => Ok(false),
        Some("json") => Ok(true),
        Some(other) => Err(ConfigError {
            var: "MOTCUA_LOG_FORMAT",
            reason: format!("'{other}' is neither text nor json"),
        }),
    }
}

/// The HTTP surface: origins, forwarding, timeouts and size limits.
struct HttpSettings {
    cors_origins: Vec<String>,
    trust_forwarded_for: bool,
    ws_init_timeout: Duration,
    live_threads: usize,
    shutdown_grace: Duration,
    request_timeout: Duration,
    body_limit_bytes: usize,
    upload_max_bytes: usize,
    upload_max_files: usize,
}

fn http(get: &impl Lookup) -> Result<HttpSettings, ConfigError> {
    let cors_origins = get("MOTCUA_CORS_ORIGINS")
        .map(|v| {
            v.split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty() && s != "*")
                .collect()
        })
        .unwrap_or_default();
    let secs = |var, default: u64| positive(get, var, default).map(Duration::from_secs);
    Ok(HttpSettings {
        cors_origins,
        trust_forwarded_for: parse_bool(get, "MOTCUA_TRUST_FORWARDED_FOR", false)?,
        ws_init_timeout: secs("MOTCUA_WS_INIT_TIMEOUT_SECS", 10)?,
        live_threads: live_threads(get)?,
        // Below Kubernetes' default 30 s before it kills the process.
        shutdown_grace: secs("MOTCUA_SHUTDOWN_GRACE_SECS", 25)?,
        request_timeout: secs("MOTCUA_REQUEST_TIMEOUT_SECS", 30)?,
        body_limit_bytes: positive(get, "MOTCUA_BODY_LIMIT_BYTES", 2 * 1024 * 1024)?,
        upload_max_bytes: positive(get, "MOTCUA_UPLOAD_MAX_BYTES", 10 * 1024 * 1024)?,
        upload_max_files: parse(get, "MOTCUA_UPLOAD_MAX_FILES", Some(5))?,
    })
}

/// The largest pool MOTCUA_DB_POOL_SIZE may ask for.
pub const MAX_DB_POOL_SIZE: u32 = 1_000;

/// MOTCUA_DB_POOL_SIZE: 1 to [`MAX_DB_POOL_SIZE`], by default 20. Every
/// instance's pool counts against PostgreSQL's `max_connections`.
fn db_pool_size(get: &impl Lookup) -> Result<u32, ConfigError> {
    bounded(get, "MOTCUA_DB_POOL_SIZE", 20, MAX_DB_POOL_SIZE)
}

/// The most threads MOTCUA_LIVE_THREADS may ask for.
pub const MAX_LIVE_THREADS: usize = 64;

/// MOTCUA_LIVE_THREADS: 1 to [`MAX_LIVE_THREADS`], by default half the
/// cores this process may use (at least one): the WebSockets' share, the
/// other half left to HTTP requests.
fn live_threads(get: &impl Lookup) -> Result<usize, ConfigError> {
    let half_the_cores = std::thread::available_parallelism()
        .map_or(1, |n| (n.get() / 2).clamp(1, MAX_LIVE_THREADS));
    bounded(get, "MOTCUA_LIVE_THREADS", half_the_cores, MAX_LIVE_THREADS)
}

fn graphql_limits(get: &impl Lookup) -> Result<GraphqlLimits, ConfigError> {
    Ok(GraphqlLimits {
        max_depth: positive(get, "MOTCUA_GRAPHQL_MAX_DEPTH", 12)?,
        max_complexity: positive(get, "MOTCUA_GRAPHQL_MAX_COMPLEXITY", 20_000)?,
        max_page_size: positive(get, "MOTCUA_GRAPHQL_MAX_PAGE_SIZE", 100)?,
        introspection: parse_bool(get, "MOTCUA_INTROSPECTION", true)?,
    })
}

fn calendar(get: &impl Lookup) -> Result<CalendarConfig, ConfigError> {
    Ok(CalendarConfig {
        tz: parse(get, "MOTCUA_TIMEZONE", Some(chrono_tz::Asia::Ho_Chi_Minh))?,
        hours: match get("MOTCUA_WORKING_HOURS") {
            None => Default::default(),
            Some(v) => {
                crate::domain::calendar::WorkingHours::parse(&v).map_err(|p| ConfigError {
                    var: "MOTCUA_WORKING_HOURS",
                    reason: p.en(),
                })?
            }
        },
        same_day_cutoff: match get("MOTCUA_SAME_DAY_CUTOFF") {
            None => chrono::NaiveTime::from_hms_opt(15, 0, 0).unwrap_or_default(),
            Some(v) => {
                chrono::NaiveTime::parse_from_str(v.trim(), "%H:%M").map_err(|_| ConfigError {
                    var: "MOTCUA_SAME_DAY_CUTOFF",
                    reason: format!("'{v}' is not a time like 15:00"),
                })?
            }
        },
    })
}

fn feedback_due_working_days(get: &impl Lookup) -> Result<u32, ConfigError> {
    let var = "MOTCUA_FEEDBACK_DUE_WORKING_DAYS";
    match parse(
        get,
        var,
        Some(crate::domain::feedback::DEFAULT_DUE_WORKING_DAYS),
    )? {
        0 => Err(ConfigError {
            var,
            reason: "must be at least 1".into(),
        }),
        n => Ok(n),
    }
}

fn evaluation_weights(
    get: &impl Lookup,
) -> Result<crate::domain::evaluation::Weights, ConfigError> {
    match get("MOTCUA_EVALUATION_WEIGHTS") {
        None => Ok(Default::default()),
        Some(v) => crate::domain::evaluation::Weights::parse(&v).map_err(|_| ConfigError {
            var: "MOTCUA_EVALUATION_WEIGHTS",
            reason: format!("'{v}' is not six non-negative numbers like 18,20,12,10,22,18"),
        }),
    }
}

fn notify(get: &impl Lookup) -> Result<NotifyConfig, ConfigError> {
    let smtp_url = match get("MOTCUA_SMTP_URL") {
        Some(u) if !(u.starts_with("smtp://") || u.starts_with("smtps://")) => {
            return Err(ConfigError {
                var: "MOTCUA_SMTP_URL",
                reason: "must start with smtp:// or smtps://".into(),
            })
        }
        other => other.map(SecretString::from),
    };
    Ok(NotifyConfig {
        smtp_url,
        mail_from: get("MOTCUA_MAIL_FROM")
            .unwrap_or_else(|| "Cổng Dịch vụ công <no-reply@motcua.local>".into()),
        worker: parse_bool(get, "MOTCUA_NOTIFY_WORKER", true)?,
    })
}

fn public_url(get: &impl Lookup) -> Result<String, ConfigError> {
    let url = get("MOTCUA_PUBLIC_URL").unwrap_or_else(|| "http://localhost:3000".into());
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(ConfigError {
            var: "MOTCUA_PUBLIC_URL",
            reason: "must start with http:// or https://".into(),
        });
    }
    Ok(url.trim().trim_end_matches('/').to_string())
}

fn sessions(get: &impl Lookup) -> Result<SessionPolicy, ConfigError> {
    Ok(SessionPolicy {
        idle: chrono::Duration::minutes(parse(get, "MOTCUA_SESSION_IDLE_MINUTES", Some(120))?),
        absolute: chrono::Duration::hours(parse(get, "MOTCUA_SESSION_MAX_HOURS", Some(24))?),
    })
}

/// `parse` for a count or a duration that must be at least 1: zero would
/// make the server useless (no page, no time, no buffer).
fn positive<T: FromStr + PartialEq + From<u8>>(
    get: &impl Lookup,
    var: &'static str,
    default: T,
) -> Result<T, ConfigError> {
    let v = parse(get, var, Some(default))?;
    if v == T::from(0) {
        return Err(ConfigError {
            var,
            reason: "must be at least 1".into(),
        });
    }
    Ok(v)
}

/// `positive`, and at most `max`.
fn bounded<T: FromStr + PartialOrd + From<u8> + std::fmt::Display>(
    get: &impl Lookup,
    var: &'static str,
    default: T,
    max: T,
) -> Result<T, ConfigError> {
    let v = positive(get, var, default)?;
    if v > max {
        return Err(ConfigError {
            var,
            reason: format!("must be at most {max}"),
        });
    }
    Ok(v)
}

fn parse<T: FromStr>(
    get: &impl Lookup,
    var: &'static str,
    default: Option<T>,
) -> Result<T, ConfigError> {
    match get(var) {
        Some(v) => v.trim().parse().map_err(|_| ConfigError {
            var,
            reason: format!("'{v}' is not a valid value"),
        }),
        None => default.ok_or(ConfigError {
            var,
            reason: "is required".into(),
        }),
    }
}

fn parse_bool(get: &impl Lookup, var: &'static str, default: bool) -> Result<bool, ConfigError> {
    match get(var).map(|v| v.trim().to_ascii_lowercase()).as_deref() {
        None => Ok(default),
        Some("1" | "true" | "yes" | "on") => Ok(true),
        Some("0" | "false" | "no" | "off") => Ok(false),
        Some(other) => Err(ConfigError {
            var,
            reason: format!("'{other}' is not true or false"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_give_an_embedded_demo_server() {
        let c = config(&[]).unwrap();
        assert_eq!(c.database_url.expose_secret(), DEFAULT_DATABASE_URL);
        assert!(c.demo);
        assert!(c.redis_url.is_none());
        assert_eq!(c.bind.to_string(), "127.0.0.1:8080");
    }

    #[test]
    fn postgres_does_not_load_the_demo_unless_asked() {
        let c = config(&[("MOTCUA_DATABASE_URL", "postgres://localhost/x")]).unwrap();
        assert!(!c.demo);
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        let e = config(&[("MOTCUA_BIND", "nowhere")]).unwrap_err();
        assert_eq!(e.var, "MOTCUA_BIND");
        let e = config(&[("MOTCUA_WORKING_HOURS", "8-17")]).unwrap_err();
        assert_eq!(e.var, "MOTCUA_WORKING_HOURS");
        let e = config(&[("MOTCUA_TIMEZONE", "Mars/Olympus")]).unwrap_err();
        assert_eq!(e.var, "MOTCUA_TIMEZONE");
        let e = config(&[("MOTCUA_DEMO", "maybe")]).unwrap_err();
        assert_eq!(e.to_string(), "MOTCUA_DEMO: 'maybe' is not true or false");
        assert!(config(&[("MOTCUA_DATABASE_URL", "mysql://x")]).is_err());
    }

    #[test]
    fn a_count_or_duration_of_zero_is_refused() {
        for var in [
            "MOTCUA_GRAPHQL_MAX_PAGE_SIZE",
            "MOTCUA_REQUEST_TIMEOUT_SECS",
            "MOTCUA_SHUTDOWN_GRACE_SECS",
            "MOTCUA_EVENT_BUFFER",
            "MOTCUA_BODY_LIMIT_BYTES",
            "MOTCUA_LIVE_THREADS",
        ] {
            let e = config(&[(var, "0")]).unwrap_err();
            assert_eq!(e.to_string(), format!("{var}: must be at least 1"));
        }
    }

    #[test]
    fn live_threads_are_bounded() {
        assert_eq!(
            config(&[("MOTCUA_LIVE_THREADS", "3")])
                .unwrap()
                .live_threads,
            3
        );
        let e = config(&[("MOTCUA_LIVE_THREADS", "65")]).unwrap_err();
        assert_eq!(e.to_string(), "MOTCUA_LIVE_THREADS: must be at most 64");
        let default = config(&[]).unwrap().live_threads;
        assert!((1..=MAX_LIVE_THREADS).contains(&default), "{default}");
    }

    #[test]
    fn the_database_pool_is_bounded() {
        assert_eq!(config(&[]).unwrap().db_pool_size, 20);
        let c = config(&[("MOTCUA_DB_POOL_SIZE", "64")]).unwrap();
        assert_eq!(c.db_pool_size, 64);
        for (v, reason) in [
            ("0", "must be at least 1"),
            ("1001", "must be at most 1000"),
        ] {
            let e = config(&[("MOTCUA_DB_POOL_SIZE", v)]).unwrap_err();
            assert_eq!(e.to_string(), format!("MOTCUA_DB_POOL_SIZE: {reason}"));
        }
    }

    #[test]
    fn s3_settings_need_a_bucket_and_an_http_endpoint() {
        assert!(config(&[]).unwrap().s3.is_none());
        let c = config(&[
            ("MOTCUA_S3_BUCKET", "ho-so"),
            ("MOTCUA_S3_ENDPOINT", "http://127.0.0.1:9000"),
        ])
        .unwrap();
        let s3 = c.s3.unwrap();
        assert_eq!(
            (s3.bucket.as_str(), s3.endpoint.as_deref(), s3.region),
            ("ho-so", Some("http://127.0.0.1:9000"), None)
        );
        let e = config(&[("MOTCUA_S3_ENDPOINT", "http://127.0.0.1:9000")]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "MOTCUA_S3_BUCKET: is required with MOTCUA_S3_ENDPOINT"
        );
        let e = config(&[
            ("MOTCUA_S3_BUCKET", "ho-so"),
            ("MOTCUA_S3_ENDPOINT", "127.0.0.1:9000"),
        ])
        .unwrap_err();
        assert_eq!(e.var, "MOTCUA_S3_ENDPOINT");
    }

    #[test]
    fn the_file_of_a_sqlite_database_is_known() {
        let path = |url: &str| {
            config(&[("MOTCUA_DATABASE_URL", url)])
                .unwrap()
                .sqlite_path()
        };
        assert_eq!(
            path("sqlite://motcua.db?mode=rwc"),
            Some("motcua.db".into())
        );
        assert_eq!(
            path("sqlite:///srv/motcua.db"),
            Some("/srv/motcua.db".into())
        );
        assert_eq!(path("sqlite::memory:"), None);
        assert_eq!(path("postgres://db/motcua"), None);
    }

    #[test]
    fn a_database_url_is_shown_without_its_password() {
        let shown = |url: &str| {
            config(&[("MOTCUA_DATABASE_URL", url)])
                .unwrap()
                .database_url_shown()
        };
        assert_eq!(
            shown("postgres://motcua:pg-hunter2@db:5432/motcua?sslmode=require"),
            "postgres://motcua:***@db:5432/motcua?sslmode=require"
        );
        assert_eq!(
            shown("postgres://motcua@db/motcua"),
            "postgres://motcua@db/motcua"
        );
        assert_eq!(
            shown("sqlite://motcua.db?mode=rwc"),
            "sqlite://motcua.db?mode=rwc"
        );
        assert_eq!(shown("postgresql://u:p@ss@db/x"), "postgresql://u:***@db/x");
    }

    #[test]
    fn debug_output_never_shows_a_password_or_secret() {
        let c = config(&[
            (
                "MOTCUA_DATABASE_URL",
                "postgres://motcua:pg-hunter2@db/motcua",
            ),
            ("MOTCUA_REDIS_URL", "redis://:redis-hunter2@cache:6379/"),
            ("MOTCUA_SMTP_URL", "smtps://mailer:smtp-hunter2@mail:465"),
            ("MOTCUA_PAYMENT_SECRET", "gateway-hunter2"),
        ])
        .unwrap();
        let printed = format!("{c:?}");
        assert!(!printed.contains("hunter2"), "{printed}");
        assert_eq!(
            c.redis_url.as_ref().map(|u| u.expose_secret()),
            Some("redis://:redis-hunter2@cache:6379/")
        );
    }
}
