/*
 * h5forge - writes a hand-made token data set for the shell tests, the
 * kind a user writes with h5py, without needing h5py:
 *
 *   h5forge OUT.h5 ARG...
 *     NAME=INT    an int64 root attribute (vocab_size=20, unk_id=999, ...)
 *     NAME:N      a 1-D int32 dataset of N ids, id i = (i * 7) mod
 *                 vocab_size (train:5000; needs vocab_size= before it)
 *
 * Anything it is not given is absent: `h5forge d.h5 vocab_size=20
 * train:5000` is the minimal layout of io/FORMATS.md.
 */
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int put_attr(hid_t f, const char *name, long long v)
{
	hid_t s = H5Screate(H5S_SCALAR);
	hid_t a = H5Acreate2(f, name, H5T_STD_I64LE, s, H5P_DEFAULT, H5P_DEFAULT);
	int rc = a < 0 || H5Awrite(a, H5T_NATIVE_LLONG, &v) < 0;

	if (a >= 0)
		H5Aclose(a);
	H5Sclose(s);
	return rc;
}

static int put_ids(hid_t f, const char *name, long long n, long long vocab)
{
	hsize_t dim = (hsize_t)n;
	int *ids = malloc((size_t)(n ? n : 1) * sizeof(int));
	hid_t s, d;
	int rc;

	if (!ids)
		return 1;
	for (long long i = 0; i < n; i++)
		ids[i] = (int)(i * 7 % vocab);
	s = H5Screate_simple(1, &dim, NULL);
	d = H5Dcreate2(f, name, H5T_STD_I32LE, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
	rc = d < 0 || H5Dwrite(d, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, ids) < 0;
	if (d >= 0)
		H5Dclose(d);
	H5Sclose(s);
	free(ids);
	return rc;
}

int main(int argc, char **argv)
{
	long long vocab = 0;
	hid_t f;
	int rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: h5forge OUT.h5 [NAME=INT | NAME:N]...\n");
		return 2;
	}
	f = H5Fcreate(argv[1], H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
	if (f < 0) {
		fprintf(stderr, "h5forge: cannot create %s\n", argv[1]);
		return 1;
	}
	for (int i = 2; i < argc && !rc; i++) {
		char name[256];
		long long v;
		const char *eq = strchr(argv[i], '='), *co = strchr(argv[i], ':');
		const char *sep = eq ? eq : co;

		if (!sep || sep == argv[i] || (size_t)(sep - argv[i]) >= sizeof(name) ||
		    sscanf(sep + 1, "%lld", &v) != 1) {
			fprintf(stderr, "h5forge: bad argument '%s' (expected NAME=INT or NAME:N)\n",
				argv[i]);
			rc = 2;
			break;
		}
		memcpy(name, argv[i], (size_t)(sep - argv[i]));
		name[sep - argv[i]] = '\0';
		if (eq) {
			if (!strcmp(name, "vocab_size"))
				vocab = v;
			rc = put_attr(f, name, v);
		} else if (vocab < 1) {
			fprintf(stderr, "h5forge: give vocab_size=V before the dataset '%s'\n", name);
			rc = 2;
		} else {
			rc = put_ids(f, name, v, vocab);
		}
	}
	if (H5Fclose(f) < 0 && !rc)
		rc = 1;
	if (rc == 1)
		fprintf(stderr, "h5forge: writing %s failed\n", argv[1]);
	return rc;
}
