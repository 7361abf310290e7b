"""bmtk's ``bmtk.simulator.bionet.default_setters`` path: the Allen processings as Python functions
on bmtk-rs's cell object, for user processings that start from one (``cell_models``)."""
