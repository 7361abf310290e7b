"""The BioNet network (``bmtk.simulator.bionet.BioNetwork``): the SONATA nodes and edges of a
configuration, read through the Rust reader and handed to the engine as arrays.

Cell and edge tables stay numpy/pandas columns; Python touches single edges only to call a user
``weight_function``. Every cell has BMTK's gid (population offsets in the order the populations
are read, each population taking max(node_id) + 1 ids); the gid is also the seed of the cell's
synapse-placement stream, as in BMTK.
"""

import copy
import math

import numpy as np
import pandas as pd

from .. import _mpi
from ..circuit import (  # noqa: F401  (the node/edge classes are re-exported under their old home)
    _EDGE_KEY_BITS,
    _NOKEY,
    SonataCircuit,
    _EdgePopulation,
    _EdgeProps,
    _literal,
    _missing,
    _Node,
    _Population,
)
from . import pyfunction_cache as pfc
from .config import ConfigError
from .gap_junctions import GapJunctionBuilder, gap_mask, runs

_SUPPORTED_TEMPLATES = "'ctdb:Biophys1.hoc' (with a model_processing), 'nml:<file>.cell.nml' and 'nrn:IntFire1'"


# model_processing values that set no biophysics (bmtk's set_extracellular)
_BARE_PROCESSING = ("extracellular", "set_extracellular")


class _CellNode:
    """The node a user cell function receives: its properties (``cell['x']``, ``cell.node_id``) and,
    as bmtk's adaptor has it, ``cell.morphology_file`` (the SWC's full path)."""

    def __init__(self, node, morphology_file):
        self._node = node
        self.morphology_file = morphology_file

    def __getitem__(self, key):
        return self._node[key]

    def __contains__(self, key):
        return key in self._node

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._node, name)


def last_name(procs, cell_fn):
    """The user function that last touched a cell (named in errors about the cell it left)."""
    return procs[-1][0] if procs else cell_fn[0]


class WeightFunctionError(RuntimeError):
    """A user weight_function raised or returned a non-number (the original error is chained)."""


class BioNetwork(SonataCircuit):
    """Nodes and edges of a BioNet simulation."""

    logger_name = "bmtk_rs.bionet"

    def __init__(self):
        super().__init__()
        # (edge population, edge indices, target gids, weights, sec ids, sec x) of every synapse made,
        # kept only when a save_synapses report asks for them
        self.made_synapses = None

    # ---- building the engine -------------------------------------------------------------------
    def local_cells(self, population):
        """Node ids of this rank's non-virtual cells (BMTK's round-robin split per population)."""
        pop = self.populations[population]
        rank, size = _mpi.rank(), _mpi.size()
        ids = pop.node_ids[rank::size]
        mt = pop.model_type[rank::size]
        return ids[mt != "virtual"]

    def build_nodes(self, engine):
        """Adds every cell to the engine: biophysical models (one per distinct model), IntFire1
        cells, remote cells of other ranks; virtual cells are added with their inputs."""
        self._local = {}
        self._local_mask = {}
        models = {}
        dL = self._config.dL
        self.n_local_bio = 0
        for name, pop in self.populations.items():
            local = set(self.local_cells(name).tolist())
            self._local[name] = local
            mask = np.zeros(pop.n_ids, dtype=bool)
            mask[np.fromiter(local, dtype=np.int64, count=len(local))] = True
            self._local_mask[name] = mask
            t = pop.table
            mt = pop.model_type
            remote = [n for n, m in zip(pop.node_ids, mt) if m != "virtual" and int(n) not in local]
            if remote:
                engine.add_remote(self.gids(name, remote).astype(np.uint32))
            bad = sorted(set(mt) - {"biophysical", "virtual", "point_process", "point_neuron"})
            if bad:
                raise ConfigError(f"{pop.nodes_file}: population {name} has model_type {bad}; bmtk-rs BioNet "
                                  "supports biophysical, point_process/point_neuron (nrn:IntFire1) and virtual")
            sel = np.array([int(n) in local for n in pop.node_ids], dtype=bool)
            bio = sel & (mt == "biophysical")
            if bio.any():
                cols = ["model_template", "morphology", "dynamics_params", "model_processing"]
                for c in cols:
                    if c not in t.columns:
                        t[c] = pd.NA
                keyed = t.loc[bio, ["node_id"] + cols].copy()
                for key, rows in keyed.groupby(cols, dropna=False, sort=False):
                    user_fns = self._user_cell_functions(name, key, int(rows["node_id"].iloc[0]))
                    if user_fns is not None:
                        # bmtk calls a user function per cell with that cell's node: so does bmtk-rs
                        for nid in rows["node_id"].to_numpy():
                            mid = self._add_user_model(engine, name, key, int(nid), dL, user_fns)
                            gid = self.gids(name, np.array([nid]))
                            engine.add_biophysical(gid.astype(np.uint32), mid, gid.astype(np.uint64))
                        self.n_local_bio += len(rows)
                        continue
                    mid = models.get(key)
                    if mid is None:
                        mid = self._add_model(engine, name, key, int(rows["node_id"].iloc[0]), dL)
                        models[key] = mid
                    ids = rows["node_id"].to_numpy()
                    engine.add_biophysical(self.gids(name, ids).astype(np.uint32), mid,
                                           self.gids(name, ids).astype(np.uint64))
                    self.n_local_bio += len(ids)
            pp = sel & np.isin(mt, ["point_process", "point_neuron"])
            if pp.any() and "model_template" in t.columns:
                pp = self._add_artificial_cells(engine, name, pop, pp)
            if pp.any():
                taus, refr = [], []
                for _, row in t.loc[pp].iterrows():
                    tmpl = row.get("model_template")
                    if tmpl != "nrn:IntFire1":
                        raise ConfigError(f"{pop.nodes_file}: node {row['node_id']} of {name}: point cells need "
                                          f"model_template 'nrn:IntFire1' or 'nrn:<NAME>' naming an ARTIFICIAL_CELL "
                                          f"of the config's mechanisms_dir, got {tmpl!r}")
                    params = self._component_json("point_neuron_models_dir", row["dynamics_params"],
                                                  f"node {row['node_id']} of {name}")
                    for k in ("tau", "refrac"):
                        if k not in params:
                            raise ConfigError(f"IntFire1 parameters {row['dynamics_params']}: missing '{k}' (seconds)")
                    taus.append(float(params["tau"]) * 1000.0)
                    refr.append(float(params["refrac"]) * 1000.0)
                ids = t.loc[pp, "node_id"].to_numpy()
                engine.add_intfire1(self.gids(name, ids).astype(np.uint32), np.array(taus), np.array(refr))
        # gids of node ids a population does not use are silent sources
        used = np.zeros(self.n_gids, dtype=bool)
        for name, pop in self.populations.items():
            used[self.gids(name, pop.node_ids)] = True
        self._virtual_trains = {}
        self._unused_gids = np.flatnonzero(~used)

    def _add_model(self, engine, pop, key, node_id, dL):
        template, morphology, dyn, processing = key
        what = f"population {pop} node {node_id}"
        if _missing(template):
            raise ConfigError(f"{what}: biophysical cell without model_template (supported: {_SUPPORTED_TEMPLATES})")
        if _missing(morphology):
            raise ConfigError(f"{what}: biophysical cell without a morphology")
        swc = self._component_path("morphologies_dir", morphology, what)
        if template.startswith("nml:"):
            fit = self._component_path("biophysical_neuron_models_dir", template[4:], what)
            proc = "aibs_perisomatic"
        elif template in ("ctdb:Biophys1.hoc", "ctdb:Biophys1"):
            if _missing(dyn):
                raise ConfigError(f"{what}: model_template {template} needs dynamics_params (a fit json)")
            fit = self._component_path("biophysical_neuron_models_dir", dyn, what)
            if _missing(processing):
                raise ConfigError(f"{what}: model_template {template} needs model_processing "
                                  "(aibs_perisomatic, aibs_allactive, ..._directed)")
            proc = str(processing)
        else:
            raise ConfigError(f"{what}: unknown model_template {template!r}; supported: {_SUPPORTED_TEMPLATES}")
        try:
            return engine.add_model(swc, fit, proc, dL)
        except ValueError as e:
            for name, reason in (getattr(self, "unrunnable_mechanisms", None) or {}).items():
                if f"mechanism '{name}'" in str(e):
                    raise ConfigError(f"{what}: {fit} needs mechanism {name}, whose file cannot run: {reason}") \
                        from None
            raise ConfigError(f"{what}: {e}") from None

    # ---- cells built by user functions (cell_object.py) -----------------------------------------
    def _user_cell_functions(self, pop, key, node_id):
        """(cell-model function or None, [(name, processor)]) when a user function builds or
        processes the cells of `key`; None when the engine builds them natively."""
        template, morphology, dyn, processing = key
        what = f"population {pop} node {node_id}"
        cell_fn = None
        if not _missing(template):
            t = str(template)
            directive = t.split(":", 1)[0]
            for name in (t, directive):
                fn = pfc.user_function("cell model", name)
                if fn is not None:
                    cell_fn = (name, fn)
                    break
        parts = [] if _missing(processing) else [x.strip() for x in str(processing).split(",") if x.strip()]
        procs, user = [], cell_fn is not None
        for part in parts:
            fn = None if part in pfc.NATIVE_PROCESSING else pfc.user_function("model processing", part)
            user = user or fn is not None
            procs.append((part, fn))
        # 'extracellular' alone: bmtk builds the morphology with no membrane mechanisms (NEURON's
        # defaults: cm 1, Ra 35.4); the native builder wants an Allen fit, the cell object does not
        bare = bool(parts) and cell_fn is None and all(p in _BARE_PROCESSING for p in parts)
        if not user and not bare:
            return None
        from .default_setters.cell_models import PROCESSORS

        out = []
        for part, fn in procs:
            if fn is None:
                fn = PROCESSORS.get(part)
                if fn is None:
                    known = ", ".join(PROCESSORS)
                    raise ConfigError(f"{what}: model_processing '{part}' cannot run together with a user function "
                                      f"in bmtk-rs (with one, these run on the Python cell object: {known})")
            out.append((part, fn))
        return cell_fn, out

    def _add_user_model(self, engine, pop, key, node_id, dL, fns):
        from . import cell_object as co

        cell_fn, procs = fns
        template, morphology, dyn, _ = key
        what = f"population {pop} node {node_id}"
        if _missing(morphology):
            raise ConfigError(f"{what}: biophysical cell without a morphology")
        swc = self._component_path("morphologies_dir", morphology, what)
        params = None
        if not _missing(dyn):
            params = copy.deepcopy(self._component_json("biophysical_neuron_models_dir", dyn, what))
        node = _CellNode(self.populations[pop].node(node_id), swc)
        info = engine.mechanism_info
        cache = self.__dict__.setdefault("_swc_sections_cache", {})

        def sections_of(path):
            if path not in cache:
                try:
                    cache[path] = co.swc_sections(path)
                except (ValueError, OSError) as e:
                    raise ConfigError(f"{what}: {e}") from None
            return cache[path]

        def call(name, fn, args):
            try:
                return co.run_user_function(fn, name, what, args, info, sections_of)
            except (co.NeuronOnlyError, co.CellEditError, ConfigError):
                raise
            except Exception as e:
                raise ConfigError(f"{what}: user function '{name}' failed: {type(e).__name__}: {e}") from e

        if cell_fn is not None:
            name, fn = cell_fn
            tname = str(template).split(":", 1)[-1]
            hobj = call(name, fn, (node, tname, params))
        elif str(template) in ("ctdb:Biophys1.hoc", "ctdb:Biophys1"):
            hobj = co.Cell(copy.deepcopy(sections_of(swc)), info)
        else:
            raise ConfigError(f"{what}: model_template {template!r} with a user model_processing: bmtk-rs builds "
                              "such cells from 'ctdb:Biophys1.hoc' or from a user cell-model function")
        for name, fn in procs:
            if not isinstance(hobj, co.Cell):
                break
            hobj = call(name, fn, (hobj, node, params))
        if not isinstance(hobj, co.Cell):
            last = procs[-1][0] if procs else cell_fn[0]
            raise ConfigError(f"{what}: user function '{last}' returned {hobj!r}, not the cell object it was given "
                              "(bmtk uses the returned hoc object as the cell)")
        try:
            sections = co.run_user_function(hobj.sections_for_engine, last_name(procs, cell_fn), what, (), info,
                                            sections_of)
            return engine.add_described_model(sections, hobj._define_shape, dL)
        except ValueError as e:
            if isinstance(e, (co.CellEditError, ConfigError)):
                raise
            raise ConfigError(f"{what}: the cell left by user function '{last_name(procs, cell_fn)}': {e}") from None

    def _syn_params(self, names, what):
        """tau1, tau2, erev per dynamics_params file name."""
        out = {}
        for n in names:
            if _missing(n):
                raise ConfigError(f"{what}: edges to biophysical cells need dynamics_params (an exp2syn json)")
            p = self._component_json("synaptic_models_dir", n, what)
            for k in ("tau1", "tau2", "erev"):
                if k not in p:
                    raise ConfigError(f"{what}: synaptic model {n} lacks '{k}'")
            out[n] = (float(p["tau1"]), float(p["tau2"]), float(p["erev"]))
        return out

    def _weights(self, ep, idx, swap=False):
        """syn_weight of the edges `idx`, through each edge type's weight_function (called with the
        source and target nodes exchanged when `swap`, as bmtk does for a gap junction's source half)."""
        lacking = ~ep.groups_having("weight_function", "syn_weight")[idx]
        if lacking.any():
            j = idx[np.flatnonzero(lacking)[0]]
            raise ConfigError(f"{ep.edges_file}: edge {j} of {ep.name} (group {int(ep.group_ids[j])}) has neither a "
                              "syn_weight nor a weight_function column (in its group or the edge types table)")
        w = np.asarray(ep.column_at("syn_weight", idx, np.nan), dtype=float)
        out = w.copy()
        fn_rows, fn_of = ep.distinct(idx, ("weight_function",))
        for k, (name,) in enumerate(fn_rows):
            sel = fn_of == k
            fn = pfc.weight_function(name)
            if fn is None:
                raise ConfigError(f"{ep.edges_file}: edges {ep.name} use weight_function '{name}', which is not "
                                  "registered (bionet.add_weight_function(func, name))")
            if fn is pfc.PLAIN_WEIGHT:
                continue
            src_pop, trg_pop = self.populations[ep.source], self.populations[ep.target]
            if fn is pfc.GAUSSIAN_LL:
                j = np.flatnonzero(sel)
                out[j] = _gaussian_ll_columns(ep, idx[j], w[j], src_pop, trg_pop)
                continue
            for j in np.flatnonzero(sel):
                i = idx[j]
                try:
                    nodes = (src_pop.node(ep.source_ids[i]), trg_pop.node(ep.target_ids[i]))
                    val = fn(_EdgeProps(ep, i), *(nodes[::-1] if swap else nodes))
                    out[j] = float(val)
                except Exception as e:
                    raise WeightFunctionError(
                        f"weight_function '{name}' failed on edge {i} of {ep.name} "
                        f"({ep.source} {ep.source_ids[i]} -> {ep.target} {ep.target_ids[i]}): "
                        f"{type(e).__name__}: {e}") from e
        if np.any(np.isnan(out)):
            j = int(np.flatnonzero(np.isnan(out))[0])
            raise ConfigError(f"{ep.edges_file}: edge {idx[j]} of {ep.name} has no syn_weight")
        return out

    def _add_edge_subset(self, engine, ep, idx, src_gids=None, weight_scale=None):
        """Edges `idx` of `ep` (their targets local to this rank) in file order; `src_gids` replaces
        the sources' own gids (replayed or spontaneous spikes), `weight_scale` multiplies the weights
        (0 silences a synapse that is still made)."""
        if len(idx) == 0:
            return
        tpop = self.populations[ep.target]
        bio = tpop.is_biophysical[tpop.rows(ep.target_ids[idx])]
        src = self.gids(ep.source, ep.source_ids[idx]).astype(np.uint32) if src_gids is None else src_gids
        trg = self.gids(ep.target, ep.target_ids[idx]).astype(np.uint32)
        keys = ep.keys(idx).astype(np.uint64)
        delay = np.asarray(ep.column_at("delay", idx, np.nan), dtype=float)
        if np.any(np.isnan(delay)):
            raise ConfigError(f"{ep.edges_file}: edges {ep.name} lack a delay")
        preselected = ep.preselected()[idx]
        nsyns = np.asarray(ep.column_at("nsyns", idx, 1.0), dtype=float)
        bad_nsyns = ~preselected & np.isnan(nsyns)
        if bad_nsyns.any():
            raise ConfigError(f"{ep.edges_file}: edge {idx[np.flatnonzero(bad_nsyns)[0]]} of {ep.name} has no nsyns "
                              "value although its group has an nsyns column")
        nsyns = np.where(preselected, 1, np.nan_to_num(nsyns)).astype(np.int64)
        weight = self._weights(ep, idx)
        if weight_scale is not None:
            weight = weight * weight_scale
        what = f"{ep.edges_file} ({ep.name})"
        if bio.any():
            b = np.flatnonzero(bio)
            # what an edge needs from its type, worked out once per distinct value rather than per edge
            rows, row_of = ep.distinct(idx[b], ("model_template", "dynamics_params", "target_sections",
                                                "distance_range"))
            explicit = preselected[b]
            placed = np.flatnonzero(~explicit)
            needs_rule = np.zeros(len(rows), dtype=bool)
            needs_rule[row_of[placed]] = True
            pp_row = np.full(len(rows), -1, dtype=np.int64)
            p_row = np.zeros((len(rows), 3))
            rule_row = np.full(len(rows), -1, dtype=np.int64)
            rules = {}
            for k, (tmpl, dyn, ts, dr) in enumerate(rows):
                etype = int(ep.type_ids[idx[b][int(np.argmax(row_of == k))]])
                pp_row[k] = self._point_synapse_type(engine, ep, etype, tmpl, dyn, what)
                if pp_row[k] < 0:
                    p_row[k] = self._syn_params([dyn], what)[dyn]
                else:
                    p_row[k] = (1.0, 2.0, 0.0)
                if needs_rule[k]:
                    key = (str(ts), str(dr))
                    if key not in rules:
                        secs = _literal(ts, f"{what}: target_sections")
                        rng = _literal(dr, f"{what}: distance_range")
                        if not secs or rng is None or len(rng) != 2:
                            raise ConfigError(f"{what}: edges to biophysical cells need target_sections and a "
                                              f"[min, max] distance_range (or afferent_section_id/pos), got "
                                              f"target_sections={ts!r} distance_range={dr!r}")
                        rules[key] = engine.add_placement_rule([str(x) for x in secs],
                                                               (float(rng[0]), float(rng[1])))
                    rule_row[k] = rules[key]
            pp = pp_row[row_of]
            p = p_row[row_of]
            sid = ep.group_column(idx[b], ("sec_id", "afferent_section_id"), np.nan)
            sx = ep.group_column(idx[b], ("sec_x", "afferent_section_pos"), np.nan)
            unplaceable = explicit & (np.isnan(sid) | np.isnan(sx))
            if unplaceable.any():
                j = idx[b][np.flatnonzero(unplaceable)[0]]
                raise ConfigError(
                    f"{what}: edge {j} (group {int(ep.group_ids[j])}, edge type {int(ep.type_ids[j])}) targets a "
                    "biophysical cell but has no afferent_section_id/afferent_section_pos (or sec_id/sec_x) "
                    "value, and its group has no nsyns column to place synapses by target_sections and "
                    "distance_range: the synapse cannot be made")
            sid = np.where(np.isnan(sid), -1, sid).astype(np.int64)
            rule = np.where(explicit, -1, rule_row[row_of])
            made = engine.add_bio_edges(src[b], trg[b], keys[b], weight[b], delay[b],
                                        np.ascontiguousarray(p[:, 0]), np.ascontiguousarray(p[:, 1]),
                                        np.ascontiguousarray(p[:, 2]), rule, nsyns[b], sid, sx, pp=pp)
            self.synapses_made += len(made[0])
            self._warn_skipped(engine, ep)
            if self.made_synapses is not None:
                # one row per synapse: the edge it came from, its weight, where it sits
                eidx = (made[0].astype(np.int64) & ((1 << _EDGE_KEY_BITS) - 1))
                pos = np.searchsorted(idx, eidx)
                self.made_synapses.append((ep, eidx, trg[pos].astype(np.int64), weight[pos], made[1], made[2]))
        pp = ~bio
        if pp.any():
            q = np.flatnonzero(pp)
            rows, row_of = ep.distinct(idx[q], ("dynamics_params",))
            sign_row = np.ones(len(rows))
            for k, (n,) in enumerate(rows):
                params = self._component_json("synaptic_models_dir", n, what) if not _missing(n) else {}
                sign_row[k] = float(params.get("sign", 1.0))
            w = np.where(preselected[q], weight[q], weight[q] * sign_row[row_of] * nsyns[q])
            engine.add_intfire_edges(src[q], trg[q], keys[q], w, delay[q])
            if self.made_synapses is not None:
                self.made_synapses.append((ep, idx[q], trg[q].astype(np.int64), w, None, None))

    def _user_mechanisms(self):
        if getattr(self, "_user_mechs", None) is None:
            from .user_mechanisms import UserMechanisms

            self._user_mechs = UserMechanisms(self._config)
        return self._user_mechs

    def _add_artificial_cells(self, engine, name, pop, pp):
        """Adds the point cells of `pop` (mask `pp`) whose model_template `nrn:<NAME>` names an
        ARTIFICIAL_CELL of mechanisms_dir; returns the mask of the others."""
        t = pop.table
        left = pp.copy()
        tmpls = t["model_template"].to_numpy()
        for tmpl in sorted({str(x) for x in tmpls[pp]} - {"nrn:IntFire1"}):
            rows = pp & (tmpls.astype(str) == tmpl)
            if not tmpl.startswith("nrn:"):
                continue
            what = f"{pop.nodes_file}: population {name}"
            dps = []
            for _, row in t.loc[rows].iterrows():
                dn = row.get("dynamics_params")
                dps.append({} if _missing(dn) else self._component_json(
                    "point_neuron_models_dir", dn, f"node {row['node_id']} of {name}"))
            ids = self.gids(name, t.loc[rows, "node_id"].to_numpy()).astype(np.uint32)
            if self._user_mechanisms().artificial_cell(engine, tmpl, ids, dps, what):
                left &= ~rows
        return left

    def _point_synapse_type(self, engine, ep, etype, tmpl, dyn, what):
        """The engine's synapse type for edges of `etype` with this model_template and dynamics_params:
        a POINT_PROCESS of the config's mechanisms_dir, or -1 for the engine's own Exp2Syn."""
        um = self._user_mechanisms()
        key = (None if _missing(tmpl) else str(tmpl), None if _missing(dyn) else str(dyn))
        # synapse types are registered with one engine: a new engine starts a new cache
        if getattr(self, "_synapse_types", (None,))[0] is not engine:
            self._synapse_types = (engine, {})
        cache = self._synapse_types[1]
        if key in cache:
            return cache[key]
        ewhat = f"{what}, edge type {etype}"
        if key[0] is None:
            raise ConfigError(f"{ewhat}: edges to biophysical cells need a model_template")
        if um.template(key[0]) is not None:
            if key[1] is None:
                raise ConfigError(f"{ewhat}: model_template '{key[0]}' needs dynamics_params (a json)")
            dp = self._component_json("synaptic_models_dir", key[1], ewhat)
            cache[key] = um.synapse_type(engine, key[0], key[1], dp, ewhat)
        elif key[0].lower() == "exp2syn":
            cache[key] = -1
        else:
            found = sorted(um.index())
            raise ConfigError(f"{what}: unknown synaptic model_template ['{key[0]}'] (edge type {etype}) "
                              "for edges to biophysical cells; supported: exp2syn (Exp2Syn) and the "
                              "POINT_PROCESSes of the config's mechanisms_dir "
                              f"({', '.join(found) if found else 'none found'})")
        return cache[key]

    def _warn_skipped(self, engine, ep):
        keys = engine.skipped_edges()
        seen = getattr(self, "_skipped_seen", 0)
        self._skipped_seen = len(keys)
        new = keys[seen:]
        if len(new) == 0:
            return
        types = np.unique(ep.type_ids[(new.astype(np.int64) & ((1 << _EDGE_KEY_BITS) - 1))])
        warned = self.__dict__.setdefault("_warned_types", set())
        for t in types:
            if (ep.name, int(t)) in warned:
                continue
            warned.add((ep.name, int(t)))
            self.io.warning(f"Could not find target synaptic location for edge-type {int(t)} of {ep.name}, please "
                            "check target_sections and/or distance_range properties (no synapse was made for "
                            "these edges, as in BMTK)")

    def build_recurrent_edges(self, engine):
        """Edges whose sources are simulated cells, in BMTK's order (edge populations as read): per
        population, each local target's edges in file order (synapses and gap junction halves
        interleaved, as they share the target's placement stream), then the gap junction halves of
        the population's local sources."""
        self.synapses_made = 0
        self.gaps = GapJunctionBuilder(self, engine)
        for k, ep in enumerate(self.edge_populations):
            self.gaps.check_population(k)
            src_pop = self.populations[ep.source]
            src_virtual = src_pop.is_virtual[src_pop.rows(ep.source_ids)]
            is_local = self._local_mask[ep.target][ep.target_ids]
            idx = np.flatnonzero(~src_virtual & is_local)
            spont = getattr(self, "spont", None)
            for part, is_gap in runs(idx, self.gaps.masks[k][idx]):
                if is_gap:
                    self.gaps.add_target_side(ep, part)
                    continue
                for chunk in _chunks(part):
                    if spont is not None:
                        src, scale = spont.sources_and_scale(ep, chunk)
                        self._add_edge_subset(engine, ep, chunk, src_gids=src, weight_scale=scale)
                    else:
                        self._add_edge_subset(engine, ep, chunk)
            self.gaps.add_source_side(k)

    def add_spike_trains(self, engine, population, node_ids, offsets, times):
        """Spike trains of virtual cells of `population`, and the edges they drive (BMTK builds
        them input by input, after the recurrent edges)."""
        trains = self._virtual_trains
        for i, n in enumerate(node_ids):
            trains.setdefault((population, int(n)), []).append(times[offsets[i]:offsets[i + 1]])
        for ep in self.edge_populations:
            if ep.source != population:
                continue
            src_pop = self.populations[ep.source]
            src_virtual = src_pop.is_virtual[src_pop.rows(ep.source_ids)]
            is_local = self._local_mask[ep.target][ep.target_ids]
            for part in _chunks(np.flatnonzero(src_virtual & is_local & ~gap_mask(ep))):
                self._add_edge_subset(engine, ep, part)

    def finish_virtual(self, engine):
        """Adds every virtual cell with the spikes its inputs gave (none when no input named it)."""
        ids, offs, ts = [], [0], []
        for name, pop in self.populations.items():
            for n in pop.node_ids[pop.model_type == "virtual"]:
                chunks = self._virtual_trains.get((name, int(n)), [])
                t = np.sort(np.concatenate(chunks)) if chunks else np.zeros(0)
                ids.append(self.gid_offset[name] + int(n))
                ts.append(t)
                offs.append(offs[-1] + len(t))
        for g in self._unused_gids:
            ids.append(int(g))
            ts.append(np.zeros(0))
            offs.append(offs[-1])
        spont = getattr(self, "spont", None)
        if spont is not None:
            ids.append(int(spont.gid))
            ts.append(spont.times)
            offs.append(offs[-1] + len(spont.times))
        replay = getattr(self, "replay", None)
        for g, t in (replay.sources() if replay is not None else []):
            ids.append(int(g))
            ts.append(t)
            offs.append(offs[-1] + len(t))
        if ids:
            engine.add_virtual(np.asarray(ids, dtype=np.uint32), np.asarray(offs, dtype=np.uint64),
                               np.ascontiguousarray(np.concatenate(ts), dtype=np.float64))


def _tuning_angles(pop, node_ids, what):
    if "tuning_angle" not in pop.table.columns:
        raise ConfigError(f"{what}: weight_function gaussianLL needs the tuning_angle of population {pop.name}, "
                          "which has no such column")
    return pd.to_numeric(pop.table["tuning_angle"], errors="coerce").to_numpy(float)[pop.rows(node_ids)]


def _gaussian_ll_columns(ep, idx, w0, src_pop, trg_pop):
    """bmtk's gaussianLL for the edges `idx` at once: w0 * exp(-(d / weight_sigma)^2), d the difference
    of the tuning angles folded into 0-90 degrees; the same float operations as the per-edge
    function (math.exp included), so the weights are bit for bit bmtk's."""
    what = f"{ep.edges_file} ({ep.name})"
    src = _tuning_angles(src_pop, ep.source_ids[idx], what)
    trg = _tuning_angles(trg_pop, ep.target_ids[idx], what)
    sigma = np.asarray(ep.column_at("weight_sigma", idx, np.nan), dtype=float)
    if np.any(np.isnan(sigma)):
        j = idx[int(np.flatnonzero(np.isnan(sigma))[0])]
        raise ConfigError(f"{what}: edge {j} uses weight_function gaussianLL but has no weight_sigma")
    delta = np.abs(np.abs(np.abs(180.0 - np.abs(trg - src) % 360.0) - 90.0) - 90.0)
    x = -((delta / sigma) ** 2)
    e = np.empty(len(x))
    for lo in range(0, len(x), _EXP_CHUNK):  # math.exp (bmtk's), a bounded number of floats at a time
        part = x[lo:lo + _EXP_CHUNK]
        e[lo:lo + len(part)] = np.fromiter(map(math.exp, part.tolist()), dtype=float, count=len(part))
    return w0 * e


_EXP_CHUNK = 1 << 18
# Edges handed to the engine per call: each call makes a dozen edge-sized temporary arrays, so
# a network of tens of millions of edges is added in parts (in file order, which the engine keeps).
_EDGE_CHUNK = 1 << 20


def _chunks(idx):
    return [idx[lo:lo + _EDGE_CHUNK] for lo in range(0, len(idx), _EDGE_CHUNK)] or [idx]
