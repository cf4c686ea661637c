//! One concrete Redfish message: a registry row with its arguments
//! substituted, ready to be placed in `@Message.ExtendedInfo` or a task's
//! `Messages` as a DMTF `Message` object.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{MessageDef, Registry, Severity};

/// The `@odata.type` stamped on every Message object this service emits.
/// Every property we emit exists in this version.
pub const MESSAGE_ODATA_TYPE: &str = "#Message.v1_1_1.Message";

/// A message instance: what a client reads in an error body or a task.
///
/// The serde form uses the Redfish property names (without `@odata.type`)
/// so a store can persist it; use [`RedfishMessage::to_json`] for output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedfishMessage {
    /// Full id: registry prefix, version and key, e.g.
    /// `Base.1.22.1.PropertyUnknown`.
    #[serde(rename = "MessageId")]
    pub message_id: String,
    /// The registry format with `%1`..`%n` replaced by the arguments.
    #[serde(rename = "Message")]
    pub message: String,
    /// The arguments, in order, as strings.
    #[serde(rename = "MessageArgs")]
    pub message_args: Vec<String>,
    /// The registry's severity for this message.
    #[serde(rename = "MessageSeverity")]
    pub severity: Severity,
    /// The registry's resolution text.
    #[serde(rename = "Resolution")]
    pub resolution: String,
    /// JSON pointers (e.g. `#/Name`) to the request properties concerned.
    #[serde(
        rename = "RelatedProperties",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub related_properties: Vec<String>,
}

impl RedfishMessage {
    /// Instantiates `def` of `registry` with `args`. Constructors in
    /// [`super::base`] and [`super::task_event`] guarantee the count.
    pub(crate) fn from_def(registry: &Registry, def: &MessageDef, args: Vec<String>) -> Self {
        RedfishMessage {
            message_id: registry.message_id(def.key),
            message: substitute(def.format, &args),
            message_args: args,
            severity: def.severity,
            resolution: def.resolution.to_owned(),
            related_properties: Vec::new(),
        }
    }

    /// Adds one `RelatedProperties` entry, a JSON pointer such as `#/Name`.
    #[must_use]
    pub fn with_related_property(mut self, pointer: impl Into<String>) -> Self {
        self.related_properties.push(pointer.into());
        self
    }

    /// The DSP0266 error body for `messages` (at least one): `error.code`
    /// and `error.message` come from the only message, or from
    /// `GeneralError` when there are several; every message is listed in
    /// `@Message.ExtendedInfo`.
    #[must_use]
    pub fn error_body(messages: &[RedfishMessage]) -> Value {
        let general;
        let head = match messages {
            [one] => one,
            _ => {
                general = super::base::general_error();
                &general
            }
        };
        let info: Vec<Value> = messages.iter().map(RedfishMessage::to_json).collect();
        json!({
            "error": {
                "code": head.message_id,
                "message": head.message,
                "@Message.ExtendedInfo": info,
            }
        })
    }

    /// The DMTF `Message` object. `RelatedProperties` appears only when
    /// non-empty; `MessageArgs` always (possibly as `[]`).
    pub fn to_json(&self) -> Value {
        let mut object = Map::new();
        object.insert("@odata.type".into(), json!(MESSAGE_ODATA_TYPE));
        object.insert("MessageId".into(), json!(self.message_id));
        object.insert("Message".into(), json!(self.message));
        object.insert("MessageArgs".into(), json!(self.message_args));
        object.insert("MessageSeverity".into(), json!(self.severity.as_str()));
        object.insert("Resolution".into(), json!(self.resolution));
        if !self.related_properties.is_empty() {
            object.insert("RelatedProperties".into(), json!(self.related_properties));
        }
        Value::Object(object)
    }
}

/// Replaces each `%n` in `format` by `args[n - 1]` in one left-to-right
/// pass, so a `%1` inside an argument is never expanded again. A `%` not
/// followed by a valid argument number is kept as written.
pub(crate) fn substitute(format: &str, args: &[String]) -> String {
    let mut out = String::with_capacity(format.len() + 16 * args.len());
    let mut rest = format;

    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        let arg = after[..digits]
            .parse::<usize>()
            .ok()
            .and_then(|n| n.checked_sub(1))
            .and_then(|index| args.get(index));

        match arg {
            Some(arg) => {
                out.push_str(arg);
                rest = &after[digits..];
            }
            None => {
                out.push('%');
                rest = after;
            }
        }
    }

    out.push_str(rest);
    out
}

/// The highest `%n` placeholder in `format`, i.e. how many arguments it uses.
#[cfg(test)]
pub(crate) fn placeholder_count(format: &str) -> usize {
    format
        .split('%')
        .skip(1)
        .filter_map(|tail| {
            let digits = tail.bytes().take_while(u8::is_ascii_digit).count();
            tail[..digits].parse::<usize>().ok()
        })
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{base, task_event};

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn substitute_replaces_in_order() {
        let out = substitute(
            "The value '%1' for the property %2.",
            &strings(&["7", "Name"]),
        );
        assert_eq!(out, "The value '7' for the property Name.");
    }

    #[test]
    fn substitute_does_not_expand_placeholders_inside_arguments() {
        let out = substitute("%1 and %2", &strings(&["%2", "b"]));
        assert_eq!(out, "%2 and b");
    }

    #[test]
    fn substitute_keeps_unmatched_percent_signs() {
        let out = substitute("50% of %3 %", &strings(&["a"]));
        assert_eq!(out, "50% of %3 %");
    }

    #[test]
    fn placeholder_count_is_highest_index() {
        assert_eq!(placeholder_count("no args"), 0);
        assert_eq!(placeholder_count("%2 then %1"), 2);
        assert_eq!(placeholder_count("%1 at 100%"), 1);
    }

    #[test]
    fn to_json_is_a_dmtf_message_object() {
        let msg =
            base::property_value_out_of_range(42, "Priority").with_related_property("#/Priority");
        let json = msg.to_json();

        assert_eq!(json["@odata.type"], MESSAGE_ODATA_TYPE);
        assert_eq!(json["MessageId"], "Base.1.22.1.PropertyValueOutOfRange");
        assert_eq!(
            json["Message"],
            "The value '42' for the property Priority is not in the supported range \
             of acceptable values."
        );
        assert_eq!(json["MessageArgs"], json!(["42", "Priority"]));
        assert_eq!(json["MessageSeverity"], "Warning");
        assert_eq!(json["RelatedProperties"], json!(["#/Priority"]));
        assert!(json["Resolution"].as_str().is_some_and(|r| !r.is_empty()));
    }

    #[test]
    fn to_json_omits_empty_related_properties() {
        let json = task_event::task_started("3").to_json();
        assert!(json.get("RelatedProperties").is_none());
        assert_eq!(json["MessageArgs"], json!(["3"]));
        assert_eq!(json["MessageSeverity"], "OK");
    }

    #[test]
    fn serde_round_trips() {
        let msg = base::resource_not_found("Task", "9").with_related_property("#/Id");
        let text = serde_json::to_string(&msg).unwrap_or_default();
        let back: Option<RedfishMessage> = serde_json::from_str(&text).ok();
        assert_eq!(back, Some(msg));
    }
}
