"""bmtk_rs.simulator.filternet.lgnmodel's filters, kernels and movies against bmtk 1.2.0's, to 1e-9."""

import numpy as np
import pytest

PARAMS = [([25.328, -10.10059], [59.0, 120.0], [0.0, 0.0]), ([33.328, -2.10059], [59.0, 120.0], [0.0, 0.0]),
          ([2.114240294638181, -1.2215255706921226], [54.48070427796576, 127.92115511653763], [0, 5]),
          ([1.0, -0.5], [10.0, 200.0], [3, 12])]


@pytest.mark.parametrize("weights,kpeaks,delays", PARAMS)
def test_temporal_cosine_bump_matches_bmtk(weights, kpeaks, delays):
    from bmtk.simulator.filternet.lgnmodel.temporalfilter import TemporalFilterCosineBump as Ref

    from bmtk_rs.simulator.filternet.lgnmodel.temporalfilter import TemporalFilterCosineBump

    ref, ours = Ref(weights, kpeaks, delays), TemporalFilterCosineBump(weights, kpeaks, delays)
    np.testing.assert_allclose(ours.kernel_data, ref.kernel_data, rtol=0, atol=1e-9)
    np.testing.assert_allclose(ours.t_support, ref.t_support, rtol=0, atol=1e-12)
    for t_range in (None, np.linspace(0.0, 1.0, 1001), np.arange(0.0, 0.3, 0.0005)):
        for threshold, reverse, rescale in ((-1.0, False, False), (0.0, True, False), (0.0, True, True)):
            kr = ref.get_kernel(t_range=t_range, threshold=threshold, reverse=reverse, rescale=rescale)
            ko = ours.get_kernel(t_range=t_range, threshold=threshold, reverse=reverse, rescale=rescale)
            np.testing.assert_allclose(ko.kernel, kr.kernel, rtol=0, atol=1e-9)
            np.testing.assert_array_equal(ko.t_inds, kr.t_inds)
            np.testing.assert_allclose(ko.t_range, kr.t_range, rtol=0, atol=1e-12)
            np.testing.assert_allclose(ko.full(), kr.full(), rtol=0, atol=1e-9)
    assert ours.to_dict()["weights"] == ref.to_dict()["weights"]


def test_fitfuns_basis_matches_bmtk():
    from bmtk.simulator.filternet.lgnmodel import fitfuns as rf

    from bmtk_rs.simulator.filternet.lgnmodel import fitfuns as of

    for _w, k, d in PARAMS:
        prs = {"neye": 0, "ncos": 2, "kpeaks": k, "b": 0.3, "delays": np.array([d]).astype(int)}
        np.testing.assert_allclose(of.makeBasis_StimKernel(prs, 600), rf.makeBasis_StimKernel(prs, 600),
                                   rtol=0, atol=1e-12)


def test_movies_match_bmtk():
    from bmtk.simulator.filternet.lgnmodel import movie as rm

    from bmtk_rs.simulator.filternet.lgnmodel import movie as om

    for rate, t_on, t_off, t_max in ((1000.0, 0.5, 1.0, 1.5), (24, 1.0, 2.0, 3.0)):
        a = rm.FullFieldFlashMovie(range(12), range(24), t_on, t_off, 0.8, frame_rate=rate).full(t_max=t_max)
        b = om.FullFieldFlashMovie(range(12), range(24), t_on, t_off, 0.8, frame_rate=rate).full(t_max=t_max)
        np.testing.assert_array_equal(b.data, a.data)
        np.testing.assert_array_equal(b.t_range, a.t_range)
        np.testing.assert_array_equal(b.row_range, a.row_range)
        assert b.frame_rate == a.frame_rate
    data = np.random.RandomState(1).rand(20, 6, 8)
    for kw in ({"frame_rate": 100.0}, {"t_range": np.linspace(0.0, 1.0, 20)}):
        a, b = rm.Movie(data, **kw), om.Movie(data, **kw)
        assert b.frame_rate == a.frame_rate
        for x, y in zip(b.ranges, a.ranges):
            np.testing.assert_array_equal(x, y)
