//! Stage 4: emit `routes.rs`: the route table, an allocation-free path
//! matcher, one handler trait per served resource and a generic `dispatch`.
//!
//! A resource's methods are GET, HEAD and the write methods its selection
//! entry serves (`methods`, each allowed by the schema's Capabilities
//! annotations). The default handler of a method that is not served
//! answers 405 with that list; a served one the runtime has not yet
//! overridden answers 501.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::naming::{field_ident, type_ident};
use super::resolve::{Edm, Entity, Model, Prop, Shape, Target};
use super::selection::WriteMethod;

/// Most path captures a template may have.
pub const MAX_PARAMS: usize = 4;

/// Renders `routes.rs` (without header).
pub fn emit(model: &Model) -> TokenStream {
    let common = common_items();
    let consts = model.entities.iter().map(|e| entity_consts(model, e));
    let routes = model.entities.iter().flat_map(route_entries);
    let extras = model.extras.iter().map(|x| {
        let (path, summary) = (&x.path, &x.summary);
        let methods = x.methods.iter().map(|m| method_variant(m));
        quote! { ExtraPath { template: #path, summary: #summary, methods: &[#(Method::#methods),*] } }
    });
    let variants = model.entities.iter().map(|e| {
        let ident = type_ident(&e.key.name);
        let doc = format!(" `{}` ({}).", e.key.name, e.qualified);
        quote! { #[doc = #doc] #ident, }
    });
    let names = model.entities.iter().map(|e| {
        let (ident, name) = (type_ident(&e.key.name), &e.key.name);
        quote! { Resource::#ident => #name, }
    });
    let traits = model.entities.iter().map(handler_trait);
    let dispatch = dispatch(model);
    quote! {
        #common

        /// A served resource type.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Resource {
            #(#variants)*
        }

        impl Resource {
            /// The entity type name.
            pub fn name(self) -> &'static str {
                match self { #(#names)* }
            }
        }

        #(#consts)*

        /// Every served URI template, in selection order.
        pub static ROUTES: &[Route] = &[#(#routes),*];

        /// Paths served by hand-written code, listed in the OpenAPI document.
        pub static EXTRA_PATHS: &[ExtraPath] = &[#(#extras),*];

        #(#traits)*

        #dispatch
    }
}

fn method_variant(upper: &str) -> proc_macro2::Ident {
    let mut name = upper.to_ascii_lowercase();
    if let Some(first) = name.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    format_ident!("{}", name)
}

fn upper(e: &Entity) -> String {
    super::naming::snake(&e.key.name).to_ascii_uppercase()
}

fn entity_consts(model: &Model, e: &Entity) -> TokenStream {
    let methods_const = format_ident!("{}_METHODS", upper(e));
    let actions_const = format_ident!("{}_ACTIONS", upper(e));
    let mut methods = vec![quote!(Method::Get), quote!(Method::Head)];
    for m in e.served.iter().map(|m| method_variant(m.as_str())) {
        methods.push(quote!(Method::#m));
    }
    let actions = e.actions.iter().map(|a| {
        let name = a.qualified();
        let params = a.parameters.iter().map(|p| {
            let (pname, required, kind) = (&p.name, p.required, param_kind(model, p));
            quote! { Parameter { name: #pname, required: #required, kind: #kind } }
        });
        quote! { Action { name: #name, parameters: &[#(#params),*] } }
    });
    let mdoc = format!(" Methods served on `{}`: its `Allow` header.", e.key.name);
    let adoc = format!(" Actions served on `{}`.", e.key.name);
    quote! {
        #[doc = #mdoc]
        pub const #methods_const: &[Method] = &[#(#methods),*];
        #[doc = #adoc]
        pub const #actions_const: &[Action] = &[#(#actions),*];
    }
}

fn param_kind(model: &Model, p: &Prop) -> TokenStream {
    if p.collection {
        return quote!(ParamKind::Other);
    }
    match &p.target {
        Target::Edm(Edm::String) => quote!(ParamKind::String),
        Target::Edm(Edm::Boolean) => quote!(ParamKind::Boolean),
        Target::Edm(Edm::Integer) => quote!(ParamKind::Integer),
        Target::Edm(Edm::Number) => quote!(ParamKind::Number),
        Target::Named(key) => match model.types.get(key).map(|t| &t.shape) {
            Some(Shape::Enum(members)) => {
                let names = members.iter().map(|(m, _)| m);
                quote!(ParamKind::Enum(&[#(#names),*]))
            }
            _ => quote!(ParamKind::Other),
        },
        _ => quote!(ParamKind::Other),
    }
}

fn route_entries(e: &Entity) -> Vec<TokenStream> {
    let ident = type_ident(&e.key.name);
    let methods = format_ident!("{}_METHODS", upper(e));
    let actions = format_ident!("{}_ACTIONS", upper(e));
    let odata_type = format!("#{}", e.qualified);
    e.uris
        .iter()
        .map(|uri| {
            quote! {
                Route {
                    resource: Resource::#ident,
                    template: #uri,
                    odata_type: #odata_type,
                    methods: #methods,
                    actions: #actions,
                }
            }
        })
        .collect()
}

fn handler_trait(e: &Entity) -> TokenStream {
    let name = format_ident!("{}Handler", type_ident(&e.key.name));
    let snake = field_ident(&e.key.name);
    let methods_const = format_ident!("{}_METHODS", upper(e));
    let get = format_ident!("get_{}", snake);
    let get_doc = format!(
        " Answers GET (and HEAD) on `{}`; 501 until implemented.",
        e.key.name
    );
    let writes = WriteMethod::ALL.into_iter().map(|m| {
        let f = format_ident!("{}_{}", m.as_str().to_ascii_lowercase(), snake);
        let (verb, name) = (m.as_str(), &e.key.name);
        let (doc, body) = if e.serves(m) {
            (
                format!(" Answers {verb} on `{name}`; 501 until implemented."),
                quote!(Err(crate::http::ApiError::not_implemented())),
            )
        } else {
            let why = if e.allows(m) {
                "allowed by the schema but not served"
            } else {
                "not allowed by the schema"
            };
            (
                format!(" {verb} on `{name}` is {why}: 405."),
                quote!(Err(crate::http::ApiError::method_not_allowed(#methods_const))),
            )
        };
        handler_fn(&f, &doc, &body)
    });
    let actions = e.actions.iter().map(|a| {
        let f = format_ident!("action_{}", field_ident(&format!("{}{}", a.family, a.name)));
        let doc = format!(
            " Answers POST to the `{}` action; 501 until implemented.",
            a.qualified()
        );
        handler_fn(
            &f,
            &doc,
            &quote!(Err(crate::http::ApiError::not_implemented())),
        )
    });
    let get_fn = handler_fn(
        &get,
        &get_doc,
        &quote!(Err(crate::http::ApiError::not_implemented())),
    );
    let doc = format!(" Handlers for `{}` ({}).", e.key.name, e.qualified);
    quote! {
        #[doc = #doc]
        pub trait #name: Send + Sync {
            #get_fn
            #(#writes)*
            #(#actions)*
        }
    }
}

fn handler_fn(f: &proc_macro2::Ident, doc: &str, body: &TokenStream) -> TokenStream {
    quote! {
        #[doc = #doc]
        fn #f(
            &self,
            _req: crate::http::Request,
        ) -> impl std::future::Future<Output = crate::http::Reply> + Send {
            async move { #body }
        }
    }
}

fn dispatch(model: &Model) -> TokenStream {
    let bounds = model
        .entities
        .iter()
        .map(|e| format_ident!("{}Handler", type_ident(&e.key.name)));
    let mut arms = Vec::new();
    let mut action_arms = Vec::new();
    for e in &model.entities {
        let resource = type_ident(&e.key.name);
        let snake = field_ident(&e.key.name);
        let get = format_ident!("get_{}", snake);
        arms.push(
            quote! { (Resource::#resource, Method::Get | Method::Head) => svc.#get(req).await, },
        );
        for m in WriteMethod::ALL {
            let f = format_ident!("{}_{}", m.as_str().to_ascii_lowercase(), snake);
            let variant = method_variant(m.as_str());
            arms.push(quote! { (Resource::#resource, Method::#variant) => svc.#f(req).await, });
        }
        for a in &e.actions {
            let f = format_ident!("action_{}", field_ident(&format!("{}{}", a.family, a.name)));
            let name = a.qualified();
            action_arms.push(quote! { (Resource::#resource, #name) => svc.#f(req).await, });
        }
    }
    quote! {
        /// Methods an action URI accepts.
        pub const ACTION_METHODS: &[Method] = &[Method::Post];

        /// Calls the handler for a matched path and the request's method.
        ///
        /// HEAD calls the GET handler (the runtime drops the body). An action
        /// URI accepts only POST. `Target::UnknownAction` answers 501; the
        /// runtime is expected to answer it (404) before dispatching.
        pub async fn dispatch<S>(
            svc: &S,
            m: &Matched<'_>,
            req: crate::http::Request,
        ) -> crate::http::Reply
        where
            S: #(#bounds)+*,
        {
            match m.target {
                Target::Resource => match (m.route.resource, req.method) {
                    #(#arms)*
                },
                Target::Action(action) => {
                    if req.method != Method::Post {
                        return Err(crate::http::ApiError::method_not_allowed(ACTION_METHODS));
                    }
                    match (m.route.resource, action.name) {
                        #(#action_arms)*
                        _ => Err(crate::http::ApiError::not_implemented()),
                    }
                }
                Target::UnknownAction => Err(crate::http::ApiError::not_implemented()),
            }
        }
    }
}

fn common_items() -> TokenStream {
    let max = MAX_PARAMS;
    quote! {
        /// An HTTP method the service routes.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Method {
            /// GET.
            Get,
            /// HEAD.
            Head,
            /// POST.
            Post,
            /// PUT.
            Put,
            /// PATCH.
            Patch,
            /// DELETE.
            Delete,
        }

        impl Method {
            /// Every method.
            pub const ALL: &'static [Method] =
                &[Method::Get, Method::Head, Method::Post, Method::Put, Method::Patch, Method::Delete];

            /// The method as it appears on the wire.
            pub fn as_str(self) -> &'static str {
                match self {
                    Method::Get => "GET",
                    Method::Head => "HEAD",
                    Method::Post => "POST",
                    Method::Put => "PUT",
                    Method::Patch => "PATCH",
                    Method::Delete => "DELETE",
                }
            }

            /// The method named `name` (upper case), if routed.
            pub fn from_name(name: &str) -> Option<Self> {
                Method::ALL.iter().copied().find(|m| m.as_str() == name)
            }
        }

        /// One served URI template of a resource.
        #[derive(Debug)]
        pub struct Route {
            /// The resource served.
            pub resource: Resource,
            /// URI template, `{Name}` per captured segment.
            pub template: &'static str,
            /// `@odata.type` of the resource.
            pub odata_type: &'static str,
            /// Methods served (the `Allow` header): GET and HEAD, plus the
            /// write methods the selection serves.
            pub methods: &'static [Method],
            /// Actions served under `{template}/Actions/`.
            pub actions: &'static [Action],
        }

        /// A bound action.
        #[derive(Debug)]
        pub struct Action {
            /// `Family.Name`, e.g. `ComputerSystem.Reset`.
            pub name: &'static str,
            /// Parameters, without the binding parameter.
            pub parameters: &'static [Parameter],
        }

        /// An action parameter.
        #[derive(Debug)]
        pub struct Parameter {
            /// JSON name.
            pub name: &'static str,
            /// The request must carry it.
            pub required: bool,
            /// Accepted values.
            pub kind: ParamKind,
        }

        /// What an action parameter accepts.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum ParamKind {
            /// A JSON string.
            String,
            /// A JSON boolean.
            Boolean,
            /// A JSON integer.
            Integer,
            /// A JSON number.
            Number,
            /// One of these strings.
            Enum(&'static [&'static str]),
            /// Anything else (objects, arrays, links).
            Other,
        }

        /// A path served by hand-written code.
        #[derive(Debug)]
        pub struct ExtraPath {
            /// URI template.
            pub template: &'static str,
            /// What it serves.
            pub summary: &'static str,
            /// Methods allowed.
            pub methods: &'static [Method],
        }

        /// Path segments captured by `{Name}` template segments, in order.
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        pub struct Params<'a> {
            values: [&'a str; #max],
            len: usize,
        }

        impl<'a> Params<'a> {
            /// The `i`-th captured segment.
            pub fn get(&self, i: usize) -> Option<&'a str> {
                self.values[..self.len].get(i).copied()
            }

            /// Number of captured segments.
            pub fn len(&self) -> usize {
                self.len
            }

            /// No segment was captured.
            pub fn is_empty(&self) -> bool {
                self.len == 0
            }

            fn push(&mut self, value: &'a str) -> bool {
                match self.values.get_mut(self.len) {
                    Some(slot) => {
                        *slot = value;
                        self.len += 1;
                        true
                    }
                    None => false,
                }
            }
        }

        /// What a matched path addresses.
        #[derive(Debug, Clone, Copy)]
        pub enum Target {
            /// The resource itself.
            Resource,
            /// One of the route's actions.
            Action(&'static Action),
            /// `{template}/Actions/{name}` with a name the route does not serve.
            UnknownAction,
        }

        /// A path matched against [`ROUTES`].
        #[derive(Debug, Clone, Copy)]
        pub struct Matched<'a> {
            /// The route.
            pub route: &'static Route,
            /// Captured segments.
            pub params: Params<'a>,
            /// Resource or action.
            pub target: Target,
        }

        /// Matches a path (without query) against [`ROUTES`]; a trailing `/`
        /// is tolerated. Literal segments win over captures.
        pub fn match_path(path: &str) -> Option<Matched<'_>> {
            let path = match path.strip_suffix('/') {
                Some(trimmed) if !trimmed.is_empty() => trimmed,
                _ => path,
            };
            let mut best: Option<Matched<'_>> = None;
            for m in ROUTES.iter().filter_map(|route| match_route(route, path)) {
                if best.as_ref().is_none_or(|b| m.params.len() < b.params.len()) {
                    best = Some(m);
                }
            }
            best
        }

        fn match_route<'a>(route: &'static Route, path: &'a str) -> Option<Matched<'a>> {
            let mut params = Params::default();
            let mut template = route.template.split('/');
            let mut segments = path.split('/');
            loop {
                match (template.next(), segments.next()) {
                    (None, None) => {
                        return Some(Matched { route, params, target: Target::Resource });
                    }
                    (None, Some("Actions")) => {
                        let name = segments.next()?;
                        if segments.next().is_some() {
                            return None;
                        }
                        let target = route
                            .actions
                            .iter()
                            .find(|a| a.name == name)
                            .map_or(Target::UnknownAction, Target::Action);
                        return Some(Matched { route, params, target });
                    }
                    (Some(t), Some(s)) if t.starts_with('{') => {
                        if s.is_empty() || !params.push(s) {
                            return None;
                        }
                    }
                    (Some(t), Some(s)) if t == s => {}
                    _ => return None,
                }
            }
        }
    }
}
