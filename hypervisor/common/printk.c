/* printk: formatted, levelled console output; panic and assertion failures. */
#include <tern/types.h>
#include <tern/bug.h>
#include <tern/errno.h>
#include <tern/symbols.h>
#include <tern/lib.h>
#include <tern/init.h>
#include <tern/printk.h>
#include <tern/serial.h>
#include <tern/spinlock.h>
#include <tern/shutdown.h>
#include <tern/smp.h>
#include <asm/processor.h>

static DEFINE_SPINLOCK(console_lock);
static int console_loglevel = LOG_INFO;
static bool at_line_start = true;

static int parse_loglvl(const char *v)
{
    static const char *const names[] = { "error", "warning", "info", "debug" };

    for (unsigned int i = 0; i < ARRAY_SIZE(names); i++) {
        if (!strcmp(v, names[i])) {
            console_loglevel = (int)i;
            return 0;
        }
    }
    if (!strcmp(v, "all")) {
        console_loglevel = LOG_DEBUG;
        return 0;
    }
    if (v[0] >= '0' && v[0] <= '3' && v[1] == 0) {
        console_loglevel = v[0] - '0';
        return 0;
    }
    return -EINVAL;
}
BOOT_PARAM_CUSTOM("loglvl", parse_loglvl);

/* Writes text, prefixing each new line so hypervisor output is told from guests'. */
static void console_write(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (at_line_start)
            serial_puts("(tern) ", 7);
        serial_puts(&s[i], 1);
        at_line_start = s[i] == '\n';
    }
}

void vprintk(const char *fmt, va_list ap)
{
    char buf[512];
    int level = LOG_INFO;
    unsigned long flags;
    int n;

    bool guest = false;

    if (fmt[0] == '\001' && ((fmt[1] >= '0' && fmt[1] <= '3') || fmt[1] == 'a' || fmt[1] == 'g')) {
        guest = fmt[1] == 'g';
        level = fmt[1] >= '0' && fmt[1] <= '3' ? fmt[1] - '0' : -1;
        fmt += 2;
    }
    if (level > console_loglevel)
        return;
    n = vscnprintf(buf, sizeof(buf), fmt, ap);
    spin_lock_irqsave(&console_lock, flags);
    if (guest && at_line_start)
        serial_puts(buf, (size_t)n); /* a whole line, already prefixed with its domain */
    else
        console_write(buf, (size_t)n);
    spin_unlock_irqrestore(&console_lock, flags);
}

void printk(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vprintk(fmt, ap);
    va_end(ap);
}

void console_emergency_puts(const char *s)
{
    console_write(s, strlen(s));
}

void console_force_unlock(void)
{
    console_lock = (spinlock_t)SPIN_LOCK_UNLOCKED;
}

static int panicking;

void panic(const char *fmt, ...)
{
    char buf[256];
    va_list ap;

    local_irq_disable();
    if (__atomic_fetch_add(&panicking, 1, __ATOMIC_SEQ_CST))
        machine_halt_forever(); /* another CPU already reports */
    console_force_unlock();
    va_start(ap, fmt);
    vscnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    printk(KERN_ERR "\n****************************************\n");
    printk(KERN_ERR "Panic on CPU %u: %s\n", smp_processor_id(), buf);
    printk(KERN_ERR "****************************************\n");
    dump_stack_trace(__builtin_frame_address(0));
    machine_exit(EXIT_FAILURE_STATUS);
}

void assert_failed(const char *expr, const char *file, int line)
{
    panic("Assertion '%s' failed at %s:%d", expr, file, line);
}
