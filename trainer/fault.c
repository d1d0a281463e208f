/* fault.c - parsing ENGRAM_FAULT once, and matching its items. */
#include "trainer/fault.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[FAULT_KINDS] = {
	[FAULT_PERTURB_INIT] = "perturb-init", [FAULT_KILL] = "kill",
	[FAULT_SEGV] = "segv", [FAULT_STALL] = "stall", [FAULT_NAN] = "nan",
	[FAULT_NAN_GRAD] = "nan-grad", [FAULT_SPIKE] = "spike",
	[FAULT_SLOW_CKPT] = "slow-ckpt",
};

/* A non-negative decimal number filling s[0..len) exactly. */
static int number(const char *s, size_t len, long long *v)
{
	char buf[32], *end;

	if (!len || len >= sizeof(buf) || s[0] < '0' || s[0] > '9')
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	*v = strtoll(buf, &end, 10);
	return *end || errno ? -1 : 0;
}

/* One item s[0..len): NAME[:RANK][@STEP]. */
static int parse_item(fault_t *f, const char *s, size_t len, err_t *e)
{
	/* the item ends at a ',' or the string's end, so the name does too */
	size_t nl = strcspn(s, ":@,");
	long long rank = -1, step = -1;
	const char *at;
	int k;

	for (k = 0; k < FAULT_KINDS; k++)
		if (strlen(names[k]) == nl && !strncmp(s, names[k], nl))
			break;
	if (k == FAULT_KINDS)
		return err_set(e, "ENGRAM_FAULT: unknown fault '%.*s' (expected perturb-init, kill, "
			       "segv, stall, nan, nan-grad, spike or slow-ckpt)", (int)len, s);
	at = memchr(s + nl, '@', len - nl);
	if (nl < len && s[nl] == ':') {
		size_t rl = (at ? (size_t)(at - s) : len) - nl - 1;

		if (number(s + nl + 1, rl, &rank) || rank > 1 << 30)
			return err_set(e, "ENGRAM_FAULT: '%.*s': expected NAME[:RANK][@STEP] "
				       "with a rank >= 0", (int)len, s);
	}
	if (at && (number(at + 1, (size_t)(s + len - at - 1), &step) || step < 1))
		return err_set(e, "ENGRAM_FAULT: '%.*s': expected NAME[:RANK][@STEP] with a "
			       "step >= 1", (int)len, s);
	if (f->n == FAULT_MAX)
		return err_set(e, "ENGRAM_FAULT: more than %d items", FAULT_MAX);
	f->item[f->n].kind = k;
	f->item[f->n].rank = (int)rank;
	f->item[f->n].step = step;
	f->n++;
	return 0;
}

int fault_parse(fault_t *f, const char *spec, err_t *e)
{
	memset(f, 0, sizeof(*f));
	while (spec && *spec) {
		size_t item = strcspn(spec, ",");

		if (item && parse_item(f, spec, item, e))
			return -1;
		spec += item + (spec[item] == ',');
	}
	return 0;
}

int fault_at(const fault_t *f, int kind, int rank, long long step)
{
	for (int i = 0; i < f->n; i++) {
		if (f->item[i].kind != kind)
			continue;
		if (f->item[i].rank >= 0 && f->item[i].rank != rank)
			continue;
		/* step < 0: only the items that name no step */
		if (step < 0 ? f->item[i].step >= 0 : f->item[i].step >= 0 && f->item[i].step != step)
			continue;
		return 1;
	}
	return 0;
}
