/*  report_templates.c - saved report templates and their scheduler; see
    report_templates.h.  */
#include "report_templates.h"
#include "report_params.h"
#include "report_schedule.h"

#include <unistd.h>

struct _report_templates_t {
    crmq_pg_t *pg;                  //  the service's (not owned)
    crmq_pg_t *scheduler_pg;        //  the scheduler's: holds a due template's lock
    report_runner_t *runner;        //  not owned
    char *pg_url;
    char *time_zone;
    int check_ms;
    int min_interval_s;
    size_t max_event_bytes;
    int64_t last_check_us;          //  0 = never checked
    bool failing;                   //  the last check failed (logged once)
    char run_by [160];              //  "crmq-analytics pid N on HOST"
    char application_name [64];     //  of the scheduler's connection
};

//  A template as every reader selects it; the S_COL_* are its columns.
#define S_TEMPLATE_COLUMNS \
    "name, description, params, schedule, time_zone," \
    " coalesce ((extract (epoch FROM next_run_at) * 1000000)::bigint, 0)," \
    " coalesce ((extract (epoch FROM last_run_at) * 1000000)::bigint, 0)," \
    " (extract (epoch FROM created_at) * 1000000)::bigint," \
    " (extract (epoch FROM updated_at) * 1000000)::bigint," \
    " last_status, version"
enum { S_COL_NAME, S_COL_DESCRIPTION, S_COL_PARAMS, S_COL_SCHEDULE, S_COL_TIME_ZONE,
       S_COL_NEXT_RUN, S_COL_LAST_RUN, S_COL_CREATED, S_COL_UPDATED, S_COL_LAST_STATUS,
       S_COL_VERSION };

//  $1 name, $2 description, $3 report, $4 params (binary), $5 schedule,
//  $6 zone, $7 schedule_start, $8 next_run_at
static const char *SQL_INSERT =
    "INSERT INTO analytics.report_templates (name, description, report, params, schedule,"
    "  time_zone, schedule_start, next_run_at)"
    " VALUES ($1, $2, $3, $4::bytea, $5, $6, $7::timestamptz, $8::timestamptz)"
    " ON CONFLICT (name) DO NOTHING"
    " RETURNING " S_TEMPLATE_COLUMNS;

static const char *SQL_REPLACE =
    "INSERT INTO analytics.report_templates AS t (name, description, report, params, schedule,"
    "  time_zone, schedule_start, next_run_at)"
    " VALUES ($1, $2, $3, $4::bytea, $5, $6, $7::timestamptz, $8::timestamptz)"
    " ON CONFLICT (name) DO UPDATE SET description = excluded.description,"
    "  report = excluded.report, params = excluded.params, schedule = excluded.schedule,"
    "  time_zone = excluded.time_zone, schedule_start = excluded.schedule_start,"
    "  next_run_at = excluded.next_run_at, updated_at = now (), version = t.version + 1"
    " RETURNING " S_TEMPLATE_COLUMNS;

//  The stored template when it is what a save without `replace` sent
//  again: $1 name, $2 description, $3 params (binary), $4 schedule.
static const char *SQL_SAME =
    "SELECT " S_TEMPLATE_COLUMNS " FROM analytics.report_templates"
    " WHERE name = $1 AND description = $2 AND params = $3::bytea AND schedule = $4";

static const char *SQL_LIST =
    "SELECT " S_TEMPLATE_COLUMNS " FROM analytics.report_templates ORDER BY name";

static const char *SQL_GET =
    "SELECT " S_TEMPLATE_COLUMNS " FROM analytics.report_templates WHERE name = $1";

static const char *SQL_DELETE =
    "DELETE FROM analytics.report_templates WHERE name = $1";

//  The scheduler: the earliest due template no other replica holds.  $1 now.
static const char *SQL_DUE =
    "SELECT name, params, schedule, time_zone,"
    "  (extract (epoch FROM schedule_start) * 1000000)::bigint,"
    "  (extract (epoch FROM next_run_at) * 1000000)::bigint"
    " FROM analytics.report_templates WHERE next_run_at <= $1::timestamptz"
    " ORDER BY next_run_at LIMIT 1 FOR UPDATE SKIP LOCKED";

//  $1 template, $2 scheduled_for, $3 missed, $4 started_at, $5 finished_at,
//  $6 status, $7 error, $8 outbox_seq, $9 run_by
static const char *SQL_RUN_RECORD =
    "INSERT INTO analytics.report_runs (template, scheduled_for, missed, started_at,"
    "  finished_at, status, error, outbox_seq, run_by)"
    " VALUES ($1, $2::timestamptz, $3::int, $4::timestamptz, $5::timestamptz, $6, $7,"
    "  $8::bigint, $9)";

//  Whether an occurrence ran already ($1 template, $2 scheduled_for): only
//  when next_run_at was set back by hand, since a run and the move of
//  next_run_at commit together.
static const char *SQL_RAN =
    "SELECT count (*) FROM analytics.report_runs WHERE template = $1"
    "   AND scheduled_for = $2::timestamptz";

//  $1 name, $2 next_run_at (NULL = none)
static const char *SQL_SKIP =
    "UPDATE analytics.report_templates SET next_run_at = $2::timestamptz WHERE name = $1";

//  $1 name, $2 last_run_at, $3 last_status, $4 next_run_at (NULL = none)
static const char *SQL_ADVANCE =
    "UPDATE analytics.report_templates"
    "   SET last_run_at = $2::timestamptz, last_status = $3, next_run_at = $4::timestamptz"
    " WHERE name = $1";

report_templates_t *
report_templates_new (const report_templates_config_t *config)
{
    report_templates_t *self = (report_templates_t *) zmalloc (sizeof (report_templates_t));
    self->pg = config->pg;
    self->runner = config->runner;
    self->pg_url = strdup (config->pg_url? config->pg_url: "");
    self->time_zone = strdup (config->time_zone? config->time_zone: "UTC");
    self->check_ms = config->check_ms > 0? config->check_ms: 1000;
    self->min_interval_s = config->min_interval_s;
    self->max_event_bytes = config->max_event_bytes;
    char host [64] = "";
    if (gethostname (host, sizeof host) != 0)
        snprintf (host, sizeof host, "?");
    host [sizeof host - 1] = 0;
    snprintf (self->run_by, sizeof self->run_by, "crmq-analytics pid %d on %s", (int) getpid (),
              host);
    snprintf (self->application_name, sizeof self->application_name,
              "crmq-analytics-templates/%d", (int) getpid ());
    return self;
}

void
report_templates_destroy (report_templates_t **self_p)
{
    report_templates_t *self = *self_p;
    if (self) {
        crmq_pg_destroy (&self->scheduler_pg);
        free (self->pg_url);
        free (self->time_zone);
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Helpers

//  An instant as a timestamptz parameter in buf (40 bytes), or NULL for 0.
static const char *
s_pg_time (int64_t us, char *buf, size_t size)
{
    if (us == 0 || crmq_time_to_pg (us, buf, size) < 0)
        return NULL;
    return buf;
}

//  A copy of a string for a message freed with free_unpacked.
static char *
s_strdup (const char *text)
{
    char *copy = strdup (text? text: "");
    assert (copy);
    return copy;
}

//  Packs a message into a malloc'd buffer; *size its length.
static uint8_t *
s_pack (const ProtobufCMessage *message, size_t *size)
{
    *size = protobuf_c_message_get_packed_size (message);
    uint8_t *packed = (uint8_t *) malloc (*size? *size: 1);
    assert (packed);
    protobuf_c_message_pack (message, packed);
    return packed;
}

//  The stored parameters of a row (text-format bytea).  NULL when they do
//  not unpack.
static Crmq__ReportParams *
s_row_params (PGresult *result, int row, int column)
{
    size_t size = 0;
    unsigned char *bytes = PQunescapeBytea ((const unsigned char *) PQgetvalue (result, row, column),
                                            &size);
    if (!bytes)
        return NULL;
    Crmq__ReportParams *params = crmq__report_params__unpack (NULL, size, bytes);
    PQfreemem (bytes);
    return params;
}

//  The template of row `row` (S_TEMPLATE_COLUMNS), heap-built so that
//  crmq__report_template__free_unpacked frees it.
static Crmq__ReportTemplate *
s_template_of_row (PGresult *result, int row)
{
    Crmq__ReportTemplate *template_ = (Crmq__ReportTemplate *) zmalloc (sizeof *template_);
    crmq__report_template__init (template_);
    template_->name = s_strdup (PQgetvalue (result, row, S_COL_NAME));
    template_->description = s_strdup (PQgetvalue (result, row, S_COL_DESCRIPTION));
    template_->params = s_row_params (result, row, S_COL_PARAMS);
    template_->schedule = s_strdup (PQgetvalue (result, row, S_COL_SCHEDULE));
    template_->time_zone = s_strdup (PQgetvalue (result, row, S_COL_TIME_ZONE));
    template_->next_run_at_us = strtoll (PQgetvalue (result, row, S_COL_NEXT_RUN), NULL, 10);
    template_->last_run_at_us = strtoll (PQgetvalue (result, row, S_COL_LAST_RUN), NULL, 10);
    template_->created_at_us = strtoll (PQgetvalue (result, row, S_COL_CREATED), NULL, 10);
    template_->updated_at_us = strtoll (PQgetvalue (result, row, S_COL_UPDATED), NULL, 10);
    template_->last_status = s_strdup (PQgetvalue (result, row, S_COL_LAST_STATUS));
    template_->version = strtoll (PQgetvalue (result, row, S_COL_VERSION), NULL, 10);
    return template_;
}

//  Replies with the template of the result's first row.
static int
s_reply_template (crmq_reply_t *reply, PGresult *result)
{
    Crmq__ReportTemplate *template_ = s_template_of_row (result, 0);
    int code = crmq_reply_ok (reply, &template_->base);
    crmq__report_template__free_unpacked (template_, NULL);
    return code;
}

//  Replies with the database failure of `pg`.
static int
s_reply_pg (crmq_reply_t *reply, crmq_pg_t *pg)
{
    return crmq_reply_error (reply, crmq_pg_status (pg), NULL, "%s", crmq_pg_error (pg));
}

//  The crmq.Error a reply outside a request holds (never NULL; free with
//  crmq__error__free_unpacked).
static Crmq__Error *
s_reply_error (crmq_reply_t *reply)
{
    size_t size = 0;
    const uint8_t *body = crmq_reply_body (reply, &size);
    Crmq__Error *error = body && crmq_reply_code (reply) > 0
                       ? crmq__error__unpack (NULL, size, body): NULL;
    if (!error) {
        error = (Crmq__Error *) zmalloc (sizeof (Crmq__Error));
        crmq__error__init (error);
        error->code = CRMQ_INTERNAL;
        error->message = s_strdup ("no error recorded");
        error->field = s_strdup ("");
    }
    return error;
}

//  Checks a template name of a request.  Returns 0 or 3 after the reply.
static int
s_check_name (const char *name, const char *field, crmq_reply_t *reply)
{
    char why [96];
    if (!crmq_name_valid (name, 1, REPORT_TEMPLATE_NAME_BYTES, why, sizeof why))
        return crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, field, "%s %s", field, why);
    return 0;
}

//  Unpacks a TemplateName request and checks its name.  Returns 0 with
//  *request set (free with crmq_message_free) or a code
//  after the reply.
static int
s_template_name (const uint8_t *body, size_t size, crmq_reply_t *reply,
                 Crmq__TemplateName **request)
{
    *request = (Crmq__TemplateName *) crmq_message_unpack (&crmq__template_name__descriptor,
                                                            body, size);
    if (!*request)
        return crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, NULL, "malformed TemplateName");
    int code = s_check_name ((*request)->name, "name", reply);
    if (code) {
        crmq_message_free (&(*request)->base);
        *request = NULL;
    }
    return code;
}

//  --------------------------------------------------------------------------
//  analytics.SaveTemplate

//  Checks the parameters as analytics.Report does, the period resolved
//  against the database as a run would resolve it.  A refusal names the
//  engine's field under "template.params" ("template.params.report").
//  Returns 0 or a code after the reply.
static int
s_check_params (report_templates_t *self, const Crmq__ReportParams *params, crmq_reply_t *reply)
{
    if (!params)
        return crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "template.params",
                                 "template.params: missing (the report and its options)");
    crmq_reply_t *scratch = crmq_reply_new ();
    report_run_t run;
    memset (&run, 0, sizeof run);
    run.pg = self->pg;
    run.time_zone = self->time_zone;
    run.reply = scratch;
    const report_def_t *def = NULL;
    int code = report_params_check (params, &def, &run, scratch);
    if (code == 0) {
        Crmq__ReportParams *resolved = NULL;
        code = report_params_resolve (&run, params, def, &resolved);
        if (resolved)
            crmq__report_params__free_unpacked (resolved, NULL);
        if (code < 0) {
            crmq_reply_destroy (&scratch);
            return s_reply_pg (reply, self->pg);
        }
    }
    if (code > 0) {
        Crmq__Error *error = s_reply_error (scratch);
        char field [128] = "template.params";
        if (*error->field)
            snprintf (field, sizeof field, "template.params.%s", error->field);
        code = crmq_reply_error (reply, code, field, "template.params.%s", error->message);
        crmq__error__free_unpacked (error, NULL);
    }
    crmq_reply_destroy (&scratch);
    return code;
}

typedef struct {
    int64_t start_us;               //  DTSTART; 0 = no schedule
    int64_t next_us;
} s_plan_t;

//  Checks the schedule and finds its first occurrence after `now_us`.
//  Returns 0 with *plan set, or 3 after the reply.
static int
s_check_schedule (report_templates_t *self, const char *schedule, int64_t now_us,
                  crmq_reply_t *reply, s_plan_t *plan)
{
    plan->start_us = 0;
    plan->next_us = 0;
    if (!*schedule)
        return 0;
    char why [300];
    int64_t start_us = now_us - now_us % (60 * 1000000LL);
    report_schedule_t *parsed = report_schedule_new (schedule, self->time_zone, start_us, why,
                                                     sizeof why);
    if (!parsed)
        return crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "template.schedule",
                                 "template.schedule: %s", why);
    int code = 0;
    int64_t gap = report_schedule_min_gap (parsed);
    int64_t next = report_schedule_next (parsed, now_us);
    if (gap < self->min_interval_s)
        code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "template.schedule",
                                 "template.schedule: two occurrences %" PRId64 " s apart; at least"
                                 " %d s (CRMQ_TEMPLATE_MIN_INTERVAL_S)", gap,
                                 self->min_interval_s);
    else
    if (next == 0)
        code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "template.schedule",
                                 "template.schedule has no occurrence after now"
                                 " (its COUNT or UNTIL has passed)");
    report_schedule_destroy (&parsed);
    if (code == 0) {
        plan->start_us = start_us;
        plan->next_us = next;
    }
    return code;
}

int
report_templates_save (report_templates_t *self, const uint8_t *body, size_t size,
                       crmq_reply_t *reply)
{
    Crmq__SaveTemplateRequest *request = (Crmq__SaveTemplateRequest *) crmq_message_unpack (
        &crmq__save_template_request__descriptor, body, size);
    if (!request)
        return crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, NULL,
                                 "malformed SaveTemplateRequest");
    const Crmq__ReportTemplate *template_ = request->template_;
    char why [96];
    int code = 0;
    s_plan_t plan = { 0, 0 };
    if (!template_)
        code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "template", "template: missing");
    if (code == 0)
        code = s_check_name (template_->name, "template.name", reply);
    if (code == 0 && !crmq_name_trimmed (template_->name))
        code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "template.name",
                                 "template.name begins or ends with white space");
    if (code == 0
    &&  !crmq_text_valid (template_->description, 0, REPORT_TEMPLATE_DESCRIPTION_BYTES, why,
                          sizeof why))
        code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "template.description",
                                 "template.description %s", why);
    if (code == 0)
        code = s_check_params (self, template_->params, reply);
    if (code == 0)
        code = s_check_schedule (self, template_->schedule, crmq_time_now_us (), reply, &plan);
    if (code != 0) {
        crmq_message_free (&request->base);
        return code;
    }
    size_t params_size;
    uint8_t *params = s_pack (&template_->params->base, &params_size);
    char start [40], next [40];
    const char *values [8] = {
        template_->name, template_->description, template_->params->report,
        (const char *) params, template_->schedule, self->time_zone,
        s_pg_time (plan.start_us, start, sizeof start), s_pg_time (plan.next_us, next, sizeof next)
    };
    int lengths [8] = { 0, 0, 0, (int) params_size, 0, 0, 0, 0 };
    int formats [8] = { 0, 0, 0, 1, 0, 0, 0, 0 };
    PGresult *result = crmq_pg_execv (self->pg, request->replace? SQL_REPLACE: SQL_INSERT, 8,
                                      values, lengths, formats);
    if (!result)
        code = s_reply_pg (reply, self->pg);
    else
    if (PQntuples (result) == 1) {
        code = s_reply_template (reply, result);
        crmq_log (CRMQ_LOG_INFO, "template_saved", "name=%s report=%s schedule=%s version=%s",
                  crmq_log_q (template_->name), crmq_log_q (template_->params->report),
                  crmq_log_q (template_->schedule), PQgetvalue (result, 0, S_COL_VERSION));
    }
    else {
        //  the name exists: the same template sent again is answered again
        PQclear (result);
        const char *same [4] = { template_->name, template_->description, (const char *) params,
                                 template_->schedule };
        int same_lengths [4] = { 0, 0, (int) params_size, 0 };
        int same_formats [4] = { 0, 0, 1, 0 };
        result = crmq_pg_execv (self->pg, SQL_SAME, 4, same, same_lengths, same_formats);
        if (!result)
            code = s_reply_pg (reply, self->pg);
        else
        if (PQntuples (result) == 1)
            code = s_reply_template (reply, result);
        else
            code = crmq_reply_error (reply, CRMQ_ALREADY_EXISTS, "template.name",
                                     "template \"%s\" exists; save with replace to change it",
                                     template_->name);
    }
    if (result)
        PQclear (result);
    free (params);
    crmq_message_free (&request->base);
    return code;
}

//  --------------------------------------------------------------------------
//  analytics.ListTemplates, GetTemplate, DeleteTemplate, RunTemplate

int
report_templates_list (report_templates_t *self, const uint8_t *body, size_t size,
                       crmq_reply_t *reply)
{
    Crmq__ListTemplatesRequest *request = crmq__list_templates_request__unpack (NULL, size, body);
    if (!request)
        return crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, NULL,
                                 "malformed ListTemplatesRequest");
    crmq__list_templates_request__free_unpacked (request, NULL);
    PGresult *result = crmq_pg_exec (self->pg, SQL_LIST, 0, NULL);
    if (!result)
        return s_reply_pg (reply, self->pg);
    Crmq__ListTemplatesReply *answer = (Crmq__ListTemplatesReply *) zmalloc (sizeof *answer);
    crmq__list_templates_reply__init (answer);
    answer->n_templates = (size_t) PQntuples (result);
    answer->templates = (Crmq__ReportTemplate **)
        zmalloc ((answer->n_templates + 1) * sizeof (Crmq__ReportTemplate *));
    for (size_t row = 0; row < answer->n_templates; row++)
        answer->templates [row] = s_template_of_row (result, (int) row);
    PQclear (result);
    int code = crmq_reply_ok (reply, &answer->base);
    crmq__list_templates_reply__free_unpacked (answer, NULL);
    return code;
}

//  The template a TemplateName request names.  Returns 0 with *request
//  (free with crmq_message_free) and *result (its row;
//  caller PQclears) set, or a code after the reply: 3 for a bad name, 5
//  when there is no such template.
static int
s_find (report_templates_t *self, const uint8_t *body, size_t size, crmq_reply_t *reply,
        Crmq__TemplateName **request, PGresult **result)
{
    *result = NULL;
    int code = s_template_name (body, size, reply, request);
    if (code)
        return code;
    const char *values [1] = { (*request)->name };
    *result = crmq_pg_exec (self->pg, SQL_GET, 1, values);
    if (!*result)
        code = s_reply_pg (reply, self->pg);
    else
    if (PQntuples (*result) == 0)
        code = crmq_reply_error (reply, CRMQ_NOT_FOUND, "name", "no template \"%s\"",
                                 (*request)->name);
    if (code) {
        if (*result)
            PQclear (*result);
        *result = NULL;
        crmq_message_free (&(*request)->base);
        *request = NULL;
    }
    return code;
}

int
report_templates_get (report_templates_t *self, const uint8_t *body, size_t size,
                      crmq_reply_t *reply)
{
    Crmq__TemplateName *request;
    PGresult *result;
    int code = s_find (self, body, size, reply, &request, &result);
    if (code)
        return code;
    code = s_reply_template (reply, result);
    PQclear (result);
    crmq_message_free (&(request)->base);
    return code;
}

int
report_templates_delete (report_templates_t *self, const uint8_t *body, size_t size,
                         crmq_reply_t *reply)
{
    Crmq__TemplateName *request;
    int code = s_template_name (body, size, reply, &request);
    if (code)
        return code;
    const char *values [1] = { request->name };
    PGresult *result = crmq_pg_exec (self->pg, SQL_DELETE, 1, values);
    if (!result)
        code = s_reply_pg (reply, self->pg);
    else {
        bool deleted = streq (PQcmdTuples (result), "1");
        PQclear (result);
        if (deleted) {
            crmq_log (CRMQ_LOG_INFO, "template_deleted", "name=%s", crmq_log_q (request->name));
            Crmq__DeleteTemplateReply answer = CRMQ__DELETE_TEMPLATE_REPLY__INIT;
            answer.deleted = true;
            code = crmq_reply_ok (reply, &answer.base);
        }
        else
            code = crmq_reply_error (reply, CRMQ_NOT_FOUND, "name", "no template \"%s\"",
                                     request->name);
    }
    crmq_message_free (&(request)->base);
    return code;
}

int
report_templates_run (report_templates_t *self, const uint8_t *body, size_t size,
                      crmq_reply_t *reply)
{
    Crmq__TemplateName *request;
    PGresult *result;
    int code = s_find (self, body, size, reply, &request, &result);
    if (code)
        return code;
    Crmq__ReportParams *params = s_row_params (result, 0, S_COL_PARAMS);
    PQclear (result);
    if (!params)
        code = crmq_reply_error (reply, CRMQ_INTERNAL, NULL,
                                 "template \"%s\": stored parameters unreadable", request->name);
    else {
        Crmq__ReportResult *report = NULL;
        code = report_runner_run (self->runner, params, reply, &report);
        if (code == 0) {
            code = crmq_reply_ok (reply, &report->base);
            crmq__report_result__free_unpacked (report, NULL);
        }
        crmq__report_params__free_unpacked (params, NULL);
    }
    crmq_message_free (&(request)->base);
    return code;
}

//  --------------------------------------------------------------------------
//  Cutting a result to an event's size

//  Adds a note to an unpacked (or heap-built) result.
static void
s_add_note (Crmq__ReportResult *result, const char *note)
{
    result->notes = (char **) realloc (result->notes, (result->n_notes + 1) * sizeof (char *));
    assert (result->notes);
    result->notes [result->n_notes++] = s_strdup (note);
}

//  Bytes the rows of a table take in its packing (each row's own bytes
//  and its tag and length, counted as 4).
static size_t
s_rows_bytes (const Crmq__ReportTable *table)
{
    size_t bytes = 0;
    for (size_t i = 0; i < table->n_rows; i++)
        bytes += protobuf_c_message_get_packed_size (&table->rows [i]->base) + 4;
    return bytes;
}

//  Makes the ReportReady `ready` pack into at most `limit` bytes by cutting
//  rows off the end of its tables, the largest first; each cut table keeps
//  its whole count in total_rows, and a note says which were cut and how
//  to get the whole result.  Returns the number of rows cut, or -1 when it
//  does not fit even without rows (then it may have lost rows).
static long
s_fit (Crmq__ReportReady *ready, size_t limit)
{
    size_t size = protobuf_c_message_get_packed_size (&ready->base);
    if (size <= limit)
        return 0;
    Crmq__ReportResult *result = ready->result;
    size_t tables = result->n_tables;
    size_t *before = (size_t *) zmalloc ((tables + 1) * sizeof (size_t));
    for (size_t i = 0; i < tables; i++)
        before [i] = result->tables [i]->n_rows;
    //  room for the note: a line per table, the template's name
    size_t reserve = 300 + tables * (REPORT_TEMPLATE_NAME_BYTES + 60) + strlen (ready->template_);
    long cut = 0;
    while (size + reserve > limit) {
        Crmq__ReportTable *largest = NULL;
        size_t largest_bytes = 0;
        for (size_t i = 0; i < tables; i++) {
            size_t bytes = s_rows_bytes (result->tables [i]);
            if (bytes > largest_bytes) {
                largest = result->tables [i];
                largest_bytes = bytes;
            }
        }
        if (!largest)
            break;                      //  no row left
        size_t excess = size + reserve - limit;
        while (largest->n_rows > 0 && excess > 0) {
            Crmq__ReportRow *row = largest->rows [--largest->n_rows];
            size_t bytes = protobuf_c_message_get_packed_size (&row->base) + 2;
            crmq__report_row__free_unpacked (row, NULL);
            excess = bytes >= excess? 0: excess - bytes;
            cut++;
        }
        size = protobuf_c_message_get_packed_size (&ready->base);
    }
    char note [4096];
    int length = snprintf (note, sizeof note, "cut to fit one event of at most %zu bytes"
                           " (from CRMQ_MAX_MESSAGE_BYTES):", limit);
    for (size_t i = 0; i < tables; i++) {
        Crmq__ReportTable *table = result->tables [i];
        if (table->n_rows == before [i])
            continue;
        if (table->total_rows < (int64_t) before [i])
            table->total_rows = (int64_t) before [i];
        if (length > 0 && (size_t) length < sizeof note)
            length += snprintf (note + length, sizeof note - (size_t) length,
                                " %s has its first %zu of %" PRId64 " rows;", table->name,
                                table->n_rows, table->total_rows);
    }
    if (length > 0 && (size_t) length < sizeof note)
        snprintf (note + length, sizeof note - (size_t) length,
                  " `crmq report template run %s` gives the whole result", ready->template_);
    s_add_note (result, note);
    free (before);
    size = protobuf_c_message_get_packed_size (&ready->base);
    return size <= limit? cut: -1;
}

//  --------------------------------------------------------------------------
//  The scheduler

//  One scheduled run, inside the transaction holding the template's lock.
typedef struct {
    report_templates_t *self;
    int64_t now_us;                 //  when the template was taken
    bool ran;                       //  a template was due
    char name [REPORT_TEMPLATE_NAME_BYTES + 1];
    int64_t scheduled_for_us;
    int missed;
    int code;                       //  of the report; -1: it ran already
    int64_t seq;                    //  the event's
} s_due_t;

//  The error of a run that did not get as far as the report.
static Crmq__Error *
s_error_new (int code, const char *format, ...)
{
    Crmq__Error *error = (Crmq__Error *) zmalloc (sizeof (Crmq__Error));
    crmq__error__init (error);
    error->code = code;
    char message [1024];
    va_list args;
    va_start (args, format);
    vsnprintf (message, sizeof message, format, args);
    va_end (args);
    error->message = s_strdup (message);
    error->field = s_strdup ("");
    return error;
}

//  Runs the report of a due template; returns its result, or NULL with
//  *error set (CRMQ_UNAVAILABLE: the database is away, try later).
static Crmq__ReportResult *
s_run_report (report_templates_t *self, const Crmq__ReportParams *params, Crmq__Error **error)
{
    crmq_reply_t *reply = crmq_reply_new ();
    Crmq__ReportResult *result = NULL;
    int code = report_runner_run (self->runner, params, reply, &result);
    if (code != 0) {
        *error = s_reply_error (reply);
        (*error)->code = code;
    }
    crmq_reply_destroy (&reply);
    return result;
}

static int
s_due_tx (crmq_pg_t *pg, void *arg)
{
    s_due_t *due = (s_due_t *) arg;
    report_templates_t *self = due->self;
    due->ran = false;
    due->seq = 0;
    char now [40];
    const char *due_values [1] = { s_pg_time (due->now_us, now, sizeof now) };
    PGresult *result = crmq_pg_exec (pg, SQL_DUE, 1, due_values);
    if (!result)
        return -1;
    if (PQntuples (result) == 0) {
        PQclear (result);
        return 0;
    }
    due->ran = true;
    snprintf (due->name, sizeof due->name, "%s", PQgetvalue (result, 0, 0));
    Crmq__ReportParams *params = s_row_params (result, 0, 1);
    char *schedule_text = s_strdup (PQgetvalue (result, 0, 2));
    char *time_zone = s_strdup (PQgetvalue (result, 0, 3));
    int64_t start_us = strtoll (PQgetvalue (result, 0, 4), NULL, 10);
    due->scheduled_for_us = strtoll (PQgetvalue (result, 0, 5), NULL, 10);
    PQclear (result);

    //  the schedule: occurrences folded into this run, the next one
    char why [300];
    report_schedule_t *schedule = report_schedule_new (schedule_text, time_zone, start_us, why,
                                                       sizeof why);
    int64_t next_us = 0;
    due->missed = 0;
    if (schedule) {
        due->missed = report_schedule_count (schedule, due->scheduled_for_us, due->now_us,
                                             1000000);
        next_us = report_schedule_next (schedule, due->now_us);
    }
    //  an occurrence that ran already is not run again: on to the next one
    char scheduled [40], next [40];
    const char *ran_values [2] = {
        due->name, s_pg_time (due->scheduled_for_us, scheduled, sizeof scheduled)
    };
    PGresult *ran = crmq_pg_exec (pg, SQL_RAN, 2, ran_values);
    bool skip = ran && strtoll (PQgetvalue (ran, 0, 0), NULL, 10) > 0;
    if (ran)
        PQclear (ran);
    if (!ran || skip) {
        const char *skip_values [2] = { due->name, s_pg_time (next_us, next, sizeof next) };
        int rc = ran? crmq_pg_command (pg, SQL_SKIP, 2, skip_values): -1;
        due->code = -1;
        crmq__report_params__free_unpacked (params, NULL);
        report_schedule_destroy (&schedule);
        free (schedule_text);
        free (time_zone);
        return rc;
    }
    //  the report, on the service's connection, while this one holds the lock
    Crmq__Error *error = NULL;
    Crmq__ReportResult *report = NULL;
    if (!schedule)
        error = s_error_new (CRMQ_FAILED_PRECONDITION, "the schedule %s", why);
    else
    if (!params)
        error = s_error_new (CRMQ_INTERNAL, "the stored parameters do not unpack");
    else
        report = s_run_report (self, params, &error);
    due->code = error? error->code: 0;
    if (due->code == CRMQ_UNAVAILABLE) {
        //  nothing is recorded: the occurrence stays due
        crmq__error__free_unpacked (error, NULL);
        crmq__report_params__free_unpacked (params, NULL);
        report_schedule_destroy (&schedule);
        free (schedule_text);
        free (time_zone);
        return CRMQ_UNAVAILABLE;
    }
    if (report && due->missed > 0) {
        char later [32] = "";
        crmq_time_format (due->now_us, time_zone, false, later, sizeof later);
        char note [300];
        snprintf (note, sizeof note, "this run stands for %d later occurrence%s of the schedule"
                  " too, due by %s (%s) while crmq-analytics was not running", due->missed,
                  due->missed == 1? "": "s", later, time_zone);
        s_add_note (report, note);
    }
    //  the event
    if (report) {
        Crmq__ReportReady ready = CRMQ__REPORT_READY__INIT;
        ready.template_ = due->name;
        ready.scheduled_for_us = due->scheduled_for_us;
        ready.result = report;
        if (s_fit (&ready, self->max_event_bytes) >= 0)
            due->seq = crmq_outbox_write (pg, "analytics", REPORT_TEMPLATE_READY_TOPIC,
                                          &ready.base);
        else {
            error = s_error_new (CRMQ_RESOURCE_EXHAUSTED, "the result does not fit an event of"
                                 " %zu bytes even without rows", self->max_event_bytes);
            due->code = error->code;
        }
    }
    if (error) {
        Crmq__ReportFailed failed = CRMQ__REPORT_FAILED__INIT;
        failed.template_ = due->name;
        failed.scheduled_for_us = due->scheduled_for_us;
        failed.error = error;
        due->seq = crmq_outbox_write (pg, "analytics", REPORT_TEMPLATE_FAILED_TOPIC, &failed.base);
    }
    //  the run and the template's next occurrence
    char status [1200] = "ok";
    if (error)
        snprintf (status, sizeof status, "failed: %s: %s", crmq_status_name (error->code),
                  error->message);
    int rc = due->seq > 0? 0: -1;
    if (rc == 0) {
        char started [40], finished [40], missed [16], seq [24];
        int64_t finished_us = crmq_time_now_us ();
        snprintf (missed, sizeof missed, "%d", due->missed);
        snprintf (seq, sizeof seq, "%" PRId64, due->seq);
        const char *run [9] = {
            due->name, s_pg_time (due->scheduled_for_us, scheduled, sizeof scheduled), missed,
            s_pg_time (due->now_us, started, sizeof started),
            s_pg_time (finished_us, finished, sizeof finished), error? "failed": "ok",
            error? error->message: "", seq, self->run_by
        };
        const char *advance [4] = {
            due->name, run [4], status, s_pg_time (next_us, next, sizeof next)
        };
        if (crmq_pg_command (pg, SQL_RUN_RECORD, 9, run) != 0
        ||  crmq_pg_command (pg, SQL_ADVANCE, 4, advance) != 0)
            rc = -1;
    }
    if (error)
        crmq__error__free_unpacked (error, NULL);
    if (report)
        crmq__report_result__free_unpacked (report, NULL);
    if (params)
        crmq__report_params__free_unpacked (params, NULL);
    report_schedule_destroy (&schedule);
    free (schedule_text);
    free (time_zone);
    return rc;
}

void
report_templates_tick (report_templates_t *self)
{
    int64_t now = crmq_time_now_us ();
    if (self->last_check_us && now - self->last_check_us < (int64_t) self->check_ms * 1000)
        return;
    self->last_check_us = now;
    if (!self->scheduler_pg)
        self->scheduler_pg = crmq_pg_new (self->pg_url, self->application_name);
    if (!self->scheduler_pg)
        return;
    for (int i = 0; i < REPORT_TEMPLATE_RUNS_PER_CHECK; i++) {
        s_due_t due;
        memset (&due, 0, sizeof due);
        due.self = self;
        due.now_us = crmq_time_now_us ();
        int64_t started = due.now_us;
        int rc = crmq_pg_transaction (self->scheduler_pg, s_due_tx, &due);
        if (rc != 0) {
            if (!self->failing)
                crmq_log (CRMQ_LOG_WARN, "template_check_failed", "template=%s error=%s",
                          crmq_log_q (due.name),
                          rc > 0? crmq_status_name (rc): crmq_log_q (crmq_pg_error (self->scheduler_pg)));
            self->failing = true;
            break;
        }
        if (self->failing)
            crmq_log (CRMQ_LOG_INFO, "template_check_recovered", NULL);
        self->failing = false;
        if (!due.ran)
            break;
        char scheduled [32] = "";
        if (due.code < 0) {
            crmq_time_format (due.scheduled_for_us, NULL, false, scheduled, sizeof scheduled);
            crmq_log (CRMQ_LOG_WARN, "template_occurrence_ran_already", "template=%s"
                      " scheduled_for=%s", crmq_log_q (due.name), crmq_log_q (scheduled));
            continue;
        }
        crmq_time_format (due.scheduled_for_us, NULL, false, scheduled, sizeof scheduled);
        crmq_log (due.code? CRMQ_LOG_WARN: CRMQ_LOG_INFO, "template_run",
                  "template=%s scheduled_for=%s missed=%d status=%s seq=%" PRId64 " ms=%" PRId64,
                  crmq_log_q (due.name), crmq_log_q (scheduled), due.missed,
                  due.code? crmq_status_name (due.code): "OK", due.seq,
                  (crmq_time_now_us () - started) / 1000);
    }
}

//  --------------------------------------------------------------------------
//  Self test

//  A heap-built result of one table of `rows` rows of two cells.
static Crmq__ReportResult *
s_test_result (size_t rows)
{
    Crmq__ReportResult *result = (Crmq__ReportResult *) zmalloc (sizeof *result);
    crmq__report_result__init (result);
    result->title = s_strdup ("Test");
    result->currency = s_strdup ("USD");
    result->n_tables = 2;
    result->tables = (Crmq__ReportTable **) zmalloc (2 * sizeof (Crmq__ReportTable *));
    for (size_t t = 0; t < 2; t++) {
        Crmq__ReportTable *table = (Crmq__ReportTable *) zmalloc (sizeof *table);
        crmq__report_table__init (table);
        table->name = s_strdup (t == 0? "summary": "clients");
        table->title = s_strdup (table->name);
        table->chart = s_strdup ("");
        size_t count = t == 0? 1: rows;
        table->n_rows = count;
        table->rows = (Crmq__ReportRow **) zmalloc ((count + 1) * sizeof (Crmq__ReportRow *));
        for (size_t r = 0; r < count; r++) {
            Crmq__ReportRow *row = (Crmq__ReportRow *) zmalloc (sizeof *row);
            crmq__report_row__init (row);
            row->n_cells = 2;
            row->cells = (char **) zmalloc (2 * sizeof (char *));
            char cell [64];
            snprintf (cell, sizeof cell, "client %06zu", r);
            row->cells [0] = s_strdup (cell);
            row->cells [1] = s_strdup ("12345.67");
            table->rows [r] = row;
        }
        result->tables [t] = table;
    }
    return result;
}

void
report_templates_test (bool verbose)
{
    printf (" * report_templates: ");
    if (verbose)
        printf ("\n");
    //  a result that fits is left alone
    Crmq__ReportReady ready = CRMQ__REPORT_READY__INIT;
    ready.template_ = (char *) "Weekly ABC «опт»";
    ready.scheduled_for_us = 1;
    ready.result = s_test_result (10);
    assert (s_fit (&ready, 1 << 20) == 0);
    assert (ready.result->n_notes == 0 && ready.result->tables [1]->n_rows == 10);
    crmq__report_result__free_unpacked (ready.result, NULL);

    //  5,000 rows of about 28 bytes into 32 KiB: the clients table is cut,
    //  the one-row summary kept, the note says so
    ready.result = s_test_result (5000);
    size_t whole = protobuf_c_message_get_packed_size (&ready.base);
    long cut = s_fit (&ready, 32768);
    size_t size = protobuf_c_message_get_packed_size (&ready.base);
    const Crmq__ReportTable *clients = ready.result->tables [1];
    if (verbose)
        printf ("   %zu bytes cut to %zu: %ld rows cut, %zu kept; note: %s\n", whole, size, cut,
                clients->n_rows, ready.result->notes [0]);
    assert (whole > 100000 && size <= 32768 && size > 28000);
    assert (cut > 0 && clients->n_rows + (size_t) cut == 5000);
    assert (clients->total_rows == 5000);
    assert (ready.result->tables [0]->n_rows == 1);
    assert (ready.result->n_notes == 1);
    assert (strstr (ready.result->notes [0], "clients has its first"));
    assert (strstr (ready.result->notes [0], "of 5000 rows"));
    assert (!strstr (ready.result->notes [0], "summary"));
    assert (strstr (ready.result->notes [0], "crmq report template run Weekly ABC «опт»"));
    //  the first rows are the ones kept
    assert (streq (clients->rows [0]->cells [0], "client 000000"));
    crmq__report_result__free_unpacked (ready.result, NULL);

    //  a limit nothing fits: -1
    ready.result = s_test_result (10);
    assert (s_fit (&ready, 16) == -1);
    crmq__report_result__free_unpacked (ready.result, NULL);
    printf ("OK\n");
}
