/* What the toolstack remembers of the domains it made, under the run directory
 * ($TERN_RUN_DIR, default /run/tern): DIR/ID/{name,config,console,monitor.sock}. Console
 * logs go to $TERN_LOG_DIR (default /var/log/tern)/NAME.log. */
#ifndef TERN_STATE_H
#define TERN_STATE_H

#include <stddef.h>
#include <stdint.h>

struct domain_state {
    char name[64];
    char config[512];       /* the config file it was made from */
    uint64_t console_mfn;
    uint32_t console_port;
};

const char *state_run_dir(void);
const char *state_log_dir(void);
/* "DIR/ID/leaf" into buf. */
void state_path(uint16_t domid, const char *leaf, char *buf, size_t len);
int state_save(uint16_t domid, const struct domain_state *s);
/* -ENOENT when the toolstack did not make this domain. */
int state_load(uint16_t domid, struct domain_state *s);
void state_forget(uint16_t domid);
/* Asks the domain's monitor to let go (SIGTERM) and waits for it, up to 5 s. */
void state_stop_monitor(uint16_t domid);
/* The id of the live domain called name; -ENOENT. */
int state_find(const char *name, uint16_t *domid);

#endif
