COMMENT
A calcium shell written for bmtk-rs's tests: a linear KINETIC scheme (free calcium, a buffer of
fixed capacity, a first-order return to cainf) started by SOLVE ... STEADYSTATE sparse from declared
values that are not at steady state; its shell depth is diam/4 (the segment's `diam`, um) and it
copies the segment's `area` (um2) into a RANGE variable.
ENDCOMMENT

NEURON {
    SUFFIX cass
    USEION ca READ ica WRITE cai
    RANGE kb, ku, btot, shell, seg_area
}

UNITS {
    (mM) = (milli/liter)
    (um) = (micron)
    (mA) = (milliamp)
    FARADAY = (faraday) (coulomb)
}

PARAMETER {
    kb = 50 (/mM-ms)
    ku = 0.05 (/ms)
    btot = 0.05 (mM)
    kpump = 0.02 (/ms)
    cainf = 1e-4 (mM)
}

ASSIGNED {
    ica (mA/cm2)
    diam (um)
    area (um2)
    shell (um)
    seg_area (um2)
}

STATE {
    cai (mM)
    cab (mM)
}

BREAKPOINT { SOLVE scheme METHOD sparse }

INITIAL {
    shell = diam / 4
    seg_area = area
    cai = 2e-4
    cab = 0
    SOLVE scheme STEADYSTATE sparse
}

KINETIC scheme {
    shell = diam / 4
    ~ cai <-> cab (kb * btot, ku)
    ~ cai << (-ica * 10000 / (2 * FARADAY * shell))
    ~ cai <-> cainf (kpump, kpump)
}
