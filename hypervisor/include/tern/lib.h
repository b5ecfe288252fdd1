/* Formatted output into buffers (hypervisor/lib/vsnprintf.c).
 *
 * Supports %d %i %u %x %X %o %p %s %c %%, flags '-' '0' '#' ' ' '+', field
 * width and precision (both may be '*'), length modifiers hh h l ll z t j.
 * %p prints "0x" and 16 hex digits; a NULL %s prints "(null)". Unknown
 * conversions are copied literally. Host test builds (-DTERN_HOST) name
 * these tern_vsnprintf etc. so they can be compared with libc's. */
#ifndef TERN_LIB_H
#define TERN_LIB_H

#include <stdarg.h>
#include <tern/types.h>
#include <tern/string.h>

/* C99 semantics: returns the length the full output would have had; writes
 * at most size-1 characters plus a terminating NUL when size > 0. */
int TERN_LIBC(vsnprintf)(char *buf, size_t size, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
int TERN_LIBC(snprintf)(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Like the above but return the number of characters actually stored
 * (excluding the NUL): handy for appending into one buffer. */
int vscnprintf(char *buf, size_t size, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
int scnprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* TERN_LIB_H */
