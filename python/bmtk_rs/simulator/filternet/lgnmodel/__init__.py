"""``bmtk.simulator.filternet.lgnmodel``: the LGN model building blocks users construct, inspect and
evaluate themselves (spatial, temporal and spatiotemporal filters, kernels, transfer functions,
LN units and cells, cursors, movies), in numpy. The FilterNet simulator evaluates its cells in Rust
(src/filternet); these objects are for building filters and evaluating single cells by hand."""

__version__ = "0.1.0"
