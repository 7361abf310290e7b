COMMENT
A calcium pool written for bmtk-rs's tests: influx from ica into a shell, decay to a floor and a
saturating pump, integrated by derivimplicit. The pump term is a variable computed in the block
from the state (so the derivative depends on cai through it as well as directly).
ENDCOMMENT

NEURON {
    SUFFIX cadi
    USEION ca READ ica WRITE cai
    RANGE depth, taur, cainf, vmax, km, pump
}

UNITS {
    (mM) = (milli/liter)
    (um) = (micron)
    (mA) = (milliamp)
    FARADAY = (faraday) (coulomb)
}

PARAMETER {
    depth = 0.5 (um)
    taur = 80 (ms)
    cainf = 5e-5 (mM)
    vmax = 2e-3 (mM/ms)
    km = 1e-3 (mM)
}

ASSIGNED {
    ica (mA/cm2)
    drive (mM/ms)
    pump (mM/ms)
}

STATE { cai (mM) }

INITIAL { cai = cainf }

BREAKPOINT { SOLVE state METHOD derivimplicit }

DERIVATIVE state {
    drive = -(10000) * ica / (2 * FARADAY * depth)
    if (drive < 0) {
        drive = 0
    }
    pump = vmax * cai / (cai + km)
    cai' = drive - (cai - cainf) / taur - pump
}
