"""What bmtk-rs's BioNet does with each name of bmtk's configuration vocabulary.

`SUPPORT[category][name] = (status, note)`, status one of:
  "supported"  runs as bmtk 1.2.0 runs it;
  "differs"    runs, with a difference the note states;
  "refused"    a clear error before the run (the note quotes it);
  "ignored"    accepted and skipped (with a warning where the note says so).

The "Compared with BMTK" page (docs/compatibility.md, scripts/gen_compat.py) is generated from this
table; tests/release/test_compat_table.py checks the table against the code's behaviour and the page
against the table. Every simulator package exposes a `support` module of this shape."""

SIMULATOR = "BioNet"

SUPPORT = {
    "input modules": {
        "sonata": ("supported", "spike trains of virtual cells (SONATA spikes file)"),
        "h5": ("supported", "as 'sonata'"),
        "hdf5": ("supported", "as 'sonata' (bmtk-rs also accepts this spelling)"),
        "csv": ("supported", "spike trains from a csv table"),
        "nwb": ("supported", "spike trains from an NWB file"),
        "function": ("refused", "spikes module 'function' is not supported"),
        "IClamp": ("supported", "current_clamp: amp/delay/duration, csv/file tables, Allen NWB sweeps"),
        "SEClamp": ("supported", "voltage clamp, as bmtk 1.2.0 runs it"),
        "xstim": ("differs", "extracellular stimulation (point or mesh electrodes; dc, sin, csv/json "
                             "waveforms) on every biophysical cell as bmtk 1.2.0 runs it on NEURON 8 (on NEURON 9 "
                             "bmtk fails); 'cells' is read as a node set (bmtk fails on it)"),
        "comsol": ("supported", "COMSOL exports: a time-dependent study (nearest node, repeating) or stationary "
                                "studies scaled by csv waveforms (linear interpolation); needs scipy"),
        "syn_activity": ("differs", "spontaneous synaptic activity as bmtk 1.2.0 runs it; also for IntFire1 "
                                    "targets, where bmtk fails"),
        "replay": ("supported", "replay_spikes: recorded spikes drive an edges file's synapses"),
        "ecephys_probe": ("refused", "input_type / module 'ecephys_probe' is not supported by bmtk-rs BioNet"),
    },
    "report modules": {
        "membrane_report": ("differs", "any variable a segment has (v, ion variables, <var>_<mechanism>, "
                                       "i_membrane, i_membrane_), section types, dt/start_time/end_time; one "
                                       "variable per report; data written as float32 (the SONATA type) where "
                                       "bmtk writes float64"),
        "spikes_report": ("supported", "spikes go to output.spikes_file / spikes_file_csv"),
        "extracellular": ("supported", "ECP by the line-source method, ecp.h5, per-cell contributions, NWB"),
        "save_synapses": ("supported", "the synapses a run made, as SONATA edges"),
        "netcon_report": ("differs", "a synapse variable per synapse (Exp2Syn g, i, A, B; any variable of a "
                                     "POINT_PROCESS synapse), syn_type filter, bmtk's mapping with src_ids/trg_ids; "
                                     "one variable per report, data as float32; IntFire1 targets and syn_type "
                                     "'netcon' are refused"),
        "clamp_report": ("supported", "bmtk 1.2.0 writes an empty table from configs (its IClamp/SEClamp inputs "
                                      "keep their clamps from the report): data (int(tstop/dt), 0) with the root "
                                      "attributes, under MPI bmtk's merged empty data; bmtk-rs writes the same"),
        "multimeter": ("ignored", "warned and skipped (bmtk runs it as a membrane report)"),
        "multimeter_report": ("ignored", "warned and skipped (bmtk runs it as a membrane report)"),
    },
    "cell templates": {
        "ctdb:Biophys1.hoc": ("supported", "with a model_processing below"),
        "ctdb:Biophys1": ("supported", "as ctdb:Biophys1.hoc"),
        "nml:<file>.cell.nml": ("supported", "NeuroML2 cells"),
        "nrn:IntFire1": ("supported", "point_process / point_neuron cells"),
        "nrn:<ARTIFICIAL_CELL>": ("differs", "point_process / point_neuron cells running an ARTIFICIAL_CELL of "
                                            "mechanisms_dir (net_send, net_move, net_event); dynamics_params keys set the "
                                            "file's PARAMETERs of that name (bmtk 1.2.0 needs an add_cell_model "
                                            "function for such templates); WATCH in such a cell is refused"),
        "hoc:<template>": ("refused", "unknown model_template; bmtk-rs runs no hoc"),
        "<user function>": ("differs", "add_cell_model / @cell_model: called per node with (node, template name, "
                                       "dynamics_params); it must return a cell of bmtk-rs's cell object, e.g. "
                                       "h.Biophys1(swc) from bmtk_rs.simulator.bionet.cell_object; a function "
                                       "building a hoc template or using other NEURON calls is refused naming it "
                                       "(docs/simulators/bionet.md, 'User cell functions')"),
    },
    "model_processing": {
        "aibs_perisomatic": ("supported", ""),
        "aibs_allactive": ("supported", ""),
        "aibs_perisomatic_directed": ("supported", ""),
        "aibs_allactive_directed": ("supported", ""),
        "aibs_perisomatic_fullaxon": ("supported", "the fit on the full reconstructed axon, as bmtk's example "
                                                   "scripts register it"),
        "aibs_allactive_fullaxon": ("supported", "as aibs_perisomatic_fullaxon, all-active"),
        "set_extracellular": ("supported", "alone, the reconstructed cell with no membrane mechanisms (cm 1, Ra 35.4, "
                                           "as bmtk's Biophys1 leaves it), built through the cell object; with an "
                                           "Allen processing ('aibs_perisomatic,extracellular') the Allen cell"),
        "extracellular": ("supported", "as set_extracellular"),
        "<user function>": ("differs", "add_cell_processor / @model_processing: called per node on bmtk-rs's "
                                       "cell object (sections, segments, Ra/cm/nseg/L/diam, insert, range "
                                       "variables, ena/ek, h.distance, axon replaced by new sections); NEURON-only "
                                       "calls (h.IClamp, h.Vector, pointers, hoc) are refused naming the function "
                                       "and node; NEURON's own hh is not a built-in (docs/simulators/bionet.md, "
                                       "'User cell functions')"),
    },
    "synapse models": {
        "exp2syn": ("supported", "Exp2Syn (tau1, tau2, erev from the dynamics_params json)"),
        "stp2syn": ("supported", "from the .mod file in mechanisms_dir (NMODL front end, no nrnivmodl)"),
        "stp5syn": ("supported", "as stp2syn"),
        "exp1syn": ("differs", "as stp2syn; bmtk 1.2.0's own exp1syn function fails with a TypeError"),
        "exp1isyn": ("differs", "as exp1syn"),
        "stp1syn": ("differs", "as exp1syn"),
        "stp3syn": ("differs", "as exp1syn"),
        "stp4syn": ("differs", "as exp1syn"),
        "stp5isyn": ("differs", "as stp2syn; bmtk 1.2.0 registers no stp5isyn function"),
        "<user function>": ("refused", "add_synapse_model / @synapse_model register; an edge naming one is "
                                       "refused (NEURON objects)"),
    },
    "config keys": {
        "run.tstop": ("supported", ""),
        "run.dt": ("supported", ""),
        "run.dL": ("supported", ""),
        "run.spike_threshold": ("supported", ""),
        "run.nsteps_block": ("supported", "outputs are flushed every nsteps_block steps"),
        "run.tstart": ("ignored", "runs start at 0 ms, as in bmtk's BioNet"),
        "conditions.celsius": ("supported", ""),
        "conditions.v_init": ("supported", ""),
        "output.output_dir": ("supported", ""),
        "output.log_file": ("supported", ""),
        "output.log_to_console": ("supported", ""),
        "output.overwrite_output_dir": ("supported", ""),
        "output.spikes_file": ("supported", ""),
        "output.spikes_file_csv": ("supported", ""),
        "output.spikes_sort_order": ("supported", ""),
        "components.morphologies_dir": ("supported", ""),
        "components.biophysical_neuron_models_dir": ("supported", ""),
        "components.synaptic_models_dir": ("supported", ""),
        "components.point_neuron_models_dir": ("supported", "IntFire1 parameter files"),
        "components.mechanisms_dir": ("differs", "its .mod files run through the NMODL front end (no nrnivmodl): "
                                                 "POINT_PROCESS synapses (net_send, WATCH), ARTIFICIAL_CELL point "
                                                 "cells and density mechanisms; a file named like "
                                                 "a built-in mechanism (NaTs.mod, ...) replaces the built-in"),
        "components.templates_dir": ("ignored", "no hoc templates are needed"),
        "networks.nodes": ("supported", ""),
        "networks.edges": ("supported", ""),
        "networks.gap_juncs": ("differs", "gap junctions as bmtk places them (g = syn_weight at x=0.5 of each "
                                          "cell's section, the partner voltage of the step's start, as NEURON's "
                                          "transfer gives it); a Gap .mod in mechanisms_dir is not needed (bmtk "
                                          "needs one compiled); save_synapses and netcon_report list no "
                                          "junctions (they have no NetCon)"),
        "node_sets_file": ("supported", ""),
        "node_sets": ("supported", ""),
        "manifest": ("supported", ""),
        "inputs": ("supported", "see input modules"),
        "reports": ("supported", "see report modules"),
    },
}
