/* A bounded printf formatter for the test guests; also built on the host to be checked against libc. */
#include "lib.h"

struct fmt_out {
    char *buf;
    size_t size;
    size_t len; /* characters produced so far, stored or not */
};

struct fmt_spec {
    bool left, zero, alt, space, plus;
    int width;     /* 0: none */
    int precision; /* -1: none */
    int length;    /* 'H' hh, 'h', 'l', 'L' ll (and z j t) */
};

static void out_char(struct fmt_out *o, char c)
{
    if (o->size && o->len < o->size - 1)
        o->buf[o->len] = c;
    o->len++;
}

static void out_repeat(struct fmt_out *o, char c, int n)
{
    while (n-- > 0)
        out_char(o, c);
}

static void out_str(struct fmt_out *o, const char *s, size_t n)
{
    while (n--)
        out_char(o, *s++);
}

static const char *parse_flags(const char *p, struct fmt_spec *sp)
{
    for (;; p++) {
        switch (*p) {
        case '-': sp->left = true; break;
        case '0': sp->zero = true; break;
        case '#': sp->alt = true; break;
        case ' ': sp->space = true; break;
        case '+': sp->plus = true; break;
        default: return p;
        }
    }
}

static const char *parse_number(const char *p, int *value, va_list *ap, bool *from_arg)
{
    *from_arg = false;
    if (*p == '*') {
        *value = va_arg(*ap, int);
        *from_arg = true;
        return p + 1;
    }
    *value = 0;
    while (*p >= '0' && *p <= '9' && *value < 100000)
        *value = *value * 10 + (*p++ - '0');
    while (*p >= '0' && *p <= '9')
        p++;
    return p;
}

static const char *parse_spec(const char *p, struct fmt_spec *sp, va_list *ap)
{
    bool star;

    *sp = (struct fmt_spec){ .precision = -1 };
    p = parse_flags(p, sp);
    p = parse_number(p, &sp->width, ap, &star);
    if (sp->width < 0) {
        sp->left = true;
        sp->width = sp->width == -2147483647 - 1 ? 0 : -sp->width;
    }
    if (*p == '.') {
        p = parse_number(p + 1, &sp->precision, ap, &star);
        if (sp->precision < 0)
            sp->precision = -1;
    }
    if (p[0] == 'h' && p[1] == 'h') {
        sp->length = 'H';
        p += 2;
    } else if (p[0] == 'l' && p[1] == 'l') {
        sp->length = 'L';
        p += 2;
    } else if (*p == 'h' || *p == 'l') {
        sp->length = *p++;
    } else if (*p == 'z' || *p == 'j' || *p == 't') {
        sp->length = 'L';
        p++;
    }
    return p;
}

static uint64_t fetch_unsigned(const struct fmt_spec *sp, va_list *ap)
{
    switch (sp->length) {
    case 'H': return (unsigned char)va_arg(*ap, unsigned int);
    case 'h': return (unsigned short)va_arg(*ap, unsigned int);
    case 'l': return va_arg(*ap, unsigned long);
    case 'L': return va_arg(*ap, unsigned long long);
    default: return va_arg(*ap, unsigned int);
    }
}

static int64_t fetch_signed(const struct fmt_spec *sp, va_list *ap)
{
    switch (sp->length) {
    case 'H': return (signed char)va_arg(*ap, int);
    case 'h': return (short)va_arg(*ap, int);
    case 'l': return va_arg(*ap, long);
    case 'L': return va_arg(*ap, long long);
    default: return va_arg(*ap, int);
    }
}

/* Digits of v in base, most significant first; returns the count. */
static int to_digits(uint64_t v, unsigned int base, bool upper, char *tmp)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char rev[24];
    int n = 0, i;

    do {
        rev[n++] = digits[v % base];
        v /= base;
    } while (v);
    for (i = 0; i < n; i++)
        tmp[i] = rev[n - 1 - i];
    return n;
}

static void format_number(struct fmt_out *o, const struct fmt_spec *sp, uint64_t mag,
                          bool negative, bool is_signed, unsigned int base, bool upper)
{
    char digits[24], prefix[3] = { 0 };
    int nd, zeros = 0, pad, np = 0;

    nd = to_digits(mag, base, upper, digits);
    if (sp->precision == 0 && mag == 0)
        nd = 0;
    if (sp->precision > nd)
        zeros = sp->precision - nd;
    if (is_signed && negative)
        prefix[np++] = '-';
    else if (is_signed && sp->plus)
        prefix[np++] = '+';
    else if (is_signed && sp->space)
        prefix[np++] = ' ';
    if (sp->alt && base == 16 && mag) {
        prefix[np++] = '0';
        prefix[np++] = upper ? 'X' : 'x';
    }
    if (sp->alt && base == 8 && zeros == 0 && (nd == 0 || digits[0] != '0'))
        zeros = 1;
    pad = sp->width - np - zeros - nd;
    if (!sp->left && !(sp->zero && sp->precision < 0))
        out_repeat(o, ' ', pad);
    out_str(o, prefix, (size_t)np);
    if (!sp->left && sp->zero && sp->precision < 0)
        out_repeat(o, '0', pad);
    out_repeat(o, '0', zeros);
    out_str(o, digits, (size_t)nd);
    if (sp->left)
        out_repeat(o, ' ', pad);
}

static void format_text(struct fmt_out *o, const struct fmt_spec *sp, const char *s, size_t n)
{
    int pad = sp->width - (int)n;

    if (!sp->left)
        out_repeat(o, ' ', pad);
    out_str(o, s, n);
    if (sp->left)
        out_repeat(o, ' ', pad);
}

static void format_one(struct fmt_out *o, char conv, struct fmt_spec *sp, va_list *ap)
{
    const char *s;
    char c;
    int64_t v;
    uint64_t u;

    switch (conv) {
    case 'd':
    case 'i':
        v = fetch_signed(sp, ap);
        u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
        format_number(o, sp, u, v < 0, true, 10, false);
        break;
    case 'u': format_number(o, sp, fetch_unsigned(sp, ap), false, false, 10, false); break;
    case 'x': format_number(o, sp, fetch_unsigned(sp, ap), false, false, 16, false); break;
    case 'X': format_number(o, sp, fetch_unsigned(sp, ap), false, false, 16, true); break;
    case 'o': format_number(o, sp, fetch_unsigned(sp, ap), false, false, 8, false); break;
    case 'p':
        u = (uint64_t)(uintptr_t)va_arg(*ap, void *);
        if (!u) {
            format_text(o, sp, "(nil)", 5);
            break;
        }
        sp->alt = true;
        format_number(o, sp, u, false, false, 16, false);
        break;
    case 'c':
        c = (char)va_arg(*ap, int);
        format_text(o, sp, &c, 1);
        break;
    case 's':
        s = va_arg(*ap, const char *);
        if (!s)
            s = "(null)";
        format_text(o, sp, s, strnlen(s, sp->precision < 0 ? SIZE_MAX : (size_t)sp->precision));
        break;
    default: /* "%%" and unknown conversions are printed as written */
        if (conv != '%')
            out_char(o, '%');
        if (conv)
            out_char(o, conv);
        break;
    }
}

int guest_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct fmt_out o = { .buf = buf, .size = size };
    struct fmt_spec sp;
    va_list args;

    va_copy(args, ap);
    while (*fmt) {
        if (*fmt != '%') {
            out_char(&o, *fmt++);
            continue;
        }
        fmt = parse_spec(fmt + 1, &sp, &args);
        format_one(&o, *fmt, &sp, &args);
        if (*fmt)
            fmt++;
    }
    va_end(args);
    if (size)
        buf[o.len < size ? o.len : size - 1] = '\0';
    return o.len > 0x7fffffff ? 0x7fffffff : (int)o.len;
}

int guest_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = guest_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
