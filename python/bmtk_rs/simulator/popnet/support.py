"""What bmtk-rs's PopNet does with each name of bmtk's configuration vocabulary (the shape is
described in bmtk_rs.simulator.bionet.support)."""

SIMULATOR = "PopNet"

SUPPORT = {
    "input modules": {
        "sonata": ("supported", "spike trains turned into external population rates"),
        "h5": ("supported", "as 'sonata'"),
        "csv": ("supported", ""),
        "nwb": ("supported", ""),
        "<rates input>": ("supported", "any other module (bmtk's examples say pop_rates): a 'rates' table per population"),
    },
    "report modules": {},
    "cell templates": {},
    "model_processing": {},
    "synapse models": {},
    "config keys": {
        "target_simulator: DiPDE": ("supported", "population density (DiPDE's method) in Rust, without dipde"),
        "target_simulator: SSN": ("refused", "target_simulator 'SSN' is not supported; bmtk-rs PopNet runs 'DiPDE'"),
        "run.tstop": ("supported", "ms"),
        "run.dt": ("supported", "seconds, as DiPDE takes it"),
        "output.output_dir": ("supported", ""),
        "output.log_file": ("supported", ""),
        "output.overwrite_output_dir": ("supported", ""),
        "output.rates_file": ("supported", ""),
        "components.population_models_dir": ("supported", ""),
        "networks.nodes": ("supported", ""),
        "networks.edges": ("supported", ""),
        "inputs": ("supported", "see input modules"),
    },
}
