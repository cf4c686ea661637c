//! Hand-written types the generated model uses: explicit JSON `null`,
//! resource links, action targets and per-property schema facts.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A value that may be an explicit JSON `null`.
///
/// Fields are `Option<Nullable<T>>`: `None` is absent, `Some(Null)` is
/// `null` and `Some(Value(v))` is a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Nullable<T> {
    /// JSON `null`.
    Null,
    /// A value.
    Value(T),
}

impl<T> Nullable<T> {
    /// The value, if not null.
    pub fn as_value(&self) -> Option<&T> {
        match self {
            Nullable::Null => None,
            Nullable::Value(v) => Some(v),
        }
    }

    /// Converts into an `Option`, losing the null/absent distinction.
    pub fn into_option(self) -> Option<T> {
        match self {
            Nullable::Null => None,
            Nullable::Value(v) => Some(v),
        }
    }
}

impl<T> From<T> for Nullable<T> {
    fn from(value: T) -> Self {
        Nullable::Value(value)
    }
}

impl<T: Serialize> Serialize for Nullable<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Nullable::Null => serializer.serialize_none(),
            Nullable::Value(v) => v.serialize(serializer),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Nullable<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match Option::<T>::deserialize(deserializer)? {
            None => Nullable::Null,
            Some(v) => Nullable::Value(v),
        })
    }
}

/// Deserializes a present field (even `null`) as `Some`, so an explicit
/// `null` stays distinct from an absent field (which `#[serde(default)]`
/// makes `None`).
///
/// # Errors
/// When the value is neither `null` nor a valid `T`.
pub fn deserialize_nullable<'de, D, T>(deserializer: D) -> Result<Option<Nullable<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Nullable::deserialize(deserializer).map(Some)
}

/// A link to a resource: `{"@odata.id": "/redfish/v1/..."}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ODataId {
    /// The URI of the linked resource.
    #[serde(rename = "@odata.id")]
    pub odata_id: String,
}

impl ODataId {
    /// A link to `uri`.
    pub fn new(uri: impl Into<String>) -> Self {
        ODataId {
            odata_id: uri.into(),
        }
    }
}

/// An action advertised in a resource's `Actions` object.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ActionTarget {
    /// The URI to POST to.
    pub target: String,
    /// `title`, `Parameter@Redfish.AllowableValues` and other annotations.
    #[serde(flatten)]
    pub annotations: serde_json::Map<String, serde_json::Value>,
}

/// Schema facts about one property of a generated type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PropertyInfo {
    /// The exact JSON name.
    pub name: &'static str,
    /// The CSDL type text, e.g. `Collection(Message.Message)`.
    pub edm_type: &'static str,
    /// The property may be `null`.
    pub nullable: bool,
    /// Clients cannot write it (`OData.Permissions` is `Read`).
    pub read_only: bool,
    /// The value is an array.
    pub collection: bool,
    /// `Validation.Minimum`.
    pub minimum: Option<i64>,
    /// `Validation.Maximum`.
    pub maximum: Option<i64>,
    /// Allowed values when the type is an enum.
    pub enum_values: &'static [&'static str],
}
