/*
 * fuzz_common.h - shared by the fuzz harnesses (tests/fuzz/fuzz_*.c):
 * the input bytes into a per-process temporary file (the HDF5 readers need
 * a path), a check that an input left no HDF5 identifier open, and a
 * callback for the configuration diff that reads every value byte.
 *
 * Header-only (static functions) so that each harness is one source file,
 * built with libFuzzer (scripts/fuzz.sh) or with tests/fuzz/replay.c (CTest).
 */
#ifndef ENGRAM_FUZZ_COMMON_H
#define ENGRAM_FUZZ_COMMON_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hdf5.h>

/* libFuzzer's entry point, also called by replay.c. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fuzz_path_buf[512];

static inline void fuzz_tmp_cleanup(void)
{
	if (fuzz_path_buf[0])
		unlink(fuzz_path_buf);
}

/*
 * Writes data to "$TMPDIR (else /dev/shm, else /tmp)/engram-fuzz-<tag>-<pid>
 * .<ext>", the same path for every input of this process, and returns it.
 * The file is unlinked and written anew each time, so HDF5 never sees a
 * file it still holds open under the same name.
 */
static inline const char *fuzz_write_tmp(const char *tag, const char *ext,
					 const uint8_t *data, size_t size)
{
	int fd;

	if (!fuzz_path_buf[0]) {
		const char *dir = getenv("TMPDIR");
		struct stat st;

		if (!dir || !*dir)
			dir = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) &&
					      access("/dev/shm", W_OK) == 0
				      ? "/dev/shm"
				      : "/tmp";
		snprintf(fuzz_path_buf, sizeof(fuzz_path_buf), "%s/engram-fuzz-%s-%ld.%s",
			 dir, tag, (long)getpid(), ext);
		atexit(fuzz_tmp_cleanup);
	}
	unlink(fuzz_path_buf);
	fd = open(fuzz_path_buf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0) {
		perror(fuzz_path_buf);
		abort();
	}
	for (size_t off = 0; off < size;) {
		ssize_t k = write(fd, data + off, size - off);

		if (k <= 0) {
			perror(fuzz_path_buf);
			abort();
		}
		off += (size_t)k;
	}
	close(fd);
	return fuzz_path_buf;
}

/*
 * HDF5 identifiers open per kind.  Taken once before the first input and
 * compared after each: an identifier that engram's readers leave open on
 * some path is a leak, and an open file would make HDF5 hand the next
 * input the previous file's cached state.
 */
static const H5I_type_t fuzz_h5_kinds[] = {
	H5I_FILE, H5I_GROUP, H5I_DATATYPE, H5I_DATASPACE, H5I_DATASET,
	H5I_ATTR, H5I_GENPROP_LST,
};
#define FUZZ_H5_NKINDS (sizeof(fuzz_h5_kinds) / sizeof(fuzz_h5_kinds[0]))
static hsize_t fuzz_h5_base[FUZZ_H5_NKINDS];
static int fuzz_h5_have_base;

static inline void fuzz_h5_counts(hsize_t *n)
{
	for (size_t i = 0; i < FUZZ_H5_NKINDS; i++) {
		n[i] = 0;
		H5Inmembers(fuzz_h5_kinds[i], &n[i]);
	}
}

static inline void fuzz_h5_begin(void)
{
	if (fuzz_h5_have_base)
		return;
	H5open();
	H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
	fuzz_h5_counts(fuzz_h5_base);
	fuzz_h5_have_base = 1;
}

static inline void fuzz_h5_end(void)
{
	static const char *const names[] = {
		"file", "group", "datatype", "dataspace", "dataset", "attribute",
		"property list",
	};
	hsize_t n[FUZZ_H5_NKINDS];

	fuzz_h5_counts(n);
	for (size_t i = 0; i < FUZZ_H5_NKINDS; i++)
		if (n[i] > fuzz_h5_base[i]) {
			fprintf(stderr, "fuzz: HDF5 %s identifiers left open: %llu (were %llu)\n",
				names[i], (unsigned long long)n[i],
				(unsigned long long)fuzz_h5_base[i]);
			abort();
		}
}

/*
 * libhdf5 1.10.8 trusts the global heap: reading a variable-length string
 * whose heap object is larger than the string's stored length (or whose
 * collection is cut short, or names an object that does not exist) makes
 * H5HG_read copy past its buffer, and an object of size 0 makes the heap
 * parser loop for ever.  That is a library bug (see tests/fuzz/README.md);
 * to fuzz engram's own code past it, the harnesses read a variable-length
 * string dataset only when this check, which parses the elements and their
 * heap collections from the input bytes as HDF5 would, finds them sound.
 * It handles what engram writes (contiguous layout, superblock 0-3, 8-byte
 * offsets and lengths, no user block); anything else counts as unsound.
 * Returns 1 when dataset `name` of loc may be read.
 */
static inline uint64_t fuzz_le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* Sizes of the objects of the collection at addr (-1: none); 0 if unsound. */
static inline int fuzz_gcol_parse(const uint8_t *data, size_t size, uint64_t addr,
				  int64_t *objsize)
{
	uint64_t csize, p, end;

	for (int i = 0; i < 65536; i++)
		objsize[i] = -1;
	if (addr > size || size - addr < 16 || memcmp(data + addr, "GCOL", 4) ||
	    data[addr + 4] != 1)
		return 0;
	csize = fuzz_le(data + addr + 8, 8);
	if (csize < 16 || csize > size - addr)
		return 0;
	end = addr + csize;
	for (p = addr + 16; p < end;) {
		uint64_t idx, osz, need;

		if (end - p < 16)
			break;	/* a tail too small for a header: free space */
		idx = fuzz_le(data + p, 2);
		osz = fuzz_le(data + p + 8, 8);
		if (osz > csize)
			return 0;
		need = idx ? 16 + ((osz + 7) & ~(uint64_t)7) : osz;
		if (need == 0 || need > end - p)
			return 0;	/* HDF5 would loop, or run past the end */
		if (idx)
			objsize[idx] = (int64_t)osz;
		p += need;
	}
	return 1;
}

static inline int fuzz_vlen_safe(const uint8_t *data, size_t size, hid_t loc,
				 const char *name)
{
	static int64_t objsize[65536];
	uint64_t off, base, n, coll = 0;
	int so, sl, ok = 0, vlstr;
	hid_t d, t, s, dcpl;
	hssize_t np;

	if (H5Lexists(loc, name, H5P_DEFAULT) <= 0)
		return 1;
	d = H5Dopen2(loc, name, H5P_DEFAULT);
	if (d < 0)
		return 1;
	t = H5Dget_type(d);
	vlstr = t >= 0 && H5Tget_class(t) == H5T_STRING && H5Tis_variable_str(t) > 0;
	s = H5Dget_space(d);
	np = s >= 0 ? H5Sget_simple_extent_npoints(s) : -1;
	dcpl = H5Dget_create_plist(d);
	off = H5Dget_offset(d);
	if (!vlstr) {
		ok = 1;	/* engram refuses it before reading anything */
		goto out;
	}
	if (np < 0 || dcpl < 0 || H5Pget_layout(dcpl) != H5D_CONTIGUOUS ||
	    off == HADDR_UNDEF || size < 48 || memcmp(data, "\211HDF\r\n\032\n", 8))
		goto out;
	if (data[8] <= 1) {
		so = data[13], sl = data[14];
		base = fuzz_le(data + (data[8] == 0 ? 24 : 28), 8);
	} else {
		so = data[9], sl = data[10];
		base = fuzz_le(data + 12, 8);
	}
	n = (uint64_t)np;
	if (so != 8 || sl != 8 || base != 0 || off > size || n > (size - off) / 16)
		goto out;
	for (uint64_t i = 0; i < n; i++) {
		const uint8_t *p = data + off + 16 * i;
		uint64_t len = fuzz_le(p, 4), addr = fuzz_le(p + 4, 8), idx = fuzz_le(p + 12, 4);

		if (addr == 0)
			continue;	/* a null string: no heap access */
		if (addr != coll) {
			if (!fuzz_gcol_parse(data, size, addr, objsize))
				goto out;
			coll = addr;
		}
		if (idx == 0 || idx > 65535 || objsize[idx] < 0 || (uint64_t)objsize[idx] != len)
			goto out;
	}
	ok = 1;
out:
	if (dcpl >= 0)
		H5Pclose(dcpl);
	if (s >= 0)
		H5Sclose(s);
	if (t >= 0)
		H5Tclose(t);
	H5Dclose(d);
	return ok;
}

/* An oracle failed: a crash for the fuzzer, with a message. */
#define FUZZ_CHECK(cond)                                                      \
	do {                                                                  \
		if (!(cond)) {                                                \
			fprintf(stderr, "fuzz: check failed at %s:%d: %s\n",  \
				__FILE__, __LINE__, #cond);                   \
			abort();                                              \
		}                                                             \
	} while (0)

/* bytes read by fuzz_count_change, so that the reads are not optimized away */
static volatile unsigned fuzz_sink;

/* A train_cfg_json_diff callback: counts the changes in *(int *)ctx and
 * reads both values whole (the sanitizer checks each byte). */
static inline void fuzz_count_change(void *ctx, const char *key, const char *va,
				     int la, const char *vb, int lb)
{
	(*(int *)ctx)++;
	FUZZ_CHECK(la >= 0 && lb >= 0 && strlen(key) < 64);
	for (int i = 0; i < la; i++)
		fuzz_sink += (unsigned char)va[i];
	for (int i = 0; i < lb; i++)
		fuzz_sink += (unsigned char)vb[i];
}

#endif
