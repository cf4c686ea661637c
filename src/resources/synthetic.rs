//! The synthetic-task aid (`taskfish serve --test-tasks`): a client-
//! described job for people testing their Redfish clients. The request body
//! is an object with these properties:
//!
//! | property          | type    | default     | range                         |
//! |-------------------|---------|-------------|-------------------------------|
//! | `DurationSeconds` | number  | (required)  | 0 to 86400                    |
//! | `Outcome`         | string  | `Completed` | `Completed`, `Warning`, `Exception` |
//! | `Steps`           | integer | 10          | 1 to 1000                     |
//! | `Cancellable`     | boolean | true        |                               |
//! | `SubTasks`        | integer | 0           | 0 to 16                       |
//! | `StartAfterSeconds` | number | 0          | 0 to 86400; waits `Pending`   |

use std::time::Duration;

use serde_json::{Map, Value};

use crate::engine::job::{Outcome, SyntheticJob};
use crate::http::ApiError;
use crate::registry::{RedfishMessage, base};

const OUTCOMES: &[(&str, Outcome)] = &[
    ("Completed", Outcome::Completed),
    ("Warning", Outcome::Warning),
    ("Exception", Outcome::Exception),
];

/// Parses a synthetic job description.
///
/// # Errors
/// 400 MalformedJSON, or 400 with one Base message per bad property.
pub fn parse(body: &[u8]) -> Result<SyntheticJob, ApiError> {
    let map = crate::http::json_object(body)?;
    let mut problems = Vec::new();
    for name in map
        .keys()
        .filter(|k| !KNOWN.contains(&k.as_str()) && !k.starts_with('@'))
    {
        problems.push(base::property_unknown(name).with_related_property(format!("#/{name}")));
    }

    let seconds = number(&map, "DurationSeconds", 0.0, 86_400.0, &mut problems);
    if !map.contains_key("DurationSeconds") {
        problems.push(base::property_missing("DurationSeconds"));
    }
    let outcome = outcome(&map, &mut problems);
    let steps = number(&map, "Steps", 1.0, 1000.0, &mut problems).unwrap_or(10.0);
    let subtasks = number(&map, "SubTasks", 0.0, 16.0, &mut problems).unwrap_or(0.0);
    let cancellable = boolean(&map, "Cancellable", &mut problems).unwrap_or(true);
    let start_after = number(&map, "StartAfterSeconds", 0.0, 86_400.0, &mut problems);

    if !problems.is_empty() {
        return Err(ApiError::bad_request(problems));
    }
    Ok(SyntheticJob {
        duration: Duration::from_secs_f64(seconds.unwrap_or(0.0)),
        outcome,
        // Both are range-checked above, so the casts cannot truncate.
        steps: steps as u32,
        cancellable,
        subtasks: subtasks as u32,
        start_after: Duration::from_secs_f64(start_after.unwrap_or(0.0)),
        not_before_ms: None,
    })
}

const KNOWN: &[&str] = &[
    "DurationSeconds",
    "StartAfterSeconds",
    "Outcome",
    "Steps",
    "Cancellable",
    "SubTasks",
];

fn number(
    map: &Map<String, Value>,
    name: &str,
    min: f64,
    max: f64,
    problems: &mut Vec<RedfishMessage>,
) -> Option<f64> {
    let value = map.get(name)?;
    let integral = !name.ends_with("Seconds");
    let parsed = value.as_f64().filter(|n| !integral || n.fract() == 0.0);
    let Some(n) = parsed else {
        problems.push(type_error(value, name));
        return None;
    };
    if !(min..=max).contains(&n) {
        let msg = base::property_value_out_of_range(value, name);
        problems.push(msg.with_related_property(format!("#/{name}")));
        return None;
    }
    Some(n)
}

fn boolean(
    map: &Map<String, Value>,
    name: &str,
    problems: &mut Vec<RedfishMessage>,
) -> Option<bool> {
    let value = map.get(name)?;
    let parsed = value.as_bool();
    if parsed.is_none() {
        problems.push(type_error(value, name));
    }
    parsed
}

fn outcome(map: &Map<String, Value>, problems: &mut Vec<RedfishMessage>) -> Outcome {
    let Some(value) = map.get("Outcome") else {
        return Outcome::Completed;
    };
    let Some(text) = value.as_str() else {
        problems.push(type_error(value, "Outcome"));
        return Outcome::Completed;
    };
    OUTCOMES.iter().find(|(name, _)| *name == text).map_or_else(
        || {
            let msg = base::property_value_not_in_list(text, "Outcome");
            problems.push(msg.with_related_property("#/Outcome"));
            Outcome::Completed
        },
        |(_, outcome)| *outcome,
    )
}

fn type_error(value: &Value, name: &str) -> RedfishMessage {
    base::property_value_type_error(value, name).with_related_property(format!("#/{name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_body_takes_defaults() {
        let job = parse(br#"{"DurationSeconds": 1.5}"#).unwrap();
        assert_eq!(job.duration, Duration::from_millis(1500));
        assert_eq!(
            (job.outcome, job.steps, job.cancellable, job.subtasks),
            (Outcome::Completed, 10, true, 0)
        );
    }

    #[test]
    fn every_bad_property_is_reported() {
        let err =
            parse(br#"{"Outcome": "Maybe", "Steps": 0, "Cancellable": 1, "X": 1}"#).unwrap_err();
        let ids: Vec<_> = err
            .message_ids()
            .map(|id| id.rsplit('.').next().unwrap_or(""))
            .collect();
        for want in [
            "PropertyUnknown",
            "PropertyMissing",
            "PropertyValueNotInList",
            "PropertyValueOutOfRange",
            "PropertyValueTypeError",
        ] {
            assert!(ids.contains(&want), "{want} missing from {ids:?}");
        }
    }

    #[test]
    fn non_json_is_malformed() {
        let err = parse(b"{not json").unwrap_err();
        assert!(err.message_ids().any(|id| id.ends_with("MalformedJSON")));
    }
}
