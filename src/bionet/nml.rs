//! NeuroML2 cell descriptions (`model_template 'nml:<file>.cell.nml'`), applied as bmtk 1.2.0's
//! NMLLoad applies them: only the biophysics are read (the morphology comes from the SWC, with the
//! perisomatic axon stub); every element names a segment group (soma, axon, dend, apic or all) and
//! sets, per section type: resistivity -> Ra, specificCapacitance -> cm, a `pas` channelDensity ->
//! g_pas and e_pas, other channel densities -> `<id>` = condDensity (and ena / ek from erev for
//! sodium and potassium channels), a concentrationModel -> gamma_<type> and decay_<type>.
//! Values are in NEURON's units; the unit text after the number is not converted.

use std::path::Path;

use super::cell::{set_attr, Biophysics, SectionProps};
use super::mechanisms::lookup_index;
use super::mechanisms::user::UserMechs;
use crate::error::{Error, Result};

const NS: &str = "http://www.neuroml.org/schema/neuroml2";

fn sections(path: &Path, group: &str, line: u32) -> Result<Vec<usize>> {
    Ok(match group.to_ascii_lowercase().as_str() {
        "all" => vec![1, 2, 3, 4],
        "soma" | "somatic" => vec![1],
        "axon" | "axonal" => vec![2],
        "dend" | "basal" | "dendritic" => vec![3],
        "apic" | "apical" => vec![4],
        other => {
            return Err(Error::format(
                path,
                format!(
                    "line {line}: segmentGroup '{other}' is not one of soma, axon, dend, apic, all"
                ),
            ))
        }
    })
}

/// `"0.98 S_per_cm2"` -> 0.98 (BMTK reads the number before the unit).
fn number(path: &Path, line: u32, attr: &str, text: &str) -> Result<f64> {
    let first = text.split(' ').next().unwrap_or("");
    first.parse::<f64>().map_err(|_| {
        Error::format(
            path,
            format!("line {line}: attribute {attr}=\"{text}\" is not a number"),
        )
    })
}

impl Biophysics {
    pub fn from_nml_file(path: &Path, user: &UserMechs) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::file(path, e))?;
        let doc = roxmltree::Document::parse(&text)
            .map_err(|e| Error::format(path, format!("not valid XML: {e}")))?;
        let mut props: [SectionProps; 5] = Default::default();
        let mut found = false;
        for node in doc.descendants().filter(|n| n.is_element()) {
            let tag = node.tag_name();
            if tag.namespace().is_some_and(|ns| ns != NS) {
                continue;
            }
            let name = tag.name();
            let known = matches!(
                name,
                "resistivity"
                    | "specificCapacitance"
                    | "channelDensity"
                    | "channelDensityNernst"
                    | "concentrationModel"
            );
            if !known {
                continue;
            }
            found = true;
            let line = doc.text_pos_at(node.range().start).row;
            let attr = |a: &str| -> Result<&str> {
                node.attribute(a).ok_or_else(|| {
                    Error::format(
                        path,
                        format!("line {line}: <{name}> lacks the attribute '{a}'"),
                    )
                })
            };
            let num = |a: &str| -> Result<f64> { number(path, line, a, attr(a)?) };
            let id = node.attribute("id").unwrap_or(name);
            let group = attr("segmentGroup")?;
            for k in sections(path, group, line)? {
                let p = &mut props[k];
                let bad = |e: String| {
                    Error::format(path, format!("line {line} (<{name} id=\"{id}\">): {e}"))
                };
                match name {
                    "resistivity" => p.ra = num("value")?,
                    "specificCapacitance" => p.cm = num("value")?,
                    "concentrationModel" => {
                        let kind = attr("type")?;
                        insert(p, id, user).map_err(bad)?;
                        set_attr(p, &format!("gamma_{kind}"), num("gamma")?, user).map_err(bad)?;
                        set_attr(p, &format!("decay_{kind}"), num("decay")?, user).map_err(bad)?;
                    }
                    _ => {
                        let channel = attr("ionChannel")?;
                        let g = num("condDensity")?;
                        if channel == "pas" {
                            insert(p, "pas", user).map_err(bad)?;
                            set_attr(p, "g_pas", g, user).map_err(bad)?;
                            set_attr(p, "e_pas", num("erev")?, user).map_err(bad)?;
                        } else {
                            insert(p, channel, user).map_err(bad)?;
                            set_attr(p, id, g, user).map_err(bad)?;
                            let erev = node.attribute("erev").map(|_| num("erev")).transpose()?;
                            match (attr("ion")?, erev) {
                                ("na", Some(e)) => p.ena = Some(e),
                                ("k", Some(e)) => p.ek = Some(e),
                                _ => {}
                            }
                        }
                    }
                }
            }
        }
        if !found {
            return Err(Error::format(
                path,
                "no biophysical properties (channelDensity, resistivity, specificCapacitance) found",
            ));
        }
        Ok(Biophysics {
            props,
            celsius: None,
            v_init: None,
        })
    }
}

fn insert(
    p: &mut SectionProps,
    mechanism: &str,
    user: &UserMechs,
) -> std::result::Result<(), String> {
    let reg = lookup_index(mechanism, user).map_err(|e| e.to_string())?;
    p.insert(reg);
    Ok(())
}
