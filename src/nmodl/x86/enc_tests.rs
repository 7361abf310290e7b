//! The encoder against the GNU assembler: every instruction form, with low and high registers
//! and each kind of memory operand, assembled by `as` and by enc.rs, byte for byte.

use super::enc::*;

/// An instruction `d = x op y` of the encoder.
type ThreeOperand = fn(&mut Asm, Ymm, Ymm, Rm);

/// Assembles `text` (AT&T syntax) with the system's `as`; `None` if there is none (CI requires it).
fn gnu_as(text: &str) -> Option<Vec<u8>> {
    let dir = std::env::temp_dir().join(format!("bmtk_rs_enc_{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    let src = dir.join("t.s");
    let obj = dir.join("t.o");
    let bin = dir.join("t.bin");
    std::fs::write(&src, format!(".text\n{text}\n")).ok()?;
    let ok = std::process::Command::new("as")
        .arg("-o")
        .arg(&obj)
        .arg(&src)
        .status()
        .ok()?
        .success();
    assert!(ok, "as failed on:\n{text}");
    let ok = std::process::Command::new("objcopy")
        .args(["-O", "binary", "-j", ".text"])
        .arg(&obj)
        .arg(&bin)
        .status()
        .ok()?
        .success();
    assert!(ok, "objcopy failed");
    let b = std::fs::read(&bin).ok();
    let _ = std::fs::remove_dir_all(&dir);
    b
}

const GPR: [&str; 16] = [
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13",
    "r14", "r15",
];

fn mem_att(m: Mem) -> String {
    match m {
        Mem::Indexed { base, index, disp } => {
            format!("{disp}(%{},%{},8)", GPR[base as usize], GPR[index as usize])
        }
        Mem::Base { base, disp } => format!("{disp}(%{})", GPR[base as usize]),
        Mem::Const(_) => unreachable!(),
    }
}

#[test]
fn encoder_matches_gnu_as() {
    let mut a = Asm::default();
    let mut t = String::new();
    let mems = [
        Mem::Indexed {
            base: RCX,
            index: R13,
            disp: 0,
        },
        Mem::Indexed {
            base: 11,
            index: 2,
            disp: 64,
        },
        Mem::Base {
            base: RSP,
            disp: 96,
        },
        Mem::Base { base: R12, disp: 8 },
        Mem::Base {
            base: RBP,
            disp: -40,
        },
        Mem::Base { base: R15, disp: 0 },
        Mem::Base { base: R13, disp: 0 },
        Mem::Base { base: RSP, disp: 0 },
        Mem::Indexed {
            base: RBP,
            index: R13,
            disp: 0,
        },
        Mem::Indexed {
            base: RAX,
            index: 12,
            disp: -200,
        },
    ];
    let regs: [(Ymm, Ymm, Ymm); 4] = [(0, 1, 2), (8, 9, 15), (3, 12, 7), (15, 0, 8)];
    for &(d, x, y) in &regs {
        let ops: [(&str, ThreeOperand); 8] = [
            ("vaddpd", Asm::vaddpd),
            ("vmulpd", Asm::vmulpd),
            ("vsubpd", Asm::vsubpd),
            ("vandpd", Asm::vandpd),
            ("vorpd", Asm::vorpd),
            ("vxorpd", Asm::vxorpd),
            ("vpaddq", Asm::vpaddq),
            ("vpsubq", Asm::vpsubq),
        ];
        for (name, f) in ops {
            f(&mut a, d, x, Rm::Reg(y));
            t += &format!("{name} %ymm{y}, %ymm{x}, %ymm{d}\n");
            for m in mems {
                f(&mut a, d, x, Rm::Mem(m));
                t += &format!("{name} {}, %ymm{x}, %ymm{d}\n", mem_att(m));
            }
        }
        a.vpd(0x5e, d, x, Rm::Reg(y));
        t += &format!("vdivpd %ymm{y}, %ymm{x}, %ymm{d}\n");
        a.vsqrtpd(d, Rm::Reg(x));
        t += &format!("vsqrtpd %ymm{x}, %ymm{d}\n");
        a.vsqrtpd(d, Rm::Mem(mems[1]));
        t += &format!("vsqrtpd {}, %ymm{d}\n", mem_att(mems[1]));
        a.vpsllq(d, x, 52);
        t += &format!("vpsllq $52, %ymm{x}, %ymm{d}\n");
        for p in [
            pred::EQ_OQ,
            pred::NEQ_UQ,
            pred::LT_OQ,
            pred::LE_OQ,
            pred::GE_OQ,
            pred::GT_OQ,
        ] {
            a.vcmppd(d, x, Rm::Reg(y), p);
            t += &format!("vcmppd ${p}, %ymm{y}, %ymm{x}, %ymm{d}\n");
            a.vcmppd(d, x, Rm::Mem(mems[0]), p);
            t += &format!("vcmppd ${p}, {}, %ymm{x}, %ymm{d}\n", mem_att(mems[0]));
        }
        a.vblendvpd(d, x, Rm::Reg(y), d ^ 5);
        t += &format!("vblendvpd %ymm{}, %ymm{y}, %ymm{x}, %ymm{d}\n", d ^ 5);
        a.vblendvpd(d, x, Rm::Mem(mems[3]), y);
        t += &format!(
            "vblendvpd %ymm{y}, {}, %ymm{x}, %ymm{d}\n",
            mem_att(mems[3])
        );
        for m in mems {
            a.vmovupd_load(d, Rm::Mem(m));
            t += &format!("vmovupd {}, %ymm{d}\n", mem_att(m));
            a.vmovupd_store(m, d);
            t += &format!("vmovupd %ymm{d}, {}\n", mem_att(m));
            a.vbroadcastsd(d, m);
            t += &format!("vbroadcastsd {}, %ymm{d}\n", mem_att(m));
            a.vmovsd_load(d, m);
            t += &format!("vmovsd {}, %xmm{d}\n", mem_att(m));
            a.vmovsd_store(m, d);
            t += &format!("vmovsd %xmm{d}, {}\n", mem_att(m));
        }
        a.vmovupd_load(d, Rm::Reg(x));
        t += &format!("vmovupd %ymm{x}, %ymm{d}\n");
    }
    for r in [RAX, RCX, 9, R15] {
        a.vmovmskpd(r, 13);
        let name = GPR[r as usize];
        let r32 = match name.strip_prefix('r') {
            Some(n) if n.as_bytes()[0].is_ascii_digit() => format!("{name}d"),
            _ => name.replacen('r', "e", 1),
        };
        t += &format!("vmovmskpd %ymm13, %{r32}\n");
    }
    a.vzeroupper();
    t += "vzeroupper\n";
    for (d, s) in [(RBX, RDI), (R12, RSI), (R13, RDX), (R14, RCX), (RBP, RSP)] {
        a.mov_rr(d, s);
        t += &format!("mov %{}, %{}\n", GPR[s as usize], GPR[d as usize]);
    }
    for d in [RAX, RCX, 9, R15] {
        for m in [
            mems[2],
            mems[3],
            mems[4],
            Mem::Base {
                base: RBX,
                disp: 800,
            },
        ] {
            a.mov_load(d, m);
            t += &format!("mov {}, %{}\n", mem_att(m), GPR[d as usize]);
        }
        a.mov_imm64(d, 0x1234_5678_9abc_def0);
        t += &format!("movabs $0x123456789abcdef0, %{}\n", GPR[d as usize]);
        a.call(d);
        t += &format!("call *%{}\n", GPR[d as usize]);
    }
    a.add_imm(R13, 4);
    t += "add $0x4, %r13\n";
    a.sub_imm(RSP, 160);
    t += "sub $0xa0, %rsp\n";
    a.and_imm(RSP, -32);
    t += "and $-32, %rsp\n";
    a.cmp_rr(R13, R14);
    t += "cmp %r14, %r13\n";
    a.test32(RAX);
    t += "test %eax, %eax\n";
    a.lea(RSP, mems[4]);
    t += &format!("lea {}, %rsp\n", mem_att(mems[4]));
    for r in [RBP, RBX, R12, R15] {
        a.push(r);
        a.pop(r);
        t += &format!("push %{0}\npop %{0}\n", GPR[r as usize]);
    }
    a.ret();
    t += "ret\n";
    // `as` widens immediates to 32 bits only where needed: write the forms enc.rs emits
    let t = t
        .replace("add $0x4, %r13", ".byte 0x49, 0x81, 0xc5, 4, 0, 0, 0")
        .replace(
            "and $-32, %rsp",
            ".byte 0x48, 0x81, 0xe4, 0xe0, 0xff, 0xff, 0xff",
        );
    let Some(want) = gnu_as(&t) else {
        assert!(
            std::env::var("CI").is_err(),
            "the GNU assembler (as, objcopy) is needed under CI=true"
        );
        eprintln!("no GNU assembler: encoder test not run");
        return;
    };
    let got = a.finish(&[]);
    let got = &got[..want.len().min(got.len())];
    if got != want.as_slice() {
        let at = got.iter().zip(&want).position(|(x, y)| x != y).unwrap_or(0);
        panic!(
            "encoding differs from `as` at byte {at}: ours {:02x?}, as {:02x?}",
            &got[at.saturating_sub(4)..(at + 12).min(got.len())],
            &want[at.saturating_sub(4)..(at + 12).min(want.len())]
        );
    }
}

#[test]
fn jumps_and_constants_resolve() {
    let mut a = Asm::default();
    let top = a.label();
    let end = a.label();
    a.bind(top);
    a.vaddpd(1, 2, Rm::Mem(Mem::Const(1)));
    a.jz(end);
    a.jmp(top);
    a.bind(end);
    a.ret();
    let code = a.finish(&[[1; 4], [2; 4]]);
    // vaddpd with a rip-relative operand: C5 ED 58 0D <rel32>, 8 bytes
    assert_eq!(&code[..4], &[0xc5, 0xed, 0x58, 0x0d]);
    let rel = i32::from_le_bytes(code[4..8].try_into().unwrap());
    let pool = code.len() - 64;
    assert_eq!(8 + rel as usize, pool + 32);
    // jz end (6 bytes at 8) lands on ret (at 19)
    let jz = i32::from_le_bytes(code[10..14].try_into().unwrap());
    assert_eq!(14 + jz, 19);
    let jmp = i32::from_le_bytes(code[15..19].try_into().unwrap());
    assert_eq!(19 + jmp, 0);
    assert_eq!(code[19], 0xc3);
}
