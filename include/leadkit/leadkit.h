/* leadkit's C ABI: the library's engines for any language that can call C.
 *
 * Plain C11; link libleadkit.so and include this header, nothing else. The
 * engines are leadkit's C++ ones (docs/architecture.md): this layer converts
 * and calls, it holds no rule of its own.
 *
 *   status = lk_call(handle, inputs..., outputs...)
 *   status != LK_OK  =>  lk_last_error() says why, as the C++ status says it
 *
 * Status. Every fallible call returns an lk_status and sets the calling
 * thread's last-error message (lk_last_error): the C++ status's message on
 * failure, "" on success. No C++ exception and no abort crosses this
 * boundary: an unexpected failure inside is LK_INTERNAL with its message.
 * Personal data (name, phone, wechat, email) is masked in every message.
 *
 * Ownership, written at each function:
 *   - `const char*` arguments are borrowed for the call only.
 *   - `char**` outputs are NUL-terminated UTF-8 strings that leadkit
 *     allocated; the caller frees each with lk_string_free. On failure they
 *     are set to NULL, except where a function says otherwise.
 *   - Handles (lk_policy) are created by an lk_*_from_* call and freed by
 *     their lk_*_free; a NULL handle may be freed.
 *   - Arrow streams follow the Arrow C stream interface's rules: an input
 *     stream handed to leadkit is consumed and released by it, whatever the
 *     outcome; an output stream belongs to the caller, who calls its release.
 *
 * Threads. Handles are immutable once created: any number of threads may use
 * one handle at once. lk_last_error is per thread.
 *
 * Versioning. LK_ABI_VERSION is the ABI this header describes; the library's
 * own is lk_abi_version(). The shared library's symbols carry the version node
 * LEADKIT_1; later releases add functions beside the existing ones.
 *
 * Example (the whole program: tests/c/example.c, shown in docs/c-api.md):
 *   lk_policy* policy = NULL;
 *   if (lk_policy_from_preset("three_level", &policy) != LK_OK) {
 *     fprintf(stderr, "%s\n", lk_last_error());
 *   }
 *   char* result = NULL;
 *   const char* lead = "{\"lead_id\": \"L1\", \"model\": \"C200\", "
 *                      "\"asked_price\": true, \"purchase_within_days\": 30}";
 *   lk_classify_json(policy, lead, strlen(lead), &result);
 *   // result: {"lead_id":"L1","grade":"high","rule":"high","reasons":[...],...}
 *   lk_string_free(result);
 *   lk_policy_free(policy);
 */
#ifndef LEADKIT_LEADKIT_H_
#define LEADKIT_LEADKIT_H_

#include <stddef.h>
#include <stdint.h>

/* The ABI this header describes. It changes only when an existing function's
 * meaning or signature does; added functions keep it. */
#define LK_ABI_VERSION 1

#if defined(__GNUC__) || defined(__clang__)
#define LK_API __attribute__((visibility("default")))
#else
#define LK_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* The Arrow C data interface (https://arrow.apache.org/docs/format/CDataInterface.html),
 * declared here as the specification asks each implementation to, under its
 * guards so that a program that includes Arrow's own declaration first keeps
 * it. */
#ifndef ARROW_C_DATA_INTERFACE
#define ARROW_C_DATA_INTERFACE

#define ARROW_FLAG_DICTIONARY_ORDERED 1
#define ARROW_FLAG_NULLABLE 2
#define ARROW_FLAG_MAP_KEYS_SORTED 4

struct ArrowSchema {
  const char* format;
  const char* name;
  const char* metadata;
  int64_t flags;
  int64_t n_children;
  struct ArrowSchema** children;
  struct ArrowSchema* dictionary;
  void (*release)(struct ArrowSchema*);
  void* private_data;
};

struct ArrowArray {
  int64_t length;
  int64_t null_count;
  int64_t offset;
  int64_t n_buffers;
  int64_t n_children;
  const void** buffers;
  struct ArrowArray** children;
  struct ArrowArray* dictionary;
  void (*release)(struct ArrowArray*);
  void* private_data;
};

#endif /* ARROW_C_DATA_INTERFACE */

#ifndef ARROW_C_STREAM_INTERFACE
#define ARROW_C_STREAM_INTERFACE

struct ArrowArrayStream {
  int (*get_schema)(struct ArrowArrayStream*, struct ArrowSchema* out);
  int (*get_next)(struct ArrowArrayStream*, struct ArrowArray* out);
  const char* (*get_last_error)(struct ArrowArrayStream*);
  void (*release)(struct ArrowArrayStream*);
  void* private_data;
};

#endif /* ARROW_C_STREAM_INTERFACE */

/* Status codes; the numbers are those of absl::StatusCode. A C++ status with
 * another code arrives as LK_INTERNAL with its message. */
typedef enum lk_status {
  LK_OK = 0,
  LK_INVALID_ARGUMENT = 3,     /* bad input: a value, a column, a document */
  LK_NOT_FOUND = 5,            /* an unknown preset, zone or dealer */
  LK_FAILED_PRECONDITION = 9,  /* e.g. a policy document with errors */
  LK_OUT_OF_RANGE = 11,        /* a date outside the supported range */
  LK_INTERNAL = 13             /* a failure inside leadkit */
} lk_status;

/* ---- Library ------------------------------------------------------------ */

/* The library's version, "MAJOR.MINOR.PATCH". A static string: never freed. */
LK_API const char* lk_version(void);

/* The ABI version the library implements (LK_ABI_VERSION of its header). */
LK_API int lk_abi_version(void);

/* The calling thread's message of its last lk_* call that returns an
 * lk_status: "" after LK_OK. Owned by leadkit; valid until the thread's next
 * lk_* call. Never NULL. */
LK_API const char* lk_last_error(void);

/* Frees a string leadkit returned through a `char**`. NULL is ignored. */
LK_API void lk_string_free(char* text);

/* ---- Policy ------------------------------------------------------------- */

/* An immutable, validated dealer policy (docs/policy.md). */
typedef struct lk_policy lk_policy;

/* Loads a policy document (`json`, `json_len` bytes of UTF-8, not necessarily
 * NUL-terminated).
 *
 * *policy receives a new handle on LK_OK, NULL otherwise. When `issues` is not
 * NULL it receives every issue found, as a JSON array of objects
 * {"severity": "error"|"warning", "path": JSON Pointer, "rule": id or "",
 * "message": text} — on LK_OK (warnings only, often "[]") and on
 * LK_FAILED_PRECONDITION (the document has errors; the message summarises
 * them); NULL for any other status. Free it with lk_string_free.
 * LK_INVALID_ARGUMENT: the text is not UTF-8 or an argument is NULL. */
LK_API lk_status lk_policy_from_json(const char* json, size_t json_len,
                                     lk_policy** policy, char** issues);

/* One of the bundled presets: "three_level", "abcd", "oabc", "funnel".
 * *policy receives a new handle on LK_OK, NULL otherwise. LK_NOT_FOUND for
 * another name, the message naming it. */
LK_API lk_status lk_policy_from_preset(const char* name, lk_policy** policy);

/* The policy's canonical document (Policy::ToJson). *json receives a string
 * to free with lk_string_free. */
LK_API lk_status lk_policy_to_json(const lk_policy* policy, char** json);

/* Frees a policy. NULL is ignored. */
LK_API void lk_policy_free(lk_policy* policy);

/* ---- Classification ----------------------------------------------------- */

/* Classifies one lead given as a JSON object of the leads fields of
 * docs/data.md (`lead_json`, `lead_json_len` bytes; values as
 * include/leadkit/lead_json.h reads them: instants as ISO 8601 text with an
 * offset or epoch seconds, dates as "YYYY-MM-DD").
 *
 * *result receives, on LK_OK, the classification with its explanation:
 *   {"lead_id": the lead's id or null, "grade": name, "rule": id,
 *    "reasons": [text, ...],
 *    "trace": [{"rule": id, "fired": bool, "condition": text,
 *               "value": text, "points": number or null}, ...],
 *    "score": number or null}
 * Free it with lk_string_free. LK_INVALID_ARGUMENT for malformed JSON, a value
 * of the wrong type or an unknown field, naming the field and the value
 * (personal data masked). */
LK_API lk_status lk_classify_json(const lk_policy* policy,
                                  const char* lead_json, size_t lead_json_len,
                                  char** result);

/* Classifies every lead of an Arrow stream of the `leads` table.
 *
 * `leads`: a stream of struct arrays (record batches) whose columns are named
 * as in docs/data.md. Of the columns, leadkit reads lead_id (utf8 or
 * large_utf8, no nulls) and the fields the policy's rules read; others are
 * ignored, and a field the rules read that the stream lacks is null. Types:
 * strings as utf8, large_utf8 or a dictionary of either; numbers as any
 * integer or float type; booleans as bool; instants as timestamps with a time
 * zone (any unit; a timestamp without a zone is an error: leadkit never
 * guesses one); dates as date32 or date64; a column of Arrow's null type is
 * all null. A column of another type is LK_INVALID_ARGUMENT naming the table
 * and the column. leadkit reads the stream to its end and releases it, on
 * success and on failure alike.
 *
 * `result`: on LK_OK, a new stream (the caller releases it) with one batch per
 * input batch, one row per lead in input order, columns
 *   lead_id  utf8 (large_utf8 when the input's is)
 *   grade    dictionary<int32, utf8> over the policy's grades
 *   rule     dictionary<int32, utf8> over the policy's rule ids
 * — the columns of the Python leadkit.classify result. On failure
 * result->release is NULL. */
LK_API lk_status lk_classify_arrow(const lk_policy* policy,
                                   struct ArrowArrayStream* leads,
                                   struct ArrowArrayStream* result);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* LEADKIT_LEADKIT_H_ */
