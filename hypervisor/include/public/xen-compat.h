/* Common base of the guest ABI headers: standard types, constant helpers, layout checks. */
#ifndef __XEN_PUBLIC_XEN_COMPAT_H__
#define __XEN_PUBLIC_XEN_COMPAT_H__

/*
 * Interface version these headers describe (Xen 4.19's numbering). Only the
 * x86-64 PV subset is described; there are no older-interface variants.
 */
#define __XEN_LATEST_INTERFACE_VERSION__ 0x00041300
#ifndef __XEN_INTERFACE_VERSION__
#define __XEN_INTERFACE_VERSION__ __XEN_LATEST_INTERFACE_VERSION__
#endif

#if !defined(__x86_64__)
#error "The Tern guest ABI headers describe x86-64 only."
#endif

#ifndef __ASSEMBLER__
#include <stdint.h>
#include <stddef.h>

/* Constants with a C suffix (argument macro-expanded first), bare in assembly. */
#define __xen_mk_uint(x)   x##U
#define __xen_mk_ulong(x)  x##UL
#define __xen_mk_ullong(x) x##ULL
#define xen_mk_uint(x)     __xen_mk_uint(x)
#define xen_mk_ulong(x)    __xen_mk_ulong(x)
#define xen_mk_ullong(x)   __xen_mk_ullong(x)

/* Layout checks: every ABI struct pins its size and its key offsets. */
#define XEN_ABI_SIZE(type, n) _Static_assert(sizeof(type) == (n), "ABI size of " #type)
#define XEN_ABI_OFFSET(type, field, n)                                         \
    _Static_assert(offsetof(type, field) == (n), "ABI offset of " #type "." #field)
#else
#define xen_mk_uint(x)   x
#define xen_mk_ulong(x)  x
#define xen_mk_ullong(x) x
#endif

#endif /* __XEN_PUBLIC_XEN_COMPAT_H__ */
