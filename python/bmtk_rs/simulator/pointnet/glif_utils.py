"""Allen Cell Types GLIF model files (``"type": "GLIF"`` json, SI units) as NEST ``glif_psc``
parameters (mV, pA, pF, nS, ms), the way bmtk 1.2.0 converts them for a ``nest:glif_lif*_psc``
model_template. Each Allen variant maps to glif_psc with its mechanism flags."""

import numpy as np

from ..sonata_config import ConfigError

# variant -> (sets V_reset to El_reference, R: spike threshold + reset rule, ASC, A: voltage threshold)
_VARIANTS = {
    "glif_lif_psc": (True, False, False, False),
    "glif_lif_r_psc": (False, True, False, False),
    "glif_lif_asc_psc": (True, False, True, False),
    "glif_lif_r_asc_psc": (False, True, True, False),
    "glif_lif_r_asc_a_psc": (False, True, True, True),
}
_TAU_SYN = [5.5, 8.5, 2.8, 5.8]


def is_allen_glif(model_template, params):
    return str(model_template).startswith("nest:glif") and isinstance(params, dict) and params.get("type") == "GLIF"


def convert_aibs2nest(model_template, dynamics_params, source="dynamics_params"):
    """(``'nest:glif_psc'``, NEST parameters) of an Allen GLIF json; other templates pass through."""
    name = str(model_template).split(":", 1)[-1]
    if name not in _VARIANTS:
        if name.endswith("_bix"):
            raise ConfigError(f"{source}: model_template '{model_template}' (glif_psc_bix) is not supported by "
                              f"bmtk-rs PointNet; use one of {['nest:' + v for v in _VARIANTS]}")
        if isinstance(dynamics_params, dict) and dynamics_params.get("type") == "GLIF":
            # bmtk converts Allen files for these templates only (none for glif_cond); NEST would then
            # refuse the file's keys one by one
            raise ConfigError(f"{source}: an Allen GLIF parameter file (type GLIF) is converted for "
                              f"{['nest:' + v for v in _VARIANTS]} only, as in bmtk; '{model_template}' takes "
                              "NEST's parameter names")
        return model_template, dynamics_params
    reset, r, asc, a = _VARIANTS[name]
    cfg = dynamics_params

    def get(*keys):
        v = cfg
        for k in keys:
            if not isinstance(v, dict) or k not in v:
                raise ConfigError(f"{source}: Allen GLIF parameters for {model_template} lack '{'.'.join(keys)}'")
            v = v[k]
        return v

    el_ref = get("El_reference") * 1.0e3
    e_l = get("El") * 1.0e3 + el_ref
    out = {
        "V_m": e_l,
        "V_th": get("coeffs", "th_inf") * get("th_inf") * 1.0e3 + el_ref,
        "g": get("coeffs", "G") / get("R_input") * 1.0e9,
        "E_L": e_l,
        "C_m": get("coeffs", "C") * get("C") * 1.0e12,
        "t_ref": get("spike_cut_length") * get("dt") * 1.0e3,
    }
    if reset:
        out["V_reset"] = el_ref
    if r:
        out["th_spike_add"] = get("threshold_dynamics_method", "params", "a_spike") * 1.0e3
        out["th_spike_decay"] = get("threshold_dynamics_method", "params", "b_spike") * 1.0e-3
        out["voltage_reset_fraction"] = get("voltage_reset_method", "params", "a")
        out["voltage_reset_add"] = get("voltage_reset_method", "params", "b") * 1.0e3
    if a:
        out["th_voltage_index"] = get("threshold_dynamics_method", "params", "a_voltage") * get("coeffs", "a") * 1e-3
        out["th_voltage_decay"] = get("threshold_dynamics_method", "params", "b_voltage") * get("coeffs", "b") * 1e-3
    if asc:
        out["asc_init"] = (np.asarray(get("init_AScurrents"), dtype=float) * 1.0e12).tolist()
        out["asc_decay"] = (1.0 / np.asarray(get("asc_tau_array"), dtype=float) * 1.0e-3).tolist()
        out["asc_amps"] = (np.asarray(get("asc_amp_array"), dtype=float)
                           * np.asarray(get("coeffs", "asc_amp_array"), dtype=float) * 1.0e12).tolist()
        if r:
            out["asc_r"] = [1.0, 1.0]
    out["tau_syn"] = list(_TAU_SYN)
    out["spike_dependent_threshold"] = r
    out["after_spike_currents"] = asc
    out["adapting_threshold"] = a
    return "nest:glif_psc", out
