//! Build script: runs the generator in `src/codegen` over the DMTF CSDL
//! and `schemas/selection.toml`, writing `model.rs`, `routes.rs`,
//! `metadata.xml`, `schema_files.rs` and `openapi.yaml` into OUT_DIR.
//!
//! The schema directory is `TASKFISH_SCHEMA_DIR` (relative to the manifest
//! directory) or the CSDL bundled with `nv-redfish-schema`. Failures print
//! an error naming the schema file, type and property, and exit 1.

#[allow(dead_code)]
#[path = "src/codegen/mod.rs"]
mod codegen;

use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-env-changed=TASKFISH_SCHEMA_DIR");
    println!("cargo:rerun-if-changed=schemas");
    println!("cargo:rerun-if-changed=src/codegen");
    if let Err(message) = build() {
        println!("cargo:warning=error: {message}");
        eprintln!("error: {message}");
        std::process::exit(1);
    }
}

fn build() -> Result<(), String> {
    let manifest = PathBuf::from(env("CARGO_MANIFEST_DIR")?);
    let out_dir = PathBuf::from(env("OUT_DIR")?);
    let schema_dir = match std::env::var_os("TASKFISH_SCHEMA_DIR") {
        Some(dir) => manifest.join(dir),
        None => PathBuf::from(nv_redfish_schema::REDFISH_CSDL_DIR),
    };
    let config = codegen::Config {
        label: schema_dir.display().to_string(),
        schema_dir,
        project_dir: Some(manifest.join("schemas")),
        selection: manifest.join("schemas/selection.toml"),
    };
    let inputs = codegen::run(&config, &out_dir).map_err(|e| e.to_string())?;
    for input in inputs {
        rerun_if_changed(&input);
    }
    Ok(())
}

fn env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|e| format!("environment variable {name}: {e}"))
}

fn rerun_if_changed(path: &Path) {
    println!("cargo:rerun-if-changed={}", path.display());
}
