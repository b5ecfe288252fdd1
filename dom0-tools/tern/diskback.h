/* Tern's user-space disk backend for image files (diskback.c, the ring in diskring.c). */
#ifndef TERN_DISKBACK_H
#define TERN_DISKBACK_H

#include <stdint.h>

/* Serves /local/domain/0/backend/qdisk/DOMID/DEVID until its device is closed and taken
 * away; the process's exit status. */
int diskback_run(uint16_t domid, unsigned int devid);
/* Starts diskback_run in a detached process: 0 or -errno. */
int diskback_spawn(uint16_t domid, unsigned int devid);

#endif
