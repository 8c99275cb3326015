/* Every function of leadkit.h called from C11, with the expected results
 * worked out by hand from the three_level preset (presets/policies):
 *   high:    model not null, asked_price or asked_config true,
 *            purchase_within_days <= 90
 *   medium:  model not null, or models_considered >= 2
 *   default: low
 * The Arrow batches are built here by hand, as any C program would. Built with
 * -Wall -Wextra -Werror -std=c11; run by CTest and under AddressSanitizer. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leadkit/leadkit.h"

static int failures = 0;

#define CHECK(cond)                                                  \
  do {                                                               \
    if (!(cond)) {                                                   \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, \
              #cond);                                                \
      ++failures;                                                    \
    }                                                                \
  } while (0)

/* The status is `code` and the last error holds `text`. */
#define CHECK_STATUS(call, code, text)                                       \
  do {                                                                       \
    lk_status got_ = (call);                                                 \
    if (got_ != (code) || strstr(lk_last_error(), (text)) == NULL) {         \
      fprintf(stderr, "%s:%d: %s gave %d \"%s\"; expected %d with \"%s\"\n", \
              __FILE__, __LINE__, #call, (int)got_, lk_last_error(),         \
              (int)(code), (text));                                          \
      ++failures;                                                            \
    }                                                                        \
  } while (0)

static bool contains(const char* text, const char* part) {
  return text != NULL && strstr(text, part) != NULL;
}

/* ---- A stream of hand-built record batches ------------------------------ */

/* Schemas and arrays below live in static or stack memory that outlives the
 * call; their release callbacks only mark them released, as the interface
 * asks. */
static void release_schema(struct ArrowSchema* s) { s->release = NULL; }
static void release_array(struct ArrowArray* a) { a->release = NULL; }

enum { kMaxColumns = 8, kMaxBatches = 2 };

struct column {
  const char* name;
  const char* format;
  int64_t length;
  int64_t offset;
  int64_t null_count;
  int64_t n_buffers;
  const void* buffers[3];
};

struct test_stream {
  int n_columns;
  struct column columns[kMaxColumns];
  int n_batches;
  int64_t batch_length[kMaxBatches];
  /* columns of batch b are columns_of[b][i]; the schema is batch 0's */
  struct column batch_columns[kMaxBatches][kMaxColumns];
  int next;
  int released;
  /* storage handed out */
  struct ArrowSchema schema_children[kMaxColumns];
  struct ArrowSchema* schema_child_pointers[kMaxColumns];
  struct ArrowArray array_children[kMaxBatches][kMaxColumns];
  struct ArrowArray* array_child_pointers[kMaxBatches][kMaxColumns];
};

static int stream_get_schema(struct ArrowArrayStream* stream,
                             struct ArrowSchema* out) {
  struct test_stream* t = (struct test_stream*)stream->private_data;
  for (int i = 0; i < t->n_columns; ++i) {
    struct ArrowSchema* c = &t->schema_children[i];
    memset(c, 0, sizeof *c);
    c->format = t->batch_columns[0][i].format;
    c->name = t->batch_columns[0][i].name;
    c->flags = ARROW_FLAG_NULLABLE;
    c->release = release_schema;
    t->schema_child_pointers[i] = c;
  }
  memset(out, 0, sizeof *out);
  out->format = "+s";
  out->name = "";
  out->n_children = t->n_columns;
  out->children = t->schema_child_pointers;
  out->release = release_schema;
  return 0;
}

static int stream_get_next(struct ArrowArrayStream* stream,
                           struct ArrowArray* out) {
  struct test_stream* t = (struct test_stream*)stream->private_data;
  memset(out, 0, sizeof *out);
  if (t->next == t->n_batches) return 0; /* release NULL: the end */
  const int b = t->next++;
  for (int i = 0; i < t->n_columns; ++i) {
    const struct column* col = &t->batch_columns[b][i];
    struct ArrowArray* a = &t->array_children[b][i];
    memset(a, 0, sizeof *a);
    a->length = col->length;
    a->offset = col->offset;
    a->null_count = col->null_count;
    a->n_buffers = col->n_buffers;
    a->buffers = (const void**)col->buffers;
    a->release = release_array;
    t->array_child_pointers[b][i] = a;
  }
  out->length = t->batch_length[b];
  out->n_buffers = 1;
  static const void* no_validity[1] = {NULL};
  out->buffers = no_validity;
  out->n_children = t->n_columns;
  out->children = t->array_child_pointers[b];
  out->release = release_array;
  return 0;
}

static const char* stream_get_last_error(struct ArrowArrayStream* stream) {
  (void)stream;
  return NULL;
}

static void stream_release(struct ArrowArrayStream* stream) {
  struct test_stream* t = (struct test_stream*)stream->private_data;
  ++t->released;
  stream->release = NULL;
}

static struct ArrowArrayStream make_stream(struct test_stream* t) {
  struct ArrowArrayStream s;
  s.get_schema = stream_get_schema;
  s.get_next = stream_get_next;
  s.get_last_error = stream_get_last_error;
  s.release = stream_release;
  s.private_data = t;
  return s;
}

/* ---- Reading the result ----------------------------------------------- */

/* The string at `index` of a utf8 array. */
static void utf8_at(const struct ArrowArray* a, int64_t index, char* out,
                    size_t size) {
  const int32_t* offsets = (const int32_t*)a->buffers[1];
  const char* chars = (const char*)a->buffers[2];
  const int32_t begin = offsets[a->offset + index];
  const int32_t end = offsets[a->offset + index + 1];
  size_t n = (size_t)(end - begin);
  if (n >= size) n = size - 1;
  memcpy(out, chars + begin, n);
  out[n] = '\0';
}

/* The string of row `row` of a dictionary<int32, utf8> array. */
static void dictionary_at(const struct ArrowArray* a, int64_t row, char* out,
                          size_t size) {
  const int32_t* codes = (const int32_t*)a->buffers[1];
  utf8_at(a->dictionary, codes[a->offset + row], out, size);
}

/* Reads every batch of a classify result into "id:grade:rule;" text. */
static void read_result(struct ArrowArrayStream* result, char* out,
                        size_t size) {
  struct ArrowSchema schema;
  CHECK(result->get_schema(result, &schema) == 0);
  CHECK(strcmp(schema.format, "+s") == 0);
  CHECK(schema.n_children == 3);
  CHECK(strcmp(schema.children[0]->name, "lead_id") == 0);
  CHECK(strcmp(schema.children[0]->format, "u") == 0);
  CHECK(strcmp(schema.children[1]->name, "grade") == 0);
  CHECK(strcmp(schema.children[1]->format, "i") == 0);
  CHECK(schema.children[1]->dictionary != NULL &&
        strcmp(schema.children[1]->dictionary->format, "u") == 0);
  CHECK(strcmp(schema.children[2]->name, "rule") == 0);
  CHECK(strcmp(schema.children[2]->format, "i") == 0);
  schema.release(&schema);
  CHECK(schema.release == NULL);

  out[0] = '\0';
  for (;;) {
    struct ArrowArray batch;
    CHECK(result->get_next(result, &batch) == 0);
    if (batch.release == NULL) break;
    CHECK(batch.n_children == 3);
    for (int64_t row = 0; row < batch.length; ++row) {
      char id[32], grade[32], rule[32], line[100];
      utf8_at(batch.children[0], row, id, sizeof id);
      dictionary_at(batch.children[1], row, grade, sizeof grade);
      dictionary_at(batch.children[2], row, rule, sizeof rule);
      snprintf(line, sizeof line, "%s:%s:%s;", id, grade, rule);
      strncat(out, line, size - strlen(out) - 1);
    }
    batch.release(&batch);
    CHECK(batch.release == NULL);
  }
}

/* ---- The leads ------------------------------------------------------------ */

/* Batch 0, five leads:
 *   L1  model C200, asked_price true, 30 days          -> high (rule high)
 *   L2  model GLC, asked_price false, 30 days          -> medium (no question)
 *   L3  no model, 3 models considered                  -> medium
 *   L4  no model, 1 model considered                   -> low (rule default)
 *   L5  model C200, asked_config true, 120 days        -> medium (past 90)
 * lead_id's array starts one string early (offset 1), as a slice does.
 * Batch 1, one lead:
 *   L6  model X, asked_price true, 90 days             -> high (90 <= 90) */
static const int32_t ids_offsets[] = {0, 4, 6, 8, 10, 12, 14};
static const char ids_chars[] = "skipL1L2L3L4L5";
static const uint8_t model_valid[] = {0x13}; /* rows 0, 1, 4 */
static const int32_t model_offsets[] = {0, 4, 7, 7, 7, 11};
static const char model_chars[] = "C200GLCC200";
static const uint8_t price_valid[] = {0x03};  /* rows 0, 1 */
static const uint8_t price_values[] = {0x01}; /* row 0 true */
static const uint8_t config_valid[] = {0x10}; /* row 4 */
static const uint8_t config_values[] = {0x10};
static const uint8_t days_valid[] = {0x13};
static const int64_t days_values[] = {30, 30, 0, 0, 120};
static const uint8_t considered_valid[] = {0x0c}; /* rows 2, 3 */
static const double considered_values[] = {0, 0, 3, 1, 0};
static const uint8_t created_valid[] = {0x17}; /* L4 has none */
static const int64_t created_ms[] = {1740787200000, 1740787200000,
                                     1740787200000, 1740787200000,
                                     1740787200000};

static const int32_t ids1_offsets[] = {0, 2};
static const char ids1_chars[] = "L6";
static const int32_t model1_offsets[] = {0, 1};
static const char model1_chars[] = "X";
static const uint8_t true1[] = {0x01};
static const int64_t days1[] = {90};

static void set_leads(struct test_stream* t) {
  memset(t, 0, sizeof *t);
  t->n_columns = 7;
  t->n_batches = 2;
  t->batch_length[0] = 5;
  t->batch_length[1] = 1;
  struct column* c = t->batch_columns[0];
  c[0] = (struct column){"lead_id", "u", 6, 1, 0, 3,
                         {NULL, ids_offsets, ids_chars}};
  c[1] = (struct column){"model", "u", 5, 0, 2, 3,
                         {model_valid, model_offsets, model_chars}};
  c[2] = (struct column){"asked_price", "b", 5, 0, 3, 2,
                         {price_valid, price_values, NULL}};
  c[3] = (struct column){"asked_config", "b", 5, 0, 4, 2,
                         {config_valid, config_values, NULL}};
  c[4] = (struct column){"purchase_within_days", "l", 5, 0, 2, 2,
                         {days_valid, days_values, NULL}};
  c[5] = (struct column){"models_considered", "g", 5, 0, 3, 2,
                         {considered_valid, considered_values, NULL}};
  c[6] = (struct column){"created_at", "tsm:Asia/Shanghai", 5, 0, 1, 2,
                         {created_valid, created_ms, NULL}};
  struct column* d = t->batch_columns[1];
  d[0] = (struct column){"lead_id", "u", 1, 0, 0, 3,
                         {NULL, ids1_offsets, ids1_chars}};
  d[1] = (struct column){"model", "u", 1, 0, 0, 3,
                         {NULL, model1_offsets, model1_chars}};
  d[2] = (struct column){"asked_price", "b", 1, 0, 0, 2, {NULL, true1, NULL}};
  d[4] = (struct column){"purchase_within_days", "l", 1, 0, 0, 2,
                         {NULL, days1, NULL}};
  d[6] = (struct column){"created_at", "tsm:Asia/Shanghai", 1, 0, 0, 2,
                         {NULL, created_ms, NULL}};
  /* All null in batch 1: asked_config and models_considered, by their
   * validity bitmaps. */
  static const uint8_t none[] = {0x00};
  static const double nothing[] = {0};
  d[3] = (struct column){"asked_config", "b", 1, 0, 1, 2, {none, none, NULL}};
  d[5] = (struct column){"models_considered", "g", 1, 0, 1, 2,
                         {none, nothing, NULL}};
}

/* ---- The tests -------------------------------------------------------------- */

static void test_library(void) {
  CHECK(strcmp(lk_version(), "") != 0);
  CHECK(lk_abi_version() == LK_ABI_VERSION);
  lk_string_free(NULL);
  lk_policy_free(NULL);
}

static const char kPolicy[] =
    "{\"grades\": [\"hot\", \"cold\"],"
    " \"rules\": ["
    "  {\"id\": \"hot\", \"when\": [{\"field\": \"purchase_within_days\","
    "   \"op\": \"<=\", \"value\": 30}], \"grade\": \"hot\"},"
    "  {\"id\": \"default\", \"grade\": \"cold\"}],"
    " \"cadence\": {\"follow_up_days\": {\"hot\": 3, \"cold\": [14, 30]}}}";

static void test_policy(void) {
  lk_policy* policy = NULL;
  char* issues = NULL;
  CHECK_STATUS(lk_policy_from_json(kPolicy, strlen(kPolicy), &policy, &issues),
               LK_OK, "");
  CHECK(policy != NULL);
  CHECK(issues != NULL && strcmp(issues, "[]") == 0);
  CHECK(strcmp(lk_last_error(), "") == 0);
  lk_string_free(issues);

  char* canonical = NULL;
  CHECK_STATUS(lk_policy_to_json(policy, &canonical), LK_OK, "");
  CHECK(contains(canonical, "\"grades\":[\"hot\",\"cold\"]") ||
        contains(canonical, "\"hot\""));
  lk_string_free(canonical);

  /* hot: 30 days or sooner (the rule's boundary included). */
  char* result = NULL;
  const char hot[] = "{\"lead_id\": \"H1\", \"purchase_within_days\": 30}";
  CHECK_STATUS(lk_classify_json(policy, hot, strlen(hot), &result), LK_OK, "");
  CHECK(contains(result, "\"grade\":\"hot\""));
  CHECK(contains(result, "\"rule\":\"hot\""));
  CHECK(contains(result, "\"lead_id\":\"H1\""));
  lk_string_free(result);
  lk_policy_free(policy);

  /* A misspelt field: every issue as JSON, no policy. */
  const char bad[] =
      "{\"grades\": [\"hot\", \"cold\"],"
      " \"rules\": ["
      "  {\"id\": \"hot\", \"when\": [{\"field\": \"purchase_within_day\","
      "   \"op\": \"<=\", \"value\": 30}], \"grade\": \"hot\"},"
      "  {\"id\": \"default\", \"grade\": \"cold\"}]}";
  policy = (lk_policy*)&policy; /* overwritten with NULL on failure */
  CHECK_STATUS(lk_policy_from_json(bad, strlen(bad), &policy, &issues),
               LK_FAILED_PRECONDITION, "purchase_within_day");
  CHECK(policy == NULL);
  CHECK(contains(issues, "\"severity\":\"error\""));
  CHECK(contains(issues, "\"path\":\"/rules/0/when/0/field\""));
  CHECK(contains(issues, "\"rule\":\"hot\""));
  CHECK(contains(issues, "did you mean \\\"purchase_within_days\\\""));
  lk_string_free(issues);

  /* Issues are optional; the text need not be NUL-terminated. */
  CHECK_STATUS(lk_policy_from_json(kPolicy, strlen(kPolicy) - 1, &policy, NULL),
               LK_FAILED_PRECONDITION, "");
  CHECK(policy == NULL);

  /* Not UTF-8. */
  const char latin1[] = "{\"name\": \"caf\xe9\"}";
  CHECK_STATUS(lk_policy_from_json(latin1, strlen(latin1), &policy, &issues),
               LK_INVALID_ARGUMENT, "UTF-8");
  CHECK(issues == NULL);

  CHECK_STATUS(lk_policy_from_json(NULL, 0, &policy, NULL), LK_INVALID_ARGUMENT,
               "lk_policy_from_json: json is NULL");
  CHECK_STATUS(lk_policy_from_json(kPolicy, strlen(kPolicy), NULL, NULL),
               LK_INVALID_ARGUMENT, "policy is NULL");

  /* Presets: one that exists, one that does not. */
  CHECK_STATUS(lk_policy_from_preset("abcd", &policy), LK_OK, "");
  CHECK(policy != NULL);
  lk_policy_free(policy);
  CHECK_STATUS(lk_policy_from_preset("three_levels", &policy), LK_NOT_FOUND,
               "three_levels");
  CHECK(policy == NULL);
  CHECK_STATUS(lk_policy_from_preset(NULL, &policy), LK_INVALID_ARGUMENT,
               "name is NULL");
}

static void test_classify_json(const lk_policy* policy) {
  char* result = NULL;
  /* L1 of the batch below: high, with the three reasons of rule high. */
  const char lead[] =
      "{\"lead_id\": \"L1\", \"model\": \"C200\", \"asked_price\": true,"
      " \"purchase_within_days\": 30,"
      " \"created_at\": \"2025-03-01T08:00:00+08:00\"}";
  CHECK_STATUS(lk_classify_json(policy, lead, strlen(lead), &result), LK_OK, "");
  CHECK(contains(result, "\"grade\":\"high\""));
  CHECK(contains(result, "\"rule\":\"high\""));
  CHECK(contains(result, "purchase_within_days <= 90 (value: 30)"));
  CHECK(contains(result, "\"trace\":[{"));
  CHECK(contains(result, "\"fired\":true"));
  CHECK(contains(result, "\"score\":null"));
  lk_string_free(result);

  /* L4: no earlier rule holds; the trace shows why high and medium failed. */
  const char low[] = "{\"lead_id\": \"L4\", \"models_considered\": 1}";
  CHECK_STATUS(lk_classify_json(policy, low, strlen(low), &result), LK_OK, "");
  CHECK(contains(result, "\"grade\":\"low\""));
  CHECK(contains(result, "\"rule\":\"default\""));
  CHECK(contains(result, "\"rule\":\"high\",\"fired\":false"));
  CHECK(contains(result, "\"fired\":false"));
  lk_string_free(result);

  /* Bad input, each named; personal data masked. */
  const char wrong[] = "{\"lead_id\": \"L2\", \"purchase_within_days\": \"soon\"}";
  CHECK_STATUS(lk_classify_json(policy, wrong, strlen(wrong), &result),
               LK_INVALID_ARGUMENT, "purchase_within_days: expected a number");
  CHECK(result == NULL);
  const char phone[] = "{\"lead_id\": \"L3\", \"phone\": 13800138000}";
  CHECK_STATUS(lk_classify_json(policy, phone, strlen(phone), &result),
               LK_INVALID_ARGUMENT, "phone");
  CHECK(!contains(lk_last_error(), "13800138000"));
  const char unknown[] = "{\"lead_id\": \"L5\", \"modle\": \"C200\"}";
  CHECK_STATUS(lk_classify_json(policy, unknown, strlen(unknown), &result),
               LK_INVALID_ARGUMENT, "did you mean \"model\"");
  const char array[] = "[{\"lead_id\": \"L6\"}]";
  CHECK_STATUS(lk_classify_json(policy, array, strlen(array), &result),
               LK_INVALID_ARGUMENT, "lead: expected a JSON object");
  const char broken[] = "{\"lead_id\": ";
  CHECK_STATUS(lk_classify_json(policy, broken, strlen(broken), &result),
               LK_INVALID_ARGUMENT, "lead");
  CHECK_STATUS(lk_classify_json(NULL, lead, strlen(lead), &result),
               LK_INVALID_ARGUMENT, "policy is NULL");
}

static void test_classify_arrow(const lk_policy* policy) {
  struct test_stream t;
  set_leads(&t);
  struct ArrowArrayStream leads = make_stream(&t);
  struct ArrowArrayStream result;
  CHECK_STATUS(lk_classify_arrow(policy, &leads, &result), LK_OK, "");
  CHECK(t.released == 1 && leads.release == NULL);
  char text[512];
  read_result(&result, text, sizeof text);
  CHECK(strcmp(text,
               "L1:high:high;L2:medium:medium;L3:medium:medium;"
               "L4:low:default;L5:medium:medium;L6:high:high;") == 0);
  if (failures != 0) printf("classify_arrow gave: %s\n", text);
  result.release(&result);
  CHECK(result.release == NULL);

  /* A column of the wrong type names the table and the column; the input is
   * released all the same and the result is not set. */
  set_leads(&t);
  static const int32_t days_as_text_offsets[] = {0, 2, 4, 4, 4, 7};
  t.batch_columns[0][4] =
      (struct column){"purchase_within_days", "u", 5, 0, 2, 3,
                      {days_valid, days_as_text_offsets, "3030120"}};
  leads = make_stream(&t);
  CHECK_STATUS(lk_classify_arrow(policy, &leads, &result), LK_INVALID_ARGUMENT,
               "leads.purchase_within_days: expected a number (an Arrow "
               "integer or float type), got Arrow type utf8");
  CHECK(t.released == 1 && result.release == NULL);

  /* A timestamp without a zone is refused for an instant field the policy
   * reads (every field the rules read is checked, even one only tested for
   * null). */
  lk_policy* dated = NULL;
  const char on_time[] =
      "{\"grades\": [\"new\", \"old\"],"
      " \"rules\": ["
      "  {\"id\": \"new\", \"when\": [{\"field\": \"created_at\","
      "   \"op\": \"not_null\"}], \"grade\": \"new\"},"
      "  {\"id\": \"default\", \"grade\": \"old\"}],"
      " \"cadence\": {\"follow_up_days\": {\"new\": 3, \"old\": 7}}}";
  lk_status loaded = lk_policy_from_json(on_time, strlen(on_time), &dated, NULL);
  if (loaded == LK_OK) {
    set_leads(&t);
    t.batch_columns[0][6].format = "tsm:";
    leads = make_stream(&t);
    CHECK_STATUS(lk_classify_arrow(dated, &leads, &result), LK_INVALID_ARGUMENT,
                 "leads.created_at: timestamps without a time zone");
    CHECK(t.released == 1);
    /* With the zone: a lead with created_at is new, L4 without it old. */
    set_leads(&t);
    leads = make_stream(&t);
    CHECK_STATUS(lk_classify_arrow(dated, &leads, &result), LK_OK, "");
    if (result.release != NULL) {
      struct ArrowArray batch;
      struct ArrowSchema schema;
      CHECK(result.get_schema(&result, &schema) == 0);
      schema.release(&schema);
      CHECK(result.get_next(&result, &batch) == 0);
      char grade[16];
      dictionary_at(batch.children[1], 0, grade, sizeof grade);
      CHECK(strcmp(grade, "new") == 0);
      dictionary_at(batch.children[1], 3, grade, sizeof grade);
      CHECK(strcmp(grade, "old") == 0);
      batch.release(&batch);
      result.release(&result);
    }
    lk_policy_free(dated);
  } else {
    fprintf(stderr, "on_time policy: %s\n", lk_last_error());
    ++failures;
  }

  /* lead_id is required. */
  set_leads(&t);
  t.batch_columns[0][0].name = "lead_ids";
  leads = make_stream(&t);
  CHECK_STATUS(lk_classify_arrow(policy, &leads, &result), LK_INVALID_ARGUMENT,
               "leads: missing required column \"lead_id\"; did you mean "
               "\"lead_ids\"?");
  CHECK(t.released == 1);

  /* A lead without an id: its row counted across the stream's batches. */
  set_leads(&t);
  static const uint8_t no_id[] = {0x00};
  t.batch_columns[1][0].null_count = 1;
  t.batch_columns[1][0].buffers[0] = no_id;
  leads = make_stream(&t);
  CHECK_STATUS(lk_classify_arrow(policy, &leads, &result), LK_INVALID_ARGUMENT,
               "leads.lead_id: row 5 has no id (null)");
  CHECK(t.released == 1 && result.release == NULL);

  /* NULL arguments; the stream is still released. */
  set_leads(&t);
  leads = make_stream(&t);
  CHECK_STATUS(lk_classify_arrow(NULL, &leads, &result), LK_INVALID_ARGUMENT,
               "policy is NULL");
  CHECK(t.released == 1);
  CHECK_STATUS(lk_classify_arrow(policy, NULL, &result), LK_INVALID_ARGUMENT,
               "leads");
}

int main(void) {
  test_library();
  test_policy();
  lk_policy* policy = NULL;
  CHECK_STATUS(lk_policy_from_preset("three_level", &policy), LK_OK, "");
  if (policy != NULL) {
    test_classify_json(policy);
    test_classify_arrow(policy);
  }
  lk_policy_free(policy);
  if (failures != 0) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  printf("c_api_test: all checks passed\n");
  return 0;
}
