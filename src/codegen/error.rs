//! The generator's one error type: what went wrong, and where in the
//! schemas (file, type, property) it went wrong.

use std::fmt;

/// A generator failure with the schema location it concerns.
///
/// Every field but `message` is optional; the build script prints the
/// whole thing so a reader can go straight to the offending CSDL element.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Error {
    /// Schema file (e.g. `Task_v1.xml`) or selection file.
    pub file: Option<String>,
    /// Qualified type (e.g. `Task.v1_7_4.Task`).
    pub ty: Option<String>,
    /// Property, parameter or member name.
    pub property: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl Error {
    /// An error with only a message.
    pub fn new(message: impl Into<String>) -> Self {
        Error {
            message: message.into(),
            ..Error::default()
        }
    }

    /// Sets the file unless one is already known.
    pub fn in_file(mut self, file: &str) -> Self {
        self.file.get_or_insert_with(|| file.to_string());
        self
    }

    /// Sets the type unless one is already known.
    pub fn in_type(mut self, ty: &str) -> Self {
        self.ty.get_or_insert_with(|| ty.to_string());
        self
    }

    /// Sets the property unless one is already known.
    pub fn in_property(mut self, property: &str) -> Self {
        self.property.get_or_insert_with(|| property.to_string());
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{file}: ")?;
        }
        if let Some(ty) = &self.ty {
            write!(f, "type {ty}: ")?;
        }
        if let Some(property) = &self.property {
            write!(f, "property {property}: ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// Result alias used throughout the generator.
pub type Result<T> = std::result::Result<T, Error>;
