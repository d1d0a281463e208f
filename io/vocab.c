/* vocab.c - the string table behind tokenizer vocabularies. */
#include "io/vocab.h"

#include <stdlib.h>
#include <string.h>

/* FNV-1a: simple, and plenty for word types. */
static uint64_t hash(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)s[i]) * 0x100000001b3ULL;
	return h;
}

int vocab_init(vocab_t *v, err_t *e)
{
	memset(v, 0, sizeof(*v));
	v->mask = 1023;
	v->slot = err_calloc(v->mask + 1, sizeof(*v->slot), "vocabulary", e);
	return v->slot ? 0 : -1;
}

void vocab_free(vocab_t *v)
{
	free(v->arena);
	free(v->off);
	free(v->count);
	free(v->slot);
	memset(v, 0, sizeof(*v));
}

static size_t probe(const vocab_t *v, const char *s, size_t len)
{
	size_t i = hash(s, len) & v->mask;

	for (;; i = (i + 1) & v->mask) {
		uint32_t x = v->slot[i];

		if (!x)
			return i;
		const char *t = v->arena + v->off[x - 1];
		if (strncmp(t, s, len) == 0 && t[len] == '\0')
			return i;
	}
}

int64_t vocab_find(const vocab_t *v, const char *s, size_t len)
{
	uint32_t x = v->slot[probe(v, s, len)];

	return x ? (int64_t)x - 1 : -1;
}

static int grow_slots(vocab_t *v, err_t *e)
{
	size_t nmask = v->mask * 2 + 1;
	uint32_t *ns = err_calloc(nmask + 1, sizeof(*ns), "vocabulary", e);

	if (!ns)
		return -1;
	for (size_t id = 0; id < v->n; id++) {
		const char *t = v->arena + v->off[id];
		size_t i = hash(t, strlen(t)) & nmask;

		while (ns[i])
			i = (i + 1) & nmask;
		ns[i] = (uint32_t)(id + 1);
	}
	free(v->slot);
	v->slot = ns;
	v->mask = nmask;
	return 0;
}

static int reserve(vocab_t *v, size_t len, err_t *e)
{
	if (v->arena_len + len + 1 > v->arena_cap) {
		size_t cap = v->arena_cap ? v->arena_cap : 4096;
		char *a;

		while (cap < v->arena_len + len + 1)
			cap *= 2;
		a = realloc(v->arena, cap);
		if (!a)
			return err_set(e, "out of memory: vocabulary strings need %zu bytes", cap);
		v->arena = a;
		v->arena_cap = cap;
	}
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 1024;
		size_t *off = realloc(v->off, cap * sizeof(*off));

		if (off)
			v->off = off;
		uint64_t *cnt = off ? realloc(v->count, cap * sizeof(*cnt)) : NULL;
		if (!cnt)
			return err_set(e, "out of memory: vocabulary of %zu types", cap);
		v->count = cnt;
		v->cap = cap;
	}
	return 0;
}

int vocab_add(vocab_t *v, const char *s, size_t len, uint64_t count,
	      int64_t *id, err_t *e)
{
	size_t i = probe(v, s, len);

	if (!v->slot[i]) {
		if (v->n >= VOCAB_MAX_TYPES)
			return err_set(e, "vocabulary has more than %llu types (ids are uint32)",
				       VOCAB_MAX_TYPES);
		if (reserve(v, len, e))
			return -1;
		memcpy(v->arena + v->arena_len, s, len);
		v->arena[v->arena_len + len] = '\0';
		v->off[v->n] = v->arena_len;
		v->count[v->n] = 0;
		v->arena_len += len + 1;
		v->slot[i] = (uint32_t)(++v->n);
		/* Keep the load under 1/2 so probes stay short. */
		if (v->n * 2 > v->mask + 1 && grow_slots(v, e))
			return -1;
		i = probe(v, s, len);
	}
	v->count[v->slot[i] - 1] += count;
	if (id)
		*id = (int64_t)v->slot[i] - 1;
	return 0;
}

typedef struct {
	uint64_t count;
	const char *s;
} entry_t;

/* Count descending, then byte order: a deterministic vocabulary. */
static int by_count_then_bytes(const void *pa, const void *pb)
{
	const entry_t *a = pa, *b = pb;

	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	return strcmp(a->s, b->s);
}

int vocab_build(const vocab_t *types, size_t cap, int need_unk,
		const char *unk, vocab_t *out, int64_t *unk_id, err_t *e)
{
	int64_t own_unk = vocab_find(types, unk, strlen(unk));
	size_t others = 0, keep;
	uint64_t unk_count = own_unk >= 0 ? types->count[own_unk] : 0;
	entry_t *ent;
	int with_unk, rc = 0;

	*unk_id = -1;
	ent = err_malloc((types->n + 1) * sizeof(*ent), "vocabulary order", e);
	if (!ent)
		return -1;
	for (size_t id = 0; id < types->n; id++)
		if ((int64_t)id != own_unk)
			ent[others++] = (entry_t){ types->count[id], vocab_str(types, id) };
	qsort(ent, others, sizeof(*ent), by_count_then_bytes);

	/* All types fit, or the cap keeps the most frequent and unk takes the rest. */
	with_unk = need_unk || own_unk >= 0 || (cap && others > cap);
	if (cap && cap < 1 + (size_t)with_unk) {
		free(ent);
		return err_set(e, "vocabulary size %zu is too small (need at least %d)",
			       cap, 1 + with_unk);
	}
	keep = others;
	if (cap && keep + (size_t)with_unk > cap)
		keep = cap - (size_t)with_unk;
	for (size_t i = keep; i < others; i++)
		unk_count += ent[i].count;
	if (with_unk) {
		ent[keep++] = (entry_t){ unk_count, unk };
		qsort(ent, keep, sizeof(*ent), by_count_then_bytes);
	}
	for (size_t i = 0; i < keep && !rc; i++)
		rc = vocab_add(out, ent[i].s, strlen(ent[i].s), ent[i].count, NULL, e);
	if (!rc && with_unk)
		*unk_id = vocab_find(out, unk, strlen(unk));
	free(ent);
	return rc;
}
