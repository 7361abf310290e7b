: A delayed-rectifier potassium channel written for bmtk-rs's tests (n^4 gating, Boltzmann
: steady state, voltage-dependent time constant): a density mechanism that the engine does not
: have built in, so a fit json naming it must run it from this file.

NEURON {
    SUFFIX kdrtest
    USEION k READ ek WRITE ik
    RANGE gbar, g
}

UNITS {
    (mV) = (millivolt)
    (mA) = (milliamp)
    (S) = (siemens)
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
}

STATE { n }

BREAKPOINT {
    SOLVE states METHOD cnexp
    g = gbar*n*n*n*n
    ik = g*(v - ek)
}

INITIAL {
    rates(v)
    n = ninf
}

DERIVATIVE states {
    rates(v)
    n' = (ninf - n)/tau
}

PROCEDURE rates(v (mV)) {
    ninf = 1/(1 + exp(-(v + 30)/10))
    tau = 2 + 8/(1 + exp((v + 40)/15))
}
