//! The schema selection: which Redfish resources are served, at which
//! URIs, with which actions, and which non-schema paths the runtime adds.
//!
//! The file format is documented in `schemas/selection.toml` itself.

use std::path::Path;

use serde::Deserialize;

use super::error::{Error, Result};

/// The parsed `selection.toml`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Selection {
    /// Resources served from the schema, in the order routes are listed.
    #[serde(default, rename = "resource")]
    pub resources: Vec<SelectedResource>,
    /// Paths the runtime serves that no schema entity describes.
    #[serde(default, rename = "extra")]
    pub extras: Vec<ExtraPath>,
}

/// One served entity type.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelectedResource {
    /// Schema family: the unversioned namespace, e.g. `Task`.
    pub schema: String,
    /// Entity type name inside the family; defaults to `schema`.
    pub entity: Option<String>,
    /// `"1.7"` pins the newest `v1_7_*` namespace; absent means newest v1.
    pub version: Option<String>,
    /// URI templates; each must appear in the entity's `Redfish.Uris`.
    pub uris: Vec<String>,
    /// Bound action names served (e.g. `Reset`).
    #[serde(default)]
    pub actions: Vec<String>,
    /// Write methods the runtime serves; GET and HEAD are always served.
    /// Each must be allowed by the entity's Capabilities annotations.
    #[serde(default)]
    pub methods: Vec<WriteMethod>,
}

/// A method that changes a resource, as listed in a `methods` key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum WriteMethod {
    /// POST: create a member (Capabilities.InsertRestrictions).
    Post,
    /// PUT: replace (Capabilities.UpdateRestrictions).
    Put,
    /// PATCH: update (Capabilities.UpdateRestrictions).
    Patch,
    /// DELETE: remove (Capabilities.DeleteRestrictions).
    Delete,
}

impl WriteMethod {
    /// Every write method, in the order routes list them.
    pub const ALL: [WriteMethod; 4] = [
        WriteMethod::Post,
        WriteMethod::Put,
        WriteMethod::Patch,
        WriteMethod::Delete,
    ];

    /// The method as it appears on the wire, e.g. `PATCH`.
    pub fn as_str(self) -> &'static str {
        match self {
            WriteMethod::Post => "POST",
            WriteMethod::Put => "PUT",
            WriteMethod::Patch => "PATCH",
            WriteMethod::Delete => "DELETE",
        }
    }

    /// The `Capabilities` annotation term that allows the method.
    pub fn capability(self) -> &'static str {
        match self {
            WriteMethod::Post => "Capabilities.InsertRestrictions",
            WriteMethod::Put | WriteMethod::Patch => "Capabilities.UpdateRestrictions",
            WriteMethod::Delete => "Capabilities.DeleteRestrictions",
        }
    }
}

impl SelectedResource {
    /// The entity type name.
    pub fn entity_name(&self) -> &str {
        self.entity.as_deref().unwrap_or(&self.schema)
    }

    /// The pinned `(major, minor)`, if any.
    ///
    /// # Errors
    /// When `version` is not of the form `major.minor`.
    pub fn pin(&self) -> Result<Option<(u32, u32)>> {
        let Some(text) = &self.version else {
            return Ok(None);
        };
        let bad =
            || Error::new(format!("version `{text}` is not `major.minor`")).in_type(&self.schema);
        let (major, minor) = text.split_once('.').ok_or_else(bad)?;
        let major = major.parse().map_err(|_| bad())?;
        let minor = minor.parse().map_err(|_| bad())?;
        Ok(Some((major, minor)))
    }
}

/// A path served by hand-written runtime code.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtraPath {
    /// URI template, `{Name}` for a captured segment.
    pub path: String,
    /// HTTP methods, upper case.
    pub methods: Vec<String>,
    /// One-line summary for the OpenAPI document.
    pub summary: String,
    /// Media type of a successful GET; defaults to `application/json`.
    pub content_type: Option<String>,
    /// Entity (`Family.Entity`) whose JSON answers a `202 Accepted`.
    pub accepted: Option<String>,
}

/// Methods an extra path may list.
pub const KNOWN_METHODS: &[&str] = &["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"];

/// Reads and checks a selection file.
///
/// # Errors
/// When the file cannot be read, is not valid TOML of this shape, or lists
/// an unknown method.
pub fn load(path: &Path) -> Result<Selection> {
    let label = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::new(format!("cannot read: {e}")).in_file(&label))?;
    let selection: Selection =
        toml::from_str(&text).map_err(|e| Error::new(e.to_string()).in_file(&label))?;
    for extra in &selection.extras {
        for method in &extra.methods {
            if !KNOWN_METHODS.contains(&method.as_str()) {
                let msg = format!("extra path {}: unknown method {method}", extra.path);
                return Err(Error::new(msg).in_file(&label));
            }
        }
    }
    for resource in &selection.resources {
        resource.pin().map_err(|e| e.in_file(&label))?;
    }
    Ok(selection)
}
