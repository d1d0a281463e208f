/* fault.c - parsing ENGRAM_FAULT. */
#include "trainer/fault.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Does item s[0..len) (NAME[:RANK][@STEP]) match? */
static int match(const char *s, size_t len, const char *name, int rank,
		 long long step)
{
	size_t n = strlen(name);
	char rest[64];
	const char *at;

	if (len < n || strncmp(s, name, n) || (len > n && s[n] != ':' && s[n] != '@'))
		return 0;
	snprintf(rest, sizeof(rest), "%.*s", (int)(len - n), s + n);
	if (rest[0] == ':' && atoi(rest + 1) != rank)
		return 0;
	at = strchr(rest, '@');
	if (at && step >= 0 && atoll(at + 1) != step)
		return 0;
	if (at && step < 0)
		return 0;
	return 1;
}

int fault_at(const char *name, int rank, long long step)
{
	const char *s = getenv("ENGRAM_FAULT");

	while (s && *s) {
		size_t item = strcspn(s, ",");

		if (match(s, item, name, rank, step))
			return 1;
		s += item + (s[item] == ',');
	}
	return 0;
}
