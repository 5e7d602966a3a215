//! Drawings of a workflow for people: Mermaid (pastes into Markdown) and Graphviz dot.

use super::def::WorkflowDef;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GraphFormat {
    Mermaid,
    Dot,
}

fn roles(a: &super::def::ActionDef) -> String {
    a.roles
        .iter()
        .map(|r| r.key())
        .collect::<Vec<_>>()
        .join(",")
}

/// Where an action leads from `from`: an action that stays (`to = "."`) loops.
fn target<'a>(a: &'a super::def::ActionDef, from: &'a str) -> &'a str {
    if a.to == super::def::STAY {
        from
    } else {
        &a.to
    }
}

pub fn render(def: &WorkflowDef, format: GraphFormat) -> String {
    let mut out = String::new();
    match format {
        GraphFormat::Mermaid => {
            out.push_str(&format!(
                "---\ntitle: {} ({})\n---\nstateDiagram-v2\n",
                def.title, def.key
            ));
            for s in &def.states {
                out.push_str(&format!("    {}: {} {}\n", s.name, s.label, s.name));
            }
            out.push_str(&format!("    [*] --> {}\n", def.start));
            for a in &def.actions {
                for f in &a.from {
                    out.push_str(&format!(
                        "    {f} --> {}: {} [{}]\n",
                        target(a, f),
                        a.name,
                        roles(a)
                    ));
                }
            }
            for s in def.states.iter().filter(|s| s.end) {
                out.push_str(&format!("    {} --> [*]\n", s.name));
            }
        }
        GraphFormat::Dot => {
            out.push_str(&format!(
                "digraph \"{}\" {{\n    label=\"{}\";\n    rankdir=LR;\n",
                def.key, def.title
            ));
            for s in &def.states {
                let shape = if s.end {
                    "doublecircle"
                } else if s.name == def.start {
                    "box"
                } else {
                    "ellipse"
                };
                let dl = s
                    .deadline
                    .as_ref()
                    .map(|d| format!("\\n{} {} {:?}", d.name, d.amount, d.unit))
                    .unwrap_or_default();
                out.push_str(&format!(
                    "    {} [label=\"{}\\n{}{}\", shape={shape}];\n",
                    s.name, s.label, s.name, dl
                ));
            }
            for a in &def.actions {
                for f in &a.from {
                    out.push_str(&format!(
                        "    {f} -> {} [label=\"{}\\n[{}]\"];\n",
                        target(a, f),
                        a.name,
                        roles(a)
                    ));
                }
            }
            out.push_str("}\n");
        }
    }
    out
}
