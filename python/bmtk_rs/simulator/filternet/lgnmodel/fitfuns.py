"""The raised-cosine temporal basis behind ``TemporalFilterCosineBump`` (Pillow et al.'s
log-time cosine bumps), as bmtk's ``fitfuns.makeBasis_StimKernel`` builds it."""

import numpy as np

_EPS = 1e-20


def nlin(x):
    return np.log(x + _EPS)


def invnl(x):
    return np.exp(x) - _EPS


def ff(x, c, dc):
    """Raised cosine of (x - c) scaled by dc, clipped to one period."""
    arg = np.clip((np.asarray(x, dtype=float) - c) * np.pi / dc / 2, -np.pi, np.pi)
    return (np.cos(arg) + 1) / 2


def normalizecols(a):
    return a / np.tile(np.sqrt(np.sum(a ** 2, 0)), (np.size(a, 0), 1))


def makeBasis_StimKernel(kbasprs, nkt):
    """Two unit-norm cosine bumps peaking at kbasprs['kpeaks'] (ms), delayed by kbasprs['delays'],
    as the columns of a (time x 2) matrix, time running backwards."""
    neye, ncos = kbasprs["neye"], kbasprs["ncos"]
    kpeaks, b = kbasprs["kpeaks"], kbasprs["b"]
    delays = np.asarray(kbasprs["delays"])[0].astype(int)
    # bmtk fixes the log-time range to 100..200 ms whatever the peaks are
    yrnge = nlin(np.array([100.0, 200.0]) + b * np.ones(np.shape(kpeaks)))
    db = (yrnge[-1] - yrnge[0]) / (ncos - 1)
    ctrs = nlin(np.array(kpeaks))
    mxt = invnl(yrnge[ncos - 1] + 2 * db) - b
    kt0 = np.arange(0, mxt, 1)
    logt = nlin(kt0 + b * np.ones(np.shape(kt0)))
    bumps = np.stack([ff(logt, ctrs[k], db) for k in range(ncos)], axis=1)
    n0 = len(kt0)
    top = np.concatenate((np.eye(neye), np.zeros((n0, neye))), axis=0)
    bottom = np.concatenate((np.zeros((neye, ncos)), bumps), axis=0)
    kbasis = np.flipud(np.concatenate((top, bottom), axis=1))
    n0 = kbasis.shape[0]
    if n0 < nkt:
        kbasis = np.concatenate((np.zeros((nkt - n0, ncos + neye)), kbasis), axis=0)
    elif n0 > nkt:
        kbasis = kbasis[-1 - nkt:-1, :]
    kbasis = normalizecols(kbasis)
    first = np.concatenate((kbasis[:, 0], np.zeros(delays[0])))
    second = np.concatenate((kbasis[:, 1], np.zeros(delays[1])))[delays[1] - delays[0]:]
    return normalizecols(np.stack([first, second], axis=1))


def makeBasis_StimKernel_exp(kbasprs, nkt):
    """Exponential decays exp(-k t) (t = 0..nkt-1 samples), one column per rate in kbasprs['ks'],
    time running backwards."""
    t = np.arange(0, nkt)
    basis = np.stack([invnl(-k * t) for k in kbasprs["ks"]], axis=1) if len(kbasprs["ks"]) else np.zeros((nkt, 0))
    return np.flipud(basis)


def makeFitStruct_GLM(dtsim, kbasprs, nkt, flag_exp):
    """The starting structure of a GLM fit: the temporal basis (cosine bumps, or exponentials when
    ``flag_exp``) with zero kernel weights."""
    basis = makeBasis_StimKernel(kbasprs, nkt) if flag_exp == 0 else makeBasis_StimKernel_exp(kbasprs, nkt)
    kt = np.zeros((nkt, 1))
    return {"k": basis * kt, "dc": 0, "kt": kt, "ktbas": basis, "kbasprs": kbasprs, "dt": dtsim}


def sameconv(A, B):
    """The first len(A) samples of the (FFT) convolution of A with B reversed, as a complex array."""
    n_a = np.size(A)
    n = n_a + np.size(B) - 1
    return np.fft.ifft(np.fft.fft(A, n) * np.fft.fft(np.flipud(B), n))[:n_a]
