"""Edge objects returned by ``NetworkBuilder.edges()``."""


class Edge(dict):
    def __init__(self, src_gid, trg_gid, edge_type_props, syn_props):
        merged = dict(edge_type_props)
        merged.update(syn_props)
        merged["source_node_id"] = src_gid
        merged["target_node_id"] = trg_gid
        super().__init__(merged)
        self.source_gid = src_gid
        self.target_gid = trg_gid
        self.edge_type_properties = edge_type_props
        self.synaptic_properties = syn_props

    @property
    def source_node_id(self):
        return self.source_gid

    @property
    def target_node_id(self):
        return self.target_gid

    @property
    def edge_type_id(self):
        return self.edge_type_properties["edge_type_id"]
