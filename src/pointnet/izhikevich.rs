//! izhikevich: Izhikevich's (2003) two-variable neuron on NEST's fixed-step scheme. With
//! `consistent_integration` (the default) one forward-Euler step per time step, spikes jumping V
//! by their weight; without it the published scheme (two half steps for V with the spike input as
//! a current, then U from the new V).

use crate::error::Error;

use super::models::{names, receptor_zero, resolution_ms, Model};
use super::params::Params;

pub struct Izhikevich {
    a: f64,
    b: f64,
    c: f64,
    d: f64,
    i_e: f64,
    v_th: f64,
    v_min: f64,
    consistent: bool,
    h: f64,
    v: f64,
    u: f64,
    i: f64,
}

impl Izhikevich {
    pub fn new(p: &Params, dt: f64) -> Result<Self, Error> {
        let m = "izhikevich";
        Ok(Izhikevich {
            a: p.num_or(m, "a", 0.02)?,
            b: p.num_or(m, "b", 0.2)?,
            c: p.num_or(m, "c", -65.0)?,
            d: p.num_or(m, "d", 8.0)?,
            i_e: p.num_or(m, "I_e", 0.0)?,
            v_th: p.num_or(m, "V_th", 30.0)?,
            v_min: p.num_or(m, "V_min", -f64::MAX)?,
            consistent: p.flag_or(m, "consistent_integration", true)?,
            h: resolution_ms(dt),
            v: p.num_or(m, "V_m", -65.0)?,
            // NEST's default state: U_m = b * V_m of the default parameters
            u: p.num_or(m, "U_m", -13.0)?,
            i: 0.0,
        })
    }
}

impl Model for Izhikevich {
    fn n_ports(&self) -> usize {
        1
    }

    fn route(&self, receptor: u32, weight: f64) -> Result<(usize, f64), Error> {
        receptor_zero("izhikevich", receptor)?;
        Ok((0, weight))
    }

    fn update(&mut self, spikes: &[f64], current: f64) -> u32 {
        let h = self.h;
        if self.consistent {
            let (v_old, u_old) = (self.v, self.u);
            self.v += h * (0.04 * v_old * v_old + 5.0 * v_old + 140.0 - u_old + self.i + self.i_e)
                + spikes[0];
            self.u += h * self.a * (self.b * v_old - u_old);
        } else {
            let i_syn = spikes[0];
            for _ in 0..2 {
                self.v += h
                    * 0.5
                    * (0.04 * self.v * self.v + 5.0 * self.v + 140.0 - self.u
                        + self.i
                        + self.i_e
                        + i_syn);
            }
            self.u += h * self.a * (self.b * self.v - self.u);
        }
        if self.v < self.v_min {
            self.v = self.v_min;
        }
        let fired = self.v >= self.v_th;
        if fired {
            self.v = self.c;
            self.u += self.d;
        }
        self.i = current;
        u32::from(fired)
    }

    fn recordables(&self) -> Vec<String> {
        names(&["V_m", "U_m"])
    }

    fn get(&self, name: &str) -> f64 {
        match name {
            "V_m" => self.v,
            "U_m" => self.u,
            _ => f64::NAN,
        }
    }
}
