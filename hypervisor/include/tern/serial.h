/* The serial console. */
#ifndef TERN_SERIAL_H
#define TERN_SERIAL_H

#include <tern/types.h>

#define SERIAL_IRQ 4 /* COM1's ISA IRQ */

void serial_init(unsigned int baud);
void serial_putc(char c);
void serial_puts(const char *s, size_t n);
int serial_getc(void); /* -1 when nothing is waiting */
void serial_enable_rx_irq(void);

#endif
