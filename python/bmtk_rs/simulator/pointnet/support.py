"""What bmtk-rs's PointNet does with each name of bmtk's PointNet configuration vocabulary (same shape as
bionet/support.py; docs/compatibility.md is generated from it)."""

SIMULATOR = "PointNet"

SUPPORT = {
    "input modules": {
        "sonata": ("supported", "spike trains of virtual nodes (NEST spike generators, precise times)"),
        "h5": ("supported", "as 'sonata'"),
        "hdf5": ("supported", "as 'sonata' (bmtk-rs also accepts this spelling)"),
        "csv": ("supported", "spike trains from a csv table"),
        "nwb": ("supported", "spike trains from an NWB file"),
        "function": ("refused", "spikes module 'function' is not supported"),
        "IClamp": ("supported", "current_clamp (pA): amp/delay/duration, csv, NWB"),
        "ecephys_probe": ("refused", "input_type / module 'ecephys_probe' is not supported by bmtk-rs PointNet"),
    },
    "report modules": {
        "spikes_report": ("supported", "spikes go to output.spikes_file / spikes_file_csv"),
        "membrane_report": ("differs", "any recordable of the model; data written as float32 (bmtk: float64 "
                                       "copies of NEST's 3-decimal multimeter values)"),
        "multimeter": ("differs", "as membrane_report"),
        "multimeter_report": ("differs", "as membrane_report"),
        "weight_recorder": ("refused", "report module 'weight_recorder' is not supported by bmtk-rs PointNet"),
    },
    "cell templates": {
        "nest:<model>": ("differs", "iaf_psc_alpha, iaf_psc_exp, iaf_psc_delta, glif_psc (exact propagators), "
                                    "iaf_cond_exp, iaf_cond_alpha, aeif_cond_exp, aeif_cond_alpha, glif_cond (NEST's "
                                    "adaptive RKF45 step for step), izhikevich, parrot_neuron; glif_psc/glif_cond in "
                                    "all five GLIF variants; other NEST models are refused naming the supported ones; "
                                    "a negative weight on glif_cond is refused (NEST adds a negative conductance)"),
        "<user function>": ("refused", "PointNet cell models are built by the engine"),
    },
    "model_processing": {
        "<user function>": ("refused", "per-node model_processing is not read"),
    },
    "synapse models": {
        "nest:<synapse model>": ("differs", "static_synapse (weight, delay on the dt grid, receptor_type); other "
                                            "synapse models are refused"),
        "<user function>": ("refused", "synapse models are built by the engine"),
    },
    "config keys": {
        "run.tstop": ("supported", ""),
        "run.dt": ("supported", ""),
        "run.block_run": ("ignored", "the run goes in chunks of its own"),
        "run.block_size": ("ignored", "the run goes in chunks of its own"),
        "output.output_dir": ("supported", ""),
        "output.log_file": ("supported", ""),
        "output.overwrite_output_dir": ("supported", ""),
        "output.spikes_file": ("supported", ""),
        "output.spikes_file_csv": ("supported", ""),
        "output.quiet_simulator": ("ignored", "there is no NEST output to silence"),
        "components.point_neuron_models_dir": ("supported", ""),
        "components.synaptic_models_dir": ("supported", ""),
        "components.nest_modules": ("ignored", "no NEST extension modules are loaded"),
        "networks.nodes": ("supported", ""),
        "networks.edges": ("supported", ""),
        "node_sets_file": ("supported", ""),
        "manifest": ("supported", ""),
        "inputs": ("supported", "see input modules"),
        "reports": ("supported", "see report modules"),
    },
}
