/* Writing a suspended PV domain's whole state into a save stream (docs/save-restore.md),
 * and reading one back into a new domain. */
#ifndef TERN_SAVE_H
#define TERN_SAVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ctrl;
struct tern_writer;

struct save_stats {
    uint64_t pages;         /* pages written */
    uint64_t page_tables;   /* of which page tables (translated to pfns) */
    unsigned int vcpus;
};

/* A save in steps, for live snapshots and migration: begin (header and p2m layout), pages
 * (all of them, or those whose bit is set; live while the guest runs: a page table that
 * does not translate is left for the final round), end (deferred pages, vCPUs, shared_info:
 * the guest must be suspended and paused by then). */
struct saver;
int save_begin(struct ctrl *c, uint16_t domid, const char *config, size_t config_len,
               struct tern_writer *w, struct saver **out, char *why, size_t len);
uint64_t save_nr_pfns(const struct saver *s);
int save_pages(struct saver *s, const uint8_t *bitmap, bool live);
/* Called after each batch with pages done and the pfns in all (a progress bar). */
void save_set_progress(struct saver *s, void (*fn)(void *arg, uint64_t done, uint64_t total), void *arg);
int save_end(struct saver *s);
/* save_end in two halves, for a stop kept short: save_capture copies the pages whose bit is
 * set (and those deferred), the vCPUs and shared_info into memory (into the room
 * save_stage_reserve made beforehand; pages beyond it go into the stream at once), and
 * save_flush writes them once the guest runs again. */
int save_stage_reserve(struct saver *s, uint64_t pages);
int save_capture(struct saver *s, const uint8_t *bitmap);
/* While the guest still runs (a suspend handshake): the pages whose bit is set into the room
 * reserved, as save_capture would (what does not fit pushes what the room holds into the
 * stream first); save_stage_room says how many more pages fit. */
int save_capture_live(struct saver *s, const uint8_t *bitmap);
uint64_t save_stage_room(const struct saver *s);
int save_flush(struct saver *s);
void save_free(struct saver *s, struct save_stats *st);

/* progress (NULL, or a struct cli_progress) is drawn as pages go.
 * The domain must be shut down for suspend (suspend_domain) and paused. Writes the records
 * after the stream header: DOMAIN_HEADER (with config, len bytes), P2M_LAYOUT, every page,
 * the vCPUs, shared_info; the caller finishes the writer. 0 or -errno with why. */
int save_domain(struct ctrl *c, uint16_t domid, const char *config, size_t config_len,
                struct tern_writer *w, struct save_stats *st, void *progress, char *why, size_t len);

struct restore_result {
    uint16_t domid;
    char name[64];
    uint64_t pages;
    /* where the time went (ms): reading and checking the file with its pages staged, the
     * domain's frames (staged ones adopted, the rest populated), writing its page tables,
     * pinning them and setting the vCPUs, store entries and devices */
    double check_ms, populate_ms, tables_ms, finish_ms, devices_ms;
};

/* Checks the whole stream in path first (nothing is created from a damaged file), then
 * builds a paused domain from it, introduced to xenstored with its devices, under its
 * saved name (or name, when not NULL). 0 or -errno with why. */
int restore_domain(struct ctrl *c, const char *path, const char *name, struct restore_result *r,
                   char *why, size_t len);

/* Toolstack helpers (cmd_save.c): a whole small file as text (NULL, errno set, on
 * failure); a guest destroyed with its monitor, store entries and state. */
char *read_text(const char *path, size_t *len);
void destroy_guest(struct ctrl *c, uint16_t id);

#endif
