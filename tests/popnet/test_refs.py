"""PopNet against dipde 0.2.2 (under bmtk 1.2.0): the stored rates of every popnet_refs variant.

Tolerance: 1e-6 relative, plus 1e-9 Hz absolute. dipde's `gmres` step stops once the residual of
the implicit Euler system is below tol = 1e-12 of |p|; a density error of that size moves the
threshold flux by at most (sum of input rates x nsyns, < 1 kHz here) x 1e-12 < 1e-9 Hz, so rates
far below 1e-3 Hz (the first steps of the inhibitory population, 1e-18 Hz) are solver noise in the
reference itself and are held to the absolute bound only. The `exact` variant (dense expm in dipde,
a scaled Taylor series here) differs by rounding only and uses the same bounds."""

import pytest

from bmtk_rs.simulator import popnet

from ._cases import VARIANTS, compare, read_rates, ref_config, ref_dir


@pytest.mark.parametrize("variant", VARIANTS)
def test_rates_match_dipde(bmtk_data, tmp_path, variant):
    cfg = ref_config(bmtk_data, variant, tmp_path)
    popnet.run(str(cfg))
    ours = read_rates(tmp_path / "output" / "spike_rates.csv")
    ref = read_rates(ref_dir(bmtk_data, variant) / "output" / "spike_rates.csv")
    # same populations, same order, the same time column to the character
    assert ours["pop_id"].tolist() == ref["pop_id"].tolist()
    assert ours["time"].tolist() == ref["time"].tolist()
    result = compare(ours, ref)
    print(variant, {pid: f"max rel {rel:.2e}, max abs {ab:.2e} Hz" for pid, (rel, _, ab) in result.items()})
    for pid, (rel, ok, ab) in result.items():
        assert ok, f"{variant}: population {pid} differs from dipde (max rel {rel:.3g}, max abs {ab:.3g} Hz)"
        assert rel < 1e-6


def test_reference_steady_state_is_reached(bmtk_data, tmp_path):
    """The comparison covers the transient and the settled rates (both populations settle)."""
    ref = read_rates(ref_dir(bmtk_data, "default") / "output" / "spike_rates.csv")
    for _, r in ref.groupby("pop_id"):
        tail = r["rate"].to_numpy()[-50:]
        assert tail.min() > 1.0 and (tail.max() - tail.min()) < 1e-6 * tail.max()
