/* tfevents.c - TFRecord frames of protobuf Events, encoded by hand. */
#include "io/tfevents.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Bitwise CRC-32C, reflected polynomial 0x82F63B78: a few hundred bytes a
 * log line, so no table. */
uint32_t tfe_crc32c(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint32_t c = 0xFFFFFFFFu;

	for (size_t i = 0; i < n; i++) {
		c ^= b[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1u)));
	}
	return ~c;
}

uint32_t tfe_mask(uint32_t crc)
{
	return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

/* A protobuf message being built: at most TFE_MAX bytes. */
#define TFE_MAX 8192

typedef struct {
	unsigned char b[TFE_MAX];
	size_t n;
	int over;
} pb_t;

static void pb_byte(pb_t *p, unsigned char c)
{
	if (p->n == TFE_MAX) {
		p->over = 1;
		return;
	}
	p->b[p->n++] = c;
}

static void pb_varint(pb_t *p, uint64_t v)
{
	do {
		pb_byte(p, (unsigned char)((v & 0x7F) | (v > 0x7F ? 0x80 : 0)));
		v >>= 7;
	} while (v);
}

static void pb_fixed(pb_t *p, const void *v, size_t n)	/* little-endian host */
{
	for (size_t i = 0; i < n; i++)
		pb_byte(p, ((const unsigned char *)v)[i]);
}

/* field number f, wire type: 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32 */
static void pb_key(pb_t *p, int f, int wire)
{
	pb_varint(p, (uint64_t)f << 3 | (uint64_t)wire);
}

static void pb_bytes(pb_t *p, int f, const void *s, size_t n)
{
	pb_key(p, f, 2);
	pb_varint(p, n);
	pb_fixed(p, s, n);
}

static int frame(tfe_t *t, const pb_t *p, err_t *e)
{
	uint64_t len = p->n;
	uint32_t lc = tfe_mask(tfe_crc32c(&len, sizeof(len)));
	uint32_t dc = tfe_mask(tfe_crc32c(p->b, p->n));

	if (p->over)
		return err_set(e, "%s: an event of more than %d bytes", t->path, TFE_MAX);
	if (fwrite(&len, sizeof(len), 1, t->f) != 1 || fwrite(&lc, sizeof(lc), 1, t->f) != 1 ||
	    fwrite(p->b, 1, p->n, t->f) != p->n || fwrite(&dc, sizeof(dc), 1, t->f) != 1 ||
	    fflush(t->f))
		return err_set(e, "%s: cannot write: %s", t->path, strerror(errno));
	return 0;
}

static void event_head(pb_t *p, double wall, int64_t step)
{
	pb_key(p, 1, 1);
	pb_fixed(p, &wall, sizeof(wall));
	pb_key(p, 2, 0);
	pb_varint(p, (uint64_t)step);
}

int tfe_open(tfe_t *t, const char *dir, double wall, err_t *e)
{
	static const char version[] = "brain.Event:2";
	char host[256] = "localhost";
	pb_t p = { .n = 0 };

	memset(t, 0, sizeof(*t));
	if (mkdir(dir, 0777) && errno != EEXIST)
		return err_set(e, "%s: cannot create: %s", dir, strerror(errno));
	gethostname(host, sizeof(host) - 1);
	snprintf(t->path, sizeof(t->path), "%s/events.out.tfevents.%lld.%s.%d", dir,
		 (long long)wall, host, (int)getpid());
	t->f = fopen(t->path, "wb");
	if (!t->f)
		return err_set(e, "%s: cannot create: %s", t->path, strerror(errno));
	event_head(&p, wall, 0);
	pb_bytes(&p, 3, version, sizeof(version) - 1);
	if (frame(t, &p, e)) {
		tfe_close(t);
		return -1;
	}
	return 0;
}

int tfe_scalars(tfe_t *t, double wall, int64_t step, int n,
		const char *const *tags, const double *values, err_t *e)
{
	pb_t p = { .n = 0 }, s = { .n = 0 };

	event_head(&p, wall, step);
	for (int i = 0; i < n; i++) {
		pb_t v = { .n = 0 };
		float x = (float)values[i];

		pb_bytes(&v, 1, tags[i], strlen(tags[i]));
		pb_key(&v, 2, 5);
		pb_fixed(&v, &x, sizeof(x));
		pb_bytes(&s, 1, v.b, v.n);
		s.over |= v.over;
	}
	pb_bytes(&p, 5, s.b, s.n);
	p.over |= s.over;
	return frame(t, &p, e);
}

void tfe_close(tfe_t *t)
{
	if (t->f)
		fclose(t->f);
	t->f = NULL;
}
