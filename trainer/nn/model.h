/*
 * model.h - the LSTM language model: parameters, carried state, one window's
 * forward and backward (the fast path, CBLAS + fused elementwise kernels).
 *
 *   x_t   = emb[tok_t]                                   (E)
 *   for each layer l (input in = E for l = 0, else H):
 *     gates = x_t * Wx + h_{t-1} * Wh + b               (4H, order i f g o)
 *     i = sig(gates_i) f = sig(gates_f) g = tanh(gates_g) o = sig(gates_o)
 *     C_t = f * C_{t-1} + i * g ;  h_t = o * tanh(C_t)
 *   logits = h_top * out_W^T + out_b                    (V)
 *           (computed in blocks of rows of the window, never all at once)
 *   loss   = sum over the window of -log softmax(logits)[target]
 *
 * Or, with softmax MODEL_SOFTMAX_ADAPTIVE, the adaptive softmax of Grave et
 * al. 2017 with the semantics of PyTorch's AdaptiveLogSoftmaxWithLoss.  The
 * ids are split by cutoffs C_1 < ... < C_K < V into a short list [0, C_1)
 * and K tail clusters, cluster i = [C_i, C_{i+1}) (C_{K+1} = V), of s_i
 * words, and with d_i = floor(H / div_value^i):
 *   head  = h_top * head_W^T (+ head_b)                 (C_1 + K)
 *   tail_i = (h_top * proj_i^T) * tail_W_i^T             (d_i, then s_i)
 *   log p(w) = log softmax(head)[w]                       for w < C_1
 *   log p(w) = log softmax(head)[C_1 + i - 1]
 *              + log softmax(tail_i)[w - C_i]             for w in cluster i
 * Exactly normalized.  Training and eval compute a tail cluster only for
 * the rows whose target falls in it (model_log_probs gives the whole
 * distribution of one row).
 *
 * Dropout (Zaremba et al. 2014, inverted: kept units scaled by 1/(1-p)) sits
 * on the non-recurrent connections only: on the embedding output, on each
 * layer's h going up to the next layer, and on the top h before the output
 * projection.  It is on only when model_forward_train gets an rng.
 *
 * AWD-LSTM's regularizers (Merity, Keskar & Socher 2017), each 0 = off and
 * on, like dropout, only in model_forward_train with an rng.  A "site" is
 * one of the three places above: site 0 the embedding output (E wide),
 * site l + 1 the output of layer l (H wide; site L feeds the output layer).
 *   locked dropout: one mask per stream and window, shared by every step:
 *     x[t][b][k] *= lmask[b][k] (drop_in at site 0, drop_hid between
 *     layers, drop_out at site L), on top of dropout's per-step mask
 *   embedding dropout: x_t = emb[tok_t] * emask[tok_t], one mask value per
 *     word type and window (0 or 1/(1-drop_emb)), shared by the streams;
 *     the output layer of a tied model uses emb unmasked
 *   weight drop: each layer's recurrence uses Wh * wmask, one H x 4H mask
 *     per layer and window, shared by all steps and streams; g_Wh gets
 *     (h^T dgate) * wmask
 *   AR and TAR: the loss gains, per token of the window,
 *     ar * mean_k(x_top^2)                      (x_top: site L's dropped h)
 *     tar * T/(T-1) * mean_k((h_t - h_{t-1})^2) (the top layer's h, t >= 1)
 *     that is awd-lstm-lm's ar * mean(...) + tar * mean(...) over the
 *     window, times T*B like the cross-entropy sum it is added to.  The
 *     forwards still return the cross-entropy alone; model_reg_loss has
 *     the rest.
 *
 * All parameters live in one contiguous float buffer, and the gradients in
 * a second one with the same layout.  The order is the order in which
 * backward finishes them, so a ready prefix of the gradient buffer can be
 * exchanged while backward goes on:
 *
 *   out.W (V x H, absent when tied), out.b (V),
 *     or, adaptive: out.head.W ((C_1 + K) x H), out.head.b (C_1 + K, only
 *     with head_bias), then for i = 1 .. K out.tail.<i>.proj (d_i x H) and
 *     out.tail.<i>.W (s_i x d_i),
 *   lstm.{L-1}.Wx (in x 4H), lstm.{L-1}.Wh (H x 4H), lstm.{L-1}.b (4H),
 *   ... down to lstm.0 ...,
 *   emb (V x E)
 *
 * Matrices are row-major.  Wx and Wh hold the four gates as column blocks
 * [i | f | g | o] of H columns each, so X (rows x in) * Wx gives all gates
 * of all rows in one GEMM.  PyTorch's weight_ih_l{k} is Wx transposed (same
 * gate order i f g o); its bias_ih + bias_hh equals b.  With tying, the
 * output projection uses emb (V x H) in place of out.W.  The adaptive
 * tensors are PyTorch's head.weight, head.bias, tail[i-1][0].weight and
 * tail[i-1][1].weight as they are (rows = outputs).
 */
#ifndef ENGRAM_MODEL_H
#define ENGRAM_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "io/err.h"
#include "trainer/nn/rng.h"

#define MODEL_MAX_LAYERS 8
/* The output layer's logits are computed in row blocks of at most this
 * many bytes (model.c, block_rows).  32 MiB measured 3-9% faster than 8
 * (tests/bench/RESULTS.md): OpenBLAS packs out_W again for every GEMM
 * call, so fewer, taller blocks pack it fewer times. */
#ifndef MODEL_OUT_BLOCK_BYTES
#define MODEL_OUT_BLOCK_BYTES (32u << 20)
#endif
#define MODEL_MAX_CLUSTERS 16	/* tail clusters of the adaptive softmax */
#define MODEL_MAX_TENSORS (3 * MODEL_MAX_LAYERS + 3 + 2 * MODEL_MAX_CLUSTERS)

enum { MODEL_SOFTMAX_FULL, MODEL_SOFTMAX_ADAPTIVE };

typedef struct {
	int vocab;	/* V */
	int embed;	/* E */
	int hidden;	/* H */
	int layers;	/* L, 1 .. MODEL_MAX_LAYERS */
	int tie;	/* output projection uses emb (needs E == the top width) */
	float dropout;	/* probability of dropping a unit, 0 <= p < 1 */
	/* The output layer (zero: the full softmax). */
	int softmax;	/* MODEL_SOFTMAX_* */
	int nclusters;	/* K, adaptive: 1 .. MODEL_MAX_CLUSTERS */
	int cutoffs[MODEL_MAX_CLUSTERS];	/* C_1 < ... < C_K < V */
	double div_value;	/* > 1: cluster i is floor(H / div_value^i) wide */
	int head_bias;	/* the head has a bias (PyTorch's head_bias) */
	/* AWD-LSTM's regularizers (above); probabilities in [0, 1), the
	 * coefficients >= 0; all 0 = off.  Not part of the shape. */
	float drop_in, drop_hid, drop_out;	/* locked dropout per site */
	float drop_emb;		/* embedding dropout: whole word types */
	float weight_drop;	/* DropConnect on every layer's Wh */
	float ar, tar;		/* activation and temporal activation reg. */
	/* the last layer's width when it differs from H (awd-lstm-lm shrinks
	 * it to E so that the output layer can be tied); 0 = H.  Every "H" of
	 * the top layer and of the output layer above it is this width.  Last
	 * in the struct: positional initializers elsewhere stay as they are. */
	int top_hidden;
} model_cfg_t;

/* One named tensor of the parameter buffer. */
typedef struct {
	char name[32];	/* "out.W", "out.b", "lstm.0.Wx", ..., "emb" */
	size_t off;	/* offset in floats into params/grads */
	int rows, cols;	/* a vector has rows = 1 */
} model_tensor_t;

typedef struct {
	float *Wx, *Wh, *b;
} model_lstm_t;

/* The adaptive softmax's tensors (NULL for the full softmax). */
typedef struct {
	float *head_W, *head_b;	/* head_b NULL without head_bias */
	float *proj[MODEL_MAX_CLUSTERS + 1];	/* index 1 .. K */
	float *W[MODEL_MAX_CLUSTERS + 1];
} model_adapt_t;

typedef struct {
	model_cfg_t cfg;
	size_t n;		/* parameter count */
	float *params;		/* n floats, owned */
	float *grads;		/* n floats, owned, same layout */
	int ntensors;
	model_tensor_t tensor[MODEL_MAX_TENSORS];	/* in buffer order */
	/* Views into params and grads; out_W == emb when tied; out_W and
	 * out_b NULL with the adaptive softmax, which has ad instead. */
	float *out_W, *out_b, *emb;
	model_lstm_t lstm[MODEL_MAX_LAYERS];
	model_adapt_t ad;
	float *g_out_W, *g_out_b, *g_emb;
	model_lstm_t g_lstm[MODEL_MAX_LAYERS];
	model_adapt_t g_ad;
	/* Grad-ready prefix ends, in floats: after the output layer, after each
	 * LSTM layer (index = layer), and the whole buffer after the embedding. */
	size_t ready_out, ready_lstm[MODEL_MAX_LAYERS];
} model_t;

/* Layer l's width H_l: H, or top_hidden for the last layer when set. */
static inline int model_width(const model_cfg_t *c, int l)
{
	return l == c->layers - 1 && c->top_hidden > 0 ? c->top_hidden : c->hidden;
}

/* The width of the top layer, which the output layer reads. */
static inline int model_top(const model_cfg_t *c)
{
	return model_width(c, c->layers - 1);
}

/* The carried working memory: h and C of every layer for B streams,
 * layer after layer, layer l's B x H_l at off[l]. */
typedef struct {
	int layers, batch;
	size_t n;	/* floats of each of h and c: B x the sum of the widths */
	size_t off[MODEL_MAX_LAYERS];
	float *h;	/* n floats, owned */
	float *c;	/* n floats, owned */
} model_state_t;

/* Activations of one window (T steps x B streams); opaque to callers. */
typedef struct model_work model_work_t;

/*
 * Called by backward with the count of leading floats of grads that hold
 * their final value for this backward: after the output layer, after each
 * LSTM layer from the top down, at the end with m->n.  It is also called
 * between time steps with the unchanged count, so a caller can drive
 * non-blocking communication (MPI_Test) while backward computes.
 */
typedef void (*model_grad_hook_t)(void *ctx, size_t ready);

int model_cfg_check(const model_cfg_t *cfg, err_t *e);

/* 1 when any of AWD-LSTM's regularizers is on. */
int model_cfg_regularized(const model_cfg_t *cfg);

/* 1 when a and b have the same shape: every field but dropout and the
 * regularizers. */
int model_cfg_same_shape(const model_cfg_t *a, const model_cfg_t *b);

/* Adaptive softmax: the ids of cluster i (1 .. K) are [lo, hi), and its
 * projection is d_i wide; cluster 0 is the short list [0, C_1).  For any
 * cfg that passed model_cfg_check. */
void model_cluster(const model_cfg_t *cfg, int i, int *lo, int *hi);
int model_cluster_dim(const model_cfg_t *cfg, int i);

/* "2000,10000": the cutoffs as the flag and /config write them. */
void model_cutoffs_str(const model_cfg_t *cfg, char *buf, size_t n);

int model_init(model_t *m, const model_cfg_t *cfg, err_t *e);
/* Only the shape: cfg, n and the tensor table, nothing allocated (params
 * and grads stay NULL; model_free is not needed).  For checking a file's
 * claims before allocating what it asks for. */
int model_layout(model_t *m, const model_cfg_t *cfg, err_t *e);
void model_free(model_t *m);

/* Uniform in +-init_scale for every parameter, then the forget-gate bias
 * block of every layer set to forget_bias (when forget_bias != 0). */
void model_init_params(model_t *m, float init_scale, float forget_bias,
		       uint64_t seed);

int model_state_init(model_state_t *s, const model_cfg_t *cfg, int batch,
		     err_t *e);
/* Floats of each of a state's h and c: batch x the sum of the widths. */
size_t model_state_floats(const model_cfg_t *cfg, int batch);
void model_state_zero(model_state_t *s);
void model_state_free(model_state_t *s);

/* Bytes model_work_new allocates for a window: the activations, T*B rows,
 * and one block of the output layer's logits (see model_logits), so a
 * caller can say it before trying. */
size_t model_work_bytes(const model_cfg_t *cfg, int T, int B);
/* The part of model_work_bytes that is layer 0's per-token table: V x 4H
 * floats when layer 0 can run by it (see model_layer0_by_table), else 0. */
size_t model_table_bytes(const model_cfg_t *cfg, int T, int B);
/* Returns NULL with a message in e (naming the size) when out of memory. */
model_work_t *model_work_new(const model_cfg_t *cfg, int T, int B, err_t *e);
void model_work_free(model_work_t *w);
/* The next forwards run windows of T steps, 1 <= T <= the T the area was
 * made for (variable-length BPTT); -1 when T is outside that. */
int model_work_set_len(model_work_t *w, int T);

/*
 * tok holds B rows of T+1 ids: row b is stream b, inputs tok[b*(T+1)+t]
 * and targets tok[b*(T+1)+t+1] for t = 0 .. T-1.  s carries the state in
 * and is updated to the state at the end of the window.  Both return the
 * sum over the T*B tokens of -log p(target), in double.
 *
 * model_forward_train keeps what backward needs and uses dropout when
 * dropout_rng is not NULL and cfg.dropout > 0.  It also runs the output
 * layer's backward, block by block while each block of logits is in cache:
 * it ADDS grad_scale * d(loss sum)/d(out.W, out.b) into m->grads (into emb
 * when tied) right away, so zero grads before the forward, not between it
 * and model_backward, and follow each model_forward_train with its
 * model_backward.
 */
double model_forward_train(model_t *m, model_work_t *w, model_state_t *s,
			   const int32_t *tok, rng_t *dropout_rng,
			   float grad_scale);
double model_forward_eval(model_t *m, model_work_t *w, model_state_t *s,
			  const int32_t *tok);
/* model_forward_eval, and each token's -log p(target) in nll[t*B + b]
 * (time-major, T*B of them), for either output layer. */
double model_forward_score(model_t *m, model_work_t *w, model_state_t *s,
			   const int32_t *tok, double *nll);

/*
 * The whole distribution of the next token at row (t*B + b, time-major) of
 * the last forward on w: out (V floats) gets log p(v) for every id v,
 * exactly normalized, for either output layer.  For sampling and scoring;
 * it costs one output layer's forward for the row.
 */
void model_log_probs(const model_t *m, model_work_t *w, int row, float *out);

/*
 * Logits of the last forward, (T*B) x V, row t*B + b (time-major), when
 * the window's T*B rows fit one output block (T*B*V*4 <=
 * MODEL_OUT_BLOCK_BYTES, or T*B <=
 * 128; always for sampling's T = B = 1); NULL when the output layer ran in
 * several blocks and no whole logits matrix existed, and always with the
 * adaptive softmax (model_log_probs has its distribution).  After
 * model_forward_train the buffer holds grad_scale * d(loss sum)/d(logits)
 * in their place (the softmax gradient is written over them); after
 * model_forward_eval it holds the logits.
 */
const float *model_logits(const model_work_t *w);

/*
 * The dropout mask the last forward used at a site, time-major like the
 * activations: site 0 is the embedding output ((T*B) x E), site l + 1 the
 * output of LSTM layer l ((T*B) x H; site L feeds the output projection).
 * Values are 0 (dropped) or 1 / (1 - p).  NULL when the last forward used
 * no dropout or site is out of range.  For tests that replay the masks.
 */
const float *model_dropout_mask(const model_work_t *w, int site);

/*
 * The masks of AWD-LSTM's regularizers in the last forward, NULL when it
 * used none there: the locked mask of a site (B x width, row b for stream
 * b), the embedding's (V values, one per word type) and layer l's weight
 * drop mask (H x 4H, Wh's layout).  Values 0 or 1 / (1 - p).  For tests.
 */
const float *model_locked_mask(const model_work_t *w, int site);
const float *model_embed_mask(const model_work_t *w);
const float *model_wdrop_mask(const model_work_t *w, int l);

/* The AR + TAR sum of the last model_forward_train (0 when both are off):
 * what the gradient includes beyond the cross-entropy. */
double model_reg_loss(const model_work_t *w);

/*
 * 1 when the last forward on w ran layer 0 by its per-token table (a small
 * vocabulary next to the window, and no dropout on the embedding; see
 * model.c), 0 when by the T*B-row GEMM.  For tests.
 */
int model_layer0_by_table(const model_work_t *w);

/*
 * Backward of the last model_forward_train on w: ADDS grad_scale * d(loss
 * sum)/d(param) into m->grads (the caller zeroes grads once per optimizer
 * step; several calls accumulate micro-batches).  Gradients stop at the
 * window edge: the carried state is a constant.  hook may be NULL.
 */
void model_backward(model_t *m, model_work_t *w, model_grad_hook_t hook,
		    void *ctx);

#endif
