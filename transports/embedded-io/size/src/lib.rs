//! What both size programs share: a UART-like stream over two memory-mapped registers, a
//! clock over a free-running microsecond counter, and an xorshift RNG seeded from it. Every
//! access is volatile, so the optimizer keeps the whole program.
#![no_std]

use core::ptr;

const UART_STATUS: *const u32 = 0x4000_0000 as *const u32;
const UART_DATA: *mut u32 = 0x4000_0004 as *mut u32;
const TIMER_MICROS: *const u32 = 0x4000_1000 as *const u32;

/// Bytes each buffer gets in both programs.
pub const BUF_LEN: usize = 1024;

/// A UART modem: a byte per read, blocking until one is there.
pub struct Uart;

impl Uart {
    pub fn read_byte(&mut self) -> u8 {
        // SAFETY: fixed device registers of the imaginary board, always mapped.
        unsafe {
            while ptr::read_volatile(UART_STATUS) & 1 == 0 {}
            ptr::read_volatile(UART_DATA) as u8
        }
    }

    pub fn write_byte(&mut self, b: u8) {
        // SAFETY: as above.
        unsafe { ptr::write_volatile(UART_DATA, u32::from(b)) }
    }
}

impl embedded_io::ErrorType for Uart {
    type Error = embedded_io::ErrorKind;
}

impl embedded_io::Read for Uart {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        match buf.first_mut() {
            Some(b) => {
                *b = self.read_byte();
                Ok(1)
            }
            None => Ok(0),
        }
    }
}

impl embedded_io::Write for Uart {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        for &b in buf {
            self.write_byte(b);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// Microseconds from the timer peripheral.
pub fn micros() -> u64 {
    // SAFETY: as above.
    u64::from(unsafe { ptr::read_volatile(TIMER_MICROS) })
}

/// Xorshift32 (for size only: a real device uses its TRNG).
pub struct XorShift(pub u32);

impl XorShift {
    pub fn seeded() -> Self {
        XorShift(micros() as u32 | 1)
    }

    pub fn next(&mut self) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        self.0
    }

    pub fn fill(&mut self, dst: &mut [u8]) {
        for chunk in dst.chunks_mut(4) {
            let bytes = self.next().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}

impl rand_core::TryRng for XorShift {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok(self.next())
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        Ok(u64::from(self.next()) << 32 | u64::from(self.next()))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        self.fill(dst);
        Ok(())
    }
}

impl rand_core_06::RngCore for XorShift {
    fn next_u32(&mut self) -> u32 {
        self.next()
    }
    fn next_u64(&mut self) -> u64 {
        u64::from(self.next()) << 32 | u64::from(self.next())
    }
    fn fill_bytes(&mut self, dst: &mut [u8]) {
        self.fill(dst);
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), rand_core_06::Error> {
        self.fill(dst);
        Ok(())
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    loop {}
}
