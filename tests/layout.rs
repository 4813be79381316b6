//! The layout is the architecture: each layer of `src/` imports only the layers below it
//! (see the crate docs), so the modules form no cycle. Read from the sources, test code
//! excluded.

use std::path::Path;

/// Lowest first; a module may import only modules before it in this list.
const LAYERS: &[&str] = &[
    "ports",
    "http",
    "error",
    "util",
    "store",
    "credentials",
    "config",
    "api",
    "adapters",
];

fn layer_of(path: &Path, src: &Path) -> String {
    let rel = path.strip_prefix(src).unwrap();
    let first = rel.components().next().unwrap().as_os_str();
    first.to_string_lossy().trim_end_matches(".rs").to_owned()
}

fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn each_layer_imports_only_the_layers_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut wrong = Vec::new();
    for file in files {
        let layer = layer_of(&file, &src);
        if layer == "lib" || layer == "testing" {
            continue;
        }
        let own = LAYERS
            .iter()
            .position(|l| *l == layer)
            .unwrap_or_else(|| panic!("{} is in no layer: add it to LAYERS", file.display()));
        let text = std::fs::read_to_string(&file).unwrap();
        // Unit tests may reach anywhere; they start at the test module.
        let code = text.split("#[cfg(test)]\nmod tests").next().unwrap();
        for (i, _) in code.match_indices("crate::") {
            let name: String = code[i + 7..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if let Some(other) = LAYERS.iter().position(|l| *l == name) {
                if other > own {
                    wrong.push(format!("{} ({layer}) imports {name}", file.display()));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layers:\n{}",
        wrong.join("\n")
    );
}
