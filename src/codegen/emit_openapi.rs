//! Stage 6: emit `openapi.yaml` (OpenAPI 3.0) from the same resolved
//! model: every served path and method (GET, HEAD and the write methods
//! the selection serves), action POSTs with request bodies,
//! the extra runtime paths, and self-contained component schemas for every
//! type referenced plus `RedfishError` for error answers.
//!
//! Schemas are written as JSON values and checked into `openapiv3` types,
//! which then serialize with `serde_yaml`; paths keep selection order,
//! components are sorted by name.

use indexmap::IndexMap;
use openapiv3::{Components, Info, OpenAPI, PathItem, Paths, ReferenceOr, Schema};
use serde_json::{Map, Value, json};

use super::error::{Error, Result};
use super::resolve::{Edm, Entity, Model, Prop, ResolvedAction, Shape, Target};
use super::selection::WriteMethod;

/// Renders the document under a `#` header line.
///
/// # Errors
/// When a generated fragment is not valid OpenAPI (a generator bug).
pub fn emit(model: &Model, header: &str) -> Result<String> {
    let mut paths = IndexMap::new();
    for entity in &model.entities {
        for uri in &entity.uris {
            paths.insert(uri.clone(), item(entity_path(model, entity, uri))?);
            for action in &entity.actions {
                let path = format!("{uri}/Actions/{}", action.qualified());
                let value = action_path(model, action, &path);
                paths.insert(path, item(value)?);
            }
        }
    }
    for extra in &model.extras {
        paths.insert(extra.path.clone(), item(extra_path(model, extra))?);
    }

    let mut schemas = IndexMap::new();
    for (name, value) in component_values(model) {
        let schema: Schema = serde_json::from_value(value)
            .map_err(|e| Error::new(format!("bad OpenAPI schema {name}: {e}")))?;
        schemas.insert(name, ReferenceOr::Item(schema));
    }

    let doc = OpenAPI {
        openapi: "3.0.3".to_string(),
        info: Info {
            title: "taskfish Redfish service".to_string(),
            version: "1.0.0".to_string(),
            description: Some(format!("Paths and schemas served by taskfish; {header}.")),
            ..Info::default()
        },
        paths: Paths {
            paths,
            ..Paths::default()
        },
        components: Some(Components {
            schemas,
            ..Components::default()
        }),
        ..OpenAPI::default()
    };
    let yaml =
        serde_yaml::to_string(&doc).map_err(|e| Error::new(format!("cannot write YAML: {e}")))?;
    Ok(format!("# {header}\n{yaml}"))
}

fn item(value: Value) -> Result<ReferenceOr<PathItem>> {
    serde_json::from_value(value)
        .map(ReferenceOr::Item)
        .map_err(|e| Error::new(format!("bad OpenAPI path item: {e}")))
}

fn reference(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// Component name for a qualified CSDL name: dots become underscores.
pub fn component_name(qualified: &str) -> String {
    qualified.replace('.', "_")
}

fn json_content(schema: Value) -> Value {
    json!({ "application/json": { "schema": schema } })
}

fn error_response() -> Value {
    json!({ "description": "A Redfish error.", "content": json_content(reference("RedfishError")) })
}

fn path_parameters(uri: &str) -> Value {
    let params: Vec<Value> = uri
        .split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
        .collect();
    Value::Array(params)
}

fn entity_path(model: &Model, e: &Entity, uri: &str) -> Value {
    let this = reference(&component_name(&e.qualified));
    let ok = json!({ "description": "The resource.", "content": json_content(this.clone()) });
    let mut item = Map::new();
    item.insert(
        "summary".into(),
        json!(format!("The `{}` resource.", e.key.name)),
    );
    item.insert("parameters".into(), path_parameters(uri));
    item.insert(
        "get".into(),
        json!({ "responses": { "200": ok, "default": error_response() } }),
    );
    item.insert("head".into(), json!({ "responses": { "200": { "description": "Headers only." }, "default": error_response() } }));
    let body = json!({ "required": true, "content": json_content(this.clone()) });
    for m in [WriteMethod::Put, WriteMethod::Patch] {
        if e.serves(m) {
            item.insert(m.as_str().to_ascii_lowercase(), json!({
                "requestBody": body,
                "responses": { "200": ok, "202": accepted(model), "204": { "description": "Updated." }, "default": error_response() }
            }));
        }
    }
    if e.serves(WriteMethod::Post) {
        let created = json!({ "description": "Created.", "content": json_content(json!({ "type": "object" })) });
        item.insert("post".into(), json!({
            "requestBody": { "required": true, "content": json_content(json!({ "type": "object" })) },
            "responses": { "201": created, "202": accepted(model), "default": error_response() }
        }));
    }
    if e.serves(WriteMethod::Delete) {
        item.insert("delete".into(), json!({
            "responses": { "200": ok, "204": { "description": "Deleted." }, "default": error_response() }
        }));
    }
    Value::Object(item)
}

/// The 202 answer: the served `Task` when there is one.
fn accepted(model: &Model) -> Value {
    match model.entities.iter().find(|e| e.key.family == "Task") {
        Some(task) => {
            json!({ "description": "Accepted; a task tracks the operation.", "content": json_content(reference(&component_name(&task.qualified))) })
        }
        None => json!({ "description": "Accepted." }),
    }
}

fn action_path(model: &Model, action: &ResolvedAction, path: &str) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for p in &action.parameters {
        properties.insert(p.name.clone(), property_schema(model, p));
        if p.required {
            required.push(json!(p.name));
        }
    }
    let mut body =
        json!({ "type": "object", "properties": properties, "additionalProperties": false });
    if !required.is_empty() {
        body["required"] = Value::Array(required);
    }
    json!({
        "summary": format!("The `{}` action.", action.qualified()),
        "parameters": path_parameters(path),
        "post": {
            "description": action.docs.first().cloned().unwrap_or_default(),
            "requestBody": { "required": true, "content": json_content(body) },
            "responses": {
                "200": { "description": "Completed, with messages.", "content": json_content(reference("RedfishError")) },
                "202": accepted(model),
                "204": { "description": "Completed." },
                "default": error_response()
            }
        }
    })
}

fn extra_path(model: &Model, extra: &super::selection::ExtraPath) -> Value {
    let media = extra
        .content_type
        .clone()
        .unwrap_or_else(|| "application/json".to_string());
    let schema = if media == "application/json" {
        json!({ "type": "object" })
    } else {
        json!({ "type": "string" })
    };
    let mut responses = Map::new();
    responses.insert(
        "200".into(),
        json!({ "description": extra.summary, "content": { media: { "schema": schema } } }),
    );
    if let Some(entity) = &extra.accepted {
        let found = model
            .entities
            .iter()
            .find(|e| format!("{}.{}", e.key.family, e.key.name) == *entity);
        let schema = found.map_or(json!({ "type": "object" }), |e| {
            reference(&component_name(&e.qualified))
        });
        responses.insert(
            "202".into(),
            json!({ "description": "Still running.", "content": json_content(schema) }),
        );
    }
    responses.insert("default".into(), error_response());
    let mut item = Map::new();
    item.insert("summary".into(), json!(extra.summary));
    item.insert("parameters".into(), path_parameters(&extra.path));
    for method in &extra.methods {
        let mut op = json!({ "responses": responses.clone() });
        if method == "HEAD" {
            op = json!({ "responses": { "200": { "description": "Headers only." }, "default": error_response() } });
        } else if method == "DELETE" {
            op = json!({ "responses": { "204": { "description": "Done; nothing to return." }, "default": error_response() } });
        }
        item.insert(method.to_ascii_lowercase(), op);
    }
    Value::Object(item)
}

fn property_schema(model: &Model, p: &Prop) -> Value {
    let mut base = match &p.target {
        Target::Edm(Edm::String) => match p
            .type_text
            .trim_start_matches("Collection(")
            .trim_end_matches(')')
        {
            "Edm.DateTimeOffset" => json!({ "type": "string", "format": "date-time" }),
            _ => json!({ "type": "string" }),
        },
        Target::Edm(Edm::Boolean) => json!({ "type": "boolean" }),
        Target::Edm(Edm::Integer) => json!({ "type": "integer", "format": "int64" }),
        Target::Edm(Edm::Number) => json!({ "type": "number" }),
        Target::Edm(Edm::Any) => json!({}),
        Target::Open => json!({ "type": "object", "additionalProperties": true }),
        Target::Link => reference("ODataId"),
        Target::Named(key) => {
            let qualified = model.types.get(key).map_or_else(
                || format!("{}.{}", key.family, key.name),
                |t| t.qualified.clone(),
            );
            reference(&component_name(&qualified))
        }
    };
    if let Some(min) = p.minimum {
        base["minimum"] = json!(min);
    }
    if let Some(max) = p.maximum {
        base["maximum"] = json!(max);
    }
    if p.collection {
        base = json!({ "type": "array", "items": base });
    }
    let is_ref = base.get("$ref").is_some();
    let nullable = p.nullable && !p.collection;
    if is_ref && (nullable || p.read_only || !p.docs.is_empty()) {
        base = json!({ "allOf": [base] });
    }
    if nullable {
        base["nullable"] = json!(true);
    }
    if p.read_only {
        base["readOnly"] = json!(true);
    }
    if let Some(doc) = p.docs.first() {
        base["description"] = json!(doc);
    }
    base
}

fn object_schema(
    model: &Model,
    docs: &[String],
    properties: &[Prop],
    extra: Map<String, Value>,
) -> Value {
    let mut props = extra;
    let mut required: Vec<Value> = Vec::new();
    for p in properties {
        props.insert(p.name.clone(), property_schema(model, p));
        if p.required {
            required.push(json!(p.name));
        }
    }
    let mut schema =
        json!({ "type": "object", "properties": props, "additionalProperties": false });
    if !required.is_empty() {
        schema["required"] = Value::Array(required);
    }
    if let Some(doc) = docs.first() {
        schema["description"] = json!(doc);
    }
    schema
}

fn component_values(model: &Model) -> std::collections::BTreeMap<String, Value> {
    let mut out = std::collections::BTreeMap::new();
    for e in &model.entities {
        let mut extra = Map::new();
        for (name, ty) in [
            ("@odata.id", "string"),
            ("@odata.type", "string"),
            ("@odata.etag", "string"),
            ("@odata.context", "string"),
        ] {
            extra.insert(name.into(), json!({ "type": ty, "readOnly": true }));
        }
        if e.is_collection {
            extra.insert(
                "Members@odata.count".into(),
                json!({ "type": "integer", "readOnly": true }),
            );
        }
        let mut schema = object_schema(model, &e.docs, &e.properties, extra);
        schema["required"] = json!(["@odata.id", "@odata.type"])
            .as_array()
            .into_iter()
            .flatten()
            .cloned()
            .chain(schema["required"].as_array().into_iter().flatten().cloned())
            .collect::<Vec<_>>()
            .into();
        out.insert(component_name(&e.qualified), schema);
    }
    for t in model.types.values() {
        let schema = match &t.shape {
            Shape::Enum(members) => {
                let names: Vec<&str> = members.iter().map(|(m, _)| m.as_str()).collect();
                let mut s = json!({ "type": "string", "enum": names });
                if let Some(doc) = t.docs.first() {
                    s["description"] = json!(doc);
                }
                s
            }
            Shape::Struct {
                properties,
                actions,
            } => {
                let mut extra = Map::new();
                for action in actions {
                    extra.insert(format!("#{action}"), reference("ActionTarget"));
                }
                object_schema(model, &t.docs, properties, extra)
            }
        };
        out.insert(component_name(&t.qualified), schema);
    }
    out.insert(
        "ODataId".into(),
        json!({
            "type": "object", "description": "A link to a resource.",
            "properties": { "@odata.id": { "type": "string", "format": "uri-reference" } },
            "required": ["@odata.id"]
        }),
    );
    out.insert("ActionTarget".into(), json!({
        "type": "object", "description": "An action and the URI to POST to.",
        "properties": { "target": { "type": "string", "format": "uri-reference" }, "title": { "type": "string" } },
        "required": ["target"], "additionalProperties": true
    }));
    out.insert("RedfishError".into(), json!({
        "type": "object", "description": "A Redfish error response.",
        "properties": { "error": {
            "type": "object",
            "properties": {
                "code": { "type": "string" },
                "message": { "type": "string" },
                "@Message.ExtendedInfo": { "type": "array", "items": { "type": "object", "additionalProperties": true } }
            },
            "required": ["code", "message"]
        } },
        "required": ["error"]
    }));
    out
}
