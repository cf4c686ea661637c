//! Tests of the spec-driven generator in `src/codegen`: the served DMTF
//! schemas resolve to the right properties, an invented fixture schema has
//! golden output (`UPDATE_GOLDEN=1` rewrites it), served methods shape the
//! routes, handler defaults and OpenAPI paths, `$metadata` references only
//! files that are served, and broken schemas or selections fail with
//! errors naming the file, type and property.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
#[path = "../src/codegen/mod.rs"]
mod codegen;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use codegen::resolve::{Entity, Model};
use codegen::selection::WriteMethod;
use codegen::{Config, Output, generate};

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn dmtf_config() -> Config {
    Config {
        schema_dir: PathBuf::from(nv_redfish_schema::REDFISH_CSDL_DIR),
        project_dir: Some(manifest().join("schemas")),
        selection: manifest().join("schemas/selection.toml"),
        label: "dmtf".to_string(),
    }
}

fn fixture_config(csdl_dir: &Path, selection: &Path) -> Config {
    Config {
        schema_dir: csdl_dir.to_path_buf(),
        project_dir: None,
        selection: selection.to_path_buf(),
        label: "tests/fixtures/widget".to_string(),
    }
}

fn widget_dir() -> PathBuf {
    manifest().join("tests/fixtures/widget")
}

fn entity<'a>(model: &'a Model, name: &str) -> &'a Entity {
    model.entities.iter().find(|e| e.key.name == name).unwrap()
}

/// `(name, type text, nullable)` of every property along the inheritance
/// chain of `qualified`, read straight from the CSDL files.
fn csdl_properties(dir: &Path, qualified: &str) -> BTreeSet<(String, String, bool)> {
    let mut texts = BTreeMap::new();
    let mut next = Some(qualified.to_string());
    let mut out = BTreeMap::new();
    while let Some(name) = next.take() {
        let (ns, simple) = name.rsplit_once('.').unwrap();
        let file = format!("{}_v1.xml", ns.split('.').next().unwrap());
        let text = texts
            .entry(file.clone())
            .or_insert_with(|| std::fs::read_to_string(dir.join(&file)).unwrap());
        let doc = roxmltree::Document::parse(text).unwrap();
        let schema = doc
            .descendants()
            .find(|n| n.has_tag_name("Schema") && n.attribute("Namespace") == Some(ns))
            .unwrap();
        let def = schema
            .children()
            .find(|n| n.has_tag_name("EntityType") && n.attribute("Name") == Some(simple))
            .unwrap();
        for p in def
            .children()
            .filter(|n| n.has_tag_name("Property") || n.has_tag_name("NavigationProperty"))
        {
            let key = p.attribute("Name").unwrap().to_string();
            let value = (
                p.attribute("Type").unwrap().to_string(),
                p.attribute("Nullable") != Some("false"),
            );
            out.entry(key).or_insert(value);
        }
        next = def.attribute("BaseType").map(str::to_string);
    }
    out.into_iter().map(|(k, (t, n))| (k, t, n)).collect()
}

fn generated_properties(e: &Entity) -> BTreeSet<(String, String, bool)> {
    e.properties
        .iter()
        .map(|p| (p.name.clone(), p.type_text.clone(), p.nullable))
        .collect()
}

#[test]
fn task_and_task_service_carry_every_csdl_property() {
    let out = generate(&dmtf_config()).unwrap();
    let dir = Path::new(nv_redfish_schema::REDFISH_CSDL_DIR);
    for (name, prefix) in [("Task", "Task.v1_7_"), ("TaskService", "TaskService.v1_3_")] {
        let e = entity(&out.model, name);
        assert!(
            e.qualified.starts_with(prefix),
            "{} picked {}",
            name,
            e.qualified
        );
        assert_eq!(
            generated_properties(e),
            csdl_properties(dir, &e.qualified),
            "{name}"
        );
        for p in &e.properties {
            let info = format!(
                "name: \"{}\",\n                edm_type: \"{}\"",
                p.name, p.type_text
            );
            assert!(
                out.model_rs.contains(&info),
                "{name}.{} missing from PROPERTIES",
                p.name
            );
        }
    }
    let task = entity(&out.model, "Task");
    let percent = task
        .properties
        .iter()
        .find(|p| p.name == "PercentComplete")
        .unwrap();
    assert_eq!(
        (percent.minimum, percent.maximum, percent.nullable),
        (Some(0), Some(100), true)
    );
    assert!(
        out.model_rs
            .contains("pub const ODATA_TYPE: &'static str = \"#Task.v1_7_")
    );
}

#[test]
fn task_pin_picks_newest_errata_of_the_minor_version() {
    let out = generate(&dmtf_config()).unwrap();
    let dir = Path::new(nv_redfish_schema::REDFISH_CSDL_DIR);
    let text = std::fs::read_to_string(dir.join("Task_v1.xml")).unwrap();
    let newest = (0..100)
        .rev()
        .find(|n| text.contains(&format!("Namespace=\"Task.v1_7_{n}\"")))
        .unwrap();
    assert_eq!(
        entity(&out.model, "Task").qualified,
        format!("Task.v1_7_{newest}.Task")
    );
}

#[test]
fn reset_parameter_is_an_enum_of_every_reset_type() {
    let out = generate(&dmtf_config()).unwrap();
    let system = entity(&out.model, "ComputerSystem");
    let reset = &system.actions[0];
    assert_eq!(reset.qualified(), "ComputerSystem.Reset");
    let values = &reset.parameters[0].enum_values;
    assert!(
        values.iter().any(|v| v == "ForceOff") && values.iter().any(|v| v == "GracefulRestart")
    );
    assert!(out.routes_rs.contains("\"ComputerSystem.Reset\""));
}

#[test]
fn metadata_references_served_schema_files() {
    let out = generate(&dmtf_config()).unwrap();
    assert!(
        out.metadata_xml
            .contains("<edmx:Reference Uri=\"/redfish/v1/schema/Task_v1.xml\">")
    );
    assert!(
        out.metadata_xml
            .contains("<edmx:Include Namespace=\"Task.v1_7_")
    );
    assert!(out.metadata_xml.contains("Extends=\"ServiceRoot.v1_"));
    assert!(out.schema_files_rs.contains("\"Task_v1.xml\""));
    roxmltree::Document::parse(&out.metadata_xml).unwrap();
}

/// The `Uri` of every `edmx:Reference` in a `$metadata` document.
fn reference_uris(metadata: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(metadata).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("Reference"))
        .map(|n| n.attribute("Uri").unwrap().to_string())
        .collect()
}

#[test]
fn metadata_references_only_files_in_schema_files() {
    let out = generate(&dmtf_config()).unwrap();
    let served = taskfish::schema_docs::METADATA_XML;
    for (label, metadata) in [("generated", out.metadata_xml.as_str()), ("served", served)] {
        let uris = reference_uris(metadata);
        assert!(uris.len() > 10, "{label}: {uris:?}");
        for uri in uris {
            let file = uri.strip_prefix("/redfish/v1/schema/").unwrap();
            if label == "generated" {
                assert!(out.schema_files.iter().any(|f| f == file), "{file}");
            } else {
                assert!(
                    taskfish::schema_docs::schema_file(file).is_some(),
                    "$metadata references {uri}, absent from SCHEMA_FILES"
                );
            }
        }
    }
    assert!(!out.metadata_xml.contains("HostedStorageServices_v1.xml"));
}

#[test]
fn metadata_orders_namespaces_by_version_number() {
    let out = generate(&dmtf_config()).unwrap();
    let at = |ns: &str| {
        out.metadata_xml
            .find(&format!("<edmx:Include Namespace=\"{ns}\"/>"))
            .unwrap()
    };
    assert!(at("ComputerSystem") < at("ComputerSystem.v1_0_0"));
    assert!(at("ComputerSystem.v1_1_0") < at("ComputerSystem.v1_2_0"));
    assert!(at("ComputerSystem.v1_9_0") < at("ComputerSystem.v1_10_0"));
    assert_eq!(
        out.metadata_xml,
        generate(&dmtf_config()).unwrap().metadata_xml
    );
}

#[test]
fn served_methods_limit_allow_and_openapi() {
    let out = generate(&dmtf_config()).unwrap();
    // ComputerSystem is updatable by its schema, but the selection serves
    // no write method on it: Allow and openapi.yaml must say GET, HEAD.
    let system = entity(&out.model, "ComputerSystem");
    assert!(system.updatable && system.served.is_empty());
    assert_eq!(entity(&out.model, "Task").served, [WriteMethod::Delete]);
    assert!(
        out.routes_rs.contains(
            "pub const COMPUTER_SYSTEM_METHODS: &[Method] = &[Method::Get, Method::Head];"
        )
    );

    let doc: serde_yaml::Value = serde_yaml::from_str(&out.openapi_yaml).unwrap();
    let verbs = |path: &str| -> BTreeSet<String> {
        let item = doc["paths"][path].as_mapping().unwrap();
        let verbs = ["get", "head", "post", "put", "patch", "delete"];
        item.keys()
            .filter_map(|k| k.as_str())
            .filter(|k| verbs.contains(k))
            .map(str::to_string)
            .collect()
    };
    let set = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    assert_eq!(
        verbs("/redfish/v1/Systems/{ComputerSystemId}"),
        set(&["get", "head"])
    );
    assert_eq!(
        verbs("/redfish/v1/TaskService/Tasks/{TaskId}"),
        set(&["get", "head", "delete"])
    );
}

#[test]
fn older_dmtf_bundle_also_generates() {
    let dir = Path::new("/work/shared/dmtf/csdl");
    if !dir.is_dir() {
        return;
    }
    let config = Config {
        schema_dir: dir.to_path_buf(),
        ..dmtf_config()
    };
    let out = generate(&config).unwrap();
    assert!(
        entity(&out.model, "Task")
            .qualified
            .starts_with("Task.v1_7_")
    );
}

fn check_golden(name: &str, actual: &str) {
    let path = manifest().join("tests/golden/widget").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        expected == actual,
        "{name} differs from {}; rerun with UPDATE_GOLDEN=1 if intended",
        path.display()
    );
}

fn widget_output() -> Output {
    generate(&fixture_config(
        &widget_dir().join("csdl"),
        &widget_dir().join("selection.toml"),
    ))
    .unwrap()
}

#[test]
fn widget_fixture_matches_golden_output() {
    let out = widget_output();
    check_golden("model.rs", &out.model_rs);
    check_golden("routes.rs", &out.routes_rs);
    check_golden("metadata.xml", &out.metadata_xml);
    check_golden("openapi.yaml", &out.openapi_yaml);
}

#[test]
fn widget_picks_newest_derived_complex_type() {
    let out = widget_output();
    let widget = entity(&out.model, "Widget");
    assert_eq!(widget.qualified, "Widget.v1_1_0.Widget");
    let dims = out
        .model
        .types
        .values()
        .find(|t| t.key.name == "Dimensions")
        .unwrap();
    assert_eq!(dims.qualified, "Widget.v1_1_0.Dimensions");
    assert!((widget.updatable, widget.deletable, widget.insertable) == (true, true, false));
    assert_eq!(widget.served, [WriteMethod::Patch]);
}

/// The generated source of the trait method `name`, up to the next item.
fn handler_source<'a>(routes: &'a str, name: &str) -> &'a str {
    let start = routes.find(&format!("fn {name}(")).unwrap();
    let rest = &routes[start..];
    let end = rest[1..].find("///").map_or(rest.len(), |i| i + 1);
    &rest[..end]
}

#[test]
fn widget_unserved_methods_default_to_405_served_to_501() {
    let out = widget_output();
    assert!(out.routes_rs.contains(
        "pub const WIDGET_METHODS: &[Method] = &[Method::Get, Method::Head, Method::Patch];"
    ));
    for name in [
        "put_widget",
        "delete_widget",
        "post_widget",
        "post_widget_collection",
    ] {
        let source = handler_source(&out.routes_rs, name);
        assert!(source.contains("method_not_allowed("), "{name}: {source}");
    }
    let patch = handler_source(&out.routes_rs, "patch_widget");
    assert!(patch.contains("ApiError::not_implemented()"), "{patch}");
    assert!(out.openapi_yaml.contains("    patch:"));
    assert!(!out.openapi_yaml.contains("    put:"));
}

#[test]
fn widget_metadata_drops_link_targets_without_a_file() {
    let out = widget_output();
    assert!(
        entity(&out.model, "Widget")
            .properties
            .iter()
            .any(|p| p.name == "Maker")
    );
    assert!(!out.metadata_xml.contains("Gadget"), "{}", out.metadata_xml);
    for uri in reference_uris(&out.metadata_xml) {
        let file = uri.strip_prefix("/redfish/v1/schema/").unwrap();
        assert!(out.schema_files.iter().any(|f| f == file), "{file}");
    }
}

/// Copies the widget fixture into a scratch directory, applying `edit` to
/// `Widget_v1.xml`, and returns the generator's error.
fn broken(tag: &str, edit: impl Fn(String) -> String, selection: Option<&str>) -> String {
    let dir = std::env::temp_dir().join(format!("taskfish-codegen-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(widget_dir().join("csdl")).unwrap() {
        let path = entry.unwrap().path();
        let mut text = std::fs::read_to_string(&path).unwrap();
        if path.ends_with("Widget_v1.xml") {
            text = edit(text);
        }
        std::fs::write(dir.join(path.file_name().unwrap()), text).unwrap();
    }
    let selection_path = dir.join("selection.toml");
    let selection_text = match selection {
        Some(text) => text.to_string(),
        None => std::fs::read_to_string(widget_dir().join("selection.toml")).unwrap(),
    };
    std::fs::write(&selection_path, selection_text).unwrap();
    let err = generate(&fixture_config(&dir, &selection_path)).unwrap_err();
    std::fs::remove_dir_all(&dir).ok();
    err.to_string()
}

#[test]
fn missing_property_type_names_file_type_and_property() {
    let msg = broken(
        "notype",
        |t| t.replace("Name=\"Gears\" Type=\"Edm.Int64\"", "Name=\"Gears\""),
        None,
    );
    assert!(msg.contains("Widget_v1.xml"), "{msg}");
    assert!(msg.contains("Widget.v1_0_0.Widget"), "{msg}");
    assert!(msg.contains("Gears") && msg.contains("Type"), "{msg}");
}

#[test]
fn unknown_property_type_names_file_type_and_property() {
    let msg = broken(
        "unknown",
        |t| {
            t.replace(
                "Type=\"Core.Mood\" Nullable",
                "Type=\"Core.Sulky\" Nullable",
            )
        },
        None,
    );
    assert!(msg.contains("Widget_v1.xml"), "{msg}");
    assert!(msg.contains("Widget.v1_0_0.Widget"), "{msg}");
    assert!(
        msg.contains("property Mood") && msg.contains("Core.Sulky"),
        "{msg}"
    );
}

#[test]
fn uri_outside_redfish_uris_is_rejected() {
    let selection = "[[resource]]\nschema = \"Widget\"\nuris = [\"/gadgets/{Id}\"]\n";
    let msg = broken("uri", |t| t, Some(selection));
    assert!(
        msg.contains("/gadgets/{Id}") && msg.contains("Redfish.Uris") && msg.contains("Widget"),
        "{msg}"
    );
}

#[test]
fn served_method_the_schema_forbids_fails_the_build() {
    let selection = "[[resource]]\nschema = \"Widget\"\nuris = [\"/widgets/{WidgetId}\"]\n\
                     methods = [\"PATCH\", \"POST\"]\n";
    let msg = broken("methods", |t| t, Some(selection));
    assert!(msg.contains("Widget_v1.xml"), "{msg}");
    assert!(msg.contains("Widget.v1_1_0.Widget"), "{msg}");
    assert!(msg.contains("schema = \"Widget\""), "{msg}");
    assert!(
        msg.contains("POST") && msg.contains("Capabilities.InsertRestrictions"),
        "{msg}"
    );
}

#[test]
fn get_is_not_a_listable_method() {
    let selection = "[[resource]]\nschema = \"Widget\"\nuris = [\"/widgets/{WidgetId}\"]\nmethods = [\"GET\"]\n";
    let msg = broken("get", |t| t, Some(selection));
    assert!(
        msg.contains("selection.toml") && msg.contains("GET"),
        "{msg}"
    );
}

#[test]
fn version_pin_caps_complex_types_of_the_family() {
    let selection =
        "[[resource]]\nschema = \"Widget\"\nversion = \"1.0\"\nuris = [\"/widgets/{WidgetId}\"]\n";
    let dir = std::env::temp_dir().join(format!("taskfish-codegen-pin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("selection.toml");
    std::fs::write(&path, selection).unwrap();
    let out = generate(&fixture_config(&widget_dir().join("csdl"), &path)).unwrap();
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(
        entity(&out.model, "Widget").qualified,
        "Widget.v1_0_0.Widget"
    );
    let dims = out
        .model
        .types
        .values()
        .find(|t| t.key.name == "Dimensions")
        .unwrap();
    assert_eq!(dims.qualified, "Widget.v1_0_0.Dimensions");
}
