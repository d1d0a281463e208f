/*
 * test_flags.c - the flag tables (trainer/flags.h) and `engram train`'s
 * own (trainer/config.c): every default parses and lies in its range, and
 * so does every preset; each range refuses one past its ends and takes the
 * ends themselves; the limits the trainer sizes its buffers by are the
 * table's; every choice parses to its value and back; the JSON
 * configuration is strict JSON with each key once.
 */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <string.h>

#include "io/json.h"
#include "tests/check.h"
#include "trainer/cli/cli.h"
#include "trainer/config.h"

static int table(train_cfg_t *c, flag_t *t)
{
	err_t e;
	int n;

	CHECK(!train_cfg_default(c, &e), "defaults: %s", e.msg);
	n = train_cfg_flags(c, t, TRAIN_MAX_FLAGS);
	CHECK(n > 0, "the table does not fit %d rows", TRAIN_MAX_FLAGS);
	return n;
}

/* Row i of a fresh default table set to v: does the whole table pass? */
static int passes(int i, double v)
{
	train_cfg_t c;
	flag_t t[TRAIN_MAX_FLAGS];
	int n = table(&c, t);
	err_t e;

	if (t[i].type == FLAG_INT)
		*(int *)t[i].dst = (int)v;
	else if (t[i].type == FLAG_I64)
		*(long long *)t[i].dst = (long long)v;
	else
		*(double *)t[i].dst = v;
	if (flag_check(t, n, &e)) {
		CHECK(strstr(e.msg, t[i].name) == e.msg, "%s: the message names another flag: %s",
		      t[i].name, e.msg);
		return 0;
	}
	return 1;
}

/* Each end of each range: in when closed, out when open or one past. */
static void edges(void)
{
	train_cfg_t c;
	flag_t t[TRAIN_MAX_FLAGS];
	int n = table(&c, t), nranged = 0;

	for (int i = 0; i < n; i++) {
		const flag_t *f = &t[i];
		int lo_in = !(f->flags & FLAG_LO_OPEN), hi_in = !(f->flags & FLAG_HI_OPEN);

		if (!(f->flags & FLAG_RANGE))
			continue;
		nranged++;
		if (f->type != FLAG_DOUBLE) {
			CHECK(passes(i, f->lo) && passes(i, f->hi), "%s: its ends %g, %g", f->name, f->lo, f->hi);
			if (f->lo > INT_MIN)
				CHECK(!passes(i, f->lo - 1), "%s: %g passed", f->name, f->lo - 1);
			if (f->hi < INT_MAX || f->type == FLAG_I64)
				CHECK(!passes(i, f->hi + 1), "%s: %g passed", f->name, f->hi + 1);
			continue;
		}
		CHECK(passes(i, f->lo) == lo_in, "%s: its low end %g", f->name, f->lo);
		CHECK(!passes(i, nextafter(f->lo, -INFINITY)), "%s: below %g passed", f->name, f->lo);
		CHECK(passes(i, (double)nextafterf((float)f->hi, 0)) || f->hi <= f->lo,
		      "%s: just below its high end %g", f->name, f->hi);
		if (f->hi < FLT_MAX)
			CHECK(passes(i, f->hi) == hi_in && !passes(i, f->hi * 1.5 + 1),
			      "%s: its high end %g", f->name, f->hi);
		else
			CHECK(passes(i, FLT_MAX) && !passes(i, 1e39), "%s: the float's limit", f->name);
		if (f->flags & FLAG_UNSET)
			CHECK(passes(i, f->unset), "%s: its unset value %g", f->name, f->unset);
	}
	CHECK(nranged >= 30, "only %d rows have a range", nranged);
}

/* The limits that once disagreed are the table's and the trainer's both. */
static void limits(void)
{
	train_cfg_t c;
	flag_t t[TRAIN_MAX_FLAGS];
	int n = table(&c, t);
	const flag_t *accum = flag_find(t, n, "--accum"), *win = flag_find(t, n, "--spike-window");

	CHECK(accum && accum->hi == TRAIN_MAX_ACCUM, "--accum's limit is not TRAIN_MAX_ACCUM");
	CHECK(win && win->hi == TRAIN_MAX_HIST, "--spike-window's limit is not TRAIN_MAX_HIST");
}

/* Names, keys and choices: each once; each choice parses and prints back. */
static void rows(void)
{
	train_cfg_t c;
	flag_t t[TRAIN_MAX_FLAGS];
	int n = table(&c, t);
	err_t e;

	for (int i = 0; i < n; i++) {
		const flag_t *f = &t[i];

		CHECK(!strncmp(f->name, "--", 2) && f->help && f->help[0], "row %d: name or help", i);
		for (int k = i + 1; k < n; k++) {
			CHECK(strcmp(f->name, t[k].name), "%s twice", f->name);
			CHECK(!f->key || !t[k].key || strcmp(f->key, t[k].key), "key %s twice", f->key);
		}
		if (f->type != FLAG_CHOICE)
			continue;
		for (const flag_choice_t *ch = f->choices; ch->name; ch++) {
			int v = -99;

			CHECK(!flag_choice_parse(f->name, f->choices, ch->name, &v, &e) && v == ch->value &&
			      !strcmp(flag_choice_name(f->choices, v), ch->name), "%s %s", f->name, ch->name);
		}
		CHECK(flag_choice_parse(f->name, f->choices, "nope", &(int){ 0 }, &e) &&
		      strstr(e.msg, f->choices[0].name) && strstr(e.msg, "(got 'nope')"),
		      "%s nope: %s", f->name, e.msg);
	}
}

/* Every preset lies in the table's ranges. */
static void presets(void)
{
	train_cfg_t c;
	flag_t t[TRAIN_MAX_FLAGS];
	int n = table(&c, t);
	const flag_t *p = flag_find(t, n, "--preset");
	err_t e;

	CHECK(p && p->choices, "no --preset choice");
	for (const flag_choice_t *ch = p ? p->choices : NULL; ch && ch->name; ch++) {
		n = table(&c, t);
		CHECK(!train_cfg_preset(&c, ch->name, &e), "%s: %s", ch->name, e.msg);
		CHECK(!flag_check(t, n, &e), "preset %s: %s", ch->name, e.msg);
		CHECK(c.preset == ch->value, "preset %s", ch->name);
	}
}

/* argv through the table: forms, errors, and the JSON of the result. */
static void parse(void)
{
	char *argv[] = { "engram", "train", "--data=d.h5", "--run-dir", "r", "--lr", "0.5",
			 "--optimizer", "adamw", "--on-spike=rollback", "--tie", "--seed", "-3" };
	int argc = sizeof(argv) / sizeof(argv[0]), npos;
	train_cfg_t c;
	flag_t t[TRAIN_MAX_FLAGS];
	int n = table(&c, t);
	model_cfg_t m = { .vocab = 50, .embed = 200, .hidden = 200, .layers = 2, .tie = 1 };
	char json[8192];
	const char *pos[1];
	err_t e;

	CHECK(!cli_parse("train", argc, argv, 2, t, n, pos, 0, &npos, &e), "%s", e.msg);
	CHECK(!strcmp(c.data, "d.h5") && c.lr == 0.5 && c.optimizer == OPT_ADAMW &&
	      c.on_spike == POLICY_ROLLBACK && c.tie && c.seed == -3, "the values");
	CHECK(flag_find(t, n, "--lr")->seen && !flag_find(t, n, "--clip")->seen, "seen");
	CHECK(train_cfg_json_str(&c, &m, json, sizeof(json)) < (int)sizeof(json) && json_valid(json),
	      "JSON: %s", json);
	CHECK(strstr(json, "\"optimizer\":\"adamw\"") && strstr(json, "\"on_spike\":\"rollback\"") &&
	      strstr(json, "\"head_bias\":0") && strstr(json, "\"preset\":\"\"") &&
	      strstr(json, "\"vocab\":50"), "JSON: %s", json);

	char *bad[][3] = { { "--optimizer", "sgdx", "--optimizer must be sgd, adam, adamw or ntasgd (got 'sgdx')" },
			   { "--batch", "2x", "--batch expects an integer (got '2x')" },
			   { "--lr", "inf", "--lr expects a number (got 'inf')" },
			   { "--nope", "1", "unknown flag '--nope'" } };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *av[] = { "engram", "train", bad[i][0], bad[i][1] };

		n = table(&c, t);
		CHECK(cli_parse("train", 4, av, 2, t, n, pos, 0, &npos, &e) == -1 &&
		      strstr(e.msg, "engram train: ") == e.msg && strstr(e.msg, bad[i][2]),
		      "%s %s: %s", bad[i][0], bad[i][1], e.msg);
	}
}

int main(void)
{
	rows();
	edges();
	limits();
	presets();
	parse();
	return check_done("test_flags");
}
