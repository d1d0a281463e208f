/*
 * test_json.c - the JSON writer against hand-written expected text, and the
 * strict validator against RFC 8259's edges; every writer output must pass
 * the validator.
 */
#include <math.h>
#include <string.h>

#include "io/json.h"
#include "tests/check.h"

static void expect(json_t *j, const char *want)
{
	const char *got = json_text(j);

	CHECK(got && !strcmp(got, want), "wrote %s, expected %s", got ? got : "(null)", want);
	CHECK(got && json_valid(got), "the validator refuses the writer's %s", got ? got : "");
	json_reset(j);
}

static void writer(void)
{
	json_t j;

	json_init(&j);
	json_begin(&j, NULL);
	json_end(&j);
	expect(&j, "{}");

	json_begin(&j, NULL);
	json_str(&j, "path", "a\"b\\c\td\x01" "e");
	json_int(&j, "n", -42);
	json_num(&j, "x", "%.4f", 0.5);
	json_num(&j, "nan", "%.6f", NAN);
	json_num(&j, "inf", "%g", -INFINITY);
	json_bool(&j, "ok", 1);
	json_null(&j, "z");
	json_begin_array(&j, "a");
	json_int(&j, NULL, 1);
	json_begin(&j, NULL);
	json_str(&j, "k", "v");
	json_end(&j);
	json_begin_array(&j, NULL);
	json_end_array(&j);
	json_end_array(&j);
	json_raw(&j, "cfg", "{\"lr\":1}");
	json_end(&j);
	expect(&j, "{\"path\":\"a\\\"b\\\\c\\u0009d\\u0001e\",\"n\":-42,\"x\":0.5000,"
		   "\"nan\":null,\"inf\":null,\"ok\":true,\"z\":null,\"a\":[1,{\"k\":\"v\"},[]],"
		   "\"cfg\":{\"lr\":1}}");

	/* UTF-8 kept; bytes that are not UTF-8 (a lone continuation, an
	 * overlong form, a surrogate, a cut sequence) become U+FFFD */
	json_str(&j, NULL, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	expect(&j, "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
	json_str(&j, NULL, "a\x80" "b\xc0\xaf" "c\xed\xa0\x80" "d\xe2\x82");
	expect(&j, "\"a\\ufffdb\\ufffd\\ufffdc\\ufffd\\ufffd\\ufffdd\\ufffd\\ufffd\"");
	json_begin(&j, NULL);
	json_strn(&j, "k", "xyz", 2);
	json_end(&j);
	expect(&j, "{\"k\":\"xy\"}");
	json_free(&j);
}

static void validator(void)
{
	static const char *const good[] = {
		"0", "-0.5e+10", "1E3", "\"\"", "true", " [ 1 , 2 ] ", "{\"a\":{\"b\":[null,false]}}",
		"\"\\u00e9\\n\\/\"", "\"\xc3\xa9\"", "[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]",
	};
	static const char *const bad[] = {
		"", "NaN", "Infinity", "-", "01", "1.", ".5", "1e", "+1", "{'a':1}", "[1,]",
		"{\"a\":1,}", "{\"a\"}", "\"abc", "\"a\tb\"", "\"\\x\"", "\"\\u12g4\"",
		"\"\xff\"", "\"\xc0\xaf\"", "[1] 2", "nul", "[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]",
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CHECK(json_valid(good[i]), "refused %s", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(!json_valid(bad[i]), "accepted %s", bad[i]);
	CHECK(!json_valid(NULL), "accepted NULL");
}

int main(void)
{
	writer();
	validator();
	return check_done("test_json");
}
