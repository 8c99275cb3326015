/* Every function of leadkit.h called from C11, with the expected results
 * worked out by hand from the three_level preset (presets/policies):
 *   high:    model not null, asked_price or asked_config true,
 *            purchase_within_days <= 90
 *   medium:  model not null, or models_considered >= 2
 *   default: low
 * The Arrow batches are built here by hand, as any C program would. Built with
 * -Wall -Wextra -Werror -std=c11; run by CTest and under AddressSanitizer. */
#include <math.h>
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

enum { kMaxColumns = 12, kMaxBatches = 2 };

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
  /* a list column's values (its one child), NULL for other columns; the
   * same in every batch */
  const struct column* values[kMaxColumns];
  struct ArrowSchema value_schemas[kMaxColumns];
  struct ArrowSchema* value_schema_pointers[kMaxColumns];
  struct ArrowArray value_arrays[kMaxBatches][kMaxColumns];
  struct ArrowArray* value_array_pointers[kMaxBatches][kMaxColumns];
};

static void set_array(struct ArrowArray* a, const struct column* col) {
  memset(a, 0, sizeof *a);
  a->length = col->length;
  a->offset = col->offset;
  a->null_count = col->null_count;
  a->n_buffers = col->n_buffers;
  a->buffers = (const void**)col->buffers;
  a->release = release_array;
}

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
    const struct column* values = t->values[i];
    if (values != NULL) {
      struct ArrowSchema* v = &t->value_schemas[i];
      memset(v, 0, sizeof *v);
      v->format = values->format;
      v->name = "item";
      v->flags = ARROW_FLAG_NULLABLE;
      v->release = release_schema;
      t->value_schema_pointers[i] = v;
      c->n_children = 1;
      c->children = &t->value_schema_pointers[i];
    }
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
    set_array(a, col);
    if (t->values[i] != NULL) {
      set_array(&t->value_arrays[b][i], t->values[i]);
      t->value_array_pointers[b][i] = &t->value_arrays[b][i];
      a->n_children = 1;
      a->children = &t->value_array_pointers[b][i];
    }
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

/* Zones come from the system's database unless a directory is set; one
 * without zones leaves a preset's calendar zone unknown. */
static void test_time_zones(void) {
  char* dir = NULL;
  CHECK(lk_tz_dir(&dir) == LK_OK && dir != NULL && dir[0] == '/');
  lk_string_free(dir);
  CHECK_STATUS(lk_tz_dir(NULL), LK_INVALID_ARGUMENT, "directory");
  CHECK_STATUS(lk_set_tz_dir("/nonexistent/zoneinfo"), LK_INVALID_ARGUMENT,
               "\"/nonexistent/zoneinfo\" is not a directory");
  CHECK(lk_set_tz_dir("/") == LK_OK);
  CHECK(lk_tz_dir(&dir) == LK_OK && dir != NULL && strcmp(dir, "/") == 0);
  lk_string_free(dir);
  lk_policy* policy = NULL;
  CHECK_STATUS(lk_policy_from_preset("three_level", &policy),
               LK_FAILED_PRECONDITION,
               "error at /calendar: calendar: unknown time zone \"Asia/Shanghai\"");
  CHECK(policy == NULL);
  CHECK(lk_set_tz_dir(NULL) == LK_OK);
  CHECK(lk_policy_from_preset("three_level", &policy) == LK_OK);
  CHECK(policy != NULL);
  lk_policy_free(policy);
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
  /* UTF-8, but the parser's message quotes the bytes it last read, which stop
   * inside the character: they are written as U+FFFD (found by c_api_fuzz:
   * the issues' JSON could not be written, LK_INTERNAL). */
  const char cut[] = "{\"name\": \xc2\xa7}";
  CHECK_STATUS(lk_policy_from_json(cut, strlen(cut), &policy, &issues),
               LK_FAILED_PRECONDITION, "malformed JSON at line 1, column 10");
  CHECK(contains(lk_last_error(), "\xef\xbf\xbd"));
  CHECK(contains(issues, "\xef\xbf\xbd"));
  CHECK(policy == NULL);
  lk_string_free(issues);

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

/* ---- KPIs ------------------------------------------------------------------ */

/* Four leads created Monday 2025-03-03 10:00 in Shanghai (02:00 UTC), judged
 * at 2025-03-10 00:00 Shanghai, grouped by channel:
 *   K1  website  won (no won_at: won by then)  touched +10 min   satisfied
 *   K2  website  open                          touched +30 min   not satisfied
 *                                              and two days later
 *   K3  phone    invalid (counted apart)
 *   K4  (null)   lost, no lost_review (counts as lost)
 * Groups sorted by key, the null group last:
 *   phone:   leads 0, invalid 1, conversion NaN
 *   website: leads 2, won 1, conversion 0.5, first contacts due 2 (both
 *            touched), minutes to first contact {10, 30}: p50 10, p90 30,
 *            surveyed 2, satisfied 1
 *   null:    leads 1, lost 1, conversion 0 */
#define KPI_CREATED_MS 1740967200000LL
static const int32_t kpi_ids_offsets[] = {0, 2, 4, 6, 8};
static const char kpi_ids_chars[] = "K1K2K3K4";
static const uint8_t kpi_channel_valid[] = {0x07};
static const int32_t kpi_channel_offsets[] = {0, 7, 14, 19, 19};
static const char kpi_channel_chars[] = "websitewebsitephone";
static const int32_t kpi_status_offsets[] = {0, 3, 7, 14, 18};
static const char kpi_status_chars[] = "wonopeninvalidlost";
static const int64_t kpi_created[] = {KPI_CREATED_MS, KPI_CREATED_MS,
                                      KPI_CREATED_MS, KPI_CREATED_MS};
static const int32_t kpi_touch_ids_offsets[] = {0, 2, 4, 6};
static const char kpi_touch_ids_chars[] = "K1K2K2";
static const int64_t kpi_touch_at[] = {
    (KPI_CREATED_MS + 10 * 60000) / 1000, (KPI_CREATED_MS + 30 * 60000) / 1000,
    (KPI_CREATED_MS + 2 * 86400000LL) / 1000};
static const int32_t kpi_method_offsets[] = {0, 5, 11, 16};
static const char kpi_method_chars[] = "phonewechatphone";
static const int32_t kpi_survey_ids_offsets[] = {0, 2, 4};
static const char kpi_survey_ids_chars[] = "K1K2";
static const int64_t kpi_survey_at[] = {(KPI_CREATED_MS + 86400000LL) / 1000,
                                        (KPI_CREATED_MS + 86400000LL) / 1000};
static const uint8_t kpi_satisfied[] = {0x01};
static const int64_t kpi_as_of = (KPI_CREATED_MS + 7 * 86400000LL) / 1000;

static void set_kpi_leads(struct test_stream* t) {
  memset(t, 0, sizeof *t);
  t->n_columns = 4;
  t->n_batches = 1;
  t->batch_length[0] = 4;
  struct column* c = t->batch_columns[0];
  c[0] = (struct column){"lead_id", "u", 4, 0, 0, 3,
                         {NULL, kpi_ids_offsets, kpi_ids_chars}};
  c[1] = (struct column){"channel", "u", 4, 0, 1, 3,
                         {kpi_channel_valid, kpi_channel_offsets,
                          kpi_channel_chars}};
  c[2] = (struct column){"status", "u", 4, 0, 0, 3,
                         {NULL, kpi_status_offsets, kpi_status_chars}};
  c[3] = (struct column){"created_at", "tsm:Asia/Shanghai", 4, 0, 0, 2,
                         {NULL, kpi_created, NULL}};
}

static void set_kpi_touches(struct test_stream* t) {
  memset(t, 0, sizeof *t);
  t->n_columns = 3;
  t->n_batches = 1;
  t->batch_length[0] = 3;
  struct column* c = t->batch_columns[0];
  c[0] = (struct column){"lead_id", "u", 3, 0, 0, 3,
                         {NULL, kpi_touch_ids_offsets, kpi_touch_ids_chars}};
  c[1] = (struct column){"at", "tss:UTC", 3, 0, 0, 2,
                         {NULL, kpi_touch_at, NULL}};
  c[2] = (struct column){"method", "u", 3, 0, 0, 3,
                         {NULL, kpi_method_offsets, kpi_method_chars}};
}

static void set_kpi_surveys(struct test_stream* t) {
  memset(t, 0, sizeof *t);
  t->n_columns = 3;
  t->n_batches = 1;
  t->batch_length[0] = 2;
  struct column* c = t->batch_columns[0];
  c[0] = (struct column){"lead_id", "u", 2, 0, 0, 3,
                         {NULL, kpi_survey_ids_offsets, kpi_survey_ids_chars}};
  c[1] = (struct column){"at", "tss:Asia/Shanghai", 2, 0, 0, 2,
                         {NULL, kpi_survey_at, NULL}};
  c[2] = (struct column){"satisfied", "b", 2, 0, 0, 2,
                         {NULL, kpi_satisfied, NULL}};
}

/* A KPI table read whole: its schema and its one batch. */
struct kpi_table {
  struct ArrowSchema schema;
  struct ArrowArray batch;
};

static bool read_kpis(struct ArrowArrayStream* result, struct kpi_table* t) {
  memset(t, 0, sizeof *t);
  if (result->release == NULL) return false;
  CHECK(result->get_schema(result, &t->schema) == 0);
  CHECK(result->get_next(result, &t->batch) == 0);
  struct ArrowArray end;
  CHECK(result->get_next(result, &end) == 0 && end.release == NULL);
  result->release(result);
  CHECK(result->release == NULL);
  return t->batch.release != NULL;
}

static void free_kpis(struct kpi_table* t) {
  if (t->schema.release != NULL) t->schema.release(&t->schema);
  if (t->batch.release != NULL) t->batch.release(&t->batch);
}

static int64_t kpi_column(const struct kpi_table* t, const char* name) {
  for (int64_t i = 0; i < t->schema.n_children; ++i) {
    if (strcmp(t->schema.children[i]->name, name) == 0) return i;
  }
  fprintf(stderr, "no KPI column %s\n", name);
  ++failures;
  return -1;
}

/* The value of column `name` at `row`, counts and rates alike. */
static double kpi_value(const struct kpi_table* t, const char* name,
                        int64_t row) {
  const int64_t i = kpi_column(t, name);
  if (i < 0) return -1;
  const struct ArrowArray* a = t->batch.children[i];
  /* int64 and timestamps (seconds) alike */
  if (strcmp(t->schema.children[i]->format, "l") == 0 ||
      strncmp(t->schema.children[i]->format, "ts", 2) == 0) {
    return (double)((const int64_t*)a->buffers[1])[a->offset + row];
  }
  return ((const double*)a->buffers[1])[a->offset + row];
}

static bool kpi_key_is_null(const struct kpi_table* t, int64_t row) {
  const struct ArrowArray* a = t->batch.children[0];
  const uint8_t* valid = (const uint8_t*)a->buffers[0];
  return valid != NULL && ((valid[row / 8] >> (row % 8)) & 1) == 0;
}

static void check_kpis_by_channel(struct kpi_table* t) {
  CHECK(t->batch.length == 3);
  CHECK(strcmp(t->schema.children[0]->name, "channel") == 0);
  CHECK(strcmp(t->schema.children[0]->format, "u") == 0);
  if (t->batch.length != 3) return;
  char key[16];
  utf8_at(t->batch.children[0], 0, key, sizeof key);
  CHECK(strcmp(key, "phone") == 0);
  utf8_at(t->batch.children[0], 1, key, sizeof key);
  CHECK(strcmp(key, "website") == 0);
  CHECK(!kpi_key_is_null(t, 0) && !kpi_key_is_null(t, 1));
  CHECK(kpi_key_is_null(t, 2));
  /* phone */
  CHECK(kpi_value(t, "leads", 0) == 0);
  CHECK(kpi_value(t, "invalid", 0) == 1);
  CHECK(isnan(kpi_value(t, "conversion_rate", 0)));
  /* website */
  CHECK(kpi_value(t, "leads", 1) == 2);
  CHECK(kpi_value(t, "invalid", 1) == 0);
  CHECK(kpi_value(t, "won", 1) == 1);
  CHECK(kpi_value(t, "conversion_rate", 1) == 0.5);
  CHECK(kpi_value(t, "first_contacts_due", 1) == 2);
  CHECK(kpi_value(t, "first_contact_minutes_p50", 1) == 10);
  CHECK(kpi_value(t, "first_contact_minutes_p90", 1) == 30);
  CHECK(kpi_value(t, "surveyed", 1) == 2);
  CHECK(kpi_value(t, "satisfied", 1) == 1);
  CHECK(kpi_value(t, "satisfaction_rate", 1) == 0.5);
  /* null channel */
  CHECK(kpi_value(t, "leads", 2) == 1);
  CHECK(kpi_value(t, "lost", 2) == 1);
  CHECK(kpi_value(t, "won", 2) == 0);
  CHECK(kpi_value(t, "conversion_rate", 2) == 0);
  CHECK(isnan(kpi_value(t, "first_contact_minutes_p50", 2)));
}

static void test_kpis(const lk_policy* policy) {
  lk_cadence* cadence = NULL;
  CHECK_STATUS(lk_cadence_from_policy(policy, &cadence), LK_OK, "");
  if (cadence == NULL) return;
  const char* by[] = {"channel"};
  struct test_stream tl, tt, ts;
  struct ArrowArrayStream leads, touches, surveys, result;
  struct kpi_table table;

  /* One call. */
  set_kpi_leads(&tl);
  set_kpi_touches(&tt);
  set_kpi_surveys(&ts);
  leads = make_stream(&tl);
  touches = make_stream(&tt);
  surveys = make_stream(&ts);
  CHECK_STATUS(lk_kpis_arrow(cadence, &leads, &touches, &surveys, by, 1,
                             kpi_as_of, &result),
               LK_OK, "");
  CHECK(tl.released == 1 && tt.released == 1 && ts.released == 1);
  if (read_kpis(&result, &table)) check_kpis_by_channel(&table);
  free_kpis(&table);

  /* A state: K1 and K2 (with their touches and surveys) added to one, the
   * rest to another, the second saved and loaded, then merged into the first:
   * the same table. */
  lk_kpi_state* first = NULL;
  lk_kpi_state* second = NULL;
  CHECK_STATUS(lk_kpi_state_create(by, 1, &first), LK_OK, "");
  CHECK_STATUS(lk_kpi_state_create(by, 1, &second), LK_OK, "");
  set_kpi_leads(&tl);
  tl.batch_length[0] = 2;
  for (int i = 0; i < tl.n_columns; ++i) tl.batch_columns[0][i].length = 2;
  tl.batch_columns[0][1].null_count = 0;
  set_kpi_touches(&tt);
  set_kpi_surveys(&ts);
  leads = make_stream(&tl);
  touches = make_stream(&tt);
  surveys = make_stream(&ts);
  CHECK_STATUS(lk_kpi_state_add(first, cadence, &leads, &touches, &surveys,
                                kpi_as_of),
               LK_OK, "");
  /* K3 and K4: a slice of the leads from row 2, no touches, no surveys. */
  set_kpi_leads(&tl);
  tl.batch_length[0] = 2;
  for (int i = 0; i < tl.n_columns; ++i) {
    tl.batch_columns[0][i].offset = 2;
    tl.batch_columns[0][i].length = 2;
  }
  set_kpi_touches(&tt);
  tt.batch_length[0] = 0;
  for (int i = 0; i < tt.n_columns; ++i) tt.batch_columns[0][i].length = 0;
  leads = make_stream(&tl);
  touches = make_stream(&tt);
  CHECK_STATUS(lk_kpi_state_add(second, cadence, &leads, &touches, NULL,
                                kpi_as_of),
               LK_OK, "");
  uint8_t* bytes = NULL;
  size_t size = 0;
  CHECK_STATUS(lk_kpi_state_serialize(second, &bytes, &size), LK_OK, "");
  CHECK(bytes != NULL && size > 0);
  lk_kpi_state_free(second);
  second = NULL;
  CHECK_STATUS(lk_kpi_state_deserialize(bytes, size, &second), LK_OK, "");
  /* Damaged bytes: cut short, or one byte changed in the header. */
  lk_kpi_state* damaged = (lk_kpi_state*)&damaged;
  CHECK_STATUS(lk_kpi_state_deserialize(bytes, size / 2, &damaged),
               LK_INVALID_ARGUMENT, "");
  CHECK(damaged == NULL && strlen(lk_last_error()) > 0);
  bytes[0] ^= 0x55;
  CHECK_STATUS(lk_kpi_state_deserialize(bytes, size, &damaged),
               LK_INVALID_ARGUMENT, "");
  CHECK(damaged == NULL);
  lk_bytes_free(bytes);
  CHECK_STATUS(lk_kpi_state_merge(first, second), LK_OK, "");
  CHECK_STATUS(lk_kpi_state_finalize(first, &result), LK_OK, "");
  if (read_kpis(&result, &table)) check_kpis_by_channel(&table);
  free_kpis(&table);

  /* States of different groupings do not merge. */
  lk_kpi_state* ungrouped = NULL;
  CHECK_STATUS(lk_kpi_state_create(NULL, 0, &ungrouped), LK_OK, "");
  CHECK(lk_kpi_state_merge(first, ungrouped) == LK_FAILED_PRECONDITION);
  lk_kpi_state_free(ungrouped);

  /* Bad input: touches.at as text, named; every stream released. */
  set_kpi_leads(&tl);
  set_kpi_touches(&tt);
  tt.batch_columns[0][1] =
      (struct column){"at", "u", 3, 0, 0, 3,
                      {NULL, kpi_method_offsets, kpi_method_chars}};
  leads = make_stream(&tl);
  touches = make_stream(&tt);
  CHECK_STATUS(lk_kpi_state_add(first, cadence, &leads, &touches, NULL,
                                kpi_as_of),
               LK_INVALID_ARGUMENT,
               "touches.at: expected a timestamp with a time zone");
  CHECK(tl.released == 1 && tt.released == 1);
  /* NULL arguments: the streams are released all the same. */
  set_kpi_leads(&tl);
  set_kpi_touches(&tt);
  leads = make_stream(&tl);
  touches = make_stream(&tt);
  CHECK_STATUS(lk_kpi_state_add(first, NULL, &leads, &touches, NULL,
                                kpi_as_of),
               LK_INVALID_ARGUMENT, "lk_kpi_state_add: cadence is NULL");
  CHECK(tl.released == 1 && tt.released == 1);
  CHECK_STATUS(lk_kpi_state_create(by, 1, NULL), LK_INVALID_ARGUMENT,
               "state is NULL");
  const char* null_name[] = {NULL};
  lk_kpi_state* unnamed = NULL;
  CHECK_STATUS(lk_kpi_state_create(null_name, 1, &unnamed),
               LK_INVALID_ARGUMENT, "by[0] is NULL");
  CHECK(unnamed == NULL);
  CHECK_STATUS(lk_kpi_state_finalize(NULL, &result), LK_INVALID_ARGUMENT,
               "state is NULL");
  CHECK(result.release == NULL);

  lk_kpi_state_free(first);
  lk_kpi_state_free(second);
  lk_kpi_state_free(NULL);
  lk_cadence_free(cadence);
  lk_cadence_free(NULL);
  lk_bytes_free(NULL);
}

/* ---- Calendars and the open tasks of one lead -------------------------------- */

/* One open hour a day, 09:00-10:00 UTC, every day. */
static const char kOneHour[] =
    "{\"format\": 1, \"name\": \"one_hour\", \"time_zone\": \"UTC\","
    " \"weekly\": {\"mon\": [[\"09:00\", \"10:00\"]],"
    " \"tue\": [[\"09:00\", \"10:00\"]], \"wed\": [[\"09:00\", \"10:00\"]],"
    " \"thu\": [[\"09:00\", \"10:00\"]], \"fri\": [[\"09:00\", \"10:00\"]],"
    " \"sat\": [[\"09:00\", \"10:00\"]], \"sun\": [[\"09:00\", \"10:00\"]]}}";

static void test_calendar_and_tasks(const lk_policy* policy) {
  lk_calendar* calendar = NULL;
  char* issues = NULL;
  CHECK_STATUS(lk_calendar_from_json(kOneHour, strlen(kOneHour), &calendar,
                                     &issues),
               LK_OK, "");
  CHECK(calendar != NULL && issues != NULL);
  lk_string_free(issues);
  char* json = NULL;
  CHECK_STATUS(lk_calendar_to_json(calendar, &json), LK_OK, "");
  CHECK(contains(json, "\"one_hour\""));
  lk_string_free(json);

  /* The three_level policy (first contact: 1 business hour) on that
   * calendar: a lead created Monday 2025-03-03 09:30 UTC has half an hour
   * that day and half the next, so its first contact is due Tuesday 09:30;
   * at Monday 12:00 it is pending. */
  lk_cadence* cadence = NULL;
  CHECK_STATUS(lk_cadence_from_calendar(policy, calendar, &cadence), LK_OK, "");
  lk_calendar_free(calendar);
  const char lead[] =
      "{\"lead_id\": \"T1\", \"created_at\": \"2025-03-03T09:30:00Z\","
      " \"grade\": \"high\"}";
  const int64_t monday_noon = 1741003200; /* 2025-03-03T12:00:00Z */
  char* tasks = NULL;
  if (cadence != NULL) {
    CHECK_STATUS(lk_cadence_lead_tasks(cadence, lead, strlen(lead), NULL, 0,
                                       monday_noon, &tasks),
                 LK_OK, "");
    CHECK(contains(tasks, "\"task\":\"first_contact\""));
    CHECK(contains(tasks, "\"started_at\":\"2025-03-03T09:30:00Z\""));
    CHECK(contains(tasks, "\"due_at\":\"2025-03-04T09:30:00Z\""));
    CHECK(contains(tasks, "\"status\":\"pending\""));
    if (failures != 0) printf("lead tasks: %s\n", tasks ? tasks : "(null)");
    lk_string_free(tasks);
  }
  lk_cadence_free(cadence);

  /* The policy's own calendar (cn_showroom, Shanghai): created Monday
   * 10:00, no touch by 12:00 — the first contact (due 11:00 Shanghai, 03:00
   * UTC) is overdue. After a phone call at 10:20, it is closed and the
   * follow-up of a high lead (7 days, by the end of the day) is open, due
   * Monday 2025-03-10. */
  CHECK_STATUS(lk_cadence_from_policy(policy, &cadence), LK_OK, "");
  const char sh_lead[] =
      "{\"lead_id\": \"T2\", \"created_at\": \"2025-03-03T10:00:00+08:00\","
      " \"grade\": \"high\"}";
  const int64_t sh_noon = 1740974400; /* 2025-03-03T12:00:00+08:00 */
  if (cadence != NULL) {
    CHECK_STATUS(lk_cadence_lead_tasks(cadence, sh_lead, strlen(sh_lead), "[]",
                                       2, sh_noon, &tasks),
                 LK_OK, "");
    CHECK(contains(tasks, "\"task\":\"first_contact\""));
    CHECK(contains(tasks, "\"due_at\":\"2025-03-03T03:00:00Z\""));
    CHECK(contains(tasks, "\"status\":\"overdue\""));
    lk_string_free(tasks);
    const char touches[] =
        "[{\"at\": \"2025-03-03T10:20:00+08:00\", \"method\": \"phone\"}]";
    CHECK_STATUS(lk_cadence_lead_tasks(cadence, sh_lead, strlen(sh_lead),
                                       touches, strlen(touches), sh_noon,
                                       &tasks),
                 LK_OK, "");
    CHECK(!contains(tasks, "first_contact"));
    CHECK(contains(tasks, "\"task\":\"follow_up\""));
    /* 03-03 + 7 days = Monday 03-10, open until 18:00 Shanghai. */
    CHECK(contains(tasks, "\"due_at\":\"2025-03-10T10:00:00Z\""));
    CHECK(contains(tasks, "\"started_at\":\"2025-03-03T02:20:00Z\""));
    if (failures != 0) printf("lead tasks: %s\n", tasks ? tasks : "(null)");
    lk_string_free(tasks);

    /* Bad input, named. */
    const char bad_touch[] = "[{\"at\": \"2025-03-03 10:20\", \"method\": \"phone\"}]";
    CHECK_STATUS(lk_cadence_lead_tasks(cadence, sh_lead, strlen(sh_lead),
                                       bad_touch, strlen(bad_touch), sh_noon,
                                       &tasks),
                 LK_INVALID_ARGUMENT, "touches[0].at: expected an ISO 8601 time");
    CHECK(tasks == NULL);
    const char no_method[] = "[{\"at\": 1740968400}]";
    CHECK_STATUS(lk_cadence_lead_tasks(cadence, sh_lead, strlen(sh_lead),
                                       no_method, strlen(no_method), sh_noon,
                                       &tasks),
                 LK_INVALID_ARGUMENT, "touches[0].method: expected a string");
    const char typo[] = "[{\"at\": 1740968400, \"metod\": \"phone\"}]";
    CHECK_STATUS(lk_cadence_lead_tasks(cadence, sh_lead, strlen(sh_lead), typo,
                                       strlen(typo), sh_noon, &tasks),
                 LK_INVALID_ARGUMENT, "touches[0]: unknown field \"metod\"");
    const char no_id[] = "{\"created_at\": \"2025-03-03T10:00:00+08:00\"}";
    CHECK_STATUS(lk_cadence_lead_tasks(cadence, no_id, strlen(no_id), NULL, 0,
                                       sh_noon, &tasks),
                 LK_INVALID_ARGUMENT, "lead.lead_id");
    const char phone[] =
        "{\"lead_id\": \"T3\", \"created_at\": \"2025-03-03T10:00:00+08:00\","
        " \"phone\": 13800138000}";
    CHECK_STATUS(lk_cadence_lead_tasks(cadence, phone, strlen(phone), NULL, 0,
                                       sh_noon, &tasks),
                 LK_INVALID_ARGUMENT, "phone");
    CHECK(!contains(lk_last_error(), "13800138000"));
    CHECK_STATUS(lk_cadence_lead_tasks(NULL, sh_lead, strlen(sh_lead), NULL, 0,
                                       sh_noon, &tasks),
                 LK_INVALID_ARGUMENT, "cadence is NULL");
    /* Malformed documents of every kind: an error, never a crash. */
    CHECK_STATUS(lk_cadence_lead_tasks(cadence, "", 0, NULL, 0, sh_noon, &tasks),
                 LK_INVALID_ARGUMENT, "lead");
    CHECK_STATUS(lk_cadence_lead_tasks(cadence, sh_lead, strlen(sh_lead), "{}",
                                       2, sh_noon, &tasks),
                 LK_INVALID_ARGUMENT, "touches: expected a JSON array");
    CHECK_STATUS(lk_cadence_lead_tasks(cadence, sh_lead, strlen(sh_lead), "[1]",
                                       3, sh_noon, &tasks),
                 LK_INVALID_ARGUMENT, "touches[0]: expected a JSON object");
    const char late_month[] =
        "{\"lead_id\": \"T4\", \"created_at\": \"2025-13-45T10:00:00+08:00\"}";
    CHECK_STATUS(lk_cadence_lead_tasks(cadence, late_month, strlen(late_month),
                                       NULL, 0, sh_noon, &tasks),
                 LK_INVALID_ARGUMENT, "created_at");
    const char huge[] = "[{\"at\": 1e400, \"method\": \"phone\"}]";
    CHECK_STATUS(lk_cadence_lead_tasks(cadence, sh_lead, strlen(sh_lead), huge,
                                       strlen(huge), sh_noon, &tasks),
                 LK_INVALID_ARGUMENT, "touches: malformed JSON");
    const char beyond[] =
        "[{\"at\": 18446744073709551615, \"method\": \"phone\"}]";
    CHECK_STATUS(lk_cadence_lead_tasks(cadence, sh_lead, strlen(sh_lead), beyond,
                                       strlen(beyond), sh_noon, &tasks),
                 LK_INVALID_ARGUMENT, "touches[0].at");
    const char fraction[] = "[{\"at\": 1.5, \"method\": \"phone\"}]";
    CHECK_STATUS(lk_cadence_lead_tasks(cadence, sh_lead, strlen(sh_lead),
                                       fraction, strlen(fraction), sh_noon,
                                       &tasks),
                 LK_INVALID_ARGUMENT, "touches[0].at");
    const char bad_grade[] =
        "[{\"at\": 1740968400, \"method\": \"phone\", \"grade_after\": \"warm\"}]";
    CHECK_STATUS(lk_cadence_lead_tasks(cadence, sh_lead, strlen(sh_lead),
                                       bad_grade, strlen(bad_grade), sh_noon,
                                       &tasks),
                 LK_INVALID_ARGUMENT, "warm");
    CHECK(tasks == NULL);
  }
  lk_cadence_free(cadence);

  /* Presets and bad documents. */
  CHECK_STATUS(lk_calendar_from_preset("cn_office", &calendar), LK_OK, "");
  lk_calendar_free(calendar);
  CHECK_STATUS(lk_calendar_from_preset("cn_offices", &calendar), LK_NOT_FOUND,
               "cn_offices");
  CHECK(calendar == NULL);
  const char bad_zone[] =
      "{\"format\": 1, \"name\": \"x\", \"time_zone\": \"Mars/Olympus\","
      " \"weekly\": {\"mon\": [[\"09:00\", \"10:00\"]]}}";
  CHECK_STATUS(lk_calendar_from_json(bad_zone, strlen(bad_zone), &calendar,
                                     &issues),
               LK_NOT_FOUND, "Mars/Olympus");
  CHECK(calendar == NULL && issues == NULL);
  const char bad_hours[] =
      "{\"format\": 1, \"name\": \"x\", \"time_zone\": \"UTC\","
      " \"weekly\": {\"mon\": [[\"10:00\", \"09:00\"]]}}";
  CHECK_STATUS(lk_calendar_from_json(bad_hours, strlen(bad_hours), &calendar,
                                     &issues),
               LK_FAILED_PRECONDITION, "");
  CHECK(calendar == NULL);
  CHECK(contains(issues, "\"severity\":\"error\""));
  CHECK(contains(issues, "/weekly/mon"));
  lk_string_free(issues);
  CHECK_STATUS(lk_cadence_from_calendar(policy, NULL, &cadence),
               LK_INVALID_ARGUMENT, "calendar is NULL");
  lk_calendar_free(NULL);
}

/* ---- Lost-sales analysis ------------------------------------------------------ */

/* The example of docs/kpis.md ("leadkit.lost_analysis"), worked out by hand
 * there: six leads created 2024-05-01 10:00 Shanghai,
 *   A lost 06-01 07:00 price approved    B lost 06-01 10:00 price rejected
 *   C lost 06-10 10:00 (none) pending    D lost 06-15 10:00 price (none)
 *   E lost, no lost_at, price approved   F won
 * (times in Shanghai). */
static const int32_t lost_ids_offsets[] = {0, 1, 2, 3, 4, 5, 6};
static const int64_t lost_created[] = {1714528800, 1714528800, 1714528800,
                                       1714528800, 1714528800, 1714528800};
static const int32_t lost_status_offsets[] = {0, 4, 8, 12, 16, 20, 23};
static const uint8_t lost_at_valid[] = {0x0f};
static const int64_t lost_at[] = {1717196400, 1717207200, 1717984800,
                                  1718416800, 0, 0};
static const uint8_t lost_reason_valid[] = {0x1b};
static const int32_t lost_reason_offsets[] = {0, 5, 10, 10, 15, 20, 20};
static const uint8_t lost_review_valid[] = {0x17};
static const int32_t lost_review_offsets[] = {0, 8, 16, 23, 23, 31, 31};

static void set_lost_leads(struct test_stream* t) {
  memset(t, 0, sizeof *t);
  t->n_columns = 6;
  t->n_batches = 1;
  t->batch_length[0] = 6;
  struct column* c = t->batch_columns[0];
  c[0] = (struct column){"lead_id", "u", 6, 0, 0, 3,
                         {NULL, lost_ids_offsets, "ABCDEF"}};
  c[1] = (struct column){"created_at", "tss:Asia/Shanghai", 6, 0, 0, 2,
                         {NULL, lost_created, NULL}};
  c[2] = (struct column){"status", "u", 6, 0, 0, 3,
                         {NULL, lost_status_offsets,
                          "lostlostlostlostlostwon"}};
  c[3] = (struct column){"lost_at", "tss:Asia/Shanghai", 6, 0, 2, 2,
                         {lost_at_valid, lost_at, NULL}};
  c[4] = (struct column){"lost_reason", "u", 6, 0, 2, 3,
                         {lost_reason_valid, lost_reason_offsets,
                          "pricepricepriceprice"}};
  c[5] = (struct column){"lost_review", "u", 6, 0, 2, 3,
                         {lost_review_valid, lost_review_offsets,
                          "approvedrejectedpendingapproved"}};
}

/* The key of column `column` at `row`: "null" for a null. */
static void key_at(const struct kpi_table* t, int64_t column, int64_t row,
                   char* out, size_t size) {
  const struct ArrowArray* a = t->batch.children[column];
  const uint8_t* valid = (const uint8_t*)a->buffers[0];
  const int64_t i = a->offset + row;
  if (valid != NULL && ((valid[i / 8] >> (i % 8)) & 1) == 0) {
    snprintf(out, size, "null");
    return;
  }
  utf8_at(a, row, out, size);
}

static void test_lost_analysis(void) {
  struct test_stream tl;
  struct ArrowArrayStream leads, result;
  struct kpi_table table;
  char month[16], reason[16];

  /* By month in Shanghai: June price (A, B, D), June without a reason (C),
   * no month, price (E). */
  lk_lost_analysis_state* state = NULL;
  const char* by[] = {"month"};
  CHECK_STATUS(lk_lost_analysis_state_create(by, 1, "Asia/Shanghai", &state),
               LK_OK, "");
  set_lost_leads(&tl);
  leads = make_stream(&tl);
  CHECK_STATUS(lk_lost_analysis_state_add(state, &leads, LK_AS_OF_DATA), LK_OK,
               "");
  CHECK(tl.released == 1);
  uint8_t* bytes = NULL;
  size_t size = 0;
  CHECK_STATUS(lk_lost_analysis_state_serialize(state, &bytes, &size), LK_OK, "");
  lk_lost_analysis_state* loaded = NULL;
  CHECK_STATUS(lk_lost_analysis_state_deserialize(bytes, size, &loaded), LK_OK,
               "");
  lk_lost_analysis_state* damaged = NULL;
  CHECK_STATUS(lk_lost_analysis_state_deserialize(bytes, size - 1, &damaged),
               LK_INVALID_ARGUMENT, "");
  CHECK(damaged == NULL);
  lk_bytes_free(bytes);
  CHECK_STATUS(lk_lost_analysis_state_finalize(state, &result), LK_OK, "");
  if (read_kpis(&result, &table)) {
    CHECK(table.batch.length == 3);
    CHECK(strcmp(table.schema.children[0]->name, "month") == 0);
    CHECK(strcmp(table.schema.children[1]->name, "lost_reason") == 0);
    if (table.batch.length == 3) {
      key_at(&table, 0, 0, month, sizeof month);
      key_at(&table, 1, 0, reason, sizeof reason);
      CHECK(strcmp(month, "2024-06") == 0 && strcmp(reason, "price") == 0);
      CHECK(kpi_value(&table, "lost", 0) == 3);
      CHECK(kpi_value(&table, "share", 0) == 0.75);
      CHECK(kpi_value(&table, "approved", 0) == 1);
      CHECK(kpi_value(&table, "rejected", 0) == 1);
      CHECK(kpi_value(&table, "review_null", 0) == 1);
      CHECK(kpi_value(&table, "rejection_rate", 0) == 0.5);
      key_at(&table, 0, 1, month, sizeof month);
      key_at(&table, 1, 1, reason, sizeof reason);
      CHECK(strcmp(month, "2024-06") == 0 && strcmp(reason, "null") == 0);
      CHECK(kpi_value(&table, "lost", 1) == 1);
      CHECK(kpi_value(&table, "share", 1) == 0.25);
      CHECK(kpi_value(&table, "pending", 1) == 1);
      CHECK(kpi_value(&table, "rejection_rate", 1) == 0);
      key_at(&table, 0, 2, month, sizeof month);
      key_at(&table, 1, 2, reason, sizeof reason);
      CHECK(strcmp(month, "null") == 0 && strcmp(reason, "price") == 0);
      CHECK(kpi_value(&table, "lost", 2) == 1);
      CHECK(kpi_value(&table, "share", 2) == 1);
    }
  }
  free_kpis(&table);

  /* Merging the loaded copy doubles every count and keeps the shares. */
  CHECK_STATUS(lk_lost_analysis_state_merge(state, loaded), LK_OK, "");
  CHECK_STATUS(lk_lost_analysis_state_finalize(state, &result), LK_OK, "");
  if (read_kpis(&result, &table)) {
    CHECK(kpi_value(&table, "lost", 0) == 6);
    CHECK(kpi_value(&table, "share", 0) == 0.75);
  }
  free_kpis(&table);
  lk_lost_analysis_state_free(loaded);
  lk_lost_analysis_state_free(state);

  /* In UTC, A (07:00 on 1 June in Shanghai) was lost in May. */
  CHECK_STATUS(lk_lost_analysis_state_create(NULL, 0, NULL, &state), LK_OK, "");
  set_lost_leads(&tl);
  leads = make_stream(&tl);
  CHECK_STATUS(lk_lost_analysis_state_add(state, &leads, 1718416800), LK_OK, "");
  CHECK_STATUS(lk_lost_analysis_state_finalize(state, &result), LK_OK, "");
  if (read_kpis(&result, &table)) {
    CHECK(table.batch.length == 4);
    if (table.batch.length == 4) {
      key_at(&table, 0, 0, month, sizeof month);
      CHECK(strcmp(month, "2024-05") == 0);
      CHECK(kpi_value(&table, "lost", 0) == 1);
      key_at(&table, 0, 1, month, sizeof month);
      key_at(&table, 1, 1, reason, sizeof reason);
      CHECK(strcmp(month, "2024-06") == 0 && strcmp(reason, "price") == 0);
      CHECK(kpi_value(&table, "lost", 1) == 2);
    }
  }
  free_kpis(&table);

  /* A bad grouping is named; the state keeps its groups. */
  lk_lost_analysis_state* other = NULL;
  const char* wrong[] = {"quarter"};
  CHECK_STATUS(lk_lost_analysis_state_create(wrong, 1, NULL, &other), LK_OK, "");
  set_lost_leads(&tl);
  leads = make_stream(&tl);
  CHECK_STATUS(lk_lost_analysis_state_add(other, &leads, LK_AS_OF_DATA),
               LK_INVALID_ARGUMENT, "quarter");
  CHECK(tl.released == 1);
  CHECK(lk_lost_analysis_state_merge(state, other) == LK_FAILED_PRECONDITION);
  lk_lost_analysis_state_free(other);
  lk_lost_analysis_state_free(state);
  lk_lost_analysis_state_free(NULL);
}

/* ---- Routing ------------------------------------------------------------------ */

/* Two showrooms, Shanghai (31.23, 121.47) and Suzhou (31.30, 120.62), one
 * consultant each. A lead at (31.2, 121.4) is 7.45 km from Shanghai and 75 km
 * from Suzhou (routing.h's example): it goes to D1 and its consultant C1,
 * file number C1-25-0001 (code = consultant_id, year of created_at, first
 * serial); a later lead with the same phone is its duplicate. */
static const int32_t two_ids_offsets[] = {0, 2, 4};
static const double dealer_lat[] = {31.23, 31.30};
static const double dealer_lon[] = {121.47, 120.62};

static void set_dealers(struct test_stream* t) {
  memset(t, 0, sizeof *t);
  t->n_columns = 4;
  t->n_batches = 1;
  t->batch_length[0] = 2;
  struct column* c = t->batch_columns[0];
  c[0] = (struct column){"dealer_id", "u", 2, 0, 0, 3,
                         {NULL, two_ids_offsets, "D1D2"}};
  c[1] = (struct column){"region_id", "u", 2, 0, 0, 3,
                         {NULL, two_ids_offsets, "R1R1"}};
  c[2] = (struct column){"lat", "g", 2, 0, 0, 2, {NULL, dealer_lat, NULL}};
  c[3] = (struct column){"lon", "g", 2, 0, 0, 2, {NULL, dealer_lon, NULL}};
}

static void set_consultants(struct test_stream* t) {
  memset(t, 0, sizeof *t);
  t->n_columns = 2;
  t->n_batches = 1;
  t->batch_length[0] = 2;
  struct column* c = t->batch_columns[0];
  c[0] = (struct column){"consultant_id", "u", 2, 0, 0, 3,
                         {NULL, two_ids_offsets, "C1C2"}};
  c[1] = (struct column){"dealer_id", "u", 2, 0, 0, 3,
                         {NULL, two_ids_offsets, "D1D2"}};
}

static lk_router* make_router(const lk_policy* policy, const uint8_t* key) {
  struct test_stream td, tc;
  set_dealers(&td);
  set_consultants(&tc);
  struct ArrowArrayStream dealers = make_stream(&td);
  struct ArrowArrayStream consultants = make_stream(&tc);
  lk_router* router = NULL;
  CHECK_STATUS(lk_router_create(policy, &dealers, &consultants, key, &router),
               LK_OK, "");
  CHECK(td.released == 1 && tc.released == 1);
  return router;
}

static void test_router(const lk_policy* policy) {
  const uint8_t key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  lk_router* router = make_router(policy, key);
  if (router == NULL) return;
  const char first[] =
      "{\"lead_id\": \"R1\", \"created_at\": \"2025-03-03T10:00:00+08:00\","
      " \"phone\": \"13800138000\", \"lat\": 31.2, \"lon\": 121.4,"
      " \"grade\": \"low\"}";
  char* out = NULL;
  CHECK_STATUS(lk_router_route_json(router, first, strlen(first), &out), LK_OK,
               "");
  CHECK(contains(out, "\"lead_id\":\"R1\""));
  CHECK(contains(out, "\"status\":\"assigned\""));
  CHECK(contains(out, "\"dealer_id\":\"D1\""));
  CHECK(contains(out, "\"consultant_id\":\"C1\""));
  CHECK(contains(out, "\"distance_km\":7.4"));
  CHECK(contains(out, "\"file_number\":\"C1-25-0001\""));
  CHECK(contains(out, "\"reason\":\"nearest_dealer\""));
  CHECK(!contains(out, "13800138000"));
  if (failures != 0) printf("route: %s\n", out ? out : "(null)");
  lk_string_free(out);

  /* Saved, restored into a new router: the phone is remembered (as its keyed
   * hash), so the same customer a day later is a duplicate of R1. */
  uint8_t* bytes = NULL;
  size_t size = 0;
  CHECK_STATUS(lk_router_save(router, &bytes, &size), LK_OK, "");
  lk_router_free(router);
  router = make_router(policy, key);
  CHECK_STATUS(lk_router_restore(router, bytes, size), LK_OK, "");
  const char again[] =
      "{\"lead_id\": \"R2\", \"created_at\": \"2025-03-04T10:00:00+08:00\","
      " \"phone\": \"138 0013 8000\", \"lat\": 31.2, \"lon\": 121.4}";
  CHECK_STATUS(lk_router_route_json(router, again, strlen(again), &out), LK_OK,
               "");
  CHECK(contains(out, "\"status\":\"duplicate\""));
  CHECK(contains(out, "\"duplicate_of\":\"R1\""));
  if (failures != 0) printf("route: %s\n", out ? out : "(null)");
  lk_string_free(out);

  /* Damaged bytes leave the router as it was. */
  bytes[size / 2] ^= 0x20;
  CHECK_STATUS(lk_router_restore(router, bytes, size), LK_INVALID_ARGUMENT, "");
  CHECK(strlen(lk_last_error()) > 0);
  CHECK_STATUS(lk_router_restore(router, bytes, 3), LK_INVALID_ARGUMENT, "");
  lk_bytes_free(bytes);

  /* Without a phone key a router that has seen a phone cannot be saved. */
  lk_router* keyless = make_router(policy, NULL);
  if (keyless != NULL) {
    CHECK_STATUS(lk_router_route_json(keyless, first, strlen(first), &out),
                 LK_OK, "");
    lk_string_free(out);
    CHECK_STATUS(lk_router_save(keyless, &bytes, &size), LK_FAILED_PRECONDITION,
                 "");
    CHECK(bytes == NULL);
  }
  lk_router_free(keyless);

  /* Bad input, named; the phone masked. */
  const char no_time[] = "{\"lead_id\": \"R3\", \"phone\": \"13800138000\"}";
  CHECK_STATUS(lk_router_route_json(router, no_time, strlen(no_time), &out),
               LK_INVALID_ARGUMENT, "created_at");
  CHECK(!contains(lk_last_error(), "13800138000"));
  const char bad_grade[] =
      "{\"lead_id\": \"R4\", \"created_at\": 1741000000, \"grade\": \"hot\"}";
  CHECK_STATUS(lk_router_route_json(router, bad_grade, strlen(bad_grade), &out),
               LK_INVALID_ARGUMENT, "lead.grade: lead_id \"R4\" has \"hot\"");
  const char north[] =
      "{\"lead_id\": \"R5\", \"created_at\": 1741000000, \"lat\": \"north\"}";
  CHECK_STATUS(lk_router_route_json(router, north, strlen(north), &out),
               LK_INVALID_ARGUMENT, "lat");
  CHECK_STATUS(lk_router_route_json(router, "[]", 2, &out), LK_INVALID_ARGUMENT,
               "lead: expected a JSON object");
  CHECK(out == NULL);
  lk_router_free(router);

  /* A batch: B1 near Shanghai, B2 the same customer an hour later (a
   * duplicate), B3 in Suzhou. */
  router = make_router(policy, key);
  if (router != NULL) {
    static const int32_t batch_ids_offsets[] = {0, 2, 4, 6};
    static const int64_t batch_created[] = {1740967200, 1740970800, 1740974400};
    static const int32_t batch_phone_offsets[] = {0, 11, 22, 33};
    static const double batch_lat[] = {31.2, 31.2, 31.3};
    static const double batch_lon[] = {121.4, 121.4, 120.6};
    static const int32_t batch_grade_offsets[] = {0, 3, 6, 9};
    struct test_stream tb;
    memset(&tb, 0, sizeof tb);
    tb.n_columns = 6;
    tb.n_batches = 1;
    tb.batch_length[0] = 3;
    struct column* bc = tb.batch_columns[0];
    bc[0] = (struct column){"lead_id", "u", 3, 0, 0, 3,
                            {NULL, batch_ids_offsets, "B1B2B3"}};
    bc[1] = (struct column){"created_at", "tss:UTC", 3, 0, 0, 2,
                            {NULL, batch_created, NULL}};
    bc[2] = (struct column){"phone", "u", 3, 0, 0, 3,
                            {NULL, batch_phone_offsets,
                             "139001390001390013900013912345678"}};
    bc[3] = (struct column){"lat", "g", 3, 0, 0, 2, {NULL, batch_lat, NULL}};
    bc[4] = (struct column){"lon", "g", 3, 0, 0, 2, {NULL, batch_lon, NULL}};
    bc[5] = (struct column){"grade", "u", 3, 0, 0, 3,
                            {NULL, batch_grade_offsets, "lowlowlow"}};
    struct ArrowArrayStream batch_leads = make_stream(&tb);
    struct ArrowArrayStream routed;
    CHECK_STATUS(lk_route_arrow(router, &batch_leads, &routed), LK_OK, "");
    CHECK(tb.released == 1);
    struct kpi_table table;
    if (read_kpis(&routed, &table)) {
      char text[32];
      CHECK(table.batch.length == 3);
      if (table.batch.length == 3) {
        key_at(&table, 1, 0, text, sizeof text);
        CHECK(strcmp(text, "assigned") == 0);
        key_at(&table, 3, 0, text, sizeof text);
        CHECK(strcmp(text, "C1") == 0);
        key_at(&table, 5, 0, text, sizeof text);
        CHECK(strcmp(text, "C1-25-0001") == 0);
        CHECK(kpi_value(&table, "distance_km", 0) > 7.4 &&
              kpi_value(&table, "distance_km", 0) < 7.5);
        key_at(&table, 1, 1, text, sizeof text);
        CHECK(strcmp(text, "duplicate") == 0);
        key_at(&table, 6, 1, text, sizeof text);
        CHECK(strcmp(text, "B1") == 0);
        CHECK(isnan(kpi_value(&table, "distance_km", 1)));
        key_at(&table, 2, 2, text, sizeof text);
        CHECK(strcmp(text, "D2") == 0);
        key_at(&table, 5, 2, text, sizeof text);
        CHECK(strcmp(text, "C2-25-0001") == 0);
        key_at(&table, 8, 2, text, sizeof text);
        CHECK(strcmp(text, "null") == 0);
      }
    }
    free_kpis(&table);
    /* A grade the policy does not have, named with its row. */
    bc[5].buffers[2] = "lowlowhot";
    tb.released = 0;
    tb.next = 0;
    batch_leads = make_stream(&tb);
    CHECK_STATUS(lk_route_arrow(router, &batch_leads, &routed),
                 LK_INVALID_ARGUMENT, "leads.grade: row 2 (lead_id \"B3\") has \"hot\"");
    CHECK(tb.released == 1 && routed.release == NULL);
    lk_router_free(router);
  }

  /* A consultant at a dealer the table does not have. */
  struct test_stream td, tc;
  set_dealers(&td);
  td.batch_length[0] = 1;
  for (int i = 0; i < td.n_columns; ++i) td.batch_columns[0][i].length = 1;
  set_consultants(&tc);
  struct ArrowArrayStream dealers = make_stream(&td);
  struct ArrowArrayStream consultants = make_stream(&tc);
  CHECK_STATUS(lk_router_create(policy, &dealers, &consultants, NULL, &router),
               LK_INVALID_ARGUMENT, "D2");
  CHECK(router == NULL && td.released == 1 && tc.released == 1);
  lk_router_free(NULL);
}

/* Open leads held before the router starts: O1 (2025-03-01 10:00 Shanghai,
 * phone 138 0013 8000, at D2 with C2) and O2 (no phone). A lead of O1's phone
 * two days later (inside three_level's 30-day window), though nearest to D1,
 * is a duplicate of O1 kept at D2 with C2; O2 holds nothing. */
static const int32_t held_ids_offsets[] = {0, 2, 4};
static const int64_t held_created[] = {1740794400, 1740794400};
static const uint8_t held_phone_valid[] = {0x01};
static const int32_t held_phone_offsets[] = {0, 11, 11};

static void set_held_leads(struct test_stream* t) {
  memset(t, 0, sizeof *t);
  t->n_columns = 5;
  t->n_batches = 1;
  t->batch_length[0] = 2;
  struct column* c = t->batch_columns[0];
  c[0] = (struct column){"lead_id", "u", 2, 0, 0, 3,
                         {NULL, held_ids_offsets, "O1O2"}};
  c[1] = (struct column){"created_at", "tss:Asia/Shanghai", 2, 0, 0, 2,
                         {NULL, held_created, NULL}};
  c[2] = (struct column){"phone", "u", 2, 0, 1, 3,
                         {held_phone_valid, held_phone_offsets, "13800138000"}};
  c[3] = (struct column){"dealer_id", "u", 2, 0, 0, 3,
                         {NULL, two_ids_offsets, "D2D1"}};
  c[4] = (struct column){"consultant_id", "u", 2, 0, 0, 3,
                         {NULL, two_ids_offsets, "C2C1"}};
}

static void test_open_leads(const lk_policy* policy) {
  const char later[] =
      "{\"lead_id\": \"N1\", \"created_at\": \"2025-03-03T10:00:00+08:00\","
      " \"phone\": \"138-0013-8000\", \"lat\": 31.2, \"lon\": 121.4,"
      " \"grade\": \"low\"}";
  lk_router* router = make_router(policy, NULL);
  if (router == NULL) return;
  struct test_stream to;
  set_held_leads(&to);
  struct ArrowArrayStream open_leads = make_stream(&to);
  CHECK_STATUS(lk_router_add_open_leads_arrow(router, &open_leads), LK_OK, "");
  CHECK(to.released == 1);
  char* out = NULL;
  CHECK_STATUS(lk_router_route_json(router, later, strlen(later), &out), LK_OK,
               "");
  CHECK(contains(out, "\"status\":\"duplicate\""));
  CHECK(contains(out, "\"duplicate_of\":\"O1\""));
  CHECK(contains(out, "\"dealer_id\":\"D2\""));
  CHECK(contains(out, "\"consultant_id\":\"C2\""));
  if (failures != 0) printf("open leads: %s\n", out ? out : "(null)");
  lk_string_free(out);
  lk_router_free(router);

  /* A row without a time: refused naming it, and O1 is not held either, so
   * the same lead is then assigned to the nearest dealer. */
  router = make_router(policy, NULL);
  if (router == NULL) return;
  static const uint8_t one_time_valid[] = {0x01};
  set_held_leads(&to);
  to.batch_columns[0][1] = (struct column){"created_at", "tss:Asia/Shanghai", 2,
                                           0, 1, 2,
                                           {one_time_valid, held_created, NULL}};
  open_leads = make_stream(&to);
  CHECK_STATUS(lk_router_add_open_leads_arrow(router, &open_leads),
               LK_INVALID_ARGUMENT,
               "open_leads.created_at: row 1 (lead_id \"O2\") has no time");
  CHECK(to.released == 1);
  CHECK(!contains(lk_last_error(), "13800138000"));
  CHECK_STATUS(lk_router_route_json(router, later, strlen(later), &out), LK_OK,
               "");
  CHECK(contains(out, "\"status\":\"assigned\""));
  CHECK(contains(out, "\"dealer_id\":\"D1\""));
  lk_string_free(out);

  /* No created_at column; NULL arguments (the stream released all the same). */
  set_held_leads(&to);
  to.n_columns = 1;
  open_leads = make_stream(&to);
  CHECK_STATUS(lk_router_add_open_leads_arrow(router, &open_leads),
               LK_INVALID_ARGUMENT,
               "open_leads: missing required column \"created_at\"");
  CHECK(to.released == 1);
  set_held_leads(&to);
  open_leads = make_stream(&to);
  CHECK_STATUS(lk_router_add_open_leads_arrow(NULL, &open_leads),
               LK_INVALID_ARGUMENT, "router");
  CHECK(to.released == 1);
  CHECK_STATUS(lk_router_add_open_leads_arrow(router, NULL),
               LK_INVALID_ARGUMENT, "open_leads");
  lk_router_free(router);
}

/* ---- Customer profile ---------------------------------------------------------- */

/* The example of docs/kpis.md ("leadkit.profile"), worked out there: seven
 * leads created 2024-05-01 10:00 Shanghai,
 *   P1 24 female won   P2 25 male (no status)   P3 34 male won
 *   P4 40 female lost  P5 (no age) male open     P6 60 female invalid
 *   P7 58 male won */
static const int32_t prof_ids_offsets[] = {0, 2, 4, 6, 8, 10, 12, 14};
static const int64_t prof_created[] = {1714528800, 1714528800, 1714528800,
                                       1714528800, 1714528800, 1714528800,
                                       1714528800};
static const uint8_t prof_age_valid[] = {0x6f};
static const double prof_age[] = {24, 25, 34, 40, 0, 60, 58};
static const int32_t prof_gender_offsets[] = {0, 6, 10, 14, 20, 24, 30, 34};
static const uint8_t prof_status_valid[] = {0x7d};
static const int32_t prof_status_offsets[] = {0, 3, 3, 6, 10, 14, 21, 24};

static void set_profile_leads(struct test_stream* t) {
  memset(t, 0, sizeof *t);
  t->n_columns = 5;
  t->n_batches = 1;
  t->batch_length[0] = 7;
  struct column* c = t->batch_columns[0];
  c[0] = (struct column){"lead_id", "u", 7, 0, 0, 3,
                         {NULL, prof_ids_offsets, "P1P2P3P4P5P6P7"}};
  c[1] = (struct column){"created_at", "tss:Asia/Shanghai", 7, 0, 0, 2,
                         {NULL, prof_created, NULL}};
  c[2] = (struct column){"age", "g", 7, 0, 1, 2,
                         {prof_age_valid, prof_age, NULL}};
  c[3] = (struct column){"gender", "u", 7, 0, 0, 3,
                         {NULL, prof_gender_offsets,
                          "femalemalemalefemalemalefemalemale"}};
  c[4] = (struct column){"status", "u", 7, 0, 1, 3,
                         {prof_status_valid, prof_status_offsets,
                          "wonwonlostopeninvalidwon"}};
}

static void test_profile(void) {
  struct test_stream tl;
  struct ArrowArrayStream leads, result;
  struct kpi_table table;
  char key[16];
  lk_profile_state* state = NULL;
  const char* by_age[] = {"age_band"};
  CHECK_STATUS(lk_profile_state_create(by_age, 1, NULL, 0, &state), LK_OK, "");
  set_profile_leads(&tl);
  leads = make_stream(&tl);
  CHECK_STATUS(lk_profile_state_add(state, &leads, LK_AS_OF_DATA), LK_OK, "");
  CHECK(tl.released == 1);
  /* Saved and loaded on the way. */
  uint8_t* bytes = NULL;
  size_t size = 0;
  CHECK_STATUS(lk_profile_state_serialize(state, &bytes, &size), LK_OK, "");
  lk_profile_state_free(state);
  state = NULL;
  CHECK_STATUS(lk_profile_state_deserialize(bytes, size, &state), LK_OK, "");
  lk_bytes_free(bytes);
  CHECK_STATUS(lk_profile_state_finalize(state, &result), LK_OK, "");
  if (read_kpis(&result, &table)) {
    static const char* const bands[] = {"<25", "25-34", "35-44", "55+", "null"};
    static const double leads_of[] = {1, 2, 1, 1, 1};
    static const double won_of[] = {1, 1, 0, 1, 0};
    static const double invalid_of[] = {0, 0, 0, 1, 0};
    CHECK(table.batch.length == 5);
    CHECK(strcmp(table.schema.children[0]->name, "age_band") == 0);
    for (int64_t row = 0; row < table.batch.length && row < 5; ++row) {
      key_at(&table, 0, row, key, sizeof key);
      CHECK(strcmp(key, bands[row]) == 0);
      CHECK(kpi_value(&table, "leads", row) == leads_of[row]);
      CHECK(kpi_value(&table, "share", row) == leads_of[row] / 6);
      CHECK(kpi_value(&table, "won", row) == won_of[row]);
      CHECK(kpi_value(&table, "conversion_rate", row) ==
            won_of[row] / leads_of[row]);
      CHECK(kpi_value(&table, "invalid", row) == invalid_of[row]);
    }
  }
  free_kpis(&table);
  lk_profile_state_free(state);

  /* By gender, and other band edges refused for a grouping without them
   * (merge of different options). */
  const char* by_gender[] = {"gender"};
  CHECK_STATUS(lk_profile_state_create(by_gender, 1, NULL, 0, &state), LK_OK, "");
  set_profile_leads(&tl);
  leads = make_stream(&tl);
  CHECK_STATUS(lk_profile_state_add(state, &leads, 1714528800), LK_OK, "");
  CHECK_STATUS(lk_profile_state_finalize(state, &result), LK_OK, "");
  if (read_kpis(&result, &table)) {
    CHECK(table.batch.length == 2);
    key_at(&table, 0, 0, key, sizeof key);
    CHECK(strcmp(key, "female") == 0);
    CHECK(kpi_value(&table, "leads", 0) == 2);
    CHECK(kpi_value(&table, "won", 0) == 1);
    CHECK(kpi_value(&table, "invalid", 0) == 1);
    CHECK(kpi_value(&table, "leads", 1) == 4);
    CHECK(kpi_value(&table, "won", 1) == 2);
  }
  free_kpis(&table);
  lk_profile_state* banded = NULL;
  const int64_t edges[] = {30, 50};
  CHECK_STATUS(lk_profile_state_create(by_gender, 1, edges, 2, &banded), LK_OK,
               "");
  CHECK(lk_profile_state_merge(state, banded) == LK_FAILED_PRECONDITION);
  lk_profile_state_free(banded);

  /* Personal data is not a group. */
  const char* by_phone[] = {"phone"};
  lk_profile_state* personal = NULL;
  CHECK_STATUS(lk_profile_state_create(by_phone, 1, NULL, 0, &personal), LK_OK,
               "");
  set_profile_leads(&tl);
  leads = make_stream(&tl);
  CHECK_STATUS(lk_profile_state_add(personal, &leads, LK_AS_OF_DATA),
               LK_INVALID_ARGUMENT, "phone");
  CHECK(tl.released == 1);
  lk_profile_state_free(personal);
  lk_profile_state_free(state);
  lk_profile_state_free(NULL);
}

/* ---- Activity and showroom traffic ------------------------------------------- */

/* The example of docs/kpis.md ("leadkit.activity"), in Shanghai time:
 *   leads L1 created 06-03 08:50 (assigned 09:00, D1, C1), L2 06-04 10:00
 *   (D1, C1), L3 06-03 19:00 (assigned 20:00, D2, C2), L4 06-04 11:00;
 *   touches L1 06-03 09:30 phone C1, L1 06-03 15:00 wechat C1, L2 06-04 10:30
 *   phone C1, L1 06-04 16:00 phone C1, L3 06-04 09:00 phone C2, L4 06-04
 *   12:00 sms (no consultant).
 * By consultant and day, as worked out there. */
#define S3 1717344000LL /* 2024-06-03 00:00 Shanghai */
#define S4 (S3 + 86400)
static const int32_t act_ids_offsets[] = {0, 2, 4, 6, 8};
static const int64_t act_created[] = {S3 + 31800, S4 + 36000, S3 + 68400,
                                      S4 + 39600};
static const uint8_t act_assigned_valid[] = {0x05};
static const int64_t act_assigned[] = {S3 + 32400, 0, S3 + 72000, 0};
static const uint8_t act_three_valid[] = {0x07};
static const int32_t act_pair_offsets[] = {0, 2, 4, 6, 6};
static const int32_t act_touch_ids_offsets[] = {0, 2, 4, 6, 8, 10, 12};
static const int64_t act_touch_at[] = {S3 + 34200, S3 + 54000, S4 + 37800,
                                       S4 + 57600, S4 + 32400, S4 + 43200};
static const int32_t act_method_offsets[] = {0, 5, 11, 16, 21, 26, 29};
static const uint8_t act_touch_consultant_valid[] = {0x1f};
static const int32_t act_touch_consultant_offsets[] = {0, 2, 4, 6, 8, 10, 10};

static void set_activity(struct test_stream* leads, struct test_stream* touches) {
  memset(leads, 0, sizeof *leads);
  leads->n_columns = 5;
  leads->n_batches = 1;
  leads->batch_length[0] = 4;
  struct column* c = leads->batch_columns[0];
  c[0] = (struct column){"lead_id", "u", 4, 0, 0, 3,
                         {NULL, act_ids_offsets, "L1L2L3L4"}};
  c[1] = (struct column){"created_at", "tss:Asia/Shanghai", 4, 0, 0, 2,
                         {NULL, act_created, NULL}};
  c[2] = (struct column){"assigned_at", "tss:Asia/Shanghai", 4, 0, 2, 2,
                         {act_assigned_valid, act_assigned, NULL}};
  c[3] = (struct column){"dealer_id", "u", 4, 0, 1, 3,
                         {act_three_valid, act_pair_offsets, "D1D1D2"}};
  c[4] = (struct column){"consultant_id", "u", 4, 0, 1, 3,
                         {act_three_valid, act_pair_offsets, "C1C1C2"}};
  memset(touches, 0, sizeof *touches);
  touches->n_columns = 4;
  touches->n_batches = 1;
  touches->batch_length[0] = 6;
  c = touches->batch_columns[0];
  c[0] = (struct column){"lead_id", "u", 6, 0, 0, 3,
                         {NULL, act_touch_ids_offsets, "L1L1L2L1L3L4"}};
  c[1] = (struct column){"at", "tss:Asia/Shanghai", 6, 0, 0, 2,
                         {NULL, act_touch_at, NULL}};
  c[2] = (struct column){"method", "u", 6, 0, 0, 3,
                         {NULL, act_method_offsets,
                          "phonewechatphonephonephonesms"}};
  c[3] = (struct column){"consultant_id", "u", 6, 0, 1, 3,
                         {act_touch_consultant_valid,
                          act_touch_consultant_offsets, "C1C1C1C1C2"}};
}

/* Three visits: V1 at D1 10:00-10:30 of lead L1 asking about the C200,
 * effective; V2 at D1 11:00, no departure, no lead, GLC, effective unknown;
 * V3 at D2 12:00-13:00, no lead, C200, not effective. */
static const int32_t visit_ids_offsets[] = {0, 2, 4, 6};
static const int32_t visit_dealer_offsets[] = {0, 2, 4, 6};
static const int64_t visit_arrived[] = {S3 + 36000, S3 + 39600, S3 + 43200};
static const uint8_t visit_left_valid[] = {0x05};
static const int64_t visit_left[] = {S3 + 37800, 0, S3 + 46800};
static const uint8_t visit_lead_valid[] = {0x01};
static const int32_t visit_lead_offsets[] = {0, 2, 2, 2};
static const int32_t visit_model_offsets[] = {0, 4, 7, 11};
static const uint8_t visit_effective_valid[] = {0x05};
static const uint8_t visit_effective[] = {0x01};

static void set_visits(struct test_stream* t) {
  memset(t, 0, sizeof *t);
  t->n_columns = 7;
  t->n_batches = 1;
  t->batch_length[0] = 3;
  struct column* c = t->batch_columns[0];
  c[0] = (struct column){"visit_id", "u", 3, 0, 0, 3,
                         {NULL, visit_ids_offsets, "V1V2V3"}};
  c[1] = (struct column){"dealer_id", "u", 3, 0, 0, 3,
                         {NULL, visit_dealer_offsets, "D1D1D2"}};
  c[2] = (struct column){"arrived_at", "tss:Asia/Shanghai", 3, 0, 0, 2,
                         {NULL, visit_arrived, NULL}};
  c[3] = (struct column){"left_at", "tss:Asia/Shanghai", 3, 0, 1, 2,
                         {visit_left_valid, visit_left, NULL}};
  c[4] = (struct column){"lead_id", "u", 3, 0, 2, 3,
                         {visit_lead_valid, visit_lead_offsets, "L1"}};
  c[5] = (struct column){"model", "u", 3, 0, 0, 3,
                         {NULL, visit_model_offsets, "C200GLCC200"}};
  c[6] = (struct column){"effective", "b", 3, 0, 1, 2,
                         {visit_effective_valid, visit_effective, NULL}};
}

static void test_traffic(void) {
  struct test_stream tl, tt, tv;
  struct ArrowArrayStream leads, touches, visits, result;
  struct kpi_table table;
  char consultant[16], day[16];

  lk_activity_state* activity = NULL;
  CHECK_STATUS(lk_activity_state_create(NULL, 0, "Asia/Shanghai", &activity),
               LK_OK, "");
  set_activity(&tl, &tt);
  leads = make_stream(&tl);
  touches = make_stream(&tt);
  CHECK_STATUS(lk_activity_state_add(activity, &touches, &leads, LK_AS_OF_DATA),
               LK_OK, "");
  CHECK(tl.released == 1 && tt.released == 1);
  CHECK_STATUS(lk_activity_state_finalize(activity, &result), LK_OK, "");
  if (read_kpis(&result, &table)) {
    static const char* const who[] = {"C1", "C1", "C2", "C2", "null"};
    static const char* const when[] = {"2024-06-03", "2024-06-04", "2024-06-03",
                                       "2024-06-04", "2024-06-04"};
    static const double contacts[] = {2, 2, 0, 1, 1};
    static const double phone[] = {1, 2, 0, 1, 0};
    static const double wechat[] = {1, 0, 0, 0, 0};
    static const double sms[] = {0, 0, 0, 0, 1};
    static const double touched[] = {1, 2, 0, 1, 1};
    static const double fresh[] = {1, 1, 1, 0, 1};
    CHECK(table.batch.length == 5);
    for (int64_t row = 0; row < table.batch.length && row < 5; ++row) {
      key_at(&table, 0, row, consultant, sizeof consultant);
      key_at(&table, 1, row, day, sizeof day);
      CHECK(strcmp(consultant, who[row]) == 0);
      CHECK(strcmp(day, when[row]) == 0);
      CHECK(kpi_value(&table, "contacts", row) == contacts[row]);
      CHECK(kpi_value(&table, "contacts_phone", row) == phone[row]);
      CHECK(kpi_value(&table, "contacts_wechat", row) == wechat[row]);
      CHECK(kpi_value(&table, "contacts_sms", row) == sms[row]);
      CHECK(kpi_value(&table, "contacts_email", row) == 0);
      CHECK(kpi_value(&table, "leads_touched", row) == touched[row]);
      CHECK(kpi_value(&table, "new_leads", row) == fresh[row]);
    }
  }
  free_kpis(&table);
  uint8_t* bytes = NULL;
  size_t size = 0;
  CHECK_STATUS(lk_activity_state_serialize(activity, &bytes, &size), LK_OK, "");
  lk_activity_state* copy = NULL;
  CHECK_STATUS(lk_activity_state_deserialize(bytes, size, &copy), LK_OK, "");
  CHECK_STATUS(lk_activity_state_merge(activity, copy), LK_OK, "");
  lk_bytes_free(bytes);
  lk_activity_state_free(copy);
  CHECK_STATUS(lk_activity_state_finalize(activity, &result), LK_OK, "");
  if (read_kpis(&result, &table)) CHECK(kpi_value(&table, "contacts", 0) == 4);
  free_kpis(&table);
  lk_activity_state_free(activity);

  /* Showroom traffic by dealer, without the leads. */
  lk_showroom_state* showroom = NULL;
  const char* by_dealer[] = {"dealer_id"};
  CHECK_STATUS(lk_showroom_state_create(by_dealer, 1, "Asia/Shanghai", &showroom),
               LK_OK, "");
  set_visits(&tv);
  visits = make_stream(&tv);
  CHECK_STATUS(lk_showroom_state_add(showroom, &visits, NULL, LK_AS_OF_DATA),
               LK_OK, "");
  CHECK(tv.released == 1);
  CHECK_STATUS(lk_showroom_state_finalize(showroom, 3, &result), LK_OK, "");
  if (read_kpis(&result, &table)) {
    char models[32];
    CHECK(table.batch.length == 2);
    CHECK(table.schema.n_children == 8); /* no won columns without leads */
    CHECK(kpi_value(&table, "visits", 0) == 2);
    CHECK(kpi_value(&table, "with_contact", 0) == 1);
    CHECK(kpi_value(&table, "contact_share", 0) == 0.5);
    CHECK(kpi_value(&table, "effective", 0) == 1);
    CHECK(kpi_value(&table, "effective_share", 0) == 0.5);
    CHECK(kpi_value(&table, "avg_stay_minutes", 0) == 30);
    key_at(&table, kpi_column(&table, "top_models"), 0, models, sizeof models);
    CHECK(strcmp(models, "C200;GLC") == 0);
    CHECK(kpi_value(&table, "visits", 1) == 1);
    CHECK(kpi_value(&table, "effective", 1) == 0);
    CHECK(kpi_value(&table, "avg_stay_minutes", 1) == 60);
  }
  free_kpis(&table);
  CHECK_STATUS(lk_showroom_state_finalize(showroom, 0, &result),
               LK_INVALID_ARGUMENT, "top_models");
  CHECK(result.release == NULL);
  CHECK_STATUS(lk_showroom_state_serialize(showroom, &bytes, &size), LK_OK, "");
  lk_showroom_state* loaded = NULL;
  CHECK_STATUS(lk_showroom_state_deserialize(bytes, size, &loaded), LK_OK, "");
  lk_showroom_state* damaged = (lk_showroom_state*)&damaged;
  CHECK_STATUS(lk_showroom_state_deserialize(bytes + 1, size - 1, &damaged),
               LK_INVALID_ARGUMENT, "");
  CHECK(damaged == NULL);
  lk_bytes_free(bytes);
  lk_showroom_state_free(loaded);
  lk_showroom_state_free(showroom);
  lk_showroom_state_free(NULL);
  lk_activity_state_free(NULL);
}

/* ---- The schedule of a batch --------------------------------------------------- */

/* The leads of test_calendar_and_tasks as a batch: S1 and S2 created Monday
 * 2025-03-03 10:00 Shanghai, grade high, S1 of consultant K1; S2 called at
 * 10:20. At 12:00: S1's first contact overdue since 11:00 (03:00 UTC); S2's
 * follow-up due Monday 03-10 18:00 (10:00 UTC), started at the call. */
static const int32_t sched_ids_offsets[] = {0, 2, 4};
static const int64_t sched_created[] = {1740967200, 1740967200};
static const int32_t sched_grade_offsets[] = {0, 4, 8};
static const uint8_t sched_consultant_valid[] = {0x01};
static const int32_t sched_consultant_offsets[] = {0, 2, 2};
static const int32_t sched_touch_ids_offsets[] = {0, 2};
static const int64_t sched_touch_at[] = {1740968400};
static const int32_t sched_method_offsets[] = {0, 5};

static void set_schedule_streams(struct test_stream* tl,
                                 struct test_stream* tt) {
  memset(tl, 0, sizeof *tl);
  tl->n_columns = 4;
  tl->n_batches = 1;
  tl->batch_length[0] = 2;
  struct column* c = tl->batch_columns[0];
  c[0] = (struct column){"lead_id", "u", 2, 0, 0, 3,
                         {NULL, sched_ids_offsets, "S1S2"}};
  c[1] = (struct column){"created_at", "tss:Asia/Shanghai", 2, 0, 0, 2,
                         {NULL, sched_created, NULL}};
  c[2] = (struct column){"grade", "u", 2, 0, 0, 3,
                         {NULL, sched_grade_offsets, "highhigh"}};
  c[3] = (struct column){"consultant_id", "u", 2, 0, 1, 3,
                         {sched_consultant_valid, sched_consultant_offsets,
                          "K1"}};
  memset(tt, 0, sizeof *tt);
  tt->n_columns = 3;
  tt->n_batches = 1;
  tt->batch_length[0] = 1;
  c = tt->batch_columns[0];
  c[0] = (struct column){"lead_id", "u", 1, 0, 0, 3,
                         {NULL, sched_touch_ids_offsets, "S2"}};
  c[1] = (struct column){"at", "tss:UTC", 1, 0, 0, 2,
                         {NULL, sched_touch_at, NULL}};
  c[2] = (struct column){"method", "u", 1, 0, 0, 3,
                         {NULL, sched_method_offsets, "phone"}};
}

static void test_schedule(const lk_policy* policy) {
  lk_cadence* cadence = NULL;
  CHECK_STATUS(lk_cadence_from_policy(policy, &cadence), LK_OK, "");
  if (cadence == NULL) return;
  struct test_stream tl, tt;
  set_schedule_streams(&tl, &tt);
  struct ArrowArrayStream leads = make_stream(&tl);
  struct ArrowArrayStream touches = make_stream(&tt);
  struct ArrowArrayStream result;
  CHECK_STATUS(lk_schedule_arrow(cadence, &leads, &touches, 1740974400, &result),
               LK_OK, "");
  CHECK(tl.released == 1 && tt.released == 1);
  struct kpi_table table;
  if (read_kpis(&result, &table)) {
    char text[32];
    CHECK(table.schema.n_children == 9);
    CHECK(strcmp(table.schema.children[3]->format, "tss:UTC") == 0);
    /* S2's call also opened its thank-you, due 24 hours later (03-04 10:20
     * Shanghai, an open hour), before the follow-up. */
    CHECK(table.batch.length == 3);
    if (table.batch.length == 3) {
      key_at(&table, 0, 0, text, sizeof text);
      CHECK(strcmp(text, "S1") == 0);
      key_at(&table, 1, 0, text, sizeof text);
      CHECK(strcmp(text, "K1") == 0);
      key_at(&table, 2, 0, text, sizeof text);
      CHECK(strcmp(text, "first_contact") == 0);
      key_at(&table, 5, 0, text, sizeof text);
      CHECK(strcmp(text, "overdue") == 0);
      CHECK(kpi_value(&table, "due_at", 0) == 1740970800);
      key_at(&table, 0, 1, text, sizeof text);
      CHECK(strcmp(text, "S2") == 0);
      key_at(&table, 1, 1, text, sizeof text);
      CHECK(strcmp(text, "null") == 0);
      key_at(&table, 2, 1, text, sizeof text);
      CHECK(strcmp(text, "thank_you") == 0);
      CHECK(kpi_value(&table, "due_at", 1) == 1740968400 + 86400);
      key_at(&table, 2, 2, text, sizeof text);
      CHECK(strcmp(text, "follow_up") == 0);
      key_at(&table, 5, 2, text, sizeof text);
      CHECK(strcmp(text, "pending") == 0);
      CHECK(kpi_value(&table, "due_at", 2) == 1741600800);
      CHECK(kpi_value(&table, "started_at", 2) == 1740968400);
    }
  }
  free_kpis(&table);
  /* A touch of a lead the batch does not have. */
  tt.batch_columns[0][0].buffers[2] = "S9";
  tt.released = 0;
  tt.next = 0;
  tl.released = 0;
  tl.next = 0;
  leads = make_stream(&tl);
  touches = make_stream(&tt);
  CHECK_STATUS(lk_schedule_arrow(cadence, &leads, &touches, 1740974400, &result),
               LK_INVALID_ARGUMENT, "S9");
  CHECK(tl.released == 1 && tt.released == 1 && result.release == NULL);
  lk_cadence_free(cadence);
}

/* ---- Agenda, dealer calendars, hand-over and reclaim ------------------------ */

/* The rows of a task table (lk_schedule_arrow, lk_agenda_arrow) as
 * "lead:task:due_at:status;" text. */
static void tasks_text(struct ArrowArrayStream* result, char* out, size_t size) {
  out[0] = '\0';
  struct kpi_table t;
  if (read_kpis(result, &t)) {
    CHECK(t.schema.n_children == 9);
    for (int64_t row = 0; row < t.batch.length; ++row) {
      char id[32], task[32], status[32], line[128];
      key_at(&t, 0, row, id, sizeof id);
      key_at(&t, 2, row, task, sizeof task);
      key_at(&t, 5, row, status, sizeof status);
      snprintf(line, sizeof line, "%s:%s:%lld:%s;", id, task,
               (long long)kpi_value(&t, "due_at", row), status);
      strncat(out, line, size - strlen(out) - 1);
    }
  }
  free_kpis(&t);
}

/* The rows of a moves table (hand-over, reclaim) as
 * "lead:from>to:status:reason[:reassignments];" text. */
static void moves_text(struct ArrowArrayStream* result, char* out, size_t size) {
  out[0] = '\0';
  struct kpi_table t;
  if (read_kpis(result, &t)) {
    CHECK(t.schema.n_children == 5 || t.schema.n_children == 6);
    CHECK(strcmp(t.schema.children[0]->name, "lead_id") == 0);
    CHECK(strcmp(t.schema.children[1]->name, "from_consultant_id") == 0);
    CHECK(strcmp(t.schema.children[2]->name, "to_consultant_id") == 0);
    CHECK(strcmp(t.schema.children[3]->name, "status") == 0);
    CHECK(strcmp(t.schema.children[4]->name, "reason") == 0);
    for (int64_t row = 0; row < t.batch.length; ++row) {
      char id[32], from[32], to[32], status[32], reason[64], line[256];
      key_at(&t, 0, row, id, sizeof id);
      key_at(&t, 1, row, from, sizeof from);
      key_at(&t, 2, row, to, sizeof to);
      key_at(&t, 3, row, status, sizeof status);
      key_at(&t, 4, row, reason, sizeof reason);
      snprintf(line, sizeof line, "%s:%s>%s:%s:%s", id, from, to, status, reason);
      strncat(out, line, size - strlen(out) - 1);
      if (t.schema.n_children == 6) {
        CHECK(strcmp(t.schema.children[5]->name, "reassignments") == 0 &&
              strcmp(t.schema.children[5]->format, "l") == 0);
        snprintf(line, sizeof line, ":%lld",
                 (long long)kpi_value(&t, "reassignments", row));
        strncat(out, line, size - strlen(out) - 1);
      }
      strncat(out, ";", size - strlen(out) - 1);
    }
  }
  free_kpis(&t);
}

/* The birthday example of docs/cadence.md ("The daily agenda"), on the oabc
 * preset (cn_showroom: every day 09:00-18:00 Shanghai): B1 created
 * 2024-06-03 09:00 Shanghai, website, 20 days (grade B), born 1990-06-10
 * (date32 7465), called 06-03 10:00 and 06-08 10:00. Its birthday task runs
 * 2024-06-10 09:00 to 18:00 Shanghai (due 10:00 UTC, 1718013600): pending
 * on the agenda of 2024-06-10 (day 19884), overdue on 06-11; its follow-up,
 * due 06-15, is on neither. The leads' arrays start one row early (offset
 * 1), as a slice's do. */
static const int32_t agenda_ids_offsets[] = {0, 4, 6};
static const int64_t agenda_created[] = {0, 1717376400};
static const int32_t agenda_channel_offsets[] = {0, 0, 7};
static const int64_t agenda_days[] = {0, 20};
static const int32_t agenda_birthday[] = {0, 7465};
static const int32_t agenda_touch_ids_offsets[] = {0, 2, 4};
static const int64_t agenda_touch_at[] = {1717380000, 1717812000};
static const int32_t agenda_method_offsets[] = {0, 5, 10};

static void set_agenda_streams(struct test_stream* tl, struct test_stream* tt) {
  memset(tl, 0, sizeof *tl);
  tl->n_columns = 5;
  tl->n_batches = 1;
  tl->batch_length[0] = 1;
  struct column* c = tl->batch_columns[0];
  c[0] = (struct column){"lead_id", "u", 1, 1, 0, 3,
                         {NULL, agenda_ids_offsets, "skipB1"}};
  c[1] = (struct column){"created_at", "tss:Asia/Shanghai", 1, 1, 0, 2,
                         {NULL, agenda_created, NULL}};
  c[2] = (struct column){"channel", "u", 1, 1, 0, 3,
                         {NULL, agenda_channel_offsets, "website"}};
  c[3] = (struct column){"purchase_within_days", "l", 1, 1, 0, 2,
                         {NULL, agenda_days, NULL}};
  c[4] = (struct column){"birthday", "tdD", 1, 1, 0, 2,
                         {NULL, agenda_birthday, NULL}};
  memset(tt, 0, sizeof *tt);
  tt->n_columns = 3;
  tt->n_batches = 1;
  tt->batch_length[0] = 2;
  c = tt->batch_columns[0];
  c[0] = (struct column){"lead_id", "u", 2, 0, 0, 3,
                         {NULL, agenda_touch_ids_offsets, "B1B1"}};
  c[1] = (struct column){"at", "tss:UTC", 2, 0, 0, 2,
                         {NULL, agenda_touch_at, NULL}};
  c[2] = (struct column){"method", "u", 2, 0, 0, 3,
                         {NULL, agenda_method_offsets, "phonephone"}};
}

static void test_agenda(void) {
  lk_policy* policy = NULL;
  lk_cadence* cadence = NULL;
  CHECK_STATUS(lk_policy_from_preset("oabc", &policy), LK_OK, "");
  CHECK_STATUS(lk_cadence_from_policy(policy, &cadence), LK_OK, "");
  lk_policy_free(policy);
  if (cadence == NULL) return;
  struct test_stream tl, tt;
  struct ArrowArrayStream leads, touches, result;
  char text[512];
  const int32_t days[] = {19884, 19885};
  const char* expected[] = {"B1:birthday:1718013600:pending;",
                            "B1:birthday:1718013600:overdue;"};
  for (int i = 0; i < 2; ++i) {
    set_agenda_streams(&tl, &tt);
    leads = make_stream(&tl);
    touches = make_stream(&tt);
    CHECK_STATUS(lk_agenda_arrow(cadence, &leads, &touches, days[i], &result),
                 LK_OK, "");
    CHECK(tl.released == 1 && tt.released == 1);
    tasks_text(&result, text, sizeof text);
    CHECK(strcmp(text, expected[i]) == 0);
    if (strcmp(text, expected[i]) != 0) printf("agenda %d: %s\n", days[i], text);
  }
  /* The schedule at 2024-06-10 00:00 Shanghai: the follow-up due 06-15
   * 18:00 Shanghai (10:00 UTC), not on those agendas. */
  set_agenda_streams(&tl, &tt);
  leads = make_stream(&tl);
  touches = make_stream(&tt);
  CHECK_STATUS(lk_schedule_arrow(cadence, &leads, &touches, 1717948800, &result),
               LK_OK, "");
  tasks_text(&result, text, sizeof text);
  CHECK(strcmp(text, "B1:follow_up:1718445600:pending;") == 0);
  if (strcmp(text, "B1:follow_up:1718445600:pending;") != 0) {
    printf("schedule: %s\n", text);
  }

  /* Bad input, named; the streams released all the same. */
  set_agenda_streams(&tl, &tt);
  tl.batch_columns[0][4] = (struct column){"birthday", "u", 1, 1, 0, 3,
                                           {NULL, agenda_channel_offsets,
                                            "website"}};
  leads = make_stream(&tl);
  touches = make_stream(&tt);
  CHECK_STATUS(lk_agenda_arrow(cadence, &leads, &touches, 19884, &result),
               LK_INVALID_ARGUMENT,
               "leads.birthday: expected a date (Arrow date32 or date64), got "
               "Arrow type utf8");
  CHECK(tl.released == 1 && tt.released == 1 && result.release == NULL);
  set_agenda_streams(&tl, &tt);
  leads = make_stream(&tl);
  touches = make_stream(&tt);
  CHECK_STATUS(lk_agenda_arrow(cadence, &leads, &touches, 3000000, &result),
               LK_OUT_OF_RANGE, "day 3000000");
  CHECK(tl.released == 1 && tt.released == 1 && result.release == NULL);
  set_agenda_streams(&tl, &tt);
  leads = make_stream(&tl);
  touches = make_stream(&tt);
  CHECK_STATUS(lk_agenda_arrow(NULL, &leads, &touches, 19884, &result),
               LK_INVALID_ARGUMENT, "lk_agenda_arrow: cadence is NULL");
  CHECK(tl.released == 1 && tt.released == 1);
  lk_cadence_free(cadence);
}

/* The rows of a task table with the playbook's actions
 * (lk_schedule_actions_arrow, lk_agenda_actions_arrow) as
 * "lead:task:status:method/content/goal/rule;" text; `reasons` receives the
 * first row's reasons as "reason|reason|" (with a reasons column). */
static void action_text(struct ArrowArrayStream* result, char* out,
                        size_t size, char* reasons, size_t reasons_size) {
  out[0] = '\0';
  if (reasons != NULL) reasons[0] = '\0';
  struct kpi_table t;
  if (read_kpis(result, &t)) {
    CHECK(t.schema.n_children == (reasons != NULL ? 14 : 13));
    const char* names[] = {"method", "content", "goal", "rule"};
    for (int k = 0; k < 4; ++k) {
      CHECK(strcmp(t.schema.children[9 + k]->name, names[k]) == 0);
      CHECK(strcmp(t.schema.children[9 + k]->format, "i") == 0);
    }
    for (int64_t row = 0; row < t.batch.length; ++row) {
      char id[32], task[32], status[32], words[4][64], line[400];
      key_at(&t, 0, row, id, sizeof id);
      key_at(&t, 2, row, task, sizeof task);
      key_at(&t, 5, row, status, sizeof status);
      for (int k = 0; k < 4; ++k) {
        dictionary_at(t.batch.children[9 + k], row, words[k], sizeof words[k]);
      }
      snprintf(line, sizeof line, "%s:%s:%s:%s/%s/%s/%s;", id, task, status,
               words[0], words[1], words[2], words[3]);
      strncat(out, line, size - strlen(out) - 1);
    }
    if (reasons != NULL && t.schema.n_children == 14 && t.batch.length > 0) {
      CHECK(strcmp(t.schema.children[13]->name, "reasons") == 0);
      CHECK(strcmp(t.schema.children[13]->format, "+l") == 0);
      const struct ArrowArray* list = t.batch.children[13];
      const int32_t* offsets = (const int32_t*)list->buffers[1];
      for (int32_t i = offsets[list->offset]; i < offsets[list->offset + 1];
           ++i) {
        char reason[128];
        utf8_at(list->children[0], i, reason, sizeof reason);
        strncat(reasons, reason, reasons_size - strlen(reasons) - 1);
        strncat(reasons, "|", reasons_size - strlen(reasons) - 1);
      }
    }
  }
  free_kpis(&t);
}

/* The schedule of test_schedule with the three_level playbook's actions
 * (docs/playbook.md): S1's first contact "first_contact" (phone,
 * introduction, discover_needs); S2's thank-you "thank_you" (sms, thanks,
 * agree_next_contact); S2's follow-up, without a purpose or an asked price,
 * "follow_up" (phone, updates, strengthen_intent). Collected, a touch of a
 * lead the batch lacks is a row of the errors and S2, without its call, has
 * its first contact overdue like S1. */
static void test_schedule_actions(const lk_policy* policy) {
  lk_cadence* cadence = NULL;
  CHECK_STATUS(lk_cadence_from_policy(policy, &cadence), LK_OK, "");
  if (cadence == NULL) return;
  struct test_stream tl, tt;
  struct ArrowArrayStream leads, touches, result, errors;
  char text[512], reasons[256];
  set_schedule_streams(&tl, &tt);
  leads = make_stream(&tl);
  touches = make_stream(&tt);
  CHECK_STATUS(lk_schedule_actions_arrow(cadence, &leads, &touches, 1740974400,
                                         LK_TASKS_EXPLAIN, &result, NULL),
               LK_OK, "");
  CHECK(tl.released == 1 && tt.released == 1);
  action_text(&result, text, sizeof text, reasons, sizeof reasons);
  const char* want =
      "S1:first_contact:overdue:phone/introduction/discover_needs/"
      "first_contact;"
      "S2:thank_you:pending:sms/thanks/agree_next_contact/thank_you;"
      "S2:follow_up:pending:phone/updates/strengthen_intent/follow_up;";
  CHECK(strcmp(text, want) == 0);
  if (strcmp(text, want) != 0) printf("schedule actions: %s\n", text);
  CHECK(strcmp(reasons,
               "task == \"first_contact\" (value: \"first_contact\")|") == 0);
  if (reasons[0] != 't') printf("reasons: %s\n", reasons);

  /* Collected: the touch of S9 rejected, the tasks of both leads kept. */
  set_schedule_streams(&tl, &tt);
  tt.batch_columns[0][0].buffers[2] = "S9";
  leads = make_stream(&tl);
  touches = make_stream(&tt);
  CHECK_STATUS(lk_schedule_actions_arrow(cadence, &leads, &touches, 1740974400,
                                         LK_TASKS_COLLECT_ERRORS, &result,
                                         &errors),
               LK_OK, "");
  CHECK(tl.released == 1 && tt.released == 1);
  action_text(&result, text, sizeof text, NULL, 0);
  want = "S1:first_contact:overdue:phone/introduction/discover_needs/"
         "first_contact;"
         "S2:first_contact:overdue:phone/introduction/discover_needs/"
         "first_contact;";
  CHECK(strcmp(text, want) == 0);
  if (strcmp(text, want) != 0) printf("collected: %s\n", text);
  struct kpi_table e;
  if (read_kpis(&errors, &e)) {
    char cell[128];
    CHECK(e.schema.n_children == 5 && e.batch.length == 1);
    CHECK(strcmp(e.schema.children[1]->name, "row") == 0);
    key_at(&e, 0, 0, cell, sizeof cell);
    CHECK(strcmp(cell, "touches") == 0);
    CHECK(kpi_value(&e, "row", 0) == 0);
    key_at(&e, 2, 0, cell, sizeof cell);
    CHECK(strcmp(cell, "S9") == 0);
    key_at(&e, 4, 0, cell, sizeof cell);
    CHECK(strstr(cell, "S9") != NULL);
  } else {
    CHECK(!"no errors stream");
  }
  free_kpis(&e);

  /* Bad calls: the streams released all the same, no output. */
  set_schedule_streams(&tl, &tt);
  leads = make_stream(&tl);
  touches = make_stream(&tt);
  CHECK_STATUS(lk_schedule_actions_arrow(cadence, &leads, &touches, 1740974400,
                                         LK_TASKS_COLLECT_ERRORS, &result,
                                         NULL),
               LK_INVALID_ARGUMENT, "lk_schedule_actions_arrow: errors is NULL");
  CHECK(tl.released == 1 && tt.released == 1 && result.release == NULL);
  set_schedule_streams(&tl, &tt);
  leads = make_stream(&tl);
  touches = make_stream(&tt);
  CHECK_STATUS(lk_schedule_actions_arrow(cadence, &leads, &touches, 1740974400,
                                         8u, &result, &errors),
               LK_INVALID_ARGUMENT, "unknown flags 0x8");
  CHECK(tl.released == 1 && tt.released == 1 && result.release == NULL &&
        errors.release == NULL);
  /* Not collected, the touch of S9 fails the call as lk_schedule_arrow's. */
  set_schedule_streams(&tl, &tt);
  tt.batch_columns[0][0].buffers[2] = "S9";
  leads = make_stream(&tl);
  touches = make_stream(&tt);
  CHECK_STATUS(lk_schedule_actions_arrow(cadence, &leads, &touches, 1740974400,
                                         0, &result, &errors),
               LK_INVALID_ARGUMENT, "S9");
  CHECK(tl.released == 1 && tt.released == 1 && result.release == NULL &&
        errors.release == NULL);

  /* The agenda of Monday 2025-03-03 (day 20150) for consultant K1: S1's
   * first contact only; for K2, nothing; for a dealer, the leads have no
   * dealer_id column. */
  set_schedule_streams(&tl, &tt);
  leads = make_stream(&tl);
  touches = make_stream(&tt);
  CHECK_STATUS(lk_agenda_actions_arrow(cadence, &leads, &touches, 20150, "K1",
                                       NULL, 0, &result, NULL),
               LK_OK, "");
  action_text(&result, text, sizeof text, NULL, 0);
  CHECK(strcmp(text,
               "S1:first_contact:pending:phone/introduction/discover_needs/"
               "first_contact;") == 0);
  if (strncmp(text, "S1:", 3) != 0) printf("agenda K1: %s\n", text);
  set_schedule_streams(&tl, &tt);
  leads = make_stream(&tl);
  touches = make_stream(&tt);
  CHECK_STATUS(lk_agenda_actions_arrow(cadence, &leads, &touches, 20150, "K2",
                                       NULL, 0, &result, NULL),
               LK_OK, "");
  action_text(&result, text, sizeof text, NULL, 0);
  CHECK(strcmp(text, "") == 0);
  set_schedule_streams(&tl, &tt);
  leads = make_stream(&tl);
  touches = make_stream(&tt);
  CHECK_STATUS(lk_agenda_actions_arrow(cadence, &leads, &touches, 20150, NULL,
                                       "D1", 0, &result, NULL),
               LK_INVALID_ARGUMENT, "dealer_id");
  CHECK(tl.released == 1 && tt.released == 1 && result.release == NULL);
  set_schedule_streams(&tl, &tt);
  leads = make_stream(&tl);
  touches = make_stream(&tt);
  CHECK_STATUS(lk_agenda_actions_arrow(cadence, &leads, &touches, 3000000,
                                       NULL, NULL, 0, &result, NULL),
               LK_OUT_OF_RANGE, "day 3000000");
  CHECK(tl.released == 1 && tt.released == 1 && result.release == NULL);
  set_schedule_streams(&tl, &tt);
  leads = make_stream(&tl);
  touches = make_stream(&tt);
  CHECK_STATUS(lk_agenda_actions_arrow(NULL, &leads, &touches, 20150, NULL,
                                       NULL, 0, &result, NULL),
               LK_INVALID_ARGUMENT, "lk_agenda_actions_arrow: cadence is NULL");
  CHECK(tl.released == 1 && tt.released == 1 && result.release == NULL);
  lk_cadence_free(cadence);
}

/* Dealer calendars: the example of docs/policy.md ("Calendars per dealer").
 * The abcd preset with calendars sh_office (cn_office) and berlin (weekdays
 * 09:00-18:00, Europe/Berlin); dealer SH on sh_office, BER on berlin. L1 of
 * SH and L2 of BER, grade A, created Monday 2024-05-13 09:30 UTC: 17:30 in
 * Shanghai (first contact within one business hour: 30 minutes that day, 30
 * the next morning: 05-14 09:30 Shanghai, 01:30 UTC, 1715650200) and 11:30 in
 * Berlin (12:30 Berlin, 10:30 UTC, 1715596200). On the policy's own calendar
 * (cn_showroom, Shanghai) both are due 05-14 01:30 UTC. */
static const int32_t dc_ids_offsets[] = {0, 2, 4};
static const int32_t dc_dealer_offsets[] = {0, 2, 5};
static const int32_t dc_grade_offsets[] = {0, 1, 2};
static const int64_t dc_created[] = {1715592600, 1715592600};
static const int32_t dc_calendar_offsets[] = {0, 9, 15};
static const int32_t no_offsets[] = {0};

static void set_dc_leads(struct test_stream* tl, struct test_stream* tt) {
  memset(tl, 0, sizeof *tl);
  tl->n_columns = 4;
  tl->n_batches = 1;
  tl->batch_length[0] = 2;
  struct column* c = tl->batch_columns[0];
  c[0] = (struct column){"lead_id", "u", 2, 0, 0, 3,
                         {NULL, dc_ids_offsets, "L1L2"}};
  c[1] = (struct column){"dealer_id", "u", 2, 0, 0, 3,
                         {NULL, dc_dealer_offsets, "SHBER"}};
  c[2] = (struct column){"grade", "u", 2, 0, 0, 3,
                         {NULL, dc_grade_offsets, "AA"}};
  c[3] = (struct column){"created_at", "tss:UTC", 2, 0, 0, 2,
                         {NULL, dc_created, NULL}};
  memset(tt, 0, sizeof *tt);
  tt->n_columns = 3;
  tt->n_batches = 1;
  tt->batch_length[0] = 0;
  c = tt->batch_columns[0];
  c[0] = (struct column){"lead_id", "u", 0, 0, 0, 3, {NULL, no_offsets, ""}};
  c[1] = (struct column){"at", "tss:UTC", 0, 0, 0, 2, {NULL, NULL, NULL}};
  c[2] = (struct column){"method", "u", 0, 0, 0, 3, {NULL, no_offsets, ""}};
}

static void set_dc_dealers(struct test_stream* td, const char* calendars) {
  memset(td, 0, sizeof *td);
  td->n_columns = 2;
  td->n_batches = 1;
  td->batch_length[0] = 2;
  struct column* c = td->batch_columns[0];
  c[0] = (struct column){"dealer_id", "u", 2, 0, 0, 3,
                         {NULL, dc_dealer_offsets, "SHBER"}};
  c[1] = (struct column){"calendar", "u", 2, 0, 0, 3,
                         {NULL, dc_calendar_offsets, calendars}};
}

static void test_dealer_calendars(void) {
  lk_policy* abcd = NULL;
  char* doc = NULL;
  CHECK_STATUS(lk_policy_from_preset("abcd", &abcd), LK_OK, "");
  CHECK_STATUS(lk_policy_to_json(abcd, &doc), LK_OK, "");
  lk_policy_free(abcd);
  if (doc == NULL) return;
  /* The preset's document with "calendars" added before its closing brace. */
  static const char kCalendars[] =
      ", \"calendars\": {\"sh_office\": \"cn_office\", \"berlin\": {\"name\": "
      "\"berlin_office\", \"time_zone\": \"Europe/Berlin\", \"weekly\": "
      "{\"mon\": [[\"09:00\", \"18:00\"]], \"tue\": [[\"09:00\", \"18:00\"]], "
      "\"wed\": [[\"09:00\", \"18:00\"]], \"thu\": [[\"09:00\", \"18:00\"]], "
      "\"fri\": [[\"09:00\", \"18:00\"]]}}}}";
  CHECK(!contains(doc, "\"calendars\""));
  char* end = strrchr(doc, '}');
  const size_t head = end == NULL ? 0 : (size_t)(end - doc);
  char* group_doc = malloc(head + sizeof kCalendars);
  if (group_doc == NULL || end == NULL) {
    ++failures;
    free(group_doc);
    lk_string_free(doc);
    return;
  }
  memcpy(group_doc, doc, head);
  memcpy(group_doc + head, kCalendars, sizeof kCalendars);
  lk_string_free(doc);
  lk_policy* group = NULL;
  char* issues = NULL;
  CHECK_STATUS(lk_policy_from_json(group_doc, strlen(group_doc), &group, &issues),
               LK_OK, "");
  if (group == NULL && issues != NULL) printf("issues: %s\n", issues);
  lk_string_free(issues);
  free(group_doc);
  lk_cadence* cadence = NULL;
  CHECK_STATUS(lk_cadence_from_policy(group, &cadence), LK_OK, "");
  lk_policy_free(group);
  if (cadence == NULL) return;

  struct test_stream td, tl, tt;
  set_dc_dealers(&td, "sh_officeberlin");
  struct ArrowArrayStream dealers = make_stream(&td);
  lk_cadence* by_dealer = NULL;
  CHECK_STATUS(lk_cadence_with_dealers(cadence, &dealers, &by_dealer), LK_OK, "");
  CHECK(td.released == 1);
  char text[512];
  struct ArrowArrayStream leads, touches, result;
  const lk_cadence* cadences[] = {cadence, by_dealer};
  const char* expected[] = {
      "L1:first_contact:1715650200:overdue;L2:first_contact:1715650200:overdue;",
      "L1:first_contact:1715650200:overdue;L2:first_contact:1715596200:overdue;"};
  for (int i = 0; i < 2 && by_dealer != NULL; ++i) {
    set_dc_leads(&tl, &tt);
    leads = make_stream(&tl);
    touches = make_stream(&tt);
    CHECK_STATUS(lk_schedule_arrow(cadences[i], &leads, &touches, 1715688000,
                                   &result),
                 LK_OK, "");
    tasks_text(&result, text, sizeof text);
    CHECK(strcmp(text, expected[i]) == 0);
    if (strcmp(text, expected[i]) != 0) printf("dealer calendars %d: %s\n", i, text);
  }
  /* The agenda of 2024-05-13 (day 19856), each lead's day its dealer's: L1's
   * first contact opens that day in Shanghai, L2's is due that day in
   * Berlin. */
  if (by_dealer != NULL) {
    set_dc_leads(&tl, &tt);
    leads = make_stream(&tl);
    touches = make_stream(&tt);
    CHECK_STATUS(lk_agenda_arrow(by_dealer, &leads, &touches, 19856, &result),
                 LK_OK, "");
    tasks_text(&result, text, sizeof text);
    CHECK(strcmp(text, "L1:first_contact:1715650200:pending;"
                       "L2:first_contact:1715596200:pending;") == 0);
    if (failures != 0) printf("dealer agenda: %s\n", text);
  }
  lk_cadence_free(by_dealer);

  /* A calendar the policy does not name. */
  set_dc_dealers(&td, "sh_officeberln");
  td.batch_columns[0][1].buffers[1] = (const int32_t[]){0, 9, 14};
  dealers = make_stream(&td);
  by_dealer = NULL;
  CHECK_STATUS(lk_cadence_with_dealers(cadence, &dealers, &by_dealer),
               LK_INVALID_ARGUMENT,
               "dealers row 1: dealer_id \"BER\": unknown calendar \"berln\"");
  CHECK(td.released == 1 && by_dealer == NULL);
  /* A calendar column of numbers. */
  set_dc_dealers(&td, "sh_officeberlin");
  td.batch_columns[0][1] = (struct column){"calendar", "l", 2, 0, 0, 2,
                                           {NULL, dc_created, NULL}};
  dealers = make_stream(&td);
  CHECK_STATUS(lk_cadence_with_dealers(cadence, &dealers, &by_dealer),
               LK_INVALID_ARGUMENT, "dealers.calendar: expected strings");
  CHECK(td.released == 1 && by_dealer == NULL);
  lk_cadence_free(cadence);
}

/* Hand-over, worked by hand: dealer D1 (Shanghai) with C1 (leaving), C2
 * (2 open leads of at most 3; every model) and C3 (no open lead; models
 * ["GLC"], an Arrow list). C1's open leads, all grade low, in order:
 *   H1 C200  C3 does not sell it: C2 (its load 3, full)    moved
 *   H2 GLC   C2 full: C3 (load 1)                           moved
 *   H3 GLC   C2's, who stays: not moved, no row
 *   H4 GLC   C3 (load 2)                                    moved
 *   H5 C200  C2 full, C3 does not sell it                   unassigned
 * The leads' arrays start one row early (offset 1), as a slice's do. */
static const int32_t three_ids_offsets[] = {0, 2, 4, 6};
static const double one_lat[] = {31.23};
static const double one_lon[] = {121.47};
static const int32_t one_offsets[] = {0, 2};
static const uint8_t c_models_valid[] = {0x04};
static const int32_t c_models_offsets[] = {0, 0, 0, 1};
static const int32_t c_model_name_offsets[] = {0, 3};
static const int64_t c_open[] = {0, 2, 0};
static const uint8_t c_max_valid[] = {0x02};
static const int64_t c_max[] = {0, 3, 0};

static void set_one_dealer(struct test_stream* td) {
  memset(td, 0, sizeof *td);
  td->n_columns = 4;
  td->n_batches = 1;
  td->batch_length[0] = 1;
  struct column* c = td->batch_columns[0];
  c[0] = (struct column){"dealer_id", "u", 1, 0, 0, 3, {NULL, one_offsets, "D1"}};
  c[1] = (struct column){"region_id", "u", 1, 0, 0, 3, {NULL, one_offsets, "R1"}};
  c[2] = (struct column){"lat", "g", 1, 0, 0, 2, {NULL, one_lat, NULL}};
  c[3] = (struct column){"lon", "g", 1, 0, 0, 2, {NULL, one_lon, NULL}};
}

static const struct column glc_names = {"", "u", 1, 0, 0, 3,
                                        {NULL, c_model_name_offsets, "GLC"}};

static void set_three_consultants(struct test_stream* tc) {
  memset(tc, 0, sizeof *tc);
  tc->n_columns = 5;
  tc->n_batches = 1;
  tc->batch_length[0] = 3;
  struct column* c = tc->batch_columns[0];
  c[0] = (struct column){"consultant_id", "u", 3, 0, 0, 3,
                         {NULL, three_ids_offsets, "C1C2C3"}};
  c[1] = (struct column){"dealer_id", "u", 3, 0, 0, 3,
                         {NULL, three_ids_offsets, "D1D1D1"}};
  c[2] = (struct column){"models", "+l", 3, 0, 2, 2,
                         {c_models_valid, c_models_offsets, NULL}};
  tc->values[2] = &glc_names;
  c[3] = (struct column){"open_leads", "l", 3, 0, 0, 2, {NULL, c_open, NULL}};
  c[4] = (struct column){"max_open_leads", "l", 3, 0, 2, 2,
                         {c_max_valid, c_max, NULL}};
}

static lk_router* make_one_dealer_router(const lk_policy* policy) {
  struct test_stream td, tc;
  set_one_dealer(&td);
  set_three_consultants(&tc);
  struct ArrowArrayStream dealers = make_stream(&td);
  struct ArrowArrayStream consultants = make_stream(&tc);
  lk_router* router = NULL;
  CHECK_STATUS(lk_router_create(policy, &dealers, &consultants, NULL, &router),
               LK_OK, "");
  CHECK(td.released == 1 && tc.released == 1);
  return router;
}

static const int32_t ho_ids_offsets[] = {0, 4, 6, 8, 10, 12, 14};
static const int64_t ho_created[] = {0, 1740967200, 1740967200, 1740967200,
                                     1740967200, 1740967200};
static const int32_t ho_consultant_offsets[] = {0, 0, 2, 4, 6, 8, 10};
static const int32_t ho_model_offsets[] = {0, 0, 4, 7, 10, 13, 17};
static const int32_t ho_grade_offsets[] = {0, 0, 3, 6, 9, 12, 15};

static void set_open_leads(struct test_stream* t) {
  memset(t, 0, sizeof *t);
  t->n_columns = 5;
  t->n_batches = 1;
  t->batch_length[0] = 5;
  struct column* c = t->batch_columns[0];
  c[0] = (struct column){"lead_id", "u", 5, 1, 0, 3,
                         {NULL, ho_ids_offsets, "skipH1H2H3H4H5"}};
  c[1] = (struct column){"created_at", "tss:UTC", 5, 1, 0, 2,
                         {NULL, ho_created, NULL}};
  c[2] = (struct column){"consultant_id", "u", 5, 1, 0, 3,
                         {NULL, ho_consultant_offsets, "C1C1C2C1C1"}};
  c[3] = (struct column){"model", "u", 5, 1, 0, 3,
                         {NULL, ho_model_offsets, "C200GLCGLCGLCC200"}};
  c[4] = (struct column){"grade", "u", 5, 1, 0, 3,
                         {NULL, ho_grade_offsets, "lowlowlowlowlow"}};
}

static void test_handover(const lk_policy* policy) {
  lk_router* router = make_one_dealer_router(policy);
  if (router == NULL) return;
  struct test_stream tl;
  set_open_leads(&tl);
  struct ArrowArrayStream open_leads = make_stream(&tl), result;
  const char* leaving[] = {"C1"};
  CHECK_STATUS(lk_router_handover_arrow(router, &open_leads, leaving, 1, &result),
               LK_OK, "");
  CHECK(tl.released == 1);
  char text[512];
  moves_text(&result, text, sizeof text);
  const char expected[] =
      "H1:C1>C2:moved:handover;H2:C1>C3:moved:handover;"
      "H4:C1>C3:moved:handover;H5:C1>null:unassigned:no_eligible_consultant;";
  CHECK(strcmp(text, expected) == 0);
  if (strcmp(text, expected) != 0) printf("handover: %s\n", text);

  /* Nobody leaving: no move. An unknown consultant: named. */
  set_open_leads(&tl);
  open_leads = make_stream(&tl);
  CHECK_STATUS(lk_router_handover_arrow(router, &open_leads, NULL, 0, &result),
               LK_OK, "");
  moves_text(&result, text, sizeof text);
  CHECK(strcmp(text, "") == 0);
  set_open_leads(&tl);
  open_leads = make_stream(&tl);
  const char* unknown[] = {"C9"};
  CHECK_STATUS(lk_router_handover_arrow(router, &open_leads, unknown, 1, &result),
               LK_NOT_FOUND, "leaving: unknown consultant 'C9'");
  CHECK(tl.released == 1 && result.release == NULL);
  /* A grade the policy does not have, a created_at without a zone. */
  set_open_leads(&tl);
  tl.batch_columns[0][4].buffers[2] = "lowlowlowlowhot";
  tl.batch_columns[0][4].buffers[1] = (const int32_t[]){0, 0, 3, 6, 9, 12, 15};
  open_leads = make_stream(&tl);
  CHECK_STATUS(lk_router_handover_arrow(router, &open_leads, leaving, 1, &result),
               LK_INVALID_ARGUMENT,
               "open_leads.grade: row 4 (lead_id \"H5\") has \"hot\"");
  set_open_leads(&tl);
  tl.batch_columns[0][1].format = "tss:";
  open_leads = make_stream(&tl);
  CHECK_STATUS(lk_router_handover_arrow(router, &open_leads, leaving, 1, &result),
               LK_INVALID_ARGUMENT, "open_leads.created_at: timestamps without a time zone");
  CHECK(tl.released == 1 && result.release == NULL);
  lk_router_free(router);

  /* A models list holding a null, named with its row. */
  struct test_stream td, tc;
  set_one_dealer(&td);
  set_three_consultants(&tc);
  static const uint8_t null_name[] = {0x00};
  static const struct column null_names = {"", "u", 1, 0, 1, 3,
                                           {null_name, c_model_name_offsets, "GLC"}};
  tc.values[2] = &null_names;
  struct ArrowArrayStream dealers = make_stream(&td);
  struct ArrowArrayStream consultants = make_stream(&tc);
  router = NULL;
  CHECK_STATUS(lk_router_create(policy, &dealers, &consultants, NULL, &router),
               LK_INVALID_ARGUMENT,
               "consultants.models: row 2 (consultant_id \"C3\") has a null in its list");
  CHECK(router == NULL && td.released == 1 && tc.released == 1);
  /* A list of numbers. */
  set_one_dealer(&td);
  set_three_consultants(&tc);
  static const int64_t numbers[] = {5};
  static const struct column number_list = {"", "l", 1, 0, 0, 2,
                                            {NULL, numbers, NULL}};
  tc.values[2] = &number_list;
  dealers = make_stream(&td);
  consultants = make_stream(&tc);
  CHECK_STATUS(lk_router_create(policy, &dealers, &consultants, NULL, &router),
               LK_INVALID_ARGUMENT,
               "consultants.models: expected a list of strings (Arrow utf8, "
               "large_utf8, string_view or a dictionary of them), got Arrow type "
               "list<int64>");
  CHECK(router == NULL);
}

/* Reclaim, worked by hand on the same network and the three_level preset
 * (reclaim_limit 2; first contact within one business hour of cn_showroom):
 * leads created Monday 2025-03-03 10:00 Shanghai, judged at 12:00 (first
 * contacts due at 11:00):
 *   K1 C1 D1 C200, no touch          late: C2 (C3 does not sell C200)  reclaimed, 1
 *   K2 C1 D1 C200, called at 10:20   on time: no row
 *   K3 C1 D1, reassigned twice       late, at the limit                escalated, 2
 *   K4 C1, no dealer                 late                              unassigned, 0 */
static const int32_t rc_ids_offsets[] = {0, 2, 4, 6, 8};
static const int64_t rc_created[] = {1740967200, 1740967200, 1740967200,
                                     1740967200};
static const int32_t rc_consultant_offsets[] = {0, 2, 4, 6, 8};
static const uint8_t rc_dealer_valid[] = {0x07};
static const int32_t rc_dealer_offsets[] = {0, 2, 4, 6, 6};
static const uint8_t rc_model_valid[] = {0x03};
static const int32_t rc_model_offsets[] = {0, 4, 8, 8, 8};
static const int32_t rc_grade_offsets[] = {0, 3, 6, 9, 12};
static const uint8_t rc_count_valid[] = {0x04};
static const double rc_count[] = {0, 0, 2, 0};
static const int32_t rc_touch_ids_offsets[] = {0, 2};
static const int64_t rc_touch_at[] = {1740968400};
static const int32_t rc_method_offsets[] = {0, 5};

static void test_reclaim(const lk_policy* policy) {
  lk_router* router = make_one_dealer_router(policy);
  lk_cadence* cadence = NULL;
  CHECK_STATUS(lk_cadence_from_policy(policy, &cadence), LK_OK, "");
  if (router == NULL || cadence == NULL) {
    lk_router_free(router);
    lk_cadence_free(cadence);
    return;
  }
  struct test_stream tl, tt;
  memset(&tl, 0, sizeof tl);
  tl.n_columns = 7;
  tl.n_batches = 1;
  tl.batch_length[0] = 4;
  struct column* c = tl.batch_columns[0];
  c[0] = (struct column){"lead_id", "u", 4, 0, 0, 3,
                         {NULL, rc_ids_offsets, "K1K2K3K4"}};
  c[1] = (struct column){"created_at", "tss:Asia/Shanghai", 4, 0, 0, 2,
                         {NULL, rc_created, NULL}};
  c[2] = (struct column){"consultant_id", "u", 4, 0, 0, 3,
                         {NULL, rc_consultant_offsets, "C1C1C1C1"}};
  c[3] = (struct column){"dealer_id", "u", 4, 0, 1, 3,
                         {rc_dealer_valid, rc_dealer_offsets, "D1D1D1"}};
  c[4] = (struct column){"model", "u", 4, 0, 2, 3,
                         {rc_model_valid, rc_model_offsets, "C200C200"}};
  c[5] = (struct column){"grade", "u", 4, 0, 0, 3,
                         {NULL, rc_grade_offsets, "lowlowlowlow"}};
  c[6] = (struct column){"reassignments", "g", 4, 0, 3, 2,
                         {rc_count_valid, rc_count, NULL}};
  memset(&tt, 0, sizeof tt);
  tt.n_columns = 3;
  tt.n_batches = 1;
  tt.batch_length[0] = 1;
  c = tt.batch_columns[0];
  c[0] = (struct column){"lead_id", "u", 1, 0, 0, 3,
                         {NULL, rc_touch_ids_offsets, "K2"}};
  c[1] = (struct column){"at", "tss:UTC", 1, 0, 0, 2, {NULL, rc_touch_at, NULL}};
  c[2] = (struct column){"method", "u", 1, 0, 0, 3,
                         {NULL, rc_method_offsets, "phone"}};
  struct ArrowArrayStream leads = make_stream(&tl), touches = make_stream(&tt),
                          result;
  CHECK_STATUS(lk_router_reclaim_arrow(router, cadence, &leads, &touches,
                                       1740974400, &result),
               LK_OK, "");
  CHECK(tl.released == 1 && tt.released == 1);
  char text[512];
  moves_text(&result, text, sizeof text);
  const char expected[] =
      "K1:C1>C2:reclaimed:first_contact_overdue:1;"
      "K3:C1>null:escalated:reclaim_limit:2;"
      "K4:C1>null:unassigned:no_dealer:0;";
  CHECK(strcmp(text, expected) == 0);
  if (strcmp(text, expected) != 0) printf("reclaim: %s\n", text);

  /* A count that is not whole, named. */
  static const double half[] = {0, 0, 1.5, 0};
  tl.batch_columns[0][6].buffers[1] = half;
  tl.released = 0;
  tl.next = 0;
  tt.released = 0;
  tt.next = 0;
  leads = make_stream(&tl);
  touches = make_stream(&tt);
  CHECK_STATUS(lk_router_reclaim_arrow(router, cadence, &leads, &touches,
                                       1740974400, &result),
               LK_INVALID_ARGUMENT, "lead_id \"K3\": reassignments must be a count, got 1.5");
  CHECK(tl.released == 1 && tt.released == 1 && result.release == NULL);
  lk_cadence_free(cadence);
  lk_router_free(router);
}

/* ---- Follow-up effectiveness ---------------------------------------------------- */

/* The example of docs/kpis.md ("leadkit.effectiveness"), worked out there:
 * eight leads of June 2024 (Shanghai) and twelve touches, judged at 06-20
 * 12:00. E5 and E8 have no status, E6 is invalid, E8 and E7's last touch
 * come after as_of, E3 is won after it. */
static const int32_t eff_ids_offsets[] = {0, 2, 4, 6, 8, 10, 12, 14, 16};
static const int64_t eff_created[] = {1717203600, 1717290000, 1717376400, 1717549200, 1717635600, 1717722000, 1717808400, 1718931600};
static const uint8_t eff_status_valid[] = {0x6f};
static const int32_t eff_status_offsets[] = {0, 3, 7, 10, 14, 14, 21, 24, 24};
static const char eff_status_chars[] = "wonopenwonlostinvalidwon";
static const uint8_t eff_won_valid[] = {0x05};
static const int64_t eff_won_at[] = {1717984800, 0, 1719280800, 0, 0, 0, 0, 0};
static const int32_t eff_touch_ids_offsets[] = {0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24};
static const char eff_touch_ids_chars[] = "E1E1E1E2E2E3E3E4E6E7E7E7";
static const int64_t eff_touch_at[] = {1717207200, 1717380000, 1717552800, 1717293600, 1718157600, 1717383600, 1717470000, 1717639200, 1717725600, 1717812000, 1717855200, 1718935200};
static const int32_t eff_method_offsets[] = {0, 5, 11, 16, 21, 26, 32, 37, 42, 47, 52, 57, 62};
static const char eff_method_chars[] = "phonewechatphonephonephonewechatphonevisitphonephonephonephone";
static const int64_t eff_as_of = 1718856000;

static void set_effectiveness(struct test_stream* leads,
                              struct test_stream* touches) {
  memset(leads, 0, sizeof *leads);
  leads->n_columns = 4;
  leads->n_batches = 1;
  leads->batch_length[0] = 8;
  struct column* c = leads->batch_columns[0];
  c[0] = (struct column){"lead_id", "u", 8, 0, 0, 3,
                         {NULL, eff_ids_offsets, "E1E2E3E4E5E6E7E8"}};
  c[1] = (struct column){"created_at", "tss:Asia/Shanghai", 8, 0, 0, 2,
                         {NULL, eff_created, NULL}};
  c[2] = (struct column){"status", "u", 8, 0, 2, 3,
                         {eff_status_valid, eff_status_offsets, eff_status_chars}};
  c[3] = (struct column){"won_at", "tss:Asia/Shanghai", 8, 0, 6, 2,
                         {eff_won_valid, eff_won_at, NULL}};
  memset(touches, 0, sizeof *touches);
  touches->n_columns = 3;
  touches->n_batches = 1;
  touches->batch_length[0] = 12;
  c = touches->batch_columns[0];
  c[0] = (struct column){"lead_id", "u", 12, 0, 0, 3,
                         {NULL, eff_touch_ids_offsets, eff_touch_ids_chars}};
  c[1] = (struct column){"at", "tss:Asia/Shanghai", 12, 0, 0, 2,
                         {NULL, eff_touch_at, NULL}};
  c[2] = (struct column){"method", "u", 12, 0, 0, 3,
                         {NULL, eff_method_offsets, eff_method_chars}};
}

static void test_effectiveness(void) {
  struct test_stream tl, tt;
  struct ArrowArrayStream leads, touches, result;
  struct kpi_table table;
  char group[24];

  /* By method mix. */
  lk_effectiveness_state* state = NULL;
  CHECK_STATUS(lk_effectiveness_state_create(NULL, NULL, 0, 0, &state), LK_OK, "");
  set_effectiveness(&tl, &tt);
  leads = make_stream(&tl);
  touches = make_stream(&tt);
  CHECK_STATUS(lk_effectiveness_state_add(state, NULL, &leads, &touches, eff_as_of),
               LK_OK, "");
  CHECK(tl.released == 1 && tt.released == 1);
  CHECK_STATUS(lk_effectiveness_state_finalize(state, &result), LK_OK, "");
  if (read_kpis(&result, &table)) {
    static const char* const mixes[] = {"none", "phone", "phone+wechat", "visit"};
    static const double leads_of[] = {1, 2, 2, 1};
    static const double won_of[] = {0, 1, 1, 0};
    static const double touches_of[] = {0, 4, 5, 1};
    CHECK(table.batch.length == 4);
    CHECK(strcmp(table.schema.children[0]->name, "method_mix") == 0);
    for (int64_t row = 0; row < table.batch.length && row < 4; ++row) {
      key_at(&table, 0, row, group, sizeof group);
      CHECK(strcmp(group, mixes[row]) == 0);
      CHECK(kpi_value(&table, "leads", row) == leads_of[row]);
      CHECK(kpi_value(&table, "won", row) == won_of[row]);
      CHECK(kpi_value(&table, "touches", row) == touches_of[row]);
      CHECK(kpi_value(&table, "touches_per_lead", row) ==
            touches_of[row] / leads_of[row]);
    }
  }
  free_kpis(&table);
  uint8_t* bytes = NULL;
  size_t size = 0;
  CHECK_STATUS(lk_effectiveness_state_serialize(state, &bytes, &size), LK_OK, "");
  lk_effectiveness_state* loaded = NULL;
  CHECK_STATUS(lk_effectiveness_state_deserialize(bytes, size, &loaded), LK_OK, "");
  lk_bytes_free(bytes);
  CHECK_STATUS(lk_effectiveness_state_merge(state, loaded), LK_OK, "");
  lk_effectiveness_state_free(loaded);
  CHECK_STATUS(lk_effectiveness_state_finalize(state, &result), LK_OK, "");
  if (read_kpis(&result, &table)) CHECK(kpi_value(&table, "touches", 2) == 10);
  free_kpis(&table);
  lk_effectiveness_state_free(state);

  /* By interval: every group, the empty ones with NaN rates. */
  CHECK_STATUS(lk_effectiveness_state_create("interval", NULL, 0, 0, &state), LK_OK,
               "");
  set_effectiveness(&tl, &tt);
  leads = make_stream(&tl);
  touches = make_stream(&tt);
  CHECK_STATUS(lk_effectiveness_state_add(state, NULL, &leads, &touches, eff_as_of),
               LK_OK, "");
  CHECK_STATUS(lk_effectiveness_state_finalize(state, &result), LK_OK, "");
  if (read_kpis(&result, &table)) {
    static const char* const groups[] = {"no_touch", "single_touch", "<1d", "1-3d",
                                         "3-7d", "7-14d", "14-30d", "30d+"};
    static const double leads_of[] = {1, 1, 1, 2, 0, 1, 0, 0};
    static const double won_of[] = {0, 0, 1, 1, 0, 0, 0, 0};
    CHECK(table.batch.length == 8);
    for (int64_t row = 0; row < table.batch.length && row < 8; ++row) {
      key_at(&table, 0, row, group, sizeof group);
      CHECK(strcmp(group, groups[row]) == 0);
      CHECK(kpi_value(&table, "leads", row) == leads_of[row]);
      CHECK(kpi_value(&table, "won", row) == won_of[row]);
    }
    CHECK(isnan(kpi_value(&table, "conversion_rate", 4)));
  }
  free_kpis(&table);
  lk_effectiveness_state_free(state);

  /* Bad options, named; a playbook state needs the policy. */
  const double backwards[] = {3, 1};
  CHECK_STATUS(lk_effectiveness_state_create("interval", backwards, 2, 0, &state),
               LK_INVALID_ARGUMENT, "interval_buckets");
  CHECK(state == NULL);
  CHECK_STATUS(lk_effectiveness_state_create("mix", NULL, 0, 0, &state),
               LK_INVALID_ARGUMENT, "view: \"mix\"");
  CHECK_STATUS(lk_effectiveness_state_create("action", NULL, 0, 1, &state), LK_OK,
               "");
  set_effectiveness(&tl, &tt);
  leads = make_stream(&tl);
  touches = make_stream(&tt);
  CHECK_STATUS(lk_effectiveness_state_add(state, NULL, &leads, &touches, eff_as_of),
               LK_FAILED_PRECONDITION, "");
  CHECK(tl.released == 1 && tt.released == 1);
  lk_effectiveness_state_free(state);
  lk_effectiveness_state_free(NULL);
}

/* ---- The pipeline reports ------------------------------------------------------- */

/* The example of docs/kpis.md ("leadkit.pipeline"), worked out there: eight
 * leads under oabc (grades O, A, B, C), at 2024-06-20 12:00 Shanghai. Open:
 * P1 (O, after two touches), P5 (A: lost but the review rejected), P6 (no
 * grade: classified O, deposit paid). */
static const int32_t pl_ids_offsets[] = {0, 2, 4, 6, 8, 10, 12, 14, 16};
static const int64_t pl_created[] = {1715306400, 1715738400, 1716170400, 1716602400, 1717293600, 1717466400, 1717725600, 1719280800};
static const uint8_t pl_grade_valid[] = {0xdf};
static const int32_t pl_grade_offsets[] = {0, 1, 2, 3, 4, 5, 5, 6, 7};
static const char pl_grade_chars[] = "BCBCACC";
static const uint8_t pl_deposit[] = {0x20};
static const uint8_t pl_status_valid[] = {0xdf};
static const int32_t pl_status_offsets[] = {0, 4, 7, 11, 15, 19, 19, 26, 30};
static const char pl_status_chars[] = "openwonlostlostlostinvalidopen";
static const uint8_t pl_won_valid[] = {0x02};
static const int64_t pl_won_at[] = {0, 1718002800, 0, 0, 0, 0, 0, 0};
static const uint8_t pl_lost_valid[] = {0x1c};
static const int64_t pl_lost_at[] = {0, 0, 1717380000, 1717812000, 1717639200, 0, 0, 0};
static const uint8_t pl_review_valid[] = {0x1c};
static const int32_t pl_review_offsets[] = {0, 0, 0, 8, 15, 23, 23, 23, 23};
static const char pl_review_chars[] = "approvedpendingrejected";
static const int32_t pl_touch_ids_offsets[] = {0, 2, 4, 6, 8, 10, 12, 14, 16};
static const char pl_touch_ids_chars[] = "P1P1P2P2P2P2P3P5";
static const int64_t pl_touch_at[] = {1716170400, 1717552800, 1715824800, 1717207200, 1717981200, 1718157600, 1716256800, 1717297200};
static const int32_t pl_method_offsets[] = {0, 5, 10, 15, 20, 25, 31, 36, 41};
static const char pl_method_chars[] = "phonephonephonevisitphonewechatphonephone";
static const uint8_t pl_grade_after_valid[] = {0x0f};
static const int32_t pl_grade_after_offsets[] = {0, 1, 2, 3, 4, 4, 4, 4, 4};
static const char pl_grade_after_chars[] = "AOBA";
static const int64_t pl_at = 1718856000;

static void set_pipeline(struct test_stream* leads, struct test_stream* touches) {
  memset(leads, 0, sizeof *leads);
  leads->n_columns = 8;
  leads->n_batches = 1;
  leads->batch_length[0] = 8;
  struct column* c = leads->batch_columns[0];
  c[0] = (struct column){"lead_id", "u", 8, 0, 0, 3,
                         {NULL, pl_ids_offsets, "P1P2P3P4P5P6P7P8"}};
  c[1] = (struct column){"created_at", "tss:Asia/Shanghai", 8, 0, 0, 2,
                         {NULL, pl_created, NULL}};
  c[2] = (struct column){"grade", "u", 8, 0, 1, 3,
                         {pl_grade_valid, pl_grade_offsets, pl_grade_chars}};
  c[3] = (struct column){"deposit_paid", "b", 8, 0, 0, 2,
                         {NULL, pl_deposit, NULL}};
  c[4] = (struct column){"status", "u", 8, 0, 1, 3,
                         {pl_status_valid, pl_status_offsets, pl_status_chars}};
  c[5] = (struct column){"won_at", "tss:Asia/Shanghai", 8, 0, 7, 2,
                         {pl_won_valid, pl_won_at, NULL}};
  c[6] = (struct column){"lost_at", "tss:Asia/Shanghai", 8, 0, 5, 2,
                         {pl_lost_valid, pl_lost_at, NULL}};
  c[7] = (struct column){"lost_review", "u", 8, 0, 5, 3,
                         {pl_review_valid, pl_review_offsets, pl_review_chars}};
  memset(touches, 0, sizeof *touches);
  touches->n_columns = 4;
  touches->n_batches = 1;
  touches->batch_length[0] = 8;
  c = touches->batch_columns[0];
  c[0] = (struct column){"lead_id", "u", 8, 0, 0, 3,
                         {NULL, pl_touch_ids_offsets, pl_touch_ids_chars}};
  c[1] = (struct column){"at", "tss:Asia/Shanghai", 8, 0, 0, 2,
                         {NULL, pl_touch_at, NULL}};
  c[2] = (struct column){"method", "u", 8, 0, 0, 3,
                         {NULL, pl_method_offsets, pl_method_chars}};
  c[3] = (struct column){"grade_after", "u", 8, 0, 4, 3,
                         {pl_grade_after_valid, pl_grade_after_offsets,
                          pl_grade_after_chars}};
}

static void test_pipeline(void) {
  lk_policy* oabc = NULL;
  CHECK_STATUS(lk_policy_from_preset("oabc", &oabc), LK_OK, "");
  if (oabc == NULL) return;
  struct test_stream tl, tt;
  struct ArrowArrayStream leads, touches, result;
  struct kpi_table table;
  char grade[8];
  lk_pipeline_state* state = NULL;
  CHECK_STATUS(lk_pipeline_state_create("pipeline", oabc, NULL, 0, pl_at, 0, 0, 0,
                                        NULL, 0, &state),
               LK_OK, "");
  set_pipeline(&tl, &tt);
  leads = make_stream(&tl);
  touches = make_stream(&tt);
  CHECK_STATUS(lk_pipeline_state_add(state, oabc, &leads, &touches), LK_OK, "");
  CHECK(tl.released == 1 && tt.released == 1);
  uint8_t* bytes = NULL;
  size_t size = 0;
  CHECK_STATUS(lk_pipeline_state_serialize(state, &bytes, &size), LK_OK, "");
  lk_pipeline_state_free(state);
  state = NULL;
  CHECK_STATUS(lk_pipeline_state_deserialize(bytes, size, &state), LK_OK, "");
  lk_bytes_free(bytes);
  CHECK_STATUS(lk_pipeline_state_finalize(state, &result), LK_OK, "");
  if (read_kpis(&result, &table)) {
    static const char* const grades[] = {"O", "A", "B", "C"};
    static const double open[] = {2, 1, 0, 0};
    CHECK(table.batch.length == 4);
    for (int64_t row = 0; row < table.batch.length && row < 4; ++row) {
      key_at(&table, 0, row, grade, sizeof grade);
      CHECK(strcmp(grade, grades[row]) == 0);
      CHECK(kpi_value(&table, "open_leads", row) == open[row]);
      CHECK(kpi_value(&table, "share", row) == open[row] / 3);
    }
  }
  free_kpis(&table);

  /* Touches per won lead needs no policy: P2, won 06-10 15:00, with its
   * touches of 05-16, 06-01 and 06-10 09:00 (the one of 06-12 comes after the
   * sale). */
  lk_pipeline_state* touches_state = NULL;
  CHECK_STATUS(lk_pipeline_state_create("touches_per_won_lead", NULL, NULL, 0, 0, 0,
                                        0, pl_at, NULL, 0, &touches_state),
               LK_OK, "");
  set_pipeline(&tl, &tt);
  leads = make_stream(&tl);
  touches = make_stream(&tt);
  CHECK_STATUS(lk_pipeline_state_add(touches_state, NULL, &leads, &touches), LK_OK,
               "");
  CHECK_STATUS(lk_pipeline_state_finalize(touches_state, &result), LK_OK, "");
  if (read_kpis(&result, &table)) {
    CHECK(table.batch.length == 1);
    CHECK(kpi_value(&table, "won_leads", 0) == 1);
    CHECK(kpi_value(&table, "touches", 0) == 3);
    CHECK(kpi_value(&table, "touches_per_won_lead", 0) == 3);
  }
  free_kpis(&table);
  CHECK(lk_pipeline_state_merge(state, touches_state) == LK_FAILED_PRECONDITION);
  lk_pipeline_state_free(touches_state);
  lk_pipeline_state_free(state);

  /* Bad options, named. */
  CHECK_STATUS(lk_pipeline_state_create("pipelines", oabc, NULL, 0, pl_at, 0, 0, 0,
                                        NULL, 0, &state),
               LK_INVALID_ARGUMENT, "report: \"pipelines\"");
  CHECK(state == NULL);
  CHECK_STATUS(lk_pipeline_state_create("grade_migration", oabc, NULL, 0, 0, pl_at,
                                        pl_at - 86400, 0, NULL, 0, &state),
               LK_INVALID_ARGUMENT, "");
  const char* bad_month[] = {"2024-6"};
  CHECK_STATUS(lk_pipeline_state_create("monthly", oabc, NULL, 0, 0, 0, 0, 0,
                                        bad_month, 1, &state),
               LK_INVALID_ARGUMENT, "2024-6");
  CHECK_STATUS(lk_pipeline_state_create("pipeline", NULL, NULL, 0, pl_at, 0, 0, 0,
                                        NULL, 0, &state),
               LK_INVALID_ARGUMENT, "policy is NULL");
  lk_pipeline_state_free(NULL);
  lk_policy_free(oabc);
}

/* ---- Audit ---------------------------------------------------------------- */

/* The seven leads of docs/kpis.md ("leadkit.audit") under oabc, worked out by
 * hand there; times in Shanghai:
 *   A1  created 06-10 09:00, entered 10:00, 138 0013 8000, C200, A, C1
 *   A2  created 06-10 20:00, entered 06-12 18:30, +86 138-0013-8000, no
 *       name, model or grade, C1
 *   A3  created 06-18 09:00, 010-6552 8888, GLC, B, C2, no touch
 *   A4  created 06-19 23:30, entered 06-20 00:10, 12345, EQE, C, C2
 *   A5  created 06-12 09:00, entered 06-14 09:00, 13800138000, invalid, C1
 *   A6  created 06-21 09:00 (after as_of)
 *   A7  created 06-15 10:00, 0755 2345 6789, no model, C, C3
 * touches: A1 06-10 09:30 phone C1, A2 06-11 09:30 wechat C2, A4 06-20 09:05
 * phone C2, A5 06-12 09:10 phone C9, A7 06-15 10:30 phone C3, A7 06-21 10:00
 * phone C4; as_of 06-20 12:00. */
static const int32_t aud_ids_offsets[] = {0, 2, 4, 6, 8, 10, 12, 14};
static const int64_t aud_created[] = {1717981200, 1718020800, 1718672400,
                                      1718811000, 1718154000, 1718931600,
                                      1718416800};
static const uint8_t aud_entered_valid[] = {0x1b};
static const int64_t aud_entered[] = {1717984800, 1718188200, 0, 1718813400,
                                      1718326800, 0, 0};
static const int32_t aud_channel_offsets[] = {0, 7, 14, 21, 28, 35, 42, 49};
static const uint8_t aud_name_valid[] = {0x4d};
static const int32_t aud_name_offsets[] = {0, 6, 6, 12, 18, 18, 18, 24};
static const uint8_t aud_phone_valid[] = {0x5f};
static const int32_t aud_phone_offsets[] = {0, 13, 30, 43, 48, 59, 59, 73};
static const uint8_t aud_model_valid[] = {0x3d};
static const int32_t aud_model_offsets[] = {0, 4, 4, 7, 10, 14, 17, 17};
static const uint8_t aud_grade_valid[] = {0x5d};
static const int32_t aud_grade_offsets[] = {0, 1, 1, 2, 3, 4, 4, 5};
static const uint8_t aud_status_valid[] = {0x10};
static const int32_t aud_status_offsets[] = {0, 0, 0, 0, 0, 7, 7, 7};
static const int32_t aud_touch_ids_offsets[] = {0, 2, 4, 6, 8, 10, 12};
static const int64_t aud_touch_at[] = {1717983000, 1718069400, 1718845500,
                                       1718154600, 1718418600, 1718935200};
static const int32_t aud_method_offsets[] = {0, 5, 11, 16, 21, 26, 31};
static const int64_t aud_as_of = 1718856000;
static const char aud_phones[] = "138 0013 8000" "+86 138-0013-8000"
                                 "010-6552 8888" "12345" "13800138000"
                                 "0755 2345 6789";

/* The nulls among rows [first, first + count) of a validity bitmap. */
static int64_t nulls_in(const uint8_t* valid, int64_t first, int64_t count) {
  int64_t nulls = 0;
  for (int64_t i = first; i < first + count; ++i) {
    if (valid != NULL && ((valid[i / 8] >> (i % 8)) & 1) == 0) ++nulls;
  }
  return nulls;
}

/* Sets every column of batch 0 to rows [first, first + count) (a slice). */
static void slice_columns(struct test_stream* t, int64_t first, int64_t count) {
  t->batch_length[0] = count;
  for (int i = 0; i < t->n_columns; ++i) {
    struct column* c = &t->batch_columns[0][i];
    c->offset = first;
    c->length = count;
    c->null_count = nulls_in((const uint8_t*)c->buffers[0], first, count);
  }
}

/* The leads A1..A7 from row `first`, `count` of them. */
static void set_audit_leads(struct test_stream* t, int64_t first,
                            int64_t count) {
  memset(t, 0, sizeof *t);
  t->n_columns = 10;
  t->n_batches = 1;
  struct column* c = t->batch_columns[0];
  c[0] = (struct column){"lead_id", "u", 0, 0, 0, 3,
                         {NULL, aud_ids_offsets, "A1A2A3A4A5A6A7"}};
  c[1] = (struct column){"created_at", "tss:Asia/Shanghai", 0, 0, 0, 2,
                         {NULL, aud_created, NULL}};
  c[2] = (struct column){"entered_at", "tss:Asia/Shanghai", 0, 0, 0, 2,
                         {aud_entered_valid, aud_entered, NULL}};
  c[3] = (struct column){
      "channel", "u", 0, 0, 0, 3,
      {NULL, aud_channel_offsets,
       "websitewebsitewebsitewebsitewebsitewebsitewebsite"}};
  c[4] = (struct column){"name", "u", 0, 0, 0, 3,
                         {aud_name_valid, aud_name_offsets,
                          "\xe7\x8e\x8b\xe4\xbc\x9f\xe6\x9d\x8e\xe5\xa8\x9c"
                          "\xe8\xb5\xb5\xe6\x95\x8f\xe5\x91\xa8\xe5\xb9\xb3"}};
  c[5] = (struct column){"phone", "u", 0, 0, 0, 3,
                         {aud_phone_valid, aud_phone_offsets, aud_phones}};
  c[6] = (struct column){"model", "u", 0, 0, 0, 3,
                         {aud_model_valid, aud_model_offsets,
                          "C200GLCEQEC200GLA"}};
  c[7] = (struct column){"grade", "u", 0, 0, 0, 3,
                         {aud_grade_valid, aud_grade_offsets, "ABCAC"}};
  c[8] = (struct column){"status", "u", 0, 0, 0, 3,
                         {aud_status_valid, aud_status_offsets, "invalid"}};
  c[9] = (struct column){"consultant_id", "u", 0, 0, 0, 3,
                         {NULL, aud_ids_offsets, "C1C1C2C2C1C1C3"}};
  slice_columns(t, first, count);
}

/* The touches from row `first`, `count` of them. */
static void set_audit_touches(struct test_stream* t, int64_t first,
                              int64_t count) {
  memset(t, 0, sizeof *t);
  t->n_columns = 4;
  t->n_batches = 1;
  struct column* c = t->batch_columns[0];
  c[0] = (struct column){"lead_id", "u", 0, 0, 0, 3,
                         {NULL, aud_touch_ids_offsets, "A1A2A4A5A7A7"}};
  c[1] = (struct column){"at", "tss:UTC", 0, 0, 0, 2,
                         {NULL, aud_touch_at, NULL}};
  c[2] = (struct column){"method", "u", 0, 0, 0, 3,
                         {NULL, aud_method_offsets,
                          "phonewechatphonephonephonephone"}};
  c[3] = (struct column){"consultant_id", "u", 0, 0, 0, 3,
                         {NULL, aud_touch_ids_offsets, "C1C2C2C9C3C4"}};
  slice_columns(t, first, count);
}

/* Adds leads [first, first + count) with touches [touch_first, ...). */
static lk_status audit_add(lk_audit_state* state, const lk_cadence* cadence,
                           int64_t first, int64_t count, int64_t touch_first,
                           int64_t touch_count) {
  struct test_stream tl, tt;
  set_audit_leads(&tl, first, count);
  set_audit_touches(&tt, touch_first, touch_count);
  struct ArrowArrayStream leads = make_stream(&tl);
  struct ArrowArrayStream touches = make_stream(&tt);
  const lk_status status =
      lk_audit_state_add(state, cadence, &leads, &touches, aud_as_of);
  CHECK(tl.released == 1 && tt.released == 1);
  return status;
}

/* The findings of a state as "lead_id finding | detail" lines. */
static void read_audit(const lk_audit_state* state, char* out, size_t size) {
  struct ArrowArrayStream result;
  struct kpi_table table;
  out[0] = '\0';
  CHECK_STATUS(lk_audit_state_finalize(state, &result), LK_OK, "");
  if (read_kpis(&result, &table)) {
    CHECK(table.schema.n_children == 3);
    CHECK(strcmp(table.schema.children[0]->name, "lead_id") == 0);
    CHECK(strcmp(table.schema.children[1]->name, "finding") == 0);
    CHECK(strcmp(table.schema.children[1]->format, "i") == 0);
    CHECK(table.schema.children[1]->dictionary != NULL);
    CHECK(strcmp(table.schema.children[2]->name, "detail") == 0);
    CHECK(table.batch.children[1]->dictionary->length == 11);
    for (int64_t row = 0; row < table.batch.length; ++row) {
      char id[16], finding[32], detail[160], line[220];
      utf8_at(table.batch.children[0], row, id, sizeof id);
      dictionary_at(table.batch.children[1], row, finding, sizeof finding);
      utf8_at(table.batch.children[2], row, detail, sizeof detail);
      snprintf(line, sizeof line, "%s %s | %s\n", id, finding, detail);
      strncat(out, line, size - strlen(out) - 1);
    }
  }
  free_kpis(&table);
}

/* Whether `bytes` hold `text`. */
static bool bytes_contain(const uint8_t* bytes, size_t size, const char* text) {
  const size_t n = strlen(text);
  for (size_t i = 0; i + n <= size; ++i) {
    if (memcmp(bytes + i, text, n) == 0) return true;
  }
  return false;
}

static void test_audit(void) {
  static const char kWhole[] =
      "A1 duplicate_phone | same phone (138****8000) as A2\n"
      "A2 missing_name | name is empty\n"
      "A2 missing_model | model is empty\n"
      "A2 missing_grade | grade is empty (the policy classifies it C)\n"
      "A2 entered_late | entered 2024-06-12 18:30, due by 2024-06-12 18:00\n"
      "A2 entered_next_day | collected 2024-06-10 20:00, entered 2024-06-12 "
      "18:30\n"
      "A2 first_contact_not_phone | first touch by wechat at 2024-06-11 "
      "09:30\n"
      "A2 duplicate_phone | same phone (138****8000) as A1\n"
      "A2 touch_by_other_consultant | 1 touch by C2 (the lead's consultant "
      "is C1); first at 2024-06-11 09:30\n"
      "A3 first_contact_late | no touch by 2024-06-20 12:00, due by "
      "2024-06-18 10:00\n"
      "A4 invalid_phone | phone ***45 is not a China mobile or landline "
      "number\n"
      "A4 entered_next_day | collected 2024-06-19 23:30, entered 2024-06-20 "
      "00:10\n"
      "A5 missing_name | name is empty\n"
      "A7 missing_model | model is empty\n";
  static const uint8_t kKey[16] = {0, 1, 2,  3,  4,  5,  6,  7,
                                   8, 9, 10, 11, 12, 13, 14, 15};
  char text[4096];
  lk_policy* oabc = NULL;
  lk_cadence* cadence = NULL;
  CHECK_STATUS(lk_policy_from_preset("oabc", &oabc), LK_OK, "");
  CHECK_STATUS(lk_cadence_from_policy(oabc, &cadence), LK_OK, "");
  lk_policy_free(oabc);

  /* All seven leads at once. */
  lk_audit_state* whole = NULL;
  CHECK_STATUS(lk_audit_state_create(NULL, &whole), LK_OK, "");
  CHECK_STATUS(audit_add(whole, cadence, 0, 7, 0, 6), LK_OK, "");
  read_audit(whole, text, sizeof text);
  if (strcmp(text, kWhole) != 0) {
    fprintf(stderr, "audit findings:\n%s", text);
    ++failures;
  }

  /* A1 apart from the others: its duplicate is found only once merged. */
  lk_audit_state* first = NULL;
  lk_audit_state* rest = NULL;
  CHECK_STATUS(lk_audit_state_create(NULL, &first), LK_OK, "");
  CHECK_STATUS(lk_audit_state_create(NULL, &rest), LK_OK, "");
  CHECK_STATUS(audit_add(first, cadence, 0, 1, 0, 1), LK_OK, "");
  CHECK_STATUS(audit_add(rest, cadence, 1, 6, 1, 5), LK_OK, "");
  read_audit(first, text, sizeof text);
  CHECK(strcmp(text, "") == 0);
  CHECK_STATUS(lk_audit_state_merge(first, rest), LK_OK, "");
  read_audit(first, text, sizeof text);
  CHECK(strcmp(text, kWhole) == 0);
  lk_audit_state_free(first);
  lk_audit_state_free(rest);

  /* Keyed states: the bytes keep the masked number, never the number; one
   * restored without its key merges but does not add. */
  lk_audit_state* keyed = NULL;
  CHECK_STATUS(lk_audit_state_create(kKey, &keyed), LK_OK, "");
  CHECK_STATUS(audit_add(keyed, cadence, 0, 1, 0, 1), LK_OK, "");
  uint8_t* bytes = NULL;
  size_t size = 0;
  CHECK_STATUS(lk_audit_state_serialize(keyed, &bytes, &size), LK_OK, "");
  lk_audit_state_free(keyed);
  CHECK(bytes != NULL && !bytes_contain(bytes, size, "13800138000") &&
        !bytes_contain(bytes, size, "138 0013 8000") &&
        bytes_contain(bytes, size, "138****8000"));
  lk_audit_state* restored = NULL;
  CHECK_STATUS(lk_audit_state_deserialize(bytes, size, &restored), LK_OK, "");
  lk_audit_state* damaged = (lk_audit_state*)&damaged;
  CHECK_STATUS(lk_audit_state_deserialize(bytes, size - 1, &damaged),
               LK_INVALID_ARGUMENT, "");
  CHECK(damaged == NULL);
  lk_bytes_free(bytes);
  CHECK_STATUS(audit_add(restored, cadence, 1, 6, 1, 5),
               LK_FAILED_PRECONDITION, "phone_key");
  CHECK_STATUS(lk_audit_state_merge(whole, restored), LK_FAILED_PRECONDITION,
               "phone_key");
  CHECK_STATUS(lk_audit_state_create(kKey, &keyed), LK_OK, "");
  CHECK_STATUS(audit_add(keyed, cadence, 1, 6, 1, 5), LK_OK, "");
  CHECK_STATUS(lk_audit_state_merge(keyed, restored), LK_OK, "");
  read_audit(keyed, text, sizeof text);
  CHECK(strcmp(text, kWhole) == 0);
  lk_audit_state_free(restored);
  lk_audit_state_free(keyed);

  /* Restored with its key, a keyed state adds as well; another key and
   * damaged bytes are refused. */
  static const uint8_t kOtherKey[16] = {1};
  CHECK_STATUS(lk_audit_state_create(kKey, &keyed), LK_OK, "");
  CHECK_STATUS(audit_add(keyed, cadence, 0, 1, 0, 1), LK_OK, "");
  CHECK_STATUS(lk_audit_state_serialize(keyed, &bytes, &size), LK_OK, "");
  lk_audit_state_free(keyed);
  restored = (lk_audit_state*)&restored;
  CHECK_STATUS(
      lk_audit_state_deserialize_keyed(bytes, size, kOtherKey, &restored),
      LK_INVALID_ARGUMENT, "another phone_key");
  CHECK(restored == NULL);
  CHECK_STATUS(
      lk_audit_state_deserialize_keyed(bytes, size - 1, kKey, &restored),
      LK_INVALID_ARGUMENT, "audit state bytes");
  CHECK(restored == NULL);
  CHECK_STATUS(lk_audit_state_deserialize_keyed(bytes, size, kKey, &restored),
               LK_OK, "");
  lk_bytes_free(bytes);
  CHECK_STATUS(audit_add(restored, cadence, 1, 6, 1, 5), LK_OK, "");
  read_audit(restored, text, sizeof text);
  CHECK(strcmp(text, kWhole) == 0);
  lk_audit_state_free(restored);
  /* Unkeyed bytes with no key: as lk_audit_state_deserialize. */
  CHECK_STATUS(lk_audit_state_serialize(whole, &bytes, &size), LK_OK, "");
  CHECK_STATUS(lk_audit_state_deserialize_keyed(bytes, size, NULL, &restored),
               LK_OK, "");
  lk_bytes_free(bytes);
  read_audit(restored, text, sizeof text);
  CHECK(strcmp(text, kWhole) == 0);
  lk_audit_state_free(restored);
  CHECK_STATUS(lk_audit_state_deserialize_keyed(NULL, 0, kKey, NULL),
               LK_INVALID_ARGUMENT,
               "lk_audit_state_deserialize_keyed: state is NULL");

  /* Bad input is named, personal data masked; the state is unchanged. */
  struct test_stream tl, tt;
  struct ArrowArrayStream leads, touches, result;
  set_audit_leads(&tl, 0, 7);
  tl.batch_columns[0][1].buffers[0] = aud_entered_valid; /* A3 no created_at */
  tl.batch_columns[0][1].null_count = 3;
  set_audit_touches(&tt, 0, 6);
  leads = make_stream(&tl);
  touches = make_stream(&tt);
  CHECK_STATUS(lk_audit_state_add(whole, cadence, &leads, &touches, aud_as_of),
               LK_INVALID_ARGUMENT, "created_at");
  CHECK(!contains(lk_last_error(), "6552") && !contains(lk_last_error(), "GLC"));
  CHECK(tl.released == 1 && tt.released == 1);
  set_audit_leads(&tl, 0, 7);
  tl.batch_columns[0][5].format = "l"; /* phone as numbers */
  set_audit_touches(&tt, 0, 6);
  leads = make_stream(&tl);
  touches = make_stream(&tt);
  CHECK_STATUS(lk_audit_state_add(whole, cadence, &leads, &touches, aud_as_of),
               LK_INVALID_ARGUMENT, "leads.phone");
  read_audit(whole, text, sizeof text);
  CHECK(strcmp(text, kWhole) == 0);

  /* NULL arguments. */
  set_audit_leads(&tl, 0, 7);
  set_audit_touches(&tt, 0, 6);
  leads = make_stream(&tl);
  touches = make_stream(&tt);
  CHECK_STATUS(lk_audit_state_add(whole, NULL, &leads, &touches, aud_as_of),
               LK_INVALID_ARGUMENT, "lk_audit_state_add: cadence is NULL");
  CHECK(tl.released == 1 && tt.released == 1);
  CHECK_STATUS(lk_audit_state_create(NULL, NULL), LK_INVALID_ARGUMENT,
               "lk_audit_state_create: state is NULL");
  CHECK_STATUS(lk_audit_state_finalize(NULL, &result), LK_INVALID_ARGUMENT,
               "lk_audit_state_finalize: state is NULL");
  CHECK(result.release == NULL);
  CHECK_STATUS(lk_audit_state_merge(whole, NULL), LK_INVALID_ARGUMENT,
               "other is NULL");
  CHECK_STATUS(lk_audit_state_serialize(whole, NULL, &size),
               LK_INVALID_ARGUMENT, "bytes is NULL");
  lk_audit_state_free(whole);
  lk_audit_state_free(NULL);
  lk_cadence_free(cadence);
}

/* ---- The policy backtest ------------------------------------------------ */

/* docs/backtest.md's hand-worked example: five leads recorded under oabc
 * ("current"), abcd proposed, both on cn_showroom (Asia/Shanghai):
 *   L1  06-10 09:00, c1, deposit paid, 10 days, won 06-20 12:00
 *   L2  06-10 09:00, c1, 20 days, lost 06-15 10:00 (approved)
 *   L3  06-11 09:00, c2, 60 days, won 06-25 10:00
 *   L4  06-11 09:00, c2, no date, lost 06-20 10:00 (approved)
 *   L5  06-12 09:00, no consultant, 10 days, open
 * (dealers: L1 and L2 D1, L3 D2, L4 D3, L5 none; D1 and D2 are region R1,
 * D3 region R2)
 * touches (phone): L1 06-10 09:30, L1 06-12 10:00 (grade_after O), L2 06-10
 * 09:30, L3 06-11 10:30, L5 06-12 09:10; as_of 06-30 12:00; grade map
 * proposed: O -> A. Under both: 5 leads, 2 won, 2 lost, 3 first contacts on
 * time, 3 follow-ups due, 1 on time, 1 timely lead; 6 tasks over 2
 * consultants x 4 days (0.75 a day, p90 2, max 2); lift 2.0. grade_auc:
 * current 2.5 / 4 = 0.625, proposed 3 / 4 = 0.75. Grades (current,
 * proposed): L1 (O, A), L2 (B, B), L3 (C, C), L4 (C, D), L5 (A, A). */
static const int32_t bt_ids_offsets[] = {0, 2, 4, 6, 8, 10};
static const int64_t bt_created[] = {1717981200, 1717981200, 1718067600,
                                     1718067600, 1718154000};
static const uint8_t bt_consultant_valid[] = {0x0f};
static const int32_t bt_consultant_offsets[] = {0, 2, 4, 6, 8, 8};
static const uint8_t bt_deposit_valid[] = {0x01};
static const uint8_t bt_deposit[] = {0x01};
static const uint8_t bt_days_valid[] = {0x17};
static const int64_t bt_days[] = {10, 20, 60, 0, 10};
static const int32_t bt_status_offsets[] = {0, 3, 7, 10, 14, 18};
static const uint8_t bt_won_valid[] = {0x05};
static const int64_t bt_won_at[] = {1718856000, 0, 1719280800, 0, 0};
static const uint8_t bt_lost_valid[] = {0x0a};
static const int64_t bt_lost_at[] = {0, 1718416800, 0, 1718848800, 0};
static const int32_t bt_review_offsets[] = {0, 0, 8, 8, 16, 16};
static const int32_t bt_touch_ids_offsets[] = {0, 2, 4, 6, 8, 10};
static const int64_t bt_touch_at[] = {1717983000, 1718157600, 1717983000,
                                      1718073000, 1718154600};
static const int32_t bt_method_offsets[] = {0, 5, 10, 15, 20, 25};
static const uint8_t bt_grade_after_valid[] = {0x02};
static const int32_t bt_grade_after_offsets[] = {0, 0, 1, 1, 1, 1};
static const int64_t bt_as_of = 1719720000;
static const int32_t bt_dealer_offsets[] = {0, 2, 4, 6, 8, 8};
static const char bt_grade_map[] = "{\"proposed\": {\"O\": \"A\"}}";

/* The leads L1..L5 from row `first`, `count` of them. */
static void set_backtest_leads(struct test_stream* t, int64_t first,
                               int64_t count) {
  memset(t, 0, sizeof *t);
  t->n_columns = 10;
  t->n_batches = 1;
  struct column* c = t->batch_columns[0];
  c[0] = (struct column){"lead_id", "u", 0, 0, 0, 3,
                         {NULL, bt_ids_offsets, "L1L2L3L4L5"}};
  c[9] = (struct column){"dealer_id", "u", 0, 0, 0, 3,
                         {bt_consultant_valid, bt_dealer_offsets,
                          "D1D1D2D3"}};
  c[1] = (struct column){"created_at", "tss:Asia/Shanghai", 0, 0, 0, 2,
                         {NULL, bt_created, NULL}};
  c[2] = (struct column){"consultant_id", "u", 0, 0, 0, 3,
                         {bt_consultant_valid, bt_consultant_offsets,
                          "c1c1c2c2"}};
  c[3] = (struct column){"deposit_paid", "b", 0, 0, 0, 2,
                         {bt_deposit_valid, bt_deposit, NULL}};
  c[4] = (struct column){"purchase_within_days", "l", 0, 0, 0, 2,
                         {bt_days_valid, bt_days, NULL}};
  c[5] = (struct column){"status", "u", 0, 0, 0, 3,
                         {NULL, bt_status_offsets, "wonlostwonlostopen"}};
  c[6] = (struct column){"won_at", "tss:Asia/Shanghai", 0, 0, 0, 2,
                         {bt_won_valid, bt_won_at, NULL}};
  c[7] = (struct column){"lost_at", "tss:Asia/Shanghai", 0, 0, 0, 2,
                         {bt_lost_valid, bt_lost_at, NULL}};
  c[8] = (struct column){"lost_review", "u", 0, 0, 0, 3,
                         {bt_lost_valid, bt_review_offsets,
                          "approvedapproved"}};
  slice_columns(t, first, count);
}

/* The touches from row `first`, `count` of them. */
static void set_backtest_touches(struct test_stream* t, int64_t first,
                                 int64_t count) {
  memset(t, 0, sizeof *t);
  t->n_columns = 4;
  t->n_batches = 1;
  struct column* c = t->batch_columns[0];
  c[0] = (struct column){"lead_id", "u", 0, 0, 0, 3,
                         {NULL, bt_touch_ids_offsets, "L1L1L2L3L5"}};
  c[1] = (struct column){"at", "tss:UTC", 0, 0, 0, 2,
                         {NULL, bt_touch_at, NULL}};
  c[2] = (struct column){"method", "u", 0, 0, 0, 3,
                         {NULL, bt_method_offsets, "phonephonephonephonephone"}};
  c[3] = (struct column){"grade_after", "u", 0, 0, 0, 3,
                         {bt_grade_after_valid, bt_grade_after_offsets, "O"}};
  slice_columns(t, first, count);
}

/* Adds leads [first, first + count) with touches [touch_first, ...) under
 * both cadences and the grade map, in `scope` (NULL: all). */
static lk_status backtest_add(lk_backtest_state* state,
                              const lk_cadence* const* cadences,
                              int64_t first, int64_t count,
                              int64_t touch_first, int64_t touch_count,
                              const lk_scope* scope) {
  struct test_stream tl, tt;
  set_backtest_leads(&tl, first, count);
  set_backtest_touches(&tt, touch_first, touch_count);
  struct ArrowArrayStream leads = make_stream(&tl);
  struct ArrowArrayStream touches = make_stream(&tt);
  const lk_status status = lk_backtest_state_add(
      state, cadences, 2, bt_grade_map, strlen(bt_grade_map), &leads,
      &touches, NULL, scope, bt_as_of);
  CHECK(tl.released == 1 && tt.released == 1);
  return status;
}

/* The text of column `name` at `row`. */
static void text_at(const struct kpi_table* t, const char* name, int64_t row,
                    char* out, size_t size) {
  const int64_t i = kpi_column(t, name);
  out[0] = '\0';
  if (i >= 0) utf8_at(t->batch.children[i], row, out, size);
}

/* The summary of docs/backtest.md's example. */
static void check_backtest_summary(const lk_backtest_state* state) {
  struct ArrowArrayStream result;
  struct kpi_table t;
  char text[200];
  CHECK_STATUS(lk_backtest_state_finalize(state, "summary", &result), LK_OK,
               "");
  if (!read_kpis(&result, &t) || t.batch.length != 2) {
    CHECK(false);
    free_kpis(&t);
    return;
  }
  CHECK(strcmp(t.schema.children[0]->name, "policy") == 0);
  CHECK(strcmp(t.schema.children[1]->name, "leads") == 0);
  CHECK(strcmp(t.schema.children[t.schema.n_children - 1]->name, "notes") ==
        0);
  for (int64_t row = 0; row < 2; ++row) {
    text_at(&t, "policy", row, text, sizeof text);
    CHECK(strcmp(text, row == 0 ? "current" : "proposed") == 0);
    CHECK(kpi_value(&t, "leads", row) == 5);
    CHECK(kpi_value(&t, "won", row) == 2);
    CHECK(kpi_value(&t, "lost", row) == 2);
    CHECK(kpi_value(&t, "first_contact_on_time", row) == 3);
    CHECK(kpi_value(&t, "follow_ups_due", row) == 3);
    CHECK(kpi_value(&t, "follow_ups_on_time", row) == 1);
    CHECK(kpi_value(&t, "timely_leads", row) == 1);
    CHECK(kpi_value(&t, "tasks_per_consultant_day_mean", row) == 0.75);
    CHECK(kpi_value(&t, "tasks_per_consultant_day_p90", row) == 2);
    CHECK(kpi_value(&t, "tasks_per_consultant_day_max", row) == 2);
    CHECK(kpi_value(&t, "top_grade_lift", row) == 2);
    /* L5's two tasks have no consultant */
    text_at(&t, "notes", row, text, sizeof text);
    CHECK(contains(text, "2 tasks") && contains(text, "consultant_id"));
  }
  CHECK(kpi_value(&t, "grade_auc", 0) == 0.625);
  CHECK(kpi_value(&t, "grade_auc", 1) == 0.75);
  free_kpis(&t);
}

/* The other three tables of the example. */
static void check_backtest_tables(const lk_backtest_state* state) {
  struct ArrowArrayStream result;
  struct kpi_table t;
  char text[64], other[64];
  CHECK_STATUS(lk_backtest_state_finalize(state, "task_load", &result), LK_OK,
               "");
  if (read_kpis(&result, &t) && t.batch.length == 2) {
    CHECK(t.schema.n_children == 6);
    for (int64_t row = 0; row < 2; ++row) {
      CHECK(kpi_value(&t, "tasks", row) == 6);
      CHECK(kpi_value(&t, "consultant_days", row) == 8);
      CHECK(kpi_value(&t, "tasks_per_consultant_day_mean", row) == 0.75);
    }
  } else {
    CHECK(false);
  }
  free_kpis(&t);

  /* current O A B C, proposed A B C D: leads, won, lost each */
  static const int64_t kConversion[8][3] = {{1, 1, 0}, {1, 0, 0}, {1, 0, 1},
                                            {2, 1, 1}, {2, 1, 0}, {1, 0, 1},
                                            {1, 1, 0}, {1, 0, 1}};
  static const char* const kGrades[8] = {"O", "A", "B", "C",
                                         "A", "B", "C", "D"};
  CHECK_STATUS(lk_backtest_state_finalize(state, "conversion", &result), LK_OK,
               "");
  if (read_kpis(&result, &t) && t.batch.length == 8) {
    for (int64_t row = 0; row < 8; ++row) {
      text_at(&t, "policy", row, text, sizeof text);
      CHECK(strcmp(text, row < 4 ? "current" : "proposed") == 0);
      text_at(&t, "grade", row, text, sizeof text);
      CHECK(strcmp(text, kGrades[row]) == 0);
      CHECK(kpi_value(&t, "leads", row) == (double)kConversion[row][0]);
      CHECK(kpi_value(&t, "won", row) == (double)kConversion[row][1]);
      CHECK(kpi_value(&t, "lost", row) == (double)kConversion[row][2]);
    }
    CHECK(kpi_value(&t, "conversion_rate", 3) == 0.5);
    CHECK(isnan(kpi_value(&t, "conversion_rate", 1))); /* L5 is open */
  } else {
    CHECK(false);
  }
  free_kpis(&t);

  /* (O, A) L1, (A, A) L5, (B, B) L2, (C, C) L3, (C, D) L4 */
  static const char* const kCombinations[5] = {"O A", "A A", "B B", "C C",
                                               "C D"};
  CHECK_STATUS(lk_backtest_state_finalize(state, "grades", &result), LK_OK,
               "");
  if (read_kpis(&result, &t) && t.batch.length == 5) {
    CHECK(t.schema.n_children == 3);
    for (int64_t row = 0; row < 5; ++row) {
      char pair[140];
      text_at(&t, "current", row, text, sizeof text);
      text_at(&t, "proposed", row, other, sizeof other);
      snprintf(pair, sizeof pair, "%s %s", text, other);
      CHECK(strcmp(pair, kCombinations[row]) == 0);
      CHECK(kpi_value(&t, "leads", row) == 1);
    }
  } else {
    CHECK(false);
  }
  free_kpis(&t);
}

static void test_backtest(void) {
  lk_policy* oabc = NULL;
  lk_policy* abcd = NULL;
  lk_cadence* cadences[2] = {NULL, NULL};
  CHECK_STATUS(lk_policy_from_preset("oabc", &oabc), LK_OK, "");
  CHECK_STATUS(lk_policy_from_preset("abcd", &abcd), LK_OK, "");
  CHECK_STATUS(lk_cadence_from_policy(oabc, &cadences[0]), LK_OK, "");
  CHECK_STATUS(lk_cadence_from_policy(abcd, &cadences[1]), LK_OK, "");
  lk_policy_free(oabc);
  lk_policy_free(abcd);
  const lk_cadence* const* judged = (const lk_cadence* const*)cadences;
  const char* names[] = {"current", "proposed"};

  /* All five leads at once. */
  lk_backtest_state* whole = NULL;
  CHECK_STATUS(lk_backtest_state_create(names, 2, NULL, 0, &whole), LK_OK, "");
  CHECK_STATUS(backtest_add(whole, judged, 0, 5, 0, 5, NULL), LK_OK, "");
  check_backtest_summary(whole);
  check_backtest_tables(whole);

  /* L1, L2 and L3..L5 apart (slices), one carried through bytes, merged. */
  lk_backtest_state* first = NULL;
  lk_backtest_state* rest = NULL;
  CHECK_STATUS(lk_backtest_state_create(names, 2, NULL, 0, &first), LK_OK, "");
  CHECK_STATUS(lk_backtest_state_create(names, 2, NULL, 0, &rest), LK_OK, "");
  CHECK_STATUS(backtest_add(first, judged, 0, 2, 0, 3, NULL), LK_OK, "");
  CHECK_STATUS(backtest_add(rest, judged, 2, 3, 3, 2, NULL), LK_OK, "");
  uint8_t* bytes = NULL;
  size_t size = 0;
  CHECK_STATUS(lk_backtest_state_serialize(rest, &bytes, &size), LK_OK, "");
  lk_backtest_state_free(rest);
  rest = NULL;
  CHECK_STATUS(lk_backtest_state_deserialize(bytes, size, &rest), LK_OK, "");
  lk_backtest_state* damaged = (lk_backtest_state*)&damaged;
  CHECK_STATUS(lk_backtest_state_deserialize(bytes, size - 1, &damaged),
               LK_INVALID_ARGUMENT, "backtest state bytes");
  CHECK(damaged == NULL);
  bytes[size / 2] ^= 0x20;
  CHECK_STATUS(lk_backtest_state_deserialize(bytes, size, &damaged),
               LK_INVALID_ARGUMENT, "backtest state bytes");
  CHECK(damaged == NULL);
  lk_bytes_free(bytes);
  CHECK_STATUS(lk_backtest_state_merge(first, rest), LK_OK, "");
  check_backtest_summary(first);
  check_backtest_tables(first);
  lk_backtest_state_free(first);
  lk_backtest_state_free(rest);

  /* Grouped by consultant: c1 (L1, L2), c2 (L3, L4), null (L5), each under
   * both policies. */
  const char* by[] = {"consultant_id"};
  lk_backtest_state* grouped = NULL;
  CHECK_STATUS(lk_backtest_state_create(names, 2, by, 1, &grouped), LK_OK, "");
  CHECK_STATUS(backtest_add(grouped, judged, 0, 5, 0, 5, NULL), LK_OK, "");
  struct ArrowArrayStream result;
  struct kpi_table t;
  CHECK_STATUS(lk_backtest_state_finalize(grouped, "task_load", &result),
               LK_OK, "");
  if (read_kpis(&result, &t) && t.batch.length == 6) {
    char key[16], policy[16];
    CHECK(strcmp(t.schema.children[0]->name, "consultant_id") == 0);
    utf8_at(t.batch.children[0], 0, key, sizeof key);
    text_at(&t, "policy", 1, policy, sizeof policy);
    CHECK(strcmp(key, "c1") == 0 && strcmp(policy, "proposed") == 0);
    CHECK(kpi_key_is_null(&t, 4) && kpi_key_is_null(&t, 5));
    /* c1 under current: 2 first contacts on 06-10, follow-ups 06-17, 06-19
     * over those 3 days */
    CHECK(kpi_value(&t, "tasks", 0) == 4);
    CHECK(kpi_value(&t, "consultant_days", 0) == 3);
    CHECK(kpi_value(&t, "tasks", 2) == 2); /* c2: L3's and L4's contacts */
    CHECK(kpi_value(&t, "tasks", 4) == 0); /* L5: no consultant */
  } else {
    CHECK(false);
  }
  free_kpis(&t);

  /* Bad input is named; the state is unchanged. */
  CHECK_STATUS(lk_backtest_state_merge(whole, grouped), LK_FAILED_PRECONDITION,
               "");
  lk_backtest_state_free(grouped);
  struct test_stream tl, tt;
  struct ArrowArrayStream leads, touches;
  static const char kUnknownPolicy[] = "{\"propsed\": {\"O\": \"A\"}}";
  static const char kUnknownGrade[] = "{\"proposed\": {\"O\": \"Z\"}}";
  static const char kNotAnObject[] = "{\"proposed\": [\"A\"]}";
  const char* maps[] = {kUnknownPolicy, kUnknownGrade, kNotAnObject, "{"};
  const char* messages[] = {"grade_map: \"propsed\" is not one of the policies",
                            "Z", "grade_map[\"proposed\"]: expected", "grade_map"};
  for (int i = 0; i < 4; ++i) {
    set_backtest_leads(&tl, 0, 5);
    set_backtest_touches(&tt, 0, 5);
    leads = make_stream(&tl);
    touches = make_stream(&tt);
    CHECK_STATUS(lk_backtest_state_add(whole, judged, 2, maps[i],
                                       strlen(maps[i]), &leads, &touches, NULL,
                                       NULL, bt_as_of),
                 LK_INVALID_ARGUMENT, messages[i]);
    CHECK(tl.released == 1 && tt.released == 1);
  }
  set_backtest_leads(&tl, 0, 5);
  tl.batch_columns[0][2].format = "l"; /* consultant_id as numbers */
  set_backtest_touches(&tt, 0, 5);
  leads = make_stream(&tl);
  touches = make_stream(&tt);
  CHECK_STATUS(lk_backtest_state_add(whole, judged, 2, NULL, 0, &leads,
                                     &touches, NULL, NULL, bt_as_of),
               LK_INVALID_ARGUMENT, "leads.consultant_id");
  set_backtest_leads(&tl, 0, 5);
  set_backtest_touches(&tt, 0, 5);
  leads = make_stream(&tl);
  touches = make_stream(&tt);
  CHECK_STATUS(lk_backtest_state_add(whole, judged, 1, NULL, 0, &leads,
                                     &touches, NULL, NULL, bt_as_of),
               LK_INVALID_ARGUMENT, "1 cadences for the state's 2 policies");
  CHECK(tl.released == 1 && tt.released == 1);
  check_backtest_summary(whole);

  CHECK_STATUS(lk_backtest_state_finalize(whole, "crosstab", &result),
               LK_INVALID_ARGUMENT, "unknown table \"crosstab\"");
  CHECK(result.release == NULL);
  CHECK_STATUS(lk_backtest_state_finalize(NULL, "summary", &result),
               LK_INVALID_ARGUMENT, "lk_backtest_state_finalize: state is NULL");
  CHECK(result.release == NULL);
  const char* twice[] = {"current", "current"};
  lk_backtest_state* none = (lk_backtest_state*)&none;
  CHECK_STATUS(lk_backtest_state_create(twice, 2, NULL, 0, &none),
               LK_INVALID_ARGUMENT, "policies[1]");
  CHECK(none == NULL);
  CHECK_STATUS(lk_backtest_state_create(names, 0, NULL, 0, &none),
               LK_INVALID_ARGUMENT, "at least one");
  CHECK_STATUS(lk_backtest_state_create(names, 2, NULL, 1, &none),
               LK_INVALID_ARGUMENT, "by is NULL");
  CHECK_STATUS(lk_backtest_state_merge(whole, NULL), LK_INVALID_ARGUMENT,
               "other is NULL");
  CHECK_STATUS(lk_backtest_state_serialize(whole, NULL, &size),
               LK_INVALID_ARGUMENT, "bytes is NULL");
  lk_backtest_state_free(whole);
  lk_backtest_state_free(NULL);
  lk_cadence_free(cadences[0]);
  lk_cadence_free(cadences[1]);
}

/* The dealers D1, D2 (region R1) and D3 (region R2). */
static const int32_t sc_offsets[] = {0, 2, 4, 6};
static void set_scope_dealers(struct test_stream* t) {
  memset(t, 0, sizeof *t);
  t->n_columns = 2;
  t->n_batches = 1;
  t->batch_length[0] = 3;
  struct column* c = t->batch_columns[0];
  c[0] = (struct column){"dealer_id", "u", 3, 0, 0, 3,
                         {NULL, sc_offsets, "D1D2D3"}};
  c[1] = (struct column){"region_id", "u", 3, 0, 0, 3,
                         {NULL, sc_offsets, "R1R1R2"}};
}

/* A scope of `kind` and `id` over the dealers (or none). */
static lk_scope* make_scope(const char* kind, const char* id, bool dealers) {
  struct test_stream td;
  set_scope_dealers(&td);
  struct ArrowArrayStream stream = make_stream(&td);
  lk_scope* scope = NULL;
  CHECK_STATUS(lk_scope_create(kind, id, dealers ? &stream : NULL, &scope),
               LK_OK, "");
  CHECK(td.released == (dealers ? 1 : 0));
  return scope;
}

/* The summary's `column` of policy row `row` of a backtest of the example's
 * leads in `scope`. */
static double scoped_backtest(const lk_cadence* const* cadences,
                              const lk_scope* scope, const char* column,
                              int64_t row) {
  const char* names[] = {"current", "proposed"};
  lk_backtest_state* state = NULL;
  CHECK_STATUS(lk_backtest_state_create(names, 2, NULL, 0, &state), LK_OK, "");
  CHECK_STATUS(backtest_add(state, cadences, 0, 5, 0, 5, scope), LK_OK, "");
  struct ArrowArrayStream result;
  struct kpi_table t;
  double value = -1;
  CHECK_STATUS(lk_backtest_state_finalize(state, "summary", &result), LK_OK,
               "");
  if (read_kpis(&result, &t) && t.batch.length == 2) {
    value = kpi_value(&t, column, row);
  }
  free_kpis(&t);
  lk_backtest_state_free(state);
  return value;
}

static void test_scopes(void) {
  lk_policy* oabc = NULL;
  lk_policy* abcd = NULL;
  lk_cadence* cadences[2] = {NULL, NULL};
  CHECK_STATUS(lk_policy_from_preset("oabc", &oabc), LK_OK, "");
  CHECK_STATUS(lk_policy_from_preset("abcd", &abcd), LK_OK, "");
  CHECK_STATUS(lk_cadence_from_policy(oabc, &cadences[0]), LK_OK, "");
  CHECK_STATUS(lk_cadence_from_policy(abcd, &cadences[1]), LK_OK, "");
  lk_policy_free(oabc);
  lk_policy_free(abcd);
  const lk_cadence* const* judged = (const lk_cadence* const*)cadences;

  lk_scope* hq = make_scope("hq", NULL, false);
  lk_scope* d1 = make_scope("dealer", "D1", true);
  lk_scope* r1 = make_scope("region", "R1", true);
  lk_scope* r2 = make_scope("region", "R2", true);
  lk_scope* d2 = make_scope("dealer", "D2", false); /* knows the rows' */

  /* The backtest: D1 has L1 (won) and L2 (lost), each policy grading L1
   * above L2; R1 adds L3 (won); R2 has L4 (lost) alone; L5 (no dealer) only
   * at headquarters. */
  CHECK(scoped_backtest(judged, hq, "leads", 0) == 5);
  CHECK(scoped_backtest(judged, d1, "leads", 0) == 2);
  CHECK(scoped_backtest(judged, d1, "won", 1) == 1);
  CHECK(scoped_backtest(judged, d1, "lost", 1) == 1);
  CHECK(scoped_backtest(judged, d1, "grade_auc", 0) == 1);
  CHECK(scoped_backtest(judged, d1, "grade_auc", 1) == 1);
  CHECK(scoped_backtest(judged, r1, "leads", 1) == 3);
  CHECK(scoped_backtest(judged, r1, "won", 0) == 2);
  CHECK(scoped_backtest(judged, r2, "leads", 0) == 1);
  CHECK(scoped_backtest(judged, r2, "lost", 0) == 1);
  CHECK(scoped_backtest(judged, d2, "leads", 0) == 1);
  CHECK(scoped_backtest(judged, d2, "won", 0) == 1);

  /* The KPIs of R1 (L1, L2, L3; L5's touch left out with L5). */
  struct test_stream tl, tt;
  struct ArrowArrayStream leads, touches, result;
  struct kpi_table t;
  lk_kpi_state* kpis = NULL;
  CHECK_STATUS(lk_kpi_state_create(NULL, 0, &kpis), LK_OK, "");
  set_backtest_leads(&tl, 0, 5);
  set_backtest_touches(&tt, 0, 5);
  leads = make_stream(&tl);
  touches = make_stream(&tt);
  CHECK_STATUS(lk_kpi_state_add_scoped(kpis, cadences[0], &leads, &touches,
                                       NULL, r1, bt_as_of),
               LK_OK, "");
  CHECK_STATUS(lk_kpi_state_finalize(kpis, &result), LK_OK, "");
  if (read_kpis(&result, &t)) {
    CHECK(kpi_value(&t, "leads", 0) == 3);
    CHECK(kpi_value(&t, "won", 0) == 2);
    CHECK(kpi_value(&t, "lost", 0) == 1);
  } else {
    CHECK(false);
  }
  free_kpis(&t);

  /* A dealer no row names, without the dealers table: found by the add,
   * which leaves the state as it was. */
  lk_scope* d9 = make_scope("dealer", "D9", false);
  set_backtest_leads(&tl, 0, 5);
  set_backtest_touches(&tt, 0, 5);
  leads = make_stream(&tl);
  touches = make_stream(&tt);
  CHECK_STATUS(lk_kpi_state_add_scoped(kpis, cadences[0], &leads, &touches,
                                       NULL, d9, bt_as_of),
               LK_NOT_FOUND, "unknown dealer 'D9'");
  CHECK(tl.released == 1 && tt.released == 1);
  CHECK_STATUS(lk_kpi_state_finalize(kpis, &result), LK_OK, "");
  if (read_kpis(&result, &t)) CHECK(kpi_value(&t, "leads", 0) == 3);
  free_kpis(&t);
  lk_kpi_state_free(kpis);
  lk_scope_free(d9);

  /* The lost-sales analysis of R1: L2 alone (lost in June). */
  lk_lost_analysis_state* lost = NULL;
  CHECK_STATUS(lk_lost_analysis_state_create(NULL, 0, "Asia/Shanghai", &lost),
               LK_OK, "");
  set_backtest_leads(&tl, 0, 5);
  leads = make_stream(&tl);
  CHECK_STATUS(lk_lost_analysis_state_add_scoped(lost, &leads, r1, bt_as_of),
               LK_OK, "");
  CHECK_STATUS(lk_lost_analysis_state_finalize(lost, &result), LK_OK, "");
  if (read_kpis(&result, &t) && t.batch.length == 1) {
    CHECK(kpi_value(&t, "lost", 0) == 1);
  } else {
    CHECK(false);
  }
  free_kpis(&t);
  lk_lost_analysis_state_free(lost);

  /* The activity's scope applies to the leads: none given is an error. */
  lk_activity_state* activity = NULL;
  CHECK_STATUS(lk_activity_state_create(NULL, 0, NULL, &activity), LK_OK, "");
  set_backtest_touches(&tt, 0, 5);
  touches = make_stream(&tt);
  CHECK_STATUS(
      lk_activity_state_add_scoped(activity, &touches, NULL, d1, bt_as_of),
      LK_INVALID_ARGUMENT, "scope: applies to the leads");
  CHECK(tt.released == 1);
  lk_activity_state_free(activity);

  /* Bad scopes. */
  struct test_stream td;
  set_scope_dealers(&td);
  struct ArrowArrayStream dealers = make_stream(&td);
  lk_scope* bad = (lk_scope*)&bad;
  CHECK_STATUS(lk_scope_create("region", "R9", &dealers, &bad), LK_NOT_FOUND,
               "unknown region 'R9'");
  CHECK(bad == NULL && td.released == 1);
  set_scope_dealers(&td);
  dealers = make_stream(&td);
  CHECK_STATUS(lk_scope_create("dealer", "D9", &dealers, &bad), LK_NOT_FOUND,
               "unknown dealer 'D9'");
  CHECK_STATUS(lk_scope_create("region", "R1", NULL, &bad),
               LK_INVALID_ARGUMENT, "dealers is NULL");
  CHECK_STATUS(lk_scope_create("planet", "P1", NULL, &bad),
               LK_INVALID_ARGUMENT, "unknown kind \"planet\"");
  CHECK_STATUS(lk_scope_create("dealer", NULL, NULL, &bad),
               LK_INVALID_ARGUMENT, "id is NULL");
  set_scope_dealers(&td);
  td.batch_columns[0][1].format = "l"; /* region ids as numbers */
  dealers = make_stream(&td);
  CHECK_STATUS(lk_scope_create("region", "R1", &dealers, &bad),
               LK_INVALID_ARGUMENT, "dealers.region_id");
  CHECK(bad == NULL && td.released == 1);
  CHECK_STATUS(lk_scope_create("hq", NULL, NULL, NULL), LK_INVALID_ARGUMENT,
               "lk_scope_create: scope is NULL");
  lk_scope_free(NULL);

  lk_scope_free(hq);
  lk_scope_free(d1);
  lk_scope_free(r1);
  lk_scope_free(r2);
  lk_scope_free(d2);
  lk_cadence_free(cadences[0]);
  lk_cadence_free(cadences[1]);
}

int main(void) {
  test_library();
  test_time_zones();
  test_policy();
  lk_policy* policy = NULL;
  CHECK_STATUS(lk_policy_from_preset("three_level", &policy), LK_OK, "");
  if (policy != NULL) {
    test_classify_json(policy);
    test_classify_arrow(policy);
    test_kpis(policy);
    test_calendar_and_tasks(policy);
    test_router(policy);
    test_open_leads(policy);
    test_schedule(policy);
    test_schedule_actions(policy);
    test_handover(policy);
    test_reclaim(policy);
  }
  test_agenda();
  test_dealer_calendars();
  test_lost_analysis();
  test_profile();
  test_traffic();
  test_effectiveness();
  test_pipeline();
  test_audit();
  test_backtest();
  test_scopes();
  lk_policy_free(policy);
  if (failures != 0) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  printf("c_api_test: all checks passed\n");
  return 0;
}
