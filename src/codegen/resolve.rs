//! Stage 2: resolve the selection against the CSDL.
//!
//! Picks the entity version (a pin or the newest v1), walks inheritance
//! across versioned namespaces and flattens properties root first, and
//! replaces every referenced complex type by the newest definition in its
//! family that derives from (or is) the referenced one. Enum and complex
//! types reachable from the selection are collected into one sorted map
//! that every emitter reads, so model, routes, metadata and OpenAPI agree.

use std::collections::{BTreeMap, BTreeSet};

use super::csdl::{self, Csdl, Kind, TypeDef};
use super::error::{Error, Result};
use super::selection::{ExtraPath, SelectedResource, Selection, WriteMethod};

/// `(major, minor, errata)` of a versioned namespace.
pub type Version = (u32, u32, u32);

/// Parses `Family.v1_7_4` into `(1, 7, 4)`; `None` when unversioned.
pub fn version_of(namespace: &str) -> Option<Version> {
    let (_, tail) = namespace.split_once(".v")?;
    let mut parts = tail.split('_').map(str::parse::<u32>);
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(Ok(a)), Some(Ok(b)), Some(Ok(c)), None) => Some((a, b, c)),
        _ => None,
    }
}

/// Identifies a generated type: family (module) and name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TypeKey {
    /// Unversioned namespace, e.g. `Resource`.
    pub family: String,
    /// Type name, e.g. `Health`.
    pub name: String,
}

/// A primitive value kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edm {
    /// Strings, dates, durations, GUIDs.
    String,
    /// `Edm.Boolean`.
    Boolean,
    /// Integer types.
    Integer,
    /// `Edm.Decimal`, `Edm.Double`, `Edm.Single`.
    Number,
    /// `Edm.PrimitiveType` and anything else.
    Any,
}

/// What a property holds once resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A primitive.
    Edm(Edm),
    /// A generated complex or enum type.
    Named(TypeKey),
    /// An open or abstract object: a JSON map.
    Open,
    /// A link to a resource: `{"@odata.id": ...}`.
    Link,
}

/// A resolved property (or action parameter).
#[derive(Debug, Clone, PartialEq)]
pub struct Prop {
    /// Exact JSON name.
    pub name: String,
    /// CSDL type text, verbatim.
    pub type_text: String,
    /// May be `null`.
    pub nullable: bool,
    /// `OData.Permissions` is `Read` or absent.
    pub read_only: bool,
    /// `Collection(...)`.
    pub collection: bool,
    /// `Redfish.Required` (for parameters: also `Nullable="false"`).
    pub required: bool,
    /// `Validation.Minimum`.
    pub minimum: Option<i64>,
    /// `Validation.Maximum`.
    pub maximum: Option<i64>,
    /// Description lines for docs.
    pub docs: Vec<String>,
    /// Resolved value type.
    pub target: Target,
    /// Members when the target is an enum.
    pub enum_values: Vec<String>,
}

/// A bound action of a served resource.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedAction {
    /// Family of the action, e.g. `ComputerSystem`.
    pub family: String,
    /// Action name, e.g. `Reset`.
    pub name: String,
    /// Description lines.
    pub docs: Vec<String>,
    /// Parameters without the binding one.
    pub parameters: Vec<Prop>,
}

impl ResolvedAction {
    /// `Family.Name`.
    pub fn qualified(&self) -> String {
        format!("{}.{}", self.family, self.name)
    }
}

/// A generated complex or enum type.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedType {
    /// Where it is generated.
    pub key: TypeKey,
    /// Qualified name of the picked definition.
    pub qualified: String,
    /// Description lines.
    pub docs: Vec<String>,
    /// Struct or enum.
    pub shape: Shape,
}

/// The body of a generated type.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// A struct with flattened properties; `actions` lists `Family.Action`
    /// names bound to an `Actions` type.
    Struct {
        /// Flattened properties, root first.
        properties: Vec<Prop>,
        /// Bound actions (only on `Actions` types).
        actions: Vec<String>,
    },
    /// An enum: `(member, description lines)`.
    Enum(Vec<(String, Vec<String>)>),
}

/// A served entity.
#[derive(Debug, Clone, PartialEq)]
pub struct Entity {
    /// Family and entity name.
    pub key: TypeKey,
    /// Picked definition, e.g. `Task.v1_7_4.Task`.
    pub qualified: String,
    /// Description lines.
    pub docs: Vec<String>,
    /// Flattened properties, root first.
    pub properties: Vec<Prop>,
    /// Selected URI templates.
    pub uris: Vec<String>,
    /// Selected actions.
    pub actions: Vec<ResolvedAction>,
    /// `Capabilities.InsertRestrictions` allows POST.
    pub insertable: bool,
    /// `Capabilities.UpdateRestrictions` allows PATCH/PUT.
    pub updatable: bool,
    /// `Capabilities.DeleteRestrictions` allows DELETE.
    pub deletable: bool,
    /// Write methods the runtime serves (the selection's `methods`), each
    /// allowed by the schema, in [`WriteMethod::ALL`] order.
    pub served: Vec<WriteMethod>,
    /// Has a `Members` link array (a resource collection).
    pub is_collection: bool,
}

impl Entity {
    /// The schema's Capabilities annotations allow `method`.
    pub fn allows(&self, method: WriteMethod) -> bool {
        match method {
            WriteMethod::Post => self.insertable,
            WriteMethod::Put | WriteMethod::Patch => self.updatable,
            WriteMethod::Delete => self.deletable,
        }
    }

    /// The runtime serves `method` (so it is in `Allow`).
    pub fn serves(&self, method: WriteMethod) -> bool {
        self.served.contains(&method)
    }
}

/// Everything the emitters need.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// Served entities in selection order.
    pub entities: Vec<Entity>,
    /// Reachable complex and enum types.
    pub types: BTreeMap<TypeKey, NamedType>,
    /// Namespaces whose definitions were used.
    pub namespaces: BTreeSet<String>,
    /// Namespaces only referenced by links (targets of navigation).
    pub linked: BTreeSet<String>,
    /// The service's entity container, qualified.
    pub container: Option<String>,
    /// Non-schema paths.
    pub extras: Vec<ExtraPath>,
}

/// Resolves a selection.
///
/// # Errors
/// When a type, file, version, URI or action cannot be found.
pub fn resolve(csdl: &mut Csdl, selection: &Selection) -> Result<Model> {
    let mut caps = BTreeMap::new();
    for res in &selection.resources {
        if let Some(pin) = res.pin()? {
            caps.insert(res.schema.clone(), pin);
        }
    }
    let mut r = Resolver {
        csdl,
        caps,
        queue: Vec::new(),
        model: Model::empty(selection),
    };
    for res in &selection.resources {
        let entity = r.entity(res)?;
        r.model.entities.push(entity);
    }
    while let Some((key, def)) = r.queue.pop() {
        let (properties, actions) = r.structure(&def)?;
        if let Some(t) = r.model.types.get_mut(&key) {
            t.shape = Shape::Struct {
                properties,
                actions,
            };
        }
    }
    r.model.container = r.container();
    Ok(r.model)
}

impl Model {
    fn empty(selection: &Selection) -> Self {
        Model {
            entities: Vec::new(),
            types: BTreeMap::new(),
            namespaces: BTreeSet::new(),
            linked: BTreeSet::new(),
            container: None,
            extras: selection.extras.clone(),
        }
    }
}

struct Resolver<'a> {
    csdl: &'a mut Csdl,
    caps: BTreeMap<String, (u32, u32)>,
    queue: Vec<(TypeKey, TypeDef)>,
    model: Model,
}

/// Description lines: the short one, then the long one.
pub fn docs_of(a: &csdl::Annotations) -> Vec<String> {
    a.description
        .iter()
        .chain(&a.long_description)
        .cloned()
        .collect()
}

impl Resolver<'_> {
    fn allowed(&self, namespace: &str) -> bool {
        match (
            self.caps.get(csdl::family(namespace)),
            version_of(namespace),
        ) {
            (Some(&(major, minor)), Some((a, b, _))) => (a, b) <= (major, minor),
            _ => true,
        }
    }

    fn entity(&mut self, res: &SelectedResource) -> Result<Entity> {
        let def = self.pick_entity(res)?;
        let qualified = def.qualified();
        let chain = self.chain(&qualified)?;
        let first =
            |f: &dyn Fn(&TypeDef) -> Option<bool>| chain.iter().find_map(f).unwrap_or(false);
        let insertable = first(&|t| t.annotations.insertable);
        let updatable = first(&|t| t.annotations.updatable);
        let deletable = first(&|t| t.annotations.deletable);
        let listed: Vec<String> = chain
            .iter()
            .find(|t| !t.annotations.uris.is_empty())
            .map(|t| t.annotations.uris.clone())
            .unwrap_or_default();
        for uri in &res.uris {
            if !listed.contains(uri) {
                let msg = format!(
                    "URI {uri} is not listed in Redfish.Uris ({})",
                    listed.join(", ")
                );
                return Err(Error::new(msg)
                    .in_type(&qualified)
                    .in_file(&self.file(&def.namespace)));
            }
        }
        let properties = self.flatten(&chain)?;
        let is_collection = properties
            .iter()
            .any(|p| p.name == "Members" && p.collection && p.target == Target::Link);
        let mut actions = Vec::new();
        for name in &res.actions {
            actions.push(
                self.action(&res.schema, name)
                    .map_err(|e| e.in_type(&qualified))?,
            );
        }
        let mut entity = Entity {
            key: TypeKey {
                family: res.schema.clone(),
                name: def.name.clone(),
            },
            qualified,
            docs: chain
                .iter()
                .map(|t| docs_of(&t.annotations))
                .find(|d| !d.is_empty())
                .unwrap_or_default(),
            properties,
            uris: res.uris.clone(),
            actions,
            insertable,
            updatable,
            deletable,
            served: Vec::new(),
            is_collection,
        };
        entity.served = served_methods(res, &entity).map_err(|e| {
            e.in_type(&entity.qualified)
                .in_file(&self.file(&def.namespace))
        })?;
        Ok(entity)
    }

    fn file(&self, namespace: &str) -> String {
        self.csdl
            .file_of(namespace)
            .unwrap_or_else(|| format!("{}_v1.xml", csdl::family(namespace)))
    }

    fn pick_entity(&mut self, res: &SelectedResource) -> Result<TypeDef> {
        let family = res.schema.as_str();
        let name = res.entity_name();
        let file = self.file(family);
        self.csdl.load_file(&file)?;
        let pin = res.pin()?;
        let mut best: Option<(Option<Version>, TypeDef)> = None;
        for schema in self.csdl.family_schemas(family) {
            let Some(def) = schema.find(name).filter(|t| t.kind == Kind::Entity) else {
                continue;
            };
            let version = version_of(&schema.namespace);
            let fits = match (pin, version) {
                (Some((a, b)), Some((x, y, _))) => (a, b) == (x, y),
                (Some(_), None) => false,
                (None, Some((x, _, _))) => x == 1,
                (None, None) => true,
            };
            if fits && best.as_ref().is_none_or(|(v, _)| version > *v) {
                best = Some((version, def.clone()));
            }
        }
        let want = res
            .version
            .as_deref()
            .map_or(String::from("any v1 version"), |v| format!("version {v}"));
        best.map(|(_, def)| def).ok_or_else(|| {
            Error::new(format!("no entity type {name} in {want}"))
                .in_type(&format!("{family}.{name}"))
                .in_file(&self.file(family))
        })
    }

    /// The inheritance chain, most derived first.
    fn chain(&mut self, qualified: &str) -> Result<Vec<TypeDef>> {
        let mut out: Vec<TypeDef> = Vec::new();
        let mut next = Some(qualified.to_string());
        while let Some(name) = next {
            if out.len() > 64 {
                return Err(
                    Error::new("inheritance chain is too deep or cyclic").in_type(qualified)
                );
            }
            let def = self.csdl.lookup(&name).map_err(|e| e.in_type(qualified))?;
            self.model.namespaces.insert(def.namespace.clone());
            next = def.base.clone();
            out.push(def);
        }
        Ok(out)
    }

    fn flatten(&mut self, chain: &[TypeDef]) -> Result<Vec<Prop>> {
        let mut props: Vec<Prop> = Vec::new();
        for def in chain.iter().rev() {
            for p in &def.properties {
                let prop = self.property(p).map_err(|e| {
                    e.in_property(&p.name)
                        .in_type(&def.qualified())
                        .in_file(&self.file(&def.namespace))
                })?;
                match props.iter_mut().find(|q| q.name == prop.name) {
                    Some(slot) => *slot = prop,
                    None => props.push(prop),
                }
            }
        }
        Ok(props)
    }

    fn property(&mut self, p: &csdl::Property) -> Result<Prop> {
        let (collection, inner) = strip_collection(&p.type_text);
        let (target, enum_values) = if p.navigation {
            if let Some((ns, _)) = csdl::split_qualified(inner) {
                self.model.linked.insert(ns.to_string());
            }
            (Target::Link, Vec::new())
        } else {
            self.target(inner)?
        };
        let a = &p.annotations;
        Ok(Prop {
            name: p.name.clone(),
            type_text: p.type_text.clone(),
            nullable: p.nullable,
            read_only: matches!(a.permissions.as_deref(), None | Some("Read")),
            collection,
            required: a.required,
            minimum: a.minimum,
            maximum: a.maximum,
            docs: docs_of(a),
            target,
            enum_values,
        })
    }

    fn target(&mut self, text: &str) -> Result<(Target, Vec<String>)> {
        if let Some(edm) = text.strip_prefix("Edm.") {
            return Ok((Target::Edm(edm_kind(edm)), Vec::new()));
        }
        let def = self.csdl.lookup(text)?;
        self.model.namespaces.insert(def.namespace.clone());
        match def.kind {
            Kind::Definition => {
                let underlying = def.underlying.clone().unwrap_or_default();
                self.target(&underlying)
            }
            Kind::Entity => {
                self.model.linked.insert(def.namespace.clone());
                Ok((Target::Link, Vec::new()))
            }
            Kind::Enum => Ok(self.enumeration(&def)),
            Kind::Complex => self.complex(&def),
        }
    }

    fn enumeration(&mut self, def: &TypeDef) -> (Target, Vec<String>) {
        let key = TypeKey {
            family: csdl::family(&def.namespace).to_string(),
            name: def.name.clone(),
        };
        let members: Vec<(String, Vec<String>)> = def
            .members
            .iter()
            .map(|m| (m.name.clone(), docs_of(&m.annotations)))
            .collect();
        let values = members.iter().map(|(m, _)| m.clone()).collect();
        self.model
            .types
            .entry(key.clone())
            .or_insert_with(|| NamedType {
                key: key.clone(),
                qualified: def.qualified(),
                docs: docs_of(&def.annotations),
                shape: Shape::Enum(members),
            });
        (Target::Named(key), values)
    }

    fn complex(&mut self, referenced: &TypeDef) -> Result<(Target, Vec<String>)> {
        let def = self.newest_derived(referenced)?;
        let chain = self.chain(&def.qualified())?;
        let declared = chain.iter().map(|t| t.properties.len()).sum::<usize>();
        let open = def.is_abstract
            || (declared == 0 && def.annotations.additional_properties != Some(false));
        if open {
            return Ok((Target::Open, Vec::new()));
        }
        let key = TypeKey {
            family: csdl::family(&def.namespace).to_string(),
            name: def.name.clone(),
        };
        if !self.model.types.contains_key(&key) {
            let docs = chain
                .iter()
                .map(|t| docs_of(&t.annotations))
                .find(|d| !d.is_empty())
                .unwrap_or_default();
            let shape = Shape::Struct {
                properties: Vec::new(),
                actions: Vec::new(),
            };
            let named = NamedType {
                key: key.clone(),
                qualified: def.qualified(),
                docs,
                shape,
            };
            self.model.types.insert(key.clone(), named);
            self.queue.push((key.clone(), def));
        }
        Ok((Target::Named(key), Vec::new()))
    }

    /// The newest definition of the same name in the family that derives
    /// from `referenced` (or is it), within any version pin.
    fn newest_derived(&mut self, referenced: &TypeDef) -> Result<TypeDef> {
        let family = csdl::family(&referenced.namespace).to_string();
        let wanted = referenced.qualified();
        let candidates: Vec<TypeDef> = self
            .csdl
            .family_schemas(&family)
            .filter(|s| self.allowed(&s.namespace))
            .filter_map(|s| {
                s.find(&referenced.name)
                    .filter(|t| t.kind == referenced.kind)
                    .cloned()
            })
            .collect();
        let mut best = (version_of(&referenced.namespace), referenced.clone());
        for candidate in candidates {
            let version = version_of(&candidate.namespace);
            if version <= best.0 {
                continue;
            }
            let chain = self.chain(&candidate.qualified())?;
            if chain.iter().any(|t| t.qualified() == wanted) {
                best = (version, candidate);
            }
        }
        Ok(best.1)
    }

    fn structure(&mut self, def: &TypeDef) -> Result<(Vec<Prop>, Vec<String>)> {
        let chain = self.chain(&def.qualified())?;
        let properties = self.flatten(&chain)?;
        let actions = if def.name == "Actions" {
            self.bound_actions(&def.namespace)
        } else {
            Vec::new()
        };
        Ok((properties, actions))
    }

    /// Names (`Family.Action`) of actions bound to the family's `Actions`.
    fn bound_actions(&self, namespace: &str) -> Vec<String> {
        let family = csdl::family(namespace);
        let mut names = BTreeSet::new();
        for schema in self
            .csdl
            .family_schemas(family)
            .filter(|s| self.allowed(&s.namespace))
        {
            for action in schema.actions.iter().filter(|a| a.bound) {
                let Some(binding) = action.parameters.first() else {
                    continue;
                };
                let bound_here = csdl::split_qualified(&binding.type_text)
                    .is_some_and(|(ns, name)| name == "Actions" && csdl::family(ns) == family);
                if bound_here {
                    names.insert(format!("{family}.{}", action.name));
                }
            }
        }
        names.into_iter().collect()
    }

    fn action(&mut self, family: &str, name: &str) -> Result<ResolvedAction> {
        let found = self
            .csdl
            .family_schemas(family)
            .filter(|s| self.allowed(&s.namespace))
            .flat_map(|s| s.actions.iter())
            .filter(|a| a.bound && a.name == name)
            .max_by_key(|a| version_of(&a.namespace))
            .cloned()
            .ok_or_else(|| Error::new(format!("bound action {family}.{name} not found")))?;
        let mut parameters = Vec::new();
        for p in found.parameters.iter().skip(1) {
            let (collection, inner) = strip_collection(&p.type_text);
            let (target, enum_values) = self.target(inner).map_err(|e| e.in_property(&p.name))?;
            parameters.push(Prop {
                name: p.name.clone(),
                type_text: p.type_text.clone(),
                nullable: p.nullable,
                read_only: false,
                collection,
                required: !p.nullable || p.annotations.required,
                minimum: p.annotations.minimum,
                maximum: p.annotations.maximum,
                docs: docs_of(&p.annotations),
                target,
                enum_values,
            });
        }
        Ok(ResolvedAction {
            family: family.to_string(),
            name: name.to_string(),
            docs: docs_of(&found.annotations),
            parameters,
        })
    }

    /// The newest entity container in a served family, qualified.
    fn container(&self) -> Option<String> {
        let mut best: Option<(Option<Version>, String)> = None;
        for entity in &self.model.entities {
            for schema in self
                .csdl
                .family_schemas(&entity.key.family)
                .filter(|s| self.allowed(&s.namespace))
            {
                let Some(name) = &schema.container else {
                    continue;
                };
                let version = version_of(&schema.namespace);
                if best.as_ref().is_none_or(|(v, _)| version > *v) {
                    best = Some((version, format!("{}.{name}", schema.namespace)));
                }
            }
        }
        best.map(|(_, name)| name)
    }
}

/// The selection's `methods` for `entity`, in [`WriteMethod::ALL`] order.
///
/// # Errors
/// When one is not allowed by the entity's Capabilities annotations; the
/// message names the selection entry and the annotation.
fn served_methods(res: &SelectedResource, entity: &Entity) -> Result<Vec<WriteMethod>> {
    if let Some(&m) = res.methods.iter().find(|&&m| !entity.allows(m)) {
        let msg = format!(
            "selection entry [[resource]] schema = \"{}\" serves {}, \
             which the schema's {} does not allow",
            res.schema,
            m.as_str(),
            m.capability(),
        );
        return Err(Error::new(msg));
    }
    Ok(WriteMethod::ALL
        .into_iter()
        .filter(|m| res.methods.contains(m))
        .collect())
}

/// Splits `Collection(X)` into `(true, X)`.
pub fn strip_collection(text: &str) -> (bool, &str) {
    match text
        .strip_prefix("Collection(")
        .and_then(|t| t.strip_suffix(')'))
    {
        Some(inner) => (true, inner),
        None => (false, text),
    }
}

fn edm_kind(name: &str) -> Edm {
    match name {
        "String" | "Guid" | "DateTimeOffset" | "Duration" | "Date" | "TimeOfDay" => Edm::String,
        "Boolean" => Edm::Boolean,
        "Int64" | "Int32" | "Int16" | "Byte" | "SByte" => Edm::Integer,
        "Decimal" | "Double" | "Single" => Edm::Number,
        _ => Edm::Any,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_of_parses_versioned_namespaces_only() {
        assert_eq!(version_of("Task.v1_7_4"), Some((1, 7, 4)));
        assert_eq!(version_of("Resource.v1_10_0"), Some((1, 10, 0)));
        assert_eq!(version_of("Task"), None);
        assert_eq!(version_of("Task.vX"), None);
    }

    #[test]
    fn strip_collection_unwraps_once() {
        assert_eq!(
            strip_collection("Collection(Message.Message)"),
            (true, "Message.Message")
        );
        assert_eq!(strip_collection("Edm.String"), (false, "Edm.String"));
    }
}
