/* 16550 UART on COM1: polled output, interrupt-driven input. */
#include <tern/types.h>
#include <tern/serial.h>
#include <asm/processor.h>

#define COM1        0x3f8
#define UART_RBR    0 /* receive buffer (read) */
#define UART_THR    0 /* transmit holding (write) */
#define UART_IER    1
#define UART_FCR    2
#define UART_LCR    3
#define UART_MCR    4
#define UART_LSR    5
#define UART_DLL    0 /* divisor latch, with LCR.DLAB */
#define UART_DLM    1

#define LSR_DR      0x01
#define LSR_THRE    0x20
#define LCR_DLAB    0x80
#define LCR_8N1     0x03
#define MCR_DTR_RTS_OUT2 0x0b
#define IER_RDA     0x01

static uint16_t port = COM1;
static bool present;

void serial_init(unsigned int baud)
{
    uint16_t div = (uint16_t)(115200 / (baud ? baud : 115200));

    outb(port + UART_IER, 0);
    outb(port + UART_LCR, LCR_DLAB);
    outb(port + UART_DLL, div & 0xff);
    outb(port + UART_DLM, div >> 8);
    outb(port + UART_LCR, LCR_8N1);
    outb(port + UART_FCR, 0x07); /* enable and clear FIFOs */
    outb(port + UART_MCR, MCR_DTR_RTS_OUT2);
    /* A missing UART reads back all ones. */
    present = inb(port + UART_LSR) != 0xff;
}

void serial_putc(char c)
{
    unsigned int spins = 0;

    if (!present)
        return;
    /* Bounded wait: a wedged UART must not hang the hypervisor. */
    while (!(inb(port + UART_LSR) & LSR_THRE) && ++spins < 1000000)
        cpu_relax();
    outb(port + UART_THR, (uint8_t)c);
}

void serial_puts(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n')
            serial_putc('\r');
        serial_putc(s[i]);
    }
}

int serial_getc(void)
{
    if (!present || !(inb(port + UART_LSR) & LSR_DR))
        return -1;
    return inb(port + UART_RBR);
}

void serial_enable_rx_irq(void)
{
    if (present)
        outb(port + UART_IER, IER_RDA);
}
