COMMENT
A three-state sodium-like channel written for bmtk-rs's tests: a linear KINETIC scheme with
voltage-dependent rates and a CONSERVE statement, started at its steady state by
SOLVE ... STEADYSTATE sparse in INITIAL (the states' declared start values are far from it).
ENDCOMMENT

NEURON {
    SUFFIX kss
    USEION na READ ena WRITE ina
    RANGE gbar, g
}

UNITS {
    (mV) = (millivolt)
    (mA) = (milliamp)
    (S) = (siemens)
}

PARAMETER {
    gbar = 0.02 (S/cm2)
    a0 = 0.8 (/ms)
    b0 = 0.3 (/ms)
    c0 = 0.05 (/ms)
    d0 = 0.02 (/ms)
}

ASSIGNED {
    v (mV)
    ena (mV)
    ina (mA/cm2)
    g (S/cm2)
    ko (/ms)
    kc (/ms)
    ki (/ms)
    kr (/ms)
}

STATE { c o i }

BREAKPOINT {
    SOLVE scheme METHOD sparse
    g = gbar * o
    ina = g * (v - ena)
}

INITIAL {
    c = 0.2
    o = 0.5
    i = 0.3
    SOLVE scheme STEADYSTATE sparse
}

KINETIC scheme {
    rates(v)
    ~ c <-> o (ko, kc)
    ~ o <-> i (ki, kr)
    CONSERVE c + o + i = 1
}

PROCEDURE rates(v (mV)) {
    ko = a0 * exp((v + 40) / 12)
    kc = b0 * exp(-(v + 40) / 20)
    ki = c0 * exp((v + 50) / 15)
    kr = d0 * exp(-(v + 70) / 25)
}
