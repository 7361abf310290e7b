"""NetworkBuilder: BMTK's network-building API, with edges made and written by the Rust engine."""

import logging
import os
import types

import numpy as np
import pandas as pd

from .. import _native
from .connection_map import TABLE_ITERATORS, ConnectionMap
from .id_generator import IDGenerator
from .node_pool import NodePool
from .node_set import NodeSet
from . import columns

logger = logging.getLogger(__name__)


def _csv_cell(value):
    if value is None:
        return "NULL"
    if isinstance(value, float):
        return float.__repr__(value)
    return str(value)


class NetworkBuilder:
    """Build a network of nodes and edges and save it as SONATA files.

    ``add_nodes`` adds node types, ``add_edges`` adds edge types with their connection rule,
    ``build`` evaluates the rules and ``save`` writes ``<name>_nodes.h5``,
    ``<name>_node_types.csv``, ``<src>_<trg>_edges.h5`` and ``<src>_<trg>_edge_types.csv``.
    """

    def __init__(self, name, **network_props):
        if name is None or len(name) == 0:
            raise ValueError("Network name missing.")
        self._network_name = name
        self._network_props = network_props
        self._node_sets = []
        self._node_types_properties = {}
        self._node_types_columns = ["node_type_id"]
        self._connection_maps = []
        self._node_id_gen = IDGenerator()
        self._node_type_id_gen = IDGenerator(100)
        self._edge_type_id_gen = IDGenerator(100)
        self._gj_id_gen = IDGenerator(network_props.get("gj_id_start", 0))
        self._network_conns = []
        self._connected_networks = {}
        self._nodes_built = False
        self._edges_built = False
        self._edge_tables = []
        self._node_objs = None
        self._node_ids = None
        self._node_table = None

    # ---------------------------------------------------------------- properties
    @property
    def name(self):
        return self._network_name

    @property
    def nodes_built(self):
        return self._nodes_built

    @property
    def edges_built(self):
        return self._edges_built

    @property
    def nnodes(self):
        if not self._nodes_built:
            return 0
        return int(sum(ns.N for ns in self._node_sets))

    @property
    def nedges(self):
        return int(sum(t.n_syns for _, t in self._edge_tables))

    def get_connections(self):
        return self._connection_maps

    # ---------------------------------------------------------------- nodes
    def add_nodes(self, N=1, **properties):
        """Add ``N`` nodes of a new node type.

        Scalars are shared by all N nodes (stored in the node-types table); lists, arrays, ranges
        or generators of length N give each node its own value (stored in the nodes file).
        """
        if isinstance(N, bool) or not isinstance(N, (int, np.integer)) or N < 0:
            raise ValueError("add_nodes: N must be a non-negative integer, got {!r}".format(N))
        N = int(N)
        node_params = {}
        node_properties = {}
        for prop_name, prop_value in properties.items():
            if isinstance(prop_value, (list, np.ndarray)):
                if len(prop_value) != N:
                    raise ValueError(
                        "add_nodes: property '{}' has {} values but N={} (network {})".format(
                            prop_name, len(prop_value), N, self.name
                        )
                    )
                node_params[prop_name] = prop_value
            elif isinstance(prop_value, (types.GeneratorType, range)):
                vals = list(prop_value)
                if len(vals) != N:
                    raise ValueError(
                        "add_nodes: property '{}' has {} values but N={} (network {})".format(
                            prop_name, len(vals), N, self.name
                        )
                    )
                node_params[prop_name] = vals
            else:
                node_properties[prop_name] = prop_value
                if prop_name not in self._node_types_columns:
                    self._node_types_columns.append(prop_name)
        if "node_type_id" in node_params:
            raise ValueError('There can be only one "node_type_id" per set of nodes.')
        if "node_id" in node_params:
            for nid in node_params["node_id"]:
                if nid in self._node_id_gen:
                    raise ValueError("Duplicate add node_id value {}.".format(nid))
                self._node_id_gen.remove_id(int(nid))
        self._add_node_type(node_properties)
        self._node_sets.append(NodeSet(N, node_params, node_properties))
        self._nodes_built = False
        self._node_objs = None

    def import_nodes(self, nodes_file_name, node_types_file_name, population=None):
        """Add the nodes of an existing SONATA nodes file (ids, types and properties kept), e.g. to
        connect a new network to a network built elsewhere."""
        from .. import sonata

        pops = sonata.read_nodes(nodes_file_name)
        if not pops:
            raise ValueError("nodes file {} does not have any nodes.".format(nodes_file_name))
        if population is None:
            if len(pops) > 1:
                raise ValueError("The nodes file {} contains multiple populations ({}); please specify "
                                 "the population parameter.".format(nodes_file_name, ", ".join(sorted(pops))))
            pop = next(iter(pops.values()))
        elif population not in pops:
            raise ValueError("Nodes file {} does not contain population {}.".format(nodes_file_name, population))
        else:
            pop = pops[population]
        types = sonata.read_types(node_types_file_name)
        type_props = {}
        for row in types.to_dict(orient="records"):
            props = {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items() if not _is_missing(v)}
            type_props[int(props["node_type_id"])] = props
        ntids = pop["node_type_id"]
        for ntid in dict.fromkeys(ntids.tolist()):
            if ntid not in type_props:
                raise ValueError("{}: node_type_id {} is not in {}".format(nodes_file_name, ntid,
                                                                          node_types_file_name))
            rows = np.nonzero(ntids == ntid)[0]
            for gid in dict.fromkeys(pop["node_group_id"][rows].tolist()):
                sel = rows[pop["node_group_id"][rows] == gid]
                idx = pop["node_group_index"][sel].astype(np.int64)
                params = {k: np.asarray(v)[idx] for k, v in pop["groups"].get(gid, {}).items()}
                params["node_id"] = pop["node_id"][sel]
                props = dict(type_props[ntid])
                for k in props:
                    if k not in self._node_types_columns:
                        self._node_types_columns.append(k)
                if ntid not in self._node_types_properties:
                    self._add_node_type(props)
                else:
                    props = self._node_types_properties[ntid]
                for nid in params["node_id"].tolist():
                    self._node_id_gen.remove_id(nid)
                self._node_sets.append(NodeSet(len(sel), params, props))
        self._nodes_built = False
        self._node_objs = None

    def _add_node_type(self, props):
        node_type_id = props.get("node_type_id", None)
        if node_type_id is None:
            node_type_id = self._node_type_id_gen.next()
        else:
            if node_type_id in self._node_types_properties:
                raise ValueError("node_type_id {} already exists.".format(node_type_id))
            self._node_type_id_gen.remove_id(node_type_id)
        props["node_type_id"] = node_type_id
        self._node_types_properties[node_type_id] = props

    def _build_nodes(self):
        if self._nodes_built:
            return
        for ns in self._node_sets:
            if ns.node_ids is not None:
                continue
            if "node_id" in ns.params:
                ns.node_ids = np.asarray(ns.params["node_id"], dtype=np.uint64)
            else:
                ns.node_ids = np.asarray(self._node_id_gen(ns.N), dtype=np.uint64)
        self._node_ids = (
            np.concatenate([ns.node_ids for ns in self._node_sets])
            if self._node_sets
            else np.zeros(0, dtype=np.uint64)
        )
        self._node_objs = None
        self._node_table = None
        self._nodes_built = True

    def _all_node_ids(self):
        self._build_nodes()
        return self._node_ids

    def _node_objects(self):
        self._build_nodes()
        if self._node_objs is None:
            objs = []
            for ns in self._node_sets:
                objs.extend(ns.make_nodes())
            self._node_objs = objs
        return self._node_objs

    def node_table(self, positions=None):
        """The nodes (all, or those at ``positions`` in the network's node order) as a pandas
        DataFrame: ``node_id``, every per-node property and every node-type property, one row per
        node. What the ``*_table`` connection iterators hand to a rule."""
        self._build_nodes()
        if self._node_table is None:
            parts = []
            for ns in self._node_sets:
                cols = {"node_id": ns.node_ids.astype(np.int64)}
                for k in ns.params:
                    if k != "node_id":
                        cols[k] = ns.array(k)
                for k, v in ns.type_properties.items():
                    if k in cols:
                        continue
                    if isinstance(v, (bool, int, float, np.number)):
                        cols[k] = np.full(ns.N, v)
                    else:  # strings, lists, None...: one object per row, never broadcast
                        col = np.empty(ns.N, dtype=object)
                        col[:] = [v] * ns.N
                        cols[k] = col
                parts.append(pd.DataFrame(cols))
            full = pd.concat(parts, ignore_index=True, sort=False) if parts else pd.DataFrame({"node_id": []})
            self._node_table = full
        if positions is None:
            return self._node_table
        return self._node_table.iloc[np.asarray(positions, dtype=np.int64)].reset_index(drop=True)

    def _select(self, filters):
        self._build_nodes()
        parts = []
        offset = 0
        for ns in self._node_sets:
            mask = ns.match(filters) if filters else np.ones(ns.N, dtype=bool)
            parts.append(np.nonzero(mask)[0] + offset)
            offset += ns.N
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def nodes(self, **properties):
        """A selection of this network's nodes whose properties match all the given values
        (a list means any of, a callable is a predicate)."""
        self._build_nodes()
        return NodePool(self, **properties)

    def nodes_iter(self, nids=None):
        objs = self._node_objects()
        if nids is None:
            return objs
        wanted = set(int(n) for n in nids)
        return [n for n in objs if n.node_id in wanted]

    # ---------------------------------------------------------------- edges
    def add_edges(self, source=None, target=None, connection_rule=1, connection_params=None,
                  iterator="one_to_one", **edge_type_properties):
        """Add an edge type from ``source`` to ``target`` nodes (dict filters or ``nodes()``
        selections, of this or another network).

        ``connection_rule`` gives the synapse count of each pair: an int, a flat list of
        S*T counts (sources outer), a T x S matrix, or ``rule(source, target, **connection_params)``;
        with ``iterator='one_to_all'`` / ``'all_to_one'`` the rule gets one node and the list
        of all nodes on the other side and returns a list of counts; ``'one_to_all_table'`` /
        ``'all_to_one_table'`` hand it the other side as one pandas DataFrame instead (see
        ``node_table``), for rules written with numpy on whole columns.
        """
        if not isinstance(source, NodePool):
            if source is not None and not isinstance(source, dict):
                raise TypeError("add_edges: source must be a dict of filters or a nodes() selection")
            source = NodePool(self, **(source or {}))
        if not isinstance(target, NodePool):
            if target is not None and not isinstance(target, dict):
                raise TypeError("add_edges: target must be a dict of filters or a nodes() selection")
            target = NodePool(self, **(target or {}))
        if edge_type_properties.get("is_gap_junction", False) and source.network_name != target.network_name:
            raise ValueError("Gap junctions must consist of two cells on the same network.")
        conn = (source.network_name, target.network_name)
        if conn not in self._network_conns:
            self._network_conns.append(conn)
        self._connected_networks[source.network_name] = source.network
        self._connected_networks[target.network_name] = target.network

        edge_type_id = edge_type_properties.get("edge_type_id", None)
        if edge_type_id is None:
            edge_type_id = self._edge_type_id_gen.next()
            edge_type_properties["edge_type_id"] = edge_type_id
        elif edge_type_id in self._edge_type_id_gen:
            raise ValueError("edge_type_id {} already exists.".format(edge_type_id))
        else:
            self._edge_type_id_gen.remove_id(edge_type_id)
        edge_type_properties["source_query"] = source.filter_str
        edge_type_properties["target_query"] = target.filter_str
        if "nsyns" in edge_type_properties:
            connection_rule = edge_type_properties.pop("nsyns")
        cm = ConnectionMap(source, target, connection_rule, connection_params, iterator, edge_type_properties)
        self._connection_maps.append(cm)
        self._edges_built = False
        return cm

    def add_gap_junctions(self, source=None, target=None, resistance=1.0, conductance=None,
                          distance_range=(0.0, 300.0), target_sections=("somatic",),
                          connection_rule=1, iterator="one_to_one", **edge_type_properties):
        """Edges marked as gap junctions (``syn_weight`` = conductance = 1/resistance)."""
        syn_weight = 1 / resistance if conductance is None else conductance
        return self.add_edges(source=source, target=target, syn_weight=syn_weight, is_gap_junction=True,
                              distance_range=list(distance_range), target_sections=list(target_sections),
                              connection_rule=connection_rule, iterator=iterator, **edge_type_properties)

    def build(self, force=False):
        """Evaluate every connection rule (and property rule) and keep the resulting edges."""
        if force:
            self._nodes_built = False
            for ns in self._node_sets:
                ns.node_ids = None
        self._build_nodes()
        self._edge_tables = []
        for cm in self._connection_maps:
            self._edge_tables.append((cm, self._build_edge_type(cm)))
        self._edges_built = True

    def _build_edge_type(self, cm):
        src_pos = cm.source_nodes.positions()
        trg_pos = cm.target_nodes.positions()
        src_net, trg_net = cm.source_nodes.network, cm.target_nodes.network
        src_ids = src_net._all_node_ids()[src_pos]
        trg_ids = trg_net._all_node_ids()[trg_pos]
        etid = cm.edge_type_id
        for side, pool, ids in (("source", cm.source_nodes, src_ids), ("target", cm.target_nodes, trg_ids)):
            if len(ids) == 0:
                # bmtk keeps such an edge type (in the edge types table, with no edges): tutorials rely on it
                logger.warning("add_edges (edge type %s): the %s selection %s of network '%s' matches no nodes; "
                               "the edge type is saved without edges", etid, side, pool.filter_str,
                               pool.network_name)
        table = _native.EdgeTable(int(etid), np.ascontiguousarray(src_ids, dtype=np.uint64),
                                  np.ascontiguousarray(trg_ids, dtype=np.uint64))
        rule = cm.connector
        nodes_cache = {}

        def node_lists():
            if not nodes_cache:
                so, to = src_net._node_objects(), trg_net._node_objects()
                nodes_cache["s"] = [so[i] for i in src_pos.tolist()]
                nodes_cache["t"] = [to[i] for i in trg_pos.tolist()]
            return nodes_cache["s"], nodes_cache["t"]

        if callable(rule) and not isinstance(rule, (list, np.ndarray)):
            params = dict(cm.connector_params or {})
            by_source = cm.iterator.startswith("one_to_all")
            if cm.iterator in TABLE_ITERATORS:
                # one node on the outer side, the other side as one table shared by every call
                if by_source:
                    outer = [src_net._node_objects()[i] for i in src_pos.tolist()]
                    inner = trg_net.node_table(trg_pos)
                else:
                    outer = [trg_net._node_objects()[i] for i in trg_pos.tolist()]
                    inner = src_net.node_table(src_pos)
                table.eval_lists(rule, params or None, outer, inner, by_source, cm.iterator)
            elif cm.iterator == "one_to_one":
                srcs, trgs = node_lists()
                table.eval_pairs(rule, params or None, srcs, trgs)
            else:
                srcs, trgs = node_lists()
                outer, inner = (srcs, trgs) if by_source else (trgs, srcs)
                table.eval_lists(rule, params or None, outer, inner, by_source, cm.iterator)
        elif rule is None:
            table.fill_constant(0)
        elif isinstance(rule, (list, tuple, np.ndarray)):
            table.fill_dense(columns.count_matrix(rule, len(src_ids), len(trg_ids), etid))
        else:
            table.fill_constant(columns.count_scalar(rule, etid))

        for p in cm.params:
            names = p.name_list()
            if p.values is not None:
                if p.multiple:
                    raise ValueError("add_properties: values= takes a single property name")
                dtype, data = columns.property_values(names[0], p.values, p.dtypes[names[0]], table.n_syns)
                table.set_property(names[0], dtype, data)
            elif callable(p.rule):
                srcs, trgs = node_lists()
                dts = [columns.dtype_name(p.dtypes[n], n) for n in names]
                table.eval_property(names, dts, p.rule, dict(p.rule_params) or None, srcs, trgs, p.multiple)
            else:
                if p.multiple:
                    raise ValueError("add_properties({}): a constant rule takes a single name".format(names))
                dtype, data = columns.property_values(
                    names[0], [p.rule] * int(table.n_syns), p.dtypes[names[0]], table.n_syns)
                table.set_property(names[0], dtype, data)
        logger.debug("Edge-types %s data built with %d connection (%d synapses)",
                     etid, table.n_connections, table.n_syns)
        return table

    # ---------------------------------------------------------------- saving
    def save(self, output_dir=".", force_overwrite=True, mode="w", compression="none", **opts):
        """Write the nodes, node types, edges and edge types files into ``output_dir``.

        ``edge_order='bmtk'`` (default) orders edges with equal target ids exactly as bmtk 1.2.0 does
        (numpy's unstable argsort), so files are identical to BMTK's; ``edge_order='stable'`` keeps
        them in build order with a parallel stable sort in Rust, which is faster for large networks.
        """
        self.save_nodes(output_dir=output_dir, force_overwrite=force_overwrite, mode=mode, **opts)
        self.save_edges(output_dir=output_dir, force_overwrite=force_overwrite, **opts)

    def _path(self, filename, output_dir, suffix):
        if filename is None:
            return os.path.join(output_dir, "{}_{}".format(self.name, suffix))
        if os.path.isabs(filename):
            return filename
        return os.path.join(output_dir, filename)

    def save_nodes(self, nodes_file_name=None, node_types_file_name=None, output_dir=".",
                   force_overwrite=True, mode="w", compression=None, **opts):
        nodes_file = self._path(nodes_file_name, output_dir, "nodes.h5")
        types_file = self._path(node_types_file_name, output_dir, "node_types.csv")
        for f in (nodes_file, types_file):
            if not force_overwrite and os.path.exists(f):
                raise FileExistsError(
                    "File {} already exists. Please delete existing file, use a different name, "
                    "or use force_overwrite.".format(f))
            _ensure_dir(os.path.dirname(f))
        self._build_nodes()
        if mode not in ("w", "a"):
            raise ValueError("save_nodes: mode must be 'w' or 'a', got {!r}".format(mode))
        _native.write_nodes(nodes_file, [self._nodes_description()], mode == "a")
        cols = list(self._node_types_columns)
        rows = [[_csv_cell(nt.get(c, "NULL")) for c in cols] for nt in self._node_types_properties.values()]
        _native.write_types_table(types_file, cols, rows)

    def _nodes_description(self):
        group_of_key = {}
        for ns in self._node_sets:
            group_of_key.setdefault(ns.params_key, len(group_of_key))
        n = sum(ns.N for ns in self._node_sets)
        node_type_id = np.zeros(n, dtype=np.uint64)
        group_id = np.zeros(n, dtype=np.uint64)
        group_index = np.zeros(n, dtype=np.uint64)
        counts = [0] * len(group_of_key)
        members = [[] for _ in group_of_key]
        off = 0
        for ns in self._node_sets:
            g = group_of_key[ns.params_key]
            node_type_id[off:off + ns.N] = ns.node_type_id
            group_id[off:off + ns.N] = g
            group_index[off:off + ns.N] = np.arange(counts[g], counts[g] + ns.N)
            counts[g] += ns.N
            members[g].append(ns)
            off += ns.N
        groups = []
        for key, g in group_of_key.items():
            cols = []
            for name in key:
                if name == "node_id":
                    continue
                arr = columns.concat([ns.array(name) for ns in members[g]], name)
                cols.append((name,) + columns.to_native(arr, "node property '{}' of {}".format(name, self.name)))
            groups.append((g, cols))
        return {
            "name": self.name,
            "node_id": self._node_ids.astype(np.uint64),
            "node_type_id": node_type_id,
            "node_group_id": group_id,
            "node_group_index": group_index,
            "groups": groups,
        }

    def save_edges(self, edges_file_name=None, edge_types_file_name=None, output_dir=".", src_network=None,
                   trg_network=None, name=None, force_build=True, force_overwrite=True, edge_order="bmtk",
                   **opts):
        if edge_order not in ("bmtk", "stable"):
            raise ValueError("save_edges: edge_order must be 'bmtk' or 'stable', got {!r}".format(edge_order))
        if not self._connection_maps:
            logger.warning("No edges have been made for this network, skipping saving of edges file.")
            return
        if not self._edges_built:
            if not force_build:
                logger.warning("Edges are not built. Either call build() or use force_build parameter. "
                               "Skip saving of edges file.")
                return
            self.build()
        params = [(s, t, s + "_" + t + "_edges.h5", s + "_" + t + "_edge_types.csv")
                  for s, t in self._network_conns]
        if src_network is not None:
            params = [p for p in params if p[0] == src_network]
        if trg_network is not None:
            params = [p for p in params if p[1] == trg_network]
        if not params:
            logger.warning("Warning: couldn't find connections. Skip saving.")
            return
        if edges_file_name is not None or edge_types_file_name is not None:
            params = [(params[0][0], params[0][1], edges_file_name, edge_types_file_name)]
        _ensure_dir(output_dir)
        self._save_gap_junctions(os.path.join(output_dir, self.name + "_gap_juncs.h5"))
        for s, t, edges_file, types_file in params:
            cms = [(cm, tb) for cm, tb in self._edge_tables
                   if cm.source_network_name == s and cm.target_network_name == t]
            if types_file is not None:
                self._save_edge_types(os.path.join(output_dir, types_file), [cm for cm, _ in cms])
            if edges_file is not None:
                path = os.path.join(output_dir, edges_file)
                if not force_overwrite and os.path.exists(path):
                    raise FileExistsError("File {} already exists; use force_overwrite=True".format(path))
                tables = [tb for _, tb in cms]
                if sum(tb.n_rows for tb in tables) == 0:
                    logger.warning('Was not able to generate any edges using the "connection_rule". Not saving.')
                    continue
                pop = name if name is not None else "{}_to_{}".format(s, t)
                _native.write_edges(path, pop, s, t, tables, _bmtk_order if edge_order == "bmtk" else None,
                                    _index_names(opts.get("index_by", ("target_node_id", "source_node_id"))))

    def _save_gap_junctions(self, path):
        src, trg = [], []
        for cm, tb in self._edge_tables:
            if not cm.edge_type_properties.get("is_gap_junction", False):
                continue
            rows = tb.to_dict()
            reps = rows["nsyns"] if "nsyns" in rows else np.ones(len(rows["source_node_id"]), dtype=np.int64)
            src.append(np.repeat(rows["source_node_id"], reps))
            trg.append(np.repeat(rows["target_node_id"], reps))
        if not src:
            return
        src, trg = np.concatenate(src), np.concatenate(trg)
        if len(src) == 0:
            return
        # Each junction takes two consecutive ids, source side first, as BMTK numbers them.
        ids = np.asarray(self._gj_id_gen(2 * len(src)), dtype=np.int64).reshape(-1, 2)
        _native.write_gap_junctions(path, src.astype(np.uint64), trg.astype(np.uint64),
                                    np.ascontiguousarray(ids[:, 0]), np.ascontiguousarray(ids[:, 1]))

    def _save_edge_types(self, path, cms):
        cols = ["edge_type_id", "target_query", "source_query"]
        for cm in cms:
            for k in cm.edge_type_properties:
                if k not in cols:
                    cols.append(k)
        rows = [[_csv_cell(cm.edge_type_properties.get(c, None)) for c in cols] for cm in cms]
        _native.write_types_table(path, cols, rows)

    # ---------------------------------------------------------------- inspection
    def edges(self, target_nodes=None, source_nodes=None, target_network=None, source_network=None,
              **properties):
        """Edges as a list of dict-like Edge objects, filtered like BMTK's ``edges()``."""
        from .edge import Edge

        if not self._edges_built:
            self.build()

        def ids_of(nodes):
            if nodes is None:
                return None
            if isinstance(nodes, (int, np.integer)):
                return {int(nodes)}
            if isinstance(nodes, NodePool):
                return set(nodes.node_ids().tolist())
            if isinstance(nodes, dict):
                return set(self.nodes(**nodes).node_ids().tolist())
            return set(int(n) for n in nodes)

        trg_ids, src_ids = ids_of(target_nodes), ids_of(source_nodes)
        out = []
        for cm, tb in self._edge_tables:
            if target_network is not None and cm.target_network_name != target_network:
                continue
            if source_network is not None and cm.source_network_name != source_network:
                continue
            rows = tb.to_dict()
            et = cm.edge_type_properties
            n = len(rows["source_node_id"])
            keys = [k for k in rows if k not in ("source_node_id", "target_node_id")]
            for i in range(n):
                s, t = int(rows["source_node_id"][i]), int(rows["target_node_id"][i])
                if trg_ids is not None and t not in trg_ids:
                    continue
                if src_ids is not None and s not in src_ids:
                    continue
                e = Edge(s, t, et, {k: rows[k][i] for k in keys})
                if all(k in e and e[k] == v for k, v in properties.items()):
                    out.append(e)
        return out


def _is_missing(v):
    try:
        return v is None or bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _bmtk_order(keys):
    # BMTK orders edges and index blocks with numpy's default (unstable) argsort; using the same
    # function keeps the row order of equal keys identical to BMTK's files.
    return np.argsort(keys).astype(np.int64)


def _ensure_dir(path):
    if path and not os.path.isdir(path):
        try:
            os.makedirs(path, exist_ok=True)
        except OSError as e:
            raise OSError("cannot create output folder {}: {}".format(path, e)) from e


def _index_names(index_by):
    """bmtk's ``index_by`` (a name, a list of names, or None/empty for no index) as a list."""
    if not index_by:
        return []
    return [str(index_by)] if isinstance(index_by, str) else [str(x) for x in index_by]
