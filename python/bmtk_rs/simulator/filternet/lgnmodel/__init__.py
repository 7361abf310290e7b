"""``bmtk.simulator.filternet.lgnmodel``: the LGN filter building blocks users construct and plot
(temporal cosine-bump filters, kernels, movies, transfer functions), in numpy. The simulator itself
evaluates cells in Rust (src/filternet); these objects are for building and inspecting filters."""
