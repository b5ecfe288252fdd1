/* vsnprintf and friends: printf-style formatting into a bounded buffer. */
#include <tern/lib.h>

#define F_LEFT 0x01  /* '-' */
#define F_ZERO 0x02  /* '0' */
#define F_ALT 0x04   /* '#' */
#define F_SPACE 0x08 /* ' ' */
#define F_PLUS 0x10  /* '+' */
#define F_UPPER 0x20 /* %X */
#define F_SIGNED 0x40 /* %d %i: '+' and ' ' apply */

enum len_mod { LEN_NONE, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_Z, LEN_T, LEN_J };

struct out {
    char *buf;
    size_t size;
    size_t pos; /* characters produced so far, stored or not */
};

struct spec {
    unsigned flags;
    int width;     /* 0 = none */
    int precision; /* -1 = none */
    enum len_mod len;
};

static void out_char(struct out *o, char c)
{
    if (o->pos + 1 < o->size)
        o->buf[o->pos] = c;
    o->pos++;
}

static void out_repeat(struct out *o, char c, int n)
{
    while (n-- > 0)
        out_char(o, c);
}

static void out_mem(struct out *o, const char *s, size_t n)
{
    while (n--)
        out_char(o, *s++);
}

/* Writes the digits of v in base into the end of tmp; returns the count. */
static int utoa_rev(char *tmp_end, unsigned long long v, unsigned base, bool upper)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    int n = 0;

    do {
        *--tmp_end = digits[v % base];
        v /= base;
        n++;
    } while (v);
    return n;
}

/* Lays out [sign/prefix][zeros][digits] within the field width. */
static void format_number(struct out *o, const struct spec *sp,
                          unsigned long long v, bool negative, unsigned base)
{
    char tmp[24];
    char prefix[2];
    int nprefix = 0, ndigits = 0, nzeros, total;

    if (negative)
        prefix[nprefix++] = '-';
    else if ((sp->flags & F_SIGNED) && (sp->flags & F_PLUS))
        prefix[nprefix++] = '+';
    else if ((sp->flags & F_SIGNED) && (sp->flags & F_SPACE))
        prefix[nprefix++] = ' ';
    if (base == 16 && (sp->flags & F_ALT) && v != 0) {
        prefix[nprefix++] = '0';
        prefix[nprefix++] = (sp->flags & F_UPPER) ? 'X' : 'x';
    }

    /* Precision 0 with value 0 prints no digits at all. */
    if (!(v == 0 && sp->precision == 0))
        ndigits = utoa_rev(tmp + sizeof(tmp), v, base, sp->flags & F_UPPER);

    nzeros = sp->precision > ndigits ? sp->precision - ndigits : 0;
    /* '#' with octal: the first digit must be a 0. */
    if (base == 8 && (sp->flags & F_ALT) && nzeros == 0 &&
        (ndigits == 0 || tmp[sizeof(tmp) - ndigits] != '0'))
        nzeros = 1;

    total = nprefix + nzeros + ndigits;
    if ((sp->flags & F_ZERO) && !(sp->flags & F_LEFT) && sp->precision < 0 &&
        sp->width > total) {
        nzeros += sp->width - total;
        total = sp->width;
    }
    if (!(sp->flags & F_LEFT))
        out_repeat(o, ' ', sp->width - total);
    out_mem(o, prefix, (size_t)nprefix);
    out_repeat(o, '0', nzeros);
    out_mem(o, tmp + sizeof(tmp) - ndigits, (size_t)ndigits);
    if (sp->flags & F_LEFT)
        out_repeat(o, ' ', sp->width - total);
}

/* Always "0x" and 16 digits, so pointers line up in logs. */
static void format_ptr(struct out *o, const struct spec *sp, uintptr_t v)
{
    const struct spec digits = { 0, 0, 16, LEN_NONE };
    int pad = sp->width - 18;

    if (!(sp->flags & F_LEFT))
        out_repeat(o, ' ', pad);
    out_mem(o, "0x", 2);
    format_number(o, &digits, v, false, 16);
    if (sp->flags & F_LEFT)
        out_repeat(o, ' ', pad);
}

static void format_str(struct out *o, const struct spec *sp, const char *s)
{
    size_t n;

    if (!s)
        s = "(null)";
    n = sp->precision >= 0 ? TERN_LIBC(strnlen)(s, (size_t)sp->precision)
                           : TERN_LIBC(strlen)(s);
    if (!(sp->flags & F_LEFT) && sp->width > 0 && (size_t)sp->width > n)
        out_repeat(o, ' ', (int)((size_t)sp->width - n));
    out_mem(o, s, n);
    if ((sp->flags & F_LEFT) && sp->width > 0 && (size_t)sp->width > n)
        out_repeat(o, ' ', (int)((size_t)sp->width - n));
}

static unsigned long long fetch_unsigned(enum len_mod len, va_list *ap)
{
    switch (len) {
    case LEN_HH: return (unsigned char)va_arg(*ap, unsigned int);
    case LEN_H: return (unsigned short)va_arg(*ap, unsigned int);
    case LEN_L: return va_arg(*ap, unsigned long);
    case LEN_LL: return va_arg(*ap, unsigned long long);
    case LEN_Z: return va_arg(*ap, size_t);
    case LEN_T: return (unsigned long long)va_arg(*ap, ptrdiff_t);
    case LEN_J: return va_arg(*ap, uintmax_t);
    default: return va_arg(*ap, unsigned int);
    }
}

static long long fetch_signed(enum len_mod len, va_list *ap)
{
    switch (len) {
    case LEN_HH: return (signed char)va_arg(*ap, int);
    case LEN_H: return (short)va_arg(*ap, int);
    case LEN_L: return va_arg(*ap, long);
    case LEN_LL: return va_arg(*ap, long long);
    case LEN_Z: return (long long)va_arg(*ap, size_t);
    case LEN_T: return va_arg(*ap, ptrdiff_t);
    case LEN_J: return va_arg(*ap, intmax_t);
    default: return va_arg(*ap, int);
    }
}

static const char *parse_flags(const char *f, struct spec *sp)
{
    for (;; f++) {
        switch (*f) {
        case '-': sp->flags |= F_LEFT; break;
        case '0': sp->flags |= F_ZERO; break;
        case '#': sp->flags |= F_ALT; break;
        case ' ': sp->flags |= F_SPACE; break;
        case '+': sp->flags |= F_PLUS; break;
        default: return f;
        }
    }
}

/* Reads digits or '*'; a number too large saturates instead of wrapping. */
static const char *parse_count(const char *f, int *val, bool *star)
{
    *star = false;
    if (*f == '*') {
        *star = true;
        return f + 1;
    }
    *val = 0;
    for (; *f >= '0' && *f <= '9'; f++)
        *val = *val > 100000000 ? 1000000000 : *val * 10 + (*f - '0');
    return f;
}

static const char *parse_length(const char *f, enum len_mod *len)
{
    switch (*f) {
    case 'h':
        if (f[1] == 'h') {
            *len = LEN_HH;
            return f + 2;
        }
        *len = LEN_H;
        return f + 1;
    case 'l':
        if (f[1] == 'l') {
            *len = LEN_LL;
            return f + 2;
        }
        *len = LEN_L;
        return f + 1;
    case 'z': *len = LEN_Z; return f + 1;
    case 't': *len = LEN_T; return f + 1;
    case 'j': *len = LEN_J; return f + 1;
    default: *len = LEN_NONE; return f;
    }
}

/* Parses one conversion after '%'; returns the pointer to its letter. */
static const char *parse_spec(const char *f, struct spec *sp, va_list *ap)
{
    bool star;

    sp->flags = 0;
    sp->width = 0;
    sp->precision = -1;
    f = parse_flags(f, sp);
    f = parse_count(f, &sp->width, &star);
    if (star) {
        sp->width = va_arg(*ap, int);
        if (sp->width < 0) {
            /* A negative '*' width means left-justify. */
            sp->flags |= F_LEFT;
            sp->width = sp->width == -2147483647 - 1 ? 2147483647 : -sp->width;
        }
    }
    if (*f == '.') {
        f = parse_count(f + 1, &sp->precision, &star);
        if (star) {
            sp->precision = va_arg(*ap, int);
            if (sp->precision < 0)
                sp->precision = -1;
        }
    }
    return parse_length(f, &sp->len);
}

/* Emits one conversion; returns false if the letter is not one we know. */
static bool convert(struct out *o, struct spec *sp, char c, va_list *ap)
{
    long long sv;

    switch (c) {
    case 'd':
    case 'i':
        sv = fetch_signed(sp->len, ap);
        sp->flags |= F_SIGNED;
        format_number(o, sp, sv < 0 ? 0ULL - (unsigned long long)sv
                                    : (unsigned long long)sv, sv < 0, 10);
        return true;
    case 'u':
        format_number(o, sp, fetch_unsigned(sp->len, ap), false, 10);
        return true;
    case 'X':
        sp->flags |= F_UPPER;
        /* fall through */
    case 'x':
        format_number(o, sp, fetch_unsigned(sp->len, ap), false, 16);
        return true;
    case 'o':
        format_number(o, sp, fetch_unsigned(sp->len, ap), false, 8);
        return true;
    case 'p':
        format_ptr(o, sp, (uintptr_t)va_arg(*ap, void *));
        return true;
    case 's':
        format_str(o, sp, va_arg(*ap, const char *));
        return true;
    case 'c': {
        char ch = (char)va_arg(*ap, int);
        if (!(sp->flags & F_LEFT))
            out_repeat(o, ' ', sp->width - 1);
        out_char(o, ch);
        if (sp->flags & F_LEFT)
            out_repeat(o, ' ', sp->width - 1);
        return true;
    }
    default:
        return false;
    }
}

int TERN_LIBC(vsnprintf)(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = { buf, size, 0 };
    struct spec sp;
    va_list args;

    va_copy(args, ap);
    while (*fmt) {
        const char *start = fmt;

        if (*fmt != '%') {
            out_char(&o, *fmt++);
            continue;
        }
        if (fmt[1] == '%') {
            out_char(&o, '%');
            fmt += 2;
            continue;
        }
        fmt = parse_spec(fmt + 1, &sp, &args);
        if (*fmt && convert(&o, &sp, *fmt, &args)) {
            fmt++;
            continue;
        }
        /* Unknown or truncated conversion: show it as written. */
        out_mem(&o, start, (size_t)(fmt - start) + (*fmt ? 1 : 0));
        if (*fmt)
            fmt++;
    }
    va_end(args);
    if (size)
        buf[o.pos < size ? o.pos : size - 1] = '\0';
    return o.pos > 2147483647 ? 2147483647 : (int)o.pos;
}

int TERN_LIBC(snprintf)(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = TERN_LIBC(vsnprintf)(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

int vscnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    int n = TERN_LIBC(vsnprintf)(buf, size, fmt, ap);

    if (size == 0)
        return 0;
    return (size_t)n < size ? n : (int)(size - 1);
}

int scnprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vscnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
