//! Stage 1: parse CSDL files into a neutral model.
//!
//! Files are loaded lazily. A namespace is looked up in the
//! `edmx:Reference` elements of the files already loaded
//! (`http://redfish.dmtf.org/schemas/v1/X_v1.xml` becomes `X_v1.xml` in
//! the schema directory); OASIS vocabularies are not Redfish schemas and
//! are ignored. Only the annotations the emitters need are kept.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use roxmltree::{Document as Xml, Node};

use super::error::{Error, Result};

/// Message prefix of the error for a schema file that does not exist.
pub const MISSING_FILE: &str = "no schema file";

/// The annotations the generator understands.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Annotations {
    /// `OData.Description`.
    pub description: Option<String>,
    /// `OData.LongDescription`.
    pub long_description: Option<String>,
    /// `OData.Permissions` member name (`Read`, `ReadWrite`, `Write`).
    pub permissions: Option<String>,
    /// `Validation.Minimum`.
    pub minimum: Option<i64>,
    /// `Validation.Maximum`.
    pub maximum: Option<i64>,
    /// `Redfish.Required` is present.
    pub required: bool,
    /// `Redfish.Uris`.
    pub uris: Vec<String>,
    /// `Capabilities.InsertRestrictions/Insertable`.
    pub insertable: Option<bool>,
    /// `Capabilities.UpdateRestrictions/Updatable`.
    pub updatable: Option<bool>,
    /// `Capabilities.DeleteRestrictions/Deletable`.
    pub deletable: Option<bool>,
    /// `OData.AdditionalProperties`.
    pub additional_properties: Option<bool>,
}

/// A structural or navigation property.
#[derive(Debug, Clone, PartialEq)]
pub struct Property {
    /// Property name.
    pub name: String,
    /// The `Type` attribute verbatim.
    pub type_text: String,
    /// `Nullable`, which defaults to true.
    pub nullable: bool,
    /// Declared as `NavigationProperty`.
    pub navigation: bool,
    /// Annotations on the property.
    pub annotations: Annotations,
}

/// What a named type is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `EntityType`.
    Entity,
    /// `ComplexType`.
    Complex,
    /// `EnumType`.
    Enum,
    /// `TypeDefinition`.
    Definition,
}

/// An enum member.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    /// Member name.
    pub name: String,
    /// Annotations on the member.
    pub annotations: Annotations,
}

/// A named type of any kind.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeDef {
    /// Namespace holding the definition.
    pub namespace: String,
    /// Simple name.
    pub name: String,
    /// Kind of type.
    pub kind: Kind,
    /// `BaseType`, qualified.
    pub base: Option<String>,
    /// `Abstract="true"`.
    pub is_abstract: bool,
    /// `UnderlyingType` of a type definition.
    pub underlying: Option<String>,
    /// Properties declared here (not inherited ones).
    pub properties: Vec<Property>,
    /// Enum members.
    pub members: Vec<Member>,
    /// Annotations on the type.
    pub annotations: Annotations,
}

impl TypeDef {
    /// `Namespace.Name`.
    pub fn qualified(&self) -> String {
        format!("{}.{}", self.namespace, self.name)
    }
}

/// An action parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    /// Parameter name.
    pub name: String,
    /// The `Type` attribute verbatim.
    pub type_text: String,
    /// `Nullable`, which defaults to true.
    pub nullable: bool,
    /// Annotations on the parameter.
    pub annotations: Annotations,
}

/// An action; for a bound action the first parameter is the binding one.
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    /// Namespace holding the action.
    pub namespace: String,
    /// Action name.
    pub name: String,
    /// `IsBound="true"`.
    pub bound: bool,
    /// Parameters, binding parameter first.
    pub parameters: Vec<Parameter>,
    /// Annotations on the action.
    pub annotations: Annotations,
}

/// One `Schema` element.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    /// Namespace.
    pub namespace: String,
    /// File the schema came from.
    pub file: String,
    /// Named types.
    pub types: Vec<TypeDef>,
    /// Actions.
    pub actions: Vec<Action>,
    /// Name of the `EntityContainer`, if the schema has one.
    pub container: Option<String>,
}

impl Schema {
    /// The type called `name`, if defined here.
    pub fn find(&self, name: &str) -> Option<&TypeDef> {
        self.types.iter().find(|t| t.name == name)
    }
}

/// One `edmx:Reference` to another Redfish schema file.
#[derive(Debug, Clone, PartialEq)]
pub struct Reference {
    /// File name in the schema directory.
    pub file: String,
    /// Namespaces it includes.
    pub namespaces: Vec<String>,
}

/// A parsed CSDL file.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// File name (no directory).
    pub file: String,
    /// Absolute path it was read from.
    pub path: PathBuf,
    /// References to other Redfish schema files.
    pub references: Vec<Reference>,
    /// Schemas defined in the file.
    pub schemas: Vec<Schema>,
}

/// All loaded CSDL, with lazy loading by namespace.
#[derive(Debug, Default)]
pub struct Csdl {
    dirs: Vec<PathBuf>,
    docs: BTreeMap<String, Document>,
    schemas: BTreeMap<String, (String, usize)>,
    known: BTreeMap<String, String>,
}

/// The `family` of a namespace: `Task.v1_7_4` -> `Task`.
pub fn family(namespace: &str) -> &str {
    namespace.split('.').next().unwrap_or(namespace)
}

/// Splits `Ns.Name` at the last dot.
pub fn split_qualified(qualified: &str) -> Option<(&str, &str)> {
    qualified.rsplit_once('.')
}

impl Csdl {
    /// An empty set that looks for files in `dirs`, first match wins.
    pub fn new(dirs: Vec<PathBuf>) -> Self {
        Csdl {
            dirs,
            ..Csdl::default()
        }
    }

    /// Loaded documents by file name.
    pub fn documents(&self) -> &BTreeMap<String, Document> {
        &self.docs
    }

    /// The schema for `namespace`, if its file is loaded.
    pub fn schema(&self, namespace: &str) -> Option<&Schema> {
        let (file, index) = self.schemas.get(namespace)?;
        self.docs.get(file)?.schemas.get(*index)
    }

    /// Every loaded schema of a family (`Task`, `Task.v1_0_0`, ...).
    pub fn family_schemas<'a>(&'a self, family: &'a str) -> impl Iterator<Item = &'a Schema> {
        let dotted = format!("{family}.");
        self.schemas
            .range(family.to_string()..)
            .take_while(move |(ns, _)| ns.as_str() == family || ns.starts_with(&dotted))
            .filter_map(|(ns, _)| self.schema(ns))
    }

    /// Looks a qualified type up, loading its file when needed.
    ///
    /// # Errors
    /// When the file cannot be found or parsed, or the type is missing.
    pub fn lookup(&mut self, qualified: &str) -> Result<TypeDef> {
        let (ns, name) = split_qualified(qualified)
            .ok_or_else(|| Error::new(format!("`{qualified}` is not a qualified type name")))?;
        self.ensure_namespace(ns)?;
        let schema = self
            .schema(ns)
            .ok_or_else(|| Error::new(format!("namespace {ns} not found")))?;
        schema.find(name).cloned().ok_or_else(|| {
            Error::new(format!(
                "type {qualified} is not defined in {}",
                schema.file
            ))
        })
    }

    /// Makes sure the file defining `namespace` is loaded.
    ///
    /// # Errors
    /// When no file defines it or the file is not valid CSDL.
    pub fn ensure_namespace(&mut self, namespace: &str) -> Result<()> {
        if self.schemas.contains_key(namespace) {
            return Ok(());
        }
        let file = self
            .known
            .get(namespace)
            .cloned()
            .unwrap_or_else(|| format!("{}_v1.xml", family(namespace)));
        self.load_file(&file)?;
        if self.schemas.contains_key(namespace) {
            Ok(())
        } else {
            Err(Error::new(format!(
                "namespace {namespace} is not defined in {file}"
            )))
        }
    }

    /// A file of that name is loaded or present in one of the directories.
    pub fn has_file(&self, file: &str) -> bool {
        self.docs.contains_key(file) || self.dirs.iter().any(|d| d.join(file).is_file())
    }

    /// Loads one file by name from the first directory holding it.
    ///
    /// # Errors
    /// When no directory holds it or it is not valid CSDL.
    pub fn load_file(&mut self, file: &str) -> Result<()> {
        if self.docs.contains_key(file) {
            return Ok(());
        }
        let path = self
            .dirs
            .iter()
            .map(|d| d.join(file))
            .find(|p| p.is_file())
            .ok_or_else(|| {
                let dirs: Vec<_> = self.dirs.iter().map(|d| d.display().to_string()).collect();
                Error::new(format!("{MISSING_FILE} {file} in {}", dirs.join(", ")))
            })?;
        self.add(parse_file(&path)?);
        Ok(())
    }

    /// Adds an already parsed document.
    pub fn add(&mut self, doc: Document) {
        for reference in &doc.references {
            for ns in &reference.namespaces {
                self.known
                    .entry(ns.clone())
                    .or_insert_with(|| reference.file.clone());
            }
        }
        for (index, schema) in doc.schemas.iter().enumerate() {
            self.schemas
                .insert(schema.namespace.clone(), (doc.file.clone(), index));
        }
        self.docs.insert(doc.file.clone(), doc);
    }

    /// The file a namespace lives in, as far as loaded references tell.
    pub fn file_of(&self, namespace: &str) -> Option<String> {
        if let Some((file, _)) = self.schemas.get(namespace) {
            return Some(file.clone());
        }
        self.known.get(namespace).cloned()
    }
}

/// Parses one CSDL file.
///
/// # Errors
/// When the file cannot be read or is not well-formed CSDL.
pub fn parse_file(path: &Path) -> Result<Document> {
    let file = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::new(format!("cannot read {}: {e}", path.display())).in_file(&file))?;
    let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    parse_text(&file, path, &text)
}

/// Parses CSDL text read from `file`.
///
/// # Errors
/// When the text is not well-formed CSDL.
pub fn parse_text(file: &str, path: PathBuf, text: &str) -> Result<Document> {
    let xml =
        Xml::parse(text).map_err(|e| Error::new(format!("invalid XML: {e}")).in_file(file))?;
    let root = xml.root_element();
    if root.tag_name().name() != "Edmx" {
        return Err(Error::new("root element is not edmx:Edmx").in_file(file));
    }
    let mut doc = Document {
        file: file.to_string(),
        path,
        references: Vec::new(),
        schemas: Vec::new(),
    };
    for child in root.children().filter(Node::is_element) {
        match child.tag_name().name() {
            "Reference" => doc.references.extend(parse_reference(child)),
            "DataServices" => {
                for schema in children(child, "Schema") {
                    doc.schemas.push(parse_schema(file, schema)?);
                }
            }
            _ => {}
        }
    }
    Ok(doc)
}

fn children<'a, 'i>(node: Node<'a, 'i>, name: &'static str) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children()
        .filter(move |c| c.is_element() && c.tag_name().name() == name)
}

fn parse_reference(node: Node) -> Option<Reference> {
    let uri = node.attribute("Uri")?;
    if !uri.contains("redfish.dmtf.org") && uri.contains("://") {
        return None;
    }
    let file = uri.rsplit('/').next()?.to_string();
    let namespaces = children(node, "Include")
        .filter_map(|i| i.attribute("Namespace").map(str::to_string))
        .collect();
    Some(Reference { file, namespaces })
}

fn required_attr<'a>(node: Node<'a, '_>, name: &str) -> Result<&'a str> {
    node.attribute(name).ok_or_else(|| {
        let pos = node.document().text_pos_at(node.range().start);
        Error::new(format!(
            "<{}> at line {} has no {name} attribute",
            node.tag_name().name(),
            pos.row
        ))
    })
}

fn parse_schema(file: &str, node: Node) -> Result<Schema> {
    let namespace = required_attr(node, "Namespace")
        .map_err(|e| e.in_file(file))?
        .to_string();
    let mut schema = Schema {
        namespace: namespace.clone(),
        file: file.to_string(),
        types: Vec::new(),
        actions: Vec::new(),
        container: None,
    };
    for child in node.children().filter(Node::is_element) {
        let kind = match child.tag_name().name() {
            "EntityType" => Kind::Entity,
            "ComplexType" => Kind::Complex,
            "EnumType" => Kind::Enum,
            "TypeDefinition" => Kind::Definition,
            "Action" => {
                let action = parse_action(&namespace, child).map_err(|e| e.in_file(file))?;
                schema.actions.push(action);
                continue;
            }
            "EntityContainer" => {
                schema.container = child.attribute("Name").map(str::to_string);
                continue;
            }
            _ => continue,
        };
        let def = parse_type(&namespace, kind, child).map_err(|e| e.in_file(file))?;
        schema.types.push(def);
    }
    Ok(schema)
}

fn parse_type(namespace: &str, kind: Kind, node: Node) -> Result<TypeDef> {
    let name = required_attr(node, "Name")
        .map_err(|e| e.in_type(namespace))?
        .to_string();
    let qualified = format!("{namespace}.{name}");
    let mut def = TypeDef {
        namespace: namespace.to_string(),
        name,
        kind,
        base: node.attribute("BaseType").map(str::to_string),
        is_abstract: node.attribute("Abstract") == Some("true"),
        underlying: node.attribute("UnderlyingType").map(str::to_string),
        properties: Vec::new(),
        members: Vec::new(),
        annotations: parse_annotations(node).map_err(|e| e.in_type(&qualified))?,
    };
    for child in node.children().filter(Node::is_element) {
        let tag = child.tag_name().name();
        if tag == "Property" || tag == "NavigationProperty" {
            let property = parse_property(child, tag == "NavigationProperty")
                .map_err(|e| e.in_type(&qualified))?;
            def.properties.push(property);
        } else if tag == "Member" {
            let name = required_attr(child, "Name").map_err(|e| e.in_type(&qualified))?;
            let annotations =
                parse_annotations(child).map_err(|e| e.in_type(&qualified).in_property(name))?;
            def.members.push(Member {
                name: name.to_string(),
                annotations,
            });
        }
    }
    if kind == Kind::Definition && def.underlying.is_none() {
        return Err(Error::new("type definition has no UnderlyingType").in_type(&qualified));
    }
    Ok(def)
}

fn parse_property(node: Node, navigation: bool) -> Result<Property> {
    let name = required_attr(node, "Name")?;
    let type_text = required_attr(node, "Type").map_err(|e| e.in_property(name))?;
    Ok(Property {
        name: name.to_string(),
        type_text: type_text.to_string(),
        nullable: node.attribute("Nullable") != Some("false"),
        navigation,
        annotations: parse_annotations(node).map_err(|e| e.in_property(name))?,
    })
}

fn parse_action(namespace: &str, node: Node) -> Result<Action> {
    let name = required_attr(node, "Name").map_err(|e| e.in_type(namespace))?;
    let qualified = format!("{namespace}.{name}");
    let mut parameters = Vec::new();
    for child in children(node, "Parameter") {
        let param = required_attr(child, "Name").map_err(|e| e.in_type(&qualified))?;
        let type_text =
            required_attr(child, "Type").map_err(|e| e.in_type(&qualified).in_property(param))?;
        parameters.push(Parameter {
            name: param.to_string(),
            type_text: type_text.to_string(),
            nullable: child.attribute("Nullable") != Some("false"),
            annotations: parse_annotations(child)
                .map_err(|e| e.in_type(&qualified).in_property(param))?,
        });
    }
    Ok(Action {
        namespace: namespace.to_string(),
        name: name.to_string(),
        bound: node.attribute("IsBound") == Some("true"),
        parameters,
        annotations: parse_annotations(node).map_err(|e| e.in_type(&qualified))?,
    })
}

fn parse_annotations(node: Node) -> Result<Annotations> {
    let mut out = Annotations::default();
    for a in children(node, "Annotation") {
        let term = a.attribute("Term").unwrap_or_default();
        let string = || a.attribute("String").map(str::to_string);
        match term {
            "OData.Description" => out.description = string(),
            "OData.LongDescription" => out.long_description = string(),
            "OData.Permissions" => {
                let member = a.attribute("EnumMember").unwrap_or_default();
                out.permissions = member.rsplit('/').next().map(str::to_string);
            }
            "Validation.Minimum" => out.minimum = int_value(a, term)?,
            "Validation.Maximum" => out.maximum = int_value(a, term)?,
            "Redfish.Required" => out.required = true,
            "Redfish.Uris" => {
                for c in children(a, "Collection") {
                    out.uris.extend(
                        children(c, "String")
                            .filter_map(|s| s.text())
                            .map(str::to_string),
                    );
                }
            }
            "Capabilities.InsertRestrictions" => out.insertable = record_bool(a, "Insertable"),
            "Capabilities.UpdateRestrictions" => out.updatable = record_bool(a, "Updatable"),
            "Capabilities.DeleteRestrictions" => out.deletable = record_bool(a, "Deletable"),
            "OData.AdditionalProperties" => {
                out.additional_properties = Some(a.attribute("Bool") != Some("false"))
            }
            _ => {}
        }
    }
    Ok(out)
}

fn int_value(node: Node, term: &str) -> Result<Option<i64>> {
    let Some(text) = node.attribute("Int") else {
        return Ok(None);
    };
    text.parse()
        .map(Some)
        .map_err(|_| Error::new(format!("{term} value `{text}` is not an integer")))
}

fn record_bool(node: Node, property: &str) -> Option<bool> {
    children(node, "Record")
        .flat_map(|r| children(r, "PropertyValue"))
        .find(|p| p.attribute("Property") == Some(property))
        .and_then(|p| p.attribute("Bool"))
        .map(|b| b == "true")
}
