/*
 * test_fault.c - ENGRAM_FAULT's parser: the forms the fault tests use match
 * the rank and step they name and nothing else, and a malformed item is an
 * error with the item named, never a fault silently not injected.
 */
#include <string.h>

#include "tests/check.h"
#include "trainer/fault.h"

int main(void)
{
	static const char *const bad[] = {
		"kil", "kill:", "kill@", "kill@0", "kill:x", "kill@5x", "kill:1x@5", "kill@5:1",
		"nan,,spike:-1", "stall:1@-3", "slow-ckpt:99999999999",
	};
	fault_t f;
	err_t e;

	CHECK(fault_parse(&f, NULL, &e) == 0 && f.n == 0, "NULL: %d items", f.n);
	CHECK(fault_parse(&f, "", &e) == 0 && f.n == 0, "empty: %d items", f.n);
	CHECK(!fault_at(&f, FAULT_KILL, 0, 1), "a fault from nothing");

	CHECK(fault_parse(&f, "kill:1@30,nan@5,perturb-init:1,stall:2@7,", &e) == 0 && f.n == 4,
	      "parse: %s", e.msg);
	CHECK(fault_at(&f, FAULT_KILL, 1, 30), "kill:1@30 at rank 1 step 30");
	CHECK(!fault_at(&f, FAULT_KILL, 0, 30), "kill:1@30 at rank 0");
	CHECK(!fault_at(&f, FAULT_KILL, 1, 31), "kill:1@30 at step 31");
	CHECK(!fault_active(&f, FAULT_KILL, 1), "kill:1@30 without a step");
	CHECK(fault_at(&f, FAULT_NAN, 0, 5) && fault_at(&f, FAULT_NAN, 3, 5), "nan@5 on every rank");
	CHECK(!fault_at(&f, FAULT_NAN_GRAD, 0, 5), "nan is not nan-grad");
	CHECK(fault_active(&f, FAULT_PERTURB_INIT, 1) && !fault_active(&f, FAULT_PERTURB_INIT, 0),
	      "perturb-init:1");
	CHECK(fault_at(&f, FAULT_PERTURB_INIT, 1, 9), "a fault without a step is at every step");
	CHECK(fault_at(&f, FAULT_STALL, 2, 7) && !fault_at(&f, FAULT_SPIKE, 2, 7), "stall:2@7");

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e.msg[0] = '\0';
		CHECK(fault_parse(&f, bad[i], &e) == -1 && strstr(e.msg, "ENGRAM_FAULT"),
		      "'%s' accepted (%s)", bad[i], e.msg);
	}
	return check_done("test_fault");
}
