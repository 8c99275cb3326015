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
 *   - Handles (lk_policy, lk_calendar, lk_cadence, lk_scope, lk_router and
 *     the report states lk_*_state) are created by an lk_*_from_*,
 *     lk_*_create, lk_*_deserialize or lk_cadence_with_dealers call and
 *     freed by their lk_*_free; a NULL handle may be freed. A handle made
 *     from another keeps what it needs (a cadence outlives its policy).
 *   - `uint8_t**` outputs (saved states) are bytes leadkit allocated, with
 *     their size; the caller frees them with lk_bytes_free.
 *   - Arrow streams follow the Arrow C stream interface's rules: an input
 *     stream handed to leadkit is consumed and released by it, whatever the
 *     outcome; an output stream belongs to the caller, who calls its release.
 *
 * Threads. Policies, calendars, cadences and scopes are immutable once
 * created: any number of threads may use one at once. A router serves concurrent calls
 * one at a time. A report state changes as it is added to and merged: one
 * thread at a time per state (states are independent). lk_last_error is per
 * thread.
 *
 * Versioning. LK_ABI_VERSION is the ABI this header describes; the library's
 * own is lk_abi_version(). The shared library's symbols carry the version node
 * LEADKIT_1, and those added since a later node beside it (LEADKIT_1.1,
 * LEADKIT_1.2: the sections and functions marked so); later releases add
 * functions beside the existing ones.
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

/* `as_of` arguments are the instant a call judges at, in seconds since
 * 1970-01-01T00:00:00Z; LK_AS_OF_DATA stands for the latest instant of the
 * call's input tables (never the machine's clock), as the Python calls do
 * without as_of=. */
#define LK_AS_OF_DATA INT64_MIN

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

/* ---- Time zones (LEADKIT_1.1) ------------------------------------------- */

/* The zones that policies and calendars name are read from a tz database (a
 * directory of TZif files, one per IANA name, as Debian's tzdata installs in
 * /usr/share/zoneinfo or the `tzdata` Python package carries): the directory
 * set here if one is, and then only there; else the TZDIR environment
 * variable's; else the system's (/usr/share/zoneinfo, /usr/lib/zoneinfo,
 * /usr/share/lib/zoneinfo, /etc/zoneinfo). "UTC" needs no database.
 *
 * Sets that directory. `directory` is borrowed; NULL or "" goes back to the
 * search. LK_INVALID_ARGUMENT naming it when it is not a directory. Policies,
 * calendars and cadences made before keep the zones they read. Any thread. */
LK_API lk_status lk_set_tz_dir(const char* directory);

/* The directory zones are read from now ("" when none is found), in a string
 * the caller frees with lk_string_free. */
LK_API lk_status lk_tz_dir(char** directory);

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
 * result->release is NULL. A result batch's lead_id reads utf8 and large_utf8
 * ids where the input batch holds them (no copy): that input batch is
 * released when the result batch is, not when the call ends; its producer's
 * memory stays in use until then. */
LK_API lk_status lk_classify_arrow(const lk_policy* policy,
                                   struct ArrowArrayStream* leads,
                                   struct ArrowArrayStream* result);

/* The customer profile (docs/kpis.md): leads, wins and conversion per group
 * of customer attributes. */
typedef struct lk_profile_state lk_profile_state;

/* A state of no leads grouped by the `by_count` names of `by`: "age_band"
 * (from `age`, cut at the `age_band_count` lower edges of `age_bands`; NULL:
 * 25, 35, 45, 55) or a non-personal string field of the leads (gender,
 * occupation, purpose, model, channel, city, dealer_id, ...). Bad names or
 * edges are reported by the first add. */
LK_API lk_status lk_profile_state_create(const char* const* by,
                                         size_t by_count,
                                         const int64_t* age_bands,
                                         size_t age_band_count,
                                         lk_profile_state** state);

/* Adds the leads of `leads` created by `as_of` (or LK_AS_OF_DATA): columns
 * lead_id, created_at, status, won_at, age and the `by` columns. As
 * lk_lost_analysis_state_add otherwise. */
LK_API lk_status lk_profile_state_add(lk_profile_state* state,
                                      struct ArrowArrayStream* leads,
                                      int64_t as_of);

/* As the KPI state's. */
LK_API lk_status lk_profile_state_merge(lk_profile_state* state,
                                        const lk_profile_state* other);
LK_API lk_status lk_profile_state_serialize(const lk_profile_state* state,
                                            uint8_t** bytes, size_t* size);
LK_API lk_status lk_profile_state_deserialize(const uint8_t* bytes,
                                              size_t size,
                                              lk_profile_state** state);
LK_API void lk_profile_state_free(lk_profile_state* state);

/* The profile: a new stream of one batch, one row per group holding a lead
 * (age bands youngest first, null last; one row when ungrouped), columns
 *   each `by` name   utf8, null for the null group
 *   leads            int64 (not invalid)
 *   share            float64 (leads / the leads of every group)
 *   won              int64
 *   conversion_rate  float64, NaN without leads
 *   invalid          int64
 * — the columns of Python's leadkit.profile. */
LK_API lk_status lk_profile_state_finalize(const lk_profile_state* state,
                                           struct ArrowArrayStream* result);

/* Showroom traffic (docs/kpis.md, "leadkit.showroom"): visits per group. */
typedef struct lk_showroom_state lk_showroom_state;

/* Groups, in order (none: one row): dealer_id, consultant_id, model, hour
 * (local hour of arrival), weekday (local ISO weekday, 1 = Monday), day (local
 * YYYY-MM-DD); `time_zone` (NULL: "UTC") for local times. Bad names or zones
 * are reported by the first add. */
LK_API lk_status lk_showroom_state_create(const char* const* by,
                                          size_t by_count,
                                          const char* time_zone,
                                          lk_showroom_state** state);

/* Adds the visits arrived by `as_of` (or LK_AS_OF_DATA): visit_id,
 * dealer_id, arrived_at; left_at, lead_id, consultant_id, model, effective.
 * `leads` (may be NULL): lead_id, status, won_at — a visit naming a lead not
 * in it is an error. Both streams are read to their end and released; a
 * failed add leaves the state as it was. */
LK_API lk_status lk_showroom_state_add(lk_showroom_state* state,
                                       struct ArrowArrayStream* visits,
                                       struct ArrowArrayStream* leads,
                                       int64_t as_of);

/* As the KPI state's. */
LK_API lk_status lk_showroom_state_merge(lk_showroom_state* state,
                                         const lk_showroom_state* other);
LK_API lk_status lk_showroom_state_serialize(const lk_showroom_state* state,
                                             uint8_t** bytes, size_t* size);
LK_API lk_status lk_showroom_state_deserialize(const uint8_t* bytes,
                                               size_t size,
                                               lk_showroom_state** state);
LK_API void lk_showroom_state_free(lk_showroom_state* state);

/* The report: one batch, one row per group (the null group last), columns
 * the `by` names (utf8; hour and weekday as decimal text), visits,
 * with_contact (int64), contact_share (float64), effective (int64),
 * effective_share (float64), when some batch came with its leads won (int64)
 * and visit_to_deal_rate (float64), avg_stay_minutes (float64) and
 * top_models (utf8, the `top_models` >= 1 most asked, ";"-joined; null when
 * no visit named one) — Python's leadkit.showroom. */
LK_API lk_status lk_showroom_state_finalize(const lk_showroom_state* state,
                                            int top_models,
                                            struct ArrowArrayStream* result);

/* Consultants' activity (docs/kpis.md, "leadkit.activity"): contacts per
 * group. */
typedef struct lk_activity_state lk_activity_state;

/* Groups, in order: consultant_id (the touch's), dealer_id (the lead's;
 * needs the leads), day, week, month (local to `time_zone`, NULL: "UTC").
 * by == NULL with by_count 0: consultant_id and day. */
LK_API lk_status lk_activity_state_create(const char* const* by,
                                          size_t by_count,
                                          const char* time_zone,
                                          lk_activity_state** state);

/* Adds the touches made by `as_of` (or LK_AS_OF_DATA): lead_id, at,
 * method; consultant_id. `leads` (may be NULL): lead_id, created_at;
 * assigned_at, status, dealer_id, consultant_id — every lead's touches in
 * the same call as the lead. As lk_showroom_state_add otherwise. */
LK_API lk_status lk_activity_state_add(lk_activity_state* state,
                                       struct ArrowArrayStream* touches,
                                       struct ArrowArrayStream* leads,
                                       int64_t as_of);

/* As the KPI state's. */
LK_API lk_status lk_activity_state_merge(lk_activity_state* state,
                                         const lk_activity_state* other);
LK_API lk_status lk_activity_state_serialize(const lk_activity_state* state,
                                             uint8_t** bytes, size_t* size);
LK_API lk_status lk_activity_state_deserialize(const uint8_t* bytes,
                                               size_t size,
                                               lk_activity_state** state);
LK_API void lk_activity_state_free(lk_activity_state* state);

/* The report: one batch, one row per group (the null group last), columns
 * the `by` names (utf8), contacts, contacts_<method> for phone, wechat, sms,
 * email, visit, event and every other method seen (by name),
 * leads_touched, and when some batch came with its leads new_leads (all
 * int64) — Python's leadkit.activity. */
LK_API lk_status lk_activity_state_finalize(const lk_activity_state* state,
                                            struct ArrowArrayStream* result);

/* Follow-up effectiveness (docs/kpis.md, "leadkit.effectiveness"): leads,
 * wins and touches by how the leads were followed up. */
typedef struct lk_effectiveness_state lk_effectiveness_state;

/* `view` (NULL: "method_mix"): "method_mix" (by the mix of touch methods),
 * "interval" (by the average days between touches, cut at the
 * `bucket_count` upper bounds of `interval_buckets`; NULL: 1, 3, 7, 14, 30)
 * or "action" (by each method and content a lead's touches used; with
 * `playbook` non-zero, next to the action the policy's playbook
 * recommended). Bad options are LK_INVALID_ARGUMENT naming them. */
LK_API lk_status lk_effectiveness_state_create(
    const char* view, const double* interval_buckets, size_t bucket_count,
    int playbook, lk_effectiveness_state** state);

/* Adds the leads of `leads` (lead_id, created_at, status, won_at) with all
 * of their `touches` (lead_id, at, method; content) at `as_of` (or
 * LK_AS_OF_DATA). `policy` may be NULL but for a playbook state; with it the
 * leads are read as the cadence reads them (their grades, the touches'
 * grade_after, the fields the playbook reads). Both streams are read to
 * their end and released; a failed add leaves the state as it was. */
LK_API lk_status lk_effectiveness_state_add(lk_effectiveness_state* state,
                                            const lk_policy* policy,
                                            struct ArrowArrayStream* leads,
                                            struct ArrowArrayStream* touches,
                                            int64_t as_of);

/* As the KPI state's. */
LK_API lk_status lk_effectiveness_state_merge(
    lk_effectiveness_state* state, const lk_effectiveness_state* other);
LK_API lk_status lk_effectiveness_state_serialize(
    const lk_effectiveness_state* state, uint8_t** bytes, size_t* size);
LK_API lk_status lk_effectiveness_state_deserialize(
    const uint8_t* bytes, size_t size, lk_effectiveness_state** state);
LK_API void lk_effectiveness_state_free(lk_effectiveness_state* state);

/* The report: one batch, columns the group (utf8: `method_mix` or
 * `interval` after the view; `method` and `content`, null without one, in
 * the action view), leads, won (int64), conversion_rate (float64), touches
 * (int64), touches_per_lead (float64), and next to the playbook
 * recommended_touches, touches_as_recommended, leads_as_recommended,
 * won_as_recommended (int64), conversion_rate_as_recommended (float64) —
 * Python's leadkit.effectiveness; NaN where a denominator is 0. */
LK_API lk_status lk_effectiveness_state_finalize(
    const lk_effectiveness_state* state, struct ArrowArrayStream* result);

/* The pipeline reports (docs/kpis.md): one state counts one of them. */
typedef struct lk_pipeline_state lk_pipeline_state;

/* `report`: "pipeline" (open leads by grade at `at`), "grade_migration"
 * (grades at `start` -> at `end`), "monthly" (the month-end roll-over of the
 * `month_count` "YYYY-MM" `months`, in the policy's time zone), "funnel"
 * (grades and sales stages reached by `as_of`) or "touches_per_won_lead"
 * (by `as_of`). Instants are seconds since the epoch; those the report does
 * not use are ignored. `by`: group columns of the leads (pipeline, funnel,
 * touches_per_won_lead only). `policy` gives the grades; it may be NULL for
 * touches_per_won_lead only. Bad options are LK_INVALID_ARGUMENT naming
 * them. */
LK_API lk_status lk_pipeline_state_create(
    const char* report, const lk_policy* policy, const char* const* by,
    size_t by_count, int64_t at, int64_t start, int64_t end, int64_t as_of,
    const char* const* months, size_t month_count, lk_pipeline_state** state);

/* Adds the leads of `leads` (lead_id, created_at, status, won_at, lost_at,
 * lost_review, grade — null: the policy's classification —, sales_stage,
 * the `by` columns) with all of their `touches` (lead_id, at, method;
 * grade_after). `policy` may be NULL for touches_per_won_lead only. Both
 * streams are read to their end and released; a failed add leaves the state
 * as it was. */
LK_API lk_status lk_pipeline_state_add(lk_pipeline_state* state,
                                       const lk_policy* policy,
                                       struct ArrowArrayStream* leads,
                                       struct ArrowArrayStream* touches);

/* As the KPI state's. */
LK_API lk_status lk_pipeline_state_merge(lk_pipeline_state* state,
                                         const lk_pipeline_state* other);
LK_API lk_status lk_pipeline_state_serialize(const lk_pipeline_state* state,
                                             uint8_t** bytes, size_t* size);
LK_API lk_status lk_pipeline_state_deserialize(const uint8_t* bytes,
                                               size_t size,
                                               lk_pipeline_state** state);
LK_API void lk_pipeline_state_free(lk_pipeline_state* state);

/* The report, one batch; strings utf8, counts int64, rates float64:
 *   pipeline              by..., grade, open_leads, share
 *   grade_migration       from, to, leads
 *   monthly               month, carried_over, new, invalid, won, lost,
 *                         open_at_end, conversion_rate, loss_rate
 *   funnel                by..., kind, stage, leads, reached,
 *                         share_of_leads, conversion_from_previous
 *   touches_per_won_lead  by..., won_leads, touches, touches_per_won_lead
 * — Python's PipelineState reports. */
LK_API lk_status lk_pipeline_state_finalize(const lk_pipeline_state* state,
                                            struct ArrowArrayStream* result);

/* ---- Routing ------------------------------------------------------------ */

/* Routes leads one by one (docs/routing.md): duplicates, the nearest dealer,
 * a consultant by models, experience and fair shares; keeps loads and
 * file-number counters. lk_router_route_json may be called from many threads
 * at once (calls are served one at a time); save and restore likewise. */
typedef struct lk_router lk_router;

/* A router over the dealers and consultants tables of docs/data.md, as Arrow
 * streams (read to their end and released, whatever the outcome):
 *   dealers      dealer_id, region_id, lat, lon; city, models, active
 *   consultants  consultant_id, dealer_id; models, experience_years, active,
 *                max_open_leads, open_leads, weight, code
 * `models` is text, names separated by ';' or ',', or a list or large_list
 * of strings (names trimmed, empty ones dropped; a null in a list is an
 * error naming the row); null or empty: every model. Absent or null values take docs/data.md's defaults. `phone_key`:
 * NULL or 16 secret bytes (docs/routing.md, "Saved state"): without it a
 * router that has seen a phone cannot be saved. The policy may be freed
 * afterwards. Bad rows are LK_INVALID_ARGUMENT naming the table, the id, the
 * column and the value. */
LK_API lk_status lk_router_create(const lk_policy* policy,
                                  struct ArrowArrayStream* dealers,
                                  struct ArrowArrayStream* consultants,
                                  const uint8_t* phone_key, lk_router** router);

/* Routes one lead given as JSON (lk_classify_json's fields; lead_id and
 * created_at required; phone, dealer_id, model, city, lat, lon read; its
 * grade is its "grade" when given, else the policy's classification).
 * *assignment receives, on LK_OK,
 *   {"lead_id": id, "status": "assigned" | "duplicate" | "unassigned",
 *    "dealer_id": id or null, "consultant_id": id or null,
 *    "distance_km": number or null, "file_number": text or null,
 *    "duplicate_of": id or null, "reason": code, "reasons": [text, ...],
 *    "passed_over": [{"dealer_id", "reason", "distance_km"}, ...]}
 * — Python's Assignment. Free it with lk_string_free. */
LK_API lk_status lk_router_route_json(lk_router* router, const char* lead_json,
                                      size_t lead_json_len, char** assignment);

/* Routes a batch: every lead of `leads` (lead_id, created_at; phone,
 * dealer_id, model, city, lat, lon, grade and the fields the policy's rules
 * read), duplicates found in created_at order; each lead's grade its `grade`
 * when given (one of the policy's, else LK_INVALID_ARGUMENT naming the row),
 * else the policy's classification. The stream is read to its end and
 * released, whatever the outcome. `result`: one batch, one row per input
 * lead in input order, columns
 *   lead_id        utf8 (large_utf8 when the input's is)
 *   status         utf8: "assigned", "duplicate", "unassigned"
 *   dealer_id, consultant_id   utf8, null for none
 *   distance_km    float64, NaN when unknown
 *   file_number, duplicate_of  utf8, null for none
 *   reason         utf8
 *   passed_over    utf8: a JSON array of {"dealer_id", "reason",
 *                  "distance_km"}, null when empty
 * — Python's leadkit.route. */
LK_API lk_status lk_route_arrow(lk_router* router,
                                struct ArrowArrayStream* leads,
                                struct ArrowArrayStream* result);

/* Holds the open leads of `open_leads` (LEADKIT_1.2) as leads the router
 * routed before it started — Python's Router(..., open_leads=...): a later
 * lead of the same phone within the policy's duplicate window is a duplicate
 * of the first lead of their chain, kept with that lead's dealer and
 * consultant. Their loads are not counted again (the consultants'
 * open_leads column holds them). `open_leads`: the leads table of
 * docs/data.md as an Arrow stream, of which lead_id (strings, no nulls) and
 * created_at (a timestamp with a zone, none null) are required and phone,
 * dealer_id and consultant_id (strings; null: none) read; a row without a
 * phone is not held. The stream is read to its end and released, whatever
 * the outcome. A bad row is LK_INVALID_ARGUMENT naming the row and its
 * lead_id, and then no row is held. */
LK_API lk_status lk_router_add_open_leads_arrow(
    lk_router* router, struct ArrowArrayStream* open_leads);

/* The router's state (loads, counters, the keyed hashes of the phones seen)
 * as bytes to free with lk_bytes_free. LK_FAILED_PRECONDITION when it has
 * seen a phone and has no phone_key. */
LK_API lk_status lk_router_save(const lk_router* router, uint8_t** bytes,
                                size_t* size);

/* Replaces the router's state by bytes of lk_router_save (from a router over
 * the same dealers and consultants, under the same phone_key), or leaves it
 * unchanged and returns LK_INVALID_ARGUMENT saying what is wrong. */
LK_API lk_status lk_router_restore(lk_router* router, const uint8_t* bytes,
                                   size_t size);

/* Frees a router. NULL is ignored. */
LK_API void lk_router_free(lk_router* router);

/* ---- Bytes -------------------------------------------------------------- */

/* Frees bytes leadkit returned through a `uint8_t**` (a saved state). NULL is
 * ignored. */
LK_API void lk_bytes_free(uint8_t* bytes);

/* ---- Calendar ----------------------------------------------------------- */

/* A dealer's business calendar (docs/calendars.md): open hours, holidays,
 * make-up workdays, in a time zone. Immutable once created. */
typedef struct lk_calendar lk_calendar;

/* Loads a calendar document (`json_len` bytes of UTF-8). *calendar receives a
 * new handle on LK_OK, NULL otherwise; `issues` (may be NULL) as
 * lk_policy_from_json's: every issue as JSON on LK_OK and on
 * LK_FAILED_PRECONDITION (errors in the document), NULL otherwise.
 * LK_NOT_FOUND for an unknown time zone, naming it. */
LK_API lk_status lk_calendar_from_json(const char* json, size_t json_len,
                                       lk_calendar** calendar, char** issues);

/* A bundled calendar: "cn_office" or "cn_showroom". LK_NOT_FOUND for another
 * name, the message naming it. */
LK_API lk_status lk_calendar_from_preset(const char* name,
                                         lk_calendar** calendar);

/* The calendar's canonical document; free it with lk_string_free. */
LK_API lk_status lk_calendar_to_json(const lk_calendar* calendar, char** json);

/* Frees a calendar. NULL is ignored. */
LK_API void lk_calendar_free(lk_calendar* calendar);

/* ---- Cadence ------------------------------------------------------------ */

/* A policy with its business calendar: the deadline rules and the task
 * engine (docs/cadence.md) that the KPIs judge timeliness by. Immutable once
 * created. */
typedef struct lk_cadence lk_cadence;

/* The policy judged on its own calendar (the policy's `calendar`: a preset in
 * the policy's zone, an inline document). *cadence receives a new handle on
 * LK_OK, NULL otherwise; the policy may be freed afterwards. */
LK_API lk_status lk_cadence_from_policy(const lk_policy* policy,
                                        lk_cadence** cadence);

/* The policy judged on `calendar` instead of its own (both may be freed
 * afterwards). */
LK_API lk_status lk_cadence_from_calendar(const lk_policy* policy,
                                          const lk_calendar* calendar,
                                          lk_cadence** cadence);

/* The open tasks of one lead at `as_of` (seconds since the epoch, or
 * LK_AS_OF_DATA for the latest instant of the lead and its touches): the
 * online call of a dealer system that shows one lead.
 *
 * `lead_json`: the lead as lk_classify_json takes it (lead_id and created_at
 * required). `touches_json` (may be NULL: no touches): a JSON array of the
 * lead's touches, each {"at": instant, "method": text, "grade_after": grade
 * or null}, instants as ISO 8601 text with an offset or epoch seconds.
 * *tasks receives, on LK_OK, a JSON array in due order of
 *   {"task": name (docs/cadence.md), "started_at": UTC time,
 *    "due_at": UTC time, "agenda_at": UTC time or null,
 *    "status": "pending" | "overdue", "detail": text or null,
 *    "estimated": bool}
 * with times as "YYYY-MM-DDTHH:MM:SSZ"; free it with lk_string_free.
 * LK_INVALID_ARGUMENT naming the field and the value for bad input. */
LK_API lk_status lk_cadence_lead_tasks(const lk_cadence* cadence,
                                       const char* lead_json,
                                       size_t lead_json_len,
                                       const char* touches_json,
                                       size_t touches_json_len, int64_t as_of,
                                       char** tasks);

/* Frees a cadence. NULL is ignored. */
LK_API void lk_cadence_free(lk_cadence* cadence);

/* Every open task of a batch at `as_of` (or LK_AS_OF_DATA), as Python's
 * leadkit.schedule lists them (without the playbook's action columns).
 * `leads`: lead_id, created_at and the columns the cadence reads (those of
 * lk_kpi_state_add) with consultant_id; `touches`: lead_id, at, method;
 * grade_after. Both are read to their end and released, whatever the
 * outcome; every lead's touches come in the same call as the lead.
 *
 * `result`: on LK_OK a new stream of one batch, one row per open task, in
 * lead order and each lead's tasks by due time, columns
 *   lead_id        utf8 (large_utf8 when the input's is)
 *   consultant_id  utf8, the lead's, null when it has none
 *   task           utf8 (docs/cadence.md's task names)
 *   due_at         timestamp[s, UTC]
 *   agenda_at      timestamp[s, UTC], null for a task without an agenda date
 *   status         utf8, "pending" or "overdue"
 *   started_at     timestamp[s, UTC]
 *   detail         utf8, null when none
 *   estimated      bool
 * A bad row is LK_INVALID_ARGUMENT naming the table, row, lead_id and
 * value. */
LK_API lk_status lk_schedule_arrow(const lk_cadence* cadence,
                                   struct ArrowArrayStream* leads,
                                   struct ArrowArrayStream* touches,
                                   int64_t as_of,
                                   struct ArrowArrayStream* result);

/* ---- Agenda, dealer calendars, hand-over and reclaim (LEADKIT_1.1) ------ */

/* A cadence that judges each lead by its dealer's calendar (docs/policy.md,
 * "Calendars per dealer"): `dealers` is the dealers table of docs/data.md as
 * an Arrow stream (read to its end and released, whatever the outcome), of
 * which dealer_id and calendar (strings; null: the policy's calendar) are
 * read; each calendar names one of the policy's "calendars". A lead (leads
 * column dealer_id) of a dealer given a calendar is judged on it, in its
 * zone, by every call that takes the new cadence (lk_schedule_arrow,
 * lk_agenda_arrow, lk_router_reclaim_arrow, the KPIs, the audit and the
 * backtest); any other lead on `cadence`'s calendar. Without a calendar
 * column the new cadence judges as `cadence` does (dealer calendars `cadence`
 * had are replaced, not added to). *with_dealers receives a new handle on
 * LK_OK, NULL otherwise; `cadence` is unchanged and may be freed afterwards.
 * LK_INVALID_ARGUMENT naming the row, the dealer_id and the name for an
 * unknown calendar (with the policy's calendars), and for a dealer given two
 * calendars. */
LK_API lk_status lk_cadence_with_dealers(const lk_cadence* cadence,
                                         struct ArrowArrayStream* dealers,
                                         lk_cadence** with_dealers);

/* The daily agenda (docs/cadence.md, "The daily agenda") of local day `day`,
 * given as days since 1970-01-01 (the value of an Arrow date32; 2024-06-10
 * is 19884): the day of the calendar the deadlines are judged in, from its
 * midnight to the next, each lead's dealer's calendar with a cadence of
 * lk_cadence_with_dealers. The schedule at the day's last second, keeping
 * the tasks that are overdue, due that day, open that day or are on the
 * agenda, as Python's leadkit.agenda lists them (without the playbook's
 * action columns; Python's consultant_id= and dealer_id= filters are the
 * caller's: filter the rows by consultant_id, or pass the leads of one
 * dealer). `leads` and `touches` as lk_schedule_arrow's; `result` has its
 * columns, with `status` as the task stands on that day ("overdue": due at
 * or before the day's start). LK_OUT_OF_RANGE for a day outside the
 * calendar's supported years. */
LK_API lk_status lk_agenda_arrow(const lk_cadence* cadence,
                                 struct ArrowArrayStream* leads,
                                 struct ArrowArrayStream* touches, int32_t day,
                                 struct ArrowArrayStream* result);

/* Hand-over (docs/routing.md, "Hand-over and reclaim"): the consultants of
 * `leaving` (`leaving_count` ids, copied; NULL when 0) leave or go on leave,
 * and their open leads in `open_leads` are spread over their dealer's
 * remaining eligible consultants by the routing rule, on the router's
 * current loads, which rise as leads move (save the router afterwards to
 * keep them). `open_leads`: lead_id, created_at, consultant_id; dealer_id
 * (null: the consultant's dealer), model, grade and the fields the policy's
 * rules read (each lead's grade its `grade` when given, else the policy's
 * classification, as lk_route_arrow). Read to its end and released,
 * whatever the outcome.
 *
 * `result`: on LK_OK a new stream of one batch, one row per lead of a
 * leaving consultant, in input order, columns
 *   lead_id             utf8 (large_utf8 when the input's is)
 *   from_consultant_id  utf8
 *   to_consultant_id    utf8, null when nobody could take the lead
 *   status              utf8: "moved" or "unassigned"
 *   reason              utf8: "handover", or routing's reason
 *                       ("no_eligible_consultant")
 * — Python's leadkit.handover. LK_NOT_FOUND naming a leaving consultant the
 * router does not have; LK_INVALID_ARGUMENT naming the table, column, row
 * and value for bad input (a lead_id given twice, a null created_at). */
LK_API lk_status lk_router_handover_arrow(lk_router* router,
                                          struct ArrowArrayStream* open_leads,
                                          const char* const* leaving,
                                          size_t leaving_count,
                                          struct ArrowArrayStream* result);

/* Reclaim: the leads whose first contact is overdue at `as_of` (or
 * LK_AS_OF_DATA) by `cadence`'s rule (Cadence::FirstContactOverdue; each
 * lead on its dealer's calendar with a cadence of lk_cadence_with_dealers)
 * go to another eligible consultant of their dealer ("reclaimed",
 * "first_contact_overdue"), loads moving with them; a lead already
 * reassigned the policy's reclaim_limit times is "escalated"
 * ("reclaim_limit"), one without a dealer or whom nobody can take
 * "unassigned" ("no_dealer", or routing's reason). `leads`: the columns of
 * lk_schedule_arrow's leads, with consultant_id, model and reassignments (a
 * count; null: 0); grades as lk_router_handover_arrow's. `touches`: as
 * lk_schedule_arrow's. Both read to their end and released, whatever the
 * outcome.
 *
 * `result`: on LK_OK a new stream of one batch, one row per lead whose first
 * contact is overdue, in input order: lk_router_handover_arrow's columns
 * (from_consultant_id null for a lead without one; status "reclaimed",
 * "escalated" or "unassigned"), then
 *   reassignments  int64, the lead's count after the move
 * — Python's leadkit.reclaim. */
LK_API lk_status lk_router_reclaim_arrow(lk_router* router,
                                         const lk_cadence* cadence,
                                         struct ArrowArrayStream* leads,
                                         struct ArrowArrayStream* touches,
                                         int64_t as_of,
                                         struct ArrowArrayStream* result);

/* ---- Tasks with the playbook's actions (LEADKIT_1.2) -------------------- */

/* Flags of lk_schedule_actions_arrow and lk_agenda_actions_arrow, or-ed (0:
 * neither). */
/* A reasons column: list<utf8>, each task's conditions that held, with the
 * lead's values (personal data masked) — Python's next_actions(explain=True). */
#define LK_TASKS_EXPLAIN 1u
/* A bad row (a null created_at, a touch of a lead the batch lacks, a task
 * whose deadline cannot be computed) is a row of `errors`, not a failure: the
 * lead's other tasks stay — Python's schedule(errors="collect"). */
#define LK_TASKS_COLLECT_ERRORS 2u

/* lk_schedule_arrow with what to do for each task, from the policy's
 * playbook (docs/playbook.md): Python's leadkit.schedule and
 * leadkit.next_actions. `leads` as lk_schedule_arrow's, with the lead fields
 * the playbook's rules read; `touches` as lk_schedule_arrow's. Both read to
 * their end and released, whatever the outcome.
 *
 * `result`: on LK_OK a new stream of one batch, lk_schedule_arrow's rows and
 * columns, then
 *   method   dictionary<int32, utf8> over the playbook's methods
 *            (docs/playbook.md: phone, sms, email, wechat, visit, test_drive,
 *            event)
 *   content  dictionary<int32, utf8> over the documented content types, then
 *            the policy's own
 *   goal     dictionary<int32, utf8> over the documented goals, then the
 *            policy's own
 *   rule     dictionary<int32, utf8> over the playbook's rule ids, in order
 *   reasons  list<utf8> (with LK_TASKS_EXPLAIN only)
 * (each dictionary the whole vocabulary, in that order, whatever the rows
 * use).
 *
 * `errors` (may be NULL without LK_TASKS_COLLECT_ERRORS, and is then left
 * alone but for its release set to NULL): with LK_TASKS_COLLECT_ERRORS, on
 * LK_OK a new stream of one batch, one row per rejected input row, in the
 * order found, columns
 *   table    utf8, "leads" or "touches"
 *   row      int64, the row's position in that table (across its batches)
 *   lead_id  utf8, the row's lead_id
 *   column   utf8, the column at fault, null for the row as a whole
 *   reason   utf8, naming the lead_id and the value (personal data masked)
 * which the caller releases; its release is NULL on failure. Without the
 * flag a bad row is LK_INVALID_ARGUMENT as for lk_schedule_arrow; a bad
 * column (a type the field cannot hold) is LK_INVALID_ARGUMENT either way.
 * LK_INVALID_ARGUMENT for an unknown flag and for NULL `errors` with
 * LK_TASKS_COLLECT_ERRORS. */
LK_API lk_status lk_schedule_actions_arrow(const lk_cadence* cadence,
                                           struct ArrowArrayStream* leads,
                                           struct ArrowArrayStream* touches,
                                           int64_t as_of, uint32_t flags,
                                           struct ArrowArrayStream* result,
                                           struct ArrowArrayStream* errors);

/* lk_agenda_arrow with the playbook's actions: Python's leadkit.agenda,
 * filters included. `consultant_id` (may be NULL: every consultant) keeps
 * the tasks of the leads of that consultant, `dealer_id` (may be NULL: every
 * dealer) those of the leads of that dealer (the leads' dealer_id column; a
 * lead without one never matches); both borrowed for the call. `leads`,
 * `touches`, `flags`, `result` and `errors` as lk_schedule_actions_arrow's,
 * `day` as lk_agenda_arrow's (LK_OUT_OF_RANGE outside the years 1 to 9999).
 * LK_INVALID_ARGUMENT naming the column for a `dealer_id` when the leads
 * have no dealer_id column. */
LK_API lk_status lk_agenda_actions_arrow(const lk_cadence* cadence,
                                         struct ArrowArrayStream* leads,
                                         struct ArrowArrayStream* touches,
                                         int32_t day,
                                         const char* consultant_id,
                                         const char* dealer_id, uint32_t flags,
                                         struct ArrowArrayStream* result,
                                         struct ArrowArrayStream* errors);

/* ---- Report states ------------------------------------------------------ */

/* Report states are mergeable: add batches to a state, merge states computed
 * apart (threads, processes, machines), save one to bytes and load it back,
 * and finalize it to the report's table. A state is not immutable: one thread
 * at a time may use it (different states are independent).
 *
 * Saved bytes are leadkit-owned (free them with lk_bytes_free); damaged or
 * foreign bytes are LK_INVALID_ARGUMENT naming what is wrong. */

/* The core KPIs (docs/kpis.md), grouped. */
typedef struct lk_kpi_state lk_kpi_state;

/* A state of no leads grouped by the `by_count` names of `by` (may be NULL
 * when by_count is 0): string columns of the leads (channel, dealer_id,
 * consultant_id, model, region_id, ...) or the derived keys "grade",
 * "current_grade", "month", "week". The names are copied. */
LK_API lk_status lk_kpi_state_create(const char* const* by, size_t by_count,
                                     lk_kpi_state** state);

/* Adds the leads of `leads` with their touches and (when `surveys` is not
 * NULL) their surveys, judged by `cadence` at `as_of` (or LK_AS_OF_DATA).
 * Every lead's touches and surveys come in the same call as the lead. The
 * streams are tables of docs/data.md, typed as lk_classify_arrow reads them:
 *   leads    lead_id, created_at, the other columns the cadence reads
 *            (assigned_at, won_at, delivered_at, lost_at, status,
 *            lost_review, grade, channel, model, birthday, entered_at,
 *            dealer_id), the policy's fields and the `by` columns
 *   touches  lead_id, at (timestamp with a zone), method; grade_after
 *   surveys  lead_id, at, satisfied (bool)
 * Each stream is read to its end and released, whatever the outcome. Bad
 * input is LK_INVALID_ARGUMENT naming the table, column, row and lead_id;
 * the state is then unchanged. */
LK_API lk_status lk_kpi_state_add(lk_kpi_state* state,
                                  const lk_cadence* cadence,
                                  struct ArrowArrayStream* leads,
                                  struct ArrowArrayStream* touches,
                                  struct ArrowArrayStream* surveys,
                                  int64_t as_of);

/* Adds `other`'s groups to `state` (other is unchanged).
 * LK_FAILED_PRECONDITION when their `by` differ. */
LK_API lk_status lk_kpi_state_merge(lk_kpi_state* state,
                                    const lk_kpi_state* other);

/* The state as bytes: *bytes receives `*size` bytes to free with
 * lk_bytes_free. */
LK_API lk_status lk_kpi_state_serialize(const lk_kpi_state* state,
                                        uint8_t** bytes, size_t* size);

/* A state from bytes lk_kpi_state_serialize gave (of this or an earlier
 * release). *state receives a new handle on LK_OK, NULL otherwise. */
LK_API lk_status lk_kpi_state_deserialize(const uint8_t* bytes, size_t size,
                                          lk_kpi_state** state);

/* The KPI table: a new stream (the caller releases it) of one batch, one row
 * per group sorted by key (the null group last), columns
 *   each `by` name  utf8, null for the null group
 *   then the columns of Python's leadkit.KPI_COLUMNS, in that order: the
 *   counts (leads, invalid, won, ...) int64, the rates and percentiles
 *   (conversion_rate, ...) float64, NaN where the denominator is 0.
 * On failure result->release is NULL. */
LK_API lk_status lk_kpi_state_finalize(const lk_kpi_state* state,
                                       struct ArrowArrayStream* result);

/* Frees a KPI state. NULL is ignored. */
LK_API void lk_kpi_state_free(lk_kpi_state* state);

/* The KPI table of one batch at once: lk_kpi_state_create, _add and
 * _finalize in one call, with their arguments and results. */
LK_API lk_status lk_kpis_arrow(const lk_cadence* cadence,
                               struct ArrowArrayStream* leads,
                               struct ArrowArrayStream* touches,
                               struct ArrowArrayStream* surveys,
                               const char* const* by, size_t by_count,
                               int64_t as_of,
                               struct ArrowArrayStream* result);

/* The lost-sales analysis (docs/kpis.md): lost leads per group and reason,
 * with their reviews. */
typedef struct lk_lost_analysis_state lk_lost_analysis_state;

/* A state of no leads grouped by the `by_count` names of `by` before
 * lost_reason: "month" or "week" of lost_at in `time_zone` (an IANA name;
 * NULL: "UTC"), or a leads column (dealer_id, consultant_id, channel, model).
 * by == NULL with by_count 0: by month. An unknown name or zone is reported
 * by the first add. */
LK_API lk_status lk_lost_analysis_state_create(const char* const* by,
                                               size_t by_count,
                                               const char* time_zone,
                                               lk_lost_analysis_state** state);

/* Adds the leads of `leads` lost by `as_of` (or LK_AS_OF_DATA): columns
 * lead_id, status, lost_review, lost_reason, lost_at, created_at and the
 * `by` columns, typed as lk_classify_arrow reads them. The stream is read to
 * its end and released, whatever the outcome; a failed add leaves the state
 * as it was. */
LK_API lk_status lk_lost_analysis_state_add(lk_lost_analysis_state* state,
                                            struct ArrowArrayStream* leads,
                                            int64_t as_of);

/* As the KPI state's: merge (LK_FAILED_PRECONDITION for other options),
 * serialize (bytes to free with lk_bytes_free), deserialize, free. */
LK_API lk_status lk_lost_analysis_state_merge(
    lk_lost_analysis_state* state, const lk_lost_analysis_state* other);
LK_API lk_status lk_lost_analysis_state_serialize(
    const lk_lost_analysis_state* state, uint8_t** bytes, size_t* size);
LK_API lk_status lk_lost_analysis_state_deserialize(
    const uint8_t* bytes, size_t size, lk_lost_analysis_state** state);
LK_API void lk_lost_analysis_state_free(lk_lost_analysis_state* state);

/* The analysis: a new stream of one batch, one row per group sorted by key
 * (null last), columns
 *   each `by` name, then lost_reason   utf8, null for the null group
 *   lost                               int64
 *   share                              float64 (lost / lost of the rows
 *                                      with the same `by` values)
 *   approved, rejected, pending, review_null   int64
 *   rejection_rate                     float64, NaN when no review
 * — the columns of Python's leadkit.lost_analysis. On failure
 * result->release is NULL. */
LK_API lk_status lk_lost_analysis_state_finalize(
    const lk_lost_analysis_state* state, struct ArrowArrayStream* result);

/* The supervisor's audit of lead records and follow-up (docs/kpis.md,
 * "leadkit.audit"): one finding per lead and code, personal data masked in
 * every detail. */
typedef struct lk_audit_state lk_audit_state;

/* A state of no findings. `phone_key`: NULL or 16 secret bytes, copied — the
 * key of the phones' keyed hash the state keeps to find duplicates across
 * batches (never the numbers); states merge only under the same key. Without
 * one the hashes are under a fixed key anyone can test guessed numbers
 * against: give one when states leave the process. */
LK_API lk_status lk_audit_state_create(const uint8_t* phone_key,
                                       lk_audit_state** state);

/* Audits the leads of `leads` created by `as_of` (or LK_AS_OF_DATA) with
 * all of their `touches`, judged by `cadence`. The streams are tables of
 * docs/data.md, typed as lk_kpi_state_add reads them:
 *   leads    lead_id, created_at, the columns the cadence reads (those of
 *            lk_kpi_state_add), the policy's fields, and name, phone,
 *            model, grade, consultant_id (text)
 *   touches  lead_id, at, method; grade_after, consultant_id
 * Each stream is read to its end and released, whatever the outcome. Bad
 * input is LK_INVALID_ARGUMENT naming the table, column, row and lead_id,
 * personal data masked; the state is then unchanged. LK_FAILED_PRECONDITION
 * for a state restored from the bytes of a keyed state (it merges and
 * finalizes, but does not add: merge it into a state created with the
 * key). */
LK_API lk_status lk_audit_state_add(lk_audit_state* state,
                                    const lk_cadence* cadence,
                                    struct ArrowArrayStream* leads,
                                    struct ArrowArrayStream* touches,
                                    int64_t as_of);

/* As the KPI state's: merge (duplicates are then found across the states;
 * LK_FAILED_PRECONDITION for another phone_key), serialize (bytes to free
 * with lk_bytes_free; they carry a check of the key, never the key nor a
 * phone number), deserialize, free. */
LK_API lk_status lk_audit_state_merge(lk_audit_state* state,
                                      const lk_audit_state* other);
LK_API lk_status lk_audit_state_serialize(const lk_audit_state* state,
                                          uint8_t** bytes, size_t* size);
LK_API lk_status lk_audit_state_deserialize(const uint8_t* bytes, size_t size,
                                            lk_audit_state** state);
LK_API void lk_audit_state_free(lk_audit_state* state);

/* The findings: a new stream of one batch, one row per finding sorted by
 * lead_id (byte order), then by code, columns
 *   lead_id   utf8
 *   finding   dictionary<int32, utf8> over every code, in Python's
 *             leadkit.AUDIT_FINDINGS order (missing_name, missing_phone,
 *             missing_model, missing_grade, invalid_phone, entered_late,
 *             entered_next_day, first_contact_late,
 *             first_contact_not_phone, duplicate_phone,
 *             touch_by_other_consultant)
 *   detail    utf8, personal data masked ("same phone (138****8000) as A2")
 * — the columns of Python's leadkit.audit. On failure result->release is
 * NULL. */
LK_API lk_status lk_audit_state_finalize(const lk_audit_state* state,
                                         struct ArrowArrayStream* result);

/* A state from the bytes of a state created with `phone_key` (NULL: as
 * lk_audit_state_deserialize), restored with that key so that it adds as
 * well as it merges and finalizes: the way to carry a keyed audit across
 * processes and runs. The key is copied and checked against the bytes' check
 * of it: another key is LK_INVALID_ARGUMENT ("... another phone_key"), as
 * are damaged bytes. *state receives a new handle on LK_OK, NULL otherwise.
 * Since LEADKIT_1.1. */
LK_API lk_status lk_audit_state_deserialize_keyed(const uint8_t* bytes,
                                                  size_t size,
                                                  const uint8_t* phone_key,
                                                  lk_audit_state** state);

/* Scopes (docs/kpis.md, "Who sees what"): headquarters sees every row, a
 * region the rows of its dealers, a dealer its own; a row without a dealer_id
 * is seen at headquarters only. A report state applies a scope as the rows
 * enter it (the _add_scoped calls below), so a scoped report never counts
 * another dealer's rows. Immutable once created: any number of threads may use one.
 * Since LEADKIT_1.1. */
typedef struct lk_scope lk_scope;

/* A scope of `kind` "hq", "region" or "dealer"; `id` the region's or the
 * dealer's id (copied; ignored for "hq"). `dealers` (may be NULL; read to its
 * end and released, whatever the outcome): the dealers table, dealer_id and
 * region_id as strings — required by a region scope (which dealers it has);
 * a dealer scope with it knows which dealers exist, without it the dealers
 * the rows name. An unknown kind, a missing id, a region scope without
 * dealers are LK_INVALID_ARGUMENT; a dealer or region the dealers table lacks
 * is LK_NOT_FOUND naming it (without the table, an unknown dealer is found by
 * the first add). *scope receives a new handle on LK_OK, NULL otherwise. */
LK_API lk_status lk_scope_create(const char* kind, const char* id,
                                 struct ArrowArrayStream* dealers,
                                 lk_scope** scope);

/* Frees a scope. NULL is ignored. */
LK_API void lk_scope_free(lk_scope* scope);

/* The states' add calls with a scope (borrowed for the call; NULL: every
 * row, as the plain add), each otherwise as its plain add. The scope applies
 * to the rows by their dealer_id column (read when present; rows without it
 * are seen at headquarters only): the leads, and with them their touches and
 * surveys; the showroom's visits; the activity's leads with their touches
 * (a scope other than headquarters needs `leads` there, LK_INVALID_ARGUMENT
 * without). A dealer the scope does not know is LK_NOT_FOUND naming it.
 * Since LEADKIT_1.1. */
LK_API lk_status lk_kpi_state_add_scoped(lk_kpi_state* state,
                                         const lk_cadence* cadence,
                                         struct ArrowArrayStream* leads,
                                         struct ArrowArrayStream* touches,
                                         struct ArrowArrayStream* surveys,
                                         const lk_scope* scope, int64_t as_of);
LK_API lk_status lk_lost_analysis_state_add_scoped(
    lk_lost_analysis_state* state, struct ArrowArrayStream* leads,
    const lk_scope* scope, int64_t as_of);
LK_API lk_status lk_profile_state_add_scoped(lk_profile_state* state,
                                             struct ArrowArrayStream* leads,
                                             const lk_scope* scope,
                                             int64_t as_of);
LK_API lk_status lk_showroom_state_add_scoped(lk_showroom_state* state,
                                              struct ArrowArrayStream* visits,
                                              struct ArrowArrayStream* leads,
                                              const lk_scope* scope,
                                              int64_t as_of);
LK_API lk_status lk_activity_state_add_scoped(lk_activity_state* state,
                                              struct ArrowArrayStream* touches,
                                              struct ArrowArrayStream* leads,
                                              const lk_scope* scope,
                                              int64_t as_of);
LK_API lk_status lk_effectiveness_state_add_scoped(
    lk_effectiveness_state* state, const lk_policy* policy,
    struct ArrowArrayStream* leads, struct ArrowArrayStream* touches,
    const lk_scope* scope, int64_t as_of);
LK_API lk_status lk_pipeline_state_add_scoped(lk_pipeline_state* state,
                                              const lk_policy* policy,
                                              struct ArrowArrayStream* leads,
                                              struct ArrowArrayStream* touches,
                                              const lk_scope* scope);
LK_API lk_status lk_audit_state_add_scoped(lk_audit_state* state,
                                           const lk_cadence* cadence,
                                           struct ArrowArrayStream* leads,
                                           struct ArrowArrayStream* touches,
                                           const lk_scope* scope,
                                           int64_t as_of);

/* The policy backtest (docs/backtest.md): the recorded leads and touches
 * replayed under several policies side by side — each lead graded again by
 * each policy, the KPIs judged on each policy's deadlines, the consultants'
 * task load, and how well each policy's grades separate won from lost.
 * Since LEADKIT_1.1. */
typedef struct lk_backtest_state lk_backtest_state;

/* A state of no leads comparing the `policy_count` (>= 1) policies named in
 * `policies` (distinct, non-empty: the summary's `policy` values, in this
 * order), grouped by the `by_count` names of `by` (may be NULL when by_count
 * is 0) as lk_kpi_state_create's: string columns of the leads, "grade" (at
 * creation, under each policy), "current_grade", "month", "week". The names
 * are copied. */
LK_API lk_status lk_backtest_state_create(const char* const* policies,
                                          size_t policy_count,
                                          const char* const* by,
                                          size_t by_count,
                                          lk_backtest_state** state);

/* Adds a batch of leads with all of their touches and (when `surveys` is not
 * NULL) surveys, replayed at `as_of` (or LK_AS_OF_DATA; give every batch of
 * one backtest the same) under each policy. `cadences`: `cadence_count`
 * cadences, one per policy of the state in its order (borrowed for the call;
 * a count other than the state's is LK_INVALID_ARGUMENT).
 *
 * `grade_map_json` (`grade_map_json_len` bytes; NULL: no map) maps the
 * touches' grade_after values, the history's grades, to each policy's:
 *   {"proposed": {"O": "A", "A": "A", "B": "B"}, ...}
 * A policy absent from it has no map: its grades read as they are when it
 * has every grade_after value; otherwise its grade changes are left out, and
 * the summary's notes say so. A name that is not one of the state's
 * policies, a map naming a grade the policy lacks or lacking a grade_after
 * value of the touches is LK_INVALID_ARGUMENT naming it.
 *
 * The streams are lk_kpi_state_add's tables, with the leads' consultant_id
 * (for the task load) and the fields any of the policies reads; a recorded
 * `grade` column is not read. Each stream is read to its end and released,
 * whatever the outcome. `scope` (NULL: every lead) keeps the leads it sees,
 * as lk_kpi_state_add_scoped. Bad input is LK_INVALID_ARGUMENT naming the
 * table, column, row and lead_id; the state is then unchanged. */
LK_API lk_status lk_backtest_state_add(lk_backtest_state* state,
                                       const lk_cadence* const* cadences,
                                       size_t cadence_count,
                                       const char* grade_map_json,
                                       size_t grade_map_json_len,
                                       struct ArrowArrayStream* leads,
                                       struct ArrowArrayStream* touches,
                                       struct ArrowArrayStream* surveys,
                                       const lk_scope* scope, int64_t as_of);

/* As the KPI state's: merge (LK_FAILED_PRECONDITION when the policies, their
 * grades or `by` differ), serialize (bytes to free with lk_bytes_free),
 * deserialize, free. */
LK_API lk_status lk_backtest_state_merge(lk_backtest_state* state,
                                         const lk_backtest_state* other);
LK_API lk_status lk_backtest_state_serialize(const lk_backtest_state* state,
                                             uint8_t** bytes, size_t* size);
LK_API lk_status lk_backtest_state_deserialize(const uint8_t* bytes,
                                               size_t size,
                                               lk_backtest_state** state);
LK_API void lk_backtest_state_free(lk_backtest_state* state);

/* One table of the backtest, named by `table`, as a new stream of one batch
 * (the tables of Python's leadkit.Backtest of the same names):
 *   "summary"     one row per group (sorted by key, the null group last) and
 *                 policy (in the state's order): each `by` name (utf8, null
 *                 for the null group), policy (utf8), the columns of
 *                 lk_kpi_state_finalize under that policy's deadlines,
 *                 tasks_per_consultant_day_mean, _p90, _max, grade_auc,
 *                 top_grade_lift (float64, NaN where the denominator is 0),
 *                 notes (utf8, "; "-joined: what the numbers leave out)
 *   "task_load"   the same rows: the `by` names, policy, tasks,
 *                 consultant_days (int64), tasks_per_consultant_day_mean,
 *                 _p90, _max (float64)
 *   "conversion"  per policy, its grades in order: policy, grade (utf8),
 *                 leads, won, lost (int64), conversion_rate (float64,
 *                 won / (won + lost))
 *   "grades"      one row per combination of grades holding a lead, in the
 *                 policies' grade orders: a column per policy, named as the
 *                 policy (utf8, its grade), then leads (int64) — the long
 *                 form of Python's crosstab, over every policy
 * LK_INVALID_ARGUMENT for another name. On failure result->release is
 * NULL. */
LK_API lk_status lk_backtest_state_finalize(const lk_backtest_state* state,
                                            const char* table,
                                            struct ArrowArrayStream* result);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* LEADKIT_LEADKIT_H_ */
