"""What bmtk-rs's FilterNet does with each name of bmtk's configuration vocabulary (the shape is
described in bmtk_rs.simulator.bionet.support)."""

SIMULATOR = "FilterNet"

SUPPORT = {
    "input modules": {
        "movie": ("supported", "input_type 'movie' from a .npy movie file or 'data'"),
        "full_field_flash": ("supported", ""),
        "grating": ("supported", "drifting gratings"),
        "graiting": ("supported", "bmtk's misspelt alias of grating"),
        "looming": ("supported", ""),
        "full_field": ("refused", "unknown movie type 'full_field' (bmtk 1.2.0 has no implementation either)"),
        "wav_file": ("refused", "audio inputs are not supported by bmtk-rs yet (bmtk needs pycochleagram)"),
        "mat_file": ("refused", "audio inputs are not supported by bmtk-rs yet"),
    },
    "report modules": {},
    "cell templates": {
        "lgnmodel:tON/tOFF/sON/sOFF[_TF<n>]": ("supported", "spatial Gaussian x temporal cosine-bump filters"),
        "lgnmodel:sONsOFF_001": ("supported", "two-subunit cells"),
        "lgnmodel:sONtOFF_001": ("supported", "two-subunit cells"),
        "lgnmodel:LGNOnOFFCell": ("supported", ""),
        "audmodel:<name>": ("refused", "unknown model_template (expected 'lgnmodel:<model name>')"),
    },
    "model_processing": {
        "default": ("supported", ""),
        "preset_params": ("supported", ""),
        "<user function>": ("refused", "model_processing '<name>' is not supported"),
    },
    "synapse models": {},
    "config keys": {
        "run.tstop": ("supported", ""),
        "run.dt": ("supported", ""),
        "conditions.jitter_lower": ("supported", ""),
        "conditions.jitter_upper": ("supported", ""),
        "output.output_dir": ("supported", ""),
        "output.log_file": ("supported", ""),
        "output.overwrite_output_dir": ("supported", ""),
        "output.rates_csv": ("supported", ""),
        "output.rates_h5": ("supported", ""),
        "output.spikes_csv": ("supported", "also spelt spikes_file_csv"),
        "output.spikes_h5": ("supported", "also spelt spikes_file"),
        "output.spikes_nwb": ("supported", "also spelt spikes_file_nwb"),
        "components.filter_models_dir": ("supported", ""),
        "networks.nodes": ("supported", ""),
        "node_sets_file": ("ignored", "not read: FilterNet's inputs apply to every cell"),
        "manifest": ("supported", ""),
        "inputs": ("supported", "see input modules"),
    },
}
