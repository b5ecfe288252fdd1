/* Guest configuration files in the spirit of xl.cfg: `key = value` lines, # comments,
 * values "string", 'string', integers, or [ lists ] of strings on one line. */
#ifndef TERN_CONFIG_H
#define TERN_CONFIG_H

#include <stdbool.h>
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

#define MAX_DISKS 8

/* One `disk = [ 'file:/var/lib/tern/NAME.img,xvda,w' ]` entry: a raw image file or, with
 * phy:, a block device; the guest's name for it; w or r; optionally backendtype=phy (the
 * default: Linux's blkback, a file through a loop device) or backendtype=qdisk (files only:
 * Tern's own user-space backend, diskback.c). */
struct disk_config {
    char target[CONFIG_STR];
    char vdev[16];
    unsigned int devid; /* Xen's number for vdev, as blkfront decodes it */
    bool phy, writable;
    bool qdisk;         /* served by diskback rather than blkback */
};

struct domain_config {
    char name[64];
    uint64_t memory_mib;
    unsigned int vcpus;
    char kernel[CONFIG_STR], ramdisk[CONFIG_STR], cmdline[1024];
    enum config_action on_poweroff, on_reboot, on_crash;
    unsigned int nr_vifs;
    struct vif_config vif[MAX_VIFS];
    unsigned int nr_disks;
    struct disk_config disk[MAX_DISKS];
};

/* Xen's device number for a guest disk name (xvda = 51712, xvdq = 268439552), or 0. */
unsigned int config_vdev_devid(const char *vdev);

/* 0, or -1 with err = "FILE:LINE: why" (or "FILE: why"). Relative kernel and ramdisk
 * paths are taken from the config file's directory. */
int config_load(const char *path, struct domain_config *c, char *err, size_t err_len);
/* The same from text (file names a source for messages). */
int config_parse(const char *text, const char *file, struct domain_config *c, char *err,
                 size_t err_len);
/* One vif or disk entry as a config list holds it (for network-attach, block-attach):
 * 0, or -1 with err. A vif's MAC is left empty when not given. */
int config_parse_vif(const char *spec, struct vif_config *v, char *err, size_t err_len);
int config_parse_disk(const char *spec, struct disk_config *d, char *err, size_t err_len);
/* The MAC a vif gets when its entry has none: Xen's OUI, the rest from name and index. */
void config_default_mac(const char *name, unsigned int index, char mac[18]);
const char *config_action_name(enum config_action a);

#endif
