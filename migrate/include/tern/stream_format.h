/* Tern save stream: on-the-wire layout (constants and packed structs), see docs/specs/stream.md. */
#ifndef TERN_STREAM_FORMAT_H
#define TERN_STREAM_FORMAT_H

#include <stdint.h>

/*
 * Every multi-byte field is little-endian.  Structs here describe the wire
 * bytes exactly: fixed-width fields, natural alignment, explicit padding
 * named reserved* that writers set to zero and readers reject if non-zero.
 * The stream is a 32-byte stream header followed by records; each record is
 * a 16-byte record header, `length` body bytes, then zero padding up to the
 * next multiple of 8.
 */

#define TERN_STREAM_MAGIC "TERNSTRM" /* 8 bytes, no NUL on the wire */
#define TERN_STREAM_VERSION 3u       /* what writers produce by default */
#define TERN_STREAM_VERSION_MIN 1u   /* oldest version readers still load */
#define TERN_STREAM_BYTE_ORDER 0x01020304u

#define TERN_STREAM_PAGE_SHIFT 12u
#define TERN_STREAM_PAGE_SIZE 4096u
#define TERN_STREAM_REC_ALIGN 8u
#define TERN_STREAM_REC_MAX (8u << 20)  /* largest record body, bytes */
#define TERN_STREAM_BATCH_MAX 1024u     /* pages per PAGE_BATCH record */
#define TERN_STREAM_REFS_MAX 8192u      /* entries per PAGE_REFS record */
#define TERN_STREAM_VCPU_MAX 4096u      /* vcpu_count upper bound */
#define TERN_STREAM_PFN_BITS 52u
#define TERN_STREAM_P2M_MAX (1ull << TERN_STREAM_PFN_BITS)
#define TERN_STREAM_EVTCHN_PORT_MAX (1u << 17)
#define TERN_STREAM_GNTTAB_FRAMES_MAX 1024u

/* Record types.  Bit 31 set: optional, a reader that does not know the type skips it. */
#define TERN_REC_OPTIONAL 0x80000000u
enum tern_rec_type {
	TERN_REC_END = 0x00,
	TERN_REC_DOMAIN_HEADER = 0x01,
	TERN_REC_P2M_LAYOUT = 0x02,
	TERN_REC_PAGE_BATCH = 0x03,
	TERN_REC_VCPU_CONTEXT = 0x04,
	TERN_REC_SHARED_INFO = 0x05,
	TERN_REC_EVTCHN_STATE = 0x06,
	TERN_REC_GRANT_STATE = 0x07,
	TERN_REC_CHECKPOINT = 0x08,
	TERN_REC_PAGE_REFS = 0x09,
	TERN_REC_SENDER_INFO = TERN_REC_OPTIONAL | 0x0A,
};
#define TERN_REC_NONE 0xFFFFFFFFu /* "no record" in error reports */

/* Domain types (DOMAIN_HEADER.domain_type). */
#define TERN_DOMAIN_X86_64_PV 1u

/* Page types: 4 bits in a page entry.  PINNED is OR-ed onto L1..L4. */
enum tern_page_type {
	TERN_PAGE_NORMAL = 0x0,
	TERN_PAGE_L1 = 0x1,
	TERN_PAGE_L2 = 0x2,
	TERN_PAGE_L3 = 0x3,
	TERN_PAGE_L4 = 0x4,
	TERN_PAGE_PINNED = 0x8,
	TERN_PAGE_BROKEN = 0xD, /* no data: frame known bad */
	TERN_PAGE_ABSENT = 0xF, /* no data: pfn not backed (ballooned) */
};

/*
 * Page entry (PAGE_BATCH and PAGE_REFS), one u64:
 *   bits  0..51  pfn
 *   bits 52..55  reserved, 0
 *   bits 56..59  page type
 *   bit  60      zero page: carries no data, the page is all zeroes
 *   bits 61..63  reserved, 0
 */
#define TERN_ENTRY_PFN_MASK ((1ull << 52) - 1)
#define TERN_ENTRY_TYPE_SHIFT 56
#define TERN_ENTRY_TYPE_MASK (0xFull << TERN_ENTRY_TYPE_SHIFT)
#define TERN_ENTRY_ZERO (1ull << 60)
#define TERN_ENTRY_RESERVED ((0xFull << 52) | (0x7ull << 61))

/* Page batch data encodings. */
#define TERN_ENC_RAW 0u
#define TERN_ENC_DEFLATE 1u /* raw DEFLATE (RFC 1951) as zlib makes it */

/* VCPU_CONTEXT kinds. */
enum tern_vcpu_kind {
	TERN_VCPU_BASIC = 1,    /* general registers, control registers, GDT frames */
	TERN_VCPU_EXTENDED = 2, /* syscall/sysenter setup and similar */
	TERN_VCPU_XSAVE = 3,    /* FPU / vector state, XSAVE layout */
	TERN_VCPU_MSRS = 4,     /* (index, value) pairs of saved MSRs */
};

/* Event-channel states (EVTCHN_STATE entries; free ports are not sent). */
enum tern_evtchn_state {
	TERN_EVTCHN_UNBOUND = 1,
	TERN_EVTCHN_INTERDOMAIN = 2,
	TERN_EVTCHN_PIRQ = 3,
	TERN_EVTCHN_VIRQ = 4,
	TERN_EVTCHN_IPI = 5,
};

struct tern_stream_header { /* offset 0 of every stream */
	uint8_t magic[8];     /* TERN_STREAM_MAGIC */
	uint32_t version;     /* TERN_STREAM_VERSION_MIN..TERN_STREAM_VERSION */
	uint32_t byte_order;  /* TERN_STREAM_BYTE_ORDER: catches big-endian writers */
	uint32_t flags;       /* none defined: 0 */
	uint32_t header_crc;  /* CRC32C of these 32 bytes with header_crc = 0 */
	uint64_t reserved;
};

struct tern_rec_header {
	uint32_t type;     /* enum tern_rec_type, bit 31 = optional */
	uint32_t length;   /* body bytes, excluding padding, <= TERN_STREAM_REC_MAX */
	uint32_t crc;      /* CRC32C of this header (crc = 0) followed by the body */
	uint32_t reserved;
};

struct tern_rec_domain_v1 { /* DOMAIN_HEADER in version 1 streams: no config */
	uint32_t domain_type;
	uint32_t page_shift;
	uint64_t memory_kib;
	uint32_t vcpu_count;
	uint32_t reserved;
};

struct tern_rec_domain { /* DOMAIN_HEADER, version 2: followed by config text */
	uint32_t domain_type; /* TERN_DOMAIN_* */
	uint32_t page_shift;  /* TERN_STREAM_PAGE_SHIFT */
	uint64_t memory_kib;  /* guest memory size */
	uint32_t vcpu_count;  /* 1..TERN_STREAM_VCPU_MAX */
	uint32_t config_len;  /* bytes of config text that follow (no NUL bytes) */
	uint64_t reserved;
};

struct tern_rec_p2m { /* P2M_LAYOUT, followed by u64 frame_pfn[nr_frames] */
	uint64_t p2m_size;  /* number of pfns: every pfn in the stream is < p2m_size */
	uint32_t nr_frames; /* pfns of the frames holding the guest's own p2m list */
	uint32_t reserved;
};

struct tern_rec_page_batch { /* followed by u64 entry[count], then data */
	uint32_t count;       /* 1..TERN_STREAM_BATCH_MAX */
	uint8_t encoding;     /* TERN_ENC_* */
	uint8_t reserved0[3];
	uint32_t data_len;    /* encoded bytes after the entries */
	uint32_t raw_len;     /* decoded bytes: 4096 per data-carrying entry */
	uint64_t reserved1;
};

struct tern_rec_vcpu { /* VCPU_CONTEXT, followed by the context blob */
	uint32_t vcpu_id;     /* < vcpu_count */
	uint32_t kind;        /* enum tern_vcpu_kind */
};

struct tern_evtchn_entry {
	uint32_t port;        /* strictly increasing, < TERN_STREAM_EVTCHN_PORT_MAX */
	uint8_t state;        /* enum tern_evtchn_state */
	uint8_t reserved;
	uint16_t vcpu;        /* notified vCPU, < vcpu_count */
	uint32_t target;      /* remote domid, pirq or virq number; 0 for IPI */
	uint32_t target_port; /* remote port (INTERDOMAIN), else 0 */
};

struct tern_rec_evtchn { /* EVTCHN_STATE, followed by entries */
	uint32_t count;
	uint32_t reserved;
};

struct tern_grant_entry {
	uint32_t ref;         /* strictly increasing, < nr_frames * entries per frame */
	uint16_t flags;       /* GTF_* bits as the guest wrote them */
	uint16_t domid;       /* domain granted access */
	uint64_t frame;       /* granted pfn, < p2m_size */
};

struct tern_rec_grant { /* GRANT_STATE, followed by entries */
	uint32_t gnttab_version; /* 1 or 2 */
	uint32_t nr_frames;      /* 1..TERN_STREAM_GNTTAB_FRAMES_MAX */
	uint32_t count;
	uint32_t reserved;
};

struct tern_rec_checkpoint {
	uint64_t sequence;    /* 1, 2, 3, ... */
};

struct tern_page_ref {
	uint64_t entry;       /* page entry as in PAGE_BATCH */
	uint8_t sha256[32];   /* of the 4 KiB page; all zero for zero/no-data pages */
};

struct tern_rec_page_refs { /* PAGE_REFS, followed by struct tern_page_ref[count] */
	uint32_t count;       /* 1..TERN_STREAM_REFS_MAX */
	uint32_t reserved;
};

_Static_assert(sizeof(struct tern_stream_header) == 32, "stream header");
_Static_assert(sizeof(struct tern_rec_header) == 16, "record header");
_Static_assert(sizeof(struct tern_rec_domain_v1) == 24, "domain v1");
_Static_assert(sizeof(struct tern_rec_domain) == 32, "domain v2");
_Static_assert(sizeof(struct tern_rec_p2m) == 16, "p2m");
_Static_assert(sizeof(struct tern_rec_page_batch) == 24, "page batch");
_Static_assert(sizeof(struct tern_rec_vcpu) == 8, "vcpu");
_Static_assert(sizeof(struct tern_evtchn_entry) == 16, "evtchn entry");
_Static_assert(sizeof(struct tern_rec_evtchn) == 8, "evtchn");
_Static_assert(sizeof(struct tern_grant_entry) == 16, "grant entry");
_Static_assert(sizeof(struct tern_rec_grant) == 16, "grant");
_Static_assert(sizeof(struct tern_rec_checkpoint) == 8, "checkpoint");
_Static_assert(sizeof(struct tern_page_ref) == 40, "page ref");
_Static_assert(sizeof(struct tern_rec_page_refs) == 8, "page refs");
_Static_assert(__builtin_offsetof(struct tern_stream_header, header_crc) == 20, "hdr crc");
_Static_assert(__builtin_offsetof(struct tern_rec_page_batch, data_len) == 8, "batch");
_Static_assert(__builtin_offsetof(struct tern_grant_entry, frame) == 8, "grant");

#endif
