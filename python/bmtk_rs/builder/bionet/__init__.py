"""Synapse placement helpers of the network builder (``bmtk.builder.bionet``), on bmtk-rs's own
morphology: no NEURON needed."""

from .swc_reader import SWCReader, get_swc

__all__ = ["SWCReader", "get_swc", "rand_syn_locations"]


def rand_syn_locations(src, trg, sections=("soma", "apical", "basal"), distance_range=(0.0, 1.0e20),
                       morphology_dir="./components/morphologies", return_coords=False, dL=None):
    """An add_properties rule: one synapse site on the target's morphology, drawn among the segments
    of `sections` that overlap `distance_range` (um of path from the soma) with probability
    proportional to the overlapping length.

    Returns [section id, section x, SWC id, fraction towards the next SWC point], followed by the
    site's x, y, z (placed cell) when `return_coords`.

    The draw uses numpy's global generator, so ``np.random.seed`` before building makes the sites
    reproducible (bmtk 1.2.0 draws from an unseeded generator of its own: its sites differ run to
    run, while its candidates and their probabilities are the same as here)."""
    swc = get_swc(trg, morphology_dir=morphology_dir, use_cache=True, dL=dL)
    sec_ids, seg_xs = swc.choose_sections(sections, distance_range, n_sections=1)
    sec_id, seg_x = sec_ids[0], seg_xs[0]
    swc_id, swc_dist = swc.get_swc_id(sec_id, seg_x)
    if return_coords:
        x, y, z = swc.get_coords(sec_id, seg_x)
        return [sec_id, seg_x, swc_id, swc_dist, x, y, z]
    return [sec_id, seg_x, swc_id, swc_dist]
