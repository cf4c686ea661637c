//! Rust names for CSDL names: modules and fields in snake_case, types and
//! variants kept as DMTF spells them, made valid identifiers when needed.

use proc_macro2::{Ident, Span};

const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "Self", "static", "struct", "super", "trait", "true", "try", "type",
    "typeof", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// `ComputerSystem` -> `computer_system`, `IPv6Address` -> `i_pv6_address`.
pub fn snake(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            out.push('_');
            continue;
        }
        if c.is_ascii_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(char::is_ascii_lowercase);
            let boundary = prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_lower);
            if boundary && !out.ends_with('_') {
                out.push('_');
            }
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// A valid identifier close to `name`: invalid characters become `_`,
/// a leading digit gets a `_` prefix and keywords a `_` suffix.
pub fn ident_text(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    if KEYWORDS.contains(&out.as_str()) {
        out.push('_');
    }
    out
}

/// An identifier for a type or variant name, kept as spelled.
pub fn type_ident(name: &str) -> Ident {
    Ident::new(&ident_text(name), Span::call_site())
}

/// An identifier for a field or function: snake_case.
pub fn field_ident(name: &str) -> Ident {
    Ident::new(&ident_text(&snake(name)), Span::call_site())
}

/// The module holding a family's types.
pub fn module_ident(family: &str) -> Ident {
    field_ident(family)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_splits_words_and_acronyms() {
        assert_eq!(snake("ComputerSystem"), "computer_system");
        assert_eq!(snake("TaskService"), "task_service");
        assert_eq!(snake("IPv6Address"), "i_pv6_address");
        assert_eq!(snake("HTTPPort"), "http_port");
        assert_eq!(snake("Id"), "id");
    }

    #[test]
    fn idents_avoid_keywords_and_digits() {
        assert_eq!(ident_text("type"), "type_");
        assert_eq!(ident_text("1GB"), "_1GB");
        assert_eq!(ident_text("A.B"), "A_B");
    }
}
