/* Classify leads from C through libleadkit.so: one lead as JSON, then a batch
 * of two leads as an Arrow stream built by hand.
 *   cc -std=c11 example.c -lleadkit && ./a.out */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "leadkit/leadkit.h"

/* The batch: leads A1 and A2 as four columns, in static memory that leadkit
 * only reads. Release callbacks mark a struct released; nothing to free. */
static const int32_t id_offsets[] = {0, 2, 4};
static const char id_chars[] = "A1A2";
static const uint8_t model_valid[] = {0x01}; /* A2 has no model */
static const int32_t model_offsets[] = {0, 4, 4};
static const char model_chars[] = "C200";
static const uint8_t price_values[] = {0x01}; /* A1 asked the price, A2 not */
static const uint8_t days_valid[] = {0x01};
static const double days_values[] = {60, 0};

static const void* id_buffers[] = {NULL, id_offsets, id_chars};
static const void* model_buffers[] = {model_valid, model_offsets, model_chars};
static const void* price_buffers[] = {NULL, price_values};
static const void* days_buffers[] = {days_valid, days_values};
static const void* batch_buffers[] = {NULL};

static void schema_done(struct ArrowSchema* s) { s->release = NULL; }
static void array_done(struct ArrowArray* a) { a->release = NULL; }

static struct ArrowSchema columns[4];
static struct ArrowSchema* column_pointers[4];
static struct ArrowArray arrays[4];
static struct ArrowArray* array_pointers[4];

static int get_schema(struct ArrowArrayStream* stream, struct ArrowSchema* out) {
  (void)stream;
  const char* names[] = {"lead_id", "model", "asked_price",
                         "purchase_within_days"};
  const char* formats[] = {"u", "u", "b", "g"};
  for (int i = 0; i < 4; ++i) {
    columns[i] = (struct ArrowSchema){.format = formats[i],
                                      .name = names[i],
                                      .flags = ARROW_FLAG_NULLABLE,
                                      .release = schema_done};
    column_pointers[i] = &columns[i];
  }
  *out = (struct ArrowSchema){.format = "+s", .name = "", .n_children = 4,
                              .children = column_pointers,
                              .release = schema_done};
  return 0;
}

static int get_next(struct ArrowArrayStream* stream, struct ArrowArray* out) {
  int* batches_left = stream->private_data;
  *out = (struct ArrowArray){.release = NULL}; /* the end of the stream */
  if ((*batches_left)-- == 0) return 0;
  const void** buffers[] = {id_buffers, model_buffers, price_buffers,
                            days_buffers};
  const int64_t n_buffers[] = {3, 3, 2, 2};
  const int64_t null_counts[] = {0, 1, 0, 1};
  for (int i = 0; i < 4; ++i) {
    arrays[i] = (struct ArrowArray){.length = 2, .null_count = null_counts[i],
                                    .n_buffers = n_buffers[i],
                                    .buffers = buffers[i],
                                    .release = array_done};
    array_pointers[i] = &arrays[i];
  }
  *out = (struct ArrowArray){.length = 2, .n_buffers = 1,
                             .buffers = batch_buffers, .n_children = 4,
                             .children = array_pointers,
                             .release = array_done};
  return 0;
}

static const char* get_last_error(struct ArrowArrayStream* stream) {
  (void)stream;
  return NULL;
}

static void stream_done(struct ArrowArrayStream* stream) {
  stream->release = NULL;
}

/* The string at row `i` of a utf8 array. */
static void print_utf8(const struct ArrowArray* a, int64_t i) {
  const int32_t* offsets = a->buffers[1];
  const char* chars = a->buffers[2];
  printf("%.*s", (int)(offsets[a->offset + i + 1] - offsets[a->offset + i]),
         chars + offsets[a->offset + i]);
}

int main(void) {
  printf("leadkit %s (ABI %d)\n", lk_version(), lk_abi_version());

  lk_policy* policy = NULL;
  if (lk_policy_from_preset("three_level", &policy) != LK_OK) {
    fprintf(stderr, "%s\n", lk_last_error());
    return 1;
  }

  /* One lead as JSON: its grade with the explanation, as JSON. */
  const char* lead =
      "{\"lead_id\": \"L1\", \"model\": \"C200\", \"asked_price\": true,"
      " \"purchase_within_days\": 30}";
  char* result = NULL;
  if (lk_classify_json(policy, lead, strlen(lead), &result) != LK_OK) {
    fprintf(stderr, "%s\n", lk_last_error());
    lk_policy_free(policy);
    return 1;
  }
  printf("%s\n", result);
  lk_string_free(result);

  /* A bad value is an error naming the field and the value. */
  const char* bad = "{\"lead_id\": \"L2\", \"purchase_within_days\": \"soon\"}";
  if (lk_classify_json(policy, bad, strlen(bad), &result) ==
      LK_INVALID_ARGUMENT) {
    printf("error: %s\n", lk_last_error());
  }

  /* A batch as an Arrow stream: leadkit releases the input, the caller the
   * result. */
  int batches_left = 1;
  struct ArrowArrayStream leads = {get_schema, get_next, get_last_error,
                                   stream_done, &batches_left};
  struct ArrowArrayStream grades;
  if (lk_classify_arrow(policy, &leads, &grades) != LK_OK) {
    fprintf(stderr, "%s\n", lk_last_error());
    lk_policy_free(policy);
    return 1;
  }
  struct ArrowArray batch;
  while (grades.get_next(&grades, &batch) == 0 && batch.release != NULL) {
    const struct ArrowArray* ids = batch.children[0];
    const struct ArrowArray* grade = batch.children[1];
    const struct ArrowArray* rule = batch.children[2];
    for (int64_t i = 0; i < batch.length; ++i) {
      print_utf8(ids, i);
      printf(": ");
      print_utf8(grade->dictionary, ((const int32_t*)grade->buffers[1])[i]);
      printf(" (rule ");
      print_utf8(rule->dictionary, ((const int32_t*)rule->buffers[1])[i]);
      printf(")\n");
    }
    batch.release(&batch);
  }
  grades.release(&grades);
  lk_policy_free(policy);
  return 0;
}
