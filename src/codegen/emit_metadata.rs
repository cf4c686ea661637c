//! Stage 5: emit `metadata.xml`, the OData `$metadata` document, and
//! `schema_files.rs`, the table of CSDL files served offline under
//! `/redfish/v1/schema/`.
//!
//! `$metadata` references, per schema file, every namespace whose
//! definitions the served resources use (versioned ones included) and the
//! namespaces their links point to, and declares the `Service` container
//! extending the service root's. Only files present in the schema
//! directories are referenced: a link target defined elsewhere (such as a
//! Swordfish schema outside the Redfish bundle) is left out rather than
//! pointed at a URI that would answer 404. Files are sorted by name and
//! namespaces by family, then version number (`v1_2_0` before `v1_10_0`).
//! The file table holds the referenced files plus everything they
//! reference that is present, transitively, so every reference resolves.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use proc_macro2::TokenStream;
use quote::quote;

use super::csdl::{self, Csdl};
use super::error::Result;
use super::resolve::{Model, version_of};

/// URI prefix the runtime serves schema files under.
pub const SCHEMA_PREFIX: &str = "/redfish/v1/schema/";

/// Namespaces to reference, grouped by file: files by name, namespaces by
/// family then version number. Files not present are left out.
pub fn references(csdl: &Csdl, model: &Model) -> BTreeMap<String, Vec<String>> {
    let mut wanted: BTreeSet<&str> = model.namespaces.iter().map(String::as_str).collect();
    wanted.extend(model.linked.iter().map(String::as_str));
    let container_ns = model
        .container
        .as_deref()
        .and_then(csdl::split_qualified)
        .map(|(ns, _)| ns);
    wanted.extend(container_ns);
    let mut by_file: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for ns in wanted {
        let file = csdl
            .file_of(ns)
            .unwrap_or_else(|| format!("{}_v1.xml", csdl::family(ns)));
        if csdl.has_file(&file) {
            by_file.entry(file).or_default().insert(ns.to_string());
        }
    }
    by_file
        .into_iter()
        .map(|(file, namespaces)| (file, by_version(namespaces)))
        .collect()
}

/// Sorts namespaces by family, then version number, unversioned first.
fn by_version(namespaces: BTreeSet<String>) -> Vec<String> {
    let mut sorted: Vec<String> = namespaces.into_iter().collect();
    sorted.sort_by(|a, b| {
        let key = |ns: &str| (csdl::family(ns).to_string(), version_of(ns));
        key(a).cmp(&key(b)).then_with(|| a.cmp(b))
    });
    sorted
}

/// The `$metadata` document.
pub fn metadata(csdl: &Csdl, model: &Model, header: &str) -> String {
    let mut xml = String::new();
    xml.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(xml, "<!-- {header} -->");
    xml.push_str(
        "<edmx:Edmx xmlns:edmx=\"http://docs.oasis-open.org/odata/ns/edmx\" Version=\"4.0\">\n",
    );
    for (file, namespaces) in references(csdl, model) {
        let _ = writeln!(
            xml,
            "  <edmx:Reference Uri=\"{SCHEMA_PREFIX}{}\">",
            escape(&file)
        );
        for ns in namespaces {
            let _ = writeln!(xml, "    <edmx:Include Namespace=\"{}\"/>", escape(&ns));
        }
        xml.push_str("  </edmx:Reference>\n");
    }
    xml.push_str("  <edmx:DataServices>\n");
    xml.push_str(
        "    <Schema xmlns=\"http://docs.oasis-open.org/odata/ns/edm\" Namespace=\"Service\">\n",
    );
    match &model.container {
        Some(base) => {
            let _ = writeln!(
                xml,
                "      <EntityContainer Name=\"Service\" Extends=\"{}\"/>",
                escape(base)
            );
        }
        None => xml.push_str("      <EntityContainer Name=\"Service\"/>\n"),
    }
    xml.push_str("    </Schema>\n  </edmx:DataServices>\n</edmx:Edmx>\n");
    xml
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;")
}

/// Files to serve: those `$metadata` references and, transitively, every
/// Redfish file they reference. Files absent from the schema directory
/// are left out (they would answer 404).
///
/// # Errors
/// When a present file is not valid CSDL.
pub fn served_files(csdl: &mut Csdl, model: &Model) -> Result<Vec<String>> {
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut queue: Vec<String> = references(csdl, model).into_keys().collect();
    while let Some(file) = queue.pop() {
        if !seen.insert(file.clone()) {
            continue;
        }
        if let Err(e) = csdl.load_file(&file) {
            if e.message.starts_with(csdl::MISSING_FILE) {
                seen.remove(&file);
                continue;
            }
            return Err(e);
        }
        if let Some(doc) = csdl.documents().get(&file) {
            queue.extend(doc.references.iter().map(|r| r.file.clone()));
        }
    }
    Ok(seen.into_iter().collect())
}

/// `schema_files.rs`: a sorted table of the served files' bytes.
pub fn schema_files(csdl: &Csdl, files: &[String]) -> TokenStream {
    let entries = files.iter().filter_map(|name| {
        let doc = csdl.documents().get(name)?;
        let path = doc.path.display().to_string();
        Some(quote! { (#name, include_bytes!(#path)) })
    });
    quote! {
        /// CSDL files served under `/redfish/v1/schema/`, sorted by name.
        pub static SCHEMA_FILES: &[(&str, &[u8])] = &[#(#entries),*];

        /// The bytes of the served schema file `name`, e.g. `Task_v1.xml`.
        pub fn schema_file(name: &str) -> Option<&'static [u8]> {
            let index = SCHEMA_FILES.binary_search_by(|(n, _)| (*n).cmp(name)).ok()?;
            SCHEMA_FILES.get(index).map(|(_, bytes)| *bytes)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_version_orders_numerically_unversioned_first() {
        let names = [
            "Task.v1_10_0",
            "Task.v1_2_0",
            "Task",
            "Task.v1_1_0",
            "Core.v1_0_0",
        ];
        let sorted = by_version(names.iter().map(|s| s.to_string()).collect());
        assert_eq!(
            sorted,
            [
                "Core.v1_0_0",
                "Task",
                "Task.v1_1_0",
                "Task.v1_2_0",
                "Task.v1_10_0"
            ]
        );
    }
}
