/* Guest configuration files in the spirit of xl.cfg: `key = value` lines, # comments,
 * values "string", 'string', integers, or [ lists ] of strings on one line. */
#ifndef TERN_CONFIG_H
#define TERN_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define CONFIG_STR 256

enum config_action { ACTION_DESTROY, ACTION_RESTART, ACTION_PRESERVE };

#define MAX_VIFS 8

/* One `vif = [ 'mac=00:16:3e:..,bridge=br0' ]` entry (bridge br0 and a MAC derived from
 * the domain's name when not given). */
struct vif_config {
    char mac[18];
    char bridge[16];
};

struct domain_config {
    char name[64];
    uint64_t memory_mib;
    unsigned int vcpus;
    char kernel[CONFIG_STR], ramdisk[CONFIG_STR], cmdline[1024];
    enum config_action on_poweroff, on_reboot, on_crash;
    unsigned int nr_vifs;
    struct vif_config vif[MAX_VIFS];
};

/* 0, or -1 with err = "FILE:LINE: why" (or "FILE: why"). Relative kernel and ramdisk
 * paths are taken from the config file's directory. */
int config_load(const char *path, struct domain_config *c, char *err, size_t err_len);
/* The same from text (file names a source for messages). */
int config_parse(const char *text, const char *file, struct domain_config *c, char *err,
                 size_t err_len);
const char *config_action_name(enum config_action a);

#endif
