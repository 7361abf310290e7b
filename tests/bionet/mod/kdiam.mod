: A delayed-rectifier potassium channel written for bmtk-rs's tests whose conductance depends on
: the segment's geometry: scaled by 4 um / diam (thin dendrites get more) and reporting the
: segment's area, so a cell with varying diameters tests `diam` and `area` as NEURON gives them.

NEURON {
    SUFFIX kdiam
    USEION k READ ek WRITE ik
    RANGE gbar, g, seg_area
}

UNITS {
    (mV) = (millivolt)
    (mA) = (milliamp)
    (S) = (siemens)
    (um) = (micron)
}

PARAMETER {
    gbar = 0.001 (S/cm2)
}

ASSIGNED {
    v (mV)
    ek (mV)
    ik (mA/cm2)
    g (S/cm2)
    ninf
    tau (ms)
    diam (um)
    area (um2)
    seg_area (um2)
}

STATE { n }

BREAKPOINT {
    SOLVE states METHOD cnexp
    g = gbar*n*n*n*n*(4 (um))/diam
    ik = g*(v - ek)
}

INITIAL {
    rates(v)
    n = ninf
    seg_area = area
}

DERIVATIVE states {
    rates(v)
    n' = (ninf - n)/tau
}

PROCEDURE rates(v (mV)) {
    ninf = 1/(1 + exp(-(v + 30)/10))
    tau = 2 + 8/(1 + exp((v + 40)/15))
}
