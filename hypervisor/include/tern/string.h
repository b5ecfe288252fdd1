/* Freestanding string and memory routines (hypervisor/lib/string.c).
 *
 * The kernel links these under their usual names (GCC may emit calls to
 * memcpy/memset/memmove/memcmp on its own). Host unit-test builds
 * (-DTERN_HOST) get libc's versions under the usual names and ours under a
 * tern_ prefix, so both can be linked into one test and compared. */
#ifndef TERN_STRING_H
#define TERN_STRING_H

#include <tern/types.h>

#ifdef TERN_HOST
#include <string.h>
#define TERN_LIBC(name) tern_##name
#else
#define TERN_LIBC(name) name
#endif

void *TERN_LIBC(memcpy)(void *dst, const void *src, size_t n);
void *TERN_LIBC(memmove)(void *dst, const void *src, size_t n);
void *TERN_LIBC(memset)(void *dst, int c, size_t n);
int TERN_LIBC(memcmp)(const void *a, const void *b, size_t n);
void *TERN_LIBC(memchr)(const void *s, int c, size_t n);
size_t TERN_LIBC(strlen)(const char *s);
size_t TERN_LIBC(strnlen)(const char *s, size_t max);
int TERN_LIBC(strcmp)(const char *a, const char *b);
int TERN_LIBC(strncmp)(const char *a, const char *b, size_t n);
char *TERN_LIBC(strchr)(const char *s, int c);
char *TERN_LIBC(strrchr)(const char *s, int c);

/* Copies at most size-1 bytes and always terminates (if size > 0).
 * Returns strlen(src): truncation happened iff the result >= size. */
size_t TERN_LIBC(strlcpy)(char *dst, const char *src, size_t size);
#ifdef TERN_HOST
/* Older libcs lack strlcpy: host code reaches ours (link string.c). */
#define strlcpy tern_strlcpy
#endif

/* Parses an unsigned number. base 0 = auto: "0x"/"0X" hex, leading "0"
 * octal, else decimal; base 16 also accepts a 0x prefix. Leading spaces
 * are skipped; no sign accepted. *end (if non-NULL) points past the last
 * digit used, or at s when there was no digit. Saturates at ULLONG_MAX on
 * overflow (use parse_u64 to detect it). */
unsigned long long parse_ull(const char *s, const char **end, unsigned base);

/* Like parse_ull, but returns 0, -EINVAL (no digits / bad base) or -ERANGE
 * (overflow; *out untouched). */
int parse_u64(const char *s, const char **end, unsigned base, uint64_t *out);

/* Linux-compatible spelling; saturates on overflow like parse_ull. */
unsigned long simple_strtoul(const char *s, char **end, unsigned base);

#endif /* TERN_STRING_H */
