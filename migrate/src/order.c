/* Record order rules, one state machine used by both the writer and the reader. */
#include <stdio.h>
#include <stdlib.h>
#include "internal.h"

/*
 * DOMAIN_HEADER first, P2M_LAYOUT second, each exactly once; then pages,
 * refs, vCPU, shared info, event channels, grants and checkpoints in any
 * order; END last.  Between two CHECKPOINTs (an "epoch") SHARED_INFO,
 * EVTCHN_STATE, GRANT_STATE and each (vCPU, kind) appear at most once;
 * pages may repeat, the later copy wins.  Optional records may appear
 * anywhere before END.
 */

int tern_order_check(const struct tern_order *o, uint32_t type, char *why, size_t n)
{
	const char *msg = NULL;

	if (o->seen_end)
		msg = "record after END";
	else if (type & TERN_REC_OPTIONAL)
		return 0;
	else if (!o->seen_domain && type != TERN_REC_DOMAIN_HEADER)
		msg = "record before DOMAIN_HEADER";
	else if (type == TERN_REC_DOMAIN_HEADER && o->seen_domain)
		msg = "duplicate DOMAIN_HEADER";
	else if (type == TERN_REC_DOMAIN_HEADER)
		return 0;
	else if (!o->seen_p2m && type != TERN_REC_P2M_LAYOUT)
		msg = "record before P2M_LAYOUT";
	else if (type == TERN_REC_P2M_LAYOUT && o->seen_p2m)
		msg = "duplicate P2M_LAYOUT";
	else if (type == TERN_REC_SHARED_INFO && o->epoch_shared)
		msg = "second SHARED_INFO in one checkpoint";
	else if (type == TERN_REC_EVTCHN_STATE && o->epoch_evtchn)
		msg = "second EVTCHN_STATE in one checkpoint";
	else if (type == TERN_REC_GRANT_STATE && o->epoch_grant)
		msg = "second GRANT_STATE in one checkpoint";
	if (!msg)
		return 0;
	snprintf(why, n, "%s", msg);
	return -EPROTO;
}

static int order_vcpu(struct tern_order *o, const struct tern_record *rec)
{
	uint8_t bit = (uint8_t)(1u << (rec->u.vcpu.kind - 1));
	if (!o->vcpu_seen) {
		o->vcpu_seen = calloc(o->vcpu_count, 1);
		if (!o->vcpu_seen)
			return -ENOMEM;
	}
	o->vcpu_seen[rec->u.vcpu.vcpu_id] |= bit;
	return 0;
}

int tern_order_commit(struct tern_order *o, const struct tern_record *rec)
{
	switch (rec->type) {
	case TERN_REC_DOMAIN_HEADER:
		o->seen_domain = true;
		o->vcpu_count = rec->u.domain.vcpu_count;
		break;
	case TERN_REC_P2M_LAYOUT:
		o->seen_p2m = true;
		o->p2m_size = rec->u.p2m.p2m_size;
		break;
	case TERN_REC_SHARED_INFO:
		o->epoch_shared = true;
		break;
	case TERN_REC_EVTCHN_STATE:
		o->epoch_evtchn = true;
		break;
	case TERN_REC_GRANT_STATE:
		o->epoch_grant = true;
		break;
	case TERN_REC_VCPU_CONTEXT:
		return order_vcpu(o, rec);
	case TERN_REC_CHECKPOINT:
		o->checkpoint_seq = rec->u.checkpoint.sequence;
		o->epoch_shared = o->epoch_evtchn = o->epoch_grant = false;
		if (o->vcpu_seen)
			memset(o->vcpu_seen, 0, o->vcpu_count);
		break;
	case TERN_REC_END:
		o->seen_end = true;
		break;
	default:
		break;
	}
	return 0;
}

void tern_order_free(struct tern_order *o)
{
	free(o->vcpu_seen);
	o->vcpu_seen = NULL;
}
