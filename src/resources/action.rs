//! Checking an action's request body against what the schema and the
//! service allow, before any work starts. Every problem found is reported
//! at once, each with its Base message, and no task is created.

use serde_json::{Map, Value};

use crate::http::ApiError;
use crate::registry::{RedfishMessage, base};
use crate::routes::{Action, ParamKind};

/// What the service accepts for one parameter, beyond its schema type.
#[derive(Debug, Clone, Copy)]
pub struct Accept<'a> {
    /// Parameter name.
    pub name: &'a str,
    /// Whether the service requires it (the schema may not).
    pub required: bool,
    /// For enum parameters: the values this service offers.
    pub allowed: Option<&'a [&'a str]>,
}

/// Parses and checks an action body. An empty body counts as `{}`.
///
/// # Errors
/// 400 MalformedJSON for unparsable JSON or a non-object; otherwise 400
/// with one message per unknown, missing, mistyped or unaccepted parameter.
pub fn parse(
    action: &'static Action,
    accept: &[Accept<'_>],
    body: &[u8],
) -> Result<Map<String, Value>, ApiError> {
    let params = if body.iter().all(u8::is_ascii_whitespace) {
        Map::new()
    } else {
        crate::http::json_object(body)?
    };

    let mut problems = Vec::new();
    for (name, value) in &params {
        if name.starts_with('@') || name.contains("@odata.") {
            continue;
        }
        match action.parameters.iter().find(|p| p.name == name) {
            None => problems.push(
                base::action_parameter_unknown(action.name, name)
                    .with_related_property(format!("#/{name}")),
            ),
            Some(param) => {
                let allowed = accept
                    .iter()
                    .find(|a| a.name == name)
                    .and_then(|a| a.allowed);
                problems.extend(check_value(action, name, &param.kind, allowed, value));
            }
        }
    }
    for want in accept
        .iter()
        .filter(|a| a.required && !params.contains_key(a.name))
    {
        problems.push(base::action_parameter_missing(action.name, want.name));
    }

    if problems.is_empty() {
        Ok(params)
    } else {
        Err(ApiError::bad_request(problems))
    }
}

fn check_value(
    action: &Action,
    name: &str,
    kind: &ParamKind,
    allowed: Option<&[&str]>,
    value: &Value,
) -> Option<RedfishMessage> {
    let type_ok = match kind {
        ParamKind::String | ParamKind::Enum(_) => value.is_string(),
        ParamKind::Boolean => value.is_boolean(),
        ParamKind::Integer => value.is_i64() || value.is_u64(),
        ParamKind::Number => value.is_number(),
        ParamKind::Other => true,
    };
    let shown = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let pointer = format!("#/{name}");
    if !type_ok {
        let msg = base::action_parameter_value_type_error(&shown, name, action.name);
        return Some(msg.with_related_property(pointer));
    }
    let text = value.as_str()?;
    let in_schema = match kind {
        ParamKind::Enum(values) => values.contains(&text),
        _ => true,
    };
    let offered = allowed.is_none_or(|list| list.contains(&text));
    (!(in_schema && offered)).then(|| {
        base::action_parameter_value_not_in_list(&shown, name, action.name)
            .with_related_property(pointer)
    })
}
