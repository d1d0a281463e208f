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
 * Dropout (Zaremba et al. 2014, inverted: kept units scaled by 1/(1-p)) sits
 * on the non-recurrent connections only: on the embedding output, on each
 * layer's h going up to the next layer, and on the top h before the output
 * projection.  It is on only when model_forward_train gets an rng.
 *
 * All parameters live in one contiguous float buffer, and the gradients in
 * a second one with the same layout.  The order is the order in which
 * backward finishes them, so a ready prefix of the gradient buffer can be
 * exchanged while backward goes on:
 *
 *   out.W (V x H, absent when tied), out.b (V),
 *   lstm.{L-1}.Wx (in x 4H), lstm.{L-1}.Wh (H x 4H), lstm.{L-1}.b (4H),
 *   ... down to lstm.0 ...,
 *   emb (V x E)
 *
 * Matrices are row-major.  Wx and Wh hold the four gates as column blocks
 * [i | f | g | o] of H columns each, so X (rows x in) * Wx gives all gates
 * of all rows in one GEMM.  PyTorch's weight_ih_l{k} is Wx transposed (same
 * gate order i f g o); its bias_ih + bias_hh equals b.  With tying, the
 * output projection uses emb (V x H) in place of out.W.
 */
#ifndef ENGRAM_MODEL_H
#define ENGRAM_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "io/err.h"
#include "trainer/rng.h"

#define MODEL_MAX_LAYERS 8
/* The output layer's logits are computed in row blocks of at most this
 * many bytes (model.c, block_rows).  32 MiB measured 3-9% faster than 8
 * (tests/bench/RESULTS.md): OpenBLAS packs out_W again for every GEMM
 * call, so fewer, taller blocks pack it fewer times. */
#ifndef MODEL_OUT_BLOCK_BYTES
#define MODEL_OUT_BLOCK_BYTES (32u << 20)
#endif
#define MODEL_MAX_TENSORS (3 * MODEL_MAX_LAYERS + 3)

typedef struct {
	int vocab;	/* V */
	int embed;	/* E */
	int hidden;	/* H */
	int layers;	/* L, 1 .. MODEL_MAX_LAYERS */
	int tie;	/* output projection uses emb (needs E == H) */
	float dropout;	/* probability of dropping a unit, 0 <= p < 1 */
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

typedef struct {
	model_cfg_t cfg;
	size_t n;		/* parameter count */
	float *params;		/* n floats, owned */
	float *grads;		/* n floats, owned, same layout */
	int ntensors;
	model_tensor_t tensor[MODEL_MAX_TENSORS];	/* in buffer order */
	/* Views into params and grads; out_W == emb when tied. */
	float *out_W, *out_b, *emb;
	model_lstm_t lstm[MODEL_MAX_LAYERS];
	float *g_out_W, *g_out_b, *g_emb;
	model_lstm_t g_lstm[MODEL_MAX_LAYERS];
	/* Grad-ready prefix ends, in floats: after the output layer, after each
	 * LSTM layer (index = layer), and the whole buffer after the embedding. */
	size_t ready_out, ready_lstm[MODEL_MAX_LAYERS];
} model_t;

/* The carried working memory: h and C of every layer for B streams. */
typedef struct {
	int layers, batch, hidden;
	float *h;	/* layers x batch x hidden, owned */
	float *c;	/* layers x batch x hidden, owned */
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
void model_state_zero(model_state_t *s);
void model_state_free(model_state_t *s);

/* Bytes model_work_new allocates for a window: the activations, T*B rows,
 * and one block of the output layer's logits (see model_logits), so a
 * caller can say it before trying. */
size_t model_work_bytes(const model_cfg_t *cfg, int T, int B);
/* Returns NULL with a message in e (naming the size) when out of memory. */
model_work_t *model_work_new(const model_cfg_t *cfg, int T, int B, err_t *e);
void model_work_free(model_work_t *w);

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

/*
 * Logits of the last forward, (T*B) x V, row t*B + b (time-major), when
 * the window's T*B rows fit one output block (T*B*V*4 <=
 * MODEL_OUT_BLOCK_BYTES, or T*B <=
 * 128; always for sampling's T = B = 1); NULL when the output layer ran in
 * several blocks and no whole logits matrix existed.  After
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
