//! Executable memory for generated code: mapped writable, filled, then made read+execute (never
//! both writable and executable), unmapped on drop.

pub struct ExecMemory {
    ptr: *mut u8,
    len: usize,
}

// SAFETY: the mapping is immutable once made executable; it is only read and executed until
// `Drop` unmaps it.
unsafe impl Send for ExecMemory {}
unsafe impl Sync for ExecMemory {}

impl ExecMemory {
    /// Maps `code` as executable memory; `None` if the system refuses.
    pub fn new(code: &[u8]) -> Option<ExecMemory> {
        if code.is_empty() {
            return None;
        }
        let len = code.len();
        // SAFETY: a fresh anonymous private mapping; checked for failure before use, written
        // within its length, then protected.
        unsafe {
            let p = libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            if p == libc::MAP_FAILED {
                return None;
            }
            let ptr = p as *mut u8;
            std::ptr::copy_nonoverlapping(code.as_ptr(), ptr, len);
            if libc::mprotect(p, len, libc::PROT_READ | libc::PROT_EXEC) != 0 {
                libc::munmap(p, len);
                return None;
            }
            Some(ExecMemory { ptr, len })
        }
    }

    /// The address of byte `offset` of the code.
    pub fn at(&self, offset: usize) -> *const u8 {
        assert!(offset < self.len);
        // SAFETY: within the mapping (checked above).
        unsafe { self.ptr.add(offset) }
    }
}

impl Drop for ExecMemory {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `new`, unmapped once.
        unsafe {
            libc::munmap(self.ptr as *mut libc::c_void, self.len);
        }
    }
}
