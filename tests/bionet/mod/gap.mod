COMMENT
Test input for the bmtk + NEURON oracle runs (bmtk's BioNet creates h.Gap for gap junction edges).
One side of an electrical junction: a point current through conductance g towards the voltage
vgap of the partner segment, a range variable that ParallelContext.target_var keeps up to date.
ENDCOMMENT

NEURON {
    POINT_PROCESS Gap
    RANGE g, i, vgap
    NONSPECIFIC_CURRENT i
}

UNITS {
    (nA) = (nanoamp)
    (mV) = (millivolt)
    (uS) = (microsiemens)
}

PARAMETER {
    g = 0.001 (uS)
}

ASSIGNED {
    v (mV)
    vgap (mV)
    i (nA)
}

BREAKPOINT {
    i = g * (v - vgap)
}
