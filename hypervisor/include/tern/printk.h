/* Console logging with levels, filtered by the loglvl= boot option. */
#ifndef TERN_PRINTK_H
#define TERN_PRINTK_H

#include <stdarg.h>

enum log_level { LOG_ERR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* A message starts with one of these to set its level; the default is LOG_INFO. */
#define KERN_ALWAYS "\001" "a" /* shown at every loglvl: banner, results */
#define KERN_GUEST  "\001" "g" /* a guest's console line: always shown, no "(tern)" prefix */
#define KERN_ERR   "\001" "0"
#define KERN_WARN  "\001" "1"
#define KERN_INFO  "\001" "2"
#define KERN_DEBUG "\001" "3"

void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vprintk(const char *fmt, va_list ap);
/* Writes raw text to the console regardless of level and of the console lock. */
void console_emergency_puts(const char *s);
/* Called once a fatal error starts: takes over the console lock. */
void console_force_unlock(void);
void console_init(void);

#define pr_err(...)   printk(KERN_ERR __VA_ARGS__)
#define pr_warn(...)  printk(KERN_WARN __VA_ARGS__)
#define pr_info(...)  printk(KERN_INFO __VA_ARGS__)
#define pr_debug(...) printk(KERN_DEBUG __VA_ARGS__)

#endif
