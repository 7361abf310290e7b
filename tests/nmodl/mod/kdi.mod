COMMENT
A delayed-rectifier potassium channel written for bmtk-rs's tests: Hodgkin-Huxley n^4 kinetics
with its rates from a PROCEDURE and a FUNCTION, integrated by derivimplicit.
ENDCOMMENT

NEURON {
    SUFFIX kdi
    USEION k READ ek WRITE ik
    RANGE gbar, g, ninf, ntau
}

UNITS {
    (mV) = (millivolt)
    (mA) = (milliamp)
    (S) = (siemens)
}

PARAMETER { gbar = 0.01 (S/cm2) }

ASSIGNED {
    v (mV)
    ek (mV)
    ik (mA/cm2)
    g (S/cm2)
    ninf
    ntau (ms)
    celsius (degC)
}

STATE { n }

BREAKPOINT {
    SOLVE states METHOD derivimplicit
    g = gbar * n * n * n * n
    ik = g * (v - ek)
}

INITIAL {
    rates(v)
    n = ninf
}

DERIVATIVE states {
    rates(v)
    n' = (ninf - n) / ntau
}

PROCEDURE rates(v (mV)) {
    LOCAL a, b, q
    q = 3^((celsius - 6.3) / 10)
    a = 0.01 * vtrap(-(v + 55), 10)
    b = 0.125 * exp(-(v + 65) / 80)
    ntau = 1 / (q * (a + b))
    ninf = a / (a + b)
}

FUNCTION vtrap(x, y) {
    if (fabs(x / y) < 1e-6) {
        vtrap = y * (1 - x / y / 2)
    } else {
        vtrap = x / (exp(x / y) - 1)
    }
}
