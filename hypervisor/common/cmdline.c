/* Boot command-line parser: splits words, matches them against a parameter
 * table and stores validated values. Never fatal: problems are reported and
 * the rest of the line is still parsed. */
#include <tern/cmdline.h>
#include <tern/errno.h>
#include <tern/string.h>

typedef void (*report_fn)(const char *msg, const char *word);

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * Copies the next word into buf (quotes removed). Returns false at the end
 * of the line. *err names a problem with the word (it is then skipped).
 */
static bool next_word(const char **pp, char *buf, size_t cap, const char **err)
{
    const char *p = *pp;
    size_t n = 0;
    bool quoted = false;

    *err = NULL;
    while (is_blank(*p))
        p++;
    if (!*p)
        return false;
    for (; *p && (quoted || !is_blank(*p)); p++) {
        if (*p == '"') {
            quoted = !quoted;
            continue;
        }
        if (n + 1 < cap)
            buf[n++] = *p;
        else
            *err = "option too long";
    }
    buf[n] = '\0';
    if (quoted && !*err)
        *err = "unterminated quote";
    *pp = p;
    return true;
}

static char fold(char c)
{
    return c == '_' ? '-' : c;
}

/* Compares a table name with name[0..len), treating '-' and '_' as equal. */
static bool name_eq(const char *table_name, const char *name, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++)
        if (!table_name[i] || fold(table_name[i]) != fold(name[i]))
            return false;
    return table_name[i] == '\0';
}

static const struct boot_param *find_param(const struct boot_param *table, size_t n,
                                           const char *name, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (table[i].name && name_eq(table[i].name, name, len))
            return &table[i];
    return NULL;
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool word_is(const char *s, const char *lit)
{
    for (; *s && *lit; s++, lit++)
        if (lower(*s) != *lit)
            return false;
    return *s == '\0' && *lit == '\0';
}

static int parse_bool(const char *v, bool *out)
{
    static const char *const yes[] = { "1", "yes", "on", "true", "enable", "y" };
    static const char *const no[] = { "0", "no", "off", "false", "disable", "n" };

    for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
        if (word_is(v, yes[i])) {
            *out = true;
            return 0;
        }
        if (word_is(v, no[i])) {
            *out = false;
            return 0;
        }
    }
    return -EINVAL;
}

/* Number with an optional K/M/G/T suffix when sized; whole value must parse. */
static int parse_number(const char *v, bool sized, uint64_t *out)
{
    const char *end;
    uint64_t x;
    unsigned shift = 0;
    int rc;

    if (*v == '\0' || is_blank(*v))
        return -EINVAL;
    rc = parse_u64(v, &end, 0, &x);
    if (rc)
        return rc;
    if (sized && *end) {
        switch (lower(*end)) {
        case 'k': shift = 10; break;
        case 'm': shift = 20; break;
        case 'g': shift = 30; break;
        case 't': shift = 40; break;
        default: return -EINVAL;
        }
        end++;
    }
    if (*end)
        return -EINVAL;
    if (shift && x > (UINT64_MAX >> shift))
        return -ERANGE;
    *out = x << shift;
    return 0;
}

static int store_uint(void *var, size_t len, uint64_t x)
{
    switch (len) {
    case 1:
        if (x > UINT8_MAX)
            return -ERANGE;
        *(uint8_t *)var = (uint8_t)x;
        return 0;
    case 2:
        if (x > UINT16_MAX)
            return -ERANGE;
        *(uint16_t *)var = (uint16_t)x;
        return 0;
    case 4:
        if (x > UINT32_MAX)
            return -ERANGE;
        *(uint32_t *)var = (uint32_t)x;
        return 0;
    case 8:
        *(uint64_t *)var = x;
        return 0;
    default:
        return -EINVAL;
    }
}

static int apply(const struct boot_param *p, const char *value)
{
    uint64_t x;
    bool b = true;
    int rc;

    switch (p->type) {
    case PARAM_BOOL:
        if (value && parse_bool(value, &b))
            return -EINVAL;
        *(bool *)p->var = value ? b : true;
        return 0;
    case PARAM_UINT:
    case PARAM_SIZE:
        if (!value)
            return -ENODATA;
        rc = parse_number(value, p->type == PARAM_SIZE, &x);
        return rc ? rc : store_uint(p->var, p->len, x);
    case PARAM_STR:
        if (!value)
            return -ENODATA;
        if (strlen(value) >= p->len)
            return -E2BIG;
        memcpy(p->var, value, strlen(value) + 1);
        return 0;
    case PARAM_CUSTOM:
        rc = p->fn ? p->fn(value ? value : "") : -EINVAL;
        return rc < 0 ? rc : 0;
    }
    return -EINVAL;
}

static const char *error_text(int rc)
{
    switch (rc) {
    case -ERANGE: return "value out of range";
    case -E2BIG: return "value too long";
    case -ENODATA: return "missing value";
    default: return "bad value";
    }
}

/* Handles `no-name`; returns the error message or NULL on success. */
static const char *apply_negated(const struct boot_param *table, size_t n,
                                 const char *name, size_t len, const char *value)
{
    const struct boot_param *p;

    if (len <= 3 || name[0] != 'n' || name[1] != 'o' || fold(name[2]) != '-')
        return "unknown option";
    p = find_param(table, n, name + 3, len - 3);
    if (!p || p->type != PARAM_BOOL)
        return "unknown option";
    if (value)
        return "no- option takes no value";
    *(bool *)p->var = false;
    return NULL;
}

static const char *handle_word(const struct boot_param *table, size_t n, char *word)
{
    char *eq = strchr(word, '=');
    size_t len = eq ? (size_t)(eq - word) : strlen(word);
    const char *value = eq ? eq + 1 : NULL;
    const struct boot_param *p;
    int rc;

    if (len == 0)
        return "missing option name";
    p = find_param(table, n, word, len);
    if (!p)
        return apply_negated(table, n, word, len, value);
    rc = apply(p, value);
    return rc ? error_text(rc) : NULL;
}

int cmdline_parse(const char *line, const struct boot_param *table, size_t n,
                  report_fn report)
{
    char word[CMDLINE_MAX_WORD];
    const char *err;
    int errors = 0;

    if (!line)
        return 0;
    while (next_word(&line, word, sizeof(word), &err)) {
        if (!err)
            err = handle_word(table, n, word);
        if (err) {
            errors++;
            if (report)
                report(err, word);
        }
    }
    return errors;
}
