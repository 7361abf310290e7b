COMMENT
A potassium channel written for bmtk-rs's tests of NMODL arrays: a four-state chain held in a
STATE array, weights and rates in ASSIGNED arrays, a PARAMETER array (zeros), with constant indexes and
FROM loops (index expressions on the loop variable), in a KINETIC scheme (NEURON 9
does not translate derivatives of STATE arrays in DERIVATIVE blocks).
ENDCOMMENT

NEURON {
    SUFFIX karr
    USEION k READ ek WRITE ik
    RANGE gbar, o0, o1, o2, o3, g
}

UNITS {
    (mV) = (millivolt)
    (mA) = (milliamp)
    (S) = (siemens)
}

PARAMETER {
    gbar = 0.01 (S/cm2)
    tau0 = 2 (ms)
    wp[3]
}

ASSIGNED {
    v (mV)
    ek (mV)
    ik (mA/cm2)
    g (S/cm2)
    rate[4] (/ms)
    w[3]
    o0
    o1
    o2
    o3
}

STATE { x[4] }

BREAKPOINT {
    LOCAL s
    SOLVE states METHOD sparse
    s = 0
    FROM i = 0 TO 2 {
        s = s + (w[i] + wp[i]) * x[i + 1]
    }
    g = gbar * s
    ik = g * (v - ek)
    o0 = x[0]
    o1 = x[1]
    o2 = x[2]
    o3 = x[3]
}

INITIAL {
    rates(v)
    FROM i = 0 TO 2 {
        w[i] = 0.25 + 0.25 * i
    }
    x[0] = 1
    FROM i = 1 TO 3 {
        x[i] = 0
    }
}

KINETIC states {
    rates(v)
    ~ x[3] <-> x[0] (rate[3], 0.01)
    FROM i = 0 TO 2 {
        ~ x[i] <-> x[i + 1] (rate[i], 0.05 * (i + 1))
    }
}

PROCEDURE rates(v (mV)) {
    FROM i = 0 TO 3 {
        rate[i] = exp((v + 60 - 10 * i) / 20) / tau0
    }
}
