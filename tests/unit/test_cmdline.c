/* Unit tests for hypervisor/common/cmdline.c: one big table of command lines. */
#include <stdio.h>
#include <string.h>

#include <tern/cmdline.h>
#include <tern/errno.h>

#include "harness.h"

struct state {
    bool flag, smt;
    unsigned int cpus;
    uint64_t mem_limit, dom0_mem;
    uint32_t small;
    uint8_t tiny;
    char console[16];
    char custom[32];
    int custom_calls;
};

static struct state st;

static int custom_loglvl(const char *v)
{
    st.custom_calls++;
    if (strcmp(v, "all") && strcmp(v, "none") && strcmp(v, "warn") && strcmp(v, ""))
        return -EINVAL;
    snprintf(st.custom, sizeof(st.custom), "%s", v[0] ? v : "default");
    return 0;
}

static const struct boot_param params[] = {
    { "flag", PARAM_BOOL, &st.flag, sizeof(st.flag), NULL },
    { "sched-smt", PARAM_BOOL, &st.smt, sizeof(st.smt), NULL },
    { "cpus", PARAM_UINT, &st.cpus, sizeof(st.cpus), NULL },
    { "mem_limit", PARAM_UINT, &st.mem_limit, sizeof(st.mem_limit), NULL },
    { "dom0_mem", PARAM_SIZE, &st.dom0_mem, sizeof(st.dom0_mem), NULL },
    { "small-size", PARAM_SIZE, &st.small, sizeof(st.small), NULL },
    { "tiny", PARAM_UINT, &st.tiny, sizeof(st.tiny), NULL },
    { "console", PARAM_STR, st.console, sizeof(st.console), NULL },
    { "loglvl", PARAM_CUSTOM, NULL, 0, custom_loglvl },
};

struct cmd_case {
    const char *line;
    bool bools_true;  /* start with both booleans set */
    int errors;
    const char *first_bad; /* first word reported, if any */
    struct state want;
};

#define M (1ULL << 20)
static const struct cmd_case table[] = {
    { "", false, 0, NULL, { 0 } },
    { "   \t \n ", false, 0, NULL, { 0 } },
    { "flag", false, 0, NULL, { .flag = true } },
    { "flag   ", false, 0, NULL, { .flag = true } },
    { "  \tflag\tcpus=3\n", false, 0, NULL, { .flag = true, .cpus = 3 } },
    /* boolean spellings */
    { "flag=1", false, 0, NULL, { .flag = true } },
    { "flag=yes", false, 0, NULL, { .flag = true } },
    { "flag=on", false, 0, NULL, { .flag = true } },
    { "flag=true", false, 0, NULL, { .flag = true } },
    { "flag=enable", false, 0, NULL, { .flag = true } },
    { "flag=ON", false, 0, NULL, { .flag = true } },
    { "flag=0", true, 0, NULL, { .flag = false, .smt = true } },
    { "flag=no", true, 0, NULL, { .smt = true } },
    { "flag=off", true, 0, NULL, { .smt = true } },
    { "flag=false", true, 0, NULL, { .smt = true } },
    { "flag=disable", true, 0, NULL, { .smt = true } },
    { "flag=maybe", true, 1, "flag=maybe", { .flag = true, .smt = true } },
    { "flag=", true, 1, "flag=", { .flag = true, .smt = true } },
    /* no- prefix and -/_ equivalence */
    { "no-flag", true, 0, NULL, { .smt = true } },
    { "no_flag", true, 0, NULL, { .smt = true } },
    { "no-sched-smt", true, 0, NULL, { .flag = true } },
    { "no_sched_smt", true, 0, NULL, { .flag = true } },
    { "sched_smt=0", true, 0, NULL, { .flag = true } },
    { "no-flag=1", true, 1, "no-flag=1", { .flag = true, .smt = true } },
    { "no-cpus", false, 1, "no-cpus", { 0 } },
    { "noflag", true, 1, "noflag", { .flag = true, .smt = true } },
    { "no-", false, 1, "no-", { 0 } },
    { "FLAG", false, 1, "FLAG", { 0 } },
    /* unsigned integers */
    { "cpus=4", false, 0, NULL, { .cpus = 4 } },
    { "cpus=0x10", false, 0, NULL, { .cpus = 16 } },
    { "cpus=010", false, 0, NULL, { .cpus = 8 } },
    { "cpus=0", false, 0, NULL, { 0 } },
    { "cpus=4294967295", false, 0, NULL, { .cpus = 4294967295u } },
    { "cpus=4294967296", false, 1, "cpus=4294967296", { 0 } },
    { "cpus=-1", false, 1, "cpus=-1", { 0 } },
    { "cpus=", false, 1, "cpus=", { 0 } },
    { "cpus", false, 1, "cpus", { 0 } },
    { "cpus=12abc", false, 1, "cpus=12abc", { 0 } },
    { "cpus=4K", false, 1, "cpus=4K", { 0 } },
    { "cpus=2=3", false, 1, "cpus=2=3", { 0 } },
    { "cpus=08", false, 1, "cpus=08", { 0 } },
    { "mem-limit=18446744073709551615", false, 0, NULL, { .mem_limit = UINT64_MAX } },
    { "mem_limit=18446744073709551616", false, 1, "mem_limit=18446744073709551616", { 0 } },
    { "tiny=255", false, 0, NULL, { .tiny = 255 } },
    { "tiny=256", false, 1, "tiny=256", { 0 } },
    /* sizes */
    { "dom0_mem=512M", false, 0, NULL, { .dom0_mem = 512 * M } },
    { "dom0-mem=2G", false, 0, NULL, { .dom0_mem = 2048 * M } },
    { "dom0_mem=4k", false, 0, NULL, { .dom0_mem = 4096 } },
    { "dom0_mem=1T", false, 0, NULL, { .dom0_mem = 1ULL << 40 } },
    { "dom0_mem=123", false, 0, NULL, { .dom0_mem = 123 } },
    { "dom0_mem=0x10M", false, 0, NULL, { .dom0_mem = 16 * M } },
    { "dom0_mem=16777215T", false, 0, NULL, { .dom0_mem = 16777215ULL << 40 } },
    { "dom0_mem=16777216T", false, 1, "dom0_mem=16777216T", { 0 } },
    { "dom0_mem=99999999999999999999", false, 1, "dom0_mem=99999999999999999999", { 0 } },
    { "dom0_mem=5X", false, 1, "dom0_mem=5X", { 0 } },
    { "dom0_mem=5MB", false, 1, "dom0_mem=5MB", { 0 } },
    { "dom0_mem=M", false, 1, "dom0_mem=M", { 0 } },
    { "small-size=3G", false, 0, NULL, { .small = 3U << 30 } },
    { "small_size=4G", false, 1, "small_size=4G", { 0 } },
    /* strings and quotes */
    { "console=com1", false, 0, NULL, { .console = "com1" } },
    { "console=\"com1 vga\"", false, 0, NULL, { .console = "com1 vga" } },
    { "\"console=a b\" flag", false, 0, NULL, { .flag = true, .console = "a b" } },
    { "console=\"a\"b", false, 0, NULL, { .console = "ab" } },
    { "console=", false, 0, NULL, { .console = "" } },
    { "console=0123456789abcde", false, 0, NULL, { .console = "0123456789abcde" } },
    { "console=0123456789abcdef", false, 1, "console=0123456789abcdef", { 0 } },
    { "console", false, 1, "console", { 0 } },
    { "console=\"abc flag", false, 1, "console=abc flag", { 0 } },
    { "\"flag\"", false, 0, NULL, { .flag = true } },
    { "\"\" flag", false, 1, "", { .flag = true } },
    /* custom handlers */
    { "loglvl=all", false, 0, NULL, { .custom = "all", .custom_calls = 1 } },
    { "loglvl", false, 0, NULL, { .custom = "default", .custom_calls = 1 } },
    { "loglvl=bogus", false, 1, "loglvl=bogus", { .custom_calls = 1 } },
    { "loglvl=none loglvl=warn", false, 0, NULL, { .custom = "warn", .custom_calls = 2 } },
    /* unknown options, order, recovery */
    { "bogus", false, 1, "bogus", { 0 } },
    { "bogus=1", false, 1, "bogus=1", { 0 } },
    { "=5", false, 1, "=5", { 0 } },
    { "cpus=2 flag cpus=3", false, 0, NULL, { .flag = true, .cpus = 3 } },
    { "bogus cpus=2 flag=bad sched-smt", false, 2, "bogus", { .smt = true, .cpus = 2 } },
    { "cpus=1 cpus=x", false, 1, "cpus=x", { .cpus = 1 } },
    { "console=com1 dom0_mem=1G,max:2G no-flag loglvl=all", true, 1,
      "dom0_mem=1G,max:2G", { .smt = true, .console = "com1", .custom = "all", .custom_calls = 1 } },
};

static char first_bad[CMDLINE_MAX_WORD + 1];
static int reports;

static void record(const char *msg, const char *word)
{
    CHECK(msg && msg[0]);
    if (reports++ == 0)
        snprintf(first_bad, sizeof(first_bad), "%s", word);
}

static void check_state(const struct state *want, size_t i)
{
    if (st.flag != want->flag || st.smt != want->smt || st.cpus != want->cpus ||
        st.mem_limit != want->mem_limit || st.dom0_mem != want->dom0_mem ||
        st.small != want->small || st.tiny != want->tiny ||
        strcmp(st.console, want->console) || strcmp(st.custom, want->custom) ||
        st.custom_calls != want->custom_calls)
        test_fail(__FILE__, __LINE__,
                  "case %zu \"%s\": flag %d smt %d cpus %u mem_limit %llu dom0_mem %llu "
                  "small %u tiny %u console \"%s\" custom \"%s\"/%d", i, table[i].line,
                  st.flag, st.smt, st.cpus, (unsigned long long)st.mem_limit,
                  (unsigned long long)st.dom0_mem, st.small, st.tiny, st.console,
                  st.custom, st.custom_calls);
}

static void test_table(void)
{
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        const struct cmd_case *c = &table[i];
        int errors;

        memset(&st, 0, sizeof(st));
        st.flag = st.smt = c->bools_true;
        reports = 0;
        first_bad[0] = '\0';
        errors = cmdline_parse(c->line, params, sizeof(params) / sizeof(params[0]), record);
        if (errors != c->errors || reports != c->errors)
            test_fail(__FILE__, __LINE__, "case %zu \"%s\": %d errors, %d reports, want %d",
                      i, c->line, errors, reports, c->errors);
        if (c->first_bad && strcmp(first_bad, c->first_bad))
            test_fail(__FILE__, __LINE__, "case %zu: reported \"%s\", want \"%s\"", i,
                      first_bad, c->first_bad);
        check_state(&c->want, i);
    }
}

/* A word longer than the limit is refused whole; the rest still parses. */
static void test_overlong_word(void)
{
    char line[1200];

    memset(&st, 0, sizeof(st));
    memset(line, 'a', 1000);
    strcpy(line + 1000, " cpus=2 console=");
    memset(line + 1016, 'x', 100);
    line[1116] = '\0';
    reports = 0;
    CHECK_EQ(cmdline_parse(line, params, sizeof(params) / sizeof(params[0]), record), 2);
    CHECK_EQ(st.cpus, 2);
    CHECK_EQ(strlen(first_bad), CMDLINE_MAX_WORD - 1);
    CHECK_STR(st.console, "");
}

static void test_null_inputs(void)
{
    memset(&st, 0, sizeof(st));
    CHECK_EQ(cmdline_parse(NULL, params, 3, record), 0);
    CHECK_EQ(cmdline_parse("flag bogus x=1", params, sizeof(params) / sizeof(params[0]), NULL), 2);
    CHECK(st.flag);
    CHECK_EQ(cmdline_parse("flag", NULL, 0, NULL), 1);
}

/* Registration macros must compile; test_unit.py checks the section. */
static bool reg_flag;
static unsigned int reg_cpus;
static uint64_t reg_mem;
BOOT_PARAM_BOOL("reg-flag", reg_flag);
BOOT_PARAM_UINT("reg-cpus", reg_cpus);
BOOT_PARAM_SIZE("reg-mem", reg_mem);

static const struct test_case cases[] = {
    TEST(test_table),
    TEST(test_overlong_word),
    TEST(test_null_inputs),
};

TEST_MAIN(cases)
