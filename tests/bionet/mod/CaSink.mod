: A calcium sink written for bmtk-rs's tests: a second mechanism with `cai` as its STATE, pulling
: it back to a floor at its own rate. Next to bmtk's CaDynamics (which also advances `cai`) it
: makes the mechanisms' run order visible: NEURON advances concentration writers first, in reverse
: file order (CaSink before CaDynamics), then the other mechanisms in file order.

NEURON {
    SUFFIX CaSink
    USEION ca READ cai WRITE cai
    RANGE rate, camin
}

UNITS {
    (mM) = (milli/liter)
}

PARAMETER {
    rate = 0.5 (/ms)
    camin = 0.0001 (mM)
}

STATE { cai (mM) }

BREAKPOINT {
    SOLVE drain METHOD cnexp
}

DERIVATIVE drain {
    cai' = -rate*(cai - camin)
}
