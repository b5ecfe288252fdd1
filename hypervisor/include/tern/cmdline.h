/* Boot command-line parser (hypervisor/common/cmdline.c).
 *
 * Words are separated by blanks; double quotes group blanks into a word and
 * are removed ("name=a b" or name="a b"). Forms: `name=value`, `name` (bool
 * true, or an empty value for custom handlers), `no-name` (bool false).
 * Bool values: 0/1 yes/no on/off true/false enable/disable. UINT: decimal,
 * 0x hex or 0 octal. SIZE: the same with an optional K/M/G/T suffix (binary
 * multiples). '-' and '_' in names are interchangeable. Errors are reported
 * and parsing goes on; a variable is only written when its value is good. */
#ifndef TERN_CMDLINE_H
#define TERN_CMDLINE_H

#include <tern/types.h>

enum param_type { PARAM_BOOL, PARAM_UINT, PARAM_SIZE, PARAM_STR, PARAM_CUSTOM };

struct boot_param {
    const char *name;
    enum param_type type;
    void *var;   /* bool *, unsigned int / uint64_t * (len says which), char[len] */
    size_t len;  /* sizeof the variable */
    int (*fn)(const char *value); /* PARAM_CUSTOM: 0 or -Exxx */
};

/* Longest word handled; longer ones are reported and skipped. */
#define CMDLINE_MAX_WORD 256

/* report (may be NULL) gets a short message and the offending word.
 * Returns the number of errors. */
int cmdline_parse(const char *line, const struct boot_param *table, size_t n,
                  void (*report)(const char *msg, const char *word));

/* Registration into section .data.boot_params for the kernel; the linker
 * script provides __boot_params_start/__boot_params_end. */
#define BOOT_PARAM_CAT2(a, b) a##b
#define BOOT_PARAM_CAT(a, b) BOOT_PARAM_CAT2(a, b)
#define BOOT_PARAM_ENTRY(_name, _type, _var, _len, _fn)                        \
    static const struct boot_param BOOT_PARAM_CAT(__boot_param_, __LINE__)     \
        __attribute__((used, section(".data.boot_params"), aligned(8))) = {    \
            _name, _type, _var, _len, _fn}

#define BOOT_PARAM_BOOL(name, var) BOOT_PARAM_ENTRY(name, PARAM_BOOL, &(var), sizeof(var), NULL)
#define BOOT_PARAM_UINT(name, var) BOOT_PARAM_ENTRY(name, PARAM_UINT, &(var), sizeof(var), NULL)
#define BOOT_PARAM_SIZE(name, var) BOOT_PARAM_ENTRY(name, PARAM_SIZE, &(var), sizeof(var), NULL)
#define BOOT_PARAM_STR(name, var) BOOT_PARAM_ENTRY(name, PARAM_STR, (var), sizeof(var), NULL)
#define BOOT_PARAM_CUSTOM(name, fn) BOOT_PARAM_ENTRY(name, PARAM_CUSTOM, NULL, 0, fn)

#ifndef TERN_HOST
extern const struct boot_param __boot_params_start[], __boot_params_end[];

/* Parses against every registered parameter. */
static inline int cmdline_parse_boot(const char *line,
                                     void (*report)(const char *msg, const char *word))
{
    return cmdline_parse(line, __boot_params_start,
                         (size_t)(__boot_params_end - __boot_params_start), report);
}
#endif

#endif /* TERN_CMDLINE_H */
