/*
 * Boot-time domains from multiboot modules. A module's string is
 *   NAME [tern.mem=SIZE] [tern.vcpus=N] [tern.weight=W] [tern.cap=PCT] [tern.count=N] GUEST ARGS
 * and a module whose string holds `tern.initrd` is the initrd of the kernel before it.
 * The first kernel with `tern.dom0` becomes domain 0, the privileged control and hardware
 * domain; it is built before the others. A module with `tern.file=PATH` (dom0's kernel too)
 * is also the file PATH in dom0's initramfs: the guest kernel dom0's tools build domains
 * from is then read from the boot medium once, not twice.
 * Those words are taken out; the rest (other tern.* words too) is the guest's command line.
 */
#include <tern/bootinfo.h>
#include <tern/cpio.h>
#include <tern/domain.h>
#include <tern/errno.h>
#include <tern/event.h>
#include <tern/lib.h>
#include <tern/mm.h>
#include <tern/printk.h>
#include <tern/time.h>
#include <asm/page.h>
#include <asm/pv_build.h>

#define DEFAULT_MEM (4ul << 20)
#define MAX_COUNT (DOMID_FIRST_RESERVED - 1)
#define MAX_DOM0_FILES 8

struct guest_opts {
    char name[DOMAIN_NAME_LEN];
    char cmdline[MAX_GUEST_CMDLINE];
    uint64_t mem;
    char file[CPIO_PATH_MAX + 1];
    unsigned int vcpus, weight, cap, count;
    bool initrd, dom0;
};

static char file_paths[MAX_DOM0_FILES][CPIO_PATH_MAX + 1];
static struct cpio_file dom0_files[MAX_DOM0_FILES];
static unsigned int nr_dom0_files;

static uint64_t parse_size(const char *s, bool *ok)
{
    const char *end;
    uint64_t v = parse_ull(s, &end, 0);

    *ok = end != s;
    switch (*end) {
    case 'G': case 'g': v <<= 10; /* fall through */
    case 'M': case 'm': v <<= 10; /* fall through */
    case 'K': case 'k': v <<= 10; end++; break;
    }
    *ok = *ok && (*end == 0 || *end == ' ');
    return v;
}

static int parse_module_string(const char *s, struct guest_opts *o, const char **why)
{
    size_t len = 0;

    memset(o, 0, sizeof(*o));
    o->mem = DEFAULT_MEM;
    o->vcpus = o->count = 1;
    while (*s == ' ')
        s++;
    /* the name is the file's base name, without .elf */
    const char *w = s;
    while (*s && *s != ' ')
        if (*s++ == '/')
            w = s;
    size_t n = min_t(size_t, (size_t)(s - w), sizeof(o->name) - 1);
    memcpy(o->name, w, n);
    if (n > 4 && !strcmp(o->name + n - 4, ".elf"))
        o->name[n - 4] = 0;
    while (*s) {
        const char *w;
        size_t n;
        bool ok = true;
        while (*s == ' ')
            s++;
        w = s;
        while (*s && *s != ' ')
            s++;
        n = (size_t)(s - w);
        if (!n)
            break;
        if (n > 5 && n < CPIO_PATH_MAX + 16 && !strncmp(w, "tern.", 5)) {
            char word[CPIO_PATH_MAX + 16];
            bool known = true;
            strlcpy(word, w, n + 1);
            const char *eq = strchr(word, '=');
            const char *val = eq ? eq + 1 : "";
            if (!strcmp(word, "tern.initrd"))
                o->initrd = true;
            else if (!strcmp(word, "tern.dom0"))
                o->dom0 = true;
            else if (!strncmp(word, "tern.file=", 10))
                ok = cpio_path_ok(val) && strlcpy(o->file, val, sizeof(o->file)) < sizeof(o->file);
            else if (!strncmp(word, "tern.mem=", 9))
                o->mem = parse_size(val, &ok);
            else if (!strncmp(word, "tern.vcpus=", 11))
                o->vcpus = (unsigned int)parse_size(val, &ok);
            else if (!strncmp(word, "tern.weight=", 12))
                o->weight = (unsigned int)parse_size(val, &ok);
            else if (!strncmp(word, "tern.cap=", 9))
                o->cap = (unsigned int)parse_size(val, &ok);
            else if (!strncmp(word, "tern.count=", 11))
                o->count = (unsigned int)parse_size(val, &ok);
            else
                known = false; /* not ours: the guest's (its init may read tern.* too) */
            if (!ok) {
                *why = "bad tern.* option in the module string";
                return -EINVAL;
            }
            if (known)
                continue;
        }
        if (len + n + 2 > sizeof(o->cmdline)) {
            *why = "guest command line too long";
            return -EINVAL;
        }
        if (len)
            o->cmdline[len++] = ' ';
        memcpy(o->cmdline + len, w, n);
        len += n;
    }
    if (!o->vcpus || o->vcpus > MAX_VCPUS_PER_DOMAIN || !o->count || o->count > MAX_COUNT ||
        o->cap > 100 || o->weight > 65535 || o->mem < (1ul << 20) || (o->dom0 && o->count != 1) ||
        (o->initrd && o->file[0])) {
        *why = "tern.* option out of range";
        return -EINVAL;
    }
    return 0;
}

/* Builds the kernel of module i (and its initrd, if the next module is one); counts them. */
static unsigned int boot_module(unsigned int i, const struct guest_opts *o, bool dom0)
{
    const struct boot_module *m = &boot_info.modules[i];
    const struct boot_module *rd = NULL;
    struct guest_opts ro;
    const char *why = NULL;
    unsigned int started = 0;

    if (i + 1 < boot_info.nr_modules && !parse_module_string(boot_info.modules[i + 1].cmdline, &ro, &why) &&
        ro.initrd)
        rd = &boot_info.modules[i + 1];
    for (unsigned int c = 0; c < o->count; c++) {
        struct pv_build_args a = {
            .domid = dom0 ? 0 : domain_next_free_id(),
            .name = o->name,
            .image = __va(m->start),
            .image_len = m->end - m->start,
            .initrd = rd ? __va(rd->start) : NULL,
            .initrd_len = rd ? rd->end - rd->start : 0,
            .files = dom0 ? dom0_files : NULL,
            .nr_files = dom0 ? nr_dom0_files : 0,
            .cmdline = o->cmdline,
            .nr_pages = o->mem >> PAGE_SHIFT,
            .nr_vcpus = o->vcpus,
            .weight = o->weight,
            .cap = o->cap,
            .privileged = dom0,
        };
        struct domain *d;
        int rc = pv_build_domain(&a, &d, &why);
        if (rc) {
            printk(KERN_ALWAYS "domain %s: not started: %s (error %d)\n", o->name, why, rc);
            break;
        }
        pv_start_domain(d);
        started++;
    }
    return started;
}

void pv_boot_domains(void)
{
    uint64_t free_before = frames_free_pages();
    s_time_t t0 = NOW();
    unsigned int started = 0;
    int dom0 = -1;
    struct guest_opts o;
    const char *why = NULL;

    domain_boot_begin();
    for (unsigned int i = 0; i < boot_info.nr_modules; i++) {
        const struct boot_module *m = &boot_info.modules[i];
        if (parse_module_string(m->cmdline, &o, &why) || !o.file[0])
            continue;
        if (nr_dom0_files == MAX_DOM0_FILES) {
            printk(KERN_ALWAYS "module %u: more than %u tern.file modules\n", i, MAX_DOM0_FILES);
            continue;
        }
        unsigned int f = nr_dom0_files++;
        strlcpy(file_paths[f], o.file, sizeof(file_paths[f]));
        dom0_files[f] = (struct cpio_file){ file_paths[f], __va(m->start), m->end - m->start };
    }
    /* dom0 first: it takes domain id 0, and the console input starts with it */
    for (unsigned int i = 0; i < boot_info.nr_modules && dom0 < 0; i++)
        if (!parse_module_string(boot_info.modules[i].cmdline, &o, &why) && o.dom0 && !o.initrd) {
            dom0 = (int)i;
            if ((started = boot_module(i, &o, true))) {
                console_set_focus(0);
            }
        }
    for (unsigned int i = 0; i < boot_info.nr_modules; i++) {
        if (parse_module_string(boot_info.modules[i].cmdline, &o, &why)) {
            printk(KERN_ALWAYS "module %u: not started: %s\n", i, why);
            continue;
        }
        if (o.initrd || (int)i == dom0)
            continue; /* taken with its kernel, or already built */
        if (o.file[0]) {
            if (dom0 < 0)
                printk(KERN_ALWAYS "module %u: tern.file without a dom0 to give it to\n", i);
            continue; /* a file, not a kernel */
        }
        if (o.dom0)
            printk(KERN_ALWAYS "module %u: tern.dom0 again: built as an ordinary domain\n", i);
        started += boot_module(i, &o, false);
    }
    /* what a domain costs in all, its memory and the hypervisor's (those already ended gave theirs back) */
    if (started)
        printk(KERN_ALWAYS "boot modules: %u domains started in %lu ms, %lu KiB of memory each\n",
               started, (unsigned long)((NOW() - t0) / 1000000),
               (unsigned long)((free_before - frames_free_pages()) * 4 / started));
    domain_boot_end(started);
}
