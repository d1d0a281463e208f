/* fault.c - parsing ENGRAM_FAULT. */
#include "trainer/fault.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int fault_active(const char *name, int rank)
{
	const char *s = getenv("ENGRAM_FAULT");
	size_t len = strlen(name);

	while (s && *s) {
		size_t item = strcspn(s, ",");

		if (item >= len && !strncmp(s, name, len) &&
		    (item == len || (s[len] == ':' && atoi(s + len + 1) == rank)))
			return 1;
		s += item + (s[item] == ',');
	}
	return 0;
}
