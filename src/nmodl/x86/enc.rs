//! An x86-64 encoder for the few instructions the AVX2 code generator emits: VEX-encoded packed
//! double arithmetic on ymm registers, and the integer moves, jumps and calls around them.
//! Memory operands are `[base + index*8 + disp32]`, `[base + disp32]` or a constant of the
//! function's pool addressed relative to the instruction pointer.

/// A general-purpose register by its hardware number (rax = 0 .. r15 = 15).
pub type Gpr = u8;
pub const RAX: Gpr = 0;
pub const RCX: Gpr = 1;
pub const RDX: Gpr = 2;
pub const RBX: Gpr = 3;
pub const RSP: Gpr = 4;
pub const RBP: Gpr = 5;
pub const RSI: Gpr = 6;
pub const RDI: Gpr = 7;
pub const R12: Gpr = 12;
pub const R13: Gpr = 13;
pub const R14: Gpr = 14;
pub const R15: Gpr = 15;

/// A ymm register (0..16).
pub type Ymm = u8;

/// A memory operand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mem {
    /// `[base + index*8 + disp]`.
    Indexed { base: Gpr, index: Gpr, disp: i32 },
    /// `[base + disp]`.
    Base { base: Gpr, disp: i32 },
    /// Entry `i` of the constant pool (32 bytes each).
    Const(u32),
}

/// An operand that may be a register or memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rm {
    Reg(u8),
    Mem(Mem),
}

/// Opcode maps of the VEX prefix.
#[derive(Clone, Copy)]
pub enum Map {
    M0f = 1,
    M0f38 = 2,
    M0f3a = 3,
}

/// The implied legacy prefix of a VEX instruction.
#[derive(Clone, Copy)]
pub enum Pp {
    P66 = 1,
    F2 = 3,
}

/// vcmppd predicates (ordered/quiet as cranelift's FloatCC lowers them; `NeqUq` is true for NaN).
pub mod pred {
    pub const EQ_OQ: u8 = 0x00;
    pub const NEQ_UQ: u8 = 0x04;
    pub const LT_OQ: u8 = 0x11;
    pub const LE_OQ: u8 = 0x12;
    pub const GE_OQ: u8 = 0x1d;
    pub const GT_OQ: u8 = 0x1e;
}

/// A forward or backward jump target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Label(usize);

#[derive(Default)]
pub struct Asm {
    pub code: Vec<u8>,
    /// (position of a rel32, label) to patch once the label is bound.
    jumps: Vec<(usize, Label)>,
    labels: Vec<Option<usize>>,
    /// (position of a disp32, constant index, end of its instruction).
    consts: Vec<(usize, u32, usize)>,
}

impl Asm {
    pub fn label(&mut self) -> Label {
        self.labels.push(None);
        Label(self.labels.len() - 1)
    }

    pub fn bind(&mut self, l: Label) {
        self.labels[l.0] = Some(self.code.len());
    }

    fn byte(&mut self, b: u8) {
        self.code.push(b);
    }

    fn i32(&mut self, x: i32) {
        self.code.extend_from_slice(&x.to_le_bytes());
    }

    /// ModRM (and SIB, displacement) for register field `reg` and operand `rm`; returns the
    /// position of a constant's disp32 to patch, if any.
    fn modrm(&mut self, reg: u8, rm: Rm) -> Option<(usize, u32)> {
        let reg = (reg & 7) << 3;
        match rm {
            Rm::Reg(r) => {
                self.byte(0xc0 | reg | (r & 7));
                None
            }
            Rm::Mem(Mem::Indexed { base, index, disp }) => {
                let m = self.disp_mode(base, disp);
                self.byte(m | reg | 4);
                self.byte(0xc0 | ((index & 7) << 3) | (base & 7));
                self.disp(m, disp);
                None
            }
            Rm::Mem(Mem::Base { base, disp }) => {
                let m = self.disp_mode(base, disp);
                if base & 7 == 4 {
                    // rsp and r12 as a base need a SIB byte (with no index)
                    self.byte(m | reg | 4);
                    self.byte(0x24);
                } else {
                    self.byte(m | reg | (base & 7));
                }
                self.disp(m, disp);
                None
            }
            Rm::Mem(Mem::Const(i)) => {
                self.byte(0x05 | reg);
                let at = self.code.len();
                self.i32(0);
                Some((at, i))
            }
        }
    }

    /// ModRM's mod bits for a displacement: none, 8 or 32 bits (rbp and r13 as a base always
    /// take one: mod 00 means something else there).
    fn disp_mode(&self, base: Gpr, disp: i32) -> u8 {
        if disp == 0 && base & 7 != 5 {
            0x00
        } else if i8::try_from(disp).is_ok() {
            0x40
        } else {
            0x80
        }
    }

    fn disp(&mut self, mode: u8, disp: i32) {
        match mode {
            0x00 => {}
            0x40 => self.byte(disp as i8 as u8),
            _ => self.i32(disp),
        }
    }

    /// The X and B extension bits of an operand.
    fn xb(rm: Rm) -> (u8, u8) {
        match rm {
            Rm::Reg(r) => (0, r >> 3),
            Rm::Mem(Mem::Indexed { base, index, .. }) => (index >> 3, base >> 3),
            Rm::Mem(Mem::Base { base, .. }) => (0, base >> 3),
            Rm::Mem(Mem::Const(_)) => (0, 0),
        }
    }

    /// A VEX instruction (three-byte prefix): `reg` the ModRM.reg operand, `vvvv` the extra
    /// source (0 when unused), 256-bit when `l256`, then `imm` if given.
    #[allow(clippy::too_many_arguments)]
    pub fn vex(
        &mut self,
        map: Map,
        pp: Pp,
        w: bool,
        l256: bool,
        op: u8,
        reg: u8,
        vvvv: u8,
        rm: Rm,
        imm: Option<u8>,
    ) {
        let (x, b) = Self::xb(rm);
        let r = reg >> 3;
        let tail = ((!vvvv & 15) << 3) | ((l256 as u8) << 2) | pp as u8;
        if x == 0 && b == 0 && !w && matches!(map, Map::M0f) {
            // the two-byte form (what assemblers emit when it suffices; shorter to decode)
            self.byte(0xc5);
            self.byte(((r ^ 1) << 7) | tail);
        } else {
            self.byte(0xc4);
            self.byte(((r ^ 1) << 7) | ((x ^ 1) << 6) | ((b ^ 1) << 5) | map as u8);
            self.byte(((w as u8) << 7) | tail);
        }
        self.byte(op);
        let c = self.modrm(reg, rm);
        if let Some(i) = imm {
            self.byte(i);
        }
        if let Some((at, i)) = c {
            self.consts.push((at, i, self.code.len()));
        }
    }

    /// A packed-double operation `dst = src1 op src2` (66 0F map, 256-bit).
    pub fn vpd(&mut self, op: u8, dst: Ymm, src1: Ymm, src2: Rm) {
        self.vex(Map::M0f, Pp::P66, false, true, op, dst, src1, src2, None);
    }

    pub fn vaddpd(&mut self, d: Ymm, a: Ymm, b: Rm) {
        self.vpd(0x58, d, a, b);
    }
    pub fn vmulpd(&mut self, d: Ymm, a: Ymm, b: Rm) {
        self.vpd(0x59, d, a, b);
    }
    pub fn vsubpd(&mut self, d: Ymm, a: Ymm, b: Rm) {
        self.vpd(0x5c, d, a, b);
    }
    pub fn vandpd(&mut self, d: Ymm, a: Ymm, b: Rm) {
        self.vpd(0x54, d, a, b);
    }
    pub fn vorpd(&mut self, d: Ymm, a: Ymm, b: Rm) {
        self.vpd(0x56, d, a, b);
    }
    pub fn vxorpd(&mut self, d: Ymm, a: Ymm, b: Rm) {
        self.vpd(0x57, d, a, b);
    }
    pub fn vsqrtpd(&mut self, d: Ymm, a: Rm) {
        self.vpd(0x51, d, 0, a);
    }
    /// 64-bit integer add and subtract of each lane (AVX2).
    pub fn vpaddq(&mut self, d: Ymm, a: Ymm, b: Rm) {
        self.vpd(0xd4, d, a, b);
    }
    pub fn vpsubq(&mut self, d: Ymm, a: Ymm, b: Rm) {
        self.vpd(0xfb, d, a, b);
    }
    /// Each 64-bit lane shifted left by `n` (AVX2).
    pub fn vpsllq(&mut self, d: Ymm, a: Ymm, n: u8) {
        self.vex(
            Map::M0f,
            Pp::P66,
            false,
            true,
            0x73,
            6,
            d,
            Rm::Reg(a),
            Some(n),
        );
    }
    pub fn vcmppd(&mut self, d: Ymm, a: Ymm, b: Rm, predicate: u8) {
        self.vex(
            Map::M0f,
            Pp::P66,
            false,
            true,
            0xc2,
            d,
            a,
            b,
            Some(predicate),
        );
    }
    /// `d = mask's sign ? t : f` per lane.
    pub fn vblendvpd(&mut self, d: Ymm, f: Ymm, t: Rm, mask: Ymm) {
        self.vex(
            Map::M0f3a,
            Pp::P66,
            false,
            true,
            0x4b,
            d,
            f,
            t,
            Some(mask << 4),
        );
    }
    pub fn vmovupd_load(&mut self, d: Ymm, m: Rm) {
        if let Rm::Reg(s) = m {
            if s >= 8 && d < 8 {
                // the store form puts the high register in ModRM.reg: a two-byte prefix
                return self.vex(Map::M0f, Pp::P66, false, true, 0x11, s, 0, Rm::Reg(d), None);
            }
        }
        self.vex(Map::M0f, Pp::P66, false, true, 0x10, d, 0, m, None);
    }
    pub fn vmovupd_store(&mut self, m: Mem, s: Ymm) {
        self.vex(Map::M0f, Pp::P66, false, true, 0x11, s, 0, Rm::Mem(m), None);
    }
    pub fn vbroadcastsd(&mut self, d: Ymm, m: Mem) {
        self.vex(
            Map::M0f38,
            Pp::P66,
            false,
            true,
            0x19,
            d,
            0,
            Rm::Mem(m),
            None,
        );
    }
    /// Scalar double load into the low lane of xmm `d` (upper lanes zeroed).
    pub fn vmovsd_load(&mut self, d: Ymm, m: Mem) {
        self.vex(Map::M0f, Pp::F2, false, false, 0x10, d, 0, Rm::Mem(m), None);
    }
    pub fn vmovsd_store(&mut self, m: Mem, s: Ymm) {
        self.vex(Map::M0f, Pp::F2, false, false, 0x11, s, 0, Rm::Mem(m), None);
    }
    /// The lanes' sign bits into the low bits of a general register.
    pub fn vmovmskpd(&mut self, d: Gpr, s: Ymm) {
        self.vex(Map::M0f, Pp::P66, false, true, 0x50, d, 0, Rm::Reg(s), None);
    }
    pub fn vzeroupper(&mut self) {
        self.code.extend_from_slice(&[0xc5, 0xf8, 0x77]);
    }

    fn rex(&mut self, w: bool, reg: u8, rm: Rm) {
        let (x, b) = Self::xb(rm);
        self.byte(0x40 | ((w as u8) << 3) | ((reg >> 3) << 2) | (x << 1) | b);
    }

    /// `mov d, [m]` (64-bit).
    pub fn mov_load(&mut self, d: Gpr, m: Mem) {
        self.rex(true, d, Rm::Mem(m));
        self.byte(0x8b);
        self.modrm(d, Rm::Mem(m));
    }
    /// `mov d, s` (64-bit).
    pub fn mov_rr(&mut self, d: Gpr, s: Gpr) {
        self.rex(true, s, Rm::Reg(d));
        self.byte(0x89);
        self.modrm(s, Rm::Reg(d));
    }
    pub fn mov_imm64(&mut self, d: Gpr, x: u64) {
        self.rex(true, 0, Rm::Reg(d));
        self.byte(0xb8 | (d & 7));
        self.code.extend_from_slice(&x.to_le_bytes());
    }
    /// `add d, imm32` (64-bit).
    pub fn add_imm(&mut self, d: Gpr, x: i32) {
        self.rex(true, 0, Rm::Reg(d));
        self.byte(0x81);
        self.modrm(0, Rm::Reg(d));
        self.i32(x);
    }
    /// `sub d, imm32` (64-bit).
    pub fn sub_imm(&mut self, d: Gpr, x: i32) {
        self.rex(true, 5, Rm::Reg(d));
        self.byte(0x81);
        self.modrm(5, Rm::Reg(d));
        self.i32(x);
    }
    /// `and d, imm32` (64-bit, sign-extended).
    pub fn and_imm(&mut self, d: Gpr, x: i32) {
        self.rex(true, 4, Rm::Reg(d));
        self.byte(0x81);
        self.modrm(4, Rm::Reg(d));
        self.i32(x);
    }
    /// `cmp a, b` (64-bit; flags of a - b).
    pub fn cmp_rr(&mut self, a: Gpr, b: Gpr) {
        self.rex(true, b, Rm::Reg(a));
        self.byte(0x39);
        self.modrm(b, Rm::Reg(a));
    }
    /// `test d, d` (32-bit).
    pub fn test32(&mut self, d: Gpr) {
        if d >= 8 {
            self.byte(0x45);
        }
        self.byte(0x85);
        self.modrm(d, Rm::Reg(d));
    }
    /// `lea d, [m]`.
    pub fn lea(&mut self, d: Gpr, m: Mem) {
        self.rex(true, d, Rm::Mem(m));
        self.byte(0x8d);
        self.modrm(d, Rm::Mem(m));
    }
    pub fn push(&mut self, r: Gpr) {
        if r >= 8 {
            self.byte(0x41);
        }
        self.byte(0x50 | (r & 7));
    }
    pub fn pop(&mut self, r: Gpr) {
        if r >= 8 {
            self.byte(0x41);
        }
        self.byte(0x58 | (r & 7));
    }
    /// `call r`.
    pub fn call(&mut self, r: Gpr) {
        if r >= 8 {
            self.byte(0x41);
        }
        self.byte(0xff);
        self.modrm(2, Rm::Reg(r));
    }
    pub fn ret(&mut self) {
        self.byte(0xc3);
    }

    fn rel32(&mut self, l: Label) {
        let at = self.code.len();
        self.i32(0);
        self.jumps.push((at, l));
    }
    pub fn jmp(&mut self, l: Label) {
        self.byte(0xe9);
        self.rel32(l);
    }
    /// Jump if above or equal (unsigned).
    pub fn jae(&mut self, l: Label) {
        self.code.extend_from_slice(&[0x0f, 0x83]);
        self.rel32(l);
    }
    /// Jump if zero.
    pub fn jz(&mut self, l: Label) {
        self.code.extend_from_slice(&[0x0f, 0x84]);
        self.rel32(l);
    }

    /// The finished code: jumps resolved and the constant pool (32-byte entries, aligned)
    /// appended. Every label used must have been bound.
    pub fn finish(mut self, pool: &[[u64; 4]]) -> Vec<u8> {
        for &(at, l) in &self.jumps {
            let to = self.labels[l.0].expect("label bound") as i64;
            let rel = (to - (at as i64 + 4)) as i32;
            self.code[at..at + 4].copy_from_slice(&rel.to_le_bytes());
        }
        while self.code.len() % 32 != 0 {
            self.code.push(0xcc);
        }
        let base = self.code.len();
        for e in pool {
            for x in e {
                self.code.extend_from_slice(&x.to_le_bytes());
            }
        }
        for &(at, i, end) in &self.consts {
            let rel = (base as i64 + 32 * i as i64 - end as i64) as i32;
            self.code[at..at + 4].copy_from_slice(&rel.to_le_bytes());
        }
        self.code
    }
}
