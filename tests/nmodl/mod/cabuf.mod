COMMENT
A calcium shell with a mobile-free buffer, written for bmtk-rs's tests: the binding reaction
cai + buf <-> cabuf is nonlinear, so NEURON iterates Newton's method in every time step until its
convergence test; a first-order pump returns cai to cainf and its net flux is read back through
f_flux/b_flux; the shell (depth diam/4) is a COMPARTMENT and the buffer total is a CONSERVE over
it, and INITIAL starts from values away from equilibrium and solves the STEADYSTATE.
ENDCOMMENT

NEURON {
    SUFFIX cabuf
    USEION ca READ ica WRITE cai
    RANGE kon, koff, btot, kpump, jpump, jbind
}

UNITS {
    (mM) = (milli/liter)
    (um) = (micron)
    (mA) = (milliamp)
    FARADAY = (faraday) (coulomb)
}

PARAMETER {
    kon = 100 (/mM-ms)
    koff = 0.1 (/ms)
    btot = 0.05 (mM)
    kpump = 0.05 (/ms)
    cainf = 5e-5 (mM)
}

ASSIGNED {
    ica (mA/cm2)
    diam (um)
    shell (um)
    jpump (mM/ms)
    jbind (mM/ms)
}

STATE {
    cai (mM)
    buf (mM)
    cabuf (mM)
}

BREAKPOINT { SOLVE scheme METHOD sparse }

INITIAL {
    shell = diam / 4
    cai = 1e-4
    buf = btot
    cabuf = 0
    SOLVE scheme STEADYSTATE sparse
}

KINETIC scheme {
    COMPARTMENT shell {cai buf cabuf}
    ~ cai + buf <-> cabuf (kon, koff)
    jbind = f_flux - b_flux
    ~ cai << (-ica * 10000 / (2 * FARADAY))
    ~ cai <-> cainf (kpump, kpump)
    jpump = f_flux - b_flux
    CONSERVE buf + cabuf = btot * shell
}
