//! The shape every Redfish message must have (scenario S12), shared by the
//! in-process tests (`tests/common`) and the out-of-process ones
//! (`tests/support/task_check.rs`).

use serde_json::Value;

/// Checks one message has a versioned MessageId (`Registry.x.y.z.Key`),
/// Message, MessageArgs and MessageSeverity.
pub fn check_message(m: &Value) {
    let id = m["MessageId"].as_str().unwrap_or_else(|| panic!("{m}"));
    let parts: Vec<&str> = id.split('.').collect();
    assert_eq!(parts.len(), 5, "MessageId {id} is not Registry.x.y.z.Key");
    assert!(
        parts[1..4].iter().all(|p| p.parse::<u32>().is_ok()),
        "MessageId {id} has no version"
    );
    assert!(m["Message"].as_str().is_some_and(|s| !s.is_empty()), "{m}");
    assert!(m["MessageArgs"].is_array(), "MessageArgs: {m}");
    assert!(
        matches!(
            m["MessageSeverity"].as_str(),
            Some("OK" | "Warning" | "Critical")
        ),
        "MessageSeverity: {m}"
    );
}
