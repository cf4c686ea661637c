//! Checking a PATCH body against a resource's schema facts (its generated
//! `PROPERTIES`) and what the service lets clients write, before anything
//! changes. Every problem is reported at once, each with its Base message
//! and a `RelatedProperties` pointer, and a body with any problem changes
//! nothing: a PATCH is all or nothing.
//!
//! For each property of the body, in order:
//! 1. `@odata.*` annotations and read-only properties are not writable;
//!    other annotations and names the schema does not know are unknown;
//! 2. a property the schema lets clients write but this service does not
//!    support is not writable either;
//! 3. `null` is accepted only where the schema and the service allow it;
//! 4. the JSON type must match the CSDL type, an enum value must be a
//!    member, and a number must lie within `Validation.Minimum`/`Maximum`.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::http::ApiError;
use crate::model::support::PropertyInfo;
use crate::registry::{RedfishMessage, base};

/// What a resource accepts in a PATCH body.
#[derive(Debug, Clone)]
pub struct PatchSpec {
    properties: &'static [PropertyInfo],
    /// Supported property names, each with whether `null` is accepted.
    supported: Vec<(String, bool)>,
}

impl PatchSpec {
    /// A spec from the schema facts of a resource and an example of what
    /// the service supports writing: every property set in `example` is
    /// supported, and it accepts `null` exactly when `example` holds `null`
    /// there (and the schema allows it). Taking the names from a model
    /// value keeps them the generated ones.
    #[must_use]
    pub fn new<T: Serialize>(properties: &'static [PropertyInfo], example: &T) -> Self {
        let supported = match serde_json::to_value(example) {
            Ok(Value::Object(map)) => map.into_iter().map(|(k, v)| (k, v.is_null())).collect(),
            _ => Vec::new(),
        };
        Self {
            properties,
            supported,
        }
    }

    /// Parses and checks `body`; returns the properties to apply.
    ///
    /// # Errors
    /// 400 `MalformedJSON` for unparsable JSON, `UnrecognizedRequestBody`
    /// for a non-object, `EmptyJSON` for `{}`, and otherwise 400 with one
    /// message per property that is unknown, not writable, mistyped, not in
    /// its list or out of range.
    pub fn check(&self, body: &[u8]) -> Result<Map<String, Value>, ApiError> {
        let map = crate::http::json_object(body)?;
        if map.is_empty() {
            return Err(ApiError::bad_request(vec![base::empty_json()]));
        }

        let problems: Vec<RedfishMessage> = map
            .iter()
            .filter_map(|(name, value)| self.problem(name, value))
            .map(|(msg, name)| msg.with_related_property(format!("#/{name}")))
            .collect();
        if problems.is_empty() {
            Ok(map)
        } else {
            Err(ApiError::bad_request(problems))
        }
    }

    /// The message for one property, with the name it concerns.
    fn problem<'a>(&self, name: &'a str, value: &Value) -> Option<(RedfishMessage, &'a str)> {
        if name.starts_with("@odata.") {
            return Some((base::property_not_writable(name), name));
        }
        let Some(info) = self.properties.iter().find(|p| p.name == name) else {
            return Some((base::property_unknown(name), name));
        };
        let supported = self.supported.iter().find(|(n, _)| n == name);
        let Some((_, null_ok)) = supported.filter(|_| !info.read_only) else {
            return Some((base::property_not_writable(name), name));
        };
        check_value(info, *null_ok, value).map(|msg| (msg, name))
    }
}

/// The JSON shape a CSDL type takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Boolean,
    Integer,
    Number,
    Text,
    Enum,
    /// Complex types and type definitions: left to the model to decode.
    Other,
}

fn shape(info: &PropertyInfo) -> Shape {
    if !info.enum_values.is_empty() {
        return Shape::Enum;
    }
    match info.edm_type {
        "Edm.Boolean" => Shape::Boolean,
        "Edm.Int64" | "Edm.Int32" | "Edm.Int16" | "Edm.Byte" | "Edm.SByte" => Shape::Integer,
        "Edm.Decimal" | "Edm.Double" | "Edm.Single" => Shape::Number,
        "Edm.String" | "Edm.DateTimeOffset" | "Edm.Duration" | "Edm.Guid" | "Edm.TimeOfDay"
        | "Edm.Date" => Shape::Text,
        _ => Shape::Other,
    }
}

fn check_value(info: &PropertyInfo, null_ok: bool, value: &Value) -> Option<RedfishMessage> {
    let name = info.name;
    if value.is_null() {
        return (!(info.nullable && null_ok))
            .then(|| base::property_value_type_error(shown(value), name));
    }
    if info.collection {
        let Value::Array(items) = value else {
            return Some(base::property_value_type_error(shown(value), name));
        };
        return items.iter().find_map(|item| check_scalar(info, item));
    }
    check_scalar(info, value)
}

fn check_scalar(info: &PropertyInfo, value: &Value) -> Option<RedfishMessage> {
    let name = info.name;
    let type_ok = match shape(info) {
        Shape::Boolean => value.is_boolean(),
        Shape::Integer => value.is_i64() || value.is_u64(),
        Shape::Number => value.is_number(),
        Shape::Text | Shape::Enum => value.is_string(),
        Shape::Other => true,
    };
    if !type_ok {
        return Some(base::property_value_type_error(shown(value), name));
    }
    if let Some(text) = value.as_str().filter(|_| shape(info) == Shape::Enum) {
        return (!info.enum_values.contains(&text))
            .then(|| base::property_value_not_in_list(text, name));
    }
    let n = value.as_f64()?;
    let below = info.minimum.is_some_and(|min| n < min as f64);
    let above = info.maximum.is_some_and(|max| n > max as f64);
    (below || above).then(|| base::property_value_out_of_range(shown(value), name))
}

/// A value as a message argument: strings bare, anything else as JSON.
fn shown(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROPS: &[PropertyInfo] = &[
        info("Id", "Resource.Id", false, true, None),
        info("Enabled", "Edm.Boolean", true, false, None),
        info("Minutes", "Edm.Int64", false, false, Some(1)),
        info("Seconds", "Edm.Int64", true, false, Some(0)),
        info("Unserved", "Edm.Boolean", false, false, None),
    ];

    const fn info(
        name: &'static str,
        edm_type: &'static str,
        nullable: bool,
        read_only: bool,
        minimum: Option<i64>,
    ) -> PropertyInfo {
        PropertyInfo {
            name,
            edm_type,
            nullable,
            read_only,
            collection: false,
            minimum,
            maximum: None,
            enum_values: &[],
        }
    }

    fn spec() -> PatchSpec {
        let example = serde_json::json!({"Enabled": true, "Minutes": 1, "Seconds": null});
        PatchSpec::new(PROPS, &example)
    }

    fn keys(err: &ApiError) -> Vec<String> {
        err.message_ids()
            .map(|id| id.rsplit('.').next().unwrap_or("").to_owned())
            .collect()
    }

    #[test]
    fn good_values_pass_through() {
        let map = spec()
            .check(br#"{"Enabled": false, "Minutes": 30, "Seconds": null}"#)
            .unwrap();
        assert_eq!(map.len(), 3);
    }

    #[test]
    fn every_problem_is_reported_with_its_property() {
        let body = br#"{"Id": "x", "@odata.id": "/", "Nope": 1, "Unserved": true,
            "Enabled": null, "Minutes": 0, "Seconds": "ten"}"#;
        let err = spec().check(body).unwrap_err();
        let mut found = keys(&err);
        found.sort();
        assert_eq!(
            found,
            [
                "PropertyNotWritable",
                "PropertyNotWritable",
                "PropertyNotWritable",
                "PropertyUnknown",
                "PropertyValueOutOfRange",
                "PropertyValueTypeError",
                "PropertyValueTypeError",
            ]
        );
        let body = err.body();
        let info = body["error"]["@Message.ExtendedInfo"].as_array().unwrap();
        let range = info
            .iter()
            .find(|m| m["MessageId"].as_str().unwrap().ends_with("OutOfRange"))
            .unwrap();
        assert_eq!(range["RelatedProperties"], serde_json::json!(["#/Minutes"]));
    }

    #[test]
    fn empty_and_malformed_bodies_are_refused() {
        assert_eq!(keys(&spec().check(b"{}").unwrap_err()), ["EmptyJSON"]);
        assert_eq!(keys(&spec().check(b"{").unwrap_err()), ["MalformedJSON"]);
        assert_eq!(keys(&spec().check(b"").unwrap_err()), ["MalformedJSON"]);
        assert_eq!(
            keys(&spec().check(b"[1]").unwrap_err()),
            ["UnrecognizedRequestBody"]
        );
    }

    #[test]
    fn fractional_value_for_an_integer_is_a_type_error() {
        let err = spec().check(br#"{"Minutes": 1.5}"#).unwrap_err();
        assert_eq!(keys(&err), ["PropertyValueTypeError"]);
    }
}
