//! Service configuration: defaults, the TOML file format and validation.
//!
//! Every option can be set in a TOML file (`taskfish serve --config FILE`);
//! command-line flags override the file. Unknown keys are refused so a typo
//! never silently falls back to a default.

use std::fmt;
use std::path::Path;

use serde::Deserialize;

use crate::model::task_service::OverWritePolicy;

/// Largest `time-scale`: a simulated second may last at most this long.
pub const MAX_TIME_SCALE: f64 = 1000.0;

/// Everything `taskfish serve` needs to start.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    /// Socket address to listen on, e.g. `127.0.0.1:8000`; port 0 picks one.
    pub listen: String,
    /// Factor applied to every simulated duration; must be finite and > 0.
    pub time_scale: f64,
    /// Enables the synthetic-task aid on `POST /redfish/v1/TaskService/Tasks`.
    pub test_tasks: bool,
    /// `tracing` filter directive.
    pub log: String,
    /// Emit JSON log lines.
    pub log_json: bool,
    /// Largest request body accepted, in bytes; larger ones get 413.
    pub max_body_bytes: usize,
    /// Seconds between client polls suggested by `Retry-After`.
    pub retry_after_seconds: u64,
    /// Fixed service UUID; when absent one is derived from the host identity.
    pub uuid: Option<String>,
    /// Directory of the durable task store; `None` means the per-user
    /// default (`$XDG_DATA_HOME/taskfish` or `~/.local/share/taskfish`).
    pub data_dir: Option<std::path::PathBuf>,
    /// Keep tasks in memory only (tests and demos); `data-dir` is ignored.
    pub ephemeral: bool,
    /// `TaskAutoDeleteTimeoutMinutes`: minutes a finished task is kept.
    pub task_auto_delete_minutes: u64,
    /// `TaskMonitorAutoExpirySeconds`: seconds a finished task's monitor
    /// lives after its first read; absent keeps it as long as the task.
    pub monitor_expiry_seconds: Option<u64>,
    /// Most top-level tasks kept at once (at least 1).
    pub max_tasks: usize,
    /// `CompletedTaskOverWritePolicy`: what happens when a new task would
    /// exceed `max-tasks`: `Oldest` removes the oldest finished tasks,
    /// `Manual` refuses the new work.
    pub overwrite_policy: OverWritePolicy,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8000".to_owned(),
            time_scale: 1.0,
            test_tasks: false,
            log: "info".to_owned(),
            log_json: false,
            max_body_bytes: 64 * 1024,
            retry_after_seconds: 1,
            uuid: None,
            data_dir: None,
            ephemeral: false,
            task_auto_delete_minutes: 24 * 60,
            monitor_expiry_seconds: Some(3600),
            max_tasks: 10_000,
            overwrite_policy: OverWritePolicy::Oldest,
        }
    }
}

/// Why a configuration could not be used.
#[derive(Debug)]
pub enum ConfigError {
    /// The file could not be read.
    Read(String, std::io::Error),
    /// The file is not valid TOML for [`Config`].
    Parse(String, String),
    /// A value is out of its allowed range.
    Invalid(String),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Read(path, err) => write!(f, "cannot read config {path}: {err}"),
            Self::Parse(path, err) => write!(f, "invalid config {path}: {err}"),
            Self::Invalid(why) => write!(f, "invalid configuration: {why}"),
        }
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Loads a TOML file.
    ///
    /// # Errors
    /// Fails when the file cannot be read or holds unknown or mistyped keys.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let shown = path.display().to_string();
        let text =
            std::fs::read_to_string(path).map_err(|e| ConfigError::Read(shown.clone(), e))?;
        toml::from_str(&text).map_err(|e| ConfigError::Parse(shown, e.to_string()))
    }

    /// Checks ranges that serde cannot express.
    ///
    /// # Errors
    /// Fails on a non-positive or non-finite time scale, a zero body limit,
    /// a zero task limit or a malformed UUID.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(self.time_scale > 0.0 && self.time_scale <= MAX_TIME_SCALE) {
            return Err(ConfigError::Invalid(format!(
                "time-scale must be a number > 0 and <= {MAX_TIME_SCALE}"
            )));
        }
        if self.task_auto_delete_minutes == 0 {
            return Err(ConfigError::Invalid(
                "task-auto-delete-minutes must be >= 1".into(),
            ));
        }
        if self.max_tasks == 0 {
            return Err(ConfigError::Invalid("max-tasks must be >= 1".into()));
        }
        if self.max_body_bytes == 0 {
            return Err(ConfigError::Invalid("max-body-bytes must be > 0".into()));
        }
        if let Some(uuid) = &self.uuid {
            uuid::Uuid::parse_str(uuid)
                .map_err(|e| ConfigError::Invalid(format!("uuid {uuid}: {e}")))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_keys_are_kebab_case_and_unknown_keys_refused() {
        let ok: Config = toml::from_str("time-scale = 0.5\ntest-tasks = true").unwrap();
        assert!(ok.test_tasks);
        assert!((ok.time_scale - 0.5).abs() < f64::EPSILON);
        assert!(toml::from_str::<Config>("time_scale = 0.5").is_err());
    }

    #[test]
    fn validate_refuses_non_positive_time_scale() {
        let config = Config {
            time_scale: 0.0,
            ..Config::default()
        };
        assert!(config.validate().is_err());
    }
}
