#!/usr/bin/env bash
# scaling-model.sh - the alpha-beta model of comm/SCALING.md: predicted
# data-parallel efficiency of each preset at 8, 64 and 512 ranks on 25 and
# 100 Gb/s networks, and the per-rank batch that keeps it at 90% or more.
# Inputs (edit or override by environment): the measured time of one
# training step per preset at its default batch, one rank x 1 thread
# (tests/bench/bench_model on this machine), ALPHA (seconds per message,
# default 10e-6), LINK_EFF (share of line rate reached, default 0.9),
# HIDE (share of the step during which bucketed allreduces can overlap
# backward, default 0.4), BUCKET_MB (default 16: each bucket pays the
# latency term once).
# The embedding gradient is sent sparse (--sparse-emb on): only the rows of
# the union of the P ranks' windows, packed, or whole when that union is
# more than half the vocabulary.  The union sizes at 8 / 64 / 512 ranks are
# measured on Penn Treebank's training text (P x B streams of T tokens at
# random offsets, mean of 5 draws); keras-seed (V 1000) and char-rnn (V 65)
# are dense at every P.  The two adaptive-softmax models (wt103-adaptive,
# and the same recipe at One Billion Word's 793,471 words with cutoffs
# 60000,100000,640000) run at the wt103-adaptive preset's batch 32 x bptt
# 70; their step time is bench_model's 1-thread tokens/s (v268k-adaptive,
# v793k-adaptive) scaled to those 2,240 tokens, and their union sizes the
# expectation under a Zipf law of exponent 1.07 over the vocabulary
# (sum over words of 1 - (1 - p)^(P x 2240)); no WikiText-103 text is here.
# For wt103-adaptive it also prints the predicted wall time of one
# WikiText-103 epoch (103 M tokens) at 64 ranks.
set -euo pipefail
awk -v alpha="${ALPHA:-10e-6}" -v eff="${LINK_EFF:-0.9}" -v hide="${HIDE:-0.4}" \
	-v bucket="$(( ${BUCKET_MB:-16} * 1048576 ))" 'BEGIN {
	# name, params, embedding params (the last bucket), batch, step seconds
	n = split("keras-seed zaremba-small zaremba-medium char-rnn large wt103-adaptive 1bw-adaptive", name, " ")
	split("193000 4651600 19775200 3425345 37300000 166037872 529988080", np, " ")
	split("64000 2000000 6500000 8320 10240000 137080320 406257152", nemb, " ")
	split("32 20 20 50 64 32 32", batch, " ")
	split("0.0114 0.093 0.661 0.724 4.07 2.85 17.65", step, " ")
	split("1000 10000 10000 65 10000 267735 793471", vocab, " ")
	# rows of the union at 8 / 64 / 512 ranks (0: more than V/2, dense)
	split("0 0 0  1189 4421 0  1735 0 0  0 0 0  3569 0 0  6080 30338 118393  6685 35937 165891", uni, " ")
	split("8 64 512", ranks, " ")
	split("25 100", gbps, " ")
	printf "%-15s %5s %5s %10s %10s %10s %8s %8s %12s\n", "preset", "ranks", "Gb/s",
		"step ms", "allred ms", "exposed", "eff", "no-ovl", "B for 90%"
	for (i = 1; i <= n; i++)
		for (j = 1; j <= 3; j++)
			for (k = 1; k <= 2; k++) {
				P = ranks[j]; beta = gbps[k] * 1e9 / 8 * eff
				u = uni[3 * (i - 1) + j]
				Se = nemb[i] * 4
				if (u > 0) Se = Se * u / vocab[i]
				S = (np[i] - nemb[i]) * 4 + Se
				t = step[i]
				ar = allreduce(P, S, beta); are = allreduce(P, Se, beta)
				# overlap hides up to hide*t, but never the last bucket
				x = ar - hide * t; if (x < are) x = are; if (x < 0) x = 0
				e = t / (t + x); e0 = t / (t + ar)
				# compute grows with the batch, communication does not
				b = batch[i] * (x * 9 / t); if (b < batch[i]) b = batch[i]
				printf "%-15s %5d %5d %10.1f %10.1f %10.1f %7.1f%% %7.1f%% %12d\n", name[i], P,
					gbps[k], 1000 * t, 1000 * ar, 1000 * x, 100 * e, 100 * e0, int(b + 0.999)
				if (name[i] == "wt103-adaptive" && P == 64)
					epoch[k] = 103e6 / (P * batch[i] * 70 / (t + x))
			}
	for (k = 1; k <= 2; k++)
		printf "wt103-adaptive: one WikiText-103 epoch (103 M tokens) on 64 ranks x 1 thread" \
			" at %d Gb/s: %.0f min (the preset'"'"'s 14 epochs: %.1f h)\n",
			gbps[k], epoch[k] / 60, 14 * epoch[k] / 3600
}
# the better of ring and Rabenseifner (recursive halving and doubling):
# the same 2 (P-1)/P * S / beta bandwidth term, latency 2 (P-1) alpha or
# 2 log2(P) alpha
function allreduce(P, S, beta,   bw, ring, rab, nb) {
	nb = int((S + bucket - 1) / bucket)
	bw = 2 * (P - 1) / P * S / beta
	ring = nb * 2 * (P - 1) * alpha + bw
	rab = nb * 2 * log(P) / log(2) * alpha + bw
	return ring < rab ? ring : rab
}'
