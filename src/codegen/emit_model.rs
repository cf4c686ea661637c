//! Stage 3: emit `model.rs`, one module per schema family with serde
//! structs for entities and complex types and enums with their members.
//!
//! Every field is an `Option` skipped when `None`; nullable properties wrap
//! their value in `support::Nullable`, links are `support::ODataId` and open
//! objects JSON maps. Each struct also carries `PROPERTIES`, the schema facts
//! (type text, nullability, bounds, enum values) the runtime checks against.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::TokenStream;
use quote::quote;

use super::naming::{field_ident, module_ident, type_ident};
use super::resolve::{Edm, Entity, Model, NamedType, Prop, Shape, Target};

/// Renders the whole model as Rust source (without header).
pub fn emit(model: &Model) -> TokenStream {
    let mut families: BTreeSet<&str> = model.types.keys().map(|k| k.family.as_str()).collect();
    families.extend(model.entities.iter().map(|e| e.key.family.as_str()));
    let mut by_family: BTreeMap<&str, Vec<TokenStream>> = BTreeMap::new();
    for entity in &model.entities {
        by_family
            .entry(&entity.key.family)
            .or_default()
            .push(entity_struct(entity));
    }
    for named in model.types.values() {
        by_family
            .entry(&named.key.family)
            .or_default()
            .push(named_type(named));
    }
    let modules = families.into_iter().map(|family| {
        let module = module_ident(family);
        let doc = format!(" Types of the `{family}` schema family.");
        let items = by_family.remove(family).unwrap_or_default();
        quote! {
            #[doc = #doc]
            #[allow(
                non_camel_case_types,
                non_snake_case,
                clippy::doc_markdown,
                clippy::doc_lazy_continuation,
                clippy::too_long_first_doc_paragraph,
                clippy::enum_variant_names,
                clippy::upper_case_acronyms,
                clippy::struct_excessive_bools,
                clippy::large_enum_variant
            )]
            pub mod #module {
                #(#items)*
            }
        }
    });
    quote! { #(#modules)* }
}

/// `#[doc]` attributes for description lines, or a fallback line.
pub fn doc_attrs(docs: &[String], fallback: &str) -> TokenStream {
    if docs.is_empty() {
        let line = format!(" {fallback}");
        return quote! { #[doc = #line] };
    }
    let mut lines = Vec::new();
    for (i, doc) in docs.iter().enumerate() {
        if i > 0 {
            lines.push(String::new());
        }
        lines.extend(doc.lines().map(|l| format!(" {l}")));
    }
    quote! { #(#[doc = #lines])* }
}

fn entity_struct(entity: &Entity) -> TokenStream {
    let name = type_ident(&entity.key.name);
    let docs = doc_attrs(
        &entity.docs,
        &format!("The `{}` resource.", entity.key.name),
    );
    let odata = odata_fields();
    let mut fields = Vec::new();
    for prop in &entity.properties {
        fields.push(field(prop, &entity.key.family));
        if entity.is_collection && prop.name == "Members" {
            fields.push(quote! {
                /// Number of members in the collection.
                #[serde(rename = "Members@odata.count", skip_serializing_if = "Option::is_none")]
                pub members_odata_count: Option<i64>,
            });
        }
    }
    let odata_type = format!("#{}", entity.qualified);
    let infos = property_infos(&entity.properties);
    quote! {
        #docs
        #[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
        pub struct #name {
            #odata
            #(#fields)*
        }

        impl #name {
            /// The `@odata.type` of this resource.
            pub const ODATA_TYPE: &'static str = #odata_type;
            /// Schema facts for each property, in schema order.
            pub const PROPERTIES: &'static [super::support::PropertyInfo] = &[#(#infos),*];
        }
    }
}

fn odata_fields() -> TokenStream {
    quote! {
        /// The URI of this resource.
        #[serde(rename = "@odata.id", skip_serializing_if = "Option::is_none")]
        pub odata_id: Option<String>,
        /// The type of this resource.
        #[serde(rename = "@odata.type", skip_serializing_if = "Option::is_none")]
        pub odata_type: Option<String>,
        /// The ETag of this resource.
        #[serde(rename = "@odata.etag", skip_serializing_if = "Option::is_none")]
        pub odata_etag: Option<String>,
        /// The OData context of this resource.
        #[serde(rename = "@odata.context", skip_serializing_if = "Option::is_none")]
        pub odata_context: Option<String>,
    }
}

fn named_type(named: &NamedType) -> TokenStream {
    match &named.shape {
        Shape::Struct {
            properties,
            actions,
        } => complex_struct(named, properties, actions),
        Shape::Enum(members) => enumeration(named, members),
    }
}

fn complex_struct(named: &NamedType, properties: &[Prop], actions: &[String]) -> TokenStream {
    let name = type_ident(&named.key.name);
    let docs = doc_attrs(&named.docs, &format!("The `{}` object.", named.key.name));
    let action_fields = actions.iter().map(|action| {
        let rename = format!("#{action}");
        let ident = field_ident(&action.replace('.', ""));
        let doc = format!(" The `{action}` action.");
        quote! {
            #[doc = #doc]
            #[serde(rename = #rename, skip_serializing_if = "Option::is_none")]
            pub #ident: Option<super::support::ActionTarget>,
        }
    });
    let fields = properties.iter().map(|p| field(p, &named.key.family));
    let infos = property_infos(properties);
    quote! {
        #docs
        #[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
        pub struct #name {
            #(#action_fields)*
            #(#fields)*
        }

        impl #name {
            /// Schema facts for each property, in schema order.
            pub const PROPERTIES: &'static [super::support::PropertyInfo] = &[#(#infos),*];
        }
    }
}

/// The Rust type of a property's value, without the outer `Option`.
pub fn value_type(prop: &Prop, family: &str) -> TokenStream {
    let base = match &prop.target {
        Target::Edm(Edm::String) => quote!(String),
        Target::Edm(Edm::Boolean) => quote!(bool),
        Target::Edm(Edm::Integer) => quote!(i64),
        Target::Edm(Edm::Number) => quote!(f64),
        Target::Edm(Edm::Any) => quote!(serde_json::Value),
        Target::Open => quote!(serde_json::Map<String, serde_json::Value>),
        Target::Link => quote!(super::support::ODataId),
        Target::Named(key) => {
            let name = type_ident(&key.name);
            if key.family == family {
                quote!(#name)
            } else {
                let module = module_ident(&key.family);
                quote!(super::#module::#name)
            }
        }
    };
    if prop.collection {
        quote!(Vec<#base>)
    } else if prop.nullable {
        quote!(super::support::Nullable<#base>)
    } else {
        base
    }
}

fn field(prop: &Prop, family: &str) -> TokenStream {
    let ident = field_ident(&prop.name);
    let ty = value_type(prop, family);
    let docs = doc_attrs(&prop.docs, &format!("The `{}` property.", prop.name));
    let rename = &prop.name;
    let serde = if prop.nullable && !prop.collection {
        quote! {
            #[serde(
                rename = #rename,
                default,
                skip_serializing_if = "Option::is_none",
                deserialize_with = "super::support::deserialize_nullable"
            )]
        }
    } else {
        quote! { #[serde(rename = #rename, skip_serializing_if = "Option::is_none")] }
    };
    quote! {
        #docs
        #serde
        pub #ident: Option<#ty>,
    }
}

fn option_tokens(value: Option<i64>) -> TokenStream {
    match value {
        Some(v) => quote!(Some(#v)),
        None => quote!(None),
    }
}

fn property_infos(properties: &[Prop]) -> Vec<TokenStream> {
    properties
        .iter()
        .map(|p| {
            let (name, edm_type) = (&p.name, &p.type_text);
            let (nullable, read_only, collection) = (p.nullable, p.read_only, p.collection);
            let (minimum, maximum) = (option_tokens(p.minimum), option_tokens(p.maximum));
            let values = &p.enum_values;
            quote! {
                super::support::PropertyInfo {
                    name: #name,
                    edm_type: #edm_type,
                    nullable: #nullable,
                    read_only: #read_only,
                    collection: #collection,
                    minimum: #minimum,
                    maximum: #maximum,
                    enum_values: &[#(#values),*],
                }
            }
        })
        .collect()
}

fn enumeration(named: &NamedType, members: &[(String, Vec<String>)]) -> TokenStream {
    let name = type_ident(&named.key.name);
    let docs = doc_attrs(
        &named.docs,
        &format!("The `{}` enumeration.", named.key.name),
    );
    let idents: Vec<_> = members.iter().map(|(m, _)| type_ident(m)).collect();
    let texts: Vec<_> = members.iter().map(|(m, _)| m.as_str()).collect();
    let variants = members
        .iter()
        .zip(&idents)
        .map(|((member, member_docs), ident)| {
            let doc = doc_attrs(member_docs, &format!("The `{member}` value."));
            quote! {
                #doc
                #[serde(rename = #member)]
                #ident,
            }
        });
    quote! {
        #docs
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum #name {
            #(#variants)*
        }

        impl #name {
            /// Every member, in schema order.
            pub const ALL: &'static [Self] = &[#(Self::#idents),*];

            /// The member name as it appears in JSON.
            pub fn as_str(self) -> &'static str {
                match self {
                    #(Self::#idents => #texts,)*
                }
            }

            /// The member with this exact name.
            pub fn from_name(name: &str) -> Option<Self> {
                match name {
                    #(#texts => Some(Self::#idents),)*
                    _ => None,
                }
            }
        }
    }
}
